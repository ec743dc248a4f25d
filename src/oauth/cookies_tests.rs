//! Tests for [`super`]: signing, binding to name and expiry, headers, parsing, CSRF, AEAD framing.

use super::*;

const K: &[u8] = b"0123456789abcdef0123456789abcdef";

#[test]
fn sealed_value_opens_with_same_key_and_name() {
    let v = seal(K, "state", b"payload", 2000);
    assert_eq!(open(K, "state", &v, 1999), Ok(b"payload".to_vec()));
}

#[test]
fn tampered_values_are_refused() {
    let v = seal(K, "state", b"payload", 2000);
    let parts: Vec<&str> = v.split('.').collect();
    let other_payload = format!("v1.2000.{}.{}", b64url(b"Payload"), parts.get(3).copied().unwrap_or(""));
    assert_eq!(open(K, "state", &other_payload, 1), Err(CookieError::BadSignature));
    let later = v.replacen(".2000.", ".9000.", 1);
    assert_eq!(open(K, "state", &later, 1), Err(CookieError::BadSignature), "expiry cannot be extended");
    assert_eq!(open(b"another key", "state", &v, 1), Err(CookieError::BadSignature));
}

#[test]
fn value_cannot_move_between_cookie_names() {
    let v = seal(K, "consent", b"x", 2000);
    assert_eq!(open(K, "state", &v, 1), Err(CookieError::BadSignature));
}

#[test]
fn an_expiry_spelled_with_leading_zeros_does_not_open() {
    // The MAC binds the number, so "02000" would otherwise verify as 2000: one value, one spelling.
    let v = seal(K, "state", b"x", 2000);
    let padded = v.replacen(".2000.", ".02000.", 1);
    assert_eq!(open(K, "state", &padded, 1), Err(CookieError::Malformed));
    assert_eq!(open(K, "state", &v, 1), Ok(b"x".to_vec()));
}

#[test]
fn expired_values_are_refused() {
    let v = seal(K, "state", b"x", 2000);
    assert_eq!(open(K, "state", &v, 2000), Err(CookieError::Expired));
}

#[test]
fn malformed_values_are_refused_without_panicking() {
    for bad in [
        "",
        "v1",
        "v1.1.2",
        "v1.x.YQ.YQ",
        "v1.1.YQ.YQ.YQ",
        "v2.2000.YQ.YQ",
        "v1.-5.YQ.YQ",
        "v1.99999999999999999999.YQ.YQ",
        "v1.2000.Y=.YQ",
        "v1.2000.é.YQ",
        "v1.02000.YQ.YQ",
        "e1.00.YQ.YQ",
    ] {
        assert_eq!(open(K, "state", bad, 1), Err(CookieError::Malformed), "{bad:?}");
    }
    assert_eq!(open(K, "state", &"a".repeat(MAX_VALUE_LEN + 1), 1), Err(CookieError::Malformed));
}

#[test]
fn rfc6265bis_host_prefix_cookie_attributes() {
    let h = set_cookie_header("state", &seal(K, "state", b"x", 2000), 600).unwrap_or_default();
    assert!(h.starts_with("__Host-state=v1.2000."));
    assert!(h.ends_with("; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax"));
    assert!(!h.contains("Domain"));
    assert_eq!(clear_cookie_header("__Host-state"), "__Host-state=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax");
    assert_eq!(set_cookie_header("state", "a;b", 1), None);
    assert_eq!(set_cookie_header("st ate", "ab", 1), None);
}

#[test]
fn cookie_header_parsing_is_robust_to_junk() {
    let h = "a=1; junk; =x; __Host-state=v1.2.YQ.YQ;b=\"quoted\";  c = 3 ;bad name=4; d=é";
    let p = parse_cookie_header(h);
    assert_eq!(
        p,
        vec![
            ("a".into(), "1".into()),
            ("__Host-state".into(), "v1.2.YQ.YQ".into()),
            ("b".into(), "quoted".into()),
            ("c".into(), "3".into())
        ]
    );
    assert_eq!(get_cookie(h, "state").as_deref(), Some("v1.2.YQ.YQ"));
    assert_eq!(get_cookie("__Host-state=1; __Host-state=2", "state"), None, "ambiguous duplicates are refused");
    assert_eq!(get_cookie("state=1", "state"), None, "only the __Host- cookie counts");
    assert!(parse_cookie_header("").is_empty());
}

#[test]
fn csrf_token_is_bound_to_the_cookie_value() {
    let t = csrf_token(K, "cookie-a");
    assert!(check_csrf(K, "cookie-a", &t));
    assert!(!check_csrf(K, "cookie-b", &t));
    assert!(!check_csrf(b"other", "cookie-a", &t));
    assert!(!check_csrf(K, "cookie-a", ""));
}

#[test]
fn derived_keys_differ_per_purpose() {
    assert_ne!(derive_key(K, "cookie"), derive_key(K, "csrf"));
    assert_eq!(derive_key(K, "cookie"), derive_key(K, "cookie"));
}

/// A toy AEAD (XOR keystream + HMAC tag) that exercises the framing only.
struct ToyAead;
impl Aead for ToyAead {
    fn nonce_len(&self) -> usize {
        4
    }
    fn encrypt(&self, nonce: &[u8], aad: &[u8], pt: &[u8]) -> Option<Vec<u8>> {
        let mut out: Vec<u8> = pt.iter().map(|b| b ^ 0x5a).collect();
        let mut m = HmacSha256::new_from_slice(nonce).ok()?;
        m.update(aad);
        m.update(&out);
        out.extend_from_slice(&m.finalize().into_bytes());
        Some(out)
    }
    fn decrypt(&self, nonce: &[u8], aad: &[u8], ct: &[u8]) -> Option<Vec<u8>> {
        let (body, tag) = ct.split_at(ct.len().checked_sub(32)?);
        let mut m = HmacSha256::new_from_slice(nonce).ok()?;
        m.update(aad);
        m.update(body);
        m.verify_slice(tag).ok()?;
        Some(body.iter().map(|b| b ^ 0x5a).collect())
    }
}

#[test]
fn encrypted_values_round_trip_and_bind_name_and_expiry() {
    let v = seal_encrypted(&ToyAead, "state", b"verifier+nonce", 2000, &[1, 2, 3, 4]).unwrap_or_default();
    assert!(v.starts_with("e1.2000."));
    assert!(!v.contains(&b64url(b"verifier+nonce")));
    assert_eq!(open_encrypted(&ToyAead, "state", &v, 1), Ok(b"verifier+nonce".to_vec()));
    assert_eq!(open_encrypted(&ToyAead, "other", &v, 1), Err(CookieError::BadSignature));
    assert_eq!(open_encrypted(&ToyAead, "state", &v.replacen(".2000.", ".3000.", 1), 1), Err(CookieError::BadSignature));
    assert_eq!(open_encrypted(&ToyAead, "state", &v, 2000), Err(CookieError::Expired));
    assert_eq!(seal_encrypted(&ToyAead, "state", b"x", 1, &[1, 2, 3]), None, "wrong nonce length");
    assert_eq!(open(K, "state", &v, 1), Err(CookieError::Malformed), "signed and encrypted forms do not mix");
}
