//! A small HTML tree and its serialization: elements, attributes and text, escaped on the way
//! out. Everything kform shows is built with it: the form's markup (the relay's pages and the
//! widget's regions, one definition) and the editor's screens, which `kform-dom` builds into
//! the page with their hooks. Nothing unescaped can reach a page.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;
use core::fmt;

/// One node: an element, text, or a hook.
#[derive(Debug)]
pub enum Node {
    /// An element.
    El(El),
    /// Text, escaped when written.
    Text(String),
    /// JSON as a `<script type="application/json">`'s content: `<`, `>` and `&` are written as
    /// JSON's `\u003c`, `\u003e` and `\u0026`, so the text cannot end the script early and is
    /// read back as the same JSON.
    Json(String),
    /// What builds the tree into a page (`kform-dom`) calls the hook with the element it is a
    /// child of, when it has built the children before it: an editor's event listener, a
    /// binding, a region. HTML has no place for it, so it is written as nothing.
    Hook(Hook),
}

/// A hook's call, given the parent element as whatever the builder's element type is (a
/// `web_sys::Element` for `kform-dom`).
pub struct Hook(Box<Run>);

/// What a hook does with the parent element.
type Run = dyn FnOnce(&dyn Any);

/// An attribute: its name and value (`None` for a boolean one, which is there or not).
pub type Attr = (&'static str, Option<String>);

impl Hook {
    /// A hook that calls `run` with the parent element.
    pub fn new(run: impl FnOnce(&dyn Any) + 'static) -> Self {
        Self(Box::new(run))
    }

    /// Calls the hook with the parent element.
    pub fn run(self, parent: &dyn Any) {
        (self.0)(parent);
    }
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hook")
    }
}

/// An element with its attributes (in order) and children.
///
/// Boxed, so the builder's chained calls hand one pointer along rather than copying the whole
/// element at each call: the editor's screens make hundreds of them.
#[derive(Debug)]
pub struct El(Box<Parts>);

#[derive(Debug)]
struct Parts {
    tag: &'static str,
    attrs: Vec<Attr>,
    children: Vec<Node>,
}

/// The elements kform writes that have no closing tag (HTML's void elements among them; a
/// closing tag after one is a parse error).
const VOID: [&str; 4] = ["input", "br", "link", "meta"];

/// A new element `tag`.
pub fn el(tag: &'static str) -> El {
    El(Box::new(Parts { tag, attrs: Vec::new(), children: Vec::new() }))
}

impl El {
    /// Sets attribute `name` to `value`.
    #[must_use]
    pub fn attr(self, name: &'static str, value: impl AsRef<str>) -> Self {
        self.set_str(name, value.as_ref())
    }

    // The generic methods only convert and call these: front ends call them from hundreds
    // of places, each of which would otherwise carry its own copy of a push.

    #[inline(never)]
    fn set_str(self, name: &'static str, value: &str) -> Self {
        self.set(name, Some(value.to_owned()))
    }

    #[inline(never)]
    fn set(mut self, name: &'static str, value: Option<String>) -> Self {
        self.0.attrs.push((name, value));
        self
    }

    #[inline(never)]
    fn push(mut self, child: Node) -> Self {
        self.0.children.push(child);
        self
    }

    /// Sets the `id`.
    #[must_use]
    pub fn id(self, id: impl AsRef<str>) -> Self {
        self.attr("id", id)
    }

    /// Sets the `class`.
    #[must_use]
    pub fn class(self, class: impl AsRef<str>) -> Self {
        self.attr("class", class)
    }

    /// Sets attribute `name` when `value` is given.
    #[must_use]
    pub fn attr_opt(self, name: &'static str, value: Option<impl AsRef<str>>) -> Self {
        match value {
            Some(value) => self.attr(name, value),
            None => self,
        }
    }

    /// Sets the boolean attribute `name` (`required`, `hidden`, …) when `on`.
    #[must_use]
    pub fn flag(self, name: &'static str, on: bool) -> Self {
        if on { self.set(name, None) } else { self }
    }

