//! `kform demo`: the fake kintone seeded with the demo app, the relay with the demo form, and the
//! demo pages, in one process on 127.0.0.1 with nothing to configure.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use kform_core::FormSpec;
use kform_fake_kintone::{Apps, random_token};

use crate::config::{
    Config, ConnectionSettings, Delivery, FormSettings, Limits, LogFormat, SpamSettings,
};
use crate::secret::Secret;

/// The demo form definition (form id `contact`, app 1).
const DEMO_FORM: &str = include_str!("demo-form.json");

/// Where the demo listens and what it serves.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// The page port; 0 picks a free one.
    pub port: u16,
    /// The demo pages (`www/`).
    pub pages_dir: PathBuf,
    /// The built widget (`pkg/`).
    pub widget_dir: PathBuf,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The fake kintone did not start.
    #[error("the fake kintone did not start: {0}")]
    Fake(#[from] kform_fake_kintone::StartError),
    /// The relay could not listen or serve.
    #[error("the relay could not serve: {0}")]
    Io(#[from] std::io::Error),
    /// The relay could not start.
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    /// The built-in demo form does not parse (a bug in this crate).
    #[error("the demo form definition is invalid: {0}")]
    Form(#[from] serde_json::Error),
}

/// The demo form definition.
pub fn demo_form() -> Result<FormSpec, serde_json::Error> {
    serde_json::from_str(DEMO_FORM)
}

/// Runs the demo until `shutdown` completes. Prints `page:`, `kintone:`, `app:` and `token:`
/// lines to standard output once everything listens. Its data directory is a fresh temporary
/// folder, removed at the end.
pub async fn run(
    options: DemoOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DemoError> {
    let token = random_token();
    let fake = kform_fake_kintone::spawn(Apps::demo(token.clone())).await?;
    let form = demo_form()?;
    let app_id = form.app;
    if !options.widget_dir.join("kform.js").is_file() {
        tracing::warn!(dir = %options.widget_dir.display(), "no widget bundle found; run `cargo xtask build-widget`");
    }
    let data_dir = std::env::temp_dir().join(format!("kform-demo-{}", uuid::Uuid::new_v4()));
    let mut config =
        demo_config(fake.url(), &token, form, &data_dir, Some(options.widget_dir.clone()));
    config.pages_dir = Some(options.pages_dir.clone());
    let state = crate::serve::open(&config).await?;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).await?;
    let page = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "page: http://{page}/")?;
    writeln!(stdout, "kintone: {}", fake.url())?;
    writeln!(stdout, "app: {app_id}")?;
    writeln!(stdout, "token: {token}")?;
    stdout.flush()?;
    drop(stdout);
    let served = crate::serve::run(state, listener, shutdown).await;
    drop(fake);
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(served?)
}

/// The demo's configuration: one connection to the fake kintone and the demo form.
pub fn demo_config(
    kintone_url: &str,
    token: &str,
    form: FormSpec,
    data_dir: &std::path::Path,
    widget_dir: Option<PathBuf>,
) -> Config {
    let connection = ConnectionSettings {
        base_url: kintone_url.to_owned(),
        guest_space: None,
        tokens: [(form.app, vec![Secret::new(token)])].into_iter().collect(),
        password: None,
        basic_auth: None,
        proxy: None,
    };
    Config {
        listen: std::net::SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        data_dir: data_dir.to_owned(),
        widget_dir,
        pages_dir: None,
        log_format: LogFormat::Text,
        admin_keys: Vec::new(),
        integration_keys: Vec::new(),
        sync_interval: Some(std::time::Duration::from_secs(60)),
        limits: Limits::default(),
        delivery: Delivery::default(),
        notify: None,
        // A person needs more than a second to fill in the demo form.
        spam: SpamSettings {
            min_fill: std::time::Duration::from_secs(1),
            ..SpamSettings::default()
        },
        connections: [("demo".to_owned(), connection)].into_iter().collect(),
        forms: vec![FormSettings {
            connection: "demo".into(),
            allowed_origins: Vec::new(),
            captcha: false,
            owners: Vec::new(),
            schedule_minutes: None,
            spec: form,
        }],
    }
}
