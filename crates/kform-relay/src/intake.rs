//! Intake: a submission's way from a request into the outbox, shared by the public and
//! integration APIs and the hosted page: validate with `kform-core`, upload files, keep it
//! durably under its submission id (the same id gets the same answer, never a second record),
//! answer. The delivery engine (`delivery.rs`) takes it to kintone from there. (Named apart
//! from `delivery.rs` so the two are not confused.)

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kform_core::protocol::{SubmissionState, SubmitOutcome};
use kform_core::{AppFields, FieldKind, FormSpec, Locale, Value, Values, validate};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::error::Code;
use crate::outbox::{Accepted, NewSubmission, Stage, StoredSubmission, StoredUpload};
use crate::state::{AppState, FormEntry};

/// A file sent with a submission (public or integration), for a FILE field.
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

/// What the sender of a submission is told: the status and the outcome.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) outcome: SubmitOutcome,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.status, Json(self.outcome)).into_response()
    }
}

/// The answer for a submission in `stage`.
pub(crate) fn answer(submission_id: &str, stage: Stage, record_id: Option<String>) -> Answer {
    let (status, state) = match stage {
        Stage::Delivered => (StatusCode::OK, SubmissionState::Delivered),
        Stage::Tested => (StatusCode::OK, SubmissionState::Tested),
        // Pending, dead-lettered, spam and discarded all look accepted to the sender: what
        // happens next is the relay's business (and a robot learns nothing).
        _ => (StatusCode::ACCEPTED, SubmissionState::Accepted),
    };
    let record_id = record_id.filter(|_| stage == Stage::Delivered);
    let outcome = SubmitOutcome { submission_id: submission_id.to_owned(), state, record_id };
    Answer { status, outcome }
}

fn seen(earlier: &StoredSubmission) -> Answer {
    answer(&earlier.submission_id, earlier.stage, earlier.record_id.clone())
}

/// Keeps a spam submission for the history and answers as if it were accepted.
pub(crate) async fn spam(state: &AppState, form: &str) -> Result<Answer, AppError> {
    let submission_id = uuid::Uuid::new_v4().to_string();
    let new = NewSubmission {
        form: form.to_owned(),
        submission_id: submission_id.clone(),
        digest: String::new(),
        values: serde_json::Value::Null,
        stage: Stage::Spam,
        uploads: Vec::new(),
        queued: Vec::new(),
    };
    state.inner.acceptor.accept(new).await?;
    state.inner.metrics.submission(form, "spam");
    Ok(answer(&submission_id, Stage::Spam, None))
}

