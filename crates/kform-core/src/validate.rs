//! Validation: submitted values checked against the kintone app's fields and the form.
//!
//! [`validate`] reports every problem at once and never panics. The rules follow kintone's
//! observed behaviour (`NOTES.md` §4.3):
//!
//! - Required: a missing value, `""` and `[]` are all empty. A form may make a field required
//!   that kintone does not; it never makes a kintone-required field optional.
//! - Lengths (`SINGLE_LINE_TEXT`): counted in UTF-16 code units, so an emoji outside the Basic
//!   Multilingual Plane counts as 2, as kintone's check is reported to. Empty values are not
//!   length-checked. (Choice: the unit is UNCONFIRMED in the notes; this is the one place it is
//!   decided.)
//! - Numbers: optional sign, digits with an optional decimal point, optional exponent;
//!   half-width only; surrounding spaces are trimmed as kintone does. Limits are compared as
//!   numbers.
//! - Options: the value (or each value of a list) must be one of the field's option keys.
//! - Dates: `YYYY-MM-DD`, or kintone's short forms `YYYY`, `YYYY-MM`, `YYYY-M-D`, a real calendar
//!   date between 1000-01-01 and 9999-12-31; stored as `YYYY-MM-DD`.
//!
//! Hidden items always send the form's fixed value, whatever the client sent. Values for codes
//! the form does not map are ignored, as kintone ignores unknown codes.

use crate::field::{AppFields, Field, FieldKind, NumberLimits, TextLimits};
use crate::form::FormSpec;
use crate::record::{Record, RecordValue, Valid};
use crate::report::{Issue, IssueCode, Report};
use crate::value::{Value, Values};

/// Checks `values` against the form and the app's fields.
///
/// Returns the record to send to kintone (with hidden values merged), or every problem found.
pub fn validate(
    fields: &AppFields,
    form: &FormSpec,
    values: &Values,
) -> Result<Valid<Record>, Report> {
    let mut report = Report::default();
    let mut record = Record::default();
    for item in &form.items {
        let Some(code) = &item.field else { continue };
        let Some(field) = fields.get(code) else {
            report.push(Issue::on_value(code, IssueCode::UnknownField));
            continue;
        };
        if !field.is_inputtable() {
            report.push(Issue::on_value(code, IssueCode::NotInputtable));
            continue;
        }
        let value = item.hidden.as_ref().or_else(|| values.get(code.as_str()));
        let required = field.required || item.required;
        if let Some(value) = check_field(field, required, value, &mut report) {
            record.insert(code.clone(), value);
        }
    }
    if report.is_empty() { Ok(Valid::new(record)) } else { Err(report) }
}

/// Checks one field's value; returns the normalised value when it is acceptable.
fn check_field(
    field: &Field,
    required: bool,
    value: Option<&Value>,
    report: &mut Report,
) -> Option<RecordValue> {
    let code = &field.code;
    let is_list = field.kind.is_list();
    if value.is_none_or(Value::is_empty) {
        if required {
            report.push(on_whole_field(field, IssueCode::Required));
            return None;
        }
        return Some(if is_list {
            RecordValue::List(Vec::new())
        } else {
            RecordValue::Text(String::new())
        });
    }
    let value = value?;
    match (&field.kind, value) {
        (FieldKind::SingleLineText { limits, .. }, Value::Text(text)) => {
            check_length(field, *limits, text, report).then(|| RecordValue::Text(text.clone()))
        }
        (FieldKind::MultiLineText { .. }, Value::Text(text)) => {
            Some(RecordValue::Text(text.clone()))
        }
        (FieldKind::Number { limits, .. }, Value::Text(text)) => {
            check_number(field, limits, text.trim(), report).map(RecordValue::Text)
        }
        (
            FieldKind::RadioButton { options, .. } | FieldKind::DropDown { options, .. },
            Value::Text(text),
        ) => {
            if options.iter().any(|choice| &choice.value == text) {
                Some(RecordValue::Text(text.clone()))
            } else {
                report.push(Issue::on_value(code, IssueCode::NotAnOption { value: text.clone() }));
                None
            }
        }
        (
            FieldKind::CheckBox { options, .. } | FieldKind::MultiSelect { options, .. },
            Value::List(items),
        ) => {
            let mut ok = true;
            for (index, item) in items.iter().enumerate() {
                if !options.iter().any(|choice| &choice.value == item) {
                    ok = false;
                    report.push(Issue {
                        field: Some(code.clone()),
                        path: format!("record.{code}.values[{index}].value"),
                        code: IssueCode::NotAnOption { value: item.clone() },
                    });
                }
            }
            ok.then(|| RecordValue::List(items.clone()))
        }
        (FieldKind::Date { .. }, Value::Text(text)) => match normalize_date(text) {
            Some(date) => Some(RecordValue::Text(date)),
            None => {
                report.push(Issue::on_value(code, IssueCode::InvalidDate));
                None
            }
        },
        (FieldKind::NotInputtable { .. }, _) => None,
        (_, _) => {
            report.push(on_whole_field(field, IssueCode::WrongShape));
            None
        }
    }
}

