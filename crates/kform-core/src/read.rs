//! Reading kform's form and field model (a [`FormDescriptor`], a [`FormSpec`], an app's
//! [`AppFields`]) and the relay's answers ([`SubmitOutcome`], [`ErrorResponse`]) from a
//! `serde_json::Value` by hand, one code path for the relay, the widget and the editor.
//!
//! serde's derived `Deserialize` is generic over the deserializer, and for nested structs full
//! of optional keys it grows large; reading even a small leaf (a `Locale`) from a tree through
//! serde builds in serde_json's whole tree deserializer. The readers here are plain functions
//! over a JSON tree, built once, and nothing in the front ends reads JSON through serde: with
//! them the editor's `.wasm` is 18.8 KB and the widget's 6.5 KB (brotli) smaller than with
//! the derived code. Reading the relay's answers by hand too left the widget with no derived
//! visitor at all, and so without serde's error paths and the `f64` formatting they reach:
//! 12.3 KB less again. The types they read implement `Deserialize` by reading a tree first
//! (`by_reading!`), so `serde_json::from_str`, the relay's storage and every derived type
//! holding them still work; `Serialize` stays derived, and the round-trip tests check that
//! each reader takes exactly what it writes. An error names where it is:
//! `fields.会社名.kind.limits.max_length: …`.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt;

use serde_json::{Map, Value};

use crate::field::{
    AppFields, AppId, Choice, Entity, EntitySelect, EntityType, Field, FieldCode, FieldKind,
    LinkProtocol, Lookup, LookupKey, NotWritableReason, NumberDisplay, NumberLimits, TextLimits,
};
use crate::form::{Capture, FormId, FormItem, FormSpec, InputHint, OnSuccess, ShowIf};
use crate::map::SortedMap;
use crate::message::Locale;
use crate::number::NumberPrecision;
use crate::protocol::{
    CaptchaChallenge, ErrorResponse, FormDescriptor, Problem, SubmissionState, SubmitOutcome,
};
use crate::report::{Issue, IssueCode, Report};

/// Why a JSON value is not what kform reads, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// Where, as keys and indexes from the top (`fields.A.kind`, `options[2]`); empty at the top.
    path: String,
    /// What is wrong, in serde's wording.
    message: String,
}

impl ReadError {
    /// An error with `message`, at the top.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self { path: String::new(), message: message.into() }
    }

    /// The same error, one key further in.
    fn within(mut self, key: &str) -> Self {
        self.path = match self.path.as_bytes().first() {
            None => key.to_owned(),
            Some(b'[') => format!("{key}{}", self.path),
            Some(_) => format!("{key}.{}", self.path),
        };
        self
    }

    /// The same error, inside the list item `index`.
    fn at(mut self, index: usize) -> Self {
        self.path = match self.path.as_bytes().first() {
            None => format!("[{index}]"),
            Some(b'[') => format!("[{index}]{}", self.path),
            Some(_) => format!("[{index}].{}", self.path),
        };
        self
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl core::error::Error for ReadError {}

/// What a reader gives.
pub type Read<T> = Result<T, ReadError>;

/// A value of the wrong JSON type, in serde's wording.
fn invalid<T>(value: &Value, expected: &str) -> Read<T> {
    Err(mismatch(value, expected))
}

/// [`invalid`]'s problem. Apart and not inlined: generic, `invalid` would be built once for
/// each type read, with its formatting inlined at every use.
#[inline(never)]
fn mismatch(value: &Value, expected: &str) -> ReadError {
    let found = match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => format!("boolean `{flag}`"),
        Value::Number(number) => match crate::value::number_text(number) {
            Some(text) => format!("number `{text}`"),
            None => "a fraction".to_owned(),
        },
        // Quoted by hand, not `{:?}`: the front ends then carry no Unicode escaping tables.
        Value::String(text) => format!("string \"{text}\""),
        Value::Array(_) => "sequence".to_owned(),
        Value::Object(_) => "map".to_owned(),
    };
    ReadError::new(format!("invalid type: {found}, expected {expected}"))
}

/// A string.
pub fn string(value: &Value) -> Read<String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        _ => invalid(value, "a string"),
    }
}

/// `true` or `false`.
pub(crate) fn boolean(value: &Value) -> Read<bool> {
    value.as_bool().map_or_else(|| invalid(value, "a boolean"), Ok)
}

/// A whole number that fits `T`.
pub(crate) fn whole<T: TryFrom<u64>>(value: &Value) -> Read<T> {
    let Some(number) = value.as_u64() else { return invalid(value, "a whole number") };
    T::try_from(number).map_err(|_| ReadError::new(format!("{number} is out of range")))
}

/// An object of strings by option (`{"資料請求": "Request documents"}`).
fn option_labels(value: &Value) -> Read<crate::form::OptionLabels> {
    let Value::Object(object) = value else { return invalid(value, "an object of strings") };
    // A JSON object's keys are unique, and `serde_json` keeps them sorted, as the list must be.
    let pairs = object.iter().map(|(key, item)| Ok((key.clone(), string(item)?)));
    Ok(crate::form::OptionLabels(pairs.collect::<Read<_>>()?))
}

