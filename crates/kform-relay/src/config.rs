//! `kform.toml`: the relay's configuration, read strictly, with every problem named by its key.
//!
//! Every secret (API tokens, passwords, admin and integration keys, the captcha secret) is either
//! a string or `{ env = "NAME" }`, read from the environment at start. Reading happens in two
//! steps: serde reads the file's shape ([`File`]), then [`File::resolve`] checks values, reads
//! environment variables and form files, and collects every problem before failing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kform_core::{AppId, FormSpec};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

pub use crate::mail::{FormMail, MailSettings};

/// The kintone domains the relay talks to without `allow_any_host`.
pub const KINTONE_DOMAINS: [&str; 4] =
    [".cybozu.com", ".kintone.com", ".cybozu.cn", ".s.cybozu.com"];

/// A secret as written in the file: the value itself, or the environment variable holding it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a string, or { env = \"NAME\" } to read it from the environment")]
pub enum SecretRef {
    /// Read from this environment variable at start.
    Env {
        /// The variable's name.
        env: String,
    },
    /// Written in the file itself.
    Value(String),
}

/// `kform.toml` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The address to listen on, e.g. `0.0.0.0:8080`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where the relay keeps its state (submissions, forms made through the admin API, keys)
    /// in SQLite; needed unless `database_url` is set.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL database shared by several relays (`postgres://user:password@host/db`),
    /// best from the environment; it replaces `data_dir`.
    #[serde(default)]
    pub database_url: Option<SecretRef>,
    /// The CA certificate (PEM) the database server's certificate must chain to; with it the
    /// server is verified, without it a TLS connection is encrypted but not verified.
    #[serde(default)]
    pub database_ca_file: Option<PathBuf>,
    /// A folder with the widget bundle; without it the bundle built into the binary is served.
    #[serde(default)]
    pub widget_dir: Option<PathBuf>,
    /// `text` (default) or `json` log lines on standard error.
    #[serde(default)]
    pub log_format: LogFormat,
    /// Keys for the admin API (`Authorization: Bearer …`).
    #[serde(default)]
    pub admin_keys: Vec<SecretRef>,
    /// The key sealing the secrets of connections made through the admin API in the database
    /// (at least 32 characters, best from the environment). Without it they are stored as
    /// written.
    #[serde(default)]
    pub data_key: Option<SecretRef>,
    /// Keys for the integration API.
    #[serde(default)]
    pub integration_keys: Vec<SecretRef>,
    /// Origins of CMS admin screens that embed the kform editor (exact, like
    /// `https://cms.example.com`): the admin API answers their browsers' requests (CORS).
    #[serde(default)]
    pub editor_origins: Vec<String>,
    /// Lets the admin API create connections with `allow_any_host` (to a host outside kintone's
    /// domains); off by default, so an admin key alone cannot send credentials anywhere.
    #[serde(default)]
    pub admin_may_allow_any_host: bool,
    /// How often every app a form uses is synced from kintone, in seconds (0: never).
    #[serde(default = "default_sync_seconds")]
    pub sync_interval_seconds: u64,
    /// Body sizes and rate limits.
    #[serde(default)]
    pub limits: Limits,
    /// Spam protection.
    #[serde(default)]
    pub spam: Spam,
    /// How submissions are delivered to kintone.
    #[serde(default)]
    pub delivery: Delivery,
    /// Who hears about failed deliveries, and how.
    #[serde(default)]
    pub notify: Option<NotifyFile>,
    /// Mail about submissions: auto-replies and team notices.
    #[serde(default)]
    pub mail: Option<MailFile>,
    /// The kintone domains, by a name forms refer to.
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionFile>,
    /// Forms defined by files (read-only through the admin API).
    #[serde(default)]
    pub forms: Vec<FormFile>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_sync_seconds() -> u64 {
    600
}

/// The log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The most requests per minute (and the largest burst) the per-IP limit accepts: far above any
/// form's traffic from one address, and low enough that the limiter stays exact.
const MAX_PER_MINUTE: u32 = 1_000_000;

/// Body sizes and the per-IP rate limit.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The largest JSON body, in bytes.
    pub json_body_bytes: usize,
    /// The largest multipart body (with files) on the integration API, in bytes.
    pub file_body_bytes: usize,
    /// Requests each client IP may make per minute on the public API, on average.
    pub per_ip_per_minute: u32,
    /// Requests a client IP may make at once before the rate applies.
    pub per_ip_burst: u32,
    /// How many reverse proxies in front of the relay append to `X-Forwarded-For`; 0 (the
    /// default) ignores the header, so a client cannot forge its address.
    pub trusted_proxy_hops: usize,
    /// The most connections open at once; more wait until one closes.
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers before the connection is closed.
    pub header_timeout_seconds: u64,
    /// Seconds a request body may send nothing before it is cut off.
    pub body_timeout_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_body_bytes: 64 * 1024,
            file_body_bytes: 20 * 1024 * 1024,
            per_ip_per_minute: 60,
            per_ip_burst: 20,
            trusted_proxy_hops: 0,
            max_connections: 4096,
            header_timeout_seconds: 10,
            body_timeout_seconds: 30,
        }
    }
}

