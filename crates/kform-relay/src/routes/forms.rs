//! `GET /v1/forms/{form_id}`: the form descriptor a widget renders.

use axum::Json;
use axum::extract::{Path, State};
use kform_core::FormId;
use kform_core::protocol::FormDescriptor;

use crate::error::AppError;
use crate::extract::RequestLocale;
use crate::state::AppState;

/// The form definition with the app's current settings of the fields it maps; nothing else.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RequestLocale(locale): RequestLocale,
) -> Result<Json<FormDescriptor>, AppError> {
    let form_id = FormId(form_id);
    let entry = state.form(&form_id).ok_or(AppError::UnknownForm(form_id))?;
    let locale = locale.unwrap_or(entry.spec.default_lang);
    let fields = state
        .fields
        .get(&entry.kintone, entry.spec.app)
        .await
        .map_err(|err| AppError::Kintone(err, locale))?;
    let fields = fields.subset(entry.spec.field_codes());
    Ok(Json(FormDescriptor { form: entry.spec.clone(), fields }))
}
