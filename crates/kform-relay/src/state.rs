//! What every request handler shares: connections and their kintone clients, forms, synced field
//! settings, the store, keys, limits and metrics.
//!
//! Connections and forms come from `kform.toml` (read-only) and from the admin API (kept in the
//! store). Field settings are synced from kintone on first use, on an interval and on demand;
//! each sync lints the forms on that app and raises a drift alert when one no longer fits.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use kform_core::{AppFields, AppId, FormId, lint};
use kform_kintone::{Auth, Client, KintoneError, Observer, Options, Password};
use serde::Serialize;

use crate::clock::{Clock, SystemClock, UnixMillis};
use crate::config::{
    Config, ConnectionFile, ConnectionSettings, Delivery, FormSettings, Limits, SecretRef,
    SpamSettings,
};
use crate::delivery::{Acceptor, Engine};
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::outbox::Outbox;
use crate::secret::Secret;
use crate::signing::Signer;
use crate::store::{Layout, Opened, Settings, StoreError, StoreInfo, Table};
use crate::widget::Widget;

/// Where a form or a connection is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// In `kform.toml`: read-only through the admin API.
    Config,
    /// Made through the admin API and kept in the data directory.
    Admin,
}

/// A kintone connection with a client per app.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) name: String,
    pub(crate) settings: ConnectionSettings,
    pub(crate) source: Source,
    by_app: BTreeMap<AppId, Client>,
    password: Option<Client>,
}

impl Connection {
    fn build(
        name: &str,
        settings: ConnectionSettings,
        source: Source,
        metrics: &Metrics,
    ) -> Result<Self, KintoneError> {
        let observer = {
            let metrics = metrics.clone();
            Observer::new(move |call| {
                metrics.kintone(call.method, call.api, call.status, call.elapsed)
            })
        };
        let options = || Options {
            basic_auth: settings
                .basic_auth
                .as_ref()
                .map(|(login, password)| (login.clone(), Password::new(password.expose()))),
            proxy: settings.proxy.clone(),
            observer: Some(observer.clone()),
        };
        let client =
            |auth| Client::with_options(&settings.base_url, settings.guest_space, auth, options());
        let mut by_app = BTreeMap::new();
        for (app, tokens) in &settings.tokens {
            let tokens = tokens.iter().map(|token| kform_kintone::ApiToken::new(token.expose()));
            by_app.insert(*app, client(Auth::ApiTokens(tokens.collect()))?);
        }
        let password = match &settings.password {
            Some((login, password)) => Some(client(Auth::Password {
                login: login.clone(),
                password: Password::new(password.expose()),
            })?),
            None => None,
        };
        Ok(Self { name: name.to_owned(), settings, source, by_app, password })
    }

    /// The client for records of `app`: its API tokens, else the password.
    pub(crate) fn client(&self, app: AppId) -> Result<&Client, ConnectionError> {
        self.by_app.get(&app).or(self.password.as_ref()).ok_or_else(|| self.no_credentials(app))
    }

    /// The client for syncing `app`'s fields: the password (app administration rights) first.
    pub(crate) fn admin_client(&self, app: AppId) -> Result<&Client, ConnectionError> {
        self.password
            .as_ref()
            .or_else(|| self.by_app.get(&app))
            .ok_or_else(|| self.no_credentials(app))
    }

    fn no_credentials(&self, app: AppId) -> ConnectionError {
        ConnectionError::NoCredentials { connection: self.name.clone(), app }
    }

    /// Whether kintone answers (see `Client::ping`); the status it gave.
    pub(crate) async fn ping(&self) -> Result<u16, KintoneError> {
        let client = self.password.as_ref().or_else(|| self.by_app.values().next());
        match client {
            Some(client) => client.ping().await,
            // Unreachable: a connection always has a token or a password.
            None => Ok(0),
        }
    }

    /// The apps it has tokens for.
    pub(crate) fn token_apps(&self) -> impl Iterator<Item = AppId> + '_ {
        self.by_app.keys().copied()
    }

    /// What the admin API shows: never a secret.
    pub(crate) fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "source": self.source,
            "base_url": redact_userinfo(&self.settings.base_url),
            "guest_space": self.settings.guest_space,
            "apps_with_tokens": self.by_app.keys().map(|app| app.0).collect::<Vec<_>>(),
            "login": self.settings.password.as_ref().map(|(login, _)| login),
            "basic_auth": self.settings.basic_auth.is_some(),
            "proxy": self.settings.proxy.as_deref().map(redact_userinfo),
        })
    }
}

