//! The fake's answers checked against kintone's recorded behaviour (`docs/kintone.md`).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{Apps, FakeState, Permission, TokenSpec, User, app};

mod openapi;
mod writes;

const TOKEN: &str = "demo-token";

fn apps() -> Apps {
    let mut apps = Apps::demo(TOKEN);
    let mut second = apps.apps[0].clone();
    second.id = 2;
    second.tokens =
        vec![TokenSpec { token: "view-only".into(), permissions: vec![Permission::View] }];
    apps.apps.push(second);
    apps.apps[0]
        .tokens
        .push(TokenSpec { token: "second-of-app-1".into(), permissions: vec![Permission::View] });
    apps.users.push(User { login: "admin".into(), password: "secret".into() });
    apps
}

pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) body: Value,
    pub(super) headers: axum::http::HeaderMap,
}

pub(super) async fn send(
    state: &FakeState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app(state.clone()).oneshot(request.body(body).unwrap()).await.unwrap();
    assert!(response.headers().contains_key("x-concurrencylimit-limit"));
    assert!(response.headers().contains_key("x-concurrencylimit-running"));
    let status = response.status();
    let response_headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    // Every successful JSON answer must fit kintone's official OpenAPI document.
    if status == StatusCode::OK && body.is_object() {
        let method = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-http-method-override"))
            .map_or(method, |(_, value)| *value);
        let path = uri.split('?').next().unwrap_or(uri);
        let path = match path.strip_prefix("/k/guest/").and_then(|rest| rest.split_once('/')) {
            Some((_, rest)) => format!("/k/guest/{{guestSpaceId}}/{rest}"),
            None => path.to_owned(),
        };
        openapi::check_response(method, &path, &body);
    }
    Answer { status, body, headers: response_headers }
}

pub(super) fn state() -> FakeState {
    FakeState::new(apps()).unwrap()
}

#[track_caller]
pub(super) fn assert_error(answer: &Answer, status: StatusCode, code: &str, message: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    assert_eq!(answer.body["message"], message, "{}", answer.body);
    assert_eq!(answer.body["id"].as_str().map(str::len), Some(20), "{}", answer.body);
}

#[test]
fn demo_app_properties_parse() {
    let apps = Apps::demo("t");
    assert_eq!(apps.apps[0].properties.len(), 13);
    assert_eq!(apps.apps[0].properties["会社名"]["maxLength"], "64");
    let apps = apps.with_showcase("s").with_bench("b");
    assert_eq!(apps.apps[1].properties.len(), 30);
    assert_eq!(apps.apps[2].properties.len(), 30, "the benchmark's 30 fields");
    // Parsing the fields (as the fake does on start) accepts every one of them.
    crate::store::Store::new(&apps).unwrap();
}

#[tokio::test]
async fn fields_json_has_kintone_shape_with_query_or_body_params() {
    let state = state();
    let answer = send(
        &state,
        "GET",
        "/k/v1/app/form/fields.json?app=1",
        &[("x-cybozu-api-token", TOKEN)],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["revision"], "1");
    assert_eq!(answer.body["properties"]["問い合わせ種別"]["options"]["その他"]["index"], "2");
    let by_body = send(
        &state,
        "GET",
        "/k/v1/app/form/fields.json",
        &[("x-cybozu-api-token", TOKEN), ("content-type", "application/json")],
        Some(json!({"app": 1})),
    )
    .await;
    assert_eq!(by_body.body, answer.body);
    let guest = send(
        &state,
        "GET",
        "/k/guest/3/v1/app/form/fields.json?app=1",
        &[("x-cybozu-api-token", TOKEN)],
        None,
    )
    .await;
    // App 1 is not in guest space 3.
    assert_error(&guest, StatusCode::FORBIDDEN, "CB_NO02", "権限がありません。");
}

