//! A short-lived cache of each app's field settings, so serving a form does not spend a kintone
//! request (they count against the app's daily limit) on every page view.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use kform_core::{AppFields, AppId};
use kform_kintone::{Client, KintoneError};

/// How long fetched field settings are used before asking kintone again.
const FIELDS_TTL: Duration = Duration::from_secs(60);

/// Fetched field settings and when they were fetched, by (kintone base URL, app).
type Entries = HashMap<(String, AppId), (Instant, Arc<AppFields>)>;

/// Field settings by (kintone base URL, app).
#[derive(Clone, Default)]
pub(crate) struct FieldsCache {
    entries: Arc<Mutex<Entries>>,
}

impl FieldsCache {
    /// The app's fields, from the cache while fresh, otherwise from kintone.
    pub(crate) async fn get(
        &self,
        kintone: &Client,
        app: AppId,
    ) -> Result<Arc<AppFields>, KintoneError> {
        let key = (kintone.base_url().to_owned(), app);
        let cached = self
            .lock()
            .get(&key)
            .filter(|(at, _)| at.elapsed() < FIELDS_TTL)
            .map(|(_, f)| f.clone());
        if let Some(fields) = cached {
            return Ok(fields);
        }
        let fields = Arc::new(kintone.form_fields(app).await?);
        self.lock().insert(key, (Instant::now(), fields.clone()));
        Ok(fields)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map holds plain data; a panic elsewhere cannot leave it inconsistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