/// A list, each item read by `item`.
pub fn list<T>(value: &Value, item: fn(&Value) -> Read<T>) -> Read<Vec<T>> {
    let Value::Array(items) = value else { return invalid(value, "a list") };
    let mut read = Vec::with_capacity(items.len());
    for (index, value) in items.iter().enumerate() {
        read.push(item(value).map_err(|e| e.at(index))?);
    }
    Ok(read)
}

/// One of `names`, each naming a value.
pub(crate) fn named<T: Copy>(value: &Value, names: &[(&str, T)]) -> Read<T> {
    let Value::String(text) = value else { return invalid(value, "a name") };
    names
        .iter()
        .find(|(name, _)| name == text)
        .map(|&(_, found)| found)
        .ok_or_else(|| unknown(text, &mut names.iter().map(|&(name, _)| name)))
}

/// [`named`]'s problem, apart and not inlined for the reason [`mismatch`] is.
#[inline(never)]
fn unknown(text: &str, names: &mut dyn Iterator<Item = &str>) -> ReadError {
    ReadError::new(format!("unknown variant `{text}`, expected one of {}", listed(names)))
}

/// `names` as serde lists what it expected: `` `a`, `b` ``. Written piece by piece: `join`
/// brings the standard library's slice joining into the widget's `.wasm` for this alone.
fn listed(names: &mut dyn Iterator<Item = &str>) -> String {
    let mut out = String::new();
    for name in names {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push('`');
        out.push_str(name);
        out.push('`');
    }
    out
}

/// A JSON object's keys, read one by one. Keys a reader does not ask for are ignored, as serde
/// does.
///
/// A reader asks for every key it needs and builds its value without stopping at a problem:
/// the first problem is kept, with where it is, a blank ([`Blank`]) stands in for the value
/// that could not be read, and [`Object::done`] then gives the problem instead of the value, so
/// no blank is ever seen. With no early return after each key, a reader holds no code to drop
/// what it read before the key that failed; with the key's lookup and the problem's wording
/// apart and not inlined, it holds little more than a call per key. Both took the widget's
/// `.wasm` 1.7 KB and the editor's 1.9 KB (brotli) smaller.
pub(crate) struct Object<'a> {
    map: &'a Map<String, Value>,
    problem: core::cell::RefCell<Option<ReadError>>,
}

impl<'a> Object<'a> {
    /// `value` as an object.
    pub(crate) fn of(value: &'a Value) -> Read<Self> {
        match value.as_object() {
            Some(map) => Ok(Self { map, problem: core::cell::RefCell::new(None) }),
            None => invalid(value, "an object"),
        }
    }

    /// The value of `key`, if the object has it. Not inlined, like [`Object::keep`]: the
    /// readers' generic code then holds only calls, not a B-tree search at every key.
    #[inline(never)]
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Keeps `problem`, met in the value of `key` (or the key missing, when `None`), if it is
    /// the first.
    #[inline(never)]
    fn keep(&self, key: &str, problem: Option<ReadError>) {
        self.note(match problem {
            Some(problem) => problem.within(key),
            None => ReadError::new(format!("missing field `{key}`")),
        });
    }

    /// Keeps `problem` if it is the first.
    fn note(&self, problem: ReadError) {
        self.problem.borrow_mut().get_or_insert(problem);
    }

    /// What `read` gave for `key`, or a blank after keeping its problem.
    fn kept<T: Blank>(&self, key: &str, read: Read<T>) -> T {
        read.unwrap_or_else(|problem| {
            self.keep(key, Some(problem));
            T::blank()
        })
    }

    /// The value of a key that must be present.
    pub(crate) fn need<T: Blank>(&self, key: &str, read: fn(&Value) -> Read<T>) -> T {
        match self.get(key) {
            Some(value) => self.kept(key, read(value)),
            None => {
                self.keep(key, None);
                T::blank()
            }
        }
    }

    /// The value of a key that may be absent or `null`.
    pub(crate) fn maybe<T>(&self, key: &str, read: fn(&Value) -> Read<T>) -> Option<T> {
        match self.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => self.kept(key, read(value).map(Some)),
        }
    }

    /// The value of a key that may be absent or `null`, or `T`'s default.
    pub(crate) fn or_default<T: Default>(&self, key: &str, read: fn(&Value) -> Read<T>) -> T {
        self.maybe(key, read).unwrap_or_default()
    }

    /// Refuses keys other than `known`, as serde's `deny_unknown_fields` does.
    pub(crate) fn only(&self, known: &[&str]) {
        if let Some(key) = self.map.keys().find(|key| !known.contains(&key.as_str())) {
            let known = listed(&mut known.iter().copied());
            self.note(ReadError::new(format!("unknown field `{key}`, expected one of {known}")));
        }
    }

    /// `value`, built from this object's keys, or the first problem met in reading them.
    pub(crate) fn done<T>(&self, value: T) -> Read<T> {
        match self.problem.take() {
            None => Ok(value),
            Some(problem) => Err(problem),
        }
    }
}

