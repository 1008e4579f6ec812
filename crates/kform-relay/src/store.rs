//! The data directory's SQLite database: forms and connections made through the admin API,
//! synced field settings, drift alerts, and the key that signs render tokens and editor tokens.
//! The outbox of submissions lives in the same file (`outbox.rs`).
//!
//! SQLite runs in WAL mode with `synchronous = FULL`, so a row written before the relay answers
//! survives a crash or power loss. Every call runs on a blocking thread.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, UnixMillis};
use crate::outbox::Queued;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, permissions, a corrupt file).
    #[error("the data directory's database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed (unreachable, refused the login, a failed statement).
    #[error("the database failed: {}", postgres_reason(.0))]
    Postgres(#[from] postgres::Error),
    /// The TLS setup for the database could not be made (a bad CA file).
    #[error("the database's TLS setup failed: {0}")]
    Tls(String),
    /// A secret could not be sealed for storage.
    #[error("a secret could not be sealed: {0}")]
    Sealing(String),
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
    /// The database was made by another kform with another layout.
    #[error(
        "the data directory's database has layout {found}; this kform uses {wanted} (a development build made it: move it away)"
    )]
    Version {
        /// The layout found.
        found: i64,
        /// The layout this kform uses.
        wanted: i64,
    },
    /// A stored row holds what this relay never writes.
    #[error("the data directory's database holds a corrupt row: {0}")]
    Corrupt(String),
    /// A group commit failed; the reason was logged.
    #[error("the outbox could not keep the submission: {0}")]
    Failed(String),
    /// The store will not do what was asked, and says why (an import into a database that is
    /// not empty, say).
    #[error("{0}")]
    Refused(String),
    /// The blocking task was cancelled (the runtime is shutting down).
    #[error("the database task did not finish")]
    Join,
}

/// A form change in kintone that breaks a form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Alert {
    /// The alert's id.
    pub(crate) id: i64,
    /// The form.
    pub(crate) form: String,
    /// When it was raised.
    pub(crate) at: UnixMillis,
    /// The fields revision that broke it.
    pub(crate) revision: String,
    /// The lint problems, as `kform_core::LintIssue` JSON.
    pub(crate) issues: serde_json::Value,
}

/// The database, shared by every request.
#[derive(Clone)]
pub(crate) struct Store {
    pub(crate) db: Arc<Mutex<Connection>>,
    /// The relay's clock, for the store's own times (settings, syncs, alerts).
    clock: Arc<dyn Clock>,
    /// `kform.lock` in the data directory, locked while this relay runs.
    _lock: Option<Arc<std::fs::File>>,
    /// Whether another running relay held that lock when this one opened the directory.
    pub(crate) in_use_elsewhere: bool,
    /// The database's layout when it was opened (before any migration).
    pub(crate) found_layout: i64,
    /// Where files of submissions wait until kintone has their record.
    pub(crate) files_dir: std::path::PathBuf,
}

/// What opening does with a database of an older layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Brings it up to date (`kform serve`, `kform migrate`).
    Migrate,
    /// Leaves it as it is (`kform check-config` and the operator commands, which may run beside
    /// an older relay still using it); its tables read the same.
    AsFound,
}

/// The layout of the database. An older layout listed in [`MIGRATIONS`] is brought up to date
/// at start; any other is refused.
pub(crate) const SCHEMA_VERSION: i64 = 7;

