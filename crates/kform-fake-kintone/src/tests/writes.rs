//! Writes, bulk calls, files, lookups, tables, faults and the control API, against the fixture
//! apps of `tests/fixtures/fake/apps.json` (the same file the official client's test uses).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Answer, assert_error, send};
use crate::{AppSpec, Apps, FakeState, Fault, FaultKind, Permission, StartError, TokenSpec};

const APPS: &str = include_str!("../../../../tests/fixtures/fake/apps.json");
const ALL: (&str, &str) = ("x-cybozu-api-token", "customers-all");
const WITH_PRODUCTS: (&str, &str) = ("x-cybozu-api-token", "customers-all,products-view");
const EN: (&str, &str) = ("accept-language", "en");

fn fixture() -> FakeState {
    FakeState::new(Apps::from_json(APPS).unwrap()).unwrap()
}

async fn post(state: &FakeState, api: &str, headers: &[(&str, &str)], body: Value) -> Answer {
    send(state, "POST", &format!("/k/v1/{api}"), headers, Some(body)).await
}

async fn put(state: &FakeState, api: &str, headers: &[(&str, &str)], body: Value) -> Answer {
    send(state, "PUT", &format!("/k/v1/{api}"), headers, Some(body)).await
}

async fn record(state: &FakeState, id: &str) -> Value {
    let answer =
        send(state, "GET", &format!("/k/v1/record.json?app=1&id={id}"), &[ALL], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body["record"].clone()
}

#[track_caller]
fn assert_errors(answer: &Answer, errors: &Value) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.body["code"], "CB_VA01", "{}", answer.body);
    assert_eq!(&answer.body["errors"], errors);
}

