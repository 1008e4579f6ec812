//! `kform demo`: the fake kintone seeded with the demo app, the relay with the demo form, and the
//! demo pages, in one process on 127.0.0.1 with nothing to configure.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use axum::response::IntoResponse;
use kform_core::FormSpec;
use kform_fake_kintone::{Apps, random_token};

use crate::config::{
    Captcha, CaptchaProvider, Config, ConnectionSettings, Delivery, FormSettings, Limits,
    LogFormat, SpamSettings,
};
use crate::secret::Secret;

/// The demo form definition (form id `contact`, app 1).
pub(crate) const DEMO_FORM: &str = include_str!("demo-form.json");

/// The showcase form (form id `showcase`, app 2): every field type a public form can write.
const SHOWCASE_FORM: &str = include_str!("demo-showcase-form.json");

/// The multi-step form (form id `steps`, app 2): three pages, a file and a confirmation screen.
const STEPS_FORM: &str = include_str!("demo-steps-form.json");

/// Cloudflare's documented Turnstile test keys: the site key shows a challenge that always
/// passes, and the secret is one the verifier always accepts.
const TURNSTILE_TEST_SITE_KEY: &str = "1x00000000000000000000AA";
const TURNSTILE_TEST_SECRET: &str = "1x0000000000000000000000000000000AA";

/// Where the demo listens and what it serves.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// The page port; 0 picks a free one.
    pub port: u16,
    /// The demo pages (`www/`).
    pub pages_dir: PathBuf,
    /// The built widget (`pkg/`).
    pub widget_dir: PathBuf,
    /// An SMTP server (no TLS) for forms' mail; without it the demo sends no mail.
    pub smtp: Option<std::net::SocketAddr>,
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

/// The showcase form definition.
pub fn showcase_form() -> Result<FormSpec, serde_json::Error> {
    serde_json::from_str(SHOWCASE_FORM)
}

/// The multi-step form definition.
pub fn steps_form() -> Result<FormSpec, serde_json::Error> {
    serde_json::from_str(STEPS_FORM)
}

/// The speed benchmark's form (form id `bench`, app 3): every field of the benchmark app, 30.
pub fn bench_form(apps: &Apps) -> Result<FormSpec, serde_json::Error> {
    let properties = apps.apps.iter().find(|app| app.id == 3).map(|app| app.properties.clone());
    let properties = serde_json::Value::Object(properties.unwrap_or_default());
    let fields = kform_core::AppFields::from_kintone_properties("1".into(), properties)
        .map_err(serde::de::Error::custom)?;
    Ok(FormSpec::every_field(kform_core::FormId("bench".into()), kform_core::AppId(3), &fields))
}

