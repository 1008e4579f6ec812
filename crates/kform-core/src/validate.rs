//! Validation: submitted values checked against the kintone app's fields and the form.
//!
//! [`validate`] reports every problem at once and never panics. The rules follow kintone's
//! observed behaviour (`docs/kintone.md` §3.1, §4.3); each choice where kintone's behaviour is
//! UNCONFIRMED is made here, in this one place:
//!
//! - Required: `null`, `""`, `[]` (and a list of only `""`) are empty. A form may make a field
//!   required that kintone does not; it never makes a kintone-required field optional. A value
//!   that is absent altogether is left out of the record, so kintone applies the field's
//!   default, and it satisfies "required" when the field has a default (as in kintone).
//! - Lengths (`SINGLE_LINE_TEXT`, `LINK`): counted in UTF-16 code units, so an emoji outside the
//!   Basic Multilingual Plane counts as 2, as kintone's check is reported to. `maxLength` never
//!   fires on `""`. `minLength` (1 or more) does, as in kintone: an empty value, and an absent
//!   one that kintone has no default for, get kintone's minLength message on `.value`, so such a
//!   field behaves as required. When the field is required as well, only "required" is
//!   reported (one instruction for the visitor; whether kintone adds the length message there is
//!   UNCONFIRMED, and the path is the same either way).
//! - A `LINK` shorter than its `minLength` also gets kintone's URL-format message
//!   ([`IssueCode::LinkFormat`]; only its start was captured, so its full wording is kform's
//!   choice, in `message.rs`) instead of kform's own protocol check. An empty `LINK` gets the
//!   length message only.
//! - Numbers: kintone's syntax ([`Decimal`]); surrounding spaces are trimmed as kintone does.
//!   Limits are compared exactly. More digits before the decimal point than the app's
//!   precision allows (12 by default) is refused; extra decimals are left for kintone to round.
//!   Inside a subtable kintone silently stores a non-number as `""`; kform refuses it instead,
//!   so no visitor's input is lost.
//! - Options: the value (each value of a list) must be an option the form offers; `""` items
//!   of a list are dropped as kintone skips them.
//! - Dates, times and date-times: see [`crate::datetime`]. Links and input hints: see
//!   [`crate::text`]. Where kintone's rule is unknown, kform refuses only what kintone is known
//!   to refuse and lets kintone decide the rest (a refusal then reaches the history and can be
//!   replayed with corrected values):
//!   - a LINK or NUMBER holding only spaces (half- or full-width) is empty (kform's choice);
//!   - link values are trimmed; a web link is refused only when it cannot be one
//!     ([`crate::text::is_plausible_web_link`]: kintone is seen refusing `ab`), with kintone's
//!     URL-format message (its start CONFIRMED, the rest kform's wording);
//!   - a phone link is not checked (kintone's rule is unknown; extensions and words such as
//!     `03-1234-5678 内線12` are sent as typed);
//!   - an e-mail link, and a text with the `email` hint, is folded to half width (`ｔａｒｏ＠…`,
//!     a common IME slip) before it is checked, and sent folded.
//!
//!   The form owner's own input hints stay strict (kform's rules in [`crate::text`]) after
//!   the same normalisation.
//! - Users, organizations, groups: when the field lists selectable entities of its own type
//!   only, a code must be one of them; otherwise any code is sent and kintone decides.
//! - Subtables: every row's inner fields are checked with kintone's row paths; unknown inner
//!   codes are ignored.
//!
//! Hidden items always send the form's fixed value, whatever the client sent. Values for codes
//! the form does not map are ignored, as kintone ignores unknown codes.
//!
//! When the app lost a field the form maps (deleted in kintone), the item drops out of the form
//! and its checks ([`FormItem::drops_out`]), so the rest of the form can still be sent; lint
//! reports it as drift. An item the form requires, or the form's update key, cannot drop out:
//! it is reported as [`IssueCode::UnknownField`], and the form cannot be sent until it is fixed.

