//! The admin API under `/v1/admin/` for a CMS and the kform editor: connections, apps and
//! their fields (sync), forms, lint, test send, submission history, replay and discard, drift
//! alerts, and editor tokens. Every call needs `Authorization: Bearer <admin key>` or an editor
//! token, which reaches only its own form, its connection (by name only) and its app's fields;
//! a token for a new form reaches the connection and app it was minted for (any, if none) and
//! creates one form, after which it is a token for that form.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kform_core::protocol::ErrorResponse;
use kform_core::{AppId, FormId, Locale, Values, lint};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConnectionFile, FormSettings, ProblemSink, SecretRef, check_origins};
use crate::error::AppError;
use crate::error::Code;
use crate::extract::{AppJson, RequestLocale};
use crate::guard::Caller;
use crate::intake;
use crate::manage;
use crate::outbox::Stage;
use crate::signing::Claim;
use crate::state::{AppState, FormEntry, Source};
use crate::store::Table;

/// The admin routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/connections", get(list_connections).post(create_connection))
        .route(
            "/v1/admin/connections/{name}",
            get(show_connection).put(update_connection).delete(delete_connection),
        )
        .route("/v1/admin/connections/{name}/apps", get(list_apps))
        .route("/v1/admin/connections/{name}/apps/{app}/fields", get(app_fields))
        .route("/v1/admin/connections/{name}/apps/{app}/sync", post(sync_app))
        .route("/v1/admin/forms", get(list_forms).post(create_form))
        .route("/v1/admin/form-ids/{form_id}", get(form_id_taken))
        .route("/v1/admin/forms/{form_id}", get(show_form).put(update_form).delete(delete_form))
        .route("/v1/admin/forms/{form_id}/lint", get(lint_saved))
        .route("/v1/admin/lint", post(lint_unsaved))
        .route("/v1/admin/preview", post(preview))
        .route("/v1/admin/forms/{form_id}/test-send", post(test_send))
        .route("/v1/admin/forms/{form_id}/mail-test", post(mail_test))
        .route("/v1/admin/forms/{form_id}/submissions", get(history))
        .route("/v1/admin/forms/{form_id}/submissions/{submission_id}", get(show_submission))
        .route("/v1/admin/forms/{form_id}/submissions/{submission_id}/replay", post(replay))
        .route("/v1/admin/forms/{form_id}/submissions/{submission_id}/discard", post(discard))
        .route("/v1/admin/forms/{form_id}/resume", post(resume))
        .route("/v1/admin/forms/{form_id}/delivery", get(form_delivery))
        .route("/v1/admin/forms/{form_id}/replay-dead-letters", post(replay_dead_letters))
        .route("/v1/admin/forms/{form_id}/mails/{mail}/resend", post(resend_mail))
        .route("/v1/admin/forms/{form_id}/mails/{mail}/drop", post(drop_mail))
        .route("/v1/admin/forms/{form_id}/resend-mails", post(resend_mails))
        .route("/v1/admin/delivery", get(delivery_status))
        .route("/v1/admin/kintone", get(kintone_status))
        .route("/v1/admin/alerts", get(alerts))
        .route("/v1/admin/editor-tokens", post(mint_editor_token))
}

fn conflict(code: Code, message: impl Into<String>) -> AppError {
    AppError::coded(StatusCode::CONFLICT, code, message)
}

fn read_only(what: &str) -> AppError {
    conflict(Code::DefinedInConfig, format!("{what} is defined in kform.toml; change it there"))
}

/// A connection name or form id: letters, digits, `-` and `_`, at most 64.
fn check_name(kind: &str, name: &str) -> Result<(), AppError> {
    FormId::is_valid(name).then_some(()).ok_or_else(|| {
        AppError::bad_request(
            Code::InvalidName,
            format!("a {kind} is 1 to 64 letters, digits, - or _"),
        )
    })
}

/// A connection as the caller may see it: an editor learns only its name.
fn connection_view(caller: &Caller, connection: &crate::state::Connection) -> Value {
    if caller.is_admin() { connection.summary() } else { json!({ "name": connection.name }) }
}

