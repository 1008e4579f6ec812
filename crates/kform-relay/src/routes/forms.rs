//! `GET /v1/forms/{form_id}`: the form schema a widget renders.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kform_core::FormId;
use kform_core::protocol::{CaptchaChallenge, FormDescriptor};
use sha2::{Digest, Sha256};
use std::sync::Arc;

use crate::clock::UnixMillis;
use crate::error::AppError;
use crate::guard::RENDER_TOKEN;
use crate::precompressed::Precompressed;
use crate::signing::Claim;
use crate::state::{AppState, FormEntry};

/// The form definition with the app's current settings of the fields it maps; nothing else.
///
/// The body is the same for every visitor until the form or the app's fields change, so it has
/// an ETag and browsers revalidate it (`no-cache`). The render token, which says when this
/// visitor was served the form, travels in the `Kform-Render-Token` header of every answer,
/// 304s included.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let form_id = FormId(form_id);
    let entry = state.find_form(&form_id).await.ok_or(AppError::UnknownForm(form_id))?;
    let (descriptor, revision) = descriptor(&state, &entry).await?;
    let body = serde_json::to_vec(&descriptor).map_err(|err| AppError::Store(err.into()))?;
    let mut response =
        cacheable(&headers, "application/json", body, Some(&state.inner.precompressed));
    render_headers(&state, &entry, &revision, response.headers_mut());
    Ok(response)
}

/// The form's descriptor: its definition with the app's current settings of the fields it
/// maps, and nothing else; and the revision of the app's fields it was made from.
pub(crate) async fn descriptor(
    state: &AppState,
    entry: &FormEntry,
) -> Result<(FormDescriptor, String), AppError> {
    let settings = &entry.settings;
    let fields = state.fields(&settings.connection, settings.spec.app).await?;
    let captcha = state.captcha_for(entry).map(|captcha| CaptchaChallenge {
        provider: captcha.provider.name().to_owned(),
        site_key: captcha.site_key.clone(),
    });
    let fields_shown = fields.subset(settings.spec.field_codes());
    let upload_limit_bytes =
        settings.spec.takes_files(&fields_shown).then(|| state.upload_limit_bytes());
    let descriptor = FormDescriptor {
        form: settings.spec.clone(),
        fields: fields_shown,
        captcha,
        upload_limit_bytes,
    };
    Ok((descriptor, fields.revision.clone()))
}

/// A fresh render token for form `form`: when this visitor was served the form.
pub(crate) fn render_token(state: &AppState, form: &str) -> String {
    render_token_at(state, form, state.inner.clock.now())
}

/// A render token for form `form` served at `at`.
pub(crate) fn render_token_at(state: &AppState, form: &str, at: UnixMillis) -> String {
    state.inner.signer.sign(&Claim::Render { form: form.to_owned(), at })
}

/// An answer whose body is the same for every visitor until the form or the app's fields
/// change: it has an ETag and browsers revalidate it (`no-cache`); a matching `If-None-Match`
/// is answered 304. With `precompressed`, a browser that takes brotli gets the body compressed
/// once at its best quality, when it is ready (see [`crate::precompressed`]).
pub(crate) fn cacheable(
    headers: &HeaderMap,
    content_type: &'static str,
    body: Vec<u8>,
    precompressed: Option<&Arc<Precompressed>>,
) -> Response {
    let digest = Sha256::digest(&body);
    let etag: String = digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect();
    let etag = format!("\"{etag}\"");
    let takes_brotli = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| crate::widget::accepts(accept, "br"));
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else if let Some(brotli) = precompressed
        .filter(|_| takes_brotli)
        .and_then(|precompressed| precompressed.brotli(&etag, &body))
    {
        let content_type = HeaderValue::from_static(content_type);
        let encoding = HeaderValue::from_static("br");
        ([(header::CONTENT_TYPE, content_type), (header::CONTENT_ENCODING, encoding)], brotli)
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
    };
    let out = response.headers_mut();
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    response
}

/// The headers every answer that serves a form carries, 304s included: a fresh signed
/// `Kform-Render-Token` and the app's fields' revision.
pub(crate) fn render_headers(
    state: &AppState,
    entry: &FormEntry,
    revision: &str,
    out: &mut HeaderMap,
) {
    if let Ok(value) = HeaderValue::from_str(&render_token(state, &entry.settings.spec.id.0)) {
        out.insert(RENDER_TOKEN, value);
    }
    if let Ok(value) = HeaderValue::from_str(revision) {
        out.insert("kform-fields-revision", value);
    }
}
