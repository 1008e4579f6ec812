//! `POST /v1/forms/{form_id}/submissions`: spam checks, then the shared submission path.

use std::net::IpAddr;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kform_core::FormId;

use crate::captcha;
use crate::clock::UnixMillis;
use crate::error::AppError;
use crate::error::Code;
use crate::extract::{RequestLocale, SubmissionBody};
use crate::guard::ClientAddr;
use crate::intake::{self, Incoming};
use crate::routes::forms;
use crate::signing::Claim;
use crate::state::{AppState, FormEntry};

/// Checks the honeypot, the fill time and the captcha, then validates and delivers. The body is
/// JSON, or multipart with files when the form has a FILE item.
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RequestLocale(locale): RequestLocale,
    ClientAddr(client): ClientAddr,
    request: Request,
) -> Result<Response, AppError> {
    let form_id = FormId(form_id);
    let entry = state.find_form(&form_id).await.ok_or(AppError::UnknownForm(form_id))?;
    let spec = &entry.settings.spec;
    let locale = locale.unwrap_or(spec.default_lang);
    if SubmissionBody::is_multipart(&request) {
        let fields = state.fields(&entry.settings.connection, spec.app).await?;
        if !spec.takes_files(&fields) {
            return Err(AppError::coded(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Code::FilesNotAccepted,
                "this form takes no files; send the submission as JSON",
            ));
        }
    }
    let json_limit = state.inner.limits.json_body_bytes;
    let SubmissionBody { submission, uploads } =
        SubmissionBody::read(request, &state, Some(json_limit)).await?;
    if submission.honeypot.as_deref().is_some_and(|value| !value.is_empty()) {
        // A robot filled the hidden input: answer as if accepted, so it learns nothing.
        tracing::info!(form = %spec.id, "honeypot filled; submission dropped");
        return intake::spam(&state, &spec.id.0).await.map(IntoResponse::into_response);
    }
    check_fill_time(&state, &spec.id.0, submission.render_token.as_deref())?;
    check_captcha(&state, &entry, submission.captcha_token.as_deref(), client).await?;
    let incoming = Incoming {
        submission_id: submission.submission_id,
        values: submission.values,
        uploads,
        locale,
    };
    intake::accept(&state, &entry, incoming).await.map(IntoResponse::into_response)
}

/// Refuses a submission to a form that asks for a captcha (when the relay has a captcha
/// service) without an answer the provider's verifier accepts.
pub(crate) async fn check_captcha(
    state: &AppState,
    entry: &FormEntry,
    token: Option<&str>,
    client: IpAddr,
) -> Result<(), AppError> {
    let form = &entry.settings.spec.id;
    let Some(captcha) = state.captcha_for(entry) else { return Ok(()) };
    let token = token.unwrap_or_default();
    if token.is_empty() {
        state.inner.metrics.submission(&form.0, "captcha_failed");
        return Err(AppError::bad_request(
            Code::CaptchaRequired,
            "solve the captcha before sending",
        ));
    }
    if let Err(reason) = captcha::verify(captcha, token, client).await {
        tracing::info!(%form, %reason, "captcha refused");
        state.inner.metrics.submission(&form.0, "captcha_failed");
        return Err(AppError::bad_request(
            Code::CaptchaFailed,
            "the captcha was not solved; please try again",
        ));
    }
    Ok(())
}

/// Refuses a submission sent sooner than `min_fill` after its form was served, or with a render
/// token that is missing, forged, for another form or too old.
pub(crate) fn check_fill_time(
    state: &AppState,
    form: &str,
    token: Option<&str>,
) -> Result<(), AppError> {
    let spam = &state.inner.spam;
    if spam.min_fill.is_zero() {
        return Ok(());
    }
    // The answer carries a new token, served at `served_at`: a visitor sends the form again as
    // it is, with the fill time counted from now (a robot can ask for a token as easily).
    let reload = |code, served_at| {
        state.inner.metrics.submission(form, "spam_check_failed");
        AppError::StaleForm { code, fresh: forms::render_token_at(state, form, served_at) }
    };
    let now = state.inner.clock.now();
    let Some(token) = token else { return Err(reload(Code::RenderTokenMissing, now)) };
    let Some(Claim::Render { form: served, at }) = state.inner.signer.verify(token) else {
        return Err(reload(Code::RenderTokenInvalid, now));
    };
    if served != form {
        return Err(reload(Code::RenderTokenInvalid, now));
    }
    let elapsed = now.since(at);
    let millis =
        |duration: std::time::Duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    if elapsed < millis(spam.min_fill) {
        state.inner.metrics.submission(form, "too_fast");
        return Err(AppError::bad_request(
            Code::TooFast,
            "the form was sent too quickly after it appeared; please try again",
        ));
    }
    if elapsed > millis(spam.max_age) {
        // The visitor has had the form open for longer than any fill time: theirs is dated that
        // far back, so sending again at once is not "too fast".
        let served_at = UnixMillis(now.0.saturating_sub(millis(spam.min_fill)));
        return Err(reload(Code::RenderTokenExpired, served_at));
    }
    Ok(())
}
