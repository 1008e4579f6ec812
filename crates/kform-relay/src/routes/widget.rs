//! `/widget/…`: the widget bundle with the right types, cache headers and its SRI manifest.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::error::Code;
use crate::state::AppState;

/// The stable address embed snippets use: revalidated every five minutes.
const SHORT_CACHE: &str = "public, max-age=300, stale-while-revalidate=86400";
/// A versioned address never changes.
const LONG_CACHE: &str = "public, max-age=31536000, immutable";

fn no_widget() -> AppError {
    AppError::coded(
        StatusCode::NOT_FOUND,
        Code::NoWidget,
        "this relay has no widget bundle; run `cargo xtask build-widget` or set widget_dir",
    )
}

fn asset(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    cache: &'static str,
) -> Result<Response, AppError> {
    let widget = state.inner.widget.as_ref().ok_or_else(no_widget)?;
    let asset = widget.files.get(name).ok_or_else(|| {
        AppError::coded(
            StatusCode::NOT_FOUND,
            Code::NotFound,
            format!("there is no widget file {name:?}"),
        )
    })?;
    let accept = headers.get(header::ACCEPT_ENCODING).and_then(|value| value.to_str().ok());
    let (coding, bytes) = asset.negotiate(accept.unwrap_or_default());
    let mut response = bytes.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(coding) = coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // Module scripts load with CORS; the bundle is public, so any page may load it.
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    // Each coding is its own representation, so its own tag.
    let tag =
        format!("\"{}{}\"", widget.version, coding.map(|c| format!("-{c}")).unwrap_or_default());
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

/// `GET /widget/{file}`.
pub(crate) async fn latest(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    asset(&state, &headers, &name, SHORT_CACHE)
}

/// `GET /widget/{version}/{file}`: only the current version is served.
pub(crate) async fn versioned(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((version, name)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let widget = state.inner.widget.as_ref().ok_or_else(no_widget)?;
    if version != widget.version {
        return Err(AppError::coded(
            StatusCode::NOT_FOUND,
            Code::OldVersion,
            format!("widget version {version} is not served; see /widget/sri.json"),
        ));
    }
    asset(&state, &headers, &name, LONG_CACHE)
}

/// `GET /widget/sri.json`.
pub(crate) async fn manifest(State(state): State<AppState>) -> Result<Response, AppError> {
    let widget = state.inner.widget.as_ref().ok_or_else(no_widget)?;
    let mut response = Json(widget.manifest()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(SHORT_CACHE));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(response)
}