/// `url` with any user and password replaced by `***` (`http://***@proxy:3128`): answers never
/// show a secret, even one written into an address.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let prefix = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{prefix}***@{host}{path}"),
        None => url.to_owned(),
    }
}

/// A form with the relay's settings for it.
#[derive(Clone, Debug)]
pub(crate) struct FormEntry {
    pub(crate) settings: FormSettings,
    pub(crate) source: Source,
}

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory or its database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A connection's client could not be built.
    #[error("connection {name}: {source}")]
    Connection {
        /// The connection.
        name: String,
        /// Why.
        source: Box<KintoneError>,
    },
    /// The widget bundle could not be read.
    #[error("the widget bundle: {0}")]
    Widget(#[from] std::io::Error),
}

/// Why a connection, or an app's fields through it, could not be had. The HTTP edge
/// (`error.rs`) decides what each shows; the delivery engine decides what each means for a batch.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectionError {
    /// No connection has this name.
    #[error("there is no connection {0:?}")]
    Unknown(String),
    /// The connection has neither an API token for the app nor a password.
    #[error("connection {connection:?} has no API token for app {app} and no password")]
    NoCredentials {
        /// The connection.
        connection: String,
        /// The app.
        app: AppId,
    },
    /// The connection's settings do not resolve (a missing environment variable, say).
    #[error(transparent)]
    Settings(crate::config::ConfigError),
    /// A client could not be built from the settings.
    #[error("{0}")]
    Client(KintoneError),
    /// kintone failed or refused.
    #[error("{0}")]
    Kintone(#[from] KintoneError),
    /// The data directory failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A sync finished but its fields were not kept (a concurrent change removed them).
    #[error("the synced fields were not kept")]
    SyncLost,
}

impl From<serde_json::Error> for ConnectionError {
    fn from(err: serde_json::Error) -> Self {
        Self::Store(err.into())
    }
}

/// Shared state of the relay.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// Where the relay keeps its state and its layout (reach what it keeps through `settings`
    /// and `outbox`).
    pub(crate) store: StoreInfo,
    /// Settings, synced fields, alerts and the signing key.
    settings: Settings,
    /// The submissions: reached only through [`AppState::outbox`].
    outbox: Arc<dyn Outbox>,
    pub(crate) signer: Signer,
    pub(crate) metrics: Metrics,
    pub(crate) admin_keys: Vec<Secret>,
    pub(crate) integration_keys: Vec<Secret>,
    pub(crate) editor_origins: Vec<String>,
    pub(crate) admin_may_allow_any_host: bool,
    /// Seals the secrets of admin-made connections in the database, when `data_key` is set.
    pub(crate) data_key: Option<crate::sealed::DataKey>,
    /// When kintone's refusal of records last made the relay sync each app (by the relay's clock).
    pub(crate) refusal_syncs: Mutex<HashMap<(String, AppId), UnixMillis>>,
    pub(crate) limits: Limits,
    pub(crate) spam: SpamSettings,
    pub(crate) widget: Option<Widget>,
    /// Each version of a form's markup and descriptor, compressed once at brotli's best quality.
    pub(crate) precompressed: Arc<crate::precompressed::Precompressed>,
    pub(crate) pages_dir: Option<PathBuf>,
    pub(crate) sync_interval: Option<Duration>,
    pub(crate) rate_limit: crate::guard::RateLimit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) delivery: Delivery,
    pub(crate) engine: Engine,
    pub(crate) acceptor: Acceptor,
    pub(crate) notifier: Notifier,
    /// `[mail]`: auto-replies and team notices (none: forms send no mail).
    pub(crate) mail: Option<Arc<crate::mail::MailSettings>>,
    /// Woken when a mail is queued, so it goes at once.
    pub(crate) mail_wake: Arc<tokio::sync::Notify>,
    background: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    connections: RwLock<BTreeMap<String, Arc<Connection>>>,
    forms: RwLock<BTreeMap<FormId, Arc<FormEntry>>>,
    fields: Mutex<HashMap<(String, AppId), Arc<AppFields>>>,
    /// The JSON last read of each stored form and connection ("forms/id"), so a refresh reads
    /// again only what another relay changed.
    stored_seen: Mutex<HashMap<String, String>>,
    /// When a request for an unknown form last made the relay read the stored forms again.
    miss_refresh: Mutex<Option<UnixMillis>>,
}

