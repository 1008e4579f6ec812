//! kintone's write path, written from `docs/kintone.md` §3.1, §3.3, §3.4 and §4.3 independently of
//! `kform-core`: a record in write shape becomes the stored record in read shape, or kintone's
//! error.
//!
//! Order: bare values are refused (`CB_IJ01`); unknown codes and read-only fields are ignored;
//! on add, absent fields get their defaults (`defaultValue`, `defaultNowValue`); on update, absent
//! fields keep their stored values and the merged record is checked. Then each field is checked
//! in the order required → length → number → options → date/time → unique, table rows after, and
//! every problem goes into one `CB_VA01`. Lookups copy their mapped fields from the source app or
//! fail with `GAIA_LO04`.
//!
//! Where kintone's behaviour is UNCONFIRMED, the choice made here (the one place for it):
//! - Lengths count UTF-16 code units. `maxLength` never fires on `""`; `minLength` (1 or more)
//!   does (CONFIRMED), on add, bulk add and on an update that sends the field empty. An update
//!   that leaves the field out keeps its stored value, and an empty stored value is not
//!   checked for `minLength` (whether kintone checks it is UNCONFIRMED). An empty required field
//!   with `minLength` gets both messages on `.value`.
//! - A LINK value shorter than its `minLength` also gets `URLの形式が正しくありません。` /
//!   `The URL format is not valid.` (only the start of the Japanese text was captured).
//! - CHECK_BOX/MULTI_SELECT: `""` items are skipped, so `[""]` is empty for "required".
//! - NUMBER: more than 12 digits before the decimal point (kintone's default precision) is
//!   refused with kform's wording; a JSON number is accepted as its text; values are stored in
//!   plain decimal form (`1.5e1` → `15`). In a table row a non-number is stored as `""`.
//! - DATE/TIME/DATETIME: a malformed value is refused with kform's wording on `.value`. TIME
//!   accepts `H:MM`/`HH:MM[:SS]`; DATETIME needs `Z` or an offset (or is a date alone); seconds
//!   are dropped. `defaultNowValue` uses Japan time (UTC+9) for DATE and TIME.
//! - A WEB LINK is refused (`URLの形式が正しくありません。`) only when it cannot be an address:
//!   kintone is seen refusing `ab`; the fake's rule is "no `://` and no dot before any `/`"
//!   (kintone's own rule is UNCONFIRMED). CALL and MAIL links are not checked (no kintone
//!   message was ever captured).
//! - USER/ORGANIZATION/GROUP_SELECT codes are stored as sent (`name` = `code`).
//! - FILE: a key must be an unattached upload key or a file of this record; otherwise 404
//!   `GAIA_BL01`. An upload key is used once.
//! - SUBTABLE: absent on add → no rows. Inner defaults are applied to new rows.
//! - Values of JSON types kintone cannot read for the field (a number for a text, an object for
//!   a list) are `CB_IJ01`.
//!
//! Choices outside the write path, for the same reason:
//! - `updateKey` matching no record: 404 `GAIA_RE20`, worded like `GAIA_RE01`; the key field
//!   inside `record` of the same update: `CB_VA01` on it. `GAIA_CO02`'s Japanese text is kform's.
//! - More than 9 API tokens: `CB_VA01` on `X-Cybozu-API-Token`. A token never has app
//!   management, so `preview/` APIs need password auth.
//! - A failed `bulkRequest.json` answers with the failing sub-request's status; more than 20
//!   sub-requests is `CB_VA01` on `requests`. Only record writes may be sub-requests.
//! - Every JSON error carries `X-Cybozu-Error: <code>`; 500 and 503 bodies are not JSON.
//! - Messages default to Japanese without an `Accept-Language` naming ja or en (configurable).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::{KintoneError, Lang};
use crate::model::{Field, Rule, lookup_targets};
use crate::number::Number;

/// kintone error paths → messages.
pub(crate) type Errors = BTreeMap<String, Vec<String>>;

/// Why a write failed: field problems (one `CB_VA01`), or a whole-request error.
#[derive(Debug)]
pub(crate) enum WriteError {
    Invalid(Errors),
    Request(KintoneError),
}

impl From<KintoneError> for WriteError {
    fn from(err: KintoneError) -> Self {
        Self::Request(err)
    }
}

