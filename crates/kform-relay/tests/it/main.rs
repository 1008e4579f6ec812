//! The relay's HTTP API through `app(state).oneshot(…)`, against the fake kintone over real TCP.
#![allow(clippy::unwrap_used, reason = "a failed step should fail the test loudly")]

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kform_fake_kintone::{Apps, FakeKintone, spawn};
use kform_kintone::{ApiToken, Auth, Client};
use kform_relay::config::Config;
use kform_relay::demo::{demo_config, demo_form};
use kform_relay::secret::Secret;
use kform_relay::{AppState, app, serve};
use serde_json::{Value, json};
use tower::ServiceExt;

mod admin;
mod cli;
mod crash;
mod delivery;
mod integration;
mod mail;
mod operator;
mod ops;
mod pages;
mod public;
mod serve_cli;
mod shared;
mod slow;

const TOKEN: &str = "relay-canary-token-0123456789";
const ADMIN: &str = "admin-canary-key-0123456789";
const INTEGRATION: &str = "integration-canary-key-0123456789";

struct Harness {
    fake: FakeKintone,
    state: AppState,
    _dir: tempfile::TempDir,
}

/// The demo app and form, with admin and integration keys and no minimum fill time.
async fn harness() -> Harness {
    harness_with(Apps::demo(TOKEN), TOKEN, |_| {}).await
}

async fn harness_with(apps: Apps, token: &str, tweak: impl FnOnce(&mut Config)) -> Harness {
    harness_on_clock(apps, token, tweak, std::sync::Arc::new(kform_relay::clock::SystemClock)).await
}

/// [`harness_with`] on `clock`, which a test may move instead of sleeping.
async fn harness_on_clock(
    apps: Apps,
    token: &str,
    tweak: impl FnOnce(&mut Config),
    clock: std::sync::Arc<dyn kform_relay::clock::Clock>,
) -> Harness {
    let fake = spawn(apps).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(fake.url(), token, demo_form().unwrap(), dir.path(), None);
    config.spam.min_fill = Duration::ZERO;
    config.admin_keys = vec![Secret::new(ADMIN)];
    config.integration_keys = vec![Secret::new(INTEGRATION)];
    // Quick batches and retries, so tests wait milliseconds for delivery.
    config.delivery.linger_ms = 20;
    config.delivery.retry_base_ms = 20;
    config.delivery.retry_cap_ms = 200;
    // Bursts from one test client are not abuse; the rate-limit test sets its own limit.
    config.limits.per_ip_burst = 100_000;
    config.database_url = shared_store(dir.path());
    tweak(&mut config);
    let state = serve::open_with_clock(&config, clock).await.unwrap();
    Harness { fake, state, _dir: dir }
}

/// Whether these tests run on PostgreSQL: `KFORM_TEST_STORE=postgres`, the second run of the
/// relay's tests that `cargo xtask test` makes.
fn on_postgres() -> bool {
    std::env::var("KFORM_TEST_STORE").as_deref() == Ok("postgres")
}

/// On PostgreSQL, the database that holds the state of the relay with data directory `dir`
/// (else `None`: the data directory itself), so a relay reopened on `dir` finds its state.
fn shared_store(dir: &std::path::Path) -> Option<Secret> {
    on_postgres().then(|| {
        let url = kform_testdb::database_for(&dir.display().to_string());
        Secret::new(url.unwrap_or_else(|e| panic!("{e}")))
    })
}

/// Runs one SQL statement with no parameters on the relay's store for data directory `dir`.
fn store_execute(dir: &std::path::Path, sql: &str) -> u64 {
    match shared_store(dir) {
        Some(url) => std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let mut db = postgres::Client::connect(url.expose(), postgres::NoTls).unwrap();
                    db.execute(sql, &[]).unwrap()
                })
                .join()
                .unwrap()
        }),
        None => {
            let db = rusqlite::Connection::open(dir.join("kform.sqlite3")).unwrap();
            db.busy_timeout(Duration::from_secs(5)).unwrap();
            db.execute(sql, []).unwrap() as u64
        }
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
    body: Value,
}

async fn send(state: &AppState, request: Request<Body>) -> Answer {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Answer { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::Null), text }
}