/// The steps from each older layout to the next, each run in one transaction.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        // Layout 3 kept the store's own times (settings, syncs, alerts, editor creations) in
        // seconds; every time is in milliseconds now, like the outbox's.
        3,
        "UPDATE forms SET updated_at = updated_at * 1000;
         UPDATE connections SET updated_at = updated_at * 1000;
         UPDATE app_fields SET synced_at = synced_at * 1000;
         UPDATE alerts SET at = at * 1000;
         UPDATE editor_creations SET at = at * 1000;",
    ),
    (
        // Layout 5 leases a batch to the relay sending it, as the shared PostgreSQL store does.
        4,
        "ALTER TABLE submissions ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE submissions ADD COLUMN leased_by TEXT;",
    ),
    (
        // Layout 6 keeps the failure digest's events and the mail about submissions in a queue
        // (`queued`, made by the outbox's schema, with `mail_log` for the auto-reply limits),
        // so none is lost in a crash.
        5, "",
    ),
    (
        // Layout 7 counts an auto-reply under its submission, so two first sends of one
        // submission that race count once. The table is made anew with the hour's counts:
        // a layout 5 database has no `mail_log` yet, and one a command opened as found may
        // already have the new one (the outbox's schema makes what is missing, after the
        // migrations), which SQLite cannot add a column to "if not exists".
        6,
        "CREATE TABLE IF NOT EXISTS mail_log (form TEXT NOT NULL, recipient TEXT NOT NULL, at INTEGER NOT NULL);
         CREATE TABLE mail_log_7 (
             form TEXT NOT NULL, recipient TEXT NOT NULL, at INTEGER NOT NULL, submission_id TEXT);
         INSERT INTO mail_log_7 (form, recipient, at) SELECT form, recipient, at FROM mail_log;
         DROP TABLE mail_log;
         ALTER TABLE mail_log_7 RENAME TO mail_log;",
    ),
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS forms (id TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS connections (name TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS app_fields (
    connection TEXT NOT NULL, app INTEGER NOT NULL, revision TEXT NOT NULL, fields TEXT NOT NULL,
    synced_at INTEGER NOT NULL, PRIMARY KEY (connection, app));
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY, form TEXT NOT NULL, at INTEGER NOT NULL, revision TEXT NOT NULL,
    issues TEXT NOT NULL, UNIQUE (form, revision));
CREATE TABLE IF NOT EXISTS editor_creations (tag TEXT PRIMARY KEY, form TEXT NOT NULL, at INTEGER NOT NULL);
";

impl Store {
    /// Opens (or creates) `kform.sqlite3` in `dir`, creating the directory (readable by the
    /// relay's user only: it holds the signing key and every submission).
    /// An older layout is migrated (what `kform serve` and `kform migrate` do).
    #[cfg(test)]
    pub(crate) fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::open_with(dir, clock, Layout::Migrate)
    }

    /// [`Store::open`], with an older layout migrated or left as found.
    pub(crate) fn open_with(
        dir: &Path,
        clock: Arc<dyn Clock>,
        layout: Layout,
    ) -> Result<Self, StoreError> {
        let dir_error = |source| StoreError::Dir { path: dir.display().to_string(), source };
        let created = !dir.exists();
        std::fs::create_dir_all(dir).map_err(dir_error)?;
        #[cfg(unix)]
        if created {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(dir_error)?;
        }
        // Two relays on one directory both deliver its outbox: told at start (a restart's new
        // process may start before the old one has let go, so it is not refused).
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("kform.lock"))
            .map_err(dir_error)?;
        let in_use_elsewhere = matches!(lock.try_lock(), Err(std::fs::TryLockError::WouldBlock));
        let db = Connection::open(dir.join("kform.sqlite3"))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut db = db;
        let found_layout = migrate(&mut db, layout)?;
        db.execute_batch(SCHEMA)?;
        db.execute_batch(crate::outbox::SCHEMA)?;
        if found_layout == SCHEMA_VERSION || layout == Layout::Migrate {
            db.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        Ok(Self {
            db: Arc::new(Mutex::new(db)),
            clock,
            found_layout,
            files_dir: dir.join("files"),
            _lock: (!in_use_elsewhere).then(|| Arc::new(lock)),
            in_use_elsewhere,
        })
    }

    /// Now, by the relay's clock.
    pub(crate) fn now(&self) -> UnixMillis {
        self.clock.now()
    }

    /// The database, locked: SQLite's own transactions keep the file consistent whatever
    /// panicked before.
    pub(crate) fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What PostgreSQL said, as a person can act on it: the server's own message (a refused login,
/// a missing database), else the client's error with its cause.
fn postgres_reason(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    match std::error::Error::source(err) {
        Some(cause) => format!("{err}: {cause}"),
        None => err.to_string(),
    }
}

/// The store a relay opened, chosen by the configuration: SQLite in `data_dir`, or the
/// PostgreSQL database at `database_url` that several relays share.
pub(crate) struct Opened {
    pub(crate) outbox: Arc<dyn crate::outbox::Outbox>,
    pub(crate) settings: Arc<dyn SettingsStore>,
    /// What the relay says of it.
    pub(crate) info: StoreInfo,
}

/// What the relay says of its store (`check-config`, the start-up warnings, `/readyz`).
pub(crate) struct StoreInfo {
    /// Where it is, as `check-config` names it (a database URL without its password).
    pub(crate) place: String,
    /// The layout found, and the one this kform uses.
    pub(crate) found_layout: i64,
    pub(crate) current_layout: i64,
    /// Whether another running relay holds the same data directory (never for PostgreSQL,
    /// which relays are meant to share).
    pub(crate) in_use_elsewhere: bool,
    /// Whether it is the PostgreSQL database that relays share.
    pub(crate) shared: bool,
}

impl Opened {
    /// Opens the store `config` names; an older layout is migrated or left as found.
    pub(crate) fn open(
        config: &crate::config::Config,
        clock: Arc<dyn Clock>,
        layout: Layout,
    ) -> Result<Self, StoreError> {
        if let Some(url) = &config.database_url {
            let store = crate::postgres::PgStore::open(
                url.expose(),
                config.database_ca_file.as_deref(),
                clock,
                layout,
            )?;
            return Ok(Self {
                info: StoreInfo {
                    place: database_place(url.expose()),
                    found_layout: store.found_layout,
                    current_layout: crate::postgres::LAYOUT,
                    in_use_elsewhere: false,
                    shared: true,
                },
                outbox: Arc::new(store.clone()),
                settings: Arc::new(store),
            });
        }
        let store = Store::open_with(&config.data_dir, clock, layout)?;
        Ok(Self {
            info: StoreInfo {
                place: format!("data directory {}", config.data_dir.display()),
                found_layout: store.found_layout,
                current_layout: SCHEMA_VERSION,
                in_use_elsewhere: store.in_use_elsewhere,
                shared: false,
            },
            outbox: Arc::new(store.clone()),
            settings: Arc::new(store),
        })
    }
}

/// A PostgreSQL URL as it may be shown: user, host, port and database, never the password.
fn database_place(url: &str) -> String {
    let Ok(config) = url.parse::<postgres::Config>() else {
        return "PostgreSQL database".to_owned();
    };
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or(user);
    format!("PostgreSQL database {db} at {host}:{port} as {user}")
}

/// What the relay keeps besides the submissions: the key that signs tokens, forms and
/// connections made through the admin API, synced fields, drift alerts and which new-form
/// editor token created which form. [`Store`] (SQLite in the data directory) implements it; a
/// shared database for several relays is a second implementation. Its methods are blocking;
/// the relay reaches them through [`Settings`]. Times are the relay's clock's.
pub(crate) trait SettingsStore: Send + Sync + 'static {
    /// The 32-byte key that signs tokens, made on first use and kept.
    fn signing_key(&self) -> Result<Vec<u8>, StoreError>;
    /// Writes a row and reads it back (readiness).
    fn writable(&self) -> Result<(), StoreError>;
    /// Every stored JSON value of `table`, by key.
    fn list_settings(&self, table: Table) -> Result<Vec<(String, String)>, StoreError>;
    /// Writes a stored JSON value.
    fn put_settings(&self, table: Table, key: &str, json: &str) -> Result<(), StoreError>;
    /// Removes a stored JSON value; whether there was one.
    fn delete_settings(&self, table: Table, key: &str) -> Result<bool, StoreError>;
    /// The last synced field settings of an app, as JSON, with when they were synced.
    fn app_fields(
        &self,
        connection: &str,
        app: u64,
    ) -> Result<Option<(String, UnixMillis)>, StoreError>;
    /// Keeps freshly synced field settings.
    fn put_app_fields(
        &self,
        connection: &str,
        app: u64,
        revision: &str,
        fields: &str,
    ) -> Result<(), StoreError>;
    /// Keeps a drift alert (once per form and fields revision); whether it is new. `queued`
    /// (the digest's event) is queued with a new alert, in the same transaction.
    fn raise_alert(
        &self,
        form: &str,
        revision: &str,
        issues: &serde_json::Value,
        queued: &[Queued],
    ) -> Result<bool, StoreError>;
    /// Notes that the token with signature `tag` created `form`; `false` when it already
    /// created one (a token for a new form creates one).
    fn note_creation(&self, tag: &str, form: &str) -> Result<bool, StoreError>;
    /// Forgets a creation whose form could not be kept.
    fn forget_creation(&self, tag: &str) -> Result<(), StoreError>;
    /// The form the token with signature `tag` created, if it did.
    fn created_with(&self, tag: &str) -> Result<Option<String>, StoreError>;
    /// Every drift alert, newest first.
    fn alerts(&self) -> Result<Vec<Alert>, StoreError>;
    /// Removes a form's alerts (it was fixed); how many.
    fn clear_alerts(&self, form: &str) -> Result<usize, StoreError>;
}

