//! The data directory's SQLite database: forms and connections made through the admin API,
//! synced field settings, submissions with every delivery attempt, drift alerts, and the key
//! that signs render tokens and editor tokens.
//!
//! SQLite runs in WAL mode with `synchronous = FULL`, so a row written before the relay answers
//! survives a crash or power loss. Every call runs on a blocking thread.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, permissions, a corrupt file).
    #[error("the data directory's database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored JSON value no longer reads.
    #[error("a stored value does not read: {0}")]
    Json(#[from] serde_json::Error),
    /// The data directory cannot be used.
    #[error("the data directory {path} cannot be used: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The blocking task was cancelled (the runtime is shutting down).
    #[error("the database task did not finish")]
    Join,
}

/// Where a submission stands in the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Stage {
    /// Accepted and being delivered.
    Pending,
    /// kintone created the record.
    Delivered,
    /// A test-mode form: validated, never sent.
    Tested,
    /// kintone could not be reached or failed; a retry with the same id (or a replay) tries again.
    Failed,
    /// kintone refused the values; a corrected retry with the same id tries again.
    Rejected,
    /// Caught by the honeypot; never sent.
    Spam,
    /// An administrator discarded it.
    Discarded,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Tested => "tested",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Spam => "spam",
            Self::Discarded => "discarded",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "delivered" => Self::Delivered,
            "tested" => Self::Tested,
            "failed" => Self::Failed,
            "rejected" => Self::Rejected,
            "spam" => Self::Spam,
            "discarded" => Self::Discarded,
            _ => Self::Pending,
        }
    }

    /// Whether a new request with the same submission id should try again rather than get the
    /// stored answer.
    pub(crate) fn retryable(self) -> bool {
        matches!(self, Self::Failed | Self::Rejected)
    }
}

/// One stored submission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredSubmission {
    /// The form.
    pub(crate) form: String,
    /// The client's id.
    pub(crate) submission_id: String,
    /// SHA-256 of the submitted values, to notice an id reused for other values.
    #[serde(skip)]
    pub(crate) digest: String,
    /// The submitted values (with uploaded files' keys).
    pub(crate) record: serde_json::Value,
    /// Where it stands.
    pub(crate) stage: Stage,
    /// The HTTP status of the stored answer.
    pub(crate) status: Option<u16>,
    /// The stored answer body.
    pub(crate) answer: Option<serde_json::Value>,
    /// kintone's record id.
    pub(crate) record_id: Option<String>,
    /// When it arrived (Unix seconds).
    pub(crate) created_at: i64,
    /// When it last changed.
    pub(crate) updated_at: i64,
    /// Every delivery attempt, oldest first (filled by [`Store::history`]).
    #[serde(default)]
    pub(crate) attempts: Vec<Attempt>,
}

/// One call to kintone for a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Attempt {
    /// When (Unix seconds).
    pub(crate) at: i64,
    /// The kintone endpoint, e.g. `POST record.json`.
    pub(crate) endpoint: String,
    /// kintone's HTTP status, or `None` when no answer arrived.
    pub(crate) status: Option<u16>,
    /// kintone's error code, e.g. `CB_VA01`.
    pub(crate) code: Option<String>,
    /// kintone's message (or the transport error).
    pub(crate) message: Option<String>,
    /// The record id kintone gave.
    pub(crate) record_id: Option<String>,
}

/// A form change in kintone that breaks a form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Alert {
    /// The alert's id.
    pub(crate) id: i64,
    /// The form.
    pub(crate) form: String,
    /// When it was raised (Unix seconds).
    pub(crate) at: i64,
    /// The fields revision that broke it.
    pub(crate) revision: String,
    /// The lint problems, as `kform_core::LintIssue` JSON.
    pub(crate) issues: serde_json::Value,
}

