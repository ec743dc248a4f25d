//! `POST /token` and `POST /revoke` (wasm32 only). The client authenticates as it registered
//! (RFC 6749 §2.3); the code or refresh token names its user, whose object applies the grant rules
//! in one consistent place. Answers are RFC 6749 §5 JSON with `Cache-Control: no-store`.

use r2_mcp_durable::grants::token;
use r2_mcp_wire::user_calls::{RevokeCall, TokenCall, TokenGrant, UpstreamClient, UserCall};
use worker::{Request, Response, Result};

use super::{call_object, oauth_answer, respond, Ctx, RouteError};
use crate::clients;
use crate::config::Upstream;
use crate::http::{self, BodyError};
use crate::oauth::errors::OAuthError;
use crate::oauth::registration::ClientRecord;
use crate::oauth::token_request;
use crate::oauth::{client_auth, form};
use crate::upstream;

/// Largest token or revocation request body.
const MAX_BODY: usize = 16 * 1024;

/// Reads the form body and authenticates the client.
async fn authenticated(req: &Request, ctx: &Ctx) -> Result<(form::Form, ClientRecord), RouteError> {
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded").into());
    }
    let body = match http::read_body(req, MAX_BODY).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return Err(OAuthError::invalid_request(format!("the request body is larger than {MAX_BODY} bytes")).with_status(413).into())
        }
        Err(BodyError::Unreadable) => return Err(OAuthError::invalid_request("the request body could not be read").into()),
    };
    let f =
        form::parse(&body, MAX_BODY).map_err(|_| OAuthError::invalid_request("the body is not a valid form (or repeats a parameter)"))?;
    let authorization = req.headers().get("Authorization")?;
    let creds = client_auth::extract(authorization.as_deref(), &f)?;
    let client = clients::get(ctx, &creds.client_id).await?;
    client_auth::authenticate(&creds, client.as_ref())?;
    let client = client.ok_or_else(|| OAuthError::invalid_client("unknown client"))?;
    Ok((f, client))
}

pub async fn token(req: Request, ctx: &Ctx, up: &Upstream) -> Result<Response> {
    if req.method() == worker::Method::Options {
        return http::preflight(req.headers());
    }
    let answer = async {
        let (f, client) = authenticated(&req, ctx).await?;
        exchange(ctx, up, &f, &client).await
    };
    http::with_cors(req.headers(), respond(answer.await)?)
}

async fn exchange(ctx: &Ctx, up: &Upstream, f: &form::Form, client: &ClientRecord) -> Result<Response, RouteError> {
    let resource = ctx.resource();
    let grant = token_request::parse_token_request(f, &resource)?;
    // RFC 6749 §5.2: only the grant types the client registered; a refresh token only if it registered that.
    let issue_refresh = token_request::check_client_grant(&grant, client)?;
    // A forged code or refresh token (invented user or grant) is refused before any object is touched.
    let invalid = || OAuthError::invalid_grant("the code or refresh token is not valid");
    let parts = token::parse(grant.presented()).filter(|p| token::routing_ok(&ctx.config.routing_keys, p)).ok_or_else(invalid)?;
    let tag = ctx.config.routing_tag(parts.user_key, parts.grant_id).ok_or_else(invalid)?;
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
    let user_key = parts.user_key.to_owned();
    let call =
        TokenCall { client_id: client.client_id.clone(), tag, grant, resource, lifetimes: ctx.config.lifetimes, upstream, issue_refresh };
    Ok(oauth_answer(call_object(ctx, &user_key, &UserCall::Token(call)).await?)?)
}

/// RFC 7009: revoke the grant behind a token this client holds; always 200 for a valid request.
pub async fn revoke(req: Request, ctx: &Ctx) -> Result<Response> {
    if req.method() == worker::Method::Options {
        return http::preflight(req.headers());
    }
    let answer = async {
        let (f, client) = authenticated(&req, ctx).await?;
        let r = token_request::parse_revoke_request(&f)?;
        // RFC 7009 §2.2: an invalid token still gets a 200; a forged one reaches no object.
        if let Some(parts) = token::parse(&r.token).filter(|p| token::routing_ok(&ctx.config.routing_keys, p)) {
            let call = RevokeCall { client_id: client.client_id.clone(), token: r.token.clone() };
            return Ok(oauth_answer(call_object(ctx, parts.user_key, &UserCall::Revoke(call)).await?)?);
        }
        Ok(http::json(200, &serde_json::json!({}))?)
    };
    http::with_cors(req.headers(), respond(answer.await)?)
}
