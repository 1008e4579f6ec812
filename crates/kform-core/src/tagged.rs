//! Reading kform's tagged JSON objects ([`FieldKind`] by `type`, [`Issue`] and [`Problem`] by
//! `code`) in one pass.
//!
//! serde's derive for an internally tagged enum or a flattened field first copies the whole
//! object into a buffer, because the tag may come last, and then reads the buffer once per
//! variant. That code, built for every type inside the object, was a tenth of the widget's
//! `.wasm`. Here each object is read once into a struct with every key any variant has (all
//! optional), and the variant is built from it afterwards; the JSON is exactly what the derived
//! `Serialize` writes, which the round-trip tests check for every variant.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::field::{
    AppId, Choice, Entity, EntitySelect, Field, FieldCode, FieldKind, LinkProtocol, Lookup,
    LookupKey, NotWritableReason, NumberDisplay, NumberLimits, TextLimits,
};
use crate::protocol::Problem;
use crate::report::{Issue, IssueCode};

/// A required key the object lacks, in serde's wording.
fn need<T>(value: Option<T>, key: &'static str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{key}`"))
}

/// The value of `type`: which [`FieldKind`] variant the object is.
#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindName {
    SingleLineText,
    MultiLineText,
    RichText,
    Number,
    RadioButton,
    DropDown,
    CheckBox,
    MultiSelect,
    Date,
    Time,
    DateTime,
    Link,
    File,
    UserSelect,
    OrganizationSelect,
    GroupSelect,
    Subtable,
    Lookup,
    NotWritable,
}

/// Every key of every [`FieldKind`] variant. `limits` holds both text and number limits (each
/// variant takes its own), `default_value` a string or a list.
#[derive(Deserialize)]
pub(crate) struct KindJson {
    #[serde(rename = "type")]
    name: KindName,
    limits: Option<LimitsJson>,
    unique: Option<bool>,
    default_value: Option<DefaultJson>,
    default_now: Option<bool>,
    display: Option<NumberDisplay>,
    options: Option<Vec<Choice>>,
    protocol: Option<LinkProtocol>,
    thumbnail_size: Option<u32>,
    entities: Option<Vec<Entity>>,
    fields: Option<BTreeMap<FieldCode, Field>>,
    key: Option<LookupKey>,
    related_app: Option<AppId>,
    related_key_field: Option<String>,
    field_mappings: Option<Vec<(FieldCode, String)>>,
    kintone_type: Option<String>,
    reason: Option<NotWritableReason>,
}

/// [`TextLimits`] and [`NumberLimits`] together.
#[derive(Deserialize)]
struct LimitsJson {
    min_length: Option<u32>,
    max_length: Option<u32>,
    min_value: Option<String>,
    max_value: Option<String>,
}

impl LimitsJson {
    fn text(self) -> TextLimits {
        TextLimits { min_length: self.min_length, max_length: self.max_length }
    }

    fn number(self) -> NumberLimits {
        NumberLimits { min_value: self.min_value, max_value: self.max_value }
    }
}

impl TryFrom<KindJson> for FieldKind {
    type Error = String;

