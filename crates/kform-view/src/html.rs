//! A small HTML tree and its serialization: elements, attributes and text, escaped on the way
//! out. The form's markup is built with it, so the relay's page and the widget's regions are
//! one definition, and nothing unescaped can reach the page.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// One node: an element or text.
#[derive(Clone, Debug)]
pub enum Node {
    /// An element.
    El(El),
    /// Text, escaped when written.
    Text(String),
    /// JSON as a `<script type="application/json">`'s content: `<`, `>` and `&` are written as
    /// JSON's `\u003c`, `\u003e` and `\u0026`, so the text cannot end the script early and is
    /// read back as the same JSON.
    Json(String),
}

/// An element with its attributes (in order) and children.
#[derive(Clone, Debug)]
pub struct El {
    tag: &'static str,
    attrs: Vec<(&'static str, Option<String>)>,
    children: Vec<Node>,
}

/// Elements that have no closing tag.
const VOID: [&str; 3] = ["input", "br", "link"];

/// A new element `tag`.
pub fn el(tag: &'static str) -> El {
    El { tag, attrs: Vec::new(), children: Vec::new() }
}

impl El {
    /// Sets attribute `name` to `value`.
    #[must_use]
    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attrs.push((name, Some(value.into())));
        self
    }

    /// Sets attribute `name` when `value` is given.
    #[must_use]
    pub fn attr_opt(self, name: &'static str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.attr(name, value),
            None => self,
        }
    }

    /// Sets the boolean attribute `name` (`required`, `hidden`, …) when `on`.
    #[must_use]
    pub fn flag(mut self, name: &'static str, on: bool) -> Self {
        if on {
            self.attrs.push((name, None));
        }
        self
    }

    /// Appends a child.
    #[must_use]
    pub fn child(mut self, child: impl Into<Node>) -> Self {
        self.children.push(child.into());
        self
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
        self.children.extend(children.into_iter().map(Into::into));
        self
    }

    /// Appends text.
    #[must_use]
    pub fn text(self, text: impl Into<String>) -> Self {
        self.child(Node::Text(text.into()))
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
        out.push_str(self.tag);
        for (name, value) in &self.attrs {
            out.push(' ');
            out.push_str(name);
            if let Some(value) = value {
                out.push_str("=\"");
                escape(value, true, out);
                out.push('"');
            }
        }
        out.push('>');
        if VOID.contains(&self.tag) {
            return;
        }
        for child in &self.children {
            child.write(out);
        }
        out.push_str("</");
        out.push_str(self.tag);
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