/// Runs the demo until `shutdown` completes. Prints `page:`, `kintone:`, `showcase app:`,
/// `showcase token:`, `app:`, `admin key:` and `token:` lines to standard output once
/// everything listens. Its data directory is a fresh temporary folder, removed at the end.
pub async fn run(
    options: DemoOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DemoError> {
    let (token, showcase_token, bench_token) = (random_token(), random_token(), random_token());
    let apps = Apps::demo(token.clone())
        .with_showcase(showcase_token.clone())
        .with_bench(bench_token.clone());
    let bench = bench_form(&apps)?;
    let fake = kform_fake_kintone::spawn(apps).await?;
    let form = demo_form()?;
    let showcase = showcase_form()?;
    let (app_id, showcase_app) = (form.app, showcase.app);
    if !options.widget_dir.join("kform.js").is_file() {
        tracing::warn!(dir = %options.widget_dir.display(), "no widget bundle found; run `cargo xtask build-widget`");
    }
    let data_dir = std::env::temp_dir().join(format!("kform-demo-{}", uuid::Uuid::new_v4()));
    let mut config =
        demo_config(fake.url(), &token, form, &data_dir, Some(options.widget_dir.clone()));
    config.pages_dir = Some(options.pages_dir.clone());
    config.mail = options.smtp.map(|address| crate::mail::MailSettings {
        from: "kform demo <demo@example.com>".to_owned(),
        allowed_from: Vec::new(),
        per_recipient_per_hour: 100,
        per_form_per_hour: 1_000,
        retry_ms: 1_000,
        give_up_after_tries: 8,
        smtp: crate::config::Smtp {
            host: address.ip().to_string(),
            port: address.port(),
            tls: false,
            login: None,
            password: None,
        },
    });
    add_form(&mut config, showcase, &showcase_token);
    add_form(&mut config, steps_form()?, &showcase_token);
    add_form(&mut config, bench, &bench_token);
    // The contact form again, behind a Turnstile challenge, verified by a local stand-in for
    // Cloudflare's verifier (the demo needs no internet beyond the challenge's script).
    let verifier = spawn_fake_verifier().await?;
    config.spam.captcha = Some(Captcha {
        provider: CaptchaProvider::Turnstile,
        site_key: TURNSTILE_TEST_SITE_KEY.to_owned(),
        secret: Secret::new(TURNSTILE_TEST_SECRET),
        verify_url: verifier,
    });
    let mut captcha_form = demo_form()?;
    captcha_form.id = kform_core::FormId("captcha".to_owned());
    for item in &mut captcha_form.items {
        if item.hidden.is_some() {
            item.hidden = Some(kform_core::Value::Text("demo-captcha".to_owned()));
        }
    }
    add_form(&mut config, captcha_form, &token);
    if let Some(settings) = config.forms.last_mut() {
        settings.captcha = true;
    }
    // The key the mock CMS's server (`/demo/editor-token`) mints editor tokens with.
    let admin_key = random_token();
    config.admin_keys = vec![Secret::new(&admin_key)];
    let state = crate::serve::open(&config).await?;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).await?;
    let page = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "page: http://{page}/")?;
    writeln!(stdout, "kintone: {}", fake.url())?;
    writeln!(stdout, "showcase app: {showcase_app}")?;
    writeln!(stdout, "showcase token: {showcase_token}")?;
    writeln!(stdout, "app: {app_id}")?;
    writeln!(stdout, "admin key: {admin_key}")?;
    writeln!(stdout, "token: {token}")?;
    stdout.flush()?;
    drop(stdout);
    let relay = crate::app(state.clone());
    let router = cms_backend(relay.clone(), admin_key)
        .merge(host_includes(&relay, &options.pages_dir))
        .merge(relay);
    let served = crate::serve::run_router(state, router, listener, shutdown).await;
    drop(fake);
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(served?)
}

/// The mock CMS's server side for `/cms.html`: `POST /demo/editor-token` with `{"form": id}`
/// (or `{}` for a new form) answers an editor token, as a real CMS's server would by calling
/// the relay's `POST /v1/admin/editor-tokens` with its admin key. Only `kform demo` has it.
fn cms_backend(relay: axum::Router, admin_key: String) -> axum::Router {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let mint = move |body: axum::body::Bytes| {
        let (relay, admin_key) = (relay.clone(), admin_key.clone());
        async move {
            let request = Request::post("/v1/admin/editor-tokens")
                .header("authorization", format!("Bearer {admin_key}"))
                .header("content-type", "application/json")
                .body(Body::from(body));
            match request {
                Ok(request) => match relay.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                },
                Err(_) => axum::http::StatusCode::BAD_REQUEST.into_response(),
            }
        }
    };
    axum::Router::new().route("/demo/editor-token", axum::routing::post(mint))
}

/// The demo pages whose own server includes a form, as a site's server would (a server-side
/// include): each is the page in `www/` with every `<!--#kform form="…" lang="…"-->` line
/// replaced by the relay's `GET /v1/forms/{form}/include?lang=…`. Only `kform demo` has them.
const INCLUDING_PAGES: [&str; 3] = ["included.html", "included-steps.html", "bench-included.html"];

fn host_includes(relay: &axum::Router, pages_dir: &std::path::Path) -> axum::Router {
    let mut router = axum::Router::new();
    for page in INCLUDING_PAGES {
        let (relay, path) = (relay.clone(), pages_dir.join(page));
        let serve = move |headers: axum::http::HeaderMap| {
            let (relay, path) = (relay.clone(), path.clone());
            async move { including_page(relay, &path, &headers).await }
        };
        router = router.route(&format!("/{page}"), axum::routing::get(serve));
    }
    router
}