    fn try_from(json: KindJson) -> Result<Self, String> {
        use KindName as N;
        let KindJson { limits, unique, default_value: value, default_now, options, .. } = json;
        let unique = || need(unique, "unique");
        let default_now = || need(default_now, "default_now");
        let limits = || need(limits, "limits");
        let options = || need(options, "options");
        let select = |value: Option<DefaultJson>| -> Result<EntitySelect, String> {
            Ok(EntitySelect {
                entities: json.entities.unwrap_or_default(),
                default_value: entities(value)?,
            })
        };
        Ok(match json.name {
            N::SingleLineText => Self::SingleLineText {
                limits: limits()?.text(),
                unique: unique()?,
                default_value: text(value)?,
            },
            N::MultiLineText => Self::MultiLineText { default_value: text(value)? },
            N::RichText => Self::RichText { default_value: text(value)? },
            N::Number => Self::Number {
                limits: limits()?.number(),
                unique: unique()?,
                default_value: text(value)?,
                display: need(json.display, "display")?,
            },
            N::RadioButton => {
                Self::RadioButton { options: options()?, default_value: text(value)? }
            }
            N::DropDown => Self::DropDown { options: options()?, default_value: text(value)? },
            N::CheckBox => Self::CheckBox { options: options()?, default_value: list(value)? },
            N::MultiSelect => {
                Self::MultiSelect { options: options()?, default_value: list(value)? }
            }
            N::Date => Self::Date {
                unique: unique()?,
                default_value: text(value)?,
                default_now: default_now()?,
            },
            N::Time => Self::Time { default_value: text(value)?, default_now: default_now()? },
            N::DateTime => Self::DateTime {
                unique: unique()?,
                default_value: text(value)?,
                default_now: default_now()?,
            },
            N::Link => Self::Link {
                protocol: need(json.protocol, "protocol")?,
                limits: limits()?.text(),
                unique: unique()?,
                default_value: text(value)?,
            },
            N::File => Self::File { thumbnail_size: json.thumbnail_size },
            N::UserSelect => Self::UserSelect(select(value)?),
            N::OrganizationSelect => Self::OrganizationSelect(select(value)?),
            N::GroupSelect => Self::GroupSelect(select(value)?),
            N::Subtable => Self::Subtable { fields: need(json.fields, "fields")? },
            N::Lookup => Self::Lookup(Lookup {
                key: need(json.key, "key")?,
                related_app: need(json.related_app, "related_app")?,
                related_key_field: need(json.related_key_field, "related_key_field")?,
                field_mappings: json.field_mappings.unwrap_or_default(),
            }),
            N::NotWritable => Self::NotWritable {
                kintone_type: need(json.kintone_type, "kintone_type")?,
                reason: need(json.reason, "reason")?,
            },
        })
    }
}

/// A one-value field's `default_value`: a string.
fn text(value: Option<DefaultJson>) -> Result<String, String> {
    match need(value, "default_value")? {
        DefaultJson::Text(text) => Ok(text),
        _ => Err("invalid type: sequence, expected a string `default_value`".into()),
    }
}

/// A several-option field's `default_value`: a list of option keys.
fn list(value: Option<DefaultJson>) -> Result<Vec<String>, String> {
    match need(value, "default_value")? {
        DefaultJson::List(items) => Ok(items),
        DefaultJson::Text(_) => Err("invalid type: string, expected a list `default_value`".into()),
        DefaultJson::Entities(_) => Err("invalid type: map, expected a string option key".into()),
    }
}

/// A selection's `default_value`: entities; none when absent (an empty list of either kind is
/// none too).
fn entities(value: Option<DefaultJson>) -> Result<Vec<Entity>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(DefaultJson::Entities(entities)) => Ok(entities),
        Some(DefaultJson::List(items)) if items.is_empty() => Ok(Vec::new()),
        Some(_) => Err("invalid type: string, expected an entity `{code, type}`".into()),
    }
}

/// A `default_value`: a string (one value), a list of strings (options) or a list of entities
/// (selections). An empty list is read as strings and taken for either.
enum DefaultJson {
    Text(String),
    List(Vec<String>),
    Entities(Vec<Entity>),
}

impl<'de> Deserialize<'de> for DefaultJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DefaultVisitor;

        impl<'de> Visitor<'de> for DefaultVisitor {
            type Value = DefaultJson;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, or a list of strings or of entities")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<DefaultJson, E> {
                Ok(DefaultJson::Text(text.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DefaultJson, A::Error> {
                let (mut texts, mut entities) = (Vec::new(), Vec::new());
                while let Some(item) = seq.next_element::<ItemJson>()? {
                    match item {
                        ItemJson::Text(text) => texts.push(text),
                        ItemJson::Entity(entity) => entities.push(entity),
                    }
                }
                match (texts.is_empty(), entities.is_empty()) {
                    (_, true) => Ok(DefaultJson::List(texts)),
                    (true, false) => Ok(DefaultJson::Entities(entities)),
                    (false, false) => Err(de::Error::custom("a list mixing strings and entities")),
                }
            }
        }

        deserializer.deserialize_any(DefaultVisitor)
    }
}

/// One item of a `default_value` list.
enum ItemJson {
    Text(String),
    Entity(Entity),
}

impl<'de> Deserialize<'de> for ItemJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;

        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = ItemJson;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an entity `{code, type}`")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<ItemJson, E> {
                Ok(ItemJson::Text(text.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ItemJson, A::Error> {
                Entity::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ItemJson::Entity)
            }
        }

        deserializer.deserialize_any(ItemVisitor)
    }
}