use crate::datetime::{normalize_date, normalize_datetime, normalize_time};
use crate::field::{
    AppFields, Field, FieldCode, FieldKind, LinkProtocol, LookupKey, NumberLimits, Shape,
    TextLimits,
};
use crate::form::{FormItem, FormSpec, InputHint};
use crate::number::{Decimal, NumberPrecision};
use crate::record::{Record, RecordValue, Valid};
use crate::report::{Issue, IssueCode, Report};
use crate::text::{
    is_blank, is_email, is_phone, is_plausible_web_link, is_web_url, normalize_postal_code,
    to_half_width,
};
use crate::value::{Value, Values};
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Checks `values` against the form and the app's fields.
///
/// Returns the record to send to kintone (with hidden values merged), or every problem found.
pub fn validate(
    fields: &AppFields,
    form: &FormSpec,
    values: &Values,
) -> Result<Valid<Record>, Report> {
    let precision = form.number_precision.unwrap_or_default();
    let mut report = Report::default();
    let mut record = Record::default();
    for item in &form.items {
        let Some(code) = &item.field else { continue };
        // An item whose condition does not hold is not on the form for this submission.
        if !item.applies(values) {
            continue;
        }
        let Some(field) = fields.get(code) else {
            if !item.drops_out(form) {
                report.push(Issue::on_value(code, IssueCode::UnknownField));
            }
            continue;
        };
        if !field.is_writable() {
            report.push(Issue::on_value(code, IssueCode::NotWritable));
            continue;
        }
        let value = item.hidden.as_ref().or_else(|| values.get(code.as_str()));
        let rules = Rules::for_item(field, item, precision);
        let mut check = Check { place: Place { top: code, row: None }, report: &mut report };
        if let Some(value) = check.field(field, &rules, value) {
            record.insert(code.clone(), value);
        }
    }
    if report.is_empty() { Ok(Valid::new(record)) } else { Err(report) }
}

/// Checks one value of one item on its own, as [`validate`] would, with `required` decided by
/// the caller (lint checks hidden values as required and initial values as optional).
pub(crate) fn check_item_value(
    field: &Field,
    item: &FormItem,
    required: bool,
    value: &Value,
    precision: NumberPrecision,
) -> Report {
    let mut report = Report::default();
    let rules = Rules { required, ..Rules::for_item(field, item, precision) };
    Check { place: Place { top: &field.code, row: None }, report: &mut report }.field(
        field,
        &rules,
        Some(value),
    );
    report
}

/// What the form adds to kintone's rules for one item.
struct Rules<'a> {
    required: bool,
    hint: Option<InputHint>,
    hidden_options: &'a [String],
    max_files: Option<u32>,
    precision: NumberPrecision,
}

impl<'a> Rules<'a> {
    fn for_item(field: &Field, item: &'a FormItem, precision: NumberPrecision) -> Self {
        Self {
            required: field.required || item.required,
            hint: item.input_hint,
            hidden_options: &item.hide_options,
            max_files: item.max_files,
            precision,
        }
    }

    /// kintone's own rules for an inner field of a subtable.
    fn inner(field: &Field, precision: NumberPrecision) -> Self {
        Self {
            required: field.required,
            hint: None,
            hidden_options: &[],
            max_files: None,
            precision,
        }
    }
}

/// Where a value sits: a top-level field, or an inner field of one subtable row.
#[derive(Clone, Copy)]
struct Place<'a> {
    /// The top-level field (the subtable, for inner fields).
    top: &'a FieldCode,
    /// The row and the inner field, inside a subtable.
    row: Option<(usize, &'a FieldCode)>,
}

impl Place<'_> {
    /// kintone's path of the field, before its `.value` / `.values` suffix.
    fn base(&self) -> String {
        match self.row {
            None => format!("record.{}", self.top),
            Some((row, inner)) => format!("record.{}.value[{row}].value.{inner}", self.top),
        }
    }
}

