//! The kintone field model: what each field of an app is, what input it takes and whether a
//! public form may write it.
//!
//! These types are parsed once from kintone's JSON in [`crate::kintone`]; the rest of kform only
//! sees them. They also travel to the widget inside the form descriptor, in kform's own JSON
//! shape (snake_case, tagged by `type`).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::map::SortedMap;
use crate::value::Value;

/// A kintone field code, exactly as defined in the app. Invariant: non-empty.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldCode(String);

/// The error for an empty field code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a field code cannot be empty")]
pub struct EmptyFieldCode;

impl crate::read::Blank for FieldCode {
    fn blank() -> Self {
        Self(String::new())
    }
}

impl FieldCode {
    /// Wraps a field code, refusing the empty string.
    pub fn new(code: impl Into<String>) -> Result<Self, EmptyFieldCode> {
        let code = code.into();
        if code.is_empty() { Err(EmptyFieldCode) } else { Ok(Self(code)) }
    }

    /// The code as kintone spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lets maps keyed by `FieldCode` be searched with a `&str` (the derived order is the string's).
impl Borrow<str> for FieldCode {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FieldCode {
    type Error = EmptyFieldCode;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::new(code)
    }
}

impl From<FieldCode> for String {
    fn from(code: FieldCode) -> Self {
        code.0
    }
}

impl fmt::Display for FieldCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A kintone app id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppId(pub u64);

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One field of a kintone app (or of a subtable).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Field {
    /// The field code, the key of every record value.
    pub code: FieldCode,
    /// The label shown in kintone.
    pub label: String,
    /// Whether kintone rejects a record without a value for this field. Always `false` where
    /// kintone accepts the flag but does not enforce it (`RADIO_BUTTON`, `CALC`).
    pub required: bool,
    /// The field type and its settings.
    pub kind: FieldKind,
}

impl Field {
    /// Whether a public form may send a value for this field.
    pub fn is_writable(&self) -> bool {
        self.kind.shape().is_some()
    }

    /// Whether kintone refuses this field empty or left out (when it has no default): it is
    /// required, or it has a `minLength` of 1 or more, which kintone checks on empty values too.
    pub fn refuses_empty(&self) -> bool {
        self.required || self.kind.min_length().is_some()
    }
}

/// A kintone field type with the settings kform needs to render and validate it.
///
/// Read by [`FieldKind::read`], in one pass over the object whatever the place of `type`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// `SINGLE_LINE_TEXT` without a lookup.
    SingleLineText {
        /// Length limits.
        limits: TextLimits,
        /// Whether kintone prohibits duplicate values.
        unique: bool,
        /// The value kintone gives a new record.
        default_value: String,
    },
    /// `MULTI_LINE_TEXT`.
    MultiLineText {
        /// The value kintone gives a new record.
        default_value: String,
    },
    /// `RICH_TEXT`: HTML.
    RichText {
        /// The value kintone gives a new record.
        default_value: String,
    },
    /// `NUMBER` without a lookup.
    Number {
        /// Value limits.
        limits: NumberLimits,
        /// Whether kintone prohibits duplicate values.
        unique: bool,
        /// The value kintone gives a new record.
        default_value: String,
        /// How kintone displays the number.
        display: NumberDisplay,
    },
    /// `RADIO_BUTTON`: exactly one option.
    RadioButton {
        /// Options in kintone's display order.
        options: Vec<Choice>,
        /// The option selected in a new record.
        default_value: String,
    },
    /// `DROP_DOWN`: at most one option.
    DropDown {
        /// Options in kintone's display order.
        options: Vec<Choice>,
        /// The option selected in a new record.
        default_value: String,
    },
    /// `CHECK_BOX`: any number of options.
    CheckBox {
        /// Options in kintone's display order.
        options: Vec<Choice>,
        /// The options checked in a new record.
        default_value: Vec<String>,
    },
    /// `MULTI_SELECT`: any number of options.
    MultiSelect {
        /// Options in kintone's display order.
        options: Vec<Choice>,
        /// The options selected in a new record.
        default_value: Vec<String>,
    },
    /// `DATE`: a calendar date, `YYYY-MM-DD`.
    Date {
        /// Whether kintone prohibits duplicate values.
        unique: bool,
        /// The date of a new record (`""` when none).
        default_value: String,
        /// Whether a new record gets today's date.
        default_now: bool,
    },
    /// `TIME`: a time of day, `HH:MM`.
    Time {
        /// The time of a new record (`""` when none).
        default_value: String,
        /// Whether a new record gets the current time.
        default_now: bool,
    },
    /// `DATETIME`: an instant, stored in UTC.
    DateTime {
        /// Whether kintone prohibits duplicate values.
        unique: bool,
        /// The instant of a new record (`""` when none).
        default_value: String,
        /// Whether a new record gets the current time.
        default_now: bool,
    },
    /// `LINK`: a web address, a phone number or an e-mail address.
    Link {
        /// Which of the three.
        protocol: LinkProtocol,
        /// Length limits.
        limits: TextLimits,
        /// Whether kintone prohibits duplicate values.
        unique: bool,
        /// The value kintone gives a new record.
        default_value: String,
    },
    /// `FILE`: attachments, sent as keys of files uploaded beforehand.
    File {
        /// The thumbnail size kintone shows, in pixels.
        thumbnail_size: Option<u32>,
    },
    /// `USER_SELECT`.
    UserSelect(EntitySelect),
    /// `ORGANIZATION_SELECT`.
    OrganizationSelect(EntitySelect),
    /// `GROUP_SELECT`.
    GroupSelect(EntitySelect),
    /// `SUBTABLE`: rows of inner fields.
    Subtable {
        /// The inner fields, keyed by code.
        fields: SortedMap<FieldCode, Field>,
    },
    /// A lookup: a `SINGLE_LINE_TEXT` or `NUMBER` key that kintone looks up in another app,
    /// copying that record's fields into this one.
    Lookup(Lookup),
    /// A field a public form cannot write, kept so editors can show it with the reason.
    NotWritable {
        /// kintone's type name, e.g. `CALC` or `RECORD_NUMBER`.
        kintone_type: String,
        /// Why a form cannot write it.
        reason: NotWritableReason,
    },
}