    /// Appends a child.
    #[must_use]
    pub fn child(self, child: impl Into<Node>) -> Self {
        self.push(child.into())
    }

    /// Appends a child when there is one.
    #[must_use]
    pub fn child_opt(self, child: Option<impl Into<Node>>) -> Self {
        match child {
            Some(child) => self.child(child),
            None => self,
        }
    }

    /// Appends children.
    #[must_use]
    pub fn children(mut self, children: impl IntoIterator<Item = impl Into<Node>>) -> Self {
        for child in children {
            self = self.push(child.into());
        }
        self
    }

    /// Appends text.
    #[must_use]
    pub fn text(self, text: impl AsRef<str>) -> Self {
        self.push_text(text.as_ref())
    }

    #[inline(never)]
    fn push_text(self, text: &str) -> Self {
        self.push(Node::Text(text.to_owned()))
    }

    /// Appends a hook (see [`Node::Hook`]).
    #[must_use]
    pub fn hook(self, hook: Hook) -> Self {
        self.push(Node::Hook(hook))
    }

    /// The element's tag, attributes (in order) and children, for
    /// building it into a page.
    #[must_use]
    pub fn into_parts(self) -> (&'static str, Vec<Attr>, Vec<Node>) {
        let Parts { tag, attrs, children } = *self.0;
        (tag, attrs, children)
    }

    /// The element as HTML.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Writes the element as HTML to `out`.
    pub fn write(&self, out: &mut String) {
        out.push('<');
        let Parts { tag, attrs, children } = &*self.0;
        out.push_str(tag);
        for (name, value) in attrs {
            out.push(' ');
            out.push_str(name);
            if let Some(value) = value {
                out.push_str("=\"");
                escape(value, true, out);
                out.push('"');
            }
        }
        out.push('>');
        if VOID.contains(tag) {
            return;
        }
        for child in children {
            child.write(out);
        }
        out.push_str("</");
        out.push_str(tag);
        out.push('>');
    }
}

impl Node {
    /// Writes the node as HTML to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Self::El(el) => el.write(out),
            Self::Text(text) => escape(text, false, out),
            Self::Json(json) => {
                for c in json.chars() {
                    match c {
                        '<' => out.push_str("\\u003c"),
                        '>' => out.push_str("\\u003e"),
                        '&' => out.push_str("\\u0026"),
                        c => out.push(c),
                    }
                }
            }
            Self::Hook(_) => {}
        }
    }
}

impl From<El> for Node {
    fn from(el: El) -> Self {
        Self::El(el)
    }
}

impl From<String> for Node {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for Node {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

/// Writes `text` escaped for HTML text, or for a double-quoted attribute value.
pub fn escape(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// Several nodes as HTML, one after another.
pub fn to_html(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        node.write(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn html_escapes_text_and_attributes_and_has_no_place_for_hooks() {
        let ran = Rc::new(Cell::new(false));
        let hook = {
            let ran = Rc::clone(&ran);
            Hook::new(move |_| ran.set(true))
        };
        let tree = el("p")
            .id("a\"b")
            .flag("hidden", true)
            .flag("required", false)
            .text("<1 & 2>")
            .hook(hook)
            .child(el("input").attr("value", "x"));
        assert_eq!(
            tree.to_html(),
            "<p id=\"a&quot;b\" hidden>&lt;1 &amp; 2&gt;<input value=\"x\"></p>"
        );
        let head = el("head").child(el("meta").attr("charset", "utf-8")).child(el("link"));
        assert_eq!(head.to_html(), "<head><meta charset=\"utf-8\"><link></head>");
        assert!(!ran.get(), "writing HTML runs no hook");

        let (tag, attrs, mut children) = tree.into_parts();
        assert_eq!((tag, attrs.len(), children.len()), ("p", 2, 3));
        let Node::Hook(hook) = children.remove(1) else { panic!("the hook is the second child") };
        hook.run(&());
        assert!(ran.get());
    }
}
