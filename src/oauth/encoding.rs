//! Small encoding and comparison helpers shared by the OAuth modules: strict base64url (no
//! padding, canonical trailing bits), SHA-256 digests in base64url, and constant-time comparison.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// base64url without padding (RFC 4648 §5, as JOSE and PKCE use it).
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url decode: no padding, no whitespace, no non-canonical trailing bits.
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.as_bytes()).ok()
}

/// Standard base64 with padding (RFC 4648 §4), as HTTP Basic uses it.
pub fn b64_std_decode(s: &str) -> Option<Vec<u8>> {
    STANDARD.decode(s.as_bytes()).ok()
}

/// SHA-256 of `data`, base64url without padding (43 characters).
pub fn sha256_b64url(data: &[u8]) -> String {
    b64url(&Sha256::digest(data))
}

/// Equality whose running time depends only on the lengths, not on where the inputs differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    diff == 0
}

/// True when every byte is in the base64url alphabet (`A-Z a-z 0-9 - _`).
pub fn is_b64url_alphabet(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64url_decode_refuses_padding_and_noncanonical_bits() {
        assert_eq!(b64url_decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(b64url_decode("YQ=="), None);
        assert_eq!(b64url_decode("YR"), None, "trailing bits must be zero");
        assert_eq!(b64url_decode("Y Q"), None);
        assert_eq!(b64url_decode("+/"), None, "standard alphabet is not base64url");
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn sha256_b64url_is_43_chars() {
        // RFC 7636 Appendix B.
        assert_eq!(sha256_b64url(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