/// The JSON shape of a field's value, which is also the kind of input it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// One string: text, a number, a date, a time, one option.
    Text,
    /// Several option keys.
    List,
    /// User, organization or group codes: `[{"code": "…"}]`.
    Entities,
    /// Uploaded file keys: `[{"fileKey": "…"}]`.
    Files,
    /// Subtable rows, each a set of inner values.
    Rows,
}

impl FieldKind {
    /// kintone's name of this type, e.g. `SINGLE_LINE_TEXT` (a lookup reports its key's type).
    pub fn kintone_type(&self) -> &str {
        match self {
            Self::SingleLineText { .. } => "SINGLE_LINE_TEXT",
            Self::MultiLineText { .. } => "MULTI_LINE_TEXT",
            Self::RichText { .. } => "RICH_TEXT",
            Self::Number { .. } => "NUMBER",
            Self::RadioButton { .. } => "RADIO_BUTTON",
            Self::DropDown { .. } => "DROP_DOWN",
            Self::CheckBox { .. } => "CHECK_BOX",
            Self::MultiSelect { .. } => "MULTI_SELECT",
            Self::Date { .. } => "DATE",
            Self::Time { .. } => "TIME",
            Self::DateTime { .. } => "DATETIME",
            Self::Link { .. } => "LINK",
            Self::File { .. } => "FILE",
            Self::UserSelect(_) => "USER_SELECT",
            Self::OrganizationSelect(_) => "ORGANIZATION_SELECT",
            Self::GroupSelect(_) => "GROUP_SELECT",
            Self::Subtable { .. } => "SUBTABLE",
            Self::Lookup(lookup) => match lookup.key {
                LookupKey::Text => "SINGLE_LINE_TEXT",
                LookupKey::Number => "NUMBER",
            },
            Self::NotWritable { kintone_type, .. } => kintone_type,
        }
    }

    /// The shape of this field's value, or `None` when a public form may not write it.
    pub fn shape(&self) -> Option<Shape> {
        Some(match self {
            Self::CheckBox { .. } | Self::MultiSelect { .. } => Shape::List,
            Self::UserSelect(_) | Self::OrganizationSelect(_) | Self::GroupSelect(_) => {
                Shape::Entities
            }
            Self::File { .. } => Shape::Files,
            Self::Subtable { .. } => Shape::Rows,
            Self::NotWritable { .. } => return None,
            _ => Shape::Text,
        })
    }