/// Collects the problems of one field (or one inner field) into the report.
struct Check<'a, 'r> {
    place: Place<'a>,
    report: &'r mut Report,
}

impl Check<'_, '_> {
    fn push(&mut self, suffix: &str, code: IssueCode) {
        let path = format!("{}{suffix}", self.place.base());
        self.report.push(Issue { field: Some(self.place.top.clone()), path, code });
    }

    /// A problem with the field as a whole, on the path kintone uses for its shape.
    fn whole(&mut self, shape: Shape, code: IssueCode) {
        let suffix = match shape {
            Shape::Text | Shape::Rows => ".value",
            Shape::List | Shape::Files => ".values",
            Shape::Entities => ".values.value",
        };
        self.push(suffix, code);
    }

    /// Checks one field's value; returns the normalized value when it is acceptable, or
    /// `None` when it is refused or should be left out for kintone to fill.
    fn field(
        &mut self,
        field: &Field,
        rules: &Rules,
        value: Option<&Value>,
    ) -> Option<RecordValue> {
        let shape = field.kind.shape()?;
        let Some(value) = value else {
            if !field.kind.has_default() {
                self.empty(field, rules, shape);
            }
            return None;
        };
        if is_effectively_empty(value) || blank_link_or_number(&field.kind, value) {
            return self.empty(field, rules, shape).then(|| empty(shape));
        }
        match (&field.kind, value) {
            (FieldKind::SingleLineText { limits, .. }, Value::Text(text)) => {
                let text = match rules.hint {
                    Some(InputHint::Email) => to_half_width(text).trim().to_owned(),
                    _ => text.clone(),
                };
                let ok = self.length(*limits, &text) & self.hint(rules.hint, &text);
                ok.then_some(RecordValue::Text(text))
            }
            (FieldKind::MultiLineText { .. } | FieldKind::RichText { .. }, Value::Text(text)) => {
                Some(RecordValue::Text(text.clone()))
            }
            (FieldKind::Number { limits, .. }, Value::Text(text)) => {
                self.number(limits, rules, text.trim()).map(RecordValue::Text)
            }
            (FieldKind::Lookup(lookup), Value::Text(text)) => match lookup.key {
                LookupKey::Text => Some(RecordValue::Text(text.clone())),
                LookupKey::Number => {
                    self.number(&NumberLimits::default(), rules, text.trim()).map(RecordValue::Text)
                }
            },
            (
                FieldKind::RadioButton { options, .. } | FieldKind::DropDown { options, .. },
                Value::Text(text),
            ) => {
                if offered(options, rules.hidden_options, text) {
                    Some(RecordValue::Text(text.clone()))
                } else {
                    self.push(".value", IssueCode::NotAnOption { value: text.clone() });
                    None
                }
            }
            (
                FieldKind::CheckBox { options, .. } | FieldKind::MultiSelect { options, .. },
                Value::List(items),
            ) => {
                let mut ok = true;
                for (index, item) in items.iter().enumerate() {
                    if !item.is_empty() && !offered(options, rules.hidden_options, item) {
                        ok = false;
                        let suffix = format!(".values[{index}].value");
                        self.push(&suffix, IssueCode::NotAnOption { value: item.clone() });
                    }
                }
                let items = items.iter().filter(|item| !item.is_empty()).cloned().collect();
                ok.then_some(RecordValue::List(items))
            }
            (FieldKind::Date { .. }, Value::Text(text)) => {
                self.normalized(text, normalize_date, IssueCode::InvalidDate)
            }
            (FieldKind::Time { .. }, Value::Text(text)) => {
                self.normalized(text, normalize_time, IssueCode::InvalidTime)
            }
            (FieldKind::DateTime { .. }, Value::Text(text)) => {
                self.normalized(text, normalize_datetime, IssueCode::InvalidDateTime)
            }
            (FieldKind::Link { protocol, limits, .. }, Value::Text(text)) => {
                let text = match protocol {
                    LinkProtocol::Mail => to_half_width(text).trim().to_owned(),
                    LinkProtocol::Web | LinkProtocol::Call => text.trim().to_owned(),
                };
                let problem = match protocol {
                    LinkProtocol::Web => {
                        (!is_plausible_web_link(&text)).then_some(IssueCode::LinkFormat)
                    }
                    LinkProtocol::Call => None,
                    LinkProtocol::Mail => (!is_email(&text)).then_some(IssueCode::InvalidEmail),
                };
                let mut ok = self.length(*limits, &text);
                if !ok && limits.min_length.is_some_and(|min| kintone_length(&text) < min as usize)
                {
                    // kintone adds its URL-format message to a short link, which stands in for
                    // kform's own format check.
                    self.push(".value", IssueCode::LinkFormat);
                } else if let Some(code) = problem {
                    self.push(".value", code);
                    ok = false;
                }
                ok.then_some(RecordValue::Text(text))
            }
            (FieldKind::File { .. }, Value::Files(keys)) => {
                if keys.iter().any(String::is_empty) {
                    self.whole(shape, IssueCode::WrongShape);
                    return None;
                }
                if let Some(max) = rules.max_files.filter(|max| keys.len() > *max as usize) {
                    self.whole(shape, IssueCode::TooManyFiles { max });
                    return None;
                }
                Some(RecordValue::Files(keys.clone()))
            }
            (
                FieldKind::UserSelect(_)
                | FieldKind::OrganizationSelect(_)
                | FieldKind::GroupSelect(_),
                Value::Entities(codes),
            ) => self.entities(&field.kind, codes),
            (FieldKind::Subtable { fields }, Value::Rows(rows)) => {
                let mut ok = true;
                let mut checked = Vec::with_capacity(rows.len());
                for (index, row) in rows.iter().enumerate() {
                    let mut record = Record::default();
                    for (code, inner) in fields {
                        let place = Place { top: self.place.top, row: Some((index, code)) };
                        let rules = Rules::inner(inner, rules.precision);
                        let mut check = Check { place, report: self.report };
                        let before = check.report.issues().len();
                        if let Some(value) = check.field(inner, &rules, row.get(code.as_str())) {
                            record.insert(code.clone(), value);
                        }
                        ok &= check.report.issues().len() == before;
                    }
                    checked.push(record);
                }
                ok.then_some(RecordValue::Rows(checked))
            }
            (_, _) => {
                self.whole(shape, IssueCode::WrongShape);
                None
            }
        }
    }