/// The value of `code`: which [`IssueCode`] variant the object is.
#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CodeName {
    Required,
    TooLong,
    TooShort,
    NotANumber,
    TooLarge,
    TooSmall,
    TooManyDigits,
    NotAnOption,
    InvalidDate,
    InvalidTime,
    InvalidDateTime,
    InvalidUrl,
    InvalidPhone,
    InvalidEmail,
    InvalidPostalCode,
    TooManyFiles,
    FilesTooLarge,
    WrongShape,
    UnknownField,
    NotWritable,
    Duplicate,
    LookupNotFound,
    RejectedByKintone,
}

/// Every key of an [`Issue`] (its [`IssueCode`] flattened into it) and of a [`Problem`],
/// which adds `message`. `max` and `min` are numbers for lengths
/// and counts, strings for number values.
#[derive(Deserialize)]
pub(crate) struct IssueJson {
    field: Option<FieldCode>,
    path: String,
    code: CodeName,
    max: Option<Param>,
    min: Option<Param>,
    value: Option<String>,
    max_mb: Option<u32>,
    kintone_message: Option<String>,
    /// A [`Problem`]'s rendered message.
    message: Option<String>,
}

impl IssueJson {
    /// The issue, and the message when there is one.
    fn into_parts(self) -> Result<(Issue, Option<String>), String> {
        use CodeName as C;
        let Self { field, path, code, max, min, value, max_mb, kintone_message, message } = self;
        let value = || need(value, "value");
        let code = match code {
            C::Required => IssueCode::Required,
            C::TooLong => IssueCode::TooLong { max: need(max, "max")?.number()? },
            C::TooShort => IssueCode::TooShort { min: need(min, "min")?.number()? },
            C::NotANumber => IssueCode::NotANumber,
            C::TooLarge => IssueCode::TooLarge { max: need(max, "max")?.text()? },
            C::TooSmall => IssueCode::TooSmall { min: need(min, "min")?.text()? },
            C::TooManyDigits => IssueCode::TooManyDigits { max: need(max, "max")?.number()? },
            C::NotAnOption => IssueCode::NotAnOption { value: value()? },
            C::InvalidDate => IssueCode::InvalidDate,
            C::InvalidTime => IssueCode::InvalidTime,
            C::InvalidDateTime => IssueCode::InvalidDateTime,
            C::InvalidUrl => IssueCode::InvalidUrl,
            C::InvalidPhone => IssueCode::InvalidPhone,
            C::InvalidEmail => IssueCode::InvalidEmail,
            C::InvalidPostalCode => IssueCode::InvalidPostalCode,
            C::TooManyFiles => IssueCode::TooManyFiles { max: need(max, "max")?.number()? },
            C::FilesTooLarge => IssueCode::FilesTooLarge { max_mb: need(max_mb, "max_mb")? },
            C::WrongShape => IssueCode::WrongShape,
            C::UnknownField => IssueCode::UnknownField,
            C::NotWritable => IssueCode::NotWritable,
            C::Duplicate => IssueCode::Duplicate,
            C::LookupNotFound => IssueCode::LookupNotFound { value: value()? },
            C::RejectedByKintone => IssueCode::RejectedByKintone {
                kintone_message: need(kintone_message, "kintone_message")?,
            },
        };
        Ok((Issue { field, path, code }, message))
    }
}

impl TryFrom<IssueJson> for Issue {
    type Error = String;

    fn try_from(json: IssueJson) -> Result<Self, String> {
        json.into_parts().map(|(issue, _)| issue)
    }
}

impl TryFrom<IssueJson> for Problem {
    type Error = String;

    fn try_from(json: IssueJson) -> Result<Self, String> {
        let (issue, message) = json.into_parts()?;
        Ok(Self { issue, message: need(message, "message")? })
    }
}

/// A `max` or `min`: a whole number or, for number values, kintone's string.
enum Param {
    Number(u64),
    Text(String),
}

impl Param {
    fn number<T: TryFrom<u64>>(self) -> Result<T, String> {
        match self {
            Self::Number(number) => {
                T::try_from(number).map_err(|_| format!("{number} is out of range"))
            }
            Self::Text(_) => Err("invalid type: string, expected a whole number".into()),
        }
    }

