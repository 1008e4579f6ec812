//! The relay's admin API as the editor uses it, with the editor token as the bearer key.

use gloo_net::http::{Method, RequestBuilder};
use serde_json::{Map, Value};

use crate::state::SyncedFields;

/// The relay and the editor token.
#[derive(Clone, Debug)]
pub(crate) struct Admin {
    /// The relay's base URL, without a trailing slash.
    pub(crate) relay: String,
    /// The editor token; replaced by the one the relay answers a new form with.
    pub(crate) token: String,
}

/// A refused or failed call: the relay's `{code, message}`, or why it was not reached.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    /// The HTTP status, or 0 when the relay was not reached.
    pub(crate) status: u16,
    /// The relay's error code (`unauthorized`, `token_expired`, …) or `network`.
    pub(crate) code: String,
    /// The relay's message.
    pub(crate) message: String,
}

impl ApiError {
    fn network(err: impl std::fmt::Display) -> Self {
        Self { status: 0, code: "network".into(), message: err.to_string() }
    }

    /// Whether the token itself was refused (wrong, expired, or for another form).
    pub(crate) fn is_token_refused(&self) -> bool {
        self.status == 401 || (self.status == 403 && self.code == "other_form")
    }

    /// What the editor and its delivery view say about the failure: a refused token in one
    /// sentence in the reader's language (the relay's own words are about keys the person in
    /// the CMS never sees), an unreachable relay, or the relay's message with its status and code.
    pub(crate) fn sentence(&self, locale: kform_core::Locale) -> String {
        if self.is_token_refused() {
            crate::text::Text::TokenRefused.get(locale).to_owned()
        } else if self.status == 0 {
            format!("{}: {}", crate::text::Text::RelayUnreachable.get(locale), self.message)
        } else {
            format!("{} ({} {})", self.message, self.status, self.code)
        }
    }
}

/// One app of a connection.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AppSummary {
    /// The app id.
    pub(crate) app: u64,
    /// kintone's name of the app, when the relay could read it.
    pub(crate) name: Option<String>,
}

impl Admin {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let request = RequestBuilder::new(&format!("{}{path}", self.relay))
            .method(method)
            .header("authorization", &format!("Bearer {}", self.token));
        let response = match body {
            Some(body) => request.json(body).map_err(ApiError::network)?.send().await,
            None => request.send().await,
        }
        .map_err(ApiError::network)?;
        let status = response.status();
        let text = response.text().await.map_err(ApiError::network)?;
        let answer: Value = if text.is_empty() {
            Value::Null
        } else {
            // The browser's parser: the `.wasm` carries none of its own.
            kform_dom::json_tree(&text)
                .ok_or_else(|| ApiError::network("the relay's answer is not JSON"))?
        };
        if response.ok() {
            return Ok(answer);
        }
        let field =
            |name: &str| answer.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        Err(ApiError { status, code: field("code"), message: field("message") })
    }

    /// `GET /v1/admin/connections`: the connections' names.
    pub(crate) async fn connections(&self) -> Result<Vec<String>, ApiError> {
        let answer = self.call(Method::GET, "/v1/admin/connections", None).await?;
        let names = answer["connections"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(names.iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect())
    }

    /// `GET /v1/admin/connections/{name}/apps`.
    pub(crate) async fn apps(&self, connection: &str) -> Result<Vec<AppSummary>, ApiError> {
        let path = format!("/v1/admin/connections/{}/apps", segment(connection));
        let answer = self.call(Method::GET, &path, None).await?;
        let apps = answer["apps"].as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(apps
            .iter()
            .filter_map(|app| {
                let name = app["name"].as_str().map(str::to_owned);
                Some(AppSummary { app: app["app"].as_u64()?, name })
            })
            .collect())
    }

    /// `POST …/sync` then `GET …/fields`: the app's fields as kintone has them now, and the
    /// saved forms on the app that no longer fit it (drift), by form id.
    pub(crate) async fn sync(
        &self,
        connection: &str,
        app: u64,
    ) -> Result<(SyncedFields, Map<String, Value>), ApiError> {
        let base = format!("/v1/admin/connections/{}/apps/{app}", segment(connection));
        let report = self.call(Method::POST, &format!("{base}/sync"), None).await?;
        let fields = self.fields(connection, app).await?;
        let drift = report["drift"].as_object().cloned().unwrap_or_default();
        Ok((fields, drift))
    }

    /// `GET …/fields`: the app's fields as the relay last synced them (kintone is not asked).
    pub(crate) async fn fields(
        &self,
        connection: &str,
        app: u64,
    ) -> Result<SyncedFields, ApiError> {
        let base = format!("/v1/admin/connections/{}/apps/{app}", segment(connection));
        let answer = self.call(Method::GET, &format!("{base}/fields"), None).await?;
        let fields = match answer {
            Value::Object(mut answer) => answer.remove("fields").unwrap_or_default(),
            _ => Value::Null,
        };
        SyncedFields::read(fields).map_err(ApiError::network)
    }

    /// `GET /v1/admin/forms/{id}`.
    pub(crate) async fn form(&self, id: &str) -> Result<Map<String, Value>, ApiError> {
        let answer =
            self.call(Method::GET, &format!("/v1/admin/forms/{}", segment(id)), None).await?;
        Ok(answer.as_object().cloned().unwrap_or_default())
    }

    /// `GET /v1/admin/form-ids/{id}`: whether a form already has the id `id`.
    pub(crate) async fn form_id_taken(&self, id: &str) -> Result<bool, ApiError> {
        let path = format!("/v1/admin/form-ids/{}", segment(id));
        let answer = self.call(Method::GET, &path, None).await?;
        Ok(answer["taken"].as_bool().unwrap_or(false))
    }

    /// `POST /v1/admin/forms` (a new form) or `PUT /v1/admin/forms/{id}`; the relay's answer.
    pub(crate) async fn save(&self, id: &str, body: &Value, new: bool) -> Result<Value, ApiError> {
        if new {
            self.call(Method::POST, "/v1/admin/forms", Some(body)).await
        } else {
            self.call(Method::PUT, &format!("/v1/admin/forms/{}", segment(id)), Some(body)).await
        }
    }

    /// `DELETE /v1/admin/forms/{id}`.
    pub(crate) async fn delete(&self, id: &str) -> Result<(), ApiError> {
        self.call(Method::DELETE, &format!("/v1/admin/forms/{}", segment(id)), None)
            .await
            .map(|_| ())
    }

    /// `POST /v1/admin/forms/{id}/test-send`: kintone's exact answer, or the relay's refusal.
    pub(crate) async fn test_send(&self, id: &str, values: &Value) -> Result<Value, ApiError> {
        let path = format!("/v1/admin/forms/{}/test-send", segment(id));
        self.call(Method::POST, &path, Some(&serde_json::json!({ "values": values }))).await
    }
}

