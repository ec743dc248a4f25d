//! `/mcp`: the bearer check and the hand-off to the user's Durable Object (wasm32 only).
//!
//! The token names its user (`<user_key>:<grant>:<secret>`), so the request goes to that user's
//! object in one hop; the object checks the token's hash, its grant and its resource, and serves
//! MCP. The Worker owns the wire form of every authentication failure (RFC 6750 §3 challenges
//! pointing at the RFC 9728 metadata), and strips any `x-r2mcp-*` header a client sent, so the
//! object only ever sees the headers set here.

use r2_mcp_durable::grants::token;
use r2_mcp_durable::object::{AUTH_ERROR_HEADER, BEARER_HEADER, RESOURCE_HEADER};
use worker::{Headers, Request, RequestInit, Response, Result};

use super::Ctx;
use crate::http;
use crate::oauth::metadata::www_authenticate;

/// Answers `/mcp`.
pub async fn handle(req: Request, ctx: &Ctx) -> Result<Response> {
    if req.method() == worker::Method::Options {
        return http::preflight(&req);
    }
    let authorization = req.headers().get("Authorization")?;
    let Some(bearer) = authorization.as_deref().and_then(bearer_token) else {
        // RFC 6750 §3.1: no credentials → a bare challenge, no error code.
        return challenge(&req, ctx, None);
    };
    let Some(parts) = token::parse(bearer) else {
        return challenge(&req, ctx, Some("the access token is malformed"));
    };
    let user_key = parts.user_key.to_owned();
    let bearer = bearer.to_owned();

    let headers = Headers::new();
    for (name, value) in req.headers().entries() {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-r2mcp-") || lower == "authorization" || lower == "cookie" {
            continue;
        }
        headers.append(&name, &value)?;
    }
    headers.set(BEARER_HEADER, &bearer)?;
    headers.set(RESOURCE_HEADER, &ctx.resource())?;
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(headers);
    if let Some(body) = req.inner().body() {
        init.with_body(Some(body.into()));
    }
    let forwarded = Request::new_with_init(&req.url()?.to_string(), &init)?;
    let resp = ctx.user_object(&user_key)?.fetch_with_request(forwarded).await?;
    if resp.status_code() == 401 {
        let why = resp.headers().get(AUTH_ERROR_HEADER)?.unwrap_or_else(|| "the access token was refused".into());
        return challenge(&req, ctx, Some(&why));
    }
    http::with_cors(&req, resp)
}

/// `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, rest) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim()).filter(|t| !t.is_empty())
}

/// A 401 with the `WWW-Authenticate` challenge; `error` adds `invalid_token` and a description.
fn challenge(req: &Request, ctx: &Ctx, error: Option<&str>) -> Result<Response> {
    let mut resp = match error {
        None => http::json_error(401, "unauthorized", "authentication required: see WWW-Authenticate")?,
        Some(why) => http::json_error(401, "invalid_token", why)?,
    };
    let value = www_authenticate(&ctx.origin, error.map(|why| ("invalid_token", why)));
    resp.headers_mut().set("WWW-Authenticate", &value)?;
    http::with_cors(req, resp)
}