    fn text(self) -> Result<String, String> {
        match self {
            Self::Text(text) => Ok(text),
            Self::Number(_) => Err("invalid type: integer, expected a string".into()),
        }
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamVisitor;

        impl Visitor<'_> for ParamVisitor {
            type Value = Param;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number or a string")
            }

            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Param, E> {
                Ok(Param::Number(number))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Param, E> {
                Ok(Param::Text(text.to_owned()))
            }
        }

        deserializer.deserialize_any(ParamVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::mem::discriminant;

    use crate::protocol::ErrorResponse;
    use crate::report::Report;
    use crate::{AppFields, Field, FieldCode, FieldKind, Issue, IssueCode, Locale};

    const EVERY_TYPE: &str = include_str!("../../../tests/fixtures/kintone/every-type-fields.json");

    /// The kinds of `fields`, subtables' inner fields included.
    fn kinds<'a>(fields: impl Iterator<Item = &'a Field>, found: &mut BTreeSet<&'static str>) {
        for field in fields {
            // No wildcard: a new kind fails to compile here until it is counted below, which
            // fails until the fixture has one and `KindName` reads it.
            let name = match &field.kind {
                FieldKind::SingleLineText { .. } => "single_line_text",
                FieldKind::MultiLineText { .. } => "multi_line_text",
                FieldKind::RichText { .. } => "rich_text",
                FieldKind::Number { .. } => "number",
                FieldKind::RadioButton { .. } => "radio_button",
                FieldKind::DropDown { .. } => "drop_down",
                FieldKind::CheckBox { .. } => "check_box",
                FieldKind::MultiSelect { .. } => "multi_select",
                FieldKind::Date { .. } => "date",
                FieldKind::Time { .. } => "time",
                FieldKind::DateTime { .. } => "date_time",
                FieldKind::Link { .. } => "link",
                FieldKind::File { .. } => "file",
                FieldKind::UserSelect(_) => "user_select",
                FieldKind::OrganizationSelect(_) => "organization_select",
                FieldKind::GroupSelect(_) => "group_select",
                FieldKind::Subtable { fields } => {
                    kinds(fields.values(), found);
                    "subtable"
                }
                FieldKind::Lookup(_) => "lookup",
                FieldKind::NotWritable { .. } => "not_writable",
            };
            found.insert(name);
        }
    }

    #[test]
    fn every_field_kind_reads_back_what_it_writes() {
        let fields = AppFields::from_kintone_json(EVERY_TYPE).unwrap();
        let mut found = BTreeSet::new();
        kinds(fields.fields.values(), &mut found);
        assert_eq!(found.len(), 19, "the fixture has every kind: {found:?}");
        // From a JSON tree (how the widget reads) and from text (how the relay reads), where
        // `type` comes after most other keys.
        let json = serde_json::to_value(&fields).unwrap();
        assert_eq!(serde_json::from_value::<AppFields>(json.clone()).unwrap(), fields);
        assert_eq!(serde_json::from_str::<AppFields>(&json.to_string()).unwrap(), fields);
    }

