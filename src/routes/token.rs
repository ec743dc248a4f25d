//! `POST /token` and `POST /revoke` (wasm32 only). The client authenticates as it registered
//! (RFC 6749 §2.3); the code or refresh token names its user, whose object applies the grant rules
//! in one consistent place. Answers are RFC 6749 §5 JSON with `Cache-Control: no-store`.

use r2_mcp_durable::grants::token;
use r2_mcp_durable::grants::wire::{RevokeCall, TokenCall, TokenGrant, UpstreamClient};
use worker::{Request, Response, Result};

use super::register::oauth_error;
use super::{call_object, Ctx};
use crate::clients;
use crate::http::{self, BodyError};
use crate::oauth::errors::OAuthError;
use crate::oauth::registration::ClientRecord;
use crate::oauth::token_request::{self, TokenRequest};
use crate::oauth::{client_auth, form};
use crate::config::Upstream;
use crate::upstream;

/// Largest token or revocation request body.
const MAX_BODY: usize = 16 * 1024;

/// Reads the form body and authenticates the client; `Err` is the answer to send.
async fn authenticated(req: &Request, ctx: &Ctx) -> Result<std::result::Result<(form::Form, ClientRecord), Response>> {
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        let e = OAuthError::invalid_request("the body must be application/x-www-form-urlencoded");
        return Ok(Err(oauth_error(&e, 0)?));
    }
    let body = match http::read_body(req, MAX_BODY).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return Ok(Err(oauth_error(&OAuthError::invalid_request(format!("the request body is larger than {MAX_BODY} bytes")), 413)?))
        }
        Err(BodyError::Unreadable) => return Ok(Err(oauth_error(&OAuthError::invalid_request("the request body could not be read"), 0)?)),
    };
    let f = match form::parse(&body, MAX_BODY) {
        Ok(f) => f,
        Err(_) => return Ok(Err(oauth_error(&OAuthError::invalid_request("the body is not a valid form (or repeats a parameter)"), 0)?)),
    };
    let authorization = req.headers().get("Authorization")?;
    let creds = match client_auth::extract(authorization.as_deref(), &f) {
        Ok(c) => c,
        Err(e) => return Ok(Err(oauth_error(&e, 0)?)),
    };
    let client = clients::get(ctx, &creds.client_id).await?;
    if let Err(e) = client_auth::authenticate(&creds, client.as_ref()) {
        return Ok(Err(oauth_error(&e, 0)?));
    }
    match client {
        Some(c) => Ok(Ok((f, c))),
        None => Ok(Err(oauth_error(&OAuthError::invalid_client("unknown client"), 0)?)),
    }
}

pub async fn token(req: Request, ctx: &Ctx, up: &Upstream) -> Result<Response> {
    if req.method() == worker::Method::Options {
        return http::preflight(req.headers());
    }
    let resp = match authenticated(&req, ctx).await? {
        Err(resp) => resp,
        Ok((f, client)) => exchange(ctx, up, &f, &client).await?,
    };
    http::with_cors(req.headers(), resp)
}

async fn exchange(ctx: &Ctx, up: &Upstream, f: &form::Form, client: &ClientRecord) -> Result<Response> {
    let resource = ctx.resource();
    let request = match token_request::parse_token_request(f, &resource) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e, 0),
    };
    // RFC 6749 §5.2: only the grant types the client registered; a refresh token only if it registered that.
    let issue_refresh = match token_request::check_client_grant(&request, client) {
        Ok(r) => r,
        Err(e) => return oauth_error(&e, 0),
    };
    let (presented, grant) = match request {
        TokenRequest::AuthorizationCode { code, redirect_uri, code_verifier, resource } => {
            (code.clone(), TokenGrant::AuthorizationCode { code, redirect_uri, code_verifier, resource })
        }
        TokenRequest::RefreshToken { refresh_token, scope, resource } => {
            (refresh_token.clone(), TokenGrant::RefreshToken { refresh_token, scope, resource })
        }
    };
    // A forged code or refresh token (invented user or grant) is refused before any object is touched.
    let Some(parts) = token::parse(&presented).filter(|p| token::routing_ok(&ctx.config.routing_keys, p)) else {
        return oauth_error(&OAuthError::invalid_grant("the code or refresh token is not valid"), 0);
    };
    let Some(tag) = ctx.config.routing_tag(parts.user_key, parts.grant_id) else {
        return oauth_error(&OAuthError::invalid_grant("the code or refresh token is not valid"), 0);
    };
    // Refreshing our grant refreshes the upstream session too (when the grant holds its token).
    let upstream = match grant {
        TokenGrant::RefreshToken { .. } => upstream::endpoints(up).await.ok().map(|ep| UpstreamClient {
            token_url: ep.token,
            client_id: up.client_id.clone(),
            client_secret: up.client_secret.clone(),
            auth_method: ep.token_auth_method.to_owned(),
            userinfo_url: ep.userinfo,
        }),
        TokenGrant::AuthorizationCode { .. } => None,
    };
    let call = TokenCall {
        client_id: client.client_id.clone(),
        tag,
        grant,
        resource,
        lifetimes: ctx.config.lifetimes,
        upstream,
        issue_refresh,
    };
    let (status, body) = call_object(ctx, parts.user_key, "/oauth/token", &call).await?;
    let mut resp = http::json(status, &body)?;
    resp.headers_mut().set("Pragma", "no-cache")?;
    Ok(resp)
}

/// RFC 7009: revoke the grant behind a token this client holds; always 200 for a valid request.
pub async fn revoke(req: Request, ctx: &Ctx) -> Result<Response> {
    if req.method() == worker::Method::Options {
        return http::preflight(req.headers());
    }
    let resp = match authenticated(&req, ctx).await? {
        Err(resp) => resp,
        Ok((f, client)) => match token_request::parse_revoke_request(&f) {
            Err(e) => oauth_error(&e, 0)?,
            Ok(r) => {
                // RFC 7009 §2.2: an invalid token still gets a 200; a forged one reaches no object.
                if let Some(parts) = token::parse(&r.token).filter(|p| token::routing_ok(&ctx.config.routing_keys, p)) {
                    let call = RevokeCall { client_id: client.client_id.clone(), token: r.token.clone() };
                    call_object(ctx, parts.user_key, "/oauth/revoke", &call).await?;
                }
                http::json(200, &serde_json::json!({}))?
            }
        },
    };
    http::with_cors(req.headers(), resp)
}
