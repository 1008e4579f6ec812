//! kintone's JSON at the edge: `fields.json` responses into [`AppFields`], kintone error bodies
//! into a [`Report`], and kintone record JSON into a [`Record`]. kintone's wire structs are
//! private to this module.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::field::Shape;
use crate::field::{
    AppFields, AppId, Choice, Entity, EntitySelect, Field, FieldCode, FieldKind, LinkProtocol,
    Lookup, LookupKey, NotWritableReason, NumberDisplay, NumberLimits, TextLimits,
};
use crate::map::SortedMap;
use crate::number::Decimal;
use crate::record::{Record, RecordValue};
use crate::report::{Issue, IssueCode, Report};

/// Why a `fields.json` response could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FieldsError {
    /// The body is not the JSON shape kintone documents.
    #[error("not a kintone fields.json response: {0}")]
    Json(#[from] serde_json::Error),
    /// A field carries a setting kintone would never send.
    #[error("field {code}: {reason}")]
    Setting {
        /// The field code.
        code: String,
        /// What is wrong.
        reason: String,
    },
}

impl AppFields {
    /// Parses the body of `GET /k/v1/app/form/fields.json`.
    ///
    /// Types kform does not know become [`FieldKind::NotWritable`] with
    /// [`NotWritableReason::Unsupported`] rather than failing the whole app.
    pub fn from_kintone_json(json: &str) -> Result<Self, FieldsError> {
        let response: FieldsResponse = serde_json::from_str(json)?;
        let fields = parse_properties(response.properties)?;
        Ok(Self { revision: response.revision, fields, layout_order: Vec::new() })
    }

    /// Parses a `properties` object (as in `fields.json`) with the given revision.
    pub fn from_kintone_properties(
        revision: String,
        properties: serde_json::Value,
    ) -> Result<Self, FieldsError> {
        let properties = serde_json::from_value(properties)?;
        Ok(Self { revision, fields: parse_properties(properties)?, layout_order: Vec::new() })
    }

    /// Takes the order of the fields from the body of `GET /k/v1/app/form/layout.json`: each
    /// row's fields left to right, a table where it stands, a group then the rows inside it.
    /// Labels, spaces and lines have no code and are skipped.
    pub fn set_layout_order(&mut self, layout: &serde_json::Value) {
        fn walk(rows: &serde_json::Value, order: &mut Vec<FieldCode>) {
            for row in rows.as_array().map(Vec::as_slice).unwrap_or_default() {
                let code = |value: &serde_json::Value| {
                    value
                        .get("code")
                        .and_then(serde_json::Value::as_str)
                        .and_then(|c| FieldCode::new(c).ok())
                };
                match row.get("type").and_then(serde_json::Value::as_str) {
                    Some("ROW") => {
                        let fields = row.get("fields").and_then(serde_json::Value::as_array);
                        order.extend(fields.into_iter().flatten().filter_map(code));
                    }
                    Some("GROUP") => {
                        order.extend(code(row));
                        walk(row.get("layout").unwrap_or(&serde_json::Value::Null), order);
                    }
                    _ => order.extend(code(row)),
                }
            }
        }
        let mut order = Vec::new();
        walk(layout.get("layout").unwrap_or(layout), &mut order);
        order.retain(|code| self.fields.contains_key(code));
        order.dedup();
        self.layout_order = order;
    }
}

#[derive(Deserialize)]
struct FieldsResponse {
    properties: BTreeMap<String, serde_json::Value>,
    revision: String,
}

/// The field types kintone documents for fields.json; anything else is a newer kintone's and
/// becomes [`NotWritableReason::Unsupported`].
pub const KINTONE_TYPES: [&str; 28] = [
    "SINGLE_LINE_TEXT",
    "MULTI_LINE_TEXT",
    "RICH_TEXT",
    "NUMBER",
    "CALC",
    "RADIO_BUTTON",
    "CHECK_BOX",
    "MULTI_SELECT",
    "DROP_DOWN",
    "DATE",
    "TIME",
    "DATETIME",
    "LINK",
    "FILE",
    "USER_SELECT",
    "ORGANIZATION_SELECT",
    "GROUP_SELECT",
    "SUBTABLE",
    "REFERENCE_TABLE",
    "GROUP",
    "RECORD_NUMBER",
    "CREATOR",
    "CREATED_TIME",
    "MODIFIER",
    "UPDATED_TIME",
    "STATUS",
    "STATUS_ASSIGNEE",
    "CATEGORY",
];

