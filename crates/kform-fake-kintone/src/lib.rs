//! A local stand-in for kintone's REST API, for tests and the demo.
//!
//! It answers in kintone's JSON shapes with kintone's error codes and wording (`docs/kintone.md`),
//! keeps its state in memory, and is deliberately independent of `kform-core`: it plays kintone's
//! side.
//!
//! - [`spawn`] starts it on a free local port for a test or the demo; [`app`] is the bare router.
//! - [`Apps`] describes the apps it serves (the `APPS.json` format, [`Apps::from_json`]),
//!   [`Apps::demo`] the demo app.
//! - [`FakeState`] is its state; tests use it to inject [`Fault`]s, read request counts and
//!   reset; over HTTP the same is under `/_fake/`.
//!
//! The module comment of `write.rs` lists each choice made where kintone's behaviour is
//! UNCONFIRMED.

mod api;
mod auth;
mod conn;
mod error;
mod faults;
mod model;
mod multipart;
mod number;
mod ordered;
mod query;
mod routes;
mod store;
mod time;
mod write;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use faults::{Fault, FaultKind};
pub use routes::app;

use crate::error::Lang;

/// The apps and users the fake serves: the `APPS.json` format.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Apps {
    /// The apps.
    pub apps: Vec<AppSpec>,
    /// Users for password authentication.
    #[serde(default)]
    pub users: Vec<User>,
    /// A Basic auth gate in front of every API, as some kintone domains have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// The message language when `Accept-Language` names neither Japanese nor English:
    /// `"ja"` (the default) or `"en"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_language: Option<Language>,
    /// Requests served at once before 429 `GAIA_TO04` (kintone's is 100 per domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_limit: Option<usize>,
}

/// A Basic auth user and password.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

/// A message language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Japanese.
    Ja,
    /// English.
    En,
}

/// One app: its id, its field settings exactly as `fields.json` returns them, its API tokens and
/// its initial records.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "AppFile")]
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
    /// The settings revision `fields.json` reports (`"1"` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The `layout` of a `layout.json` response; one row per field when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Value>,
    /// The field codes in the order the app's file (or a change of its fields) wrote them: the
    /// order of the rows of a layout made from `properties` (codes it lacks follow, in code
    /// order; empty for an app made in code).
    #[serde(skip)]
    pub order: Vec<String>,
}

/// An app as a file writes it: [`AppSpec`] with its fields' order read too.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppFile {
    id: u64,
    name: String,
    #[serde(default)]
    guest_space_id: Option<u64>,
    properties: ordered::Ordered,
    #[serde(default)]
    tokens: Vec<TokenSpec>,
    #[serde(default)]
    records: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    layout: Option<Value>,
}

impl From<AppFile> for AppSpec {
    fn from(file: AppFile) -> Self {
        Self {
            id: file.id,
            name: file.name,
            guest_space_id: file.guest_space_id,
            properties: file.properties.properties,
            tokens: file.tokens,
            records: file.records,
            revision: file.revision,
            layout: file.layout,
            order: file.properties.order,
        }
    }
}

