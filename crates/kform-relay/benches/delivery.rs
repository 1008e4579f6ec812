//! The delivery benchmark (`cargo xtask bench` runs it): the real `kform` binary in front of the
//! fake kintone with 50 ms added to every kintone call, beside a naive connector that sends one
//! `record.json` per submission, synchronously, measured in the same run.
//!
//! Figures: kintone write requests for a burst of 10,000; accept → kintone p95 at 1 submission/s;
//! durable accepts per second; accept p99 at 1,000/s offered; the relay's peak RSS. They are
//! printed and written to `target/bench-delivery.json`.
#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "a benchmark fails loudly and reports on the terminal"
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kform_fake_kintone::{Apps, Fault, FaultKind, spawn};
use serde_json::{Value, json};

const TOKEN: &str = "bench-token";
const LATENCY_MS: u64 = 50;
const BURST: usize = 10_000;

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn submission(n: usize, tag: &str) -> Value {
    json!({ "submission_id": uuid::Uuid::new_v4().to_string(), "values": {
        "会社名": format!("{tag}-{n}"), "メールアドレス": format!("u{n}@example.com") } })
}

/// Sends `count` submissions with `concurrency` clients, spread over `urls` in turn; (seconds
/// taken, each latency in ms).
async fn closed_loop(
    http: &reqwest::Client,
    urls: &[String],
    count: usize,
    concurrency: usize,
    tag: &'static str,
) -> (f64, Vec<f64>) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, urls, next) = (http.clone(), urls.to_vec(), next.clone());
        clients.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= count {
                    return latencies;
                }
                let url = &urls[n % urls.len()];
                let sent = Instant::now();
                let answer = http.post(url).json(&submission(n, tag)).send().await.unwrap();
                assert!(answer.status().is_success(), "{}", answer.status());
                latencies.push(sent.elapsed().as_secs_f64() * 1e3);
            }
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = clients.join_next().await {
        latencies.extend(done.unwrap());
    }
    (started.elapsed().as_secs_f64(), latencies)
}

/// Offers `rate` submissions per second for `seconds`; each latency in ms.
async fn open_loop(
    http: &reqwest::Client,
    url: &str,
    rate: u64,
    seconds: u64,
    tag: &'static str,
) -> Vec<f64> {
    let mut sends = tokio::task::JoinSet::new();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    for n in 0..(rate * seconds) as usize {
        ticker.tick().await;
        let (http, url) = (http.clone(), url.to_owned());
        sends.spawn(async move {
            let sent = Instant::now();
            let answer = http.post(&url).json(&submission(n, tag)).send().await.unwrap();
            assert!(answer.status().is_success());
            sent.elapsed().as_secs_f64() * 1e3
        });
    }
    let mut latencies = Vec::new();
    while let Some(latency) = sends.join_next().await {
        latencies.push(latency.unwrap());
    }
    latencies
}

fn count_with_prefix(fake: &kform_fake_kintone::FakeKintone, prefix: &str) -> usize {
    fake.state()
        .records(1)
        .iter()
        .filter(|r| r["会社名"]["value"].as_str().is_some_and(|c| c.starts_with(prefix)))
        .count()
}