/// Validates one submission, uploads its files and keeps it in the outbox; the answer to send.
pub(crate) async fn accept(
    state: &AppState,
    entry: &FormEntry,
    incoming: Incoming,
) -> Result<Answer, AppError> {
    let spec = &entry.settings.spec;
    let form = spec.id.0.clone();
    let locale = incoming.locale;
    let fields = state.fields(&entry.settings.connection, spec.app).await?;
    let submission_id = match incoming.submission_id {
        Some(id) => parse_submission_id(&id)?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let (values, digest) =
        checked(state, spec, &fields, incoming.values, &incoming.uploads, locale)?;
    let mut stored = Vec::new();
    if !incoming.uploads.is_empty() {
        // A retry of a kept submission must not keep its files twice.
        let (form_owned, id) = (form.clone(), submission_id.clone());
        if let Some(earlier) =
            state.outbox(move |outbox| outbox.submission(&form_owned, &id)).await?
        {
            return repeated(state, &form, &earlier, &digest);
        }
        // A test-mode form never sends, so its files are checked but not kept.
        if !spec.test_mode {
            stored = keep_files(state, &form, &submission_id, incoming.uploads).await?;
        }
    }
    let stage = if spec.test_mode { Stage::Tested } else { Stage::Pending };
    let queued = mail_for(state, entry, &fields, &values, &submission_id, locale).await;
    let mails = !queued.is_empty();
    let new = NewSubmission {
        form: form.clone(),
        submission_id: submission_id.clone(),
        digest: digest.clone(),
        values: serde_json::to_value(&values).unwrap_or_default(),
        stage,
        uploads: stored,
        queued,
    };
    match state.inner.acceptor.accept(new).await? {
        Accepted::Seen(earlier) => repeated(state, &form, &earlier, &digest),
        Accepted::New => {
            if mails {
                state.inner.mail_wake.notify_one();
            }
            Ok(accepted(state, spec, &submission_id, stage))
        }
    }
}

/// The mails to keep with a submission that passed every check (see `mail.rs`): the team's
/// notice, and the auto-reply when its address and form are within their hourly limits (a
/// limited one is skipped and logged; the submission is accepted all the same).
async fn mail_for(
    state: &AppState,
    entry: &FormEntry,
    fields: &AppFields,
    values: &Values,
    submission_id: &str,
    locale: Locale,
) -> Vec<crate::outbox::Queued> {
    let Some(settings) = state.inner.mail.clone() else { return Vec::new() };
    let mail = &entry.settings.mail;
    if mail.is_empty() {
        return Vec::new();
    }
    let now = state.inner.clock.now();
    let spec = &entry.settings.spec;
    let accepted = crate::mail::Accepted { spec, fields, values, submission_id, locale, now };
    let (autoreply, notice) = crate::mail::compose(mail, &settings, &accepted);
    let mut queued = Vec::new();
    // A visitor's retry of a kept submission gets no mail (it had its own), so it must not
    // spend the address's hourly count either.
    let (form, id) = (spec.id.0.clone(), submission_id.to_owned());
    if let Ok(Some(_)) = state.outbox(move |o| o.submission(&form, &id)).await {
        return Vec::new();
    }
    if let Some((outgoing, recipient)) = autoreply {
        let (form, id) = (spec.id.0.clone(), submission_id.to_owned());
        let (per_recipient, per_form) =
            (settings.per_recipient_per_hour, settings.per_form_per_hour);
        let allowed = state
            .outbox(move |o| o.allow_mail(&form, &id, &recipient, now, per_recipient, per_form))
            .await;
        match allowed {
            Ok(true) => queued.extend(crate::mail::queued(&outgoing)),
            Ok(false) => {
                tracing::warn!(form = %spec.id, submission = %submission_id, "auto-reply skipped: the hourly limit for its address or its form is reached");
                state.inner.metrics.mail(&spec.id.0, "limited");
            }
            Err(err) => {
                tracing::warn!(form = %spec.id, error = %err, "auto-reply skipped: its limit could not be counted");
            }
        }
    }
    queued.extend(notice.as_ref().and_then(crate::mail::queued));
    queued
}

/// The values as kintone will be written them, checked against the app's current `fields`, and
/// the digest of what the visitor sent (to notice an id reused for other values). Files stand in
/// by placeholder keys until the values are known to be valid, so required FILE fields are
/// checked before anything is uploaded.
fn checked(
    state: &AppState,
    spec: &FormSpec,
    fields: &AppFields,
    mut values: Values,
    uploads: &[Upload],
    locale: Locale,
) -> Result<(Values, String), AppError> {
    check_uploads(fields, uploads)?;
    for (i, upload) in uploads.iter().enumerate() {
        add_file_key(&mut values, &upload.field, format!("kform-upload-{i}"));
    }
    if let Err(report) = validate(fields, spec, &values) {
        state.inner.metrics.submission(&spec.id.0, "invalid");
        return Err(AppError::Invalid(report, locale));
    }
    let digest = digest(&values, uploads);
    // What is kept (and shown in the history) is what kintone is written: a hidden item's
    // value, not whatever the page sent for it.
    for item in &spec.items {
        if let (Some(code), Some(hidden)) = (&item.field, &item.hidden)
            && item.applies(&values)
        {
            values.0.insert(code.as_str().to_owned(), hidden.clone());
        }
    }
    Ok((values, digest))
}

/// Counts and logs a newly kept submission; the answer to send.
fn accepted(state: &AppState, spec: &FormSpec, submission_id: &str, stage: Stage) -> Answer {
    let form = &spec.id.0;
    state.inner.metrics.submission(form, if spec.test_mode { "tested" } else { "accepted" });
    if spec.test_mode {
        // A form in test mode checks and keeps everything, but never writes to kintone.
        tracing::info!(form = %form, "test-mode submission validated, not delivered");
    } else {
        tracing::info!(form = %form, submission = %submission_id, "submission accepted");
    }
    answer(submission_id, stage, None)
}

/// Refuses a file part that is not for a FILE field of the app.
pub(crate) fn check_uploads(fields: &AppFields, uploads: &[Upload]) -> Result<(), AppError> {
    for upload in uploads {
        let Some(field) = fields.get(upload.field.as_str()) else {
            return Err(AppError::bad_request(
                Code::UnknownFileField,
                format!("the file part {:?} is not a field of the form", upload.field),
            ));
        };
        if !matches!(field.kind, FieldKind::File { .. }) {
            return Err(AppError::bad_request(
                Code::NotAFileField,
                format!("{:?} is not a FILE field", upload.field),
            ));
        }
    }
    Ok(())
}

/// The answer to an id seen before: its current state, or 409 when the values differ.
fn repeated(
    state: &AppState,
    form: &str,
    earlier: &StoredSubmission,
    digest: &str,
) -> Result<Answer, AppError> {
    if earlier.digest != digest {
        return Err(AppError::coded(
            StatusCode::CONFLICT,
            Code::SubmissionIdReused,
            "this submission_id was already used for other values; send new values with a new id",
        ));
    }
    state.inner.metrics.submission(form, "repeated");
    Ok(seen(earlier))
}

/// The folder, under the data directory's `files/`, of one submission's files.
pub(crate) fn files_folder(form: &str, submission_id: &str) -> String {
    let digest = Sha256::digest(format!("{form}/{submission_id}").as_bytes());
    digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// Keeps each file durably (in the data directory, or the shared database) so it survives
/// until the delivery engine uploads it.
async fn keep_files(
    state: &AppState,
    form: &str,
    submission_id: &str,
    uploads: Vec<Upload>,
) -> Result<Vec<StoredUpload>, AppError> {
    let folder = files_folder(form, submission_id);
    let kept = uploads
        .iter()
        .enumerate()
        .map(|(i, upload)| StoredUpload {
            field: upload.field.clone(),
            name: upload.name.clone(),
            content_type: upload.content_type.clone(),
            path: format!("{folder}/{i}"),
            placeholder: format!("kform-upload-{i}"),
            bytes: u64::try_from(upload.bytes.len()).unwrap_or(u64::MAX),
            key: None,
            uploaded_at: None,
        })
        .collect();
    state
        .outbox(move |outbox| {
            let files: Vec<&[u8]> = uploads.iter().map(|upload| &upload.bytes[..]).collect();
            outbox.keep_files(&folder, &files)
        })
        .await?;
    Ok(kept)
}

/// A client's submission id must be a UUID, so ids of different visitors cannot collide.
fn parse_submission_id(id: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(id).map(|uuid| uuid.hyphenated().to_string()).map_err(|_| {
        AppError::bad_request(
            Code::InvalidSubmissionId,
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
