//! Cookies: the `Cookie` header parser, `__Host-` lookup, signed (`open`) and encrypted
//! (`open_encrypted`, with the real XChaCha20-Poly1305 `CookieCipher`) values, CSRF tokens.
//!
//! Input: line 1 is a `Cookie` header, line 2 a cookie name, line 3 a cookie value as a client
//! might send it; the rest is a payload to seal. Invariants: nothing panics; parsed pairs are
//! well-formed tokens/values, at most 64; a forged or foreign value never opens (only values we
//! sealed for this name, key and expiry do); seal/open and the `Set-Cookie` header round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use r2_mcp_fuzz::lines;
use r2_mcp_fuzz::oauth::aead::CookieCipher;
use r2_mcp_fuzz::oauth::cookies::{self, CookieError};

const MASTER: &[u8] = b"0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_700_000_000;

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_cookie_value(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

fuzz_target!(|data: &[u8]| {
    let (l, payload) = lines(data, 3);
    let (header, name, value) = (&l[0], &l[1], &l[2]);

    let pairs = cookies::parse_cookie_header(header);
    assert!(pairs.len() <= 64);
    for (n, v) in &pairs {
        assert!(is_token(n), "cookie name {n:?}");
        assert!(is_cookie_value(v), "cookie value {v:?}");
    }
    if let Some(v) = cookies::get_cookie(header, name) {
        let full = cookies::host_name(name);
        assert_eq!(pairs.iter().filter(|(n, _)| *n == full).count(), 1, "get_cookie needs exactly one");
        assert!(pairs.iter().any(|(n, x)| *n == full && *x == v));
    }

    // Values the client sent: only ours open. Whatever key we use, a fuzzed value that opens
    // would be a forgery unless it came from the seeds below, which use this very key.
    let key = cookies::derive_key(MASTER, "consent");
    let cipher = CookieCipher::new(MASTER, "login");
    for v in [value.as_str(), cookies::get_cookie(header, name).as_deref().unwrap_or("")] {
        // Only possible for a genuine seal: re-sealing gives the same payload and tag (the
        // expiry may be spelled with leading zeros; it is the same number under the MAC).
        let tail = |x: &str| x.split('.').skip(2).map(str::to_owned).collect::<Vec<_>>();
        if let Ok(p) = cookies::open(&key, name, v, NOW) {
            let exp: i64 = v.split('.').nth(1).and_then(|e| e.parse().ok()).unwrap_or(0);
            assert!(exp > NOW);
            assert_eq!(tail(&cookies::seal(&key, name, &p, exp)), tail(v), "opened a value we did not seal");
        }
        if let Ok(p) = cookies::open_encrypted(&cipher, name, v, NOW) {
            let exp: i64 = v.split('.').nth(1).and_then(|e| e.parse().ok()).unwrap_or(0);
            assert!(exp > NOW);
            let nonce = v.split('.').nth(2).and_then(r2_mcp_fuzz::oauth::encoding::b64url_decode).unwrap_or_default();
            let again = cookies::seal_encrypted(&cipher, name, &p, exp, &nonce).unwrap_or_default();
            assert_eq!(tail(&again), tail(v), "decrypted a value we did not seal");
        }
        let other = cookies::derive_key(MASTER, "other");
        if cookies::open(&key, name, v, NOW).is_ok() {
            assert_eq!(cookies::open(&other, name, v, NOW), Err(CookieError::BadSignature));
        }
    }

    // Round trips with fuzzed name and payload.
    let exp = NOW + 600;
    let sealed = cookies::seal(&key, name, payload, exp);
    if sealed.len() > cookies::MAX_VALUE_LEN {
        assert_eq!(cookies::open(&key, name, &sealed, NOW), Err(CookieError::Malformed));
        return;
    }
    assert_eq!(cookies::open(&key, name, &sealed, NOW).as_deref(), Ok(payload));
    assert_eq!(cookies::open(&key, name, &sealed, exp), Err(CookieError::Expired));
    assert!(cookies::open(&key, &format!("{name}x"), &sealed, NOW).is_err(), "bound to its name");
    let nonce = [payload.len() as u8; 24];
    if let Some(enc) = cookies::seal_encrypted(&cipher, name, payload, exp, &nonce) {
        if enc.len() > cookies::MAX_VALUE_LEN {
            assert_eq!(cookies::open_encrypted(&cipher, name, &enc, NOW), Err(CookieError::Malformed));
            return;
        }
        assert_eq!(cookies::open_encrypted(&cipher, name, &enc, NOW).as_deref(), Ok(payload));
        assert!(cookies::open_encrypted(&cipher, &format!("{name}x"), &enc, NOW).is_err());
        assert!(cookies::open(&key, name, &enc, NOW).is_err(), "an encrypted value is not a signed one");
    } else {
        panic!("sealing with a 24-byte nonce must work");
    }

    // Set-Cookie for a value we would set reads back through the parser.
    if let Some(h) = cookies::set_cookie_header(name, &sealed, 600) {
        assert!(h.contains("; Secure; HttpOnly; SameSite=Lax") && h.starts_with(cookies::HOST_PREFIX));
        assert_eq!(cookies::get_cookie(&h, name).as_deref(), Some(sealed.as_str()));
    } else {
        assert!(!is_token(name), "a token name with a sealed value must be settable");
    }
    if let Some(h) = cookies::set_cookie_header(name, value, 60) {
        assert!(!h.contains('\n') && !h.contains('\r'));
        assert_eq!(cookies::get_cookie(&h, name).as_deref(), Some(value.as_str()));
    }

    let csrf = cookies::csrf_token(&key, value);
    assert!(cookies::check_csrf(&key, value, &csrf));
    assert!(!cookies::check_csrf(&key, value, name) || *name == csrf);
});
