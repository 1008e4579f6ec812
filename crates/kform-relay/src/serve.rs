//! `kform serve` and `kform check-config`: the relay from a `kform.toml`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kform_core::lint;

use crate::config::Config;
use crate::state::{AppState, StartError};

/// Why the relay stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The state could not be opened.
    #[error(transparent)]
    Start(#[from] StartError),
    /// Stored connections or forms could not be read.
    #[error("stored settings: {0}")]
    Stored(String),
    /// The listen address could not be bound, or serving failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// What `kform check-config` says of the store's layout.
fn layout_line(store: &crate::store::StoreInfo) -> String {
    let (place, found, current) = (&store.place, store.found_layout, store.current_layout);
    if found == current {
        format!("{place}: database layout {found} (current)")
    } else {
        format!(
            "{place}: database layout {found}; `kform serve` migrates it to {current} at start, \
             or run `kform migrate` first"
        )
    }
}

/// Brings the store's database to the current layout (`kform migrate`), as `kform serve` does
/// at start; the layouts before and after.
pub fn migrate(config: &Config) -> Result<(i64, i64), crate::StoreError> {
    let opened = crate::store::Opened::open(
        config,
        std::sync::Arc::new(crate::clock::SystemClock),
        crate::store::Layout::Migrate,
    )?;
    Ok((opened.info.found_layout, opened.info.current_layout))
}

/// Copies the data directory's SQLite database and files into the PostgreSQL database at
/// `database_url` (`kform import`): both must be set in `config`. The data directory is brought
/// to the current layout first; the relay using it must be stopped. Rows copied per table.
pub fn import(config: &Config) -> Result<Vec<(&'static str, usize)>, crate::StoreError> {
    let Some(url) = &config.database_url else {
        return Err(crate::StoreError::Refused(
            "database_url is not set: it names the PostgreSQL database to import into".into(),
        ));
    };
    if !config.data_dir.join("kform.sqlite3").is_file() {
        return Err(crate::StoreError::Refused(format!(
            "{} holds no kform database to import",
            config.data_dir.display()
        )));
    }
    let clock: std::sync::Arc<dyn crate::clock::Clock> =
        std::sync::Arc::new(crate::clock::SystemClock);
    let from = crate::store::Store::open_with(
        &config.data_dir,
        clock.clone(),
        crate::store::Layout::Migrate,
    )?;
    if from.in_use_elsewhere {
        return Err(crate::StoreError::Refused(format!(
            "a running relay holds {}: stop it first, so no submission arrives after the copy",
            config.data_dir.display()
        )));
    }
    let to = crate::postgres::PgStore::open(
        url.expose(),
        config.database_ca_file.as_deref(),
        clock,
        crate::store::Layout::Migrate,
    )?;
    to.import(&from)
}

/// Opens the state for `config`, with the admin API's stored connections and forms.
pub async fn open(config: &Config) -> Result<AppState, ServeError> {
    open_with_clock(config, std::sync::Arc::new(crate::clock::SystemClock)).await
}

/// [`open`] with a clock tests can move; the delivery engine is running when it returns.
pub async fn open_with_clock(
    config: &Config,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<AppState, ServeError> {
    let state = AppState::open_with_clock(config, clock)?;
    state.load_stored().await.map_err(|err| ServeError::Stored(err.to_string()))?;
    // A form fixed while the relay was stopped loses its alert now, not at the next sync.
    state.recheck_alerts().await.map_err(|err| ServeError::Stored(err.to_string()))?;
    state.start_delivery().await.map_err(|err| ServeError::Stored(err.to_string()))?;
    Ok(state)
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight requests.
/// `ready` is told the bound address once the relay accepts connections.
pub async fn run(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let router = crate::app(state.clone());
    run_router(state, router, listener, shutdown).await
}

/// [`run`] serving `router` (the relay's, perhaps with more routes merged in, as the demo's).
pub(crate) async fn run_router(
    state: AppState,
    router: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })?;
    let sync = state.spawn_sync();
    let refresh = state.spawn_refresh();
    let limiter = {
        let limiter = state.inner.rate_limit.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(60));
            loop {
                ticker.tick().await;
                // Forget addresses whose quota is full again, so memory stays bounded.
                limiter.limiter().retain_recent();
            }
        })
    };
    let limits = &state.inner.limits;
    let connections = crate::accept::ConnectionLimits {
        max_connections: limits.max_connections,
        header_timeout: Duration::from_secs(limits.header_timeout_seconds),
        body_timeout: Duration::from_secs(limits.body_timeout_seconds),
    };
    crate::accept::serve(listener, router, connections, shutdown).await;
    // Requests are finished; let the kintone calls in flight finish too.
    state.stop_delivery().await;
    for task in [sync, refresh].into_iter().flatten() {
        task.abort();
    }
    limiter.abort();
    tracing::debug!(%addr, "stopped serving");
    Ok(())
}

