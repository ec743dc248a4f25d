//! Checking the upstream (Access for SaaS) session when a client refreshes its grant (wasm32
//! only): the upstream refresh token is used at the provider's token endpoint, and the identity is
//! read again at its userinfo endpoint with the fresh access token. The Access session bounds the
//! MCP grant: an upstream `invalid_grant` (or a userinfo answer for another subject) ends ours, and
//! changed groups reach the grant at once. Every call has a timeout.

use std::time::Duration;

use futures::future::{select, Either};
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit, Response};

use crate::grants::claims::{self, ClaimsError};
use r2_mcp_wire::url::{encode, serialize as form_encode};
use r2_mcp_wire::user_calls::UpstreamClient;
use r2_mcp_wire::UserIdentity;

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
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
    let _ = headers.set("Accept", "application/json");
    let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
    if client.auth_method == "client_secret_post" {
        pairs.push(("client_id", &client.client_id));
        pairs.push(("client_secret", &client.client_secret));
    } else {
        let basic = format!("{}:{}", encode(&client.client_id), encode(&client.client_secret));
        use base64::Engine as _;
        let _ = headers.set("Authorization", &format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(basic)));
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(form_encode(&pairs).into()));
    let (status, body) = match send(&client.token_url, &init).await {
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
    let headers = Headers::new();
    let _ = headers.set("Accept", "application/json");
    let _ = headers.set("Authorization", &format!("Bearer {access_token}"));
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    match send(url, &init).await {
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

/// One upstream call with [`TIMEOUT`], its body read up to [`MAX_ANSWER`].
async fn send(url: &str, init: &RequestInit) -> Result<(u16, Vec<u8>), String> {
    let req = Request::new_with_init(url, init).map_err(|e| e.to_string())?;
    let call = async {
        let mut resp: Response = Fetch::Request(req).send().await.map_err(|e| e.to_string())?;
        let status = resp.status_code();
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        if body.len() > MAX_ANSWER {
            return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
        }
        Ok((status, body))
    };
    match select(Box::pin(call), Delay::from(TIMEOUT)).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => Err(format!("no answer within {} s", TIMEOUT.as_secs())),
    }
}
