//! Refreshing the upstream (Access for SaaS) session when a client refreshes its grant (wasm32
//! only): the Access session bounds the MCP grant, so an upstream `invalid_grant` ends ours.

use worker::{Fetch, Headers, Method, Request, RequestInit};

use crate::grants::wire::UpstreamClient;
use crate::url_parts::{encode, serialize as form_encode};

/// What the upstream token endpoint said.
pub enum UpstreamRefresh {
    /// Still valid; `refresh_token` is the rotated upstream token when it sent one.
    Refreshed { refresh_token: Option<String> },
    /// `invalid_grant`: the upstream session has ended.
    Ended,
    /// Unreachable or answered something unexpected; the grant is kept.
    Unavailable(String),
}

pub async fn refresh(client: &UpstreamClient, refresh_token: &str) -> UpstreamRefresh {
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
    let body = form_encode(&pairs);
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let req = match Request::new_with_init(&client.token_url, &init) {
        Ok(r) => r,
        Err(e) => return UpstreamRefresh::Unavailable(e.to_string()),
    };
    let mut resp = match Fetch::Request(req).send().await {
        Ok(r) => r,
        Err(e) => return UpstreamRefresh::Unavailable(e.to_string()),
    };
    let status = resp.status_code();
    let json: serde_json::Value = match resp.json().await {
        Ok(v) => v,
        Err(_) => return UpstreamRefresh::Unavailable(format!("upstream token endpoint answered {status} without JSON")),
    };
    if (200..300).contains(&status) {
        let rt = json.get("refresh_token").and_then(|v| v.as_str()).map(str::to_owned);
        return UpstreamRefresh::Refreshed { refresh_token: rt };
    }
    match json.get("error").and_then(|v| v.as_str()) {
        Some("invalid_grant") => UpstreamRefresh::Ended,
        other => UpstreamRefresh::Unavailable(format!("upstream token endpoint answered {status} {other:?}")),
    }
}
