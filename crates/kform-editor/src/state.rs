//! The editor's state as a plain struct: the app's fields, the form being built and what the
//! editor shows about it (lint, the preview's descriptor, the embed snippet). Components only
//! render it and call its methods; every rule comes from `kform-core`.

use kform_core::field::{FieldKind, NotWritableReason};
use kform_core::read;
use kform_core::{
    AppFields, AppId, FieldCode, FormId, FormItem, FormSpec, InputHint, LintIssue, Locale,
    OnSuccess, ShowIf, Value, lint,
};
use serde_json::{Map, Value as Json, json};

pub mod delivery;
mod mail;

pub use mail::{MailEdit, MailForm, MailProblem};

#[cfg(test)]
mod tests;

/// The form being edited and the relay settings saved with it (`/v1/admin/forms` bodies).
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// The connection the form writes through.
    pub connection: String,
    /// Page origins allowed to embed the form.
    pub allowed_origins: Vec<String>,
    /// Whether visitors must solve a captcha.
    pub captcha: bool,
    /// Settings the editor does not change (owners, schedule), kept as they were.
    pub other: Map<String, Json>,
    /// The definition.
    pub spec: FormSpec,
}

impl Draft {
    /// A new, empty form on `app`.
    pub fn new(id: &str, connection: &str, app: AppId, lang: Locale) -> Self {
        let spec = FormSpec { default_lang: lang, ..FormSpec::new(FormId(id.to_owned()), app) };
        Self {
            connection: connection.to_owned(),
            allowed_origins: Vec::new(),
            captcha: false,
            other: Map::new(),
            spec,
        }
    }

    /// Reads `GET /v1/admin/forms/{id}`'s answer.
    pub fn from_admin(mut answer: Map<String, Json>) -> Result<Self, String> {
        let spec = answer.remove("spec").ok_or("the answer has no spec")?;
        let spec = FormSpec::read(&spec).map_err(|err| err.to_string())?;
        let Some(Json::String(connection)) = answer.remove("connection") else {
            return Err("the answer has no connection".to_owned());
        };
        let allowed_origins = answer
            .remove("allowed_origins")
            .and_then(|origins| read::list(&origins, read::string).ok())
            .unwrap_or_default();
        let captcha = answer.remove("captcha").and_then(|c| c.as_bool()).unwrap_or(false);
        // What the admin API adds to its answer is not a setting.
        for key in ["source", "lint", "editor_token"] {
            answer.remove(key);
        }
        answer.retain(|_, value| !value.is_null());
        Ok(Self { connection, allowed_origins, captcha, other: answer, spec })
    }

    /// The body of `POST`/`PUT /v1/admin/forms`.
    pub fn to_admin(&self) -> Json {
        let mut body = self.other.clone();
        body.insert("connection".into(), Json::String(self.connection.clone()));
        body.insert("allowed_origins".into(), serde_json::json!(self.allowed_origins));
        body.insert("captcha".into(), Json::Bool(self.captcha));
        body.insert("spec".into(), serde_json::to_value(&self.spec).unwrap_or_default());
        Json::Object(body)
    }
}

/// How a field of the app stands with the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldState {
    /// An item maps it (the first such item's index).
    OnForm(usize),
    /// A form may write it: it can be added.
    Addable,
    /// A form cannot write it, and why.
    NotWritable(NotWritableReason),
}

/// One line of the field list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRow {
    /// The field code.
    pub code: String,
    /// kintone's label.
    pub label: String,
    /// kintone's type, e.g. `SINGLE_LINE_TEXT`.
    pub kintone_type: String,
    /// Whether kintone requires it.
    pub required: bool,
    /// Whether it is on the form, can be added, or cannot be written.
    pub state: FieldState,
}

