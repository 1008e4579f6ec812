//! The fake's in-memory state: apps with their parsed fields and records, users, and files;
//! and the record operations every endpoint shares (add, update, delete), each all-or-nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::error::{KintoneError, Lang};
use crate::model::{Field, Rule};
use crate::write::{Env, WriteError, write};
use crate::{AppSpec, Apps, StartError, User};

/// Every app, user and file. Cloned whole to roll back a failed bulk call; records and files
/// are shared (`Arc`) so the copy costs a pointer per record, and a change copies only the
/// record it changes.
#[derive(Clone)]
pub(crate) struct Store {
    pub(crate) apps: BTreeMap<u64, App>,
    pub(crate) users: Vec<User>,
    /// Files attached to records, by download key.
    pub(crate) files: HashMap<String, Arc<StoredFile>>,
    /// Uploaded files not yet attached, by upload key.
    pub(crate) uploads: HashMap<String, Arc<StoredFile>>,
    next_row_id: u64,
}

/// One app: its settings, parsed fields and records.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) spec: AppSpec,
    pub(crate) fields: Vec<Field>,
    pub(crate) records: Vec<Arc<StoredRecord>>,
    next_id: u64,
}

/// One record as kintone returns it: every field as `{"type", "value"}`.
#[derive(Clone)]
pub(crate) struct StoredRecord {
    pub(crate) id: u64,
    pub(crate) revision: u64,
    pub(crate) fields: Map<String, Value>,
}

/// A file's name, type and bytes.
#[derive(Clone)]
pub(crate) struct StoredFile {
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
}

impl StoredFile {
    /// The file in a record's read shape under `key`.
    fn to_json(&self, key: &str) -> Value {
        json!({
            "contentType": self.content_type,
            "fileKey": key,
            "name": self.name,
            "size": self.bytes.len().to_string(),
        })
    }
}

/// Who is calling, for what kintone records and allows.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    /// The user recorded as creator/modifier (`Administrator` for API tokens).
    pub(crate) login: String,
    /// The apps whose records lookups may read: `None` for every app (password auth).
    pub(crate) viewable: Option<BTreeSet<u64>>,
}

/// Which record an update targets.
pub(crate) enum Target {
    Id(u64),
    Key { field: String, value: String },
}

impl StoredRecord {
    /// The record in kintone's read shape, with `$id` and `$revision`.
    pub(crate) fn to_json(&self) -> Value {
        let mut fields = self.fields.clone();
        fields.insert("$id".to_owned(), json!({ "type": "__ID__", "value": self.id.to_string() }));
        fields.insert(
            "$revision".to_owned(),
            json!({ "type": "__REVISION__", "value": self.revision.to_string() }),
        );
        Value::Object(fields)
    }

    fn text(&self, code: &str) -> Option<&str> {
        self.fields.get(code).and_then(|f| f.get("value")).and_then(Value::as_str)
    }
}

impl Store {
    /// The store for `apps`, their initial records added as kintone would add them.
    pub(crate) fn new(apps: &Apps) -> Result<Self, StartError> {
        let mut store = Self {
            apps: BTreeMap::new(),
            users: apps.users.clone(),
            files: HashMap::new(),
            uploads: HashMap::new(),
            next_row_id: 1,
        };
        for (index, spec) in apps.apps.iter().enumerate() {
            let fields = crate::model::parse_properties(&spec.properties).map_err(|err| {
                StartError::Apps {
                    path: format!("apps[{index}].properties.{}", err.path),
                    reason: err.reason,
                }
            })?;
            let app = App { spec: spec.clone(), fields, records: Vec::new(), next_id: 1 };
            if store.apps.insert(spec.id, app).is_some() {
                return Err(StartError::Apps {
                    path: format!("apps[{index}].id"),
                    reason: format!("app {} is listed twice", spec.id),
                });
            }
        }
        let setup = Caller { login: "Administrator".to_owned(), viewable: None };
        for (index, spec) in apps.apps.iter().enumerate() {
            for (position, record) in spec.records.iter().enumerate() {
                store.add(spec.id, record, &setup, Lang::En).map_err(|err| StartError::Apps {
                    path: format!("apps[{index}].records[{position}]"),
                    reason: match err {
                        WriteError::Invalid(errors) => format!("kintone refuses it: {errors:?}"),
                        WriteError::Request(err) => {
                            format!("kintone refuses it: {}", err.to_json())
                        }
                    },
                })?;
            }
        }
        Ok(store)
    }

    pub(crate) fn app(&self, id: u64, lang: Lang) -> Result<&App, KintoneError> {
        self.apps.get(&id).ok_or_else(|| KintoneError::app_not_found(lang, &id.to_string()))
    }

