//! The calls the front Worker makes to a user's object (OAuth, and the use of a transfer link),
//! and the object's replies: one
//! [`UserCall`] JSON body to the object's `/call` route, one [`UserReply`] back. The Worker turns a
//! reply into its HTTP answer in one place (`routes::answer`); the object never builds HTTP for them.

use serde::{Deserialize, Serialize};

use crate::identity::UserIdentity;
use crate::lifetimes::Lifetimes;
use crate::oauth::{ErrorCode, Refusal};
use crate::transfer::{LinkCall, LinkReply};

/// Every OAuth call to a user's object. Externally tagged (`{"token": {…}}`): an internally tagged
/// enum costs several KB of wasm to deserialize.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserCall {
    OpenGrant(OpenGrant),
    Token(TokenCall),
    Revoke(RevokeCall),
    DevToken(DevToken),
    /// A transfer link is being used ([`UserReply::Link`]).
    Link(LinkCall),
}

/// The object's answer to a [`UserCall`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserReply {
    /// [`OpenGrant`]: the authorization code to send the client back with.
    Opened { code: String },
    /// [`TokenCall`], [`DevToken`]: the RFC 6749 §5.1 token response.
    Tokens(Tokens),
    /// [`RevokeCall`]: done (RFC 7009 answers 200 whatever the token was).
    Revoked,
    /// The call was refused: the OAuth error to answer with.
    Refused(Refusal),
    /// [`LinkCall`]: the object's answer about the link.
    Link(LinkReply),
}

impl UserReply {
    /// A refusal with `error` and `description`.
    pub fn refused(error: ErrorCode, description: impl Into<String>) -> Self {
        UserReply::Refused(Refusal::new(error, description))
    }
}

/// An RFC 6749 §5.1 token response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    /// Absent when the client did not register the `refresh_token` grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
    /// DEV_MODE tokens only: the user's key (tests address the user's objects with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_key: Option<String>,
}

/// Everything a grant carries that must stay confidential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantProps {
    pub identity: UserIdentity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_refresh_token: Option<String>,
}

/// The id of a new grant and the routing tag of its tokens, both chosen by the front Worker (the
/// tag is an HMAC under a key only the Worker holds: see `r2_mcp_durable::grants::token`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRouting {
    pub grant_id: String,
    pub tag: String,
}

/// The user approved and logged in: open a grant and mint its code ([`UserReply::Opened`]).
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

/// An authenticated client redeems a code or a refresh token ([`UserReply::Tokens`]).
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenGrant {
    AuthorizationCode { code: String, redirect_uri: Option<String>, code_verifier: String, resource: Option<String> },
    RefreshToken { refresh_token: String, scope: Option<Vec<String>>, resource: Option<String> },
}

impl TokenGrant {
    /// The `grant_type` this grant is.
    pub fn grant_type(&self) -> &'static str {
        match self {
            Self::AuthorizationCode { .. } => "authorization_code",
            Self::RefreshToken { .. } => "refresh_token",
        }
    }

    /// The code or refresh token presented.
    pub fn presented(&self) -> &str {
        match self {
            Self::AuthorizationCode { code, .. } => code,
            Self::RefreshToken { refresh_token, .. } => refresh_token,
        }
    }
}

/// RFC 7009: revoke the grant behind `token` if it belongs to `client_id` ([`UserReply::Revoked`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokeCall {
    pub client_id: String,
    pub token: String,
}

/// DEV_MODE on loopback only: a grant for a test user without a login, so local tests and
/// benchmarks can make many users quickly ([`UserReply::Tokens`]). Never reachable in production.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevToken {
    pub routing: NewRouting,
    pub identity: UserIdentity,
    pub client_id: String,
    pub resource: String,
    pub lifetimes: Lifetimes,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn token_grant_round_trips_tagged_by_its_grant_type() {
        let g = TokenGrant::RefreshToken { refresh_token: "r".into(), scope: None, resource: None };
        let json = serde_json::to_string(&g).unwrap();
        assert!(json.starts_with("{\"refresh_token\":{"), "{json}");
        let back: TokenGrant = serde_json::from_str(&json).unwrap();
        assert!(matches!(back, TokenGrant::RefreshToken { .. }));
    }

    #[test]
    fn replies_round_trip() {
        let r = UserReply::refused(ErrorCode::InvalidGrant, "nope");
        let back: UserReply = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert!(matches!(back, UserReply::Refused(Refusal { error: ErrorCode::InvalidGrant, .. })));
        let t = Tokens {
            access_token: "a".into(),
            token_type: "Bearer".into(),
            expires_in: 5,
            refresh_token: None,
            scope: "mcp".into(),
            user_key: None,
        };
        let json = serde_json::to_value(&t).unwrap();
        assert!(json.get("refresh_token").is_none() && json.get("user_key").is_none(), "{json}");
    }
}
