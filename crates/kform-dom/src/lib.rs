//! What kform's front ends (the widget and the editor) do to a host page: render into an open
//! shadow root that carries their own stylesheet, put `kform-view`'s HTML trees into it
//! ([`build`], [`write()`]), and tell the page what happened through events on the host element.
//! Both go through here so they render one way and behave the same on any page.

// Built without std, as the widget is (`kform-widget/src/lib.rs` says why); tests use std.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

mod build;
mod json;

pub use build::{build, hook, write};

use alloc::boxed::Box;
use alloc::string::ToString;
use core::any::Any;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, CustomEvent, HtmlElement, ShadowRootInit, ShadowRootMode};

/// A plain JavaScript object with `properties`, for an options dictionary (`CustomEventInit`,
/// `RequestInit`): one generic `Reflect.set` in the glue rather than a setter shim for each
/// option, which every visitor would download in `kform.js`.
#[must_use]
pub fn object(properties: &[(&str, &JsValue)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (name, value) in properties {
        // Setting a property of a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object
}

/// The theme's defaults (`--kform-accent`, `--kform-font`, …), the same for both front ends.
const THEME: &str = include_str!("../style/theme.css");

/// Opens (or reuses) `host`'s open shadow root, adopts the shared theme and `css` as its
/// stylesheets, and appends an empty container to render into; removing the container removes
/// the rendering.
///
/// The stylesheets are constructed `CSSStyleSheet`s, not `<style>` elements, so a strict
/// Content-Security-Policy without `'unsafe-inline'` in `style-src` allows them, and the host
/// page's CSS cannot reach inside.
pub fn shadow_container(host: &HtmlElement, css: &str) -> Result<HtmlElement, JsValue> {
    let shadow = match host.shadow_root() {
        Some(shadow) => shadow,
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    let sheet = |css: &str| -> Result<CssStyleSheet, JsValue> {
        let sheet = CssStyleSheet::new()?;
        sheet.replace_sync(css)?;
        Ok(sheet)
    };
    let (theme, own) = (sheet(THEME)?, sheet(css)?);
    shadow.set_adopted_style_sheets(&js_sys::Array::of2(&theme, &own));
    let document = host
        .owner_document()
        .ok_or_else(|| JsValue::from_str("the host element has no document"))?;
    let container: HtmlElement = document.create_element("div")?.unchecked_into();
    shadow.append_child(&container)?;
    Ok(container)
}

/// What is mounted in a host element: what owns the rendering (Leptos's unmount handle for the
/// widget, the reactive owner for the editor) and the container it renders into. The front
/// ends' JavaScript handles (`FormHandle`, `EditorHandle`) wrap it.
pub struct Mounted {
    view: Option<Box<dyn Any>>,
    container: Option<HtmlElement>,
}

impl Mounted {
    /// `view` (what owns the rendering; dropping it disposes of it) rendered into `container`.
    pub fn new(view: impl Any, container: HtmlElement) -> Self {
        Self { view: Some(Box::new(view)), container: Some(container) }
    }

    /// Removes the rendering and its reactive state from the page; a second call does nothing.
    pub fn unmount(&mut self) {
        // Dropping the owner of the rendering disposes of its reactive state.
        self.view.take();
        if let Some(container) = self.container.take() {
            container.remove();
        }
    }
}

/// Dispatches `name` on the host element with `detail`; it bubbles out of the shadow root.
pub fn emit(host: &HtmlElement, name: &str, detail: &serde_json::Value) {
    emit_detail(host, name, &parsed(&detail.to_string()));
}

/// JSON text as a JavaScript value (`null` if it is not JSON).
pub fn parsed(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
}

/// JSON text as serde_json's tree, as `serde_json::from_str` reads it, or `None` when it is not
/// JSON. The parser is kform's own (`json.rs`): the front ends carry neither serde_json's parser
/// nor Rust's float parsing (a number that is not a whole one is read by the browser's
/// `JSON.parse`), and the tree is built without a call into JavaScript for each value, which
/// made reading the widget's descriptor take 3.6 ms of the 17 its takeover took.
pub fn json_tree(json: &str) -> Option<serde_json::Value> {
    json::parse(json, &|number| {
        let float = js_sys::JSON::parse(number).ok()?.as_f64()?;
        serde_json::Number::from_f64(float).map(serde_json::Value::Number)
    })
}

/// [`json_tree`], but a number that is not a whole one is kept as the text it was written as
/// (a string): for a reader that only turns such numbers into text (the widget reads the relay's
/// JSON with `kform-core`, which does so; its whole numbers, limits and counts, stay numbers).
/// Neither float parsing nor float formatting, the shortest text that reads back as the same
/// float (2.2 KB brotli), is then in the `.wasm`.
pub fn json_tree_as_written(json: &str) -> Option<serde_json::Value> {
    json::parse(json, &|number| Some(serde_json::Value::String(number.into())))
}

/// [`emit`] with a detail that is a JavaScript value already (the widget builds its details so,
/// without serde_json's tree: see `kform-widget/src/form.rs`).
pub fn emit_detail(host: &HtmlElement, name: &str, detail: &JsValue) {
    let init =
        object(&[("bubbles", &JsValue::TRUE), ("composed", &JsValue::TRUE), ("detail", detail)]);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, init.unchecked_ref()) {
        // A listener's exception must not break the form or the editor.
        let _ = host.dispatch_event(&event);
    }
}
