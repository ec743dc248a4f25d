//! `POST /register` (RFC 7591 dynamic client registration), wasm32 only: bounded body, a per-source
//! rate limit (IPv4 address or IPv6 /64), every field validated by [`crate::oauth::registration`], the secret (for
//! confidential clients) returned once and stored only as a hash.

use worker::{Request, Response, Result};

use super::Ctx;
use crate::clients;
use crate::http::{self, oauth_error, BodyError};
use crate::oauth::errors::OAuthError;
use crate::oauth::registration;
use crate::random;

/// Largest registration document accepted.
pub const MAX_BODY: usize = 16 * 1024;

pub async fn handle(req: Request, ctx: &Ctx) -> Result<Response> {
    if req.method() == worker::Method::Options {
        return http::preflight(req.headers());
    }
    if req.method() != worker::Method::Post {
        return http::with_cors(req.headers(), oauth_error(&OAuthError::invalid_request("use POST").with_status(405))?);
    }
    let source = req.headers().get("CF-Connecting-IP")?;
    if let Some(retry_after) = clients::registration_limited(ctx, source.as_deref()).await? {
        return http::with_cors(req.headers(), oauth_error(&OAuthError::rate_limited(retry_after))?);
    }
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        let e = OAuthError::invalid_client_metadata("the registration must be a JSON document (Content-Type: application/json)");
        return http::with_cors(req.headers(), oauth_error(&e)?);
    }
    let body = match http::read_body(&req, MAX_BODY).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            let e = OAuthError::invalid_client_metadata(format!("the registration is larger than {MAX_BODY} bytes"));
            return http::with_cors(req.headers(), oauth_error(&e.with_status(413))?);
        }
        Err(BodyError::Unreadable) => {
            let e = OAuthError::invalid_client_metadata("the registration could not be read");
            return http::with_cors(req.headers(), oauth_error(&e.with_status(400))?);
        }
    };
    let metadata = match registration::parse_request(&body) {
        Ok(m) => m,
        Err(e) => return http::with_cors(req.headers(), oauth_error(&e)?),
    };
    let (record, secret) = registration::register(metadata, &mut random::fill, random::now_secs());
    clients::put(ctx, &record).await?;
    let mut resp = http::json_text(201, registration::response_json(&record, secret.as_deref()))?;
    resp.headers_mut().set("Pragma", "no-cache")?;
    http::with_cors(req.headers(), resp)
}