impl AppSpec {
    /// An app outside any space with these field settings, no tokens and no records.
    pub fn new(
        id: u64,
        name: impl Into<String>,
        properties: serde_json::Map<String, Value>,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            guest_space_id: None,
            properties,
            tokens: Vec::new(),
            records: Vec::new(),
            revision: None,
            layout: None,
            order: Vec::new(),
        }
    }

    /// An app like [`AppSpec::new`] from a `properties` object written as JSON, its fields'
    /// order kept for the layout. The demo's files are part of this crate and checked by a
    /// test, so they always parse; text that does not gives an app without fields.
    fn written(id: u64, name: &str, properties: &str) -> Self {
        let ordered: ordered::Ordered = serde_json::from_str(properties).unwrap_or_default();
        Self { order: ordered.order, ..Self::new(id, name, ordered.properties) }
    }

    /// The settings revision, as a string.
    pub(crate) fn revision(&self) -> String {
        self.revision.clone().unwrap_or_else(|| "1".to_owned())
    }

    /// The form layout: the given one, or each field on its own row in the order the fields
    /// were written (`properties` order for an app made in code).
    pub(crate) fn layout(&self) -> Value {
        if let Some(layout) = &self.layout {
            return layout.clone();
        }
        let entry = |code: &str, property: &Value| json!({ "type": property["type"], "code": code, "size": { "width": "200" } });
        let rows: Vec<Value> = ordered::in_order(self.properties.keys(), &self.order)
            .into_iter()
            .filter_map(|code| {
                let property = &self.properties[code.as_str()];
                Some((code, property, property["type"].as_str()?))
            })
            .filter_map(|(code, property, kind)| match kind {
                "CATEGORY" | "STATUS" | "STATUS_ASSIGNEE" => None,
                "SUBTABLE" => {
                    let inner = property["fields"].as_object()?;
                    let fields: Vec<Value> = ordered::in_order(inner.keys(), &self.order)
                        .into_iter()
                        .map(|code| entry(code, &inner[code.as_str()]))
                        .collect();
                    Some(json!({ "type": "SUBTABLE", "code": code, "fields": fields }))
                }
                "GROUP" => Some(json!({ "type": "GROUP", "code": code, "layout": [] })),
                _ => Some(json!({ "type": "ROW", "fields": [entry(code, property)] })),
            })
            .collect();
        Value::Array(rows)
    }
}

/// An API token and what it may do.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct User {
    /// The login name.
    pub login: String,
    /// The password.
    pub password: String,
}

/// The demo app's field settings (a real `fields.json` `properties` shape).
const DEMO_PROPERTIES: &str = include_str!("demo-app.json");

/// The showcase app's field settings: every field type a public form can write.
const SHOWCASE_PROPERTIES: &str = include_str!("demo-showcase-app.json");

/// The benchmark app's field settings: 30 fields of common types.
const BENCH_PROPERTIES: &str = include_str!("demo-bench-app.json");

impl Apps {
    /// The demo: one "お問い合わせ" app (id 1) and one API token with view and add permissions.
    pub fn demo(token: impl Into<String>) -> Self {
        Self {
            apps: vec![AppSpec {
                tokens: vec![TokenSpec {
                    token: token.into(),
                    permissions: vec![Permission::View, Permission::Add],
                }],
                ..AppSpec::written(1, "お問い合わせ", DEMO_PROPERTIES)
            }],
            ..Self::default()
        }
    }

    /// Adds the demo's showcase: a "セミナー申込" app (id 2) with every field type a public
    /// form can write, and its own API token with view and add permissions.
    pub fn with_showcase(mut self, token: impl Into<String>) -> Self {
        self.apps.push(AppSpec {
            tokens: vec![TokenSpec {
                token: token.into(),
                permissions: vec![Permission::View, Permission::Add],
            }],
            ..AppSpec::written(2, "セミナー申込", SHOWCASE_PROPERTIES)
        });
        self
    }

    /// Adds the demo's benchmark app "ベンチマーク" (id 3): 30 fields of common types, for the
    /// widget's speed benchmark, with its own API token with view and add permissions.
    pub fn with_bench(mut self, token: impl Into<String>) -> Self {
        self.apps.push(AppSpec {
            tokens: vec![TokenSpec {
                token: token.into(),
                permissions: vec![Permission::View, Permission::Add],
            }],
            ..AppSpec::written(3, "ベンチマーク", BENCH_PROPERTIES)
        });
        self
    }

    /// Reads `APPS.json`; a bad file is refused with the JSON path of the problem and why.
    pub fn from_json(text: &str) -> Result<Self, StartError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let apps: Self = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            StartError::Apps { path: err.path().to_string(), reason: err.inner().to_string() }
        })?;
        // Parsing the fields and adding the records checks the rest.
        store::Store::new(&apps)?;
        Ok(apps)
    }
}

/// A random API token in kintone's style (40 letters and digits).
pub fn random_token() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect()
}

/// Shared state of one fake kintone: cheap to clone, every clone sees the same kintone.
#[derive(Clone)]
pub struct FakeState {
    shared: Arc<Shared>,
}

