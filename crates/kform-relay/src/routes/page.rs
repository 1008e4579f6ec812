//! The form as HTML, rendered by `kform-view` from the same state the widget runs:
//!
//! - `GET /f/{form_id}`: the hosted page, a whole page that works without JavaScript. It posts
//!   to itself (`POST /f/{form_id}`); the relay answers with the page again, the values kept and
//!   kintone's messages on their fields, or redirects (Post/Redirect/Get) to
//!   `GET /f/{form_id}/sent` or the form's own redirect.
//! - `GET /v1/forms/{form_id}/html`: the form's markup, which `kform.js` shows in a host page at
//!   once (before, and without, the WebAssembly). `POST` to the same address is the hosted
//!   page's post for a host page whose WebAssembly cannot run: the answer is the markup again,
//!   or the thanks.
//! - `GET /f/kform.css`: the hosted page's stylesheet (the widget's, outside a shadow root).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kform_core::message::Text;
use kform_core::protocol::{ErrorResponse, FormDescriptor, SubmitOutcome};
use kform_core::{FormId, Locale, OnSuccess};
use kform_view::html::{El, Node, el};
use kform_view::markup::{self, Layout, Render, WidgetBuild};
use kform_view::state::{Advance, FormState, SubmitError, refusal, thanks};
use kform_view::{posted, style};
use sha2::Digest;

use crate::config::CaptchaProvider;
use crate::error::AppError;
use crate::error::Code;
use crate::extract::{FormBody, parse_urlencoded};
use crate::guard::ClientAddr;
use crate::intake::{self, Incoming};
use crate::routes::forms::{self, cacheable, render_headers};
use crate::routes::submissions::{check_captcha, check_fill_time};
use crate::state::{AppState, FormEntry};

/// The shared theme and the widget's stylesheet, for pages where the form is not in a shadow
/// root: the theme's `:host` rules apply to the page's `.kform-host` element instead.
fn stylesheet() -> String {
    let theme = style::THEME.replace(":host", ".kform-host");
    let widget = style::widget_rules(style::Parts::ALL);
    let page = "body{margin:0;padding:2rem 1rem;background:Canvas;color:CanvasText}\
                .kform-host{margin:0 auto;max-width:40rem}";
    style::compact(&format!("{theme}\n{widget}\n{page}\n"))
}

/// `GET /f/kform.css`.
pub(crate) async fn css(headers: HeaderMap) -> Response {
    cacheable(&headers, "text/css; charset=utf-8", stylesheet().into_bytes(), None)
}

/// The language asked for with `?lang=`, else the form's.
fn locale_of(query: &[(String, String)], entry: &FormEntry) -> Locale {
    query
        .iter()
        .find(|(name, _)| name == "lang")
        .and_then(|(_, tag)| Locale::from_tag(tag))
        .unwrap_or(entry.settings.spec.default_lang)
}

fn parse_query(query: Option<&str>) -> Result<Vec<(String, String)>, AppError> {
    parse_urlencoded(query.unwrap_or_default().as_bytes())
}

async fn form_entry(state: &AppState, form_id: String) -> Result<Arc<FormEntry>, AppError> {
    let form_id = FormId(form_id);
    state.find_form(&form_id).await.ok_or(AppError::UnknownForm(form_id))
}

/// A fresh form in `locale`.
async fn fresh(state: &AppState, entry: &FormEntry, locale: Locale) -> Result<FormState, AppError> {
    let (descriptor, _) = forms::descriptor(state, entry).await?;
    Ok(FormState::new(descriptor, Some(locale)))
}

