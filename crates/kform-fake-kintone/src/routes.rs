//! kintone's REST paths, with and without the guest-space prefix, dispatched by method (or by
//! `X-HTTP-Method-Override` on a POST). Every response carries kintone's concurrency headers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::auth::{Need, authorize};
use crate::error::{KintoneError, Lang};
use crate::query::{self, QueryError};
use crate::store::Store;
use crate::{FakeState, Permission};

/// The fake's router: `/k/v1/…` and `/k/guest/{space}/v1/…`.
pub fn app(state: FakeState) -> Router {
    let running = Arc::new(AtomicUsize::new(0));
    Router::new()
        .route("/k/v1/{*api}", any(kintone_api))
        .route("/k/guest/{space}/v1/{*api}", any(kintone_api))
        .with_state((state, running))
}

type AppState = (FakeState, Arc<AtomicUsize>);

/// One request as the dispatcher sees it.
struct Call {
    method: Method,
    api: String,
    params: Map<String, Value>,
    headers: HeaderMap,
    lang: Lang,
}

/// Both path forms: `{api}` is the part after `/v1/`; the guest space id is not checked yet.
async fn kintone_api(
    State(state): State<AppState>,
    Path(path): Path<HashMap<String, String>>,
    method: Method,
    query: Query<HashMap<String, String>>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let api = path.get("api").cloned().unwrap_or_default();
    respond(state, api, method, query.0, lang, headers, &body)
}

fn respond(
    (state, running): AppState,
    api: String,
    method: Method,
    query: HashMap<String, String>,
    lang: Lang,
    headers: HeaderMap,
    body: &[u8],
) -> Response {
    let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
    let mut response = match call(method, api, query, lang, headers, body) {
        Ok(call) => dispatch(&state, &call).unwrap_or_else(IntoResponse::into_response),
        Err(err) => err.into_response(),
    };
    running.fetch_sub(1, Ordering::SeqCst);
    let headers = response.headers_mut();
    headers.insert("x-concurrencylimit-limit", HeaderValue::from_static("100"));
    headers.insert("x-concurrencylimit-running", HeaderValue::from(now_running));
    response
}

/// Merges query-string and JSON-body parameters and applies `X-HTTP-Method-Override`.
fn call(
    method: Method,
    api: String,
    query: HashMap<String, String>,
    lang: Lang,
    headers: HeaderMap,
    body: &[u8],
) -> Result<Call, KintoneError> {
    let mut params: Map<String, Value> =
        query.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    if !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(json)) => params.extend(json),
            _ => return Err(KintoneError::invalid_json(lang)),
        }
    }
    let override_method = headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Method>().ok());
    let method = match override_method {
        Some(overridden) if method == Method::POST => overridden,
        _ => method,
    };
    Ok(Call { method, api, params, headers, lang })
}

fn dispatch(state: &FakeState, call: &Call) -> Result<Response, KintoneError> {
    let mut store = lock(state);
    match (&call.method, call.api.as_str()) {
        (&Method::GET, "app/form/fields.json" | "preview/app/form/fields.json") => {
            form_fields(&store, call)
        }
        (&Method::GET, "record.json") => get_record(&store, call),
        (&Method::POST, "record.json") => add_record(&mut store, call),
        (&Method::GET, "records.json") => get_records(&store, call),
        _ => Ok((StatusCode::NOT_FOUND, "Not Found").into_response()),
    }
}

fn lock(state: &FakeState) -> MutexGuard<'_, Store> {
    // A panic while holding the lock would be a bug in the fake; keep serving what is there.
    state.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A numeric parameter given as a JSON number or string (`app`, `id`).
fn id_param(call: &Call, name: &str) -> Result<u64, KintoneError> {
    let value =
        call.params.get(name).ok_or_else(|| KintoneError::missing_parameter(call.lang, name))?;
    let parsed = match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    };
    match parsed {
        Some(id) if id >= 1 => Ok(id.unsigned_abs()),
        Some(_) => Err(KintoneError::invalid_parameter(
            call.lang,
            name,
            call.lang.pick("最小でも1以上です。", "must be greater than or equal to 1"),
        )),
        None => Err(KintoneError::invalid_json(call.lang)),
    }
}

fn form_fields(store: &Store, call: &Call) -> Result<Response, KintoneError> {
    let app = id_param(call, "app")?;
    authorize(store, &call.headers, app, Need::FieldSettings, call.lang)?;
    let app = store.app(app, call.lang)?;
    Ok(Json(json!({ "properties": app.spec.properties, "revision": "1" })).into_response())
}

fn get_record(store: &Store, call: &Call) -> Result<Response, KintoneError> {
    let app_id = id_param(call, "app")?;
    let id = id_param(call, "id")?;
    authorize(store, &call.headers, app_id, Need::Permission(Permission::View), call.lang)?;
    let app = store.app(app_id, call.lang)?;
    let record = app
        .records
        .iter()
        .find(|record| record.id == id)
        .ok_or_else(|| KintoneError::record_not_found(call.lang, &id.to_string()))?;
    Ok(Json(json!({ "record": record.to_json() })).into_response())
}

fn add_record(store: &mut Store, call: &Call) -> Result<Response, KintoneError> {
    let app = id_param(call, "app")?;
    authorize(store, &call.headers, app, Need::Permission(Permission::Add), call.lang)?;
    let record = call.params.get("record").cloned().unwrap_or(Value::Null);
    let (id, revision) = store.add_record(app, &record, call.lang)?;
    Ok(Json(json!({ "id": id.to_string(), "revision": revision.to_string() })).into_response())
}

fn get_records(store: &Store, call: &Call) -> Result<Response, KintoneError> {
    let app_id = id_param(call, "app")?;
    authorize(store, &call.headers, app_id, Need::Permission(Permission::View), call.lang)?;
    let app = store.app(app_id, call.lang)?;
    let text = call.params.get("query").and_then(Value::as_str).unwrap_or_default();
    let query = query::parse(text).map_err(|err| match err {
        QueryError::Syntax => KintoneError::invalid_parameter(
            call.lang,
            "query",
            call.lang.pick("クエリ記法が間違っています。", "The query is invalid."),
        ),
        QueryError::LimitTooLarge => KintoneError::bad_request(
            "GAIA_QU01",
            call.lang.pick(
                "limit には 500 以下の値を指定してください。",
                "The limit must be 500 or less.",
            ),
        ),
        QueryError::OffsetTooLarge => KintoneError::bad_request(
            "GAIA_QU02",
            call.lang.pick(
                "offset には 10000 以下の値を指定してください。",
                "The offset must be 10000 or less.",
            ),
        ),
    })?;
    let selected = query.select(app.records.iter().map(|record| record.to_json()).collect());
    let total = selected.len();
    let wanted: Option<Vec<String>> = call
        .params
        .get("fields")
        .and_then(Value::as_array)
        .map(|fields| fields.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect());
    let records: Vec<Value> = selected
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .map(|record| match (&wanted, record) {
            (Some(wanted), Value::Object(fields)) => Value::Object(
                fields.into_iter().filter(|(code, _)| wanted.contains(code)).collect(),
            ),
            (_, record) => record,
        })
        .collect();
    let wants_total = matches!(call.params.get("totalCount"), Some(Value::Bool(true)))
        || call.params.get("totalCount").and_then(Value::as_str) == Some("true");
    let total_count = if wants_total { Value::String(total.to_string()) } else { Value::Null };
    Ok(Json(json!({ "records": records, "totalCount": total_count })).into_response())
}
