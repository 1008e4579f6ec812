//! The outbox: every accepted submission, durable before the relay answers, until it is
//! delivered, dead-lettered or discarded; with every attempt, paused forms and the daily budget.
//!
//! [`Outbox`] is the seam between the relay and where submissions are kept: the delivery
//! engine, the intake and the admin routes reach submissions only through it, by
//! `AppState::outbox`, which runs its blocking methods on a blocking thread. [`Store`] (SQLite in
//! the data directory) implements it; a shared database for several relays is a second
//! implementation of the same trait.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::clock::UnixMillis;
use crate::store::{Store, StoreError};

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS submissions (
    form TEXT NOT NULL, submission_id TEXT NOT NULL, digest TEXT NOT NULL, vals TEXT NOT NULL,
    uploads TEXT,
    stage TEXT NOT NULL, record_id TEXT, tries INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL DEFAULT 0, error TEXT,
    accepted_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    lease_until INTEGER NOT NULL DEFAULT 0, leased_by TEXT,
    PRIMARY KEY (form, submission_id));
CREATE INDEX IF NOT EXISTS submissions_due ON submissions (stage, next_at);
CREATE INDEX IF NOT EXISTS submissions_by_time ON submissions (form, accepted_at);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, form TEXT NOT NULL, submission_id TEXT NOT NULL, at INTEGER NOT NULL,
    endpoint TEXT NOT NULL, status INTEGER, code TEXT, message TEXT, record_id TEXT);
CREATE INDEX IF NOT EXISTS attempts_by_submission ON attempts (form, submission_id);
CREATE TABLE IF NOT EXISTS paused (form TEXT PRIMARY KEY, reason TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS budget (app TEXT NOT NULL, day TEXT NOT NULL, used INTEGER NOT NULL,
    PRIMARY KEY (app, day));
CREATE TABLE IF NOT EXISTS queued (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, body TEXT NOT NULL,
    created_at INTEGER NOT NULL, next_at INTEGER NOT NULL, tries INTEGER NOT NULL DEFAULT 0,
    error TEXT, lease_until INTEGER NOT NULL DEFAULT 0, leased_by TEXT);
CREATE INDEX IF NOT EXISTS queued_due ON queued (channel, next_at);
CREATE TABLE IF NOT EXISTS mail_log (
    form TEXT NOT NULL, recipient TEXT NOT NULL, at INTEGER NOT NULL, submission_id TEXT);
CREATE INDEX IF NOT EXISTS mail_log_by_form ON mail_log (form, at);
CREATE INDEX IF NOT EXISTS mail_log_by_recipient ON mail_log (recipient, at);
";

/// Where a submission stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Stage {
    /// In the outbox: waiting for its first try, a retry, the daily budget or a paused form.
    Pending,
    /// kintone has the record.
    Delivered,
    /// A test-mode form: validated and kept, never sent.
    Tested,
    /// kintone (or the relay, against the app's current fields) refused it for good; kept with
    /// the reason until an administrator replays or discards it.
    DeadLetter,
    /// Caught by the honeypot; never sent.
    Spam,
    /// An administrator gave it up.
    Discarded,
}

impl Stage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Tested => "tested",
            Self::DeadLetter => "dead_letter",
            Self::Spam => "spam",
            Self::Discarded => "discarded",
        }
    }

    /// The stage a stored name stands for; `None` for a name this relay never writes.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => Self::Pending,
            "delivered" => Self::Delivered,
            "tested" => Self::Tested,
            "dead_letter" => Self::DeadLetter,
            "spam" => Self::Spam,
            "discarded" => Self::Discarded,
            _ => return None,
        })
    }
}

/// One submission to keep.
#[derive(Clone, Debug)]
pub(crate) struct NewSubmission {
    pub(crate) form: String,
    pub(crate) submission_id: String,
    /// SHA-256 of the values, to notice an id reused for other values.
    pub(crate) digest: String,
    pub(crate) values: serde_json::Value,
    /// `Pending` (to deliver), `Tested` or `Spam`.
    pub(crate) stage: Stage,
    /// Files kept in the data directory for FILE fields, uploaded when the record is sent.
    pub(crate) uploads: Vec<StoredUpload>,
    /// Mail about it (the auto-reply, the team's notice), queued with it when it is new.
    pub(crate) queued: Vec<Queued>,
}

/// A file kept for a submission until kintone has the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredUpload {
    /// The FILE field.
    pub(crate) field: String,
    /// The file name kintone shows.
    pub(crate) name: String,
    pub(crate) content_type: String,
    /// Where the bytes are, relative to the data directory's `files/`.
    pub(crate) path: String,
    /// The value standing in the submission's values until the upload's key replaces it.
    pub(crate) placeholder: String,
    /// The file's size (0 for files kept before sizes were).
    #[serde(default)]
    pub(crate) bytes: u64,
    /// kintone's upload key, once uploaded, and when.
    pub(crate) key: Option<String>,
    pub(crate) uploaded_at: Option<UnixMillis>,
}

/// What [`Outbox::accept`] did with one submission.
#[derive(Clone, Debug)]
pub(crate) enum Accepted {
    /// Kept now.
    New,
    /// Kept before under this id: how it stands.
    Seen(Box<StoredSubmission>),
}