/// One change to an item.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// The label ("" for kintone's).
    Label(String),
    /// The help text.
    Help(String),
    /// The placeholder.
    Placeholder(String),
    /// The initial value, as typed (a list's items separated by commas).
    Initial(String),
    /// The fixed value of a hidden item, as typed.
    Hidden(String),
    /// The input hint.
    Hint(Option<InputHint>),
    /// Required on this form (tightening only: kintone's required fields stay required).
    Required(bool),
    /// Offers (`true`) or hides (`false`) one of the field's options.
    Offer(String, bool),
    /// The form's own label for one of the field's options (empty: kintone's).
    OptionLabel(String, String),
    /// The field the item maps, or none (a heading or a note).
    Field(Option<String>),
    /// The most files a visitor may attach (FILE fields; `None`: kintone's own limit).
    MaxFiles(Option<u32>),
    /// Shows the item only while the field `code` has one of the comma-separated values, or
    /// always (`None`).
    ShowIf(Option<(String, String)>),
}

/// A change to the form as a whole.
#[derive(Clone, Debug, PartialEq)]
pub enum FormEdit {
    /// The visitor's default language.
    Lang(Locale),
    /// What a visitor sees after sending.
    OnSuccess(OnSuccess),
    /// Allowed origins, one per line or separated by spaces or commas.
    Origins(String),
    /// Test mode.
    TestMode(bool),
    /// The confirmation screen.
    Confirm(bool),
    /// The captcha.
    Captcha(bool),
    /// The update key (upsert).
    UpdateKey(Option<String>),
    /// The field that receives each submission's id.
    IdempotencyField(Option<String>),
}

/// An app's fields as the relay's `…/fields` answers them: read, and as sent, so the preview
/// passes the relay's JSON on rather than writing the fields out again.
#[derive(Clone, Debug)]
pub struct SyncedFields {
    fields: AppFields,
    json: Json,
}

impl SyncedFields {
    /// Reads kform's JSON of an app's fields.
    pub fn read(json: Json) -> Result<Self, read::ReadError> {
        Ok(Self { fields: AppFields::read(&json)?, json })
    }
}

/// Everything the editor screen shows.
#[derive(Clone, Debug, Default)]
pub struct EditorState {
    /// The app's fields, once loaded ([`EditorState::fields`]).
    synced: Option<SyncedFields>,
    /// The form being edited, once chosen.
    pub draft: Option<Draft>,
    /// Whether the form exists on the relay (saved at least once).
    pub saved: bool,
    /// Whether there are changes not saved yet.
    pub dirty: bool,
}

impl EditorState {
    /// Starts editing `draft` against `fields`.
    pub fn open(&mut self, draft: Draft, fields: SyncedFields, saved: bool) {
        self.draft = Some(draft);
        self.synced = Some(fields);
        self.saved = saved;
        self.dirty = false;
    }

    /// The app's fields, once loaded.
    pub fn fields(&self) -> Option<&AppFields> {
        self.synced.as_ref().map(|synced| &synced.fields)
    }

    fn spec_mut(&mut self) -> Option<&mut FormSpec> {
        self.dirty = true;
        self.draft.as_mut().map(|draft| &mut draft.spec)
    }

    /// The form's items, or none before a form is open.
    pub fn items(&self) -> &[FormItem] {
        self.draft.as_ref().map_or(&[], |draft| &draft.spec.items)
    }

    /// The app's fields with how each stands with the form, in the order kintone's form shows
    /// them (by code when the layout is unknown).
    pub fn field_rows(&self) -> Vec<FieldRow> {
        let Some(fields) = self.fields() else { return Vec::new() };
        fields
            .in_layout_order()
            .into_iter()
            .map(|field| {
                let on_form =
                    self.items().iter().position(|item| item.field.as_ref() == Some(&field.code));
                let state = match (&field.kind, on_form) {
                    (FieldKind::NotWritable { reason, .. }, _) => FieldState::NotWritable(*reason),
                    (_, Some(index)) => FieldState::OnForm(index),
                    (_, None) if field.is_writable() => FieldState::Addable,
                    (_, None) => FieldState::NotWritable(NotWritableReason::Unsupported),
                };
                FieldRow {
                    code: field.code.as_str().to_owned(),
                    label: field.label.clone(),
                    kintone_type: field.kind.kintone_type().to_owned(),
                    required: field.required,
                    state,
                }
            })
            .collect()
    }