/// What a write needs from the rest of kintone.
pub(crate) trait Env {
    /// The fields (read shape) of the record in `app` whose `key_field` equals `value`; `None`
    /// when there is none or the caller may not view it.
    fn lookup(&self, app: u64, key_field: &str, value: &str) -> Option<Map<String, Value>>;
    /// The stored form of an attached or uploaded file, by key.
    fn file(&self, key: &str) -> Option<Value>;
    /// Whether a unique `code` already holds `value` in another record.
    fn taken(&self, code: &str, value: &str) -> bool;
    /// Now, as (UTC date-time minute, Japan date, Japan time).
    fn now(&self) -> (String, String, String);
}

/// Builds the stored record (every writable field in read shape) from a write.
///
/// `current` is the stored record being updated (`None` for an add).
pub(crate) fn write(
    fields: &[Field],
    sent: &Map<String, Value>,
    current: Option<&Map<String, Value>>,
    env: &dyn Env,
    lang: Lang,
) -> Result<Map<String, Value>, WriteError> {
    let mut writer = Writer { env, lang, errors: Errors::new() };
    let stored = writer.scope(fields, sent, current, &Place::Top)?;
    if writer.errors.is_empty() { Ok(stored) } else { Err(WriteError::Invalid(writer.errors)) }
}

/// Where a field sits: at the top of the record or in a table row.
enum Place<'a> {
    Top,
    Row { table: &'a str, row: usize },
}

impl Place<'_> {
    fn path(&self, code: &str, suffix: &str) -> String {
        match self {
            Self::Top => format!("record.{code}.{suffix}"),
            Self::Row { table, row } => {
                format!("record.{table}.value[{row}].value.{code}.{suffix}")
            }
        }
    }
}

struct Writer<'a> {
    env: &'a dyn Env,
    lang: Lang,
    errors: Errors,
}

