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

/// Declares [`Code`] from `Name = "text"` pairs: each code is written once.
macro_rules! codes {
    ($($name:ident = $text:literal,)*) => {
        /// Every stable code an error answer of the relay carries (the `code` of its
        /// `{message, code}` body), listed once; clients match on the text. The core's
        /// `invalid_values` (a 422 with every problem) is the one code written elsewhere.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Code {
            $(
                #[doc = $text]
                $name,
            )*
        }

        impl Code {
            /// Every code, for the tests.
            #[cfg(test)]
            const ALL: &[Self] = &[$(Self::$name,)*];

            /// The code as answers carry it.
            pub(crate) const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$name => $text,)*
                }
            }
        }
    };
}

codes! {
    AdminOnly = "admin_only",
    AnyHostNotAllowed = "any_host_not_allowed",
    BadEncoding = "bad_encoding",
    BadRequest = "bad_request",
    BodyTimeout = "body_timeout",
    BodyTooLarge = "body_too_large",
    BodyUnreadable = "body_unreadable",
    CaptchaFailed = "captcha_failed",
    CaptchaRequired = "captcha_required",
    DefinedInConfig = "defined_in_config",
    EnvNotAllowed = "env_not_allowed",
    Exists = "exists",
    FilesNotAccepted = "files_not_accepted",
    IdMismatch = "id_mismatch",
    InUse = "in_use",
    Internal = "internal",
    InvalidApp = "invalid_app",
    InvalidBody = "invalid_body",
    InvalidConnection = "invalid_connection",
    InvalidMatch = "invalid_match",
    InvalidName = "invalid_name",
    InvalidPhone = "invalid_phone",
    InvalidScope = "invalid_scope",
    InvalidSettings = "invalid_settings",
    InvalidSubmissionId = "invalid_submission_id",
    InvalidTtl = "invalid_ttl",
    KintoneFailed = "kintone_failed",
    KintoneRefused = "kintone_refused",
    KintoneUnavailable = "kintone_unavailable",
    MalformedJson = "malformed_json",
    MalformedMultipart = "malformed_multipart",
    MethodNotAllowed = "method_not_allowed",
    MissingSubmission = "missing_submission",
    NoCredentials = "no_credentials",
    NoWidget = "no_widget",
    NotAFileField = "not_a_file_field",
    NotFound = "not_found",
    OldVersion = "old_version",
    OriginNotAllowed = "origin_not_allowed",
    OtherApp = "other_app",
    OtherConnection = "other_connection",
    OtherForm = "other_form",
    RateLimited = "rate_limited",
    Refused = "refused",
    RenderTokenExpired = "render_token_expired",
    RenderTokenInvalid = "render_token_invalid",
    RenderTokenMissing = "render_token_missing",
    SendFailed = "send_failed",
    Settled = "settled",
    StorageFailed = "storage_failed",
    SubmissionIdReused = "submission_id_reused",
    SyncLost = "sync_lost",
    TokenExpired = "token_expired",
    TokenUsed = "token_used",
    TooFast = "too_fast",
    Unauthorized = "unauthorized",
    UnknownConnection = "unknown_connection",
    UnknownField = "unknown_field",
    UnknownFileField = "unknown_file_field",
    UnknownForm = "unknown_form",
    UnknownInput = "unknown_input",
    UnknownSubmission = "unknown_submission",
    UnknownMail = "unknown_mail",
    Unprocessable = "unprocessable",
    UnsupportedFormat = "unsupported_format",
    UnsupportedMediaType = "unsupported_media_type",
}

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
        code: Code,
        /// The sentence.
        message: String,
    },
    /// A submission's render token is missing, forged or too old (`code` says which): the
    /// answer carries `fresh`, a new one (its `render_token`), so the visitor sends the form
    /// again as it is instead of reloading the page and losing what they typed.
    StaleForm {
        /// The stable code, one of the `render_token_…`.
        code: Code,
        /// The new render token.
        fresh: String,
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
    pub(crate) fn coded(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self::Coded { status, code, message: message.into() }
    }

    /// A 400 with a code.
    pub(crate) fn bad_request(code: Code, message: impl Into<String>) -> Self {
        Self::coded(StatusCode::BAD_REQUEST, code, message)
    }
}

impl From<crate::state::ConnectionError> for AppError {
    fn from(err: crate::state::ConnectionError) -> Self {
        use crate::state::ConnectionError as E;
        match err {
            E::Unknown(name) => Self::UnknownConnection(name),
            E::NoCredentials { .. } => {
                Self::coded(StatusCode::UNPROCESSABLE_ENTITY, Code::NoCredentials, err.to_string())
            }
            E::Settings(err) => Self::Config(err),
            E::Client(err) => Self::coded(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidConnection,
                err.to_string(),
            ),
            E::Kintone(err) => Self::Kintone(err, Locale::En),
            E::Store(err) => Self::Store(err),
            E::SyncLost => {
                Self::coded(StatusCode::INTERNAL_SERVER_ERROR, Code::SyncLost, err.to_string())
            }
        }
    }
}