/// The database, shared by every request.
#[derive(Clone)]
pub(crate) struct Store {
    db: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS forms (id TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS connections (name TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS app_fields (
    connection TEXT NOT NULL, app INTEGER NOT NULL, revision TEXT NOT NULL, fields TEXT NOT NULL,
    synced_at INTEGER NOT NULL, PRIMARY KEY (connection, app));
CREATE TABLE IF NOT EXISTS submissions (
    form TEXT NOT NULL, submission_id TEXT NOT NULL, digest TEXT NOT NULL, record TEXT NOT NULL,
    stage TEXT NOT NULL, status INTEGER, answer TEXT, record_id TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (form, submission_id));
CREATE INDEX IF NOT EXISTS submissions_by_time ON submissions (form, created_at);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, form TEXT NOT NULL, submission_id TEXT NOT NULL, at INTEGER NOT NULL,
    endpoint TEXT NOT NULL, status INTEGER, code TEXT, message TEXT, record_id TEXT);
CREATE INDEX IF NOT EXISTS attempts_by_submission ON attempts (form, submission_id);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY, form TEXT NOT NULL, at INTEGER NOT NULL, revision TEXT NOT NULL,
    issues TEXT NOT NULL, UNIQUE (form, revision));
";

/// What [`Store::begin`] found for a submission id.
#[derive(Debug)]
pub(crate) enum Begin {
    /// A new submission (or a retry of a failed one): deliver it.
    Deliver,
    /// Seen before: answer with what was stored.
    Seen(Box<StoredSubmission>),
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

impl Store {
    /// Opens (or creates) `kform.sqlite3` in `dir`, creating the directory.
    pub(crate) fn open(dir: &Path) -> Result<Self, StoreError> {
        let dir_error = |source| StoreError::Dir { path: dir.display().to_string(), source };
        std::fs::create_dir_all(dir).map_err(dir_error)?;
        let db = Connection::open(dir.join("kform.sqlite3"))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.execute_batch(SCHEMA)?;
        Ok(Self { db: Arc::new(Mutex::new(db)) })
    }

