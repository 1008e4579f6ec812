//! The router: paths, static files and layers, assembled in one place.
//!
//! - Public (`/v1/forms/…`): per-form CORS, per-IP rate limit, JSON body limit.
//! - Admin (`/v1/admin/…`): bearer keys or editor tokens; CORS for the configured editor origins.
//! - Integration (`/v1/integration/…`, lookup): bearer keys, no CORS.
//! - Operations: `/healthz`, `/readyz`, `/metrics`, `/v1/openapi.json`.
//! - `/widget/…`: the bundle; `/`: demo pages when a pages directory is set.

mod admin;
pub(crate) mod forms;
mod integration;
mod ops;
mod page;
mod submissions;
mod widget;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_governor::GovernorLayer;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::Code;
use crate::guard;
use crate::state::AppState;

/// The largest body of an admin call (a form definition).
const ADMIN_BODY_LIMIT: usize = 1024 * 1024;

/// Headers every API answer carries unless a handler set its own.
fn api_headers(router: Router<AppState>) -> Router<AppState> {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router.layer(header(header::CACHE_CONTROL, "no-store")).layer(header(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    ))
}

/// Answers an API path no route has.
async fn unknown_path() -> crate::error::AppError {
    crate::error::AppError::coded(
        axum::http::StatusCode::NOT_FOUND,
        Code::NotFound,
        "no such API path; GET /v1/openapi.json lists them",
    )
}

/// Makes every API error JSON `{"message", "code"}`, including the ones axum answers itself
/// (a path or query it cannot read, a method the route lacks), which are plain text or empty.
/// JSON answers and the markup (HTML) pass as they are.
async fn json_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // The hosted pages and the demo's pages answer people, in HTML.
    let api = path.starts_with("/v1/")
        || path.starts_with("/widget/")
        || ["/healthz", "/readyz", "/metrics"].contains(&path);
    let response = next.run(request).await;
    if !api {
        return response;
    }
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !(status.is_client_error() || status.is_server_error())
        || content_type.starts_with("application/json")
        || content_type.starts_with("text/html")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let code = match status.as_u16() {
        400 => Code::BadRequest,
        404 => Code::NotFound,
        405 => Code::MethodNotAllowed,
        413 => Code::BodyTooLarge,
        415 => Code::UnsupportedMediaType,
        422 => Code::Unprocessable,
        429 => Code::RateLimited,
        500..=599 => Code::Internal,
        _ => Code::Refused,
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_owned()
    } else {
        text
    };
    let body = kform_core::protocol::ErrorResponse::coded(code.as_str(), message);
    let json = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, axum::body::Body::from(json))
}

/// CORS for the admin API: only the configured editor origins (CMS screens embedding the
/// editor) may call it from a browser, with a bearer token and never cookies.
fn editor_cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> =
        origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT_LANGUAGE])
        .max_age(std::time::Duration::from_secs(600))
}

/// How the relay compresses what it renders for each request (a form's markup and include, the
/// hosted pages): brotli at quality 5 (gzip at level 5) costs what tower-http's default, brotli 4,
/// costs (0.7 ms each for the 30-field bench form's 24 KB of markup, timed with Node's brotli)
/// and the demo relay sent 6 % less for it (3.06 against 3.26 KB, `curl`). Higher qualities cost
/// several times more for each request; the bundle's own files are compressed at quality 11
/// once, when they are built.
fn compression() -> CompressionLayer {
    CompressionLayer::new().quality(CompressionLevel::Precise(5))
}

/// The relay's whole HTTP service.
pub fn app(state: AppState) -> Router {
    let limits = &state.inner.limits;
    let public = Router::new()
        .route("/v1/forms/{form_id}", get(forms::show).options(guard::preflight))
        .route(
            "/v1/forms/{form_id}/submissions",
            // Files may be attached (multipart); a JSON body keeps the JSON limit.
            post(submissions::create)
                .layer(DefaultBodyLimit::max(limits.file_body_bytes))
                .options(guard::preflight),
        )
        .route(
            "/v1/forms/{form_id}/html",
            // The markup is what a visitor waits for: compressed like the bundle's files.
            get(page::fragment)
                .post(page::fragment_post)
                .layer::<_, std::convert::Infallible>(compression())
                .layer(DefaultBodyLimit::max(limits.file_body_bytes))
                .options(guard::preflight),
        )
        .route(
            "/v1/forms/{form_id}/include",
            // For a host page's server; a browser's page asks for `/html`.
            get(page::include).layer::<_, std::convert::Infallible>(compression()),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::form_origins))
        .layer(
            GovernorLayer::new(state.inner.rate_limit.clone()).error_handler(guard::rate_limited),
        )
        .layer(DefaultBodyLimit::max(limits.json_body_bytes));
    // The hosted pages: the relay's own origin, so no CORS; the same rate limit. Their
    // stylesheets are not counted (like the widget's files): a visit is one request against it.
    let pages = Router::new()
        .route(
            "/f/{form_id}",
            get(page::show).post(page::post).layer(DefaultBodyLimit::max(limits.file_body_bytes)),
        )
        .route("/f/{form_id}/sent", get(page::sent))
        .layer(
            GovernorLayer::new(state.inner.rate_limit.clone()).error_handler(guard::rate_limited),
        )
        .route("/f/kform.css", get(page::css))
        .route("/f/{form_id}/theme.css", get(page::theme_css))
        .layer(compression());
    let integration = Router::new()
        .route("/v1/integration/forms/{form_id}/submissions", post(integration::submit))
        .route("/v1/connections/{name}/apps/{app}/lookup", get(integration::lookup))
        .layer(DefaultBodyLimit::max(limits.file_body_bytes));
    let admin = admin::router()
        .layer(DefaultBodyLimit::max(ADMIN_BODY_LIMIT))
        .layer(editor_cors(&state.inner.editor_origins));
    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/openapi.json", get(ops::openapi));
    let api = api_headers(
        public
            .merge(integration)
            .merge(admin)
            .merge(ops)
            // An unknown API path is a JSON 404, even when demo pages are served from `/`.
            .route("/v1/{*rest}", axum::routing::any(unknown_path)),
    );
    let mut router = api
        .merge(pages)
        .route("/widget/sri.json", get(widget::manifest))
        .route("/widget/{file}", get(widget::latest))
        .route("/widget/{version}/{file}", get(widget::versioned));
    if let Some(dir) = &state.inner.pages_dir {
        router = router.fallback_service(
            ServeDir::new(dir).not_found_service(ServeFile::new(dir.join("404.html"))),
        );
    }
    let header = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    router
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(state.clone(), record_metrics))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("referrer-policy", "no-referrer"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("strict-transport-security", "max-age=31536000"))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .headers()
                .get("x-request-id")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            // The path only: query strings may hold personal data (a lookup's phone number).
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Counts every request by its route pattern (never its raw path, which holds ids).
async fn record_metrics(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    state.inner.metrics.http(&route, response.status().as_u16(), started.elapsed());
    response
}