impl From<crate::manage::ManageError> for AppError {
    fn from(err: crate::manage::ManageError) -> Self {
        use crate::manage::ManageError as E;
        match err {
            E::UnknownSubmission(_) => {
                Self::coded(StatusCode::NOT_FOUND, Code::UnknownSubmission, err.to_string())
            }
            E::UnknownMail(_) => {
                Self::coded(StatusCode::NOT_FOUND, Code::UnknownMail, err.to_string())
            }
            E::UnknownForm(id) => Self::UnknownForm(FormId(id)),
            E::Settled(_) => Self::coded(StatusCode::CONFLICT, Code::Settled, err.to_string()),
            E::BadCorrection(_) | E::UnknownStage(_) => {
                Self::bad_request(Code::InvalidBody, err.to_string())
            }
            E::Invalid(report, locale) => Self::Invalid(report, locale),
            E::Connection(err) => err.into(),
            E::Store(err) => Self::Store(err),
        }
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
            Self::StaleForm { .. } => f.write_str(
                "the form is out of date; send it again with this answer's render_token",
            ),
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

fn coded(status: StatusCode, code: Code, text: impl Into<String>) -> Response {
    json_error(status, ErrorResponse::coded(code.as_str(), text))
}

/// What a kintone failure shows: refused values on their fields, otherwise a sentence.
pub(crate) fn kintone_response(err: &KintoneError, locale: Locale) -> Response {
    if let Some(body) = err.validation_body() {
        tracing::info!(code = %body.code, id = %body.id, "kintone refused a record");
        let mut answer =
            ErrorResponse::invalid("kintone refused some values", &body.to_report(), locale);
        answer.code = Some(Code::KintoneRefused.as_str().into());
        return json_error(StatusCode::UNPROCESSABLE_ENTITY, answer);
    }
    tracing::error!(error = %err, "kintone request failed");
    match err {
        KintoneError::Transport(_) | KintoneError::Unexpected { status: 503, .. } => coded(
            StatusCode::SERVICE_UNAVAILABLE,
            Code::KintoneUnavailable,
            "kintone cannot be reached right now, please try again later",
        ),
        _ => coded(
            StatusCode::BAD_GATEWAY,
            Code::KintoneFailed,
            "kintone did not accept the request; the relay logged the details",
        ),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::UnknownForm(_) => {
                coded(StatusCode::NOT_FOUND, Code::UnknownForm, self.to_string())
            }
            Self::UnknownConnection(_) => {
                coded(StatusCode::NOT_FOUND, Code::UnknownConnection, self.to_string())
            }
            Self::BadJson(rejection) if crate::extract::stopped_arriving(&rejection) => coded(
                StatusCode::REQUEST_TIMEOUT,
                Code::BodyTimeout,
                "the body stopped arriving; send it again".to_owned(),
            ),
            Self::BadJson(rejection) => {
                let code = match rejection {
                    JsonRejection::MissingJsonContentType(_) => Code::UnsupportedMediaType,
                    JsonRejection::BytesRejection(_)
                        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
                    {
                        Code::BodyTooLarge
                    }
                    // The body stopped arriving (the body timeout) or broke off.
                    JsonRejection::BytesRejection(_) => Code::BodyUnreadable,
                    // Well-formed JSON that is not what the endpoint takes.
                    JsonRejection::JsonDataError(_) => Code::InvalidBody,
                    _ => Code::MalformedJson,
                };
                coded(rejection.status(), code, rejection.body_text())
            }
            Self::Coded { status, code, message } => coded(status, code, message),
            Self::StaleForm { code, ref fresh } => {
                let mut body = ErrorResponse::coded(code.as_str(), self.to_string());
                body.render_token = Some(fresh.clone());
                json_error(StatusCode::BAD_REQUEST, body)
            }
            Self::Unauthorized(_) => {
                let mut response =
                    coded(StatusCode::UNAUTHORIZED, Code::Unauthorized, self.to_string());
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
                    "code": Code::InvalidSettings.as_str(),
                    "problems": problems,
                });
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
            Self::Store(err) => {
                tracing::error!(error = %err, "the data directory failed");
                coded(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Code::StorageFailed,
                    "the relay could not store the request; the relay logged the details",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn each_code_is_written_once_in_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(text.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{text}");
            assert!(seen.insert(text), "{text} twice");
        }
        assert!(seen.contains("invalid_body") && seen.contains("render_token_expired"));
    }

    #[tokio::test]
    async fn connection_errors_become_answers_only_at_the_edge() {
        use axum::response::IntoResponse;

        use crate::state::ConnectionError;
        async fn answer(err: ConnectionError) -> (u16, String) {
            let response = super::AppError::from(err).into_response();
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            (status, body["code"].as_str().unwrap_or_default().to_owned())
        }
        let unknown = ConnectionError::Unknown("crm".into());
        assert_eq!(answer(unknown).await, (404, "unknown_connection".to_owned()));
        let app = kform_core::AppId(7);
        let missing = ConnectionError::NoCredentials { connection: "crm".into(), app };
        assert!(missing.to_string().contains("no API token for app 7"), "{missing}");
        assert_eq!(answer(missing).await, (422, "no_credentials".to_owned()));
        assert_eq!(answer(ConnectionError::SyncLost).await, (500, "sync_lost".to_owned()));
    }
}
