//! What can go wrong talking to kintone.

use kform_core::kintone::ErrorBody;

/// A failed kintone call.
#[derive(Debug, thiserror::Error)]
pub enum KintoneError {
    /// The base URL cannot be used.
    #[error("invalid kintone base URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as configured.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// kintone could not be reached, or did not answer in time.
    #[error("kintone could not be reached: {0}")]
    Transport(#[source] reqwest::Error),
    /// kintone answered with one of its JSON errors.
    #[error("kintone answered {status} {}: {}", body.code, body.message)]
    Api {
        /// The HTTP status.
        status: u16,
        /// kintone's error body.
        body: ErrorBody,
    },
    /// kintone answered with an error that is not its JSON envelope (e.g. 503 maintenance).
    #[error("kintone answered {status} without an error body")]
    Unexpected {
        /// The HTTP status.
        status: u16,
    },
    /// A success answer that does not have kintone's documented shape.
    #[error("unexpected answer from kintone: {0}")]
    Decode(String),
}

impl KintoneError {
    /// Whether kintone itself refused the record's values (`CB_VA01` with per-field errors).
    pub fn validation_body(&self) -> Option<&ErrorBody> {
        match self {
            Self::Api { body, .. } if body.errors.is_some() && body.code == "CB_VA01" => Some(body),
            _ => None,
        }
    }
}
