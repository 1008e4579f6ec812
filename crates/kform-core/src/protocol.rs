//! The JSON bodies exchanged by the widget and the relay (`/v1/forms/…`).
//!
//! Both ends are built from the same commit and use these types, so a change here changes both.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::field::AppFields;
use crate::form::FormSpec;
use crate::message::Locale;
use crate::record::{Record, Valid};
use crate::report::{Issue, Report};
use crate::value::Values;

/// `GET /v1/forms/{form_id}`: everything the widget needs to render and validate a form.
///
/// It holds only the fields the form maps, never a kintone credential or any other app data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FormDescriptor {
    /// The form definition.
    pub form: FormSpec,
    /// The app's current settings of the fields the form maps.
    pub fields: AppFields,
    /// The captcha the visitor must solve before sending, when the form asks for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captcha: Option<CaptchaChallenge>,
    /// The most bytes of files one submission may attach in all, when the form has a FILE
    /// item (the relay's limit, so the widget can say so before sending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_limit_bytes: Option<u64>,
}

/// Which captcha the widget shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptchaChallenge {
    /// `turnstile` or `hcaptcha`.
    pub provider: String,
    /// The public site key.
    pub site_key: String,
}

/// `POST /v1/forms/{form_id}/submissions` request body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// A client-chosen id (a UUID) that makes retries of one submission recognisable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission_id: Option<String>,
    /// The values, keyed by field code.
    #[serde(default)]
    pub values: Values,
    /// The signed token the relay sent with the form (`Kform-Render-Token`), which tells when
    /// the form was served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_token: Option<String>,
    /// The hidden honeypot input; people leave it empty, some robots fill it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honeypot: Option<String>,
    /// The captcha's answer token, when the form asks for a captcha.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captcha_token: Option<String>,
}

/// A successful submission's answer (read by `crate::read`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubmitOutcome {
    /// The submission's id (the client's, or one the relay chose).
    pub submission_id: String,
    /// What happened to it.
    pub state: SubmissionState,
    /// The id of the record kintone created, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
}

/// Where a submission stands (read by `crate::read`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// kintone created the record.
    Delivered,
    /// The form is in test mode: the values were valid and nothing was sent to kintone.
    Tested,
    /// The relay has the submission and delivery is under way.
    Accepted,
}

/// Every error answer of the relay: a sentence for people and, for invalid values, every
/// problem with its field, kintone's error path, a stable code and a rendered message (read by
/// `crate::read`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorResponse {
    /// What went wrong, in one sentence.
    pub message: String,
    /// A stable code for programs, e.g. `origin_not_allowed`, `too_fast`, `captcha_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The problems with the submitted values, when that is what went wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Problem>,
    /// A new render token, when the submission's was refused (`render_token_…`): the form is
    /// sent again as it is with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_token: Option<String>,
}

/// One problem in an [`ErrorResponse`] (read by `crate::read` through `crate::tagged`, in one
/// pass, without serde's buffering of flattened fields).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Problem {
    /// The problem as data.
    #[serde(flatten)]
    pub issue: Issue,
    /// The problem in the request's language.
    pub message: String,
}

impl ErrorResponse {
    /// An answer listing every problem of `report`, rendered in `locale`.
    pub fn invalid(message: impl Into<String>, report: &Report, locale: Locale) -> Self {
        let errors = report
            .issues()
            .iter()
            .map(|issue| Problem { issue: issue.clone(), message: issue.code.message(locale) })
            .collect();
        Self {
            message: message.into(),
            code: Some("invalid_values".into()),
            errors,
            render_token: None,
        }
    }

    /// An answer with a sentence and a stable code.
    pub fn coded(code: &str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: Some(code.to_owned()),
            errors: Vec::new(),
            render_token: None,
        }
    }
}

/// The outcome of validating one record, in the shape `kform validate` prints:
/// `{"ok": true, "record": {…kintone record JSON…}}` or
/// `{"ok": false, "errors": {"<kintone error path>": {"messages": ["…"]}}}` (kintone's own
/// error shape, messages in `locale`).
pub fn verdict(result: &Result<Valid<Record>, Report>, locale: Locale) -> serde_json::Value {
    match result {
        Ok(record) => serde_json::json!({ "ok": true, "record": &**record }),
        Err(report) => {
            serde_json::json!({ "ok": false, "errors": report.to_kintone_errors(locale) })
        }
    }
}
