//! Data-driven tests of parsing, validation, messages and record JSON over a fields.json fixture.

use serde_json::json;

use crate::field::{FieldKind, NotWritableReason};
use crate::kintone::{ErrorBody, field_of_path};
use crate::{AppFields, FormSpec, IssueCode, Locale, Value, Values, validate};

const CONTACT_FIELDS: &str = include_str!("../../../tests/fixtures/kintone/contact-fields.json");

fn fields() -> AppFields {
    AppFields::from_kintone_json(CONTACT_FIELDS).unwrap()
}

fn form(items: serde_json::Value) -> FormSpec {
    let mut spec = json!({ "format": 1, "id": "contact", "app": 1 });
    spec["items"] = items;
    serde_json::from_value(spec).unwrap()
}

fn all_items() -> serde_json::Value {
    json!([
        { "field": "会社名" }, { "field": "担当者" }, { "field": "備考" }, { "field": "人数" },
        { "field": "種別" }, { "field": "関心" }, { "field": "希望日" },
        { "field": "フォーム識別", "hidden": "web" }
    ])
}

/// Validates `values` against every writable fixture field and renders the outcome: the record
/// JSON when valid, otherwise one `path: code` line per problem.
#[track_caller]
fn check(values: serde_json::Value, expected: &str) {
    let values: Values = serde_json::from_value(values).unwrap();
    let actual = match validate(&fields(), &form(all_items()), &values) {
        Ok(record) => serde_json::to_string(&*record).unwrap(),
        Err(report) => report.to_string(),
    };
    assert_eq!(actual.trim(), expected.trim());
}

#[test]
fn parses_every_fixture_field() {
    let fields = fields();
    assert_eq!(fields.revision, "7");
    assert_eq!(fields.fields.len(), 14);
    let kind = |code: &str| fields.get(code).unwrap().kind.clone();
    let FieldKind::DropDown { options, .. } = kind("種別") else {
        panic!("種別 is a drop-down")
    };
    let values: Vec<_> = options.iter().map(|choice| choice.value.as_str()).collect();
    assert_eq!(values, ["資料請求", "見積依頼"], "options follow kintone's index, not key order");
    let not_writable = |code: &str| match kind(code) {
        FieldKind::NotWritable { reason, .. } => Some(reason),
        _ => None,
    };
    assert_eq!(not_writable("合計"), Some(NotWritableReason::Computed));
    assert_eq!(not_writable("顧客名"), Some(NotWritableReason::Computed), "lookup copy target");
    assert_eq!(not_writable("新型"), Some(NotWritableReason::Unsupported));
    assert_eq!(not_writable("レコード番号"), Some(NotWritableReason::System));
    assert_eq!(not_writable("会社名"), None);
    assert!(matches!(kind("顧客"), FieldKind::Lookup(_)), "a lookup key is writable");
}

#[test]
fn refuses_a_malformed_fields_response() {
    let err = AppFields::from_kintone_json(r#"{"properties": {}}"#).unwrap_err();
    assert!(err.to_string().contains("revision"), "{err}");
    let bad_limit = r#"{"revision": "1", "properties": {"a": {"type": "SINGLE_LINE_TEXT",
        "code": "a", "label": "a", "maxLength": "lots"}}}"#;
    let err = AppFields::from_kintone_json(bad_limit).unwrap_err();
    assert_eq!(err.to_string(), r#"field a: length limit "lots" is not a whole number"#);
}

#[test]
fn valid_values_become_kintone_record_json() {
    check(
        json!({ "会社名": "サイボウズ", "担当者": "山田", "人数": " 12 ", "種別": "見積依頼", "関心": ["A", "B"],
                "希望日": "2026-1-5", "フォーム識別": "forged", "unknown": "ignored" }),
        r#"{"フォーム識別":{"value":"web"},"人数":{"value":"12"},"会社名":{"value":"サイボウズ"},"希望日":{"value":"2026-01-05"},"担当者":{"value":"山田"},"種別":{"value":"見積依頼"},"関心":{"value":["A","B"]}}"#,
    );
}

