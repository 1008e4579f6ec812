//! Puts `kform-view`'s HTML trees into a page: the one way both front ends render. The editor
//! builds its trees into elements, running their hooks (listeners, bindings, regions) as it
//! goes; the widget, whose regions have no hooks (it listens once on the whole form), writes
//! them as HTML, and only when the page does not show that HTML already.

use kform_view::html::{El, Hook, Node};
use web_sys::{Document, Element};

/// The document of the window the front end runs in.
fn document() -> Document {
    // A front end only runs in a page, which always has a window and a document.
    web_sys::window().and_then(|window| window.document()).unwrap_or_else(|| {
        wasm_bindgen::throw_str("kform: no document");
    })
}

/// `el` built into a new element, its hooks run with the element they belong to, each after
/// the children before it are in place.
pub fn build(el: El) -> Element {
    let document = document();
    build_in(&document, el)
}

fn build_in(document: &Document, el: El) -> Element {
    let (tag, attrs, children) = el.into_parts();
    let Ok(element) = document.create_element(tag) else {
        // Only a tag that is not a valid name fails, and kform's tags are fixed.
        wasm_bindgen::throw_str("kform: cannot create an element");
    };
    for (name, value) in attrs {
        let _ = element.set_attribute(name, value.as_deref().unwrap_or_default());
    }
    for child in children {
        match child {
            Node::El(child) => {
                let _ = element.append_child(&build_in(document, child));
            }
            Node::Text(text) | Node::Json(text) => {
                let _ = element.append_child(&document.create_text_node(&text));
            }
            Node::Hook(hook) => hook.run(&element),
        }
    }
    element
}

/// A hook that [`build`] calls with the element it is a child of.
pub fn hook(run: impl FnOnce(&Element) + 'static) -> Hook {
    Hook::new(move |parent| {
        if let Some(parent) = parent.downcast_ref::<Element>() {
            run(parent);
        }
    })
}

/// Sets `element`'s content to `html` (`kform-view`'s, which escapes as browsers serialize)
/// unless it shows that already: a region written again would be announced again by a screen
/// reader (messages and alerts are live regions), and makes the browser style it again.
pub fn write(element: &Element, html: &str) {
    if element.inner_html() != html {
        element.set_inner_html(html);
    }
}