/// Spam protection for public submissions.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Spam {
    /// A submission sent sooner than this many seconds after the form was served is refused
    /// (0 turns the check off).
    pub min_fill_seconds: u64,
    /// A form served longer ago than this many seconds must be reloaded before sending.
    pub max_form_age_seconds: u64,
    /// The captcha service for forms with `captcha = true`.
    pub captcha: Option<CaptchaFile>,
}

impl Default for Spam {
    fn default() -> Self {
        Self { min_fill_seconds: 2, max_form_age_seconds: 24 * 3600, captcha: None }
    }
}

/// How the delivery engine works (`[delivery]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delivery {
    /// kintone calls at once per kintone domain (kintone allows 100 for everything together).
    pub concurrency: usize,
    /// How long a first try waits for more submissions to fill a batch, in milliseconds.
    pub linger_ms: u64,
    /// Records per `records.json` call (kintone's maximum is 100).
    pub max_batch: usize,
    /// The first retry waits up to this long (full jitter), doubling per try.
    pub retry_base_ms: u64,
    /// The longest wait between tries; retries go on for days.
    pub retry_cap_ms: u64,
    /// kintone's daily request limit per app (10,000 on the Standard course).
    pub daily_limit: i64,
    /// Requests per app and day left for other integrations.
    pub daily_reserve: i64,
    /// Delivered, tested, spam and discarded submissions are forgotten after this many days.
    pub retention_days: u64,
    /// How long a relay holds a batch it sends (and its call slot) without renewing, in
    /// milliseconds; it renews every third of it. When a relay sharing a database dies, another
    /// takes its batches over once this has passed.
    pub lease_ms: u64,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            concurrency: 4,
            linger_ms: 250,
            max_batch: 100,
            retry_base_ms: 1_000,
            retry_cap_ms: 10 * 60 * 1_000,
            daily_limit: 10_000,
            daily_reserve: 1_000,
            retention_days: 90,
            lease_ms: 30_000,
        }
    }
}

/// Failure notifications as written (`[notify]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyFile {
    /// How often a digest is sent, in seconds.
    #[serde(default = "default_digest_seconds")]
    pub digest_seconds: u64,
    /// The sender address, e.g. `kform <kform@example.com>`.
    #[serde(default)]
    pub from: Option<String>,
    /// Addresses that get every digest.
    #[serde(default)]
    pub admins: Vec<String>,
    /// A URL that receives each digest as a JSON POST.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// The mail server.
    #[serde(default)]
    pub smtp: Option<SmtpFile>,
}

fn default_digest_seconds() -> u64 {
    300
}

/// Mail about submissions as written (`[mail]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailFile {
    /// The sender of auto-replies and team notices, e.g. `Example <info@example.com>`.
    pub from: String,
    /// Senders a form's auto-reply may use instead: whole addresses, or domains.
    #[serde(default)]
    pub allowed_from: Vec<String>,
    /// The most auto-replies to one address per hour.
    #[serde(default = "default_per_recipient")]
    pub autoreply_per_recipient_per_hour: u32,
    /// The most auto-replies of one form per hour.
    #[serde(default = "default_per_form")]
    pub autoreply_per_form_per_hour: u32,
    /// The wait before a failed mail is tried again, in seconds; it doubles with each failure,
    /// up to an hour.
    #[serde(default = "default_mail_retry_seconds")]
    pub retry_seconds: u64,
    /// Failed tries after which a mail is given up and kept for an operator to send again
    /// (1 to 20).
    #[serde(default = "default_give_up_after_tries")]
    pub give_up_after_tries: u32,
    /// The mail server; `[notify.smtp]` when not set.
    #[serde(default)]
    pub smtp: Option<SmtpFile>,
}

fn default_mail_retry_seconds() -> u64 {
    60
}

fn default_give_up_after_tries() -> u32 {
    8
}

fn default_per_recipient() -> u32 {
    3
}

fn default_per_form() -> u32 {
    200
}