impl Writer<'_> {
    fn push(&mut self, path: String, message: String) {
        self.errors.entry(path).or_default().push(message);
    }

    fn bad_json(&self) -> WriteError {
        WriteError::Request(KintoneError::invalid_json(self.lang))
    }

    /// One scope (the record, or one table row): every field of `fields`.
    fn scope(
        &mut self,
        fields: &[Field],
        sent: &Map<String, Value>,
        current: Option<&Map<String, Value>>,
        place: &Place<'_>,
    ) -> Result<Map<String, Value>, WriteError> {
        // A bare value without the {"value": …} wrapper is refused before anything else.
        for field in fields {
            if let Some(entry) = sent.get(&field.code)
                && !entry.as_object().is_some_and(|entry| entry.contains_key("value"))
            {
                return Err(self.bad_json());
            }
        }
        let targets = lookup_targets(fields);
        let mut stored = Map::new();
        for field in fields {
            if targets.contains(field.code.as_str()) {
                continue;
            }
            let sent_value = sent.get(&field.code).and_then(|entry| entry.get("value"));
            let current_value =
                current.and_then(|c| c.get(&field.code)).and_then(|f| f.get("value"));
            let value = match (&field.rule, sent_value, current) {
                (Rule::ReadOnly, ..) => {
                    if field.kind == "CALC" {
                        stored.insert(field.code.clone(), typed(field, json!("")));
                    }
                    continue;
                }
                (Rule::Table { fields: inner }, ..) => {
                    self.table(field, inner, sent_value, current_value, place)?
                }
                (_, Some(value), _) => self.check(field, value, place, Written::Sent)?,
                // On update an absent field keeps its value, which is checked again.
                (_, None, Some(_)) => {
                    let value = current_value.cloned().unwrap_or(Value::Null);
                    self.check(field, &stored_to_write(field, &value), place, Written::Kept)?
                }
                (_, None, None) => {
                    let default = self.default(field);
                    self.check(field, &default, place, Written::Sent)?
                }
            };
            stored.insert(field.code.clone(), typed(field, value));
        }
        for field in fields {
            if let Some(lookup) = &field.lookup {
                let key = stored
                    .get(&field.code)
                    .and_then(|f| f.get("value"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let source = if key.is_empty() {
                    None
                } else {
                    Some(self.env.lookup(lookup.app, &lookup.key_field, &key).ok_or_else(|| {
                        KintoneError::lookup_not_found(self.lang, &field.code, &key)
                    })?)
                };
                for (target, related) in &lookup.mappings {
                    let Some(target_field) = fields.iter().find(|f| &f.code == target) else {
                        continue;
                    };
                    let value = source
                        .as_ref()
                        .and_then(|source| source.get(related))
                        .and_then(|f| f.get("value"))
                        .cloned()
                        .unwrap_or_else(|| empty_value(target_field));
                    stored.insert(target.clone(), typed(target_field, value));
                }
            }
        }
        // Uniqueness last, so that every other problem of the field is listed first.
        if matches!(place, Place::Top) {
            for field in fields.iter().filter(|f| f.unique) {
                let value = stored.get(&field.code).and_then(|f| f.get("value"));
                if let Some(Value::String(value)) = value
                    && !value.is_empty()
                    && self.env.taken(&field.code, value)
                {
                    let message = self.lang.pick(
                        "値がほかのレコードと重複しています。",
                        "This value already exists in another record.",
                    );
                    self.push(place.path(&field.code, "value"), message);
                }
            }
        }
        Ok(stored)
    }

    /// A field's default on add, in write shape.
    fn default(&self, field: &Field) -> Value {
        match &field.rule {
            Rule::Text { default, .. }
            | Rule::Plain { default }
            | Rule::Number { default, .. }
            | Rule::Single { default, .. } => json!(default),
            Rule::Multi { default, .. } => json!(default),
            Rule::Entities { default } => Value::Array(
                default
                    .iter()
                    .filter(|entity| entity.get("type").and_then(Value::as_str) != Some("FUNCTION"))
                    .cloned()
                    .collect(),
            ),
            Rule::Moment { default, now } => {
                if *now {
                    let (datetime, date, time) = self.env.now();
                    json!(match field.kind.as_str() {
                        "DATE" => date,
                        "TIME" => time,
                        _ => datetime,
                    })
                } else {
                    json!(default)
                }
            }
            Rule::File | Rule::Table { .. } => json!([]),
            Rule::ReadOnly => Value::Null,
        }
    }

    /// Checks one non-table value and returns what kintone stores.
    fn check(
        &mut self,
        field: &Field,
        value: &Value,
        place: &Place<'_>,
        written: Written,
    ) -> Result<Value, WriteError> {
        let lang = self.lang;
        let path = place.path(&field.code, "value");
        let required = field.required && field.kind != "RADIO_BUTTON";
        let required_message = || lang.pick("必須です。", "Required.");
        match &field.rule {
            Rule::Multi { options, .. } => {
                let values = self.strings(value)?;
                // Empty items are skipped, so a list of only "" is empty (UNCONFIRMED).
                if values.iter().all(String::is_empty) {
                    if required {
                        self.push(place.path(&field.code, "values"), required_message());
                    }
                    return Ok(json!([]));
                }
                for (index, item) in values.iter().enumerate() {
                    if !item.is_empty() && !options.contains(item) {
                        self.push(
                            place.path(&field.code, &format!("values[{index}].value")),
                            not_an_option(lang, item),
                        );
                    }
                }
                let kept: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
                Ok(json!(kept))
            }
            Rule::File => {
                let items = self.objects(value, "fileKey")?;
                if items.is_empty() && required {
                    self.push(place.path(&field.code, "values"), required_message());
                }
                let mut files = Vec::new();
                for key in items {
                    let file = self.env.file(&key).ok_or_else(|| {
                        WriteError::Request(KintoneError::file_not_found(lang, &key))
                    })?;
                    files.push(file);
                }
                Ok(Value::Array(files))
            }
            Rule::Entities { .. } => {
                let codes = self.objects(value, "code")?;
                if codes.is_empty() && required {
                    self.push(place.path(&field.code, "values.value"), required_message());
                }
                Ok(Value::Array(
                    codes.iter().map(|code| json!({"code": code, "name": code})).collect(),
                ))
            }
            Rule::Text { .. }
            | Rule::Plain { .. }
            | Rule::Number { .. }
            | Rule::Single { .. }
            | Rule::Moment { .. } => {
                let text = match value {
                    Value::String(text) => text.clone(),
                    Value::Null => String::new(),
                    Value::Number(number) if field.kind == "NUMBER" => number.to_string(),
                    _ => return Err(self.bad_json()),
                };
                let text = if field.kind == "NUMBER" { text.trim().to_owned() } else { text };
                if text.is_empty() {
                    if required {
                        self.push(path.clone(), required_message());
                    }
                    if let Rule::Text { min: Some(min), .. } = field.rule
                        && min >= 1
                        && written == Written::Sent
                    {
                        self.push(path, too_short(lang, min));
                    }
                    let empty = matches!(field.rule, Rule::Single { .. } | Rule::Moment { .. });
                    return Ok(if empty { Value::Null } else { json!("") });
                }
                Ok(json!(self.scalar(field, text, place, required)))
            }
            Rule::Table { .. } | Rule::ReadOnly => Ok(Value::Null),
        }
    }

    /// Checks a non-empty scalar; returns its stored text.
    fn scalar(&mut self, field: &Field, text: String, place: &Place<'_>, required: bool) -> String {
        let lang = self.lang;
        let path = place.path(&field.code, "value");
        match &field.rule {
            Rule::Text { min, max, web, .. } => {
                let length = text.encode_utf16().count();
                let short = min.is_some_and(|min| length < min);
                if let Some(max) = max.filter(|max| length > *max) {
                    let message = match lang {
                        Lang::Ja => format!("{}文字より短くなければなりません。", max + 1),
                        Lang::En => format!("Enter less than {} characters.", max + 1),
                    };
                    self.push(path.clone(), message);
                }
                if let Some(min) = min.filter(|min| length < *min) {
                    self.push(path.clone(), too_short(lang, min));
                }
                let address = text.contains("://")
                    || text.split('/').next().is_some_and(|host| host.contains('.'));
                if (short && field.kind == "LINK") || (*web && !address) {
                    let message =
                        lang.pick("URLの形式が正しくありません。", "The URL format is not valid.");
                    self.push(path, message);
                }
                text
            }
            Rule::Number { min, max, .. } => {
                let Some(number) = Number::parse(&text) else {
                    if matches!(place, Place::Top) {
                        let bracket = format!("record[{}].value", field.code);
                        self.push(
                            bracket,
                            lang.pick("数字でなければなりません。", "Only numbers are allowed."),
                        );
                        if required {
                            self.push(path, lang.pick("必須です。", "Required."));
                        }
                    }
                    return String::new();
                };
                if number.integer_digits() > 12 {
                    let message = lang.pick(
                        "整数部は12桁以内で入力してください。",
                        "Enter at most 12 digits before the decimal point.",
                    );
                    self.push(path.clone(), message);
                }
                if let Some(max) =
                    max.as_ref().filter(|max| Number::parse(max).is_some_and(|m| number > m))
                {
                    let message = match lang {
                        Lang::Ja => format!("{max}以下である必要があります。"),
                        Lang::En => format!("The value must be {max} or less."),
                    };
                    self.push(path.clone(), message);
                }
                if let Some(min) =
                    min.as_ref().filter(|min| Number::parse(min).is_some_and(|m| number < m))
                {
                    let message = match lang {
                        Lang::Ja => format!("{min}以上である必要があります。"),
                        Lang::En => format!("The value must be {min} or more."),
                    };
                    self.push(path, message);
                }
                if text.contains(['e', 'E']) || text.starts_with('+') {
                    number.plain()
                } else {
                    text
                }
            }
            Rule::Single { options, .. } => {
                if !options.contains(&text) {
                    self.push(path, not_an_option(lang, &text));
                }
                text
            }
            Rule::Moment { .. } => {
                let normalized = match field.kind.as_str() {
                    "DATE" => crate::time::parse_date(&text),
                    "TIME" => crate::time::parse_time(&text),
                    _ => crate::time::parse_datetime(&text),
                };
                match normalized {
                    Some(normalized) => normalized,
                    None => {
                        let message = match field.kind.as_str() {
                            "DATE" => {
                                lang.pick("日付の形式が正しくありません。", "Enter a valid date.")
                            }
                            "TIME" => lang.pick(
                                "時刻の形式が正しくありません。",
                                "Enter a valid time (HH:MM).",
                            ),
                            _ => lang.pick(
                                "日時の形式が正しくありません。",
                                "Enter a valid date and time.",
                            ),
                        };
                        self.push(path, message);
                        text
                    }
                }
            }
            _ => text,
        }
    }

    /// A list of strings (CHECK_BOX, MULTI_SELECT); `null` is an empty list.
    fn strings(&self, value: &Value) -> Result<Vec<String>, WriteError> {
        match value {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| self.bad_json()),
            _ => Err(self.bad_json()),
        }
    }

    /// A list of objects each carrying the string `key` (`fileKey`, `code`).
    fn objects(&self, value: &Value, key: &str) -> Result<Vec<String>, WriteError> {
        match value {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => items
                .iter()
                .map(|item| item.get(key).and_then(Value::as_str).map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| self.bad_json()),
            _ => Err(self.bad_json()),
        }
    }

    /// A SUBTABLE: rows with an `id` of a stored row are merged into it, other rows are new,
    /// stored rows not sent are removed; an absent table keeps its rows (update) or has none.
    fn table(
        &mut self,
        field: &Field,
        inner: &[Field],
        sent: Option<&Value>,
        current: Option<&Value>,
        place: &Place<'_>,
    ) -> Result<Value, WriteError> {
        if !matches!(place, Place::Top) {
            return Ok(json!([]));
        }
        let current_rows: Vec<&Value> =
            current.and_then(Value::as_array).map(|rows| rows.iter().collect()).unwrap_or_default();
        let sent_rows: Vec<Value> = match sent {
            None => return Ok(Value::Array(current_rows.into_iter().cloned().collect())),
            Some(Value::Null) => Vec::new(),
            Some(Value::Array(rows)) => rows.clone(),
            Some(_) => return Err(self.bad_json()),
        };
        let mut rows = Vec::new();
        let mut seen = BTreeSet::new();
        for (index, row) in sent_rows.iter().enumerate() {
            let row = row.as_object().ok_or_else(|| self.bad_json())?;
            let id = match row.get("id") {
                None | Some(Value::Null) => None,
                Some(Value::String(id)) => Some(id.parse::<u64>().map_err(|_| self.bad_json())?),
                Some(Value::Number(id)) => Some(id.as_u64().ok_or_else(|| self.bad_json())?),
                Some(_) => return Err(self.bad_json()),
            };
            let values = match row.get("value") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(values)) => values.clone(),
                Some(_) => return Err(self.bad_json()),
            };
            let existing = id.and_then(|id| {
                current_rows
                    .iter()
                    .find(|r| r.get("id").and_then(Value::as_str) == Some(id.to_string().as_str()))
            });
            let row_place = Place::Row { table: &field.code, row: index };
            let stored = match existing {
                Some(existing) => {
                    let existing_values = existing.get("value").and_then(Value::as_object);
                    self.scope(inner, &values, existing_values.or(Some(&Map::new())), &row_place)?
                }
                None => self.scope(inner, &values, None, &row_place)?,
            };
            let kept_id = existing.and(id);
            if let Some(id) = kept_id
                && !seen.insert(id)
            {
                return Err(KintoneError::duplicated_row(&field.code).into());
            }
            rows.push((kept_id, stored));
        }
        Ok(Value::Array(
            rows.into_iter()
                .map(|(id, stored)| {
                    // New rows get their id when the record is stored (see `Store::assign_row_ids`).
                    json!({ "id": id.map(|id| id.to_string()), "value": stored })
                })
                .collect(),
        ))
    }
}