struct Shared {
    store: Mutex<store::Store>,
    initial: Apps,
    faults: Mutex<Vec<Fault>>,
    stats: Mutex<Stats>,
    running: AtomicUsize,
    /// The most requests that were ever served at once (since start or reset).
    peak_running: AtomicUsize,
    concurrency_limit: AtomicUsize,
    default_lang: Lang,
}

/// Request counts.
#[derive(Default)]
struct Stats {
    total: u64,
    by_endpoint: BTreeMap<String, u64>,
    by_app: BTreeMap<u64, u64>,
    /// kintone's daily count per app (resets at 09:00 Japan time, i.e. 00:00 UTC); file and
    /// bulk requests are not counted, as in kintone.
    day: String,
    daily_by_app: BTreeMap<u64, u64>,
}

/// Why the fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `APPS.json` (or an app in it) is not what kintone could serve.
    #[error("{path}: {reason}")]
    Apps {
        /// Where in `APPS.json`, e.g. `apps[0].properties.name.maxLength`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The listener could not be bound.
    #[error("cannot listen: {0}")]
    Bind(#[from] std::io::Error),
}

impl FakeState {
    /// State holding `apps`, with their initial records added as kintone would add them.
    pub fn new(apps: Apps) -> Result<Self, StartError> {
        let store = store::Store::new(&apps)?;
        let default_lang = match apps.default_language {
            Some(Language::En) => Lang::En,
            Some(Language::Ja) | None => Lang::Ja,
        };
        let limit = apps.concurrency_limit.unwrap_or(100);
        Ok(Self {
            shared: Arc::new(Shared {
                store: Mutex::new(store),
                initial: apps,
                faults: Mutex::default(),
                stats: Mutex::default(),
                running: AtomicUsize::new(0),
                peak_running: AtomicUsize::new(0),
                concurrency_limit: AtomicUsize::new(limit),
                default_lang,
            }),
        })
    }

    fn store(&self) -> MutexGuard<'_, store::Store> {
        lock(&self.shared.store)
    }

    /// Adds a fault rule; rules are tried in the order added.
    pub fn add_fault(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// The fault rules still active (with their remaining counts).
    pub fn faults(&self) -> Vec<Fault> {
        lock(&self.shared.faults).clone()
    }

    /// Sets how many requests may run at once before 429 `GAIA_TO04`.
    pub fn set_concurrency_limit(&self, limit: usize) {
        self.shared.concurrency_limit.store(limit, Ordering::SeqCst);
    }

    /// Changes app `app`'s fields as an administrator deploying new settings in kintone would:
    /// `properties` (a `fields.json` `properties` object) replaces them and the settings
    /// revision goes up by one. Records keep their values.
    pub fn set_properties(
        &self,
        app: u64,
        properties: serde_json::Map<String, Value>,
    ) -> Result<(), StartError> {
        self.change_fields(app, properties, None)
    }

    /// [`FakeState::set_properties`] from a `properties` object as JSON text: its fields'
    /// order is kept for the layout, as kintone's form keeps where they were placed.
    pub fn set_properties_json(&self, app: u64, text: &str) -> Result<(), StartError> {
        let ordered: ordered::Ordered = serde_json::from_str(text).map_err(|err| {
            StartError::Apps { path: "properties".into(), reason: err.to_string() }
        })?;
        self.change_fields(app, ordered.properties, Some(ordered.order))
    }

    fn change_fields(
        &self,
        app: u64,
        properties: serde_json::Map<String, Value>,
        order: Option<Vec<String>>,
    ) -> Result<(), StartError> {
        let fields = model::parse_properties(&properties).map_err(|err| StartError::Apps {
            path: format!("properties.{}", err.path),
            reason: err.reason,
        })?;
        let mut store = self.store();
        let Some(stored) = store.apps.get_mut(&app) else {
            return Err(StartError::Apps { path: "app".into(), reason: format!("no app {app}") });
        };
        let revision = stored.spec.revision().parse::<u64>().unwrap_or(1) + 1;
        stored.spec.revision = Some(revision.to_string());
        stored.spec.properties = properties;
        if let Some(order) = order {
            stored.spec.order = order;
        }
        stored.fields = fields;
        Ok(())
    }

    /// Replaces an app's API tokens, as an administrator does in kintone when regenerating or
    /// deleting them (and saving the app's settings): requests with an old token are refused
    /// with `GAIA_IA02` from then on.
    pub fn set_tokens(&self, app: u64, tokens: Vec<TokenSpec>) -> Result<(), StartError> {
        let mut store = self.store();
        let Some(stored) = store.apps.get_mut(&app) else {
            return Err(StartError::Apps { path: "app".into(), reason: format!("no app {app}") });
        };
        stored.spec.tokens = tokens;
        Ok(())
    }

    /// Back to the initial apps and records, with no faults and zero counts.
    pub fn reset(&self) -> Result<(), StartError> {
        let fresh = store::Store::new(&self.shared.initial)?;
        *self.store() = fresh;
        self.clear_faults();
        *lock(&self.shared.stats) = Stats::default();
        self.shared.peak_running.store(0, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Request counts: `total`, `byEndpoint` ("METHOD /path"), `byApp`, kintone's daily count
    /// per app (`daily`), and `peakRunning`, the most requests that were in flight at once.
    pub fn stats(&self) -> Value {
        let stats = lock(&self.shared.stats);
        let by_app: BTreeMap<String, u64> =
            stats.by_app.iter().map(|(app, n)| (app.to_string(), *n)).collect();
        let daily: BTreeMap<String, u64> =
            stats.daily_by_app.iter().map(|(app, n)| (app.to_string(), *n)).collect();
        json!({
            "total": stats.total,
            "byEndpoint": stats.by_endpoint,
            "byApp": by_app,
            "daily": { "day": stats.day, "byApp": daily },
            "peakRunning": self.shared.peak_running.load(std::sync::atomic::Ordering::SeqCst),
        })
    }

    /// The records of an app in kintone's read shape, oldest first (for tests).
    pub fn records(&self, app: u64) -> Vec<Value> {
        let store = self.store();
        store
            .apps
            .get(&app)
            .map(|app| app.records.iter().map(|record| record.to_json()).collect())
            .unwrap_or_default()
    }

    fn count(&self, call: &api::Call<'_>, path: &str) {
        let mut stats = lock(&self.shared.stats);
        stats.total += 1;
        *stats.by_endpoint.entry(format!("{} {path}", call.method)).or_default() += 1;
        if let Some(app) = api::app_of(call) {
            *stats.by_app.entry(app).or_default() += 1;
            if !matches!(call.api.as_str(), "file.json" | "bulkRequest.json") {
                let today = time::now_minute()[..10].to_owned();
                if stats.day != today {
                    stats.day = today;
                    stats.daily_by_app.clear();
                }
                *stats.daily_by_app.entry(app).or_default() += 1;
            }
        }
    }

    /// The first fault rule matching a request, its count taken down by one.
    fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.shared.faults);
        let index = faults.iter().position(|fault| fault.matches(method, path))?;
        let fault = faults[index].clone();
        match &mut faults[index].count {
            Some(1) | Some(0) => {
                faults.remove(index);
            }
            Some(count) => *count -= 1,
            None => {}
        }
        Some(fault)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock would be a bug in the fake; keep serving what is there.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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

/// Starts a fake kintone serving `apps` on a free port of `127.0.0.1`.
pub async fn spawn(apps: Apps) -> Result<FakeKintone, StartError> {
    spawn_on(apps, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a fake kintone serving `apps` on `addr`.
pub async fn spawn_on(apps: Apps, addr: SocketAddr) -> Result<FakeKintone, StartError> {
    let state = FakeState::new(apps)?;
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (shutdown, on_shutdown) = oneshot::channel::<()>();
    let router = app(state.clone()).into_make_service_with_connect_info::<conn::Cut>();
    tokio::spawn(async move {
        let serve =
            axum::serve(conn::CuttableListener(listener), router).with_graceful_shutdown(async {
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
