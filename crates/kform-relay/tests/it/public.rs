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
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(
        answer.body,
        json!({ "submission_id": "8a1f6c2e-3d7b-4b8e-9a56-0c1d2e3f4a5b", "state": "delivered", "record_id": "1" })
    );
    let records = kintone_records(&fake).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["会社名"]["value"], "サイボウズ");
    assert_eq!(records[0]["問い合わせ種別"]["value"], "見積依頼");
    assert_eq!(records[0]["フォーム識別"]["value"], "demo-contact", "the form's fixed value wins");
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
async fn kintone_refusals_come_back_on_the_right_field() {
    // A form that leaves out a kintone-required field: the core cannot see it, kintone refuses.
    let Harness { fake: _fake, state, _dir } = harness_with(Apps::demo(TOKEN), TOKEN, |config| {
        config.forms[0].spec.items.retain(|item| {
            item.field.as_ref().is_none_or(|code| code.as_str() != "メールアドレス")
        });
    })
    .await;
    let answer = send(&state, submit(r#"{"values": {"会社名": "A"}}"#, None)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.text);
    assert_eq!(answer.body["errors"][0]["path"], "record.メールアドレス.value");
    assert_eq!(answer.body["errors"][0]["message"], "必須です。");
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
