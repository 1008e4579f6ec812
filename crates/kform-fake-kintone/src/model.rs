//! The fake's own reading of a `fields.json` `properties` object: what each field accepts on a
//! write, parsed once when the fake starts (independently of `kform-core`).
//!
//! Settings arrive as kintone sends them: limits as strings (`""` when unset), flags as booleans.
//! A setting of the wrong JSON type is refused at start with its JSON path, so a pasted
//! `fields.json` that kintone could not have produced is caught before any test runs.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One field of an app (or of a table row).
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) code: String,
    /// kintone's `type` string.
    pub(crate) kind: String,
    pub(crate) required: bool,
    pub(crate) unique: bool,
    pub(crate) rule: Rule,
    /// The field's `lookup` settings, when it is a lookup key.
    pub(crate) lookup: Option<Lookup>,
}

/// What a field accepts.
#[derive(Clone, Debug)]
pub(crate) enum Rule {
    /// SINGLE_LINE_TEXT and LINK: a string with optional length limits; `web` for a LINK whose
    /// protocol is WEB.
    Text { min: Option<usize>, max: Option<usize>, default: String, web: bool },
    /// MULTI_LINE_TEXT and RICH_TEXT: any string.
    Plain { default: String },
    /// NUMBER: kintone's number syntax and optional limits (kept as kintone's strings).
    Number { min: Option<String>, max: Option<String>, default: String },
    /// RADIO_BUTTON and DROP_DOWN: one option key.
    Single { options: BTreeSet<String>, default: String },
    /// CHECK_BOX and MULTI_SELECT: option keys.
    Multi { options: BTreeSet<String>, default: Vec<String> },
    /// DATE, TIME, DATETIME.
    Moment { default: String, now: bool },
    /// FILE: file keys.
    File,
    /// USER_SELECT, ORGANIZATION_SELECT, GROUP_SELECT: entity codes.
    Entities { default: Vec<Value> },
    /// SUBTABLE: rows of inner fields.
    Table { fields: Vec<Field> },
    /// Everything a record write cannot set: CALC, built-ins, REFERENCE_TABLE, GROUP, …
    ReadOnly,
}

/// A lookup: the key's source app and field, and the fields copied from the source record.
#[derive(Clone, Debug)]
pub(crate) struct Lookup {
    pub(crate) app: u64,
    pub(crate) key_field: String,
    /// (target field in this app, field in the source app)
    pub(crate) mappings: Vec<(String, String)>,
}

/// A problem in an app's properties, with the JSON path below `properties`.
#[derive(Debug)]
pub(crate) struct PropertyError {
    pub(crate) path: String,
    pub(crate) reason: String,
}

fn problem(path: &str, reason: impl Into<String>) -> PropertyError {
    PropertyError { path: path.to_owned(), reason: reason.into() }
}

/// Parses every field of a `properties` object.
pub(crate) fn parse_properties(
    properties: &Map<String, Value>,
) -> Result<Vec<Field>, PropertyError> {
    properties.iter().map(|(code, property)| parse_field(code, property, code)).collect()
}

