//! kintone's write-path checks, written from `NOTES.md` §3.1 and §4.3 independently of
//! `kform-core`: defaults for absent fields, then required → length → number → options → date →
//! unique, every problem collected into one `CB_VA01` answer.
//!
//! Lengths are counted in UTF-16 code units. Types the fake does not validate yet (SUBTABLE,
//! FILE, user/organization/group selections, TIME, DATETIME, LINK's protocol) are stored as sent.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::error::{KintoneError, Lang};
use crate::store::StoredRecord;

type Errors = BTreeMap<String, Vec<String>>;

/// Checks a record in kintone's write shape against the app's `properties`; returns every field
/// in kintone's read shape, or kintone's error.
pub(crate) fn check_record(
    properties: &Map<String, Value>,
    record: &Map<String, Value>,
    existing: &[StoredRecord],
    lang: Lang,
) -> Result<Map<String, Value>, KintoneError> {
    // A bare value without the {"value": …} wrapper is refused before anything else.
    for (code, entry) in record {
        if properties.contains_key(code)
            && !entry.as_object().is_some_and(|entry| entry.contains_key("value"))
        {
            return Err(KintoneError::invalid_json(lang));
        }
    }
    let lookup_targets: Vec<&str> = properties
        .values()
        .filter_map(|p| p.get("lookup")?.get("fieldMappings")?.as_array())
        .flatten()
        .filter_map(|mapping| mapping.get("field")?.as_str())
        .collect();
    let mut errors = Errors::new();
    let mut stored = Map::new();
    for (code, property) in properties {
        let kind = property.get("type").and_then(Value::as_str).unwrap_or_default();
        let sent = record.get(code).and_then(|entry| entry.get("value"));
        let writable = !lookup_targets.contains(&code.as_str());
        let value = match kind {
            "SINGLE_LINE_TEXT" | "LINK" | "MULTI_LINE_TEXT" | "RICH_TEXT" | "NUMBER" | "DATE"
            | "TIME" | "DATETIME" | "DROP_DOWN" | "RADIO_BUTTON"
                if writable =>
            {
                let value = match sent {
                    Some(Value::String(text)) => text.clone(),
                    Some(Value::Number(number)) if kind == "NUMBER" => number.to_string(),
                    Some(Value::Null) => String::new(),
                    Some(_) => return Err(KintoneError::invalid_json(lang)),
                    None => default_text(property),
                };
                check_scalar(code, kind, property, value, existing, lang, &mut errors)
            }
            "CHECK_BOX" | "MULTI_SELECT" => {
                let values = match sent {
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| KintoneError::invalid_json(lang))?,
                    Some(Value::Null) => Vec::new(),
                    Some(_) => return Err(KintoneError::invalid_json(lang)),
                    None => default_list(property),
                };
                check_list(code, property, &values, lang, &mut errors);
                json!(values)
            }
            "SUBTABLE" | "FILE" | "USER_SELECT" | "ORGANIZATION_SELECT" | "GROUP_SELECT" => {
                sent.cloned().unwrap_or_else(|| json!([]))
            }
            "SINGLE_LINE_TEXT" | "NUMBER" => json!(""),
            _ => continue,
        };
        stored.insert(code.clone(), json!({ "type": kind, "value": value }));
    }
    if errors.is_empty() { Ok(stored) } else { Err(KintoneError::invalid(lang, errors)) }
}