#[tokio::test]
async fn auth_errors_use_kintone_codes_and_words() {
    let state = state();
    let fields = "/k/v1/app/form/fields.json?app=1";
    let none = send(&state, "GET", fields, &[], None).await;
    assert_error(&none, StatusCode::UNAUTHORIZED, "CB_AU01", "ログインしてください。");
    let english = send(&state, "GET", fields, &[("accept-language", "en-US,en;q=0.9")], None).await;
    assert_error(&english, StatusCode::UNAUTHORIZED, "CB_AU01", "Please login.");
    let unknown = send(
        &state,
        "GET",
        fields,
        &[("x-cybozu-api-token", "nope"), ("accept-language", "en")],
        None,
    )
    .await;
    assert_error(
        &unknown,
        StatusCode::BAD_REQUEST,
        "GAIA_IA02",
        "The specified API token does not match the API token generated via an app.",
    );
    let other_app = send(
        &state,
        "GET",
        fields,
        &[("x-cybozu-api-token", "view-only"), ("accept-language", "en")],
        None,
    )
    .await;
    assert_error(
        &other_app,
        StatusCode::BAD_REQUEST,
        "GAIA_IA02",
        "The specified API token does not match the API token generated via an app.",
    );
    let both =
        send(&state, "GET", fields, &[("x-cybozu-api-token", "demo-token,view-only")], None).await;
    assert_eq!(both.status, StatusCode::OK, "a second app's token may accompany (lookups)");
    let repeated = send(
        &state,
        "GET",
        fields,
        &[("x-cybozu-api-token", TOKEN), ("x-cybozu-api-token", "second-of-app-1")],
        None,
    )
    .await;
    assert_error(
        &repeated,
        StatusCode::BAD_REQUEST,
        "GAIA_DA03",
        "You cannot specify a duplicate API token for the same app.",
    );
    let add = send(
        &state,
        "POST",
        "/k/v1/record.json",
        &[("x-cybozu-api-token", "view-only")],
        Some(json!({"app": 2, "record": {}})),
    )
    .await;
    assert_error(
        &add,
        StatusCode::FORBIDDEN,
        "GAIA_NO01",
        "このAPIトークンでは、指定したAPIを実行できません。",
    );
    // Password auth wins over a valid token.
    let wrong_password = send(
        &state,
        "GET",
        fields,
        &[("x-cybozu-authorization", "YWRtaW46d3Jvbmc="), ("x-cybozu-api-token", TOKEN)],
        None,
    )
    .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.body["code"], "CB_WA01");
    let password =
        send(&state, "GET", fields, &[("x-cybozu-authorization", "YWRtaW46c2VjcmV0")], None).await;
    assert_eq!(password.status, StatusCode::OK);
    let missing_app = send(
        &state,
        "GET",
        "/k/v1/app/form/fields.json?app=99",
        &[("x-cybozu-authorization", "YWRtaW46c2VjcmV0")],
        None,
    )
    .await;
    assert_error(
        &missing_app,
        StatusCode::NOT_FOUND,
        "GAIA_AP01",
        "指定したアプリ（id: 99）が見つかりません。削除されている可能性があります。",
    );
}

