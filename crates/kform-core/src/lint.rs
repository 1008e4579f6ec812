//! Lint: a form definition checked against the kintone app's fields before any visitor sees it.
//!
//! Every problem is reported at once. An error would make submissions fail or misbehave, so a
//! relay raises an alert for a form with errors and an editor shows them next to the item. A
//! warning ([`Severity::Warning`]) names something kform already handles but the definition
//! does not say; it raises no alert.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::field::{AppFields, Field, FieldCode, FieldKind, NotWritableReason, Shape};
use crate::form::{FORM_FORMAT_VERSION, FormSpec, InputHint, OnSuccess};
use crate::report::IssueCode;
use crate::text::is_web_url;
use crate::validate::check_item_value;

/// One problem of a form definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintIssue {
    /// The item concerned (its index in `items`), when the problem is an item's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    /// The kintone field concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldCode>,
    /// Whether submissions would fail (an error) or the definition only misleads (a warning).
    #[serde(default)]
    pub severity: Severity,
    /// What is wrong.
    #[serde(flatten)]
    pub problem: LintProblem,
}

impl LintIssue {
    /// Whether this is only a warning.
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }
}

/// How serious a lint problem is. Serialized as `"error"` or `"warning"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Submissions would fail or misbehave.
    #[default]
    Error,
    /// kform copes, but the definition does not say what the visitor gets.
    Warning,
}

/// Whether any of `issues` is an error (what makes a relay raise an alert and `kform check`
/// fail).
pub fn has_errors(issues: &[LintIssue]) -> bool {
    issues.iter().any(|issue| !issue.is_warning())
}

/// What is wrong with a form definition. Serialized as `{"problem": "unknown_field", …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LintProblem {
    /// The definition's format is not the one this kform reads.
    UnsupportedFormat {
        /// The format found.
        found: u32,
    },
    /// The item maps a field code the app does not have.
    UnknownField,
    /// The item maps a field a form cannot write (system, computed, layout).
    NotWritable {
        /// kintone's type of the field.
        kintone_type: String,
        /// Why a form cannot write it.
        reason: NotWritableReason,
    },
    /// The field's type in the app is not the one the author mapped.
    TypeMismatch {
        /// The type the form expects.
        expected: String,
        /// The type in the app.
        actual: String,
    },
    /// Two items map the same field.
    MappedTwice {
        /// The index of the first item mapping it.
        first_item: usize,
    },
    /// kintone requires the field, but it is not on the form and has no default: every
    /// submission would fail.
    RequiredFieldMissing,
    /// The field has a `minLength`, which kintone checks on empty and left-out values too, but
    /// it is not on the form and has no default: every submission would fail.
    MinLengthFieldMissing {
        /// The field's minimum length.
        min: u32,
    },
    /// A warning: the field has a `minLength`, so kintone refuses it blank and the form shows it
    /// as required, but the item does not say `required`.
    MinLengthOptional {
        /// The field's minimum length.
        min: u32,
    },
    /// The item's fixed hidden value would be refused.
    HiddenValueRejected {
        /// Why, as validation reports it.
        issue: IssueCode,
    },
    /// The item's initial value would be refused if sent unchanged.
    InitialValueRejected {
        /// Why, as validation reports it.
        issue: IssueCode,
    },
    /// `capture` on a field that is not text.
    CaptureNotApplicable,
    /// An item cannot both capture the visit and have a fixed hidden value.
    CaptureWithHidden,
    /// `show_if` names a field that is not a shown item without a condition of its own.
    ShowIfUnknownField {
        /// The field the condition names.
        condition: FieldCode,
    },
    /// `show_if` on a field kintone refuses empty (required, or with a `minLength`): while
    /// hidden it is not sent, and kintone would refuse the record.
    ShowIfRequired,
    /// `show_if` on an item the visitor never sees (a fixed hidden value or a capture).
    ShowIfNotShown,
    /// A page break that also maps a field, has a fixed value, a capture or a condition.
    PageBreakMisused,
    /// A page with nothing for the visitor to see: a page break first, last, or right after
    /// another one.
    EmptyPage,
    /// An input hint on a field that is not `SINGLE_LINE_TEXT`.
    HintNotApplicable {
        /// The hint.
        hint: InputHint,
    },
    /// `hide_options` on a field without options, or naming an option the field lacks.
    UnknownOption {
        /// The option named.
        value: String,
    },
    /// `option_labels` names an option the field lacks (kintone renamed or removed it): its
    /// label is never shown, and the option, if renamed, shows kintone's words. A warning.
    UnknownOptionLabel {
        /// The option named.
        value: String,
    },
    /// Every option of a required choice field is hidden.
    NoOptionLeft,
    /// `max_files` on a field that is not `FILE`.
    MaxFilesNotApplicable,
    /// The update key is not a unique `SINGLE_LINE_TEXT` or `NUMBER` field on the form.
    InvalidUpdateKey {
        /// What is wrong with it.
        reason: KeyProblem,
    },
    /// The idempotency field is not a unique `SINGLE_LINE_TEXT` field off the form that can
    /// hold a submission id (36 characters).
    InvalidIdempotencyField {
        /// What is wrong with it.
        reason: KeyProblem,
    },
    /// The redirect address is not an `http(s)` address.
    InvalidRedirect,
    /// The form has no item that writes a field.
    NothingToSend,
}

