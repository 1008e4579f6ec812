//! Who may call what: per-form allowed origins (CORS, exact match), the per-IP rate limit with
//! trusted proxy hops, and the admin, editor and integration keys.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::middleware::NoOpMiddleware;
use kform_core::FormId;
use kform_core::protocol::ErrorResponse;
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

use crate::error::AppError;
use crate::error::Code;
use crate::signing::{Claim, Signer};
use crate::state::AppState;

/// The header carrying the render token (exposed to cross-origin pages).
pub(crate) const RENDER_TOKEN: &str = "kform-render-token";

/// The client's address: the TCP peer, or with `hops` trusted proxies in front, the address the
/// outermost trusted proxy saw (counted from the right of `X-Forwarded-For`). With 0 hops the
/// header is ignored, so a client cannot choose its own address.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, hops: usize) -> IpAddr {
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .len()
        .checked_sub(hops)
        .and_then(|i| forwarded.get(i))
        .and_then(|ip| ip.parse().ok())
        .unwrap_or(peer)
}

fn peer(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

/// The rate limiter's key: the client's address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientIp {
    hops: usize,
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(client_ip(peer(req.extensions()), req.headers(), self.hops))
    }
}

/// The public API's rate limit, shared by every router built from one state.
pub(crate) type RateLimit = Arc<GovernorConfig<ClientIp, NoOpMiddleware>>;

/// A limit of `per_minute` requests per client address, with bursts of `burst`. The period is
/// counted in nanoseconds, so it is positive and within a nanosecond of exact for any `u32`.
pub(crate) fn rate_limit(per_minute: u32, burst: u32, hops: usize) -> RateLimit {
    let mut builder = GovernorConfigBuilder::default().key_extractor(ClientIp { hops });
    let period = Duration::from_nanos(60_000_000_000 / u64::from(per_minute.max(1)));
    builder.period(period).burst_size(burst.max(1));
    // Both values are at least 1, which is all `finish` checks.
    Arc::new(builder.finish().unwrap_or_else(|| unreachable!("a positive period and burst")))
}

/// The answer when the rate limit is reached.
#[expect(clippy::needless_pass_by_value, reason = "tower_governor hands the error over by value")]
pub(crate) fn rate_limited(error: GovernorError) -> Response<Body> {
    // The limiter reports the wait in whole seconds rounded down (0 for any wait under a
    // second), so one more second is the first moment a retry is sure to pass.
    let wait = match &error {
        GovernorError::TooManyRequests { wait_time, .. } => wait_time.saturating_add(1),
        _ => 1,
    };
    let body = ErrorResponse::coded(
        Code::RateLimited.as_str(),
        format!(
            "too many requests from this address; try again in {wait} second{}",
            if wait == 1 { "" } else { "s" }
        ),
    );
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Whether `origin` is the relay's own (the page was served by the relay, as in the demo).
fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok());
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    matches!((host, authority), (Some(host), Some(authority)) if host.eq_ignore_ascii_case(authority))
}

/// CORS for the public form API: each form's allowed origins, exact match. A request from any
/// other page is refused with 403 and no CORS headers; requests without `Origin` (servers, curl)
/// and from the relay's own pages pass.
pub(crate) async fn form_origins(
    State(state): State<AppState>,
    Path(params): Path<Vec<(String, String)>>,
    request: Request,
    next: Next,
) -> Response {
    let form_id = params.into_iter().find(|(name, _)| name == "form_id").map(|(_, id)| id);
    let Some(entry) = form_id.and_then(|id| state.form(&FormId(id))) else {
        return next.run(request).await;
    };
    let origin = request.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok());
    let Some(origin) = origin.map(str::to_owned) else {
        return next.run(request).await;
    };
    if same_origin(&origin, request.headers()) {
        return next.run(request).await;
    }
    if !entry.settings.allowed_origins.contains(&origin) {
        tracing::info!(form = %entry.settings.spec.id, %origin, "refused a page not in the form's allowed origins");
        state.inner.metrics.submission(&entry.settings.spec.id.0, "origin_refused");
        let mut refused = AppError::coded(
            StatusCode::FORBIDDEN,
            Code::OriginNotAllowed,
            format!("pages on {origin} may not use form {}", entry.settings.spec.id),
        )
        .into_response();
        // The refusal itself is readable by the page (it holds no form data), so a site owner
        // can tell "this origin is not allowed" from "the relay is down". A preflight stays
        // unreadable: the browser then sends nothing.
        if request.method() != Method::OPTIONS
            && let Ok(value) = HeaderValue::from_str(&origin)
        {
            refused.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            refused.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
        }
        return refused;
    }
    let preflight = request.method() == Method::OPTIONS;
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "kform-render-token, etag, kform-outcome, kform-submission, kform-redirect, kform-wasm",
        ),
    );
    if preflight {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, accept-language, if-none-match"),
        );
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
    response
}

/// The answer to a CORS preflight that [`form_origins`] let through.
pub(crate) async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Who calls the admin API: an administrator (admin key) or an editor (a short-lived token for
/// one form, or for creating one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// Holds an admin key: everything.
    Admin,
    /// Holds an editor token for this form: the form, its connection and its app.
    Editor(String),
    /// Holds a token that may create one form (and has not yet).
    Creator(Creation),
}