/// `GET /f/{form_id}`: the hosted page. The page address prefills fields by code
/// (`?会社名=…`) and fills the form's capture items, as the widget does.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RawQuery(query_string): RawQuery,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let entry = form_entry(&state, form_id).await?;
        let query = parse_query(query_string.as_deref())?;
        let locale = locale_of(&query, &entry);
        let mut form = fresh(&state, &entry, locale).await?;
        form.show_on_one_page();
        let params: Vec<(&str, &str)> =
            query.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        form.prefill(params.iter().copied());
        let referrer = headers.get(header::REFERER).and_then(|value| value.to_str().ok());
        let came_from = CameFrom {
            page: query_string.unwrap_or_default(),
            referrer: referrer.unwrap_or_default().to_owned(),
        };
        let submission_id = uuid::Uuid::new_v4().to_string();
        let token = forms::render_token(&state, &entry.settings.spec.id.0);
        let address = came_from.post_address(&action(&entry), locale);
        Ok::<_, AppError>(page(&entry, &form, StatusCode::OK, &submission_id, &token, &address))
    };
    result.await.unwrap_or_else(|err| error_page(err, Locale::default()))
}

/// `POST /f/{form_id}`: the hosted page's post. Sent: a redirect to the thanks (or the form's
/// redirect); otherwise the page again with the values and the messages.
pub(crate) async fn post(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    request: Request,
) -> Response {
    let Ok(entry) = form_entry(&state, form_id.clone()).await else {
        return error_page(AppError::UnknownForm(FormId(form_id)), Locale::default());
    };
    let query = parse_query(request.uri().query()).unwrap_or_default();
    let locale = locale_of(&query, &entry);
    // The page posts to itself again: the same address keeps the language and where the
    // visitor came from.
    let address = request.uri().to_string();
    match receive(&state, &entry, locale, CameFrom::of(&query), request).await {
        Ok(Received::Again { form, why, submission_id, render_token }) => {
            page(&entry, &form, why.status(), &submission_id, &render_token, &address)
        }
        Ok(Received::Sent { .. }) => match &entry.settings.spec.on_success {
            OnSuccess::Redirect(url) => Redirect::to(url).into_response(),
            _ => {
                let lang = locale.tag();
                Redirect::to(&format!("/f/{}/sent?lang={lang}", entry.settings.spec.id))
                    .into_response()
            }
        },
        Err(err) => error_page(err, locale),
    }
}

/// `GET /f/{form_id}/sent`: the thanks after a hosted page's post.
pub(crate) async fn sent(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let entry = form_entry(&state, form_id).await?;
        let locale = locale_of(&parse_query(query.as_deref())?, &entry);
        let message = thanks(&entry.settings.spec.on_success, locale);
        Ok::<_, AppError>(document(
            locale,
            &title(&entry, locale),
            markup::thanks(&message).flag("autofocus", true),
            None,
            themed(&entry),
        ))
    };
    match result.await {
        Ok(html) => html_response(StatusCode::OK, html),
        Err(err) => error_page(err, Locale::default()),
    }
}

/// `GET /v1/forms/{form_id}/html`: the markup `kform.js` shows at once, laid out as the
/// enhanced widget shows it; cacheable like the descriptor, with a fresh render token in its
/// header. Prefilling from the page address is the browser's to do.
pub(crate) async fn fragment(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let entry = form_entry(&state, form_id).await?;
    let locale = locale_of(&parse_query(query.as_deref())?, &entry);
    let (descriptor, revision) = forms::descriptor(&state, &entry).await?;
    // Which `.wasm` the form takes, as its markup says, in a header too: `kform.js` starts
    // fetching it as soon as the answer's headers are in, before it reads and shows the markup,
    // so the browser compiles it while it lays the form out.
    let wasm = WidgetBuild::of(&descriptor).name();
    let body = enhanced_markup(descriptor, locale, &action(&entry))?.into_bytes();
    let mut response =
        cacheable(&headers, "text/html; charset=utf-8", body, Some(&state.inner.precompressed));
    render_headers(&state, &entry, &revision, response.headers_mut());
    response.headers_mut().insert("kform-wasm", HeaderValue::from_static(wasm));
    Ok(response)
}

