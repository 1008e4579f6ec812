//! The integration API for other servers (`Authorization: Bearer <integration key>`, no CORS):
//! submissions as JSON or multipart with files, and record lookup.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use kform_core::text::normalize_phone;
use kform_core::{AppId, FieldKind, FormId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::error::Code;
use crate::extract::{RequestLocale, SubmissionBody};
use crate::guard::Integration;
use crate::intake::{self, Incoming};
use crate::state::AppState;

/// `POST /v1/integration/forms/{form_id}/submissions`: JSON like the public API, or multipart
/// with a `submission` part (that JSON) and one part per file, named by its FILE field's code.
/// No honeypot, fill time or captcha: the key is the proof.
pub(crate) async fn submit(
    _key: Integration,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    RequestLocale(locale): RequestLocale,
    request: Request,
) -> Result<Response, AppError> {
    let form_id = FormId(form_id);
    let entry = state.form(&form_id).ok_or(AppError::UnknownForm(form_id))?;
    let locale = locale.unwrap_or(entry.settings.spec.default_lang);
    let SubmissionBody { submission, uploads } =
        SubmissionBody::read(request, &state, None).await?;
    let incoming = Incoming {
        submission_id: submission.submission_id,
        values: submission.values,
        uploads,
        locale,
    };
    intake::accept(&state, &entry, incoming).await.map(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub(crate) struct LookupQuery {
    field: String,
    value: String,
    /// Field codes to return, comma-separated; all by default.
    #[serde(default)]
    fields: Option<String>,
    /// `phone` matches ignoring hyphens, spaces, brackets and full-width digits (the default for
    /// phone LINK fields); `exact` otherwise.
    #[serde(default, rename = "match")]
    mode: Option<String>,
}

/// Quotes a string for a kintone query.
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `GET /v1/connections/{conn}/apps/{app}/lookup?field=CODE&value=V`: the records whose field
/// has that value, as `{code: value}` objects.
pub(crate) async fn lookup(
    _key: Integration,
    State(state): State<AppState>,
    Path((name, app)): Path<(String, String)>,
    Query(query): Query<LookupQuery>,
) -> Result<Json<Value>, AppError> {
    let app = AppId(app.parse().map_err(|_| {
        AppError::bad_request(Code::InvalidApp, format!("{app:?} is not an app id"))
    })?);
    let connection = state.existing_connection(&name)?;
    let fields = state.fields(&name, app).await?;
    let field = fields.get(query.field.as_str()).ok_or_else(|| {
        AppError::bad_request(
            Code::UnknownField,
            format!("app {app} has no field {:?}", query.field),
        )
    })?;
    let phone_field = matches!(
        &field.kind,
        FieldKind::Link { protocol: kform_core::field::LinkProtocol::Call, .. }
    );
    let phone = match query.mode.as_deref() {
        Some("phone") => true,
        Some("exact") => false,
        None => phone_field,
        Some(other) => {
            return Err(AppError::bad_request(
                Code::InvalidMatch,
                format!("match is phone or exact, not {other:?}"),
            ));
        }
    };
    let code = &query.field;
    let wanted = normalize_phone(&query.value);
    let condition = if phone {
        let tail: String = wanted.chars().skip(wanted.chars().count().saturating_sub(4)).collect();
        if tail.len() < 4 || !tail.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(AppError::bad_request(
                Code::InvalidPhone,
                "a phone number ends in at least 4 digits",
            ));
        }
        // kintone cannot ignore hyphens, so ask for records containing the last four digits (in
        // half- or full-width) and compare normalized numbers here.
        let full: String = tail
            .chars()
            .filter_map(|c| c.to_digit(10))
            .filter_map(|d| char::from_u32(0xFF10 + d))
            .collect();
        format!("{code} like {} or {code} like {}", quote(&tail), quote(&full))
    } else {
        format!("{code} = {}", quote(&query.value))
    };
    let kintone_query = format!("{condition} order by $id asc limit 500");
    let records = connection
        .client(app)?
        .records(app, &kintone_query)
        .await
        .map_err(|err| AppError::Kintone(err, kform_core::Locale::En))?;
    let only: Option<Vec<&str>> =
        query.fields.as_deref().map(|list| list.split(',').map(str::trim).collect());
    let mut found = Vec::new();
    for record in records {
        if phone {
            let stored = record[code.as_str()]["value"].as_str().unwrap_or_default();
            if normalize_phone(stored) != wanted {
                continue;
            }
        }
        let Some(object) = record.as_object() else { continue };
        let picked: serde_json::Map<String, Value> = object
            .iter()
            .filter(|(key, _)| only.as_ref().is_none_or(|only| only.contains(&key.as_str())))
            .map(|(key, value)| (key.clone(), value["value"].clone()))
            .collect();
        found.push(Value::Object(picked));
    }
    Ok(Json(json!({ "records": found })))
}
