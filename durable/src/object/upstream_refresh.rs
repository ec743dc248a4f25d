//! Checking the upstream (Access for SaaS) session when a client refreshes its grant (wasm32
//! only): the upstream refresh token is used at the provider's token endpoint, and the identity is
//! read again at its userinfo endpoint with the fresh access token. The Access session bounds the
//! MCP grant: an upstream `invalid_grant` (or a userinfo answer for another subject) ends ours, and
//! changed groups reach the grant at once. Every call has a timeout and a bounded answer (the
//! same request and fetch the Worker uses: `r2_mcp_wire::upstream`).

use std::time::Duration;

use r2_mcp_wire::upstream::{fetch, token_request, ClientAuth};
use r2_mcp_wire::user_calls::UpstreamClient;
use r2_mcp_wire::UserIdentity;

use crate::grants::claims::{self, ClaimsError};

/// An upstream call that takes longer than this counts as the upstream being unavailable.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest upstream answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// What the upstream said.
pub enum UpstreamRefresh {
    /// The session is still valid. `refresh_token`: the rotated upstream token when it sent one
    /// (it must be kept even if the rest failed); `identity`: the identity as userinfo reports it
    /// now (`None` when the provider has no userinfo endpoint or it could not be read).
    Refreshed { refresh_token: Option<String>, identity: Option<UserIdentity> },
    /// `invalid_grant`, or userinfo names another subject: the upstream session has ended.
    Ended,
    /// Unreachable, too slow, or answered something unexpected.
    Unavailable(String),
}

/// Refreshes the upstream session of `identity` with `refresh_token`.
pub async fn refresh(client: &UpstreamClient, refresh_token: &str, identity: &UserIdentity) -> UpstreamRefresh {
    let auth = ClientAuth { client_id: &client.client_id, client_secret: &client.client_secret, method: &client.auth_method };
    let (form, authorization) = token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)], auth);
    let (status, body) = match fetch(&client.token_url, Some(form), authorization.as_deref(), TIMEOUT, MAX_ANSWER).await {
        Ok(r) => r,
        Err(e) => return UpstreamRefresh::Unavailable(e),
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return UpstreamRefresh::Unavailable(format!("the upstream token endpoint answered {status} without JSON"));
    };
    if !(200..300).contains(&status) {
        return match json.get("error").and_then(|v| v.as_str()) {
            Some("invalid_grant") => UpstreamRefresh::Ended,
            other => UpstreamRefresh::Unavailable(format!("the upstream token endpoint answered {status} {other:?}")),
        };
    }
    let refresh_token = json.get("refresh_token").and_then(|v| v.as_str()).map(str::to_owned);
    let access_token = json.get("access_token").and_then(|v| v.as_str());
    let identity = match (&client.userinfo_url, access_token) {
        (Some(url), Some(at)) => match userinfo(url, at, identity).await {
            Ok(id) => Some(id),
            Err(ClaimsError::OtherSubject) => return UpstreamRefresh::Ended,
            Err(ClaimsError::NotAnObject) => None,
        },
        _ => None,
    };
    UpstreamRefresh::Refreshed { refresh_token, identity }
}

/// The identity at the userinfo endpoint (OIDC Core §5.3); `NotAnObject` for any failure to
/// read it, `OtherSubject` when it names someone else.
async fn userinfo(url: &str, access_token: &str, old: &UserIdentity) -> Result<UserIdentity, ClaimsError> {
    match fetch(url, None, Some(&format!("Bearer {access_token}")), TIMEOUT, MAX_ANSWER).await {
        Ok((200, body)) => claims::refreshed(old, &body),
        Ok((status, _)) => {
            worker::console_warn!("upstream userinfo answered {status}; the groups stay as they were");
            Err(ClaimsError::NotAnObject)
        }
        Err(e) => {
            worker::console_warn!("upstream userinfo unavailable ({e}); the groups stay as they were");
            Err(ClaimsError::NotAnObject)
        }
    }
}
