//! Reading kform's JSON objects tagged by `code` ([`Issue`] and [`Problem`]) in one pass.
//!
//! serde's derive for an internally tagged enum or a flattened field first copies the whole
//! object into a buffer, because the tag may come last, and then reads the buffer once per
//! variant. That code, built for every type inside the object, was a tenth of the widget's
//! `.wasm`. ([`FieldKind`](crate::FieldKind), tagged by `type`, is read by [`crate::read`].)
//! Here each object is read once into a struct with every key any variant has (all
//! optional), and the variant is built from it afterwards; the JSON is exactly what the derived
//! `Serialize` writes, which the round-trip tests check for every variant.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::string::ToString;
use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::field::FieldCode;
use crate::protocol::Problem;
use crate::report::{Issue, IssueCode};

/// A required key the object lacks, in serde's wording.
fn need<T>(value: Option<T>, key: &'static str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{key}`"))
}

/// The value of `code`: which [`IssueCode`] variant the object is.
#[derive(Clone, Copy)]
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
    LinkFormat,
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
    Relayed,
}

/// Each [`CodeName`] by the name `code` has in JSON.
const CODE_NAMES: [(&str, CodeName); 25] = {
    use CodeName as C;
    [
        ("required", C::Required),
        ("too_long", C::TooLong),
        ("too_short", C::TooShort),
        ("not_a_number", C::NotANumber),
        ("too_large", C::TooLarge),
        ("too_small", C::TooSmall),
        ("too_many_digits", C::TooManyDigits),
        ("not_an_option", C::NotAnOption),
        ("invalid_date", C::InvalidDate),
        ("invalid_time", C::InvalidTime),
        ("invalid_date_time", C::InvalidDateTime),
        ("invalid_url", C::InvalidUrl),
        ("link_format", C::LinkFormat),
        ("invalid_phone", C::InvalidPhone),
        ("invalid_email", C::InvalidEmail),
        ("invalid_postal_code", C::InvalidPostalCode),
        ("too_many_files", C::TooManyFiles),
        ("files_too_large", C::FilesTooLarge),
        ("wrong_shape", C::WrongShape),
        ("unknown_field", C::UnknownField),
        ("not_writable", C::NotWritable),
        ("duplicate", C::Duplicate),
        ("lookup_not_found", C::LookupNotFound),
        ("rejected_by_kintone", C::RejectedByKintone),
        ("relayed", C::Relayed),
    ]
};

impl<'de> Deserialize<'de> for CodeName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        CODE_NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|&(_, code)| code)
            .ok_or_else(|| de::Error::custom(format!("unknown variant `{name}`")))
    }
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
    text: Option<String>,
    /// A [`Problem`]'s rendered message.
    message: Option<String>,
}

impl crate::read::Blank for CodeName {
    fn blank() -> Self {
        Self::Required
    }
}

impl IssueJson {
    /// Reads the object from a JSON tree by hand, as `crate::read` does (the front ends then
    /// build no serde visitor for it).
    pub(crate) fn read(value: &serde_json::Value) -> crate::read::Read<Self> {
        use crate::read::{Object, string, whole};
        let o = Object::of(value)?;
        let field = |value: &serde_json::Value| {
            FieldCode::new(string(value)?)
                .map_err(|err| crate::read::ReadError::new(err.to_string()))
        };
        let code = |value: &serde_json::Value| crate::read::named(value, &CODE_NAMES);
        let param = |value: &serde_json::Value| match value {
            serde_json::Value::String(text) => Ok(Param::Text(text.clone())),
            _ => whole(value).map(Param::Number),
        };
        o.done(Self {
            field: o.maybe("field", field),
            path: o.need("path", string),
            code: o.need("code", code),
            max: o.maybe("max", param),
            min: o.maybe("min", param),
            value: o.maybe("value", string),
            max_mb: o.maybe("max_mb", whole),
            kintone_message: o.maybe("kintone_message", string),
            text: o.maybe("text", string),
            message: o.maybe("message", string),
        })
    }

    /// The issue, and the message when there is one.
    fn into_parts(self) -> Result<(Issue, Option<String>), String> {
        use CodeName as C;
        let Self { field, path, code, max, min, value, max_mb, kintone_message, text, message } =
            self;
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
            C::LinkFormat => IssueCode::LinkFormat,
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
            C::Relayed => IssueCode::Relayed { text: need(text, "text")? },
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
    use crate::{FieldCode, Issue, IssueCode, Locale};

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
            C::LinkFormat,
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
            C::Relayed { text: "必須です。".into() },
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
                | C::LinkFormat
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
                | C::RejectedByKintone { .. }
                | C::Relayed { .. } => {}
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
        let issues: Report = back.errors.iter().map(|problem| problem.issue.clone()).collect();
        assert_eq!(issues, report);
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