async fn list_connections(caller: Caller, State(state): State<AppState>) -> Json<Value> {
    let connections: Vec<Value> = state
        .connections()
        .iter()
        .filter(|connection| caller.may_use_connection(&state, &connection.name).is_ok())
        .map(|connection| connection_view(&caller, connection))
        .collect();
    Json(json!({ "connections": connections }))
}

async fn show_connection(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.may_use_connection(&state, &name)?;
    let connection = state.existing_connection(&name)?;
    Ok(Json(connection_view(&caller, &connection)))
}

#[derive(Deserialize)]
struct NewConnection {
    name: String,
    #[serde(flatten)]
    settings: ConnectionFile,
}

async fn create_connection(
    caller: Caller,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewConnection>,
) -> Result<Response, AppError> {
    caller.admin_only()?;
    check_name("connection name", &body.name)?;
    if state.connection(&body.name).is_some() {
        return Err(conflict(
            Code::Exists,
            format!("connection {:?} exists; PUT to change it", body.name),
        ));
    }
    save_connection(&state, &body.name, body.settings).await?;
    let summary = state.existing_connection(&body.name)?.summary();
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}

async fn update_connection(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
    AppJson(settings): AppJson<ConnectionFile>,
) -> Result<Json<Value>, AppError> {
    caller.admin_only()?;
    let existing = state.existing_connection(&name)?;
    if existing.source == Source::Config {
        return Err(read_only(&format!("connection {name:?}")));
    }
    save_connection(&state, &name, settings).await?;
    Ok(Json(state.existing_connection(&name)?.summary()))
}

/// What the admin API may not put in a connection: secrets read from the relay's environment
/// (only `kform.toml` may name those), and `allow_any_host` unless `kform.toml` permits it.
fn check_admin_connection(state: &AppState, settings: &ConnectionFile) -> Result<(), AppError> {
    let mut settings_copy = settings.clone();
    let from_env = settings_copy
        .secrets_mut()
        .into_iter()
        .find(|(_, secret)| matches!(secret, SecretRef::Env { .. }))
        .map(|(key, _)| key);
    if let Some(key) = from_env {
        return Err(AppError::bad_request(
            Code::EnvNotAllowed,
            format!(
                "{key}: the admin API takes secrets as written; only kform.toml may read them from the environment"
            ),
        ));
    }
    if settings.allow_any_host && !state.inner.admin_may_allow_any_host {
        return Err(AppError::coded(
            StatusCode::FORBIDDEN,
            Code::AnyHostNotAllowed,
            "allow_any_host needs admin_may_allow_any_host = true in kform.toml",
        ));
    }
    Ok(())
}

async fn save_connection(
    state: &AppState,
    name: &str,
    settings: ConnectionFile,
) -> Result<(), AppError> {
    check_admin_connection(state, &settings)?;
    state.add_connection(name, &settings)?;
    let json = state.sealed_json(&settings)?;
    state.settings().put_settings(Table::Connections, name.to_owned(), json).await?;
    // New credentials may fix what paused the forms on this connection.
    for entry in state.forms() {
        if entry.settings.connection == name {
            state.resume(&entry.settings.spec.id.0).await?;
        }
    }
    Ok(())
}

async fn delete_connection(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    caller.admin_only()?;
    let existing = state.existing_connection(&name)?;
    if existing.source == Source::Config {
        return Err(read_only(&format!("connection {name:?}")));
    }
    let users: Vec<String> = state
        .forms()
        .iter()
        .filter(|entry| entry.settings.connection == name)
        .map(|entry| entry.settings.spec.id.0.clone())
        .collect();
    if !users.is_empty() {
        return Err(conflict(
            Code::InUse,
            format!("forms {users:?} use connection {name:?}; delete or move them first"),
        ));
    }
    state.settings().delete_settings(Table::Connections, name.clone()).await?;
    state.remove_connection(&name);
    Ok(StatusCode::NO_CONTENT)
}

