//! The one place that decides what an HTTP error shows: every error is an `ErrorResponse` JSON
//! body with a sentence and a stable code. Details of upstream and storage failures are logged,
//! never returned; credentials appear in neither.

use std::fmt;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kform_core::protocol::ErrorResponse;
use kform_core::{FormId, Locale, Report};
use kform_kintone::KintoneError;

use crate::config::ConfigError;
use crate::store::StoreError;

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum AppError {
    /// No form with this id.
    UnknownForm(FormId),
    /// No connection with this name.
    UnknownConnection(String),
    /// The body is not the JSON the endpoint takes.
    BadJson(JsonRejection),
    /// A plain failure with its status, code and sentence.
    Coded {
        /// The HTTP status.
        status: StatusCode,
        /// The stable code.
        code: &'static str,
        /// The sentence.
        message: String,
    },
    /// No or a wrong key for the admin or integration API.
    Unauthorized(&'static str),
    /// The values are invalid; every problem, rendered in the request's language.
    Invalid(Report, Locale),
    /// kintone failed or refused.
    Kintone(KintoneError, Locale),
    /// A connection or form setting is invalid; every problem.
    Config(ConfigError),
    /// The data directory failed.
    Store(StoreError),
}

impl AppError {
    /// A plain failure.
    pub(crate) fn coded(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Coded { status, code, message: message.into() }
    }

    /// A 400 with a code.
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::coded(StatusCode::BAD_REQUEST, code, message)
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownForm(id) => write!(f, "there is no form {:?}", id.0),
            Self::UnknownConnection(name) => write!(f, "there is no connection {name:?}"),
            Self::BadJson(rejection) => f.write_str(&rejection.body_text()),
            Self::Coded { message, .. } => f.write_str(message),
            Self::Unauthorized(what) => write!(f, "a valid {what} key is required"),
            Self::Invalid(report, _) => write!(f, "{} invalid values", report.issues().len()),
            Self::Kintone(err, _) => write!(f, "{err}"),
            Self::Config(err) => write!(f, "{err}"),
            Self::Store(err) => write!(f, "{err}"),
        }
    }
}

fn json_error(status: StatusCode, body: ErrorResponse) -> Response {
    (status, Json(body)).into_response()
}

fn coded(status: StatusCode, code: &str, text: impl Into<String>) -> Response {
    json_error(status, ErrorResponse::coded(code, text))
}

/// What a kintone failure shows: refused values on their fields, otherwise a sentence.
pub(crate) fn kintone_response(err: &KintoneError, locale: Locale) -> Response {
    if let Some(body) = err.validation_body() {
        tracing::info!(code = %body.code, id = %body.id, "kintone refused a record");
        let mut answer =
            ErrorResponse::invalid("kintone refused some values", &body.to_report(), locale);
        answer.code = Some("kintone_refused".into());
        return json_error(StatusCode::UNPROCESSABLE_ENTITY, answer);
    }
    tracing::error!(error = %err, "kintone request failed");
    match err {
        KintoneError::Transport(_) | KintoneError::Unexpected { status: 503, .. } => coded(
            StatusCode::SERVICE_UNAVAILABLE,
            "kintone_unavailable",
            "kintone cannot be reached right now, please try again later",
        ),
        _ => coded(
            StatusCode::BAD_GATEWAY,
            "kintone_failed",
            "kintone did not accept the request; the relay logged the details",
        ),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::UnknownForm(_) => coded(StatusCode::NOT_FOUND, "unknown_form", self.to_string()),
            Self::UnknownConnection(_) => {
                coded(StatusCode::NOT_FOUND, "unknown_connection", self.to_string())
            }
            Self::BadJson(rejection) if crate::extract::stopped_arriving(&rejection) => coded(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the body stopped arriving; send it again".to_owned(),
            ),
            Self::BadJson(rejection) => {
                let code = match rejection {
                    JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
                    JsonRejection::BytesRejection(_)
                        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
                    {
                        "body_too_large"
                    }
                    // The body stopped arriving (the body timeout) or broke off.
                    JsonRejection::BytesRejection(_) => "body_unreadable",
                    // Well-formed JSON that is not what the endpoint takes.
                    JsonRejection::JsonDataError(_) => "invalid_body",
                    _ => "malformed_json",
                };
                coded(rejection.status(), code, rejection.body_text())
            }
            Self::Coded { status, code, message } => coded(status, code, message),
            Self::Unauthorized(_) => {
                let mut response =
                    coded(StatusCode::UNAUTHORIZED, "unauthorized", self.to_string());
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            Self::Invalid(report, locale) => json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorResponse::invalid("some values are invalid", &report, locale),
            ),
            Self::Kintone(err, locale) => kintone_response(&err, locale),
            Self::Config(err) => {
                let problems: Vec<_> = err
                    .0
                    .iter()
                    .map(|problem| serde_json::json!({ "key": problem.key, "reason": problem.reason }))
                    .collect();
                let body = serde_json::json!({
                    "message": "the settings are invalid",
                    "code": "invalid_settings",
                    "problems": problems,
                });
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
            Self::Store(err) => {
                tracing::error!(error = %err, "the data directory failed");
                coded(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage_failed",
                    "the relay could not store the request; the relay logged the details",
                )
            }
        }
    }
}