/// A token for a new form, before it created one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Creation {
    /// The token's signature, which the store keeps with the form it created.
    pub(crate) tag: String,
    /// The connection and app the form may be for, when the token was minted for them.
    pub(crate) scope: Option<(String, u64)>,
}

impl Caller {
    fn forbidden(code: Code, message: String) -> AppError {
        AppError::coded(StatusCode::FORBIDDEN, code, message)
    }

    /// Refuses editors.
    pub(crate) fn admin_only(&self) -> Result<(), AppError> {
        match self {
            Self::Admin => Ok(()),
            Self::Editor(_) | Self::Creator(_) => Err(Self::forbidden(
                Code::AdminOnly,
                "this needs an admin key; an editor token cannot do it".to_owned(),
            )),
        }
    }

    /// Refuses editors of other forms.
    pub(crate) fn may_edit(&self, form: &str) -> Result<(), AppError> {
        match self {
            Self::Admin => Ok(()),
            Self::Editor(own) if own == form => Ok(()),
            Self::Editor(_) | Self::Creator(_) => Err(Self::forbidden(
                Code::OtherForm,
                format!("this editor token is not for form {form:?}"),
            )),
        }
    }

    /// The connection and app an editor may read (`None`: any, for an admin or an unscoped
    /// token for a new form).
    fn scope(&self, state: &AppState) -> Option<(String, u64)> {
        match self {
            Self::Admin => None,
            Self::Editor(form) => state
                .form(&FormId(form.clone()))
                .map(|entry| (entry.settings.connection.clone(), entry.settings.spec.app.0))
                // A form deleted meanwhile leaves its token nothing to read.
                .or_else(|| Some((String::new(), 0))),
            Self::Creator(creation) => creation.scope.clone(),
        }
    }

    /// Refuses an editor whose token is not for this connection.
    pub(crate) fn may_use_connection(&self, state: &AppState, name: &str) -> Result<(), AppError> {
        match self.scope(state) {
            Some((connection, _)) if connection != name => Err(Self::forbidden(
                Code::OtherConnection,
                format!("this editor token is not for connection {name:?}"),
            )),
            _ => Ok(()),
        }
    }

    /// Refuses an editor whose token is not for this connection and app.
    pub(crate) fn may_use_app(
        &self,
        state: &AppState,
        name: &str,
        app: u64,
    ) -> Result<(), AppError> {
        self.may_use_connection(state, name)?;
        match self.scope(state) {
            Some((_, own)) if own != app => Err(Self::forbidden(
                Code::OtherApp,
                format!("this editor token is not for app {app}"),
            )),
            _ => Ok(()),
        }
    }

    /// Whether the caller holds an admin key.
    pub(crate) fn is_admin(&self) -> bool {
        *self == Self::Admin
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or(AppError::Unauthorized("admin"))?;
        if state.inner.admin_keys.iter().any(|key| key.matches(token)) {
            return Ok(Self::Admin);
        }
        match state.inner.signer.verify(token) {
            Some(Claim::Editor { until, .. }) if until <= state.now_seconds() => {
                Err(AppError::coded(
                    StatusCode::UNAUTHORIZED,
                    Code::TokenExpired,
                    "this editor token has expired; ask for a new one",
                ))
            }
            Some(Claim::Editor { form: Some(form), .. }) => Ok(Self::Editor(form)),
            Some(Claim::Editor { form: None, scope, .. }) => {
                let tag = Signer::tag(token).to_owned();
                // A token for a new form that made one is a token for that form from then on.
                match state.settings().created_with(tag.clone()).await? {
                    Some(form) => Ok(Self::Editor(form)),
                    None => Ok(Self::Creator(Creation { tag, scope })),
                }
            }
            _ => Err(AppError::Unauthorized("admin")),
        }
    }
}

/// A caller holding an integration key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Integration;

impl FromRequestParts<AppState> for Integration {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or(AppError::Unauthorized("integration"))?;
        if state.inner.integration_keys.iter().any(|key| key.matches(token)) {
            Ok(Self)
        } else {
            Err(AppError::Unauthorized("integration"))
        }
    }
}

/// The client's address as a handler sees it.
pub(crate) struct ClientAddr(pub(crate) IpAddr);

impl ClientAddr {
    /// The address of `request`'s client, for a handler that reads the request itself.
    pub(crate) fn of<B>(request: &axum::http::Request<B>, state: &AppState) -> Self {
        Self(client_ip(
            peer(request.extensions()),
            request.headers(),
            state.inner.limits.trusted_proxy_hops,
        ))
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(
            peer(&parts.extensions),
            &parts.headers,
            state.inner.limits.trusted_proxy_hops,
        )))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    use super::client_ip;

    #[test]
    fn forwarded_for_is_trusted_only_for_configured_hops() {
        let peer = "10.0.0.9".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
        assert_eq!(client_ip(peer, &headers, 0), peer, "a forged header is ignored by default");
        assert_eq!(
            client_ip(peer, &headers, 1),
            "203.0.113.7".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(client_ip(peer, &headers, 2), "6.6.6.6".parse::<std::net::IpAddr>().unwrap());
        assert_eq!(client_ip(peer, &headers, 3), peer, "fewer entries than hops");
    }
}
