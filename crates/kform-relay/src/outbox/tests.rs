//! The outbox, on SQLite and on PostgreSQL alike: an id is kept once, due submissions come out
//! oldest first, outcomes stick, paused forms wait, leases and call slots keep relays apart,
//! files are kept, and everything survives reopening.

use std::sync::Arc;

use serde_json::json;

use super::{
    Accepted, Attempt, Channel, NewSubmission, Outbox, Outcome, QueueLength, Queued, Settlement,
    Stage, Taken,
};
use crate::clock::{Clock, UnixMillis};
use crate::store::{Layout, Store};

/// Where a backend keeps an outbox; [`Place::open`] opens it (again), as a relay does at start.
pub(crate) enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Place {
    /// One place of each backend, each empty.
    pub(crate) fn each() -> [Self; 2] {
        let url = kform_testdb::database().unwrap_or_else(|err| panic!("{err}"));
        [Self::Sqlite(tempfile::tempdir().unwrap()), Self::Postgres(url)]
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "SQLite",
            Self::Postgres(_) => "PostgreSQL",
        }
    }

    /// The outbox a newly started relay would have.
    pub(crate) fn open(&self) -> Arc<dyn Outbox> {
        let clock = Arc::new(crate::clock::SystemClock);
        match self {
            Self::Sqlite(dir) => Arc::new(Store::open(dir.path(), clock).unwrap()),
            Self::Postgres(url) => {
                Arc::new(crate::postgres::PgStore::open(url, None, clock, Layout::Migrate).unwrap())
            }
        }
    }

    /// The settings a newly started relay would have.
    pub(crate) fn open_settings(&self) -> Arc<dyn crate::store::SettingsStore> {
        let clock = Arc::new(crate::clock::SystemClock);
        match self {
            Self::Sqlite(dir) => Arc::new(Store::open(dir.path(), clock).unwrap()),
            Self::Postgres(url) => {
                Arc::new(crate::postgres::PgStore::open(url, None, clock, Layout::Migrate).unwrap())
            }
        }
    }

    /// Runs one SQL statement with no parameters against the database itself.
    pub(crate) fn execute(&self, sql: &str) {
        match self {
            Self::Sqlite(dir) => {
                Store::open(dir.path(), Arc::new(crate::clock::SystemClock))
                    .unwrap()
                    .db()
                    .execute(sql, [])
                    .unwrap();
            }
            Self::Postgres(url) => {
                postgres::Client::connect(url, postgres::NoTls)
                    .unwrap()
                    .batch_execute(sql)
                    .unwrap();
            }
        }
    }
}

/// Runs `test` on a fresh place of each backend, naming the backend when it fails.
pub(crate) fn on_each(test: impl Fn(&Place)) {
    for place in Place::each() {
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&place)));
        if let Err(panic) = ran {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("on {}: {message}", place.name());
        }
    }
}

/// Two asks for one submission's auto-reply count once: what a store just migrated to the
/// layout that counts per submission must do, on either store.
pub(crate) fn assert_counts_mail_per_submission(store: &impl super::Outbox) {
    let now = UnixMillis(1_000);
    let allow = |id: &str| store.allow_mail("f", id, "a", now, 1, 10).unwrap();
    assert!(allow("s1") && allow("s1"), "counted once");
    assert!(!allow("s2"), "one an hour to the address");
}

fn new(form: &str, id: &str, digest: &str) -> NewSubmission {
    NewSubmission {
        form: form.into(),
        submission_id: id.into(),
        digest: digest.into(),
        values: json!({ "a": id }),
        stage: Stage::Pending,
        uploads: Vec::new(),
        queued: Vec::new(),
    }
}

fn settle(store: &dyn Outbox, form: &str, id: &str, outcome: Outcome) {
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
    store.settle(&[settled], &[], UnixMillis(10)).unwrap();
}

