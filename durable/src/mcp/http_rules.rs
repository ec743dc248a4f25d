//! Streamable HTTP checks the glue applies before dispatch, each failing with a precise [`Rejection`].
//!
//! [`check_origin`] runs in the front Worker, before authentication, on every `/mcp` request.
//! Then, in the user's object, for a POST: [`check_method`] → [`check_body_size`] →
//! [`check_content_type`] → [`check_accept_post`] → version header → parse → era checks
//! ([`session_rule`] or [`check_standard_headers`]). Spec: 2025-11-25 basic/transports and
//! 2026-07-28 basic/transports/streamable-http.

use base64::Engine;
use serde_json::Value;

use super::jsonrpc::{self, Id, Message, RpcError, HEADER_MISMATCH, INVALID_REQUEST};
use super::session;
use super::version::Version;

/// Largest POST body accepted: 16 MiB. It fits `put_object` with base64 content up to
/// [`crate::tools::put_object::MAX_PUT_BYTES`] (10 MiB decoded ≈ 13.4 MiB encoded, plus JSON framing),
/// while the body, its parsed form, the decoded bytes and the R2 upload stay well inside the
/// isolate's 128 MB. Larger objects need a multipart path outside MCP.
pub const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// An HTTP refusal: status, optional `Allow` header, and a JSON-RPC error body (id null unless
/// known), which the spec permits for every refusal and which modern clients read.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub status: u16,
    pub allow: Option<&'static str>,
    pub id: Option<Id>,
    pub error: RpcError,
}

impl Rejection {
    pub fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Rejection { status, allow: None, id: None, error: RpcError::new(code, message) }
    }
    pub fn from_error(status: u16, id: Option<Id>, error: RpcError) -> Self {
        Rejection { status, allow: None, id, error }
    }
    /// The body to send with `Content-Type: application/json`.
    pub fn body(&self) -> Value {
        jsonrpc::error(self.id.as_ref(), &self.error)
    }
}

/// The HTTP methods the MCP endpoint serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    Post,
    Get,
    Delete,
}

/// POST always; GET (stream) and DELETE (end session) only in the session era. 2026-07-28
/// answers GET/DELETE with 405 (streamable-http §Earlier Streamable HTTP Revisions).
pub fn check_method(method: &str, version: Version) -> Result<HttpMethod, Rejection> {
    let allow = if version.is_stateless() { "POST" } else { "GET, POST, DELETE" };
    let m = match method {
        "POST" => return Ok(HttpMethod::Post),
        "GET" if version.is_session_based() => HttpMethod::Get,
        "DELETE" if version.is_session_based() => HttpMethod::Delete,
        _ => {
            let mut r = Rejection::new(405, INVALID_REQUEST, "Method Not Allowed");
            r.allow = Some(allow);
            return Err(r);
        }
    };
    Ok(m)
}

/// Browser origins of the ecosystem's first-party web MCP clients, allowed on `/mcp` without any
/// setting (`ALLOWED_ORIGINS` adds to them). Each is a page whose users log in to this server
/// themselves (OAuth in a popup) and whose requests carry the bearer token that login gave them.
pub const DEFAULT_ALLOWED_ORIGINS: &[&str] = &[
    // The Cloudflare AI playground (built on `use-mcp`; Cloudflare's own MCP servers admit it:
    // cloudflare/mcp-server-cloudflare, packages/mcp-common/src/mcp-app.ts).
    "https://playground.ai.cloudflare.com",
    // The hosted demos of `use-mcp` (modelcontextprotocol/use-mcp, examples/inspector and
    // examples/chat-ui, wrangler.jsonc routes).
    "https://inspector.use-mcp.dev",
    "https://chat.use-mcp.dev",
];

/// The setting that admits more origins, as named in every refusal.
pub const ALLOWED_ORIGINS_SETTING: &str = "ALLOWED_ORIGINS";

/// The browser origins admitted besides loopback and [`DEFAULT_ALLOWED_ORIGINS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `ALLOWED_ORIGINS=*`: every origin. For servers that require a bearer token on every request
    /// (the OAuth mode), whose browser clients cannot be listed in advance.
    Any,
    /// These exact origins (normalised by [`normalize_origin`]) besides the defaults.
    Listed(Vec<String>),
}

impl Default for AllowedOrigins {
    fn default() -> Self {
        AllowedOrigins::Listed(Vec::new())
    }
}

/// Where `/mcp` requests may come from (transports §Security Warning: DNS rebinding).
#[derive(Clone, Copy, Debug)]
pub struct OriginPolicy<'a> {
    /// `scheme://host[:port]` of this server as the request addressed it (from its `Host`).
    pub own: &'a str,
    pub allowed: &'a AllowedOrigins,
    /// Allow `http(s)://localhost|127.0.0.1|[::1]` on any port (local tools such as the Inspector).
    pub allow_loopback: bool,
}