impl SettingsStore for Store {
    fn signing_key(&self) -> Result<Vec<u8>, StoreError> {
        let db = self.db();
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

    fn writable(&self) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO meta (key, value) VALUES ('ready_check', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![self.now()],
        )?;
        Ok(())
    }

    fn list_settings(&self, table: Table) -> Result<Vec<(String, String)>, StoreError> {
        let db = self.db();
        let sql = format!("SELECT {}, settings FROM {} ORDER BY 1", table.key(), table.name());
        let mut statement = db.prepare(&sql)?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn put_settings(&self, table: Table, key: &str, json: &str) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {} ({}, settings, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
            table.name(),
            table.key()
        );
        self.db().execute(&sql, params![key, json, self.now()])?;
        Ok(())
    }

    fn delete_settings(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        let sql = format!("DELETE FROM {} WHERE {} = ?1", table.name(), table.key());
        Ok(self.db().execute(&sql, params![key])? > 0)
    }

    fn app_fields(
        &self,
        connection: &str,
        app: u64,
    ) -> Result<Option<(String, UnixMillis)>, StoreError> {
        Ok(self
            .db()
            .query_row(
                "SELECT fields, synced_at FROM app_fields WHERE connection = ?1 AND app = ?2",
                params![connection, app],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    fn put_app_fields(
        &self,
        connection: &str,
        app: u64,
        revision: &str,
        fields: &str,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO app_fields (connection, app, revision, fields, synced_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET revision = excluded.revision,
                 fields = excluded.fields, synced_at = excluded.synced_at",
            params![connection, app, revision, fields, self.now()],
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
        let mut db = self.db();
        let tx = db.transaction()?;
        let added = tx.execute(
            "INSERT OR IGNORE INTO alerts (form, at, revision, issues) VALUES (?1, ?2, ?3, ?4)",
            params![form, now, revision, issues.to_string()],
        )?;
        if added > 0 {
            crate::outbox::enqueue(&tx, queued, now)?;
        }
        tx.commit()?;
        Ok(added > 0)
    }

    fn note_creation(&self, tag: &str, form: &str) -> Result<bool, StoreError> {
        let added = self.db().execute(
            "INSERT OR IGNORE INTO editor_creations (tag, form, at) VALUES (?1, ?2, ?3)",
            params![tag, form, self.now()],
        )?;
        Ok(added > 0)
    }

    fn forget_creation(&self, tag: &str) -> Result<(), StoreError> {
        self.db().execute("DELETE FROM editor_creations WHERE tag = ?1", params![tag])?;
        Ok(())
    }

    fn created_with(&self, tag: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .db()
            .query_row("SELECT form FROM editor_creations WHERE tag = ?1", params![tag], |row| {
                row.get(0)
            })
            .optional()?)
    }

    fn alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let db = self.db();
        let mut statement = db.prepare(
            "SELECT id, form, at, revision, issues FROM alerts ORDER BY at DESC, id DESC",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get::<_, String>(4)?))
        })?;
        let mut alerts = Vec::new();
        for row in rows {
            let (id, form, at, revision, issues) = row?;
            alerts.push(Alert { id, form, at, revision, issues: serde_json::from_str(&issues)? });
        }
        Ok(alerts)
    }

    fn clear_alerts(&self, form: &str) -> Result<usize, StoreError> {
        Ok(self.db().execute("DELETE FROM alerts WHERE form = ?1", params![form])?)
    }
}

