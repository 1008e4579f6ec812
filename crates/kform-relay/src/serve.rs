//! `kform serve` and `kform check-config`: the relay from a `kform.toml`.

use std::fmt::Write as _;
use std::net::SocketAddr;
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

/// Opens the state for `config`, with the admin API's stored connections and forms.
pub async fn open(config: &Config) -> Result<AppState, ServeError> {
    open_with_clock(config, std::sync::Arc::new(crate::delivery::SystemClock)).await
}

/// [`open`] with a clock tests can move; the delivery engine is running when it returns.
pub async fn open_with_clock(
    config: &Config,
    clock: std::sync::Arc<dyn crate::delivery::Clock>,
) -> Result<AppState, ServeError> {
    let state = AppState::open_with_clock(config, clock)?;
    state.load_stored().await.map_err(|err| ServeError::Stored(err.to_string()))?;
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
    if let Some(sync) = sync {
        sync.abort();
    }
    limiter.abort();
    tracing::debug!(%addr, "stopped serving");
    Ok(())
}

/// `kform check-config`: the configuration is valid (the caller loaded it); tries every
/// connection's apps and every form. Returns the report and whether everything works.
pub async fn check(config: &Config) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    let state = match AppState::open(config) {
        Ok(state) => state,
        Err(err) => return (format!("cannot open the relay's state: {err}\n"), false),
    };
    if let Err(err) = state.load_stored().await {
        let _ = writeln!(out, "stored settings cannot be read: {err}");
        ok = false;
    }
    let _ =
        writeln!(out, "{:<16} {:<6} {:<10} {:<8} DETAIL", "CONNECTION", "APP", "AUTH", "RESULT");
    for connection in state.connections() {
        let apps = state.apps_of(&connection);
        if apps.is_empty() {
            let _ = writeln!(
                out,
                "{:<16} {:<6} {:<10} {:<8} no app has a token and no form uses it",
                connection.name, "-", "-", "skipped"
            );
        }
        for app in apps.into_keys() {
            let auth =
                if connection.settings.tokens.contains_key(&app) { "token" } else { "password" };
            let (result, detail) = match connection.admin_client(app) {
                Err(err) => ("FAIL", err.to_string()),
                Ok(client) => match client.form_fields(app).await {
                    Ok(fields) => (
                        "ok",
                        format!("{} fields, revision {}", fields.fields.len(), fields.revision),
                    ),
                    Err(err) => ("FAIL", err.to_string()),
                },
            };
            ok &= result == "ok";
            let _ = writeln!(
                out,
                "{:<16} {:<6} {:<10} {:<8} {}",
                connection.name, app.0, auth, result, detail
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<16} {:<16} {:<8} DELIVERY", "FORM", "CONNECTION", "LINT");
    for entry in state.forms() {
        let settings = &entry.settings;
        let lint_result = match state.fields(&settings.connection, settings.spec.app).await {
            Ok(fields) => {
                let issues = lint(&fields, &settings.spec);
                for issue in &issues {
                    let _ = writeln!(
                        out,
                        "  {}: {}",
                        settings.spec.id,
                        issue.line(settings.spec.default_lang)
                    );
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
        let _ = writeln!(
            out,
            "{:<16} {:<16} {:<8} {delivery}",
            settings.spec.id, settings.connection, lint_result
        );
    }
    (out, ok)
}
