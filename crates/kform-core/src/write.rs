//! The JSON the widget sends, written by hand exactly as serde_json writes it from the derived
//! `Serialize` (the tests below hold the two together), so the widget's `.wasm` carries no
//! serializer: a submission (`POST /v1/forms/{id}/submissions`) and a preview's values.

use alloc::string::String;

use crate::protocol::Submission;
use crate::value::{Value, Values};

/// `submission` as JSON, as `serde_json::to_string` writes it.
pub fn submission(submission: &Submission) -> String {
    let mut out = String::from("{");
    let optional = [
        ("render_token", &submission.render_token),
        ("honeypot", &submission.honeypot),
        ("captcha_token", &submission.captcha_token),
    ];
    if let Some(id) = &submission.submission_id {
        string(&mut out, "submission_id");
        out.push(':');
        string(&mut out, id);
        out.push(',');
    }
    string(&mut out, "values");
    out.push(':');
    values_into(&mut out, &submission.values);
    for (name, text) in optional {
        if let Some(text) = text {
            out.push(',');
            string(&mut out, name);
            out.push(':');
            string(&mut out, text);
        }
    }
    out.push('}');
    out
}

/// `values` as JSON, as `serde_json::to_string` writes them.
pub fn values(values: &Values) -> String {
    let mut out = String::new();
    values_into(&mut out, values);
    out
}

fn values_into(out: &mut String, values: &Values) {
    out.push('{');
    for (index, (code, value)) in values.0.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        string(out, code);
        out.push(':');
        value_into(out, value);
    }
    out.push('}');
}

fn value_into(out: &mut String, value: &Value) {
    match value {
        Value::Text(text) => string(out, text),
        Value::List(items) => list(out, items, None),
        Value::Entities(codes) => list(out, codes, Some("code")),
        Value::Files(keys) => list(out, keys, Some("fileKey")),
        Value::Rows(rows) => {
            out.push('[');
            for (index, row) in rows.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                values_into(out, row);
            }
            out.push(']');
        }
        Value::Invalid(_) => out.push_str("null"),
    }
}

/// `["a"]`, or with `key` `[{"<key>":"a"}]`.
fn list(out: &mut String, items: &[String], key: Option<&str>) {
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        if let Some(key) = key {
            out.push('{');
            string(out, key);
            out.push(':');
        }
        string(out, item);
        if key.is_some() {
            out.push('}');
        }
    }
    out.push(']');
}

/// `text` as a JSON string, escaped as serde_json escapes it: `"` and `\`, the short escapes
/// for backspace, form feed, line feed, carriage return and tab, `\u00XX` for the other control
/// characters, everything else as it is.
fn string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let byte = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[byte >> 4]));
                out.push(char::from(HEX[byte & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use alloc::borrow::ToOwned;
    use alloc::string::ToString;
    use alloc::vec;
    use alloc::vec::Vec;

    use super::*;

    fn every_value() -> Values {
        let row = |text: &str| {
            Values(
                [
                    ("品名".to_owned(), Value::Text(text.to_owned())),
                    ("数".to_owned(), Value::List(vec![])),
                ]
                .into_iter()
                .collect(),
            )
        };
        let all: Vec<(String, Value)> = vec![
            (
                "text".into(),
                Value::Text(
                    "a \"quoted\" \\ back\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f} é 日本 😀".into(),
                ),
            ),
            ("empty".into(), Value::Text(String::new())),
            ("list".into(), Value::List(vec!["A".into(), "B\"".into()])),
            ("none".into(), Value::List(vec![])),
            ("users".into(), Value::Entities(vec!["sato".into(), "鈴木".into()])),
            ("files".into(), Value::Files(vec!["key-1".into()])),
            ("rows".into(), Value::Rows(vec![row("一"), row("二\n")])),
            ("no rows".into(), Value::Rows(vec![])),
            ("invalid".into(), Value::Invalid("true".into())),
            ("code \"quoted\"".into(), Value::Text("x".into())),
        ];
        Values(all.into_iter().collect())
    }

    #[test]
    fn a_submission_is_written_as_serde_json_writes_it() {
        let full = Submission {
            submission_id: Some("0b6c…".into()),
            values: every_value(),
            render_token: Some("token.sig".into()),
            honeypot: Some("\u{0}".into()),
            captcha_token: Some("captcha".into()),
        };
        let bare = Submission { values: every_value(), ..Submission::default() };
        for submission in [full, bare, Submission::default()] {
            assert_eq!(super::submission(&submission), serde_json::to_string(&submission).unwrap());
        }
        assert_eq!(values(&every_value()), serde_json::to_string(&every_value()).unwrap());
        // Every character below U+0100, one by one.
        for code in 0u32..0x100 {
            let text = char::from_u32(code).unwrap().to_string();
            let mut written = String::new();
            string(&mut written, &text);
            assert_eq!(written, serde_json::to_string(&text).unwrap(), "U+{code:04X}");
        }
    }
}