/// A mail server as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpFile {
    /// The host.
    pub host: String,
    /// The port (587 with STARTTLS by default).
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// Whether to require STARTTLS (turn off only for a local relay).
    #[serde(default = "default_true")]
    pub starttls: bool,
    /// The login, if the server needs one.
    #[serde(default)]
    pub login: Option<String>,
    /// The password.
    #[serde(default)]
    pub password: Option<SecretRef>,
}

fn default_smtp_port() -> u16 {
    587
}

fn default_true() -> bool {
    true
}

/// Failure notifications, checked.
#[derive(Clone, Debug)]
pub struct NotifySettings {
    /// How often a digest goes out, in milliseconds.
    pub digest_ms: u64,
    /// The sender.
    pub from: String,
    /// Addresses that get every digest.
    pub admins: Vec<String>,
    /// The webhook.
    pub webhook_url: Option<String>,
    /// The mail server.
    pub smtp: Option<Smtp>,
}

/// A mail server, checked.
#[derive(Clone, Debug)]
pub struct Smtp {
    /// The host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Whether STARTTLS is required.
    pub tls: bool,
    /// The login.
    pub login: Option<String>,
    /// The password.
    pub password: Option<Secret>,
}

/// A captcha service as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptchaFile {
    /// `turnstile` or `hcaptcha`.
    pub provider: CaptchaProvider,
    /// The public site key the widget shows.
    pub site_key: String,
    /// The secret key the relay verifies with.
    pub secret: SecretRef,
    /// The verify endpoint; the provider's own by default (tests point it at a local fake).
    #[serde(default)]
    pub verify_url: Option<String>,
}

/// A captcha provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptchaProvider {
    /// Cloudflare Turnstile.
    Turnstile,
    /// hCaptcha.
    Hcaptcha,
}

impl CaptchaProvider {
    /// The name in `kform.toml` and in the form schema.
    pub fn name(self) -> &'static str {
        match self {
            Self::Turnstile => "turnstile",
            Self::Hcaptcha => "hcaptcha",
        }
    }

    /// The provider named `name` (as in the form schema).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Turnstile, Self::Hcaptcha].into_iter().find(|provider| provider.name() == name)
    }

    /// What a page's Content-Security-Policy must allow for the provider's challenge, by
    /// directive: its script and frame (and hCaptcha's styles and requests), as the providers
    /// document them.
    pub fn page_sources(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Turnstile => &[
                ("script-src", "https://challenges.cloudflare.com"),
                ("frame-src", "https://challenges.cloudflare.com"),
            ],
            Self::Hcaptcha => &[
                ("script-src", "https://hcaptcha.com https://*.hcaptcha.com"),
                ("frame-src", "https://hcaptcha.com https://*.hcaptcha.com"),
                ("style-src", "https://hcaptcha.com https://*.hcaptcha.com"),
                ("connect-src", "https://hcaptcha.com https://*.hcaptcha.com"),
            ],
        }
    }

    /// The provider's own verify endpoint.
    pub fn verify_url(self) -> &'static str {
        match self {
            Self::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/siteverify",
            Self::Hcaptcha => "https://api.hcaptcha.com/siteverify",
        }
    }
}

/// A kintone connection as written (in `kform.toml`, or as JSON through the admin API).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionFile {
    /// `https://example.cybozu.com`.
    pub base_url: String,
    /// Allows a host outside kintone's domains (the fake kintone, a test server).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_any_host: bool,
    /// The guest space the apps live in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_space: Option<u64>,
    /// API tokens by app id: `[connections.main.apps.12] tokens = […]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub apps: BTreeMap<String, AppFile>,
    /// A kintone user's login, for password authentication (needed to sync fields with app
    /// administration rights). Accounts with two-factor authentication cannot use the REST API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// That user's password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretRef>,
    /// The domain's Basic authentication, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuthFile>,
    /// An HTTP(S) proxy for kintone calls, e.g. `http://proxy.internal:3128`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
}

impl ConnectionFile {
    /// Every secret written in the connection (tokens, password, Basic password), with the key
    /// that names it.
    pub(crate) fn secrets_mut(&mut self) -> Vec<(String, &mut SecretRef)> {
        let mut secrets = Vec::new();
        for (app, file) in &mut self.apps {
            for (index, token) in file.tokens.iter_mut().enumerate() {
                secrets.push((format!("apps.{app}.tokens[{index}]"), token));
            }
        }
        if let Some(password) = &mut self.password {
            secrets.push(("password".to_owned(), password));
        }
        if let Some(basic) = &mut self.basic_auth {
            secrets.push(("basic_auth.password".to_owned(), &mut basic.password));
        }
        secrets
    }
}