/// What `kform serve` warns about at start: settings that do nothing or are weak, no widget to
/// serve, a data directory in use by another relay.
#[must_use]
pub fn warnings(config: &Config, state: &AppState) -> Vec<String> {
    let mut warnings = config.warnings();
    warnings.extend(state.widget_warning());
    warnings.extend(state.data_dir_warning());
    warnings
}

/// Rows as a table: each column as wide as its widest cell, the last one as it is.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate() {
            if index + 1 == N {
                line.push_str(cell);
            } else {
                let pad = widths[index] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// Probes the API token permissions each form's delivery needs, with calls that change
/// nothing; a missing one says how to add it.
async fn check_permissions(state: &AppState) -> (String, bool) {
    let mut ok = true;
    let mut rows = vec![["FORM", "APP", "PERMISSION", "RESULT"].map(String::from)];
    for entry in state.forms() {
        let spec = &entry.settings.spec;
        if spec.test_mode {
            continue;
        }
        let Some(connection) = state.connection(&entry.settings.connection) else { continue };
        let client = match connection.client(spec.app) {
            Ok(client) => client,
            Err(err) => {
                ok = false;
                let row =
                    [spec.id.to_string(), spec.app.0.to_string(), "-".into(), err.to_string()];
                rows.push(row);
                continue;
            }
        };
        let mut needs: Vec<(kform_core::AppId, kform_kintone::Permission, String)> =
            crate::delivery::needed_permissions(spec)
                .into_iter()
                .map(|(permission, why)| (spec.app, permission, why.to_owned()))
                .collect();
        // A lookup the form fills makes kintone read its source app, with that app's token.
        if let Ok(fields) = state.fields(&entry.settings.connection, spec.app).await {
            for code in spec.field_codes() {
                if let Some(kform_core::FieldKind::Lookup(lookup)) =
                    fields.get(code.as_str()).map(|field| &field.kind)
                {
                    let why = format!("lookup {code} reads app {}", lookup.related_app.0);
                    needs.push((lookup.related_app, kform_kintone::Permission::View, why));
                }
            }
        }
        for (app, permission, why) in needs {
            let result = match client.probe(app, permission).await {
                Ok(()) => "ok".to_owned(),
                Err(kform_kintone::KintoneError::Api { body, .. }) if body.code == "GAIA_NO01" => {
                    ok = false;
                    "MISSING: add it to the app's API token in kintone, save, and click Update App"
                        .to_owned()
                }
                Err(err) => {
                    ok = false;
                    format!("FAIL ({err})")
                }
            };
            let needs = format!("{} ({why})", permission.name());
            rows.push([spec.id.to_string(), app.0.to_string(), needs, result]);
        }
    }
    (table(&rows), ok)
}

/// `kform check-config`: the configuration is valid (the caller loaded it); tries every
/// connection's apps and every form. Returns the report and whether everything works.
pub async fn check(config: &Config) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    let state = match AppState::open_as_found(config) {
        Ok(state) => state,
        Err(err) => return (format!("cannot open the relay's state: {err}\n"), false),
    };
    let _ = writeln!(out, "{}", layout_line(state.store()));
    if let Err(err) = state.load_stored().await {
        let _ = writeln!(out, "stored settings cannot be read: {err}");
        ok = false;
    }
    let mut rows = vec![["CONNECTION", "APP", "AUTH", "RESULT", "DETAIL"].map(String::from)];
    // The fields just read from kintone, so the forms are linted against them, not older ones.
    let mut fetched = std::collections::BTreeMap::new();
    for connection in state.connections() {
        let apps = state.apps_of(&connection);
        if apps.is_empty() {
            rows.push([
                connection.name.clone(),
                "-".into(),
                "-".into(),
                "skipped".into(),
                "no app has a token and no form uses it".into(),
            ]);
        }
        for app in apps.into_keys() {
            let auth =
                if connection.settings.tokens.contains_key(&app) { "token" } else { "password" };
            let (result, detail) = match connection.admin_client(app) {
                Err(err) => ("FAIL", err.to_string()),
                Ok(client) => match client.form_fields(app).await {
                    Ok(fields) => {
                        let detail =
                            format!("{} fields, revision {}", fields.fields.len(), fields.revision);
                        fetched.insert((connection.name.clone(), app), Arc::new(fields));
                        ("ok", detail)
                    }
                    Err(err) => ("FAIL", err.to_string()),
                },
            };
            ok &= result == "ok";
            rows.push([
                connection.name.clone(),
                app.0.to_string(),
                auth.into(),
                result.into(),
                detail,
            ]);
        }
    }
    out.push_str(&table(&rows));
    let _ = writeln!(out);
    let mut rows = vec![["FORM", "CONNECTION", "LINT", "DELIVERY"].map(String::from)];
    let mut problems = Vec::new();
    for entry in state.forms() {
        let settings = &entry.settings;
        let key = (settings.connection.clone(), settings.spec.app);
        let fields = match fetched.get(&key) {
            Some(fields) => Ok(Arc::clone(fields)),
            None => state.fields(&settings.connection, settings.spec.app).await,
        };
        let lint_result = match fields {
            Ok(fields) => {
                let issues = lint(&fields, &settings.spec);
                for issue in &issues {
                    let line = issue.line(settings.spec.default_lang);
                    problems.push(format!("  {}: {line}", settings.spec.id));
                }
                let errors = issues.iter().filter(|issue| !issue.is_warning()).count();
                match (errors, issues.len()) {
                    (0, 0) => "ok".to_owned(),
                    (0, warnings) => format!("ok, {warnings} warnings"),
                    (errors, _) => format!("{errors} errors"),
                }
            }
            Err(err) => format!("FAIL ({err})"),
        };
        ok &= lint_result.starts_with("ok");
        let delivery = if settings.spec.test_mode {
            "test mode: never sent".to_owned()
        } else if let Some(field) = &settings.spec.idempotency_field {
            format!("exactly once (idempotency field {field})")
        } else {
            "at least once (set idempotency_field for exactly once)".to_owned()
        };
        rows.push([
            settings.spec.id.to_string(),
            settings.connection.clone(),
            lint_result,
            delivery,
        ]);
    }
    out.push_str(&table(&rows));
    for line in problems {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);
    let (permissions, permissions_ok) = check_permissions(&state).await;
    out.push_str(&permissions);
    ok &= permissions_ok;
    // A running relay holds the data directory while this check looks at it: not a warning.
    let mut warnings = config.warnings();
    warnings.extend(state.widget_warning());
    if !warnings.is_empty() {
        let _ = writeln!(out, "\nwarnings (the relay runs, but look at these):");
        for warning in warnings {
            let _ = writeln!(out, "  {warning}");
        }
    }
    (out, ok)
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn a_table_lines_up_whatever_the_cells_widths() {
        let rows = [
            ["FORM", "CONNECTION", "LINT", "DELIVERY"].map(String::from),
            ["a-very-long-form-identifier-1", "main", "ok, 2 warnings", "at least once"]
                .map(String::from),
            ["x", "a-long-connection-name", "ok", "exactly once"].map(String::from),
        ];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        // Each column starts at the same place on every line.
        for column in 1..4 {
            let starts: Vec<usize> = lines
                .iter()
                .zip(&rows)
                .map(|(line, row)| line.find(row[column].as_str()).unwrap())
                .collect();
            assert!(starts.iter().all(|start| *start == starts[0]), "column {column}:\n{text}");
        }
        assert_eq!(
            lines[0],
            "FORM                           CONNECTION              LINT            DELIVERY"
        );
    }
}
