//! The classification table, from kintone's error bodies (`../classify_cases.json`): each case
//! is one answer kintone gives and what the relay must do with the calls that get it.

use kform_core::kintone::ErrorBody;
use kform_kintone::KintoneError;
use serde_json::{Value, json};

use super::{Failure, classify};

/// `failure` as the cases write it.
fn written(failure: &Failure) -> Value {
    match failure {
        Failure::Records(by_index) => {
            let records: serde_json::Map<String, Value> = by_index
                .iter()
                .map(|(index, refusals)| {
                    let refusals = refusals
                        .iter()
                        .map(|r| json!([r.field.as_ref().map(|f| f.as_str()), r.path, r.message]))
                        .collect();
                    (index.to_string(), Value::Array(refusals))
                })
                .collect();
            json!({ "records": records })
        }
        Failure::Request(_) => json!("request"),
        Failure::Credentials(_) => json!("credentials"),
        Failure::Retry(_) => json!("retry"),
    }
}

#[test]
fn each_kintone_answer_has_one_meaning() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("../classify_cases.json")).unwrap();
    assert!(cases.len() >= 19, "the table lost cases");
    for case in cases {
        let about = case["about"].as_str().unwrap();
        let err = if let Some(decode) = case["decode"].as_str() {
            KintoneError::Decode(decode.to_owned())
        } else {
            let status = u16::try_from(case["status"].as_u64().unwrap()).unwrap();
            match &case["body"] {
                Value::Null => KintoneError::Unexpected { status },
                body => {
                    let body: ErrorBody = serde_json::from_value(body.clone()).unwrap();
                    KintoneError::Api { status, body }
                }
            }
        };
        assert_eq!(written(&classify(&err)), case["expect"], "{about}");
    }
}
