//! A submission's way from a request to kintone, shared by the public API, the integration API
//! and the admin API's replay: validate with `kform-core`, record it under its submission id
//! (the same id gets the same answer, never a second record), upload files, add the record.
//!
//! Delivery is synchronous for now: the answer says whether kintone created the record. The
//! durable outbox and batched delivery will replace [`send`] without changing the requests.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kform_core::protocol::{SubmissionState, SubmitOutcome};
use kform_core::{FieldKind, Locale, Value, Values, validate};
use kform_kintone::KintoneError;
use sha2::{Digest, Sha256};

use crate::error::{AppError, kintone_response};
use crate::state::{AppState, FormEntry};
use crate::store::{Attempt, Begin, Stage, timestamp};

/// A file sent with an integration submission, for a FILE field.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub(crate) field: String,
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
}

/// One submission to accept.
pub(crate) struct Incoming {
    pub(crate) submission_id: Option<String>,
    pub(crate) values: Values,
    pub(crate) uploads: Vec<Upload>,
    pub(crate) locale: Locale,
}

/// The answer to a stored or new submission.
fn outcome(
    status: StatusCode,
    submission_id: &str,
    state: SubmissionState,
    record_id: Option<String>,
) -> (u16, serde_json::Value) {
    let outcome = SubmitOutcome { submission_id: submission_id.to_owned(), state, record_id };
    (status.as_u16(), serde_json::to_value(outcome).unwrap_or_default())
}

fn respond((status, body): (u16, serde_json::Value)) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, Json(body)).into_response()
}

