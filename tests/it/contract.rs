//! kform-core and the fake kintone (written independently, playing kintone's side) must give the
//! same verdict and the same kintone error paths for the same values. A disagreement is a bug in
//! one of them.

use kform_core::{AppFields, FormSpec, Shape, Values};
use kform_fake_kintone::FakeState;
use serde_json::{Map, Value, json};

use crate::verdicts::{self, Verdict};

const FIELDS: &str = include_str!("../fixtures/kintone/contact-fields.json");

/// Every writable field of the fixture, on one form.
fn form() -> FormSpec {
    serde_json::from_value(json!({ "format": 1, "id": "contract", "app": 1, "items": [
        { "field": "会社名" }, { "field": "担当者" }, { "field": "備考" }, { "field": "人数" },
        { "field": "種別" }, { "field": "関心" }, { "field": "希望日" }, { "field": "フォーム識別" }
    ]}))
    .unwrap()
}

fn fake() -> FakeState {
    let response: Value = serde_json::from_str(FIELDS).unwrap();
    verdicts::fake(response["properties"].as_object().unwrap().clone())
}

/// The fake's verdict on what the visitor typed: every field of the form, empty ones included.
async fn kintone_verdict(state: &FakeState, form: &FormSpec, values: &Values) -> Verdict {
    let fields = AppFields::from_kintone_json(FIELDS).unwrap();
    let mut record = Map::new();
    for code in form.field_codes() {
        let list = fields.get(code).is_some_and(|field| field.kind.shape() == Some(Shape::List));
        let value = values.get(code.as_str()).map_or_else(
            || if list { json!([]) } else { json!("") },
            |value| serde_json::to_value(value).unwrap(),
        );
        record.insert(code.to_string(), json!({ "value": value }));
    }
    verdicts::kintone(state, record).await
}

#[tokio::test]
async fn core_and_kintone_agree() {
    let cases = [
        json!({ "会社名": "ACME", "関心": ["A"] }),
        json!({}),
        json!({ "会社名": "x".repeat(64), "関心": ["A", "B"], "人数": "1000", "希望日": "2026-02-28" }),
        json!({ "会社名": "x".repeat(65), "関心": ["A"] }),
        json!({ "会社名": "😀".repeat(32), "関心": ["A"] }),
        json!({ "会社名": format!("{}a", "😀".repeat(32)), "関心": ["A"] }),
        json!({ "会社名": "ACME", "担当者": "a", "関心": ["A"] }),
        json!({ "会社名": "ACME", "担当者": "ab", "関心": ["A"] }),
        json!({ "会社名": "ACME", "関心": ["A"], "人数": "1,000" }),
        json!({ "会社名": "ACME", "関心": ["A"], "人数": " 2e2 " }),
        json!({ "会社名": "ACME", "関心": ["A"], "人数": "0" }),
        json!({ "会社名": "ACME", "関心": ["A"], "人数": "-0.5" }),
        json!({ "会社名": "ACME", "関心": ["A"], "種別": "その他" }),
        json!({ "会社名": "ACME", "関心": ["C", "A", "D"] }),
        json!({ "会社名": "ACME", "関心": ["A"], "希望日": "2025-02-29" }),
        json!({ "会社名": "ACME", "関心": ["A"], "希望日": "2024-2-29" }),
        json!({ "会社名": "ACME", "関心": ["A"], "フォーム識別": "12345678901" }),
        // kintone checks minLength (担当者: 2) on an empty value too.
        json!({ "会社名": "ACME", "関心": ["A"], "担当者": "" }),
        json!({ "会社名": "ACME", "関心": ["A"], "担当者": "山田" }),
        // Found by the property test: a list of only "" is empty for "required".
        json!({ "会社名": "ACME", "関心": [""] }),
        json!({ "会社名": "", "関心": [], "人数": "abc", "種別": "x", "希望日": "tomorrow", "担当者": "a" }),
    ];
    let state = fake();
    let form = form();
    let fields = AppFields::from_kintone_json(FIELDS).unwrap();
    for case in cases {
        let values: Values = serde_json::from_value(case.clone()).unwrap();
        let core = verdicts::core(&fields, &form, &values);
        let kintone = kintone_verdict(&state, &form, &values).await;
        assert_eq!(core, kintone, "core and kintone disagree on {case}");
    }
}