fn submit(body: &str, lang: Option<&str>) -> Request<Body> {
    let mut request =
        Request::post("/v1/forms/contact/submissions").header("content-type", "application/json");
    if let Some(lang) = lang {
        request = request.header("accept-language", lang);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

/// A `multipart/form-data` POST: the `submission` JSON part, then one part per
/// `(field code, file name, bytes)`.
fn multipart(path: &str, submission: &Value, files: &[(&str, &str, &[u8])]) -> Request<Body> {
    let boundary = "kform-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"submission\"\r\nContent-Type: application/json\r\n\r\n{submission}\r\n"
    )
    .into_bytes();
    for (field, name, bytes) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post(path)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap()
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

/// A request with a bearer key and an optional JSON body.
fn bearer(method: &str, path: &str, key: &str, body: Option<Value>) -> Request<Body> {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {key}"));
    match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
        None => request.body(Body::empty()).unwrap(),
    }
}

async fn kintone_records(fake: &FakeKintone) -> Vec<Value> {
    let client =
        Client::new(fake.url(), None, Auth::ApiTokens(vec![ApiToken::new(TOKEN)])).unwrap();
    client.records(kform_core::AppId(1), "limit 500").await.unwrap()
}

/// Starts `command` (a `kform serve` or `kform fake-kintone`) with its standard output piped;
/// the child and the address its first line announces (`listening on …`).
fn spawn_listening(mut command: std::process::Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = command.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("listening on ");
    let address = address.unwrap_or_else(|| panic!("the first line was {line:?}")).to_owned();
    (child, address)
}

/// Polls `probe` every 20 ms until it answers `Ok`, for at most 10 s: the one wait the tests use
/// for work the relay does in the background. On time out it panics with `what` and the last
/// `Err` the probe gave (what it saw instead).
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut last = String::new();
    for _ in 0..500 {
        match probe().await {
            Ok(found) => return found,
            Err(seen) => last = seen,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what} within 10 s; last seen: {last}");
}

/// The fake kintone's records once there are `count` (delivery runs in the background).
async fn records_eventually(fake: &FakeKintone, count: usize) -> Vec<Value> {
    let records = eventually(&format!("kintone should have {count} records"), || async move {
        let records = kintone_records(fake).await;
        if records.len() >= count { Ok(records) } else { Err(format!("{records:#?}")) }
    })
    .await;
    assert_eq!(records.len(), count, "more records than expected: {records:#?}");
    records
}

/// The admin API's view of a submission once it reaches `stage`.
async fn stage_eventually(state: &AppState, form: &str, id: &str, stage: &str) -> Value {
    let path = &format!("/v1/admin/forms/{form}/submissions/{id}");
    eventually(&format!("submission {id} should reach {stage}"), || async move {
        let shown = send(state, bearer("GET", path, ADMIN, None)).await.body;
        if shown["stage"] == stage { Ok(shown) } else { Err(format!("{shown:#}")) }
    })
    .await
}

/// The demo app with two unique text fields, 受付ID and 会員番号, one record holding member
/// number M-1, and a token that may also edit.
fn apps_with_unique_fields() -> Apps {
    let mut apps = Apps::demo(TOKEN);
    let app = &mut apps.apps[0];
    for code in ["受付ID", "会員番号"] {
        app.properties.insert(
            code.into(),
            json!({ "type": "SINGLE_LINE_TEXT", "code": code, "label": code, "noLabel": false,
                    "required": false, "unique": true, "minLength": "", "maxLength": "",
                    "defaultValue": "", "expression": "", "hideExpression": false }),
        );
    }
    app.records.push(
        serde_json::from_value(json!({
            "会社名": { "value": "既存" }, "メールアドレス": { "value": "x@example.com" },
            "会員番号": { "value": "M-1" }
        }))
        .unwrap(),
    );
    app.tokens[0].permissions.push(kform_fake_kintone::Permission::Edit);
    apps
}

/// The contact form with 会員番号 on it and 受付ID as its idempotency field.
fn with_member_number(config: &mut Config) {
    let spec = &mut config.forms[0].spec;
    spec.items.push(serde_json::from_value(json!({ "field": "会員番号" })).unwrap());
    spec.idempotency_field = Some(kform_core::FieldCode::new("受付ID").unwrap());
}

/// A fresh submission id.
fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