/// The page at `path` with its forms included; the relay's answer is asked for with the page
/// request's `Host`, so the form's links lead where the page came from.
async fn including_page(
    relay: axum::Router,
    path: &std::path::Path,
    headers: &axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;
    let Ok(page) = tokio::fs::read_to_string(path).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut out = String::with_capacity(page.len());
    let mut rest = page.as_str();
    while let Some((before, after)) = rest.split_once("<!--#kform ") {
        let Some((directive, after)) = after.split_once("-->") else { break };
        out.push_str(before);
        rest = after;
        let value = |name: &str| {
            let start = format!("{name}=\"");
            let (_, value) = directive.split_once(&start)?;
            value.split_once('"').map(|(value, _)| value.to_owned())
        };
        let (form, lang) = (value("form").unwrap_or_default(), value("lang").unwrap_or_default());
        let mut request = Request::get(format!("/v1/forms/{form}/include?lang={lang}"));
        if let Some(host) = headers.get(header::HOST) {
            request = request.header(header::HOST, host);
        }
        let Ok(request) = request.body(Body::empty()) else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        let response = match relay.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        if !response.status().is_success() {
            return response;
        }
        match axum::body::to_bytes(response.into_body(), 1 << 20).await {
            Ok(included) => out.push_str(&String::from_utf8_lossy(&included)),
            Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
        }
    }
    out.push_str(rest);
    let headers =
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
    (headers, out).into_response()
}

/// Serves `POST /siteverify` on loopback the way Cloudflare's verifier answers for its test
/// secret: success for any answer with that secret, refusal otherwise. Returns its address.
async fn spawn_fake_verifier() -> std::io::Result<String> {
    use axum::routing::post;
    let verify = |axum::Form(form): axum::Form<Vec<(String, String)>>| async move {
        let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, v)| v.as_str());
        let answer = match (field("secret"), field("response")) {
            (Some(TURNSTILE_TEST_SECRET), Some(response)) if !response.is_empty() => {
                serde_json::json!({ "success": true, "error-codes": [] })
            }
            (Some(TURNSTILE_TEST_SECRET), _) => {
                serde_json::json!({ "success": false, "error-codes": ["missing-input-response"] })
            }
            _ => serde_json::json!({ "success": false, "error-codes": ["invalid-input-secret"] }),
        };
        axum::Json(answer)
    };
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let address = listener.local_addr()?;
    let router = axum::Router::new().route("/siteverify", post(verify));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::warn!(%err, "the demo's captcha verifier stopped");
        }
    });
    Ok(format!("http://{address}/siteverify"))
}

/// Adds a form on the demo connection, with the API token of its app.
fn add_form(config: &mut Config, form: FormSpec, token: &str) {
    if let Some(connection) = config.connections.get_mut("demo") {
        connection.tokens.insert(form.app, vec![Secret::new(token)]);
    }
    let mut settings = config.forms[0].clone();
    settings.spec = form;
    config.forms.push(settings);
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
        database_url: None,
        database_ca_file: None,
        widget_dir,
        pages_dir: None,
        log_format: LogFormat::Text,
        admin_keys: Vec::new(),
        // The demo's data directory is a temporary one, deleted when it stops.
        data_key: None,
        integration_keys: Vec::new(),
        // The demo's CMS page is served by the relay itself: same origin, no CORS needed.
        editor_origins: Vec::new(),
        // The demo's fake kintone is on loopback, outside kintone's domains.
        admin_may_allow_any_host: true,
        sync_interval: Some(std::time::Duration::from_secs(60)),
        limits: Limits::default(),
        delivery: Delivery::default(),
        notify: None,
        mail: None,
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
            mail: crate::mail::FormMail::default(),
            theme: crate::theme::PageTheme::default(),
            spec: form,
        }],
    }
}

#[cfg(test)]
mod tests {
    use kform_core::{AppFields, lint};
    use kform_fake_kintone::Apps;

    use super::{bench_form, demo_form, showcase_form, steps_form};

    #[test]
    fn the_demo_forms_lint_clean_against_their_apps() {
        let apps = Apps::demo("t").with_showcase("s").with_bench("b");
        let bench = bench_form(&apps).unwrap();
        assert_eq!(bench.items.len(), 30);
        let forms = [
            (bench, &apps.apps[2]),
            (demo_form().unwrap(), &apps.apps[0]),
            (showcase_form().unwrap(), &apps.apps[1]),
            (steps_form().unwrap(), &apps.apps[1]),
        ];
        for (form, app) in forms {
            assert_eq!(form.app.0, app.id);
            let properties = serde_json::Value::Object(app.properties.clone());
            let fields = AppFields::from_kintone_properties("1".into(), properties).unwrap();
            assert_eq!(lint(&fields, &form), Vec::new(), "{}", form.id);
        }
    }
}