    #[test]
    fn a_field_kind_missing_a_setting_or_of_the_wrong_shape_is_refused() {
        let read = |json: &str| serde_json::from_str::<FieldKind>(json).map_err(|e| e.to_string());
        // A bad setting is reported where it is, which serde's buffering could not do.
        let limits = r#"{"default_value": "", "limits": {"max_length": "8"}, "unique": false, "type": "single_line_text"}"#;
        assert_eq!(
            read(limits).unwrap_err(),
            "invalid type: string \"8\", expected u32 at line 1 column 50"
        );
        let text = read(
            r#"{"limits": {"max_length": 8}, "unique": true, "default_value": "", "type": "single_line_text"}"#,
        );
        assert!(matches!(text, Ok(FieldKind::SingleLineText { unique: true, .. })), "{text:?}");
        let number =
            read(r#"{"type": "number", "limits": {}, "unique": false, "default_value": ""}"#);
        assert!(number.unwrap_err().starts_with("missing field `display`"));
        let list = read(r#"{"type": "check_box", "options": [], "default_value": "A"}"#);
        assert!(list.unwrap_err().contains("expected a list"));
        let mixed = read(
            r#"{"type": "user_select", "default_value": ["a", {"code": "b", "type": "USER"}]}"#,
        );
        assert!(mixed.unwrap_err().contains("mixing strings and entities"));
        assert!(read(r#"{"type": "calc"}"#).unwrap_err().starts_with("unknown variant `calc`"));
        assert!(read(r#"{"unique": true}"#).unwrap_err().starts_with("missing field `type`"));
    }

    /// One of each [`IssueCode`], with parameters.
    fn every_code() -> Vec<IssueCode> {
        use IssueCode as C;
        let codes = vec![
            C::Required,
            C::TooLong { max: 64 },
            C::TooShort { min: 2 },
            C::NotANumber,
            C::TooLarge { max: "100".into() },
            C::TooSmall { min: "-1.5".into() },
            C::TooManyDigits { max: 5 },
            C::NotAnOption { value: "無効".into() },
            C::InvalidDate,
            C::InvalidTime,
            C::InvalidDateTime,
            C::InvalidUrl,
            C::InvalidPhone,
            C::InvalidEmail,
            C::InvalidPostalCode,
            C::TooManyFiles { max: 3 },
            C::FilesTooLarge { max_mb: 20 },
            C::WrongShape,
            C::UnknownField,
            C::NotWritable,
            C::Duplicate,
            C::LookupNotFound { value: "K-1".into() },
            C::RejectedByKintone { kintone_message: "値が不正です。".into() },
        ];
        for code in &codes {
            // A new variant fails to compile here: add it to the list above.
            match code {
                C::Required
                | C::TooLong { .. }
                | C::TooShort { .. }
                | C::NotANumber
                | C::TooLarge { .. }
                | C::TooSmall { .. }
                | C::TooManyDigits { .. }
                | C::NotAnOption { .. }
                | C::InvalidDate
                | C::InvalidTime
                | C::InvalidDateTime
                | C::InvalidUrl
                | C::InvalidPhone
                | C::InvalidEmail
                | C::InvalidPostalCode
                | C::TooManyFiles { .. }
                | C::FilesTooLarge { .. }
                | C::WrongShape
                | C::UnknownField
                | C::NotWritable
                | C::Duplicate
                | C::LookupNotFound { .. }
                | C::RejectedByKintone { .. } => {}
            }
        }
        let distinct: BTreeSet<_> =
            codes.iter().map(|code| format!("{:?}", discriminant(code))).collect();
        assert_eq!(distinct.len(), codes.len());
        codes
    }

    #[test]
    fn every_issue_code_reads_back_what_it_writes() {
        let report: Report = every_code()
            .into_iter()
            .enumerate()
            .map(|(i, code)| {
                let field = (i % 2 == 0).then(|| FieldCode::try_from("会社名".to_owned()).unwrap());
                Issue { field, path: format!("record.会社名.values[{i}].value"), code }
            })
            .collect();
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
        let answer = ErrorResponse::invalid("入力内容を確認してください。", &report, Locale::Ja);
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["errors"][1]["code"], "too_long");
        assert_eq!(json["errors"][1]["max"], 64);
        assert_eq!(json["errors"][4]["max"], "100");
        let back: ErrorResponse = serde_json::from_value(json).unwrap();
        assert_eq!(back, answer);
        assert_eq!(back.report(), report);
    }

    #[test]
    fn an_issue_missing_a_parameter_or_of_the_wrong_type_is_refused() {
        let read = |json: &str| serde_json::from_str::<Issue>(json).map_err(|e| e.to_string());
        let path = r#""path": "record.a.value""#;
        assert!(
            read(&format!(r#"{{{path}, "code": "too_long"}}"#))
                .unwrap_err()
                .starts_with("missing field `max`")
        );
        let wrong = read(&format!(r#"{{{path}, "code": "too_large", "max": 100}}"#));
        assert!(wrong.unwrap_err().contains("expected a string"));
        let big = read(&format!(r#"{{{path}, "code": "too_many_digits", "max": 300}}"#));
        assert!(big.unwrap_err().starts_with("300 is out of range"));
        let problem = serde_json::from_str::<crate::protocol::Problem>(&format!(
            r#"{{{path}, "code": "required"}}"#
        ));
        assert!(problem.unwrap_err().to_string().starts_with("missing field `message`"));
    }
}
