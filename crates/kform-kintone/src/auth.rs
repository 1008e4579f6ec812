//! kintone credentials as secrecy types: their `Debug` and `Display` never show the secret.

use std::fmt;

/// A kintone API token.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(****)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// A kintone password.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(****)")
    }
}

/// How the client authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    /// One or more API tokens (several when lookups read other apps), sent comma-separated.
    ApiTokens(Vec<ApiToken>),
    /// A user's login and password (`X-Cybozu-Authorization`). Accounts with two-factor
    /// authentication cannot use the REST API this way.
    Password {
        /// The login name.
        login: String,
        /// The password.
        password: Password,
    },
}

impl Auth {
    /// The header kintone expects, as (name, value).
    pub(crate) fn header(&self) -> (&'static str, String) {
        match self {
            Self::ApiTokens(tokens) => {
                let joined: Vec<&str> = tokens.iter().map(ApiToken::expose).collect();
                ("X-Cybozu-API-Token", joined.join(","))
            }
            Self::Password { login, password } => {
                ("X-Cybozu-Authorization", base64(format!("{login}:{}", password.0).as_bytes()))
            }
        }
    }
}

/// The value of a Basic `Authorization` header after `Basic `.
pub(crate) fn basic(login: &str, password: &Password) -> String {
    base64(format!("{login}:{}", password.0).as_bytes())
}

/// Standard base64 with padding (only used for the password header).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let token = ApiToken::new("canary-1234");
        assert_eq!(format!("{token:?} {token}"), "ApiToken(****) ****");
        let auth = Auth::Password { login: "a".into(), password: Password::new("canary-5678") };
        assert!(!format!("{auth:?}").contains("canary"));
    }

    #[test]
    fn password_header_is_base64_of_login_colon_password() {
        let auth = Auth::Password { login: "admin".into(), password: Password::new("secret") };
        assert_eq!(auth.header(), ("X-Cybozu-Authorization", "YWRtaW46c2VjcmV0".to_owned()));
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
        let tokens = Auth::ApiTokens(vec![ApiToken::new("t1"), ApiToken::new("t2")]);
        assert_eq!(tokens.header().1, "t1,t2");
    }
}
