//! The relay's connection loop: how many connections may be open at once, how long a client may
//! take to send its request headers and each part of its body, and a graceful stop.
//!
//! `axum::serve` sets none of these, so a client that opens connections and sends its headers
//! slowly could hold them forever and run the relay out of file descriptors. Here:
//! - at most `max_connections` are open; beyond that, new ones wait in the kernel's backlog
//!   until one closes (the relay keeps the descriptors it needs for its database and kintone);
//! - request headers must arrive within `header_timeout`, or the connection is closed;
//! - a request body that sends nothing for `body_timeout` is cut off (the handler sees an error);
//! - an accept error (such as "too many open files") pauses accepting briefly instead of
//!   spinning.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The limits of the connection loop (from `[limits]` in `kform.toml`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimits {
    /// The most connections open at once.
    pub(crate) max_connections: usize,
    /// How long a client may take to send a request's headers.
    pub(crate) header_timeout: Duration,
    /// How long a request body may send nothing.
    pub(crate) body_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the requests in
/// flight to finish.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let router = router.layer(RequestBodyTimeoutLayer::new(limits.body_timeout));
    let graceful = GracefulShutdown::new();
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = pin!(shutdown);
    loop {
        // A free place first, so a connection is only accepted when it can be served.
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "cannot accept a connection; pausing for 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small answers go out at once: with Nagle's algorithm on, a response written in two
        // pieces (headers, then a small body) waits for the client's delayed acknowledgement,
        // up to 40 ms, and the form's markup and its script are such answers.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
        let service = router.clone().map_request(move |request: axum::http::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, %remote, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
