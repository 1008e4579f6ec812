//! The integration API: server-to-server submissions (JSON and multipart with a file) and
//! record lookup with phone matching.

use super::*;

/// The demo app with a FILE field and a phone LINK field, and three customers on record.
fn apps_with_files_and_phones() -> Apps {
    let mut apps = Apps::demo(TOKEN);
    let app = &mut apps.apps[0];
    app.properties.insert(
        "資料".into(),
        json!({ "type": "FILE", "code": "資料", "label": "資料", "noLabel": false, "required": false, "thumbnailSize": "150" }),
    );
    app.properties.insert(
        "電話".into(),
        json!({ "type": "LINK", "code": "電話", "label": "電話", "noLabel": false, "required": false, "unique": false,
                "minLength": "", "maxLength": "", "defaultValue": "", "protocol": "CALL" }),
    );
    for (company, phone) in
        [("A社", "03-1234-5678"), ("B社", "０３（１２３４）５６７８"), ("C社", "06-9999-5678")]
    {
        app.records.push(serde_json::from_value(json!({
            "会社名": { "value": company }, "メールアドレス": { "value": "a@example.com" }, "電話": { "value": phone }
        })).unwrap());
    }
    app.tokens[0].permissions.push(kform_fake_kintone::Permission::Edit);
    apps
}

pub(super) async fn integration_harness() -> Harness {
    harness_with(apps_with_files_and_phones(), TOKEN, |config| {
        config.forms[0]
            .spec
            .items
            .push(serde_json::from_value(json!({ "field": "資料" })).unwrap());
        config.forms[0]
            .spec
            .items
            .push(serde_json::from_value(json!({ "field": "電話" })).unwrap());
    })
    .await
}

#[tokio::test]
async fn integration_calls_need_the_integration_key() {
    let Harness { fake, state, _dir } = integration_harness().await;
    let body = json!({ "values": valid_values() });
    for key in [None, Some("wrong"), Some(ADMIN)] {
        let mut request = Request::post("/v1/integration/forms/contact/submissions")
            .header("content-type", "application/json");
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let answer = send(&state, request.body(Body::from(body.to_string())).unwrap()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{key:?}");
        let lookup = send(
            &state,
            bearer(
                "GET",
                "/v1/connections/demo/apps/1/lookup?field=電話&value=0312345678",
                key.unwrap_or(""),
                None,
            ),
        )
        .await;
        assert_eq!(lookup.status, StatusCode::UNAUTHORIZED, "{key:?}");
    }
    assert_eq!(kintone_records(&fake).await.len(), 3, "nothing was added");
}

fn valid_values() -> Value {
    json!({ "会社名": "サイボウズ", "メールアドレス": "info@example.com" })
}

#[tokio::test]
async fn a_json_submission_needs_no_render_token_and_has_no_cors() {
    let Harness { fake, state, _dir } =
        harness_with(apps_with_files_and_phones(), TOKEN, |config| {
            config.spam.min_fill = Duration::from_secs(5);
        })
        .await;
    let body = json!({ "submission_id": new_id(), "values": valid_values() });
    let mut request =
        bearer("POST", "/v1/integration/forms/contact/submissions", INTEGRATION, Some(body));
    request.headers_mut().insert("origin", "https://www.example.com".parse().unwrap());
    let answer = send(&state, request).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    assert!(!answer.headers.contains_key("access-control-allow-origin"));
    records_eventually(&fake, 4).await;
}

#[tokio::test]
async fn a_multipart_submission_attaches_its_file_to_the_record() {
    let Harness { fake, state, _dir } = integration_harness().await;
    let submission = json!({ "submission_id": new_id(), "values": { "会社名": "稟議", "メールアドレス": "wf@example.com" } });
    let pdf = b"%PDF-1.4 approved request";
    let path = "/v1/integration/forms/contact/submissions";
    let mut request = multipart(path, &submission, &[("資料", "approval.pdf", pdf)]);
    request.headers_mut().insert("authorization", format!("Bearer {INTEGRATION}").parse().unwrap());
    let answer = send(&state, request).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let records = records_eventually(&fake, 4).await;
    let record = records.iter().find(|record| record["会社名"]["value"] == "稟議").unwrap();
    let files = record["資料"]["value"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{record}");
    assert_eq!(files[0]["name"], "approval.pdf");
    assert_eq!(files[0]["size"], pdf.len().to_string());
    // The history names the file and its size.
    let id = submission["submission_id"].as_str().unwrap();
    let shown = stage_eventually(&state, "contact", id, "delivered").await;
    assert_eq!(
        shown["files"],
        json!([{ "field": "資料", "name": "approval.pdf", "bytes": pdf.len() }])
    );
    // A file part for a field that is not a FILE field is refused before anything is uploaded.
    let wrong = json!({ "values": valid_values() });
    let mut request = multipart(path, &wrong, &[("会社名", "x.pdf", b"x")]);
    request.headers_mut().insert("authorization", format!("Bearer {INTEGRATION}").parse().unwrap());
    let refused = send(&state, request).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("not_a_file_field"))
    );
}