#[test]
fn an_id_is_kept_once_and_its_outcome_survives_reopening() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        let answers = store
            .accept(&[new("f", "1", "d"), new("f", "1", "d"), new("g", "1", "d")], UnixMillis(100))
            .unwrap();
        assert!(matches!(answers[0], Accepted::New));
        assert!(
            matches!(&answers[1], Accepted::Seen(seen) if seen.stage == Stage::Pending),
            "same transaction"
        );
        assert!(matches!(answers[2], Accepted::New), "ids are per form");
        settle(store, "f", "1", Outcome::Delivered(Some("7".into())));
        let reopened = place.open();
        let store = reopened.as_ref();
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
    });
}

/// The ids of the submissions due at `at`, in the order the outbox gives them.
fn due_ids(store: &dyn Outbox, at: i64) -> Vec<String> {
    let due = store.due(UnixMillis(at), 10, &|_| None).unwrap();
    due.into_iter().map(|d| d.submission_id).collect()
}

#[test]
fn due_submissions_come_oldest_first_and_retries_wait() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        store.accept(&[new("f", "a", "d")], UnixMillis(100)).unwrap();
        store.accept(&[new("f", "b", "d")], UnixMillis(200)).unwrap();
        assert_eq!(due_ids(store, 300), ["a", "b"]);
        settle(store, "f", "a", Outcome::Retry { at: UnixMillis(1_000), error: "503".into() });
        assert_eq!(due_ids(store, 300), ["b"], "a waits for its retry");
        assert_eq!(store.next_due().unwrap(), Some(UnixMillis(200)));
        settle(store, "f", "b", Outcome::DeadLetter("CB_VA01".into()));
        assert_eq!(store.next_due().unwrap(), Some(UnixMillis(1_000)));
        let due = store.due(UnixMillis(1_000), 10, &|_| None).unwrap();
        assert_eq!((due[0].submission_id.as_str(), due[0].tries), ("a", 1));
        settle(store, "f", "a", Outcome::Hold { at: UnixMillis(5_000) });
        assert_eq!(store.due(UnixMillis(4_999), 10, &|_| None).unwrap().len(), 0);
        assert_eq!(
            store.due(UnixMillis(5_000), 10, &|_| None).unwrap()[0].tries,
            1,
            "a hold is not a try"
        );
    });
}

#[test]
fn paused_forms_wait_and_requeue_and_discard_take_only_unsettled_ones() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        store.accept(&[new("f", "a", "d"), new("g", "b", "d")], UnixMillis(100)).unwrap();
        assert!(store.pause("f", "GAIA_IA02", &[], UnixMillis(150)).unwrap());
        assert!(!store.pause("f", "GAIA_IA02", &[], UnixMillis(160)).unwrap(), "once");
        let due: Vec<String> = store
            .due(UnixMillis(200), 10, &|_| None)
            .unwrap()
            .into_iter()
            .map(|d| d.form)
            .collect();
        assert_eq!(due, ["g"]);
        assert_eq!(store.paused().unwrap()[0].reason, "GAIA_IA02");
        assert!(store.resume("f").unwrap());
        assert_eq!(store.due(UnixMillis(200), 10, &|_| None).unwrap().len(), 2);
        settle(store, "f", "a", Outcome::DeadLetter("bad".into()));
        assert!(store.requeue("f", "a", UnixMillis(300), None).unwrap());
        assert_eq!(
            store.due(UnixMillis(300), 10, &|_| None).unwrap()[0].tries,
            0,
            "a replay starts over"
        );
        settle(store, "g", "b", Outcome::Delivered(None));
        assert!(!store.discard("g", "b", UnixMillis(400)).unwrap(), "delivered stays delivered");
        assert!(store.discard("f", "a", UnixMillis(400)).unwrap());
        let newest: Vec<String> =
            store.history("f", None, 1, 0).unwrap().into_iter().map(|s| s.submission_id).collect();
        assert_eq!(newest, ["a"]);
        assert!(store.history("f", None, 1, 1).unwrap().is_empty(), "the next page is empty");
        assert_eq!(store.forget(UnixMillis(401)).unwrap(), 2, "settled ones past retention go");
    });
}

