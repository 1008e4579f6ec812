//! Operations: health, readiness, metrics, the OpenAPI document and the widget bundle.

use base64::Engine;
use sha2::Digest;

use super::*;

#[tokio::test]
async fn health_and_readiness_tell_what_fails() {
    let Harness { fake, state, _dir } = harness().await;
    assert_eq!(send(&state, get("/healthz")).await.body, json!({ "status": "ok" }));
    let ready = send(&state, get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.body["kintone"]["demo"]["ok"], true);
    let metrics = send(&state, get("/metrics")).await;
    assert!(metrics.text.contains("kform_kintone_up{connection=\"demo\"} 1\n"), "{}", metrics.text);
    drop(fake);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // kintone down is reported, but the relay stays ready: its outbox keeps the leads.
    let down = send(&state, get("/readyz")).await;
    assert_eq!(down.status, StatusCode::OK, "{}", down.text);
    assert_eq!(down.body["ready"], true);
    assert_eq!(down.body["kintone"]["demo"]["ok"], false);
    let store = if on_postgres() { "database" } else { "data_dir" };
    assert_eq!(down.body[store]["ok"], true, "{}", down.text);
    assert!(!down.text.contains(TOKEN));
    let metrics = send(&state, get("/metrics")).await;
    assert!(metrics.text.contains("kform_kintone_up{connection=\"demo\"} 0\n"), "{}", metrics.text);
    let kintone = send(&state, bearer("GET", "/v1/admin/kintone", ADMIN, None)).await;
    assert_eq!(kintone.body["kintone"]["demo"]["ok"], false, "{}", kintone.text);
}

