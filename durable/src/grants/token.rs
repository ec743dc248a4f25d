//! Token format: `<user_key>:<grant_id>:<tag>:<secret>`, strict parsing of presented tokens, the
//! routing tag that makes a token self-authenticating, and the SHA-256 that is all storage keeps.
//!
//! - `user_key`: 32 lowercase hex characters, derived by the caller from the user id; it names the
//!   user's Durable Object, so the front Worker routes a token without any lookup.
//! - `grant_id`: 16 random bytes, base64url (22 characters).
//! - `tag`: the first 16 bytes of HMAC-SHA256 over `user_key:grant_id` under a routing key that
//!   only the front Worker holds (derived from `COOKIE_ENCRYPTION_KEY`), base64url (22
//!   characters). The Worker checks it before it touches any object, so a token of the right
//!   shape with an invented user or grant is refused for free: a forged bearer, code or refresh
//!   token never instantiates a Durable Object (issue: "forged bearers create nothing"). The
//!   Worker accepts the current key and the previous one ([`routing_ok`]), so the key can be
//!   rotated without breaking live grants: their next refresh mints tokens under the new key.
//! - `secret`: 32 random bytes, base64url (43 characters): the token's 256 bits of entropy.
//!
//! Access tokens, refresh tokens and authorization codes share this format. Their kind is not in
//! the string: it is the table the hash is found in (`access_tokens`, `grants.refresh_hash`,
//! `grants.code_hash`), and every lookup names the table it expects, so an access token presented
//! as a refresh token (or a code as a token) is simply not found. Keeping the format identical
//! for all three means one parser and one hash on the hot path.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const USER_KEY_LEN: usize = 32;
pub const GRANT_ID_LEN: usize = 22;
pub const TAG_LEN: usize = 22;
pub const SECRET_LEN: usize = 43;
/// Total length of every token: 32 + 1 + 22 + 1 + 22 + 1 + 43.
pub const TOKEN_LEN: usize = USER_KEY_LEN + GRANT_ID_LEN + TAG_LEN + SECRET_LEN + 3;

/// A key the routing tag is computed under (32 bytes, derived from a Worker secret).
pub type RoutingKey = [u8; 32];

/// The kinds of token a grant issues, and the table or column each one's hash lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    AuthorizationCode,
    Access,
    Refresh,
}

/// The parts of a syntactically valid token, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenParts<'a> {
    pub user_key: &'a str,
    pub grant_id: &'a str,
    pub tag: &'a str,
    pub secret: &'a str,
}

fn is_b64url(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// True for 32 lowercase hex characters.
pub fn is_user_key(s: &str) -> bool {
    s.len() == USER_KEY_LEN && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// True for a grant id as [`new_grant_id`] makes them.
pub fn is_grant_id(s: &str) -> bool {
    s.len() == GRANT_ID_LEN && is_b64url(s)
}

/// True for a routing tag's spelling (not whether it is right: see [`routing_ok`]).
pub fn is_tag(s: &str) -> bool {
    s.len() == TAG_LEN && is_b64url(s)
}

/// Parses an attacker-supplied token; `None` for anything not exactly of the format. Never panics.
/// The tag is only checked for its spelling here; the Worker checks it with [`routing_ok`].
pub fn parse(token: &str) -> Option<TokenParts<'_>> {
    if token.len() != TOKEN_LEN {
        return None;
    }
    let mut it = token.split(':');
    let (user_key, grant_id, tag, secret) = (it.next()?, it.next()?, it.next()?, it.next()?);
    if it.next().is_some()
        || !is_user_key(user_key)
        || !is_grant_id(grant_id)
        || !is_tag(tag)
        || secret.len() != SECRET_LEN
        || !is_b64url(secret)
    {
        return None;
    }
    Some(TokenParts { user_key, grant_id, tag, secret })
}

/// The routing tag of `user_key:grant_id` under `key`.
pub fn routing_tag(key: &RoutingKey, user_key: &str, grant_id: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(), // unreachable: HMAC takes keys of any length
    };
    mac.update(b"r2-mcp token routing v1\0");
    mac.update(user_key.as_bytes());
    mac.update(b":");
    mac.update(grant_id.as_bytes());
    let full = mac.finalize().into_bytes();
    URL_SAFE_NO_PAD.encode(&full[..16])
}

