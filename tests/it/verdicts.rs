//! The two verdicts the contract and property tests compare, each `Ok` or the set of kintone
//! error paths: kform-core's, and the fake kintone's answer to `POST record.json`.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use kform_core::{AppFields, FormSpec, Values, validate};
use kform_fake_kintone::{AppSpec, Apps, FakeState, Permission, TokenSpec};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

/// `Ok`, or the error paths.
pub(crate) type Verdict = Result<(), BTreeSet<String>>;

const TOKEN: &str = "verdict-token";

/// kform-core's verdict.
pub(crate) fn core(fields: &AppFields, form: &FormSpec, values: &Values) -> Verdict {
    validate(fields, form, values)
        .map(|_| ())
        .map_err(|report| report.issues().iter().map(|issue| issue.path.clone()).collect())
}

/// A fake kintone with one app (id 1) of these field settings, and an add token for it.
pub(crate) fn fake(properties: Map<String, Value>) -> FakeState {
    let app = AppSpec {
        tokens: vec![TokenSpec { token: TOKEN.into(), permissions: vec![Permission::Add] }],
        ..AppSpec::new(1, "verdicts", properties)
    };
    FakeState::new(Apps { apps: vec![app], ..Apps::default() }).unwrap()
}

/// The fake's verdict on adding `record` (write shape) to app 1: `Ok` or the paths of its
/// `CB_VA01` answer (any other answer fails the test).
pub(crate) async fn kintone(state: &FakeState, record: Map<String, Value>) -> Verdict {
    let body = json!({ "app": 1, "record": record }).to_string();
    let request = Request::post("/k/v1/record.json")
        .header("x-cybozu-api-token", TOKEN)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = kform_fake_kintone::app(state.clone()).oneshot(request).await.unwrap();
    let ok = response.status().is_success();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    if ok {
        return Ok(());
    }
    assert_eq!(answer["code"], "CB_VA01", "{answer}");
    Err(answer["errors"].as_object().unwrap().keys().cloned().collect())
}
