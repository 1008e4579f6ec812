//! Operations: liveness, readiness, Prometheus metrics and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::outbox::Channel;
use crate::state::AppState;

/// The public API's OpenAPI 3.1 description.
const OPENAPI: &str = include_str!("../openapi.json");

/// `GET /healthz`: the process answers.
pub(crate) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: whether the relay can accept submissions durably, which is whether its store
/// (the data directory, or the shared PostgreSQL database) takes a write. kintone's state is
/// reported beside it but does not decide: during kintone's maintenance the relay must stay in
/// service, since its outbox keeps the leads.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let (key, what) = if state.store().shared {
        ("database", "the database")
    } else {
        ("data_dir", "the data directory")
    };
    let store = match state.settings().writable().await {
        Ok(()) => json!({ "ok": true }),
        Err(err) => {
            tracing::error!(error = %err, "readiness: {what} is not writable");
            json!({ "ok": false, "error": format!("{what} is not writable") })
        }
    };
    let ready = store["ok"] == true;
    let kintone = kintone_status(&state).await;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ready": ready, key: store, "kintone": kintone }))).into_response()
}

/// How long a readiness or metrics probe waits for kintone: a probe must answer quickly even
/// when kintone does not (the client's own timeout is 30 s), or a load balancer's probe of
/// `/readyz` would time out and take the relay out of service after all.
const PING_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether each connection's kintone answers now, by connection name: `{"ok": true}` or
/// `{"ok": false, "error": …}`. The connections are asked at once, each for at most
/// [`PING_WAIT`].
pub(crate) async fn kintone_status(state: &AppState) -> serde_json::Map<String, serde_json::Value> {
    let mut pings = tokio::task::JoinSet::new();
    for connection in state.connections() {
        // A probe must not spend the apps' daily API quota: an unauthenticated call shows that
        // kintone answers, and `kform check-config` is where the credentials are tried.
        pings.spawn(async move {
            let check = match tokio::time::timeout(PING_WAIT, connection.ping()).await {
                Ok(Ok(status)) if status < 500 => json!({ "ok": true }),
                Ok(Ok(status)) => json!({
                    "ok": false,
                    "error": format!("kintone answered {status} (maintenance or failure)")
                }),
                Ok(Err(err)) => json!({ "ok": false, "error": err.to_string() }),
                Err(_) => json!({
                    "ok": false,
                    "error": format!("kintone did not answer within {} s", PING_WAIT.as_secs())
                }),
            };
            (connection.name.clone(), check)
        });
    }
    let mut kintone = serde_json::Map::new();
    while let Some(Ok((name, check))) = pings.join_next().await {
        kintone.insert(name, check);
    }
    kintone
}

/// `GET /metrics`: Prometheus text format, with the outbox's submissions per form and stage
/// (alert on `stage="dead_letter"` or a growing `stage="pending"`), and the failure digest's
/// queue.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = state.inner.metrics.render();
    text.push_str(
        "# HELP kform_kintone_up Whether a connection's kintone answers (1) or not (0).\n",
    );
    text.push_str("# TYPE kform_kintone_up gauge\n");
    for (name, check) in kintone_status(&state).await {
        let up = u8::from(check["ok"] == true);
        let name = name.replace('\\', "\\\\").replace('"', "\\\"");
        text.push_str(&format!("kform_kintone_up{{connection=\"{name}\"}} {up}\n"));
    }
    text.push_str("# HELP kform_outbox_submissions Kept submissions by form and stage.\n");
    text.push_str("# TYPE kform_outbox_submissions gauge\n");
    match state.outbox(|outbox| outbox.counts(None)).await {
        Ok(counts) => {
            for (form, stage, count) in counts {
                let form = form.replace('\\', "\\\\").replace('"', "\\\"");
                text.push_str(&format!(
                    "kform_outbox_submissions{{form=\"{form}\",stage=\"{}\"}} {count}\n",
                    stage.as_str()
                ));
            }
        }
        Err(err) => tracing::warn!(error = %err, "metrics: the outbox could not be counted"),
    }
    let queues = [
        (
            Channel::Digest,
            "kform_digest_queued",
            "Failure digest events waiting to be sent: new, or retrying after a digest failed \
             (alert on retrying > 0: the mail or webhook settings need a look).",
        ),
        (
            Channel::Mail,
            "kform_mail_queued",
            "Auto-replies and team notices: new, retrying after a failure (alert on a growing \
             retrying: the [mail] SMTP settings need a look), or given up (kept for an operator \
             to send again from the delivery view or `kform mails`).",
        ),
    ];
    for (channel, name, help) in queues {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        match state.outbox(move |outbox| outbox.queue_length(channel)).await {
            Ok(length) => {
                text.push_str(&format!(
                    "{name}{{state=\"new\"}} {}\n{name}{{state=\"retrying\"}} {}\n",
                    length.waiting - length.retrying,
                    length.retrying
                ));
                if channel == Channel::Mail {
                    text.push_str(&format!("{name}{{state=\"given_up\"}} {}\n", length.given_up));
                }
            }
            Err(err) => tracing::warn!(error = %err, "metrics: a queue could not be counted"),
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// `GET /v1/openapi.json`.
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], OPENAPI)
        .into_response()
}
