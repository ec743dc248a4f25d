//! The cookie cipher: XChaCha20-Poly1305 keyed from `COOKIE_ENCRYPTION_KEY`, implementing
//! [`super::cookies::Aead`] so the upstream PKCE verifier and nonce in the login cookie stay secret.

use r2_mcp_durable::grants::sealed::{self, NONCE_LEN};

use super::cookies::{derive_key, Aead};

/// XChaCha20-Poly1305 with a key derived for one purpose from the master cookie key.
pub struct CookieCipher {
    key: [u8; 32],
}

impl CookieCipher {
    pub fn new(master: &[u8], purpose: &str) -> Self {
        CookieCipher { key: derive_key(master, purpose) }
    }
}

impl Aead for CookieCipher {
    fn nonce_len(&self) -> usize {
        NONCE_LEN
    }

    fn encrypt(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
        sealed::seal_with(&self.key, nonce, aad, plaintext)
    }

    fn decrypt(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        sealed::open_with(&self.key, nonce, aad, ciphertext)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::super::cookies::{open_encrypted, seal_encrypted};
    use super::*;

    #[test]
    fn encrypted_cookie_round_trips_and_hides_its_payload() {
        let c = CookieCipher::new(b"0123456789abcdef0123456789abcdef", "login");
        let v = seal_encrypted(&c, "__Host-login", b"verifier-secret", 2_000, &[3u8; NONCE_LEN]).unwrap();
        assert!(!v.contains("verifier"));
        assert_eq!(open_encrypted(&c, "__Host-login", &v, 1_000).unwrap(), b"verifier-secret");
        assert!(open_encrypted(&c, "__Host-other", &v, 1_000).is_err(), "bound to its cookie name");
        assert!(open_encrypted(&c, "__Host-login", &v, 2_000).is_err(), "expired");
        let other = CookieCipher::new(b"0123456789abcdef0123456789abcdef", "consent");
        assert!(open_encrypted(&other, "__Host-login", &v, 1_000).is_err(), "keys differ per purpose");
    }
}
