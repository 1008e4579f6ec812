//! Secrets (keys, tokens, passwords) as a type whose `Debug` never shows the value.

use std::fmt;

/// A secret string; compare with [`Secret::matches`], which takes the same time for any guess.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must send it (a header to kintone, a verifier).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `guess` is this secret, in time that does not depend on where they differ.
    pub fn matches(&self, guess: &str) -> bool {
        use sha2::{Digest, Sha256};
        // Comparing digests keeps the time independent of the lengths as well.
        let (a, b) = (Sha256::digest(self.0.as_bytes()), Sha256::digest(guess.as_bytes()));
        a.iter().zip(b.iter()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_prints_and_compares_exactly() {
        let secret = Secret::new("canary-0001");
        assert_eq!(format!("{secret:?}"), "Secret(****)");
        assert!(secret.matches("canary-0001"));
        assert!(!secret.matches("canary-0002"));
        assert!(!secret.matches("canary-000"));
        assert!(!secret.matches(""));
    }
}