    /// Reports an empty or absent value that kintone refuses: required, or (as kintone checks
    /// `minLength` on empty values too) too short. Returns whether the empty value is accepted.
    fn empty(&mut self, field: &Field, rules: &Rules, shape: Shape) -> bool {
        if rules.required {
            self.whole(shape, IssueCode::Required);
            false
        } else if let Some(min) = field.kind.min_length() {
            self.push(".value", IssueCode::TooShort { min });
            false
        } else {
            true
        }
    }

    fn normalized(
        &mut self,
        text: &str,
        normalize: fn(&str) -> Option<String>,
        code: IssueCode,
    ) -> Option<RecordValue> {
        let normalized = normalize(text.trim());
        if normalized.is_none() {
            self.push(".value", code);
        }
        normalized.map(RecordValue::Text)
    }

    fn length(&mut self, limits: TextLimits, text: &str) -> bool {
        let length = kintone_length(text);
        let mut ok = true;
        if let Some(max) = limits.max_length.filter(|max| length > *max as usize) {
            self.push(".value", IssueCode::TooLong { max });
            ok = false;
        }
        if let Some(min) = limits.min_length.filter(|min| length < *min as usize) {
            self.push(".value", IssueCode::TooShort { min });
            ok = false;
        }
        ok
    }

    fn hint(&mut self, hint: Option<InputHint>, text: &str) -> bool {
        let problem = match hint {
            None => None,
            Some(InputHint::Email) => (!is_email(text)).then_some(IssueCode::InvalidEmail),
            Some(InputHint::Tel) => (!is_phone(text)).then_some(IssueCode::InvalidPhone),
            Some(InputHint::Url) => (!is_web_url(text)).then_some(IssueCode::InvalidUrl),
            Some(InputHint::PostalCode) => {
                normalize_postal_code(text).is_none().then_some(IssueCode::InvalidPostalCode)
            }
        };
        problem.map(|code| self.push(".value", code)).is_none()
    }

