//! Records ready for kintone, and [`Valid`], the proof that a record passed validation.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::field::FieldCode;
use crate::form::FormSpec;
use crate::value::serialize_keyed;

/// A record to add to kintone. Serializes to kintone's write shape:
/// `{"<code>": {"value": "…"}, "<code>": {"value": ["…"]}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// By code, in order, each code once. A sorted list rather than a map: the widget builds
    /// records when it validates, and a map type of their own would add its tree code to the
    /// `.wasm`.
    values: Vec<(FieldCode, RecordValue)>,
}

/// One value of a record, already normalized as kintone stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordValue {
    /// Text, a number, a date, a time or one option; `""` clears the field.
    Text(String),
    /// Several options.
    List(Vec<String>),
    /// User, organization or group codes, sent as `[{"code": "…"}]`.
    Entities(Vec<String>),
    /// File keys, sent as `[{"fileKey": "…"}]`.
    Files(Vec<String>),
    /// Subtable rows, sent as `[{"value": {"<inner>": {"value": …}}}]`.
    Rows(Vec<Record>),
}

impl Serialize for RecordValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(text) => serializer.serialize_str(text),
            Self::List(items) => items.serialize(serializer),
            Self::Entities(codes) => serialize_keyed(serializer, "code", codes),
            Self::Files(keys) => serialize_keyed(serializer, "fileKey", keys),
            Self::Rows(rows) => {
                let mut seq = serializer.serialize_seq(Some(rows.len()))?;
                for row in rows {
                    seq.serialize_element(&Wrapped { value: row })?;
                }
                seq.end()
            }
        }
    }
}

/// kintone's `{"value": …}` wrapper.
#[derive(Serialize)]
struct Wrapped<'a, T> {
    value: &'a T,
}

impl Record {
    /// Sets the value of one field.
    pub fn insert(&mut self, code: FieldCode, value: RecordValue) {
        match self.find(code.as_str()) {
            Ok(at) => self.values[at].1 = value,
            Err(at) => self.values.insert(at, (code, value)),
        }
    }

    /// The value of one field.
    pub fn get(&self, code: &str) -> Option<&RecordValue> {
        self.find(code).ok().map(|at| &self.values[at].1)
    }

    /// Every field and value, by code.
    pub fn iter(&self) -> impl Iterator<Item = (&FieldCode, &RecordValue)> {
        self.values.iter().map(|(code, value)| (code, value))
    }

    /// Where `code` is, or would go.
    fn find(&self, code: &str) -> Result<usize, usize> {
        self.values.binary_search_by(|(known, _)| known.as_str().cmp(code))
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (code, value) in self.iter() {
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

impl Valid<Record> {
    /// Writes the submission's id into the form's idempotency field, when it has one, so
    /// kintone itself refuses a second record for the same submission (the field is unique).
    pub fn with_submission_id(mut self, form: &FormSpec, submission_id: &str) -> Self {
        if let Some(code) = &form.idempotency_field {
            self.0.insert(code.clone(), RecordValue::Text(submission_id.to_owned()));
        }
        self
    }
}

impl<T> core::ops::Deref for Valid<T> {
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
