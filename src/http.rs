//! Response builders shared by every route (wasm32 only): JSON with `Cache-Control: no-store`, HTML
//! pages with their security headers, redirects, and CORS for browser-based MCP clients.

pub use r2_mcp_wire::body::BodyError;
use worker::{Headers, Request, Response, Result};

/// Headers a browser client may read from our answers (MCP session and auth challenges).
const EXPOSED: &str = "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version, Location";
const ALLOWED_HEADERS: &str =
    "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID";

/// A JSON answer that no cache keeps.
pub fn json(status: u16, body: &serde_json::Value) -> Result<Response> {
    let mut resp = Response::from_json(body)?.with_status(status);
    resp.headers_mut().set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// A JSON answer from already-serialized bytes.
pub fn json_text(status: u16, body: String) -> Result<Response> {
    let mut resp = Response::ok(body)?.with_status(status);
    let h = resp.headers_mut();
    h.set("Content-Type", "application/json")?;
    h.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// An OAuth-style error body `{ "error", "error_description" }`.
pub fn json_error(status: u16, error: &str, description: &str) -> Result<Response> {
    json(status, &serde_json::json!({ "error": error, "error_description": description }))
}

/// An HTML page with the given extra headers (e.g. CSP, framing rules).
pub fn html(status: u16, body: String, headers: &[(&str, String)]) -> Result<Response> {
    let mut resp = Response::from_html(body)?.with_status(status);
    let h = resp.headers_mut();
    h.set("Cache-Control", "no-store")?;
    h.set("X-Content-Type-Options", "nosniff")?;
    h.set("Referrer-Policy", "no-referrer")?;
    for (k, v) in headers {
        h.set(k, v)?;
    }
    Ok(resp)
}

/// A 302 to `location`, with cookies to set.
pub fn redirect(location: &str, set_cookies: &[String]) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Location", location)?;
    headers.set("Cache-Control", "no-store")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    for c in set_cookies {
        headers.append("Set-Cookie", c)?;
    }
    Ok(Response::empty()?.with_status(302).with_headers(headers))
}

/// Reads the request's body, at most `max` bytes, chunk by chunk (`r2_mcp_wire::body`): a
/// larger one, chunked or with a declared length, is refused as soon as it passes `max`, its
/// stream cancelled. `Err` says why: [`BodyError::TooLarge`] is a 413, [`BodyError::Unreadable`]
/// (the client went away midway) a 400.
pub async fn read_body(req: &Request, max: usize) -> std::result::Result<Vec<u8>, BodyError> {
    r2_mcp_wire::body::request(req.inner(), max).await
}

/// Answers a CORS preflight for the routes browser clients call.
pub fn preflight(request_headers: &Headers) -> Result<Response> {
    let mut resp = Response::empty()?.with_status(204);
    let h = resp.headers_mut();
    let origin = request_headers.get("Origin")?.unwrap_or_else(|| "*".into());
    h.set("Access-Control-Allow-Origin", &origin)?;
    h.set("Vary", "Origin")?;
    h.set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")?;
    h.set("Access-Control-Allow-Headers", ALLOWED_HEADERS)?;
    h.set("Access-Control-Max-Age", "86400")?;
    Ok(resp)
}

/// Adds the CORS answer headers to a response for a request that carried `Origin`. Responses from
/// a Durable Object or `fetch` have immutable headers, so they get a writable copy (the body is
/// passed through, not copied).
pub fn with_cors(request_headers: &Headers, resp: Response) -> Result<Response> {
    let Some(origin) = request_headers.get("Origin")? else {
        return Ok(resp);
    };
    let h = Headers::new();
    for (k, v) in resp.headers().entries() {
        h.append(&k, &v)?;
    }
    h.set("Access-Control-Allow-Origin", &origin)?;
    h.append("Vary", "Origin")?;
    h.set("Access-Control-Expose-Headers", EXPOSED)?;
    Ok(resp.with_headers(h))
}

/// An OAuth error as the client gets it: its status, `Cache-Control: no-store`, its challenge or
/// `Retry-After`, and the RFC 6749 §5.2 JSON body. The Worker's only way to answer one.
pub fn oauth_error(e: &crate::oauth::errors::OAuthError) -> Result<Response> {
    let mut resp = json_text(e.status(), e.body())?;
    for (k, v) in e.headers() {
        resp.headers_mut().set(k, &v)?;
    }
    Ok(resp)
}
