//! One structured JSON log line per request (wasm32 only), for Workers Logs to query: request id,
//! route, status, duration, a hash naming the user, the OAuth client, and for `/mcp` the JSON-RPC
//! method and tool. Never a token, secret, cookie, header value or object content, with one
//! exception: a refused `Origin` (not a secret, and what the administrator needs to admit it),
//! written only when it is a plain origin (see [`Line::refused_origin`]).
//!
//! The user's object reports what only it knows (client, method, tool) in its `McpReply` (see
//! `r2_mcp_wire::mcp_call`), only when asked, i.e. when `LOG_LEVEL` lets this request's line through;
//! `/mcp` hands them to [`Line::object_fields`].

use r2_mcp_durable::mcp::http_rules::{normalize_origin, ALLOWED_ORIGINS_SETTING};
use r2_mcp_wire::mcp_call::LogFields;

use crate::config::LogLevel;

/// What one request did.
#[derive(Default)]
pub struct Line {
    /// Cloudflare's `cf-ray` when present and plain; else drawn at random when first needed
    /// (see [`Line::request_id`]), so a request whose line is not written costs no randomness.
    pub request_id: Option<String>,
    pub method: String,
    pub route: &'static str,
    pub status: u16,
    pub duration_ms: u64,
    /// First 16 hex characters of the user key (itself a hash of issuer and subject).
    pub user: Option<String>,
    pub client_id: Option<String>,
    pub mcp_method: Option<String>,
    pub tool: Option<String>,
    /// `/mcp` refused the request's `Origin`: the origin (normalised; `null`, or `invalid` when it
    /// is not a plain `scheme://host[:port]`) and advice that names the setting. Such a line is a
    /// warning, written unless `LOG_LEVEL=error`.
    pub refused_origin: Option<(String, String)>,
}

impl Line {
    /// This request's id, the same for every line it writes.
    pub fn request_id(&mut self) -> String {
        self.request_id.get_or_insert_with(|| crate::random::array::<8>().iter().map(|b| format!("{b:02x}")).collect()).clone()
    }

    /// Records a refused `Origin` (see [`Line::refused_origin`]). The message is built here from
    /// the normalised origin, so no other client text reaches the log.
    pub fn refuse_origin(&mut self, origin: &str) {
        let s = ALLOWED_ORIGINS_SETTING;
        let (shown, message) = match normalize_origin(origin) {
            Some(o) => {
                let m = format!("Origin {o} is not allowed on /mcp; to admit it, add it to {s} (comma-separated): {s}={o}");
                (o, m)
            }
            None => {
                let o = if origin.trim() == "null" { "null" } else { "invalid" };
                (o.to_owned(), format!("Origin {o} is not allowed on /mcp; only {s}=* (any origin) would admit it"))
            }
        };
        self.refused_origin = Some((shown, message));
    }

    /// Writes the line if `min` (the `LOG_LEVEL` setting) lets its level through: `info`, `warn`
    /// for a refused `Origin`, or `error` for a 5xx.
    pub fn emit(&mut self, min: LogLevel) {
        let level = if self.status >= 500 {
            LogLevel::Error
        } else if self.refused_origin.is_some() {
            LogLevel::Warn
        } else {
            LogLevel::Info
        };
        if !min.writes(level) {
            return;
        }
        let mut v = serde_json::json!({
            "level": match level { LogLevel::Error => "error", LogLevel::Warn => "warn", _ => "info" },
            "request_id": self.request_id(),
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "duration_ms": self.duration_ms,
        });
        for (k, val) in [("user", &self.user), ("client_id", &self.client_id), ("mcp_method", &self.mcp_method), ("tool", &self.tool)] {
            if let Some(x) = val {
                v[k] = serde_json::Value::String(x.clone());
            }
        }
        if let Some((origin, message)) = &self.refused_origin {
            v["origin"] = serde_json::Value::String(origin.clone());
            v["error"] = serde_json::Value::String(message.clone());
            worker::console_warn!("{v}");
        } else {
            worker::console_log!("{v}");
        }
    }
}

/// The route label for a path: fixed strings only, so no client-chosen text reaches the log.
pub fn route_of(path: &str) -> &'static str {
    match path {
        "/mcp" => "/mcp",
        "/register" => "/register",
        "/authorize" => "/authorize",
        "/callback" => "/callback",
        "/token" => "/token",
        "/revoke" => "/revoke",
        "/" => "/",
        p if p.starts_with("/.well-known/") => "/.well-known",
        p if p.starts_with("/mcp/.well-known/") => "/.well-known",
        p if p.starts_with("/_dev/") => "/_dev",
        // Never the link itself: the token is a credential.
        p if p.starts_with("/transfer/") => "/transfer",
        _ => "other",
    }
}

impl Line {
    /// The fields only the user's object knows (its `McpReply`), when it reported them.
    pub fn object_fields(&mut self, fields: LogFields) {
        self.client_id = fields.client;
        self.mcp_method = fields.method;
        self.tool = fields.tool;
    }
}

/// Cloudflare's `cf-ray`, when it is a plain id (the request id; see [`Line::request_id`]).
pub fn cf_ray(header: Option<String>) -> Option<String> {
    header.filter(|r| r.len() <= 64 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}