/// Parses one scope of properties: the app's top level or one subtable's `fields`. Lookups copy
/// only within their scope, so copy targets are found per scope.
fn parse_properties(
    properties: BTreeMap<String, serde_json::Value>,
) -> Result<SortedMap<FieldCode, Field>, FieldsError> {
    let mut parsed = SortedMap::new();
    for (key, json) in properties {
        let code = FieldCode::new(key.clone())
            .map_err(|err| FieldsError::Setting { code: key.clone(), reason: err.to_string() })?;
        let kintone_type = json.get("type").and_then(|kind| kind.as_str()).unwrap_or_default();
        let field = if KINTONE_TYPES.contains(&kintone_type) {
            let property: Property = serde_json::from_value(json).map_err(|err| {
                FieldsError::Setting { code: key.clone(), reason: err.to_string() }
            })?;
            property.to_field(code.clone())?
        } else {
            let label = json.get("label").and_then(|label| label.as_str()).unwrap_or_default();
            Field {
                code: code.clone(),
                label: label.to_owned(),
                required: false,
                kind: FieldKind::NotWritable {
                    kintone_type: kintone_type.to_owned(),
                    reason: NotWritableReason::Unsupported,
                },
            }
        };
        parsed.insert(code, field);
    }
    // Fields that a lookup copies into are written by kintone, never by a form.
    let targets: Vec<FieldCode> = parsed
        .values()
        .filter_map(|field| match &field.kind {
            FieldKind::Lookup(lookup) => Some(lookup.field_mappings.iter().map(|(code, _)| code)),
            _ => None,
        })
        .flatten()
        .cloned()
        .collect();
    for code in targets {
        if let Some(field) = parsed.get_mut(&code) {
            field.kind = FieldKind::NotWritable {
                kintone_type: field.kind.kintone_type().to_owned(),
                reason: NotWritableReason::Computed,
            };
            field.required = false;
        }
    }
    Ok(parsed)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Property {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    min_length: String,
    #[serde(default)]
    max_length: String,
    #[serde(default)]
    min_value: String,
    #[serde(default)]
    max_value: String,
    #[serde(default)]
    digit: bool,
    #[serde(default)]
    display_scale: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    unit_position: String,
    #[serde(default)]
    default_value: DefaultValue,
    #[serde(default)]
    default_now_value: bool,
    #[serde(default)]
    options: BTreeMap<String, OptionProperty>,
    #[serde(default)]
    protocol: String,
    #[serde(default)]
    thumbnail_size: String,
    #[serde(default)]
    entities: Vec<Entity>,
    #[serde(default)]
    fields: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    lookup: Option<LookupProperty>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum DefaultValue {
    #[default]
    None,
    Text(String),
    List(Vec<String>),
    Entities(Vec<Entity>),
    Other(serde::de::IgnoredAny),
}

impl DefaultValue {
    fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            _ => String::new(),
        }
    }

    fn list(&self) -> Vec<String> {
        match self {
            Self::List(items) => items.clone(),
            _ => Vec::new(),
        }
    }

    fn entities(&self) -> Vec<Entity> {
        match self {
            Self::Entities(entities) => entities.clone(),
            _ => Vec::new(),
        }
    }
}

