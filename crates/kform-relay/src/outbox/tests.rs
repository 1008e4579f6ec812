//! The outbox: an id is kept once, due submissions come out oldest first, outcomes stick, paused
//! forms wait, and everything survives reopening.

use serde_json::json;

use super::{Accepted, Attempt, NewSubmission, Outbox, Outcome, Settlement, Stage};
use crate::clock::UnixMillis;
use crate::store::Store;

fn new(form: &str, id: &str, digest: &str) -> NewSubmission {
    NewSubmission {
        form: form.into(),
        submission_id: id.into(),
        digest: digest.into(),
        values: json!({ "a": id }),
        stage: Stage::Pending,
        uploads: Vec::new(),
    }
}

fn settle(store: &Store, form: &str, id: &str, outcome: Outcome) {
    let attempt = Attempt {
        at: UnixMillis(5),
        endpoint: "POST records.json".into(),
        status: Some(200),
        code: None,
        message: None,
        record_id: Some("7".into()),
    };
    let settled =
        Settlement { form: form.into(), submission_id: id.into(), outcome, attempt: Some(attempt) };
    store.settle(&[settled], UnixMillis(10)).unwrap();
}

#[test]
fn an_id_is_kept_once_and_its_outcome_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    let answers = store
        .accept(&[new("f", "1", "d"), new("f", "1", "d"), new("g", "1", "d")], UnixMillis(100))
        .unwrap();
    assert!(matches!(answers[0], Accepted::New));
    assert!(
        matches!(&answers[1], Accepted::Seen(seen) if seen.stage == Stage::Pending),
        "same transaction"
    );
    assert!(matches!(answers[2], Accepted::New), "ids are per form");
    settle(&store, "f", "1", Outcome::Delivered(Some("7".into())));
    drop(store);
    let store = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    let Accepted::Seen(seen) =
        store.accept(&[new("f", "1", "d")], UnixMillis(200)).unwrap().remove(0)
    else {
        panic!("a delivered submission is seen again");
    };
    assert_eq!(
        (seen.stage, seen.record_id.as_deref(), seen.tries),
        (Stage::Delivered, Some("7"), 1)
    );
    let history = store.history("f", None, 10, 0).unwrap();
    assert_eq!(history[0].attempts.len(), 1);
    assert_eq!(history[0].values, json!({ "a": "1" }));
    assert_eq!(history[0].accepted_at, UnixMillis(100));
}

/// The ids of the submissions due at `at`, in the order the outbox gives them.
fn due_ids(store: &Store, at: i64) -> Vec<String> {
    let due = store.due(UnixMillis(at), 10, &|_| None).unwrap();
    due.into_iter().map(|d| d.submission_id).collect()
}

#[test]
fn due_submissions_come_oldest_first_and_retries_wait() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    store.accept(&[new("f", "a", "d")], UnixMillis(100)).unwrap();
    store.accept(&[new("f", "b", "d")], UnixMillis(200)).unwrap();
    assert_eq!(due_ids(&store, 300), ["a", "b"]);
    settle(&store, "f", "a", Outcome::Retry { at: UnixMillis(1_000), error: "503".into() });
    assert_eq!(due_ids(&store, 300), ["b"], "a waits for its retry");
    assert_eq!(store.next_due().unwrap(), Some(UnixMillis(200)));
    settle(&store, "f", "b", Outcome::DeadLetter("CB_VA01".into()));
    assert_eq!(store.next_due().unwrap(), Some(UnixMillis(1_000)));
    let due = store.due(UnixMillis(1_000), 10, &|_| None).unwrap();
    assert_eq!((due[0].submission_id.as_str(), due[0].tries), ("a", 1));
    settle(&store, "f", "a", Outcome::Hold { at: UnixMillis(5_000) });
    assert_eq!(store.due(UnixMillis(4_999), 10, &|_| None).unwrap().len(), 0);
    assert_eq!(
        store.due(UnixMillis(5_000), 10, &|_| None).unwrap()[0].tries,
        1,
        "a hold is not a try"
    );
}

