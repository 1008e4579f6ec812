//! The form's stylesheet: the theme both front ends share and the widget's own rules, in one
//! place for the bundle's `kform.css`, the markup the relay serves to `kform.js` and the
//! hosted page.

use alloc::format;
use alloc::string::String;

/// The shared theme: custom properties on `:host` a host page may set.
pub const THEME: &str = include_str!("../../kform-dom/style/theme.css");

/// The widget's rules every form needs, for the form inside a shadow root.
pub const WIDGET: &str = include_str!("../../kform-widget/style/kform.css");

/// The rules of a subtable's rows.
pub const ROWS: &str = include_str!("../../kform-widget/style/rows.css");

/// The back button's rules, for a form with pages or a confirmation screen.
pub const BACK: &str = include_str!("../../kform-widget/style/back.css");

/// The rules of a form's pages.
pub const STEPS: &str = include_str!("../../kform-widget/style/steps.css");

/// The rules of the confirmation screen.
pub const CONFIRM: &str = include_str!("../../kform-widget/style/confirm.css");

/// The rules of a FILE field's chosen files.
pub const FILES: &str = include_str!("../../kform-widget/style/files.css");

/// What an included form adds to the widget's rules: its layout where no script runs.
pub const INCLUDED: &str = include_str!("../../kform-widget/style/included.css");

/// Which of the rules that few forms need a form's stylesheet holds: a fetched form's markup
/// carries only its own (`markup::style_parts`), which every visitor downloads with it. The
/// hosted page and an included form carry them all ([`Parts::ALL`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parts {
    /// A subtable's rows ([`ROWS`]).
    pub rows: bool,
    /// Pages ([`STEPS`], and [`BACK`]).
    pub steps: bool,
    /// The confirmation screen ([`CONFIRM`], and [`BACK`]).
    pub confirm: bool,
    /// A FILE field ([`FILES`]).
    pub files: bool,
}

impl Parts {
    /// Every part.
    pub const ALL: Parts = Parts { rows: true, steps: true, confirm: true, files: true };

    /// A number for each set of parts, from 0 to 15 (for a table of stylesheets).
    #[must_use]
    pub fn index(self) -> usize {
        usize::from(self.rows)
            | usize::from(self.steps) << 1
            | usize::from(self.confirm) << 2
            | usize::from(self.files) << 3
    }

    /// The set of parts [`Parts::index`] numbers `index` (its low four bits).
    #[must_use]
    pub fn from_index(index: usize) -> Parts {
        Parts {
            rows: index & 1 != 0,
            steps: index & 2 != 0,
            confirm: index & 4 != 0,
            files: index & 8 != 0,
        }
    }
}

/// The widget's rules with `parts`, before compacting.
#[must_use]
pub fn widget_rules(parts: Parts) -> String {
    let mut css = String::from(WIDGET);
    let back = parts.steps || parts.confirm;
    for (on, rules) in [
        (parts.rows, ROWS),
        (back, BACK),
        (parts.steps, STEPS),
        (parts.confirm, CONFIRM),
        (parts.files, FILES),
    ] {
        if on {
            css.push('\n');
            css.push_str(rules);
        }
    }
    css
}

/// The stylesheet a shadow root holding a form with `parts` adopts: the theme, then the
/// widget's rules, compacted (every visitor downloads it).
#[must_use]
pub fn shadow_stylesheet(parts: Parts) -> String {
    compact(&format!("{THEME}\n{}", widget_rules(parts)))
}

/// The stylesheet of a form a host page's server included: the shadow root's with every part,
/// then the rules for a browser that runs no script (the fetched form's markup goes without
/// them).
#[must_use]
pub fn included_stylesheet() -> String {
    compact(&format!("{THEME}\n{}\n{INCLUDED}", widget_rules(Parts::ALL)))
}

/// CSS without its comments and the white space that means nothing: every run of white space
/// becomes one space, and none is kept next to `{`, `}`, `;` or `,`, or after `:`. (Before a
/// `:` it is kept: `a :hover` and `a:hover` are different selectors.) kform's stylesheets hold
/// no string with two spaces, a brace, `;` or `,` in it, where this would change the text. 3.4 KB
/// of the form's stylesheet become 3.0 KB, about 80 bytes less in the markup's brotli.
#[must_use]
pub fn compact(css: &str) -> String {
    let css = strip_comments(css);
    let mut out = String::with_capacity(css.len());
    let mut space = false;
    for c in css.chars() {
        if c.is_ascii_whitespace() {
            space = true;
            continue;
        }
        let glued = |c: char| matches!(c, '{' | '}' | ';' | ',');
        if space
            && !out.is_empty()
            && !glued(c)
            && !out.ends_with(|last: char| glued(last) || last == ':')
        {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// CSS without its `/* … */` comments (the stylesheets hold no string that contains one).
#[must_use]
fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start + 2..].find("*/").map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{Parts, compact, included_stylesheet, shadow_stylesheet, strip_comments};

    #[test]
    fn compact_css_keeps_every_space_that_means_something() {
        assert_eq!(
            compact(
                "/* a */\n:host {\n  all: initial;\n  --f: system-ui, \"Segoe UI\";\n}\n\n\
                 .a .b :hover , .c > .d:focus { margin: 0 0.5em; grid: 1fr / auto }\n"
            ),
            ":host{all:initial;--f:system-ui,\"Segoe UI\";}.a .b :hover,.c > .d:focus{margin:0 0.5em;grid:1fr / auto}"
        );
    }

    #[test]
    fn comments_leave() {
        assert_eq!(
            strip_comments("/* a */.a { b: c; } /* d\n e */\n.f {}"),
            ".a { b: c; } \n.f {}"
        );
        assert_eq!(strip_comments(".a {} /* never closed"), ".a {} ");
    }

    #[test]
    fn the_shadow_stylesheet_holds_the_theme_the_widget_and_just_its_parts() {
        let css = shadow_stylesheet(Parts::default());
        assert!(!css.contains("/*"), "{css}");
        let host = css.find(":host").expect("the theme's :host rule");
        let form = css.find(".kform").expect("the widget's rules");
        assert!(host < form, "the theme comes first");
        let selectors =
            [".kform-row{", ".kform-step{", ".kform-confirm dl{", ".kform-files{", ".kform-back{"];
        for index in 0..16 {
            let parts = Parts::from_index(index);
            assert_eq!(parts.index(), index);
            let css = shadow_stylesheet(parts);
            let back = parts.steps || parts.confirm;
            let on = [parts.rows, parts.steps, parts.confirm, parts.files, back];
            for (selector, on) in selectors.iter().zip(on) {
                assert_eq!(css.contains(selector), on, "{selector} in {parts:?}");
            }
            assert!(css.contains(".kform-submit{") && css.contains(".kform-thanks{"), "{css}");
        }
        let included = included_stylesheet();
        assert!(selectors.iter().all(|selector| included.contains(selector)), "{included}");
    }
}
