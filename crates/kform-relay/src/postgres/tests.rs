//! The PostgreSQL store's own parts: a data directory is imported whole (rows, files, the
//! signing key, the digest's queue) and only into an empty database; an older layout is
//! migrated and an unknown one refused.

use std::sync::Arc;

use serde_json::json;

use super::PgStore;
use crate::clock::{SystemClock, UnixMillis};
use crate::outbox::tests::assert_counts_mail_per_submission;
use crate::outbox::{Channel, NewSubmission, Outbox, Queued, Stage};
use crate::store::{Layout, SettingsStore, Store, StoreError, Table};

fn database() -> String {
    kform_testdb::database().unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn a_data_directory_is_imported_whole_and_only_into_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(dir.path(), Arc::new(SystemClock)).unwrap();
    let new = NewSubmission {
        form: "f".into(),
        submission_id: "1".into(),
        digest: "d".into(),
        values: json!({ "会社名": "移行" }),
        stage: Stage::Pending,
        uploads: Vec::new(),
        queued: Vec::new(),
    };
    sqlite.accept(&[new], UnixMillis(100)).unwrap();
    sqlite.keep_files("folder", &[b"pdf bytes"]).unwrap();
    sqlite.put_settings(Table::Forms, "f", "{}").unwrap();
    let event = Queued { channel: Channel::Digest, body: "{\"kind\":\"paused\"}".into() };
    sqlite.pause("g", "GAIA_IA02", &[event], UnixMillis(150)).unwrap();
    let key = sqlite.signing_key().unwrap();
    let url = database();
    let postgres = PgStore::open(&url, None, Arc::new(SystemClock), Layout::Migrate).unwrap();
    let copied = postgres.import(&sqlite).unwrap();
    assert!(copied.contains(&("submissions", 1)) && copied.contains(&("files", 1)), "{copied:?}");
    assert_eq!(postgres.signing_key().unwrap(), key, "tokens signed before stay valid");
    assert_eq!(postgres.file("folder/0").unwrap().as_deref(), Some(&b"pdf bytes"[..]));
    let due = postgres.due(UnixMillis(200), 10, &|_| None).unwrap();
    assert_eq!(due[0].submission_id, "1");
    let unsent = postgres.take_queued(Channel::Digest, 10, "h", UnixMillis(200), UnixMillis(300));
    let unsent = unsent.unwrap();
    assert_eq!(unsent.len(), 1, "the digest's unsent event moves too");
    assert_eq!(unsent[0].body, "{\"kind\":\"paused\"}");
    assert_eq!(postgres.list_settings(Table::Forms).unwrap().len(), 1);
    let again = postgres.import(&sqlite).unwrap_err();
    assert!(again.to_string().contains("already holds"), "{again}");
}

#[test]
fn a_layout_1_database_gets_the_queue_and_the_mail_log() {
    let url = database();
    PgStore::open(&url, None, Arc::new(SystemClock), Layout::Migrate).unwrap();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute("DROP TABLE queued; DROP TABLE mail_log; UPDATE kform_meta SET value = '1' WHERE key = 'layout';")
        .unwrap();
    let queue = |store: &PgStore| store.queue_length(Channel::Digest).map(|length| length.waiting);
    // A command that only looks leaves it as found, for an older relay still using it.
    let found = PgStore::open(&url, None, Arc::new(SystemClock), Layout::AsFound).unwrap();
    assert_eq!(found.found_layout, 1);
    assert!(queue(&found).is_err(), "no queue yet");
    let migrated = PgStore::open(&url, None, Arc::new(SystemClock), Layout::Migrate).unwrap();
    assert_eq!((migrated.found_layout, queue(&migrated).unwrap()), (1, 0));
    let again = PgStore::open(&url, None, Arc::new(SystemClock), Layout::Migrate).unwrap();
    assert_eq!(again.found_layout, super::LAYOUT, "migrated once");
    assert_counts_mail_per_submission(&again);
}

#[test]
fn a_layout_2_database_counts_auto_replies_per_submission_once_migrated() {
    let url = database();
    PgStore::open(&url, None, Arc::new(SystemClock), Layout::Migrate).unwrap();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute("ALTER TABLE mail_log DROP COLUMN submission_id; UPDATE kform_meta SET value = '2' WHERE key = 'layout';")
        .unwrap();
    let migrated = PgStore::open(&url, None, Arc::new(SystemClock), Layout::Migrate).unwrap();
    assert_eq!(migrated.found_layout, 2);
    assert_counts_mail_per_submission(&migrated);
}

#[test]
fn a_layout_this_kform_does_not_know_is_refused() {
    let url = database();
    PgStore::open(&url, None, Arc::new(SystemClock), Layout::Migrate).unwrap();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.execute("UPDATE kform_meta SET value = '99' WHERE key = 'layout'", &[]).unwrap();
    let Err(err) = PgStore::open(&url, None, Arc::new(SystemClock), Layout::AsFound) else {
        panic!("a newer layout is refused");
    };
    assert!(matches!(err, StoreError::Version { found: 99, .. }), "{err}");
}

/// Whether the store's connections are encrypted, as the server sees them.
fn encrypted(store: &PgStore) -> bool {
    let mut conn = store.conn().unwrap();
    let row = conn
        .client()
        .unwrap()
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .unwrap();
    row.get(0)
}

#[test]
fn tls_follows_sslmode_and_a_ca_file_verifies_the_server() {
    let url = database();
    let ca = kform_testdb::ca_file().expect("the test server has TLS on");
    let open = |url: &str, ca: Option<&std::path::Path>| {
        PgStore::open(url, ca, Arc::new(SystemClock), Layout::Migrate)
    };
    assert!(encrypted(&open(&url, None).unwrap()), "prefer (the default) uses TLS when offered");
    let plain = format!("{url}?sslmode=disable");
    assert!(!encrypted(&open(&plain, None).unwrap()), "disable never does");
    let verified = format!("{url}?sslmode=require");
    assert!(
        encrypted(&open(&verified, Some(&ca)).unwrap()),
        "the server's certificate chains to the CA"
    );
    // Another CA: the server is not the one the operator vouched for.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.crt");
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args(["-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "1"])
        .args(["-subj", "/CN=another CA", "-addext", "basicConstraints=critical,CA:TRUE"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(made.success());
    let Err(err) = open(&verified, Some(&other)) else {
        panic!("a server whose certificate another CA signed is refused");
    };
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    std::fs::write(dir.path().join("empty.pem"), "not a certificate").unwrap();
    let Err(err) = open(&verified, Some(&dir.path().join("empty.pem"))) else {
        panic!("a CA file without a certificate is refused");
    };
    assert!(err.to_string().contains("no PEM certificate"), "{err}");
}
