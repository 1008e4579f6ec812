//! The store: settings, alerts and the signing key are kept across reopening.

use serde_json::json;

use super::{Store, Table};
use crate::outbox::tests::{assert_counts_mail_per_submission, on_each};
use crate::outbox::{Channel, Queued};

#[test]
fn settings_alerts_creations_and_the_signing_key_are_kept() {
    on_each(|place| {
        let store = place.open_settings();
        let key = store.signing_key().unwrap();
        assert_eq!(key.len(), 32);
        store.put_settings(Table::Forms, "a", "{}").unwrap();
        store.put_settings(Table::Forms, "a", "{\"x\":1}").unwrap();
        let told = || [Queued { channel: Channel::Digest, body: "{}".into() }];
        assert!(store.raise_alert("a", "5", &json!([1]), &told()).unwrap());
        assert!(!store.raise_alert("a", "5", &json!([1]), &told()).unwrap(), "once per revision");
        assert_eq!(
            place.open().queue_length(Channel::Digest).unwrap().waiting,
            1,
            "a new alert queues its digest event, a known one does not"
        );
        assert!(store.note_creation("tag", "a").unwrap());
        assert!(!store.note_creation("tag", "b").unwrap(), "a token creates one form");
        store.put_app_fields("demo", 1, "7", "{}").unwrap();
        let store = place.open_settings();
        assert_eq!(store.signing_key().unwrap(), key);
        assert_eq!(
            store.list_settings(Table::Forms).unwrap(),
            [("a".to_owned(), "{\"x\":1}".to_owned())]
        );
        assert_eq!(store.alerts().unwrap().len(), 1);
        assert_eq!(store.created_with("tag").unwrap().as_deref(), Some("a"));
        store.forget_creation("tag").unwrap();
        assert_eq!(store.created_with("tag").unwrap(), None);
        assert_eq!(
            store.app_fields("demo", 1).unwrap().map(|(json, _)| json).as_deref(),
            Some("{}")
        );
        assert!(store.delete_settings(Table::Forms, "a").unwrap());
        assert_eq!(store.clear_alerts("a").unwrap(), 1);
        store.writable().unwrap();
    });
}

#[cfg(unix)]
#[test]
fn a_data_directory_the_relay_creates_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    Store::open(&dir, std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{mode:o}");
}

#[test]
fn a_layout_3_database_is_migrated_to_milliseconds_and_an_unknown_layout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
    {
        let db = store.db.lock().unwrap();
        db.execute(
            "INSERT INTO alerts (form, at, revision, issues) VALUES ('a', 1795219199, '5', '[]')",
            [],
        )
        .unwrap();
        // Layout 3 had no leases and no queue.
        db.execute_batch(
            "ALTER TABLE submissions DROP COLUMN lease_until;
             ALTER TABLE submissions DROP COLUMN leased_by;
             DROP TABLE queued;
             DROP TABLE mail_log;",
        )
        .unwrap();
        db.pragma_update(None, "user_version", 3).unwrap();
    }
    drop(store);
    let clock = || std::sync::Arc::new(crate::clock::SystemClock);
    let at = |store: &Store| -> i64 {
        store.db.lock().unwrap().query_row("SELECT at FROM alerts", [], |row| row.get(0)).unwrap()
    };
    // A command that only looks leaves it as found, for an older relay still using it.
    let found = Store::open_with(dir.path(), clock(), super::Layout::AsFound).unwrap();
    assert_eq!((found.found_layout, at(&found)), (3, 1_795_219_199));
    drop(found);
    let store = Store::open(dir.path(), clock()).unwrap();
    assert_eq!((store.found_layout, at(&store)), (3, 1_795_219_199_000));
    drop(store);
    let store = Store::open(dir.path(), clock()).unwrap();
    assert_eq!(store.found_layout, super::SCHEMA_VERSION, "migrated once");
    let leases: i64 = store
        .db
        .lock()
        .unwrap()
        .query_row("SELECT count(*) FROM submissions WHERE lease_until = 0", [], |row| row.get(0))
        .unwrap();
    assert_eq!(leases, 0, "the lease columns are there");
    assert_eq!(
        crate::outbox::Outbox::queue_length(&store, crate::outbox::Channel::Digest).unwrap(),
        crate::outbox::QueueLength::default(),
        "the digest's queue is there"
    );
    assert_counts_mail_per_submission(&store);
    store.db.lock().unwrap().pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    let Err(err) = Store::open(dir.path(), std::sync::Arc::new(crate::clock::SystemClock)) else {
        panic!("a newer layout is refused");
    };
    assert!(err.to_string().contains("layout 99"), "{err}");
}

#[test]
fn a_layout_6_database_counts_auto_replies_per_submission_once_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let clock = || std::sync::Arc::new(crate::clock::SystemClock);
    let store = Store::open(dir.path(), clock()).unwrap();
    {
        let db = store.db.lock().unwrap();
        db.execute("INSERT INTO mail_log (form, recipient, at) VALUES ('f', 'b', 0)", []).unwrap();
        // Layout 6 counted auto-replies without their submission.
        db.execute_batch("ALTER TABLE mail_log DROP COLUMN submission_id;").unwrap();
        db.pragma_update(None, "user_version", 6).unwrap();
    }
    drop(store);
    let store = Store::open(dir.path(), clock()).unwrap();
    assert_eq!(store.found_layout, 6);
    let kept: i64 = store
        .db
        .lock()
        .unwrap()
        .query_row("SELECT count(*) FROM mail_log WHERE recipient = 'b'", [], |row| row.get(0))
        .unwrap();
    assert_eq!(kept, 1, "the hour's count is kept");
    assert_counts_mail_per_submission(&store);
}
