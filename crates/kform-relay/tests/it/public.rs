//! The public form API: schema, submissions, idempotency, errors, CORS, rate limit, spam.

use super::*;

#[tokio::test]
async fn serves_the_form_descriptor_without_secrets() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let answer = send(&state, Request::get("/v1/forms/contact").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["form"]["id"], "contact");
    let fields = answer.body["fields"]["fields"].as_object().unwrap();
    let mut codes: Vec<&str> = fields.keys().map(String::as_str).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        ["お問い合わせ内容", "フォーム識別", "メールアドレス", "会社名", "問い合わせ種別"],
        "only mapped fields"
    );
    assert_eq!(fields["会社名"]["kind"]["limits"]["max_length"], 64);
    assert!(!answer.text.contains(TOKEN), "the token never leaves the relay");
    let unknown = send(&state, Request::get("/v1/forms/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["message"], "there is no form \"nope\"");
}

#[tokio::test]
async fn valid_submission_reaches_kintone_with_the_hidden_identifier() {
    let Harness { fake, state, _dir } = harness().await;
    let body = json!({ "submission_id": "8a1f6c2e-3d7b-4b8e-9a56-0c1d2e3f4a5b", "values": {
        "会社名": "サイボウズ", "メールアドレス": "info@example.com", "問い合わせ種別": "見積依頼",
        "お問い合わせ内容": "見積をお願いします。", "フォーム識別": "forged" } });
    let answer = send(&state, submit(&body.to_string(), None)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    assert_eq!(
        answer.body,
        json!({ "submission_id": "8a1f6c2e-3d7b-4b8e-9a56-0c1d2e3f4a5b", "state": "accepted" })
    );
    let records = records_eventually(&fake, 1).await;
    assert_eq!(records[0]["会社名"]["value"], "サイボウズ");
    assert_eq!(records[0]["問い合わせ種別"]["value"], "見積依頼");
    assert_eq!(records[0]["フォーム識別"]["value"], "demo-contact", "the form's fixed value wins");
    // Once delivered, the same id is answered with the record. kintone has the record a moment
    // before the relay has written down that it does.
    stage_eventually(&state, "contact", "8a1f6c2e-3d7b-4b8e-9a56-0c1d2e3f4a5b", "delivered").await;
    let again = send(&state, submit(&body.to_string(), None)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        again.body,
        json!({ "submission_id": "8a1f6c2e-3d7b-4b8e-9a56-0c1d2e3f4a5b", "state": "delivered", "record_id": "1" })
    );
}

#[tokio::test]
async fn invalid_values_get_422_listing_every_problem_and_nothing_reaches_kintone() {
    let Harness { fake, state, _dir } = harness().await;
    let body =
        json!({ "values": { "会社名": "あ".repeat(65), "問い合わせ種別": "不明" } }).to_string();
    let answer = send(&state, submit(&body, None)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        answer.body["errors"],
        json!([
            { "field": "会社名", "path": "record.会社名.value", "code": "too_long", "max": 64, "message": "65文字より短くなければなりません。" },
            { "field": "メールアドレス", "path": "record.メールアドレス.value", "code": "required", "message": "必須です。" },
            { "field": "問い合わせ種別", "path": "record.問い合わせ種別.value", "code": "not_an_option", "value": "不明", "message": "\"不明\"は選択肢にありません。" }
        ])
    );
    let english = send(&state, submit(r#"{"values": {}}"#, Some("en-US,en;q=0.9"))).await;
    assert_eq!(english.body["errors"][0]["message"], "Required.");
    assert!(kintone_records(&fake).await.is_empty());
}

#[tokio::test]
async fn malformed_requests_say_what_is_wrong() {
    let Harness { fake, state, _dir } = harness().await;
    let broken = send(&state, submit(r#"{"values": {"会社名": "a""#, None)).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert!(broken.body["message"].as_str().unwrap().contains("EOF"), "{}", broken.text);
    // A value of the wrong JSON shape is reported on its field, with every other problem.
    let wrong_shape = send(&state, submit(r#"{"values": {"会社名": true}}"#, None)).await;
    assert_eq!(wrong_shape.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong_shape.text);
    assert_eq!(
        wrong_shape.body["errors"][0]["path"], "record.会社名.value",
        "{}",
        wrong_shape.text
    );
    assert_eq!(wrong_shape.body["errors"][0]["code"], "wrong_shape", "{}", wrong_shape.text);
    // A body of the wrong shape is refused as a whole, saying why.
    let not_a_map = send(&state, submit(r#"{"values": ["会社名"]}"#, None)).await;
    assert_eq!(not_a_map.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_a_map.text);
    assert!(
        not_a_map.body["message"].as_str().unwrap().contains("expected a map"),
        "{}",
        not_a_map.text
    );
    let no_type = send(
        &state,
        Request::post("/v1/forms/contact/submissions").body(Body::from("{}")).unwrap(),
    )
    .await;
    assert_eq!(no_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(no_type.body["message"].as_str().is_some(), "{}", no_type.text);
    let unknown = send(
        &state,
        Request::post("/v1/forms/nope/submissions")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(kintone_records(&fake).await.is_empty());
}

#[tokio::test]
async fn a_record_kintone_refuses_is_dead_lettered_with_kintones_message() {
    // A member number another record already has: the core cannot see it, kintone refuses.
    let Harness { fake: _fake, state, _dir } =
        harness_with(apps_with_unique_fields(), TOKEN, with_member_number).await;
    let id = new_id();
    let values = json!({ "会社名": "A", "メールアドレス": "a@example.com", "会員番号": "M-1" });
    let body = json!({ "submission_id": id, "values": values }).to_string();
    let answer = send(&state, submit(&body, None)).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let dead = stage_eventually(&state, "contact", &id, "dead_letter").await;
    assert_eq!(dead["error"], "会員番号.value: 値がほかのレコードと重複しています。", "{dead:#}");
    let attempt = &dead["attempts"][0];
    assert_eq!(
        (attempt["status"].as_u64(), attempt["code"].as_str()),
        (Some(400), Some("CB_VA01"))
    );
}

#[tokio::test]
async fn unreachable_kintone_is_503_with_a_clear_message() {
    let Harness { fake, state, _dir } = harness().await;
    drop(fake);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let answer = send(&state, Request::get("/v1/forms/contact").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        answer.body["message"],
        "kintone cannot be reached right now, please try again later"
    );
    let submitted = send(&state, submit(r#"{"values": {}}"#, None)).await;
    assert_eq!(submitted.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_wrong_token_is_a_bad_gateway_and_is_never_echoed() {
    let Harness { fake: _fake, state, _dir } =
        harness_with(Apps::demo("the-real-token"), TOKEN, |_| {}).await;
    let answer = send(&state, Request::get("/v1/forms/contact").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert!(!answer.text.contains(TOKEN) && !answer.text.contains("GAIA"), "{}", answer.text);
}

#[tokio::test]
async fn the_demo_form_is_lint_clean_against_the_demo_app() {
    let Harness { fake, _dir, .. } = harness().await;
    let kintone =
        Client::new(fake.url(), None, Auth::ApiTokens(vec![ApiToken::new(TOKEN)])).unwrap();
    let form = demo_form().unwrap();
    let fields = kintone.form_fields(form.app).await.unwrap();
    let problems: Vec<String> =
        kform_core::lint(&fields, &form).iter().map(|i| i.line(kform_core::Locale::En)).collect();
    assert_eq!(problems, Vec::<String>::new());
}

#[tokio::test]
async fn a_test_mode_form_validates_but_never_writes_to_kintone() {
    let Harness { fake, state, _dir } =
        harness_with(Apps::demo(TOKEN), TOKEN, |config| config.forms[0].spec.test_mode = true)
            .await;
    let valid = json!({ "values": { "会社名": "ACME", "メールアドレス": "a@example.com" } });
    let answer = send(&state, submit(&valid.to_string(), None)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["state"], "tested");
    let invalid = send(&state, submit(r#"{"values": {}}"#, None)).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "still validated");
    assert!(kintone_records(&fake).await.is_empty());
}

fn valid_values() -> Value {
    json!({ "会社名": "サイボウズ", "メールアドレス": "info@example.com" })
}

#[tokio::test]
async fn the_schema_has_an_etag_and_a_fresh_render_token_every_time() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let first = send(&state, get("/v1/forms/contact")).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.headers["cache-control"], "private, no-cache");
    assert_eq!(
        first.headers["kform-fields-revision"],
        first.body["fields"]["revision"].as_str().unwrap()
    );
    let token = first.headers["kform-render-token"].to_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let again = send(
        &state,
        Request::get("/v1/forms/contact")
            .header("if-none-match", &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    assert_eq!(again.headers["etag"], etag.as_str());
    assert_ne!(
        again.headers["kform-render-token"],
        token.as_str(),
        "a 304 still carries a new token"
    );
}

#[tokio::test]
async fn the_same_submission_id_gets_the_same_answer_and_one_record() {
    let Harness { fake, state, _dir } = harness().await;
    let id = new_id();
    let body = json!({ "submission_id": id, "values": valid_values() }).to_string();
    let first = send(&state, submit(&body, None)).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    let second = send(&state, submit(&body, None)).await;
    assert_eq!(second.body["submission_id"], first.body["submission_id"]);
    assert!(second.status.is_success(), "{}", second.text);
    records_eventually(&fake, 1).await;
    // kintone has the record a moment before the relay has written down that it does.
    stage_eventually(&state, "contact", &id, "delivered").await;
    let third = send(&state, submit(&body, None)).await;
    assert_eq!((third.status, third.body["state"].as_str()), (StatusCode::OK, Some("delivered")));
    assert_eq!(kintone_records(&fake).await.len(), 1, "a retry never makes a second record");
    let other = json!({ "submission_id": id, "values": { "会社名": "別", "メールアドレス": "b@example.com" } });
    let reused = send(&state, submit(&other.to_string(), None)).await;
    assert_eq!(reused.status, StatusCode::CONFLICT);
    assert_eq!(reused.body["code"], "submission_id_reused");
    let not_uuid = json!({ "submission_id": "1", "values": valid_values() });
    let bad = send(&state, submit(&not_uuid.to_string(), None)).await;
    assert_eq!(
        (bad.status, bad.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_submission_id"))
    );
    assert_eq!(kintone_records(&fake).await.len(), 1);
}

#[tokio::test]
async fn kintone_in_maintenance_is_retried_until_the_record_is_delivered() {
    let Harness { fake, state, _dir } = harness().await;
    send(&state, get("/v1/forms/contact")).await; // Fields are synced before the fault.
    fake.state().add_fault(
        kform_fake_kintone::Fault::new(kform_fake_kintone::FaultKind::Maintenance)
            .on("POST", "*/records.json")
            .times(2),
    );
    let id = new_id();
    let body = json!({ "submission_id": id, "values": valid_values() }).to_string();
    let accepted = send(&state, submit(&body, None)).await;
    assert_eq!(
        accepted.status,
        StatusCode::ACCEPTED,
        "kintone's maintenance is the relay's business"
    );
    let delivered = stage_eventually(&state, "contact", &id, "delivered").await;
    let statuses: Vec<u64> = delivered["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [503, 503, 200], "{delivered:#}");
    assert_eq!(kintone_records(&fake).await.len(), 1);
}

fn from_origin(method: &str, path: &str, origin: &str, body: Option<&str>) -> Request<Body> {
    let request = Request::builder().method(method).uri(path).header("origin", origin);
    match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap(),
        None => request.body(Body::empty()).unwrap(),
    }
}

#[tokio::test]
async fn only_the_forms_allowed_origins_get_cors_and_others_are_refused() {
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.forms[0].allowed_origins = vec!["https://www.example.com".into()];
    })
    .await;
    let allowed =
        send(&state, from_origin("GET", "/v1/forms/contact", "https://www.example.com", None))
            .await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert_eq!(allowed.headers["access-control-allow-origin"], "https://www.example.com");
    let exposed = allowed.headers["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("kform-render-token") && exposed.contains("kform-wasm"), "{exposed}");
    let preflight = send(
        &state,
        from_origin("OPTIONS", "/v1/forms/contact/submissions", "https://www.example.com", None),
    )
    .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers["access-control-allow-methods"], "GET, POST");
    for origin in [
        "https://evil.example",
        "https://www.example.com.evil.net",
        "http://www.example.com",
        "null",
    ] {
        let body = json!({ "values": valid_values() }).to_string();
        let refused =
            send(&state, from_origin("POST", "/v1/forms/contact/submissions", origin, Some(&body)))
                .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(refused.body["code"], "origin_not_allowed");
        // The page may read why (and nothing else): origin_not_allowed, not "relay down".
        assert_eq!(refused.headers["access-control-allow-origin"], origin, "{origin}");
        assert!(!refused.headers.contains_key("access-control-expose-headers"));
        let preflight =
            send(&state, from_origin("OPTIONS", "/v1/forms/contact/submissions", origin, None))
                .await;
        assert_eq!(preflight.status, StatusCode::FORBIDDEN);
        assert!(!preflight.headers.contains_key("access-control-allow-origin"));
    }
    assert!(
        kintone_records(&fake).await.is_empty(),
        "nothing from a refused origin reaches kintone"
    );
    // The relay's own pages (the demo) are same-origin.
    let own = send(
        &state,
        Request::get("/v1/forms/contact")
            .header("origin", "http://relay.local:8080")
            .header("host", "relay.local:8080")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
}

#[tokio::test]
async fn the_rate_limit_answers_429_per_client_address() {
    let Harness { fake: _fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.limits.per_ip_per_minute = 1;
        config.limits.per_ip_burst = 3;
    })
    .await;
    let router = app(state.clone());
    let from = |ip: [u8; 4], forwarded: &str| {
        let mut request = Request::get("/v1/forms/nope")
            .header("x-forwarded-for", forwarded)
            .body(Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((ip, 1234))));
        request
    };
    for _ in 0..3 {
        let answer = router.clone().oneshot(from([198, 51, 100, 1], "1.1.1.1")).await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    }
    // A forged X-Forwarded-For does not buy a new quota: no proxy is trusted by default.
    let limited = router.clone().oneshot(from([198, 51, 100, 1], "2.2.2.2")).await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    let bytes = axum::body::to_bytes(limited.into_body(), usize::MAX).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["code"], "rate_limited");
    let other = router.clone().oneshot(from([198, 51, 100, 2], "1.1.1.1")).await.unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "another address has its own quota");
    // The hosted pages count against it; their stylesheets do not (a visit is one request).
    let at = |path: &str| {
        let mut request = Request::get(path).body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([198, 51, 100, 3], 1))));
        router.clone().oneshot(request)
    };
    for path in ["/f/kform.css", "/f/contact/theme.css"].repeat(3) {
        assert_eq!(at(path).await.unwrap().status(), StatusCode::OK, "{path}");
    }
    for _ in 0..3 {
        assert_eq!(at("/f/contact").await.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(at("/f/contact").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn retry_after_is_never_zero_and_says_when_a_retry_passes() {
    // 600 a minute: one request every 100 ms, so the wait is under a second.
    let Harness { fake: _fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.limits.per_ip_per_minute = 600;
        config.limits.per_ip_burst = 1;
    })
    .await;
    let router = app(state.clone());
    let request = || {
        let mut request = Request::get("/v1/forms/nope").body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([198, 51, 100, 9], 1))));
        request
    };
    assert_eq!(router.clone().oneshot(request()).await.unwrap().status(), StatusCode::NOT_FOUND);
    let limited = router.clone().oneshot(request()).await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(wait, 1, "a wait under a second is rounded up to one, not down to zero");
    let bytes = axum::body::to_bytes(limited.into_body(), usize::MAX).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["message"], "too many requests from this address; try again in 1 second");
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let retried = router.clone().oneshot(request()).await.unwrap();
    assert_eq!(retried.status(), StatusCode::NOT_FOUND, "a retry after Retry-After passes");
}

#[tokio::test]
async fn oversized_bodies_are_413_and_security_headers_are_set() {
    let Harness { fake, state, _dir } = harness().await;
    let big = json!({ "values": { "お問い合わせ内容": "x".repeat(70 * 1024) } }).to_string();
    let answer = send(&state, submit(&big, None)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", answer.text);
    assert_eq!(answer.body["code"], "body_too_large");
    assert_eq!(answer.headers["x-content-type-options"], "nosniff");
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert!(
        answer.headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'")
    );
    assert!(answer.headers.contains_key("x-request-id"));
    assert!(kintone_records(&fake).await.is_empty());
}

#[tokio::test]
async fn the_honeypot_and_the_fill_time_stop_robots() {
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.spam.min_fill = Duration::from_millis(300);
    })
    .await;
    let served = send(&state, get("/v1/forms/contact")).await;
    let token = served.headers["kform-render-token"].to_str().unwrap().to_owned();
    let with = |token: Option<&str>, honeypot: Option<&str>| {
        json!({ "submission_id": new_id(), "values": valid_values(), "render_token": token, "honeypot": honeypot }).to_string()
    };
    let fast = send(&state, submit(&with(Some(&token), None), None)).await;
    assert_eq!(
        (fast.status, fast.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("too_fast"))
    );
    let missing = send(&state, submit(&with(None, None), None)).await;
    assert_eq!(missing.body["code"], "render_token_missing");
    let forged = send(&state, submit(&with(Some("e30.AAAA"), None), None)).await;
    assert_eq!(forged.body["code"], "render_token_invalid");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let robot = send(&state, submit(&with(Some(&token), Some("http://spam.example")), None)).await;
    assert_eq!(robot.status, StatusCode::ACCEPTED, "a robot is told nothing");
    assert_eq!(robot.body["state"], "accepted");
    assert!(kintone_records(&fake).await.is_empty());
    let person = send(&state, submit(&with(Some(&token), Some("")), None)).await;
    assert_eq!(person.status, StatusCode::ACCEPTED, "{}", person.text);
    records_eventually(&fake, 1).await;
}

#[tokio::test]
async fn an_out_of_date_form_gets_a_new_render_token_to_be_sent_again_with() {
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.spam.min_fill = Duration::from_millis(300);
        config.spam.max_age = Duration::from_millis(600);
    })
    .await;
    let served = send(&state, get("/v1/forms/contact")).await;
    let token = served.headers["kform-render-token"].to_str().unwrap().to_owned();
    let with = |token: &str| {
        json!({ "submission_id": new_id(), "values": valid_values(), "render_token": token, "honeypot": "" }).to_string()
    };
    let renewed = |answer: &Answer| answer.body["render_token"].as_str().unwrap().to_owned();
    // Open for longer than the form's age: refused, with a new token dated back by the fill
    // time, so the same form sent again at once goes through.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let expired = send(&state, submit(&with(&token), None)).await;
    assert_eq!(
        (expired.status, expired.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("render_token_expired"))
    );
    let again = send(&state, submit(&with(&renewed(&expired)), None)).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    // A forged token gets a new one too, counted from now: sent at once, it is too fast; after
    // the fill time, it goes through.
    let forged = send(&state, submit(&with("e30.AAAA"), None)).await;
    assert_eq!(forged.body["code"], "render_token_invalid");
    let fresh = renewed(&forged);
    assert_eq!(send(&state, submit(&with(&fresh), None)).await.body["code"], "too_fast");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let later = send(&state, submit(&with(&fresh), None)).await;
    assert_eq!(later.status, StatusCode::ACCEPTED, "{}", later.text);
    records_eventually(&fake, 2).await;
}

/// A captcha verifier on loopback that accepts the token `pass` with the right secret.
async fn fake_verifier() -> (String, tokio::task::JoinHandle<()>) {
    use axum::routing::post;
    let verify = post(
        |axum::extract::Form(form): axum::extract::Form<
            std::collections::HashMap<String, String>,
        >| async move {
            let ok = form.get("secret").map(String::as_str) == Some("captcha-secret")
                && form.get("response").map(String::as_str) == Some("pass");
            axum::Json(
                json!({ "success": ok, "error-codes": if ok { json!([]) } else { json!(["invalid-input-response"]) } }),
            )
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/siteverify", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route("/siteverify", verify)).await.unwrap();
    });
    (url, server)
}

#[tokio::test]
async fn a_captcha_form_needs_a_token_the_verifier_accepts() {
    let (verify_url, _server) = fake_verifier().await;
    let Harness { fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.spam.captcha = Some(kform_relay::config::Captcha {
            provider: kform_relay::config::CaptchaProvider::Turnstile,
            site_key: "site-key".into(),
            secret: Secret::new("captcha-secret"),
            verify_url,
        });
        config.forms[0].captcha = true;
    })
    .await;
    let served = send(&state, get("/v1/forms/contact")).await;
    assert_eq!(served.body["captcha"], json!({ "provider": "turnstile", "site_key": "site-key" }));
    assert!(!served.text.contains("captcha-secret"));
    // The challenge is kform.js's, so the lean .wasm takes the form over; its markup names the
    // provider and the site key for the script.
    let markup = send(&state, get("/v1/forms/contact/html")).await;
    assert_eq!(markup.headers["kform-wasm"], "lean");
    assert!(
        markup.text.contains(r#"<slot name="captcha" data-kform-captcha="turnstile" data-kform-site-key="site-key" data-kform-lang="ja"></slot>"#),
        "{}",
        markup.text
    );
    let with = |token: Option<&str>| {
        json!({ "submission_id": new_id(), "values": valid_values(), "captcha_token": token })
            .to_string()
    };
    let none = send(&state, submit(&with(None), None)).await;
    assert_eq!(none.body["code"], "captcha_required");
    let wrong = send(&state, submit(&with(Some("fail")), None)).await;
    assert_eq!(
        (wrong.status, wrong.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("captcha_failed"))
    );
    assert!(kintone_records(&fake).await.is_empty());
    let right = send(&state, submit(&with(Some("pass")), None)).await;
    assert_eq!(right.status, StatusCode::ACCEPTED, "{}", right.text);
    records_eventually(&fake, 1).await;
    // kform.js's basic mode posts the form with the answer in `kform_captcha_token`, and the
    // same checks apply. A post without that input came from a page where no script showed
    // the challenge.
    let post = |token: Option<&str>| {
        let mut pairs = vec![("会社名", "キャプチャ"), ("メールアドレス", "basic@example.com")];
        pairs.extend(token.map(|token| ("kform_captcha_token", token)));
        super::pages::post_form("/v1/forms/contact/html", &pairs)
    };
    let alert = |answer: &Answer| {
        let start = answer.text.find(r#"<div class="kform-alert""#).expect("an alert");
        let end = start + answer.text[start..].find("</div>").unwrap();
        answer.text[start..end].to_owned()
    };
    let no_script = send(&state, post(None)).await;
    assert_eq!(no_script.headers["kform-outcome"], "refused", "{}", no_script.text);
    assert!(alert(&no_script).contains("JavaScript が必要です"), "{}", alert(&no_script));
    for token in ["", "fail"] {
        let refused = send(&state, post(Some(token))).await;
        assert_eq!(refused.headers["kform-outcome"], "refused", "{token:?}");
        assert!(
            alert(&refused).contains("ロボットでないことを確認できませんでした。"),
            "{token:?}: {}",
            alert(&refused)
        );
        assert!(refused.text.contains(r#"value="キャプチャ""#), "the values are kept");
    }
    let sent = send(&state, post(Some("pass"))).await;
    assert_eq!(sent.headers["kform-outcome"], "sent", "{}", sent.text);
    // The hosted page lets the provider's challenge in (its script and frame), for kform.js to
    // show where a script runs; nothing else is added.
    let hosted = send(&state, get("/f/contact")).await;
    assert_eq!(
        hosted.headers["content-security-policy"],
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self' \
         'wasm-unsafe-eval' https://challenges.cloudflare.com; connect-src 'self'; base-uri \
         'none'; frame-ancestors 'none'; frame-src https://challenges.cloudflare.com"
    );
    let records = records_eventually(&fake, 2).await;
    assert!(records.iter().any(|record| record["会社名"]["value"] == "キャプチャ"));
}

#[tokio::test]
async fn a_form_with_a_file_item_takes_files_from_visitors() {
    let Harness { fake, state, _dir } = super::integration::integration_harness().await;
    let descriptor = send(&state, get("/v1/forms/contact")).await;
    let limit = descriptor.body["upload_limit_bytes"].as_u64().expect("a file form says its limit");
    assert_eq!(limit, 20 * 1024 * 1024 - 64 * 1024, "the multipart limit less the JSON's room");
    let submission = json!({ "submission_id": new_id(), "values": valid_values() });
    let pdf = b"%PDF-1.4 brochure";
    let path = "/v1/forms/contact/submissions";
    let answer = send(&state, multipart(path, &submission, &[("資料", "会社案内.pdf", pdf)])).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    let records = records_eventually(&fake, 4).await;
    let record = records.iter().find(|record| record["資料"]["value"] != json!([])).unwrap();
    assert_eq!(record["資料"]["value"][0]["name"], "会社案内.pdf");
    assert_eq!(record["資料"]["value"][0]["size"], pdf.len().to_string());
    // The spam checks apply to a multipart submission as to JSON.
    let robot = json!({ "values": valid_values(), "honeypot": "http://spam.example" });
    let answer = send(&state, multipart(path, &robot, &[("資料", "x.pdf", b"x")])).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "a robot learns nothing");
    // A JSON body keeps the JSON limit, though the route takes files up to 20 MB.
    let big = json!({ "values": { "会社名": "x".repeat(70 * 1024) } }).to_string();
    let answer = send(&state, submit(&big, None)).await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")),
        "{}",
        answer.text
    );
    // A multipart body over its limit is refused with the same code as a JSON one.
    let huge = vec![b'x'; 20 * 1024 * 1024 + 1];
    let answer = send(&state, multipart(path, &submission, &[("資料", "big.pdf", &huge)])).await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn a_form_without_a_file_item_refuses_files() {
    let Harness { fake: _fake, state, _dir } = harness().await;
    let descriptor = send(&state, get("/v1/forms/contact")).await;
    assert!(descriptor.body.get("upload_limit_bytes").is_none());
    let submission = json!({ "values": valid_values() });
    let request =
        multipart("/v1/forms/contact/submissions", &submission, &[("資料", "x.pdf", b"x")]);
    let answer = send(&state, request).await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("files_not_accepted"))
    );
}
