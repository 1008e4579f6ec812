//! Validation problems as data: each names the field, kintone's error path and a stable code.
//!
//! Messages are rendered separately, per locale, by [`crate::message`], so the widget and the
//! relay can show the same problem in the visitor's language.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::field::FieldCode;
use crate::kintone::PathMessages;
use crate::message::Locale;

/// Every problem found in one submission.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Report {
    issues: Vec<Issue>,
}

impl Report {
    /// Adds a problem.
    pub fn push(&mut self, issue: Issue) {
        self.issues.push(issue);
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }

    /// Every problem, in the order found.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// The problems of one field.
    pub fn for_field<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Issue> + 'a {
        self.issues
            .iter()
            .filter(move |issue| issue.field.as_ref().is_some_and(|f| f.as_str() == code))
    }
}

impl Report {
    /// The report in kintone's own error shape, `{"<path>": {"messages": ["…"]}}`, with
    /// messages rendered in `locale` (what `kform validate` prints).
    pub fn to_kintone_errors(&self, locale: Locale) -> BTreeMap<String, PathMessages> {
        let mut errors: BTreeMap<String, PathMessages> = BTreeMap::new();
        for issue in &self.issues {
            errors
                .entry(issue.path.clone())
                .or_insert_with(|| PathMessages { messages: Vec::new() })
                .messages
                .push(issue.code.message(locale));
        }
        errors
    }
}

impl FromIterator<Issue> for Report {
    fn from_iter<T: IntoIterator<Item = Issue>>(iter: T) -> Self {
        Self { issues: iter.into_iter().collect() }
    }
}

/// Renders one line per problem, `path: code`, for logs and tests.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for issue in &self.issues {
            writeln!(f, "{}: {}", issue.path, issue.code)?;
        }
        Ok(())
    }
}

/// One problem with one value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
// Read by `crate::tagged` in one pass, without serde's buffering of flattened fields.
#[serde(try_from = "crate::tagged::IssueJson")]
pub struct Issue {
    /// The field concerned; `None` for problems kintone reports on request parameters.
    pub field: Option<FieldCode>,
    /// kintone's error path, e.g. `record.会社名.value` or `record.種別.values[1].value`.
    pub path: String,
    /// What is wrong, with its parameters.
    #[serde(flatten)]
    pub code: IssueCode,
}

impl Issue {
    /// A problem with the single value of `field` (path `record.<code>.value`).
    pub fn on_value(field: &FieldCode, code: IssueCode) -> Self {
        Self { field: Some(field.clone()), path: format!("record.{field}.value"), code }
    }
}

/// What is wrong with a value. Serialized as `{"code": "too_long", "max": 64}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IssueCode {
    /// No value for a required field (missing, `null`, `""` or `[]`).
    Required,
    /// Longer than the field's maximum length.
    TooLong {
        /// The maximum length.
        max: u32,
    },
    /// Shorter than the field's minimum length.
    TooShort {
        /// The minimum length.
        min: u32,
    },
    /// Not a number kintone accepts.
    NotANumber,
    /// Above the field's maximum value.
    TooLarge {
        /// The maximum value, as kintone wrote it.
        max: String,
    },
    /// Below the field's minimum value.
    TooSmall {
        /// The minimum value, as kintone wrote it.
        min: String,
    },
    /// More digits before the decimal point than the app's number precision allows.
    TooManyDigits {
        /// The most digits allowed before the decimal point.
        max: u8,
    },
    /// Not one of the field's options (or not one the form offers).
    NotAnOption {
        /// The value that was sent.
        value: String,
    },
    /// Not a calendar date kintone accepts.
    InvalidDate,
    /// Not a time of day kintone accepts.
    InvalidTime,
    /// Not a date and time with a time zone.
    InvalidDateTime,
    /// Not an `http` or `https` address.
    InvalidUrl,
    /// kintone's second message on a `LINK` value shorter than its `minLength` (the URL format).
    LinkFormat,
    /// Not a phone number.
    InvalidPhone,
    /// Not an e-mail address.
    InvalidEmail,
    /// Not a Japanese postal code.
    InvalidPostalCode,
    /// More files than the form allows.
    TooManyFiles {
        /// The most files allowed.
        max: u32,
    },
    /// Attached files larger in all than the relay accepts in one submission.
    FilesTooLarge {
        /// The most megabytes (MiB) the files may take together.
        max_mb: u32,
    },
    /// A value of the wrong JSON shape for the field (e.g. a list for a text field).
    WrongShape,
    /// The form maps a field the app does not have (a form definition error).
    UnknownField,
    /// The form maps a field kintone computes or maintains (a form definition error).
    NotWritable,
    /// kintone found the value already used in another record.
    Duplicate,
    /// kintone found no record with this key in the lookup's source app.
    LookupNotFound {
        /// The key that was sent.
        value: String,
    },
    /// kintone rejected the value with this message (shown as is).
    RejectedByKintone {
        /// kintone's own message.
        kintone_message: String,
    },
    /// A problem the relay found, as its 422 answer words it (in the language the widget asked
    /// for); shown as is. This is how the widget holds the relay's answer, without reading
    /// every code back (see `ErrorResponse::read_relayed`).
    Relayed {
        /// The relay's message.
        text: String,
    },
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required => f.write_str("required"),
            Self::TooLong { max } => write!(f, "too_long max={max}"),
            Self::TooShort { min } => write!(f, "too_short min={min}"),
            Self::NotANumber => f.write_str("not_a_number"),
            Self::TooLarge { max } => write!(f, "too_large max={max}"),
            Self::TooSmall { min } => write!(f, "too_small min={min}"),
            Self::TooManyDigits { max } => write!(f, "too_many_digits max={max}"),
            Self::NotAnOption { value } => write!(f, "not_an_option value={value:?}"),
            Self::InvalidDate => f.write_str("invalid_date"),
            Self::InvalidTime => f.write_str("invalid_time"),
            Self::InvalidDateTime => f.write_str("invalid_date_time"),
            Self::InvalidUrl => f.write_str("invalid_url"),
            Self::LinkFormat => f.write_str("link_format"),
            Self::InvalidPhone => f.write_str("invalid_phone"),
            Self::InvalidEmail => f.write_str("invalid_email"),
            Self::InvalidPostalCode => f.write_str("invalid_postal_code"),
            Self::TooManyFiles { max } => write!(f, "too_many_files max={max}"),
            Self::FilesTooLarge { max_mb } => write!(f, "files_too_large max_mb={max_mb}"),
            Self::WrongShape => f.write_str("wrong_shape"),
            Self::UnknownField => f.write_str("unknown_field"),
            Self::NotWritable => f.write_str("not_writable"),
            Self::Duplicate => f.write_str("duplicate"),
            Self::LookupNotFound { value } => write!(f, "lookup_not_found value={value:?}"),
            Self::RejectedByKintone { kintone_message } => {
                write!(f, "rejected_by_kintone {kintone_message:?}")
            }
            Self::Relayed { text } => write!(f, "relayed {text:?}"),
        }
    }
}
