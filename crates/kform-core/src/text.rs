//! Checks and normalization of typed text: web addresses, phone numbers, e-mail addresses and
//! Japanese postal codes, for LINK fields and for text items with an input hint.
//!
//! kintone's rules for LINK values are mostly unknown: it is only seen refusing the web link
//! `ab` (`URLの形式が正しくありません`). A LINK therefore gets the lenient checks
//! ([`is_plausible_web_link`], and none for a phone link), so no plausible visitor input is
//! refused on a guess; the strict ones below serve the form owner's opt-in input hints, chosen
//! to accept what people really type in Japan and elsewhere:
//!
//! - Web: `http://` or `https://` (any case), a non-empty host, no spaces or control characters.
//! - Phone: after [`normalize_phone`], an optional `+` and 3 to 15 digits (E.164's maximum).
//! - E-mail: after trimming, one `@` with a non-empty local part of at most 64 characters and
//!   a domain of dot-separated labels with at least one dot, 254 characters in all.
//! - Postal code: seven digits, `NNN-NNNN` or `NNNNNNN`, full-width digits allowed.
//!
//! The `normalize_*` functions give the form used to match keys (for example to find an
//! existing lead by phone or e-mail); kform stores what the visitor typed.

use alloc::format;
use alloc::string::String;

/// Folds full-width ASCII (`０`–`９`, `Ａ`, `＠`, `＋`, `－`…) and the ideographic space to
/// their half-width forms.
pub fn to_half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Dashes people put in phone numbers and postal codes, half- and full-width.
const DASHES: [char; 8] = ['-', '‐', '‑', '–', '—', '―', '−', 'ー'];

/// A phone number reduced to `+` and digits: full-width digits folded, spaces, dashes, dots and
/// parentheses removed. `03-1234-5678`, `0312345678` and `０３（１２３４）５６７８` all give
/// `0312345678`.
pub fn normalize_phone(text: &str) -> String {
    to_half_width(text)
        .chars()
        .filter(|c| !(c.is_whitespace() || DASHES.contains(c) || matches!(c, '(' | ')' | '.')))
        .collect()
}

