//! The shared store: everything a relay keeps (submissions and their attempts, files, forms and
//! connections made through the admin API, synced fields, drift alerts, pauses, the daily
//! budget, the signing key) in one PostgreSQL database, so several relays behind a load
//! balancer act as one.
//!
//! [`PgStore`] implements the same [`Outbox`] and [`SettingsStore`] traits as the SQLite store,
//! so the delivery engine, the intake and the admin routes do not know which one they use.
//! What sharing adds:
//! - a batch is leased to the relay sending it (`claim`: an `UPDATE … RETURNING` that skips rows
//!   another relay holds), so two relays never send one submission at once, and a relay that
//!   dies loses its leases when their time passes;
//! - each kintone domain's call slots are rows (`call_slots`) taken with `FOR UPDATE SKIP
//!   LOCKED`, so the concurrency cap holds across relays;
//! - the daily budget is spent in one statement that refuses to pass the limit;
//! - the layout is migrated under an advisory lock, so relays starting together migrate once.
//!
//! Every method blocks (the `postgres` crate's client); the relay calls them on blocking
//! threads, as it does SQLite's.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use postgres::{Client, Row};

use crate::clock::{Clock, UnixMillis};
use crate::outbox::{
    Accepted, Attempt, Channel, Due, GivenUp, Kept, NewSubmission, Outbox, Outcome, Paused,
    QueueLength, Queued, Settlement, Stage, StoredSubmission, StoredUpload, SubmissionRow, Taken,
    uploads_json,
};
use crate::store::{Alert, Layout, SettingsStore, StoreError, Table};

/// The layout of the PostgreSQL database. An older layout listed in [`MIGRATIONS`] is brought
/// up to date at start; any other is refused.
pub(crate) const LAYOUT: i64 = 3;

/// The steps from each older layout to the next, each run in the transaction that holds the
/// migration lock.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        // Layout 2 keeps the failure digest's events and the mail about submissions in a
        // queue, so each is sent once by one relay, and counts auto-replies for their hourly
        // limits.
        1,
        QUEUED_TABLE,
    ),
    (
        // Layout 3 counts an auto-reply under its submission, so two first sends of one
        // submission that race count once. A relay of layout 2 still running beside it counts
        // as before (the column may be empty).
        2,
        "ALTER TABLE mail_log ADD COLUMN IF NOT EXISTS submission_id TEXT;",
    ),
];

/// The queue of messages to send (see `Outbox::take_queued`) and the auto-replies' count.
const QUEUED_TABLE: &str = "
CREATE TABLE queued (
    seq BIGSERIAL PRIMARY KEY, channel TEXT NOT NULL, body TEXT NOT NULL,
    created_at BIGINT NOT NULL, next_at BIGINT NOT NULL, tries BIGINT NOT NULL DEFAULT 0,
    error TEXT, lease_until BIGINT NOT NULL DEFAULT 0, leased_by TEXT);
CREATE INDEX queued_due ON queued (channel, next_at);
CREATE TABLE mail_log (
    form TEXT NOT NULL, recipient TEXT NOT NULL, at BIGINT NOT NULL, submission_id TEXT);
CREATE INDEX mail_log_by_form ON mail_log (form, at);
CREATE INDEX mail_log_by_recipient ON mail_log (recipient, at);
";

/// The advisory lock relays take while they create or migrate the tables.
const MIGRATION_LOCK: i64 = 0x6b66_6f72_6d00;

const SCHEMA: &str = "
CREATE TABLE kform_meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE forms (id TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE connections (name TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE app_fields (
    connection TEXT NOT NULL, app BIGINT NOT NULL, revision TEXT NOT NULL, fields TEXT NOT NULL,
    synced_at BIGINT NOT NULL, PRIMARY KEY (connection, app));
CREATE TABLE alerts (
    id BIGSERIAL PRIMARY KEY, form TEXT NOT NULL, at BIGINT NOT NULL, revision TEXT NOT NULL,
    issues TEXT NOT NULL, UNIQUE (form, revision));
CREATE TABLE editor_creations (tag TEXT PRIMARY KEY, form TEXT NOT NULL, at BIGINT NOT NULL);
CREATE TABLE submissions (
    seq BIGSERIAL, form TEXT NOT NULL, submission_id TEXT NOT NULL, digest TEXT NOT NULL,
    vals TEXT NOT NULL, uploads TEXT, stage TEXT NOT NULL, record_id TEXT,
    tries BIGINT NOT NULL DEFAULT 0, next_at BIGINT NOT NULL DEFAULT 0, error TEXT,
    accepted_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0, leased_by TEXT,
    PRIMARY KEY (form, submission_id));
CREATE INDEX submissions_due ON submissions (stage, next_at);
CREATE INDEX submissions_by_time ON submissions (form, accepted_at);
CREATE TABLE attempts (
    id BIGSERIAL PRIMARY KEY, form TEXT NOT NULL, submission_id TEXT NOT NULL,
    at BIGINT NOT NULL, endpoint TEXT NOT NULL, status INTEGER, code TEXT, message TEXT,
    record_id TEXT);
CREATE INDEX attempts_by_submission ON attempts (form, submission_id);
CREATE TABLE paused (form TEXT PRIMARY KEY, reason TEXT NOT NULL, at BIGINT NOT NULL);
CREATE TABLE budget (app TEXT NOT NULL, day TEXT NOT NULL, used BIGINT NOT NULL,
    PRIMARY KEY (app, day));
CREATE TABLE files (path TEXT PRIMARY KEY, folder TEXT NOT NULL, bytes BYTEA NOT NULL);
CREATE INDEX files_by_folder ON files (folder);
CREATE TABLE call_slots (domain TEXT NOT NULL, slot BIGINT NOT NULL, holder TEXT,
    until BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (domain, slot));
";

/// Idle connections kept for the next call; more are opened under load and closed after.
const IDLE: usize = 16;

/// Connections to the database, reused between calls.
struct Pool {
    config: postgres::Config,
    /// TLS as `sslmode` in the URL asks (see `tls.rs`).
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    idle: Mutex<Vec<Client>>,
}

impl Pool {
    fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let client = match idle.filter(|client| !client.is_closed()) {
            Some(client) => client,
            None => self.config.connect(self.tls.clone())?,
        };
        Ok(Pooled { pool: self, client: Some(client) })
    }
}

/// A connection taken from the pool; it goes back when dropped, unless it broke.
struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl Pooled<'_> {
    /// The connection (only `drop` takes it out, so this does not fail).
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        self.client.as_mut().ok_or(StoreError::Join)
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take().filter(|client| !client.is_closed()) {
            let mut idle = self.pool.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < IDLE {
                idle.push(client);
            }
        }
    }
}