/// Runs `f` against `store` (an outbox or the settings, whose methods block on the database)
/// on a blocking thread, off the async threads.
pub(crate) async fn blocking<S: ?Sized + Send + Sync + 'static, T: Send + 'static>(
    store: Arc<S>,
    f: impl FnOnce(&S) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(move || f(store.as_ref())).await.map_err(|_| StoreError::Join)?
}

/// The settings as the relay's async code reaches them: each call runs the [`SettingsStore`]'s
/// blocking method on a blocking thread.
#[derive(Clone)]
pub(crate) struct Settings(Arc<dyn SettingsStore>);

impl Settings {
    pub(crate) fn new(store: Arc<dyn SettingsStore>) -> Self {
        Self(store)
    }

    /// Runs `f` against the settings on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SettingsStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        blocking(self.0.clone(), f).await
    }

    /// See [`SettingsStore::signing_key`] (called once, at start).
    pub(crate) fn signing_key(&self) -> Result<Vec<u8>, StoreError> {
        self.0.signing_key()
    }

    /// See [`SettingsStore::writable`].
    pub(crate) async fn writable(&self) -> Result<(), StoreError> {
        self.run(|s| s.writable()).await
    }

    /// See [`SettingsStore::list_settings`].
    pub(crate) async fn list_settings(
        &self,
        table: Table,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.run(move |s| s.list_settings(table)).await
    }

    /// See [`SettingsStore::put_settings`].
    pub(crate) async fn put_settings(
        &self,
        table: Table,
        key: String,
        json: String,
    ) -> Result<(), StoreError> {
        self.run(move |s| s.put_settings(table, &key, &json)).await
    }

    /// See [`SettingsStore::delete_settings`].
    pub(crate) async fn delete_settings(
        &self,
        table: Table,
        key: String,
    ) -> Result<bool, StoreError> {
        self.run(move |s| s.delete_settings(table, &key)).await
    }

    /// See [`SettingsStore::app_fields`].
    pub(crate) async fn app_fields(
        &self,
        connection: String,
        app: u64,
    ) -> Result<Option<(String, UnixMillis)>, StoreError> {
        self.run(move |s| s.app_fields(&connection, app)).await
    }

    /// See [`SettingsStore::put_app_fields`].
    pub(crate) async fn put_app_fields(
        &self,
        connection: String,
        app: u64,
        revision: String,
        fields: String,
    ) -> Result<(), StoreError> {
        self.run(move |s| s.put_app_fields(&connection, app, &revision, &fields)).await
    }

    /// See [`SettingsStore::raise_alert`].
    pub(crate) async fn raise_alert(
        &self,
        form: String,
        revision: String,
        issues: serde_json::Value,
        queued: Vec<Queued>,
    ) -> Result<bool, StoreError> {
        self.run(move |s| s.raise_alert(&form, &revision, &issues, &queued)).await
    }

    /// See [`SettingsStore::note_creation`].
    pub(crate) async fn note_creation(
        &self,
        tag: String,
        form: String,
    ) -> Result<bool, StoreError> {
        self.run(move |s| s.note_creation(&tag, &form)).await
    }

    /// See [`SettingsStore::forget_creation`].
    pub(crate) async fn forget_creation(&self, tag: String) -> Result<(), StoreError> {
        self.run(move |s| s.forget_creation(&tag)).await
    }

    /// See [`SettingsStore::created_with`].
    pub(crate) async fn created_with(&self, tag: String) -> Result<Option<String>, StoreError> {
        self.run(move |s| s.created_with(&tag)).await
    }

    /// See [`SettingsStore::alerts`].
    pub(crate) async fn alerts(&self) -> Result<Vec<Alert>, StoreError> {
        self.run(|s| s.alerts()).await
    }

    /// See [`SettingsStore::clear_alerts`].
    pub(crate) async fn clear_alerts(&self, form: String) -> Result<usize, StoreError> {
        self.run(move |s| s.clear_alerts(&form)).await
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

/// The layout found; with [`Layout::Migrate`] an older one is brought up to [`SCHEMA_VERSION`].
/// A layout it does not know (a newer kform's, or a development build's) is refused.
fn migrate(db: &mut Connection, layout: Layout) -> Result<i64, StoreError> {
    let found: i64 = db.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let tables: i64 = db.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
    if tables == 0 {
        return Ok(SCHEMA_VERSION);
    }
    let known = |version: i64| {
        (version..SCHEMA_VERSION).all(|from| MIGRATIONS.iter().any(|(step, _)| *step == from))
    };
    if found > SCHEMA_VERSION || !known(found) {
        return Err(StoreError::Version { found, wanted: SCHEMA_VERSION });
    }
    if layout == Layout::AsFound {
        return Ok(found);
    }
    let mut version = found;
    while version != SCHEMA_VERSION {
        let Some((_, step)) = MIGRATIONS.iter().find(|(from, _)| *from == version) else {
            return Err(StoreError::Version { found: version, wanted: SCHEMA_VERSION });
        };
        let tx = db.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(from = version, to = version + 1, "migrated the data directory's database");
        version += 1;
    }
    Ok(found)
}

impl Table {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Forms => "forms",
            Self::Connections => "connections",
        }
    }

    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Forms => "id",
            Self::Connections => "name",
        }
    }
}

#[cfg(test)]
mod tests;