impl Drop for Object<'_> {
    fn drop(&mut self) {
        // A reader that forgot `done` would give its blanks as if they were read.
        debug_assert!(
            self.problem.get_mut().is_none(),
            "a reader must end with `Object::done`, which gives its problem"
        );
    }
}

/// A value that stands in for one a reader could not read, until [`Object::done`] gives the
/// problem instead: never seen outside this module.
pub(crate) trait Blank {
    fn blank() -> Self;
}

impl<T: Default> Blank for T {
    fn blank() -> Self {
        T::default()
    }
}

/// Blanks for the types with no default.
macro_rules! blank {
    ($($ty:ty => $blank:expr),* $(,)?) => {$(
        impl Blank for $ty {
            fn blank() -> Self {
                $blank
            }
        }
    )*};
}

blank!(
    SubmissionState => SubmissionState::Accepted,
    KindName => KindName::MultiLineText,
    FieldKind => FieldKind::MultiLineText { default_value: String::new() },
    LinkProtocol => LinkProtocol::Web,
    LookupKey => LookupKey::Text,
    AppId => AppId(0),
    EntityType => EntityType::User,
    NotWritableReason => NotWritableReason::Unsupported,
    FormId => FormId(String::new()),
    FormSpec => FormSpec::new(FormId::blank(), AppId(0)),
);