/// Whether the token's tag was made under one of `keys` (current first, then previous) for its
/// user and grant. Constant-time in the tag's bytes.
pub fn routing_ok(keys: &[RoutingKey], parts: &TokenParts<'_>) -> bool {
    keys.iter().any(|k| ct_eq(&routing_tag(k, parts.user_key, parts.grant_id), parts.tag))
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SHA-256 of the whole token string, base64url: the only form stored.
pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// A new grant id from 16 random bytes.
pub fn new_grant_id(random16: &[u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(random16)
}

/// Where a grant's tokens route: its user, its id and the tag the Worker made for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routing<'a> {
    pub user_key: &'a str,
    pub grant_id: &'a str,
    pub tag: &'a str,
}

/// A new token for `routing` from 32 random bytes. `None` if a part is malformed (a caller bug,
/// refused rather than minted).
pub fn mint(routing: Routing<'_>, random32: &[u8; 32]) -> Option<String> {
    let Routing { user_key, grant_id, tag } = routing;
    if !is_user_key(user_key) || !is_grant_id(grant_id) || !is_tag(tag) {
        return None;
    }
    Some(format!("{user_key}:{grant_id}:{tag}:{}", URL_SAFE_NO_PAD.encode(random32)))
}

/// Like [`mint`], drawing the bytes from `random`.
pub fn mint_with(routing: Routing<'_>, random: &mut dyn FnMut(&mut [u8])) -> Option<String> {
    let mut b = [0u8; 32];
    random(&mut b);
    mint(routing, &b)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    const UK: &str = "0123456789abcdef0123456789abcdef";
    const KEY: RoutingKey = [7; 32];
    const OLD_KEY: RoutingKey = [9; 32];

    fn token_under(key: &RoutingKey) -> String {
        let gid = new_grant_id(&[1; 16]);
        let tag = routing_tag(key, UK, &gid);
        mint(Routing { user_key: UK, grant_id: &gid, tag: &tag }, &[2; 32]).unwrap_or_default()
    }

    fn token() -> String {
        token_under(&KEY)
    }

    #[test]
    fn minted_tokens_parse_back() {
        let t = token();
        assert_eq!(t.len(), TOKEN_LEN);
        let p = parse(&t).unwrap();
        assert_eq!(p.user_key, UK);
        assert_eq!(p.grant_id.len(), GRANT_ID_LEN);
        assert_eq!(p.tag.len(), TAG_LEN);
        assert_eq!(p.secret.len(), SECRET_LEN);
        assert_eq!(t.split(':').next(), Some(UK), "the user key stays the first part");
    }

    #[test]
    fn the_routing_tag_authenticates_user_and_grant() {
        let t = token();
        let p = parse(&t).unwrap();
        assert!(routing_ok(&[KEY], &p));
        assert!(!routing_ok(&[OLD_KEY], &p), "another key's tag is refused");
        assert!(!routing_ok(&[], &p), "no key: nothing routes");
        // Another user (or grant) with the same tag: refused.
        let other_user = t.replacen(UK, "fedcba9876543210fedcba9876543210", 1);
        assert!(!routing_ok(&[KEY], &parse(&other_user).unwrap()));
        let other_grant = format!("{UK}:{}:{}:{}", new_grant_id(&[3; 16]), p.tag, p.secret);
        assert!(!routing_ok(&[KEY], &parse(&other_grant).unwrap()));
        // A forged tag of the right spelling: refused.
        let forged = format!("{UK}:{}:{}:{}", p.grant_id, "A".repeat(TAG_LEN), p.secret);
        assert!(!routing_ok(&[KEY], &parse(&forged).unwrap()));
    }

    #[test]
    fn a_previous_key_keeps_its_tokens_routable_during_rotation() {
        let old = token_under(&OLD_KEY);
        assert!(routing_ok(&[KEY, OLD_KEY], &parse(&old).unwrap()));
        assert!(!routing_ok(&[KEY], &parse(&old).unwrap()), "once the previous key is dropped, its tokens stop");
    }

    #[test]
    fn parse_refuses_wrong_lengths_and_charsets() {
        let t = token();
        let bad = [
            String::new(),
            t[1..].to_owned(),
            format!("{t}A"),
            t.replacen('0', "A", 1), // uppercase hex in user key
            t.replacen('0', "g", 1), // non-hex
            t.replace(':', ";"),
            format!("{}+{}", &t[..60], &t[61..]),      // '+' in the grant id or tag
            format!("{}={}", &t[..TOKEN_LEN - 1], ""), // padding
            format!("{}é", &t[..TOKEN_LEN - 2]),       // non-ASCII of the right byte length
            format!("{}:{}", &t[..USER_KEY_LEN], &t[USER_KEY_LEN..].replacen(':', "::", 1)),
        ];
        for b in bad {
            assert!(parse(&b).is_none(), "{b:?}");
        }
    }

    #[test]
    fn parse_refuses_the_three_part_format_of_earlier_versions() {
        let gid = new_grant_id(&[1; 16]);
        let old = format!("{UK}:{gid}:{}", URL_SAFE_NO_PAD.encode([2u8; 32]));
        assert!(parse(&old).is_none());
    }

    #[test]
    fn parse_moved_separators_are_refused() {
        // Same total length, separators in the wrong places.
        let t = token();
        let moved = format!("{}:{}:{}", &t[..31], &t[31..32], &t[33..]);
        assert!(parse(&moved).is_none());
        let shifted = format!("{}:{}", &t[..USER_KEY_LEN + GRANT_ID_LEN], &t[USER_KEY_LEN + GRANT_ID_LEN + 2..]);
        assert!(parse(&format!("{shifted}x")).is_none());
    }

    #[test]
    fn parse_never_panics_on_junk() {
        for s in ["::", ":::", "a:b:c:d", &"é".repeat(TOKEN_LEN / 2), &":".repeat(TOKEN_LEN)] {
            assert!(parse(s).is_none());
        }
    }

    #[test]
    fn hash_is_sha256_base64url() {
        assert_eq!(hash("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
        assert_ne!(hash(&token()), token());
    }

    #[test]
    fn mint_refuses_malformed_parts() {
        let gid = new_grant_id(&[0; 16]);
        let tag = routing_tag(&KEY, UK, &gid);
        assert!(mint(Routing { user_key: "ABC", grant_id: &gid, tag: &tag }, &[0; 32]).is_none());
        assert!(mint(Routing { user_key: UK, grant_id: "short", tag: &tag }, &[0; 32]).is_none());
        assert!(mint(Routing { user_key: UK, grant_id: &gid, tag: "bad tag" }, &[0; 32]).is_none());
        let mut n = 0u8;
        let t = mint_with(Routing { user_key: UK, grant_id: &gid, tag: &tag }, &mut |b: &mut [u8]| {
            b.iter_mut().for_each(|x| {
                n = n.wrapping_add(1);
                *x = n;
            })
        });
        assert!(t.as_deref().and_then(parse).is_some());
    }
}
