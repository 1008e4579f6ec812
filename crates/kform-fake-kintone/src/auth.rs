//! Authentication and token permissions, as kintone checks them (`NOTES.md` §1.3, §1.4).
//!
//! Password auth (`X-Cybozu-Authorization`) beats API tokens; tokens come comma-separated in one
//! `X-Cybozu-API-Token` header or in repeated headers.

use axum::http::HeaderMap;
use base64::Engine;

use crate::error::{KintoneError, Lang};
use crate::store::Store;
use crate::{Permission, User};

/// What an API call needs from a token.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Need {
    /// Reading field settings: view or add.
    FieldSettings,
    /// The given permission.
    Permission(Permission),
}

/// Checks the request's credentials for `app`; `Ok` when the call may proceed.
pub(crate) fn authorize(
    store: &Store,
    headers: &HeaderMap,
    app: u64,
    need: Need,
    lang: Lang,
) -> Result<(), KintoneError> {
    if let Some(header) = headers.get("x-cybozu-authorization") {
        let decoded = header
            .to_str()
            .ok()
            .and_then(|value| base64::engine::general_purpose::STANDARD.decode(value.trim()).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let known = decoded.as_deref().and_then(|pair| pair.split_once(':')).is_some_and(
            |(login, password)| {
                store.users.iter().any(|User { login: l, password: p }| l == login && p == password)
            },
        );
        return if known { Ok(()) } else { Err(KintoneError::password_failed(lang)) };
    }
    let tokens: Vec<&str> = headers
        .get_all("x-cybozu-api-token")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .collect();
    if tokens.is_empty() {
        return Err(KintoneError::not_logged_in(lang));
    }
    let mut apps_seen = Vec::new();
    let mut granted: Option<&[Permission]> = None;
    for token in tokens {
        let (token_app, permissions) =
            store.find_token(token).ok_or(KintoneError::token_mismatch(lang))?;
        if apps_seen.contains(&token_app) {
            return Err(KintoneError::duplicate_token(lang));
        }
        apps_seen.push(token_app);
        if token_app == app {
            granted = Some(permissions);
        }
    }
    let permissions = granted.ok_or(KintoneError::token_mismatch(lang))?;
    let allowed = match need {
        Need::FieldSettings => {
            permissions.contains(&Permission::View) || permissions.contains(&Permission::Add)
        }
        Need::Permission(permission) => permissions.contains(&permission),
    };
    if allowed { Ok(()) } else { Err(KintoneError::token_not_permitted(lang)) }
}