#[derive(Deserialize)]
struct OptionProperty {
    label: String,
    index: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LookupProperty {
    related_app: RelatedApp,
    #[serde(default)]
    related_key_field: String,
    #[serde(default)]
    field_mappings: Vec<FieldMapping>,
}

#[derive(Deserialize)]
struct RelatedApp {
    app: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldMapping {
    field: String,
    #[serde(default)]
    related_field: String,
}

impl Property {
    fn to_field(&self, code: FieldCode) -> Result<Field, FieldsError> {
        let setting_error =
            |reason: String| FieldsError::Setting { code: code.to_string(), reason };
        let not_writable =
            |reason| FieldKind::NotWritable { kintone_type: self.kind.clone(), reason };
        let text_limits = || -> Result<TextLimits, String> {
            Ok(TextLimits {
                min_length: parse_count(&self.min_length, "length limit")?,
                max_length: parse_count(&self.max_length, "length limit")?,
            })
        };
        let entity_select = || EntitySelect {
            entities: self.entities.clone(),
            default_value: self.default_value.entities(),
        };
        let kind = match self.kind.as_str() {
            "SINGLE_LINE_TEXT" | "NUMBER" if self.lookup.is_some() => {
                FieldKind::Lookup(self.to_lookup().map_err(setting_error)?)
            }
            "SINGLE_LINE_TEXT" => FieldKind::SingleLineText {
                limits: text_limits().map_err(setting_error)?,
                unique: self.unique,
                default_value: self.default_value.text(),
            },
            "MULTI_LINE_TEXT" => {
                FieldKind::MultiLineText { default_value: self.default_value.text() }
            }
            "RICH_TEXT" => FieldKind::RichText { default_value: self.default_value.text() },
            "NUMBER" => FieldKind::Number {
                limits: NumberLimits {
                    min_value: parse_bound(&self.min_value).map_err(setting_error)?,
                    max_value: parse_bound(&self.max_value).map_err(setting_error)?,
                },
                unique: self.unique,
                default_value: self.default_value.text(),
                display: NumberDisplay {
                    digit: self.digit,
                    display_scale: parse_count(&self.display_scale, "display scale")
                        .map_err(setting_error)?
                        .map(|scale| u8::try_from(scale).unwrap_or(u8::MAX)),
                    unit: self.unit.clone(),
                    unit_after: self.unit_position == "AFTER",
                },
            },
            "RADIO_BUTTON" => FieldKind::RadioButton {
                options: self.choices().map_err(setting_error)?,
                default_value: self.default_value.text(),
            },
            "DROP_DOWN" => FieldKind::DropDown {
                options: self.choices().map_err(setting_error)?,
                default_value: self.default_value.text(),
            },
            "CHECK_BOX" => FieldKind::CheckBox {
                options: self.choices().map_err(setting_error)?,
                default_value: self.default_value.list(),
            },
            "MULTI_SELECT" => FieldKind::MultiSelect {
                options: self.choices().map_err(setting_error)?,
                default_value: self.default_value.list(),
            },
            "DATE" => FieldKind::Date {
                unique: self.unique,
                default_value: self.default_value.text(),
                default_now: self.default_now_value,
            },
            "TIME" => FieldKind::Time {
                default_value: self.default_value.text(),
                default_now: self.default_now_value,
            },
            "DATETIME" => FieldKind::DateTime {
                unique: self.unique,
                default_value: self.default_value.text(),
                default_now: self.default_now_value,
            },
            "LINK" => FieldKind::Link {
                protocol: match self.protocol.as_str() {
                    "WEB" => LinkProtocol::Web,
                    "CALL" => LinkProtocol::Call,
                    "MAIL" => LinkProtocol::Mail,
                    other => return Err(setting_error(format!("unknown link protocol {other:?}"))),
                },
                limits: text_limits().map_err(setting_error)?,
                unique: self.unique,
                default_value: self.default_value.text(),
            },
            "FILE" => FieldKind::File {
                thumbnail_size: parse_count(&self.thumbnail_size, "thumbnail size")
                    .map_err(setting_error)?,
            },
            "USER_SELECT" => FieldKind::UserSelect(entity_select()),
            "ORGANIZATION_SELECT" => FieldKind::OrganizationSelect(entity_select()),
            "GROUP_SELECT" => FieldKind::GroupSelect(entity_select()),
            "SUBTABLE" => FieldKind::Subtable { fields: parse_properties(self.fields.clone())? },
            "RECORD_NUMBER" | "CREATOR" | "CREATED_TIME" | "MODIFIER" | "UPDATED_TIME"
            | "STATUS" | "STATUS_ASSIGNEE" | "CATEGORY" => not_writable(NotWritableReason::System),
            "CALC" => not_writable(NotWritableReason::Computed),
            "GROUP" | "REFERENCE_TABLE" => not_writable(NotWritableReason::Layout),
            _ => not_writable(NotWritableReason::Unsupported),
        };
        // kintone accepts `required` on RADIO_BUTTON and CALC but does not enforce it on writes
        // (docs/kintone.md §4.3), so kform does not either.
        let required = self.required && kind.shape().is_some() && self.kind != "RADIO_BUTTON";
        Ok(Field { code, label: self.label.clone(), required, kind })
    }

