//! `kform import`: a relay's data directory (its SQLite database and files) copied into an
//! empty PostgreSQL database in one transaction, for moving from one relay to several.

use super::{PgStore, off_runtime};
use crate::store::StoreError;

/// How a column of a copied table is read from SQLite and written to PostgreSQL.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    OptText,
    Int,
    /// An `INTEGER` (4-byte) column that may be empty: an attempt's HTTP status.
    OptInt4,
}

/// The tables `import` copies, with their columns (serial ids are made anew).
const COPIED: &[(&str, &[(&str, Kind)])] = &[
    ("forms", &[("id", Kind::Text), ("settings", Kind::Text), ("updated_at", Kind::Int)]),
    ("connections", &[("name", Kind::Text), ("settings", Kind::Text), ("updated_at", Kind::Int)]),
    (
        "app_fields",
        &[
            ("connection", Kind::Text),
            ("app", Kind::Int),
            ("revision", Kind::Text),
            ("fields", Kind::Text),
            ("synced_at", Kind::Int),
        ],
    ),
    (
        "alerts",
        &[
            ("form", Kind::Text),
            ("at", Kind::Int),
            ("revision", Kind::Text),
            ("issues", Kind::Text),
        ],
    ),
    ("editor_creations", &[("tag", Kind::Text), ("form", Kind::Text), ("at", Kind::Int)]),
    (
        "submissions",
        &[
            ("form", Kind::Text),
            ("submission_id", Kind::Text),
            ("digest", Kind::Text),
            ("vals", Kind::Text),
            ("uploads", Kind::OptText),
            ("stage", Kind::Text),
            ("record_id", Kind::OptText),
            ("tries", Kind::Int),
            ("next_at", Kind::Int),
            ("error", Kind::OptText),
            ("accepted_at", Kind::Int),
            ("updated_at", Kind::Int),
        ],
    ),
    (
        "attempts",
        &[
            ("form", Kind::Text),
            ("submission_id", Kind::Text),
            ("at", Kind::Int),
            ("endpoint", Kind::Text),
            ("status", Kind::OptInt4),
            ("code", Kind::OptText),
            ("message", Kind::OptText),
            ("record_id", Kind::OptText),
        ],
    ),
    ("paused", &[("form", Kind::Text), ("reason", Kind::Text), ("at", Kind::Int)]),
    ("budget", &[("app", Kind::Text), ("day", Kind::Text), ("used", Kind::Int)]),
    (
        "queued",
        &[
            ("channel", Kind::Text),
            ("body", Kind::Text),
            ("created_at", Kind::Int),
            ("next_at", Kind::Int),
            ("tries", Kind::Int),
            ("error", Kind::OptText),
        ],
    ),
];

/// What [`PgStore::import`] copied: rows per table, and files.
pub(crate) type Imported = Vec<(&'static str, usize)>;

impl PgStore {
    /// Copies everything a relay keeps in its data directory (`from`, the SQLite store with its
    /// files) into this database, in one transaction: forms, connections, synced fields, alerts,
    /// editor creations, every submission in every stage with its attempts and files, paused
    /// forms, the daily budget, the digest's unsent events and the signing key (tokens the old relay signed stay valid).
    /// Refused when this database already holds forms, connections or submissions.
    pub(crate) fn import(&self, from: &crate::store::Store) -> Result<Imported, StoreError> {
        off_runtime(|| {
            let db = from.db();
            let mut conn = self.conn()?;
            let mut tx = conn.client()?.transaction()?;
            let used: i64 = tx
                .query_one(
                    "SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM forms)
                         + (SELECT count(*) FROM connections)",
                    &[],
                )?
                .try_get(0)?;
            if used > 0 {
                return Err(StoreError::Refused(
                    "the database already holds forms, connections or submissions; import into \
                     an empty one"
                        .into(),
                ));
            }
            let mut copied = Vec::new();
            for (table, columns) in COPIED {
                let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
                let list = names.join(", ");
                let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
                let insert = tx.prepare(&format!(
                    "INSERT INTO {table} ({list}) VALUES ({})",
                    marks.join(", ")
                ))?;
                let mut select =
                    db.prepare(&format!("SELECT {list} FROM {table} ORDER BY rowid"))?;
                let mut rows = select.query([])?;
                let mut count = 0;
                while let Some(row) = rows.next()? {
                    let mut values: Vec<Box<dyn postgres::types::ToSql + Sync>> = Vec::new();
                    for (i, (_, kind)) in columns.iter().enumerate() {
                        values.push(match kind {
                            Kind::Text => Box::new(row.get::<_, String>(i)?),
                            Kind::OptText => Box::new(row.get::<_, Option<String>>(i)?),
                            Kind::Int => Box::new(row.get::<_, i64>(i)?),
                            Kind::OptInt4 => Box::new(row.get::<_, Option<i32>>(i)?),
                        });
                    }
                    let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        values.iter().map(|value| value.as_ref()).collect();
                    tx.execute(&insert, &params)?;
                    count += 1;
                }
                copied.push((*table, count));
            }
            let key: Option<Vec<u8>> = db
                .query_row("SELECT value FROM meta WHERE key = 'signing_key'", [], |row| row.get(0))
                .map(Some)
                .or_else(|err| match err {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    err => Err(err),
                })?;
            if let Some(key) = key {
                tx.execute(
                    "INSERT INTO kform_meta (key, value) VALUES ('signing_key', $1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&key],
                )?;
            }
            let mut files = 0;
            let root = &from.files_dir;
            for folder in std::fs::read_dir(root).into_iter().flatten().flatten() {
                let folder_name = folder.file_name().to_string_lossy().into_owned();
                for file in std::fs::read_dir(folder.path()).into_iter().flatten().flatten() {
                    let name = file.file_name().to_string_lossy().into_owned();
                    let bytes = std::fs::read(file.path()).map_err(|source| StoreError::Dir {
                        path: file.path().display().to_string(),
                        source,
                    })?;
                    tx.execute(
                        "INSERT INTO files (path, folder, bytes) VALUES ($1, $2, $3)",
                        &[&format!("{folder_name}/{name}"), &folder_name, &bytes],
                    )?;
                    files += 1;
                }
            }
            copied.push(("files", files));
            tx.commit()?;
            Ok(copied)
        })
    }
}