async fn list_apps(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.may_use_connection(&state, &name)?;
    let connection = state.existing_connection(&name)?;
    let mut listed = Vec::new();
    for (app, forms) in state.apps_of(&connection) {
        if caller.may_use_app(&state, &name, app.0).is_err() {
            continue;
        }
        // An editor sees no other form's id.
        let forms: Vec<String> = forms
            .into_iter()
            .filter(|form| caller.is_admin() || caller.may_edit(form).is_ok())
            .collect();
        // The name is kintone's; an app the credentials cannot read is still listed.
        let (app_name, error) = match connection.client(app) {
            Ok(client) => match client.app_name(app).await {
                Ok(app_name) => (Some(app_name), None),
                Err(err) => (None, Some(err.to_string())),
            },
            Err(err) => (None, Some(err.to_string())),
        };
        listed.push(json!({ "app": app.0, "name": app_name, "error": error, "forms": forms }));
    }
    Ok(Json(json!({ "apps": listed })))
}

fn parse_app(app: &str) -> Result<AppId, AppError> {
    app.parse()
        .map(AppId)
        .map_err(|_| AppError::bad_request(Code::InvalidApp, format!("{app:?} is not an app id")))
}

async fn app_fields(
    caller: Caller,
    State(state): State<AppState>,
    Path((name, app)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    let app = parse_app(&app)?;
    caller.may_use_app(&state, &name, app.0)?;
    let fields = state.fields(&name, app).await?;
    let synced_at = state.settings().app_fields(name, app.0).await?.map(|(_, at)| at);
    Ok(Json(json!({ "app": app.0, "synced_at": synced_at, "fields": &*fields })))
}

async fn sync_app(
    caller: Caller,
    State(state): State<AppState>,
    Path((name, app)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    let app = parse_app(&app)?;
    caller.may_use_app(&state, &name, app.0)?;
    let report = state.sync(&name, app).await?;
    Ok(Json(serde_json::to_value(report).unwrap_or_default()))
}

fn form_view(entry: &FormEntry) -> Value {
    json!({
        "source": entry.source,
        "connection": entry.settings.connection,
        "allowed_origins": entry.settings.allowed_origins,
        "captcha": entry.settings.captcha,
        "owners": entry.settings.owners,
        "schedule_minutes": entry.settings.schedule_minutes,
        "mail": entry.settings.mail,
        "theme": entry.settings.theme,
        "spec": entry.settings.spec,
    })
}

async fn list_forms(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    caller.admin_only()?;
    Ok(Json(
        json!({ "forms": state.forms().iter().map(|entry| form_view(entry)).collect::<Vec<_>>() }),
    ))
}

async fn show_form(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let entry =
        state.form(&FormId(form_id.clone())).ok_or(AppError::UnknownForm(FormId(form_id)))?;
    Ok(Json(form_view(&entry)))
}

/// A form's settings as a body to create, change or lint it. What `GET /v1/admin/forms/{id}`
/// answers (or a save answers) may be sent back as it is: its read-only parts, `source` and
/// `lint`, are set aside, and anything else unknown is refused. A body without `mail` leaves a
/// saved form's mail as it is (the editor's form screen saves without it; its mail tab saves
/// with it), so one never overwrites the other's work; so does a body without `theme` (the
/// editor does not edit it; a CMS may).
struct FormBody {
    settings: FormSettings,
    /// Whether the body has `mail` (without it, a saved form's mail stays).
    has_mail: bool,
    /// Whether the body has `theme` (without it, a saved form's theme stays).
    has_theme: bool,
}

/// The parts of a form's view that the relay writes and a body may carry back unchanged.
const READ_ONLY: [&str; 2] = ["source", "lint"];

impl<S: Send + Sync> axum::extract::FromRequest<S> for FormBody {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let AppJson(mut body) =
            AppJson::<serde_json::Map<String, Value>>::from_request(request, state).await?;
        for key in READ_ONLY {
            body.remove(key);
        }
        let (has_mail, has_theme) = (body.contains_key("mail"), body.contains_key("theme"));
        serde_json::from_value(Value::Object(body))
            .map(|settings| Self { settings, has_mail, has_theme })
            .map_err(|err| AppError::bad_request(Code::InvalidBody, err.to_string()))
    }
}

/// Checks a form's settings before it is kept: its connection exists and its origins are exact.
fn check_form(state: &AppState, settings: &FormSettings) -> Result<(), AppError> {
    check_name("form id", &settings.spec.id.0)?;
    if settings.spec.format != kform_core::form::FORM_FORMAT_VERSION {
        return Err(AppError::bad_request(
            Code::UnsupportedFormat,
            format!("this relay reads form format {}", kform_core::form::FORM_FORMAT_VERSION),
        ));
    }
    state.existing_connection(&settings.connection)?;
    let mut problems = Vec::new();
    check_origins("allowed_origins", &settings.allowed_origins, &mut problems);
    if settings.schedule_minutes.is_some_and(|minutes| !(5..=1440).contains(&minutes)) {
        problems.problem("schedule_minutes".into(), "must be 5 to 1440 (a day)".into());
    }
    if settings.captcha && state.inner.spam.captcha.is_none() {
        problems.problem("captcha".into(), "no captcha service is set in kform.toml".into());
    }
    crate::mail::check(
        &settings.mail,
        &settings.spec,
        state.inner.mail.as_deref(),
        "mail",
        &mut problems,
    );
    crate::theme::check(&settings.theme, "theme", &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Config(crate::config::ConfigError(problems)))
    }
}

