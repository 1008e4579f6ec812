//! The router: paths, static files and layers, assembled in one place.

mod forms;
mod submissions;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// The largest JSON body a submission may have.
const JSON_BODY_LIMIT: usize = 64 * 1024;

/// The relay's whole HTTP service.
///
/// Public form endpoints answer any origin for now (per-form allowed origins are not built yet).
/// The widget bundle is served under `/widget/` when a widget directory is set, and pages from
/// `/` when a pages directory is set (the demo).
pub fn app(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT_LANGUAGE]);
    let mut router = Router::new()
        .route("/v1/forms/{form_id}", get(forms::show))
        .route("/v1/forms/{form_id}/submissions", post(submissions::create))
        .layer(cors)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if let Some(dir) = &state.widget_dir {
        // The bundle's file names are not content-hashed yet, so browsers must revalidate.
        let widget = Router::new().fallback_service(ServeDir::new(dir)).layer(
            SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            ),
        );
        router = router.nest_service("/widget", widget);
    }
    if let Some(dir) = &state.pages_dir {
        router = router.fallback_service(
            ServeDir::new(dir).not_found_service(ServeFile::new(dir.join("404.html"))),
        );
    }
    router.layer(TraceLayer::new_for_http()).with_state(state)
}
