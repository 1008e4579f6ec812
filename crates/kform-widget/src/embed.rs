//! The JavaScript-facing API: mount a form into a host element's open shadow root, unmount it,
//! and tell the host page what happened through DOM events.

use std::sync::atomic::{AtomicU32, Ordering};

use kform_core::Locale;
use kform_core::protocol::FormDescriptor;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::api::Endpoint;
use crate::app::{Source, kintone_form};

/// The widget's stylesheet, adopted by each form's shadow root.
const STYLE: &str = include_str!("../style/kform.css");

/// Numbers each mounted form so element ids stay unique when a page has several.
static NEXT_MOUNT_ID: AtomicU32 = AtomicU32::new(1);

/// A mounted form; `unmount()` removes it from the page.
#[wasm_bindgen]
pub struct FormHandle(kform_dom::Mounted);

#[wasm_bindgen]
impl FormHandle {
    /// Removes the form and its state from the page.
    pub fn unmount(&mut self) {
        self.0.unmount();
    }
}

/// Mounts the form `form_id` served by the relay at `relay` (an absolute URL) into `host`.
/// `values` prefills fields like the page address does, as a query string
/// (`会社名=…&関心=A&関心=B`), applied after the page address. `descriptor`, when given, is
/// the page's own `fetch` of `GET /v1/forms/{form_id}` (a promise of its `Response`), started
/// by `kform.js` while the `.wasm` downloaded; otherwise the widget fetches it.
#[wasm_bindgen]
#[expect(
    clippy::needless_pass_by_value,
    reason = "wasm-bindgen hands JavaScript strings over by value"
)]
pub fn mount(
    host: HtmlElement,
    form_id: String,
    relay: String,
    lang: Option<String>,
    values: Option<String>,
    descriptor: Option<js_sys::Promise>,
) -> Result<FormHandle, JsValue> {
    let relay = relay.trim_end_matches('/').to_owned();
    let values = values.map(|query| crate::app::parse_query(&query)).unwrap_or_default();
    let source = Source::Relay(Endpoint { relay, form_id }, values, descriptor);
    mount_source(host, source, lang.as_deref())
}

/// Mounts a form from a descriptor (the JSON of `GET /v1/forms/{id}`) without a relay: the
/// editor's preview. It validates like a live form and never sends anything.
#[wasm_bindgen(js_name = mountDescriptor)]
#[expect(
    clippy::needless_pass_by_value,
    reason = "wasm-bindgen hands JavaScript strings over by value"
)]
pub fn mount_descriptor(
    host: HtmlElement,
    descriptor: &str,
    lang: Option<String>,
) -> Result<FormHandle, JsValue> {
    let descriptor: FormDescriptor = crate::api::from_json(descriptor)
        .map_err(|err| JsValue::from_str(&format!("invalid form descriptor: {err}")))?;
    mount_source(host, Source::Preview(Box::new(descriptor)), lang.as_deref())
}

fn mount_source(
    host: HtmlElement,
    source: Source,
    lang: Option<&str>,
) -> Result<FormHandle, JsValue> {
    let locale = lang.and_then(Locale::from_tag);
    let container = kform_dom::shadow_container(&host, STYLE)?;
    let mount_id = NEXT_MOUNT_ID.fetch_add(1, Ordering::Relaxed);
    let handle = leptos::mount::mount_to(container.clone(), move || {
        kintone_form(source, locale, host, mount_id)
    });
    Ok(FormHandle(kform_dom::Mounted::new(handle, container)))
}

pub(crate) use kform_dom::emit;

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
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}