fn parse_field(code: &str, property: &Value, path: &str) -> Result<Field, PropertyError> {
    let object = property.as_object().ok_or_else(|| problem(path, "must be an object"))?;
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| problem(&format!("{path}.type"), "must be a string"))?
        .to_owned();
    if let Some(stated) = object.get("code")
        && stated.as_str() != Some(code)
    {
        return Err(problem(&format!("{path}.code"), format!("must equal the key \"{code}\"")));
    }
    let flag = |name: &str| -> Result<bool, PropertyError> {
        match object.get(name) {
            None => Ok(false),
            Some(Value::Bool(value)) => Ok(*value),
            Some(_) => Err(problem(&format!("{path}.{name}"), "must be true or false")),
        }
    };
    let text = |name: &str| -> Result<String, PropertyError> {
        match object.get(name) {
            None => Ok(String::new()),
            Some(Value::String(value)) => Ok(value.clone()),
            Some(_) => Err(problem(&format!("{path}.{name}"), "must be a string")),
        }
    };
    let length = |name: &str| -> Result<Option<usize>, PropertyError> {
        let value = text(name)?;
        if value.is_empty() {
            return Ok(None);
        }
        value.parse().map(Some).map_err(|_| {
            problem(&format!("{path}.{name}"), "must be a whole number in a string, or \"\"")
        })
    };
    let options = || -> Result<BTreeSet<String>, PropertyError> {
        match object.get("options") {
            Some(Value::Object(options)) => Ok(options.keys().cloned().collect()),
            _ => Err(problem(&format!("{path}.options"), "must be an object of options")),
        }
    };
    let lookup = match object.get("lookup") {
        None | Some(Value::Null) => None,
        Some(lookup) => Some(parse_lookup(lookup, &format!("{path}.lookup"))?),
    };
    let rule = if lookup.is_some() {
        // A lookup key carries none of its base type's settings.
        Rule::Plain { default: String::new() }
    } else {
        match kind.as_str() {
            "SINGLE_LINE_TEXT" | "LINK" => Rule::Text {
                min: length("minLength")?,
                max: length("maxLength")?,
                default: text("defaultValue")?,
                web: kind == "LINK"
                    && object.get("protocol").and_then(Value::as_str) == Some("WEB"),
            },
            "MULTI_LINE_TEXT" | "RICH_TEXT" => Rule::Plain { default: text("defaultValue")? },
            "NUMBER" => {
                let limit = |name: &str| -> Result<Option<String>, PropertyError> {
                    let value = text(name)?;
                    if value.is_empty() {
                        Ok(None)
                    } else if crate::number::Number::parse(&value).is_some() {
                        Ok(Some(value))
                    } else {
                        Err(problem(&format!("{path}.{name}"), "must be a number in a string"))
                    }
                };
                Rule::Number {
                    min: limit("minValue")?,
                    max: limit("maxValue")?,
                    default: text("defaultValue")?,
                }
            }
            "RADIO_BUTTON" | "DROP_DOWN" => {
                Rule::Single { options: options()?, default: text("defaultValue")? }
            }
            "CHECK_BOX" | "MULTI_SELECT" => {
                let default = match object.get("defaultValue") {
                    None => Vec::new(),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            problem(&format!("{path}.defaultValue"), "must be a list of strings")
                        })?,
                    Some(_) => {
                        return Err(problem(
                            &format!("{path}.defaultValue"),
                            "must be a list of strings",
                        ));
                    }
                };
                Rule::Multi { options: options()?, default }
            }
            "DATE" | "TIME" | "DATETIME" => {
                Rule::Moment { default: text("defaultValue")?, now: flag("defaultNowValue")? }
            }
            "FILE" => Rule::File,
            "USER_SELECT" | "ORGANIZATION_SELECT" | "GROUP_SELECT" => {
                let default = match object.get("defaultValue") {
                    None => Vec::new(),
                    Some(Value::Array(items)) => items.clone(),
                    Some(_) => {
                        return Err(problem(&format!("{path}.defaultValue"), "must be a list"));
                    }
                };
                Rule::Entities { default }
            }
            "SUBTABLE" => {
                let fields = object
                    .get("fields")
                    .and_then(Value::as_object)
                    .ok_or_else(|| problem(&format!("{path}.fields"), "must be an object"))?;
                let fields = fields
                    .iter()
                    .map(|(inner, property)| {
                        parse_field(inner, property, &format!("{path}.fields.{inner}"))
                    })
                    .collect::<Result<_, _>>()?;
                Rule::Table { fields }
            }
            _ => Rule::ReadOnly,
        }
    };
    Ok(Field {
        code: code.to_owned(),
        required: flag("required")?,
        unique: flag("unique")?,
        kind,
        rule,
        lookup,
    })
}

fn parse_lookup(lookup: &Value, path: &str) -> Result<Lookup, PropertyError> {
    let app = lookup
        .pointer("/relatedApp/app")
        .and_then(|app| match app {
            Value::String(text) => text.parse().ok(),
            Value::Number(number) => number.as_u64(),
            _ => None,
        })
        .ok_or_else(|| problem(&format!("{path}.relatedApp.app"), "must be an app id"))?;
    let key_field = lookup
        .get("relatedKeyField")
        .and_then(Value::as_str)
        .ok_or_else(|| problem(&format!("{path}.relatedKeyField"), "must be a field code"))?
        .to_owned();
    let mappings = match lookup.get("fieldMappings") {
        None => Vec::new(),
        Some(Value::Array(mappings)) => mappings
            .iter()
            .enumerate()
            .map(|(index, mapping)| {
                let field = mapping.get("field").and_then(Value::as_str);
                let related = mapping.get("relatedField").and_then(Value::as_str);
                match (field, related) {
                    (Some(field), Some(related)) => Ok((field.to_owned(), related.to_owned())),
                    _ => Err(problem(
                        &format!("{path}.fieldMappings[{index}]"),
                        "must have \"field\" and \"relatedField\"",
                    )),
                }
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(problem(&format!("{path}.fieldMappings"), "must be a list")),
    };
    Ok(Lookup { app, key_field, mappings })
}

/// The codes filled by lookups among `fields`: values sent for them are ignored.
pub(crate) fn lookup_targets(fields: &[Field]) -> BTreeSet<&str> {
    fields
        .iter()
        .filter_map(|field| field.lookup.as_ref())
        .flat_map(|lookup| lookup.mappings.iter().map(|(target, _)| target.as_str()))
        .collect()
}
