//! Secrets at rest: the API tokens and passwords of connections made through the admin API are
//! kept in the database sealed (AES-256-GCM) under the operator's `data_key`, so the
//! database file, its WAL and its backups do not hold them in the clear.
//!
//! The key comes from `kform.toml` (`data_key = { env = "KFORM_DATA_KEY" }`, at least 32
//! characters); the cipher key is its SHA-256. A sealed value is `sealed:v1:` and the base64url
//! of a random 12-byte nonce followed by the ciphertext and its tag. Without a `data_key`,
//! secrets are stored as written (the README says so); once one is set, the relay seals the
//! stored secrets at start.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// What marks a sealed value.
const PREFIX: &str = "sealed:v1:";

/// The key sealing stored secrets.
pub(crate) struct DataKey {
    key: LessSafeKey,
    random: SystemRandom,
}

/// Why a sealed value could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SealError {
    /// The value is sealed and no `data_key` is set.
    #[error("it is sealed, and kform.toml sets no data_key")]
    NoKey,
    /// The value was sealed under another key, or changed.
    #[error("it cannot be opened with this data_key (another key, or changed)")]
    Wrong,
    /// No random nonce could be drawn.
    #[error("the system's random source failed")]
    Random,
}

impl DataKey {
    /// The key derived from the operator's `data_key`.
    pub(crate) fn new(secret: &Secret) -> Self {
        let digest = Sha256::digest(secret.expose().as_bytes());
        let unbound = UnboundKey::new(&AES_256_GCM, &digest)
            .unwrap_or_else(|_| unreachable!("a SHA-256 digest is an AES-256 key"));
        Self { key: LessSafeKey::new(unbound), random: SystemRandom::new() }
    }

    /// `plain`, sealed.
    pub(crate) fn seal(&self, plain: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| SealError::Wrong)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// The value inside a sealed one.
    fn open(&self, sealed: &str) -> Result<String, SealError> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| SealError::Wrong)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Wrong);
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Wrong)?;
        let mut data = data.to_vec();
        let plain =
            self.key.open_in_place(nonce, Aad::empty(), &mut data).map_err(|_| SealError::Wrong)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Wrong)
    }
}

/// Whether a stored value is sealed.
pub(crate) fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// A stored value as written: opened when sealed, as it is otherwise.
pub(crate) fn open(key: Option<&DataKey>, value: &str) -> Result<String, SealError> {
    match (value.strip_prefix(PREFIX), key) {
        (None, _) => Ok(value.to_owned()),
        (Some(_), None) => Err(SealError::NoKey),
        (Some(sealed), Some(key)) => key.open(sealed),
    }
}

#[cfg(test)]
mod tests {
    use super::{DataKey, SealError, is_sealed, open};
    use crate::secret::Secret;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_never_shows_the_value() {
        let key = DataKey::new(&Secret::new("k".repeat(32)));
        let sealed = key.seal("canary-token-0001").unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains("canary"));
        assert_ne!(sealed, key.seal("canary-token-0001").unwrap(), "a new nonce each time");
        assert_eq!(open(Some(&key), &sealed).unwrap(), "canary-token-0001");
        assert_eq!(open(Some(&key), "as written").unwrap(), "as written");
        assert!(matches!(open(None, &sealed), Err(SealError::NoKey)));
        let other = DataKey::new(&Secret::new("x".repeat(32)));
        assert!(matches!(open(Some(&other), &sealed), Err(SealError::Wrong)));
        let mut changed = sealed.clone();
        changed.pop();
        changed.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(matches!(open(Some(&key), &changed), Err(SealError::Wrong)));
    }
}
