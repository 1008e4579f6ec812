//! The JavaScript-facing API. `kform.js` shows the relay's markup in the host element's shadow
//! root at once, then hands it to [`take_over`] when the WebAssembly has arrived. The editor's
//! preview is the relay's markup too (`POST /v1/admin/preview`), taken over with no relay, so
//! it never sends; the `.wasm` renders no whole form (only [`preview`], for Rust callers and
//! the browser tests, does).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use kform_core::Locale;
use kform_core::protocol::FormDescriptor;
use kform_view::markup::{self, Layout, Render, WidgetBuild};
use kform_view::state::FormState;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

use crate::api::Endpoint;
use crate::form::Form;

/// A form taken over; `unmount()` removes it from the page.
#[wasm_bindgen]
pub struct FormHandle(Option<Rc<Form>>);

#[wasm_bindgen]
impl FormHandle {
    /// Removes the form and its state from the page; a second call does nothing.
    pub fn unmount(&mut self) {
        if let Some(form) = self.0.take() {
            form.remove();
        }
    }
}

/// Takes over the form that `kform.js` put in `root` (the `.kform` element in `host`'s shadow
/// root) for the form `form_id` of the relay at `relay` (absolute URL; `None` for a preview,
/// which never sends). The form's descriptor (the JSON of `GET /v1/forms/{form_id}`) came with
/// the markup, in its `<script type="application/json" class="kform-descriptor">`. What the
/// visitor typed meanwhile stays.
#[wasm_bindgen(js_name = takeOver)]
#[expect(
    clippy::needless_pass_by_value,
    reason = "wasm-bindgen hands JavaScript strings over by value"
)]
pub fn take_over(
    host: HtmlElement,
    root: Element,
    form_id: String,
    relay: Option<String>,
    lang: Option<String>,
) -> Result<FormHandle, JsValue> {
    let data = root
        .query_selector("script.kform-descriptor")?
        .and_then(|script| script.text_content())
        .ok_or_else(|| JsValue::from_str("kform: the markup holds no descriptor"))?;
    let descriptor = read(&data)?;
    // A partial build refuses a form it lacks the code for (the whole one checks nothing, so
    // carries no check).
    let build = WidgetBuild::with(cfg!(feature = "rows"), cfg!(feature = "confirm"));
    if build != WidgetBuild::Whole && !build.covers(WidgetBuild::of(&descriptor)) {
        return Err(JsValue::from_str(
            "kform: this form needs another build of the widget's .wasm",
        ));
    }
    let mut state = FormState::new(descriptor, lang.as_deref().and_then(Locale::from_tag));
    // The form's capture items: where the visitor came from.
    let query = page_query();
    let pairs: Vec<(&str, &str)> =
        query.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    let referrer = host.owner_document().map(|document| document.referrer()).unwrap_or_default();
    state.capture(&pairs, &referrer);
    let endpoint =
        relay.map(|relay| Endpoint { relay: relay.trim_end_matches('/').to_owned(), form_id });
    let form = Form::take_over(state, host.clone(), root, endpoint)?;
    ready(&host);
    Ok(FormHandle(Some(form)))
}

/// Renders a preview of a form from a descriptor (the JSON of `GET /v1/forms/{id}`) into
/// `container`, without a relay, and takes it over: it validates like a live form and never
/// sends anything. Not exported to JavaScript (the editor's preview is rendered by the relay):
/// for Rust callers and the browser tests.
#[expect(
    clippy::needless_pass_by_value,
    reason = "wasm-bindgen hands JavaScript objects and strings over by value"
)]
pub fn preview(
    host: HtmlElement,
    container: &Element,
    descriptor: &str,
    lang: Option<String>,
) -> Result<FormHandle, JsValue> {
    let state = FormState::new(read(descriptor)?, lang.as_deref().and_then(Locale::from_tag));
    let render =
        Render { action: "", render_token: None, submission_id: None, layout: Layout::Enhanced };
    container.set_inner_html(&markup::form(&state, &render).to_html());
    let root = container
        .first_element_child()
        .ok_or_else(|| JsValue::from_str("kform: the preview did not render"))?;
    let form = Form::take_over(state, host.clone(), root, None)?;
    ready(&host);
    Ok(FormHandle(Some(form)))
}

/// [`preview`] into a new open shadow root of `host` (with the shared theme): for Rust callers
/// and the browser tests.
pub fn mount_descriptor(
    host: HtmlElement,
    descriptor: &str,
    lang: Option<String>,
) -> Result<FormHandle, JsValue> {
    let container = kform_dom::shadow_container(&host, "")?;
    preview(host, &container, descriptor, lang)
}

fn read(descriptor: &str) -> Result<FormDescriptor, JsValue> {
    crate::api::from_json(descriptor, FormDescriptor::read)
        .map_err(|err| JsValue::from_str(&format!("invalid form descriptor: {err}")))
}

/// Tells the host page the form is ready, in its enhanced mode.
fn ready(host: &HtmlElement) {
    emit(host, "kform:ready", &kform_dom::object(&[("mode", &"enhanced".into())]));
}

pub(crate) use kform_dom::emit_detail as emit;

/// A random (version 4) UUID from the browser's cryptographic generator; works on plain-HTTP
/// pages too, where `crypto.randomUUID` does not exist.
pub(crate) fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid_v4(bytes)
}

/// The version 4 UUID of 16 random bytes, in its usual text (`xxxxxxxx-xxxx-4xxx-…`).
fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    // Written digit by digit rather than with `{:02x}`, which brings hexadecimal formatting
    // into the `.wasm` for this one use.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut uuid = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            uuid.push('-');
        }
        uuid.push(char::from(DIGITS[usize::from(byte >> 4)]));
        uuid.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    uuid
}

/// The page address's query parameters, decoded (`+` is a space).
fn page_query() -> Vec<(String, String)> {
    let search =
        web_sys::window().and_then(|window| window.location().search().ok()).unwrap_or_default();
    let decode = |part: &str| {
        let spaced: String = part.chars().map(|c| if c == '+' { ' ' } else { c }).collect();
        js_sys::decode_uri_component(&spaced).ok().and_then(|decoded| decoded.as_string())
    };
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::uuid_v4;

    #[test]
    fn a_uuid_is_the_bytes_in_hex_with_version_4_and_the_rfc_variant() {
        let bytes = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        assert_eq!(uuid_v4(bytes), "00112233-4455-4677-8899-aabbccddeeff");
        // The version and variant bits replace what was there.
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }
}
