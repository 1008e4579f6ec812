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
        json!({ "会社名": "サイボウズ", "人数": " 12 ", "種別": "見積依頼", "関心": ["A", "B"],
                "希望日": "2026-1-5", "フォーム識別": "forged", "unknown": "ignored" }),
        r#"{"フォーム識別":{"value":"web"},"人数":{"value":"12"},"会社名":{"value":"サイボウズ"},"希望日":{"value":"2026-01-05"},"種別":{"value":"見積依頼"},"関心":{"value":["A","B"]}}"#,
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
record.人数.value: too_large max=1000
record.関心.values: wrong_shape
record.希望日.value: wrong_shape
"#,
    );
    check(
        json!({ "会社名": "x", "人数": "0.5e0", "関心": [] }),
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
fn tightening_required_and_form_errors() {
    let spec = form(
        json!([{ "field": "備考", "required": true }, { "field": "合計" }, { "field": "顧客名" }, { "field": "なし" }, { "label": "見出し" }]),
    );
    let report = validate(&fields(), &spec, &Values::default()).unwrap_err();
    assert_eq!(
        report.to_string().trim(),
        "record.備考.value: required\nrecord.合計.value: not_writable\nrecord.顧客名.value: not_writable\nrecord.なし.value: unknown_field"
    );
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
        "record.会社名.value: wrong_shape\nrecord.関心.values: wrong_shape",
    );
}

#[test]
fn descriptor_round_trips_through_json() {
    let descriptor = crate::protocol::FormDescriptor {
        form: form(all_items()),
        fields: fields().subset(form(all_items()).field_codes()),
    };
    let json = serde_json::to_string(&descriptor).unwrap();
    let back: crate::protocol::FormDescriptor = serde_json::from_str(&json).unwrap();
    assert_eq!(back, descriptor);
    assert_eq!(back.fields.fields.len(), 8);
}
