//! The editor's view layer: its screens are `kform-view`'s HTML trees, the same the visitor's
//! form is made of, built into the page by `kform-dom`, with hooks ([`Live`]) that keep parts
//! of them in step with Leptos's reactive graph (signals, memos, render effects and owners).
//!
//! Leptos's `view!` compiles every element tree to its own types with their own build, rebuild
//! and mount code; for the editor's screens that came to about 34 KB brotli, a fifth of its
//! bundle. Here every element goes through the same few non-generic functions, and each
//! reactive part is one boxed closure run by a [`RenderEffect`]: a binding sets one property
//! when the signals it reads change, and a region ([`Live::dynamic`]) builds its elements again
//! (it does not patch them in place, so a region must not read what its own inputs edit).
//!
//! Lifetimes follow Leptos's owners. Everything a region builds (its effects, its event
//! listeners, the signals its components create) belongs to the region's effect, which disposes
//! of it before building again; everything else belongs to the owner [`mount`] creates, and
//! dropping that owner disposes of the whole editor.

use std::any::Any;

use kform_dom::{build, hook};
use leptos::prelude::*;
use leptos::reactive::effect::RenderEffect;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, Event, HtmlInputElement, HtmlSelectElement, Node};

/// An element being built: `kform-view`'s HTML tree, the one every front end renders with.
pub(crate) use kform_view::html::{El, el};

/// Keeps `item` (an effect or an event listener) until the current owner is cleaned up.
fn keep(item: Box<dyn Any>) {
    StoredValue::new_local(item);
}

/// Runs `set` now and again whenever the signals it reads change.
fn bind(set: Box<dyn Fn()>) {
    keep(Box::new(RenderEffect::new(move |_: Option<()>| set())));
}

/// What the editor adds to an element: listeners and parts that follow signals. Each is a hook
/// in the tree, run by [`build`] when the element exists, under the owner building it.
pub(crate) trait Live {
    /// Calls `handler` on every `event` (`"click"`, `"change"`, …).
    fn on(self, event: &'static str, handler: impl FnMut(Event) + 'static) -> El;