/// `GET /v1/forms/{form_id}/include`: the form for a host page's own server to write into the
/// page where the `<div data-kform>` would go (a server-side include): the host element with
/// the form already in its declarative shadow root, with its stylesheet, laid out as `kform.js`
/// shows it (one page at a time) and, where the browser runs no script, as the hosted page
/// (every page at once; see [`Layout::Included`]), with a fresh render token. The browser shows
/// it as it parses the page, and it works with no script at all: it posts to the relay's hosted
/// page. `kform.js` on the page takes it over like any embedded form, with the descriptor it
/// preloads.
///
/// The form's links are absolute: to `?relay=` (the relay's address as visitors reach it),
/// else to the address this request reached. `?lang=` picks the language, and a host's server
/// may pass `kform_page` (its page's query) and `kform_referrer`, for the form's capture items
/// when the visitor has no script. The answer is not to be cached for long: its render token
/// says when the visitor was served the form (see `README.md`).
pub(crate) async fn include(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RawQuery(query): RawQuery,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let entry = form_entry(&state, form_id).await?;
    let query = parse_query(query.as_deref())?;
    let locale = locale_of(&query, &entry);
    let relay = relay_address(&query, &uri, &headers)?;
    let form = fresh(&state, &entry, locale).await?;
    let form_id = &entry.settings.spec.id.0;
    let token = forms::render_token(&state, form_id);
    let address = format!("{relay}{}", CameFrom::of(&query).post_address(&action(&entry), locale));
    let render = Render {
        action: &address,
        render_token: Some(&token),
        submission_id: None,
        layout: Layout::Included,
    };
    // No descriptor: `kform.js` fetches it (`GET /v1/forms/{id}`, with a fresh render token)
    // for the WebAssembly, so a visitor without them parses 6 KB less for the 30-field bench form.
    let body = markup::form(&form, &render).to_html();
    let (css, css_source) = &*INCLUDED_STYLE;
    let mut host = String::from("<div");
    for (name, value) in [
        ("data-kform", form_id.as_str()),
        ("data-kform-relay", &relay),
        ("data-kform-lang", locale.tag()),
    ] {
        host.push_str(&format!(" {name}=\""));
        kform_view::html::escape(value, true, &mut host);
        host.push('"');
    }
    // The stylesheet is kform's own: it holds no `</style`, so it cannot end the element early.
    let mut html = format!(
        "{host}><template shadowrootmode=\"open\"><style>{css}</style>{body}</template></div>"
    );
    let build = WidgetBuild::of(form.descriptor());
    html.push_str(&scripts(&state, &relay, form_id, build));
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(css_source) {
        out.insert(HeaderName::from_static("kform-style-src"), value);
    }
    Ok(response)
}

/// An included form's stylesheet, and the source a host page's `style-src` allows its `<style>`
/// with if it allows no inline style: the stylesheet's hash, `'sha256-…'` (it changes only with
/// the relay's version).
static INCLUDED_STYLE: std::sync::LazyLock<(String, String)> = std::sync::LazyLock::new(|| {
    let css = style::included_stylesheet();
    let digest = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sha2::Sha256::digest(css.as_bytes()),
    );
    (css, format!("'sha256-{digest}'"))
});