#[test]
fn bad_apps_json_is_refused_with_its_path() {
    let cases = [
        ("{\"apps\": [{\"id\": 1}]}", "apps[0]"),
        ("{\"apps\": [{\"id\": \"x\", \"name\": \"a\", \"properties\": {}}]}", "apps[0].id"),
        (
            r#"{"apps": [{"id": 1, "name": "a", "properties": {"n": {"type": "NUMBER", "code": "n", "maxValue": 5}}}]}"#,
            "apps[0].properties.n.maxValue",
        ),
        (
            r#"{"apps": [{"id": 1, "name": "a", "properties": {"n": {"type": "SINGLE_LINE_TEXT", "code": "m"}}}]}"#,
            "apps[0].properties.n.code",
        ),
        (
            r#"{"apps": [{"id": 1, "name": "a", "properties": {"n": {"type": "SINGLE_LINE_TEXT", "code": "n", "required": true}}, "records": [{}]}]}"#,
            "apps[0].records[0]",
        ),
        (r#"{"apps": [], "unknown": 1}"#, "unknown"),
    ];
    for (text, path) in cases {
        match Apps::from_json(text) {
            Err(StartError::Apps { path: found, reason }) => {
                assert!(found.starts_with(path), "{text}: {found}: {reason}");
                assert!(!reason.is_empty());
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn app_json_and_layout_json_have_kintone_shapes() {
    let state = fixture();
    let app = send(&state, "GET", "/k/v1/app.json?id=1", &[ALL], None).await;
    assert_eq!(app.body["appId"], "1");
    assert_eq!(app.body["name"], "顧客");
    assert_eq!(app.body["spaceId"], Value::Null);
    let layout = send(&state, "GET", "/k/v1/app/form/layout.json?app=1", &[ALL], None).await;
    let rows = layout.body["layout"].as_array().unwrap();
    assert!(rows.iter().any(|row| row["type"] == "SUBTABLE" && row["code"] == "items"));
    assert_eq!(layout.body["revision"], "1");
    let guest = send(
        &state,
        "GET",
        "/k/guest/7/v1/app.json?id=3",
        &[("x-cybozu-api-token", "guest-all")],
        None,
    )
    .await;
    assert_eq!(guest.body["spaceId"], "7");
    let preview =
        send(&state, "GET", "/k/v1/preview/app/form/fields.json?app=1", &[ALL], None).await;
    assert_error(
        &preview,
        StatusCode::FORBIDDEN,
        "GAIA_NO01",
        "このAPIトークンでは、指定したAPIを実行できません。",
    );
    let admin = ("x-cybozu-authorization", "YWRtaW46c2VjcmV0");
    let preview =
        send(&state, "GET", "/k/v1/preview/app/form/fields.json?app=1", &[admin], None).await;
    assert_eq!(preview.status, StatusCode::OK);
}

#[tokio::test]
async fn defaults_apply_on_add_only_when_the_key_is_absent() {
    let mut apps = Apps::from_json(APPS).unwrap();
    apps.apps[0].properties.insert(
        "since".into(),
        json!({"type": "DATE", "code": "since", "label": "s", "required": false, "unique": false,
               "defaultValue": "", "defaultNowValue": true}),
    );
    let state = FakeState::new(apps).unwrap();
    let added =
        post(&state, "record.json", &[ALL], json!({"app": 1, "record": {"name": {"value": "a"}}}))
            .await;
    let stored = record(&state, added.body["id"].as_str().unwrap()).await;
    assert_eq!(stored["plan"]["value"], "Standard");
    assert_eq!(stored["since"]["value"].as_str().unwrap().len(), 10, "today's date");
    let explicit = post(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "record": {"name": {"value": "b"}, "plan": {"value": ""}}}),
    )
    .await;
    let stored = record(&state, explicit.body["id"].as_str().unwrap()).await;
    assert_eq!(stored["plan"]["value"], Value::Null, "an explicit empty value is respected");
}

/// A `SINGLE_LINE_TEXT` field's settings.
fn text_field(code: &str, required: bool, min: &str, default: &str) -> Value {
    json!({"type": "SINGLE_LINE_TEXT", "code": code, "label": code, "required": required,
           "unique": false, "minLength": min, "maxLength": "", "defaultValue": default})
}

/// Fields with `minLength`: `dept` (2), `branch` (3, with a default), `site` (a LINK, 12) and
/// `nick` (required, 2).
fn min_length_properties() -> serde_json::Map<String, Value> {
    let mut properties = serde_json::Map::new();
    properties.insert("dept".into(), text_field("dept", false, "2", ""));
    properties.insert("branch".into(), text_field("branch", false, "3", "東京本社"));
    properties.insert("nick".into(), text_field("nick", true, "2", ""));
    properties.insert(
        "site".into(),
        json!({"type": "LINK", "code": "site", "label": "site", "required": false,
               "unique": false, "minLength": "12", "maxLength": "", "defaultValue": "",
               "protocol": "WEB"}),
    );
    properties
}

#[tokio::test]
async fn min_length_fires_on_empty_and_left_out_values() {
    const TOKEN: (&str, &str) = ("x-cybozu-api-token", "min-length");
    let app = AppSpec {
        tokens: vec![TokenSpec {
            token: "min-length".into(),
            permissions: vec![Permission::View, Permission::Add, Permission::Edit],
        }],
        ..AppSpec::new(1, "min", min_length_properties())
    };
    let state = FakeState::new(Apps { apps: vec![app], ..Apps::default() }).unwrap();
    let filled = json!({"nick": {"value": "山田"}, "dept": {"value": "営業"},
                        "site": {"value": "https://a.example"}});
    let added = post(&state, "record.json", &[TOKEN], json!({"app": 1, "record": filled})).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    // Sent empty: refused with the length message (and "required" too where it is required).
    let empty = json!({"nick": {"value": ""}, "dept": {"value": ""}, "branch": {"value": ""},
                       "site": {"value": ""}});
    let refused = post(&state, "record.json", &[TOKEN], json!({"app": 1, "record": empty})).await;
    assert_errors(
        &refused,
        &json!({
            "record.branch.value": {"messages": ["2文字より長くなければなりません。"]},
            "record.dept.value": {"messages": ["1文字より長くなければなりません。"]},
            "record.nick.value": {"messages": ["必須です。", "1文字より長くなければなりません。"]},
            "record.site.value": {"messages": ["11文字より長くなければなりません。"]},
        }),
    );
    // Left out on add: the same, except where the default fills the field.
    let left_out = json!({"app": 1, "record": {"nick": {"value": "山田"}}});
    let refused = post(&state, "record.json", &[TOKEN, EN], left_out).await;
    assert_errors(
        &refused,
        &json!({
            "record.dept.value": {"messages": ["Enter more than 1 characters."]},
            "record.site.value": {"messages": ["Enter more than 11 characters."]},
        }),
    );
    // A short link gets the URL-format message as well.
    let short = json!({"app": 1, "record": {"nick": {"value": "山田"}, "dept": {"value": "営業"},
                                            "site": {"value": "http://a.jp"}}});
    let refused = post(&state, "record.json", &[TOKEN], short).await;
    assert_errors(
        &refused,
        &json!({"record.site.value": {"messages": [
            "11文字より長くなければなりません。", "URLの形式が正しくありません。"
        ]}}),
    );
    // Bulk add: the second record's empty value is refused on its records[1] path.
    let bulk = json!({"app": 1, "records": [
        {"nick": {"value": "佐藤"}, "dept": {"value": "総務"}, "site": {"value": "https://b.example"}},
        {"nick": {"value": "鈴木"}, "dept": {"value": ""}, "site": {"value": "https://c.example"}},
    ]});
    let refused = post(&state, "records.json", &[TOKEN], bulk).await;
    assert_errors(
        &refused,
        &json!({"records[1].dept.value": {"messages": ["1文字より長くなければなりません。"]}}),
    );
    // Update: a field sent empty is refused; a field left out keeps its value unchecked.
    let id = added.body["id"].as_str().unwrap().to_owned();
    let cleared = json!({"app": 1, "id": id, "record": {"dept": {"value": ""}}});
    let refused = put(&state, "record.json", &[TOKEN], cleared).await;
    assert_errors(
        &refused,
        &json!({"record.dept.value": {"messages": ["1文字より長くなければなりません。"]}}),
    );
    // A field added to the app later holds nothing in the stored record: an update that leaves
    // it out is not checked for its minLength (UNCONFIRMED in kintone; see write.rs).
    let mut properties = min_length_properties();
    properties.insert("extra".into(), text_field("extra", false, "2", ""));
    state.set_properties(1, properties).unwrap();
    let other = json!({"app": 1, "id": id, "record": {"nick": {"value": "山田花子"}}});
    let updated = put(&state, "record.json", &[TOKEN], other).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    let sent_empty = json!({"app": 1, "id": id, "record": {"extra": {"value": ""}}});
    let refused = put(&state, "record.json", &[TOKEN], sent_empty).await;
    assert_errors(
        &refused,
        &json!({"record.extra.value": {"messages": ["1文字より長くなければなりません。"]}}),
    );
}

#[tokio::test]
async fn a_web_link_that_cannot_be_an_address_is_refused_and_other_links_are_not_checked() {
    const TOKEN: (&str, &str) = ("x-cybozu-api-token", "links");
    let link = |code: &str, protocol: &str| {
        json!({"type": "LINK", "code": code, "label": code, "required": false, "unique": false,
               "minLength": "", "maxLength": "", "defaultValue": "", "protocol": protocol})
    };
    let mut properties = serde_json::Map::new();
    properties.insert("site".into(), link("site", "WEB"));
    properties.insert("tel".into(), link("tel", "CALL"));
    properties.insert("mail".into(), link("mail", "MAIL"));
    let app = AppSpec {
        tokens: vec![TokenSpec { token: "links".into(), permissions: vec![Permission::Add] }],
        ..AppSpec::new(1, "links", properties)
    };
    let state = FakeState::new(Apps { apps: vec![app], ..Apps::default() }).unwrap();
    let add = |site: &str| {
        json!({"app": 1, "record": {"site": {"value": site},
               "tel": {"value": "03-1234-5678 内線12"}, "mail": {"value": "ｔａｒｏ＠"}}})
    };
    let refused = post(&state, "record.json", &[TOKEN], add("ab")).await;
    assert_errors(
        &refused,
        &json!({"record.site.value": {"messages": ["URLの形式が正しくありません。"]}}),
    );
    for site in ["example.com", "https://example.com/a", "www.example.co.jp/a"] {
        let added = post(&state, "record.json", &[TOKEN], add(site)).await;
        assert_eq!(added.status, StatusCode::OK, "{site}: {}", added.body);
    }
}

#[tokio::test]
async fn updates_merge_check_the_whole_record_and_count_revisions() {
    let state = fixture();
    // Record 1 is the fixture's C-0.
    let updated = put(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "id": "1", "record": {"seats": {"value": "6"}}}),
    )
    .await;
    assert_eq!(updated.body, json!({"revision": "2"}));
    let stored = record(&state, "1").await;
    assert_eq!(stored["name"]["value"], "既存株式会社", "absent fields keep their values");
    assert_eq!(stored["$revision"]["value"], "2");
    let by_key = put(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "updateKey": {"field": "code", "value": "C-0"}, "revision": 2, "record": {"seats": {"value": "7"}}}),
    )
    .await;
    assert_eq!(by_key.body, json!({"revision": "3"}));
    let stale = put(
        &state,
        "record.json",
        &[ALL, EN],
        json!({"app": 1, "id": 1, "revision": 2, "record": {}}),
    )
    .await;
    assert_error(
        &stale,
        StatusCode::CONFLICT,
        "GAIA_CO02",
        "The revision is not the latest. Someone may update a record.",
    );
    let missing =
        put(&state, "record.json", &[ALL, EN], json!({"app": 1, "id": 99, "record": {}})).await;
    assert_error(
        &missing,
        StatusCode::NOT_FOUND,
        "GAIA_RE01",
        "The specified record (ID: 99) is not found.",
    );
    let no_key = put(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "updateKey": {"field": "code", "value": "nope"}, "record": {}}),
    )
    .await;
    assert_eq!(
        (no_key.status, no_key.body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("GAIA_RE20"))
    );
    let cleared = put(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "id": 1, "record": {"name": {"value": ""}}}),
    )
    .await;
    assert_errors(&cleared, &json!({"record.name.value": {"messages": ["必須です。"]}}));
    // The unique check leaves the record itself out.
    let same = put(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "id": 1, "record": {"code": {"value": "C-0"}}}),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.body);
    let duplicate = post(
        &state,
        "record.json",
        &[ALL, EN],
        json!({"app": 1, "record": {"name": {"value": "x"}, "code": {"value": "C-0"}}}),
    )
    .await;
    assert_errors(
        &duplicate,
        &json!({"record.code.value": {"messages": ["This value already exists in another record."]}}),
    );
}