/// Whether `text` is a phone number (see the module documentation).
pub fn is_phone(text: &str) -> bool {
    let normalized = normalize_phone(text);
    let digits = normalized.strip_prefix('+').unwrap_or(&normalized);
    (3..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An e-mail address for matching: trimmed, full-width folded, lower-cased.
pub fn normalize_email(text: &str) -> String {
    to_half_width(text.trim()).to_lowercase()
}

/// Whether `text` is an e-mail address (see the module documentation).
pub fn is_email(text: &str) -> bool {
    let text = text.trim();
    let Some((local, domain)) = text.rsplit_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.chars().count() <= 64
        && !local.chars().any(|c| c.is_whitespace() || c.is_control() || c == '@');
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok && text.chars().count() <= 254
}

/// Whether `text` is an `http` or `https` address (see the module documentation).
pub fn is_web_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        text.get(8..)
    } else if lower.starts_with("http://") {
        text.get(7..)
    } else {
        None
    };
    let Some(rest) = rest else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    !host.is_empty()
        && !host.starts_with(':')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether `text` may be a web link, as far as kform can tell without kintone's rule: no spaces
/// or control characters, and either a scheme kintone links open (`http`, `https`, `ftp`) with
/// something after it, or no scheme and a dot (`example.com`, `www.example.co.jp/a`). `ab` (what
/// kintone is seen refusing) and `javascript:…` are not.
pub fn is_plausible_web_link(text: &str) -> bool {
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    // The first `://`, found colon by colon (a search for the string would bring the standard
    // library's substring search into the widget's `.wasm`).
    let scheme = text.match_indices(':').find_map(|(at, _)| {
        let (scheme, rest) = text.split_at_checked(at)?;
        Some((scheme, rest.strip_prefix("://")?))
    });
    match scheme {
        Some((scheme, rest)) => {
            ["http", "https", "ftp"].iter().any(|s| scheme.eq_ignore_ascii_case(s))
                && !rest.is_empty()
        }
        None => {
            let host = text.split(['/', '?', '#']).next().unwrap_or_default();
            let name = host.split(':').next().unwrap_or_default();
            name.contains('.') && !name.starts_with('.')
        }
    }
}

/// Whether a value holds nothing but spaces (half- or full-width) and line breaks: for a link
/// or a number such a value is empty.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

/// A Japanese postal code as `NNN-NNNN`, or `None` when `text` is not one.
pub fn normalize_postal_code(text: &str) -> Option<String> {
    let digits: String =
        to_half_width(text.trim()).chars().filter(|c| !DASHES.contains(c)).collect();
    let dashes = text.chars().filter(|c| DASHES.contains(c) || *c == '－').count();
    let ok = digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()) && dashes <= 1;
    let (head, tail) = digits.split_at_checked(3).filter(|_| ok)?;
    Some(format!("{head}-{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_match_with_and_without_hyphens_and_full_width() {
        for text in ["03-1234-5678", "0312345678", "０３－１２３４－５６７８", "03 (1234) 5678"]
        {
            assert_eq!(normalize_phone(text), "0312345678", "{text:?}");
            assert!(is_phone(text), "{text:?}");
        }
        assert_eq!(normalize_phone("+81 90-1234-5678"), "+819012345678");
        assert!(is_phone("+81 90-1234-5678"));
        assert!(is_phone("110"));
        for text in ["", "12", "03-1234-567x", "++81", "1234567890123456", "+"] {
            assert!(!is_phone(text), "{text:?}");
        }
    }

    #[test]
    fn emails() {
        for text in ["a@example.com", " Taro.Yamada+lead@例え.jp ", "x@sub.example.co.jp"] {
            assert!(is_email(text), "{text:?}");
        }
        for text in ["", "a", "a@b", "@example.com", "a b@example.com", "a@ex ample.com", "a@.com"]
        {
            assert!(!is_email(text), "{text:?}");
        }
        assert_eq!(normalize_email(" Ｔａｒｏ＠Example.COM "), "taro@example.com");
    }

    #[test]
    fn web_addresses() {
        for text in ["https://example.com", "HTTP://example.com:8080/a?b#c", "https://例え.jp/"] {
            assert!(is_web_url(text), "{text:?}");
        }
        for text in [
            "",
            "example.com",
            "ftp://x",
            "https://",
            "https:///path",
            "https://a b",
            "httpé://x",
            "https:/é",
        ] {
            assert!(!is_web_url(text), "{text:?}");
        }
    }

    #[test]
    fn plausible_web_links_are_what_kintone_might_accept() {
        for text in
            ["https://example.com", "example.com", "www.example.co.jp/a?b", "FTP://x", "a.jp:8080/"]
        {
            assert!(is_plausible_web_link(text), "{text:?}");
        }
        for text in [
            "",
            "ab",
            "javascript:alert(1)",
            "https://",
            "a b.com",
            ".com",
            "x:1",
            "a:b://c.d",
            "ｈ://x",
        ] {
            assert!(!is_plausible_web_link(text), "{text:?}");
        }
        assert!(is_blank(" \u{3000}\n") && is_blank("") && !is_blank(" a "));
    }

    #[test]
    fn postal_codes() {
        assert_eq!(normalize_postal_code("100-0001").as_deref(), Some("100-0001"));
        assert_eq!(normalize_postal_code("1000001").as_deref(), Some("100-0001"));
        assert_eq!(normalize_postal_code("１００－０００１").as_deref(), Some("100-0001"));
        for text in ["", "100-001", "10000011", "100--0001", "abc-defg"] {
            assert_eq!(normalize_postal_code(text), None, "{text:?}");
        }
    }
}
