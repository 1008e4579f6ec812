//! Form definitions: what a form author chooses on top of the kintone app's own fields.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::field::FieldCode;
use crate::message::Locale;
use crate::value::Value;

/// The form definition format this crate reads and writes.
pub const FORM_FORMAT_VERSION: u32 = 1;

/// A form's public identifier, as used in `data-kform="…"` and `/v1/forms/{form_id}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FormId(pub String);

impl fmt::Display for FormId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A kintone app id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppId(pub u64);

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A form: which kintone app it writes to and which items it shows, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormSpec {
    /// The definition format, [`FORM_FORMAT_VERSION`].
    pub format: u32,
    /// The form's public id.
    pub id: FormId,
    /// The kintone app that receives the records.
    pub app: AppId,
    /// The language of built-in text and messages unless the page asks for another.
    #[serde(default)]
    pub default_lang: Locale,
    /// What the visitor sees after a successful submission, instead of the built-in thanks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_message: Option<String>,
    /// The items, in display order.
    pub items: Vec<FormItem>,
}

/// One item of a form, usually one kintone field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormItem {
    /// The kintone field this item writes; `None` shows the item but never sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldCode>,
    /// Replaces kintone's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Help text shown under the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Placeholder text of the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// A fixed value: the item is not shown and this value is always sent (e.g. a form identifier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Value>,
    /// Makes the item required on this form even when kintone does not require it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

impl FormSpec {
    /// The field codes the form writes, in item order.
    pub fn field_codes(&self) -> impl Iterator<Item = &FieldCode> {
        self.items.iter().filter_map(|item| item.field.as_ref())
    }
}
