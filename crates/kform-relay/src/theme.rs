//! A form's hosted page theme (`theme` in its settings): values for the widget's custom
//! properties (`--kform-accent`, `--kform-font`, …), checked when the form is loaded or saved,
//! and served as the page's own stylesheet (`GET /f/{form_id}/theme.css`), which the page's
//! Content-Security-Policy (`style-src 'self'`) allows. An embedding page themes its forms itself
//! with the same properties.

use serde::{Deserialize, Serialize};

use crate::config::ProblemSink;

/// How a form's hosted page looks; every part is optional and falls back to the widget's
/// theme.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageTheme {
    /// Buttons, links and focus rings: `#rgb` or `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    /// Text on the accent color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_text: Option<String>,
    /// The form's background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// The form's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A CSS font-family list, e.g. `"Noto Sans JP", sans-serif`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
    /// The corners' radius in pixels, 0 to 32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius_px: Option<u8>,
}

impl PageTheme {
    /// Whether it sets nothing (the page then links no theme).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Each set color with its custom property and key.
    fn colors(&self) -> [(&'static str, &'static str, Option<&str>); 4] {
        [
            ("accent", "--kform-accent", self.accent.as_deref()),
            ("accent_text", "--kform-accent-text", self.accent_text.as_deref()),
            ("background", "--kform-background", self.background.as_deref()),
            ("text", "--kform-text", self.text.as_deref()),
        ]
    }
}

/// The longest font list taken.
const MAX_FONT_CHARS: usize = 200;

/// Checks `theme`, naming each problem under `key` (`forms[0].theme.accent`) with its fix.
/// Only values that cannot leave their CSS declaration are taken: hexadecimal colors, a font
/// list of names, a whole number of pixels.
pub(crate) fn check(theme: &PageTheme, key: &str, problems: &mut impl ProblemSink) {
    for (name, _, value) in theme.colors() {
        if let Some(value) = value
            && !is_hex_color(value)
        {
            problems.problem(
                format!("{key}.{name}"),
                format!("{value:?} is not a color: write it as #rgb or #rrggbb, e.g. \"#1d6fd8\""),
            );
        }
    }
    if let Some(font) = &theme.font
        && !is_font_list(font)
    {
        problems.problem(
            format!("{key}.font"),
            format!(
                "{font:?} is not a font list: font names (quoted or not) separated by commas, \
                 at most {MAX_FONT_CHARS} characters, e.g. \"Noto Sans JP\", sans-serif"
            ),
        );
    }
    if theme.radius_px.is_some_and(|radius| radius > 32) {
        problems.problem(format!("{key}.radius_px"), "must be 0 to 32".to_owned());
    }
}

fn is_hex_color(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('#') else { return false };
    matches!(digits.len(), 3 | 6) && digits.chars().all(|c| c.is_ascii_hexdigit())
}

/// Names of letters, digits, spaces and hyphens, each maybe in double or single quotes,
/// separated by commas: nothing that could end the declaration or open another.
fn is_font_list(value: &str) -> bool {
    let names: Vec<&str> = value.split(',').map(str::trim).collect();
    !value.trim().is_empty()
        && value.chars().count() <= MAX_FONT_CHARS
        && names.iter().all(|name| {
            let bare = name
                .strip_prefix('"')
                .and_then(|rest| rest.strip_suffix('"'))
                .or_else(|| name.strip_prefix('\'').and_then(|rest| rest.strip_suffix('\'')))
                .unwrap_or(name);
            !bare.is_empty()
                && bare.chars().all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '_')
        })
}

/// Whether `hex` (`#rgb` or `#rrggbb`) is a dark colour: its luminance (the sRGB weights of
/// each channel, without the gamma curve) below half; `None` if it is not such a colour.
fn is_dark(hex: &str) -> Option<bool> {
    let digits = hex.strip_prefix('#')?;
    let channel = |text: &str| u8::from_str_radix(text, 16).ok().map(f64::from);
    let [r, g, b] = match digits.len() {
        // `#abc` is `#aabbcc`: each digit times 17.
        3 => [0, 1, 2].map(|i| digits.get(i..=i).and_then(channel).map(|value| value * 17.0)),
        6 => [0, 2, 4].map(|i| digits.get(i..i + 2).and_then(channel)),
        _ => return None,
    };
    let luminance = 0.2126 * r? + 0.7152 * g? + 0.0722 * b?;
    Some(luminance < 127.5)
}