#[test]
fn every_dead_letter_of_a_form_is_replayed_at_once_and_nothing_else() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        let batch =
            [new("f", "a", "d"), new("f", "b", "d"), new("f", "c", "d"), new("g", "a", "d")];
        store.accept(&batch, UnixMillis(100)).unwrap();
        settle(store, "f", "a", Outcome::DeadLetter("CB_VA01".into()));
        settle(store, "f", "b", Outcome::DeadLetter("CB_VA01".into()));
        settle(store, "f", "c", Outcome::Delivered(Some("3".into())));
        settle(store, "g", "a", Outcome::DeadLetter("CB_VA01".into()));
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
    });
}

#[test]
fn the_budget_counts_per_app_and_day_and_never_past_its_limit() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        assert!(store.spend("app", "2026-11-21", 1, 3).unwrap());
        assert!(store.spend("app", "2026-11-21", 2, 3).unwrap());
        assert!(!store.spend("app", "2026-11-21", 1, 3).unwrap(), "the limit is spent");
        assert!(store.spend("other", "2026-11-21", 3, 3).unwrap(), "each app has its own");
        assert!(store.spend("app", "2026-11-22", 3, 3).unwrap(), "a new day starts at zero");
        assert!(!store.spend("app", "2026-11-22", 1, 3).unwrap());
    });
}

#[test]
fn a_row_with_a_stage_the_relay_never_writes_is_an_error_that_says_so() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        store.accept(&[new("f", "a", "d")], UnixMillis(100)).unwrap();
        place.execute("UPDATE submissions SET stage = 'lost'");
        let err = store.submission("f", "a").unwrap_err().to_string();
        assert!(err.contains("corrupt") && err.contains("\"lost\""), "{err}");
        assert!(store.counts(None).is_err(), "not counted as pending");
    });
}

#[test]
fn a_leased_batch_is_left_to_its_holder_until_its_lease_ends() {
    on_each(|place| {
        let (one, other) = (place.open(), place.open());
        let batch =
            [new("f", "w", "d"), new("f", "x", "d"), new("f", "y", "d"), new("f", "z", "d")];
        one.accept(&batch, UnixMillis(100)).unwrap();
        let keys = |ids: &[&str]| -> Vec<(String, String)> {
            ids.iter().map(|id| ("f".to_owned(), (*id).to_owned())).collect()
        };
        let all = keys(&["w", "x", "y", "z"]);
        assert_eq!(
            one.claim(&all, 2, "a", UnixMillis(100), UnixMillis(1_000)).unwrap(),
            keys(&["w", "x"]),
            "up to the limit, in order"
        );
        assert_eq!(due_ids(other.as_ref(), 200), ["y", "z"], "a leased batch is not due");
        assert_eq!(
            other.claim(&all, 10, "b", UnixMillis(200), UnixMillis(1_100)).unwrap(),
            keys(&["y", "z"]),
            "only what no batch holds"
        );
        assert!(
            one.claim(&all, 10, "c", UnixMillis(300), UnixMillis(1_300)).unwrap().is_empty(),
            "a held submission is not claimed twice, even by another batch of the same relay"
        );
        one.renew(&keys(&["w", "x"]), "a", UnixMillis(1_300)).unwrap();
        settle(one.as_ref(), "f", "w", Outcome::Delivered(Some("1".into())));
        settle(
            other.as_ref(),
            "f",
            "z",
            Outcome::Retry { at: UnixMillis(5_000), error: "503".into() },
        );
        // x comes back when its lease ends (its relay died without settling it).
        assert_eq!(other.next_due().unwrap(), Some(UnixMillis(1_100)), "when a lease ends");
        assert_eq!(due_ids(other.as_ref(), 1_299), ["y"]);
        assert_eq!(due_ids(other.as_ref(), 1_300), ["x", "y"]);
        assert_eq!(
            other.claim(&all, 10, "d", UnixMillis(1_300), UnixMillis(2_000)).unwrap(),
            keys(&["x", "y"]),
            "leases that ended are taken over; a retry waits for its time"
        );
        one.renew(&keys(&["x"]), "a", UnixMillis(9_000)).unwrap();
        other.release(&keys(&["x", "y"]), "b").unwrap();
        assert!(
            one.claim(&all, 10, "e", UnixMillis(1_400), UnixMillis(2_400)).unwrap().is_empty(),
            "neither a lost lease's renewal nor another batch's release touches a lease"
        );
        other.release(&keys(&["y"]), "d").unwrap();
        assert_eq!(
            one.claim(&all, 10, "e", UnixMillis(1_400), UnixMillis(2_400)).unwrap(),
            keys(&["y"]),
            "a released one is free at once"
        );
    });
}