/// `Origin` validation: absent → allowed (non-browser clients); present → allowed when it is a
/// loopback origin, a default or configured one, anything under `ALLOWED_ORIGINS=*`, or this
/// server's own origin over https; otherwise (including `null`) 403 with a message that names the
/// origin and the setting that admits it.
///
/// The own origin counts only over https: it is read from the request's `Host`, which a DNS
/// rebinding page controls over plain http (its `Host` and `Origin` are both its own name), but
/// over https the page would need a certificate for the name this server answers on.
pub fn check_origin(origin: Option<&str>, policy: &OriginPolicy<'_>) -> Result<(), Rejection> {
    let Some(origin) = origin else { return Ok(()) };
    let o = origin.trim().trim_end_matches('/');
    let same = |a: &str| o.eq_ignore_ascii_case(a.trim_end_matches('/'));
    let own = policy.own.trim_end_matches('/');
    let ok = match policy.allowed {
        AllowedOrigins::Any => true,
        AllowedOrigins::Listed(extra) => {
            DEFAULT_ALLOWED_ORIGINS.iter().any(|a| same(a))
                || extra.iter().any(|a| same(a))
                || (policy.allow_loopback && is_loopback_origin(o))
                || (own.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) && same(own))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Rejection::new(403, INVALID_REQUEST, origin_refusal(o)))
    }
}

/// The refusal's message: the origin, and how the server's administrator admits it.
fn origin_refusal(o: &str) -> String {
    let s = ALLOWED_ORIGINS_SETTING;
    match normalize_origin(o) {
        Some(n) => format!(
            "Forbidden: Origin {n} is not allowed to use this MCP server. Its administrator can admit it \
             by adding it to the {s} setting (a comma-separated list): {s}={n}"
        ),
        None => format!(
            "Forbidden: Origin {:?} is not allowed to use this MCP server, and it is not an origin the \
             {s} setting can list; only {s}=* (any origin) admits it",
            jsonrpc::clip(o, 100)
        ),
    }
}

/// `scheme://host[:port]` in lower case, scheme http or https, no trailing slash, path, query,
/// credentials or wildcard; at most 255 characters. `None` for anything else (`null` included).
pub fn normalize_origin(o: &str) -> Option<String> {
    let lower = o.trim().trim_end_matches('/').to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))?;
    let valid = !rest.is_empty()
        && lower.len() <= 255
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && !rest.starts_with(':');
    valid.then_some(lower)
}

fn is_loopback_origin(o: &str) -> bool {
    let lower = o.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("http://").or_else(|| lower.strip_prefix("https://")) else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix("[::1]") {
        return v6.is_empty() || is_port(v6);
    } else {
        rest
    };
    let (name, port) = match host.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    (name == "localhost" || name == "127.0.0.1") && port.is_none_or(|p| is_port(&format!(":{p}")))
}

fn is_port(s: &str) -> bool {
    s.strip_prefix(':').is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// 413 above [`MAX_BODY_BYTES`]. The glue checks `Content-Length` here and must also stop
/// reading a body without one once it passes the cap.
pub fn check_body_size(len: u64) -> Result<(), Rejection> {
    if len > MAX_BODY_BYTES {
        Err(Rejection::new(
            413,
            INVALID_REQUEST,
            format!("Payload Too Large: the limit is {MAX_BODY_BYTES} bytes. Move large content through a transfer link (create_upload_link), not inside a request."),
        ))
    } else {
        Ok(())
    }
}

/// POST bodies are JSON: `Content-Type: application/json` (parameters such as charset allowed).
pub fn check_content_type(content_type: Option<&str>) -> Result<(), Rejection> {
    let essence = content_type.and_then(|c| c.split(';').next()).map(str::trim);
    match essence {
        Some(e) if e.eq_ignore_ascii_case("application/json") => Ok(()),
        _ => Err(Rejection::new(415, INVALID_REQUEST, "Unsupported Media Type: Content-Type must be application/json")),
    }
}

/// Which response forms a POST's `Accept` allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepts {
    pub json: bool,
    pub sse: bool,
}

impl Accepts {
    /// Stream when the work sends messages before its result and the client takes SSE, or when
    /// SSE is all it takes; otherwise answer with one JSON object.
    pub fn use_sse(self, needs_stream: bool) -> bool {
        self.sse && (needs_stream || !self.json)
    }
}

