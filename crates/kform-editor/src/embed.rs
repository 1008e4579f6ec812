//! The JavaScript-facing API: mount the editor into a host element's open shadow root, show
//! the preview (the relay's markup, through the widget's own `KForm.preview`), and tell the
//! host page what happened.

use kform_core::Locale;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, HtmlElement};

use crate::api::Admin;

/// The editor's stylesheet, adopted by its shadow root.
const STYLE: &str = include_str!("../style/editor.css");

/// A mounted editor; `unmount()` removes it from the page.
#[wasm_bindgen]
pub struct EditorHandle(kform_dom::Mounted);

#[wasm_bindgen]
impl EditorHandle {
    /// Removes the editor and its state from the page.
    pub fn unmount(&mut self) {
        self.0.unmount();
    }
}

/// Renders the preview with the real widget: `kform-editor.js` passes a function
/// `(element, descriptorJson, lang) => …` that has the relay render the descriptor and shows
/// the markup with the widget's `KForm.preview`.
#[derive(Clone)]
pub(crate) struct Preview(js_sys::Function);

impl Preview {
    /// Shows the form `descriptor` (JSON) in `element`.
    pub(crate) fn show(&self, element: &web_sys::Element, descriptor: &str, lang: Locale) {
        let lang = match lang {
            Locale::Ja => "ja",
            Locale::En => "en",
        };
        let _ = self.0.call3(
            &JsValue::NULL,
            element,
            &JsValue::from_str(descriptor),
            &JsValue::from_str(lang),
        );
    }

    /// Calls `on_values` with the values each time the preview is sent (the widget's
    /// `kform:submitted` event with `preview: true`).
    pub(crate) fn listen(&self, element: &web_sys::Element, on_values: impl Fn(Value) + 'static) {
        let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
            let Some(event) = event.dyn_ref::<CustomEvent>() else { return };
            let detail =
                js_sys::JSON::stringify(&event.detail()).ok().and_then(|text| text.as_string());
            let values = detail
                .and_then(|text| kform_dom::json_tree(&text))
                .and_then(|detail| detail.get("values").cloned());
            if let Some(values) = values {
                on_values(values);
            }
        });
        let _ = element
            .add_event_listener_with_callback("kform:submitted", listener.as_ref().unchecked_ref());
        // The listener lives as long as the preview element, which the editor keeps.
        listener.forget();
    }
}

/// Opens the delivery or mail view, their own bundle: `kform-editor.js` passes a function
/// `(element, relay, token, form, lang, view, values) => close` that loads `kform-delivery` and mounts the view
/// into `element`; `close()` unmounts it.
#[derive(Clone)]
pub(crate) struct DeliveryOpener(js_sys::Function);

/// Closes a delivery view when dropped (with the editor region that opened it).
pub(crate) struct DeliveryShown(js_sys::Function);

impl Drop for DeliveryShown {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

impl DeliveryOpener {
    /// Mounts `view` (`delivery` or `mail`) of `form` into `element`, as `admin` calls the
    /// relay; `values` (JSON) are the preview's last values, for the mail view's preview.
    pub(crate) fn open(
        &self,
        element: &web_sys::Element,
        admin: &Admin,
        form: &str,
        lang: Locale,
        view: &str,
        values: &str,
    ) -> Option<DeliveryShown> {
        let lang = if lang == Locale::Ja { "ja" } else { "en" };
        let args = js_sys::Array::of5(
            element,
            &admin.relay.as_str().into(),
            &admin.token.as_str().into(),
            &form.into(),
            &lang.into(),
        );
        args.push(&view.into());
        args.push(&values.into());
        let close = self.0.apply(&JsValue::NULL, &args).ok()?;
        close.dyn_into().ok().map(DeliveryShown)
    }
}

/// Mounts the editor into `host`. `relay` is the relay's absolute URL, `token` an editor token
/// from `POST /v1/admin/editor-tokens`, `form` the form to open (or none to create one), and
/// `preview` the function that renders the widget's preview, and `delivery` the one that opens the
/// delivery view.
#[wasm_bindgen]
#[expect(
    clippy::needless_pass_by_value,
    reason = "wasm-bindgen hands JavaScript strings over by value"
)]
pub fn mount(
    host: HtmlElement,
    relay: String,
    token: String,
    form: Option<String>,
    lang: Option<String>,
    preview: js_sys::Function,
    delivery: js_sys::Function,
) -> Result<EditorHandle, JsValue> {
    // An administrator's tool: a bug should say what went wrong in the console.
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&info.to_string().into())));
    let locale = lang.as_deref().and_then(Locale::from_tag).unwrap_or_default();
    let admin = Admin { relay: relay.trim_end_matches('/').to_owned(), token };
    let form = form.filter(|id| !id.is_empty());
    let container = kform_dom::shadow_container(&host, STYLE)?;
    let preview = Preview(preview);
    let delivery = DeliveryOpener(delivery);
    let owner = crate::view::mount(&container, move || {
        crate::app::editor(admin, form, locale, host, preview, delivery)
    });
    Ok(EditorHandle(kform_dom::Mounted::new(owner, container)))
}

pub(crate) use kform_dom::emit;