    /// Adds an item for the field `code` at the end; its index.
    pub fn add_field(&mut self, code: &str) -> Option<usize> {
        let field = self.fields()?.get(code)?.clone();
        let item = FormItem {
            field: Some(field.code.clone()),
            kintone_type: Some(field.kind.kintone_type().to_owned()),
            ..FormItem::default()
        };
        let spec = self.spec_mut()?;
        spec.items.push(item);
        Some(spec.items.len() - 1)
    }

    /// Adds a hidden item that always sends `value` to the field `code` (e.g. the form's
    /// identifier); its index.
    pub fn add_hidden(&mut self, code: &str, value: &str) -> Option<usize> {
        let index = self.add_field(code)?;
        self.edit(index, Edit::Hidden(value.to_owned()));
        Some(index)
    }

    /// Adds a heading or note (no field) at the end; its index.
    pub fn add_note(&mut self, label: &str) -> Option<usize> {
        let spec = self.spec_mut()?;
        spec.items.push(FormItem { label: Some(label.to_owned()), ..FormItem::default() });
        Some(spec.items.len() - 1)
    }

    /// Adds a page break at the end; its index.
    pub fn add_page_break(&mut self, label: &str) -> Option<usize> {
        let spec = self.spec_mut()?;
        let item =
            FormItem { label: Some(label.to_owned()), page_break: true, ..FormItem::default() };
        spec.items.push(item);
        Some(spec.items.len() - 1)
    }

    /// Removes item `index`.
    pub fn remove(&mut self, index: usize) {
        if let Some(spec) = self.spec_mut()
            && index < spec.items.len()
        {
            spec.items.remove(index);
        }
    }

    /// Moves item `index` one place up (`-1`) or down (`1`); its new index.
    pub fn move_item(&mut self, index: usize, by: isize) -> usize {
        let Some(spec) = self.spec_mut() else { return index };
        let len = spec.items.len();
        match index.checked_add_signed(by) {
            Some(to) if index < len && to < len => {
                spec.items.swap(index, to);
                to
            }
            _ => index,
        }
    }

    /// Applies `edit` to item `index`.
    pub fn edit(&mut self, index: usize, edit: Edit) {
        let shape = self
            .items()
            .get(index)
            .and_then(|item| item.field.as_ref())
            .and_then(|code| self.fields()?.get(code))
            .map(|field| field.kind.clone());
        let options: Vec<String> = shape
            .as_ref()
            .and_then(|kind| kind.options())
            .map(|choices| choices.iter().map(|choice| choice.value.clone()).collect())
            .unwrap_or_default();
        // The field an `Edit::Field` maps, with its type, looked up before the item is borrowed.
        let remapped = match &edit {
            Edit::Field(Some(code)) => self
                .fields()
                .and_then(|fields| fields.get(code.as_str()))
                .map(|field| (field.code.clone(), field.kind.kintone_type().to_owned())),
            _ => None,
        };
        let Some(item) = self.spec_mut().and_then(|spec| spec.items.get_mut(index)) else { return };
        let typed = |text: String| -> Option<Value> {
            (!text.is_empty()).then(|| typed_value(shape.as_ref(), text))
        };
        match edit {
            Edit::Label(text) => item.label = non_empty(text),
            Edit::Help(text) => item.help = non_empty(text),
            Edit::Placeholder(text) => item.placeholder = non_empty(text),
            Edit::Initial(text) => item.initial = typed(text),
            Edit::Hidden(text) => item.hidden = typed(text),
            Edit::Hint(hint) => item.input_hint = hint,
            Edit::Required(required) => item.required = required,
            Edit::Offer(option, offered) => {
                item.hide_options.retain(|hidden| *hidden != option);
                if !offered {
                    item.hide_options.push(option);
                    // Kept in kintone's option order, so saving twice gives the same JSON.
                    item.hide_options
                        .sort_by_key(|hidden| options.iter().position(|o| o == hidden));
                }
            }
            Edit::OptionLabel(option, label) => item.option_labels.set(option, non_empty(label)),
            Edit::MaxFiles(max) => item.max_files = max.filter(|max| *max > 0),
            Edit::ShowIf(condition) => {
                item.show_if = condition.and_then(|(code, values)| {
                    let any_of = split_list(&values);
                    Some(ShowIf { field: FieldCode::new(code).ok()?, any_of })
                });
            }
            Edit::Field(_) => {
                item.kintone_type = remapped.as_ref().map(|(_, kintone_type)| kintone_type.clone());
                item.field = remapped.map(|(code, _)| code);
                // What belonged to the old field's options does not carry over.
                item.hide_options.clear();
                item.option_labels = kform_core::OptionLabels::default();
                item.initial = None;
                item.hidden = None;
            }
        }
    }