/// What an included form brings to take it over: `kform.js` (at its stable address, so a page
/// that also embeds forms by script runs it once) pinned to this relay's bundle with its
/// integrity, and preloads of the `.wasm` it takes (`build`'s, as its markup says) and of the
/// form's descriptor (with its fresh render
/// token, the very request `kform.js` makes), which then download while the page is parsed
/// rather than after `kform.js` ran. The script is `async`: the form is already shown, so the page's
/// `DOMContentLoaded` does not wait for it (`tests/bench/widget-timeline.mjs`: the bench's
/// included page is parsed at 51.5 ms, before `kform.js` has arrived at 56.2 ms). Nothing when
/// the relay serves no widget: the form still works.
fn scripts(state: &AppState, relay: &str, form_id: &str, build: WidgetBuild) -> String {
    let Some(widget) = &state.inner.widget else { return String::new() };
    let asset = |name: &str| widget.files.get(name);
    let file = build.file();
    // The script is pinned as host pages pin it (sha384, `/widget/sri.json`), the `.wasm` as
    // `kform.js` pins it (sha256), so the preload is the request `kform.js` makes.
    let script = asset("kform.js").map(|asset| asset.integrity.as_str());
    let (Some(script), Some(wasm)) = (script, asset(file).map(|asset| asset.pinned.as_str()))
    else {
        return String::new();
    };
    // The relay's address was checked to hold no quote, `&` or angle bracket; a form id is
    // letters, digits, `-` and `_` (so `kform.js`'s `encodeURIComponent` leaves it as it is, and
    // the preload is the same request); an integrity is base64.
    format!(
        "<link rel=\"preload\" href=\"{relay}/widget/{file}\" as=\"fetch\" \
         crossorigin integrity=\"{wasm}\"><link rel=\"preload\" \
         href=\"{relay}/v1/forms/{form_id}\" as=\"fetch\" crossorigin><script \
         type=\"module\" async src=\"{relay}/widget/kform.js\" integrity=\"{script}\"></script>"
    )
}

/// The relay's address as visitors reach it, for an included form's links: `?relay=` (an
/// `http` or `https` address, without a query, quotes, `&` or angle brackets), else the scheme (`X-Forwarded-Proto`, else
/// `http`) and host this request came with (`Host`, or HTTP/2's authority). Without a trailing
/// `/`.
fn relay_address(
    query: &[(String, String)],
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> Result<String, AppError> {
    let bad = || {
        AppError::bad_request(
            Code::BadRequest,
            "relay must be an http or https address, such as https://forms.example.com",
        )
    };
    if let Some((_, given)) = query.iter().find(|(name, _)| name == "relay") {
        let rest = given.strip_prefix("https://").or_else(|| given.strip_prefix("http://"));
        let fits = rest.is_some_and(|rest| {
            !rest.is_empty()
                && !rest.starts_with('/')
                && rest.chars().all(|c| {
                    c.is_ascii_graphic()
                        && !matches!(c, '?' | '#' | '"' | '\'' | '&' | '<' | '>' | '\\')
                })
        });
        return if fits { Ok(given.trim_end_matches('/').to_owned()) } else { Err(bad()) };
    }
    let header = |name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok());
    let host = header(header::HOST)
        .or_else(|| uri.authority().map(axum::http::uri::Authority::as_str))
        .filter(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .ok_or_else(bad)?;
    let scheme = match header(HeaderName::from_static("x-forwarded-proto")) {
        Some("https") => "https",
        _ => "http",
    };
    Ok(format!("{scheme}://{host}"))
}

/// A form's markup as `kform.js` shows it before the WebAssembly takes it over, laid out as the
/// enhanced widget shows it: an embedded form's (`GET /v1/forms/{id}/html`) and the editor's
/// preview (`POST /v1/admin/preview`), so both are the relay's one rendering.
pub(crate) fn enhanced_markup(
    descriptor: FormDescriptor,
    locale: Locale,
    action: &str,
) -> Result<String, AppError> {
    // The `.wasm` renders no item (the page holds them), so its copy of the form goes without
    // the items' help and placeholders, which every visitor would download twice: they are
    // taken out for it and put back for the markup.
    let mut descriptor = descriptor;
    let shown: Vec<_> = (descriptor.form.items.iter_mut())
        .map(|item| (item.help.take(), item.placeholder.take()))
        .collect();
    let json = serde_json::to_string(&descriptor).map_err(|err| AppError::Store(err.into()))?;
    for (item, (help, placeholder)) in descriptor.form.items.iter_mut().zip(shown) {
        (item.help, item.placeholder) = (help, placeholder);
    }
    let parts = markup::style_parts(&descriptor);
    let form = FormState::new(descriptor, Some(locale));
    let render =
        Render { action, render_token: None, submission_id: None, layout: Layout::Enhanced };
    // The descriptor travels with the markup, for the WebAssembly, and so does the stylesheet,
    // which `kform.js` adopts into the shadow root: one request per form, and the form is shown
    // styled as soon as it arrives. The stylesheet holds only the rules this form can use.
    let data = [descriptor_data(json), stylesheet_data(parts)];
    Ok(markup::form(&form, &render).children(data).to_html())
}

/// The header that tells `kform.js` what a basic-mode post came to: `sent`, `invalid` (the
/// markup shows the problems), `rows` (a row button's change) or `refused` (the relay's own
/// refusal, shown in the form's alert).
const OUTCOME: HeaderName = HeaderName::from_static("kform-outcome");

/// `POST /v1/forms/{form_id}/html`: a post from a host page that shows the relay's markup
/// without the WebAssembly. The answer is the markup to show: the form again, laid out on one
/// page, or the thanks; `Kform-Outcome` says which, and a sent answer carries the relay's
/// JSON answer in `Kform-Submission`.
pub(crate) async fn fragment_post(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let entry = form_entry(&state, form_id).await?;
    let query = parse_query(request.uri().query())?;
    let locale = locale_of(&query, &entry);
    let came_from = CameFrom::of(&query);
    let (status, outcome, html, submission) =
        match receive(&state, &entry, locale, came_from, request).await? {
            Received::Again { form, why, submission_id, render_token } => {
                let render = Render {
                    action: &action(&entry),
                    render_token: Some(&render_token),
                    submission_id: Some(&submission_id),
                    layout: Layout::Basic,
                };
                (why.status(), why.outcome(), markup::form(&form, &render), None)
            }
            Received::Sent { outcome } => {
                let message = thanks(&entry.settings.spec.on_success, locale);
                let wrapped = el("div").attr("class", "kform").attr("part", "form-root");
                (StatusCode::OK, "sent", wrapped.child(markup::thanks(&message)), Some(outcome))
            }
        };
    let mut response =
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html.to_html())
            .into_response();
    let out = response.headers_mut();
    out.insert(OUTCOME, HeaderValue::from_static(outcome));
    if let (true, OnSuccess::Redirect(url)) = (outcome == "sent", &entry.settings.spec.on_success)
        && let Ok(value) = HeaderValue::from_str(url)
    {
        out.insert(HeaderName::from_static("kform-redirect"), value);
    }
    let submission = submission.and_then(|outcome| serde_json::to_string(&outcome).ok());
    // The JSON is ASCII: non-ASCII text is escaped by serde_json only in strings, and ids and
    // states are ASCII.
    if let Some(value) = submission.and_then(|json| HeaderValue::from_str(&json).ok()) {
        out.insert(HeaderName::from_static("kform-submission"), value);
    }
    Ok(response)
}