#[tokio::test]
async fn bulk_limits_and_answers_follow_kintone() {
    let state = fixture();
    let many: Vec<Value> = (0..101).map(|i| json!({"name": {"value": format!("n{i}")}})).collect();
    let too_many = post(&state, "records.json", &[ALL], json!({"app": 1, "records": many})).await;
    assert_errors(
        &too_many,
        &json!({"records": {"messages": ["一度に100件までのレコードを追加できます。"]}}),
    );
    let updates: Vec<Value> = (0..101).map(|_| json!({"id": 1, "record": {}})).collect();
    let too_many =
        put(&state, "records.json", &[ALL, EN], json!({"app": 1, "records": updates})).await;
    assert_errors(
        &too_many,
        &json!({"records": {"messages": ["A maximum of 100 records can be updated at one time."]}}),
    );
    let none = post(&state, "records.json", &[ALL], json!({"app": 1, "records": []})).await;
    assert_eq!(none.body, json!({"ids": [], "revisions": []}));
    let added = post(
        &state,
        "records.json",
        &[ALL],
        json!({"app": 1, "records": [{"name": {"value": "a"}, "code": {"value": "K1"}}, {"name": {"value": "b"}}]}),
    )
    .await;
    assert_eq!(added.body, json!({"ids": ["2", "3"], "revisions": ["1", "1"]}));
    let clash = post(
        &state,
        "records.json",
        &[ALL],
        json!({"app": 1, "records": [{"name": {"value": "c"}, "code": {"value": "K2"}}, {"name": {"value": "d"}, "code": {"value": "K2"}}, {"seats": {"value": "x"}}]}),
    )
    .await;
    assert_errors(
        &clash,
        &json!({
            "records[1].code.value": {"messages": ["値がほかのレコードと重複しています。"]},
            "records[2].name.value": {"messages": ["必須です。"]},
            "records[2][seats].value": {"messages": ["数字でなければなりません。"]},
        }),
    );
    let upsert = put(
        &state,
        "records.json",
        &[ALL],
        json!({"app": 1, "upsert": true, "records": [
            {"updateKey": {"field": "code", "value": "K1"}, "record": {"seats": {"value": "1"}}},
            {"updateKey": {"field": "code", "value": "K9"}, "record": {"name": {"value": "new"}}},
            {"id": 500, "record": {"name": {"value": "by id"}}}
        ]}),
    )
    .await;
    assert_eq!(
        upsert.body,
        json!({"records": [
            {"id": "2", "revision": "2", "operation": "UPDATE"},
            {"id": "4", "revision": "1", "operation": "INSERT"},
            {"id": "5", "revision": "1", "operation": "INSERT"}
        ]})
    );
    assert_eq!(record(&state, "4").await["code"]["value"], "K9");
    let unknown = put(
        &state,
        "records.json",
        &[ALL],
        json!({"app": 1, "records": [{"id": 500, "record": {}}]}),
    )
    .await;
    assert_eq!(unknown.body["code"], "GAIA_RE01");
    let add_only = put(
        &state,
        "records.json",
        &[("x-cybozu-api-token", "customers-add")],
        json!({"app": 1, "upsert": true, "records": [{"id": 1, "record": {}}]}),
    )
    .await;
    assert_eq!(add_only.body["code"], "GAIA_NO01", "upsert needs edit and add");
}

