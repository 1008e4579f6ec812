//! Form definitions: what a form author chooses on top of the kintone app's own fields.
//!
//! A definition is JSON with a format version. Choices never come from the form: an item may
//! hide some of a field's options but cannot invent one, and it may make a field required but
//! never optional when kintone requires it. [`crate::lint()`] checks a definition against the
//! app.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

pub use crate::field::AppId;
use crate::field::{AppFields, FieldCode};
use crate::message::Locale;
use crate::number::NumberPrecision;
use crate::value::{Value, Values};

/// The form definition format this crate reads and writes.
pub const FORM_FORMAT_VERSION: u32 = 1;

/// A form's public identifier, as used in `data-kform="…"` and `/v1/forms/{form_id}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FormId(pub String);

impl FormId {
    /// Whether `id` may be a form id (and a relay connection's name): 1 to 64 letters, digits,
    /// `-` and `_`, so it reads the same in `data-kform`, a URL path and kform.toml.
    pub fn is_valid(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    }
}

impl fmt::Display for FormId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A form: which kintone app it writes to and which items it shows, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// What the visitor sees after a successful submission.
    #[serde(default, skip_serializing_if = "OnSuccess::is_default")]
    pub on_success: OnSuccess,
    /// Test mode: submissions are validated and answered but never sent to kintone.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub test_mode: bool,
    /// Shows the visitor their answers to check before anything is sent.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub confirm: bool,
    /// A unique `SINGLE_LINE_TEXT` or `NUMBER` field on the form: a submission whose value
    /// matches an existing record updates it instead of adding one (upsert).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_key: Option<FieldCode>,
    /// A unique `SINGLE_LINE_TEXT` field, not on the form, that receives each submission's id so
    /// kintone itself refuses a second record for one submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_field: Option<FieldCode>,
    /// The app's number precision, when it is not kintone's default (16 digits, 4 decimals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_precision: Option<NumberPrecision>,
    /// The items, in display order.
    pub items: Vec<FormItem>,
}

/// What the visitor sees after a successful submission.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnSuccess {
    /// kform's built-in thank-you text.
    #[default]
    Thanks,
    /// This message instead.
    Message(String),
    /// The page goes to this `http(s)` address.
    Redirect(String),
}

impl OnSuccess {
    fn is_default(&self) -> bool {
        *self == Self::Thanks
    }
}

/// One item of a form, usually one kintone field.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FormItem {
    /// The kintone field this item writes; `None` shows the item (its label and help, as a
    /// heading or a note) but never sends anything to kintone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldCode>,
    /// The kintone type the author mapped (e.g. `SINGLE_LINE_TEXT`), so a later change of the
    /// field's type in kintone is caught by lint instead of by a visitor.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kintone_type: Option<String>,
    /// Replaces kintone's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Help text shown under the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Placeholder text of the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// The value the input starts with, instead of kintone's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<Value>,
    /// What a text input holds, for the browser's keyboard and for an extra check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_hint: Option<InputHint>,
    /// A fixed value: the item is not shown and this value is always sent (e.g. a form identifier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Value>,
    /// Makes the item required on this form even when kintone does not require it.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub required: bool,
    /// Options of the kintone field this form does not offer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hide_options: Vec<String>,
    /// What the visitor reads for an option, by kintone's option (an English form's words for
    /// Japanese choices); the value sent stays kintone's option.
    #[serde(default, skip_serializing_if = "OptionLabels::is_empty")]
    pub option_labels: OptionLabels,
    /// The most files a visitor may attach (FILE fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_files: Option<u32>,
    /// Fills the field, unseen, with where the visitor came from (an ad campaign's UTM
    /// parameter, Google's click id, or the referring page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<Capture>,
    /// Shows the item only while another item has one of the given values; otherwise it is
    /// neither checked nor sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    /// Starts a new page: the items after it are shown once the visitor moves on ("Next") with
    /// the items before it valid. Its label (and help) head the new page; it writes no field.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub page_break: bool,
}

impl FormItem {
    /// Whether the visitor can see the item at all (not a fixed hidden value, not a capture);
    /// [`Self::applies`] tells whether its condition holds.
    pub fn is_shown(&self) -> bool {
        self.hidden.is_none() && self.capture.is_none()
    }

    /// Whether the form's auto-reply may go to the address in this item ([`reply_to`]).
    pub fn reply_to(&self) -> ReplyTo {
        let (hidden, captured) = (self.hidden.is_some(), self.capture.is_some());
        reply_to(hidden, captured, self.input_hint, self.kintone_type.as_deref())
    }