/// Keeps a form and answers it with its lint problems against the app's current fields.
async fn save_form(state: &AppState, settings: FormSettings) -> Result<Value, AppError> {
    check_form(state, &settings)?;
    let json = serde_json::to_string(&settings).map_err(|err| AppError::Store(err.into()))?;
    let id = settings.spec.id.0.clone();
    state.settings().put_settings(Table::Forms, id, json).await?;
    let entry = FormEntry { settings, source: Source::Admin };
    let mut view = form_view(&entry);
    // The alert follows the saved form at once: a fixed form's alert clears.
    let issues = match state.fields(&entry.settings.connection, entry.settings.spec.app).await {
        Ok(fields) => serde_json::to_value(state.check_drift(&entry.settings, &fields).await?)
            .unwrap_or_default(),
        Err(err) => json!({ "unavailable": err.to_string() }),
    };
    view["lint"] = issues;
    state.put_form(entry);
    Ok(view)
}

/// `GET /v1/admin/form-ids/{form_id}`: whether a new form could take this id (valid and not
/// in use), so the editor says so before any work is done on a form it could not save.
async fn form_id_taken(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    if let Caller::Editor(_) = caller {
        return Err(AppError::coded(
            StatusCode::FORBIDDEN,
            Code::OtherForm,
            "this editor token is for an existing form",
        ));
    }
    check_name("form id", &form_id)?;
    let taken = state.form(&FormId(form_id.clone())).is_some();
    Ok(Json(json!({ "form": form_id, "taken": taken })))
}

