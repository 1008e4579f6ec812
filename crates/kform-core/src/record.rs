//! Records ready for kintone, and [`Valid`], the proof that a record passed validation.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::field::FieldCode;

/// A record to add to kintone. Serializes to kintone's write shape:
/// `{"<code>": {"value": "…"}, "<code>": {"value": ["…"]}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    values: BTreeMap<FieldCode, RecordValue>,
}

/// One value of a record, already normalised as kintone stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RecordValue {
    /// Text, a number, a date or one option; `""` clears the field.
    Text(String),
    /// Several options.
    List(Vec<String>),
}

impl Record {
    /// Sets the value of one field.
    pub fn insert(&mut self, code: FieldCode, value: RecordValue) {
        self.values.insert(code, value);
    }

    /// The value of one field.
    pub fn get(&self, code: &str) -> Option<&RecordValue> {
        self.values.get(code)
    }

    /// Every field and value, by code.
    pub fn iter(&self) -> impl Iterator<Item = (&FieldCode, &RecordValue)> {
        self.values.iter()
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wrapped<'a> {
            value: &'a RecordValue,
        }
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (code, value) in &self.values {
            map.serialize_entry(code.as_str(), &Wrapped { value })?;
        }
        map.end()
    }
}

/// Proof that `T` passed [`crate::validate()`]. Only this crate can construct it, so code that
/// sends records to kintone can demand a `Valid<Record>` and never receive unchecked data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Valid<T>(T);

impl<T> Valid<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self(inner)
    }

    /// The validated value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Serialize> Serialize for Valid<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