#[test]
fn files_are_kept_for_every_relay_until_dropped() {
    on_each(|place| {
        let (one, other) = (place.open(), place.open());
        one.keep_files("folder", &[b"first", b"second"]).unwrap();
        assert_eq!(other.file("folder/1").unwrap().as_deref(), Some(&b"second"[..]));
        assert_eq!(other.file("folder/2").unwrap(), None);
        other.drop_files("folder").unwrap();
        assert_eq!(one.file("folder/0").unwrap(), None);
        one.drop_files("never-kept").unwrap();
    });
}

#[test]
fn a_kintone_domains_call_slots_are_shared_by_every_relay_on_one_database() {
    let place = Place::Postgres(kform_testdb::database().unwrap_or_else(|err| panic!("{err}")));
    let (one, other) = (place.open(), place.open());
    let take = |outbox: &Arc<dyn Outbox>, now: i64| {
        outbox
            .take_slot("https://a.cybozu.com", 2, UnixMillis(now), UnixMillis(now + 1_000))
            .unwrap()
    };
    let first = take(&one, 0).unwrap();
    let second = take(&other, 0).unwrap();
    assert_ne!(first, second);
    assert_eq!(take(&one, 10), None, "two relays hold the domain's two slots");
    assert!(
        other
            .take_slot("https://b.cybozu.com", 2, UnixMillis(10), UnixMillis(1_010))
            .unwrap()
            .is_some(),
        "each domain has its own"
    );
    other.give_slot("https://a.cybozu.com", second).unwrap();
    assert_eq!(take(&one, 20), Some(second), "a slot given back is taken again");
    one.renew_slot("https://a.cybozu.com", first, UnixMillis(5_000)).unwrap();
    // A relay that died holding a slot loses it when its lease ends; a renewed one is kept.
    assert_eq!(take(&other, 1_020), Some(second));
    assert_eq!(take(&other, 1_030), None, "the renewed slot is still held");
    one.give_slot("https://a.cybozu.com", second).unwrap();
    assert_eq!(take(&other, 1_040), None, "only the holder gives a slot back");
}

#[test]
fn relays_racing_for_call_slots_never_hold_more_than_the_cap() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let place = Place::Postgres(kform_testdb::database().unwrap_or_else(|err| panic!("{err}")));
    let relays: Vec<Arc<dyn Outbox>> = (0..3).map(|_| place.open()).collect();
    let (held, peak, taken) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for relay in &relays {
            for _ in 0..4 {
                let (held, peak, taken) = (&held, &peak, &taken);
                scope.spawn(move || {
                    for _ in 0..40 {
                        let now = crate::clock::SystemClock.now();
                        let Some(slot) = relay.take_slot("d", 2, now, now.plus(60_000)).unwrap()
                        else {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                            continue;
                        };
                        let at_once = held.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(at_once, Ordering::SeqCst);
                        taken.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        held.fetch_sub(1, Ordering::SeqCst);
                        relay.give_slot("d", slot).unwrap();
                    }
                });
            }
        }
    });
    assert!(taken.load(Ordering::SeqCst) > 10, "slots were taken");
    assert!(peak.load(Ordering::SeqCst) <= 2, "{} held at once", peak.load(Ordering::SeqCst));
}