#[tokio::test]
async fn deletes_are_all_or_nothing_with_kintone_messages() {
    let state = fixture();
    let delete = |query: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let state = state.clone();
        async move {
            send(&state, "DELETE", &format!("/k/v1/records.json?{query}"), headers, None).await
        }
    };
    let missing = delete("app=1", &[ALL]).await;
    assert_errors(
        &missing,
        &json!({"ids": {"messages": ["必須です。", "一度に1件から100件までのレコードを削除できます。"]}}),
    );
    let missing = delete("app=1", &[ALL, EN]).await;
    assert_errors(
        &missing,
        &json!({"ids": {"messages": ["Between 1 and 100 records can be deleted at one time.", "Required field."]}}),
    );
    let partly_unknown = delete("app=1&ids[0]=1&ids[1]=77", &[ALL]).await;
    assert_eq!(partly_unknown.body["code"], "GAIA_RE01");
    assert_eq!(state.records(1).len(), 1, "nothing was deleted");
    let stale = delete("app=1&ids[0]=1&revisions[0]=5", &[ALL]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let view_only = delete("app=2&ids[0]=1", &[("x-cybozu-api-token", "products-view")]).await;
    assert_eq!(view_only.body["code"], "GAIA_NO01");
    let deleted = delete("app=1&ids[0]=1", &[ALL]).await;
    assert_eq!((deleted.status, deleted.body), (StatusCode::OK, json!({})));
    assert!(state.records(1).is_empty());
}

#[tokio::test]
async fn tables_check_rows_on_kintone_paths_and_keep_row_ids() {
    let state = fixture();
    let rows = json!([{"value": {"qty": {"value": "0"}}}, {"value": {"qty": {"value": ""}, "note": {"value": "n"}}}]);
    let bad = post(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "record": {"name": {"value": "t"}, "items": {"value": rows}}}),
    )
    .await;
    assert_errors(
        &bad,
        &json!({
            "record.items.value[0].value.qty.value": {"messages": ["1以上である必要があります。"]},
            "record.items.value[1].value.qty.value": {"messages": ["必須です。"]},
        }),
    );
    let rows = json!([{"value": {"qty": {"value": "2"}}}, {"value": {"qty": {"value": "3"}, "note": {"value": "keep"}}}]);
    let added = post(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "record": {"name": {"value": "t"}, "items": {"value": rows}}}),
    )
    .await;
    let id = added.body["id"].as_str().unwrap().to_owned();
    let stored = record(&state, &id).await;
    let stored_rows = stored["items"]["value"].as_array().unwrap().clone();
    assert_eq!(stored_rows.len(), 2);
    let second_id = stored_rows[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(stored_rows[1]["value"]["qty"], json!({"type": "NUMBER", "value": "3"}));
    // Send only the second row with a new qty: it is merged (note kept), the first is removed.
    let update = json!({"app": 1, "id": id, "record": {"items": {"value": [{"id": second_id, "value": {"qty": {"value": "4"}}}]}}});
    assert_eq!(put(&state, "record.json", &[ALL], update).await.status, StatusCode::OK);
    let rows = record(&state, &id).await["items"]["value"].clone();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["id"], second_id.as_str());
    assert_eq!(rows[0]["value"]["note"]["value"], "keep");
    assert_eq!(rows[0]["value"]["qty"]["value"], "4");
}