    /// The settings of a user, organization or group selection, with the kind of entity it
    /// holds.
    pub fn entity_select(&self) -> Option<(EntityType, &EntitySelect)> {
        match self {
            Self::UserSelect(select) => Some((EntityType::User, select)),
            Self::OrganizationSelect(select) => Some((EntityType::Organization, select)),
            Self::GroupSelect(select) => Some((EntityType::Group, select)),
            _ => None,
        }
    }

    /// The `minLength` of a `SINGLE_LINE_TEXT` or `LINK`, when it is 1 or more (kintone
    /// refuses such a field empty, not only short).
    pub fn min_length(&self) -> Option<u32> {
        match self {
            Self::SingleLineText { limits, .. } | Self::Link { limits, .. } => {
                limits.min_length.filter(|min| *min >= 1)
            }
            _ => None,
        }
    }

    /// The options of a choice field, in display order.
    pub fn options(&self) -> Option<&[Choice]> {
        match self {
            Self::RadioButton { options, .. }
            | Self::DropDown { options, .. }
            | Self::CheckBox { options, .. }
            | Self::MultiSelect { options, .. } => Some(options),
            _ => None,
        }
    }

    /// Whether kintone prohibits duplicate values of this field.
    pub fn is_unique(&self) -> bool {
        match self {
            Self::SingleLineText { unique, .. }
            | Self::Number { unique, .. }
            | Self::Date { unique, .. }
            | Self::DateTime { unique, .. }
            | Self::Link { unique, .. } => *unique,
            _ => false,
        }
    }

    /// kintone's default as a form input, when it is a fixed value (not "now" or a function).
    pub fn default_input(&self) -> Option<Value> {
        match self.default_setting() {
            DefaultSetting::Text(text) if !text.is_empty() => Some(Value::Text(text.to_owned())),
            DefaultSetting::List(items) if !items.is_empty() => Some(Value::List(items.to_vec())),
            DefaultSetting::Entities(entities) => {
                let codes: Vec<String> = entities
                    .iter()
                    .filter(|entity| entity.kind != EntityType::Function)
                    .map(|entity| entity.code.clone())
                    .collect();
                (!codes.is_empty()).then_some(Value::Entities(codes))
            }
            _ => None,
        }
    }

    /// Whether kintone fills this field in a new record when the value is absent.
    pub fn has_default(&self) -> bool {
        match self.default_setting() {
            DefaultSetting::None => false,
            DefaultSetting::Now => true,
            DefaultSetting::Text(text) => !text.is_empty(),
            DefaultSetting::List(items) => !items.is_empty(),
            DefaultSetting::Entities(entities) => !entities.is_empty(),
        }
    }

    /// The default setting of this field, borrowed (`Now` wins over a fixed value).
    fn default_setting(&self) -> DefaultSetting<'_> {
        match self {
            Self::Date { default_now: true, .. }
            | Self::Time { default_now: true, .. }
            | Self::DateTime { default_now: true, .. } => DefaultSetting::Now,
            Self::SingleLineText { default_value, .. }
            | Self::MultiLineText { default_value }
            | Self::RichText { default_value }
            | Self::Number { default_value, .. }
            | Self::RadioButton { default_value, .. }
            | Self::DropDown { default_value, .. }
            | Self::Link { default_value, .. }
            | Self::Date { default_value, .. }
            | Self::Time { default_value, .. }
            | Self::DateTime { default_value, .. } => DefaultSetting::Text(default_value),
            Self::CheckBox { default_value, .. } | Self::MultiSelect { default_value, .. } => {
                DefaultSetting::List(default_value)
            }
            Self::UserSelect(select)
            | Self::OrganizationSelect(select)
            | Self::GroupSelect(select) => DefaultSetting::Entities(&select.default_value),
            Self::File { .. }
            | Self::Subtable { .. }
            | Self::Lookup(_)
            | Self::NotWritable { .. } => DefaultSetting::None,
        }
    }
}

/// A field's default setting, as [`FieldKind::default_setting`] borrows it.
enum DefaultSetting<'a> {
    None,
    Now,
    Text(&'a str),
    List(&'a [String]),
    Entities(&'a [Entity]),
}

/// Why a form cannot write a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotWritableReason {
    /// kintone maintains it (record number, creator, status, …).
    System,
    /// kintone computes it (`CALC`, or a lookup copies into it).
    Computed,
    /// A layout element, not a value (`GROUP`, `REFERENCE_TABLE`).
    Layout,
    /// A type kform does not know (a newer kintone's).
    Unsupported,
}

/// One option of a choice field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The value stored in records (kintone's option key).
    pub value: String,
    /// The label shown to people.
    pub label: String,
}