/// Implements `Deserialize` for types with a `read(&Value) -> Read<Self>`: the deserializer
/// builds a JSON tree and the type reads it.
macro_rules! by_reading {
    ($($ty:ty),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                Self::read(&value).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

impl SubmitOutcome {
    /// Reads a submission's answer.
    pub fn read(value: &Value) -> Read<Self> {
        let o = Object::of(value)?;
        o.done(Self {
            submission_id: o.need("submission_id", string),
            state: o.need("state", SubmissionState::read),
            record_id: o.maybe("record_id", string),
        })
    }
}

impl SubmissionState {
    /// Reads `delivered`, `tested` or `accepted`.
    pub fn read(value: &Value) -> Read<Self> {
        named(
            value,
            &[
                ("delivered", Self::Delivered),
                ("tested", Self::Tested),
                ("accepted", Self::Accepted),
            ],
        )
    }
}

impl ErrorResponse {
    /// Reads an error answer of the relay.
    pub fn read(value: &Value) -> Read<Self> {
        let o = Object::of(value)?;
        o.done(Self {
            message: o.need("message", string),
            code: o.maybe("code", string),
            errors: o.or_default("errors", |value| list(value, Problem::read)),
            render_token: o.maybe("render_token", string),
        })
    }

    /// Reads only the problems of an error answer, each with the message the relay wrote for it
    /// ([`IssueCode::Relayed`], shown as is): how the widget shows a 422 on its fields. The
    /// relay words each message in the language the widget asked for, with the same
    /// [`IssueCode::message`] the widget would use, so nothing is lost by not reading every
    /// issue code back, and the widget's `.wasm` carries no reader for them.
    pub fn read_relayed(value: &Value) -> Read<Report> {
        let o = Object::of(value)?;
        o.done(o.or_default("errors", |value| list(value, relayed)).into_iter().collect())
    }
}

/// One problem of an error answer as [`IssueCode::Relayed`]: its field, path and message.
fn relayed(value: &Value) -> Read<Issue> {
    let o = Object::of(value)?;
    o.done(Issue {
        field: o.maybe("field", field_code),
        path: o.need("path", string),
        code: IssueCode::Relayed { text: o.need("message", string) },
    })
}

impl Problem {
    /// Reads one problem: an issue's keys and its `message`.
    pub fn read(value: &Value) -> Read<Self> {
        let json = crate::tagged::IssueJson::read(value)?;
        Self::try_from(json).map_err(ReadError::new)
    }
}

by_reading!(
    SubmitOutcome,
    SubmissionState,
    ErrorResponse,
    Problem,
    AppFields,
    Field,
    FieldKind,
    Entity,
    NotWritableReason,
    FormSpec,
    FormItem,
    OnSuccess,
    ShowIf,
    FormDescriptor,
);

impl AppFields {
    /// Reads what `Serialize` writes.
    pub fn read(value: &Value) -> Read<Self> {
        let object = Object::of(value)?;
        object.done(Self {
            revision: object.need("revision", string),
            fields: object.need("fields", fields),
            layout_order: object.or_default("layout_order", |v| list(v, field_code)),
        })
    }
}

/// Fields keyed by field code.
fn fields(value: &Value) -> Read<SortedMap<FieldCode, Field>> {
    let Value::Object(map) = value else { return invalid(value, "an object of fields") };
    let mut fields = SortedMap::new();
    for (key, value) in map {
        let field = Field::read(value).map_err(|e| e.within(key))?;
        let code =
            FieldCode::new(key.clone()).map_err(|e| ReadError::new(e.to_string()).within(key))?;
        fields.insert(code, field);
    }
    Ok(fields)
}

/// A non-empty field code.
fn field_code(value: &Value) -> Read<FieldCode> {
    FieldCode::new(string(value)?).map_err(|e| ReadError::new(e.to_string()))
}

/// A kintone app id.
fn app_id(value: &Value) -> Read<AppId> {
    whole(value).map(AppId)
}

impl Field {
    /// Reads what `Serialize` writes.
    pub fn read(value: &Value) -> Read<Self> {
        let object = Object::of(value)?;
        object.done(Self {
            code: object.need("code", field_code),
            label: object.need("label", string),
            required: object.need("required", boolean),
            kind: object.need("kind", FieldKind::read),
        })
    }
}

/// kform's name of each [`FieldKind`] variant: the value of its `type`.
#[derive(Clone, Copy)]
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

const KIND_NAMES: [(&str, KindName); 19] = [
    ("single_line_text", KindName::SingleLineText),
    ("multi_line_text", KindName::MultiLineText),
    ("rich_text", KindName::RichText),
    ("number", KindName::Number),
    ("radio_button", KindName::RadioButton),
    ("drop_down", KindName::DropDown),
    ("check_box", KindName::CheckBox),
    ("multi_select", KindName::MultiSelect),
    ("date", KindName::Date),
    ("time", KindName::Time),
    ("date_time", KindName::DateTime),
    ("link", KindName::Link),
    ("file", KindName::File),
    ("user_select", KindName::UserSelect),
    ("organization_select", KindName::OrganizationSelect),
    ("group_select", KindName::GroupSelect),
    ("subtable", KindName::Subtable),
    ("lookup", KindName::Lookup),
    ("not_writable", KindName::NotWritable),
];

impl FieldKind {
    /// Reads what `Serialize` writes: an object tagged by `type`, its settings beside it.
    pub fn read(value: &Value) -> Read<Self> {
        use KindName as N;
        let o = Object::of(value)?;
        let name = o.need("type", |v| named(v, &KIND_NAMES));
        let unique = || o.need("unique", boolean);
        let default_now = || o.need("default_now", boolean);
        let text = || o.need("default_value", string);
        let options = || o.need("options", |v| list(v, choice));
        let select = || EntitySelect {
            entities: o.or_default("entities", |v| list(v, Entity::read)),
            default_value: o.or_default("default_value", |v| list(v, Entity::read)),
        };
        o.done(match name {
            N::SingleLineText => Self::SingleLineText {
                limits: o.need("limits", text_limits),
                unique: unique(),
                default_value: text(),
            },
            N::MultiLineText => Self::MultiLineText { default_value: text() },
            N::RichText => Self::RichText { default_value: text() },
            N::Number => Self::Number {
                limits: o.need("limits", number_limits),
                unique: unique(),
                default_value: text(),
                display: o.need("display", number_display),
            },
            N::RadioButton => Self::RadioButton { options: options(), default_value: text() },
            N::DropDown => Self::DropDown { options: options(), default_value: text() },
            N::CheckBox => Self::CheckBox {
                options: options(),
                default_value: o.need("default_value", |v| list(v, string)),
            },
            N::MultiSelect => Self::MultiSelect {
                options: options(),
                default_value: o.need("default_value", |v| list(v, string)),
            },
            N::Date => {
                Self::Date { unique: unique(), default_value: text(), default_now: default_now() }
            }
            N::Time => Self::Time { default_value: text(), default_now: default_now() },
            N::DateTime => Self::DateTime {
                unique: unique(),
                default_value: text(),
                default_now: default_now(),
            },
            N::Link => Self::Link {
                protocol: o.need("protocol", link_protocol),
                limits: o.need("limits", text_limits),
                unique: unique(),
                default_value: text(),
            },
            N::File => Self::File { thumbnail_size: o.maybe("thumbnail_size", whole) },
            N::UserSelect => Self::UserSelect(select()),
            N::OrganizationSelect => Self::OrganizationSelect(select()),
            N::GroupSelect => Self::GroupSelect(select()),
            N::Subtable => Self::Subtable { fields: o.need("fields", fields) },
            N::Lookup => Self::Lookup(Lookup {
                key: o.need("key", lookup_key),
                related_app: o.need("related_app", app_id),
                related_key_field: o.need("related_key_field", string),
                field_mappings: o.or_default("field_mappings", |v| list(v, field_mapping)),
            }),
            N::NotWritable => Self::NotWritable {
                kintone_type: o.need("kintone_type", string),
                reason: o.need("reason", NotWritableReason::read),
            },
        })
    }
}

fn choice(value: &Value) -> Read<Choice> {
    let o = Object::of(value)?;
    o.done(Choice { value: o.need("value", string), label: o.need("label", string) })
}

fn text_limits(value: &Value) -> Read<TextLimits> {
    let o = Object::of(value)?;
    o.done(TextLimits {
        min_length: o.maybe("min_length", whole),
        max_length: o.maybe("max_length", whole),
    })
}

fn number_limits(value: &Value) -> Read<NumberLimits> {
    let o = Object::of(value)?;
    o.done(NumberLimits {
        min_value: o.maybe("min_value", string),
        max_value: o.maybe("max_value", string),
    })
}

fn number_display(value: &Value) -> Read<NumberDisplay> {
    let o = Object::of(value)?;
    o.done(NumberDisplay {
        digit: o.or_default("digit", boolean),
        display_scale: o.maybe("display_scale", whole),
        unit: o.or_default("unit", string),
        unit_after: o.or_default("unit_after", boolean),
    })
}

fn link_protocol(value: &Value) -> Read<LinkProtocol> {
    named(
        value,
        &[("WEB", LinkProtocol::Web), ("CALL", LinkProtocol::Call), ("MAIL", LinkProtocol::Mail)],
    )
}

fn lookup_key(value: &Value) -> Read<LookupKey> {
    named(value, &[("text", LookupKey::Text), ("number", LookupKey::Number)])
}

impl NotWritableReason {
    /// Reads the reason's name.
    pub fn read(value: &Value) -> Read<Self> {
        use NotWritableReason as R;
        const NAMES: [(&str, R); 4] = [
            ("system", R::System),
            ("computed", R::Computed),
            ("layout", R::Layout),
            ("unsupported", R::Unsupported),
        ];
        named(value, &NAMES)
    }
}

/// A lookup's `[field code, related field code]` pair.
fn field_mapping(value: &Value) -> Read<(FieldCode, String)> {
    match value.as_array().map(Vec::as_slice) {
        Some([to, from]) => {
            Ok((field_code(to).map_err(|e| e.at(0))?, string(from).map_err(|e| e.at(1))?))
        }
        _ => invalid(value, "a pair of field codes"),
    }
}

impl Entity {
    /// Reads `{code, type}`.
    pub fn read(value: &Value) -> Read<Self> {
        use EntityType as T;
        let o = Object::of(value)?;
        const KINDS: [(&str, T); 4] = [
            ("USER", T::User),
            ("GROUP", T::Group),
            ("ORGANIZATION", T::Organization),
            ("FUNCTION", T::Function),
        ];
        o.done(Self { code: o.need("code", string), kind: o.need("type", |v| named(v, &KINDS)) })
    }
}

/// The languages, by name.
const LOCALES: [(&str, Locale); 2] = [("ja", Locale::Ja), ("en", Locale::En)];

/// What a `capture` item records, by name.
const CAPTURES: [(&str, Capture); 7] = [
    ("utm_source", Capture::UtmSource),
    ("utm_medium", Capture::UtmMedium),
    ("utm_campaign", Capture::UtmCampaign),
    ("utm_term", Capture::UtmTerm),
    ("utm_content", Capture::UtmContent),
    ("gclid", Capture::Gclid),
    ("referrer", Capture::Referrer),
];

/// A language's name: `ja` or `en`.
fn locale(value: &Value) -> Read<Locale> {
    named(value, &LOCALES)
}

/// What a `capture` item records.
fn capture(value: &Value) -> Read<Capture> {
    named(value, &CAPTURES)
}

/// What a text item holds.
fn input_hint(value: &Value) -> Read<InputHint> {
    named(value, &InputHint::NAMES)
}

/// `{digits, decimal_places}`.
fn number_precision(value: &Value) -> Read<NumberPrecision> {
    let o = Object::of(value)?;
    o.done(NumberPrecision {
        digits: o.need("digits", whole),
        decimal_places: o.need("decimal_places", whole),
    })
}

/// `{provider, site_key}`.
fn captcha(value: &Value) -> Read<CaptchaChallenge> {
    let o = Object::of(value)?;
    o.done(CaptchaChallenge {
        provider: o.need("provider", string),
        site_key: o.need("site_key", string),
    })
}

impl FormSpec {
    /// Reads what `Serialize` writes; any other key is refused. The format is not checked
    /// here ([`FormSpec::from_json`] does).
    pub fn read(value: &Value) -> Read<Self> {
        let o = Object::of(value)?;
        o.only(&[
            "format",
            "id",
            "app",
            "default_lang",
            "on_success",
            "test_mode",
            "confirm",
            "update_key",
            "idempotency_field",
            "number_precision",
            "items",
        ]);
        o.done(Self {
            format: o.need("format", whole),
            id: o.need("id", |v| string(v).map(FormId)),
            app: o.need("app", app_id),
            default_lang: o.or_default("default_lang", locale),
            on_success: o.or_default("on_success", OnSuccess::read),
            test_mode: o.or_default("test_mode", boolean),
            confirm: o.or_default("confirm", boolean),
            update_key: o.maybe("update_key", field_code),
            idempotency_field: o.maybe("idempotency_field", field_code),
            number_precision: o.maybe("number_precision", number_precision),
            items: o.need("items", |v| list(v, FormItem::read)),
        })
    }
}

impl OnSuccess {
    /// Reads `"thanks"`, `{"message": …}` or `{"redirect": …}`.
    pub fn read(value: &Value) -> Read<Self> {
        if value.as_str() == Some("thanks") {
            return Ok(Self::Thanks);
        }
        let o = Object::of(value)?;
        o.only(&["message", "redirect"]);
        match o.done((o.maybe("message", string), o.maybe("redirect", string)))? {
            (Some(text), None) => Ok(Self::Message(text)),
            (None, Some(url)) => Ok(Self::Redirect(url)),
            _ => invalid(value, "`\"thanks\"`, `{\"message\": …}` or `{\"redirect\": …}`"),
        }
    }
}

impl FormItem {
    /// Reads what `Serialize` writes; any other key is refused.
    pub fn read(value: &Value) -> Read<Self> {
        let o = Object::of(value)?;
        o.only(&[
            "field",
            "type",
            "label",
            "help",
            "placeholder",
            "initial",
            "input_hint",
            "hidden",
            "required",
            "hide_options",
            "option_labels",
            "max_files",
            "capture",
            "show_if",
            "page_break",
        ]);
        let value = |v: &Value| Ok(crate::value::Value::from_json(v));
        o.done(Self {
            field: o.maybe("field", field_code),
            kintone_type: o.maybe("type", string),
            label: o.maybe("label", string),
            help: o.maybe("help", string),
            placeholder: o.maybe("placeholder", string),
            initial: o.maybe("initial", value),
            input_hint: o.maybe("input_hint", input_hint),
            hidden: o.maybe("hidden", value),
            required: o.or_default("required", boolean),
            hide_options: o.or_default("hide_options", |v| list(v, string)),
            option_labels: o.or_default("option_labels", option_labels),
            max_files: o.maybe("max_files", whole),
            capture: o.maybe("capture", capture),
            show_if: o.maybe("show_if", ShowIf::read),
            page_break: o.or_default("page_break", boolean),
        })
    }
}

impl ShowIf {
    /// Reads `{field, in}`; any other key is refused.
    pub fn read(value: &Value) -> Read<Self> {
        let o = Object::of(value)?;
        o.only(&["field", "in"]);
        o.done(Self {
            field: o.need("field", field_code),
            any_of: o.need("in", |v| list(v, string)),
        })
    }
}

impl FormDescriptor {
    /// Reads what `Serialize` writes.
    pub fn read(value: &Value) -> Read<Self> {
        let o = Object::of(value)?;
        o.done(Self {
            form: o.need("form", FormSpec::read),
            fields: o.need("fields", AppFields::read),
            captcha: o.maybe("captcha", captcha),
            upload_limit_bytes: o.maybe("upload_limit_bytes", whole),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use crate::{AppFields, Field, FieldKind, FormSpec, OnSuccess};

    const EVERY_TYPE: &str = include_str!("../../../tests/fixtures/kintone/every-type-fields.json");

    /// The kinds of `fields`, subtables' inner fields included.
    fn kinds<'a>(fields: impl Iterator<Item = &'a Field>, found: &mut BTreeSet<&'static str>) {
        for field in fields {
            // No wildcard: a new kind fails to compile here until it is counted below, which
            // fails until the fixture has one and `KIND_NAMES` reads it.
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
    fn a_field_kind_missing_a_setting_or_of_the_wrong_shape_is_refused_where_it_is() {
        let read = |json: &str| serde_json::from_str::<FieldKind>(json).map_err(|e| e.to_string());
        let limits = r#"{"default_value": "", "limits": {"max_length": "8"}, "unique": false, "type": "single_line_text"}"#;
        assert!(
            read(limits).unwrap_err().starts_with(
                "limits.max_length: invalid type: string \"8\", expected a whole number"
            ),
            "{:?}",
            read(limits)
        );
        let text = read(
            r#"{"limits": {"max_length": 8}, "unique": true, "default_value": "", "type": "single_line_text"}"#,
        );
        assert!(matches!(text, Ok(FieldKind::SingleLineText { unique: true, .. })), "{text:?}");
        let number =
            read(r#"{"type": "number", "limits": {}, "unique": false, "default_value": ""}"#);
        assert!(number.unwrap_err().starts_with("missing field `display`"));
        let list = read(r#"{"type": "check_box", "options": [], "default_value": "A"}"#);
        assert!(
            list.unwrap_err()
                .starts_with("default_value: invalid type: string \"A\", expected a list")
        );
        let mixed = read(
            r#"{"type": "user_select", "default_value": [{"code": "b", "type": "USER"}, "a"]}"#,
        );
        assert!(
            mixed
                .unwrap_err()
                .starts_with("default_value[1]: invalid type: string \"a\", expected an object")
        );
        let entity =
            read(r#"{"type": "group_select", "entities": [{"code": "b", "type": "TEAM"}]}"#);
        assert!(
            entity
                .unwrap_err()
                .starts_with("entities[0].type: unknown variant `TEAM`, expected one of `USER`")
        );
        assert!(
            read(r#"{"type": "calc"}"#).unwrap_err().starts_with("type: unknown variant `calc`")
        );
        assert!(read(r#"{"unique": true}"#).unwrap_err().starts_with("missing field `type`"));
        // An empty list is no default for a selection; an absent one is none too.
        let empty = read(r#"{"type": "user_select", "default_value": []}"#);
        assert!(matches!(empty, Ok(FieldKind::UserSelect(ref s)) if s.default_value.is_empty()));
    }

    #[test]
    fn a_problem_deep_in_an_app_s_fields_names_its_path() {
        let app = json!({"revision": "3", "fields": {"表": {"code": "表", "label": "表", "required": false,
            "kind": {"type": "subtable", "fields": {"数": {"code": "数", "label": "数", "required": "yes",
                "kind": {"type": "file"}}}}}}});
        assert_eq!(
            AppFields::read(&app).unwrap_err().to_string(),
            "fields.表.kind.fields.数.required: invalid type: string \"yes\", expected a boolean"
        );
        let mapping = json!({"type": "lookup", "key": "text", "related_app": 7,
            "related_key_field": "code", "field_mappings": [["", "name"]]});
        assert_eq!(
            FieldKind::read(&mapping).unwrap_err().to_string(),
            "field_mappings[0][0]: a field code cannot be empty"
        );
        let serde = serde_json::from_value::<AppFields>(json!({"revision": "1"}));
        assert_eq!(serde.unwrap_err().to_string(), "missing field `fields`");
    }

    /// A form with every setting away from its default.
    fn every_setting() -> serde_json::Value {
        json!({
            "format": 1, "id": "lp-spring", "app": 7, "default_lang": "en",
            "on_success": {"redirect": "https://example.com/thanks"},
            "test_mode": true, "confirm": true, "update_key": "メール", "idempotency_field": "受付番号",
            "number_precision": {"digits": 12, "decimal_places": 2},
            "items": [
                {"field": "氏名", "label": "Name", "help": "As on your card", "placeholder": "Taro",
                 "initial": "Taro", "input_hint": "postal_code", "required": true, "page_break": true},
                {"field": "種別", "type": "CHECK_BOX", "hide_options": ["B"], "initial": ["A"],
                 "option_labels": {"A": "Option A"}, "show_if": {"field": "氏名", "in": ["x", "y"]}},
                {"field": "添付", "max_files": 3},
                {"field": "流入元", "capture": "utm_source"},
                {"field": "フォーム識別", "hidden": "lp-spring"},
            ],
        })
    }

    #[test]
    fn a_form_reads_back_what_it_writes_with_every_setting() {
        let json = every_setting();
        let spec = FormSpec::read(&json).unwrap();
        assert_eq!(serde_json::to_value(&spec).unwrap(), json, "nothing lost or added");
        assert_eq!(spec.on_success, OnSuccess::Redirect("https://example.com/thanks".into()));
        assert_eq!(serde_json::from_str::<FormSpec>(&json.to_string()).unwrap(), spec);
        for on_success in [json!("thanks"), json!({"message": "Thank you"})] {
            let mut json = every_setting();
            json["on_success"] = on_success;
            let spec = FormSpec::read(&json).unwrap();
            let written = serde_json::to_value(&spec).unwrap();
            assert_eq!(FormSpec::read(&written).unwrap(), spec);
        }
        let bare =
            FormSpec::read(&json!({"format": 1, "id": "f", "app": 1, "items": [{}]})).unwrap();
        assert_eq!(
            bare,
            FormSpec {
                items: vec![Default::default()],
                ..FormSpec::new(crate::FormId("f".into()), crate::AppId(1))
            }
        );
    }

    #[test]
    fn a_form_refuses_unknown_keys_and_wrong_types_where_they_are() {
        let refused = |change: fn(&mut serde_json::Value)| {
            let mut json = every_setting();
            change(&mut json);
            FormSpec::read(&json).unwrap_err().to_string()
        };
        assert!(
            refused(|j| j["items"][1]["show_if"]["any"] = json!([])).starts_with(
                "items[1].show_if: unknown field `any`, expected one of `field`, `in`"
            )
        );
        assert!(refused(|j| j["colour"] = json!("red")).starts_with("unknown field `colour`"));
        assert_eq!(
            refused(|j| j["items"][1]["option_labels"]["A"] = json!(1)),
            "items[1].option_labels: invalid type: number `1`, expected a string"
        );
        assert!(
            refused(|j| j["items"][0]["input_hint"] = json!("zip"))
                .starts_with("items[0].input_hint: unknown variant `zip`")
        );
        assert_eq!(
            refused(|j| j["items"][2]["max_files"] = json!(-1)),
            "items[2].max_files: invalid type: number `-1`, expected a whole number"
        );
        assert_eq!(
            refused(|j| j["on_success"] = json!({"message": "a", "redirect": "b"})),
            "on_success: invalid type: map, expected `\"thanks\"`, `{\"message\": …}` or `{\"redirect\": …}`"
        );
        assert_eq!(
            refused(|j| j["items"] = json!({})),
            "items: invalid type: map, expected a list"
        );
        assert_eq!(
            refused(|j| j["app"] = json!(null)),
            "app: invalid type: null, expected a whole number"
        );
        // The format is read here and checked by `from_json`.
        let newer = refused(|j| j["format"] = json!(1u64 << 40));
        assert_eq!(newer, "format: 1099511627776 is out of range");
    }

    /// Every name a leaf table reads is the one serde writes for that value, and back.
    fn names_agree<T>(read: fn(&serde_json::Value) -> super::Read<T>, values: &[T])
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for value in values {
            let written = serde_json::to_value(value).unwrap();
            assert_eq!(&read(&written).unwrap(), value, "{written}");
            assert_eq!(&serde_json::from_value::<T>(written).unwrap(), value);
        }
        assert!(read(&json!("nothing")).unwrap_err().to_string().starts_with("unknown variant"));
    }

    #[test]
    fn leaf_names_are_the_ones_serde_writes() {
        use crate::{Capture, InputHint, Locale};
        names_agree(super::locale, &[Locale::Ja, Locale::En]);
        names_agree(
            super::capture,
            &[
                Capture::UtmSource,
                Capture::UtmMedium,
                Capture::UtmCampaign,
                Capture::UtmTerm,
                Capture::UtmContent,
                Capture::Gclid,
                Capture::Referrer,
            ],
        );
        names_agree(
            super::input_hint,
            &[InputHint::Email, InputHint::Tel, InputHint::Url, InputHint::PostalCode],
        );
    }

    #[test]
    fn a_descriptor_reads_its_captcha_and_refuses_a_half_one() {
        let descriptor = json!({
            "form": every_setting(),
            "fields": {"revision": "3", "fields": {}},
            "captcha": {"provider": "turnstile", "site_key": "0x4AAA"},
            "upload_limit_bytes": 1024,
        });
        let read = crate::protocol::FormDescriptor::read(&descriptor).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), descriptor);
        let mut half = descriptor;
        half["captcha"] = json!({"provider": "turnstile"});
        assert_eq!(
            crate::protocol::FormDescriptor::read(&half).unwrap_err().to_string(),
            "captcha: missing field `site_key`"
        );
    }

    #[test]
    fn a_relayed_answer_keeps_each_problem_where_it_is_with_the_relays_words() {
        use crate::report::{Issue, IssueCode, Report};
        use crate::{FieldCode, Locale};
        let code = FieldCode::try_from("会社名".to_owned()).unwrap();
        let report: Report = [
            Issue::on_value(&code, IssueCode::TooLong { max: 64 }),
            Issue { field: None, path: "app".into(), code: IssueCode::Duplicate },
        ]
        .into_iter()
        .collect();
        let answer = crate::protocol::ErrorResponse::invalid("refused", &report, Locale::En);
        let read =
            crate::protocol::ErrorResponse::read_relayed(&serde_json::to_value(&answer).unwrap())
                .unwrap();
        let shown: Vec<_> = read
            .issues()
            .iter()
            .map(|issue| (issue.field.clone(), issue.path.as_str(), issue.code.message(Locale::Ja)))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    Some(code),
                    "record.会社名.value",
                    IssueCode::TooLong { max: 64 }.message(Locale::En)
                ),
                (None, "app", IssueCode::Duplicate.message(Locale::En)),
            ],
            "the relay's (English) words, whatever the reader's locale"
        );
        let none = crate::protocol::ErrorResponse::read_relayed(&json!({"message": "x"})).unwrap();
        assert!(none.is_empty(), "an answer without problems has none");
        let broken = json!({"message": "x", "errors": [{"path": "record.a.value"}]});
        assert_eq!(
            crate::protocol::ErrorResponse::read_relayed(&broken).unwrap_err().to_string(),
            "errors[0]: missing field `message`"
        );
    }

    #[test]
    fn of_several_problems_the_first_in_reading_order_is_the_one_given() {
        let read = |json: serde_json::Value| FormSpec::read(&json).unwrap_err().to_string();
        // `app` is read before `items`, whatever the order of the keys.
        let both = json!({"items": 3, "format": 1, "id": "f", "app": "x"});
        assert_eq!(
            read(both),
            "app: invalid type: string \"x\", expected a whole number",
            "the first problem, not the last nor a blank read on after it"
        );
        let unknown = json!({"extra": true, "format": 1, "id": "f", "app": "x", "items": []});
        assert!(read(unknown).starts_with("unknown field `extra`, expected one of"));
        let fine = json!({"format": 1, "id": "f", "app": 3, "items": []});
        assert_eq!(FormSpec::read(&fine).unwrap().app, crate::AppId(3), "no problem, no blank");
    }
}
