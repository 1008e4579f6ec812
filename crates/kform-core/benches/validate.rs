//! Benchmarks of validation: a 100-field record, valid and with a problem in every field.
//!
//! The target (issue 3) is a median of at most 50 µs for the valid 100-field record, natively.
//! Run with `cargo xtask bench`, which prints the medians.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::benches();
    criterion::Criterion::default().configure_from_args().final_summary();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use criterion::{Criterion, criterion_group};
    use kform_core::{AppFields, AppId, FormId, FormSpec, Values, validate};
    use serde_json::{Value as Json, json};

    /// One field of each of ten kinds, with limits, and a valid and an invalid value for it.
    fn kind(index: usize) -> (Json, Json, Json) {
        let code = format!("f{index:03}");
        let options = json!({ "A": { "label": "A", "index": "0" }, "B": { "label": "B", "index": "1" },
                              "C": { "label": "C", "index": "2" } });
        match index % 10 {
            0 => (
                json!({ "type": "SINGLE_LINE_TEXT", "code": code, "label": code, "required": true,
                        "minLength": "2", "maxLength": "64", "defaultValue": "" }),
                json!("サイボウズ株式会社"),
                json!("x"),
            ),
            1 => (
                json!({ "type": "NUMBER", "code": code, "label": code, "minValue": "0",
                        "maxValue": "1000000", "defaultValue": "" }),
                json!("12345.67"),
                json!("1,000"),
            ),
            2 => (
                json!({ "type": "DROP_DOWN", "code": code, "label": code, "options": options }),
                json!("B"),
                json!("Z"),
            ),
            3 => (
                json!({ "type": "CHECK_BOX", "code": code, "label": code, "options": options,
                        "defaultValue": [] }),
                json!(["A", "C"]),
                json!(["A", "Z"]),
            ),
            4 => (
                json!({ "type": "DATE", "code": code, "label": code, "defaultValue": "" }),
                json!("2026-11-21"),
                json!("2026-02-30"),
            ),
            5 => (
                json!({ "type": "LINK", "code": code, "label": code, "protocol": "MAIL",
                        "maxLength": "100", "defaultValue": "" }),
                json!("taro.yamada@example.co.jp"),
                json!("taro@"),
            ),
            6 => (
                json!({ "type": "MULTI_LINE_TEXT", "code": code, "label": code, "required": true,
                        "defaultValue": "" }),
                json!("お問い合わせ内容です。\n二行目です。"),
                json!(""),
            ),
            7 => (
                json!({ "type": "DATETIME", "code": code, "label": code, "defaultValue": "" }),
                json!("2026-11-21T10:30+09:00"),
                json!("2026-11-21T10:30"),
            ),
            8 => (
                json!({ "type": "LINK", "code": code, "label": code, "protocol": "WEB",
                        "defaultValue": "" }),
                json!("https://example.com/contact"),
                json!("ab"),
            ),
            _ => (
                json!({ "type": "RADIO_BUTTON", "code": code, "label": code, "options": options,
                        "defaultValue": "A" }),
                json!("C"),
                json!("Z"),
            ),
        }
    }

    fn fixture(count: usize) -> (AppFields, FormSpec, Values, Values) {
        let mut properties = serde_json::Map::new();
        let mut valid = serde_json::Map::new();
        let mut invalid = serde_json::Map::new();
        for index in 0..count {
            let (property, good, bad) = kind(index);
            let code = format!("f{index:03}");
            properties.insert(code.clone(), property);
            valid.insert(code.clone(), good);
            invalid.insert(code, bad);
        }
        let fields = AppFields::from_kintone_properties("1".into(), Json::Object(properties))
            .expect("the bench fields parse");
        let form = FormSpec::every_field(FormId("bench".into()), AppId(1), &fields);
        let valid = serde_json::from_value(Json::Object(valid)).expect("values");
        let invalid = serde_json::from_value(Json::Object(invalid)).expect("values");
        (fields, form, valid, invalid)
    }

    fn bench_validate(c: &mut Criterion) {
        let (fields, form, valid, invalid) = fixture(100);
        assert!(validate(&fields, &form, &valid).is_ok(), "the valid record is valid");
        let problems =
            validate(&fields, &form, &invalid).map(|_| 0).unwrap_or_else(|r| r.issues().len());
        assert_eq!(problems, 100, "the invalid record has a problem in every field");
        c.bench_function("validate/100_fields_valid", |b| {
            b.iter(|| validate(black_box(&fields), black_box(&form), black_box(&valid)))
        });
        c.bench_function("validate/100_fields_all_invalid", |b| {
            b.iter(|| validate(black_box(&fields), black_box(&form), black_box(&invalid)))
        });
    }

    criterion_group!(benches, bench_validate);
}
