//! The internal requests the front Worker sends a user's object about OAuth grants, and the user
//! key that names that object. JSON over the Durable Object `fetch`; only the Worker can send them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The user as the upstream provider identified them; kept sealed in the grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserIdentity {
    pub iss: String,
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Everything a grant carries that must stay confidential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantProps {
    pub identity: UserIdentity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_refresh_token: Option<String>,
}

pub use super::rules::Lifetimes;

/// The id of a new grant and the routing tag of its tokens, both chosen by the front Worker (the
/// tag is an HMAC under a key only the Worker holds: see [`super::token`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRouting {
    pub grant_id: String,
    pub tag: String,
}

/// `POST /oauth/grant`: the user approved and logged in; open a grant and mint its code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenGrant {
    pub routing: NewRouting,
    pub client_id: String,
    pub scope: Vec<String>,
    pub resource: String,
    pub redirect_uri: String,
    pub redirect_uri_explicit: bool,
    pub code_challenge: String,
    pub props: GrantProps,
    /// SHA-256 of the upstream `state`: a callback replayed with the same state is refused.
    pub login_state_hash: String,
    pub lifetimes: Lifetimes,
}

/// Answer to [`OpenGrant`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantOpened {
    pub code: String,
}

/// How the object reaches the upstream token endpoint to refresh the upstream session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpstreamClient {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// `client_secret_basic` or `client_secret_post`.
    pub auth_method: String,
    /// The OpenID Provider's userinfo endpoint: a refresh that reaches the upstream re-reads the
    /// user's identity and groups there (so a user removed from a writer group loses the write
    /// tools at the next upstream check).
    #[serde(default)]
    pub userinfo_url: Option<String>,
}

/// `POST /oauth/token`: an authenticated client redeems a code or a refresh token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenCall {
    pub client_id: String,
    /// The routing tag, under the Worker's current key, for the presented token's user and grant:
    /// the tokens minted now carry it (so a rotated key takes over at each grant's next refresh).
    pub tag: String,
    pub grant: TokenGrant,
    pub resource: String,
    pub lifetimes: Lifetimes,
    #[serde(default)]
    pub upstream: Option<UpstreamClient>,
    /// Whether the client registered the `refresh_token` grant: when not, a code is exchanged for
    /// an access token only (no refresh token is stored or returned). Absent means true.
    #[serde(default = "yes")]
    pub issue_refresh: bool,
}

fn yes() -> bool {
    true
}

/// The grant being exchanged (already parsed and syntax-checked by the Worker). Externally tagged
/// (`{"refresh_token": {…}}`): an internally tagged enum costs several KB of wasm to deserialize.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenGrant {
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: String,
        resource: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
        scope: Option<Vec<String>>,
        resource: Option<String>,
    },
}

/// `POST /oauth/revoke` (RFC 7009): revoke the grant behind `token` if it belongs to `client_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokeCall {
    pub client_id: String,
    pub token: String,
}

/// `POST /oauth/dev-token` (DEV_MODE on loopback only): a grant for a test user without a login,
/// so local tests and benchmarks can make many users quickly. Never reachable in production.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevToken {
    pub routing: NewRouting,
    pub identity: UserIdentity,
    pub client_id: String,
    pub resource: String,
    pub lifetimes: Lifetimes,
}

/// The key that names a user's Durable Object: 32 hex characters of SHA-256 over the upstream
/// issuer and subject, so the same person always reaches the same object and nothing personal
/// appears in tokens or object names.
pub fn user_key(iss: &str, sub: &str) -> String {
    let mut h = Sha256::new();
    h.update((iss.len() as u64).to_be_bytes());
    h.update(iss.as_bytes());
    h.update(sub.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_key_is_stable_hex_and_separates_issuers() {
        let k = user_key("https://a.example", "alice");
        assert_eq!(k.len(), 32);
        assert!(super::super::token::is_user_key(&k));
        assert_eq!(k, user_key("https://a.example", "alice"));
        assert_ne!(k, user_key("https://b.example", "alice"));
        assert_ne!(user_key("ab", "c"), user_key("a", "bc"), "issuer and subject cannot be shifted");
    }

    #[test]
    fn token_grant_round_trips_tagged_by_its_grant_type() {
        let g = TokenGrant::RefreshToken { refresh_token: "r".into(), scope: None, resource: None };
        let json = serde_json::to_string(&g).unwrap();
        assert!(json.starts_with("{\"refresh_token\":{"), "{json}");
        let back: TokenGrant = serde_json::from_str(&json).unwrap();
        assert!(matches!(back, TokenGrant::RefreshToken { .. }));
    }
}