impl Admin {
    /// `POST /v1/admin/forms/{id}/mail-test`: the auto-reply, with the editor's `mail` settings
    /// and the preview's `values`, sent to `to` alone; the relay's answer.
    pub(crate) async fn mail_test(
        &self,
        id: &str,
        to: &str,
        values: &Value,
        mail: &Value,
    ) -> Result<Value, ApiError> {
        let path = format!("/v1/admin/forms/{}/mail-test", segment(id));
        let body = serde_json::json!({ "to": to, "values": values, "mail": mail });
        self.call(Method::POST, &path, Some(&body)).await
    }
}

/// The delivery view's calls, all on one form.
impl Admin {
    fn form_path(id: &str, rest: &str) -> String {
        format!("/v1/admin/forms/{}{rest}", segment(id))
    }

    /// `GET …/delivery?lang=`: counts per stage, the pause and the drift alerts.
    pub(crate) async fn delivery(&self, id: &str, lang: &str) -> Result<Value, ApiError> {
        let path = Self::form_path(id, &format!("/delivery?lang={lang}"));
        self.call(Method::GET, &path, None).await
    }

    /// `GET …/submissions?stage=&limit=&offset=&lang=`: a page of the history, newest first.
    pub(crate) async fn history(
        &self,
        id: &str,
        stage: &str,
        offset: usize,
        limit: usize,
        lang: &str,
    ) -> Result<Vec<Value>, ApiError> {
        let stage = if stage.is_empty() { String::new() } else { format!("&stage={stage}") };
        let query = format!("/submissions?limit={limit}&offset={offset}&lang={lang}{stage}");
        let answer = self.call(Method::GET, &Self::form_path(id, &query), None).await?;
        Ok(answer["submissions"].as_array().cloned().unwrap_or_default())
    }

    /// `POST …/submissions/{sid}/{action}` (`replay` or `discard`), `POST …/replay-dead-letters`
    /// or `POST …/resume` (`rest` is the path after the form); the relay's answer.
    pub(crate) async fn act(&self, id: &str, rest: &str) -> Result<Value, ApiError> {
        self.call(Method::POST, &Self::form_path(id, rest), None).await
    }
}

/// Percent-encodes `text` as one URL path segment (the browser's `encodeURIComponent`).
fn segment(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}

#[cfg(test)]
mod tests {
    use kform_core::Locale;

    use super::ApiError;

    #[test]
    fn a_failure_reads_as_one_sentence_for_the_cms_user() {
        let error =
            |status, code: &str| ApiError { status, code: code.into(), message: "m".into() };
        assert!(error(401, "token_expired").sentence(Locale::Ja).contains("CMS"));
        assert!(error(403, "other_form").is_token_refused());
        assert_eq!(error(0, "network").sentence(Locale::En), "The relay cannot be reached: m");
        assert_eq!(error(409, "settled").sentence(Locale::En), "m (409 settled)");
    }
}
