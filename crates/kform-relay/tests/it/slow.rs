//! Slow clients cannot hold the relay: request headers must arrive in time, a body that stops
//! is cut off, and the number of open connections is capped, so a normal request is served
//! while hundreds of half-sent ones are open (all on loopback, bounded).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// The relay on a loopback port with these connection limits; the sender stops it.
async fn serving(
    max_connections: usize,
) -> (Harness, std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>)
{
    let harness = harness_with(Apps::demo(TOKEN), TOKEN, move |config| {
        config.limits.max_connections = max_connections;
        config.limits.header_timeout_seconds = 1;
        config.limits.body_timeout_seconds = 1;
    })
    .await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = harness.state.clone();
    let server = tokio::spawn(async move {
        serve::run(state, listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (harness, address, stop, server)
}

/// Everything the relay sends on `stream` until it closes it (within 10 s, or the test fails).
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the relay kept the connection open");
    String::from_utf8_lossy(&answer).into_owned()
}

async fn healthz(address: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    until_closed(&mut stream).await
}

#[tokio::test]
async fn a_request_is_served_while_hundreds_of_slow_clients_are_open() {
    let (_harness, address, stop, server) = serving(32).await;
    // 300 clients send half a request's headers and then nothing.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n").await.unwrap();
        slow.push(stream);
    }
    // At most 32 are served at once and each is closed a second after it was accepted, so the
    // normal request behind them is reached and answered.
    let answer =
        tokio::time::timeout(Duration::from_secs(30), healthz(address)).await.expect("served");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The first slow ones were closed by the relay, not left open.
    for stream in slow.iter_mut().take(32) {
        let answer = until_closed(stream).await;
        assert!(!answer.starts_with("HTTP/1.1 200"), "a half-sent request is not served: {answer}");
    }
    stop.send(()).unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off() {
    let (_harness, address, stop, server) = serving(64).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = "POST /v1/forms/contact/submissions HTTP/1.1\r\nHost: relay\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(br#"{"values": "#).await.unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"body_timeout""#), "{answer}");
    stop.send(()).unwrap();
    server.await.unwrap();
}
