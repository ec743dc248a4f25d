//! Signed, expiring cookie values (`seal`/`open`), optionally encrypted through an [`Aead`]; the
//! `Set-Cookie` headers (`__Host-`, `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`); a tolerant
//! `Cookie` header parser; and CSRF tokens bound to a cookie value.
//!
//! Signed form: `v1.<expires_at>.<b64url(payload)>.<b64url(mac)>` with
//! `mac = HMAC-SHA256(key, "v1" ‖ len(name) ‖ name ‖ expires_at ‖ payload)` (lengths as 8-byte
//! big-endian), so a value cannot be moved to another cookie name, have its expiry extended, or
//! be altered. Encrypted form: `e1.<expires_at>.<b64url(nonce)>.<b64url(ciphertext)>` where the
//! AEAD's associated data is the same name/expiry binding.
//! Single use is the glue's job (clear the cookie and remember the nonce/state as spent).

use super::encoding::{b64url, b64url_decode, ct_eq};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Every cookie we set starts with this prefix (RFC 6265bis §4.1.3.2: Secure, Path=/, no Domain).
pub const HOST_PREFIX: &str = "__Host-";
/// Longest cookie value accepted by [`open`] (browsers cap a cookie near 4 KiB).
pub const MAX_VALUE_LEN: usize = 4096;

/// Why a cookie value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieError {
    Malformed,
    /// Bad MAC or failed decryption: tampered, another key, or another cookie's value.
    BadSignature,
    Expired,
}

/// A synchronous AEAD (e.g. XChaCha20-Poly1305 from the `chacha20poly1305` crate) to keep cookie
/// payloads confidential. WebCrypto is async, so the implementation is pure Rust.
pub trait Aead {
    /// Nonce length in bytes (24 for XChaCha20-Poly1305: safe with random nonces).
    fn nonce_len(&self) -> usize;
    fn encrypt(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<Vec<u8>>;
    fn decrypt(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>>;
}

fn binding(version: &str, name: &str, expires_at: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(version.len() + name.len() + 24);
    b.extend_from_slice(version.as_bytes());
    b.extend_from_slice(&(name.len() as u64).to_be_bytes());
    b.extend_from_slice(name.as_bytes());
    b.extend_from_slice(&expires_at.to_be_bytes());
    b
}

fn mac(key: &[u8], name: &str, expires_at: i64, payload: &[u8]) -> Option<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(key).ok()?;
    m.update(&binding("v1", name, expires_at));
    m.update(payload);
    Some(m)
}

/// Derives a sub-key for one purpose (cookies, CSRF, …) from the master key.
pub fn derive_key(master: &[u8], purpose: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut m) = HmacSha256::new_from_slice(master) {
        m.update(b"r2-mcp key derivation\0");
        m.update(purpose.as_bytes());
        out.copy_from_slice(&m.finalize().into_bytes());
    }
    out
}

/// Signs `payload` for the cookie `name` until `expires_at` (unix seconds).
pub fn seal(key: &[u8], name: &str, payload: &[u8], expires_at: i64) -> String {
    let tag = mac(key, name, expires_at, payload).map(|m| m.finalize().into_bytes().to_vec()).unwrap_or_default();
    format!("v1.{expires_at}.{}.{}", b64url(payload), b64url(&tag))
}

fn split4(value: &str) -> Result<(&str, i64, &str, &str), CookieError> {
    if value.len() > MAX_VALUE_LEN {
        return Err(CookieError::Malformed);
    }
    let mut it = value.split('.');
    let (Some(v), Some(exp), Some(a), Some(b), None) = (it.next(), it.next(), it.next(), it.next(), it.next()) else {
        return Err(CookieError::Malformed);
    };
    // Canonical decimal only, as `seal` writes it: one value has one spelling (no leading zeros).
    if exp.is_empty() || exp.len() > 19 || !exp.bytes().all(|c| c.is_ascii_digit()) || (exp.len() > 1 && exp.starts_with('0')) {
        return Err(CookieError::Malformed);
    }
    let exp = exp.parse::<i64>().map_err(|_| CookieError::Malformed)?;
    Ok((v, exp, a, b))
}