/// Where the hosted page posts.
fn action(entry: &FormEntry) -> String {
    format!("/f/{}", entry.settings.spec.id)
}

/// Where the visitor came from, for the form's capture items: the page address's query (its
/// UTM parameters and `gclid`) and the referring page. A plain post carries them in its own
/// address (`kform_page`, `kform_referrer`), since capture items are no inputs.
struct CameFrom {
    page: String,
    referrer: String,
}

impl CameFrom {
    /// Reads them from a post address's query.
    fn of(query: &[(String, String)]) -> Self {
        let get = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_default()
        };
        Self { page: get("kform_page"), referrer: get("kform_referrer") }
    }

    /// `action` with the language and where the visitor came from in its query.
    fn post_address(&self, action: &str, locale: Locale) -> String {
        let encode = |text: &str| {
            percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        };
        let mut address = format!("{action}?lang={}", locale.tag());
        for (name, value) in [("kform_page", &self.page), ("kform_referrer", &self.referrer)] {
            if !value.is_empty() {
                address.push_str(&format!("&{name}={}", encode(value)));
            }
        }
        address
    }

    /// Fills the form's capture items.
    fn capture(&self, form: &mut FormState) {
        let params =
            parse_urlencoded(self.page.trim_start_matches('?').as_bytes()).unwrap_or_default();
        let params: Vec<(&str, &str)> =
            params.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        form.capture(&params, &self.referrer);
    }
}