fn digest_event(body: &str) -> Queued {
    Queued { channel: Channel::Digest, body: body.into() }
}

/// The digest queue's waiting and retrying counts.
fn waiting(store: &dyn Outbox) -> (i64, i64) {
    let length = store.queue_length(Channel::Digest).unwrap();
    (length.waiting, length.retrying)
}

fn bodies(taken: &[Taken]) -> Vec<&str> {
    taken.iter().map(|taken| taken.body.as_str()).collect()
}

#[test]
fn queued_messages_come_with_their_cause_and_go_to_one_sender_at_a_time() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        store.accept(&[new("f", "1", "d")], UnixMillis(100)).unwrap();
        let dead = Settlement {
            form: "f".into(),
            submission_id: "1".into(),
            outcome: Outcome::DeadLetter("bad".into()),
            attempt: None,
        };
        store.settle(&[dead], &[digest_event("dead")], UnixMillis(200)).unwrap();
        assert!(store.pause("f", "GAIA_IA02", &[digest_event("paused")], UnixMillis(300)).unwrap());
        assert!(
            !store.pause("f", "GAIA_IA02", &[digest_event("again")], UnixMillis(310)).unwrap(),
            "a form already paused queues nothing"
        );
        assert_eq!(waiting(store), (2, 0));

        // One sender takes both, oldest first; another finds them leased.
        let a = store.take_queued(Channel::Digest, 10, "a", UnixMillis(1000), UnixMillis(2000));
        let a = a.unwrap();
        assert_eq!(bodies(&a), ["dead", "paused"]);
        assert!(a[0].seq < a[1].seq && a[0].tries == 0);
        let b = store.take_queued(Channel::Digest, 10, "b", UnixMillis(1500), UnixMillis(2500));
        assert!(b.unwrap().is_empty(), "leased to a");

        // Sent ones go; a failed one waits for its time, counted.
        store.sent_queued(&[a[0].seq], "a").unwrap();
        store.retry_queued(&[a[1].seq], "a", UnixMillis(3000), "smtp down").unwrap();
        assert_eq!(waiting(store), (1, 1));
        let early = store.take_queued(Channel::Digest, 10, "b", UnixMillis(2999), UnixMillis(4000));
        assert!(early.unwrap().is_empty(), "not due before its retry time");
        let b = store.take_queued(Channel::Digest, 10, "b", UnixMillis(3000), UnixMillis(4000));
        let b = b.unwrap();
        assert_eq!((bodies(&b), b[0].tries), (vec!["paused"], 1));

        // b dies holding it: after a restart nobody takes it until the lease ends.
        let store = place.open();
        let store = store.as_ref();
        let c = store.take_queued(Channel::Digest, 10, "c", UnixMillis(3999), UnixMillis(9000));
        assert!(c.unwrap().is_empty(), "still leased to b");
        let c = store.take_queued(Channel::Digest, 10, "c", UnixMillis(4000), UnixMillis(9000));
        assert_eq!(bodies(&c.unwrap()), ["paused"]);
        store.sent_queued(&[b[0].seq], "b").unwrap();
        assert_eq!(waiting(store), (1, 1), "b's lease is gone");
        store.sent_queued(&[b[0].seq], "c").unwrap();
        assert_eq!(waiting(store), (0, 0));

        // The retention sweep drops old messages that kept failing, never unsent new ones.
        store.settle(&[], &[digest_event("old"), digest_event("new")], UnixMillis(5000)).unwrap();
        let taken = store.take_queued(Channel::Digest, 1, "d", UnixMillis(5000), UnixMillis(6000));
        let taken = taken.unwrap();
        assert_eq!(bodies(&taken), ["old"], "limit 1");
        store.retry_queued(&[taken[0].seq], "d", UnixMillis(6000), "down").unwrap();
        store.forget(UnixMillis(5001)).unwrap();
        let left = store.take_queued(Channel::Digest, 10, "e", UnixMillis(7000), UnixMillis(8000));
        assert_eq!(bodies(&left.unwrap()), ["new"]);
    });
}

