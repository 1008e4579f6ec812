//! The editor's view layer: DOM elements built directly with `web-sys` and kept in step with
//! Leptos's reactive graph (signals, memos, render effects and owners).
//!
//! Leptos's `view!` compiles every element tree to its own types with their own build, rebuild
//! and mount code; for the editor's screens that came to about 34 KB brotli, a fifth of its
//! bundle. Here every element goes through the same few non-generic functions, and each
//! reactive part is one boxed closure run by a [`RenderEffect`]: a binding sets one property
//! when the signals it reads change, and a region ([`El::dynamic`]) builds its elements again
//! (it does not patch them in place, so a region must not read what its own inputs edit).
//!
//! Lifetimes follow Leptos's owners. Everything a region builds (its effects, its event
//! listeners, the signals its components create) belongs to the region's effect, which disposes
//! of it before building again; everything else belongs to the owner [`mount`] creates, and
//! dropping that owner disposes of the whole editor.

use std::any::Any;

use leptos::prelude::*;
use leptos::reactive::effect::RenderEffect;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Document, Element, Event, HtmlInputElement, HtmlSelectElement, Node};

/// An element being built: each method adds to it and hands it back.
#[must_use]
pub(crate) struct El(Element);

/// The document the editor renders into.
fn document() -> Document {
    // The editor only runs in a page, which always has a window and a document.
    web_sys::window().and_then(|window| window.document()).unwrap_or_else(|| {
        wasm_bindgen::throw_str("kform-editor: no document");
    })
}

/// A new element `tag`.
pub(crate) fn el(tag: &str) -> El {
    match document().create_element(tag) {
        Ok(element) => El(element),
        Err(_) => wasm_bindgen::throw_str("kform-editor: cannot create an element"),
    }
}

/// Keeps `item` (an effect or an event listener) until the current owner is cleaned up.
fn keep(item: Box<dyn Any>) {
    StoredValue::new_local(item);
}

/// Runs `set` now and again whenever the signals it reads change.
fn bind(set: Box<dyn Fn()>) {
    keep(Box::new(RenderEffect::new(move |_: Option<()>| set())));
}

impl El {
    /// Sets the attribute `name`.
    pub(crate) fn attr(self, name: &str, value: &str) -> El {
        let _ = self.0.set_attribute(name, value);
        self
    }

    /// Sets the `id`.
    pub(crate) fn id(self, id: &str) -> El {
        self.attr("id", id)
    }

    /// Sets the `class`.
    pub(crate) fn class(self, class: &str) -> El {
        self.attr("class", class)
    }

    /// Appends the text `text`.
    pub(crate) fn text(self, text: &str) -> El {
        let _ = self.0.append_child(&document().create_text_node(text));
        self
    }

    /// Appends `child`.
    pub(crate) fn child(self, child: El) -> El {
        let El(child) = child;
        let _ = self.0.append_child(&child);
        self
    }

    /// Appends `child` if there is one.
    pub(crate) fn maybe(self, child: Option<El>) -> El {
        match child {
            Some(child) => self.child(child),
            None => self,
        }
    }

    /// Appends every child.
    pub(crate) fn children(mut self, children: impl IntoIterator<Item = El>) -> El {
        for child in children {
            self = self.child(child);
        }
        self
    }

    /// Calls `handler` on every `event` (`"click"`, `"change"`, …).
    pub(crate) fn on(self, event: &str, handler: impl FnMut(Event) + 'static) -> El {
        self.listen(event, Box::new(handler))
    }

    fn listen(self, event: &str, handler: Box<dyn FnMut(Event)>) -> El {
        let closure = Closure::wrap(handler);
        let _ = self.0.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        // Dropped with its owner, after which the element is gone from the page.
        keep(Box::new(closure));
        self
    }

    /// Appends a text that follows `text`.
    pub(crate) fn text_with(self, text: impl Fn() -> String + 'static) -> El {
        let node = document().create_text_node("");
        let _ = self.0.append_child(&node);
        bind(Box::new(move || node.set_data(&text())));
        self
    }

