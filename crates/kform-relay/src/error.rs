//! The one place that decides what an HTTP error shows: every error is an [`ErrorResponse`] JSON
//! body. Details of upstream failures are logged, never returned; credentials appear in neither.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kform_core::protocol::ErrorResponse;
use kform_core::{FormId, Locale, Report};
use kform_kintone::KintoneError;

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum AppError {
    /// No form with this id.
    UnknownForm(FormId),
    /// The body is not the JSON the endpoint takes.
    BadJson(JsonRejection),
    /// The values are invalid; every problem, rendered in the request's language.
    Invalid(Report, Locale),
    /// kintone failed or refused.
    Kintone(KintoneError, Locale),
}

fn json_error(status: StatusCode, body: ErrorResponse) -> Response {
    (status, Json(body)).into_response()
}

fn message(status: StatusCode, text: impl Into<String>) -> Response {
    json_error(status, ErrorResponse { message: text.into(), errors: Vec::new() })
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::UnknownForm(id) => {
                message(StatusCode::NOT_FOUND, format!("there is no form {:?}", id.0))
            }
            Self::BadJson(rejection) => message(rejection.status(), rejection.body_text()),
            Self::Invalid(report, locale) => json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorResponse::invalid("some values are invalid", &report, locale),
            ),
            Self::Kintone(err, locale) => {
                if let Some(body) = err.validation_body() {
                    tracing::info!(code = %body.code, id = %body.id, "kintone refused a record");
                    return json_error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorResponse::invalid(
                            "kintone refused some values",
                            &body.to_report(),
                            locale,
                        ),
                    );
                }
                tracing::error!(error = %err, "kintone request failed");
                match err {
                    KintoneError::Transport(_) | KintoneError::Unexpected { status: 503, .. } => {
                        message(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "kintone cannot be reached right now, please try again later",
                        )
                    }
                    _ => message(
                        StatusCode::BAD_GATEWAY,
                        "kintone did not accept the request; the relay logged the details",
                    ),
                }
            }
        }
    }
}
