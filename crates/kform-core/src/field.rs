//! The kintone field model: what each field of an app is and whether a public form may write it.
//!
//! These types are parsed once from kintone's JSON in [`crate::kintone`]; the rest of kform only
//! sees them. They also travel to the widget inside the form descriptor, in kform's own JSON
//! shape (snake_case, tagged by `type`).

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A kintone field code, exactly as defined in the app. Invariant: non-empty.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldCode(String);

/// The error for an empty field code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a field code cannot be empty")]
pub struct EmptyFieldCode;

impl FieldCode {
    /// Wraps a field code, refusing the empty string.
    pub fn new(code: impl Into<String>) -> Result<Self, EmptyFieldCode> {
        let code = code.into();
        if code.is_empty() { Err(EmptyFieldCode) } else { Ok(Self(code)) }
    }

    /// The code as kintone spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lets maps keyed by `FieldCode` be searched with a `&str` (the derived order is the string's).
impl Borrow<str> for FieldCode {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FieldCode {
    type Error = EmptyFieldCode;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::new(code)
    }
}

impl From<FieldCode> for String {
    fn from(code: FieldCode) -> Self {
        code.0
    }
}

impl fmt::Display for FieldCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One field of a kintone app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The field code, the key of every record value.
    pub code: FieldCode,
    /// The label shown in kintone.
    pub label: String,
    /// Whether kintone rejects a record without a value for this field.
    pub required: bool,
    /// The field type and its settings.
    pub kind: FieldKind,
}

impl Field {
    /// Whether a public form may send a value for this field.
    pub fn is_inputtable(&self) -> bool {
        !matches!(self.kind, FieldKind::NotInputtable { .. })
    }
}

/// A kintone field type with the settings kform needs to render and validate it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// `SINGLE_LINE_TEXT` without a lookup.
    SingleLineText {
        /// Length limits.
        limits: TextLimits,
        /// Whether kintone prohibits duplicate values.
        unique: bool,
        /// The value kintone shows in a new record.
        default_value: String,
    },
    /// `MULTI_LINE_TEXT`.
    MultiLineText {
        /// The value kintone shows in a new record.
        default_value: String,
    },
    /// `NUMBER` without a lookup.
    Number {
        /// Value limits.
        limits: NumberLimits,
        /// Whether kintone prohibits duplicate values.
        unique: bool,
        /// The value kintone shows in a new record.
        default_value: String,
    },
    /// `RADIO_BUTTON`: exactly one option.
    RadioButton {
        /// Options in kintone's display order.
        options: Vec<Choice>,
        /// The option selected in a new record.
        default_value: String,
    },
    /// `DROP_DOWN`: at most one option.
    DropDown {
        /// Options in kintone's display order.
        options: Vec<Choice>,
        /// The option selected in a new record.
        default_value: String,
    },
    /// `CHECK_BOX`: any number of options.
    CheckBox {
        /// Options in kintone's display order.
        options: Vec<Choice>,
        /// The options checked in a new record.
        default_value: Vec<String>,
    },
    /// `MULTI_SELECT`: any number of options.
    MultiSelect {
        /// Options in kintone's display order.
        options: Vec<Choice>,
        /// The options selected in a new record.
        default_value: Vec<String>,
    },
    /// `DATE`: a calendar date, `YYYY-MM-DD`.
    Date {
        /// The date shown in a new record (`""` when none).
        default_value: String,
    },
    /// A field a public form cannot write, kept so editors can show it with the reason.
    NotInputtable {
        /// kintone's type name, e.g. `CALC` or `RECORD_NUMBER`.
        kintone_type: String,
        /// Why a form cannot write it.
        reason: NotInputtableReason,
    },
}

impl FieldKind {
    /// Whether values of this field are lists (`CHECK_BOX`, `MULTI_SELECT`).
    pub fn is_list(&self) -> bool {
        matches!(self, Self::CheckBox { .. } | Self::MultiSelect { .. })
    }

    /// The options of a choice field, in display order.
    pub fn options(&self) -> Option<&[Choice]> {
        match self {
            Self::RadioButton { options, .. }
            | Self::DropDown { options, .. }
            | Self::CheckBox { options, .. }
            | Self::MultiSelect { options, .. } => Some(options),
            _ => None,
        }
    }
}

/// Why a form cannot write a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotInputtableReason {
    /// kintone maintains it (record number, creator, status, …).
    System,
    /// kintone computes it (`CALC`, or a lookup copies into it).
    Computed,
    /// A layout element, not a value (`GROUP`, `REFERENCE_TABLE`).
    Layout,
    /// A writable kintone type that kform does not render yet, or a type kform does not know.
    Unsupported,
}

/// One option of a choice field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The value stored in records (kintone's option key).
    pub value: String,
    /// The label shown to people.
    pub label: String,
}

/// Length limits of a text field, in the units described in [`crate::validate`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLimits {
    /// The fewest characters allowed, when set.
    pub min_length: Option<u32>,
    /// The most characters allowed, when set.
    pub max_length: Option<u32>,
}

/// Value limits of a number field. Invariant: each bound is a number kintone accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberLimits {
    /// The smallest value allowed, as kintone wrote it.
    pub min_value: Option<String>,
    /// The largest value allowed, as kintone wrote it.
    pub max_value: Option<String>,
}

/// Every field of one kintone app, keyed by field code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AppFields {
    /// kintone's revision of the app's field settings.
    pub revision: String,
    /// The fields, keyed by code.
    pub fields: BTreeMap<FieldCode, Field>,
}

impl AppFields {
    /// The field with this code (a `&FieldCode` or a `&str`), if the app has it.
    pub fn get<Q>(&self, code: &Q) -> Option<&Field>
    where
        FieldCode: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.fields.get(code)
    }

    /// Only the fields whose codes are listed (those a form shows), in the same shape.
    pub fn subset<'a>(&self, codes: impl IntoIterator<Item = &'a FieldCode>) -> Self {
        let fields = codes
            .into_iter()
            .filter_map(|code| self.fields.get_key_value(code))
            .map(|(code, field)| (code.clone(), field.clone()))
            .collect();
        Self { revision: self.revision.clone(), fields }
    }
}