    /// Whether the item's condition holds for `values` (an item without one always applies).
    pub fn applies(&self, values: &Values) -> bool {
        self.show_if.as_ref().is_none_or(|condition| condition.holds(values))
    }

    /// Whether the item may drop out of `form` when its app has lost the item's field (deleted
    /// in kintone): yes, unless the form requires it or it is the form's update key, without
    /// which the form means something else.
    pub fn drops_out(&self, form: &FormSpec) -> bool {
        !self.required && self.field.is_some() && self.field != form.update_key
    }
}

/// A form's own words for kintone's options, by option (`{"製造": "Manufacturing"}`): what the
/// visitor reads; the value sent stays kintone's option. A sorted list rather than a map, which
/// keeps one more map type's code out of the widget's `.wasm`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionLabels(pub(crate) Vec<(String, String)>);

impl OptionLabels {
    /// No labels: kintone's own for every option.
    pub const NONE: Self = Self(Vec::new());

    /// The label for `option`, if the form gives one.
    pub fn get(&self, option: &str) -> Option<&str> {
        self.0.iter().find(|(known, _)| known == option).map(|(_, label)| label.as_str())
    }

    /// What the visitor read for `option` when they chose it: the form's label for it, else the
    /// option itself (the confirmation screen's answers).
    pub fn shown<'a>(&'a self, option: &'a str) -> &'a str {
        self.get(option).unwrap_or(option)
    }

    /// Gives `option` the label `label`, or (with `None`) kintone's own again.
    pub fn set(&mut self, option: String, label: Option<String>) {
        let at = self.0.binary_search_by(|(known, _)| known.as_str().cmp(&option));
        match (at, label) {
            (Ok(at), Some(label)) => self.0[at].1 = label,
            (Ok(at), None) => {
                self.0.remove(at);
            }
            (Err(at), Some(label)) => self.0.insert(at, (option, label)),
            (Err(_), None) => {}
        }
    }

    /// The options given a label, in order.
    pub fn options(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(option, _)| option.as_str())
    }

    /// Whether no option has a label of the form's own.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for OptionLabels {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(option, label)| (option, label)))
    }
}

/// A condition on another item's value: `{"field": "種別", "in": ["見積依頼"]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShowIf {
    /// The field whose value decides; it must be a shown item without a condition of its own.
    pub field: FieldCode,
    /// The values that show the item: the field's text is one of them, or, for a list or a
    /// selection, one of its items is.
    #[serde(rename = "in")]
    pub any_of: Vec<String>,
}

impl ShowIf {
    /// Whether the condition holds for `values`.
    pub fn holds(&self, values: &Values) -> bool {
        match values.get(self.field.as_str()) {
            Some(Value::Text(text)) => self.any_of.contains(text),
            Some(Value::List(items) | Value::Entities(items)) => {
                items.iter().any(|item| self.any_of.contains(item))
            }
            _ => false,
        }
    }
}

/// What a `capture` item records about the visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capture {
    /// The page address's `utm_source` parameter.
    UtmSource,
    /// `utm_medium`.
    UtmMedium,
    /// `utm_campaign`.
    UtmCampaign,
    /// `utm_term`.
    UtmTerm,
    /// `utm_content`.
    UtmContent,
    /// Google Ads' click id, `gclid`.
    Gclid,
    /// The page the visitor came from (`document.referrer`).
    Referrer,
}

impl Capture {
    /// The page address parameter it reads, or `None` for the referrer.
    pub fn parameter(self) -> Option<&'static str> {
        Some(match self {
            Self::UtmSource => "utm_source",
            Self::UtmMedium => "utm_medium",
            Self::UtmCampaign => "utm_campaign",
            Self::UtmTerm => "utm_term",
            Self::UtmContent => "utm_content",
            Self::Gclid => "gclid",
            Self::Referrer => return None,
        })
    }
}

/// Whether a form's auto-reply may go to the address in an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyTo {
    /// It may: the visitor types an e-mail address there.
    Typed,
    /// The visitor does not fill the item in: a hidden item's fixed value, or a capture's value
    /// taken from the page's address or referrer.
    NotTyped,
    /// The visitor fills it in, but not with an e-mail address: the item has no `input_hint`
    /// `email` and maps no kintone LINK field.
    NotEmail,
}