/// The shared PostgreSQL store, one per relay process.
#[derive(Clone)]
pub(crate) struct PgStore {
    pool: Arc<Pool>,
    clock: Arc<dyn Clock>,
    /// This relay's name on its call slots.
    holder: String,
    /// The database's layout when it was opened (before any migration).
    pub(crate) found_layout: i64,
    /// Kintone domains whose call slots this relay has made sure exist, with how many.
    seeded: Arc<Mutex<HashMap<String, usize>>>,
}

impl PgStore {
    /// Connects to `url` and creates the tables, or checks (and with [`Layout::Migrate`]
    /// brings up to date) their layout.
    /// The server's certificate is verified against `ca_file` when given (see `tls.rs`). It may
    /// be called from async code: the connecting runs on a thread of its own.
    pub(crate) fn open(
        url: &str,
        ca_file: Option<&std::path::Path>,
        clock: Arc<dyn Clock>,
        layout: Layout,
    ) -> Result<Self, StoreError> {
        let config: postgres::Config = url.parse()?;
        let tls = tls::connector(ca_file)?;
        let pool = Arc::new(Pool { config, tls, idle: Mutex::default() });
        let found_layout = off_runtime(|| {
            let mut conn = pool.get()?;
            migrate(conn.client()?, layout)
        })?;
        Ok(Self {
            pool,
            clock,
            holder: uuid::Uuid::new_v4().to_string(),
            found_layout,
            seeded: Arc::default(),
        })
    }

    fn now(&self) -> UnixMillis {
        self.clock.now()
    }

    fn conn(&self) -> Result<Pooled<'_>, StoreError> {
        self.pool.get()
    }
}

/// Runs `f` on a thread of its own. The blocking client runs a small Tokio runtime inside, which
/// cannot start on a thread that is driving the relay's async tasks; the relay calls the store
/// from blocking threads, and the few calls made while starting (opening, the signing key) go
/// through here.
fn off_runtime<T: Send>(f: impl FnOnce() -> Result<T, StoreError> + Send) -> Result<T, StoreError> {
    std::thread::scope(|scope| scope.spawn(f).join()).map_err(|_| StoreError::Join)?
}

/// The layout found; with [`Layout::Migrate`] an empty database gets the tables and an older
/// layout is brought up to [`LAYOUT`]. A layout this kform does not know is refused.
fn migrate(client: &mut Client, layout: Layout) -> Result<i64, StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let made: bool = tx.query_one("SELECT to_regclass('kform_meta') IS NOT NULL", &[])?.get(0);
    if !made {
        // A database no relay has used yet gets the tables whatever the layout option: no
        // older relay can be using them.
        tx.batch_execute(SCHEMA)?;
        tx.batch_execute(QUEUED_TABLE)?;
        set_layout(&mut tx, LAYOUT)?;
        tx.commit()?;
        tracing::info!(layout = LAYOUT, "created kform's tables in the database");
        return Ok(LAYOUT);
    }
    let value: Option<Vec<u8>> = tx
        .query_opt("SELECT value FROM kform_meta WHERE key = 'layout'", &[])?
        .map(|row| row.get(0));
    let found = value
        .and_then(|value| String::from_utf8(value).ok())
        .and_then(|text| text.parse::<i64>().ok())
        .ok_or_else(|| StoreError::Corrupt("the database's kform layout is missing".into()))?;
    let known = |version: i64| {
        (version..LAYOUT).all(|from| MIGRATIONS.iter().any(|(step, _)| *step == from))
    };
    if found > LAYOUT || !known(found) {
        return Err(StoreError::Version { found, wanted: LAYOUT });
    }
    if layout == Layout::AsFound || found == LAYOUT {
        return Ok(found);
    }
    let mut version = found;
    while let Some((_, step)) = MIGRATIONS.iter().find(|(from, _)| *from == version) {
        tx.batch_execute(step)?;
        version += 1;
        tracing::info!(from = version - 1, to = version, "migrated the database");
    }
    set_layout(&mut tx, version)?;
    tx.commit()?;
    Ok(found)
}

