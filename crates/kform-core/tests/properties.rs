//! Property tests: validation and lint never panic on arbitrary field definitions and JSON
//! values; values from each type's valid domain are accepted; a valid record round-trips
//! through kintone's record JSON; kintone's messages read back into the codes that made them.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use kform_core::{
    AppFields, AppId, FormId, FormSpec, IssueCode, Locale, Record, Values, lint, validate,
};
use proptest::prelude::*;
use serde_json::{Value as Json, json};

/// Every documented type, an unknown one and none.
fn any_type() -> impl Strategy<Value = &'static str> {
    let mut types = kform_core::kintone::KINTONE_TYPES.to_vec();
    types.extend(["FUTURE", ""]);
    prop::sample::select(types)
}
const CODES: [&str; 6] = ["a", "b", "c", "表", "x_1", "ルックアップ"];

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e30f64..1e30).prop_map(|n| json!(n)),
        prop_oneof![
            Just(String::new()),
            "[ -~]{0,12}",
            "\\PC{0,8}",
            Just("2026-02-29".to_owned()),
            Just("1e999999".to_owned()),
            Just("A".to_owned()),
        ]
        .prop_map(Json::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("code".to_owned()),
                    Just("fileKey".to_owned()),
                    Just("a".to_owned()),
                    Just("value".to_owned())
                ],
                inner,
                0..3
            )
            .prop_map(|map| Json::Object(map.into_iter().collect())),
        ]
    })
}

/// A setting as kintone sends it, or junk kintone never sends.
fn setting() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!("")),
        Just(json!("0")),
        Just(json!("3")),
        Just(json!("-1.5")),
        Just(json!("1e3")),
        Just(json!("x")),
        any::<bool>().prop_map(Json::Bool),
        Just(Json::Null),
    ]
}