/// The one rule for where an auto-reply may go, from what an item's definition says: whether it
/// has a `hidden` value or a `capture`, its `input_hint` and its kintone type. The relay checks a
/// form's mail with it ([`FormItem::reply_to`]), and the editor offers the items it allows, read
/// from the form's JSON.
pub fn reply_to(
    hidden: bool,
    captured: bool,
    input_hint: Option<InputHint>,
    kintone_type: Option<&str>,
) -> ReplyTo {
    if hidden || captured {
        ReplyTo::NotTyped
    } else if input_hint == Some(InputHint::Email) || kintone_type == Some("LINK") {
        ReplyTo::Typed
    } else {
        ReplyTo::NotEmail
    }
}

/// What a text item holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputHint {
    /// An e-mail address.
    Email,
    /// A phone number.
    Tel,
    /// A web address.
    Url,
    /// A Japanese postal code.
    PostalCode,
}

impl InputHint {
    /// Every hint with its name in form definitions: the one table the reader, the messages
    /// and the editor use.
    pub const NAMES: [(&'static str, Self); 4] = [
        ("email", Self::Email),
        ("tel", Self::Tel),
        ("url", Self::Url),
        ("postal_code", Self::PostalCode),
    ];

    /// The hint's name in form definitions.
    pub fn name(self) -> &'static str {
        Self::NAMES.iter().find(|(_, hint)| *hint == self).map_or("", |(name, _)| name)
    }

    /// The hint named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(known, _)| *known == name).map(|(_, hint)| *hint)
    }
}

/// Why a form definition could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// Not the JSON shape of a form definition.
    #[error("not a kform form definition: {0}")]
    Json(#[from] serde_json::Error),
    /// A format this version of kform does not know.
    #[error("form format {found} is not supported (this kform reads format {FORM_FORMAT_VERSION})")]
    Format {
        /// The format found.
        found: u32,
    },
}

impl FormSpec {
    /// Reads a form definition, refusing formats this kform does not know.
    pub fn from_json(json: &str) -> Result<Self, FormError> {
        let spec: Self = serde_json::from_str(json)?;
        if spec.format != FORM_FORMAT_VERSION {
            return Err(FormError::Format { found: spec.format });
        }
        Ok(spec)
    }

    /// An empty form `id` on `app`, with every setting at its default.
    pub fn new(id: FormId, app: AppId) -> Self {
        Self {
            format: FORM_FORMAT_VERSION,
            id,
            app,
            default_lang: Locale::default(),
            on_success: OnSuccess::default(),
            test_mode: false,
            confirm: false,
            update_key: None,
            idempotency_field: None,
            number_precision: None,
            items: Vec::new(),
        }
    }

    /// A form offering every field of the app a form may write, in field-code order (what
    /// `kform validate` uses without `--form`).
    pub fn every_field(id: FormId, app: AppId, fields: &AppFields) -> Self {
        let items = fields
            .fields
            .values()
            .filter(|field| field.is_writable())
            .map(|field| FormItem { field: Some(field.code.clone()), ..FormItem::default() })
            .collect();
        Self { items, ..Self::new(id, app) }
    }

    /// Whether a visitor can attach files: the form shows an item for a FILE field of `fields`.
    pub fn takes_files(&self, fields: &AppFields) -> bool {
        self.shows_field(fields, |kind| matches!(kind, crate::field::FieldKind::File { .. }))
    }

    /// Whether the form shows an item for a field of `fields` whose kind is `kind`.
    pub fn shows_field(
        &self,
        fields: &AppFields,
        kind: impl Fn(&crate::field::FieldKind) -> bool,
    ) -> bool {
        self.items.iter().filter(|item| item.is_shown()).any(|item| {
            item.field.as_ref().and_then(|code| fields.get(code)).is_some_and(|f| kind(&f.kind))
        })
    }

    /// How many pages the form has: one more than its page breaks.
    pub fn page_count(&self) -> usize {
        1 + self.items.iter().filter(|item| item.page_break).count()
    }

    /// The page (from 0) item `index` is on; a page break is on the page it starts.
    pub fn page_of(&self, index: usize) -> usize {
        self.items.iter().take(index + 1).filter(|item| item.page_break).count()
    }

    /// The field codes the form writes, in item order.
    pub fn field_codes(&self) -> impl Iterator<Item = &FieldCode> {
        self.items.iter().filter_map(|item| item.field.as_ref())
    }
}