const INSERT_ATTEMPT: &str =
    "INSERT INTO attempts (form, submission_id, at, endpoint, status, code, message, record_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Adds an attempt to a submission's history through `client` (a connection or a transaction)
/// with `statement`: [`INSERT_ATTEMPT`], or that statement prepared once for many.
fn insert_attempt<S: postgres::ToStatement + ?Sized>(
    client: &mut impl postgres::GenericClient,
    statement: &S,
    form: &str,
    id: &str,
    attempt: &Attempt,
) -> Result<(), StoreError> {
    let status = attempt.status.map(i32::from);
    client.execute(
        statement,
        &[
            &form,
            &id,
            &attempt.at.0,
            &attempt.endpoint,
            &status,
            &attempt.code,
            &attempt.message,
            &attempt.record_id,
        ],
    )?;
    Ok(())
}

/// Queues messages in the caller's transaction.
fn enqueue(
    tx: &mut postgres::Transaction<'_>,
    queued: &[Queued],
    now: UnixMillis,
) -> Result<(), StoreError> {
    for message in queued {
        tx.execute(
            "INSERT INTO queued (channel, body, created_at, next_at) VALUES ($1, $2, $3, $3)",
            &[&message.channel.as_str(), &message.body, &now.0],
        )?;
    }
    Ok(())
}

fn set_layout(tx: &mut postgres::Transaction<'_>, layout: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO kform_meta (key, value) VALUES ('layout', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&layout.to_string().into_bytes()],
    )?;
    Ok(())
}

const COLUMNS: &str = "form, submission_id, digest, vals, stage, record_id, tries, next_at, error, \
                       accepted_at, updated_at, uploads";

fn submission(row: &Row) -> Result<StoredSubmission, StoreError> {
    SubmissionRow {
        form: row.try_get(0)?,
        submission_id: row.try_get(1)?,
        digest: row.try_get(2)?,
        values: row.try_get(3)?,
        stage: row.try_get(4)?,
        record_id: row.try_get(5)?,
        tries: row.try_get(6)?,
        next_at: UnixMillis(row.try_get(7)?),
        error: row.try_get(8)?,
        accepted_at: UnixMillis(row.try_get(9)?),
        updated_at: UnixMillis(row.try_get(10)?),
        uploads: row.try_get(11)?,
    }
    .read()
}

fn read(
    client: &mut impl postgres::GenericClient,
    form: &str,
    id: &str,
) -> Result<Option<StoredSubmission>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM submissions WHERE form = $1 AND submission_id = $2");
    client.query_opt(&sql, &[&form, &id])?.as_ref().map(submission).transpose()
}

fn attempts(client: &mut Client, form: &str, id: &str) -> Result<Vec<Attempt>, StoreError> {
    let rows = client.query(
        "SELECT at, endpoint, status, code, message, record_id FROM attempts
         WHERE form = $1 AND submission_id = $2 ORDER BY id",
        &[&form, &id],
    )?;
    rows.iter()
        .map(|row| {
            let status: Option<i32> = row.try_get(2)?;
            Ok(Attempt {
                at: UnixMillis(row.try_get(0)?),
                endpoint: row.try_get(1)?,
                status: status.and_then(|status| u16::try_from(status).ok()),
                code: row.try_get(3)?,
                message: row.try_get(4)?,
                record_id: row.try_get(5)?,
            })
        })
        .collect()
}