#[tokio::test]
async fn adds_and_reads_back_a_record() {
    let state = state();
    let headers = [("x-cybozu-api-token", TOKEN), ("content-type", "application/json")];
    let record = json!({ "会社名": {"value": "サイボウズ"}, "メールアドレス": {"value": "a@example.com"},
                         "問い合わせ種別": {"value": "見積依頼"}, "unknown": {"value": "ignored"} });
    let added = send(
        &state,
        "POST",
        "/k/v1/record.json",
        &headers,
        Some(json!({"app": "1", "record": record})),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(added.body, json!({"id": "1", "revision": "1"}));
    let read = send(&state, "GET", "/k/v1/record.json?app=1&id=1", &headers, None).await;
    let record = &read.body["record"];
    assert_eq!(record["$id"], json!({"type": "__ID__", "value": "1"}));
    assert_eq!(record["$revision"]["value"], "1");
    assert_eq!(record["レコード番号"]["value"], "1");
    assert_eq!(record["会社名"], json!({"type": "SINGLE_LINE_TEXT", "value": "サイボウズ"}));
    assert_eq!(record["お問い合わせ内容"]["value"], "");
    assert!(record["作成日時"]["value"].as_str().unwrap().ends_with(":00Z"));
    assert!(record.get("unknown").is_none());
    assert!(record.get("ステータス").is_none(), "STATUS is absent when process management is off");
    let missing = send(&state, "GET", "/k/v1/record.json?app=1&id=9", &headers, None).await;
    assert_error(
        &missing,
        StatusCode::NOT_FOUND,
        "GAIA_RE01",
        "指定したレコード（id: 9）が見つかりません。",
    );
}

#[tokio::test]
async fn invalid_records_get_one_cb_va01_listing_everything() {
    let state = state();
    let record =
        json!({ "会社名": {"value": "x".repeat(65)}, "問い合わせ種別": {"value": "不明"} });
    let answer = send(
        &state,
        "POST",
        "/k/v1/record.json",
        &[("x-cybozu-api-token", TOKEN)],
        Some(json!({"app": 1, "record": record})),
    )
    .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "CB_VA01", "入力内容が正しくありません。");
    assert_eq!(
        answer.body["errors"],
        json!({
            "record.会社名.value": {"messages": ["65文字より短くなければなりません。"]},
            "record.メールアドレス.value": {"messages": ["必須です。"]},
            "record.問い合わせ種別.value": {"messages": ["\"不明\"は選択肢にありません。"]}
        })
    );
    let english = send(
        &state,
        "POST",
        "/k/v1/record.json",
        &[("x-cybozu-api-token", TOKEN), ("accept-language", "en")],
        Some(json!({"app": 1, "record": {}})),
    )
    .await;
    assert_eq!(english.body["message"], "Missing or invalid input.");
    assert_eq!(english.body["errors"]["record.会社名.value"]["messages"], json!(["Required."]));
    let bare = send(
        &state,
        "POST",
        "/k/v1/record.json",
        &[("x-cybozu-api-token", TOKEN)],
        Some(json!({"app": 1, "record": {"会社名": "bare"}})),
    )
    .await;
    assert_error(&bare, StatusCode::BAD_REQUEST, "CB_IJ01", "不正なJSON文字列です。");
    let malformed = app(state.clone())
        .oneshot(
            Request::post("/k/v1/record.json")
                .header("x-cybozu-api-token", TOKEN)
                .body(Body::from("{"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let listed =
        send(&state, "GET", "/k/v1/records.json?app=1", &[("x-cybozu-api-token", TOKEN)], None)
            .await;
    assert_eq!(listed.body["records"], json!([]), "nothing invalid was stored");
}

#[tokio::test]
async fn number_errors_use_kintone_paths() {
    let mut apps = apps();
    apps.apps[0].properties.insert("数".into(), json!({"type": "NUMBER", "code": "数", "label": "数", "required": true,
        "unique": false, "minValue": "1", "maxValue": "10", "digit": false, "displayScale": "", "unit": "", "unitPosition": "BEFORE", "defaultValue": ""}));
    let state = FakeState::new(apps).unwrap();
    let base = json!({ "会社名": {"value": "a"}, "メールアドレス": {"value": "b"} });
    let with = |value: &str| {
        let mut record = base.clone();
        record["数"] = json!({"value": value});
        json!({"app": 1, "record": record})
    };
    let not_number = send(
        &state,
        "POST",
        "/k/v1/record.json",
        &[("x-cybozu-api-token", TOKEN)],
        Some(with("1,000")),
    )
    .await;
    assert_eq!(
        not_number.body["errors"],
        json!({
            "record[数].value": {"messages": ["数字でなければなりません。"]},
            "record.数.value": {"messages": ["必須です。"]}
        })
    );
    let too_large = send(
        &state,
        "POST",
        "/k/v1/record.json",
        &[("x-cybozu-api-token", TOKEN)],
        Some(with("11")),
    )
    .await;
    assert_eq!(
        too_large.body["errors"],
        json!({"record.数.value": {"messages": ["10以下である必要があります。"]}})
    );
    let ok = send(
        &state,
        "POST",
        "/k/v1/record.json",
        &[("x-cybozu-api-token", TOKEN)],
        Some(with(" 0.5e1 ")),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let read =
        send(&state, "GET", "/k/v1/record.json?app=1&id=1", &[("x-cybozu-api-token", TOKEN)], None)
            .await;
    assert_eq!(read.body["record"]["数"]["value"], "5");
}

#[tokio::test]
async fn records_json_filters_orders_and_limits() {
    let state = state();
    let headers = [("x-cybozu-api-token", TOKEN)];
    for (company, kind) in [("A社", "資料請求"), ("B社", "見積依頼"), ("C社", "資料請求")]
    {
        let record = json!({ "会社名": {"value": company}, "メールアドレス": {"value": "m"}, "問い合わせ種別": {"value": kind} });
        let added = send(
            &state,
            "POST",
            "/k/v1/record.json",
            &headers,
            Some(json!({"app": 1, "record": record})),
        )
        .await;
        assert_eq!(added.status, StatusCode::OK);
    }
    let companies = |answer: &Answer| -> Vec<String> {
        answer.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["会社名"]["value"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = send(&state, "GET", "/k/v1/records.json?app=1", &headers, None).await;
    assert_eq!(companies(&all), ["C社", "B社", "A社"], "default order is $id desc");
    assert_eq!(all.body["totalCount"], Value::Null);
    let query = |q: &str| {
        format!(
            "/k/v1/records.json?app=1&totalCount=true&query={}",
            q.replace(' ', "%20")
                .replace('"', "%22")
                .replace('=', "%3D")
                .replace('(', "%28")
                .replace(')', "%29")
        )
    };
    let filtered = send(
        &state,
        "GET",
        &query("問い合わせ種別 in (\"資料請求\") order by $id asc limit 1 offset 1"),
        &headers,
        None,
    )
    .await;
    assert_eq!(companies(&filtered), ["C社"]);
    assert_eq!(filtered.body["totalCount"], "2");
    let by_body = send(
        &state,
        "POST",
        "/k/v1/records.json",
        &[("x-cybozu-api-token", TOKEN), ("x-http-method-override", "GET")],
        Some(json!({"app": 1, "query": "会社名 = \"B社\" or (会社名 != \"A社\" and $id < 2)"})),
    )
    .await;
    assert_eq!(companies(&by_body), ["B社"]);
    let too_many = send(&state, "GET", &query("limit 501"), &headers, None).await;
    assert_eq!(
        (too_many.status, too_many.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("GAIA_QU01"))
    );
    let offset = send(&state, "GET", &query("offset 10001"), &headers, None).await;
    assert_eq!(offset.body["code"], "GAIA_QU02");
    let syntax = send(&state, "GET", &query("会社名 = "), &headers, None).await;
    assert_eq!(syntax.body["errors"]["query"]["messages"], json!(["クエリ記法が間違っています。"]));
}