#[test]
fn reports_every_problem_at_once() {
    check(
        json!({ "会社名": "", "担当者": "a", "人数": "1,000", "種別": "その他", "関心": ["A", "C"],
                "希望日": "2026-02-30" }),
        r#"
record.会社名.value: required
record.担当者.value: too_short min=2
record[人数].value: not_a_number
record.種別.value: not_an_option value="その他"
record.関心.values[1].value: not_an_option value="C"
record.希望日.value: invalid_date
"#,
    );
}

#[test]
fn checks_limits_and_shapes() {
    check(
        json!({ "会社名": "x".repeat(65), "人数": "1001", "関心": "A", "希望日": ["2026-01-01"] }),
        r#"
record.会社名.value: too_long max=64
record.担当者.value: too_short min=2
record.人数.value: too_large max=1000
record.関心.values: wrong_shape
record.希望日.value: wrong_shape
"#,
    );
    check(
        json!({ "会社名": "x", "担当者": "xy", "人数": "0.5e0", "関心": [] }),
        "record.人数.value: too_small min=1\nrecord.関心.values: required",
    );
}

#[test]
fn counts_length_in_utf16_units() {
    // 32 emoji are 64 UTF-16 units: the limit exactly. One more letter is over it.
    let spec = form(json!([{ "field": "会社名" }]));
    let at_limit: Values = serde_json::from_value(json!({ "会社名": "😀".repeat(32) })).unwrap();
    assert!(validate(&fields(), &spec, &at_limit).is_ok());
    let over: Values =
        serde_json::from_value(json!({ "会社名": format!("{}a", "😀".repeat(32)) })).unwrap();
    let report = validate(&fields(), &spec, &over).unwrap_err();
    assert_eq!(report.to_string().trim(), "record.会社名.value: too_long max=64");
}