/// A field in read shape: `{"type", "value"}`.
fn typed(field: &Field, value: Value) -> Value {
    let mut typed = Map::new();
    typed.insert("type".to_owned(), Value::String(field.kind.clone()));
    typed.insert("value".to_owned(), value);
    Value::Object(typed)
}

/// Whether a value was written by the request (sent, or a default on add) or kept from the
/// stored record by an update that left the field out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Written {
    Sent,
    Kept,
}

/// kintone's `minLength` message: "longer than min - 1".
fn too_short(lang: Lang, min: usize) -> String {
    let shorter = min.saturating_sub(1);
    match lang {
        Lang::Ja => format!("{shorter}文字より長くなければなりません。"),
        Lang::En => format!("Enter more than {shorter} characters."),
    }
}

/// The empty value of a field in read shape.
fn empty_value(field: &Field) -> Value {
    match field.rule {
        Rule::Multi { .. } | Rule::File | Rule::Entities { .. } | Rule::Table { .. } => json!([]),
        Rule::Single { .. } | Rule::Moment { .. } => Value::Null,
        _ => json!(""),
    }
}

/// A stored value turned back into write shape, to check it again on update.
fn stored_to_write(field: &Field, value: &Value) -> Value {
    match (&field.rule, value) {
        (Rule::File, Value::Array(files)) => Value::Array(
            files
                .iter()
                .map(|f| json!({ "fileKey": f.get("fileKey").cloned().unwrap_or(Value::Null) }))
                .collect(),
        ),
        _ => value.clone(),
    }
}

fn not_an_option(lang: Lang, value: &str) -> String {
    match lang {
        Lang::Ja => format!("\"{value}\"は選択肢にありません。"),
        Lang::En => format!("The value, \"{value}\", is not in options."),
    }
}
