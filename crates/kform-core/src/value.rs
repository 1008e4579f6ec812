//! Submitted values: what a visitor typed, before validation.
//!
//! A value is a string (text, number, date, one option) or a list of strings (several options).
//! Anything else is refused while parsing, with a message that says what was expected.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// One submitted value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A single string; `""` means empty.
    Text(String),
    /// Several strings; `[]` means empty.
    List(Vec<String>),
}

impl Value {
    /// Whether kintone treats this value as missing for a required field.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Text(text) => text.is_empty(),
            Self::List(items) => items.is_empty(),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
                Ok(Value::Text(text.to_owned()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Value, E> {
                Ok(Value::Text(text))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(Value::List(items))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Submitted values keyed by field code. Codes the form does not map are ignored by validation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Values(pub BTreeMap<String, Value>);

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
