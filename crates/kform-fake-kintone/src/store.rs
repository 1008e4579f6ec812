//! The fake's in-memory state: apps, their records and their tokens.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::error::{KintoneError, Lang};
use crate::validate::check_record;
use crate::{AppSpec, Apps, Permission, StartError, User};

/// Every app and user.
pub(crate) struct Store {
    pub(crate) apps: BTreeMap<u64, App>,
    pub(crate) users: Vec<User>,
}

/// One app and its records.
pub(crate) struct App {
    pub(crate) spec: AppSpec,
    pub(crate) records: Vec<StoredRecord>,
    next_id: u64,
}

/// One record as kintone returns it: every field as `{"type", "value"}`.
#[derive(Clone)]
pub(crate) struct StoredRecord {
    pub(crate) id: u64,
    pub(crate) revision: u64,
    pub(crate) fields: Map<String, Value>,
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
}

impl Store {
    pub(crate) fn new(apps: Apps) -> Result<Self, StartError> {
        let mut store = Self { apps: BTreeMap::new(), users: apps.users };
        for spec in apps.apps {
            let id = spec.id;
            let records = spec.records.clone();
            store.apps.insert(id, App { spec, records: Vec::new(), next_id: 1 });
            for (index, record) in records.into_iter().enumerate() {
                store.add_record(id, &Value::Object(record), Lang::En).map_err(|err| {
                    StartError::Record { app: id, index, reason: format!("{err:?}") }
                })?;
            }
        }
        Ok(store)
    }

    /// The app a token belongs to, and its permissions.
    pub(crate) fn find_token(&self, token: &str) -> Option<(u64, &[Permission])> {
        self.apps.values().find_map(|app| {
            let spec = app.spec.tokens.iter().find(|spec| spec.token == token)?;
            Some((app.spec.id, spec.permissions.as_slice()))
        })
    }

    pub(crate) fn app(&self, id: u64, lang: Lang) -> Result<&App, KintoneError> {
        self.apps.get(&id).ok_or_else(|| KintoneError::app_not_found(lang, &id.to_string()))
    }

    /// Adds one record (kintone's write shape), as `POST record.json` does.
    pub(crate) fn add_record(
        &mut self,
        app_id: u64,
        record: &Value,
        lang: Lang,
    ) -> Result<(u64, u64), KintoneError> {
        let app = self
            .apps
            .get_mut(&app_id)
            .ok_or_else(|| KintoneError::app_not_found(lang, &app_id.to_string()))?;
        let empty = Map::new();
        let record = match record {
            Value::Object(record) => record,
            Value::Null => &empty,
            _ => return Err(KintoneError::invalid_json(lang)),
        };
        let id = app.next_id;
        let mut fields = check_record(&app.spec.properties, record, &app.records, lang)?;
        let now = crate::time::now_minute();
        let administrator = json!({ "code": "Administrator", "name": "Administrator" });
        for (code, property) in &app.spec.properties {
            let kind = property.get("type").and_then(Value::as_str).unwrap_or_default();
            let value = match kind {
                "RECORD_NUMBER" => json!(id.to_string()),
                "CREATOR" | "MODIFIER" => administrator.clone(),
                "CREATED_TIME" | "UPDATED_TIME" => json!(now),
                _ => continue,
            };
            fields.insert(code.clone(), json!({ "type": kind, "value": value }));
        }
        app.next_id += 1;
        app.records.push(StoredRecord { id, revision: 1, fields });
        Ok((id, 1))
    }
}