    /// Appends a text that follows `text`.
    fn text_with(self, text: impl Fn() -> String + 'static) -> El;

    /// Sets the attribute `name` to what `value` says, or removes it for `None`.
    fn attr_with(self, name: &'static str, value: impl Fn() -> Option<String> + 'static) -> El;

    /// Sets the boolean attribute `name` (`disabled`, …) while `on` says so.
    fn flag_with(self, name: &'static str, on: impl Fn() -> bool + 'static) -> El;

    /// Keeps an `<input>`'s, `<textarea>`'s or `<select>`'s value what `value` says (a select's
    /// options must exist first: see [`Live::options_with`] for options that change).
    fn value_with(self, value: impl Fn() -> String + 'static) -> El;

    /// Keeps a checkbox checked while `checked` says so.
    fn checked_with(self, checked: impl Fn() -> bool + 'static) -> El;

    /// A `<select>`'s options after the ones it already has, as (value, text), and its value:
    /// both follow signals, and the value is set after the options it names exist.
    fn options_with(
        self,
        options: impl Fn() -> Vec<(String, String)> + 'static,
        value: impl Fn() -> String + 'static,
    ) -> El;

    /// A region: the elements `build` returns, built again whenever the signals it reads
    /// change, in place of the ones it built before.
    fn dynamic<I>(self, build: impl Fn() -> I + 'static) -> El
    where
        I: IntoIterator<Item = El>;

    /// Calls `run` with the element once it is built (to mount another view in it, say).
    fn with_element(self, run: impl FnOnce(&Element) + 'static) -> El;
}

impl Live for El {
    fn on(self, event: &'static str, handler: impl FnMut(Event) + 'static) -> El {
        self.hook(hook(listen(event, Box::new(handler))))
    }

    fn text_with(self, text: impl Fn() -> String + 'static) -> El {
        self.hook(hook(text_binding(Box::new(text))))
    }

    fn attr_with(self, name: &'static str, value: impl Fn() -> Option<String> + 'static) -> El {
        self.hook(hook(attr_binding(name, Box::new(value))))
    }

    fn flag_with(self, name: &'static str, on: impl Fn() -> bool + 'static) -> El {
        self.hook(hook(attr_binding(name, Box::new(move || on().then(String::new)))))
    }

    fn value_with(self, value: impl Fn() -> String + 'static) -> El {
        self.hook(hook(value_binding(Box::new(value))))
    }

    fn checked_with(self, checked: impl Fn() -> bool + 'static) -> El {
        self.hook(hook(checked_binding(Box::new(checked))))
    }

    fn options_with(
        self,
        options: impl Fn() -> Vec<(String, String)> + 'static,
        value: impl Fn() -> String + 'static,
    ) -> El {
        self.hook(hook(options_binding(Box::new(options), Box::new(value))))
    }

    fn dynamic<I>(self, build: impl Fn() -> I + 'static) -> El
    where
        I: IntoIterator<Item = El>,
    {
        self.hook(hook(region(Box::new(move || build().into_iter().collect()))))
    }

    fn with_element(self, run: impl FnOnce(&Element) + 'static) -> El {
        self.hook(hook(run))
    }
}

// Each hook's work is one non-generic function of boxed closures, so the screens' many
// bindings share its code.

fn listen(event: &'static str, handler: Box<dyn FnMut(Event)>) -> impl FnOnce(&Element) {
    move |element| {
        let closure = Closure::wrap(handler);
        let _ = element.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        // Dropped with its owner, after which the element is gone from the page.
        keep(Box::new(closure));
    }
}

fn text_binding(text: Box<dyn Fn() -> String>) -> impl FnOnce(&Element) {
    move |element| {
        let Some(document) = element.owner_document() else { return };
        let node = document.create_text_node("");
        let _ = element.append_child(&node);
        bind(Box::new(move || node.set_data(&text())));
    }
}

fn attr_binding(
    name: &'static str,
    value: Box<dyn Fn() -> Option<String>>,
) -> impl FnOnce(&Element) {
    move |element| {
        let element = element.clone();
        bind(Box::new(move || {
            let _ = match value() {
                Some(value) => element.set_attribute(name, &value),
                None => element.remove_attribute(name),
            };
        }));
    }
}

fn value_binding(value: Box<dyn Fn() -> String>) -> impl FnOnce(&Element) {
    move |element| {
        let element = element.clone();
        bind(Box::new(move || {
            let value = value();
            // `<input>`, `<textarea>` and `<select>` all have a `value` property.
            let _ = js_sys::Reflect::set(&element, &"value".into(), &value.into());
        }));
    }
}

fn checked_binding(checked: Box<dyn Fn() -> bool>) -> impl FnOnce(&Element) {
    move |element| {
        let input: HtmlInputElement = element.clone().unchecked_into();
        bind(Box::new(move || input.set_checked(checked())));
    }
}

fn options_binding(
    options: Box<dyn Fn() -> Vec<(String, String)>>,
    value: Box<dyn Fn() -> String>,
) -> impl FnOnce(&Element) {
    move |element| {
        let select: HtmlSelectElement = element.clone().unchecked_into();
        // The options before the hook are in place when it runs.
        let fixed = select.length();
        bind(Box::new(move || {
            while select.length() > fixed {
                select.remove_with_index(i32::try_from(fixed).unwrap_or(i32::MAX));
            }
            for (value, text) in options() {
                let _ = select.append_child(&build(option(&value, &text)));
            }
            select.set_value(&value());
        }));
    }
}

fn region(build_all: Box<dyn Fn() -> Vec<El>>) -> impl FnOnce(&Element) {
    move |element| {
        let Some(document) = element.owner_document() else { return };
        let end: Node = document.create_comment("").into();
        let _ = element.append_child(&end);
        let parent: Node = element.clone().into();
        let effect = RenderEffect::new(move |built: Option<Vec<Node>>| {
            for node in built.into_iter().flatten() {
                let _ = parent.remove_child(&node);
            }
            let nodes: Vec<Node> = build_all().into_iter().map(|el| build(el).into()).collect();
            for node in &nodes {
                let _ = parent.insert_before(node, Some(&end));
            }
            nodes
        });
        keep(Box::new(effect));
    }
}

/// A `<label for=…>` with its text.
pub(crate) fn label(for_id: &str, text: &str) -> El {
    el("label").attr("for", for_id).text(text)
}

/// A `<button type="button">` with its text and what a click does.
pub(crate) fn button(text: &str, on_click: impl FnMut(Event) + 'static) -> El {
    el("button").attr("type", "button").text(text).on("click", on_click)
}

/// An `<option>`.
pub(crate) fn option(value: &str, text: &str) -> El {
    el("option").attr("value", value).text(text)
}

/// A control with the id `id` and its label, which names it by that id.
pub(crate) fn labelled(id: &str, text: &str, control: El) -> [El; 2] {
    [label(id, text), control.id(id)]
}

/// The value of the `<input>`, `<select>` or `<textarea>` an event came from.
pub(crate) fn target_value(event: &Event) -> String {
    event
        .target()
        .and_then(|target| js_sys::Reflect::get(&target, &"value".into()).ok())
        .and_then(|value| value.as_string())
        .unwrap_or_default()
}

/// Whether the checkbox an event came from is checked.
pub(crate) fn target_checked(event: &Event) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<HtmlInputElement>().ok())
        .is_some_and(|input| input.checked())
}

/// Builds `root` inside `container` under a new owner; dropping the owner disposes of
/// everything the editor built (the container itself is the caller's to remove).
pub(crate) fn mount(container: &Element, root: impl FnOnce() -> El) -> Owner {
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    let element = owner.with(|| build(root()));
    let _ = container.append_child(&element);
    owner
}

#[cfg(all(test, target_arch = "wasm32"))]
#[expect(clippy::unwrap_used, reason = "a failed step should fail the test loudly")]
mod tests;