#[tokio::test]
async fn readiness_answers_quickly_when_kintone_does_not() {
    // A kintone that takes connections and never answers (a black hole on the network path).
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(&url, TOKEN, demo_form().unwrap(), dir.path(), None);
    config.database_url = shared_store(dir.path());
    let state = serve::open(&config).await.unwrap();
    let ready = send(&state, get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(
        ready.body["kintone"]["demo"]["error"], "kintone did not answer within 2 s",
        "the probe does not wait for the client's 30 s timeout: {}",
        ready.text
    );
    drop(silent);
}

#[tokio::test]
async fn metrics_count_submissions_and_kintone_calls() {
    let Harness { fake, state, _dir } = harness().await;
    let body =
        json!({ "values": { "会社名": "A", "メールアドレス": "a@example.com" } }).to_string();
    let accepted = send(&state, submit(&body, None)).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    records_eventually(&fake, 1).await;
    // kintone has the record a moment before the relay has written down that it does.
    let id = accepted.body["submission_id"].as_str().unwrap();
    stage_eventually(&state, "contact", id, "delivered").await;
    assert_eq!(
        send(&state, submit(r#"{"values": {}}"#, None)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let metrics = send(&state, get("/metrics")).await;
    assert!(
        metrics.headers["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4")
    );
    for line in [
        "kform_submissions_total{form=\"contact\",outcome=\"accepted\"} 1",
        "kform_submissions_total{form=\"contact\",outcome=\"delivered\"} 1",
        "kform_submissions_total{form=\"contact\",outcome=\"invalid\"} 1",
        "kform_kintone_requests_total{endpoint=\"POST records.json\",status=\"200\"} 1",
        "kform_kintone_requests_total{endpoint=\"GET app/form/fields.json\",status=\"200\"} 1",
        "kform_kintone_request_duration_seconds_count{endpoint=\"POST records.json\"} 1",
        "kform_http_requests_total{route=\"/v1/forms/{form_id}/submissions\",status=\"202\"} 1",
        "kform_outbox_submissions{form=\"contact\",stage=\"delivered\"} 1",
    ] {
        assert!(metrics.text.lines().any(|l| l == line), "{line} in\n{}", metrics.text);
    }
}

/// The paths the router declares, read from its source (axum's `Router` does not list its
/// routes): every `.route("…"` in `routes.rs` and `routes/*.rs`.
fn routed_paths() -> std::collections::BTreeSet<String> {
    let sources = [
        include_str!("../../src/routes.rs"),
        include_str!("../../src/routes/admin.rs"),
        include_str!("../../src/routes/page.rs"),
        include_str!("../../src/routes/forms.rs"),
        include_str!("../../src/routes/integration.rs"),
        include_str!("../../src/routes/ops.rs"),
        include_str!("../../src/routes/submissions.rs"),
        include_str!("../../src/routes/widget.rs"),
    ];
    let mut paths = std::collections::BTreeSet::new();
    for source in sources {
        for (_, rest) in source.match_indices(".route(").map(|(at, _)| source.split_at(at + 7)) {
            let rest = rest.trim_start();
            if let Some(literal) = rest.strip_prefix('"').and_then(|rest| rest.split_once('"')) {
                paths.insert(literal.0.to_owned());
            }
        }
    }
    // The fallback that answers unknown API paths is not an API path.
    paths.remove("/v1/{*rest}");
    paths
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_no_other() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let doc = send(&state, get("/v1/openapi.json")).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let documented: std::collections::BTreeSet<String> =
        doc.body["paths"].as_object().unwrap().keys().cloned().collect();
    let routed = routed_paths();
    assert!(routed.len() > 30, "only {} routes were found in the source", routed.len());
    let undocumented: Vec<&String> = routed.difference(&documented).collect();
    let unrouted: Vec<&String> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:?}");
    assert!(unrouted.is_empty(), "openapi.json paths no route serves: {unrouted:?}");
}

/// Every route of the OpenAPI document, asked with a method it lacks and with path parameters
/// no handler can read: each answer is JSON `{"message", "code"}` and none is a 5xx.
#[tokio::test]
async fn every_rejection_is_json_sweeping_the_route_table() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let doc = send(&state, get("/v1/openapi.json")).await;
    let paths = doc.body["paths"].as_object().unwrap().clone();
    let mut checked = 0;
    let request = |method: &str, path: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {ADMIN}"))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap()
    };
    for (template, operations) in &paths {
        // The hosted pages answer people, in HTML.
        if template.starts_with("/f/") {
            continue;
        }
        let methods: Vec<String> = operations
            .as_object()
            .unwrap()
            .keys()
            .filter(|key| ["get", "post", "put", "delete", "patch"].contains(&key.as_str()))
            .map(|key| key.to_uppercase())
            .collect();
        let filled = template
            .replace("{form_id}", "contact")
            .replace("{name}", "demo")
            .replace("{app}", "1")
            .replace("{submission_id}", "00000000-0000-4000-8000-000000000000")
            .replace("{file}", "kform.js")
            .replace("{version}", "0123456789ab");
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if methods.iter().any(|m| m == method) {
                continue;
            }
            let answer = send(&state, request(method, &filled)).await;
            assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {filled}");
            assert_eq!(
                answer.body["code"], "method_not_allowed",
                "{method} {filled}: {}",
                answer.text
            );
            assert!(answer.headers.contains_key("allow"), "{method} {filled}");
            checked += 1;
        }
        let unreadable = template
            .replace(['{', '}'], "")
            .split('/')
            .map(
                |segment| {
                    if template.contains(&format!("{{{segment}}}")) { "%ff%fe" } else { segment }
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        if unreadable == *template {
            continue;
        }
        for method in &methods {
            let answer = send(&state, request(method, &unreadable)).await;
            assert!(answer.status.is_client_error(), "{method} {unreadable}: {}", answer.status);
            assert!(
                answer.body["code"].is_string() && answer.body["message"].is_string(),
                "{method} {unreadable}: {} {}",
                answer.status,
                answer.text
            );
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} requests were checked");
    for path in ["/v1/nope", "/v1/forms/contact/nope", "/v1/admin"] {
        let answer = send(&state, request("GET", path)).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }
    let query =
        send(&state, request("GET", "/v1/admin/forms/contact/submissions?limit=lots")).await;
    assert_eq!(query.status, StatusCode::BAD_REQUEST, "{}", query.text);
    assert_eq!(query.body["code"], "bad_request", "{}", query.text);
}

#[tokio::test]
async fn the_widget_is_served_with_types_cache_headers_and_integrity() {
    let widget = tempfile::tempdir().unwrap();
    std::fs::write(widget.path().join("kform.js"), "import './kform_widget.js';").unwrap();
    std::fs::write(widget.path().join("kform_widget.js"), "export default 1;").unwrap();
    std::fs::write(widget.path().join("kform_widget_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(widget.path().join("README.md"), "not served").unwrap();
    let dir = widget.path().to_owned();
    let Harness { fake: _fake, state, _dir } =
        harness_with(Apps::demo(TOKEN), TOKEN, move |config| config.widget_dir = Some(dir)).await;
    let script = send(&state, get("/widget/kform.js")).await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(script.headers["content-type"], "text/javascript; charset=utf-8");
    assert!(script.headers["cache-control"].to_str().unwrap().starts_with("public, max-age=300"));
    assert_eq!(script.headers["access-control-allow-origin"], "*");
    let sri = send(&state, get("/widget/sri.json")).await;
    let wasm = &sri.body["files"]["kform_widget_bg.wasm"];
    let expected = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(b"\0asm\x01\0\0\0"))
    );
    assert_eq!(wasm["integrity"], expected.as_str());
    let versioned = send(&state, get(wasm["path"].as_str().unwrap())).await;
    assert_eq!(versioned.status, StatusCode::OK);
    assert_eq!(versioned.headers["content-type"], "application/wasm");
    assert_eq!(versioned.headers["cache-control"], "public, max-age=31536000, immutable");
    assert!(sri.body["files"].get("README.md").is_none());
    assert_eq!(send(&state, get("/widget/README.md")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&state, get("/widget/0123456789ab/kform.js")).await.body["code"],
        "old_version"
    );
}

#[tokio::test]
async fn the_widget_is_served_compressed_to_browsers_that_accept_it() {
    let widget = tempfile::tempdir().unwrap();
    std::fs::write(widget.path().join("kform.js"), "export default 1;").unwrap();
    std::fs::write(widget.path().join("kform.js.br"), "brotli bytes").unwrap();
    std::fs::write(widget.path().join("kform.js.gz"), "gzip bytes").unwrap();
    std::fs::write(widget.path().join("kform_widget_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let dir = widget.path().to_owned();
    let Harness { fake: _fake, state, _dir } =
        harness_with(Apps::demo(TOKEN), TOKEN, move |config| config.widget_dir = Some(dir)).await;
    let fetch = |path: &'static str, accept: &'static str| {
        let state = state.clone();
        async move {
            let request = Request::get(path).header("accept-encoding", accept).body(Body::empty());
            send(&state, request.unwrap()).await
        }
    };
    let cases = [
        ("gzip, deflate, br, zstd", Some("br"), "brotli bytes"),
        ("gzip", Some("gzip"), "gzip bytes"),
        ("br;q=0, gzip;q=0.5", Some("gzip"), "gzip bytes"),
        ("*", Some("br"), "brotli bytes"),
        ("identity", None, "export default 1;"),
        ("gzip;q=0", None, "export default 1;"),
    ];
    let mut tags = std::collections::BTreeSet::new();
    for (accept, coding, body) in cases {
        let answer = fetch("/widget/kform.js", accept).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept}");
        let encoding = answer.headers.get("content-encoding").map(|v| v.to_str().unwrap());
        assert_eq!(encoding, coding, "{accept}");
        assert_eq!(answer.text, body, "{accept}");
        assert_eq!(answer.headers["vary"], "accept-encoding");
        tags.insert(answer.headers["etag"].to_str().unwrap().to_owned());
    }
    assert_eq!(tags.len(), 3, "each coding has its own ETag: {tags:?}");
    // A file without encodings beside it is served as it is; the encodings are not files.
    let wasm = fetch("/widget/kform_widget_bg.wasm", "gzip, br").await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert!(wasm.headers.get("content-encoding").is_none());
    assert_eq!(send(&state, get("/widget/kform.js.br")).await.status, StatusCode::NOT_FOUND);
    let sri = send(&state, get("/widget/sri.json")).await;
    let expected = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha384::digest(b"export default 1;"))
    );
    assert_eq!(
        sri.body["files"]["kform.js"]["integrity"],
        expected.as_str(),
        "SRI is of the decoded file"
    );
}

#[tokio::test]
async fn readiness_spends_no_api_call_and_maintenance_keeps_the_relay_ready() {
    let Harness { fake, state, _dir } = harness().await;
    for _ in 0..3 {
        assert_eq!(send(&state, get("/readyz")).await.status, StatusCode::OK);
    }
    assert_eq!(fake.state().stats()["daily"]["byApp"], json!({}), "no app's daily count moved");
    fake.state()
        .add_fault(kform_fake_kintone::Fault::new(kform_fake_kintone::FaultKind::Maintenance));
    let maintenance = send(&state, get("/readyz")).await;
    assert_eq!(maintenance.status, StatusCode::OK, "{}", maintenance.text);
    assert_eq!(maintenance.body["kintone"]["demo"]["ok"], false, "{}", maintenance.text);
    assert!(
        maintenance.body["kintone"]["demo"]["error"].as_str().unwrap().contains("503"),
        "{}",
        maintenance.text
    );
}
