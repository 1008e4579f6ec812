//! `POST /v1/forms/{form_id}/submissions`: validate again, then forward to kintone.
//!
//! Forwarding is synchronous for now: the answer says whether kintone created the record. (The
//! durable outbox and batched delivery replace this step without changing the request.)

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kform_core::protocol::{Submission, SubmissionState, SubmitOutcome};
use kform_core::{FormId, validate};

use crate::error::AppError;
use crate::extract::{AppJson, RequestLocale};
use crate::state::AppState;

/// Validates the values with `kform-core` and adds the record to kintone.
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RequestLocale(locale): RequestLocale,
    AppJson(submission): AppJson<Submission>,
) -> Result<(StatusCode, Json<SubmitOutcome>), AppError> {
    let form_id = FormId(form_id);
    let entry = state.form(&form_id).ok_or(AppError::UnknownForm(form_id))?;
    let locale = locale.unwrap_or(entry.spec.default_lang);
    let kintone_error = |err| AppError::Kintone(err, locale);
    let fields = state.fields.get(&entry.kintone, entry.spec.app).await.map_err(kintone_error)?;
    let record = validate(&fields, &entry.spec, &submission.values)
        .map_err(|report| AppError::Invalid(report, locale))?;
    let submission_id =
        submission.submission_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if entry.spec.test_mode {
        // A form in test mode checks everything and answers, but never writes to kintone.
        tracing::info!(form = %entry.spec.id, "test-mode submission validated, not delivered");
        let outcome =
            SubmitOutcome { submission_id, state: SubmissionState::Tested, record_id: None };
        return Ok((StatusCode::OK, Json(outcome)));
    }
    let added = entry.kintone.add_record(entry.spec.app, &record).await.map_err(kintone_error)?;
    tracing::info!(form = %entry.spec.id, record = %added.id, "submission delivered");
    Ok((
        StatusCode::CREATED,
        Json(SubmitOutcome {
            submission_id,
            state: SubmissionState::Delivered,
            record_id: Some(added.id),
        }),
    ))
}
