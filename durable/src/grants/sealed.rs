//! Confidentiality for what a grant carries (the user's identity and the upstream refresh token):
//! sealed with a random per-grant key, and that key stored only wrapped by each token that may use
//! it. Reading the database alone reveals nothing; the token holder's request unwraps the key.
//!
//! - Cipher: XChaCha20-Poly1305 (24-byte random nonces are safe), blob = `nonce || ciphertext`.
//! - Wrap: `key XOR SHA-256("r2-mcp/wrap/v1" || token)`. Each token carries 256 random bits and is
//!   used for one wrap, so the pad is a one-time pad from a PRF; the AEAD tag detects a wrong key.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 24;

/// A grant's secret key.
pub type GrantKey = [u8; KEY_LEN];

fn pad(token: &str) -> [u8; KEY_LEN] {
    let mut h = Sha256::new();
    h.update(b"r2-mcp/wrap/v1");
    h.update(token.as_bytes());
    h.finalize().into()
}

/// The key as stored next to the hash of `token`.
pub fn wrap(key: &GrantKey, token: &str) -> Vec<u8> {
    key.iter().zip(pad(token)).map(|(k, p)| k ^ p).collect()
}

/// The key back from its wrapped form, given the token; `None` when the stored form is malformed.
pub fn unwrap(wrapped: &[u8], token: &str) -> Option<GrantKey> {
    if wrapped.len() != KEY_LEN {
        return None;
    }
    let mut out = [0u8; KEY_LEN];
    for ((o, w), p) in out.iter_mut().zip(wrapped).zip(pad(token)) {
        *o = w ^ p;
    }
    Some(out)
}

/// Encrypts `plaintext` bound to `aad`; `nonce` must be fresh random bytes.
pub fn seal(key: &GrantKey, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let ct = cipher.encrypt(XNonce::from_slice(nonce), Payload { msg: plaintext, aad }).ok()?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    Some(out)
}

/// Decrypts a blob made by [`seal`]; `None` when the key, the `aad` or the blob is wrong.
pub fn open(key: &GrantKey, aad: &[u8], blob: &[u8]) -> Option<Vec<u8>> {
    if blob.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ct) = blob.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into()).decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad }).ok()
}

/// Encrypts with an arbitrary-length key (used by the front Worker's cookie sealing).
pub fn seal_with(key: &[u8; KEY_LEN], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
    if nonce.len() != NONCE_LEN {
        return None;
    }
    XChaCha20Poly1305::new(key.into()).encrypt(XNonce::from_slice(nonce), Payload { msg: plaintext, aad }).ok()
}

/// Decrypts what [`seal_with`] produced (nonce passed separately).
pub fn open_with(key: &[u8; KEY_LEN], nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    if nonce.len() != NONCE_LEN {
        return None;
    }
    XChaCha20Poly1305::new(key.into()).decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad }).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef:AAAAAAAAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    #[test]
    fn a_wrapped_key_unwraps_only_with_its_token() {
        let key = [7u8; KEY_LEN];
        let w = wrap(&key, TOKEN);
        assert_ne!(w, key.to_vec(), "the stored form is not the key");
        assert_eq!(unwrap(&w, TOKEN), Some(key));
        assert_ne!(unwrap(&w, "another token"), Some(key));
        assert_eq!(unwrap(&w[..31], TOKEN), None);
    }

    #[test]
    fn sealed_props_open_with_the_key_and_aad_only() {
        let key = [1u8; KEY_LEN];
        let blob = seal(&key, &[9u8; NONCE_LEN], b"grant-1", b"{\"sub\":\"x\"}").unwrap();
        assert_eq!(open(&key, b"grant-1", &blob).as_deref(), Some(&b"{\"sub\":\"x\"}"[..]));
        assert_eq!(open(&key, b"grant-2", &blob), None, "bound to its grant");
        assert_eq!(open(&[2u8; KEY_LEN], b"grant-1", &blob), None);
        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, b"grant-1", &tampered), None);
        assert_eq!(open(&key, b"grant-1", &blob[..10]), None);
    }
}