#[tokio::test]
async fn lookups_copy_or_fail_with_gaia_lo04() {
    let state = fixture();
    let ok = post(&state, "record.json", &[WITH_PRODUCTS], json!({"app": 1, "record": {"name": {"value": "l"}, "product": {"value": "P-1"}, "product_name": {"value": "ignored"}}})).await;
    let stored = record(&state, ok.body["id"].as_str().unwrap()).await;
    assert_eq!(stored["product_name"]["value"], "kform Cloud");
    let missing = post(
        &state,
        "record.json",
        &[WITH_PRODUCTS, EN],
        json!({"app": 1, "record": {"name": {"value": "l"}, "product": {"value": "P999"}}}),
    )
    .await;
    assert_error(
        &missing,
        StatusCode::BAD_REQUEST,
        "GAIA_LO04",
        "A value P999 in the field product does not exist in the datasource app for lookup, or you do not have permission to view the app or the field.",
    );
    assert!(missing.body.get("errors").is_none());
    // Without a token of the source app, the source cannot be read.
    let unseen = post(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "record": {"name": {"value": "l"}, "product": {"value": "P-1"}}}),
    )
    .await;
    assert_error(
        &unseen,
        StatusCode::BAD_REQUEST,
        "GAIA_LO04",
        "フィールド「product」の値「P-1」が、ルックアップの参照先のフィールドにないか、またはアプリやフィールドの閲覧権限がありません。",
    );
}

#[tokio::test]
async fn dates_times_and_types_are_checked() {
    let mut apps = Apps::from_json(APPS).unwrap();
    for (code, kind) in [("t", "TIME"), ("dt", "DATETIME")] {
        apps.apps[0].properties.insert(
            code.into(),
            json!({"type": kind, "code": code, "label": code, "required": false, "defaultValue": "", "defaultNowValue": false}),
        );
    }
    let state = FakeState::new(apps).unwrap();
    let good = json!({"name": {"value": "d"}, "visit": {"value": "2026-2-3"}, "t": {"value": "9:05"}, "dt": {"value": "2026-01-01T08:30:59+09:00"}});
    let added = post(&state, "record.json", &[ALL], json!({"app": 1, "record": good})).await;
    let stored = record(&state, added.body["id"].as_str().unwrap()).await;
    assert_eq!(stored["visit"]["value"], "2026-02-03");
    assert_eq!(stored["t"]["value"], "09:05");
    assert_eq!(stored["dt"]["value"], "2025-12-31T23:30:00Z");
    let bad = json!({"name": {"value": "d"}, "visit": {"value": "2026-02-30"}, "t": {"value": "25:00"}, "dt": {"value": "soon"}});
    let refused = post(&state, "record.json", &[ALL, EN], json!({"app": 1, "record": bad})).await;
    assert_errors(
        &refused,
        &json!({
            "record.visit.value": {"messages": ["Enter a valid date."]},
            "record.t.value": {"messages": ["Enter a valid time (HH:MM)."]},
            "record.dt.value": {"messages": ["Enter a valid date and time."]},
        }),
    );
    let wrong_type =
        post(&state, "record.json", &[ALL], json!({"app": 1, "record": {"name": {"value": 5}}}))
            .await;
    assert_error(&wrong_type, StatusCode::BAD_REQUEST, "CB_IJ01", "不正なJSON文字列です。");
    let list = post(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "record": {"name": {"value": "x"}, "topics": {"value": ["CRM", "ERP"]}}}),
    )
    .await;
    assert_errors(
        &list,
        &json!({"record.topics.values[1].value": {"messages": ["\"ERP\"は選択肢にありません。"]}}),
    );
    let app_zero = post(&state, "record.json", &[ALL], json!({"app": 0})).await;
    assert_errors(&app_zero, &json!({"app": {"messages": ["最小でも1以上です。"]}}));
    let unknown_app = post(
        &state,
        "record.json",
        &[("x-cybozu-authorization", "YWRtaW46c2VjcmV0")],
        json!({"app": 42}),
    )
    .await;
    assert_eq!(
        (unknown_app.status, unknown_app.body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("GAIA_AP01"))
    );
    let unknown_field =
        send(&state, "GET", "/k/v1/records.json?app=1&query=nope%20%3D%20%221%22", &[ALL], None)
            .await;
    assert_error(
        &unknown_field,
        StatusCode::BAD_REQUEST,
        "GAIA_IQ11",
        "指定されたフィールド（nope）が見つかりません。",
    );
}

