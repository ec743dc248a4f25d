//! Selecting the upstream's signing key from its JWKS (RFC 7517) for a token's `kid` and `alg`,
//! as a small enum the glue imports into WebCrypto (`importKey("jwk", …)` with
//! [`VerifyKey::to_jwk`], or raw parts).
//!
//! Refused keys: `use` other than `sig`; `alg` present and different from the token's; a `kty`
//! that does not fit the alg (RS256 → RSA, ES256 → EC P-256); RSA moduli under 2048 bits; EC
//! coordinates that are not 32 bytes; `key_ops` without `verify`. An unknown `kid` is reported
//! distinctly so the glue refetches the JWKS once — and at most once a minute
//! ([`may_refetch_for_unknown_kid`]), so made-up `kid`s cannot make it fetch on every login.

use super::encoding::{b64url, b64url_decode};
use super::id_token::Alg;
use serde_json::{json, Value};

/// Largest JWKS document accepted.
pub const MAX_JWKS_LEN: usize = 64 * 1024;

/// An unknown `kid` refetches the JWKS at most this often (milliseconds).
pub const UNKNOWN_KID_REFETCH_MS: f64 = 60_000.0;

/// Whether an id_token with an unknown `kid` may refetch the JWKS at `now_ms`, given when an
/// unknown `kid` last did (`None`: never). A provider's key rotation is picked up by the first
/// token that names the new key; a stream of tokens naming made-up keys costs one fetch a minute.
pub fn may_refetch_for_unknown_kid(last_refetch_ms: Option<f64>, now_ms: f64) -> bool {
    last_refetch_ms.is_none_or(|t| now_ms - t >= UNKNOWN_KID_REFETCH_MS || now_ms < t)
}

/// A verification key, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyKey {
    /// RSASSA-PKCS1-v1_5 with SHA-256: modulus and exponent, big-endian.
    Rs256 { n: Vec<u8>, e: Vec<u8> },
    /// ECDSA P-256 with SHA-256: affine coordinates, 32 bytes each.
    Es256 { x: Vec<u8>, y: Vec<u8> },
}

impl VerifyKey {
    /// A minimal public JWK for WebCrypto `importKey("jwk", …)`.
    pub fn to_jwk(&self) -> Value {
        match self {
            Self::Rs256 { n, e } => json!({"kty": "RSA", "n": b64url(n), "e": b64url(e), "alg": "RS256", "ext": true}),
            Self::Es256 { x, y } => json!({"kty": "EC", "crv": "P-256", "x": b64url(x), "y": b64url(y), "ext": true}),
        }
    }
}

/// Why no key was selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksError {
    Malformed,
    /// No key with this `kid`: refetch the JWKS once, then give up.
    UnknownKid,
    /// A key with this `kid` exists but is unusable for this alg (wrong use/alg/kty/size).
    Unusable,
}

/// Finds the key for `kid` usable with `alg` in a JWKS document.
pub fn select(jwks_json: &[u8], kid: &str, alg: Alg) -> Result<VerifyKey, JwksError> {
    if jwks_json.len() > MAX_JWKS_LEN {
        return Err(JwksError::Malformed);
    }
    let doc: Value = serde_json::from_slice(jwks_json).map_err(|_| JwksError::Malformed)?;
    let keys = doc.get("keys").and_then(Value::as_array).ok_or(JwksError::Malformed)?;
    let mut seen = false;
    for k in keys.iter().filter(|k| k.get("kid").and_then(Value::as_str) == Some(kid)) {
        seen = true;
        if let Some(key) = usable(k, alg) {
            return Ok(key);
        }
    }
    Err(if seen { JwksError::Unusable } else { JwksError::UnknownKid })
}

fn bytes(k: &Value, field: &str) -> Option<Vec<u8>> {
    k.get(field).and_then(Value::as_str).and_then(b64url_decode)
}