/// What a sync found.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SyncReport {
    pub(crate) connection: String,
    pub(crate) app: u64,
    pub(crate) revision: String,
    /// Whether the revision differs from the one synced before.
    pub(crate) changed: bool,
    /// Forms on this app that no longer fit it, with their lint problems.
    pub(crate) drift: BTreeMap<String, Vec<kform_core::LintIssue>>,
}

impl AppState {
    /// Now, in whole Unix seconds (the unit of editor tokens' expiry), from the relay's one clock.
    pub(crate) fn now_seconds(&self) -> i64 {
        self.inner.clock.now().seconds()
    }

    /// When a token that lasts `seconds` from now stops working, in whole Unix seconds rounded
    /// up: it works at least that long (rounded down, a token minted late in a second lost up
    /// to a second of its life).
    pub(crate) fn seconds_from_now(&self, seconds: i64) -> i64 {
        let end = self.inner.clock.now().plus(seconds.saturating_mul(UnixMillis::SECOND));
        end.millis().div_euclid(UnixMillis::SECOND)
            + i64::from(end.millis().rem_euclid(UnixMillis::SECOND) != 0)
    }

    /// Why embedded forms cannot load, when the relay has no widget to serve, or why some stay
    /// in their basic mode, when its bundle lacks a build of the `.wasm` a form's markup may
    /// name (a bundle copied in part, or from an older build).
    #[must_use]
    pub fn widget_warning(&self) -> Option<String> {
        let Some(widget) = &self.inner.widget else {
            return Some(
                "widget: no widget is built in and widget_dir is not set, so /widget/kform.js \
                 answers 404 and embedded forms cannot load (hosted pages /f/… still work); \
                 build the relay with `cargo xtask dist`, or set widget_dir"
                    .to_owned(),
            );
        };
        let missing: Vec<&str> = kform_view::markup::WidgetBuild::ALL
            .iter()
            .map(|build| build.file())
            .filter(|file| !widget.files.contains_key(*file))
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "widget: the bundle lacks {}, so the forms that need it stay in their basic \
                 mode (no live checks); build the whole bundle with `cargo xtask build-widget`",
                missing.join(", ")
            )
        })
    }

    /// That another running relay holds this data directory (both would deliver its outbox).
    #[must_use]
    pub fn data_dir_warning(&self) -> Option<String> {
        self.inner.store.in_use_elsewhere.then(|| {
            "data_dir: another kform relay is using this data directory; both would deliver its \
             submissions, so stop the other or give each its own"
                .to_owned()
        })
    }

    /// Opens the data directory and builds every connection and form of `config`. Call it
    /// inside a Tokio runtime: it starts the outbox's writer (not the delivery engine).
    pub fn open(config: &Config) -> Result<Self, StartError> {
        Self::open_with_clock(config, Arc::new(SystemClock))
    }

    /// [`AppState::open`] with a clock tests can move.
    pub fn open_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        Self::build(config, clock, Layout::Migrate)
    }

    /// The state for a command that only looks or acts beside a running relay (`kform
    /// check-config`, `kform history`, …): an older database layout is left as found, for the
    /// relay that may still be using it.
    pub(crate) fn open_as_found(config: &Config) -> Result<Self, StartError> {
        Self::build(config, Arc::new(SystemClock), Layout::AsFound)
    }

    fn build(config: &Config, clock: Arc<dyn Clock>, layout: Layout) -> Result<Self, StartError> {
        let opened = Opened::open(config, clock.clone(), layout)?;
        let outbox = opened.outbox;
        let settings = Settings::new(opened.settings);
        let store = opened.info;
        let wake = Arc::new(tokio::sync::Notify::new());
        let acceptor = Acceptor::spawn(outbox.clone(), clock.clone(), wake.clone());
        let signer = Signer::new(settings.signing_key()?);
        let widget = match &config.widget_dir {
            Some(dir) => Some(Widget::from_dir(dir)?),
            None => Widget::built_in(),
        };
        let inner = Inner {
            store,
            settings,
            outbox,
            signer,
            metrics: Metrics::default(),
            admin_keys: config.admin_keys.clone(),
            integration_keys: config.integration_keys.clone(),
            editor_origins: config.editor_origins.clone(),
            admin_may_allow_any_host: config.admin_may_allow_any_host,
            data_key: config.data_key.as_ref().map(crate::sealed::DataKey::new),
            refusal_syncs: Mutex::default(),
            limits: config.limits.clone(),
            spam: config.spam.clone(),
            widget,
            precompressed: Arc::default(),
            pages_dir: config.pages_dir.clone(),
            sync_interval: config.sync_interval,
            rate_limit: crate::guard::rate_limit(
                config.limits.per_ip_per_minute,
                config.limits.per_ip_burst,
                config.limits.trusted_proxy_hops,
            ),
            clock,
            delivery: config.delivery.clone(),
            engine: Engine::new(wake),
            acceptor,
            notifier: Notifier::new(config.notify.clone()),
            mail: config.mail.clone().map(Arc::new),
            mail_wake: Arc::default(),
            background: Mutex::default(),
            connections: RwLock::default(),
            forms: RwLock::default(),
            fields: Mutex::default(),
            stored_seen: Mutex::default(),
            miss_refresh: Mutex::default(),
        };
        let state = Self { inner: Arc::new(inner) };
        for (name, settings) in &config.connections {
            let connection =
                Connection::build(name, settings.clone(), Source::Config, &state.inner.metrics)
                    .map_err(|source| StartError::Connection {
                        name: name.clone(),
                        source: Box::new(source),
                    })?;
            state.put_connection(connection);
        }
        for settings in &config.forms {
            state.put_form(FormEntry { settings: settings.clone(), source: Source::Config });
        }
        Ok(state)
    }

    /// A connection made through the admin API, from its stored settings with the secrets
    /// opened; why not when its settings no longer resolve or build.
    fn admin_connection(&self, name: &str, file: &ConnectionFile) -> Result<Connection, String> {
        let env = |name: &str| std::env::var(name).ok();
        let settings = file.resolve(&env).map_err(|err| err.to_string())?;
        Connection::build(name, settings, Source::Admin, &self.inner.metrics)
            .map_err(|err| err.to_string())
    }

    /// Also reads the connections and forms made through the admin API (call once at start).
    pub async fn load_stored(&self) -> Result<(), StoreError> {
        for (name, json) in self.settings().list_settings(Table::Connections).await? {
            if self.connection(&name).is_some() {
                tracing::warn!(connection = %name, "a stored connection has the name of one in kform.toml; kform.toml wins");
                continue;
            }
            let stored: ConnectionFile = serde_json::from_str(&json)?;
            let file = match self.unseal(stored.clone()) {
                Ok(file) => file,
                Err(reason) => {
                    tracing::error!(connection = %name, %reason, "a stored connection cannot be used");
                    continue;
                }
            };
            // Secrets stored before a data_key was set are sealed now.
            let mut stored = stored;
            let unsealed = stored.secrets_mut().into_iter().any(|(_, secret)| {
                matches!(secret, SecretRef::Value(value) if !crate::sealed::is_sealed(value))
            });
            if self.inner.data_key.is_some() && unsealed {
                let sealed = self.sealed_json(&file)?;
                self.settings().put_settings(Table::Connections, name.clone(), sealed).await?;
                tracing::info!(connection = %name, "sealed the stored connection's secrets with data_key");
            }
            match self.admin_connection(&name, &file) {
                Ok(connection) => {
                    self.seen_stored("connections", &name, &json);
                    self.put_connection(connection);
                }
                Err(reason) => {
                    tracing::error!(connection = %name, %reason, "a stored connection cannot be used")
                }
            }
        }
        for (id, json) in self.settings().list_settings(Table::Forms).await? {
            if self.form(&FormId(id.clone())).is_some() {
                tracing::warn!(form = %id, "a stored form has the id of one in kform.toml; kform.toml wins");
                continue;
            }
            let settings: FormSettings = serde_json::from_str(&json)?;
            self.seen_stored("forms", &id, &json);
            self.put_form(FormEntry { settings, source: Source::Admin });
        }
        Ok(())
    }

    /// Brings the forms and connections made through the admin API in line with the store:
    /// relays sharing a database see what another relay created, changed or deleted. A stored
    /// value is read again only when its JSON changed; kform.toml's entries are never touched.
    pub(crate) async fn refresh_stored(&self) -> Result<(), StoreError> {
        let forms: HashMap<String, String> =
            self.settings().list_settings(Table::Forms).await?.into_iter().collect();
        for entry in self.forms() {
            let id = &entry.settings.spec.id;
            if entry.source == Source::Admin && !forms.contains_key(&id.0) {
                self.remove_form(id);
            }
        }
        for (id, json) in forms {
            let known = self.form(&FormId(id.clone()));
            if known.as_ref().is_some_and(|entry| entry.source == Source::Config)
                || self.seen_stored("forms", &id, &json)
            {
                continue;
            }
            match serde_json::from_str::<FormSettings>(&json) {
                Ok(settings) => self.put_form(FormEntry { settings, source: Source::Admin }),
                Err(err) => {
                    tracing::error!(form = %id, error = %err, "a stored form cannot be read")
                }
            }
        }
        let connections: HashMap<String, String> =
            self.settings().list_settings(Table::Connections).await?.into_iter().collect();
        let gone: Vec<String> = self
            .connections()
            .iter()
            .filter(|c| c.source == Source::Admin && !connections.contains_key(&c.name))
            .map(|c| c.name.clone())
            .collect();
        for name in gone {
            self.remove_connection(&name);
        }
        for (name, json) in connections {
            let known = self.connection(&name);
            if known.as_ref().is_some_and(|c| c.source == Source::Config)
                || self.seen_stored("connections", &name, &json)
            {
                continue;
            }
            let built = serde_json::from_str::<ConnectionFile>(&json)
                .map_err(|err| err.to_string())
                .and_then(|stored| self.unseal(stored))
                .and_then(|file| self.admin_connection(&name, &file));
            match built {
                Ok(connection) => self.put_connection(connection),
                Err(reason) => {
                    tracing::error!(connection = %name, %reason, "a stored connection cannot be used");
                }
            }
        }
        Ok(())
    }

    /// The form `id`, for a visitor's request. On relays sharing a database, a form this relay
    /// does not know may have just been saved through another: the store is read again first,
    /// at most once a second (a flood of unknown ids costs the database nothing more).
    pub(crate) async fn find_form(&self, id: &FormId) -> Option<Arc<FormEntry>> {
        if let Some(entry) = self.form(id) {
            return Some(entry);
        }
        if !self.inner.store.shared {
            return None;
        }
        let now = self.inner.clock.now();
        {
            let mut last = self.inner.miss_refresh.lock().unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| now.since(at) < 1_000) {
                return None;
            }
            *last = Some(now);
        }
        if let Err(err) = self.refresh_stored().await {
            tracing::warn!(error = %err, "the stored forms could not be read again");
        }
        self.form(id)
    }

    /// Whether `json` is what was last read for `key` of `table`; remembers it either way.
    fn seen_stored(&self, table: &str, key: &str, json: &str) -> bool {
        let mut seen = self.inner.stored_seen.lock().unwrap_or_else(PoisonError::into_inner);
        let key = format!("{table}/{key}");
        if seen.get(&key).is_some_and(|last| last == json) {
            return true;
        }
        seen.insert(key, json.to_owned());
        false
    }

    /// Refreshes the stored forms and connections every second while the relay shares its
    /// database with others; `None` for a data directory, which no other relay writes.
    pub(crate) fn spawn_refresh(&self) -> Option<tokio::task::JoinHandle<()>> {
        if !self.inner.store.shared {
            return None;
        }
        let state = self.clone();
        Some(tokio::spawn(async move {
            let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                ticker.tick().await;
                if let Err(err) = state.refresh_stored().await {
                    tracing::warn!(error = %err, "the stored forms and connections could not be refreshed");
                }
            }
        }))
    }

    /// A stored connection with its sealed secrets opened.
    fn unseal(&self, mut file: ConnectionFile) -> Result<ConnectionFile, String> {
        for (key, secret) in file.secrets_mut() {
            if let SecretRef::Value(value) = secret {
                *value = crate::sealed::open(self.inner.data_key.as_ref(), value)
                    .map_err(|err| format!("{key}: {err}"))?;
            }
        }
        Ok(file)
    }

    /// A connection as the database keeps it: its secrets sealed when `data_key` is set.
    pub(crate) fn sealed_json(&self, file: &ConnectionFile) -> Result<String, StoreError> {
        let mut file = file.clone();
        if let Some(key) = &self.inner.data_key {
            for (_, secret) in file.secrets_mut() {
                if let SecretRef::Value(value) = secret {
                    *value = key.seal(value).map_err(|err| StoreError::Sealing(err.to_string()))?;
                }
            }
        }
        serde_json::to_string(&file).map_err(StoreError::from)
    }

    /// Where the relay keeps its state, as the logs name it (never a database password).
    #[must_use]
    pub fn store_place(&self) -> &str {
        &self.inner.store.place
    }

    pub(crate) fn store(&self) -> &StoreInfo {
        &self.inner.store
    }

    /// Settings, synced fields, alerts and the signing key: the one way to reach them.
    pub(crate) fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Runs `f` against the outbox on a blocking thread: the one way the delivery engine, the
    /// intake and the admin routes reach the submissions.
    pub(crate) async fn outbox<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Outbox) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        crate::store::blocking(self.inner.outbox.clone(), f).await
    }

    /// The captcha service a form asks its visitors to pass: set on the form (`captcha = true`)
    /// and configured for the relay (`[spam.captcha]`). The one rule for its descriptor, its
    /// markup and every way it is sent.
    pub(crate) fn captcha_for(&self, entry: &FormEntry) -> Option<&crate::config::Captcha> {
        self.inner.spam.captcha.as_ref().filter(|_| entry.settings.captcha)
    }

    /// The most bytes of files one submission may attach: the multipart body limit less room
    /// for the submission's JSON part and the part headers.
    pub(crate) fn upload_limit_bytes(&self) -> u64 {
        let limits = &self.inner.limits;
        u64::try_from(limits.file_body_bytes.saturating_sub(limits.json_body_bytes))
            .unwrap_or(u64::MAX)
    }

    pub(crate) fn form(&self, id: &FormId) -> Option<Arc<FormEntry>> {
        self.inner.forms.read().unwrap_or_else(PoisonError::into_inner).get(id).cloned()
    }

    pub(crate) fn forms(&self) -> Vec<Arc<FormEntry>> {
        self.inner.forms.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    pub(crate) fn put_form(&self, entry: FormEntry) {
        let id = entry.settings.spec.id.clone();
        self.inner
            .forms
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::new(entry));
    }

    pub(crate) fn remove_form(&self, id: &FormId) {
        self.inner.forms.write().unwrap_or_else(PoisonError::into_inner).remove(id);
    }

    pub(crate) fn connection(&self, name: &str) -> Option<Arc<Connection>> {
        self.inner.connections.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }

    pub(crate) fn connections(&self) -> Vec<Arc<Connection>> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    fn put_connection(&self, connection: Connection) {
        let name = connection.name.clone();
        self.inner
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, Arc::new(connection));
        // Field settings read through an old client are kept: they are kintone's, not the client's.
    }

    /// Builds and keeps an admin-made connection.
    pub(crate) fn add_connection(
        &self,
        name: &str,
        file: &ConnectionFile,
    ) -> Result<(), ConnectionError> {
        let settings =
            file.resolve(&|name| std::env::var(name).ok()).map_err(ConnectionError::Settings)?;
        let connection = Connection::build(name, settings, Source::Admin, &self.inner.metrics)
            .map_err(ConnectionError::Client)?;
        self.put_connection(connection);
        Ok(())
    }

    pub(crate) fn remove_connection(&self, name: &str) {
        self.inner.connections.write().unwrap_or_else(PoisonError::into_inner).remove(name);
    }

    /// The connection named `name`, or why there is none.
    pub(crate) fn existing_connection(
        &self,
        name: &str,
    ) -> Result<Arc<Connection>, ConnectionError> {
        self.connection(name).ok_or_else(|| ConnectionError::Unknown(name.to_owned()))
    }

    /// The app's field settings: kept in memory, else the last sync stored, else a sync now.
    pub(crate) async fn fields(
        &self,
        connection: &str,
        app: AppId,
    ) -> Result<Arc<AppFields>, ConnectionError> {
        let key = (connection.to_owned(), app);
        if let Some(fields) = self.known_fields(connection, app).await? {
            return Ok(fields);
        }
        self.sync(connection, app).await?;
        self.lock_fields().get(&key).cloned().ok_or(ConnectionError::SyncLost)
    }

    /// The app's field settings kept in memory or by the last sync stored, without asking
    /// kintone; `None` when the app was never synced.
    async fn known_fields(
        &self,
        connection: &str,
        app: AppId,
    ) -> Result<Option<Arc<AppFields>>, ConnectionError> {
        let key = (connection.to_owned(), app);
        if let Some(fields) = self.lock_fields().get(&key).cloned() {
            return Ok(Some(fields));
        }
        let Some((json, _)) = self.settings().app_fields(connection.to_owned(), app.0).await?
        else {
            return Ok(None);
        };
        let fields: AppFields = serde_json::from_str(&json)?;
        let fields = Arc::new(fields);
        self.lock_fields().insert(key, fields.clone());
        Ok(Some(fields))
    }

    /// The app's field settings as the data directory last stored them, when they are another
    /// revision than the ones in memory: another process (`kform replay`) synced the app since.
    /// The new ones replace those in memory.
    pub(crate) async fn newer_stored_fields(
        &self,
        connection: &str,
        app: AppId,
    ) -> Option<Arc<AppFields>> {
        let (json, _) = self.settings().app_fields(connection.to_owned(), app.0).await.ok()??;
        let stored: AppFields = serde_json::from_str(&json).ok()?;
        let key = (connection.to_owned(), app);
        let mut fields = self.lock_fields();
        if fields.get(&key).is_some_and(|known| known.revision == stored.revision) {
            return None;
        }
        let stored = Arc::new(stored);
        fields.insert(key, stored.clone());
        Some(stored)
    }

    /// Lints a form against its app's fields and keeps its drift alert in step: cleared when the
    /// form has no error, raised (and told, once per fields revision) when it has. Returns the
    /// problems.
    pub(crate) async fn check_drift(
        &self,
        settings: &FormSettings,
        fields: &AppFields,
    ) -> Result<Vec<kform_core::LintIssue>, StoreError> {
        let issues = lint(fields, &settings.spec);
        let form = settings.spec.id.0.clone();
        // Warnings are for the form's author, not an alert.
        if !kform_core::has_errors(&issues) {
            self.settings().clear_alerts(form.clone()).await?;
            self.resume_after_drift(&form).await?;
            return Ok(issues);
        }
        let json = serde_json::to_value(&issues).unwrap_or_default();
        let lines: Vec<String> =
            issues.iter().map(|issue| issue.line(settings.spec.default_lang)).collect();
        let queued = self.inner.notifier.drift(&form, &lines.join("; "));
        if self.settings().raise_alert(form.clone(), fields.revision.clone(), json, queued).await? {
            tracing::warn!(form = %form, revision = %fields.revision, problems = issues.len(),
                "the app's fields changed and the form no longer fits them (drift alert)");
        }
        Ok(issues)
    }

    /// Resumes `form` when it was paused because it did not fit its app (it fits now); a pause
    /// for another reason (credentials, say) stays.
    async fn resume_after_drift(&self, form: &str) -> Result<(), StoreError> {
        let paused = self.outbox(|outbox| outbox.paused()).await?;
        let drifted = paused.iter().any(|paused| {
            paused.form == form && paused.reason.starts_with(crate::delivery::DRIFT_PAUSE)
        });
        if drifted {
            self.resume(form).await?;
        }
        Ok(())
    }

    /// Checks every form's drift alert against the fields last synced (at start, so a form fixed
    /// while the relay was down loses its alert); kintone is not asked.
    pub(crate) async fn recheck_alerts(&self) -> Result<(), ConnectionError> {
        for entry in self.forms() {
            let settings = &entry.settings;
            if let Some(fields) = self.known_fields(&settings.connection, settings.spec.app).await?
            {
                self.check_drift(settings, &fields).await?;
            }
        }
        Ok(())
    }

    fn lock_fields(&self) -> std::sync::MutexGuard<'_, HashMap<(String, AppId), Arc<AppFields>>> {
        self.inner.fields.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the app's field settings (and the order its form shows them in) from kintone, keeps
    /// them, and lints every form on the app.
    pub(crate) async fn sync(
        &self,
        connection: &str,
        app: AppId,
    ) -> Result<SyncReport, ConnectionError> {
        let conn = self.existing_connection(connection)?;
        let client = conn.admin_client(app)?;
        // The two calls count towards the domain's cap, like a batch's.
        let domain = conn.settings.base_url.clone();
        let fetched = crate::delivery::within_cap(self, domain, async {
            let mut fetched = client.form_fields(app).await?;
            // The layout only orders the fields for editors; without it they are listed by code.
            match client.form_layout(app).await {
                Ok(layout) => fetched.set_layout_order(&layout),
                Err(err) => {
                    tracing::debug!(%err, app = app.0, "no form layout; fields listed by code")
                }
            }
            Ok::<_, ConnectionError>(fetched)
        })
        .await?;
        let key = (connection.to_owned(), app);
        let before = self.lock_fields().get(&key).map(|fields| fields.revision.clone());
        let json = serde_json::to_string(&fetched)?;
        self.settings()
            .put_app_fields(connection.to_owned(), app.0, fetched.revision.clone(), json)
            .await?;
        let fetched = Arc::new(fetched);
        self.lock_fields().insert(key, fetched.clone());
        let mut drift = BTreeMap::new();
        for entry in self.forms() {
            let settings = &entry.settings;
            if settings.connection != connection || settings.spec.app != app {
                continue;
            }
            let issues = self.check_drift(settings, &fetched).await?;
            if kform_core::has_errors(&issues) {
                drift.insert(settings.spec.id.0.clone(), issues);
            }
        }
        Ok(SyncReport {
            connection: connection.to_owned(),
            app: app.0,
            changed: before.as_ref() != Some(&fetched.revision),
            revision: fetched.revision.clone(),
            drift,
        })
    }

    /// Delivers a paused form again; whether it was paused.
    pub(crate) async fn resume(&self, form: &str) -> Result<bool, StoreError> {
        let owned = form.to_owned();
        let resumed = self.outbox(move |outbox| outbox.resume(&owned)).await?;
        if resumed {
            tracing::info!(%form, "delivery resumed");
            self.inner.engine.wake.notify_one();
        }
        Ok(resumed)
    }

    /// Starts the delivery engine, failure digests and the retention sweep; resumes every
    /// paused form first, since a restart usually follows a configuration fix.
    pub async fn start_delivery(&self) -> Result<(), StoreError> {
        let paused = self.outbox(|outbox| outbox.paused()).await?;
        for paused in paused {
            self.resume(&paused.form).await?;
        }
        self.inner.engine.start(self.clone());
        if let Some(task) = crate::mail::spawn(self.clone()) {
            self.inner.background.lock().unwrap_or_else(PoisonError::into_inner).push(task);
        }
        if let Some(task) = self.inner.notifier.spawn(self.clone()) {
            self.inner.background.lock().unwrap_or_else(PoisonError::into_inner).push(task);
        }
        let state = self.clone();
        let retention = tokio::spawn(async move {
            let days =
                i64::try_from(state.inner.delivery.retention_days).unwrap_or(i64::MAX / 86_400_000);
            let mut ticker = tokio::time::interval(Duration::from_secs(3600));
            loop {
                ticker.tick().await;
                let before = state.inner.clock.now().plus(-days.saturating_mul(UnixMillis::DAY));
                match state.outbox(move |outbox| outbox.forget(before)).await {
                    Ok(0) => {}
                    Ok(removed) => {
                        tracing::info!(removed, "forgot settled submissions past their retention")
                    }
                    Err(err) => tracing::warn!(error = %err, "the retention sweep failed"),
                }
            }
        });
        self.inner.background.lock().unwrap_or_else(PoisonError::into_inner).push(retention);
        Ok(())
    }

    /// Stops the delivery engine, letting kintone calls in flight finish, and the background
    /// tasks.
    pub async fn stop_delivery(&self) {
        self.inner.engine.stop().await;
        for task in self.inner.background.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            task.abort();
        }
    }

    /// The apps of a connection (those it has tokens for and those forms use), each with the
    /// ids of the forms on it.
    pub(crate) fn apps_of(&self, connection: &Connection) -> BTreeMap<AppId, Vec<String>> {
        let mut apps: BTreeMap<AppId, Vec<String>> =
            connection.token_apps().map(|app| (app, Vec::new())).collect();
        for entry in self.forms() {
            if entry.settings.connection == connection.name {
                apps.entry(entry.settings.spec.app)
                    .or_default()
                    .push(entry.settings.spec.id.0.clone());
            }
        }
        apps
    }

    /// Syncs every app a form uses (the interval sync); failures are logged.
    pub async fn sync_all(&self) {
        let mut apps: Vec<(String, AppId)> = self
            .forms()
            .iter()
            .map(|entry| (entry.settings.connection.clone(), entry.settings.spec.app))
            .collect();
        apps.sort();
        apps.dedup();
        for (connection, app) in apps {
            if let Err(err) = self.sync(&connection, app).await {
                tracing::warn!(%connection, %app, error = %err, "syncing the app's fields failed");
            }
        }
    }

    /// Syncs on the configured interval until the returned task is aborted.
    pub fn spawn_sync(&self) -> Option<tokio::task::JoinHandle<()>> {
        let interval = self.inner.sync_interval?;
        let state = self.clone();
        Some(tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                state.sync_all().await;
            }
        }))
    }
}
