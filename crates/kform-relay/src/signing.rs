//! Signed tokens: the render token sent with a form (when it was served) and the short-lived
//! editor tokens minted by the admin API. Both are `base64url(payload).base64url(HMAC-SHA256)`
//! under the data directory's signing key, so they survive restarts and need no table.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum Claim {
    /// The form `form` was served at `at`.
    Render {
        /// The form id.
        form: String,
        /// When it was served.
        at: crate::clock::UnixMillis,
    },
    /// An editor may work on `form` (or create one, when `None`) until `until`, in whole Unix
    /// seconds ([`crate::clock::UnixMillis::seconds`]): the token carries it short.
    Editor {
        /// The form id, or `None` for a new form.
        form: Option<String>,
        /// When the token stops working.
        until: i64,
        /// For a new form: the connection and app it may be created for (`None`: any).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<(String, u64)>,
        /// For a new form: random, so that every such token is a different one (it may create
        /// one form, remembered by the token's signature).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
}

/// Signs and checks tokens with one key.
#[derive(Clone)]
pub(crate) struct Signer {
    key: Vec<u8>,
}

impl Signer {
    /// A signer with `key` (at least 32 bytes).
    pub(crate) fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    /// The token for `claim`.
    pub(crate) fn sign(&self, claim: &Claim) -> String {
        let payload = serde_json::to_vec(claim).unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The signature part of a token: what identifies one token among equal claims' tokens.
    pub(crate) fn tag(token: &str) -> &str {
        token.rsplit_once('.').map_or(token, |(_, tag)| tag)
    }

    /// The claim of a token this signer made, or `None` for anything else.
    pub(crate) fn verify(&self, token: &str) -> Option<Claim> {
        let (payload, tag) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&tag).ok()?;
        serde_json::from_slice(&payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::{Claim, Signer};

    #[test]
    fn a_token_verifies_only_unchanged_and_under_its_key() {
        let signer = Signer::new(vec![7; 32]);
        let claim = Claim::Render {
            form: "contact".into(),
            at: crate::clock::UnixMillis(1_700_000_000_000),
        };
        let token = signer.sign(&claim);
        assert_eq!(signer.verify(&token), Some(claim));
        assert_eq!(Signer::new(vec![8; 32]).verify(&token), None, "another key");
        let (payload, tag) = token.split_once('.').unwrap();
        let forged = Claim::Editor { form: None, until: i64::MAX, scope: None, nonce: None };
        let forged_payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&forged).unwrap(),
        );
        assert_eq!(signer.verify(&format!("{forged_payload}.{tag}")), None, "changed payload");
        assert_eq!(signer.verify(payload), None, "no tag");
        assert_eq!(signer.verify("garbage"), None);
    }
}