    fn to_lookup(&self) -> Result<Lookup, String> {
        let Some(lookup) = &self.lookup else { return Err("not a lookup".to_owned()) };
        let related_app = lookup
            .related_app
            .app
            .parse()
            .map(AppId)
            .map_err(|_| format!("lookup app {:?} is not an app id", lookup.related_app.app))?;
        let field_mappings = lookup
            .field_mappings
            .iter()
            .filter_map(|mapping| {
                FieldCode::new(mapping.field.clone())
                    .ok()
                    .map(|code| (code, mapping.related_field.clone()))
            })
            .collect();
        Ok(Lookup {
            key: if self.kind == "NUMBER" { LookupKey::Number } else { LookupKey::Text },
            related_app,
            related_key_field: lookup.related_key_field.clone(),
            field_mappings,
        })
    }

    fn choices(&self) -> Result<Vec<Choice>, String> {
        let mut indexed = self
            .options
            .iter()
            .map(|(value, option)| {
                let index: u32 = option
                    .index
                    .parse()
                    .map_err(|_| format!("option {value:?} has index {:?}", option.index))?;
                Ok((index, Choice { value: value.clone(), label: option.label.clone() }))
            })
            .collect::<Result<Vec<_>, String>>()?;
        indexed.sort_by_key(|(index, _)| *index);
        Ok(indexed.into_iter().map(|(_, choice)| choice).collect())
    }
}

/// kintone sends unset counts as `""` and set ones as decimal strings.
fn parse_count(text: &str, what: &str) -> Result<Option<u32>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| format!("{what} {text:?} is not a whole number"))
}

fn parse_bound(text: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    match Decimal::parse(text) {
        Some(_) => Ok(Some(text.to_owned())),
        None => Err(format!("value limit {text:?} is not a number")),
    }
}

/// A kintone error body: `{"id", "code", "message", "errors"?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// kintone's id for this error, to quote to Cybozu's support.
    #[serde(default)]
    pub id: String,
    /// kintone's error code, e.g. `CB_VA01`.
    pub code: String,
    /// kintone's message.
    pub message: String,
    /// Per-path messages of a validation error, keyed by kintone's error path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, PathMessages>>,
}

/// The messages kintone gives for one error path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathMessages {
    /// kintone's messages, in its order.
    pub messages: Vec<String>,
}

impl ErrorBody {
    /// The problems kintone reported, on the fields their paths name.
    ///
    /// `CB_VA01` gives one issue per path and message; messages in kintone's known wording
    /// (Japanese or English) become their [`IssueCode`], so they can be shown in the visitor's
    /// language, and any other message is kept as is. A lookup miss (`GAIA_LO04`) lands on the
    /// lookup field. Any other error becomes one issue on no field, with kintone's code and
    /// message.
    pub fn to_report(&self) -> Report {
        if let Some(errors) = &self.errors {
            return errors
                .iter()
                .flat_map(|(path, messages)| {
                    messages.messages.iter().map(move |message| Issue {
                        field: field_of_path(path),
                        path: path.clone(),
                        code: IssueCode::from_kintone_message(message),
                    })
                })
                .collect();
        }
        if self.code == "GAIA_LO04"
            && let Some((code, value)) = lookup_miss(&self.message)
        {
            return [Issue::on_value(&code, IssueCode::LookupNotFound { value })]
                .into_iter()
                .collect();
        }
        let kintone_message = format!("[{}] {}", self.code, self.message);
        [Issue {
            field: None,
            path: String::new(),
            code: IssueCode::RejectedByKintone { kintone_message },
        }]
        .into_iter()
        .collect()
    }
}

