//! Request extractors whose rejections are [`AppError`]s, and the request's language.

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use axum::http::request::Parts;
use kform_core::Locale;
use kform_core::protocol::Submission;

use crate::error::AppError;
use crate::error::Code;
use crate::intake::Upload;
use crate::state::AppState;

/// `Json<T>` whose rejection is a JSON error body saying what is wrong.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub(crate) struct AppJson<T>(pub(crate) T);

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        Self::BadJson(rejection)
    }
}

/// The language the request asks for: `?lang=` first, then `Accept-Language`; `None` leaves the
/// choice to the form's default language.
pub(crate) struct RequestLocale(pub(crate) Option<Locale>);

impl<S: Send + Sync> FromRequestParts<S> for RequestLocale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let from_query = parts.uri.query().and_then(|query| {
            query.split('&').find_map(|pair| pair.strip_prefix("lang=")).and_then(Locale::from_tag)
        });
        let from_header = || {
            parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(Locale::from_accept_language)
        };
        Ok(Self(from_query.or_else(from_header)))
    }
}

/// A submission as JSON, or as `multipart/form-data` with a `submission` part (that JSON) and
/// one part per file, named by its FILE field's code.
pub(crate) struct SubmissionBody {
    pub(crate) submission: Submission,
    pub(crate) uploads: Vec<Upload>,
}

impl SubmissionBody {
    /// Whether the request is multipart (files attached).
    pub(crate) fn is_multipart(request: &Request) -> bool {
        request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("multipart/form-data"))
    }

    /// Reads the body. A JSON body is held to `json_limit` bytes when given, whatever larger
    /// limit the route allows for files.
    pub(crate) async fn read(
        request: Request,
        state: &AppState,
        json_limit: Option<usize>,
    ) -> Result<Self, AppError> {
        if Self::is_multipart(&request) {
            return read_multipart(multipart(request, state).await?).await;
        }
        let request = match json_limit {
            Some(limit) => {
                let (parts, body) = request.into_parts();
                let bytes = bounded(body, limit, "a JSON submission").await?;
                Request::from_parts(parts, Body::from(bytes))
            }
            None => request,
        };
        let AppJson(submission) = AppJson::<Submission>::from_request(request, state).await?;
        Ok(Self { submission, uploads: Vec::new() })
    }
}

/// The request's multipart body.
async fn multipart(request: Request, state: &AppState) -> Result<Multipart, AppError> {
    Multipart::from_request(request, state)
        .await
        .map_err(|err| multipart_error(err.status(), err.body_text()))
}

#[expect(clippy::needless_pass_by_value, reason = "used as map_err's function")]
fn bad(err: axum::extract::multipart::MultipartError) -> AppError {
    multipart_error(err.status(), err.body_text())
}

/// A refused multipart body: over the size limit it is `body_too_large`, as for JSON.
fn multipart_error(status: StatusCode, text: String) -> AppError {
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        Code::BodyTooLarge
    } else {
        Code::MalformedMultipart
    };
    AppError::coded(status, code, text)
}

/// A body of at most `limit` bytes; `what` names it in the refusal.
async fn bounded(body: Body, limit: usize, what: &str) -> Result<bytes::Bytes, AppError> {
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        if stopped_arriving(&err) {
            AppError::coded(
                StatusCode::REQUEST_TIMEOUT,
                Code::BodyTimeout,
                format!("{what} stopped arriving; send it again"),
            )
        } else {
            AppError::coded(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::BodyTooLarge,
                format!("{what} may be at most {limit} bytes"),
            )
        }
    })
}

/// Whether a body failed because it sent nothing for the relay's body timeout.
pub(crate) fn stopped_arriving(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(err) = cause {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = err.source();
    }
    false
}

/// A file part, named by the field it is for.
async fn upload(
    field: axum::extract::multipart::Field<'_>,
    name: String,
    file_name: String,
) -> Result<Upload, AppError> {
    let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
    let bytes = field.bytes().await.map_err(bad)?;
    Ok(Upload { field: name, name: file_name, content_type, bytes: bytes.to_vec() })
}

async fn read_multipart(mut multipart: Multipart) -> Result<SubmissionBody, AppError> {
    let mut submission = None;
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "submission" {
            let bytes = field.bytes().await.map_err(bad)?;
            let parsed: Submission = serde_json::from_slice(&bytes).map_err(|err| {
                AppError::bad_request(Code::MalformedJson, format!("the submission part: {err}"))
            })?;
            submission = Some(parsed);
        } else {
            let file_name = field.file_name().unwrap_or("file").to_owned();
            uploads.push(upload(field, name, file_name).await?);
        }
    }
    let submission = submission.ok_or_else(|| {
        AppError::bad_request(
            Code::MissingSubmission,
            "a multipart submission needs a `submission` part with the JSON",
        )
    })?;
    Ok(SubmissionBody { submission, uploads })
}

/// A plain HTML form's post (the markup of `kform_view::markup`): its text inputs as (name,
/// value) pairs in order, and its files. `application/x-www-form-urlencoded` is held to
/// `text_limit` bytes; `multipart/form-data` (a form with files) to the route's limit.
pub(crate) struct FormBody {
    pub(crate) pairs: Vec<(String, String)>,
    pub(crate) uploads: Vec<Upload>,
}

impl FormBody {
    /// Reads the body; anything but UTF-8 text in the two encodings browsers send is refused.
    pub(crate) async fn read(
        request: Request,
        state: &AppState,
        text_limit: usize,
    ) -> Result<Self, AppError> {
        if SubmissionBody::is_multipart(&request) {
            return read_form_multipart(multipart(request, state).await?).await;
        }
        let urlencoded = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(AppError::coded(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Code::UnsupportedMediaType,
                "send the form as application/x-www-form-urlencoded or multipart/form-data",
            ));
        }
        let bytes = bounded(request.into_body(), text_limit, "a form without files").await?;
        Ok(Self { pairs: parse_urlencoded(&bytes)?, uploads: Vec::new() })
    }
}

/// Decodes `a=1&b=%E3%81%82+x` strictly: a name or value that is not UTF-8 once decoded is
/// refused rather than turned into replacement characters.
pub(crate) fn parse_urlencoded(bytes: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let decode = |part: &[u8]| -> Result<String, AppError> {
        let spaced: Vec<u8> = part.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
        let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
        String::from_utf8(decoded).map_err(|_| {
            AppError::bad_request(Code::BadEncoding, "the form's values are not UTF-8 text")
        })
    };
    bytes
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let at = pair.iter().position(|&b| b == b'=');
            let (name, value) = at.map_or((pair, &b""[..]), |at| (&pair[..at], &pair[at + 1..]));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

async fn read_form_multipart(mut multipart: Multipart) -> Result<FormBody, AppError> {
    let mut pairs = Vec::new();
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let upload = upload(field, name, file_name).await?;
                // A file input left empty still sends a part, with no name and no bytes.
                if !(upload.name.is_empty() && upload.bytes.is_empty()) {
                    uploads.push(upload);
                }
            }
            None => {
                let bytes = field.bytes().await.map_err(bad)?;
                let value = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    AppError::bad_request(Code::BadEncoding, "the form's values are not UTF-8 text")
                })?;
                pairs.push((name, value));
            }
        }
    }
    Ok(FormBody { pairs, uploads })
}