    fn app_mut(&mut self, id: u64, lang: Lang) -> Result<&mut App, KintoneError> {
        self.apps.get_mut(&id).ok_or_else(|| KintoneError::app_not_found(lang, &id.to_string()))
    }

    /// Adds one record (write shape), as `POST record.json` does.
    pub(crate) fn add(
        &mut self,
        app_id: u64,
        record: &Map<String, Value>,
        caller: &Caller,
        lang: Lang,
    ) -> Result<(u64, u64), WriteError> {
        let app = self.app(app_id, lang)?;
        let env = StoreEnv { store: self, app, except: None, caller };
        let mut fields = write(&app.fields, record, None, &env, lang)?;
        let id = app.next_id;
        stamp(&app.fields, &mut fields, caller, Some(id));
        self.finish(app_id, &mut fields);
        let app = self.app_mut(app_id, lang)?;
        app.next_id += 1;
        app.records.push(Arc::new(StoredRecord { id, revision: 1, fields }));
        Ok((id, 1))
    }

    /// Updates one record, as `PUT record.json` does; returns (id, new revision).
    pub(crate) fn update(
        &mut self,
        app_id: u64,
        target: &Target,
        record: &Map<String, Value>,
        revision: Option<i64>,
        caller: &Caller,
        lang: Lang,
    ) -> Result<(u64, u64), WriteError> {
        let app = self.app(app_id, lang)?;
        let index = self.find(app_id, target, lang)?;
        let current = &app.records[index];
        if let Some(expected) = revision.filter(|r| *r != -1)
            && u64::try_from(expected).ok() != Some(current.revision)
        {
            return Err(KintoneError::revision_conflict(lang).into());
        }
        if let Target::Key { field, .. } = target
            && record.contains_key(field)
        {
            // The key cannot change in the same call (UNCONFIRMED; third-party fakes agree).
            let message = lang.pick(
                "更新キーに指定したフィールドは更新できません。",
                "The field specified as updateKey cannot be updated.",
            );
            let errors = BTreeMap::from([(format!("record.{field}.value"), vec![message])]);
            return Err(WriteError::Invalid(errors));
        }
        let env = StoreEnv { store: self, app, except: Some(current.id), caller };
        let mut fields = write(&app.fields, record, Some(&current.fields), &env, lang)?;
        // The record number, creator and creation time keep their stored values.
        for field in &app.fields {
            if matches!(field.kind.as_str(), "RECORD_NUMBER" | "CREATOR" | "CREATED_TIME")
                && let Some(stored) = current.fields.get(&field.code)
            {
                fields.insert(field.code.clone(), stored.clone());
            }
        }
        stamp(&app.fields, &mut fields, caller, None);
        self.finish(app_id, &mut fields);
        let record = Arc::make_mut(&mut self.app_mut(app_id, lang)?.records[index]);
        record.fields = fields;
        record.revision += 1;
        Ok((record.id, record.revision))
    }

    /// Whether `target` names a stored record.
    pub(crate) fn exists(
        &self,
        app_id: u64,
        target: &Target,
        lang: Lang,
    ) -> Result<bool, KintoneError> {
        Ok(self.position(app_id, target, lang)?.is_some())
    }

    /// The index of the record `target` names, or kintone's not-found error.
    fn find(&self, app_id: u64, target: &Target, lang: Lang) -> Result<usize, KintoneError> {
        self.position(app_id, target, lang)?.ok_or_else(|| match target {
            Target::Id(id) => KintoneError::record_not_found(lang, &id.to_string()),
            Target::Key { field, value } => KintoneError::update_key_not_found(lang, field, value),
        })
    }

    /// The index of the record `target` names, if any; an unknown app or an `updateKey` field
    /// kintone does not accept is an error.
    fn position(
        &self,
        app_id: u64,
        target: &Target,
        lang: Lang,
    ) -> Result<Option<usize>, KintoneError> {
        let app = self.app(app_id, lang)?;
        match target {
            Target::Id(id) => Ok(app.records.iter().position(|r| r.id == *id)),
            Target::Key { field, value } => {
                let usable = app.fields.iter().any(|f| {
                    &f.code == field
                        && f.unique
                        && f.lookup.is_none()
                        && matches!(f.kind.as_str(), "SINGLE_LINE_TEXT" | "NUMBER")
                });
                if !usable {
                    let message = lang.pick(
                        "重複禁止が設定された文字列（1行）または数値フィールドを指定してください。",
                        "Specify a Text or Number field that prohibits duplicate values.",
                    );
                    return Err(KintoneError::invalid_parameter(lang, "updateKey.field", message));
                }
                Ok(app
                    .records
                    .iter()
                    .position(|r| !value.is_empty() && r.text(field) == Some(value.as_str())))
            }
        }
    }

