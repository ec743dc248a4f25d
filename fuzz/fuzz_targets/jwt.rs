//! Upstream id_tokens and JWKS: `id_token::parse`, `validate_claims`, `jwks::select`.
//!
//! Input, two forms:
//! - line 1 starts with `{`: lines 1–3 are the header JSON, the payload JSON and the raw
//!   signature bytes, which the harness base64url-encodes into a compact JWS (so the fuzzer
//!   reaches the claim rules without inventing base64); the rest is a JWKS document;
//! - otherwise line 1 is a compact JWS as received; the rest is a JWKS document.
//!
//! Invariants: nothing panics; a parsed token has an allowed alg, a `kid`, a signature of the
//! alg's size and a signing input that is the token's first two parts; validated claims name
//! the expected issuer, audience and nonce, are unexpired, and yield a bounded identity; a
//! selected key fits the alg and round-trips through `to_jwk`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use r2_mcp_fuzz::lines;
use r2_mcp_fuzz::oauth::encoding::b64url;
use r2_mcp_fuzz::oauth::id_token::{self, Alg, Expected};
use r2_mcp_fuzz::oauth::jwks::{self, VerifyKey};
use serde_json::{json, Value};

const ISS: &str = "https://idp.example";
const AUD: &str = "upstream-client";
const NONCE: &str = "n-0S6_WzA2Mj";
const NOW: i64 = 1_700_000_000;

fn check_key(key: &VerifyKey, alg: Alg, kid: &str) {
    match (key, alg) {
        (VerifyKey::Es256 { x, y }, Alg::Es256) => assert!(x.len() == 32 && y.len() == 32),
        (VerifyKey::Rs256 { n, e }, Alg::Rs256) => {
            let first = n.iter().position(|&b| b != 0).unwrap_or(n.len());
            let bits = (n.len() - first) * 8;
            assert!((2048..=8192).contains(&bits), "RSA modulus of {bits} bits");
            assert!(!e.is_empty() && e.len() <= 8);
        }
        _ => panic!("key type does not fit {alg:?}"),
    }
    let mut jwk = key.to_jwk();
    jwk["kid"] = json!(kid);
    let doc = serde_json::to_vec(&json!({ "keys": [jwk] })).unwrap_or_default();
    assert_eq!(jwks::select(&doc, kid, alg).as_ref(), Ok(key), "to_jwk does not round-trip");
}

fuzz_target!(|data: &[u8]| {
    let (l, rest) = lines(data, 3);
    let (token, jwks_doc) = if l[0].starts_with('{') {
        (format!("{}.{}.{}", b64url(l[0].as_bytes()), b64url(l[1].as_bytes()), b64url(l[2].as_bytes())), rest)
    } else {
        // Compact form: the JWKS starts right after line 1.
        let cut = data.iter().position(|&b| b == b'\n').map_or(data.len(), |i| i + 1);
        (l[0].clone(), data.get(cut..).unwrap_or_default())
    };

    for alg in [Alg::Rs256, Alg::Es256] {
        for kid in ["k1", "rsa-2024", ""] {
            if let Ok(key) = jwks::select(jwks_doc, kid, alg) {
                check_key(&key, alg, kid);
            }
        }
    }

    let Ok(jwt) = id_token::parse(&token) else { return };
    assert!(token.len() <= id_token::MAX_JWT_LEN);
    assert!(!jwt.kid.is_empty() && jwt.kid.len() <= 256);
    match jwt.alg {
        Alg::Es256 => assert_eq!(jwt.signature().len(), 64),
        Alg::Rs256 => assert!((256..=1024).contains(&jwt.signature().len())),
    }
    let input = jwt.signing_input();
    assert!(token.as_bytes().starts_with(input) && token.as_bytes().get(input.len()) == Some(&b'.'));
    assert_eq!(input.iter().filter(|&&b| b == b'.').count(), 1);
    if let Ok(key) = jwks::select(jwks_doc, &jwt.kid, jwt.alg) {
        check_key(&key, jwt.alg, &jwt.kid);
    }

    for nonce in [Some(NONCE), None] {
        let e = Expected { issuer: ISS, audience: AUD, nonce, now: NOW, skew: id_token::DEFAULT_SKEW };
        let Ok(id) = id_token::validate_claims(&jwt, &e) else { continue };
        let c = &jwt.claims;
        assert_eq!(c.get("iss").and_then(Value::as_str), Some(ISS));
        let aud_ok = match c.get("aud") {
            Some(Value::String(a)) => a == AUD,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(AUD)),
            _ => false,
        };
        assert!(aud_ok, "audience");
        if let Some(azp) = c.get("azp") {
            assert_eq!(azp.as_str(), Some(AUD));
        }
        if nonce.is_some() {
            assert_eq!(c.get("nonce").and_then(Value::as_str), Some(NONCE));
        }
        let exp = c.get("exp").and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
        assert!(exp.is_some_and(|x| x > NOW - id_token::DEFAULT_SKEW), "expired token accepted");
        assert!(!id.sub.is_empty() && id.sub.len() <= 255);
        assert!(id.groups.len() <= id_token::MAX_GROUPS);
    }
});