#[test]
fn a_given_up_mail_is_kept_out_of_the_queue_until_it_is_sent_again_or_dropped() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        let mail = |body: &str| Queued { channel: Channel::Mail, body: body.into() };
        store.settle(&[], &[mail("one"), mail("two")], UnixMillis(100)).unwrap();
        let taken = store.take_queued(Channel::Mail, 10, "a", UnixMillis(100), UnixMillis(900));
        let taken = taken.unwrap();
        assert_eq!(bodies(&taken), ["one", "two"]);

        // Given up with its cause's digest event, in one transaction; only by its holder.
        store
            .give_up_queued(Channel::Mail, taken[0].seq, "b", "550 no", &[digest_event("lost")])
            .unwrap();
        assert!(store.given_up(Channel::Mail, None, 10).unwrap().is_empty(), "b does not hold it");
        store.give_up_queued(Channel::Digest, taken[0].seq, "a", "550 no", &[]).unwrap();
        assert!(store.given_up(Channel::Mail, None, 10).unwrap().is_empty(), "not a digest event");
        assert!(
            store.given_up(Channel::Digest, None, 10).unwrap().is_empty(),
            "not a digest event"
        );
        store.retry_queued(&[taken[1].seq], "a", UnixMillis(200), "421 busy").unwrap();
        store
            .give_up_queued(
                Channel::Mail,
                taken[0].seq,
                "a",
                "550 no such user",
                &[digest_event("lost")],
            )
            .unwrap();
        let given_up = store.given_up(Channel::Mail, None, 10).unwrap();
        assert_eq!(given_up.len(), 1);
        let one = &given_up[0];
        assert_eq!((one.seq, one.body.as_str(), one.tries), (taken[0].seq, "one", 1));
        assert_eq!(one.error.as_deref(), Some("550 no such user"));
        let length = store.queue_length(Channel::Mail).unwrap();
        assert_eq!((length.waiting, length.retrying, length.given_up), (1, 1, 1));
        // The event is queued at the store's own time.
        let later = UnixMillis(i64::MAX / 4);
        let digest = store.take_queued(Channel::Digest, 10, "d", later, later.plus(1000));
        assert_eq!(bodies(&digest.unwrap()), ["lost"], "the digest's event came with it");

        // No sender takes it, and the retention sweep keeps it, as it keeps dead letters.
        let due = store.take_queued(Channel::Mail, 10, "c", UnixMillis(10_000), UnixMillis(20_000));
        assert_eq!(bodies(&due.unwrap()), ["two"], "only the retried one");
        store.forget(UnixMillis(50_000)).unwrap();
        let length = store.queue_length(Channel::Mail).unwrap();
        assert_eq!(length, QueueLength { waiting: 0, retrying: 0, given_up: 1 }, "two was old");
        assert!(store.given_up(Channel::Digest, None, 10).unwrap().is_empty(), "per channel");

        // Sent again: due at once with fresh tries, and no longer listed; only once.
        assert!(!store.resend_queued(Channel::Digest, one.seq, UnixMillis(60_000)).unwrap());
        assert!(store.resend_queued(Channel::Mail, one.seq, UnixMillis(60_000)).unwrap());
        assert!(!store.resend_queued(Channel::Mail, one.seq, UnixMillis(60_000)).unwrap());
        assert!(store.given_up(Channel::Mail, None, 10).unwrap().is_empty());
        let again =
            store.take_queued(Channel::Mail, 10, "e", UnixMillis(60_000), UnixMillis(70_000));
        let again = again.unwrap();
        assert_eq!((bodies(&again), again[0].tries), (vec!["one"], 0));

        // Given up again, then dropped for good.
        store.give_up_queued(Channel::Mail, one.seq, "e", "550 still no", &[]).unwrap();
        assert!(store.drop_given_up(Channel::Mail, one.seq).unwrap());
        assert!(!store.drop_given_up(Channel::Mail, one.seq).unwrap());
        assert_eq!(store.queue_length(Channel::Mail).unwrap(), QueueLength::default());
    });
}