/// Forms and ids as two arrays, for `unnest`.
fn split(keys: &[(String, String)]) -> (Vec<&str>, Vec<&str>) {
    keys.iter().map(|(form, id)| (form.as_str(), id.as_str())).unzip()
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Outbox for PgStore {
    fn accept(
        &self,
        batch: &[NewSubmission],
        now: UnixMillis,
    ) -> Result<Vec<Accepted>, StoreError> {
        let mut forms = Vec::with_capacity(batch.len());
        let mut ids = Vec::with_capacity(batch.len());
        let mut digests = Vec::with_capacity(batch.len());
        let mut values = Vec::with_capacity(batch.len());
        let mut stages = Vec::with_capacity(batch.len());
        let mut uploads = Vec::with_capacity(batch.len());
        for new in batch {
            forms.push(new.form.as_str());
            ids.push(new.submission_id.as_str());
            digests.push(new.digest.as_str());
            values.push(new.values.to_string());
            stages.push(new.stage.as_str());
            uploads.push(uploads_json(&new.uploads)?);
        }
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        // One statement for the whole group commit; an id already kept is left as it was.
        let inserted = tx.query(
            "INSERT INTO submissions (form, submission_id, digest, vals, stage, next_at,
                 accepted_at, updated_at, uploads)
             SELECT f, i, d, v, s, $6, $6, $6, u
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::text[])
                 AS t(f, i, d, v, s, u)
             ON CONFLICT DO NOTHING RETURNING form, submission_id",
            &[&forms, &ids, &digests, &values, &stages, &now.0, &uploads],
        )?;
        let mut new: HashSet<(String, String)> = inserted
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<_, StoreError>>()?;
        let mut answers = Vec::with_capacity(batch.len());
        for submitted in batch {
            let key = (submitted.form.clone(), submitted.submission_id.clone());
            answers.push(if new.remove(&key) {
                enqueue(&mut tx, &submitted.queued, now)?;
                Accepted::New
            } else {
                let earlier = read(&mut tx, &submitted.form, &submitted.submission_id)?;
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
        let mut conn = self.conn()?;
        let client = conn.client()?;
        let rows = client.query(
            "SELECT form, submission_id, tries, accepted_at FROM submissions
             WHERE stage = 'pending' AND next_at <= $1 AND lease_until <= $1
               AND form NOT IN (SELECT form FROM paused)
             ORDER BY next_at, accepted_at LIMIT $2",
            &[&now.0, &to_i64(limit)],
        )?;
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            due.push(Due {
                form: row.try_get(0)?,
                submission_id: row.try_get(1)?,
                tries: row.try_get(2)?,
                accepted_at: UnixMillis(row.try_get(3)?),
                key: None,
            });
        }
        // Only forms with an update key need a value read to decide how to write: one query
        // per such form.
        let mut by_form: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, item) in due.iter().enumerate() {
            by_form.entry(item.form.clone()).or_default().push(i);
        }
        for (form, indexes) in by_form {
            let Some(field) = key_of(&form) else { continue };
            let ids: Vec<&str> = indexes.iter().map(|&i| due[i].submission_id.as_str()).collect();
            let keys: HashMap<String, String> = client
                .query(
                    "SELECT submission_id, vals::jsonb ->> $3 FROM submissions
                     WHERE form = $1 AND submission_id = ANY($2)",
                    &[&form, &ids, &field],
                )?
                .iter()
                .filter_map(|row| {
                    let value: Option<String> = row.try_get(1).ok()?;
                    Some((row.try_get(0).ok()?, value?.trim().to_owned()))
                })
                .filter(|(_, value)| !value.is_empty())
                .collect();
            for i in indexes {
                due[i].key = keys.get(&due[i].submission_id).cloned();
            }
        }
        Ok(due)
    }

    fn values(&self, keys: &[(String, String)]) -> Result<Vec<Option<Kept>>, StoreError> {
        let (forms, ids) = split(keys);
        let rows = self.conn()?.client()?.query(
            "SELECT form, submission_id, vals, uploads FROM submissions
             WHERE (form, submission_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            &[&forms, &ids],
        )?;
        let mut found: HashMap<(String, String), Kept> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let values: String = row.try_get(2)?;
            let uploads: Option<String> = row.try_get(3)?;
            found.insert(
                (row.try_get(0)?, row.try_get(1)?),
                Kept::read(&values, uploads.as_deref())?,
            );
        }
        Ok(keys.iter().map(|key| found.remove(key)).collect())
    }

    fn set_uploads(
        &self,
        form: &str,
        id: &str,
        uploads: &[StoredUpload],
    ) -> Result<(), StoreError> {
        self.conn()?.client()?.execute(
            "UPDATE submissions SET uploads = $3 WHERE form = $1 AND submission_id = $2",
            &[&form, &id, &serde_json::to_string(uploads)?],
        )?;
        Ok(())
    }

    fn next_due(&self) -> Result<Option<UnixMillis>, StoreError> {
        let row = self.conn()?.client()?.query_one(
            "SELECT min(greatest(next_at, lease_until))
             FROM submissions WHERE stage = 'pending' AND form NOT IN (SELECT form FROM paused)",
            &[],
        )?;
        Ok(row.try_get::<_, Option<i64>>(0)?.map(UnixMillis))
    }

    fn claim(
        &self,
        candidates: &[(String, String)],
        limit: usize,
        holder: &str,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let (forms, ids) = split(candidates);
        // Rows another relay is claiming right now are locked: they are skipped, not waited for.
        let rows = self.conn()?.client()?.query(
            "UPDATE submissions s SET lease_until = $4, leased_by = $5
             FROM (SELECT sub.form, sub.submission_id
                   FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(form, id, n)
                   JOIN submissions sub ON sub.form = c.form AND sub.submission_id = c.id
                   WHERE sub.stage = 'pending' AND sub.next_at <= $3 AND sub.lease_until <= $3
                   ORDER BY c.n LIMIT $6
                   FOR UPDATE OF sub SKIP LOCKED) picked
             WHERE s.form = picked.form AND s.submission_id = picked.submission_id
             RETURNING s.form, s.submission_id",
            &[&forms, &ids, &now.0, &until.0, &holder, &to_i64(limit)],
        )?;
        let held: HashSet<(String, String)> = rows
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(candidates.iter().filter(|key| held.contains(*key)).cloned().collect())
    }

    fn renew(
        &self,
        keys: &[(String, String)],
        holder: &str,
        until: UnixMillis,
    ) -> Result<(), StoreError> {
        let (forms, ids) = split(keys);
        self.conn()?.client()?.execute(
            "UPDATE submissions SET lease_until = $3
             WHERE (form, submission_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
               AND leased_by = $4 AND stage = 'pending'",
            &[&forms, &ids, &until.0, &holder],
        )?;
        Ok(())
    }

    fn release(&self, keys: &[(String, String)], holder: &str) -> Result<(), StoreError> {
        let (forms, ids) = split(keys);
        self.conn()?.client()?.execute(
            "UPDATE submissions SET lease_until = 0, leased_by = NULL
             WHERE (form, submission_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
               AND leased_by = $3",
            &[&forms, &ids, &holder],
        )?;
        Ok(())
    }

    fn take_slot(
        &self,
        domain: &str,
        cap: usize,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Option<i64>, StoreError> {
        let cap = to_i64(cap.max(1));
        let mut conn = self.conn()?;
        let client = conn.client()?;
        let seeded = self
            .seeded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(domain)
            .is_some_and(|&known| to_i64(known) >= cap);
        if !seeded {
            client.execute(
                "INSERT INTO call_slots (domain, slot) SELECT $1, s FROM generate_series(0, $2::bigint - 1) s
                 ON CONFLICT DO NOTHING",
                &[&domain, &cap],
            )?;
            self.seeded
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(domain.to_owned(), usize::try_from(cap).unwrap_or(usize::MAX));
        }
        let row = client.query_opt(
            "UPDATE call_slots SET holder = $4, until = $5
             WHERE domain = $1 AND slot = (
                 SELECT slot FROM call_slots WHERE domain = $1 AND slot < $2 AND until <= $3
                 ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING slot",
            &[&domain, &cap, &now.0, &self.holder, &until.0],
        )?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    fn renew_slot(&self, domain: &str, slot: i64, until: UnixMillis) -> Result<(), StoreError> {
        self.conn()?.client()?.execute(
            "UPDATE call_slots SET until = $3 WHERE domain = $1 AND slot = $2 AND holder = $4",
            &[&domain, &slot, &until.0, &self.holder],
        )?;
        Ok(())
    }

    fn give_slot(&self, domain: &str, slot: i64) -> Result<(), StoreError> {
        self.conn()?.client()?.execute(
            "UPDATE call_slots SET until = 0, holder = NULL
             WHERE domain = $1 AND slot = $2 AND holder = $3",
            &[&domain, &slot, &self.holder],
        )?;
        Ok(())
    }

    fn keep_files(&self, folder: &str, files: &[&[u8]]) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        for (i, bytes) in files.iter().enumerate() {
            tx.execute(
                "INSERT INTO files (path, folder, bytes) VALUES ($1, $2, $3)
                 ON CONFLICT (path) DO UPDATE SET bytes = excluded.bytes",
                &[&format!("{folder}/{i}"), &folder, bytes],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn file(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self
            .conn()?
            .client()?
            .query_opt("SELECT bytes FROM files WHERE path = $1", &[&path])?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    fn drop_files(&self, folder: &str) -> Result<(), StoreError> {
        self.conn()?.client()?.execute("DELETE FROM files WHERE folder = $1", &[&folder])?;
        Ok(())
    }

    fn settle(
        &self,
        settlements: &[Settlement],
        queued: &[Queued],
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        enqueue(&mut tx, queued, now)?;
        let delivered = tx.prepare(
            "UPDATE submissions SET stage = 'delivered', record_id = $3, tries = tries + 1,
                 error = NULL, updated_at = $4, lease_until = 0, leased_by = NULL
             WHERE form = $1 AND submission_id = $2",
        )?;
        let retry = tx.prepare(
            "UPDATE submissions SET tries = tries + 1, next_at = $3, error = $4, updated_at = $5,
                 lease_until = 0, leased_by = NULL
             WHERE form = $1 AND submission_id = $2",
        )?;
        let hold = tx.prepare(
            "UPDATE submissions SET next_at = $3, updated_at = $4, lease_until = 0, leased_by = NULL
             WHERE form = $1 AND submission_id = $2",
        )?;
        let dead = tx.prepare(
            "UPDATE submissions SET stage = 'dead_letter', tries = tries + 1, error = $3,
                 updated_at = $4, lease_until = 0, leased_by = NULL
             WHERE form = $1 AND submission_id = $2",
        )?;
        // Prepared once for the batch's attempts.
        let attempt_sql = tx.prepare(INSERT_ATTEMPT)?;
        for settled in settlements {
            let (form, id) = (&settled.form, &settled.submission_id);
            match &settled.outcome {
                Outcome::Delivered(record_id) => {
                    tx.execute(&delivered, &[form, id, record_id, &now.0])?
                }
                Outcome::Retry { at, error } => {
                    tx.execute(&retry, &[form, id, &at.0, error, &now.0])?
                }
                Outcome::Hold { at } => tx.execute(&hold, &[form, id, &at.0, &now.0])?,
                Outcome::DeadLetter(reason) => tx.execute(&dead, &[form, id, reason, &now.0])?,
            };
            if let Some(attempt) = &settled.attempt {
                insert_attempt(&mut tx, &attempt_sql, form, id, attempt)?;
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
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        let added = tx.execute(
            "INSERT INTO paused (form, reason, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&form, &reason, &now.0],
        )?;
        if added > 0 {
            enqueue(&mut tx, queued, now)?;
        }
        tx.commit()?;
        Ok(added > 0)
    }

    fn resume(&self, form: &str) -> Result<bool, StoreError> {
        Ok(self.conn()?.client()?.execute("DELETE FROM paused WHERE form = $1", &[&form])? > 0)
    }

    fn paused(&self) -> Result<Vec<Paused>, StoreError> {
        let rows = self
            .conn()?
            .client()?
            .query("SELECT form, reason, at FROM paused ORDER BY form", &[])?;
        rows.iter()
            .map(|row| {
                Ok(Paused {
                    form: row.try_get(0)?,
                    reason: row.try_get(1)?,
                    at: UnixMillis(row.try_get(2)?),
                })
            })
            .collect()
    }

    fn spend(&self, app: &str, day: &str, calls: i64, limit: i64) -> Result<bool, StoreError> {
        if calls > limit {
            return Ok(false);
        }
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        // One statement: relays spending at once queue on the row, and the last calls go to one.
        let spent = tx.query_opt(
            "INSERT INTO budget (app, day, used) VALUES ($1, $2, $3)
             ON CONFLICT (app, day) DO UPDATE SET used = budget.used + excluded.used
             WHERE budget.used + excluded.used <= $4
             RETURNING used",
            &[&app, &day, &calls, &limit],
        )?;
        if spent.is_none() {
            return Ok(false);
        }
        // Older days are of no use any more.
        tx.execute("DELETE FROM budget WHERE app = $1 AND day < $2", &[&app, &day])?;
        tx.commit()?;
        Ok(true)
    }

    fn submission(&self, form: &str, id: &str) -> Result<Option<StoredSubmission>, StoreError> {
        let mut conn = self.conn()?;
        let Some(mut found) = read(conn.client()?, form, id)? else {
            return Ok(None);
        };
        found.attempts = attempts(conn.client()?, form, id)?;
        Ok(Some(found))
    }

    fn history(
        &self,
        form: &str,
        stage: Option<Stage>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredSubmission>, StoreError> {
        let mut conn = self.conn()?;
        let sql = format!(
            "SELECT {COLUMNS} FROM submissions WHERE form = $1 AND ($2::text IS NULL OR stage = $2)
             ORDER BY accepted_at DESC, seq DESC LIMIT $3 OFFSET $4"
        );
        let rows = conn
            .client()?
            .query(&sql, &[&form, &stage.map(Stage::as_str), &to_i64(limit), &to_i64(offset)])?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut submission = submission(row)?;
            submission.attempts = attempts(conn.client()?, form, &submission.submission_id)?;
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
        Ok(self.conn()?.client()?.execute(
            "UPDATE submissions SET stage = 'pending', tries = 0, next_at = $3, updated_at = $3,
                 vals = COALESCE($4, vals)
             WHERE form = $1 AND submission_id = $2 AND stage IN ('pending', 'dead_letter')",
            &[&form, &id, &now.0, &values],
        )? > 0)
    }

    fn requeue_dead_letters(&self, form: &str, now: UnixMillis) -> Result<usize, StoreError> {
        let changed = self.conn()?.client()?.execute(
            "UPDATE submissions SET stage = 'pending', tries = 0, next_at = $2, updated_at = $2
             WHERE form = $1 AND stage = 'dead_letter'",
            &[&form, &now.0],
        )?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    fn discard(&self, form: &str, id: &str, now: UnixMillis) -> Result<bool, StoreError> {
        Ok(self.conn()?.client()?.execute(
            "UPDATE submissions SET stage = 'discarded', updated_at = $3
             WHERE form = $1 AND submission_id = $2 AND stage IN ('pending', 'dead_letter')",
            &[&form, &id, &now.0],
        )? > 0)
    }

    fn forget(&self, before: UnixMillis) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        tx.execute(
            "DELETE FROM attempts WHERE (form, submission_id) IN (SELECT form, submission_id
             FROM submissions WHERE stage NOT IN ('pending', 'dead_letter') AND updated_at < $1)",
            &[&before.0],
        )?;
        let removed = tx.execute(
            "DELETE FROM submissions WHERE stage NOT IN ('pending', 'dead_letter')
             AND updated_at < $1",
            &[&before.0],
        )?;
        tx.execute(
            "DELETE FROM queued WHERE tries > 0 AND created_at < $1 AND channel IN ($2, $3)",
            &[&before.0, &Channel::Digest.as_str(), &Channel::Mail.as_str()],
        )?;
        tx.commit()?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }

    fn take_queued(
        &self,
        channel: Channel,
        limit: usize,
        holder: &str,
        now: UnixMillis,
        until: UnixMillis,
    ) -> Result<Vec<Taken>, StoreError> {
        // Rows another relay is taking right now are locked: they are skipped, not waited for.
        let rows = self.conn()?.client()?.query(
            "UPDATE queued q SET lease_until = $4, leased_by = $5
             FROM (SELECT seq FROM queued WHERE channel = $1 AND next_at <= $2
                   AND lease_until <= $2 ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) picked
             WHERE q.seq = picked.seq
             RETURNING q.seq, q.body, q.tries",
            &[&channel.as_str(), &now.0, &to_i64(limit), &until.0, &holder],
        )?;
        let mut taken = rows
            .iter()
            .map(|row| {
                Ok(Taken { seq: row.try_get(0)?, body: row.try_get(1)?, tries: row.try_get(2)? })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        taken.sort_by_key(|taken| taken.seq);
        Ok(taken)
    }

    fn sent_queued(&self, seqs: &[i64], holder: &str) -> Result<(), StoreError> {
        self.conn()?.client()?.execute(
            "DELETE FROM queued WHERE seq = ANY($1) AND leased_by = $2",
            &[&seqs, &holder],
        )?;
        Ok(())
    }

    fn retry_queued(
        &self,
        seqs: &[i64],
        holder: &str,
        at: UnixMillis,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn()?.client()?.execute(
            "UPDATE queued SET tries = tries + 1, next_at = $3, error = $4, lease_until = 0,
                 leased_by = NULL
             WHERE seq = ANY($1) AND leased_by = $2",
            &[&seqs, &holder, &at.0, &error],
        )?;
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
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        let moved = tx.execute(
            "UPDATE queued SET channel = $5, tries = tries + 1, error = $3, next_at = $4,
                 lease_until = 0, leased_by = NULL
             WHERE seq = $1 AND leased_by = $2 AND channel = $6",
            &[&seq, &holder, &error, &now.0, &channel.given_up(), &channel.as_str()],
        )?;
        if moved > 0 {
            enqueue(&mut tx, queued, now)?;
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
        // CASE, so the body is read as JSON only when a form is asked for.
        let rows = self.conn()?.client()?.query(
            "SELECT seq, body, tries, error, next_at FROM queued WHERE channel = $1
             AND CASE WHEN $3::text IS NULL THEN true ELSE (body::jsonb ->> 'form') = $3 END
             ORDER BY seq LIMIT $2",
            &[&channel.given_up(), &to_i64(limit), &form],
        )?;
        rows.iter()
            .map(|row| {
                Ok(GivenUp {
                    seq: row.try_get(0)?,
                    body: row.try_get(1)?,
                    tries: row.try_get(2)?,
                    error: row.try_get(3)?,
                    at: UnixMillis(row.try_get(4)?),
                })
            })
            .collect()
    }

    fn resend_queued(
        &self,
        channel: Channel,
        seq: i64,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        Ok(self.conn()?.client()?.execute(
            "UPDATE queued SET channel = $1, tries = 0, next_at = $4, error = NULL
             WHERE seq = $3 AND channel = $2",
            &[&channel.as_str(), &channel.given_up(), &seq, &now.0],
        )? > 0)
    }

    fn drop_given_up(&self, channel: Channel, seq: i64) -> Result<bool, StoreError> {
        Ok(self.conn()?.client()?.execute(
            "DELETE FROM queued WHERE seq = $1 AND channel = $2",
            &[&seq, &channel.given_up()],
        )? > 0)
    }

    fn record_attempt(&self, form: &str, id: &str, attempt: &Attempt) -> Result<(), StoreError> {
        insert_attempt(self.conn()?.client()?, INSERT_ATTEMPT, form, id, attempt)
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
        let since = now.plus(-crate::outbox::HOUR_MS);
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        // Relays counting at once for the same address or form take turns. The lock is taken
        // in a fixed order (address, then form) so two relays never wait on each other.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('kform-mail-to:' || $1))",
            &[&recipient],
        )?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtext('kform-mail-of:' || $1))", &[&form])?;
        tx.execute("DELETE FROM mail_log WHERE form = $1 AND at <= $2", &[&form, &since.0])?;
        let counted: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM mail_log WHERE form = $1 AND submission_id = $2)",
                &[&form, &submission_id],
            )?
            .try_get(0)?;
        if counted {
            return Ok(true);
        }
        let counts = tx.query_one(
            "SELECT (SELECT count(*) FROM mail_log WHERE recipient = $1 AND at > $3),
                    (SELECT count(*) FROM mail_log WHERE form = $2 AND at > $3)",
            &[&recipient, &form, &since.0],
        )?;
        let (to_recipient, from_form): (i64, i64) = (counts.try_get(0)?, counts.try_get(1)?);
        let allowed = to_recipient < per_recipient && from_form < per_form;
        if allowed {
            tx.execute(
                "INSERT INTO mail_log (form, recipient, at, submission_id) VALUES ($1, $2, $3, $4)",
                &[&form, &recipient, &now.0, &submission_id],
            )?;
        }
        tx.commit()?;
        Ok(allowed)
    }

    fn queue_length(&self, channel: Channel) -> Result<QueueLength, StoreError> {
        let row = self.conn()?.client()?.query_one(
            "SELECT count(*) FILTER (WHERE channel = $1),
                    count(*) FILTER (WHERE channel = $1 AND tries > 0),
                    count(*) FILTER (WHERE channel = $2)
             FROM queued WHERE channel IN ($1, $2)",
            &[&channel.as_str(), &channel.given_up()],
        )?;
        Ok(QueueLength {
            waiting: row.try_get(0)?,
            retrying: row.try_get(1)?,
            given_up: row.try_get(2)?,
        })
    }

    fn counts(&self, form: Option<&str>) -> Result<Vec<(String, Stage, i64)>, StoreError> {
        let rows = self.conn()?.client()?.query(
            "SELECT form, stage, count(*) FROM submissions WHERE $1::text IS NULL OR form = $1
             GROUP BY form, stage ORDER BY 1, 2",
            &[&form],
        )?;
        rows.iter()
            .map(|row| {
                let stage: String = row.try_get(1)?;
                let stage = Stage::parse(&stage).ok_or_else(|| {
                    StoreError::Corrupt(format!("a submission's stage is {stage:?}"))
                })?;
                Ok((row.try_get(0)?, stage, row.try_get(2)?))
            })
            .collect()
    }
}

impl SettingsStore for PgStore {
    /// Called once while the relay starts, perhaps from async code (see [`off_runtime`]).
    fn signing_key(&self) -> Result<Vec<u8>, StoreError> {
        // The first relay's key wins; every relay reads the one kept, so a token signed by one
        // is accepted by the others.
        let key: [u8; 32] = rand::random();
        off_runtime(|| {
            let mut conn = self.conn()?;
            conn.client()?.execute(
                "INSERT INTO kform_meta (key, value) VALUES ('signing_key', $1) ON CONFLICT DO NOTHING",
                &[&&key[..]],
            )?;
            let row = conn
                .client()?
                .query_one("SELECT value FROM kform_meta WHERE key = 'signing_key'", &[])?;
            Ok(row.try_get(0)?)
        })
    }

    fn writable(&self) -> Result<(), StoreError> {
        self.conn()?.client()?.execute(
            "INSERT INTO kform_meta (key, value) VALUES ('ready_check', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&self.now().0.to_string().into_bytes()],
        )?;
        Ok(())
    }

    fn list_settings(&self, table: Table) -> Result<Vec<(String, String)>, StoreError> {
        let sql = format!("SELECT {}, settings FROM {} ORDER BY 1", table.key(), table.name());
        let rows = self.conn()?.client()?.query(&sql, &[])?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    fn put_settings(&self, table: Table, key: &str, json: &str) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {name} ({key}, settings, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT ({key}) DO UPDATE SET settings = excluded.settings,
                 updated_at = excluded.updated_at",
            name = table.name(),
            key = table.key()
        );
        self.conn()?.client()?.execute(&sql, &[&key, &json, &self.now().0])?;
        Ok(())
    }

    fn delete_settings(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        let sql = format!("DELETE FROM {} WHERE {} = $1", table.name(), table.key());
        Ok(self.conn()?.client()?.execute(&sql, &[&key])? > 0)
    }

    fn app_fields(
        &self,
        connection: &str,
        app: u64,
    ) -> Result<Option<(String, UnixMillis)>, StoreError> {
        let app = i64::try_from(app).unwrap_or(i64::MAX);
        let row = self.conn()?.client()?.query_opt(
            "SELECT fields, synced_at FROM app_fields WHERE connection = $1 AND app = $2",
            &[&connection, &app],
        )?;
        row.map(|row| Ok((row.try_get(0)?, UnixMillis(row.try_get(1)?)))).transpose()
    }

    fn put_app_fields(
        &self,
        connection: &str,
        app: u64,
        revision: &str,
        fields: &str,
    ) -> Result<(), StoreError> {
        let app = i64::try_from(app).unwrap_or(i64::MAX);
        self.conn()?.client()?.execute(
            "INSERT INTO app_fields (connection, app, revision, fields, synced_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (connection, app) DO UPDATE SET revision = excluded.revision,
                 fields = excluded.fields, synced_at = excluded.synced_at",
            &[&connection, &app, &revision, &fields, &self.now().0],
        )?;
        Ok(())
    }

    fn raise_alert(
        &self,
        form: &str,
        revision: &str,
        issues: &serde_json::Value,
        queued: &[Queued],
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let mut conn = self.conn()?;
        let mut tx = conn.client()?.transaction()?;
        let added = tx.execute(
            "INSERT INTO alerts (form, at, revision, issues) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[&form, &now.0, &revision, &issues.to_string()],
        )?;
        if added > 0 {
            enqueue(&mut tx, queued, now)?;
        }
        tx.commit()?;
        Ok(added > 0)
    }

    fn note_creation(&self, tag: &str, form: &str) -> Result<bool, StoreError> {
        let added = self.conn()?.client()?.execute(
            "INSERT INTO editor_creations (tag, form, at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&tag, &form, &self.now().0],
        )?;
        Ok(added > 0)
    }

    fn forget_creation(&self, tag: &str) -> Result<(), StoreError> {
        self.conn()?.client()?.execute("DELETE FROM editor_creations WHERE tag = $1", &[&tag])?;
        Ok(())
    }

    fn created_with(&self, tag: &str) -> Result<Option<String>, StoreError> {
        let row = self
            .conn()?
            .client()?
            .query_opt("SELECT form FROM editor_creations WHERE tag = $1", &[&tag])?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    fn alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let rows = self.conn()?.client()?.query(
            "SELECT id, form, at, revision, issues FROM alerts ORDER BY at DESC, id DESC",
            &[],
        )?;
        rows.iter()
            .map(|row| {
                let issues: String = row.try_get(4)?;
                Ok(Alert {
                    id: row.try_get(0)?,
                    form: row.try_get(1)?,
                    at: UnixMillis(row.try_get(2)?),
                    revision: row.try_get(3)?,
                    issues: serde_json::from_str(&issues)?,
                })
            })
            .collect()
    }

    fn clear_alerts(&self, form: &str) -> Result<usize, StoreError> {
        let removed =
            self.conn()?.client()?.execute("DELETE FROM alerts WHERE form = $1", &[&form])?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}

mod import;
mod tls;

#[cfg(test)]
mod tests;
