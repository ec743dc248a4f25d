//! PKCE (RFC 7636), S256 only: the `code_challenge` check at `/authorize`, the `code_verifier`
//! check at `/token`, and the challenge we send upstream as a client ourselves.
//!
//! `plain` is refused (OAuth 2.1 §7.5.2 / MCP authorization spec: S256 is REQUIRED). A missing
//! `code_challenge_method` would mean `plain` (RFC 7636 §4.3), so it is refused too.

use super::encoding::{ct_eq, is_b64url_alphabet, sha256_b64url};
use super::errors::OAuthError;

/// RFC 7636 §4.1: `code_verifier = 43*128unreserved`.
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len()) && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An S256 challenge is BASE64URL(SHA256(verifier)): exactly 43 base64url characters.
pub fn is_valid_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && is_b64url_alphabet(challenge) && super::encoding::b64url_decode(challenge).is_some()
}

/// Checks the `/authorize` pair: a challenge is required and the method must be `S256`.
/// Errors are `invalid_request` (RFC 7636 §4.4.1).
pub fn validate_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<(), OAuthError> {
    let challenge = challenge.ok_or_else(|| OAuthError::invalid_request("code_challenge is required"))?;
    match method {
        Some("S256") => {}
        None => return Err(OAuthError::invalid_request("code_challenge_method S256 is required")),
        Some(_) => return Err(OAuthError::invalid_request("code_challenge_method must be S256 (plain is not supported)")),
    }
    if !is_valid_s256_challenge(challenge) {
        return Err(OAuthError::invalid_request("code_challenge must be 43 base64url characters"));
    }
    Ok(())
}

/// RFC 7636 §4.6: BASE64URL(SHA256(ASCII(verifier))) == challenge, compared in constant time.
/// A verifier that is not 43–128 unreserved characters never matches.
pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    is_valid_verifier(verifier) && ct_eq(sha256_b64url(verifier.as_bytes()).as_bytes(), challenge.as_bytes())
}

/// The `/token` check: missing verifier → `invalid_request`; malformed or mismatched →
/// `invalid_grant` (RFC 7636 §4.6).
pub fn check_verifier(verifier: Option<&str>, challenge: &str) -> Result<(), OAuthError> {
    let v = verifier.ok_or_else(|| OAuthError::invalid_request("code_verifier is required"))?;
    if !verify_s256(v, challenge) {
        return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge"));
    }
    Ok(())
}

/// For the upstream leg: a fresh verifier from 32 random bytes (43 characters) and its challenge.
pub fn new_verifier_and_challenge(random32: &[u8; 32]) -> (String, String) {
    let verifier = super::encoding::b64url(random32);
    let challenge = sha256_b64url(verifier.as_bytes());
    (verifier, challenge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::errors::ErrorCode;

    // RFC 7636 Appendix B.
    const V: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const C: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_example_verifies() {
        assert!(verify_s256(V, C));
        assert!(check_verifier(Some(V), C).is_ok());
    }

    #[test]
    fn rfc7636_4_6_wrong_verifier_is_invalid_grant() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK";
        assert!(!verify_s256(other, C));
        assert_eq!(check_verifier(Some(other), C).map_err(|e| e.code), Err(ErrorCode::InvalidGrant));
    }

    #[test]
    fn missing_verifier_is_invalid_request() {
        assert_eq!(check_verifier(None, C).map_err(|e| e.code), Err(ErrorCode::InvalidRequest));
    }

    #[test]
    fn rfc7636_4_1_verifier_length_is_43_to_128() {
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
    }

    #[test]
    fn rfc7636_4_1_verifier_charset_is_unreserved() {
        let base = "a".repeat(42);
        for c in ["-", ".", "_", "~", "Z", "9"] {
            assert!(is_valid_verifier(&format!("{base}{c}")), "{c}");
        }
        for c in ["+", "/", "=", " ", "%", "é", "\n"] {
            assert!(!is_valid_verifier(&format!("{base}{c}")), "{c:?}");
        }
    }

    #[test]
    fn a_verifier_equal_to_the_challenge_does_not_verify() {
        // Guards against `plain` semantics sneaking in.
        assert!(!verify_s256(C, C));
    }

    #[test]
    fn rfc7636_4_2_plain_method_is_refused() {
        let e = validate_challenge(Some(C), Some("plain"));
        assert_eq!(e.map_err(|e| e.code), Err(ErrorCode::InvalidRequest));
        assert!(validate_challenge(Some(C), Some("s256")).is_err(), "method is case-sensitive");
        assert!(validate_challenge(Some(C), Some("RS256")).is_err());
    }

    #[test]
    fn rfc7636_4_3_missing_method_defaults_to_plain_and_is_refused() {
        assert!(validate_challenge(Some(C), None).is_err());
    }

    #[test]
    fn missing_challenge_is_refused() {
        assert!(validate_challenge(None, Some("S256")).is_err());
    }

    #[test]
    fn s256_challenge_must_be_43_base64url_chars() {
        assert!(validate_challenge(Some(C), Some("S256")).is_ok());
        assert!(validate_challenge(Some(&C[..42]), Some("S256")).is_err());
        assert!(validate_challenge(Some(&format!("{C}A")), Some("S256")).is_err());
        assert!(validate_challenge(Some(&format!("{}=", &C[..42])), Some("S256")).is_err());
        let std_alphabet = C.replace('-', "+");
        assert!(validate_challenge(Some(&std_alphabet), Some("S256")).is_err());
        // 43 chars whose last one has non-zero trailing bits cannot be a SHA-256 digest.
        assert!(validate_challenge(Some(&format!("{}N", &C[..42])), Some("S256")).is_err());
    }

    #[test]
    fn generated_upstream_pair_verifies() {
        let (v, c) = new_verifier_and_challenge(&[7u8; 32]);
        assert_eq!(v.len(), 43);
        assert!(verify_s256(&v, &c));
        assert!(validate_challenge(Some(&c), Some("S256")).is_ok());
    }
}
