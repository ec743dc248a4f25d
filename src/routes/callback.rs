//! `GET /callback` (wasm32 only): the upstream provider sends the browser back here. The login
//! cookie named after `state` must be present and open (bound to this browser, single use, 10 min);
//! the code is exchanged with our PKCE verifier; the id_token is validated completely; the user's
//! object opens a grant and mints the code; the browser goes back to the MCP client with `code`,
//! `state` and `iss` (RFC 9207).

use r2_mcp_wire::user_calls::{GrantProps, NewRouting, OpenGrant, UserCall, UserReply};
use r2_mcp_wire::{user_key, UserIdentity};
use worker::{Request, Response, Result};

use super::authorize::{login_cipher, login_cookie_name, page_error, state_hash, LoginState};
use super::{call_object, Ctx};
use crate::config::Upstream;
use crate::http;
use crate::oauth::authorize::{error_redirect, success_redirect};
use crate::oauth::cookies;
use crate::oauth::errors::{ErrorCode, OAuthError};
use crate::oauth::form;
use crate::random;
use crate::upstream::{self, UpstreamError};

pub async fn handle(req: Request, ctx: &Ctx, up: &Upstream) -> Result<Response> {
    let query = r2_mcp_wire::url::query(&req.inner().url()).to_owned();
    let Ok(q) = form::parse(query.as_bytes(), 16 * 1024) else {
        return page_error(400, "Bad request", "The login response could not be read.");
    };
    let Some(state) = q.get("state").filter(|s| !s.is_empty() && s.len() <= 256) else {
        return page_error(400, "Bad request", "The login response has no state.");
    };
    let name = login_cookie_name(state);
    let clear = cookies::clear_cookie_header(&name);
    let cookie_header = req.headers().get("Cookie")?.unwrap_or_default();
    let login: Option<LoginState> = cookies::get_cookie(&cookie_header, &name)
        .and_then(|v| cookies::open_encrypted(&login_cipher(ctx), &name, &v, random::now_secs()).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(login) = login.filter(|l| constant_eq(&l.state, state)) else {
        return page_error(
            400,
            "This login has expired",
            "It was started in another browser, took longer than 10 minutes, or was already completed. Start the connection again from your application.",
        );
    };
    let request = &login.request;
    let back = |e: OAuthError| error_redirect(&request.redirect_uri, &e, request.state.as_deref(), &ctx.origin);

    if let Some(err) = q.get("error") {
        let e = if err == "access_denied" {
            OAuthError::new(ErrorCode::AccessDenied, "the login was cancelled at the identity provider")
        } else {
            OAuthError::new(ErrorCode::TemporarilyUnavailable, "the identity provider could not complete the login")
        };
        return http::redirect(&back(e), &[clear]);
    }
    let Some(code) = q.get("code").filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return page_error(400, "Bad request", "The login response has no code.");
    };

    let callback = format!("{}/callback", ctx.origin);
    let identity = match login_upstream(up, code, &login, &callback).await {
        Ok(id) => id,
        Err(e) => {
            worker::console_warn!("upstream login failed: {e}");
            return match e {
                UpstreamError::Unavailable(_) => {
                    page_error(502, "The login service is unavailable", &format!("{e}. Try again in a moment."))
                }
                _ => page_error(400, "The login could not be verified", &e.to_string()),
            };
        }
    };
    let (identity, upstream_refresh_token) = identity;

    let user_key = user_key(&identity.iss, &identity.sub);
    let Some(routing) = new_routing(ctx, &user_key) else {
        return page_error(500, "Something went wrong", "The grant could not be opened.");
    };
    let call = OpenGrant {
        routing,
        client_id: request.client_id.clone(),
        scope: request.scopes.clone(),
        resource: request.resource.clone(),
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_explicit: request.redirect_uri_explicit,
        code_challenge: request.code_challenge.clone(),
        props: GrantProps { identity, upstream_refresh_token },
        login_state_hash: state_hash(state),
        lifetimes: ctx.config.lifetimes,
    };
    let code = match call_object(ctx, &user_key, &UserCall::OpenGrant(call)).await? {
        UserReply::Opened { code } => code,
        UserReply::Refused(r) if r.error == ErrorCode::InvalidRequest => {
            return page_error(400, "This login was already completed", &r.description)
        }
        _ => return page_error(500, "Something went wrong", "The grant could not be opened."),
    };
    let location = success_redirect(&request.redirect_uri, &code, request.state.as_deref(), &ctx.origin);
    http::redirect(&location, &[clear])
}

/// A fresh grant id for `user_key` and the routing tag its tokens carry.
pub fn new_routing(ctx: &Ctx, user_key: &str) -> Option<NewRouting> {
    let grant_id = r2_mcp_durable::grants::token::new_grant_id(&crate::random::array::<16>());
    let tag = ctx.config.routing_tag(user_key, &grant_id)?;
    Some(NewRouting { grant_id, tag })
}

type LoginResult = std::result::Result<(UserIdentity, Option<String>), UpstreamError>;

/// Exchanges the code and validates the id_token; returns the identity and any upstream refresh token.
async fn login_upstream(up: &Upstream, code: &str, login: &LoginState, callback: &str) -> LoginResult {
    let ep = upstream::endpoints(up).await?;
    let tokens = upstream::exchange_code(up, &ep, code, &login.verifier, callback).await?;
    let id = upstream::verify_id_token(up, &ep, &tokens.id_token, &login.nonce).await?;
    let identity = UserIdentity { iss: up.issuer.clone(), sub: id.sub, email: id.email, name: id.name, groups: id.groups };
    Ok((identity, tokens.refresh_token))
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