/// One app's API tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFile {
    /// The app's token first, then tokens of apps its lookups read (at most 9 in all).
    pub tokens: Vec<SecretRef>,
}

/// Basic authentication as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthFile {
    /// The login.
    pub login: String,
    /// The password.
    pub password: SecretRef,
}

/// A form defined by a file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormFile {
    /// The form definition (JSON, format 1), relative to `kform.toml`.
    pub file: PathBuf,
    /// The connection it writes through.
    pub connection: String,
    /// The page origins allowed to use it, e.g. `https://www.example.com` (exact match).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Whether a captcha must be solved before sending.
    #[serde(default)]
    pub captcha: bool,
    /// Addresses told about this form's failed deliveries.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Deliver every this many minutes (5 to 1440) instead of continuously.
    #[serde(default)]
    pub schedule_minutes: Option<u64>,
    /// The auto-reply and the team's notice.
    #[serde(default)]
    pub mail: FormMail,
    /// The hosted page's look (`[forms.theme]`).
    #[serde(default)]
    pub theme: crate::theme::PageTheme,
}

/// The relay's configuration, checked and with secrets read.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The state folder (SQLite), used when `database_url` is not set.
    pub data_dir: PathBuf,
    /// The shared PostgreSQL database, when set.
    pub database_url: Option<Secret>,
    /// The CA certificate that verifies the database server.
    pub database_ca_file: Option<PathBuf>,
    /// A widget bundle folder that overrides the built-in one.
    pub widget_dir: Option<PathBuf>,
    /// Pages served from `/` (the demo's `www/`; not set from `kform.toml`).
    pub pages_dir: Option<PathBuf>,
    /// The log format.
    pub log_format: LogFormat,
    /// Admin API keys.
    pub admin_keys: Vec<Secret>,
    /// The key sealing stored secrets, if set.
    pub data_key: Option<Secret>,
    /// Integration API keys.
    pub integration_keys: Vec<Secret>,
    /// Origins whose pages may call the admin API from a browser (the embedded editor).
    pub editor_origins: Vec<String>,
    /// Whether the admin API may create connections with `allow_any_host`.
    pub admin_may_allow_any_host: bool,
    /// How often apps are synced (`None`: never).
    pub sync_interval: Option<Duration>,
    /// Limits.
    pub limits: Limits,
    /// Spam protection.
    pub spam: SpamSettings,
    /// Delivery.
    pub delivery: Delivery,
    /// Failure notifications.
    pub notify: Option<NotifySettings>,
    /// Mail about submissions.
    pub mail: Option<MailSettings>,
    /// Connections by name.
    pub connections: BTreeMap<String, ConnectionSettings>,
    /// Forms from files.
    pub forms: Vec<FormSettings>,
}

/// Spam protection, checked.
#[derive(Clone, Debug)]
pub struct SpamSettings {
    /// The shortest time between serving a form and accepting its submission.
    pub min_fill: Duration,
    /// The longest.
    pub max_age: Duration,
    /// The captcha service.
    pub captcha: Option<Captcha>,
}

impl Default for SpamSettings {
    fn default() -> Self {
        let file = Spam::default();
        Self {
            min_fill: Duration::from_secs(file.min_fill_seconds),
            max_age: Duration::from_secs(file.max_form_age_seconds),
            captcha: None,
        }
    }
}

/// A captcha service, checked.
#[derive(Clone, Debug)]
pub struct Captcha {
    /// The provider.
    pub provider: CaptchaProvider,
    /// The public site key.
    pub site_key: String,
    /// The secret key.
    pub secret: Secret,
    /// The verify endpoint.
    pub verify_url: String,
}

/// A kintone connection, checked and with secrets read.
#[derive(Clone, Debug)]
pub struct ConnectionSettings {
    /// `https://example.cybozu.com`, without a trailing slash.
    pub base_url: String,
    /// The guest space.
    pub guest_space: Option<u64>,
    /// API tokens by app.
    pub tokens: BTreeMap<AppId, Vec<Secret>>,
    /// Login and password.
    pub password: Option<(String, Secret)>,
    /// Basic authentication.
    pub basic_auth: Option<(String, Secret)>,
    /// The proxy.
    pub proxy: Option<String>,
}

/// A form with the relay's settings for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSettings {
    /// The connection it writes through.
    pub connection: String,
    /// Page origins allowed to use it (exact match).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Whether a captcha must be solved.
    #[serde(default)]
    pub captcha: bool,
    /// Addresses told about this form's failed deliveries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Deliver every this many minutes (5 to 1440) instead of continuously, to save requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_minutes: Option<u64>,
    /// The auto-reply and the team's notice.
    #[serde(default, skip_serializing_if = "FormMail::is_empty")]
    pub mail: FormMail,
    /// The hosted page's look.
    #[serde(default, skip_serializing_if = "crate::theme::PageTheme::is_empty")]
    pub theme: crate::theme::PageTheme,
    /// The definition.
    pub spec: FormSpec,
}

