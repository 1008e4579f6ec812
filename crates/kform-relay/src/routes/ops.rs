//! Operations: liveness, readiness, Prometheus metrics and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

/// The public API's OpenAPI 3.1 description.
const OPENAPI: &str = include_str!("../openapi.json");

/// `GET /healthz`: the process answers.
pub(crate) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the data directory takes a write and every connection's kintone answers.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let store = match state.store().writable().await {
        Ok(()) => json!({ "ok": true }),
        Err(err) => {
            tracing::error!(error = %err, "readiness: the data directory is not writable");
            json!({ "ok": false, "error": "the data directory is not writable" })
        }
    };
    let mut ready = store["ok"] == true;
    let mut kintone = serde_json::Map::new();
    for connection in state.connections() {
        // A probe must not spend the apps' daily API quota: an unauthenticated call shows that
        // kintone answers, and `kform check-config` is where the credentials are tried.
        let check = match connection.ping().await {
            Ok(status) if status < 500 => json!({ "ok": true }),
            Ok(status) => {
                ready = false;
                json!({ "ok": false, "error": format!("kintone answered {status} (maintenance or failure)") })
            }
            Err(err) => {
                ready = false;
                json!({ "ok": false, "error": err.to_string() })
            }
        };
        kintone.insert(connection.name.clone(), check);
    }
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ready": ready, "data_dir": store, "kintone": kintone }))).into_response()
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.inner.metrics.render(),
    )
        .into_response()
}

/// `GET /v1/openapi.json`.
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], OPENAPI)
        .into_response()
}