/// What is wrong with an update key or an idempotency field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyProblem {
    /// The app has no such field.
    UnknownField,
    /// The field has the wrong type.
    WrongType,
    /// The field does not prohibit duplicate values.
    NotUnique,
    /// The update key is not on the form, so a submission carries no key.
    NotOnForm,
    /// The idempotency field is on the form, where a visitor could set it.
    OnForm,
    /// The field's maximum length is below 36 characters.
    TooShort,
}

/// Checks `form` against the app's `fields`; an empty list means the form is sound.
pub fn lint(fields: &AppFields, form: &FormSpec) -> Vec<LintIssue> {
    let mut issues = Vec::new();
    let mut push = |item: Option<usize>, field: Option<&FieldCode>, problem| {
        let severity = match problem {
            LintProblem::MinLengthOptional { .. } | LintProblem::UnknownOptionLabel { .. } => {
                Severity::Warning
            }
            _ => Severity::Error,
        };
        issues.push(LintIssue { item, field: field.cloned(), severity, problem });
    };
    if form.format != FORM_FORMAT_VERSION {
        push(None, None, LintProblem::UnsupportedFormat { found: form.format });
    }
    let precision = form.number_precision.unwrap_or_default();
    let mut mapped: BTreeMap<&FieldCode, usize> = BTreeMap::new();
    // Whether the page being read has shown anything yet.
    let mut page_has_items = false;
    for (index, item) in form.items.iter().enumerate() {
        let at = Some(index);
        if item.page_break {
            let misused = item.field.is_some()
                || item.hidden.is_some()
                || item.capture.is_some()
                || item.show_if.is_some();
            if misused {
                push(at, item.field.as_ref(), LintProblem::PageBreakMisused);
            }
            if !page_has_items {
                push(at, None, LintProblem::EmptyPage);
            }
            page_has_items = false;
            continue;
        }
        page_has_items |= item.is_shown();
        let Some(code) = &item.field else { continue };
        if let Some(first_item) = mapped.get(code) {
            push(at, Some(code), LintProblem::MappedTwice { first_item: *first_item });
            continue;
        }
        mapped.insert(code, index);
        let Some(field) = fields.get(code) else {
            push(at, Some(code), LintProblem::UnknownField);
            continue;
        };
        let actual = field.kind.kintone_type();
        if let Some(expected) = item.kintone_type.as_deref().filter(|t| *t != actual) {
            let problem = LintProblem::TypeMismatch {
                expected: expected.to_owned(),
                actual: actual.to_owned(),
            };
            push(at, Some(code), problem);
            continue;
        }
        if let FieldKind::NotWritable { reason, .. } = &field.kind {
            let problem =
                LintProblem::NotWritable { kintone_type: actual.to_owned(), reason: *reason };
            push(at, Some(code), problem);
            continue;
        }
        if let Some(condition) = &item.show_if {
            let decides = form.items.iter().any(|other| {
                other.is_shown()
                    && other.show_if.is_none()
                    && other.field.as_ref() == Some(&condition.field)
            });
            if !decides {
                let problem =
                    LintProblem::ShowIfUnknownField { condition: condition.field.clone() };
                push(at, Some(code), problem);
            }
            if field.refuses_empty() && !field.kind.has_default() {
                push(at, Some(code), LintProblem::ShowIfRequired);
            }
            if !item.is_shown() {
                push(at, Some(code), LintProblem::ShowIfNotShown);
            }
        }
        if item.capture.is_some() {
            if item.hidden.is_some() {
                push(at, Some(code), LintProblem::CaptureWithHidden);
            }
            if !matches!(
                field.kind,
                FieldKind::SingleLineText { .. } | FieldKind::MultiLineText { .. }
            ) {
                push(at, Some(code), LintProblem::CaptureNotApplicable);
            }
        }
        if let Some(hint) = item.input_hint
            && !matches!(field.kind, FieldKind::SingleLineText { .. })
        {
            push(at, Some(code), LintProblem::HintNotApplicable { hint });
        }
        let required = field.required || item.required;
        if let Some(min) = field.kind.min_length()
            && !required
            && item.hidden.is_none()
            && item.capture.is_none()
        {
            push(at, Some(code), LintProblem::MinLengthOptional { min });
        }
        let options = field.kind.options().unwrap_or_default();
        for value in &item.hide_options {
            if !options.iter().any(|choice| &choice.value == value) {
                push(at, Some(code), LintProblem::UnknownOption { value: value.clone() });
            }
        }
        for value in item.option_labels.options() {
            if !options.iter().any(|choice| choice.value == value) {
                push(at, Some(code), LintProblem::UnknownOptionLabel { value: value.to_owned() });
            }
        }
        let all_hidden = !options.is_empty()
            && options.iter().all(|choice| item.hide_options.contains(&choice.value));
        if all_hidden && required && item.hidden.is_none() {
            push(at, Some(code), LintProblem::NoOptionLeft);
        }
        if item.max_files.is_some() && field.kind.shape() != Some(Shape::Files) {
            push(at, Some(code), LintProblem::MaxFilesNotApplicable);
        }
        if let Some(hidden) = &item.hidden {
            for issue in check_item_value(field, item, required, hidden, precision).issues() {
                let problem = LintProblem::HiddenValueRejected { issue: issue.code.clone() };
                push(at, Some(code), problem);
            }
        }
        if let Some(initial) = &item.initial {
            // A visitor may still change an initial value, so only its form is checked here.
            for issue in check_item_value(field, item, false, initial, precision).issues() {
                let problem = LintProblem::InitialValueRejected { issue: issue.code.clone() };
                push(at, Some(code), problem);
            }
        }
    }
    if form.page_count() > 1 && !page_has_items {
        push(form.items.len().checked_sub(1), None, LintProblem::EmptyPage);
    }
    if mapped.is_empty() {
        push(None, None, LintProblem::NothingToSend);
    }
    for field in fields.fields.values() {
        let on_form = mapped.contains_key(&field.code);
        let stamped = form.idempotency_field.as_ref() == Some(&field.code);
        if on_form || stamped || field.kind.has_default() {
            continue;
        }
        if field.required {
            push(None, Some(&field.code), LintProblem::RequiredFieldMissing);
        } else if let Some(min) = field.kind.min_length() {
            push(None, Some(&field.code), LintProblem::MinLengthFieldMissing { min });
        }
    }
    if let Some(code) = &form.update_key {
        let reason = key_problem(fields.get(code), |field| {
            matches!(field.kind, FieldKind::SingleLineText { .. } | FieldKind::Number { .. })
        })
        .or_else(|| (!mapped.contains_key(code)).then_some(KeyProblem::NotOnForm));
        if let Some(reason) = reason {
            push(None, Some(code), LintProblem::InvalidUpdateKey { reason });
        }
    }
    if let Some(code) = &form.idempotency_field {
        let reason = key_problem(fields.get(code), |field| {
            matches!(field.kind, FieldKind::SingleLineText { .. })
        })
        .or_else(|| mapped.contains_key(code).then_some(KeyProblem::OnForm))
        .or_else(|| match fields.get(code).map(|field| &field.kind) {
            Some(FieldKind::SingleLineText { limits, .. })
                if limits.max_length.is_some_and(|max| max < 36)
                    || limits.min_length.is_some_and(|min| min > 36) =>
            {
                Some(KeyProblem::TooShort)
            }
            _ => None,
        });
        if let Some(reason) = reason {
            push(None, Some(code), LintProblem::InvalidIdempotencyField { reason });
        }
    }
    if let OnSuccess::Redirect(url) = &form.on_success
        && !is_web_url(url)
    {
        push(None, None, LintProblem::InvalidRedirect);
    }
    issues
}

fn key_problem(field: Option<&Field>, right_type: impl Fn(&Field) -> bool) -> Option<KeyProblem> {
    let Some(field) = field else { return Some(KeyProblem::UnknownField) };
    if !right_type(field) {
        Some(KeyProblem::WrongType)
    } else if !field.kind.is_unique() {
        Some(KeyProblem::NotUnique)
    } else {
        None
    }
}