async fn create_form(
    caller: Caller,
    State(state): State<AppState>,
    FormBody { settings, .. }: FormBody,
) -> Result<Response, AppError> {
    if let Caller::Editor(_) = caller {
        return Err(AppError::coded(
            StatusCode::FORBIDDEN,
            Code::OtherForm,
            "this editor token is for an existing form",
        ));
    }
    caller.may_use_app(&state, &settings.connection, settings.spec.app.0)?;
    if state.form(&settings.spec.id).is_some() {
        return Err(conflict(
            Code::Exists,
            format!("form {} exists; PUT to change it", settings.spec.id),
        ));
    }
    check_form(&state, &settings)?;
    let id = settings.spec.id.0.clone();
    let Caller::Creator(creation) = caller else {
        return Ok((StatusCode::CREATED, Json(save_form(&state, settings).await?)).into_response());
    };
    // One form per token: noted before the form is kept, so two creates at once cannot both
    // pass; after this the token is a token for the form it made.
    if !state.settings().note_creation(creation.tag.clone(), id.clone()).await? {
        return Err(conflict(
            Code::TokenUsed,
            "this editor token already created a form; it now opens that form",
        ));
    }
    let mut view = match save_form(&state, settings).await {
        Ok(view) => view,
        Err(err) => {
            state.settings().forget_creation(creation.tag).await?;
            return Err(err);
        }
    };
    // The editor goes on editing the form it made, with a token for it.
    let until = state.seconds_from_now(3600);
    let claim = Claim::Editor { form: Some(id), until, scope: None, nonce: None };
    view["editor_token"] = json!(state.inner.signer.sign(&claim));
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn update_form(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    FormBody { mut settings, has_mail, has_theme }: FormBody,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    if settings.spec.id.0 != form_id {
        return Err(AppError::bad_request(
            Code::IdMismatch,
            "the form's id cannot change; create a new form instead",
        ));
    }
    if let Some(existing) = state.form(&settings.spec.id)
        && existing.source == Source::Config
    {
        return Err(read_only(&format!("form {form_id:?}")));
    }
    if let Some(existing) = state.form(&settings.spec.id) {
        if !has_mail {
            settings.mail = existing.settings.mail.clone();
        }
        if !has_theme {
            settings.theme = existing.settings.theme.clone();
        }
    }
    Ok(Json(save_form(&state, settings).await?))
}

async fn delete_form(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
) -> Result<StatusCode, AppError> {
    caller.may_edit(&form_id)?;
    let id = FormId(form_id.clone());
    let entry = state.form(&id).ok_or_else(|| AppError::UnknownForm(id.clone()))?;
    if entry.source == Source::Config {
        return Err(read_only(&format!("form {form_id:?}")));
    }
    state.settings().delete_settings(Table::Forms, form_id.clone()).await?;
    state.settings().clear_alerts(form_id).await?;
    state.remove_form(&id);
    Ok(StatusCode::NO_CONTENT)
}

async fn lint_saved(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RequestLocale(locale): RequestLocale,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let id = FormId(form_id);
    let entry = state.form(&id).ok_or(AppError::UnknownForm(id))?;
    lint_answer(&state, &entry.settings, locale).await
}

async fn lint_unsaved(
    caller: Caller,
    State(state): State<AppState>,
    RequestLocale(locale): RequestLocale,
    FormBody { settings, .. }: FormBody,
) -> Result<Json<Value>, AppError> {
    caller.may_use_app(&state, &settings.connection, settings.spec.app.0)?;
    lint_answer(&state, &settings, locale).await
}

/// The editor's preview: a draft form's descriptor (what `GET /v1/forms/{id}` answers) rendered
/// as the markup an embedded form shows, for the widget to take over in preview mode (it never
/// sends). Any admin key or editor token may ask: it renders only what the caller sent.
async fn preview(
    _caller: Caller,
    RequestLocale(locale): RequestLocale,
    AppJson(descriptor): AppJson<kform_core::protocol::FormDescriptor>,
) -> Result<Response, AppError> {
    let locale = locale.unwrap_or(descriptor.form.default_lang);
    let html = crate::routes::page::enhanced_markup(descriptor, locale, "")?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

async fn lint_answer(
    state: &AppState,
    settings: &FormSettings,
    locale: Option<Locale>,
) -> Result<Json<Value>, AppError> {
    let fields = state.fields(&settings.connection, settings.spec.app).await?;
    let locale = locale.unwrap_or(settings.spec.default_lang);
    let issues: Vec<Value> = lint(&fields, &settings.spec)
        .iter()
        .map(|issue| {
            let mut value = serde_json::to_value(issue).unwrap_or_default();
            value["message"] = json!(issue.line(locale));
            value["fix"] = json!(issue.fix(locale));
            value
        })
        .collect();
    Ok(Json(json!({ "revision": fields.revision, "issues": issues })))
}

#[derive(Deserialize)]
struct TestSend {
    #[serde(default)]
    values: Values,
}

/// Sends one record to kintone now, whatever the form's test mode, and reports kintone's exact
/// answer. It is not a submission: nothing is recorded in the history.
async fn test_send(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RequestLocale(locale): RequestLocale,
    AppJson(body): AppJson<TestSend>,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let id = FormId(form_id);
    let entry = state.form(&id).ok_or(AppError::UnknownForm(id))?;
    let spec = &entry.settings.spec;
    let locale = locale.unwrap_or(spec.default_lang);
    let fields = state.fields(&entry.settings.connection, spec.app).await?;
    let record = match kform_core::validate(&fields, spec, &body.values) {
        Ok(record) => record,
        Err(report) => {
            let answer = ErrorResponse::invalid("some values are invalid", &report, locale);
            return Ok(Json(json!({ "sent": false, "relay": answer })));
        }
    };
    let connection = state.existing_connection(&entry.settings.connection)?;
    let result = connection.client(spec.app)?.add_record(spec.app, &record).await;
    Ok(Json(match result {
        Ok(added) => {
            json!({ "sent": true, "kintone": { "status": 200, "body": { "id": added.id, "revision": added.revision } } })
        }
        Err(kform_kintone::KintoneError::Api { status, body }) => {
            json!({ "sent": true, "kintone": { "status": status, "body": body } })
        }
        Err(kform_kintone::KintoneError::Unexpected { status }) => {
            json!({ "sent": true, "kintone": { "status": status, "body": null } })
        }
        Err(err) => json!({ "sent": false, "error": err.to_string() }),
    }))
}

/// A test of a form's auto-reply: to one address the CMS user typed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailTest {
    /// Where the test goes.
    to: String,
    /// The values to fill the templates with (the editor's preview's).
    #[serde(default)]
    values: kform_core::Values,
    /// The mail settings as the editor has them; the saved ones when not given.
    #[serde(default)]
    mail: Option<crate::mail::FormMail>,
}

/// `POST /v1/admin/forms/{form_id}/mail-test`: sends the form's auto-reply, filled with
/// `values` in the request's language, at once to `to` alone (never to the values' address),
/// within the hourly limit per address. Answers whether the SMTP server accepted it.
async fn mail_test(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RequestLocale(locale): RequestLocale,
    AppJson(body): AppJson<MailTest>,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let id = FormId(form_id);
    let entry = state.form(&id).ok_or(AppError::UnknownForm(id))?;
    let unprocessable = |message: &str| {
        AppError::coded(StatusCode::UNPROCESSABLE_ENTITY, Code::Unprocessable, message)
    };
    let settings = state
        .inner
        .mail
        .clone()
        .ok_or_else(|| unprocessable("kform.toml has no [mail]: the relay cannot send mail"))?;
    let to = crate::mail::typed_address(&body.to).ok_or_else(|| {
        AppError::bad_request(Code::InvalidBody, format!("{:?} is not an e-mail address", body.to))
    })?;
    let mut mail = body.mail.unwrap_or_else(|| entry.settings.mail.clone());
    let mut spec = entry.settings.spec.clone();
    let mut problems = Vec::new();
    crate::mail::check(&mail, &spec, Some(&settings), "mail", &mut problems);
    if !problems.is_empty() {
        return Err(AppError::Config(crate::config::ConfigError(problems)));
    }
    if mail.autoreply.is_none() {
        return Err(unprocessable("the form has no auto-reply to test"));
    }
    // A test mails `to` alone, as a test-mode form does.
    spec.test_mode = true;
    mail.test_recipients = vec![to.clone()];
    mail.notify.clear();
    let fields = state.fields(&entry.settings.connection, spec.app).await?;
    let now = state.inner.clock.now();
    let submission_id = format!("test-{}", uuid::Uuid::new_v4());
    let accepted = crate::mail::Accepted {
        spec: &spec,
        fields: &fields,
        values: &body.values,
        submission_id: &submission_id,
        locale: locale.unwrap_or(spec.default_lang),
        now,
    };
    let Some((outgoing, _)) = crate::mail::compose(&mail, &settings, &accepted).0 else {
        return Err(unprocessable("the auto-reply has no text in this language"));
    };
    let (form, recipient) = (spec.id.0.clone(), crate::mail::recipient_key(&to));
    let (per_recipient, per_form) = (settings.per_recipient_per_hour, settings.per_form_per_hour);
    let allowed = state
        .outbox(move |o| {
            o.allow_mail(&form, &submission_id, &recipient, now, per_recipient, per_form)
        })
        .await?;
    if !allowed {
        return Err(AppError::coded(
            StatusCode::TOO_MANY_REQUESTS,
            Code::RateLimited,
            "the hourly limit of auto-replies for this address or form is reached",
        ));
    }
    Ok(Json(match crate::mail::send_now(&settings, &outgoing).await {
        Ok(()) => json!({ "sent": true, "to": to, "subject": outgoing.subject }),
        Err(error) => json!({ "sent": false, "to": to, "error": error }),
    }))
}

#[derive(Deserialize)]
struct HistoryQuery {
    #[serde(default)]
    stage: Option<Stage>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    offset: Option<usize>,
}

/// The form's submissions, newest first, paged, each with its attempts and what to do about a
/// failure.
async fn history(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    Query(query): Query<HistoryQuery>,
    RequestLocale(locale): RequestLocale,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let limit = query.limit.unwrap_or(100).min(1000);
    let offset = query.offset.unwrap_or(0);
    let locale = locale.unwrap_or(Locale::En);
    let found = manage::history(&state, &form_id, query.stage, limit, offset, locale).await?;
    Ok(Json(json!({ "submissions": found })))
}

async fn show_submission(
    caller: Caller,
    State(state): State<AppState>,
    Path((form_id, submission_id)): Path<(String, String)>,
    RequestLocale(locale): RequestLocale,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let locale = locale.unwrap_or(Locale::En);
    let found = manage::submission(&state, &form_id, &submission_id, locale).await?;
    Ok(Json(serde_json::to_value(found).unwrap_or_default()))
}

/// How the form's delivery stands: counts per stage, its pause and its drift alerts.
async fn form_delivery(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RequestLocale(locale): RequestLocale,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let status = manage::status(&state, &form_id, locale.unwrap_or(Locale::En)).await?;
    Ok(Json(serde_json::to_value(status).unwrap_or_default()))
}

/// A replay's optional body: values that replace the submitted ones, field by field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Correction {
    values: serde_json::Map<String, Value>,
}