fn default_text(property: &Value) -> String {
    property.get("defaultValue").and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn default_list(property: &Value) -> Vec<String> {
    property
        .get("defaultValue")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn flag(property: &Value, name: &str) -> bool {
    property.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn setting<'a>(property: &'a Value, name: &str) -> Option<&'a str> {
    property.get(name).and_then(Value::as_str).filter(|text| !text.is_empty())
}

fn required_message(lang: Lang) -> String {
    lang.pick("必須です。", "Required.")
}

/// Checks one scalar value and returns what kintone stores (`null` for an empty choice or date).
fn check_scalar(
    code: &str,
    kind: &str,
    property: &Value,
    value: String,
    existing: &[StoredRecord],
    lang: Lang,
    errors: &mut Errors,
) -> Value {
    let path = format!("record.{code}.value");
    let mut push =
        |path: &str, message: String| errors.entry(path.to_owned()).or_default().push(message);
    // RADIO_BUTTON accepts `required` but kintone does not enforce it on writes.
    let required = flag(property, "required") && kind != "RADIO_BUTTON";
    let value = if kind == "NUMBER" { value.trim().to_owned() } else { value };
    if value.is_empty() {
        if required {
            push(&path, required_message(lang));
        }
        return if matches!(kind, "DROP_DOWN" | "RADIO_BUTTON" | "DATE" | "TIME" | "DATETIME") {
            Value::Null
        } else {
            json!("")
        };
    }
    let mut stored = value.clone();
    match kind {
        "SINGLE_LINE_TEXT" | "LINK" => {
            let length = value.encode_utf16().count();
            if let Some(max) = setting(property, "maxLength").and_then(|m| m.parse::<usize>().ok())
                && length > max
            {
                let message = match lang {
                    Lang::Ja => format!("{}文字より短くなければなりません。", max + 1),
                    Lang::En => format!("Enter less than {} characters.", max + 1),
                };
                push(&path, message);
            }
            if let Some(min) = setting(property, "minLength").and_then(|m| m.parse::<usize>().ok())
                && length < min
            {
                let shorter = min.saturating_sub(1);
                let message = match lang {
                    Lang::Ja => format!("{shorter}文字より長くなければなりません。"),
                    Lang::En => format!("Enter more than {shorter} characters."),
                };
                push(&path, message);
            }
        }
        "NUMBER" => match number(&value) {
            None => {
                push(
                    &format!("record[{code}].value"),
                    lang.pick("数字でなければなりません。", "Only numbers are allowed."),
                );
                if required {
                    push(&path, required_message(lang));
                }
                return json!("");
            }
            Some(parsed) => {
                if let Some(max) =
                    setting(property, "maxValue").filter(|m| number(m).is_some_and(|m| parsed > m))
                {
                    push(
                        &path,
                        match lang {
                            Lang::Ja => format!("{max}以下である必要があります。"),
                            Lang::En => format!("The value must be {max} or less."),
                        },
                    );
                }
                if let Some(min) =
                    setting(property, "minValue").filter(|m| number(m).is_some_and(|m| parsed < m))
                {
                    push(
                        &path,
                        match lang {
                            Lang::Ja => format!("{min}以上である必要があります。"),
                            Lang::En => format!("The value must be {min} or more."),
                        },
                    );
                }
                stored = normalize_number(&value, parsed);
            }
        },
        "DROP_DOWN" | "RADIO_BUTTON" => {
            let known = property
                .get("options")
                .and_then(Value::as_object)
                .is_some_and(|o| o.contains_key(&value));
            if !known {
                push(
                    &path,
                    match lang {
                        Lang::Ja => format!("\"{value}\"は選択肢にありません。"),
                        Lang::En => format!("The value, \"{value}\", is not in options."),
                    },
                );
            }
        }
        "DATE" => match date(&value) {
            Some(normalized) => stored = normalized,
            // kintone's wording for a malformed date was never captured; this text is a choice.
            None => push(&path, lang.pick("日付の形式が正しくありません。", "Enter a valid date.")),
        },
        _ => {}
    }
    if flag(property, "unique")
        && existing.iter().any(|record| {
            record.fields.get(code).and_then(|field| field.get("value")).and_then(Value::as_str)
                == Some(stored.as_str())
        })
    {
        push(
            &path,
            lang.pick(
                "値がほかのレコードと重複しています。",
                "This value already exists in another record.",
            ),
        );
    }
    json!(stored)
}

fn check_list(code: &str, property: &Value, values: &[String], lang: Lang, errors: &mut Errors) {
    if values.is_empty() {
        if flag(property, "required") {
            errors.entry(format!("record.{code}.values")).or_default().push(required_message(lang));
        }
        return;
    }
    let options = property.get("options").and_then(Value::as_object);
    for (index, value) in values.iter().enumerate() {
        if !options.is_some_and(|o| o.contains_key(value)) {
            errors.entry(format!("record.{code}.values[{index}].value")).or_default().push(
                match lang {
                    Lang::Ja => format!("\"{value}\"は選択肢にありません。"),
                    Lang::En => format!("The value, \"{value}\", is not in options."),
                },
            );
        }
    }
}

/// A number in kintone's syntax (sign, digits, one decimal point, exponent; half-width only).
fn number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = mantissa.chars().filter(|c| *c == '.').count() <= 1
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().any(|c| c.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    if mantissa_ok && exponent_ok {
        text.parse::<f64>().ok().filter(|n| n.is_finite())
    } else {
        None
    }
}

/// kintone stores numbers normalised (`"1.5e1"` → `"15"`, `"+3"` → `"3"`).
fn normalize_number(text: &str, parsed: f64) -> String {
    if text.contains(['e', 'E']) || text.starts_with('+') {
        parsed.to_string()
    } else {
        text.to_owned()
    }
}

/// kintone's date forms `YYYY`, `YYYY-MM`, `YYYY-M-D`, `YYYY-MM-DD` → `YYYY-MM-DD`.
fn date(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split('-').collect();
    if parts.is_empty() || parts.len() > 3 || parts[0].len() != 4 {
        return None;
    }
    let mut numbers = [0u32, 1, 1];
    for (index, part) in parts.iter().enumerate() {
        if part.is_empty()
            || part.len() > if index == 0 { 4 } else { 2 }
            || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        numbers[index] = part.parse().ok()?;
    }
    let [year, month, day] = numbers;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let valid = year >= 1000
        && (1..=12).contains(&month)
        && day >= 1
        && day <= month_days[(month - 1) as usize];
    valid.then(|| format!("{year:04}-{month:02}-{day:02}"))
}
