//! What kform's front ends (the widget and the editor) do to a host page: render into an open
//! shadow root that carries their own stylesheet, and tell the page what happened through
//! events on the host element. Both go through here so they behave the same on any page.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CssStyleSheet, CustomEvent, CustomEventInit, HtmlElement, ShadowRootInit, ShadowRootMode,
};

/// Opens (or reuses) `host`'s open shadow root, adopts `css` as its stylesheet, and appends an
/// empty container to render into; removing the container removes the rendering.
///
/// The stylesheet is a constructed `CSSStyleSheet`, not a `<style>` element, so a strict
/// Content-Security-Policy without `'unsafe-inline'` in `style-src` allows it, and the host
/// page's CSS cannot reach inside.
pub fn shadow_container(host: &HtmlElement, css: &str) -> Result<HtmlElement, JsValue> {
    let shadow = match host.shadow_root() {
        Some(shadow) => shadow,
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(css)?;
    shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    let document = host
        .owner_document()
        .ok_or_else(|| JsValue::from_str("the host element has no document"))?;
    let container: HtmlElement = document.create_element("div")?.unchecked_into();
    shadow.append_child(&container)?;
    Ok(container)
}

/// Dispatches `name` on the host element with `detail`; it bubbles out of the shadow root.
pub fn emit(host: &HtmlElement, name: &str, detail: &serde_json::Value) {
    let detail = js_sys::JSON::parse(&detail.to_string()).unwrap_or(JsValue::NULL);
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        // A listener's exception must not break the form or the editor.
        let _ = host.dispatch_event(&event);
    }
}
