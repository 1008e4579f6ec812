//! A local stand-in for kintone's REST API, for tests and the demo.
//!
//! It answers in kintone's JSON shapes with kintone's error codes and wording (`NOTES.md`), keeps
//! its state in memory, and is deliberately independent of `kform-core`: it plays kintone's side.
//!
//! - [`spawn`] starts it on `127.0.0.1:0` for a test or the demo; [`app`] is the bare router.
//! - [`Apps`] describes the apps it serves (the `APPS.json` format), [`Apps::demo`] the demo app.
//!
//! Implemented so far: `GET app/form/fields.json`, `GET/POST record.json`, `GET records.json`
//! (with a subset of the query language), API-token and password auth, and every response's
//! concurrency headers. Paths are accepted with and without the guest-space prefix.

mod auth;
mod error;
mod query;
mod routes;
mod store;
mod time;
mod validate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use routes::app;

/// The apps and users the fake serves: the `APPS.json` format.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Apps {
    /// The apps.
    pub apps: Vec<AppSpec>,
    /// Users for password authentication.
    #[serde(default)]
    pub users: Vec<User>,
}

/// One app: its id, its field settings exactly as `fields.json` returns them, its API tokens and
/// its initial records.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSpec {
    /// The app id.
    pub id: u64,
    /// The app name.
    pub name: String,
    /// The guest space the app lives in, if any.
    #[serde(default)]
    pub guest_space_id: Option<u64>,
    /// The `properties` object of a `fields.json` response.
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// API tokens generated for this app.
    #[serde(default)]
    pub tokens: Vec<TokenSpec>,
    /// Records present at start, in kintone's write shape.
    #[serde(default)]
    pub records: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// An API token and what it may do.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenSpec {
    /// The token string.
    pub token: String,
    /// Its permissions.
    pub permissions: Vec<Permission>,
}

/// A permission of an API token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// View records (and read field settings).
    View,
    /// Add records (and read field settings).
    Add,
    /// Edit records.
    Edit,
    /// Delete records.
    Delete,
}

/// A kintone user for password authentication.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    /// The login name.
    pub login: String,
    /// The password.
    pub password: String,
}

/// The demo app's field settings (a real `fields.json` `properties` shape).
const DEMO_PROPERTIES: &str = include_str!("demo-app.json");

impl Apps {
    /// The demo: one "お問い合わせ" app (id 1) and one API token with view and add permissions.
    pub fn demo(token: impl Into<String>) -> Self {
        // The file is part of this crate and checked by a test, so it always parses.
        let properties = serde_json::from_str(DEMO_PROPERTIES).unwrap_or_default();
        Self {
            apps: vec![AppSpec {
                id: 1,
                name: "お問い合わせ".to_owned(),
                guest_space_id: None,
                properties,
                tokens: vec![TokenSpec {
                    token: token.into(),
                    permissions: vec![Permission::View, Permission::Add],
                }],
                records: Vec::new(),
            }],
            users: Vec::new(),
        }
    }
}

/// A random API token in kintone's style (40 letters and digits).
pub fn random_token() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect()
}

/// Shared state of one fake kintone.
#[derive(Clone)]
pub struct FakeState {
    inner: Arc<Mutex<store::Store>>,
}

/// Why the fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// An app's records do not fit its fields.
    #[error("app {app}: initial record {index} was refused: {reason}")]
    Record {
        /// The app id.
        app: u64,
        /// The record's index in `records`.
        index: usize,
        /// kintone's reason.
        reason: String,
    },
    /// The listener could not be bound.
    #[error("cannot listen: {0}")]
    Bind(#[from] std::io::Error),
}

impl FakeState {
    /// State holding `apps`, with their initial records added as kintone would add them.
    pub fn new(apps: Apps) -> Result<Self, StartError> {
        Ok(Self { inner: Arc::new(Mutex::new(store::Store::new(apps)?)) })
    }
}

/// A running fake kintone; it shuts down when dropped.
pub struct FakeKintone {
    url: String,
    addr: SocketAddr,
    state: FakeState,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeKintone {
    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The state, to inspect from tests.
    pub fn state(&self) -> &FakeState {
        &self.state
    }
}

impl Drop for FakeKintone {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The server may already have stopped; there is nothing to do then.
            let _ = shutdown.send(());
        }
    }
}

/// Starts a fake kintone serving `apps` on `addr` (use `127.0.0.1:0` for a free port).
pub async fn spawn(apps: Apps, addr: SocketAddr) -> Result<FakeKintone, StartError> {
    let state = FakeState::new(apps)?;
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (shutdown, on_shutdown) = oneshot::channel::<()>();
    let router = app(state.clone());
    tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async {
            let _ = on_shutdown.await;
        });
        if let Err(err) = serve.await {
            tracing::error!(error = %err, "fake kintone stopped");
        }
    });
    Ok(FakeKintone { url: format!("http://{addr}"), addr, state, shutdown: Some(shutdown) })
}

#[cfg(test)]
mod tests;
