//! The store: submissions are found again by id, retried only after a failure, and kept across
//! reopening.

use serde_json::json;

use super::{Attempt, Begin, Stage, Store, Table};

#[tokio::test]
async fn a_submission_id_is_delivered_once_and_answered_the_same_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let begin =
        store.begin("f".into(), "id-1".into(), "d1".into(), json!({"a": "1"})).await.unwrap();
    assert!(matches!(begin, Begin::Deliver));
    let answer = (201, json!({"state": "delivered"}));
    let attempt = Attempt {
        at: 1,
        endpoint: "POST record.json".into(),
        status: Some(200),
        code: None,
        message: None,
        record_id: Some("7".into()),
    };
    store
        .finish("f".into(), "id-1".into(), Stage::Delivered, Some(answer.clone()), Some(attempt))
        .await
        .unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let Begin::Seen(seen) =
        store.begin("f".into(), "id-1".into(), "d1".into(), json!({})).await.unwrap()
    else {
        panic!("a delivered submission is seen again");
    };
    assert_eq!(
        (seen.stage, seen.status, seen.answer),
        (Stage::Delivered, Some(201), Some(answer.1))
    );
    assert_eq!(seen.record_id.as_deref(), Some("7"));
    let history = store.history("f".into(), None, 10).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].attempts.len(), 1);
    assert_eq!(history[0].record, json!({"a": "1"}));
}

#[tokio::test]
async fn a_failed_submission_is_tried_again_and_others_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.begin("f".into(), "id".into(), "d".into(), json!({})).await.unwrap();
    store.finish("f".into(), "id".into(), Stage::Failed, None, None).await.unwrap();
    assert!(matches!(
        store.begin("f".into(), "id".into(), "d".into(), json!({})).await.unwrap(),
        Begin::Deliver
    ));
    let Begin::Seen(pending) =
        store.begin("f".into(), "id".into(), "d".into(), json!({})).await.unwrap()
    else {
        panic!("a pending submission is not delivered twice");
    };
    assert_eq!(pending.stage, Stage::Pending);
    assert!(
        matches!(
            store.begin("g".into(), "id".into(), "d".into(), json!({})).await.unwrap(),
            Begin::Deliver
        ),
        "ids are per form"
    );
}

#[tokio::test]
async fn settings_alerts_and_the_signing_key_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let key = store.signing_key().unwrap();
    assert_eq!(key.len(), 32);
    store.put_settings(Table::Forms, "a".into(), "{}".into()).await.unwrap();
    store.put_settings(Table::Forms, "a".into(), "{\"x\":1}".into()).await.unwrap();
    assert!(store.raise_alert("a".into(), "5".into(), json!([1])).await.unwrap());
    assert!(
        !store.raise_alert("a".into(), "5".into(), json!([1])).await.unwrap(),
        "once per revision"
    );
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.signing_key().unwrap(), key);
    assert_eq!(
        store.list_settings(Table::Forms).await.unwrap(),
        [("a".to_owned(), "{\"x\":1}".to_owned())]
    );
    assert_eq!(store.alerts().await.unwrap().len(), 1);
    assert!(store.delete_settings(Table::Forms, "a".into()).await.unwrap());
    assert_eq!(store.clear_alerts("a".into()).await.unwrap(), 1);
    store.writable().await.unwrap();
}