/// One stored submission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredSubmission {
    pub(crate) form: String,
    pub(crate) submission_id: String,
    #[serde(skip)]
    pub(crate) digest: String,
    /// The submitted values (with uploaded files' keys).
    pub(crate) values: serde_json::Value,
    pub(crate) stage: Stage,
    /// kintone's record id, once delivered.
    pub(crate) record_id: Option<String>,
    /// How many times delivery was tried.
    pub(crate) tries: i64,
    /// When the next try is due , while pending.
    pub(crate) next_at: UnixMillis,
    /// Why it is in the dead-letter state, or why the last try failed.
    pub(crate) error: Option<String>,
    /// When it was accepted .
    pub(crate) accepted_at: UnixMillis,
    /// When it last changed .
    pub(crate) updated_at: UnixMillis,
    /// Every attempt, oldest first (filled by history calls).
    #[serde(default)]
    pub(crate) attempts: Vec<Attempt>,
    /// The files sent with it, by field, name and size.
    #[serde(default)]
    pub(crate) files: Vec<FileSent>,
}

/// A file as the history shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileSent {
    /// The FILE field.
    pub(crate) field: String,
    /// The file's name.
    pub(crate) name: String,
    /// Its size in bytes (0 when not known).
    pub(crate) bytes: u64,
}

/// One call to kintone for a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Attempt {
    /// When .
    pub(crate) at: UnixMillis,
    /// The kintone endpoint, e.g. `POST records.json`.
    pub(crate) endpoint: String,
    /// kintone's HTTP status, or `None` when no answer arrived.
    pub(crate) status: Option<u16>,
    /// kintone's error code, e.g. `CB_VA01`.
    pub(crate) code: Option<String>,
    /// kintone's message for this record (or the transport error).
    pub(crate) message: Option<String>,
    /// The record id kintone gave.
    pub(crate) record_id: Option<String>,
}

/// A submission's values and files, read when it is sent.
#[derive(Clone, Debug)]
pub(crate) struct Kept {
    pub(crate) values: serde_json::Value,
    pub(crate) uploads: Vec<StoredUpload>,
}

/// A pending submission that is due (its values are read only when it is sent).
#[derive(Clone, Debug)]
pub(crate) struct Due {
    pub(crate) form: String,
    pub(crate) submission_id: String,
    pub(crate) tries: i64,
    pub(crate) accepted_at: UnixMillis,
    /// The update key's value, when the form has one (it decides how the record is written).
    pub(crate) key: Option<String>,
}

/// What happened to one submission in a delivery round.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    /// kintone has it, with this record id (unknown when it was found by its idempotency
    /// field without reading it back).
    Delivered(Option<String>),
    /// Try again at this time; the try counts.
    Retry { at: UnixMillis, error: String },
    /// Wait until this time without counting a try (the daily budget is spent).
    Hold { at: UnixMillis },
    /// Refused for good.
    DeadLetter(String),
}

/// One settled submission with the attempt that settled it.
#[derive(Clone, Debug)]
pub(crate) struct Settlement {
    pub(crate) form: String,
    pub(crate) submission_id: String,
    pub(crate) outcome: Outcome,
    pub(crate) attempt: Option<Attempt>,
}

/// A form whose delivery is paused (kintone refused the credentials).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Paused {
    pub(crate) form: String,
    pub(crate) reason: String,
    pub(crate) at: UnixMillis,
}

/// How a queued message is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Channel {
    /// One event of the failure digest (a `notify::Event` as JSON): dead letters, pauses and
    /// drift alerts, mailed and posted together every `digest_seconds`.
    Digest,
    /// One mail about an accepted submission (a `mail::Outgoing` as JSON): an auto-reply or a
    /// team's notice, sent as soon as it is queued.
    Mail,
}

impl Channel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Digest => "digest",
            Self::Mail => "mail",
        }
    }

    /// Where its messages go when a sender gives them up: the same table, under a channel no
    /// sender takes from, kept until an operator sends them again or drops them.
    pub(crate) fn given_up(self) -> &'static str {
        match self {
            Self::Digest => "digest_given_up",
            Self::Mail => "mail_given_up",
        }
    }
}

/// How many messages one channel holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueueLength {
    /// Waiting to be sent, retries included.
    pub(crate) waiting: i64,
    /// Of those, how many failed a try.
    pub(crate) retrying: i64,
    /// Given up: out of the queue until an operator sends them again.
    pub(crate) given_up: i64,
}

/// A message to send later, kept in the same transaction as what it tells (a dead letter, a
/// pause, a drift alert), so a crash can neither lose it nor keep it without its cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Queued {
    pub(crate) channel: Channel,
    /// What the channel sends, as JSON.
    pub(crate) body: String,
}

/// A message a sender gave up on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GivenUp {
    pub(crate) seq: i64,
    pub(crate) body: String,
    /// Failed tries.
    pub(crate) tries: i64,
    /// The last failure.
    pub(crate) error: Option<String>,
    /// When it was given up.
    pub(crate) at: UnixMillis,
}

/// A queued message leased to one sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Taken {
    /// Its place in the queue (older first).
    pub(crate) seq: i64,
    pub(crate) body: String,
    /// Failed tries so far.
    pub(crate) tries: i64,
}