/// Validates, records and delivers one submission; the answer to send.
pub(crate) async fn accept(
    state: &AppState,
    entry: &FormEntry,
    incoming: Incoming,
) -> Result<Response, AppError> {
    let spec = &entry.settings.spec;
    let form = spec.id.0.clone();
    let locale = incoming.locale;
    let fields = state.fields(&entry.settings.connection, spec.app).await?;
    let submission_id = match incoming.submission_id {
        Some(id) => parse_submission_id(&id)?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let mut values = incoming.values;
    // Files are uploaded only once the values are known to be valid; until then each upload
    // stands in with a placeholder key so required FILE fields are checked.
    for (i, upload) in incoming.uploads.iter().enumerate() {
        let Some(field) = fields.get(upload.field.as_str()) else {
            return Err(AppError::bad_request(
                "unknown_file_field",
                format!("the file part {:?} is not a field of the form", upload.field),
            ));
        };
        if !matches!(field.kind, FieldKind::File { .. }) {
            return Err(AppError::bad_request(
                "not_a_file_field",
                format!("{:?} is not a FILE field", upload.field),
            ));
        }
        add_file_key(&mut values, &upload.field, format!("kform-upload-{i}"));
    }
    if let Err(report) = validate(&fields, spec, &values) {
        state.inner.metrics.submission(&form, "invalid");
        return Err(AppError::Invalid(report, locale));
    }
    let digest = digest(&values, &incoming.uploads);
    let values_json = serde_json::to_value(&values).unwrap_or_default();
    let begin = state
        .store()
        .begin(form.clone(), submission_id.clone(), digest.clone(), values_json)
        .await?;
    if let Begin::Seen(earlier) = begin {
        if earlier.digest != digest && earlier.stage != Stage::Spam {
            return Err(AppError::coded(
                StatusCode::CONFLICT,
                "submission_id_reused",
                "this submission_id was already used for other values; send new values with a new id",
            ));
        }
        state.inner.metrics.submission(&form, "repeated");
        return Ok(match (earlier.status, earlier.answer) {
            (Some(status), Some(answer)) => respond((status, answer)),
            _ => respond(outcome(
                StatusCode::ACCEPTED,
                &submission_id,
                SubmissionState::Accepted,
                None,
            )),
        });
    }
    if spec.test_mode {
        // A form in test mode checks everything and records it, but never writes to kintone.
        tracing::info!(form = %form, "test-mode submission validated, not delivered");
        let answer = outcome(StatusCode::OK, &submission_id, SubmissionState::Tested, None);
        state
            .store()
            .finish(form.clone(), submission_id, Stage::Tested, Some(answer.clone()), None)
            .await?;
        state.inner.metrics.submission(&form, "tested");
        return Ok(respond(answer));
    }
    let mut keys = Vec::new();
    if !incoming.uploads.is_empty() {
        let conn = state.connection_or_404(&entry.settings.connection)?;
        let client = conn.client(spec.app)?;
        for upload in &incoming.uploads {
            match client.upload_file(&upload.name, &upload.content_type, upload.bytes.clone()).await
            {
                Ok(key) => keys.push(key),
                Err(err) => {
                    let attempt = attempt("POST file.json", &Err(&err));
                    let stage = if err.validation_body().is_some() {
                        Stage::Rejected
                    } else {
                        Stage::Failed
                    };
                    state
                        .store()
                        .finish(form.clone(), submission_id, stage, None, Some(attempt))
                        .await?;
                    state.inner.metrics.submission(&form, "failed");
                    return Ok(kintone_response(&err, locale));
                }
            }
        }
        for (i, key) in keys.into_iter().enumerate() {
            replace_file_key(&mut values, &format!("kform-upload-{i}"), &key);
        }
        // The stored values carry the real file keys, so a replay does not upload again.
        let json = serde_json::to_value(&values).unwrap_or_default();
        state.store().set_values(form.clone(), submission_id.clone(), json).await?;
    }
    send(state, entry, &submission_id, &values, locale).await
}

/// Adds the record to kintone and stores the outcome; the answer to send.
pub(crate) async fn send(
    state: &AppState,
    entry: &FormEntry,
    submission_id: &str,
    values: &Values,
    locale: Locale,
) -> Result<Response, AppError> {
    let spec = &entry.settings.spec;
    let form = spec.id.0.clone();
    let fields = state.fields(&entry.settings.connection, spec.app).await?;
    let record =
        validate(&fields, spec, values).map_err(|report| AppError::Invalid(report, locale))?;
    let conn = state.connection_or_404(&entry.settings.connection)?;
    let result = conn.client(spec.app)?.add_record(spec.app, &record).await;
    let attempt = attempt("POST record.json", &result.as_ref().map(|added| added.id.as_str()));
    match result {
        Ok(added) => {
            tracing::info!(form = %form, record = %added.id, "submission delivered");
            let answer = outcome(
                StatusCode::CREATED,
                submission_id,
                SubmissionState::Delivered,
                Some(added.id),
            );
            state
                .store()
                .finish(
                    form.clone(),
                    submission_id.to_owned(),
                    Stage::Delivered,
                    Some(answer.clone()),
                    Some(attempt),
                )
                .await?;
            state.inner.metrics.submission(&form, "delivered");
            Ok(respond(answer))
        }
        Err(err) => {
            let stage =
                if err.validation_body().is_some() { Stage::Rejected } else { Stage::Failed };
            state
                .store()
                .finish(form.clone(), submission_id.to_owned(), stage, None, Some(attempt))
                .await?;
            state
                .inner
                .metrics
                .submission(&form, if stage == Stage::Rejected { "rejected" } else { "failed" });
            Ok(kintone_response(&err, locale))
        }
    }
}

/// The attempt record of a kintone call.
pub(crate) fn attempt(endpoint: &str, result: &Result<&str, &KintoneError>) -> Attempt {
    let (status, code, message, record_id) = match result {
        Ok(id) => (Some(200), None, None, Some((*id).to_owned())),
        Err(KintoneError::Api { status, body }) => {
            (Some(*status), Some(body.code.clone()), Some(body.message.clone()), None)
        }
        Err(KintoneError::Unexpected { status }) => (
            Some(*status),
            None,
            Some(format!("kintone answered {status} without an error body")),
            None,
        ),
        Err(err) => (None, None, Some(err.to_string()), None),
    };
    Attempt { at: timestamp(), endpoint: endpoint.to_owned(), status, code, message, record_id }
}

/// A client's submission id must be a UUID, so ids of different visitors cannot collide.
fn parse_submission_id(id: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(id).map(|uuid| uuid.hyphenated().to_string()).map_err(|_| {
        AppError::bad_request(
            "invalid_submission_id",
            format!("submission_id {id:?} is not a UUID"),
        )
    })
}

fn digest(values: &Values, uploads: &[Upload]) -> String {
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(values).unwrap_or_default());
    for upload in uploads {
        hash.update(upload.field.as_bytes());
        hash.update(upload.name.as_bytes());
        hash.update(Sha256::digest(&upload.bytes));
    }
    hash.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

fn add_file_key(values: &mut Values, field: &str, key: String) {
    match values.0.get_mut(field) {
        Some(Value::Files(keys)) => keys.push(key),
        _ => values.set(field, Value::Files(vec![key])),
    }
}

fn replace_file_key(values: &mut Values, placeholder: &str, key: &str) {
    for value in values.0.values_mut() {
        if let Value::Files(keys) = value {
            for existing in keys.iter_mut() {
                if existing == placeholder {
                    key.clone_into(existing);
                }
            }
        }
    }
}