/// One bad configuration value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct Problem {
    /// The key, e.g. `connections.main.base_url`.
    pub key: String,
    /// What is wrong and how to fix it.
    pub reason: String,
}

/// Why the configuration cannot be used: every problem found.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError(pub Vec<Problem>);

/// The shortest API key `check-config` does not call weak: 32 characters, as `openssl rand
/// -base64 24` makes.
const STRONG_KEY_CHARS: usize = 32;

impl Config {
    /// Settings that are valid but do nothing, or are weak: said by `kform check-config` and at
    /// start, without stopping the relay. Each is `key: sentence`.
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for (group, keys) in
            [("admin_keys", &self.admin_keys), ("integration_keys", &self.integration_keys)]
        {
            for (i, key) in keys.iter().enumerate() {
                let length = key.expose().chars().count();
                if length < STRONG_KEY_CHARS {
                    warnings.push(format!(
                        "{group}[{i}]: a key of {length} characters can be guessed; make one of \
                         {STRONG_KEY_CHARS} or more with `openssl rand -base64 32`"
                    ));
                }
            }
        }
        let mails = self.notify.as_ref().is_some_and(|notify| notify.smtp.is_some());
        if !mails {
            for (i, form) in self.forms.iter().enumerate() {
                if !form.owners.is_empty() {
                    warnings.push(format!(
                        "forms[{i}].owners: nobody is told, because [notify.smtp] is not set"
                    ));
                }
            }
            if self.notify.as_ref().is_some_and(|notify| !notify.admins.is_empty()) {
                warnings.push(
                    "notify.admins: nobody is mailed, because [notify.smtp] is not set".to_owned(),
                );
            }
        }
        warnings
    }
}

impl ConfigError {
    fn one(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self(vec![Problem { key: key.into(), reason: reason.into() }])
    }
}

/// Collects problems while resolving.
struct Problems<'a> {
    found: Vec<Problem>,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Problems<'_> {
    fn add(&mut self, key: impl Into<String>, reason: impl Into<String>) {
        self.found.push(Problem { key: key.into(), reason: reason.into() });
    }

    fn secret(&mut self, key: &str, secret: &SecretRef) -> Option<Secret> {
        let value = match secret {
            SecretRef::Value(value) => value.clone(),
            SecretRef::Env { env } => {
                if let Some(value) = (self.env)(env) {
                    value
                } else {
                    self.add(key, format!("the environment variable {env} is not set"));
                    return None;
                }
            }
        };
        if value.trim().is_empty() {
            self.add(key, "the secret is empty");
            return None;
        }
        Some(Secret::new(value))
    }

    fn secrets(&mut self, key: &str, secrets: &[SecretRef]) -> Vec<Secret> {
        secrets
            .iter()
            .enumerate()
            .filter_map(|(i, secret)| self.secret(&format!("{key}[{i}]"), secret))
            .collect()
    }
}