    /// Deletes records by id (all or none), checking revisions when given.
    pub(crate) fn delete(
        &mut self,
        app_id: u64,
        ids: &[(u64, Option<i64>)],
        lang: Lang,
    ) -> Result<(), KintoneError> {
        let app = self.app_mut(app_id, lang)?;
        for (id, revision) in ids {
            let record = app
                .records
                .iter()
                .find(|r| r.id == *id)
                .ok_or_else(|| KintoneError::record_not_found(lang, &id.to_string()))?;
            if let Some(expected) = revision.filter(|r| *r != -1)
                && u64::try_from(expected).ok() != Some(record.revision)
            {
                return Err(KintoneError::revision_conflict(lang));
            }
        }
        app.records.retain(|r| !ids.iter().any(|(id, _)| *id == r.id));
        Ok(())
    }

    /// After a successful write: new table rows get ids, and uploaded files become attached
    /// files with download keys.
    fn finish(&mut self, app_id: u64, fields: &mut Map<String, Value>) {
        let Some(app) = self.apps.get(&app_id) else { return };
        let definitions = app.fields.clone();
        for field in &definitions {
            let Some(value) = fields.get_mut(&field.code).and_then(|f| f.get_mut("value")) else {
                continue;
            };
            match &field.rule {
                Rule::File => self.attach(value),
                Rule::Table { fields: inner } => {
                    for row in value.as_array_mut().into_iter().flatten() {
                        if row.get("id").is_none_or(Value::is_null) {
                            row["id"] = json!(self.next_row_id.to_string());
                            self.next_row_id += 1;
                        }
                        for field in inner.iter().filter(|f| matches!(f.rule, Rule::File)) {
                            if let Some(value) = row
                                .get_mut("value")
                                .and_then(|v| v.get_mut(&field.code))
                                .and_then(|f| f.get_mut("value"))
                            {
                                self.attach(value);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Swaps upload keys in a FILE value for new download keys.
    fn attach(&mut self, value: &mut Value) {
        for file in value.as_array_mut().into_iter().flatten() {
            let Some(key) = file.get("fileKey").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            if let Some(upload) = self.uploads.remove(&key) {
                let download = download_key();
                *file = upload.to_json(&download);
                self.files.insert(download, upload);
            }
        }
    }
}

/// Sets the built-in fields kintone maintains: the modifier and update time on every write, and
/// on an add (`added` is the new id) also the record number, creator and creation time.
fn stamp(
    definitions: &[Field],
    fields: &mut Map<String, Value>,
    caller: &Caller,
    added: Option<u64>,
) {
    let now = crate::time::now_minute();
    let author = json!({ "code": caller.login, "name": caller.login });
    for field in definitions {
        let value = match (field.kind.as_str(), added) {
            ("MODIFIER", _) | ("CREATOR", Some(_)) => author.clone(),
            ("UPDATED_TIME", _) | ("CREATED_TIME", Some(_)) => json!(now),
            ("RECORD_NUMBER", Some(id)) => json!(id.to_string()),
            _ => continue,
        };
        fields.insert(field.code.clone(), json!({ "type": field.kind, "value": value }));
    }
}

/// A download key in kintone's style: a timestamp and 32 hex digits.
fn download_key() -> String {
    use rand::Rng;
    let now = crate::time::now_minute();
    let stamp: String = now.chars().filter(char::is_ascii_digit).take(12).collect();
    format!("{stamp}{:032X}", rand::rng().random::<u128>())
}

/// What a write in one app sees of the store.
struct StoreEnv<'a> {
    store: &'a Store,
    app: &'a App,
    except: Option<u64>,
    caller: &'a Caller,
}

impl Env for StoreEnv<'_> {
    fn lookup(&self, app: u64, key_field: &str, value: &str) -> Option<Map<String, Value>> {
        if self.caller.viewable.as_ref().is_some_and(|apps| !apps.contains(&app)) {
            return None;
        }
        let source = self.store.apps.get(&app)?;
        source.records.iter().find_map(|record| {
            // A record-number key is stored as the record's number, so one comparison serves.
            (record.text(key_field) == Some(value)).then(|| record.fields.clone())
        })
    }

    fn file(&self, key: &str) -> Option<Value> {
        if let Some(upload) = self.store.uploads.get(key) {
            return Some(upload.to_json(key));
        }
        self.store.files.get(key).map(|file| file.to_json(key))
    }

    fn taken(&self, code: &str, value: &str) -> bool {
        self.app
            .records
            .iter()
            .filter(|record| Some(record.id) != self.except)
            .any(|record| record.text(code) == Some(value))
    }

    fn now(&self) -> (String, String, String) {
        crate::time::now_parts()
    }
}