    /// The fields item `index`'s display may depend on: shown items, other than it, that have
    /// no condition of their own (what lint accepts).
    pub fn show_if_candidates(&self, index: usize) -> Vec<String> {
        self.items()
            .iter()
            .enumerate()
            .filter(|(at, item)| *at != index && item.is_shown() && item.show_if.is_none())
            .filter_map(|(_, item)| item.field.as_ref().map(|code| code.as_str().to_owned()))
            .collect()
    }

    /// Applies a change to the form as a whole.
    pub fn edit_form(&mut self, edit: FormEdit) {
        self.dirty = true;
        let Some(draft) = self.draft.as_mut() else { return };
        let code = |code: Option<String>| {
            code.filter(|c| !c.is_empty()).and_then(|c| FieldCode::new(c).ok())
        };
        match edit {
            FormEdit::Lang(lang) => draft.spec.default_lang = lang,
            FormEdit::OnSuccess(on_success) => draft.spec.on_success = on_success,
            FormEdit::Origins(text) => {
                draft.allowed_origins = text
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|origin| !origin.is_empty())
                    .map(|origin| origin.trim_end_matches('/').to_owned())
                    .collect();
            }
            FormEdit::TestMode(on) => draft.spec.test_mode = on,
            FormEdit::Confirm(on) => draft.spec.confirm = on,
            FormEdit::Captcha(on) => draft.captcha = on,
            FormEdit::UpdateKey(key) => draft.spec.update_key = code(key),
            FormEdit::IdempotencyField(field) => draft.spec.idempotency_field = code(field),
        }
    }

    /// The form's lint problems against the app's fields (none before both are loaded).
    pub fn lint(&self) -> Vec<LintIssue> {
        match (self.fields(), &self.draft) {
            (Some(fields), Some(draft)) => lint(fields, &draft.spec),
            _ => Vec::new(),
        }
    }

    /// What the preview renders: the form's descriptor as the relay would serve it, with only
    /// the fields the form maps.
    pub fn descriptor(&self) -> Option<Json> {
        let (draft, synced) = (self.draft.as_ref()?, self.synced.as_ref()?);
        let all = synced.json.get("fields")?.as_object()?;
        let mut shown = Map::new();
        for code in draft.spec.field_codes() {
            if let Some(field) = all.get(code.as_str()) {
                shown.insert(code.as_str().to_owned(), field.clone());
            }
        }
        let form = serde_json::to_value(&draft.spec).ok()?;
        let revision = synced.json.get("revision").cloned().unwrap_or_default();
        Some(json!({ "form": form, "fields": { "revision": revision, "fields": shown } }))
    }

    /// Fields that may be the update key: unique `SINGLE_LINE_TEXT` or `NUMBER` fields on the
    /// form.
    pub fn update_key_candidates(&self) -> Vec<String> {
        self.unique_fields(|kind, on_form| {
            on_form && matches!(kind, FieldKind::SingleLineText { .. } | FieldKind::Number { .. })
        })
    }

    /// Fields that may receive each submission's id: unique `SINGLE_LINE_TEXT` fields not on
    /// the form.
    pub fn idempotency_candidates(&self) -> Vec<String> {
        self.unique_fields(|kind, on_form| {
            !on_form && matches!(kind, FieldKind::SingleLineText { .. })
        })
    }

    fn unique_fields(&self, keep: impl Fn(&FieldKind, bool) -> bool) -> Vec<String> {
        let Some(fields) = self.fields() else { return Vec::new() };
        fields
            .fields
            .values()
            .filter(|field| field.kind.is_unique())
            .filter(|field| {
                let on_form =
                    self.items().iter().any(|item| item.field.as_ref() == Some(&field.code));
                keep(&field.kind, on_form)
            })
            .map(|field| field.code.as_str().to_owned())
            .collect()
    }

    /// The HTML a site pastes to show the saved form, served by the relay at `relay`.
    pub fn snippet(&self, relay: &str) -> String {
        let relay = relay.trim_end_matches('/');
        let (id, lang) = self.id_and_lang();
        format!(
            "<script type=\"module\" src=\"{relay}/widget/kform.js\"></script>\n\
             <div data-kform=\"{}\" data-kform-relay=\"{relay}\" data-kform-lang=\"{lang}\"></div>",
            html_attribute(&id)
        )
    }

    /// The address a site's own server includes the saved form from, in place of the snippet's
    /// `<div>` (README, "Included by the page's server"). A form id needs no escaping in it.
    pub fn include_address(&self, relay: &str) -> String {
        let relay = relay.trim_end_matches('/');
        let (id, lang) = self.id_and_lang();
        format!("{relay}/v1/forms/{id}/include?lang={lang}&relay={relay}")
    }

    /// The draft's form id and language tag.
    fn id_and_lang(&self) -> (String, &'static str) {
        let (id, lang) = self.draft.as_ref().map_or((String::new(), Locale::Ja), |draft| {
            (draft.spec.id.0.clone(), draft.spec.default_lang)
        });
        (id, lang.tag())
    }

    /// The Content-Security-Policy directives the site needs for the form (README,
    /// "Content-Security-Policy"; a captcha adds its provider's).
    pub fn csp(&self, relay: &str) -> String {
        let origin = origin_of(relay);
        format!("script-src 'self' {origin} 'wasm-unsafe-eval'; connect-src {origin}")
    }
}

/// Whether `id` is a form id the relay takes (the core's rule).
pub fn is_valid_form_id(id: &str) -> bool {
    FormId::is_valid(id)
}

fn non_empty(text: String) -> Option<String> {
    (!text.trim().is_empty()).then_some(text)
}

/// A typed value for a field of `kind`: a list of comma-separated items for list fields, the
/// text itself otherwise.
fn typed_value(kind: Option<&FieldKind>, text: String) -> Value {
    match kind.and_then(FieldKind::shape) {
        Some(kform_core::field::Shape::List) => Value::List(split_list(&text)),
        Some(kform_core::field::Shape::Entities) => Value::Entities(split_list(&text)),
        _ => Value::Text(text),
    }
}

/// Items typed with commas (`,` or `、`) between them.
fn split_list(text: &str) -> Vec<String> {
    text.split([',', '、'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `https://relay.example` from `https://relay.example/anything`.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

/// `text` safe inside a double-quoted HTML attribute.
fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")
}

/// The text an item's value is edited as: a list's items joined by commas.
pub fn value_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::Text(text)) => text.clone(),
        Some(Value::List(items) | Value::Entities(items)) => items.join(", "),
        _ => String::new(),
    }
}
