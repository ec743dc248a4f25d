//! Token format: `<user_key>:<grant_id>:<secret>` (as in workers-oauth-provider), strict parsing
//! of presented tokens, and the SHA-256 that is all storage ever keeps.
//!
//! - `user_key`: 32 lowercase hex characters, derived by the caller from the user id; it names the
//!   user's Durable Object, so the front Worker routes a token without any lookup.
//! - `grant_id`: 16 random bytes, base64url (22 characters).
//! - `secret`: 32 random bytes, base64url (43 characters): the token's 256 bits of entropy.
//!
//! Access tokens, refresh tokens and authorization codes share this format. Their kind is not in
//! the string: it is the table the hash is found in (`access_tokens`, `grants.refresh_hash`,
//! `grants.code_hash`), and every lookup names the table it expects, so an access token presented
//! as a refresh token (or a code as a token) is simply not found. Keeping the format identical
//! for all three means one parser and one hash on the hot path.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

pub const USER_KEY_LEN: usize = 32;
pub const GRANT_ID_LEN: usize = 22;
pub const SECRET_LEN: usize = 43;
/// Total length of every token: 32 + 1 + 22 + 1 + 43.
pub const TOKEN_LEN: usize = USER_KEY_LEN + GRANT_ID_LEN + SECRET_LEN + 2;

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

/// Parses an attacker-supplied token; `None` for anything not exactly of the format. Never panics.
pub fn parse(token: &str) -> Option<TokenParts<'_>> {
    if token.len() != TOKEN_LEN {
        return None;
    }
    let mut it = token.split(':');
    let (user_key, grant_id, secret) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || !is_user_key(user_key) || !is_grant_id(grant_id) || secret.len() != SECRET_LEN || !is_b64url(secret) {
        return None;
    }
    Some(TokenParts { user_key, grant_id, secret })
}

/// SHA-256 of the whole token string, base64url: the only form stored.
pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// A new grant id from 16 random bytes.
pub fn new_grant_id(random16: &[u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(random16)
}

/// A new token for `user_key` and `grant_id` from 32 random bytes. `None` if either part is
/// malformed (a caller bug, refused rather than minted).
pub fn mint(user_key: &str, grant_id: &str, random32: &[u8; 32]) -> Option<String> {
    if !is_user_key(user_key) || !is_grant_id(grant_id) {
        return None;
    }
    Some(format!("{user_key}:{grant_id}:{}", URL_SAFE_NO_PAD.encode(random32)))
}

/// Like [`mint`], drawing the bytes from `random`.
pub fn mint_with(user_key: &str, grant_id: &str, random: &mut dyn FnMut(&mut [u8])) -> Option<String> {
    let mut b = [0u8; 32];
    random(&mut b);
    mint(user_key, grant_id, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UK: &str = "0123456789abcdef0123456789abcdef";

    fn token() -> String {
        let gid = new_grant_id(&[1; 16]);
        mint(UK, &gid, &[2; 32]).unwrap_or_default()
    }

    #[test]
    fn minted_tokens_parse_back() {
        let t = token();
        assert_eq!(t.len(), TOKEN_LEN);
        let p = parse(&t);
        assert_eq!(p.map(|p| p.user_key), Some(UK));
        assert_eq!(p.map(|p| p.grant_id.len()), Some(GRANT_ID_LEN));
        assert_eq!(p.map(|p| p.secret.len()), Some(SECRET_LEN));
    }

    #[test]
    fn parse_refuses_wrong_lengths_and_charsets() {
        let t = token();
        let bad = [
            String::new(),
            t[1..].to_owned(),
            format!("{t}A"),
            t.replacen('0', "A", 1),                       // uppercase hex in user key
            t.replacen('0', "g", 1),                       // non-hex
            format!("{}:{}", &t[..55], &t[56..]).replacen(':', "x", 1), // missing separator
            t.replace(':', ";"),
            format!("{}+{}", &t[..60], &t[61..]),          // '+' in grant id
            format!("{}={}", &t[..TOKEN_LEN - 1], ""),     // padding
            format!("{}é", &t[..TOKEN_LEN - 2]),           // non-ASCII of the right byte length
            format!("{}:{}", &t[..USER_KEY_LEN], &t[USER_KEY_LEN..].replacen(':', "::", 1)),
        ];
        for b in bad {
            assert!(parse(&b).is_none(), "{b:?}");
        }
    }

    #[test]
    fn parse_moved_separators_are_refused() {
        // Same total length, separators in the wrong places.
        let t = token();
        let moved = format!("{}:{}:{}", &t[..31], &t[31..32], &t[33..]);
        assert!(parse(&moved).is_none());
    }

    #[test]
    fn parse_never_panics_on_junk() {
        for s in ["::", ":::", "a:b:c", &"é".repeat(TOKEN_LEN / 2), &":".repeat(TOKEN_LEN)] {
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
        assert!(mint("ABC", &new_grant_id(&[0; 16]), &[0; 32]).is_none());
        assert!(mint(UK, "short", &[0; 32]).is_none());
        let mut n = 0u8;
        let t = mint_with(UK, &new_grant_id(&[0; 16]), &mut |b: &mut [u8]| b.iter_mut().for_each(|x| { n = n.wrapping_add(1); *x = n; }));
        assert!(t.as_deref().and_then(parse).is_some());
    }
}