impl File {
    /// Reads `kform.toml` text; a shape problem names its key.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let deserializer = toml::Deserializer::parse(text)
            .map_err(|err| ConfigError::one("kform.toml", err.to_string()))?;
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let key = err.path().to_string();
            let reason = err.into_inner().message().to_owned();
            ConfigError::one(if key == "." { "kform.toml".to_owned() } else { key }, reason)
        })
    }

    /// Checks every value, reads secrets from `env` and form files relative to `base_dir`.
    pub fn resolve(
        &self,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut problems = Problems { found: Vec::new(), env };
        let admin_keys = problems.secrets("admin_keys", &self.admin_keys);
        let integration_keys = problems.secrets("integration_keys", &self.integration_keys);
        let data_key = self.data_key.as_ref().and_then(|key| problems.secret("data_key", key));
        let database_url =
            self.database_url.as_ref().and_then(|url| problems.secret("database_url", url));
        if let Some(url) = &database_url
            && url.expose().parse::<postgres::Config>().is_err()
        {
            problems.add(
                "database_url",
                "must be a PostgreSQL URL like postgres://kform:password@db.example.com/kform",
            );
        }
        if self.data_dir.is_none() && self.database_url.is_none() {
            problems.add(
                "data_dir",
                "is required (where the relay keeps its SQLite database), unless database_url is set",
            );
        }
        if data_key.as_ref().is_some_and(|key| key.expose().chars().count() < 32) {
            problems
                .add("data_key", "must be at least 32 characters (e.g. openssl rand -base64 32)");
        }
        check_origins("editor_origins", &self.editor_origins, &mut problems);
        let mut connections = BTreeMap::new();
        for (name, connection) in &self.connections {
            let key = format!("connections.{name}");
            if let Some(settings) = connection.resolve_into(&key, &mut problems) {
                connections.insert(name.clone(), settings);
            }
        }
        let mut forms: Vec<FormSettings> = Vec::new();
        for (i, form) in self.forms.iter().enumerate() {
            let key = format!("forms[{i}]");
            if !self.connections.contains_key(&form.connection) {
                problems.add(
                    format!("{key}.connection"),
                    format!("there is no connection {:?} in [connections]", form.connection),
                );
            }
            check_origins(&format!("{key}.allowed_origins"), &form.allowed_origins, &mut problems);
            if form.schedule_minutes.is_some_and(|minutes| !(5..=1440).contains(&minutes)) {
                problems.add(format!("{key}.schedule_minutes"), "must be 5 to 1440 (a day)");
            }
            let path = base_dir.join(&form.file);
            let spec = std::fs::read_to_string(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))
                .and_then(|text| {
                    FormSpec::from_json(&text).map_err(|err| format!("{}: {err}", path.display()))
                });
            match spec {
                Ok(spec) => {
                    if forms.iter().any(|other| other.spec.id == spec.id) {
                        problems.add(
                            format!("{key}.file"),
                            format!("form id {} is used twice", spec.id),
                        );
                    }
                    forms.push(FormSettings {
                        connection: form.connection.clone(),
                        allowed_origins: form.allowed_origins.clone(),
                        captcha: form.captcha,
                        owners: form.owners.clone(),
                        schedule_minutes: form.schedule_minutes,
                        mail: form.mail.clone(),
                        theme: form.theme.clone(),
                        spec,
                    });
                }
                Err(reason) => problems.add(format!("{key}.file"), reason),
            }
        }
        let captcha = self.spam.captcha.as_ref().and_then(|captcha| {
            let secret = problems.secret("spam.captcha.secret", &captcha.secret)?;
            let verify_url = captcha
                .verify_url
                .clone()
                .unwrap_or_else(|| captcha.provider.verify_url().to_owned());
            Some(Captcha {
                provider: captcha.provider,
                site_key: captcha.site_key.clone(),
                secret,
                verify_url,
            })
        });
        if forms.iter().any(|form| form.captcha) && self.spam.captcha.is_none() {
            problems.add("spam.captcha", "a form has captcha = true but no captcha service is set");
        }
        if !(1..=MAX_PER_MINUTE).contains(&self.limits.per_ip_per_minute) {
            problems.add(
                "limits.per_ip_per_minute",
                format!("must be 1 to {MAX_PER_MINUTE} (requests per minute from one address)"),
            );
        }
        if !(1..=1_000_000).contains(&self.limits.max_connections) {
            problems.add("limits.max_connections", "must be 1 to 1000000");
        }
        if !(1..=3600).contains(&self.limits.header_timeout_seconds) {
            problems.add("limits.header_timeout_seconds", "must be 1 to 3600");
        }
        if !(1..=3600).contains(&self.limits.body_timeout_seconds) {
            problems.add("limits.body_timeout_seconds", "must be 1 to 3600");
        }
        if !(1..=MAX_PER_MINUTE).contains(&self.limits.per_ip_burst) {
            problems.add("limits.per_ip_burst", format!("must be 1 to {MAX_PER_MINUTE}"));
        }
        let delivery = &self.delivery;
        if delivery.concurrency == 0 || delivery.concurrency > 100 {
            problems.add("delivery.concurrency", "must be 1 to 100 (kintone's limit per domain)");
        }
        if delivery.max_batch == 0 || delivery.max_batch > 100 {
            problems.add("delivery.max_batch", "must be 1 to 100 (kintone's limit per call)");
        }
        if delivery.retry_base_ms == 0 || delivery.retry_cap_ms < delivery.retry_base_ms {
            problems.add(
                "delivery.retry_cap_ms",
                "retry_base_ms must be at least 1 and at most retry_cap_ms",
            );
        }
        if delivery.daily_reserve < 0 || delivery.daily_reserve >= delivery.daily_limit {
            problems.add("delivery.daily_reserve", "must be at least 0 and below daily_limit");
        }
        let notify = self.notify.as_ref().map(|notify| {
            let smtp = notify.smtp.as_ref().map(|smtp| Smtp {
                host: smtp.host.clone(),
                port: smtp.port,
                tls: smtp.starttls,
                login: smtp.login.clone(),
                password: smtp
                    .password
                    .as_ref()
                    .and_then(|p| problems.secret("notify.smtp.password", p)),
            });
            if smtp.is_some()
                && (notify.from.is_none()
                    || notify.admins.is_empty() && self.forms.iter().all(|f| f.owners.is_empty()))
            {
                problems.add(
                    "notify.from",
                    "mail needs a sender (from) and recipients (admins, or owners on forms)",
                );
            }
            if let Some(url) = &notify.webhook_url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                problems.add("notify.webhook_url", "must be an http(s) URL");
            }
            NotifySettings {
                digest_ms: notify.digest_seconds.max(1) * 1000,
                from: notify.from.clone().unwrap_or_default(),
                admins: notify.admins.clone(),
                webhook_url: notify.webhook_url.clone(),
                smtp,
            }
        });
        let mail = self.mail.as_ref().and_then(|mail| {
            if mail.from.parse::<lettre::message::Mailbox>().is_err() {
                problems.add("mail.from", format!("{:?} is not an e-mail address", mail.from));
            }
            if mail.autoreply_per_recipient_per_hour == 0 || mail.autoreply_per_form_per_hour == 0 {
                problems.add(
                    "mail.autoreply_per_recipient_per_hour",
                    "the limits must be at least 1 (leave autoreply out of a form to send none)",
                );
            }
            let smtp = match mail.smtp.as_ref().map(|smtp| (smtp, "mail.smtp.password")) {
                Some(found) => Some(found),
                None => self
                    .notify
                    .as_ref()
                    .and_then(|notify| notify.smtp.as_ref())
                    .map(|smtp| (smtp, "notify.smtp.password")),
            };
            let Some((smtp, password_key)) = smtp else {
                problems.add("mail.smtp", "mail needs a server: [mail.smtp] (or [notify.smtp])");
                return None;
            };
            Some(MailSettings {
                from: mail.from.clone(),
                allowed_from: mail.allowed_from.clone(),
                per_recipient_per_hour: i64::from(mail.autoreply_per_recipient_per_hour),
                per_form_per_hour: i64::from(mail.autoreply_per_form_per_hour),
                retry_ms: i64::try_from(mail.retry_seconds.clamp(1, 3600) * 1000).unwrap_or(60_000),
                give_up_after_tries: i64::from(mail.give_up_after_tries.clamp(1, 20)),
                smtp: Smtp {
                    host: smtp.host.clone(),
                    port: smtp.port,
                    tls: smtp.starttls,
                    login: smtp.login.clone(),
                    password: smtp.password.as_ref().and_then(|p| problems.secret(password_key, p)),
                },
            })
        });
        for (i, form) in forms.iter().enumerate() {
            crate::mail::check(
                &form.mail,
                &form.spec,
                mail.as_ref(),
                &format!("forms[{i}].mail"),
                &mut problems,
            );
            crate::theme::check(&form.theme, &format!("forms[{i}].theme"), &mut problems);
        }
        if self.limits.json_body_bytes < 1024 {
            problems.add("limits.json_body_bytes", "must be at least 1024");
        }
        if !problems.found.is_empty() {
            return Err(ConfigError(problems.found));
        }
        Ok(Config {
            listen: self.listen,
            data_dir: base_dir.join(self.data_dir.as_deref().unwrap_or(Path::new("data"))),
            database_url,
            database_ca_file: self.database_ca_file.as_ref().map(|file| base_dir.join(file)),
            widget_dir: self.widget_dir.as_ref().map(|dir| base_dir.join(dir)),
            pages_dir: None,
            log_format: self.log_format,
            admin_keys,
            data_key,
            integration_keys,
            editor_origins: self.editor_origins.clone(),
            admin_may_allow_any_host: self.admin_may_allow_any_host,
            sync_interval: (self.sync_interval_seconds > 0)
                .then(|| Duration::from_secs(self.sync_interval_seconds)),
            limits: self.limits.clone(),
            delivery: self.delivery.clone(),
            notify,
            mail,
            spam: SpamSettings {
                min_fill: Duration::from_secs(self.spam.min_fill_seconds),
                max_age: Duration::from_secs(self.spam.max_form_age_seconds),
                captcha,
            },
            connections,
            forms,
        })
    }
}

