//! The relay client: loads a form's descriptor and posts submissions. It never calls kintone.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::string::ToString;
use kform_core::Locale;
use kform_core::message::Text;
use kform_core::protocol::{ErrorResponse, Submission, SubmitOutcome};

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::state::SubmitError;

/// Where a form comes from: the relay's base URL (absolute, no trailing slash) and the form id.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    pub(crate) relay: String,
    pub(crate) form_id: String,
}

impl Endpoint {
    /// The form's URL on the relay.
    fn form_url(&self) -> String {
        format!("{}/v1/forms/{}", self.relay, path_segment(&self.form_id))
    }
}

/// The relay's answer to a submission: what the form's state records, the answer's JSON as
/// a JavaScript value, the detail of the host page's `kform:submitted` or `kform:invalid`
/// (`null` when there was no answer), and the new render token the relay gives with its refusal
/// of an out-of-date form, which the form is sent again with.
pub(crate) struct Reply {
    pub(crate) result: Result<SubmitOutcome, SubmitError>,
    pub(crate) detail: JsValue,
    pub(crate) render_token: Option<String>,
}

/// `POST /v1/forms/{form_id}/submissions`: JSON, or multipart when `files` (by FILE field code)
/// are attached. A lost connection, a 5xx, a 408 or a 429 is [`SubmitError::Unreachable`]:
/// worth trying again with the same submission.
pub(crate) async fn submit(
    endpoint: &Endpoint,
    submission: &Submission,
    files: &[(String, web_sys::File)],
    locale: Locale,
) -> Reply {
    let url = format!("{}/submissions?lang={}", endpoint.form_url(), locale.tag());
    let post = JsValue::from_str("POST");
    let init = if files.is_empty() {
        let json = kform_core::write::submission(submission);
        let headers = kform_dom::object(&[("content-type", &"application/json".into())]);
        Some(kform_dom::object(&[("method", &post), ("headers", &headers), ("body", &json.into())]))
    } else {
        multipart(submission, files)
            .ok()
            .map(|body| kform_dom::object(&[("method", &post), ("body", &body)]))
    };
    let Some(init) = init else {
        let failed = SubmitError::Failed(Text::SendFailed.get(locale).to_owned());
        return Reply { result: Err(failed), detail: JsValue::NULL, render_token: None };
    };
    match fetch(&url, &init).await {
        Ok((status, text)) => {
            // Read twice, once for the core's readers and once as the host page's event detail:
            // an answer is a few hundred bytes, and the `.wasm` then holds no code turning one
            // tree into the other.
            let json = kform_dom::json_tree_as_written(&text).unwrap_or_default();
            let render_token =
                json.get("render_token").and_then(serde_json::Value::as_str).map(str::to_owned);
            let result = answer(status, &json, locale);
            Reply { result, detail: kform_dom::parsed(&text), render_token }
        }
        Err(reason) => Reply {
            result: Err(SubmitError::Unreachable(reason)),
            detail: JsValue::NULL,
            render_token: None,
        },
    }
}

/// What an answer of the relay (its status and JSON) means for the form.
fn answer(
    status: u16,
    json: &serde_json::Value,
    locale: Locale,
) -> Result<SubmitOutcome, SubmitError> {
    let failed = || SubmitError::Failed(Text::SendFailed.get(locale).to_owned());
    match status {
        // `null` is also what a body that is not JSON parses to.
        200..=299 if json.is_null() => {
            Err(SubmitError::Unreachable("the relay's answer is not JSON".to_owned()))
        }
        200..=299 => {
            SubmitOutcome::read(json).map_err(|err| SubmitError::Unreachable(err.to_string()))
        }
        // The relay's spam checks: say what to do rather than "try again later".
        400 => {
            let code = json.get("code").and_then(serde_json::Value::as_str);
            let text = crate::state::refusal(400, code);
            Err(SubmitError::Failed(text.get(locale).to_owned()))
        }
        422 => {
            let report = ErrorResponse::read_relayed(json);
            Err(report.map_or_else(|_| failed(), SubmitError::Invalid))
        }
        413 => Err(SubmitError::Failed(Text::FilesTooLarge.get(locale).to_owned())),
        408 | 429 | 500..=599 => {
            Err(SubmitError::Unreachable(format!("the relay answered {status}")))
        }
        _ => Err(failed()),
    }
}

/// The browser's `fetch` of `url`: the answer's status and text, or why there is none.
async fn fetch(url: &str, init: &js_sys::Object) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("there is no window to fetch from")?;
    let answer = JsFuture::from(window.fetch_with_str_and_init(url, init.unchecked_ref()))
        .await
        .map_err(reason)?;
    let response: web_sys::Response =
        answer.dyn_into().map_err(|_| "fetch answered no response".to_owned())?;
    let text = JsFuture::from(response.text().map_err(reason)?).await.map_err(reason)?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

/// What a failed fetch or browser call says (`TypeError: Failed to fetch`), for `kform:error`,
/// without formatting the JavaScript value for debugging (`{:?}` on a `JsValue` brings
/// wasm-bindgen's `debugString` into `kform.js`: about 280 bytes of its brotli).
#[expect(clippy::needless_pass_by_value, reason = "used as a `map_err` adapter")]
pub(crate) fn reason(err: JsValue) -> String {
    match err.dyn_ref::<js_sys::Error>() {
        Some(error) => format!("{}: {}", String::from(error.name()), String::from(error.message())),
        None => err.as_string().unwrap_or_else(|| "the request failed".to_owned()),
    }
}

/// The multipart body of a submission with files: the JSON as a `submission` part, then one
/// part per file named by its FILE field's code.
fn multipart(
    submission: &Submission,
    files: &[(String, web_sys::File)],
) -> Result<web_sys::FormData, wasm_bindgen::JsValue> {
    let json = kform_core::write::submission(submission);
    let body = web_sys::FormData::new()?;
    body.append_with_str("submission", &json)?;
    for (code, file) in files {
        body.append_with_blob_and_filename(code, file, &file.name())?;
    }
    Ok(body)
}

/// Parses JSON into a tree ([`kform_dom::json_tree_as_written`]) and reads `T` from it with the core's
/// reader (`read`): no type's serde deserializer and not serde_json's parser nor its tree
/// deserializer are built into the `.wasm`.
pub(crate) fn from_json<T>(
    text: &str,
    read: fn(&serde_json::Value) -> Result<T, kform_core::read::ReadError>,
) -> Result<T, String> {
    let value =
        kform_dom::json_tree_as_written(text).ok_or_else(|| "the answer is not JSON".to_owned())?;
    read(&value).map_err(|err| err.to_string())
}

/// Percent-encodes `text` as one URL path segment, as `kform.js` does (`encodeURIComponent`).
fn path_segment(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}
