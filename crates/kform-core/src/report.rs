//! Validation problems as data: each names the field, kintone's error path and a stable code.
//!
//! Messages are rendered separately, per locale, by [`crate::message`], so the widget and the
//! relay can show the same problem in the visitor's language.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::field::FieldCode;

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
    /// No value for a required field (missing, `""` or `[]`).
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
    /// Not one of the field's options.
    NotAnOption {
        /// The value that was sent.
        value: String,
    },
    /// Not a calendar date kintone accepts.
    InvalidDate,
    /// A list where one value is expected, or one value where a list is expected.
    WrongShape,
    /// The form maps a field the app does not have (a form definition error).
    UnknownField,
    /// The form maps a field kintone computes or maintains (a form definition error).
    NotInputtable,
    /// kintone found the value already used in another record.
    Duplicate,
    /// kintone rejected the value with this message (shown as is).
    RejectedByKintone {
        /// kintone's own message.
        kintone_message: String,
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
            Self::NotAnOption { value } => write!(f, "not_an_option value={value:?}"),
            Self::InvalidDate => f.write_str("invalid_date"),
            Self::WrongShape => f.write_str("wrong_shape"),
            Self::UnknownField => f.write_str("unknown_field"),
            Self::NotInputtable => f.write_str("not_inputtable"),
            Self::Duplicate => f.write_str("duplicate"),
            Self::RejectedByKintone { kintone_message } => {
                write!(f, "rejected_by_kintone {kintone_message:?}")
            }
        }
    }
}
