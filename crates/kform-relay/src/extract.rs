//! Request extractors whose rejections are [`AppError`]s, and the request's language.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use kform_core::Locale;

use crate::error::AppError;

/// `Json<T>` whose rejection is a JSON error body saying what is wrong.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub(crate) struct AppJson<T>(pub(crate) T);

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        Self::BadJson(rejection)
    }
}

/// The language the request asks for: `?lang=` first, then `Accept-Language`; `None` leaves the
/// choice to the form's default language.
pub(crate) struct RequestLocale(pub(crate) Option<Locale>);

impl<S: Send + Sync> FromRequestParts<S> for RequestLocale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let from_query = parts.uri.query().and_then(|query| {
            query.split('&').find_map(|pair| pair.strip_prefix("lang=")).and_then(Locale::from_tag)
        });
        let from_header = || {
            parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(Locale::from_accept_language)
        };
        Ok(Self(from_query.or_else(from_header)))
    }
}