/// What the delivery engine needs from durable storage.
pub(crate) trait Outbox: Send + Sync + 'static {
    /// Keeps every submission in one transaction (a group commit), or finds the earlier one
    /// with its id. Returns only once the data is on disk.
    fn accept(&self, batch: &[NewSubmission], now: UnixMillis)
    -> Result<Vec<Accepted>, StoreError>;
    /// Pending submissions due at `now`, oldest first, except those of paused forms and those
    /// a batch holds a lease on; `key_of` names each form's update key field.
    fn due(
        &self,
        now: UnixMillis,
        limit: usize,
        key_of: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<Due>, StoreError>;
    /// The values and files of these submissions, by (form, submission id).
    fn values(&self, keys: &[(String, String)]) -> Result<Vec<Option<Kept>>, StoreError>;
    /// Keeps what is known about a submission's files (a new upload key).
    fn set_uploads(&self, form: &str, id: &str, uploads: &[StoredUpload])
    -> Result<(), StoreError>;
    /// When the next pending submission of a running form is due (or its lease ends).
    fn next_due(&self) -> Result<Option<UnixMillis>, StoreError>;
    /// Leases to `holder` (one batch), until `until`, up to `limit` of these submissions (taken
    /// in the order given) that are pending, due at `now` and held by no batch, or whose lease
    /// ended; the ones it took. Batches of one relay or of several claiming from the same list
    /// at once take disjoint ones.
    fn claim(
        &self,
        candidates: &[(String, String)],
        limit: usize,
        holder: &str,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Vec<(String, String)>, StoreError>;
    /// Extends, until `until`, `holder`'s leases on these submissions (those settled or
    /// released since hold none any more and stay free).
    fn renew(
        &self,
        keys: &[(String, String)],
        holder: &str,
        until: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Ends `holder`'s leases on these submissions (its batch left them unsettled).
    fn release(&self, keys: &[(String, String)], holder: &str) -> Result<(), StoreError>;
    /// Takes one of the `cap` call slots of kintone `domain` until `until`, so that every
    /// relay sharing this store together stays within `cap` calls at once; which slot, or
    /// `None` when all are taken.
    fn take_slot(
        &self,
        domain: &str,
        cap: usize,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Option<i64>, StoreError>;
    /// Keeps a slot this relay holds until `until`.
    fn renew_slot(&self, domain: &str, slot: i64, until: UnixMillis) -> Result<(), StoreError>;
    /// Gives a slot back.
    fn give_slot(&self, domain: &str, slot: i64) -> Result<(), StoreError>;
    /// Keeps a submission's files (durably) in `folder`, as `folder/0`, `folder/1`, ….
    fn keep_files(&self, folder: &str, files: &[&[u8]]) -> Result<(), StoreError>;
    /// A kept file's bytes; `None` when it is gone.
    fn file(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Removes a submission's files (delivered or discarded).
    fn drop_files(&self, folder: &str) -> Result<(), StoreError>;
    /// Records outcomes and attempts in one transaction, ending their leases, and queues
    /// `queued` (the digest's events for its dead letters) in the same transaction.
    fn settle(
        &self,
        settlements: &[Settlement],
        queued: &[Queued],
        now: UnixMillis,
    ) -> Result<(), StoreError>;
    /// Stops delivering `form` until [`Outbox::resume`]; whether it was running. `queued` is
    /// queued with the pause, only when the form was running.
    fn pause(
        &self,
        form: &str,
        reason: &str,
        queued: &[Queued],
        now: UnixMillis,
    ) -> Result<bool, StoreError>;
    /// Delivers `form` again; whether it was paused.
    fn resume(&self, form: &str) -> Result<bool, StoreError>;
    /// Every paused form.
    fn paused(&self) -> Result<Vec<Paused>, StoreError>;
    /// Adds `calls` to an app's count for kintone's `day` when the count stays within `limit`,
    /// in one step (so relays sharing the store cannot both spend the last calls); whether it did.
    fn spend(&self, app: &str, day: &str, calls: i64, limit: i64) -> Result<bool, StoreError>;
    /// One submission with its attempts.
    fn submission(&self, form: &str, id: &str) -> Result<Option<StoredSubmission>, StoreError>;
    /// A form's submissions, newest first, in `stage` when given, each with its attempts: at
    /// most `limit`, after skipping the `offset` newest.
    fn history(
        &self,
        form: &str,
        stage: Option<Stage>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredSubmission>, StoreError>;
    /// Puts a dead-lettered or pending submission back in the outbox, due now, with fresh tries,
    /// and with corrected `values` (JSON) when given; `false` when it is in another stage. The
    /// digest stays that of what the visitor sent, so the visitor's own retry still matches.
    fn requeue(
        &self,
        form: &str,
        id: &str,
        now: UnixMillis,
        values: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// Puts every dead-lettered submission of `form` back in the outbox as [`Outbox::requeue`]
    /// does, in one transaction; how many.
    fn requeue_dead_letters(&self, form: &str, now: UnixMillis) -> Result<usize, StoreError>;
    /// Gives up a dead-lettered or pending submission; `false` when it is in another stage.
    fn discard(&self, form: &str, id: &str, now: UnixMillis) -> Result<bool, StoreError>;
    /// Deletes settled submissions (and their attempts) last changed before `before`; how many.
    /// Queued messages made before `before` that failed every try so far go too; given-up ones
    /// stay until an operator acts, like dead letters.
    fn forget(&self, before: UnixMillis) -> Result<usize, StoreError>;
    /// Leases to `holder`, until `until`, up to `limit` of `channel`'s queued messages that are
    /// due at `now` and held by no one (or whose lease ended), oldest first. Senders of several
    /// relays taking at once take disjoint ones.
    fn take_queued(
        &self,
        channel: Channel,
        limit: usize,
        holder: &str,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Vec<Taken>, StoreError>;
    /// Removes messages `holder` sent (the receiving server accepted them).
    fn sent_queued(&self, seqs: &[i64], holder: &str) -> Result<(), StoreError>;
    /// Gives back messages `holder` could not send, to try again at `at`, counting a try and
    /// keeping `error`.
    fn retry_queued(
        &self,
        seqs: &[i64],
        holder: &str,
        at: UnixMillis,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Takes a message of `channel` that `holder` gives up on out of its queue (counting the
    /// try and keeping `error`) to [`Channel::given_up`], to keep until
    /// [`Outbox::resend_queued`] or [`Outbox::drop_given_up`], and queues `queued` (the
    /// digest's event saying so) in the same transaction.
    fn give_up_queued(
        &self,
        channel: Channel,
        seq: i64,
        holder: &str,
        error: &str,
        queued: &[Queued],
    ) -> Result<(), StoreError>;
    /// The messages of `channel` given up, oldest first, at most `limit`; with `form`, only
    /// those whose JSON body names that `form` (a mail's `Outgoing`).
    fn given_up(
        &self,
        channel: Channel,
        form: Option<&str>,
        limit: usize,
    ) -> Result<Vec<GivenUp>, StoreError>;
    /// Puts a given-up message of `channel` back in its queue, due at `now` with fresh tries;
    /// whether it was one.
    fn resend_queued(
        &self,
        channel: Channel,
        seq: i64,
        now: UnixMillis,
    ) -> Result<bool, StoreError>;
    /// Drops a given-up message of `channel` for good; whether it was one.
    fn drop_given_up(&self, channel: Channel, seq: i64) -> Result<bool, StoreError>;
    /// Adds an attempt to a submission's history (a mail about it, say).
    fn record_attempt(&self, form: &str, id: &str, attempt: &Attempt) -> Result<(), StoreError>;
    /// How many messages `channel` holds: waiting, of which retrying, and given up.
    fn queue_length(&self, channel: Channel) -> Result<QueueLength, StoreError>;
    /// Counts one auto-reply of `form` to `recipient` (a digest of the address) at `now` for the
    /// submission `submission_id`, when in the hour before fewer than `per_recipient` went to
    /// that address and fewer than `per_form` went out for the form; whether it may be sent.
    /// An auto-reply the hour already counted for the same submission is allowed and not counted
    /// again: two first sends of one submission that race each other count once (only one of
    /// them is kept, with its mail). Relays sharing the store count together.
    fn allow_mail(
        &self,
        form: &str,
        submission_id: &str,
        recipient: &str,
        now: UnixMillis,
        per_recipient: i64,
        per_form: i64,
    ) -> Result<bool, StoreError>;
    /// How many submissions each form (or only `form`) has in each stage, as (form, stage,
    /// count).
    fn counts(&self, form: Option<&str>) -> Result<Vec<(String, Stage, i64)>, StoreError>;
}

const COLUMNS: &str = "form, submission_id, digest, vals, stage, record_id, tries, next_at, error, \
                       accepted_at, updated_at, uploads";

/// A submission's columns as either database stores them, before their JSON is read.
pub(crate) struct SubmissionRow {
    pub(crate) form: String,
    pub(crate) submission_id: String,
    pub(crate) digest: String,
    pub(crate) values: String,
    pub(crate) stage: String,
    pub(crate) record_id: Option<String>,
    pub(crate) tries: i64,
    pub(crate) next_at: UnixMillis,
    pub(crate) error: Option<String>,
    pub(crate) accepted_at: UnixMillis,
    pub(crate) updated_at: UnixMillis,
    pub(crate) uploads: Option<String>,
}

impl SubmissionRow {
    /// The submission, with its values and files read; a stage this relay never writes is a
    /// corrupt row.
    pub(crate) fn read(self) -> Result<StoredSubmission, StoreError> {
        let kept = Kept::read(&self.values, self.uploads.as_deref())?;
        let Some(stage) = Stage::parse(&self.stage) else {
            return Err(StoreError::Corrupt(format!("a submission's stage is {:?}", self.stage)));
        };
        let files = kept
            .uploads
            .into_iter()
            .map(|upload| FileSent { field: upload.field, name: upload.name, bytes: upload.bytes })
            .collect();
        Ok(StoredSubmission {
            form: self.form,
            submission_id: self.submission_id,
            digest: self.digest,
            values: kept.values,
            stage,
            record_id: self.record_id,
            tries: self.tries,
            next_at: self.next_at,
            error: self.error,
            accepted_at: self.accepted_at,
            updated_at: self.updated_at,
            attempts: Vec::new(),
            files,
        })
    }
}

impl Kept {
    /// Values and files as stored (JSON text).
    pub(crate) fn read(values: &str, uploads: Option<&str>) -> Result<Self, StoreError> {
        Ok(Self {
            values: serde_json::from_str(values)?,
            uploads: uploads.map(serde_json::from_str).transpose()?.unwrap_or_default(),
        })
    }
}

/// The uploads column of a new submission: `NULL` without files.
pub(crate) fn uploads_json(uploads: &[StoredUpload]) -> Result<Option<String>, StoreError> {
    if uploads.is_empty() { Ok(None) } else { Ok(Some(serde_json::to_string(uploads)?)) }
}

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredSubmission, StoreError>> {
    Ok(SubmissionRow {
        form: row.get(0)?,
        submission_id: row.get(1)?,
        digest: row.get(2)?,
        values: row.get(3)?,
        stage: row.get(4)?,
        record_id: row.get(5)?,
        tries: row.get(6)?,
        next_at: row.get(7)?,
        error: row.get(8)?,
        accepted_at: row.get(9)?,
        updated_at: row.get(10)?,
        uploads: row.get(11)?,
    }
    .read())
}

fn read(db: &Connection, form: &str, id: &str) -> Result<Option<StoredSubmission>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM submissions WHERE form = ?1 AND submission_id = ?2");
    db.query_row(&sql, params![form, id], row).optional()?.transpose()
}

fn attempts(db: &Connection, form: &str, id: &str) -> Result<Vec<Attempt>, StoreError> {
    let mut statement = db.prepare_cached(
        "SELECT at, endpoint, status, code, message, record_id FROM attempts
         WHERE form = ?1 AND submission_id = ?2 ORDER BY id",
    )?;
    let rows = statement.query_map(params![form, id], |row| {
        Ok(Attempt {
            at: row.get(0)?,
            endpoint: row.get(1)?,
            status: row.get(2)?,
            code: row.get(3)?,
            message: row.get(4)?,
            record_id: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl Outbox for Store {
    fn accept(
        &self,
        batch: &[NewSubmission],
        now: UnixMillis,
    ) -> Result<Vec<Accepted>, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let mut answers = Vec::with_capacity(batch.len());
        for new in batch {
            let inserted = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO submissions (form, submission_id, digest, vals, stage,
                     next_at, accepted_at, updated_at, uploads)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6, ?7)",
                )?
                .execute(params![
                    new.form,
                    new.submission_id,
                    new.digest,
                    new.values.to_string(),
                    new.stage.as_str(),
                    now,
                    uploads_json(&new.uploads)?
                ])?;
            answers.push(if inserted > 0 {
                enqueue(&tx, &new.queued, now)?;
                Accepted::New
            } else {
                let earlier = read(&tx, &new.form, &new.submission_id)?;
                earlier.map_or(Accepted::New, |earlier| Accepted::Seen(Box::new(earlier)))
            });
        }
        tx.commit()?;
        Ok(answers)
    }

    fn due(
        &self,
        now: UnixMillis,
        limit: usize,
        key_of: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<Due>, StoreError> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT form, submission_id, tries, accepted_at FROM submissions
             WHERE stage = 'pending' AND next_at <= ?1 AND lease_until <= ?1
               AND form NOT IN (SELECT form FROM paused)
             ORDER BY next_at, accepted_at LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = statement.query_map(params![now, limit], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        let mut due = Vec::new();
        let mut key_fields: std::collections::HashMap<String, Option<String>> =
            std::collections::HashMap::new();
        for found in rows {
            let (form, submission_id, tries, accepted_at): (String, String, i64, UnixMillis) =
                found?;
            let field = key_fields.entry(form.clone()).or_insert_with(|| key_of(&form)).clone();
            // Only forms with an update key need a value read to decide how to write.
            let key = match field {
                Some(field) => db
                    .prepare_cached(
                        "SELECT json_extract(vals, '$.' || json_quote(?3)) FROM submissions
                         WHERE form = ?1 AND submission_id = ?2",
                    )?
                    .query_row(params![form, submission_id, field], |row| {
                        row.get::<_, Option<rusqlite::types::Value>>(0)
                    })
                    .optional()?
                    .flatten()
                    .and_then(|value| match value {
                        rusqlite::types::Value::Text(text) => Some(text.trim().to_owned()),
                        rusqlite::types::Value::Integer(n) => Some(n.to_string()),
                        rusqlite::types::Value::Real(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .filter(|text| !text.is_empty()),
                None => None,
            };
            due.push(Due { form, submission_id, tries, accepted_at, key });
        }
        Ok(due)
    }

    fn values(&self, keys: &[(String, String)]) -> Result<Vec<Option<Kept>>, StoreError> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT vals, uploads FROM submissions WHERE form = ?1 AND submission_id = ?2",
        )?;
        let mut found = Vec::with_capacity(keys.len());
        for (form, id) in keys {
            let row: Option<(String, Option<String>)> = statement
                .query_row(params![form, id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            found.push(match row {
                Some((values, uploads)) => Some(Kept::read(&values, uploads.as_deref())?),
                None => None,
            });
        }
        Ok(found)
    }

    fn set_uploads(
        &self,
        form: &str,
        id: &str,
        uploads: &[StoredUpload],
    ) -> Result<(), StoreError> {
        let db = self.db();
        db.execute(
            "UPDATE submissions SET uploads = ?3 WHERE form = ?1 AND submission_id = ?2",
            params![form, id, serde_json::to_string(uploads)?],
        )?;
        Ok(())
    }

    fn next_due(&self) -> Result<Option<UnixMillis>, StoreError> {
        let db = self.db();
        Ok(db.query_row(
            "SELECT min(max(next_at, lease_until))
             FROM submissions WHERE stage = 'pending' AND form NOT IN (SELECT form FROM paused)",
            [],
            |row| row.get(0),
        )?)
    }

    fn claim(
        &self,
        candidates: &[(String, String)],
        limit: usize,
        holder: &str,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let mut held = Vec::with_capacity(limit.min(candidates.len()));
        for (form, id) in candidates {
            if held.len() >= limit {
                break;
            }
            let taken = tx
                .prepare_cached(
                    "UPDATE submissions SET lease_until = ?4, leased_by = ?5
                     WHERE form = ?1 AND submission_id = ?2 AND stage = 'pending'
                       AND next_at <= ?3 AND lease_until <= ?3",
                )?
                .execute(params![form, id, now, until, holder])?;
            if taken > 0 {
                held.push((form.clone(), id.clone()));
            }
        }
        tx.commit()?;
        Ok(held)
    }

    fn renew(
        &self,
        keys: &[(String, String)],
        holder: &str,
        until: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        for (form, id) in keys {
            tx.prepare_cached(
                "UPDATE submissions SET lease_until = ?3
                 WHERE form = ?1 AND submission_id = ?2 AND leased_by = ?4 AND stage = 'pending'",
            )?
            .execute(params![form, id, until, holder])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn release(&self, keys: &[(String, String)], holder: &str) -> Result<(), StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        for (form, id) in keys {
            tx.prepare_cached(
                "UPDATE submissions SET lease_until = 0, leased_by = NULL
                 WHERE form = ?1 AND submission_id = ?2 AND leased_by = ?3",
            )?
            .execute(params![form, id, holder])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A data directory serves one relay (its `kform.lock` says so at start), whose own
    /// semaphore already keeps the cap: every slot asked for is granted.
    fn take_slot(
        &self,
        _domain: &str,
        _cap: usize,
        _now: UnixMillis,
        _until: UnixMillis,
    ) -> Result<Option<i64>, StoreError> {
        Ok(Some(0))
    }

    fn renew_slot(&self, _domain: &str, _slot: i64, _until: UnixMillis) -> Result<(), StoreError> {
        Ok(())
    }

    fn give_slot(&self, _domain: &str, _slot: i64) -> Result<(), StoreError> {
        Ok(())
    }

    fn keep_files(&self, folder: &str, files: &[&[u8]]) -> Result<(), StoreError> {
        let dir = self.files_dir.join(folder);
        let failed = |source| StoreError::Dir { path: dir.display().to_string(), source };
        std::fs::create_dir_all(&dir).map_err(failed)?;
        for (i, bytes) in files.iter().enumerate() {
            let mut file = std::fs::File::create(dir.join(i.to_string())).map_err(failed)?;
            std::io::Write::write_all(&mut file, bytes).map_err(failed)?;
            file.sync_all().map_err(failed)?;
        }
        // The folder's entry must be on disk too before the outbox row points at it.
        std::fs::File::open(&dir).and_then(|dir| dir.sync_all()).map_err(failed)
    }

    fn file(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match std::fs::read(self.files_dir.join(path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Dir { path: path.to_owned(), source }),
        }
    }

    fn drop_files(&self, folder: &str) -> Result<(), StoreError> {
        // Most submissions have no files; a missing folder is fine.
        let _ = std::fs::remove_dir_all(self.files_dir.join(folder));
        Ok(())
    }

    fn settle(
        &self,
        settlements: &[Settlement],
        queued: &[Queued],
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        enqueue(&tx, queued, now)?;
        for settled in settlements {
            let (form, id) = (&settled.form, &settled.submission_id);
            tx.prepare_cached(
                "UPDATE submissions SET lease_until = 0, leased_by = NULL
                 WHERE form = ?1 AND submission_id = ?2",
            )?
            .execute(params![form, id])?;
            match &settled.outcome {
                Outcome::Delivered(record_id) => tx
                    .prepare_cached(
                        "UPDATE submissions SET stage = 'delivered', record_id = ?3,
                         tries = tries + 1, error = NULL, updated_at = ?4
                         WHERE form = ?1 AND submission_id = ?2",
                    )?
                    .execute(params![form, id, record_id, now])?,
                Outcome::Retry { at, error } => tx
                    .prepare_cached(
                        "UPDATE submissions SET tries = tries + 1, next_at = ?3, error = ?4,
                         updated_at = ?5 WHERE form = ?1 AND submission_id = ?2",
                    )?
                    .execute(params![form, id, at, error, now])?,
                Outcome::Hold { at } => tx
                    .prepare_cached(
                        "UPDATE submissions SET next_at = ?3, updated_at = ?4
                         WHERE form = ?1 AND submission_id = ?2",
                    )?
                    .execute(params![form, id, at, now])?,
                Outcome::DeadLetter(reason) => tx
                    .prepare_cached(
                        "UPDATE submissions SET stage = 'dead_letter', tries = tries + 1,
                         error = ?3, updated_at = ?4 WHERE form = ?1 AND submission_id = ?2",
                    )?
                    .execute(params![form, id, reason, now])?,
            };
            if let Some(attempt) = &settled.attempt {
                insert_attempt(&tx, form, id, attempt)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn pause(
        &self,
        form: &str,
        reason: &str,
        queued: &[Queued],
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let added = tx.execute(
            "INSERT OR IGNORE INTO paused (form, reason, at) VALUES (?1, ?2, ?3)",
            params![form, reason, now],
        )?;
        if added > 0 {
            enqueue(&tx, queued, now)?;
        }
        tx.commit()?;
        Ok(added > 0)
    }

    fn resume(&self, form: &str) -> Result<bool, StoreError> {
        let db = self.db();
        Ok(db.execute("DELETE FROM paused WHERE form = ?1", params![form])? > 0)
    }

    fn paused(&self) -> Result<Vec<Paused>, StoreError> {
        let db = self.db();
        let mut statement = db.prepare("SELECT form, reason, at FROM paused ORDER BY form")?;
        let rows = statement.query_map([], |row| {
            Ok(Paused { form: row.get(0)?, reason: row.get(1)?, at: row.get(2)? })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn spend(&self, app: &str, day: &str, calls: i64, limit: i64) -> Result<bool, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        if spent_in(&tx, app, day)? + calls > limit {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO budget (app, day, used) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET used = used + excluded.used",
            params![app, day, calls],
        )?;
        // Older days are of no use any more.
        tx.execute("DELETE FROM budget WHERE app = ?1 AND day < ?2", params![app, day])?;
        tx.commit()?;
        Ok(true)
    }

    fn submission(&self, form: &str, id: &str) -> Result<Option<StoredSubmission>, StoreError> {
        let db = self.db();
        let Some(mut found) = read(&db, form, id)? else {
            return Ok(None);
        };
        found.attempts = attempts(&db, form, id)?;
        Ok(Some(found))
    }

    fn history(
        &self,
        form: &str,
        stage: Option<Stage>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredSubmission>, StoreError> {
        let db = self.db();
        let sql = format!(
            "SELECT {COLUMNS} FROM submissions WHERE form = ?1 AND (?2 IS NULL OR stage = ?2)
             ORDER BY accepted_at DESC, rowid DESC LIMIT ?3 OFFSET ?4"
        );
        let mut statement = db.prepare(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(params![form, stage.map(Stage::as_str), limit, offset], row)?
            .collect::<Result<Vec<_>, _>>()?;
        let mut found = Vec::with_capacity(rows.len());
        for submission in rows {
            let mut submission = submission?;
            submission.attempts = attempts(&db, form, &submission.submission_id)?;
            found.push(submission);
        }
        Ok(found)
    }

    fn requeue(
        &self,
        form: &str,
        id: &str,
        now: UnixMillis,
        values: Option<&str>,
    ) -> Result<bool, StoreError> {
        let db = self.db();
        Ok(db.execute(
            "UPDATE submissions SET stage = 'pending', tries = 0, next_at = ?3, updated_at = ?3,
                 vals = COALESCE(?4, vals)
             WHERE form = ?1 AND submission_id = ?2 AND stage IN ('pending', 'dead_letter')",
            params![form, id, now, values],
        )? > 0)
    }

    fn requeue_dead_letters(&self, form: &str, now: UnixMillis) -> Result<usize, StoreError> {
        let db = self.db();
        Ok(db.execute(
            "UPDATE submissions SET stage = 'pending', tries = 0, next_at = ?2, updated_at = ?2
             WHERE form = ?1 AND stage = 'dead_letter'",
            params![form, now],
        )?)
    }

    fn discard(&self, form: &str, id: &str, now: UnixMillis) -> Result<bool, StoreError> {
        let db = self.db();
        Ok(db.execute(
            "UPDATE submissions SET stage = 'discarded', updated_at = ?3
             WHERE form = ?1 AND submission_id = ?2 AND stage IN ('pending', 'dead_letter')",
            params![form, id, now],
        )? > 0)
    }

    fn forget(&self, before: UnixMillis) -> Result<usize, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        tx.execute(
            "DELETE FROM attempts WHERE (form, submission_id) IN (SELECT form, submission_id
             FROM submissions WHERE stage NOT IN ('pending', 'dead_letter') AND updated_at < ?1)",
            params![before],
        )?;
        let removed = tx.execute(
            "DELETE FROM submissions WHERE stage NOT IN ('pending', 'dead_letter')
             AND updated_at < ?1",
            params![before],
        )?;
        tx.execute(
            "DELETE FROM queued WHERE tries > 0 AND created_at < ?1 AND channel IN (?2, ?3)",
            params![before, Channel::Digest.as_str(), Channel::Mail.as_str()],
        )?;
        tx.commit()?;
        Ok(removed)
    }

    fn take_queued(
        &self,
        channel: Channel,
        limit: usize,
        holder: &str,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Vec<Taken>, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let taken = {
            let mut statement = tx.prepare_cached(
                "UPDATE queued SET lease_until = ?4, leased_by = ?5
                 WHERE seq IN (SELECT seq FROM queued WHERE channel = ?1 AND next_at <= ?2
                               AND lease_until <= ?2 ORDER BY seq LIMIT ?3)
                 RETURNING seq, body, tries",
            )?;
            let rows = statement.query_map(
                params![
                    channel.as_str(),
                    now,
                    i64::try_from(limit).unwrap_or(i64::MAX),
                    until,
                    holder
                ],
                |row| Ok(Taken { seq: row.get(0)?, body: row.get(1)?, tries: row.get(2)? }),
            )?;
            let mut taken = rows.collect::<Result<Vec<_>, _>>()?;
            taken.sort_by_key(|taken| taken.seq);
            taken
        };
        tx.commit()?;
        Ok(taken)
    }

    fn sent_queued(&self, seqs: &[i64], holder: &str) -> Result<(), StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        for seq in seqs {
            tx.prepare_cached("DELETE FROM queued WHERE seq = ?1 AND leased_by = ?2")?
                .execute(params![seq, holder])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn retry_queued(
        &self,
        seqs: &[i64],
        holder: &str,
        at: UnixMillis,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        for seq in seqs {
            tx.prepare_cached(
                "UPDATE queued SET tries = tries + 1, next_at = ?3, error = ?4, lease_until = 0,
                 leased_by = NULL WHERE seq = ?1 AND leased_by = ?2",
            )?
            .execute(params![seq, holder, at, error])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn give_up_queued(
        &self,
        channel: Channel,
        seq: i64,
        holder: &str,
        error: &str,
        queued: &[Queued],
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut db = self.db();
        let tx = db.transaction()?;
        let moved = tx.execute(
            "UPDATE queued SET channel = ?5, tries = tries + 1, error = ?3, next_at = ?4,
                 lease_until = 0, leased_by = NULL
             WHERE seq = ?1 AND leased_by = ?2 AND channel = ?6",
            params![seq, holder, error, now, channel.given_up(), channel.as_str()],
        )?;
        if moved > 0 {
            enqueue(&tx, queued, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn given_up(
        &self,
        channel: Channel,
        form: Option<&str>,
        limit: usize,
    ) -> Result<Vec<GivenUp>, StoreError> {
        let db = self.db();
        // CASE, so the body is read as JSON only when a form is asked for.
        let mut statement = db.prepare_cached(
            "SELECT seq, body, tries, error, next_at FROM queued WHERE channel = ?1
             AND CASE WHEN ?3 IS NULL THEN 1 ELSE json_extract(body, '$.form') = ?3 END
             ORDER BY seq LIMIT ?2",
        )?;
        let rows = statement.query_map(
            params![channel.given_up(), i64::try_from(limit).unwrap_or(i64::MAX), form],
            |row| {
                Ok(GivenUp {
                    seq: row.get(0)?,
                    body: row.get(1)?,
                    tries: row.get(2)?,
                    error: row.get(3)?,
                    at: UnixMillis(row.get(4)?),
                })
            },
        )?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn resend_queued(
        &self,
        channel: Channel,
        seq: i64,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        Ok(self.db().execute(
            "UPDATE queued SET channel = ?1, tries = 0, next_at = ?4, error = NULL
             WHERE seq = ?3 AND channel = ?2",
            params![channel.as_str(), channel.given_up(), seq, now],
        )? > 0)
    }

    fn drop_given_up(&self, channel: Channel, seq: i64) -> Result<bool, StoreError> {
        Ok(self.db().execute(
            "DELETE FROM queued WHERE seq = ?1 AND channel = ?2",
            params![seq, channel.given_up()],
        )? > 0)
    }

    fn record_attempt(&self, form: &str, id: &str, attempt: &Attempt) -> Result<(), StoreError> {
        insert_attempt(&self.db(), form, id, attempt)
    }

    fn allow_mail(
        &self,
        form: &str,
        submission_id: &str,
        recipient: &str,
        now: UnixMillis,
        per_recipient: i64,
        per_form: i64,
    ) -> Result<bool, StoreError> {
        let since = now.plus(-HOUR_MS);
        let mut db = self.db();
        let tx = db.transaction()?;
        tx.execute("DELETE FROM mail_log WHERE form = ?1 AND at <= ?2", params![form, since])?;
        let counted: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM mail_log WHERE form = ?1 AND submission_id = ?2)",
            params![form, submission_id],
            |row| row.get(0),
        )?;
        if counted {
            return Ok(true);
        }
        let to_recipient: i64 = tx.query_row(
            "SELECT count(*) FROM mail_log WHERE recipient = ?1 AND at > ?2",
            params![recipient, since],
            |row| row.get(0),
        )?;
        let from_form: i64 = tx.query_row(
            "SELECT count(*) FROM mail_log WHERE form = ?1 AND at > ?2",
            params![form, since],
            |row| row.get(0),
        )?;
        let allowed = to_recipient < per_recipient && from_form < per_form;
        if allowed {
            tx.execute(
                "INSERT INTO mail_log (form, recipient, at, submission_id) VALUES (?1, ?2, ?3, ?4)",
                params![form, recipient, now, submission_id],
            )?;
        }
        tx.commit()?;
        Ok(allowed)
    }

    fn queue_length(&self, channel: Channel) -> Result<QueueLength, StoreError> {
        Ok(self.db().query_row(
            "SELECT count(*) FILTER (WHERE channel = ?1),
                    count(*) FILTER (WHERE channel = ?1 AND tries > 0),
                    count(*) FILTER (WHERE channel = ?2)
             FROM queued WHERE channel IN (?1, ?2)",
            params![channel.as_str(), channel.given_up()],
            |row| {
                Ok(QueueLength {
                    waiting: row.get(0)?,
                    retrying: row.get(1)?,
                    given_up: row.get(2)?,
                })
            },
        )?)
    }

    fn counts(&self, form: Option<&str>) -> Result<Vec<(String, Stage, i64)>, StoreError> {
        let db = self.db();
        // One form's counts read its rows by the (form, accepted_at) index, not the whole table.
        let mut statement = db.prepare(
            "SELECT form, stage, count(*) FROM submissions WHERE ?1 IS NULL OR form = ?1
             GROUP BY form, stage ORDER BY 1, 2",
        )?;
        let rows = statement.query_map(params![form], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get(2)?))
        })?;
        let mut counts = Vec::new();
        for found in rows {
            let (form, stage, count) = found?;
            let stage = Stage::parse(&stage)
                .ok_or_else(|| StoreError::Corrupt(format!("a submission's stage is {stage:?}")))?;
            counts.push((form, stage, count));
        }
        Ok(counts)
    }
}

/// An app's count for `day`.
/// Adds an attempt to a submission's history in the caller's connection or transaction.
fn insert_attempt(
    db: &Connection,
    form: &str,
    id: &str,
    attempt: &Attempt,
) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO attempts (form, submission_id, at, endpoint, status, code, message,
         record_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        form,
        id,
        attempt.at,
        attempt.endpoint,
        attempt.status,
        attempt.code,
        attempt.message,
        attempt.record_id
    ])?;
    Ok(())
}

/// The window of the auto-reply limits.
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// Queues messages in the caller's transaction.
pub(crate) fn enqueue(
    db: &Connection,
    queued: &[Queued],
    now: UnixMillis,
) -> Result<(), StoreError> {
    for message in queued {
        db.prepare_cached(
            "INSERT INTO queued (channel, body, created_at, next_at) VALUES (?1, ?2, ?3, ?3)",
        )?
        .execute(params![message.channel.as_str(), message.body, now])?;
    }
    Ok(())
}

fn spent_in(db: &Connection, app: &str, day: &str) -> Result<i64, StoreError> {
    Ok(db
        .query_row(
            "SELECT used FROM budget WHERE app = ?1 AND day = ?2",
            params![app, day],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

#[cfg(test)]
pub(crate) mod tests;
