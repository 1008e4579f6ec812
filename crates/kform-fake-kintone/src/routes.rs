//! The HTTP side: kintone's paths (`/k/v1/…`, `/k/guest/{space}/v1/…`), parameters from the
//! query string and the JSON body, `X-HTTP-Method-Override`, Basic auth, the concurrency limit
//! and its headers on every answer, request counting, injected faults; and the control API under
//! `/_fake/`, kept apart from kintone's paths.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Map, Value, json};

use crate::FakeState;
use crate::api::{self, Answer, Call};
use crate::conn::Cut;
use crate::error::{KintoneError, Lang};
use crate::faults::{Fault, FaultKind};

/// The largest request body the fake reads (kintone's own limit is not documented).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The fake's router: kintone's paths and the `/_fake/` control API.
pub fn app(state: FakeState) -> Router {
    Router::new()
        .route("/k/v1/{*api}", any(kintone))
        .route("/k/guest/{space}/v1/{*api}", any(kintone))
        .route("/_fake/stats", get(stats))
        .route("/_fake/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/_fake/reset", post(reset))
        .route("/_fake/apps/{app}/properties", axum::routing::put(set_properties))
        .route("/_fake/apps/{app}/tokens", axum::routing::put(set_tokens))
        .with_state(state)
}

/// `/k/v1/{api}` → (no space, api); `/k/guest/{space}/v1/{api}` → (space, api).
pub(crate) fn split_api(path: &str) -> Option<(Option<u64>, String)> {
    if let Some(api) = path.strip_prefix("/k/v1/") {
        return Some((None, api.to_owned()));
    }
    let rest = path.strip_prefix("/k/guest/")?;
    let (space, api) = rest.split_once("/v1/")?;
    Some((Some(space.parse().ok()?), api.to_owned()))
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn kintone(State(state): State<FakeState>, request: Request) -> Response {
    let shared = &state.shared;
    let running = shared.running.fetch_add(1, Ordering::SeqCst) + 1;
    shared.peak_running.fetch_max(running, Ordering::SeqCst);
    let _in_flight = InFlight(&shared.running);
    let mut response = serve(&state, request, running).await;
    let headers = response.headers_mut();
    let limit = shared.concurrency_limit.load(Ordering::SeqCst);
    headers.insert("x-concurrencylimit-limit", HeaderValue::from(limit));
    headers.insert("x-concurrencylimit-running", HeaderValue::from(running));
    response
}

async fn serve(state: &FakeState, request: Request, running: usize) -> Response {
    let shared = &state.shared;
    let (parts, body) = request.into_parts();
    let lang = Lang::from_headers(&parts.headers, shared.default_lang);
    if running > shared.concurrency_limit.load(Ordering::SeqCst) {
        return too_many_requests(lang);
    }
    if let Some(gate) = &shared.initial.basic_auth
        && !basic_auth_ok(&parts.headers, &gate.user, &gate.password)
    {
        return basic_auth_required();
    }
    let path = parts.uri.path().to_owned();
    let Some((space, api)) = split_api(&path) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return KintoneError::invalid_json(lang).into_response();
    };
    let call = match call(&parts.method, &parts.uri, api, space, &parts.headers, &body, lang) {
        Ok(call) => call,
        Err(err) => return err.into_response(),
    };
    state.count(&call, &path);
    let cut = parts.extensions.get::<ConnectInfo<Cut>>().map(|info| info.0.clone());
    match state.take_fault(call.method.as_str(), &path) {
        None => {}
        Some(Fault { kind: FaultKind::Maintenance, .. }) => return maintenance(),
        Some(Fault { kind: FaultKind::ServerError, .. }) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        Some(Fault { kind: FaultKind::TooManyRequests, .. }) => return too_many_requests(lang),
        Some(Fault { kind: FaultKind::Lock, .. }) => {
            return KintoneError::lock_failed(lang).into_response();
        }
        Some(Fault { kind: FaultKind::Latency, millis, .. }) => {
            tokio::time::sleep(std::time::Duration::from_millis(millis.unwrap_or(1_000))).await;
        }
        Some(Fault { kind: FaultKind::Hang, .. }) => {
            std::future::pending::<()>().await;
        }
        Some(Fault { kind: FaultKind::Reset, .. }) => {
            if let Some(cut) = &cut {
                cut.cut();
            }
            return (StatusCode::INTERNAL_SERVER_ERROR, "connection reset").into_response();
        }
        Some(Fault { kind: FaultKind::DropResponse, .. }) => {
            let response = dispatch(state, &call);
            if let Some(cut) = &cut {
                cut.cut();
            }
            return response;
        }
    }
    dispatch(state, &call)
}

fn dispatch(state: &FakeState, call: &Call<'_>) -> Response {
    let answer = {
        let mut store = state.store();
        api::handle(&mut store, call)
    };
    match answer {
        Ok(Answer::Json(body)) => {
            let mut response = (StatusCode::OK, body.to_string()).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json;charset=utf-8"),
            );
            response
        }
        Ok(Answer::File(file)) => {
            let mut response = (StatusCode::OK, file.bytes).into_response();
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&file.content_type) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            let encoded: String = file
                .name
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            if let Ok(value) =
                HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}"))
            {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Ok(Answer::NotFound) => (StatusCode::NOT_FOUND, "Not Found").into_response(),
        Err(err) => err.into_response(),
    }
}

