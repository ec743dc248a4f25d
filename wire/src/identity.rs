//! Who a caller is: the user as the upstream provider identified them, and the key that names
//! that user's Durable Object.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The user as the upstream provider identified them; kept sealed in the grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserIdentity {
    pub iss: String,
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The key that names a user's Durable Object: 32 hex characters of SHA-256 over the upstream
/// issuer and subject, so the same person always reaches the same object and nothing personal
/// appears in tokens or object names.
pub fn user_key(iss: &str, sub: &str) -> String {
    let mut h = Sha256::new();
    h.update((iss.len() as u64).to_be_bytes());
    h.update(iss.as_bytes());
    h.update(sub.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn user_key_is_stable_hex_and_separates_issuers() {
        let k = user_key("https://a.example", "alice");
        assert_eq!(k.len(), 32);
        assert!(k.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(k, user_key("https://a.example", "alice"));
        assert_ne!(k, user_key("https://b.example", "alice"));
        assert_ne!(user_key("ab", "c"), user_key("a", "bc"), "issuer and subject cannot be shifted");
    }
}
