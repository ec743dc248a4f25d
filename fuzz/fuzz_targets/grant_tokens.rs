//! Grant tokens (`<user_key>:<grant_id>:<tag>:<secret>`): `grants::token::parse` on anything a client
//! presents as a bearer token, code or refresh token, plus the PKCE rule the object and the
//! front Worker each implement.
//!
//! Input: line 1 is the presented token; the rest is a PKCE verifier (line 2) and challenge
//! (line 3). Invariants: nothing panics; a parsed token is exactly the format (lengths,
//! alphabets, four parts that rebuild it), `mint` round-trips, and only a tag made under the
//! routing key routes; the object's and the front
//! Worker's S256 checks agree on every input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use r2_mcp_durable::grants::{rules, token};
use r2_mcp_fuzz::lines;
use r2_mcp_fuzz::oauth::pkce;

/// The routing key of this harness (the Worker derives its own from a secret).
const KEY: token::RoutingKey = [0x5a; 32];

fn b64url_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The token format, read independently: 32 lowercase hex, `:`, 22 base64url, `:`, 22 base64url,
/// `:`, 43 base64url.
fn well_formed(t: &str) -> bool {
    let parts: Vec<&str> = t.split(':').collect();
    let [u, g, tag, s] = parts.as_slice() else { return false };
    u.len() == 32
        && u.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && g.len() == 22
        && g.bytes().all(b64url_char)
        && tag.len() == 22
        && tag.bytes().all(b64url_char)
        && s.len() == 43
        && s.bytes().all(b64url_char)
}

fuzz_target!(|data: &[u8]| {
    let (l, _) = lines(data, 3);
    let presented = &l[0];
    if let Some(p) = token::parse(presented) {
        assert_eq!(presented.len(), token::TOKEN_LEN);
        assert_eq!(format!("{}:{}:{}:{}", p.user_key, p.grant_id, p.tag, p.secret), *presented);
        // Without the routing key nobody makes a tag that routes (a fuzzer-made one never does).
        assert!(!token::routing_ok(&[KEY], &p) || p.tag == token::routing_tag(&KEY, p.user_key, p.grant_id));
        assert!(token::is_user_key(p.user_key) && token::is_grant_id(p.grant_id));
        assert!(p.user_key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert!(p.secret.len() == token::SECRET_LEN && p.secret.bytes().all(b64url_char));
        assert!(p.grant_id.bytes().all(b64url_char));
        // The hash is what storage keys on: fixed length, URL-safe, and not the token.
        let h = token::hash(presented);
        assert!(h.len() == 43 && h.bytes().all(b64url_char) && h != *presented);
    }
    assert_eq!(token::parse(presented).is_some(), well_formed(presented), "parse disagrees with the format: {presented:?}");

    // Minting from the presented token's bytes always yields a token that parses to its parts.
    let mut random = [0u8; 32];
    for (i, b) in presented.bytes().take(32).enumerate() {
        random[i] = b;
    }
    let user_key = "0123456789abcdef0123456789abcdef";
    let grant_id = token::new_grant_id(&[random[0]; 16]);
    let tag = token::routing_tag(&KEY, user_key, &grant_id);
    let minted = token::mint(token::Routing { user_key, grant_id: &grant_id, tag: &tag }, &random).unwrap_or_default();
    let parts = token::parse(&minted);
    assert_eq!(parts.map(|p| (p.user_key, p.grant_id)), Some((user_key, grant_id.as_str())));
    assert!(parts.is_some_and(|p| token::routing_ok(&[KEY], &p)));
    // A presented string only mints when it is a valid user key and grant id.
    if let Some(t) = token::mint(token::Routing { user_key: presented, grant_id: &grant_id, tag: &tag }, &random) {
        assert!(token::is_user_key(presented) && token::parse(&t).is_some());
    }

    // PKCE S256: the object's rule (grants::rules) and the front Worker's (oauth::pkce) agree.
    let (verifier, challenge) = (&l[1], &l[2]);
    assert_eq!(rules::pkce_s256_ok(verifier, challenge), pkce::verify_s256(verifier, challenge));
    let (v, c) = pkce::new_verifier_and_challenge(&random);
    assert!(rules::pkce_s256_ok(&v, &c) && pkce::verify_s256(&v, &c));
    assert_eq!(rules::pkce_s256_ok(verifier, &c), pkce::verify_s256(verifier, &c));
});
