//! What every request handler shares: the forms, their kintone connections and cached fields.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use kform_core::{FormId, FormSpec};
use kform_kintone::Client;

use crate::fields::FieldsCache;

/// One published form and the kintone connection it writes through.
#[derive(Clone, Debug)]
pub struct FormEntry {
    /// The form definition.
    pub spec: FormSpec,
    /// The kintone client holding this form's credentials.
    pub kintone: Client,
}

/// Shared state of the relay.
#[derive(Clone)]
pub struct AppState {
    pub(crate) forms: Arc<BTreeMap<FormId, FormEntry>>,
    pub(crate) fields: FieldsCache,
    pub(crate) widget_dir: Option<PathBuf>,
    pub(crate) pages_dir: Option<PathBuf>,
}

impl AppState {
    /// State serving `forms`, with no static files.
    pub fn new(forms: impl IntoIterator<Item = FormEntry>) -> Self {
        let forms = forms.into_iter().map(|entry| (entry.spec.id.clone(), entry)).collect();
        Self {
            forms: Arc::new(forms),
            fields: FieldsCache::default(),
            widget_dir: None,
            pages_dir: None,
        }
    }

    /// Also serves the widget bundle (`pkg/`) under `/widget/`.
    pub fn with_widget_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.widget_dir = Some(dir.into());
        self
    }

    /// Also serves pages (the demo's `www/`) from `/`.
    pub fn with_pages_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.pages_dir = Some(dir.into());
        self
    }

    pub(crate) fn form(&self, id: &FormId) -> Option<&FormEntry> {
        self.forms.get(id)
    }
}
