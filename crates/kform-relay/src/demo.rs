//! `kform demo`: the fake kintone seeded with the demo app, the relay with the demo form, and the
//! demo pages, in one process on 127.0.0.1 with nothing to configure.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use kform_core::FormSpec;
use kform_fake_kintone::{Apps, random_token};
use kform_kintone::{ApiToken, Auth, Client};

use crate::{AppState, FormEntry, app};

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
    /// The kintone client could not be built.
    #[error(transparent)]
    Kintone(#[from] kform_kintone::KintoneError),
    /// The built-in demo form does not parse (a bug in this crate).
    #[error("the demo form definition is invalid: {0}")]
    Form(#[from] serde_json::Error),
}

/// The demo form definition.
pub fn demo_form() -> Result<FormSpec, serde_json::Error> {
    serde_json::from_str(DEMO_FORM)
}

/// Runs the demo until `shutdown` completes. Prints `page:`, `kintone:`, `app:` and `token:`
/// lines to standard output once everything listens.
pub async fn run(
    options: DemoOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DemoError> {
    let token = random_token();
    let fake = kform_fake_kintone::spawn(Apps::demo(token.clone())).await?;
    let form = demo_form()?;
    let kintone =
        Client::new(fake.url(), None, Auth::ApiTokens(vec![ApiToken::new(token.clone())]))?;
    let app_id = form.app;
    if !options.widget_dir.join("kform.js").is_file() {
        tracing::warn!(dir = %options.widget_dir.display(), "no widget bundle found; run `cargo xtask build-widget`");
    }
    let state = AppState::new([FormEntry { spec: form, kintone }])
        .with_widget_dir(&options.widget_dir)
        .with_pages_dir(&options.pages_dir);
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).await?;
    let page = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "page: http://{page}/")?;
    writeln!(stdout, "kintone: {}", fake.url())?;
    writeln!(stdout, "app: {app_id}")?;
    writeln!(stdout, "token: {token}")?;
    stdout.flush()?;
    drop(stdout);
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await?;
    drop(fake);
    Ok(())
}
