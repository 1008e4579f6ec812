//! The form editor's delivery and mail views as their own WebAssembly bundle: `kform-editor.js`
//! loads it when the "Delivery" or "Mail" tab is opened, so the editor's first load does not
//! carry them. The views are `kform_editor::delivery` and `kform_editor::mail_view`; this crate
//! is their JavaScript entry.

use kform_core::Locale;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

/// A mounted delivery view; `unmount()` removes it.
#[wasm_bindgen]
pub struct DeliveryHandle(kform_dom::Mounted);

#[wasm_bindgen]
impl DeliveryHandle {
    /// Removes the view, stops its refreshing and drops its state.
    pub fn unmount(&mut self) {
        self.0.unmount();
    }
}

/// Mounts the delivery view of `form` into `element`, calling the relay at `relay` with the
/// editor token `token`, in `lang` (`ja` or `en`).
#[wasm_bindgen]
#[expect(
    clippy::needless_pass_by_value,
    reason = "wasm-bindgen hands JavaScript strings over by value"
)]
pub fn mount(
    element: HtmlElement,
    relay: &str,
    token: &str,
    form: &str,
    lang: Option<String>,
) -> DeliveryHandle {
    // An administrator's tool: a bug should say what went wrong in the console.
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&info.to_string().into())));
    let locale = lang.as_deref().and_then(Locale::from_tag).unwrap_or_default();
    DeliveryHandle(kform_editor::delivery::mount(element, relay, token, form, locale))
}

/// Mounts the mail view of `form` into `element`, like [`mount`]; `values` (JSON) are the
/// editor preview's last values, for the mail's preview.
#[wasm_bindgen]
#[expect(
    clippy::needless_pass_by_value,
    reason = "wasm-bindgen hands JavaScript strings over by value"
)]
pub fn mount_mail(
    element: HtmlElement,
    relay: &str,
    token: &str,
    form: &str,
    lang: Option<String>,
    values: Option<String>,
) -> DeliveryHandle {
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&info.to_string().into())));
    let locale = lang.as_deref().and_then(Locale::from_tag).unwrap_or_default();
    let values = values.unwrap_or_default();
    DeliveryHandle(kform_editor::mail_view::mount(element, relay, token, form, locale, &values))
}
