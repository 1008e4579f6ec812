//! JSON text read into serde_json's tree, as `serde_json::from_str` reads it, by a small parser
//! of kform's own: for [`crate::json_tree`], so the front ends carry neither serde_json's
//! parser nor its float parsing, and read a descriptor without a call into JavaScript for each
//! of its values.
//!
//! It takes exactly what serde_json takes (whitespace, escapes, surrogate pairs, nesting up to
//! 127 levels, where serde_json stops) and gives the same tree: a whole number that fits `u64`
//! or `i64` as an integer, `-0` and any other number as a float. Floats are rare in what the
//! relay writes, so their text is handed to `fraction` rather than parsed here: the browser's
//! own parsing, correctly rounded, as serde_json's `float_roundtrip` is ([`crate::json_tree`]),
//! or the text itself, as written ([`crate::json_tree_as_written`]).

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value};

/// How deep arrays and objects may nest: serde_json's limit (its 128th level is refused).
const MAX_DEPTH: usize = 127;

/// `text` as a tree, or `None` when it is not JSON; `fraction` makes the value of a number
/// (its text) that is not a whole number fitting 64 bits.
pub(crate) fn parse(text: &str, fraction: &dyn Fn(&str) -> Option<Value>) -> Option<Value> {
    let mut parser = Parser { text, bytes: text.as_bytes(), at: 0, fraction };
    let value = parser.value(0)?;
    parser.space();
    (parser.at == parser.bytes.len()).then_some(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The next byte to read: always at a character's start, since every byte the parser
    /// steps over one by one is ASCII.
    at: usize,
    fraction: &'a dyn Fn(&str) -> Option<Value>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Steps over `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let next = self.peek() == Some(byte);
        if next {
            self.at += 1;
        }
        next
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        self.space();
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(Value::String),
            b't' => self.word(b"true", Value::Bool(true)),
            b'f' => self.word(b"false", Value::Bool(false)),
            b'n' => self.word(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn word(&mut self, word: &[u8], value: Value) -> Option<Value> {
        let found = self.bytes.get(self.at..)?.starts_with(word);
        self.at += word.len();
        found.then_some(value)
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        let mut object = Map::new();
        self.sequence(depth, b'}', &mut |parser| {
            parser.space();
            let key = parser.string()?;
            parser.space();
            if !parser.eat(b':') {
                return None;
            }
            object.insert(key, parser.value(depth)?);
            Some(())
        })?;
        Some(Value::Object(object))
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        self.sequence(depth, b']', &mut |parser| {
            items.push(parser.value(depth)?);
            Some(())
        })?;
        Some(Value::Array(items))
    }

    /// An object's or array's members, its opening bracket next: `item` reads each, and
    /// `close` ends them.
    fn sequence(
        &mut self,
        depth: usize,
        close: u8,
        item: &mut dyn FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        self.space();
        if self.eat(close) {
            return Some(());
        }
        loop {
            item(self)?;
            self.space();
            if self.eat(close) {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// A string, its opening quote next.
    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out = String::new();
        let mut start = self.at;
        loop {
            match self.peek()? {
                b'"' => {
                    out.push_str(self.text.get(start..self.at)?);
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(self.text.get(start..self.at)?);
                    self.at += 1;
                    let escaped = self.peek()?;
                    self.at += 1;
                    let c = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return None,
                    };
                    out.push(c);
                    start = self.at;
                }
                // Control characters must be escaped.
                0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
    }

    /// The character of a `\u` escape (its `\u` read), a surrogate pair's two escapes together.
    fn unicode(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xd800..=0xdbff => {
                if !(self.eat(b'\\') && self.eat(b'u')) {
                    return None;
                }
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return None;
                }
                char::from_u32(0x1_0000 + ((first - 0xd800) << 10) + (second - 0xdc00))
            }
            0xdc00..=0xdfff => None,
            _ => char::from_u32(first),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = char::from(self.peek()?).to_digit(16)?;
            value = value * 16 + digit;
            self.at += 1;
        }
        Some(value)
    }

    /// A number, as JSON writes one: `-`, then `0` or digits not starting with `0`, then
    /// maybe a fraction and an exponent.
    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        self.eat(b'-');
        if !self.eat(b'0') && self.digits() == 0 {
            return None;
        }
        let mut whole = true;
        if self.eat(b'.') {
            whole = false;
            if self.digits() == 0 {
                return None;
            }
        }
        if self.eat(b'e') || self.eat(b'E') {
            whole = false;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return None;
            }
        }
        let text = self.text.get(start..self.at)?;
        // serde_json reads `-0` as the float -0.0.
        if whole && text != "-0" {
            let (negative, digits) = match text.strip_prefix('-') {
                Some(digits) => (true, digits),
                None => (false, text),
            };
            // The digits by hand: `str::parse` would build the standard library's integer
            // parsing into the `.wasm` for two types.
            let magnitude = digits.bytes().try_fold(0_u64, |sum, digit| {
                sum.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
            });
            match (negative, magnitude) {
                (false, Some(magnitude)) => return Some(Value::Number(magnitude.into())),
                (true, Some(magnitude)) => {
                    if let Some(number) = 0_i64.checked_sub_unsigned(magnitude) {
                        return Some(Value::Number(number.into()));
                    }
                }
                _ => {}
            }
        }
        (self.fraction)(text)
    }

    /// Steps over ASCII digits; how many.
    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<Value> {
        parse(text, &|number| serde_json::Number::from_f64(number.parse().ok()?).map(Value::Number))
    }

    /// What serde_json reads from `text`, for comparison.
    fn serde(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    #[test]
    fn it_reads_what_serde_json_reads_and_refuses_what_it_refuses() {
        let samples = [
            r#"{"fields": {"金額": {"max": 9007199254740992, "min": -12, "scale": 1.5}},
                "items": ["\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t", true, null, [], {}], "a": 0}"#,
            " [1, -0, 0.5, 1e3, 1E-2, -1.25e+2, 18446744073709551615, 18446744073709551616] ",
            "-9223372036854775808",
            "-9223372036854775809",
            r#"{"a": 1, "a": 2}"#,
            "\"\"",
            "\"日本語 text\"",
            "[[[[[]]]]]",
            "",
            " ",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1: 2}",
            "[1 2]",
            "tru",
            "nul",
            "\"a\nb\"",
            "\"\\x\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\ud83dx\"",
            "\"\\u12\"",
            "\"unterminated",
            "[1] 2",
            "{\"a\": [}",
            "1e400",
        ];
        for text in samples {
            assert_eq!(read(text), serde(text), "{text:?}");
        }
        assert!(read(samples[0]).is_some() && read("1e400").is_none());
    }

    #[test]
    fn a_fraction_may_be_kept_as_written() {
        let as_written = |text: &str| parse(text, &|number| Some(Value::String(number.into())));
        assert_eq!(
            as_written(r#"[1, -2, 1.50, 1e3, -0, 18446744073709551616]"#),
            Some(serde_json::json!([1, -2, "1.50", "1e3", "-0", "18446744073709551616"]))
        );
        assert_eq!(as_written("[1.]"), None, "still only JSON");
    }

    #[test]
    fn nesting_stops_where_serde_jsons_does() {
        for depth in [1, 126, 127, 128, 129, 400] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            assert_eq!(read(&text).is_some(), serde(&text).is_some(), "{depth}");
        }
        assert!(read(&format!("{}{}", "[".repeat(127), "]".repeat(127))).is_some());
        assert!(read(&format!("{}{}", "[".repeat(128), "]".repeat(128))).is_none());
    }

    /// Property tests (natively: proptest does not build for wasm32).
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use proptest::prelude::*;
        use serde_json::{Number, Value};

        use super::{read, serde};

        /// Any JSON value: scalars, strings of any characters, nested lists and objects.
        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| Value::Number(n.into())),
                any::<u64>().prop_map(|n| Value::Number(n.into())),
                any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
                any::<String>().prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec((any::<String>(), inner), 0..6)
                        .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn whatever_serde_json_writes_reads_back_the_same(value in json()) {
                let compact = serde_json::to_string(&value).unwrap();
                prop_assert_eq!(read(&compact), serde(&compact));
                let pretty = serde_json::to_string_pretty(&value).unwrap();
                prop_assert_eq!(read(&pretty), serde(&pretty));
            }

            #[test]
            fn any_text_is_read_as_serde_json_reads_it(text in "[\\[\\]{}\",:0-9eE.+\\-a-z\\\\ ]{0,24}") {
                prop_assert_eq!(read(&text), serde(&text));
            }
        }
    }
}