/// Puts a dead-lettered (or pending) submission back in the outbox, due now; it is validated
/// against the app's current fields when it is sent.
async fn replay(
    caller: Caller,
    State(state): State<AppState>,
    Path((form_id, submission_id)): Path<(String, String)>,
    RequestLocale(locale): RequestLocale,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    caller.may_edit(&form_id)?;
    let correction = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let correction: Correction = serde_json::from_slice(&body).map_err(|err| {
            let code = if err.is_data() { Code::InvalidBody } else { Code::MalformedJson };
            AppError::bad_request(code, format!("a replay body is {{\"values\": {{…}}}}: {err}"))
        })?;
        Some(correction.values)
    };
    manage::replay(&state, &form_id, &submission_id, correction, locale).await?;
    Ok(intake::answer(&submission_id, Stage::Pending, None).into_response())
}

/// Replays every dead letter of the form.
async fn replay_dead_letters(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let replayed = manage::replay_dead_letters(&state, &form_id).await?;
    Ok(Json(json!({ "form": form_id, "replayed": replayed })))
}

async fn discard(
    caller: Caller,
    State(state): State<AppState>,
    Path((form_id, submission_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    caller.may_edit(&form_id)?;
    manage::discard(&state, &form_id, &submission_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A given-up mail's number from the path; a path that is not one names no mail.
fn mail_number(text: &str) -> Result<i64, AppError> {
    text.parse().map_err(|_| {
        AppError::coded(
            StatusCode::NOT_FOUND,
            Code::UnknownMail,
            format!("{text:?} is not an undelivered mail's number"),
        )
    })
}

/// Sends a given-up mail again (the delivery status lists them as `failed_mails`).
async fn resend_mail(
    caller: Caller,
    State(state): State<AppState>,
    Path((form_id, mail)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let mail = mail_number(&mail)?;
    let resent = manage::resend_mail(&state, &form_id, Some(mail)).await?;
    Ok(Json(json!({ "form": form_id, "resent": resent })))
}

/// Sends every given-up mail of the form again.
async fn resend_mails(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let resent = manage::resend_mail(&state, &form_id, None).await?;
    Ok(Json(json!({ "form": form_id, "resent": resent })))
}

/// Drops a given-up mail for good.
async fn drop_mail(
    caller: Caller,
    State(state): State<AppState>,
    Path((form_id, mail)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    caller.may_edit(&form_id)?;
    manage::drop_mail(&state, &form_id, mail_number(&mail)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delivers a paused form again (after its connection was fixed).
async fn resume(
    caller: Caller,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
) -> Result<Json<Value>, AppError> {
    caller.may_edit(&form_id)?;
    let resumed = manage::resume(&state, &form_id).await?;
    Ok(Json(json!({ "form": form_id, "resumed": resumed })))
}

/// Paused forms and how many submissions each form has in each stage.
async fn delivery_status(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    caller.admin_only()?;
    let paused = state.outbox(|outbox| outbox.paused()).await?;
    let mut counts: std::collections::BTreeMap<String, serde_json::Map<String, Value>> =
        std::collections::BTreeMap::new();
    for (form, stage, count) in state.outbox(|outbox| outbox.counts(None)).await? {
        counts.entry(form).or_default().insert(stage.as_str().to_owned(), json!(count));
    }
    Ok(Json(json!({ "paused": paused, "forms": counts })))
}

/// Whether each connection's kintone answers now (an unauthenticated call: no API quota).
async fn kintone_status(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    caller.admin_only()?;
    Ok(Json(json!({ "kintone": super::ops::kintone_status(&state).await })))
}

async fn alerts(caller: Caller, State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    caller.admin_only()?;
    let alerts = state.settings().alerts().await?;
    Ok(Json(json!({ "alerts": alerts })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintRequest {
    /// The form; without it the token may create one new form.
    #[serde(default)]
    form: Option<String>,
    /// For a new form: the connection it must use (with `app`).
    #[serde(default)]
    connection: Option<String>,
    /// For a new form: the app it must be for (with `connection`).
    #[serde(default)]
    app: Option<u64>,
    /// How long the token works, in seconds (default 3600, at most a day).
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

async fn mint_editor_token(
    caller: Caller,
    State(state): State<AppState>,
    AppJson(body): AppJson<MintRequest>,
) -> Result<Response, AppError> {
    caller.admin_only()?;
    if let Some(form) = &body.form {
        state
            .form(&FormId(form.clone()))
            .ok_or_else(|| AppError::UnknownForm(FormId(form.clone())))?;
    }
    let ttl = body.ttl_seconds.unwrap_or(3600);
    if !(1..=86_400).contains(&ttl) {
        return Err(AppError::bad_request(Code::InvalidTtl, "ttl_seconds is 1 to 86400"));
    }
    let scope = match (&body.form, body.connection, body.app) {
        (_, None, None) => None,
        (None, Some(connection), Some(app)) => {
            state.existing_connection(&connection)?;
            Some((connection, app))
        }
        _ => {
            return Err(AppError::bad_request(
                Code::InvalidScope,
                "connection and app go together, and only in a token for a new form",
            ));
        }
    };
    let until = state.seconds_from_now(ttl);
    let nonce = body.form.is_none().then(|| uuid::Uuid::new_v4().simple().to_string());
    let claim = Claim::Editor { form: body.form.clone(), until, scope, nonce };
    let token = state.inner.signer.sign(&claim);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "form": body.form, "expires_at": until })),
    )
        .into_response())
}