    /// Runs `f` on the database on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            // SQLite's own transactions keep the file consistent whatever panicked before.
            let mut db = db.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut db)
        })
        .await
        .map_err(|_| StoreError::Join)?
    }

    /// The 32-byte key that signs tokens, made on first use and kept.
    pub(crate) fn signing_key(&self) -> Result<Vec<u8>, StoreError> {
        let db = self.db.lock().unwrap_or_else(PoisonError::into_inner);
        let key: Option<Vec<u8>> = db
            .query_row("SELECT value FROM meta WHERE key = 'signing_key'", [], |row| row.get(0))
            .optional()?;
        if let Some(key) = key {
            return Ok(key);
        }
        let key: [u8; 32] = rand::random();
        db.execute("INSERT INTO meta (key, value) VALUES ('signing_key', ?1)", params![&key[..]])?;
        Ok(key.to_vec())
    }

    /// Whether a row can be written and read back now (readiness).
    pub(crate) async fn writable(&self) -> Result<(), StoreError> {
        self.run(|db| {
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('ready_check', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![now()],
            )?;
            Ok(())
        })
        .await
    }

    /// Every stored JSON value of `table` (`forms` or `connections`), by key.
    pub(crate) async fn list_settings(
        &self,
        table: Table,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.run(move |db| {
            let sql = format!("SELECT {}, settings FROM {} ORDER BY 1", table.key(), table.name());
            let mut statement = db.prepare(&sql)?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Writes a stored JSON value.
    pub(crate) async fn put_settings(
        &self,
        table: Table,
        key: String,
        json: String,
    ) -> Result<(), StoreError> {
        self.run(move |db| {
            let sql = format!(
                "INSERT INTO {} ({}, settings, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
                table.name(),
                table.key()
            );
            db.execute(&sql, params![key, json, now()])?;
            Ok(())
        })
        .await
    }

    /// Removes a stored JSON value; whether there was one.
    pub(crate) async fn delete_settings(
        &self,
        table: Table,
        key: String,
    ) -> Result<bool, StoreError> {
        self.run(move |db| {
            let sql = format!("DELETE FROM {} WHERE {} = ?1", table.name(), table.key());
            Ok(db.execute(&sql, params![key])? > 0)
        })
        .await
    }

    /// The last synced field settings of an app, as JSON, with when they were synced.
    pub(crate) async fn app_fields(
        &self,
        connection: String,
        app: u64,
    ) -> Result<Option<(String, i64)>, StoreError> {
        self.run(move |db| {
            Ok(db
                .query_row(
                    "SELECT fields, synced_at FROM app_fields WHERE connection = ?1 AND app = ?2",
                    params![connection, app],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?)
        })
        .await
    }

    /// Keeps freshly synced field settings.
    pub(crate) async fn put_app_fields(
        &self,
        connection: String,
        app: u64,
        revision: String,
        fields: String,
    ) -> Result<(), StoreError> {
        self.run(move |db| {
            db.execute(
                "INSERT INTO app_fields (connection, app, revision, fields, synced_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO UPDATE SET revision = excluded.revision,
                     fields = excluded.fields, synced_at = excluded.synced_at",
                params![connection, app, revision, fields, now()],
            )?;
            Ok(())
        })
        .await
    }

    /// Records a new submission as pending, or finds the earlier one with this id. A failed or
    /// rejected earlier one is set pending again with the new record, so it is tried again.
    pub(crate) async fn begin(
        &self,
        form: String,
        submission_id: String,
        digest: String,
        record: serde_json::Value,
    ) -> Result<Begin, StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            let earlier = read_submission(&tx, &form, &submission_id)?;
            let begin = match earlier {
                Some(earlier) if !earlier.stage.retryable() => Begin::Seen(Box::new(earlier)),
                Some(_) => {
                    tx.execute(
                        "UPDATE submissions SET digest = ?3, record = ?4, stage = 'pending',
                         status = NULL, answer = NULL, updated_at = ?5
                         WHERE form = ?1 AND submission_id = ?2",
                        params![form, submission_id, digest, record.to_string(), now()],
                    )?;
                    Begin::Deliver
                }
                None => {
                    tx.execute(
                        "INSERT INTO submissions (form, submission_id, digest, record, stage,
                         created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
                        params![form, submission_id, digest, record.to_string(), now()],
                    )?;
                    Begin::Deliver
                }
            };
            tx.commit()?;
            Ok(begin)
        })
        .await
    }

    /// Stores a submission's stage and answer, with the attempt that led to it.
    pub(crate) async fn finish(
        &self,
        form: String,
        submission_id: String,
        stage: Stage,
        answer: Option<(u16, serde_json::Value)>,
        attempt: Option<Attempt>,
    ) -> Result<(), StoreError> {
        self.run(move |db| {
            let tx = db.transaction()?;
            let record_id = attempt.as_ref().and_then(|attempt| attempt.record_id.clone());
            let (status, body) = match answer {
                Some((status, body)) => (Some(status), Some(body.to_string())),
                None => (None, None),
            };
            tx.execute(
                "UPDATE submissions SET stage = ?3, status = COALESCE(?4, status),
                 answer = COALESCE(?5, answer), record_id = COALESCE(?6, record_id), updated_at = ?7
                 WHERE form = ?1 AND submission_id = ?2",
                params![form, submission_id, stage.as_str(), status, body, record_id, now()],
            )?;
            if let Some(attempt) = attempt {
                tx.execute(
                    "INSERT INTO attempts (form, submission_id, at, endpoint, status, code, message, record_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        form,
                        submission_id,
                        attempt.at,
                        attempt.endpoint,
                        attempt.status,
                        attempt.code,
                        attempt.message,
                        attempt.record_id
                    ],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Replaces a submission's stored values (after its files were uploaded).
    pub(crate) async fn set_values(
        &self,
        form: String,
        submission_id: String,
        values: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.run(move |db| {
            db.execute(
                "UPDATE submissions SET record = ?3 WHERE form = ?1 AND submission_id = ?2",
                params![form, submission_id, values.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    /// Records a spam submission (never delivered; kept for the history).
    pub(crate) async fn spam(&self, form: String, submission_id: String) -> Result<(), StoreError> {
        self.run(move |db| {
            db.execute(
                "INSERT OR IGNORE INTO submissions (form, submission_id, digest, record, stage,
                 created_at, updated_at) VALUES (?1, ?2, '', 'null', 'spam', ?3, ?3)",
                params![form, submission_id, now()],
            )?;
            Ok(())
        })
        .await
    }

    /// One submission with its attempts.
    pub(crate) async fn submission(
        &self,
        form: String,
        submission_id: String,
    ) -> Result<Option<StoredSubmission>, StoreError> {
        self.run(move |db| {
            let Some(mut found) = read_submission(db, &form, &submission_id)? else {
                return Ok(None);
            };
            found.attempts = read_attempts(db, &form, &submission_id)?;
            Ok(Some(found))
        })
        .await
    }

    /// A form's newest submissions (at most `limit`), each with its attempts.
    pub(crate) async fn history(
        &self,
        form: String,
        stage: Option<Stage>,
        limit: usize,
    ) -> Result<Vec<StoredSubmission>, StoreError> {
        self.run(move |db| {
            let mut statement = db.prepare(
                "SELECT form, submission_id, digest, record, stage, status, answer, record_id,
                 created_at, updated_at FROM submissions
                 WHERE form = ?1 AND (?2 IS NULL OR stage = ?2)
                 ORDER BY created_at DESC, rowid DESC LIMIT ?3",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = statement
                .query_map(params![form, stage.map(Stage::as_str), limit], submission_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut found = Vec::with_capacity(rows.len());
            for row in rows {
                let mut submission = row?;
                submission.attempts = read_attempts(db, &form, &submission.submission_id)?;
                found.push(submission);
            }
            Ok(found)
        })
        .await
    }

    /// Keeps a drift alert (once per form and fields revision); whether it is new.
    pub(crate) async fn raise_alert(
        &self,
        form: String,
        revision: String,
        issues: serde_json::Value,
    ) -> Result<bool, StoreError> {
        self.run(move |db| {
            let added = db.execute(
                "INSERT OR IGNORE INTO alerts (form, at, revision, issues) VALUES (?1, ?2, ?3, ?4)",
                params![form, now(), revision, issues.to_string()],
            )?;
            Ok(added > 0)
        })
        .await
    }

    /// Every drift alert, newest first.
    pub(crate) async fn alerts(&self) -> Result<Vec<Alert>, StoreError> {
        self.run(|db| {
            let mut statement = db.prepare(
                "SELECT id, form, at, revision, issues FROM alerts ORDER BY at DESC, id DESC",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get::<_, String>(4)?))
            })?;
            let mut alerts = Vec::new();
            for row in rows {
                let (id, form, at, revision, issues) = row?;
                alerts.push(Alert {
                    id,
                    form,
                    at,
                    revision,
                    issues: serde_json::from_str(&issues)?,
                });
            }
            Ok(alerts)
        })
        .await
    }

    /// Removes a form's alerts (it was fixed); how many.
    pub(crate) async fn clear_alerts(&self, form: String) -> Result<usize, StoreError> {
        self.run(move |db| Ok(db.execute("DELETE FROM alerts WHERE form = ?1", params![form])?))
            .await
    }
}

/// The tables holding JSON settings.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Table {
    /// Form definitions with their relay settings, by form id.
    Forms,
    /// Connections, by name.
    Connections,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Self::Forms => "forms",
            Self::Connections => "connections",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Forms => "id",
            Self::Connections => "name",
        }
    }
}

type Row = Result<StoredSubmission, StoreError>;

fn submission_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let record: String = row.get(3)?;
    let stage: String = row.get(4)?;
    let answer: Option<String> = row.get(6)?;
    let parsed = (|| {
        Ok(StoredSubmission {
            form: row.get(0)?,
            submission_id: row.get(1)?,
            digest: row.get(2)?,
            record: serde_json::from_str(&record)?,
            stage: Stage::parse(&stage),
            status: row.get(5)?,
            answer: answer.as_deref().map(serde_json::from_str).transpose()?,
            record_id: row.get(7)?,
            created_at: row.get(8)?,
            updated_at: row.get(9)?,
            attempts: Vec::new(),
        })
    })();
    Ok(parsed)
}

fn read_submission(
    db: &Connection,
    form: &str,
    submission_id: &str,
) -> Result<Option<StoredSubmission>, StoreError> {
    let row = db
        .query_row(
            "SELECT form, submission_id, digest, record, stage, status, answer, record_id,
             created_at, updated_at FROM submissions WHERE form = ?1 AND submission_id = ?2",
            params![form, submission_id],
            submission_row,
        )
        .optional()?;
    row.transpose()
}

fn read_attempts(
    db: &Connection,
    form: &str,
    submission_id: &str,
) -> Result<Vec<Attempt>, StoreError> {
    let mut statement = db.prepare(
        "SELECT at, endpoint, status, code, message, record_id FROM attempts
         WHERE form = ?1 AND submission_id = ?2 ORDER BY id",
    )?;
    let rows = statement.query_map(params![form, submission_id], |row| {
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

/// The current time for attempts (Unix seconds).
pub(crate) fn timestamp() -> i64 {
    now()
}

#[cfg(test)]
mod tests;