#[tokio::test]
async fn files_upload_attach_and_download() {
    let state = fixture();
    let boundary = "kformBoundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let request = axum::http::Request::post("/k/v1/file.json")
        .header("x-cybozu-api-token", "customers-add")
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    let response = tower::ServiceExt::oneshot(crate::app(state.clone()), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let upload: Value = serde_json::from_slice(&bytes).unwrap();
    super::openapi::check_response("POST", "/k/v1/file.json", &upload);
    let key = upload["fileKey"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 36, "an upload key is UUID-shaped");
    let added = post(&state, "record.json", &[ALL], json!({"app": 1, "record": {"name": {"value": "f"}, "attachment": {"value": [{"fileKey": key}]}}})).await;
    let stored = record(&state, added.body["id"].as_str().unwrap()).await;
    let file = &stored["attachment"]["value"][0];
    assert_eq!((file["name"].as_str(), file["size"].as_str()), (Some("a.txt"), Some("5")));
    let download = file["fileKey"].as_str().unwrap();
    assert_ne!(download, key);
    let reused = post(&state, "record.json", &[ALL, EN], json!({"app": 1, "record": {"name": {"value": "f"}, "attachment": {"value": [{"fileKey": key}]}}})).await;
    assert_error(
        &reused,
        StatusCode::NOT_FOUND,
        "GAIA_BL01",
        &format!("The specified file (id: {key}) not found."),
    );
    let missing = send(&state, "GET", "/k/v1/file.json?fileKey=nope", &[ALL], None).await;
    assert_error(
        &missing,
        StatusCode::NOT_FOUND,
        "GAIA_BL01",
        "指定したファイル（id: nope）が見つかりません。",
    );
    let request = axum::http::Request::get(format!("/k/v1/file.json?fileKey={download}"))
        .header("x-cybozu-api-token", "customers-all")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(crate::app(state), request).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/plain");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert_eq!(&bytes[..], b"hello");
}

#[tokio::test]
async fn bulk_request_is_limited_and_reports_the_failing_index() {
    let state = fixture();
    let add = json!({"method": "POST", "api": "/k/v1/record.json", "payload": {"app": 1, "record": {"name": {"value": "b"}}}});
    let too_many: Vec<Value> = (0..21).map(|_| add.clone()).collect();
    let refused = post(&state, "bulkRequest.json", &[ALL], json!({"requests": too_many})).await;
    assert_eq!(refused.body["code"], "CB_VA01");
    let bad =
        json!({"method": "POST", "api": "/k/v1/record.json", "payload": {"app": 1, "record": {}}});
    let failed = post(
        &state,
        "bulkRequest.json",
        &[ALL],
        json!({"requests": [add.clone(), bad, add.clone()]}),
    )
    .await;
    assert_eq!(failed.status, StatusCode::BAD_REQUEST);
    let results = failed.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!((results[0].clone(), results[2].clone()), (json!({}), json!({})));
    assert_eq!(results[1]["code"], "CB_VA01");
    assert_eq!(state.records(1).len(), 1, "the first add was rolled back");
    let done =
        post(&state, "bulkRequest.json", &[ALL], json!({"requests": [add.clone(), add]})).await;
    assert_eq!(done.body["results"].as_array().map(Vec::len), Some(2));
    assert_eq!(state.records(1).len(), 3);
}

#[tokio::test]
async fn too_many_tokens_and_basic_auth_are_refused() {
    let state = fixture();
    let ten = ["customers-all"; 10].join(",");
    let answer = send(
        &state,
        "GET",
        "/k/v1/app/form/fields.json?app=1",
        &[("x-cybozu-api-token", &ten)],
        None,
    )
    .await;
    assert_eq!(answer.body["code"], "CB_VA01");
    let mut apps = Apps::from_json(APPS).unwrap();
    apps.basic_auth = Some(crate::BasicAuth { user: "u".into(), password: "p".into() });
    let gated = FakeState::new(apps).unwrap();
    let without = send(&gated, "GET", "/k/v1/app/form/fields.json?app=1", &[ALL], None).await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert!(without.headers.contains_key("www-authenticate"));
    let with = send(
        &gated,
        "GET",
        "/k/v1/app/form/fields.json?app=1",
        &[ALL, ("authorization", "Basic dTpw")],
        None,
    )
    .await;
    assert_eq!(with.status, StatusCode::OK);
}

#[tokio::test]
async fn faults_answer_like_kintone_in_trouble_then_stop() {
    let state = fixture();
    let fields = "/k/v1/app/form/fields.json?app=1";
    state.add_fault(Fault::new(FaultKind::Maintenance).on("GET", "*/fields.json").times(1));
    let down = send(&state, "GET", fields, &[ALL], None).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.body, Value::Null, "the maintenance page is not JSON");
    assert_eq!(
        send(&state, "GET", fields, &[ALL], None).await.status,
        StatusCode::OK,
        "count 1 is used up"
    );
    state.add_fault(Fault::new(FaultKind::TooManyRequests).times(1));
    let busy = send(&state, "GET", fields, &[ALL, EN], None).await;
    assert_error(
        &busy,
        StatusCode::TOO_MANY_REQUESTS,
        "GAIA_TO04",
        "The number of concurrent API requests exceeds the limit.",
    );
    assert_eq!(busy.headers["x-cybozu-error"], "GAIA_TO04");
    state.add_fault(Fault::new(FaultKind::Lock).on("POST", "/k/v1/record.json"));
    let body = json!({"app": 1, "record": {"name": {"value": "x"}}});
    for _ in 0..2 {
        let locked = post(&state, "record.json", &[ALL], body.clone()).await;
        assert_eq!(
            (locked.status, locked.body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("GAIA_DA02"))
        );
    }
    assert_eq!(state.records(1).len(), 1, "a locked write stores nothing");
    state.clear_faults();
    state.add_fault(Fault::new(FaultKind::ServerError).times(1));
    assert_eq!(
        send(&state, "GET", fields, &[ALL], None).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    state.set_concurrency_limit(0);
    let over = send(&state, "GET", fields, &[ALL], None).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(over.headers["x-concurrencylimit-limit"], "0");
    assert_eq!(over.headers["x-concurrencylimit-running"], "1");
    assert_eq!(over.headers["cache-control"], "no-cache, no-store, must-revalidate");
}

#[tokio::test]
async fn control_api_counts_injects_and_resets() {
    let state = fixture();
    let control = |method: &'static str, path: &'static str, body: Option<Value>| {
        let state = state.clone();
        async move {
            let mut request = axum::http::Request::builder().method(method).uri(path);
            request = request.header("content-type", "application/json");
            let body = body
                .map_or_else(axum::body::Body::empty, |b| axum::body::Body::from(b.to_string()));
            let response =
                tower::ServiceExt::oneshot(crate::app(state), request.body(body).unwrap())
                    .await
                    .unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
        }
    };
    post(&state, "record.json", &[ALL], json!({"app": 1, "record": {"name": {"value": "x"}}}))
        .await;
    send(&state, "GET", "/k/v1/records.json?app=1", &[ALL], None).await;
    let (_, stats) = control("GET", "/_fake/stats", None).await;
    assert_eq!(stats["byEndpoint"]["POST /k/v1/record.json"], 1);
    assert_eq!(stats["byEndpoint"]["GET /k/v1/records.json"], 1);
    assert_eq!(stats["byApp"]["1"], 2);
    assert_eq!(stats["daily"]["byApp"]["1"], 2);
    let (status, _) = control("POST", "/_fake/faults", Some(json!({"kind": "explode"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, listed) = control(
        "POST",
        "/_fake/faults",
        Some(json!({"path": "*/records.json", "kind": "latency", "millis": 1, "count": 2})),
    )
    .await;
    assert_eq!(listed["faults"][0]["count"], 2);
    let (_, _) = control("DELETE", "/_fake/faults", None).await;
    assert!(state.faults().is_empty());
    // The app's fields change as if deployed in kintone: a new revision with the new field.
    let fields_json = "/k/v1/app/form/fields.json?app=1";
    let before = send(&state, "GET", fields_json, &[ALL], None).await.body;
    let mut properties = before["properties"].as_object().unwrap().clone();
    properties.insert(
        "電話".into(),
        json!({"type": "SINGLE_LINE_TEXT", "code": "電話", "label": "電話", "required": true,
               "unique": false, "minLength": "", "maxLength": "", "defaultValue": ""}),
    );
    let (status, _) =
        control("PUT", "/_fake/apps/1/properties", Some(Value::Object(properties))).await;
    assert_eq!(status, StatusCode::OK);
    let after = send(&state, "GET", fields_json, &[ALL], None).await.body;
    assert_eq!(after["properties"]["電話"]["required"], true);
    let revision = |body: &Value| body["revision"].as_str().unwrap().parse::<u64>().unwrap();
    assert_eq!(revision(&after), revision(&before) + 1);
    let bad = json!({"x": {"type": "NUMBER", "code": "x", "label": "x", "maxValue": "lots"}});
    let (status, refused) = control("PUT", "/_fake/apps/1/properties", Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let (status, _) = control("POST", "/_fake/reset", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state.records(1).len(), 1, "back to the fixture's one record");
    assert_eq!(state.stats()["total"], 0);
    let reset = send(&state, "GET", fields_json, &[ALL], None).await.body;
    assert_eq!(reset["properties"], before["properties"], "back to the fixture's fields");
}

/// Sends a raw request to a served fake and returns what came back before the socket closed.
async fn raw_exchange(url: &str, request: &str) -> std::io::Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    Ok(answer)
}

#[tokio::test]
async fn reset_and_drop_response_cut_the_connection() {
    let fake = crate::spawn(Apps::from_json(APPS).unwrap()).await.unwrap();
    let state = fake.state().clone();
    let body = json!({"app": 1, "record": {"name": {"value": "dropped"}}}).to_string();
    let request = format!(
        "POST /k/v1/record.json HTTP/1.1\r\nHost: x\r\nX-Cybozu-API-Token: customers-all\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    state.add_fault(Fault::new(FaultKind::Reset).times(1));
    let cut = raw_exchange(fake.url(), &request).await;
    assert!(cut.as_ref().is_err() || cut.as_ref().is_ok_and(Vec::is_empty), "{cut:?}");
    assert_eq!(state.records(1).len(), 1, "a reset happens before the write");
    state.add_fault(Fault::new(FaultKind::DropResponse).on("POST", "*").times(1));
    let dropped = raw_exchange(fake.url(), &request).await;
    assert!(dropped.as_ref().is_err() || dropped.as_ref().is_ok_and(Vec::is_empty), "{dropped:?}");
    assert_eq!(state.records(1).len(), 2, "the write was committed all the same");
    let answered = raw_exchange(fake.url(), &request).await.unwrap();
    assert!(answered.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answered));
}

#[tokio::test]
async fn remaining_confirmed_errors_have_kintone_status_code_and_words() {
    let state = fixture();
    let wrong = send(
        &state,
        "GET",
        "/k/v1/app/form/fields.json?app=1",
        &[("x-cybozu-authorization", "YWRtaW46bm9wZQ=="), EN],
        None,
    )
    .await;
    assert_error(
        &wrong,
        StatusCode::UNAUTHORIZED,
        "CB_WA01",
        "Password authentication failed. The value in http header of X-Cybozu-Authorization is not valid.",
    );
    let guest = ("x-cybozu-api-token", "guest-all");
    let outside = send(&state, "GET", "/k/v1/records.json?app=3", &[guest], None).await;
    assert_error(
        &outside,
        StatusCode::BAD_REQUEST,
        "GAIA_IL23",
        "ゲストスペース内のアプリを操作する場合は、リクエストの送信先を「/k/guest/（ゲストスペースのID）/v1/...」にします。",
    );
    let wrong_space =
        send(&state, "GET", "/k/guest/8/v1/records.json?app=3", &[guest, EN], None).await;
    assert_error(&wrong_space, StatusCode::FORBIDDEN, "CB_NO02", "No privilege to proceed.");
    state.add_fault(Fault::new(FaultKind::Lock).times(1));
    let locked =
        post(&state, "record.json", &[ALL], json!({"app": 1, "record": {"name": {"value": "x"}}}))
            .await;
    assert_error(
        &locked,
        StatusCode::BAD_REQUEST,
        "GAIA_DA02",
        "データベースのロックに失敗したため、変更を保存できませんでした。時間をおいて再度お試しください。",
    );
    let operator = send(
        &state,
        "GET",
        "/k/v1/records.json?app=1&query=plan%20%3D%20%22Standard%22",
        &[ALL],
        None,
    )
    .await;
    assert_error(
        &operator,
        StatusCode::BAD_REQUEST,
        "GAIA_IQ03",
        "planフィールドのフィールドタイプには演算子=を使用できません。",
    );
    let not_option = send(
        &state,
        "GET",
        "/k/v1/records.json?app=1&query=plan%20in%20(%22Gold%22)",
        &[ALL],
        None,
    )
    .await;
    assert_eq!(
        (not_option.status, not_option.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("GAIA_IQ10"))
    );
    let table_eq =
        send(&state, "GET", "/k/v1/records.json?app=1&query=note%20%3D%20%22a%22", &[ALL], None)
            .await;
    assert_eq!(
        (table_eq.status, table_eq.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("GAIA_IQ07"))
    );
    let rows = json!([{"value": {"qty": {"value": "1"}, "note": {"value": "in a row"}}}]);
    let added = post(
        &state,
        "record.json",
        &[ALL],
        json!({"app": 1, "record": {"name": {"value": "t"}, "items": {"value": rows}}}),
    )
    .await;
    let id = added.body["id"].as_str().unwrap().to_owned();
    let by_row = send(
        &state,
        "GET",
        "/k/v1/records.json?app=1&query=note%20in%20(%22in%20a%20row%22)",
        &[ALL],
        None,
    )
    .await;
    assert_eq!(
        by_row.body["records"].as_array().map(Vec::len),
        Some(1),
        "a row's value finds its record"
    );
    let row = record(&state, &id).await["items"]["value"][0]["id"].clone();
    let twice = json!({"app": 1, "id": id, "record": {"items": {"value": [{"id": row, "value": {}}, {"id": row, "value": {}}]}}});
    let duplicated = put(&state, "record.json", &[ALL], twice).await;
    assert_error(
        &duplicated,
        StatusCode::from_u16(520).unwrap(),
        "GAIA_SI01",
        "Raw ID (code: items) in a table is duplicated.",
    );
}

/// The codes of a layout's rows, a subtable's inner fields after it.
fn layout_codes(layout: &Value) -> Vec<String> {
    let mut codes = Vec::new();
    for row in layout["layout"].as_array().unwrap() {
        match row["type"].as_str() {
            Some("ROW") => codes.extend(
                row["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["code"].as_str().unwrap().to_owned()),
            ),
            _ => {
                codes.push(row["code"].as_str().unwrap().to_owned());
                for inner in row["fields"].as_array().into_iter().flatten() {
                    codes.push(format!("  {}", inner["code"].as_str().unwrap()));
                }
            }
        }
    }
    codes
}

#[tokio::test]
async fn the_layout_keeps_the_order_the_app_file_wrote_its_fields_in() {
    // Not the codes' alphabetical order, which serde_json's objects would give.
    let text = r#"{"apps": [{"id": 1, "name": "順序", "tokens": [{"token": "t", "permissions": ["view", "add"]}],
      "properties": {
        "zeta": {"type": "SINGLE_LINE_TEXT", "code": "zeta", "label": "Z"},
        "table": {"type": "SUBTABLE", "code": "table", "fields": {
          "z_cell": {"type": "NUMBER", "code": "z_cell", "label": "ZC"},
          "a_cell": {"type": "NUMBER", "code": "a_cell", "label": "AC"}}},
        "alpha": {"type": "NUMBER", "code": "alpha", "label": "A"}}}]}"#;
    let state = FakeState::new(Apps::from_json(text).unwrap()).unwrap();
    let token = ("x-cybozu-api-token", "t");
    let layout = send(&state, "GET", "/k/v1/app/form/layout.json?app=1", &[token], None).await;
    assert_eq!(layout_codes(&layout.body), ["zeta", "table", "  z_cell", "  a_cell", "alpha"]);
    // Fields changed as kintone deploys them: the new order is the one sent.
    let changed = r#"{"alpha": {"type": "NUMBER", "code": "alpha", "label": "A"},
      "middle": {"type": "SINGLE_LINE_TEXT", "code": "middle", "label": "M"},
      "zeta": {"type": "SINGLE_LINE_TEXT", "code": "zeta", "label": "Z"}}"#;
    let request = axum::http::Request::builder()
        .method("PUT")
        .uri("/_fake/apps/1/properties")
        .body(axum::body::Body::from(changed))
        .unwrap();
    let response = tower::ServiceExt::oneshot(crate::app(state.clone()), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let layout = send(&state, "GET", "/k/v1/app/form/layout.json?app=1", &[token], None).await;
    assert_eq!(layout_codes(&layout.body), ["alpha", "middle", "zeta"]);
}

#[tokio::test]
async fn the_demo_app_s_layout_follows_its_file() {
    let state = FakeState::new(Apps::demo("d")).unwrap();
    let layout = send(
        &state,
        "GET",
        "/k/v1/app/form/layout.json?app=1",
        &[("x-cybozu-api-token", "d")],
        None,
    )
    .await;
    let codes: Vec<String> =
        layout_codes(&layout.body).into_iter().filter(|code| !code.starts_with(' ')).collect();
    let written: crate::ordered::Ordered =
        serde_json::from_str(include_str!("../demo-app.json")).unwrap();
    let places: Vec<usize> =
        codes.iter().map(|code| written.order.iter().position(|c| c == code).unwrap()).collect();
    assert!(places.is_sorted(), "{codes:?}");
    let mut sorted = codes.clone();
    sorted.sort();
    assert_ne!(codes, sorted, "the file's order is not the codes' order");
}