/// A problem with the field as a whole: kintone reports it on `record.<code>.values` for list
/// fields and on `record.<code>.value` for the others.
fn on_whole_field(field: &Field, code: IssueCode) -> Issue {
    if field.kind.is_list() {
        Issue {
            field: Some(field.code.clone()),
            path: format!("record.{}.values", field.code),
            code,
        }
    } else {
        Issue::on_value(&field.code, code)
    }
}

/// The length kintone counts: UTF-16 code units (see the module documentation).
pub fn kintone_length(text: &str) -> usize {
    text.encode_utf16().count()
}

fn check_length(field: &Field, limits: TextLimits, text: &str, report: &mut Report) -> bool {
    let length = kintone_length(text);
    let mut ok = true;
    if let Some(max) = limits.max_length.filter(|max| length > *max as usize) {
        report.push(Issue::on_value(&field.code, IssueCode::TooLong { max }));
        ok = false;
    }
    if let Some(min) = limits.min_length.filter(|min| length < *min as usize) {
        report.push(Issue::on_value(&field.code, IssueCode::TooShort { min }));
        ok = false;
    }
    ok
}

fn check_number(
    field: &Field,
    limits: &NumberLimits,
    text: &str,
    report: &mut Report,
) -> Option<String> {
    let Some(number) = parse_number(text) else {
        // kintone reports a non-number on `record[<code>].value` (brackets), see NOTES.md §4.3.
        report.push(Issue {
            field: Some(field.code.clone()),
            path: format!("record[{}].value", field.code),
            code: IssueCode::NotANumber,
        });
        return None;
    };
    let mut ok = true;
    if let Some(max) =
        limits.max_value.as_ref().filter(|max| parse_number(max).is_some_and(|m| number > m))
    {
        report.push(Issue::on_value(&field.code, IssueCode::TooLarge { max: max.clone() }));
        ok = false;
    }
    if let Some(min) =
        limits.min_value.as_ref().filter(|min| parse_number(min).is_some_and(|m| number < m))
    {
        report.push(Issue::on_value(&field.code, IssueCode::TooSmall { min: min.clone() }));
        ok = false;
    }
    ok.then(|| text.to_owned())
}

/// Parses a number in kintone's syntax: `[+-]digits[.digits][(e|E)[+-]digits]`, half-width only.
pub fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut index = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        index += 1;
    }
    let digits_before = bytes[index..].iter().take_while(|b| b.is_ascii_digit()).count();
    index += digits_before;
    let mut digits_after = 0;
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        digits_after = bytes[index..].iter().take_while(|b| b.is_ascii_digit()).count();
        index += digits_after;
    }
    if digits_before + digits_after == 0 {
        return None;
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'+' | b'-')) {
            index += 1;
        }
        let exponent_digits = bytes[index..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exponent_digits == 0 {
            return None;
        }
        index += exponent_digits;
    }
    if index != bytes.len() {
        return None;
    }
    text.parse::<f64>().ok().filter(|number| number.is_finite())
}

/// Normalises a kintone date (`YYYY`, `YYYY-MM`, `YYYY-M-D`, `YYYY-MM-DD`) to `YYYY-MM-DD`, or
/// `None` when it is not a real date in kintone's range.
pub fn normalize_date(text: &str) -> Option<String> {
    let mut parts = text.split('-');
    let year = parse_date_part(parts.next()?, 4, 4)?;
    let month = parts.next().map_or(Some(1), |part| parse_date_part(part, 1, 2))?;
    let day = parts.next().map_or(Some(1), |part| parse_date_part(part, 1, 2))?;
    if parts.next().is_some() || !(1000..=9999).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days_in_month).contains(&day).then(|| format!("{year:04}-{month:02}-{day:02}"))
}

fn parse_date_part(part: &str, min_len: usize, max_len: usize) -> Option<u32> {
    let ok = (min_len..=max_len).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
    if ok { part.parse().ok() } else { None }
}