/// Parses `Accept` (RFC 9110 §12.5.1): media ranges with wildcards and `q` (q=0 refuses).
/// A missing header means `*/*` (RFC 9110).
pub fn parse_accept(accept: Option<&str>) -> Accepts {
    let Some(accept) = accept else {
        return Accepts { json: true, sse: true };
    };
    let mut a = Accepts { json: false, sse: false };
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.len() >= 2
                && p.get(..2).is_some_and(|k| k.eq_ignore_ascii_case("q="))
                && p.get(2..).and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match media.as_str() {
            "*/*" => a = Accepts { json: true, sse: true },
            "application/*" | "application/json" => a.json = true,
            "text/*" | "text/event-stream" => a.sse = true,
            _ => {}
        }
    }
    a
}

/// POST `Accept`: the spec says clients MUST list both types; real clients differ (some send
/// only `application/json`, some `*/*`), so we refuse (406) only when neither is acceptable and
/// then answer in the one form allowed.
pub fn check_accept_post(accept: Option<&str>) -> Result<Accepts, Rejection> {
    let a = parse_accept(accept);
    if a.json || a.sse {
        Ok(a)
    } else {
        Err(Rejection::new(406, INVALID_REQUEST, "Not Acceptable: Accept must allow application/json or text/event-stream"))
    }
}

/// GET opens an SSE stream: `Accept` must allow `text/event-stream` (406 otherwise).
pub fn check_accept_get(accept: Option<&str>) -> Result<(), Rejection> {
    if parse_accept(accept).sse {
        Ok(())
    } else {
        Err(Rejection::new(406, INVALID_REQUEST, "Not Acceptable: Accept must allow text/event-stream"))
    }
}

/// What the session era needs from `Mcp-Session-Id` before dispatch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionNeed {
    /// `initialize`: a new session is made (any header sent with it is ignored).
    Create,
    /// Load this session; then [`session::SessionRecord::check_access`] (404 when unknown).
    Lookup(String),
}

/// Session header rules (2025-11-25 transports §Session Management): non-initialize without the
/// header → 400; a header that could never be one of our ids → 404, like any unknown id.
pub fn session_rule(is_initialize: bool, header: Option<&str>) -> Result<SessionNeed, Rejection> {
    if is_initialize {
        return Ok(SessionNeed::Create);
    }
    match header {
        None => Err(Rejection::new(400, INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required")),
        Some(h) if !session::is_valid_session_id(h) => Err(session::not_found()),
        Some(h) => Ok(SessionNeed::Lookup(h.to_owned())),
    }
}

/// 2026-07-28 standard headers (streamable-http §Server Validation): `Mcp-Method` must equal the
/// body's method; `Mcp-Name` must equal `params.name` (tools/call, prompts/get) or `params.uri`
/// (resources/read) after `=?base64?…?=` decoding. Failures are 400 with `HeaderMismatch`.
/// Notifications have no header requirements in this revision.
pub fn check_standard_headers(msg: &Message, mcp_method: Option<&str>, mcp_name: Option<&str>) -> Result<(), Rejection> {
    let Message::Request(req) = msg else {
        return Ok(());
    };
    let mismatch = |m: String| Err(Rejection::from_error(400, Some(req.id.clone()), RpcError::new(HEADER_MISMATCH, m)));
    match mcp_method {
        None => return mismatch("Header mismatch: required Mcp-Method header is missing".into()),
        Some(h) if h != req.method => {
            return mismatch(format!(
                "Header mismatch: Mcp-Method header value '{}' does not match body value '{}'",
                jsonrpc::clip(h, 100),
                jsonrpc::clip(&req.method, 100)
            ))
        }
        Some(_) => {}
    }
    let field = match req.method.as_str() {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return Ok(()),
    };
    let body = req.params.as_ref().and_then(|p| p.get(field)).and_then(Value::as_str);
    let Some(header) = mcp_name else {
        return mismatch("Header mismatch: required Mcp-Name header is missing".into());
    };
    let Some(decoded) = decode_header_value(header) else {
        return mismatch("Header mismatch: Mcp-Name header value is malformed".into());
    };
    if Some(decoded.as_str()) != body {
        return mismatch(format!(
            "Header mismatch: Mcp-Name header value '{}' does not match body value '{}'",
            jsonrpc::clip(&decoded, 100),
            jsonrpc::clip(body.unwrap_or(""), 100)
        ));
    }
    Ok(())
}

/// Decodes a header value that may use the `=?base64?…?=` sentinel (streamable-http §Value
/// Encoding). Plain values must be visible ASCII, space or tab.
pub fn decode_header_value(h: &str) -> Option<String> {
    if let Some(inner) = h.strip_prefix("=?base64?").and_then(|r| r.strip_suffix("?=")) {
        let bytes = base64::engine::general_purpose::STANDARD.decode(inner).ok()?;
        return String::from_utf8(bytes).ok();
    }
    h.bytes().all(|b| b == b'\t' || (0x20..=0x7e).contains(&b)).then(|| h.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
#[path = "http_rules_tests.rs"]
mod tests;