/// Length limits of a text or link field, in the units described in [`crate::validate`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TextLimits {
    /// The fewest characters allowed, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// The most characters allowed, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

/// Value limits of a number field. Invariant: each bound is a number kintone accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NumberLimits {
    /// The smallest value allowed, as kintone wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<String>,
    /// The largest value allowed, as kintone wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<String>,
}

/// How kintone displays a number; kform shows the unit next to the input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NumberDisplay {
    /// Whether kintone groups thousands with commas.
    #[serde(default)]
    pub digit: bool,
    /// Decimal places shown, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_scale: Option<u8>,
    /// The unit, e.g. `円` or `$` (`""` when none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Whether the unit goes after the number (otherwise before).
    #[serde(default)]
    pub unit_after: bool,
}

/// The kind of a `LINK` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LinkProtocol {
    /// An `http` or `https` address.
    Web,
    /// A phone number.
    Call,
    /// An e-mail address.
    Mail,
}

/// Settings of a user, organization or group selection field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EntitySelect {
    /// The entities offered for selection (empty: anyone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<Entity>,
    /// The entities selected in a new record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_value: Vec<Entity>,
}

impl EntitySelect {
    /// Whether only the listed entities may be chosen: a non-empty list naming only entities of
    /// the field's own type (`own`). A group or organization entry in a user field offers its
    /// members, whom kform cannot know, so such a list is open, like an empty one.
    pub fn is_closed(&self, own: EntityType) -> bool {
        !self.entities.is_empty() && self.entities.iter().all(|entity| entity.kind == own)
    }
}

/// A user, organization, group or function (`LOGINUSER()`) in a selection field's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entity {
    /// The user, organization or group code, or the function.
    pub code: String,
    /// What the code names.
    #[serde(rename = "type")]
    pub kind: EntityType,
}

/// What an [`Entity`] code names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityType {
    /// A user.
    User,
    /// A group (role).
    Group,
    /// An organization.
    Organization,
    /// A function such as `LOGINUSER()`.
    Function,
}

/// Settings of a lookup field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lookup {
    /// The type of the key a visitor enters.
    pub key: LookupKey,
    /// The app looked up.
    pub related_app: AppId,
    /// The key field in that app.
    pub related_key_field: String,
    /// The fields kintone copies: (field in this app, field in the related app).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_mappings: Vec<(FieldCode, String)>,
}

/// The type of a lookup's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupKey {
    /// A `SINGLE_LINE_TEXT` key.
    Text,
    /// A `NUMBER` key.
    Number,
}

/// Every field of one kintone app, keyed by field code. Subtable inner fields live inside
/// their table, as in kintone's `fields.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AppFields {
    /// kintone's revision of the app's field settings.
    pub revision: String,
    /// The fields, keyed by code.
    pub fields: SortedMap<FieldCode, Field>,
    /// The top-level field codes in the order kintone's form shows them (its `layout.json`),
    /// when known. Only editors use it; a form's own items decide what visitors see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layout_order: Vec<FieldCode>,
}

impl AppFields {
    /// Every field in the order kintone's form shows it: those the layout lists first, then
    /// the rest (system fields, or all of them when the layout is unknown) by code.
    pub fn in_layout_order(&self) -> Vec<&Field> {
        let mut listed: Vec<&Field> =
            self.layout_order.iter().filter_map(|code| self.fields.get(code)).collect();
        let rest = self.fields.values().filter(|field| !self.layout_order.contains(&field.code));
        listed.extend(rest);
        listed
    }

    /// The field with this code (a `&FieldCode` or a `&str`), if the app has it.
    pub fn get<Q>(&self, code: &Q) -> Option<&Field>
    where
        FieldCode: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.fields.get(code)
    }

    /// Only the fields whose codes are listed (those a form shows), in the same shape.
    pub fn subset<'a>(&self, codes: impl IntoIterator<Item = &'a FieldCode>) -> Self {
        let fields = codes
            .into_iter()
            .filter_map(|code| self.fields.get_key_value(code))
            .map(|(code, field)| (code.clone(), field.clone()))
            .collect();
        // A subset serves a form, which has its own order.
        Self { revision: self.revision.clone(), fields, layout_order: Vec::new() }
    }
}
