//! The kintone REST client: URLs, headers, timeouts and answers.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kform_core::kintone::ErrorBody;
use kform_core::{AppFields, AppId, Record, Valid};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Auth, KintoneError, Password};

/// A record permission of an API token (kintone's checkboxes; delete is never needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read records.
    View,
    /// Add records.
    Add,
    /// Edit records.
    Edit,
}

impl Permission {
    /// kintone's name for it on the token settings screen (English).
    pub fn name(self) -> &'static str {
        match self {
            Self::View => "view records",
            Self::Add => "add records",
            Self::Edit => "edit records",
        }
    }
}

/// A client for one kintone domain (or the fake kintone).
#[derive(Clone, Debug)]
pub struct Client {
    base_url: String,
    guest_space: Option<u64>,
    auth: Auth,
    basic_auth: Option<String>,
    observer: Option<Observer>,
    http: reqwest::Client,
}

/// One finished kintone call, as an [`Observer`] sees it (for metrics).
#[derive(Clone, Debug)]
pub struct Call<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The API, e.g. `record.json` or `app/form/fields.json`.
    pub api: &'a str,
    /// The HTTP status, or `None` when no answer arrived.
    pub status: Option<u16>,
    /// How long the call took.
    pub elapsed: Duration,
}

/// A function told about every kintone call (metrics); it must be quick.
#[derive(Clone)]
pub struct Observer(Arc<dyn Fn(&Call<'_>) + Send + Sync>);

impl Observer {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&Call<'_>) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer")
    }
}

/// What a [`Client`] needs beyond its URL and credentials.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The domain's Basic authentication (login, password), when kintone asks for it.
    pub basic_auth: Option<(String, Password)>,
    /// An HTTP(S) proxy URL, e.g. `http://proxy.internal:3128`.
    pub proxy: Option<String>,
    /// Told about every call.
    pub observer: Option<Observer>,
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
        Self::with_options(base_url, guest_space, auth, Options::default())
    }

    /// A client with a Basic auth gate, a proxy or an observer.
    pub fn with_options(
        base_url: &str,
        guest_space: Option<u64>,
        auth: Auth,
        options: Options,
    ) -> Result<Self, KintoneError> {
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
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("kform/", env!("CARGO_PKG_VERSION")));
        if let Some(proxy) = &options.proxy {
            let proxy = reqwest::Proxy::all(proxy).map_err(|_| KintoneError::InvalidUrl {
                url: proxy.clone(),
                reason: "the proxy must be a URL like http://proxy.internal:3128",
            })?;
            builder = builder.proxy(proxy);
        } else {
            // Only the configured proxy is used, never one from the environment by surprise.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(KintoneError::Transport)?;
        let basic_auth = options
            .basic_auth
            .map(|(login, password)| format!("Basic {}", crate::auth::basic(&login, &password)));
        Ok(Self { base_url, guest_space, auth, basic_auth, observer: options.observer, http })
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
        // Parameters of GET calls may travel as a JSON body (documented by kintone).
        let request = self.request(method.clone(), api).json(&body);
        let (status, bytes) = self.exchange(&method, api, request).await?;
        Self::answer(api, status, &bytes)
    }

    /// A success body decoded, or kintone's error.
    fn answer<T: for<'de> Deserialize<'de>>(
        api: &str,
        status: reqwest::StatusCode,
        bytes: &[u8],
    ) -> Result<T, KintoneError> {
        if status.is_success() {
            return serde_json::from_slice(bytes)
                .map_err(|err| KintoneError::Decode(format!("{api}: {err}")));
        }
        match serde_json::from_slice::<ErrorBody>(bytes) {
            Ok(body) => Err(KintoneError::Api { status: status.as_u16(), body }),
            Err(_) => Err(KintoneError::Unexpected { status: status.as_u16() }),
        }
    }

    fn request(&self, method: reqwest::Method, api: &str) -> reqwest::RequestBuilder {
        let (header, value) = self.auth.header();
        let mut request = self.http.request(method, self.url(api)).header(header, value);
        if let Some(basic) = &self.basic_auth {
            request = request.header(reqwest::header::AUTHORIZATION, basic);
        }
        request
    }

    /// Sends `request` and reads the whole answer, telling the observer how it went.
    async fn exchange(
        &self,
        method: &reqwest::Method,
        api: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), KintoneError> {
        let started = Instant::now();
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.bytes().await?))
        }
        .await;
        let status = result.as_ref().ok().map(|(status, _)| status.as_u16());
        tracing::debug!(%method, api, status, "kintone call");
        if let Some(observer) = &self.observer {
            (observer.0)(&Call {
                method: method.as_str(),
                api,
                status,
                elapsed: started.elapsed(),
            });
        }
        result.map_err(KintoneError::Transport)
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

    /// `GET /k/v1/app/form/layout.json`: the form's layout as kintone answers it, for
    /// [`AppFields::set_layout_order`].
    pub async fn form_layout(&self, app: AppId) -> Result<Value, KintoneError> {
        self.send(reqwest::Method::GET, "app/form/layout.json", json!({ "app": app.0 })).await
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

    /// Whether kintone answers at all, without spending an API call: `GET app.json` without
    /// credentials (kintone refuses it, which proves the way there works). Returns the HTTP
    /// status kintone gave.
    pub async fn ping(&self) -> Result<u16, KintoneError> {
        let method = reqwest::Method::GET;
        let mut request = self.http.get(self.url("app.json"));
        if let Some(basic) = &self.basic_auth {
            request = request.header(reqwest::header::AUTHORIZATION, basic);
        }
        let (status, _) = self.exchange(&method, "app.json", request).await?;
        Ok(status.as_u16())
    }

    /// `GET /k/v1/app.json`: the app's name.
    pub async fn app_name(&self, app: AppId) -> Result<String, KintoneError> {
        #[derive(Deserialize)]
        struct AppResponse {
            name: String,
        }
        let response: AppResponse =
            self.send(reqwest::Method::GET, "app.json", json!({ "id": app.0 })).await?;
        Ok(response.name)
    }

    /// `POST /k/v1/file.json`: uploads a file and returns its file key, which a record can attach
    /// once (kintone forgets unused keys after three days).
    pub async fn upload_file(
        &self,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, KintoneError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Uploaded {
            file_key: String,
        }
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(content_type)
            .map_err(|err| KintoneError::Decode(format!("file.json: content type: {err}")))?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let method = reqwest::Method::POST;
        let request = self.request(method.clone(), "file.json").multipart(form);
        let (status, bytes) = self.exchange(&method, "file.json", request).await?;
        let uploaded: Uploaded = Self::answer("file.json", status, &bytes)?;
        Ok(uploaded.file_key)
    }

    /// `POST /k/v1/records.json`: adds up to 100 validated records at once, all or nothing;
    /// their ids in order.
    pub async fn add_records(
        &self,
        app: AppId,
        records: &[Valid<Record>],
    ) -> Result<Vec<String>, KintoneError> {
        #[derive(Deserialize)]
        struct Added {
            ids: Vec<String>,
        }
        let body = json!({ "app": app.0, "records": records });
        let added: Added = self.send(reqwest::Method::POST, "records.json", body).await?;
        Ok(added.ids)
    }

    /// `PUT /k/v1/records.json` with `upsert: true`: each record updates the one whose
    /// `key_field` has the given value, or is added; up to 100, all or nothing; ids in order.
    pub async fn upsert_records(
        &self,
        app: AppId,
        key_field: &str,
        records: &[(String, Valid<Record>)],
    ) -> Result<Vec<String>, KintoneError> {
        #[derive(Deserialize)]
        struct Upserted {
            records: Vec<AddedRecord>,
        }
        let entries: Vec<Value> = records
            .iter()
            .map(|(key, record)| {
                let mut record = serde_json::to_value(record).unwrap_or_default();
                // The key travels in updateKey; kintone sets it on a new record itself.
                if let Some(fields) = record.as_object_mut() {
                    fields.remove(key_field);
                }
                json!({ "updateKey": { "field": key_field, "value": key }, "record": record })
            })
            .collect();
        let body = json!({ "app": app.0, "upsert": true, "records": entries });
        let upserted: Upserted = self.send(reqwest::Method::PUT, "records.json", body).await?;
        Ok(upserted.records.into_iter().map(|record| record.id).collect())
    }

    /// Whether the credentials have `permission` on `app`, tried with a call that changes and
    /// returns nothing of note: `GET records.json` for one record's id (view), `POST` or `PUT
    /// records.json` with no records (add, edit). kintone checks the permission before the
    /// records (`GAIA_NO01` without it), as the fake kintone does; that order is kform's
    /// reading of kintone, not a captured fact. Each probe is one API request of the app's day.
    pub async fn probe(&self, app: AppId, permission: Permission) -> Result<(), KintoneError> {
        let (method, body) = match permission {
            Permission::View => (
                reqwest::Method::GET,
                json!({ "app": app.0, "query": "limit 1", "fields": ["$id"] }),
            ),
            Permission::Add => (reqwest::Method::POST, json!({ "app": app.0, "records": [] })),
            Permission::Edit => (reqwest::Method::PUT, json!({ "app": app.0, "records": [] })),
        };
        let _: Value = self.send(method, "records.json", body).await?;
        Ok(())
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
