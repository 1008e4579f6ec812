//! The kintone REST client: URLs, headers, timeouts and answers.

use std::time::Duration;

use kform_core::kintone::ErrorBody;
use kform_core::{AppFields, AppId, Record, Valid};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Auth, KintoneError};

/// A client for one kintone domain (or the fake kintone).
#[derive(Clone, Debug)]
pub struct Client {
    base_url: String,
    guest_space: Option<u64>,
    auth: Auth,
    http: reqwest::Client,
}

/// The id and revision kintone gave a new record.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AddedRecord {
    /// The record id (kintone sends ids as strings).
    pub id: String,
    /// The record's revision.
    pub revision: String,
}

impl Client {
    /// A client for `base_url` (e.g. `https://example.cybozu.com`), optionally for apps in a
    /// guest space.
    pub fn new(base_url: &str, guest_space: Option<u64>, auth: Auth) -> Result<Self, KintoneError> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let invalid = |reason| KintoneError::InvalidUrl { url: base_url.clone(), reason };
        let rest = base_url
            .strip_prefix("https://")
            .or_else(|| base_url.strip_prefix("http://"))
            .ok_or_else(|| {
            invalid("it must start with https:// (or http:// for a local kintone)")
        })?;
        if rest.is_empty() || rest.contains(['/', '?', '#']) {
            return Err(invalid("it must be the domain only, like https://example.cybozu.com"));
        }
        #[expect(clippy::disallowed_methods, reason = "this is the one place clients are built")]
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("kform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(KintoneError::Transport)?;
        Ok(Self { base_url, guest_space, auth, http })
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL of a REST API, e.g. `record.json` → `https://…/k/v1/record.json` or its guest form.
    fn url(&self, api: &str) -> String {
        match self.guest_space {
            Some(space) => format!("{}/k/guest/{space}/v1/{api}", self.base_url),
            None => format!("{}/k/v1/{api}", self.base_url),
        }
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        api: &str,
        body: Value,
    ) -> Result<T, KintoneError> {
        let (header, value) = self.auth.header();
        let request = self.http.request(method.clone(), self.url(api)).header(header, value);
        // Parameters of GET calls may travel as a JSON body (documented by kintone).
        let response = request.json(&body).send().await.map_err(KintoneError::Transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(KintoneError::Transport)?;
        tracing::debug!(%method, api, status = status.as_u16(), "kintone call");
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|err| KintoneError::Decode(format!("{api}: {err}")));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(KintoneError::Api { status: status.as_u16(), body }),
            Err(_) => Err(KintoneError::Unexpected { status: status.as_u16() }),
        }
    }

    /// `GET /k/v1/app/form/fields.json`: the app's field settings.
    pub async fn form_fields(&self, app: AppId) -> Result<AppFields, KintoneError> {
        #[derive(Deserialize)]
        struct FieldsResponse {
            properties: Value,
            revision: String,
        }
        let response: FieldsResponse = self
            .send(reqwest::Method::GET, "app/form/fields.json", json!({ "app": app.0 }))
            .await?;
        AppFields::from_kintone_properties(response.revision, response.properties)
            .map_err(|err| KintoneError::Decode(err.to_string()))
    }

    /// `POST /k/v1/record.json`: adds one validated record.
    pub async fn add_record(
        &self,
        app: AppId,
        record: &Valid<Record>,
    ) -> Result<AddedRecord, KintoneError> {
        self.send(reqwest::Method::POST, "record.json", json!({ "app": app.0, "record": record }))
            .await
    }

    /// `GET /k/v1/records.json`: records matching a kintone query, in kintone's read shape.
    pub async fn records(&self, app: AppId, query: &str) -> Result<Vec<Value>, KintoneError> {
        #[derive(Deserialize)]
        struct Records {
            records: Vec<Value>,
        }
        let body = json!({ "app": app.0, "query": query });
        let records: Records = self.send(reqwest::Method::GET, "records.json", body).await?;
        Ok(records.records)
    }
}