    /// Sets the attribute `name` to what `value` says, or removes it for `None`.
    pub(crate) fn attr_with(
        self,
        name: &'static str,
        value: impl Fn() -> Option<String> + 'static,
    ) -> El {
        self.bind_attr(name, Box::new(value))
    }

    fn bind_attr(self, name: &'static str, value: Box<dyn Fn() -> Option<String>>) -> El {
        let element = self.0.clone();
        bind(Box::new(move || {
            let _ = match value() {
                Some(value) => element.set_attribute(name, &value),
                None => element.remove_attribute(name),
            };
        }));
        self
    }

    /// Sets the boolean attribute `name` (`disabled`, …) while `on` says so.
    pub(crate) fn flag_with(self, name: &'static str, on: impl Fn() -> bool + 'static) -> El {
        self.bind_attr(name, Box::new(move || on().then(String::new)))
    }

    /// Keeps an `<input>`'s, `<textarea>`'s or `<select>`'s value what `value` says (a select's
    /// options must exist first: see [`El::options_with`] for options that change).
    pub(crate) fn value_with(self, value: impl Fn() -> String + 'static) -> El {
        self.bind_value(Box::new(value))
    }

    fn bind_value(self, value: Box<dyn Fn() -> String>) -> El {
        let element = self.0.clone();
        bind(Box::new(move || {
            let value = value();
            // `<input>`, `<textarea>` and `<select>` all have a `value` property.
            let _ = js_sys::Reflect::set(&element, &"value".into(), &value.into());
        }));
        self
    }

    /// Keeps a checkbox checked while `checked` says so.
    pub(crate) fn checked_with(self, checked: impl Fn() -> bool + 'static) -> El {
        self.bind_checked(Box::new(checked))
    }

    fn bind_checked(self, checked: Box<dyn Fn() -> bool>) -> El {
        let input: HtmlInputElement = self.0.clone().unchecked_into();
        bind(Box::new(move || input.set_checked(checked())));
        self
    }

    /// A `<select>`'s options after the ones it already has, as (value, text), and its value:
    /// both follow signals, and the value is set after the options it names exist.
    pub(crate) fn options_with(
        self,
        options: impl Fn() -> Vec<(String, String)> + 'static,
        value: impl Fn() -> String + 'static,
    ) -> El {
        self.bind_options(Box::new(options), Box::new(value))
    }

    fn bind_options(
        self,
        options: Box<dyn Fn() -> Vec<(String, String)>>,
        value: Box<dyn Fn() -> String>,
    ) -> El {
        let select: HtmlSelectElement = self.0.clone().unchecked_into();
        let fixed = select.length();
        bind(Box::new(move || {
            while select.length() > fixed {
                select.remove_with_index(i32::try_from(fixed).unwrap_or(i32::MAX));
            }
            for (value, text) in options() {
                let _ = select.append_child(&el("option").attr("value", &value).text(&text).0);
            }
            select.set_value(&value());
        }));
        self
    }

    /// A region: the elements `build` returns, built again whenever the signals it reads
    /// change, in place of the ones it built before.
    pub(crate) fn dynamic<I>(self, build: impl Fn() -> I + 'static) -> El
    where
        I: IntoIterator<Item = El>,
    {
        self.region(Box::new(move || build().into_iter().map(|el| el.0.into()).collect()))
    }

    fn region(self, build: Box<dyn Fn() -> Vec<Node>>) -> El {
        let end: Node = document().create_comment("").into();
        let _ = self.0.append_child(&end);
        let parent: Node = self.0.clone().into();
        let effect = RenderEffect::new(move |built: Option<Vec<Node>>| {
            for node in built.into_iter().flatten() {
                let _ = parent.remove_child(&node);
            }
            let nodes = build();
            for node in &nodes {
                let _ = parent.insert_before(node, Some(&end));
            }
            nodes
        });
        keep(Box::new(effect));
        self
    }

    /// The element being built, to keep a handle on it.
    pub(crate) fn element(&self) -> Element {
        self.0.clone()
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
    let element = owner.with(|| root().0);
    let _ = container.append_child(&element);
    owner
}

#[cfg(all(test, target_arch = "wasm32"))]
#[expect(clippy::unwrap_used, reason = "a failed step should fail the test loudly")]
mod tests;