/// Writes `kform.toml` into `dir` with `store` (its `data_dir` or `database_url` line) and starts
/// the relay; the child and its base URL. Its start-up warnings (logged by the binary, whose
/// target is `kform`) are left out: it serves no widget here, which it would warn about at every
/// start. The crates' own warnings (`kform_relay`, `kform_kintone`: a target matches a directive
/// it starts with, and the longer directive wins) still show.
fn start_relay(
    dir: &std::path::Path,
    kintone_url: &str,
    store: &str,
) -> (std::process::Child, String) {
    std::fs::write(dir.join("contact.json"), include_str!("../src/demo-form.json")).unwrap();
    let toml = format!(
        "listen = \"127.0.0.1:0\"\n{store}\n[limits]\nper_ip_burst = 1000000\n[spam]\nmin_fill_seconds = 0\n\
         [connections.demo]\nbase_url = \"{kintone_url}\"\nallow_any_host = true\n[connections.demo.apps.1]\ntokens = [\"{TOKEN}\"]\n\
         [[forms]]\nfile = \"contact.json\"\nconnection = \"demo\"\n",
    );
    std::fs::write(dir.join("kform.toml"), toml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kform"))
        .args(["serve", "--config", "kform.toml"])
        .current_dir(dir)
        .env("RUST_LOG", "warn,kform=error,kform_=warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().trim_start_matches("listening on ").to_owned();
    (child, base)
}

/// The same figures on PostgreSQL (a local server with `fsync` on, as in production): durable
/// accepts per second with one relay and with three on one database, accept p99 at 1,000/s,
/// and kintone write requests for a burst of 10,000 spread over three relays.
async fn postgres_figures(
    fake: &kform_fake_kintone::FakeKintone,
    http: &reqwest::Client,
) -> Vec<Value> {
    let durable = kform_testdb::Options { durable: true };
    let writes =
        || fake.state().stats()["byEndpoint"]["POST /k/v1/records.json"].as_u64().unwrap_or(0);
    let mut rows = Vec::new();
    // One relay.
    let url = kform_testdb::database_with(durable).unwrap_or_else(|err| panic!("{err}"));
    let dir = tempfile::tempdir().unwrap();
    let (mut one, base) = start_relay(dir.path(), fake.url(), &format!("database_url = \"{url}\""));
    http.get(format!("{base}/v1/forms/contact")).send().await.unwrap();
    let submit = format!("{base}/v1/forms/contact/submissions");
    let mut offered = open_loop(http, &submit, 1_000, 5, "pg-rate").await;
    let p99 = percentile(&mut offered, 99.0);
    eprintln!("PostgreSQL, accept at 1,000/s: p99 {p99:.1} ms");
    while count_with_prefix(fake, "pg-rate-") < 5_000 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (seconds, _) = closed_loop(http, &[submit], BURST, 64, "pg1").await;
    let one_relay = BURST as f64 / seconds;
    while count_with_prefix(fake, "pg1-") < BURST {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    one.kill().unwrap();
    one.wait().unwrap();
    // Three relays on one database, a burst spread over all three.
    let url = kform_testdb::database_with(durable).unwrap_or_else(|err| panic!("{err}"));
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut relays = Vec::new();
    let mut urls = Vec::new();
    for dir in &dirs {
        let (child, base) =
            start_relay(dir.path(), fake.url(), &format!("database_url = \"{url}\""));
        http.get(format!("{base}/v1/forms/contact")).send().await.unwrap();
        relays.push(child);
        urls.push(format!("{base}/v1/forms/contact/submissions"));
    }
    let before = writes();
    let (seconds, _) = closed_loop(http, &urls, BURST, 96, "pg3").await;
    let three_relays = BURST as f64 / seconds;
    while count_with_prefix(fake, "pg3-") < BURST {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let burst_writes = writes() - before;
    for relay in &mut relays {
        relay.kill().unwrap();
        relay.wait().unwrap();
    }
    eprintln!(
        "PostgreSQL: {one_relay:.0} accepts/s with one relay, {three_relays:.0}/s with three; {burst_writes} writes for a burst of {BURST} over three"
    );
    rows.push(json!({ "figure": "PostgreSQL: durable accepts/s, one relay", "kform": one_relay, "naive": Value::Null, "target": "-" }));
    rows.push(json!({ "figure": "PostgreSQL: durable accepts/s, three relays", "kform": three_relays, "naive": Value::Null, "target": "≥ 3,000" }));
    rows.push(json!({ "figure": "PostgreSQL: accept p99 at 1,000/s (ms)", "kform": p99, "naive": Value::Null, "target": "-" }));
    rows.push(json!({ "figure": "PostgreSQL: write requests, 10,000 over three", "kform": burst_writes, "naive": BURST, "target": "≤ 110" }));
    rows
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let fake = spawn(Apps::demo(TOKEN)).await.unwrap();
    fake.state().add_fault(Fault { millis: Some(LATENCY_MS), ..Fault::new(FaultKind::Latency) });
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = start_relay(dir.path(), fake.url(), "data_dir = \"data\"");
    let url = format!("{base}/v1/forms/contact/submissions");
    #[expect(
        clippy::disallowed_methods,
        reason = "the benchmark's client for the relay and the naive connector"
    )]
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    http.get(format!("{base}/v1/forms/contact")).send().await.unwrap();
    let writes =
        || fake.state().stats()["byEndpoint"]["POST /k/v1/records.json"].as_u64().unwrap_or(0);

    // 1. Accept latency at 1,000 submissions/s offered, for 5 s (first, while kintone is empty).
    let mut offered = open_loop(&http, &url, 1_000, 5, "rate").await;
    let p99_at_1000 = percentile(&mut offered, 99.0);
    let p50_at_1000 = percentile(&mut offered, 50.0);
    eprintln!("accept at 1,000/s: p50 {p50_at_1000:.1} ms, p99 {p99_at_1000:.1} ms");
    while count_with_prefix(&fake, "rate-") < 5_000 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before_burst = writes();

    // 2. A burst of 10,000: durable accepts per second, kintone write requests, peak RSS.
    let (seconds, _) = closed_loop(&http, std::slice::from_ref(&url), BURST, 64, "burst").await;
    let accepts_per_second = BURST as f64 / seconds;
    let burst_started = Instant::now();
    while count_with_prefix(&fake, "burst-") < BURST {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let burst_delivered_after = burst_started.elapsed().as_secs_f64() + seconds;
    let burst_writes = writes() - before_burst;
    let rss = peak_rss_mb(child.id());

    // 3. Accept → kintone at 1 submission/s.
    let mut to_kintone = Vec::new();
    for n in 0..20 {
        let tag = format!("trickle-{n}-");
        let body = json!({ "submission_id": uuid::Uuid::new_v4().to_string(), "values": {
            "会社名": format!("{tag}x"), "メールアドレス": "t@example.com" } });
        let sent = Instant::now();
        assert!(http.post(&url).json(&body).send().await.unwrap().status().is_success());
        while count_with_prefix(&fake, &tag) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        to_kintone.push(sent.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(sent.elapsed())).await;
    }
    let p95_to_kintone = percentile(&mut to_kintone, 95.0);
    let rss = rss.max(peak_rss_mb(child.id()));
    child.kill().unwrap();
    child.wait().unwrap();

    // The naive connector, same fake, same latency: one synchronous record.json per submission.
    let naive_url = format!("{}/k/v1/record.json", fake.url());
    let naive = |n: usize| json!({ "app": 1, "record": { "会社名": { "value": format!("naive-{n}") }, "メールアドレス": { "value": "n@example.com" } } });
    let naive_count = 1_000;
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..64 {
        let (http, url, next) = (http.clone(), naive_url.clone(), next.clone());
        clients.spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= naive_count {
                    return;
                }
                let answer = http
                    .post(&url)
                    .header("X-Cybozu-API-Token", TOKEN)
                    .json(&naive(n))
                    .send()
                    .await
                    .unwrap();
                assert!(answer.status().is_success(), "{}", answer.status());
            }
        });
    }
    while clients.join_next().await.is_some() {}
    let naive_per_second = naive_count as f64 / started.elapsed().as_secs_f64();
    let mut naive_latency = Vec::new();
    for n in 0..20 {
        let sent = Instant::now();
        http.post(&naive_url)
            .header("X-Cybozu-API-Token", TOKEN)
            .json(&naive(100_000 + n))
            .send()
            .await
            .unwrap();
        naive_latency.push(sent.elapsed().as_secs_f64() * 1e3);
    }
    let naive_p95 = percentile(&mut naive_latency, 95.0);

    let postgres = postgres_figures(&fake, &http).await;
    let mut rows = json!([
        { "figure": "kintone write requests for a burst of 10,000", "kform": burst_writes, "naive": BURST, "target": "≤ 105" },
        { "figure": "burst fully delivered after (s)", "kform": burst_delivered_after, "naive": BURST as f64 / naive_per_second, "target": "-" },
        { "figure": "durable accepts per second (64 clients)", "kform": accepts_per_second, "naive": naive_per_second, "target": "≥ 5,000" },
        { "figure": "accept p99 at 1,000/s offered (ms)", "kform": p99_at_1000, "naive": Value::Null, "target": "≤ 25" },
        { "figure": "accept → kintone p95 at 1/s (ms)", "kform": p95_to_kintone, "naive": naive_p95, "target": "≤ 1,500" },
        { "figure": "relay peak RSS (MB)", "kform": rss, "naive": Value::Null, "target": "≤ 60" },
    ]);
    rows.as_array_mut().unwrap().extend(postgres);
    eprintln!(
        "\ndelivery benchmark: fake kintone with {LATENCY_MS} ms per call; naive = one synchronous record.json per submission (64 clients; its burst time is from 1,000 submissions)"
    );
    eprintln!("{:<46} {:>12} {:>12} {:>10}", "figure", "kform", "naive", "target");
    for row in rows.as_array().unwrap() {
        let show =
            |value: &Value| value.as_f64().map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        eprintln!(
            "{:<46} {:>12} {:>12} {:>10}",
            row["figure"].as_str().unwrap(),
            show(&row["kform"]),
            show(&row["naive"]),
            row["target"].as_str().unwrap()
        );
    }
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-delivery.json");
    std::fs::write(out, serde_json::to_string_pretty(&rows).unwrap()).unwrap();
}