#[test]
fn paused_forms_wait_and_requeue_and_discard_take_only_unsettled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    store.accept(&[new("f", "a", "d"), new("g", "b", "d")], UnixMillis(100)).unwrap();
    assert!(store.pause("f", "GAIA_IA02", UnixMillis(150)).unwrap());
    assert!(!store.pause("f", "GAIA_IA02", UnixMillis(160)).unwrap(), "once");
    let due: Vec<String> =
        store.due(UnixMillis(200), 10, &|_| None).unwrap().into_iter().map(|d| d.form).collect();
    assert_eq!(due, ["g"]);
    assert_eq!(store.paused().unwrap()[0].reason, "GAIA_IA02");
    assert!(store.resume("f").unwrap());
    assert_eq!(store.due(UnixMillis(200), 10, &|_| None).unwrap().len(), 2);
    settle(&store, "f", "a", Outcome::DeadLetter("bad".into()));
    assert!(store.requeue("f", "a", UnixMillis(300), None).unwrap());
    assert_eq!(
        store.due(UnixMillis(300), 10, &|_| None).unwrap()[0].tries,
        0,
        "a replay starts over"
    );
    settle(&store, "g", "b", Outcome::Delivered(None));
    assert!(!store.discard("g", "b", UnixMillis(400)).unwrap(), "delivered stays delivered");
    assert!(store.discard("f", "a", UnixMillis(400)).unwrap());
    let newest: Vec<String> =
        store.history("f", None, 1, 0).unwrap().into_iter().map(|s| s.submission_id).collect();
    assert_eq!(newest, ["a"]);
    assert!(store.history("f", None, 1, 1).unwrap().is_empty(), "the next page is empty");
    assert_eq!(store.forget(UnixMillis(401)).unwrap(), 2, "settled ones past retention go");
}

#[test]
fn every_dead_letter_of_a_form_is_replayed_at_once_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    let batch = [new("f", "a", "d"), new("f", "b", "d"), new("f", "c", "d"), new("g", "a", "d")];
    store.accept(&batch, UnixMillis(100)).unwrap();
    settle(&store, "f", "a", Outcome::DeadLetter("CB_VA01".into()));
    settle(&store, "f", "b", Outcome::DeadLetter("CB_VA01".into()));
    settle(&store, "f", "c", Outcome::Delivered(Some("3".into())));
    settle(&store, "g", "a", Outcome::DeadLetter("CB_VA01".into()));
    assert_eq!(store.requeue_dead_letters("f", UnixMillis(500)).unwrap(), 2);
    let due: Vec<(String, String, i64)> = store
        .due(UnixMillis(500), 10, &|_| None)
        .unwrap()
        .into_iter()
        .map(|d| (d.form, d.submission_id, d.tries))
        .collect();
    assert_eq!(due, [("f".into(), "a".into(), 0), ("f".into(), "b".into(), 0)]);
    assert_eq!(store.submission("g", "a").unwrap().unwrap().stage, Stage::DeadLetter);
    assert_eq!(store.counts(Some("g")).unwrap(), [("g".to_owned(), Stage::DeadLetter, 1)]);
    assert_eq!(store.counts(None).unwrap().len(), 3, "f pending and delivered, g dead");
}

#[test]
fn the_budget_counts_per_app_and_day_and_never_past_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    assert!(store.spend("app", "2026-11-21", 1, 3).unwrap());
    assert!(store.spend("app", "2026-11-21", 2, 3).unwrap());
    assert!(!store.spend("app", "2026-11-21", 1, 3).unwrap(), "the limit is spent");
    assert!(store.spend("other", "2026-11-21", 3, 3).unwrap(), "each app has its own");
    assert!(store.spend("app", "2026-11-22", 3, 3).unwrap(), "a new day starts at zero");
    assert!(!store.spend("app", "2026-11-22", 1, 3).unwrap());
}

#[test]
fn a_row_with_a_stage_the_relay_never_writes_is_an_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    store.accept(&[new("f", "a", "d")], UnixMillis(100)).unwrap();
    store.db().execute("UPDATE submissions SET stage = 'lost'", []).unwrap();
    let err = store.submission("f", "a").unwrap_err().to_string();
    assert!(err.contains("corrupt") && err.contains("\"lost\""), "{err}");
    assert!(store.counts(None).is_err(), "not counted as pending");
}