#[test]
fn given_up_mails_are_listed_by_the_form_their_body_names() {
    on_each(|place| {
        let store = place.open();
        let store = store.as_ref();
        let mail = |form: &str| Queued {
            channel: Channel::Mail,
            body: serde_json::json!({ "form": form, "subject": "s" }).to_string(),
        };
        store.settle(&[], &[mail("a"), mail("b"), mail("a")], UnixMillis(100)).unwrap();
        let taken = store.take_queued(Channel::Mail, 10, "h", UnixMillis(100), UnixMillis(900));
        for taken in taken.unwrap() {
            store.give_up_queued(Channel::Mail, taken.seq, "h", "550", &[]).unwrap();
        }
        let of = |form: Option<&str>| store.given_up(Channel::Mail, form, 10).unwrap().len();
        assert_eq!((of(Some("a")), of(Some("b")), of(Some("c")), of(None)), (2, 1, 0, 3));
        assert_eq!(store.given_up(Channel::Mail, Some("a"), 1).unwrap().len(), 1, "the limit");
    });
}

#[test]
fn auto_replies_are_counted_per_address_and_per_form_within_the_hour() {
    on_each(|place| {
        let store = place.open();
        // Each a submission of its own.
        let allow = |form: &str, to: &str, at: i64| {
            store.allow_mail(form, &format!("s{at}"), to, UnixMillis(at), 2, 3).unwrap()
        };
        assert!(allow("f", "a", 0) && allow("f", "a", 10));
        assert!(!allow("f", "a", 20), "two an hour to one address");
        assert!(allow("g", "b", 30), "other forms and addresses are counted apart");
        assert!(allow("f", "b", 40));
        assert!(!allow("f", "c", 50), "three an hour for the form");
        // An hour after the first two, the address and the form may have mail again.
        assert!(allow("f", "a", super::HOUR_MS + 10));
        // A second relay on the same store counts with the first.
        let other = place.open();
        let at = |ms: i64| UnixMillis(super::HOUR_MS + ms);
        assert!(other.allow_mail("f", "t20", "a", at(20), 2, 3).unwrap());
        assert!(!other.allow_mail("f", "t30", "a", at(30), 2, 3).unwrap());
        assert!(!allow("f", "a", super::HOUR_MS + 40));
    });
}

#[test]
fn an_auto_reply_is_counted_once_for_its_submission() {
    on_each(|place| {
        let store = place.open();
        let allow =
            |id: &str, at: i64| store.allow_mail("f", id, "a", UnixMillis(at), 2, 3).unwrap();
        // Two first sends of one submission that race both ask: allowed, and counted once.
        assert!(allow("s1", 0) && allow("s1", 10));
        assert!(allow("s2", 20), "the address's second mail of the hour");
        assert!(!allow("s3", 30), "two an hour to one address");
        // A second relay on the same store knows what was counted.
        assert!(place.open().allow_mail("f", "s2", "a", UnixMillis(40), 2, 3).unwrap());
        // The same id on another form is another submission.
        assert!(store.allow_mail("g", "s1", "b", UnixMillis(50), 2, 3).unwrap());
        assert!(store.allow_mail("g", "s2", "b", UnixMillis(60), 2, 3).unwrap());
        assert!(!store.allow_mail("g", "s3", "b", UnixMillis(70), 2, 3).unwrap());
    });
}