/// What a post came to.
enum Received {
    /// The form again, and why; the submission id and render token to keep.
    Again { form: Box<FormState>, why: Again, submission_id: String, render_token: String },
    /// Sent (or a robot's post, answered alike): the relay's answer.
    Sent { outcome: SubmitOutcome },
}

/// Why a post comes back as the form again.
#[derive(Clone, Copy)]
enum Again {
    /// A row button's change.
    Rows,
    /// Problems with the values, shown on their fields.
    Invalid,
    /// The relay's own refusal (too quick, expired, a captcha), shown in the form's alert.
    Refused,
}

impl Again {
    fn status(self) -> StatusCode {
        match self {
            Self::Rows => StatusCode::OK,
            Self::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Refused => StatusCode::BAD_REQUEST,
        }
    }

    /// The `Kform-Outcome` of a basic-mode post.
    fn outcome(self) -> &'static str {
        match self {
            Self::Rows => "rows",
            Self::Invalid => "invalid",
            Self::Refused => "refused",
        }
    }
}

/// Reads a plain post of the form into its state, then does what a visitor's button asked:
/// change the rows, or send it with the same checks as the JSON API (honeypot, render token
/// and fill time, captcha) and the same validation, on one page.
async fn receive(
    state: &AppState,
    entry: &FormEntry,
    locale: Locale,
    came_from: CameFrom,
    request: Request,
) -> Result<Received, AppError> {
    let spec = &entry.settings.spec;
    let client = ClientAddr::of(&request, state).0;
    let mut form = fresh(state, entry, locale).await?;
    form.show_on_one_page();
    let FormBody { pairs, uploads } =
        FormBody::read(request, state, state.inner.limits.json_body_bytes).await?;
    let posted = posted::apply(&mut form, &pairs)
        .map_err(|err| AppError::bad_request(Code::UnknownInput, err.to_string()))?;
    came_from.capture(&mut form);
    let submission_id =
        posted.submission_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    intake::check_uploads(&form.descriptor().fields, &uploads)?;
    let mut chosen: BTreeMap<&str, Vec<(String, u64)>> = BTreeMap::new();
    for upload in &uploads {
        let size = upload.bytes.len() as u64;
        chosen.entry(upload.field.as_str()).or_default().push((upload.name.clone(), size));
    }
    for (code, files) in chosen {
        form.choose_files(code, files);
    }
    // The form comes back with the token it was sent with, so the time the visitor spent
    // still counts; a missing or refused one is replaced by the one the refusal carries
    // (`renewed`, below).
    let posted_token = posted.render_token.clone();
    let again = |form: FormState, why, renewed: Option<String>| Received::Again {
        form: Box::new(form),
        why,
        submission_id: submission_id.clone(),
        render_token: renewed
            .or_else(|| posted_token.clone())
            .unwrap_or_else(|| forms::render_token(state, &spec.id.0)),
    };
    if let Some(action) = &posted.action {
        action.apply(&mut form);
        return Ok(again(form, Again::Rows, None));
    }
    if !posted.honeypot.is_empty() {
        tracing::info!(form = %spec.id, "honeypot filled; submission dropped");
        let answer = intake::spam(state, &spec.id.0).await?;
        return Ok(Received::Sent { outcome: answer.outcome });
    }
    let refused = |mut form: FormState, text: Text, renewed: Option<String>| {
        form.finish_submit(Err(SubmitError::Failed(text.get(locale).to_owned())));
        again(form, Again::Refused, renewed)
    };
    if state.captcha_for(entry).is_some() && posted.captcha_token.is_none() {
        // The captcha's challenge needs the provider's script, which `kform.js` runs: it adds
        // the answer's input. A page without it cannot pass.
        state.inner.metrics.submission(&spec.id.0, "captcha_failed");
        return Ok(refused(form, Text::NeedsScript, None));
    }
    let checked = match check_fill_time(state, &spec.id.0, posted.render_token.as_deref()) {
        Ok(()) => check_captcha(state, entry, posted.captcha_token.as_deref(), client).await,
        Err(err) => Err(err),
    };
    if let Err(err) = checked {
        let (status, answer) = status_and_answer(err).await;
        let text = refusal(status.as_u16(), answer.code.as_deref());
        return Ok(refused(form, text, answer.render_token));
    }
    form.set_submission_id(Some(submission_id.clone()));
    let Advance::Send(submission) = form.advance(|| submission_id.clone()) else {
        return Ok(again(form, Again::Invalid, None));
    };
    let incoming = Incoming {
        submission_id: submission.submission_id,
        values: submission.values,
        uploads,
        locale,
    };
    match intake::accept(state, entry, incoming).await {
        Ok(answer) => Ok(Received::Sent { outcome: answer.outcome }),
        Err(AppError::Invalid(report, _)) => {
            form.refused(report);
            Ok(again(form, Again::Invalid, None))
        }
        Err(err) => {
            let (status, answer) = status_and_answer(err).await;
            if status.is_server_error() {
                return Err(AppError::coded(
                    status,
                    Code::SendFailed,
                    "the form could not be sent",
                ));
            }
            Ok(refused(form, refusal(status.as_u16(), answer.code.as_deref()), None))
        }
    }
}