fn usable(k: &Value, alg: Alg) -> Option<VerifyKey> {
    if k.get("use").is_some_and(|u| u.as_str() != Some("sig")) {
        return None;
    }
    if k.get("alg").is_some_and(|a| a.as_str() != Some(alg.as_str())) {
        return None;
    }
    if let Some(ops) = k.get("key_ops") {
        if !ops.as_array().is_some_and(|o| o.iter().any(|x| x.as_str() == Some("verify"))) {
            return None;
        }
    }
    match (alg, k.get("kty").and_then(Value::as_str)) {
        (Alg::Rs256, Some("RSA")) => {
            let n = bytes(k, "n")?;
            let e = bytes(k, "e")?;
            let n_bits = n.iter().position(|&b| b != 0).map_or(0, |i| (n.len() - i) * 8);
            ((2048..=8192).contains(&n_bits) && !e.is_empty() && e.len() <= 8).then_some(VerifyKey::Rs256 { n, e })
        }
        (Alg::Es256, Some("EC")) => {
            if k.get("crv").and_then(Value::as_str) != Some("P-256") {
                return None;
            }
            let x = bytes(k, "x")?;
            let y = bytes(k, "y")?;
            (x.len() == 32 && y.len() == 32).then_some(VerifyKey::Es256 { x, y })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa(kid: &str, extra: Value) -> Value {
        let mut k = json!({"kty": "RSA", "kid": kid, "n": b64url(&[0xC5; 256]), "e": "AQAB"});
        if let (Value::Object(m), Value::Object(x)) = (&mut k, extra) {
            m.extend(x);
        }
        k
    }

    fn ec(kid: &str, extra: Value) -> Value {
        let mut k = json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": b64url(&[1; 32]), "y": b64url(&[2; 32])});
        if let (Value::Object(m), Value::Object(x)) = (&mut k, extra) {
            m.extend(x);
        }
        k
    }

    fn sel(keys: Vec<Value>, kid: &str, alg: Alg) -> Result<VerifyKey, JwksError> {
        select(json!({ "keys": keys }).to_string().as_bytes(), kid, alg)
    }

    #[test]
    fn selects_rsa_and_ec_keys_by_kid_and_alg() {
        let keys = vec![rsa("r", json!({"use": "sig", "alg": "RS256"})), ec("e", json!({"use": "sig"}))];
        assert!(matches!(sel(keys.clone(), "r", Alg::Rs256), Ok(VerifyKey::Rs256 { .. })));
        assert!(matches!(sel(keys, "e", Alg::Es256), Ok(VerifyKey::Es256 { .. })));
    }

    #[test]
    fn unknown_kid_is_reported_for_a_refetch() {
        assert_eq!(sel(vec![rsa("r", json!({}))], "x", Alg::Rs256), Err(JwksError::UnknownKid));
    }

    #[test]
    fn rfc7517_4_2_use_must_be_sig() {
        assert_eq!(sel(vec![rsa("r", json!({"use": "enc"}))], "r", Alg::Rs256), Err(JwksError::Unusable));
    }

    #[test]
    fn key_alg_must_agree_with_token_alg() {
        assert_eq!(sel(vec![rsa("r", json!({"alg": "RS512"}))], "r", Alg::Rs256), Err(JwksError::Unusable));
        assert_eq!(sel(vec![rsa("r", json!({}))], "r", Alg::Es256), Err(JwksError::Unusable), "RSA key for ES256");
        assert_eq!(sel(vec![ec("e", json!({}))], "e", Alg::Rs256), Err(JwksError::Unusable), "EC key for RS256");
    }

    #[test]
    fn weak_or_malformed_keys_are_unusable() {
        let small = json!({"kty": "RSA", "kid": "r", "n": b64url(&[0xC5; 128]), "e": "AQAB"});
        assert_eq!(sel(vec![small], "r", Alg::Rs256), Err(JwksError::Unusable));
        assert_eq!(sel(vec![ec("e", json!({"crv": "P-384"}))], "e", Alg::Es256), Err(JwksError::Unusable));
        assert_eq!(sel(vec![ec("e", json!({"x": b64url(&[1; 31])}))], "e", Alg::Es256), Err(JwksError::Unusable));
        assert_eq!(sel(vec![ec("e", json!({"key_ops": ["sign"]}))], "e", Alg::Es256), Err(JwksError::Unusable));
        assert_eq!(sel(vec![rsa("r", json!({"n": "not base64!"}))], "r", Alg::Rs256), Err(JwksError::Unusable));
    }

    #[test]
    fn a_usable_key_is_found_after_an_unusable_one_with_the_same_kid() {
        let keys = vec![rsa("k", json!({"use": "enc"})), rsa("k", json!({"use": "sig"}))];
        assert!(sel(keys, "k", Alg::Rs256).is_ok());
    }

    #[test]
    fn malformed_documents_are_refused() {
        assert_eq!(select(b"{", "k", Alg::Rs256), Err(JwksError::Malformed));
        assert_eq!(select(b"{\"keys\": {}}", "k", Alg::Rs256), Err(JwksError::Malformed));
        assert_eq!(select(&vec![b' '; MAX_JWKS_LEN + 1], "k", Alg::Rs256), Err(JwksError::Malformed));
    }

    #[test]
    fn jwk_export_for_webcrypto_is_minimal() {
        let k = VerifyKey::Es256 { x: vec![1; 32], y: vec![2; 32] };
        let j = k.to_jwk();
        assert_eq!(j["kty"], "EC");
        assert_eq!(j["crv"], "P-256");
        assert!(j.get("d").is_none());
    }

    #[test]
    fn an_unknown_kid_refetches_at_most_once_a_minute() {
        assert!(may_refetch_for_unknown_kid(None, 0.0), "the first unknown kid refetches (a rotation)");
        assert!(!may_refetch_for_unknown_kid(Some(1_000.0), 1_000.0));
        assert!(!may_refetch_for_unknown_kid(Some(1_000.0), 60_999.0));
        assert!(may_refetch_for_unknown_kid(Some(1_000.0), 61_000.0));
        assert!(may_refetch_for_unknown_kid(Some(5_000.0), 1_000.0), "a clock that went back does not lock refetches out");
    }
}