#[tokio::test]
async fn lookup_matches_phone_numbers_however_they_are_written() {
    let Harness { fake: _fake, state, _dir } = integration_harness().await;
    for asked in ["03-1234-5678", "0312345678", "０３１２３４５６７８", "03 1234 5678"] {
        let path = format!(
            "/v1/connections/demo/apps/1/lookup?field=電話&value={}&fields=会社名,電話",
            urlencode(asked)
        );
        let found = send(&state, bearer("GET", &path, INTEGRATION, None)).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.text);
        let companies: Vec<&str> = found.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["会社名"].as_str().unwrap())
            .collect();
        assert_eq!(companies, ["A社", "B社"], "{asked}: not C社, whose number only ends the same");
        assert_eq!(
            found.body["records"][0].as_object().unwrap().len(),
            2,
            "only the fields asked for"
        );
    }
    let exact = send(
        &state,
        bearer(
            "GET",
            &format!("/v1/connections/demo/apps/1/lookup?field=会社名&value={}", urlencode("C社")),
            INTEGRATION,
            None,
        ),
    )
    .await;
    assert_eq!(exact.body["records"].as_array().unwrap().len(), 1, "{}", exact.text);
    let unknown = send(
        &state,
        bearer("GET", "/v1/connections/demo/apps/1/lookup?field=nope&value=1", INTEGRATION, None),
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unknown_field"))
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// A multipart request with one PDF for 資料.
fn with_pdf(id: &str, pdf: &[u8]) -> Request<Body> {
    let boundary = "kform-boundary";
    let submission = json!({ "submission_id": id, "values": { "会社名": "稟議", "メールアドレス": "wf@example.com" } });
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"submission\"\r\n\r\n{submission}\r\n").as_bytes());
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"資料\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
    body.extend_from_slice(pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/v1/integration/forms/contact/submissions")
        .header("authorization", format!("Bearer {INTEGRATION}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap()
}

fn uploads(fake: &FakeKintone) -> u64 {
    fake.state().stats()["byEndpoint"]["POST /k/v1/file.json"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_file_is_uploaded_once_across_retries_and_again_when_its_key_grows_old() {
    let clock = std::sync::Arc::new(kform_relay::clock::ShiftedClock::default());
    let fake = spawn(apps_with_files_and_phones()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = demo_config(fake.url(), TOKEN, demo_form().unwrap(), dir.path(), None);
    config.database_url = shared_store(dir.path());
    config.integration_keys = vec![Secret::new(INTEGRATION)];
    config.forms[0].spec.items.push(serde_json::from_value(json!({ "field": "資料" })).unwrap());
    config.delivery.linger_ms = 0;
    config.delivery.retry_base_ms = 20;
    config.delivery.retry_cap_ms = 100;
    let state = serve::open_with_clock(&config, clock.clone()).await.unwrap();
    send(&state, get("/v1/forms/contact")).await;
    // kintone is down for record writes: the upload succeeds once, the record waits.
    fake.state().add_fault(
        kform_fake_kintone::Fault::new(kform_fake_kintone::FaultKind::Maintenance)
            .on("POST", "*/records.json"),
    );
    assert_eq!(
        send(&state, with_pdf(&new_id(), b"%PDF-1.4 one")).await.status,
        StatusCode::ACCEPTED
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let writes =
        fake.state().stats()["byEndpoint"]["POST /k/v1/records.json"].as_u64().unwrap_or(0);
    assert!(writes >= 3, "tried {writes} times");
    assert_eq!(uploads(&fake), 1, "a retry reuses the upload key");
    // Two days on, kintone is about to forget the key: it is uploaded again before sending.
    clock.advance(2 * 86_400_000 + 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.state().clear_faults();
    let records = records_eventually(&fake, 4).await;
    assert_eq!(uploads(&fake), 2);
    let record = records.iter().find(|record| record["会社名"]["value"] == "稟議").unwrap();
    assert_eq!(record["資料"]["value"][0]["size"], "12");
    // The relay's copy is gone once kintone has the file.
    let files = dir.path().join("files");
    eventually("the delivered submission's files should go", || {
        let left = if on_postgres() {
            // The count of rows a SELECT returned.
            usize::try_from(store_execute(dir.path(), "SELECT 1 FROM files")).unwrap()
        } else {
            std::fs::read_dir(&files).unwrap().count()
        };
        std::future::ready(if left == 0 { Ok(()) } else { Err(format!("{left} left")) })
    })
    .await;
}