impl ConnectionFile {
    /// Checks the connection and reads its secrets from `env` (the admin API's entry point).
    pub fn resolve(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConnectionSettings, ConfigError> {
        let mut problems = Problems { found: Vec::new(), env };
        match self.resolve_into("connection", &mut problems) {
            Some(settings) if problems.found.is_empty() => Ok(settings),
            _ => Err(ConfigError(problems.found)),
        }
    }

    fn resolve_into(&self, key: &str, problems: &mut Problems<'_>) -> Option<ConnectionSettings> {
        let before = problems.found.len();
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        if let Err(reason) = check_base_url(&base_url, self.allow_any_host) {
            problems.add(format!("{key}.base_url"), reason);
        }
        let mut tokens = BTreeMap::new();
        for (app, file) in &self.apps {
            let app_key = format!("{key}.apps.{app}");
            let Ok(id) = app.parse::<u64>() else {
                problems.add(
                    app_key,
                    "an app is named by its numeric id, e.g. [connections.main.apps.12]",
                );
                continue;
            };
            if file.tokens.is_empty() || file.tokens.len() > 9 {
                problems.add(
                    format!("{app_key}.tokens"),
                    "give 1 to 9 tokens (kintone's limit per request)",
                );
            }
            tokens.insert(AppId(id), problems.secrets(&format!("{app_key}.tokens"), &file.tokens));
        }
        let password = match (&self.login, &self.password) {
            (Some(login), Some(password)) => problems
                .secret(&format!("{key}.password"), password)
                .map(|password| (login.clone(), password)),
            (None, None) => None,
            _ => {
                problems.add(format!("{key}.login"), "login and password go together");
                None
            }
        };
        if tokens.is_empty() && password.is_none() {
            problems
                .add(key, "give API tokens ([…apps.<id>] tokens = […]) or a login and password");
        }
        let basic_auth = self.basic_auth.as_ref().and_then(|basic| {
            problems
                .secret(&format!("{key}.basic_auth.password"), &basic.password)
                .map(|password| (basic.login.clone(), password))
        });
        if let Some(proxy) = &self.proxy
            && !(proxy.starts_with("http://") || proxy.starts_with("https://"))
        {
            problems
                .add(format!("{key}.proxy"), "a proxy is a URL like http://proxy.internal:3128");
        }
        (problems.found.len() == before).then(|| ConnectionSettings {
            base_url,
            guest_space: self.guest_space,
            tokens,
            password,
            basic_auth,
            proxy: self.proxy.clone(),
        })
    }
}

/// Whether `url` is a kintone domain (or any host when allowed).
pub fn check_base_url(url: &str, allow_any_host: bool) -> Result<(), String> {
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://").filter(|_| allow_any_host))
        .ok_or_else(|| format!("{url:?} must start with https://"))?;
    if host.is_empty() || host.contains(['/', '?', '#', '@']) {
        return Err(format!("{url:?} must be the domain only, like https://example.cybozu.com"));
    }
    let name = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let kintone =
        KINTONE_DOMAINS.iter().any(|domain| name.ends_with(domain) && name.len() > domain.len());
    if kintone || allow_any_host {
        Ok(())
    } else {
        Err(format!(
            "{host:?} is not a kintone domain (*.cybozu.com, *.kintone.com, *.cybozu.cn, \
             *.s.cybozu.com); set allow_any_host = true only for a local or test kintone"
        ))
    }
}

/// Checks that each origin is `scheme://host[:port]` and nothing more.
pub(crate) fn check_origins(key: &str, origins: &[String], problems: &mut impl ProblemSink) {
    for (i, origin) in origins.iter().enumerate() {
        if let Err(reason) = check_origin(origin) {
            problems.problem(format!("{key}[{i}]"), reason);
        }
    }
}

/// Whether `origin` is an exact origin such as `https://www.example.com`.
pub fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("{origin:?} must start with https:// or http://"))?;
    if rest.is_empty()
        || rest.contains(['/', '?', '#', '@', '*'])
        || rest != rest.to_ascii_lowercase()
    {
        return Err(format!(
            "{origin:?} must be an origin exactly as browsers send it: scheme and lower-case host, \
             e.g. https://www.example.com, without a path or wildcard"
        ));
    }
    Ok(())
}

/// Something that collects `(key, reason)` problems.
pub(crate) trait ProblemSink {
    /// Records one problem.
    fn problem(&mut self, key: String, reason: String);
}

impl ProblemSink for Problems<'_> {
    fn problem(&mut self, key: String, reason: String) {
        self.add(key, reason);
    }
}

impl ProblemSink for Vec<Problem> {
    fn problem(&mut self, key: String, reason: String) {
        self.push(Problem { key, reason });
    }
}

/// Reads `path` and resolves it with the process environment.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        ConfigError::one(path.display().to_string(), format!("cannot read: {err}"))
    })?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    File::parse(&text)?.resolve(base_dir, &|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests;