#[test]
fn hidden_values_are_fixed_and_still_validated() {
    let spec = form(
        json!([{ "field": "種別", "hidden": "無効" }, { "field": "会社名", "hidden": "ACME" }]),
    );
    let values: Values = serde_json::from_value(json!({ "会社名": "forged" })).unwrap();
    let report = validate(&fields(), &spec, &values).unwrap_err();
    assert_eq!(report.to_string().trim(), r#"record.種別.value: not_an_option value="無効""#);
}

#[test]
fn a_conditional_item_is_checked_and_sent_only_while_its_condition_holds() {
    let spec = form(json!([
        { "field": "種別" },
        { "field": "備考", "required": true, "show_if": { "field": "種別", "in": ["資料請求"] } },
        { "field": "人数", "show_if": { "field": "関心", "in": ["A"] } }
    ]));
    let values = |json| serde_json::from_value::<Values>(json).unwrap();
    let hidden = validate(
        &fields(),
        &spec,
        &values(json!({ "種別": "見積依頼", "備考": "typed before", "人数": "2" })),
    );
    assert_eq!(
        serde_json::to_string(&*hidden.unwrap()).unwrap(),
        r#"{"種別":{"value":"見積依頼"}}"#,
        "neither checked nor sent"
    );
    let shown =
        validate(&fields(), &spec, &values(json!({ "種別": "資料請求", "関心": ["A", "B"] })));
    assert_eq!(shown.unwrap_err().to_string().trim(), "record.備考.value: required");
}

#[test]
fn tightening_required_and_form_errors() {
    let spec = form(
        json!([{ "field": "備考", "required": true }, { "field": "合計" }, { "field": "顧客名" }, { "field": "なし", "required": true }, { "label": "見出し" }]),
    );
    let report = validate(&fields(), &spec, &Values::default()).unwrap_err();
    assert_eq!(
        report.to_string().trim(),
        "record.備考.value: required\nrecord.合計.value: not_writable\nrecord.顧客名.value: not_writable\nrecord.なし.value: unknown_field"
    );
}

#[test]
fn an_optional_item_whose_field_was_deleted_drops_out_and_a_required_one_does_not() {
    // 電話番号 was deleted in kintone: the rest of the form is still sent.
    let spec = form(json!([{ "field": "会社名" }, { "field": "担当者" }, { "field": "関心" },
                          { "field": "電話番号" }]));
    let values = |json| serde_json::from_value::<Values>(json).unwrap();
    let sent = json!({ "会社名": "ACME", "担当者": "山田", "関心": ["A"], "電話番号": "03" });
    let record = validate(&fields(), &spec, &values(sent.clone())).unwrap();
    assert!(record.into_inner().get("電話番号").is_none(), "nothing is sent for it");
    // The form requires it, or it is the update key: the form cannot be sent without it.
    for broken in [
        json!({ "format": 1, "id": "f", "app": 1, "items": [{ "field": "会社名" },
            { "field": "担当者" }, { "field": "関心" }, { "field": "電話番号", "required": true }] }),
        json!({ "format": 1, "id": "f", "app": 1, "update_key": "電話番号", "items": [
            { "field": "会社名" }, { "field": "担当者" }, { "field": "関心" }, { "field": "電話番号" }] }),
    ] {
        let spec: FormSpec = serde_json::from_value(broken).unwrap();
        let report = validate(&fields(), &spec, &values(sent.clone())).unwrap_err();
        assert_eq!(report.to_string().trim(), "record.電話番号.value: unknown_field");
    }
}

#[test]
fn messages_match_kintone_wording() {
    let cases = [
        (IssueCode::Required, "必須です。", "Required."),
        (
            IssueCode::TooLong { max: 64 },
            "65文字より短くなければなりません。",
            "Enter less than 65 characters.",
        ),
        (
            IssueCode::TooShort { min: 2 },
            "1文字より長くなければなりません。",
            "Enter more than 1 characters.",
        ),
        (IssueCode::NotANumber, "数字でなければなりません。", "Only numbers are allowed."),
        (
            IssueCode::TooLarge { max: "10".into() },
            "10以下である必要があります。",
            "The value must be 10 or less.",
        ),
        (
            IssueCode::TooSmall { min: "1".into() },
            "1以上である必要があります。",
            "The value must be 1 or more.",
        ),
        (
            IssueCode::NotAnOption { value: "x".into() },
            "\"x\"は選択肢にありません。",
            "The value, \"x\", is not in options.",
        ),
    ];
    for (code, ja, en) in cases {
        assert_eq!(code.message(Locale::Ja), ja);
        assert_eq!(code.message(Locale::En), en);
    }
}

#[test]
fn reads_languages() {
    assert_eq!(Locale::from_tag("en-US"), Some(Locale::En));
    assert_eq!(Locale::from_tag("fr"), None);
    assert_eq!(Locale::from_accept_language("fr, en;q=0.5, ja;q=0.8"), Some(Locale::Ja));
    assert_eq!(Locale::from_accept_language("en-GB,en;q=0.9"), Some(Locale::En));
    assert_eq!(Locale::from_accept_language("de"), None);
}

#[test]
fn kintone_error_bodies_land_on_their_fields() {
    let body: ErrorBody = serde_json::from_value(json!({
        "id": "abc", "code": "CB_VA01", "message": "入力内容が正しくありません。",
        "errors": {
            "record.会社名.value": { "messages": ["値がほかのレコードと重複しています。"] },
            "record[人数].value": { "messages": ["数字でなければなりません。"] },
            "app": { "messages": ["最小でも1以上です。"] }
        }
    }))
    .unwrap();
    let report = body.to_report();
    assert_eq!(
        report.to_string().trim(),
        "app: rejected_by_kintone \"最小でも1以上です。\"\nrecord.会社名.value: duplicate\nrecord[人数].value: not_a_number"
    );
    assert_eq!(report.for_field("会社名").count(), 1);
    assert_eq!(report.issues()[0].field, None);
}

#[test]
fn error_paths_name_top_level_fields() {
    let code = |path: &str| field_of_path(path).map(|code| code.to_string());
    assert_eq!(code("record.会社名.value").as_deref(), Some("会社名"));
    assert_eq!(code("record.関心.values[1].value").as_deref(), Some("関心"));
    assert_eq!(code("record[人数].value").as_deref(), Some("人数"));
    assert_eq!(code("records[3].メール.value").as_deref(), Some("メール"));
    assert_eq!(
        crate::kintone::record_of_path("records[12].明細.value[0].value.数量.value"),
        Some((12, "明細.value[0].value.数量.value"))
    );
    assert_eq!(crate::kintone::record_of_path("records"), None);
    assert_eq!(crate::kintone::record_of_path("record.メール.value"), None);
    assert_eq!(crate::kintone::record_of_path("records[x].メール.value"), None);
    assert_eq!(code("record.明細.value[0].value.数量.value").as_deref(), Some("明細"));
    assert_eq!(code("records"), None);
    assert_eq!(code("record."), None);
}

#[test]
fn values_keep_unusable_json_for_validation_to_report() {
    let values: Values = serde_json::from_value(json!({
        "n": 12, "list": ["x", 2], "none": null, "flag": true, "object": {"a": 1},
        "mixed": ["x", {"code": "y"}], "users": [{"code": "sato"}], "files": [{"fileKey": "k"}],
        "rows": [{"qty": "1"}], "empty": []
    }))
    .unwrap();
    let get = |code: &str| values.get(code).unwrap().clone();
    assert_eq!(get("n"), Value::Text("12".into()));
    assert_eq!(get("list"), Value::List(vec!["x".into(), "2".into()]));
    assert_eq!(get("none"), Value::Text(String::new()));
    assert_eq!(get("flag"), Value::Invalid("true".into()));
    assert!(matches!(get("object"), Value::Invalid(_)));
    assert!(matches!(get("mixed"), Value::Invalid(_)));
    assert_eq!(get("users"), Value::Entities(vec!["sato".into()]));
    assert_eq!(get("files"), Value::Files(vec!["k".into()]));
    assert!(matches!(get("rows"), Value::Rows(rows) if rows.len() == 1));
    assert_eq!(get("empty"), Value::List(Vec::new()));
    check(
        json!({ "会社名": true, "関心": {"A": true} }),
        // 担当者 is left out and has minLength 2 without a default: kintone refuses that too.
        "record.会社名.value: wrong_shape\nrecord.担当者.value: too_short min=2\nrecord.関心.values: wrong_shape",
    );
}

#[test]
fn descriptor_round_trips_through_json() {
    let descriptor = crate::protocol::FormDescriptor {
        form: form(all_items()),
        fields: fields().subset(form(all_items()).field_codes()),
        captcha: None,
        upload_limit_bytes: Some(20 * 1024 * 1024),
    };
    let json = serde_json::to_string(&descriptor).unwrap();
    let back: crate::protocol::FormDescriptor = serde_json::from_str(&json).unwrap();
    assert_eq!(back, descriptor);
    assert_eq!(back.fields.fields.len(), 8);
}

const EVERY_TYPE: &str = include_str!("../../../tests/fixtures/kintone/every-type-fields.json");
const OFFICIAL_SAMPLE: &str =
    include_str!("../../../tests/fixtures/kintone/official-sample-fields.json");

#[test]
fn parses_every_kintone_type() {
    use crate::field::{EntityType, LinkProtocol, LookupKey, Shape};
    let fields = AppFields::from_kintone_json(EVERY_TYPE).unwrap();
    let field = |code: &str| fields.get(code).unwrap_or_else(|| panic!("{code}")).clone();
    // Every field keeps kintone's type name, and writability follows the type.
    let expected = [
        ("氏名", "SINGLE_LINE_TEXT", Some(Shape::Text)),
        ("相談内容", "MULTI_LINE_TEXT", Some(Shape::Text)),
        ("詳細", "RICH_TEXT", Some(Shape::Text)),
        ("予算", "NUMBER", Some(Shape::Text)),
        ("小計", "CALC", None),
        ("連絡方法", "RADIO_BUTTON", Some(Shape::Text)),
        ("関心", "CHECK_BOX", Some(Shape::List)),
        ("地域", "MULTI_SELECT", Some(Shape::List)),
        ("業種", "DROP_DOWN", Some(Shape::Text)),
        ("希望日", "DATE", Some(Shape::Text)),
        ("希望時刻", "TIME", Some(Shape::Text)),
        ("来場日時", "DATETIME", Some(Shape::Text)),
        ("サイト", "LINK", Some(Shape::Text)),
        ("資料", "FILE", Some(Shape::Files)),
        ("担当者", "USER_SELECT", Some(Shape::Entities)),
        ("部署", "ORGANIZATION_SELECT", Some(Shape::Entities)),
        ("グループ", "GROUP_SELECT", Some(Shape::Entities)),
        ("明細", "SUBTABLE", Some(Shape::Rows)),
        ("商品コード", "NUMBER", Some(Shape::Text)),
        ("商品名", "SINGLE_LINE_TEXT", None),
        ("過去案件", "REFERENCE_TABLE", None),
        ("基本情報", "GROUP", None),
        ("レコード番号", "RECORD_NUMBER", None),
        ("作成者", "CREATOR", None),
        ("作成日時", "CREATED_TIME", None),
        ("更新者", "MODIFIER", None),
        ("更新日時", "UPDATED_TIME", None),
        ("カテゴリー", "CATEGORY", None),
        ("ステータス", "STATUS", None),
        ("作業者", "STATUS_ASSIGNEE", None),
        ("未来の型", "SIGNATURE", None),
    ];
    for kintone_type in crate::kintone::KINTONE_TYPES {
        let present = fields.fields.values().any(|f| f.kind.kintone_type() == kintone_type);
        assert!(present, "the fixture has a {kintone_type} field");
    }
    for (code, kintone_type, shape) in expected {
        assert_eq!(field(code).kind.kintone_type(), kintone_type, "{code}");
        assert_eq!(field(code).kind.shape(), shape, "{code}");
    }
    assert_eq!(
        fields.fields.len(),
        expected.len() + 6,
        "plus 会員番号 受付ID 郵便番号 受付日 電話 メール"
    );
    // Settings arrive as strings and "" and become typed limits.
    let FieldKind::Number { limits, display, .. } = field("予算").kind else { panic!() };
    assert_eq!(limits.max_value.as_deref(), Some("100000000"));
    assert_eq!(
        (display.unit.as_str(), display.unit_after, display.display_scale),
        ("円", true, Some(0))
    );
    let FieldKind::Link { protocol, limits, .. } = field("メール").kind else { panic!() };
    assert_eq!(
        (protocol, limits.max_length, limits.min_length),
        (LinkProtocol::Mail, Some(100), None)
    );
    let FieldKind::File { thumbnail_size } = field("資料").kind else { panic!() };
    assert_eq!(thumbnail_size, Some(150));
    let FieldKind::UserSelect(select) = field("担当者").kind else { panic!() };
    assert_eq!(select.entities.len(), 2);
    assert_eq!(select.default_value[0].kind, EntityType::Function);
    let FieldKind::Lookup(lookup) = field("商品コード").kind else { panic!() };
    assert_eq!((lookup.key, lookup.related_app.0), (LookupKey::Number, 31));
    assert_eq!(lookup.field_mappings[0].0.as_str(), "商品名");
    let FieldKind::Subtable { fields: inner } = field("明細").kind else { panic!() };
    assert_eq!(
        inner.keys().map(|code| code.as_str()).collect::<Vec<_>>(),
        ["品名", "数量", "色", "行小計"]
    );
    assert!(inner.get("品名").unwrap().required);
    assert!(!inner.get("行小計").unwrap().is_writable());
    // Defaults: RADIO_BUTTON's required is not enforced by kintone; "now" counts as a default.
    assert!(!field("連絡方法").required);
    assert!(field("受付日").required && field("受付日").kind.has_default());
    assert!(!field("未来の型").required, "an unknown type is never required of a form");
}

#[test]
fn parses_the_official_sample_with_its_typos() {
    let fields = AppFields::from_kintone_json(OFFICIAL_SAMPLE).unwrap();
    assert_eq!(fields.revision, "2");
    assert_eq!(fields.fields.len(), 16);
    let FieldKind::CheckBox { options, default_value } =
        &fields.get("チェックボックス_0").unwrap().kind
    else {
        panic!()
    };
    let order: Vec<_> = options.iter().map(|choice| choice.value.as_str()).collect();
    assert_eq!(order, ["sample1", "sample3", "sample2"], "by index, not by key");
    assert_eq!(default_value, &["sample1", "sample3"]);
    assert!(
        fields.get("コピー先のフィールド").is_none(),
        "a copy target outside the app is skipped"
    );
}

#[test]
fn refuses_settings_kintone_never_sends() {
    let cases = [
        (r#"{"type": "LINK", "protocol": "FTP"}"#, r#"unknown link protocol "FTP""#),
        (r#"{"type": "NUMBER", "maxValue": "ten"}"#, r#"value limit "ten" is not a number"#),
        (r#"{"type": "DROP_DOWN", "options": {"a": {"label": "a", "index": "x"}}}"#, "has index"),
        (r#"{"type": "SINGLE_LINE_TEXT", "lookup": {"relatedApp": {"app": ""}}}"#, "not an app id"),
        (r#"{"type": "CHECK_BOX", "options": []}"#, "invalid type"),
    ];
    for (property, reason) in cases {
        let json = format!(r#"{{"revision": "1", "properties": {{"f": {property}}}}}"#);
        let err = AppFields::from_kintone_json(&json).unwrap_err().to_string();
        assert!(err.starts_with("field f: ") && err.contains(reason), "{property}: {err}");
    }
}

#[test]
fn a_valid_record_round_trips_through_kintone_json() {
    let fields = AppFields::from_kintone_json(EVERY_TYPE).unwrap();
    let form = FormSpec::every_field(crate::FormId("t".into()), crate::AppId(1), &fields);
    let values: Values = serde_json::from_value(json!({
        "氏名": "山田", "業種": "製造", "メール": "a@example.com", "関心": ["製品B"],
        "担当者": [{"code": "sato"}], "資料": [{"fileKey": "k1"}, {"fileKey": "k2"}],
        "明細": [{"品名": "ペン", "色": ["赤", "青"]}], "希望日": "", "グループ": []
    }))
    .unwrap();
    let record = validate(&fields, &form, &values).unwrap();
    let json = serde_json::to_value(&*record).unwrap();
    let back = crate::Record::from_kintone_json(&fields, &json).unwrap();
    assert_eq!(back, *record);
    // A record as kintone returns it (with types, ids, names and read-only fields) reads too.
    let read = json!({
        "$id": {"type": "__ID__", "value": "9"}, "レコード番号": {"type": "RECORD_NUMBER", "value": "9"},
        "氏名": {"type": "SINGLE_LINE_TEXT", "value": "山田"}, "業種": {"type": "DROP_DOWN", "value": null},
        "担当者": {"type": "USER_SELECT", "value": [{"code": "sato", "name": "佐藤"}]},
        "明細": {"type": "SUBTABLE", "value": [{"id": "31", "value": {"品名": {"type": "SINGLE_LINE_TEXT", "value": "ペン"}}}]}
    });
    let read = crate::Record::from_kintone_json(&fields, &read).unwrap();
    assert_eq!(
        serde_json::to_value(&read).unwrap(),
        json!({
            "氏名": {"value": "山田"}, "業種": {"value": ""}, "担当者": {"value": [{"code": "sato"}]},
            "明細": {"value": [{"value": {"品名": {"value": "ペン"}}}]}
        })
    );
    let err = crate::Record::from_kintone_json(&fields, &json!({"関心": {"value": "製品A"}}));
    assert_eq!(
        err.unwrap_err().to_string(),
        "record JSON at record.関心.value: expected an array of strings"
    );
}

#[test]
fn kintone_messages_read_back_into_codes() {
    let codes = [
        IssueCode::Required,
        IssueCode::TooLong { max: 64 },
        IssueCode::TooShort { min: 3 },
        IssueCode::NotANumber,
        IssueCode::TooLarge { max: "1.5".into() },
        IssueCode::TooSmall { min: "-10".into() },
        IssueCode::NotAnOption { value: "A \"quoted\" one".into() },
        IssueCode::Duplicate,
    ];
    for code in codes {
        for locale in [Locale::Ja, Locale::En] {
            assert_eq!(IssueCode::from_kintone_message(&code.message(locale)), code, "{locale:?}");
        }
    }
    assert_eq!(IssueCode::from_kintone_message("Required field."), IssueCode::Required);
    assert_eq!(
        IssueCode::from_kintone_message("最小でも1以上です。"),
        IssueCode::RejectedByKintone { kintone_message: "最小でも1以上です。".into() }
    );
}

#[test]
fn other_kintone_errors_become_one_issue() {
    let lookup: ErrorBody = serde_json::from_value(json!({
        "id": "x", "code": "GAIA_LO04",
        "message": "フィールド「商品コード」の値「P999」が、ルックアップの参照先のフィールドにないか、またはアプリやフィールドの閲覧権限がありません。"
    }))
    .unwrap();
    assert_eq!(
        lookup.to_report().to_string().trim(),
        r#"record.商品コード.value: lookup_not_found value="P999""#
    );
    let english: ErrorBody = serde_json::from_value(json!({
        "id": "x", "code": "GAIA_LO04",
        "message": "A value P999 in the field prod_code does not exist in the datasource app for lookup, or you do not have permission to view the app or the field."
    }))
    .unwrap();
    assert_eq!(english.to_report().issues()[0].field.as_ref().unwrap().as_str(), "prod_code");
    let other: ErrorBody = serde_json::from_value(json!({
        "id": "x", "code": "GAIA_NO01", "message": "Using this API token, you cannot run the specified API."
    }))
    .unwrap();
    let report = other.to_report();
    assert_eq!(report.issues()[0].field, None);
    assert_eq!(
        report.issues()[0].code.message(Locale::Ja),
        "[GAIA_NO01] Using this API token, you cannot run the specified API."
    );
}

#[test]
fn issues_in_tables_belong_to_the_table() {
    let fields = AppFields::from_kintone_json(EVERY_TYPE).unwrap();
    let spec = form(json!([{ "field": "明細" }]));
    let values: Values =
        serde_json::from_value(json!({ "明細": [{ "品名": "a" }, { "品名": "" }] })).unwrap();
    let report = validate(&fields, &spec, &values).unwrap_err();
    assert_eq!(report.issues()[0].path, "record.明細.value[1].value.品名.value");
    assert_eq!(report.for_field("明細").count(), 1);
}

#[test]
fn form_definitions_refuse_other_formats_and_typos() {
    let good = r#"{"format": 1, "id": "f", "app": 1, "items": []}"#;
    assert!(FormSpec::from_json(good).is_ok());
    let newer = FormSpec::from_json(r#"{"format": 2, "id": "f", "app": 1, "items": []}"#);
    assert_eq!(
        newer.unwrap_err().to_string(),
        "form format 2 is not supported (this kform reads format 1)"
    );
    let typo =
        FormSpec::from_json(r#"{"format": 1, "id": "f", "app": 1, "items": [{"requierd": true}]}"#);
    assert!(typo.unwrap_err().to_string().contains("unknown field `requierd`"));
}

#[test]
fn the_submission_id_fills_the_idempotency_field() {
    let fields = AppFields::from_kintone_json(EVERY_TYPE).unwrap();
    let mut spec = form(json!([{ "field": "氏名" }]));
    let values: Values = serde_json::from_value(json!({ "氏名": "山田" })).unwrap();
    let plain = validate(&fields, &spec, &values).unwrap().with_submission_id(&spec, "id-1");
    assert!(plain.get("受付ID").is_none());
    spec.idempotency_field = Some(crate::FieldCode::new("受付ID").unwrap());
    let stamped = validate(&fields, &spec, &values).unwrap().with_submission_id(&spec, "id-1");
    assert_eq!(stamped.get("受付ID"), Some(&crate::RecordValue::Text("id-1".into())));
}

#[test]
fn the_layout_gives_the_fields_kintone_s_order() {
    let mut fields = fields();
    let codes = |fields: &AppFields| -> Vec<String> {
        fields.in_layout_order().iter().map(|field| field.code.as_str().to_owned()).collect()
    };
    let by_code = codes(&fields);
    assert!(by_code.windows(2).all(|pair| pair[0] <= pair[1]), "no layout: by code {by_code:?}");
    fields.set_layout_order(&json!({ "revision": "3", "layout": [
        { "type": "ROW", "fields": [
            { "type": "LABEL", "label": "ご連絡先", "size": {} },
            { "type": "SINGLE_LINE_TEXT", "code": "担当者", "size": {} },
            { "type": "SINGLE_LINE_TEXT", "code": "会社名", "size": {} }
        ] },
        { "type": "GROUP", "code": "存在しないグループ", "layout": [
            { "type": "ROW", "fields": [{ "type": "NUMBER", "code": "人数" }, { "type": "HR" }] }
        ] },
        { "type": "ROW", "fields": [{ "type": "MULTI_LINE_TEXT", "code": "備考" }] }
    ] }));
    let ordered = codes(&fields);
    assert_eq!(ordered[..4], ["担当者", "会社名", "人数", "備考"], "{ordered:?}");
    assert_eq!(ordered.len(), by_code.len(), "fields the layout does not list still come, after");
    assert!(
        fields.layout_order.iter().all(|code| fields.fields.contains_key(code)),
        "unknown codes dropped"
    );
    let subset = fields.subset(fields.layout_order.iter().take(1));
    assert!(subset.layout_order.is_empty(), "a form's descriptor does not carry it");
}

#[test]
fn input_hint_names_are_one_table_that_serde_agrees_with() {
    for (name, hint) in crate::InputHint::NAMES {
        assert_eq!(hint.name(), name);
        assert_eq!(crate::InputHint::from_name(name), Some(hint));
        assert_eq!(serde_json::to_value(hint).unwrap(), serde_json::json!(name));
    }
    assert_eq!(crate::InputHint::from_name("fax"), None);
}

#[test]
fn an_auto_reply_goes_only_to_an_address_the_visitor_types() {
    use crate::{InputHint, ReplyTo, reply_to};
    let email = Some(InputHint::Email);
    assert_eq!(reply_to(false, false, email, None), ReplyTo::Typed);
    assert_eq!(reply_to(false, false, None, Some("LINK")), ReplyTo::Typed);
    let tel = Some(InputHint::Tel);
    assert_eq!(reply_to(false, false, tel, Some("SINGLE_LINE_TEXT")), ReplyTo::NotEmail);
    assert_eq!(reply_to(false, false, None, None), ReplyTo::NotEmail);
    // A hidden item's fixed value or a capture's, even one marked as an address, is not typed.
    assert_eq!(reply_to(true, false, email, Some("LINK")), ReplyTo::NotTyped);
    assert_eq!(reply_to(false, true, email, Some("LINK")), ReplyTo::NotTyped);

    let spec = FormSpec::from_json(
        r#"{"format": 1, "id": "f", "app": 1, "items": [
            {"field": "A", "input_hint": "email"},
            {"field": "B", "input_hint": "email", "capture": "utm_source"},
            {"field": "C", "input_hint": "email", "hidden": "x"}
        ]}"#,
    )
    .unwrap();
    let rules: Vec<ReplyTo> = spec.items.iter().map(crate::FormItem::reply_to).collect();
    assert_eq!(rules, [ReplyTo::Typed, ReplyTo::NotTyped, ReplyTo::NotTyped]);
}

#[test]
fn json_numbers_become_text_and_fractions_need_json_floats() {
    let value = |json: serde_json::Value| Value::from_json(&json);
    assert_eq!(value(json!(12)), Value::Text("12".into()));
    assert_eq!(value(json!(-3)), Value::Text("-3".into()));
    assert_eq!(value(json!(u64::MAX)), Value::Text(u64::MAX.to_string()));
    assert_eq!(value(json!([1, "2"])), Value::List(vec!["1".into(), "2".into()]));
    // A fraction: its shortest text with the feature (the relay's JSON API); without it (the
    // widget, whose reader keeps a fraction's text as a string), a fraction is not a value.
    #[cfg(feature = "json-floats")]
    assert_eq!(value(json!(1.5)), Value::Text("1.5".into()));
    #[cfg(not(feature = "json-floats"))]
    assert!(matches!(value(json!(1.5)), Value::Invalid(_)));
    assert_eq!(value(json!("1.50")), Value::Text("1.50".into()), "as the widget's reader gives it");
}