/// A field property of any type with arbitrary settings, sometimes a lookup, sometimes a table.
fn any_property(depth: u32) -> BoxedStrategy<Json> {
    let options = prop::collection::btree_map(
        prop_oneof![Just("A".to_owned()), Just("B".to_owned()), "\\PC{0,3}"],
        prop_oneof![Just(json!("0")), Just(json!("1")), Just(json!("x"))],
        0..3,
    )
    .prop_map(|map| {
        Json::Object(
            map.into_iter().map(|(k, i)| (k.clone(), json!({"label": k, "index": i}))).collect(),
        )
    });
    let inner = if depth == 0 {
        Just(Json::Null).boxed()
    } else {
        prop::collection::btree_map(prop::sample::select(&CODES[..]), any_property(depth - 1), 0..3)
            .prop_map(|map| Json::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
            .boxed()
    };
    (
        any_type(),
        any::<bool>(),
        any::<bool>(),
        (setting(), setting(), setting(), setting()),
        options,
        prop_oneof![Just("WEB"), Just("CALL"), Just("MAIL"), Just("FTP")],
        any_json(),
        inner,
        prop::option::of(prop::sample::select(&CODES[..])),
    )
        .prop_map(
            |(kind, required, unique, (min_len, max_len, min_value, max_value), options, protocol, default, fields, lookup)| {
                let mut property = json!({
                    "type": kind, "label": "label", "required": required, "unique": unique,
                    "minLength": min_len, "maxLength": max_len, "minValue": min_value,
                    "maxValue": max_value, "options": options, "protocol": protocol,
                    "defaultValue": default, "fields": fields,
                });
                if let Some(target) = lookup {
                    property["lookup"] = json!({ "relatedApp": { "app": "5" }, "relatedKeyField": "k",
                                                 "fieldMappings": [{ "field": target, "relatedField": "n" }] });
                }
                property
            },
        )
        .boxed()
}

fn any_fields() -> impl Strategy<Value = Json> {
    prop::collection::btree_map(prop::sample::select(&CODES[..]), any_property(1), 0..6)
        .prop_map(|map| Json::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

fn any_values() -> impl Strategy<Value = Json> {
    prop::collection::btree_map(prop::sample::select(&CODES[..]), any_json(), 0..6)
        .prop_map(|map| Json::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn validation_and_lint_never_panic(properties in any_fields(), values in any_values(), item in any_json()) {
        let Ok(fields) = AppFields::from_kintone_properties("1".into(), properties) else {
            return Ok(());
        };
        let values: Values = serde_json::from_value(values).expect("any JSON object is Values");
        let mut form = FormSpec::every_field(FormId("p".into()), AppId(1), &fields);
        let _ = validate(&fields, &form, &values);
        let _ = lint(&fields, &form);
        // The same with a form whose items carry arbitrary hidden and initial values.
        if let Ok(value) = serde_json::from_value(item) {
            for item in &mut form.items {
                item.hidden = Some(Clone::clone(&value));
                item.initial = Some(Clone::clone(&value));
                item.required = true;
            }
            let _ = validate(&fields, &form, &values);
            let _ = lint(&fields, &form);
        }
    }
}

/// A field of one writable type with a value from its valid domain.
fn valid_pair() -> impl Strategy<Value = (Json, Json)> {
    let options = json!({ "A": {"label": "A", "index": "0"}, "B": {"label": "B", "index": "1"} });
    let text = "\\PC{1,20}";
    prop_oneof![
        text.prop_map(|t| (json!({"type": "SINGLE_LINE_TEXT"}), json!(t))),
        text.prop_map(|t| (json!({"type": "MULTI_LINE_TEXT"}), json!(t))),
        text.prop_map(|t| (json!({"type": "RICH_TEXT"}), json!(t))),
        (any::<i64>(), 0u32..10_000).prop_map(|(i, f)| {
            let i = i % 1_000_000_000_000;
            (json!({"type": "NUMBER"}), json!(format!("{i}.{f}")))
        }),
        prop::sample::select(vec!["A", "B"]).prop_map({
            let options = options.clone();
            move |o| (json!({"type": "DROP_DOWN", "options": options}), json!(o))
        }),
        prop::sample::select(vec!["A", "B"]).prop_map({
            let options = options.clone();
            move |o| (json!({"type": "RADIO_BUTTON", "options": options}), json!(o))
        }),
        prop::sample::subsequence(vec!["A", "B"], 0..=2).prop_map({
            let options = options.clone();
            move |o| (json!({"type": "CHECK_BOX", "options": options}), json!(o))
        }),
        prop::sample::subsequence(vec!["A", "B"], 0..=2)
            .prop_map(move |o| (json!({"type": "MULTI_SELECT", "options": options}), json!(o))),
        (1000u32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| {
            (json!({"type": "DATE"}), json!(format!("{y}-{m:02}-{d:02}")))
        }),
        (0u32..24, 0u32..60)
            .prop_map(|(h, m)| (json!({"type": "TIME"}), json!(format!("{h:02}:{m:02}")))),
        (1001u32..=9998, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60, -12i32..=14).prop_map(
            |(y, mo, d, h, mi, z)| {
                let sign = if z < 0 { '-' } else { '+' };
                let value = format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}{sign}{:02}:00", z.abs());
                (json!({"type": "DATETIME"}), json!(value))
            }
        ),
        "[a-z]{1,10}".prop_map(|host| (
            json!({"type": "LINK", "protocol": "WEB"}),
            json!(format!("https://{host}.example/"))
        )),
        "[0-9]{10}".prop_map(|n| (json!({"type": "LINK", "protocol": "CALL"}), json!(n))),
        "[a-z]{1,10}".prop_map(|u| (
            json!({"type": "LINK", "protocol": "MAIL"}),
            json!(format!("{u}@example.jp"))
        )),
        prop::collection::vec("[a-z0-9-]{1,12}", 0..3).prop_map(|keys| {
            (
                json!({"type": "FILE"}),
                json!(keys.iter().map(|k| json!({"fileKey": k})).collect::<Vec<_>>()),
            )
        }),
        prop::collection::vec("[a-z]{1,8}", 0..3).prop_map(|codes| {
            (
                json!({"type": "USER_SELECT"}),
                json!(codes.iter().map(|c| json!({"code": c})).collect::<Vec<_>>()),
            )
        }),
        prop::collection::vec(("\\PC{1,6}", 1u32..100), 0..3).prop_map(|rows| {
            let table = json!({"type": "SUBTABLE", "fields": {
                "name": {"type": "SINGLE_LINE_TEXT", "code": "name", "label": "name"},
                "qty": {"type": "NUMBER", "code": "qty", "label": "qty"}
            }});
            let rows: Vec<Json> =
                rows.iter().map(|(n, q)| json!({"name": n, "qty": q.to_string()})).collect();
            (table, json!(rows))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn valid_values_are_accepted_and_round_trip(pairs in prop::collection::vec(valid_pair(), 1..8)) {
        let mut properties = serde_json::Map::new();
        let mut values = serde_json::Map::new();
        for (index, (mut property, value)) in pairs.into_iter().enumerate() {
            let code = format!("f{index}");
            property["code"] = json!(code);
            property["label"] = json!(code);
            properties.insert(code.clone(), property);
            values.insert(code, value);
        }
        let fields = AppFields::from_kintone_properties("1".into(), Json::Object(properties)).unwrap();
        let form = FormSpec::every_field(FormId("p".into()), AppId(1), &fields);
        let values: Values = serde_json::from_value(Json::Object(values)).unwrap();
        let record = match validate(&fields, &form, &values) {
            Ok(record) => record,
            Err(report) => return Err(TestCaseError::fail(format!("refused a valid record:\n{report}"))),
        };
        let json = serde_json::to_value(&*record).unwrap();
        let back = Record::from_kintone_json(&fields, &json).unwrap();
        prop_assert_eq!(&back, &*record);
        // Validating the record's own values again accepts them unchanged (normalization is stable).
        let again: Values = serde_json::from_value(Json::Object(
            json.as_object().unwrap().iter().map(|(code, wrapped)| (code.clone(), plain(&wrapped["value"]))).collect(),
        ))
        .unwrap();
        let twice = validate(&fields, &form, &again).map_err(|report| TestCaseError::fail(report.to_string()))?;
        prop_assert_eq!(&*twice, &*record);
    }

    #[test]
    fn format_checks_never_panic(text in "\\PC{0,24}", tail in "[0-9T:+-]{0,6}\\PC{0,3}") {
        use kform_core::{datetime, text as typed};
        for input in [text.clone(), format!("2026-01-01T10:00{tail}"), format!("2026-01-01T10:00+{tail}"), format!("https://{text}")] {
            let _ = datetime::normalize_date(&input);
            let _ = datetime::normalize_time(&input);
            let _ = datetime::normalize_datetime(&input);
            let _ = typed::is_web_url(&input);
            let _ = typed::is_email(&input);
            let _ = typed::is_phone(&input);
            let _ = typed::normalize_postal_code(&input);
            let _ = kform_core::number::Decimal::parse(&input);
            let _ = IssueCode::from_kintone_message(&input);
            let _ = kform_core::kintone::field_of_path(&input);
        }
    }

    #[test]
    fn kintone_messages_read_back(max in 0u32..100_000, value in "\\PC{0,12}", number in "-?[0-9]{1,6}(\\.[0-9]{1,3})?") {
        for code in [
            IssueCode::TooLong { max },
            IssueCode::TooShort { min: max + 1 },
            IssueCode::NotAnOption { value },
            IssueCode::TooLarge { max: number.clone() },
            IssueCode::TooSmall { min: number },
        ] {
            for locale in [Locale::Ja, Locale::En] {
                prop_assert_eq!(IssueCode::from_kintone_message(&code.message(locale)), code.clone());
            }
        }
    }
}

/// kintone's record value back into a submitted value: rows lose their `{"value": …}` wrappers.
fn plain(value: &Json) -> Json {
    match value {
        Json::Array(items)
            if items.iter().all(|item| item.get("value").is_some()) && !items.is_empty() =>
        {
            Json::Array(
                items
                    .iter()
                    .map(|row| {
                        let cells = row["value"].as_object().cloned().unwrap_or_default();
                        Json::Object(
                            cells.into_iter().map(|(k, v)| (k, plain(&v["value"]))).collect(),
                        )
                    })
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

proptest! {
    /// The widget's hand-written submission JSON is serde_json's, for any text and nesting.
    #[test]
    fn the_widgets_submission_json_is_serde_jsons(
        texts in prop::collection::vec(any::<String>(), 0..6),
        id in proptest::option::of(any::<String>()),
        token in proptest::option::of("[ -~]{0,8}"),
    ) {
        use kform_core::protocol::Submission;
        use kform_core::Value;
        let mut values: Vec<(String, Value)> = Vec::new();
        for (index, text) in texts.iter().enumerate() {
            let value = match index % 5 {
                0 => Value::Text(text.clone()),
                1 => Value::List(vec![text.clone(), String::new()]),
                2 => Value::Entities(vec![text.clone()]),
                3 => Value::Files(vec![text.clone()]),
                _ => Value::Rows(vec![Values([(text.clone(), Value::Text(text.clone()))].into_iter().collect())]),
            };
            values.push((format!("{text}{index}"), value));
        }
        let submission = Submission {
            submission_id: id,
            values: Values(values.into_iter().collect()),
            render_token: token.clone(),
            honeypot: None,
            captcha_token: token,
        };
        prop_assert_eq!(kform_core::write::submission(&submission), serde_json::to_string(&submission).unwrap());
        prop_assert_eq!(kform_core::write::values(&submission.values), serde_json::to_string(&submission.values).unwrap());
    }
}