impl IssueCode {
    /// The problem a kintone validation message states, in Japanese or English (docs/kintone.md
    /// §4.3); [`IssueCode::RejectedByKintone`] when the wording is not one kform knows.
    pub fn from_kintone_message(message: &str) -> Self {
        let number = |text: &str| text.parse::<u32>().ok();
        let between = |prefix: &str, suffix: &str| {
            message.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(suffix))
        };
        let parsed = match message {
            "必須です。" | "Required." | "Required field." => Some(Self::Required),
            "数字でなければなりません。" | "Only numbers are allowed." => {
                Some(Self::NotANumber)
            }
            "値がほかのレコードと重複しています。"
            | "This value already exists in another record." => Some(Self::Duplicate),
            _ => None,
        };
        parsed
            .or_else(|| {
                let shorter = message
                    .strip_suffix("文字より短くなければなりません。")
                    .or_else(|| between("Enter less than ", " characters."));
                shorter
                    .and_then(number)
                    .and_then(|n| n.checked_sub(1))
                    .map(|max| Self::TooLong { max })
            })
            .or_else(|| {
                let longer = message
                    .strip_suffix("文字より長くなければなりません。")
                    .or_else(|| between("Enter more than ", " characters."));
                longer.and_then(number).map(|n| Self::TooShort { min: n.saturating_add(1) })
            })
            .or_else(|| {
                let max = message
                    .strip_suffix("以下である必要があります。")
                    .or_else(|| between("The value must be ", " or less."));
                max.filter(|max| Decimal::parse(max).is_some())
                    .map(|max| Self::TooLarge { max: max.to_owned() })
            })
            .or_else(|| {
                let min = message
                    .strip_suffix("以上である必要があります。")
                    .or_else(|| between("The value must be ", " or more."));
                min.filter(|min| Decimal::parse(min).is_some())
                    .map(|min| Self::TooSmall { min: min.to_owned() })
            })
            .or_else(|| {
                let value = between("\"", "\"は選択肢にありません。")
                    .or_else(|| between("The value, \"", "\", is not in options."));
                value.map(|value| Self::NotAnOption { value: value.to_owned() })
            })
            .unwrap_or_else(|| Self::RejectedByKintone { kintone_message: message.to_owned() })
    }
}

/// The field and key of a `GAIA_LO04` message, in either language:
/// `A value P999 in the field prod_code does not exist …` or `フィールド「prod_code」の値「P999」が、…`.
fn lookup_miss(message: &str) -> Option<(FieldCode, String)> {
    if let Some(rest) = message.strip_prefix("フィールド「") {
        let (code, rest) = rest.split_once("」の値「")?;
        let (value, _) = rest.split_once("」が")?;
        return Some((FieldCode::new(code).ok()?, value.to_owned()));
    }
    let rest = message.strip_prefix("A value ")?;
    let (value, rest) = rest.split_once(" in the field ")?;
    let (code, _) = rest.split_once(" does not exist")?;
    Some((FieldCode::new(code).ok()?, value.to_owned()))
}

/// The top-level field code named by a kintone error path: `record.<code>.value`,
/// `record.<code>.values[1].value`, `record[<code>].value`, `records[3].<code>.value`, or a
/// subtable path (whose table code is returned). Request-parameter paths (`app`, `records`) name
/// no field. Field codes cannot contain `.`, `[` or `]` (only `_` among ASCII symbols).
pub fn field_of_path(path: &str) -> Option<FieldCode> {
    let rest = if let Some(rest) = path.strip_prefix("record.") {
        rest
    } else if let Some(rest) = path.strip_prefix("record[") {
        rest
    } else if let Some(rest) = path.strip_prefix("records[") {
        rest.split_once("].")?.1
    } else {
        return None;
    };
    let end = rest.find(['.', ']', '[']).unwrap_or(rest.len());
    FieldCode::new(&rest[..end]).ok()
}