    fn number(&mut self, limits: &NumberLimits, rules: &Rules, text: &str) -> Option<String> {
        let Some(number) = Decimal::parse(text) else {
            // kintone reports a non-number at the top level on `record[<code>].value`
            // (brackets), and for a required field also "required" on `.value`, docs/kintone.md
            // §4.3; inside a table kform uses the row path.
            match self.place.row {
                None => {
                    let path = format!("record[{}].value", self.place.top);
                    let field = Some(self.place.top.clone());
                    self.report.push(Issue { field, path, code: IssueCode::NotANumber });
                    if rules.required {
                        self.push(".value", IssueCode::Required);
                    }
                }
                Some(_) => self.push(".value", IssueCode::NotANumber),
            }
            return None;
        };
        let bound = |bound: &Option<String>| bound.as_deref().and_then(Decimal::parse);
        let mut ok = true;
        if bound(&limits.max_value).is_some_and(|max| number > max) {
            let max = limits.max_value.clone().unwrap_or_default();
            self.push(".value", IssueCode::TooLarge { max });
            ok = false;
        }
        if bound(&limits.min_value).is_some_and(|min| number < min) {
            let min = limits.min_value.clone().unwrap_or_default();
            self.push(".value", IssueCode::TooSmall { min });
            ok = false;
        }
        let max_digits = rules.precision.integer_digits();
        if number.integer_digits() > u64::from(max_digits) {
            self.push(".value", IssueCode::TooManyDigits { max: max_digits });
            ok = false;
        }
        ok.then(|| text.to_owned())
    }

    fn entities(&mut self, kind: &FieldKind, codes: &[String]) -> Option<RecordValue> {
        let (own, select) = kind.entity_select()?;
        let closed = select.is_closed(own);
        let mut ok = true;
        for (index, code) in codes.iter().enumerate() {
            let known = select.entities.iter().any(|entity| &entity.code == code);
            if code.is_empty() || (closed && !known) {
                ok = false;
                let suffix = format!(".values[{index}].value");
                self.push(&suffix, IssueCode::NotAnOption { value: code.clone() });
            }
        }
        ok.then(|| RecordValue::Entities(codes.to_vec()))
    }
}

/// A link or number value of nothing but spaces, which kform takes as empty.
fn blank_link_or_number(kind: &FieldKind, value: &Value) -> bool {
    let numeric = matches!(kind, FieldKind::Link { .. } | FieldKind::Number { .. })
        || matches!(kind, FieldKind::Lookup(lookup) if lookup.key == LookupKey::Number);
    matches!(value, Value::Text(text) if numeric && is_blank(text))
}

fn is_effectively_empty(value: &Value) -> bool {
    match value {
        Value::List(items) => items.iter().all(String::is_empty),
        other => other.is_empty(),
    }
}

fn empty(shape: Shape) -> RecordValue {
    match shape {
        Shape::Text => RecordValue::Text(String::new()),
        Shape::List => RecordValue::List(Vec::new()),
        Shape::Entities => RecordValue::Entities(Vec::new()),
        Shape::Files => RecordValue::Files(Vec::new()),
        Shape::Rows => RecordValue::Rows(Vec::new()),
    }
}

fn offered(options: &[crate::field::Choice], hidden: &[String], value: &str) -> bool {
    options.iter().any(|choice| choice.value == value) && !hidden.iter().any(|h| h == value)
}

/// The length kintone counts: UTF-16 code units (see the module documentation).
pub fn kintone_length(text: &str) -> usize {
    text.encode_utf16().count()
}