/// Merges query-string and JSON-body parameters and applies `X-HTTP-Method-Override`.
fn call<'a>(
    method: &Method,
    uri: &axum::http::Uri,
    api: String,
    space: Option<u64>,
    headers: &'a HeaderMap,
    body: &'a [u8],
    lang: Lang,
) -> Result<Call<'a>, KintoneError> {
    let pairs: Vec<(String, String)> =
        Query::try_from_uri(uri).map(|Query(pairs)| pairs).unwrap_or_default();
    let mut params = query_params(pairs);
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/"));
    if !multipart && !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(json)) => params.extend(json),
            _ => return Err(KintoneError::invalid_json(lang)),
        }
    }
    let override_method = headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().to_ascii_uppercase().parse::<Method>().ok());
    let method = match override_method {
        Some(overridden) if method == Method::POST => overridden,
        _ => method.clone(),
    };
    Ok(Call { method, api, space, params, headers, body, lang })
}

/// Query-string pairs as parameters: `fields[0]=a&fields[1]=b` becomes a list, in index order.
fn query_params(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut params = Map::new();
    let mut lists: BTreeMap<String, BTreeMap<usize, String>> = BTreeMap::new();
    for (key, value) in pairs {
        let indexed = key
            .strip_suffix(']')
            .and_then(|k| k.split_once('['))
            .and_then(|(name, index)| Some((name.to_owned(), index.parse::<usize>().ok()?)));
        match indexed {
            Some((name, index)) => {
                lists.entry(name).or_default().insert(index, value);
            }
            None => {
                params.insert(key, Value::String(value));
            }
        }
    }
    for (name, items) in lists {
        params.insert(name, Value::Array(items.into_values().map(Value::String).collect()));
    }
    params
}

fn basic_auth_ok(headers: &HeaderMap, user: &str, password: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v.trim()).ok())
        .is_some_and(|decoded| decoded == format!("{user}:{password}").as_bytes())
}

/// 401 with an HTML body, as a web server's Basic auth answers (kintone's exact body is
/// UNCONFIRMED).
fn basic_auth_required() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><body><h1>401 Authorization Required</h1></body></html>",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"kintone\""));
    response
}

/// 503 with an HTML body, as kintone answers during maintenance.
fn maintenance() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><body><h1>503 Service Unavailable</h1><p>kintone is under maintenance.</p></body></html>",
    )
        .into_response()
}

/// 429 `GAIA_TO04` with kintone's cache header.
fn too_many_requests(lang: Lang) -> Response {
    let mut response = KintoneError::too_many_requests(lang).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    response
}

async fn stats(State(state): State<FakeState>) -> Json<Value> {
    Json(state.stats())
}

async fn list_faults(State(state): State<FakeState>) -> Json<Value> {
    Json(json!({ "faults": state.faults() }))
}

async fn add_fault(State(state): State<FakeState>, body: axum::body::Bytes) -> Response {
    // One rule, or {"faults": [rules]}.
    let parsed = serde_json::from_slice::<Value>(&body).and_then(|value| match value {
        Value::Object(mut object) if object.contains_key("faults") => {
            serde_json::from_value::<Vec<Fault>>(object.remove("faults").unwrap_or_default())
        }
        value => serde_json::from_value::<Fault>(value).map(|fault| vec![fault]),
    });
    match parsed {
        Ok(faults) => {
            for fault in faults {
                state.add_fault(fault);
            }
            Json(json!({ "faults": state.faults() })).into_response()
        }
        Err(err) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": err.to_string() }))).into_response()
        }
    }
}

async fn clear_faults(State(state): State<FakeState>) -> Json<Value> {
    state.clear_faults();
    Json(json!({ "faults": [] }))
}

/// `PUT /_fake/apps/{app}/properties`: the app's fields change, as if deployed in kintone.
async fn set_properties(
    State(state): State<FakeState>,
    axum::extract::Path(app): axum::extract::Path<u64>,
    body: String,
) -> Response {
    // Read as text so the fields' order (the layout's) is kept.
    match state.set_properties_json(app, &body) {
        Ok(()) => Json(json!({ "app": app })).into_response(),
        Err(err) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": err.to_string() }))).into_response()
        }
    }
}

/// `PUT /_fake/apps/{app}/tokens` `[{"token", "permissions"}]`: the app's API tokens are
/// replaced, as when an administrator regenerates them in kintone.
async fn set_tokens(
    State(state): State<FakeState>,
    axum::extract::Path(app): axum::extract::Path<u64>,
    body: String,
) -> Response {
    let tokens: Vec<crate::TokenSpec> = match serde_json::from_str(&body) {
        Ok(tokens) => tokens,
        Err(err) => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": err.to_string() })))
                .into_response();
        }
    };
    match state.set_tokens(app, tokens) {
        Ok(()) => Json(json!({ "app": app })).into_response(),
        Err(err) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": err.to_string() }))).into_response()
        }
    }
}

async fn reset(State(state): State<FakeState>) -> Response {
    match state.reset() {
        Ok(()) => Json(json!({ "reset": true })).into_response(),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": err.to_string() })))
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::{query_params, split_api};

    #[test]
    fn splits_both_path_forms() {
        assert_eq!(split_api("/k/v1/record.json"), Some((None, "record.json".to_owned())));
        assert_eq!(
            split_api("/k/guest/12/v1/preview/app/form/fields.json"),
            Some((Some(12), "preview/app/form/fields.json".to_owned()))
        );
        assert_eq!(split_api("/k/guest/x/v1/record.json"), None);
    }

    #[test]
    fn indexed_query_keys_become_lists() {
        let params = query_params(vec![
            ("app".into(), "1".into()),
            ("ids[1]".into(), "9".into()),
            ("ids[0]".into(), "8".into()),
        ]);
        assert_eq!(params["app"], "1");
        assert_eq!(params["ids"], serde_json::json!(["8", "9"]));
    }
}
