//! The form's stylesheet: the theme both front ends share and the widget's own rules, in one
//! place for the bundle's `kform.css`, the markup the relay serves to `kform.js` and the
//! hosted page.

use alloc::format;
use alloc::string::String;

/// The shared theme: custom properties on `:host` a host page may set.
pub const THEME: &str = include_str!("../../kform-dom/style/theme.css");

/// The widget's rules, for the form inside a shadow root.
pub const WIDGET: &str = include_str!("../../kform-widget/style/kform.css");

/// What an included form adds to the widget's rules: its layout where no script runs.
pub const INCLUDED: &str = include_str!("../../kform-widget/style/included.css");

/// The stylesheet a shadow root holding the form adopts: the theme, then the widget's rules,
/// compacted (every visitor downloads it).
#[must_use]
pub fn shadow_stylesheet() -> String {
    compact(&format!("{THEME}\n{WIDGET}"))
}

/// The stylesheet of a form a host page's server included: the shadow root's, then the rules
/// for a browser that runs no script (the fetched form's markup goes without them).
#[must_use]
pub fn included_stylesheet() -> String {
    compact(&format!("{THEME}\n{WIDGET}\n{INCLUDED}"))
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
    use super::{compact, shadow_stylesheet, strip_comments};

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
    fn the_shadow_stylesheet_holds_the_theme_and_the_widget() {
        let css = shadow_stylesheet();
        assert!(!css.contains("/*"), "{css}");
        let host = css.find(":host").expect("the theme's :host rule");
        let form = css.find(".kform").expect("the widget's rules");
        assert!(host < form, "the theme comes first");
    }
}