/// The status and body an error answers with, as `error.rs` decides them (its code, and the
/// new render token a refused one carries).
async fn status_and_answer(err: AppError) -> (StatusCode, ErrorResponse) {
    let response = err.into_response();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

/// The hosted page: the form in the basic layout with a fresh render token.
fn page(
    entry: &FormEntry,
    form: &FormState,
    status: StatusCode,
    submission_id: &str,
    render_token: &str,
    address: &str,
) -> Response {
    let render = Render {
        action: address,
        render_token: Some(render_token),
        submission_id: Some(submission_id),
        layout: Layout::Basic,
    };
    let mut body = markup::form(form, &render);
    if let Ok(json) = serde_json::to_string(form.descriptor()) {
        body = body.child(descriptor_data(json));
    }
    let form_id = &entry.settings.spec.id.0;
    let html =
        document(form.locale(), &title(entry, form.locale()), body, Some(form_id), themed(entry));
    let mut response = html_response(status, html);
    // A form with a captcha: where a script runs, `kform.js` shows the provider's challenge.
    let provider = form.descriptor().captcha.as_ref();
    if let Some(provider) =
        provider.and_then(|captcha| CaptchaProvider::from_name(&captcha.provider))
        && let Ok(policy) = HeaderValue::from_str(&page_policy(provider.page_sources()))
    {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// The form's descriptor as the WebAssembly reads it from the markup.
fn descriptor_data(json: String) -> El {
    el("script")
        .attr("type", "application/json")
        .attr("class", "kform-descriptor")
        .child(Node::Json(json))
}

/// The shadow root's stylesheet for a form with `parts` as `kform.js` reads it from the
/// markup: JSON text in an inert `<script>`, because a page's Content-Security-Policy may
/// refuse `<style>` elements while a constructed stylesheet is always allowed.
fn stylesheet_data(parts: style::Parts) -> El {
    static CSS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        (0..16)
            .map(|index| {
                let css = style::shadow_stylesheet(style::Parts::from_index(index));
                serde_json::to_string(&css).unwrap_or_else(|_| "\"\"".to_owned())
            })
            .collect()
    });
    let css = CSS.get(parts.index()).cloned().unwrap_or_default();
    el("script")
        .attr("type", "application/json")
        .attr("class", "kform-stylesheet")
        .child(Node::Json(css))
}

/// The page's title: the form's first heading (an item without a field), else a plain word.
fn title(entry: &FormEntry, locale: Locale) -> String {
    let spec = &entry.settings.spec;
    spec.items
        .iter()
        .find(|item| item.field.is_none() && !item.page_break)
        .and_then(|item| item.label.clone())
        .unwrap_or_else(|| Text::FormTitle.get(locale).to_owned())
}

/// The form whose theme a page links, when it has one.
fn themed(entry: &FormEntry) -> Option<&str> {
    (!entry.settings.theme.is_empty()).then_some(entry.settings.spec.id.0.as_str())
}

/// `GET /f/{form_id}/theme.css`: the form's theme as the page's own stylesheet (empty of
/// declarations when it has none).
pub(crate) async fn theme_css(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let entry = form_entry(&state, form_id).await?;
    let css = crate::theme::stylesheet(&entry.settings.theme);
    Ok(cacheable(&headers, "text/css; charset=utf-8", css.into_bytes(), None))
}

/// A whole page around `body`. With `form`, the page loads the widget, which takes the form
/// over as on an embedding page; without a script the form works as it is. With `theme` (a
/// form id), it links that form's theme after the widget's stylesheet.
fn document(
    locale: Locale,
    title: &str,
    body: El,
    form: Option<&str>,
    theme: Option<&str>,
) -> String {
    let head = el("head")
        .child(el("meta").attr("charset", "utf-8"))
        .child(
            el("meta")
                .attr("name", "viewport")
                .attr("content", "width=device-width, initial-scale=1"),
        )
        // The page, and the form with it, light or dark as the visitor prefers (a form's theme
        // with its own colours pins one, `theme::stylesheet`).
        .child(el("meta").attr("name", "color-scheme").attr("content", "light dark"))
        .child(el("title").text(title))
        // No icon: without this line every visit also asks the relay for /favicon.ico (a 404).
        .child(el("link").attr("rel", "icon").attr("href", "data:,"))
        .child(el("link").attr("rel", "stylesheet").attr("href", "/f/kform.css"))
        .child_opt(theme.map(|form| {
            // A form id is letters, digits, `-` and `_`: nothing to escape.
            let href = format!("/f/{form}/theme.css");
            el("link").attr("rel", "stylesheet").attr("href", &href)
        }))
        .child_opt(
            form.map(|_| el("script").attr("type", "module").attr("src", "/widget/kform.js")),
        );
    let html = el("html").attr("lang", locale.tag()).child(head).child(
        el("body").child(
            el("main")
                .attr("class", "kform-host")
                .attr_opt("data-kform-hosted", form)
                .attr_opt("data-kform-lang", form.map(|_| locale.tag()))
                .child(el("h1").attr("class", "kform-title").text(title))
                .child(body),
        ),
    );
    format!("<!doctype html>\n{}", html.to_html())
}

/// The policy of the relay's own pages: its stylesheet, the widget's script and WebAssembly, its
/// own API, posts to itself; nothing else.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                           script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
                           base-uri 'none'; frame-ancestors 'none'";

/// [`PAGE_POLICY`] with `extra` sources added to their directives (a directive it lacks is
/// added).
fn page_policy(extra: &[(&str, &str)]) -> String {
    let mut directives: Vec<String> = PAGE_POLICY.split("; ").map(str::to_owned).collect();
    for (name, sources) in extra {
        match directives.iter_mut().find(|directive| directive.split(' ').next() == Some(*name)) {
            Some(directive) => {
                directive.push(' ');
                directive.push_str(sources);
            }
            None => directives.push(format!("{name} {sources}")),
        }
    }
    directives.join("; ")
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response =
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    response
}

/// A page for a post or a form that cannot be served, in the visitor's words: the status
/// stays the error's, so a client still sees a 4xx or a 5xx.
fn error_page(err: AppError, locale: Locale) -> Response {
    let status = err.into_response().status();
    let text = match status {
        StatusCode::NOT_FOUND => Text::FormNotFound,
        status if status.is_server_error() => Text::SendFailed,
        StatusCode::PAYLOAD_TOO_LARGE => Text::FilesTooLarge,
        _ => Text::BadPost,
    };
    let message = el("p").attr("class", "kform-alert").attr("role", "alert").text(text.get(locale));
    html_response(status, document(locale, text.get(locale), message, None, None))
}