/// The record a bulk call's error path is about, and the path within that record, as kintone
/// wrote it: `records[3].メール.value` → `(3, "メール.value")` (its field is
/// [`field_of_path`]'s). `None` for any other path (a request parameter such as `records`).
pub fn record_of_path(path: &str) -> Option<(usize, &str)> {
    let (index, rest) = path.strip_prefix("records[")?.split_once("].")?;
    Some((index.parse().ok()?, rest))
}

/// Why kintone record JSON could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record JSON at {path}: expected {expected}")]
pub struct RecordJsonError {
    /// Where, as a kintone-style path.
    pub path: String,
    /// What was expected there.
    pub expected: &'static str,
}

impl Record {
    /// Reads a kintone record (`{"<code>": {"value": …}}`, as written to or read from
    /// `record.json`) into the values a form may write. Codes the app lacks, fields a form
    /// cannot write, `$id` and `$revision` are skipped, as kintone skips unknown codes.
    pub fn from_kintone_json(
        fields: &AppFields,
        json: &serde_json::Value,
    ) -> Result<Self, RecordJsonError> {
        read_record(&fields.fields, json, "record")
    }
}

fn read_record(
    fields: &SortedMap<FieldCode, Field>,
    json: &serde_json::Value,
    path: &str,
) -> Result<Record, RecordJsonError> {
    let error = |path: String, expected| RecordJsonError { path, expected };
    let object = json.as_object().ok_or_else(|| error(path.to_owned(), "an object"))?;
    let mut record = Record::default();
    for (code, wrapper) in object {
        let Some(field) = fields.get(code.as_str()) else { continue };
        let Some(shape) = field.kind.shape() else { continue };
        let path = format!("{path}.{code}");
        let value = wrapper
            .as_object()
            .and_then(|wrapper| wrapper.get("value"))
            .ok_or_else(|| error(path.clone(), "{\"value\": …}"))?;
        let value = read_value(field, shape, value, &path)?;
        record.insert(field.code.clone(), value);
    }
    Ok(record)
}

fn read_value(
    field: &Field,
    shape: Shape,
    value: &serde_json::Value,
    path: &str,
) -> Result<RecordValue, RecordJsonError> {
    use serde_json::Value as Json;
    let error = |expected| RecordJsonError { path: format!("{path}.value"), expected };
    let keyed = |key: &str| -> Option<Vec<String>> {
        value
            .as_array()?
            .iter()
            .map(|item| item.get(key).and_then(Json::as_str).map(str::to_owned))
            .collect()
    };
    Ok(match shape {
        Shape::Text => match value {
            Json::Null => RecordValue::Text(String::new()),
            Json::String(text) => RecordValue::Text(text.clone()),
            _ => return Err(error("a string")),
        },
        Shape::List => RecordValue::List(
            value
                .as_array()
                .and_then(|items| {
                    items.iter().map(|item| item.as_str().map(str::to_owned)).collect()
                })
                .ok_or_else(|| error("an array of strings"))?,
        ),
        Shape::Entities => {
            RecordValue::Entities(keyed("code").ok_or_else(|| error("[{\"code\": …}]"))?)
        }
        Shape::Files => {
            RecordValue::Files(keyed("fileKey").ok_or_else(|| error("[{\"fileKey\": …}]"))?)
        }
        Shape::Rows => {
            let FieldKind::Subtable { fields } = &field.kind else {
                return Err(error("a subtable"));
            };
            let rows = value.as_array().ok_or_else(|| error("an array of rows"))?;
            let mut read = Vec::with_capacity(rows.len());
            for (index, row) in rows.iter().enumerate() {
                let row_path = format!("{path}.value[{index}]");
                let inner = row.get("value").ok_or_else(|| RecordJsonError {
                    path: row_path.clone(),
                    expected: "{\"value\": {…}}",
                })?;
                read.push(read_record(fields, inner, &format!("{row_path}.value"))?);
            }
            RecordValue::Rows(read)
        }
    })
}
