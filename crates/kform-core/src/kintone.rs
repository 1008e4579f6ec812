//! kintone's JSON at the edge: `fields.json` responses into [`AppFields`], and kintone error
//! bodies into a [`Report`]. kintone's wire structs are private to this module.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::field::{
    AppFields, Choice, Field, FieldCode, FieldKind, NotInputtableReason, NumberLimits, TextLimits,
};
use crate::report::{Issue, IssueCode, Report};
use crate::validate::parse_number;

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
    /// Types kform does not know become [`FieldKind::NotInputtable`] with
    /// [`NotInputtableReason::Unsupported`] rather than failing the whole app.
    pub fn from_kintone_json(json: &str) -> Result<Self, FieldsError> {
        let response: FieldsResponse = serde_json::from_str(json)?;
        Self::from_properties(response.revision, &response.properties)
    }

    /// Parses a `properties` object (as in `fields.json`) with the given revision.
    pub fn from_kintone_properties(
        revision: String,
        properties: serde_json::Value,
    ) -> Result<Self, FieldsError> {
        let properties = serde_json::from_value(properties)?;
        Self::from_properties(revision, &properties)
    }

    fn from_properties(
        revision: String,
        properties: &BTreeMap<String, Property>,
    ) -> Result<Self, FieldsError> {
        // Fields that a lookup copies into are written by kintone, never by a form.
        let lookup_targets: BTreeSet<&str> = properties
            .values()
            .filter_map(|property| property.lookup.as_ref())
            .flat_map(|lookup| lookup.field_mappings.iter().map(|mapping| mapping.field.as_str()))
            .collect();
        let mut fields = BTreeMap::new();
        for (key, property) in properties {
            let code = FieldCode::new(key.clone()).map_err(|err| FieldsError::Setting {
                code: key.clone(),
                reason: err.to_string(),
            })?;
            let mut field = property.to_field(code.clone())?;
            if lookup_targets.contains(key.as_str()) {
                field.kind = FieldKind::NotInputtable {
                    kintone_type: property.kind.clone(),
                    reason: NotInputtableReason::Computed,
                };
            }
            fields.insert(code, field);
        }
        Ok(Self { revision, fields })
    }
}

#[derive(Deserialize)]
struct FieldsResponse {
    properties: BTreeMap<String, Property>,
    revision: String,
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
    default_value: DefaultValue,
    #[serde(default)]
    options: BTreeMap<String, OptionProperty>,
    lookup: Option<Lookup>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum DefaultValue {
    #[default]
    None,
    Text(String),
    List(Vec<String>),
    // USER_SELECT and friends carry objects; kform does not use those defaults yet.
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
}

#[derive(Deserialize)]
struct OptionProperty {
    label: String,
    index: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lookup {
    #[serde(default)]
    field_mappings: Vec<FieldMapping>,
}

#[derive(Deserialize)]
struct FieldMapping {
    field: String,
}

impl Property {
    fn to_field(&self, code: FieldCode) -> Result<Field, FieldsError> {
        let setting_error =
            |reason: String| FieldsError::Setting { code: code.to_string(), reason };
        let not_inputtable =
            |reason| FieldKind::NotInputtable { kintone_type: self.kind.clone(), reason };
        let kind = match self.kind.as_str() {
            _ if self.lookup.is_some() => not_inputtable(NotInputtableReason::Unsupported),
            "SINGLE_LINE_TEXT" => FieldKind::SingleLineText {
                limits: TextLimits {
                    min_length: parse_length(&self.min_length).map_err(setting_error)?,
                    max_length: parse_length(&self.max_length).map_err(setting_error)?,
                },
                unique: self.unique,
                default_value: self.default_value.text(),
            },
            "MULTI_LINE_TEXT" => {
                FieldKind::MultiLineText { default_value: self.default_value.text() }
            }
            "NUMBER" => FieldKind::Number {
                limits: NumberLimits {
                    min_value: parse_bound(&self.min_value).map_err(setting_error)?,
                    max_value: parse_bound(&self.max_value).map_err(setting_error)?,
                },
                unique: self.unique,
                default_value: self.default_value.text(),
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
            "DATE" => FieldKind::Date { default_value: self.default_value.text() },
            "RECORD_NUMBER" | "CREATOR" | "CREATED_TIME" | "MODIFIER" | "UPDATED_TIME"
            | "STATUS" | "STATUS_ASSIGNEE" | "CATEGORY" => {
                not_inputtable(NotInputtableReason::System)
            }
            "CALC" => not_inputtable(NotInputtableReason::Computed),
            "GROUP" | "REFERENCE_TABLE" => not_inputtable(NotInputtableReason::Layout),
            _ => not_inputtable(NotInputtableReason::Unsupported),
        };
        // kintone accepts `required` on RADIO_BUTTON and CALC but does not enforce it on writes
        // (NOTES.md §4.3), so kform does not either.
        let required = self.required && !matches!(self.kind.as_str(), "RADIO_BUTTON" | "CALC");
        Ok(Field { code, label: self.label.clone(), required, kind })
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

/// kintone sends unset limits as `""` and set ones as decimal strings.
fn parse_length(text: &str) -> Result<Option<u32>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| format!("length limit {text:?} is not a whole number"))
}

fn parse_bound(text: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    match parse_number(text) {
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

/// kintone's unique-violation message, which kform maps to [`IssueCode::Duplicate`].
const DUPLICATE_MESSAGES: [&str; 2] =
    ["値がほかのレコードと重複しています。", "This value already exists in another record."];

impl ErrorBody {
    /// The problems kintone listed, on the fields their paths name, in kintone's words.
    pub fn to_report(&self) -> Report {
        let Some(errors) = &self.errors else { return Report::default() };
        errors
            .iter()
            .flat_map(|(path, messages)| {
                messages.messages.iter().map(move |message| Issue {
                    field: field_of_path(path),
                    path: path.clone(),
                    code: if DUPLICATE_MESSAGES.contains(&message.as_str()) {
                        IssueCode::Duplicate
                    } else {
                        IssueCode::RejectedByKintone { kintone_message: message.clone() }
                    },
                })
            })
            .collect()
    }
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