/// The colour scheme a theme with its own colours holds the hosted page to, which otherwise
/// follows the visitor's preference: dark on a dark background (or, without one, for a light
/// text), else light, so the page around the form and the browser's own controls match the
/// theme's colours (dark text on a page gone dark would not be read).
fn scheme(theme: &PageTheme) -> Option<&'static str> {
    let name = |dark: bool| if dark { "dark" } else { "light" };
    match (theme.background.as_deref(), theme.text.as_deref()) {
        (Some(background), _) => is_dark(background).map(name),
        (None, Some(text)) => is_dark(text).map(|dark| name(!dark)),
        (None, None) => None,
    }
}

/// The page's stylesheet for `theme` (checked): the custom properties on the page's form
/// element, after the widget's own stylesheet, and the page's colour scheme when the theme's
/// colours decide it ([`scheme`]).
pub(crate) fn stylesheet(theme: &PageTheme) -> String {
    let mut declarations = String::new();
    for (_, property, value) in theme.colors() {
        if let Some(value) = value {
            declarations.push_str(&format!("  {property}: {value};\n"));
        }
    }
    if let Some(font) = &theme.font {
        declarations.push_str(&format!("  --kform-font: {font};\n"));
    }
    if let Some(radius) = theme.radius_px {
        declarations.push_str(&format!("  --kform-radius: {radius}px;\n"));
    }
    let root = scheme(theme)
        .map(|scheme| format!(":root {{\n  color-scheme: {scheme};\n}}\n"))
        .unwrap_or_default();
    format!(
        "/* This form's theme (its settings' `theme`). */\n{root}.kform-host {{\n{declarations}}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(theme: &PageTheme) -> Vec<(String, String)> {
        let mut found = Vec::new();
        check(theme, "theme", &mut found);
        found.into_iter().map(|p: crate::config::Problem| (p.key, p.reason)).collect()
    }

    #[test]
    fn a_theme_becomes_the_pages_custom_properties() {
        let theme = PageTheme {
            accent: Some("#0a7".into()),
            text: Some("#222222".into()),
            font: Some("\"Noto Sans JP\", 'M PLUS 1p', sans-serif".into()),
            radius_px: Some(0),
            ..PageTheme::default()
        };
        assert!(problems(&theme).is_empty(), "{:?}", problems(&theme));
        assert_eq!(
            stylesheet(&theme),
            "/* This form's theme (its settings' `theme`). */\n:root {\n  color-scheme: light;\n}\n\
             .kform-host {\n  --kform-accent: #0a7;\n  \
             --kform-text: #222222;\n  --kform-font: \"Noto Sans JP\", 'M PLUS 1p', sans-serif;\n  \
             --kform-radius: 0px;\n}\n"
        );
        assert!(PageTheme::default().is_empty() && !theme.is_empty());
    }

    #[test]
    fn a_theme_with_its_own_colours_holds_the_page_to_their_scheme() {
        let theme = |background: Option<&str>, text: Option<&str>| PageTheme {
            background: background.map(str::to_owned),
            text: text.map(str::to_owned),
            accent: Some("#aa0000".into()),
            ..PageTheme::default()
        };
        assert_eq!(scheme(&theme(Some("#fff"), Some("#222"))), Some("light"));
        assert_eq!(scheme(&theme(Some("#111827"), Some("#f9fafb"))), Some("dark"));
        assert_eq!(scheme(&theme(None, Some("#eeeeee"))), Some("dark"), "light text");
        assert_eq!(scheme(&theme(None, Some("#333"))), Some("light"), "dark text");
        assert_eq!(scheme(&theme(Some("#1d6fd8"), None)), Some("dark"), "a saturated blue");
        assert_eq!(scheme(&theme(Some("#ffd54f"), None)), Some("light"), "a yellow");
        // An accent alone leaves the page to the visitor's preference.
        assert_eq!(scheme(&theme(None, None)), None);
        assert!(!stylesheet(&theme(None, None)).contains("color-scheme"));
        assert!(
            stylesheet(&theme(Some("#000"), None)).contains(":root {\n  color-scheme: dark;\n}")
        );
    }

    #[test]
    fn values_that_could_leave_their_declaration_are_refused_with_their_key() {
        let escape = "red;}body{display:none";
        let theme = PageTheme {
            accent: Some(escape.into()),
            background: Some("#12345".into()),
            font: Some("Arial; } * { color: red".into()),
            radius_px: Some(40),
            ..PageTheme::default()
        };
        let keys: Vec<String> = problems(&theme).into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["theme.accent", "theme.background", "theme.font", "theme.radius_px"]);
        for font in ["", "a,,b", "\"open", "a/*b*/", "url(x)", "a\\", &"x".repeat(201)] {
            let theme = PageTheme { font: Some(font.to_owned()), ..PageTheme::default() };
            assert_eq!(problems(&theme).len(), 1, "{font:?}");
        }
    }
}