/// Verifies a value made by [`seal`] for `name`, returning the payload if genuine and unexpired.
pub fn open(key: &[u8], name: &str, value: &str, now: i64) -> Result<Vec<u8>, CookieError> {
    let (v, exp, payload_b64, tag_b64) = split4(value)?;
    if v != "v1" {
        return Err(CookieError::Malformed);
    }
    let payload = b64url_decode(payload_b64).ok_or(CookieError::Malformed)?;
    let tag = b64url_decode(tag_b64).ok_or(CookieError::Malformed)?;
    let m = mac(key, name, exp, &payload).ok_or(CookieError::BadSignature)?;
    m.verify_slice(&tag).map_err(|_| CookieError::BadSignature)?;
    if now >= exp {
        return Err(CookieError::Expired);
    }
    Ok(payload)
}

/// Encrypts and authenticates `payload` for `name` until `expires_at`; `nonce` must be fresh
/// random bytes of `aead.nonce_len()`. `None` if the nonce length is wrong or encryption fails.
pub fn seal_encrypted(aead: &dyn Aead, name: &str, payload: &[u8], expires_at: i64, nonce: &[u8]) -> Option<String> {
    if nonce.len() != aead.nonce_len() {
        return None;
    }
    let ct = aead.encrypt(nonce, &binding("e1", name, expires_at), payload)?;
    Some(format!("e1.{expires_at}.{}.{}", b64url(nonce), b64url(&ct)))
}

/// Opens a value made by [`seal_encrypted`].
pub fn open_encrypted(aead: &dyn Aead, name: &str, value: &str, now: i64) -> Result<Vec<u8>, CookieError> {
    let (v, exp, nonce_b64, ct_b64) = split4(value)?;
    if v != "e1" {
        return Err(CookieError::Malformed);
    }
    let nonce = b64url_decode(nonce_b64).filter(|n| n.len() == aead.nonce_len()).ok_or(CookieError::Malformed)?;
    let ct = b64url_decode(ct_b64).ok_or(CookieError::Malformed)?;
    let pt = aead.decrypt(&nonce, &binding("e1", name, exp), &ct).ok_or(CookieError::BadSignature)?;
    if now >= exp {
        return Err(CookieError::Expired);
    }
    Ok(pt)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_cookie_value(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

/// The name with the `__Host-` prefix (added once).
pub fn host_name(name: &str) -> String {
    if name.starts_with(HOST_PREFIX) {
        name.to_owned()
    } else {
        format!("{HOST_PREFIX}{name}")
    }
}

/// `Set-Cookie` value for a `__Host-` cookie. `None` if the name or value has characters a
/// cookie cannot carry (values from [`seal`] never do).
pub fn set_cookie_header(name: &str, value: &str, max_age: i64) -> Option<String> {
    if !is_token(name) || !is_cookie_value(value) {
        return None;
    }
    Some(format!("{}={value}; Max-Age={}; Path=/; Secure; HttpOnly; SameSite=Lax", host_name(name), max_age.max(0)))
}

/// `Set-Cookie` value that deletes the cookie.
pub fn clear_cookie_header(name: &str) -> String {
    format!("{}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax", host_name(name))
}

/// Splits a `Cookie` header into (name, value) pairs, skipping anything malformed.
pub fn parse_cookie_header(header: &str) -> Vec<(String, String)> {
    header
        .split(';')
        .filter_map(|part| {
            let (n, v) = part.split_once('=')?;
            let n = n.trim();
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(v);
            (is_token(n) && is_cookie_value(v)).then(|| (n.to_owned(), v.to_owned()))
        })
        .take(64)
        .collect()
}

/// The value of the `__Host-<name>` cookie, if present exactly once.
pub fn get_cookie(header: &str, name: &str) -> Option<String> {
    let full = host_name(name);
    let mut found = parse_cookie_header(header).into_iter().filter(|(n, _)| *n == full);
    let first = found.next()?;
    found.next().is_none().then_some(first.1)
}

/// A CSRF token for a form, bound to the value of the cookie that carries the request state:
/// HMAC(key, "csrf" ‖ cookie_value), base64url.
pub fn csrf_token(key: &[u8], cookie_value: &str) -> String {
    match HmacSha256::new_from_slice(key) {
        Ok(mut m) => {
            m.update(b"csrf\0");
            m.update(cookie_value.as_bytes());
            b64url(&m.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Checks a posted CSRF token against the cookie value, in constant time.
pub fn check_csrf(key: &[u8], cookie_value: &str, presented: &str) -> bool {
    let expected = csrf_token(key, cookie_value);
    !expected.is_empty() && ct_eq(expected.as_bytes(), presented.as_bytes())
}

#[cfg(test)]
#[path = "cookies_tests.rs"]
mod tests;
