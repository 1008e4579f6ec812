//! Submitted values: what a visitor typed, before validation.
//!
//! In JSON a value is a string (text, number, date, time, one option), an array of strings
//! (several options), `[{"code": "…"}]` (users, organizations, groups), `[{"fileKey": "…"}]`
//! (uploaded files) or an array of row objects `{"<inner code>": <value>}` (a subtable).
//! `null` is an empty value and a JSON number is read as its text. Any other JSON is kept as
//! [`Value::Invalid`] so validation can report it on its field together with every other
//! problem, instead of refusing the whole submission.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec::Vec;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::map::SortedMap;

/// One submitted value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A single string; `""` means empty.
    Text(String),
    /// Several strings; `[]` means empty (for any list-like field).
    List(Vec<String>),
    /// User, organization or group codes.
    Entities(Vec<String>),
    /// Keys of uploaded files.
    Files(Vec<String>),
    /// Subtable rows.
    Rows(Vec<Values>),
    /// JSON kform cannot use as a value; the text says what it was, e.g. `true`.
    Invalid(String),
}

impl Value {
    /// Whether kintone treats this value as missing for a required field.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Text(text) => text.is_empty(),
            Self::List(items) | Self::Entities(items) | Self::Files(items) => items.is_empty(),
            Self::Rows(rows) => rows.is_empty(),
            Self::Invalid(_) => false,
        }
    }

    /// Reads any JSON value (see the module documentation).
    pub fn from_json(json: &serde_json::Value) -> Self {
        use serde_json::Value as Json;
        match json {
            Json::Null => Self::Text(String::new()),
            Json::String(text) => Self::Text(text.clone()),
            Json::Number(number) => number_text(number)
                .map_or_else(|| Self::Invalid("a fraction".to_owned()), Self::Text),
            Json::Bool(flag) => Self::Invalid(flag.to_string()),
            Json::Object(_) => Self::Invalid("an object".to_owned()),
            Json::Array(items) => Self::from_json_array(items),
        }
    }

    fn from_json_array(items: &[serde_json::Value]) -> Self {
        use serde_json::Value as Json;
        let Some(first) = items.first() else { return Self::List(Vec::new()) };
        let key_list = |key: &str| -> Option<Vec<String>> {
            items
                .iter()
                .map(|item| match item {
                    Json::Object(object) if object.len() == 1 => {
                        object.get(key).and_then(Json::as_str).map(str::to_owned)
                    }
                    _ => None,
                })
                .collect()
        };
        let parsed = match first {
            Json::String(_) | Json::Number(_) => items
                .iter()
                .map(|item| match item {
                    Json::String(text) => Some(text.clone()),
                    Json::Number(number) => number_text(number),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(Self::List),
            Json::Object(object) if object.contains_key("code") => {
                key_list("code").map(Self::Entities)
            }
            Json::Object(object) if object.contains_key("fileKey") => {
                key_list("fileKey").map(Self::Files)
            }
            Json::Object(_) => items
                .iter()
                .map(|item| match item {
                    Json::Object(row) => {
                        let mut values = SortedMap::new();
                        for (code, value) in row {
                            values.insert(code.clone(), Self::from_json(value));
                        }
                        Some(Values(values))
                    }
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(Self::Rows),
            _ => None,
        };
        parsed.unwrap_or_else(|| Self::Invalid("an array of mixed or unusable items".to_owned()))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(|json| Self::from_json(&json))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(text) => serializer.serialize_str(text),
            Self::List(items) => items.serialize(serializer),
            Self::Entities(codes) => serialize_keyed(serializer, "code", codes),
            Self::Files(keys) => serialize_keyed(serializer, "fileKey", keys),
            Self::Rows(rows) => rows.serialize(serializer),
            Self::Invalid(_) => serializer.serialize_none(),
        }
    }
}

/// Serializes `["a"]` as `[{"<key>": "a"}]`.
pub(crate) fn serialize_keyed<S: Serializer>(
    serializer: S,
    key: &str,
    items: &[String],
) -> Result<S::Ok, S::Error> {
    struct Keyed<'a>(&'a str, &'a str);
    impl Serialize for Keyed<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(self.0, self.1)?;
            map.end()
        }
    }
    let mut seq = serializer.serialize_seq(Some(items.len()))?;
    for item in items {
        seq.serialize_element(&Keyed(key, item))?;
    }
    seq.end()
}

/// Submitted values keyed by field code. Codes the form does not map are ignored by validation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Values(pub SortedMap<String, Value>);

impl Values {
    /// The value submitted for `code`, if any.
    pub fn get(&self, code: &str) -> Option<&Value> {
        self.0.get(code)
    }

    /// Sets the value for `code`.
    pub fn set(&mut self, code: impl Into<String>, value: Value) {
        self.0.insert(code.into(), value);
    }
}

/// A JSON number as text, as serde_json writes it. A number that is not a whole one needs the
/// `json-floats` feature (its shortest text that reads back as the same float); without it,
/// `None`. The widget's JSON reader hands such a number over as the text it was written as
/// instead (`kform_dom::json_tree_as_written`), so it never gets here there.
pub fn number_text(number: &serde_json::Number) -> Option<String> {
    #[cfg(feature = "json-floats")]
    return Some(number.to_string());
    #[cfg(not(feature = "json-floats"))]
    match (number.as_u64(), number.as_i64()) {
        (Some(whole), _) => Some(whole.to_string()),
        (None, Some(whole)) => Some(whole.to_string()),
        (None, None) => None,
    }
}
