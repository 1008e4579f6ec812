//! Mail templates: text with `{{name}}` places filled from a submission (an item's value by
//! field code, `submission_id`, `form_title`, `date`). Read once into parts, so the relay, which
//! sends the mail, and the editor, which previews it, fill it the same way, and an unknown name
//! is found before anything is sent.
//!
//! A crate of its own rather than a part of `kform-core`: in the core it changed the widget's
//! `.wasm` (44 bytes raw, about 300 brotli) without the widget using it.

use std::fmt;

/// The names every template may use besides the form's field codes.
pub const BUILT_IN_NAMES: [&str; 3] = ["submission_id", "form_title", "date"];

/// One part of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part<'a> {
    /// Text written as it is.
    Text(&'a str),
    /// A place filled with the named value (its name trimmed of spaces).
    Name(&'a str),
}

/// Why a template cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// A `{{` with no `}}` after it, at this byte.
    Unclosed(usize),
    /// `{{}}` (or only spaces), at this byte.
    Empty(usize),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unclosed(at) => write!(f, "the {{{{ at byte {at} is never closed with }}}}"),
            Self::Empty(at) => write!(f, "the {{{{}}}} at byte {at} names nothing"),
        }
    }
}

impl std::error::Error for TemplateError {}

/// The template's parts, in order.
///
/// # Errors
/// A `{{` never closed, or a place with no name.
pub fn parts(template: &str) -> Result<Vec<Part<'_>>, TemplateError> {
    let mut parts = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            parts.push(Part::Text(&rest[..open]));
        }
        let inside = &rest[open + 2..];
        let close = inside.find("}}").ok_or(TemplateError::Unclosed(offset + open))?;
        let name = inside[..close].trim();
        if name.is_empty() {
            return Err(TemplateError::Empty(offset + open));
        }
        parts.push(Part::Name(name));
        let used = open + 2 + close + 2;
        offset += used;
        rest = &rest[used..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    Ok(parts)
}

/// The names the template uses that `known` does not accept, each once, in order.
///
/// # Errors
/// The template cannot be read ([`parts`]).
pub fn unknown_names(
    template: &str,
    known: impl Fn(&str) -> bool,
) -> Result<Vec<&str>, TemplateError> {
    let mut unknown: Vec<&str> = Vec::new();
    for part in parts(template)? {
        if let Part::Name(name) = part
            && !known(name)
            && !unknown.contains(&name)
        {
            unknown.push(name);
        }
    }
    Ok(unknown)
}

/// The template filled: each place with `value(name)`, or left empty when it gives `None`.
/// A template that cannot be read is written as it is.
pub fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let Ok(parts) = parts(template) else { return template.to_owned() };
    let mut out = String::with_capacity(template.len());
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Name(name) => out.push_str(&value(name).unwrap_or_default()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Part, TemplateError, fill, parts, unknown_names};

    #[test]
    fn places_are_read_and_filled() {
        let template = "{{会社名}} 様\n受付番号: {{ submission_id }}。{{x}}";
        assert_eq!(
            parts(template).unwrap(),
            [
                Part::Name("会社名"),
                Part::Text(" 様\n受付番号: "),
                Part::Name("submission_id"),
                Part::Text("。"),
                Part::Name("x"),
            ]
        );
        let filled = fill(template, |name| match name {
            "会社名" => Some("サイボウズ".into()),
            "submission_id" => Some("42".into()),
            _ => None,
        });
        assert_eq!(filled, "サイボウズ 様\n受付番号: 42。");
        assert_eq!(fill("no places", |_| None), "no places");
        assert_eq!(fill("", |_| None), "");
    }

    #[test]
    fn unknown_and_unreadable_places_are_named() {
        let known = |name: &str| name == "会社名";
        assert_eq!(
            unknown_names("{{会社名}}{{氏名}}{{氏名}}{{date}}", known).unwrap(),
            ["氏名", "date"]
        );
        assert_eq!(unknown_names("a {{会社名", known), Err(TemplateError::Unclosed(2)));
        assert_eq!(unknown_names("{{ }}", known), Err(TemplateError::Empty(0)));
        assert_eq!(fill("a {{会社名", |_| Some("x".into())), "a {{会社名", "kept as written");
        // A value is never read as a template again.
        assert_eq!(fill("{{a}}", |_| Some("{{a}}".into())), "{{a}}");
    }
}
