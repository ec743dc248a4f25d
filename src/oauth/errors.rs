//! The one OAuth error type toward clients, and its wire form (HTTP status, headers, JSON body):
//! the only place that decides how an OAuth failure looks on the wire.
//!
//! Codes come from RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2, RFC 8707 §2 and
//! RFC 8628 §3.5 (`slow_down`, used here for rate limiting with status 429).

use serde_json::json;
use std::fmt;

pub use r2_mcp_wire::oauth::ErrorCode;

/// An OAuth failure: code, human-readable description, and how the client authenticated (which
/// decides the `WWW-Authenticate` challenge of an `invalid_client`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    /// Already restricted to the characters RFC 6749 §5.2 allows in `error_description`.
    pub description: String,
    /// The client tried HTTP Basic: an `invalid_client` then carries `WWW-Authenticate: Basic`.
    pub client_used_basic: bool,
    /// Seconds for `Retry-After` (rate limiting).
    pub retry_after: Option<u32>,
    /// A status other than the code's own (e.g. 413 for an `invalid_request` that is too large).
    pub status: Option<u16>,
}

/// The realm named in `WWW-Authenticate: Basic`.
pub const BASIC_REALM: &str = "OAuth";

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl AsRef<str>) -> Self {
        Self { code, description: sanitize_description(description.as_ref()), client_used_basic: false, retry_after: None, status: None }
    }

    pub fn invalid_request(d: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_scope(d: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }
    pub fn invalid_target(d: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::InvalidTarget, d)
    }
    pub fn invalid_redirect_uri(d: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::InvalidRedirectUri, d)
    }
    pub fn invalid_client_metadata(d: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::InvalidClientMetadata, d)
    }
    pub fn server_error(d: impl AsRef<str>) -> Self {
        Self::new(ErrorCode::ServerError, d)
    }
    /// Rate limited: 429 with `Retry-After`.
    pub fn rate_limited(retry_after: u32) -> Self {
        let mut e = Self::new(ErrorCode::SlowDown, "too many requests, retry later");
        e.retry_after = Some(retry_after);
        e
    }

    /// Marks that the client authenticated (or tried to) with HTTP Basic.
    pub fn with_basic(mut self, used_basic: bool) -> Self {
        self.client_used_basic = used_basic;
        self
    }

    /// Answers with `status` instead of the code's own.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// HTTP status of the direct (non-redirect) response.
    pub fn status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.code.status())
    }

    /// Response headers besides `Content-Type`: `Cache-Control: no-store` always (RFC 6749 §5.1),
    /// `WWW-Authenticate: Basic realm="OAuth"` for an `invalid_client` after Basic (RFC 6749
    /// §5.2), `Retry-After` when rate limited.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("Content-Type", "application/json".to_owned()),
            ("Cache-Control", "no-store".to_owned()),
            ("Pragma", "no-cache".to_owned()),
        ];
        if self.code == ErrorCode::InvalidClient && self.client_used_basic {
            h.push(("WWW-Authenticate", format!("Basic realm=\"{BASIC_REALM}\", charset=\"UTF-8\"")));
        }
        if let Some(s) = self.retry_after {
            h.push(("Retry-After", s.to_string()));
        }
        h
    }

    /// The JSON body: `{"error": …, "error_description": …}` (description omitted when empty).
    pub fn body(&self) -> String {
        let v = if self.description.is_empty() {
            json!({ "error": self.code.as_str() })
        } else {
            json!({ "error": self.code.as_str(), "error_description": self.description })
        };
        v.to_string()
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}

/// RFC 6749 §5.2: `error_description` is limited to %x20-21 / %x23-5B / %x5D-7E; anything else
/// becomes a space, and the text is capped at 300 bytes.
pub fn sanitize_description(s: &str) -> String {
    s.chars()
        .take(300)
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => ' ',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_do_not_parse() {
        assert_eq!(ErrorCode::parse("nope"), None);
        assert_eq!(ErrorCode::parse("invalid_grant"), Some(ErrorCode::InvalidGrant));
    }

    #[test]
    fn rfc6749_5_2_invalid_client_is_401_with_basic_challenge_only_after_basic() {
        let e = OAuthError::invalid_client("bad secret");
        assert_eq!(e.status(), 401);
        assert!(!e.headers().iter().any(|(k, _)| *k == "WWW-Authenticate"));
        let e = e.with_basic(true);
        let www = e.headers().into_iter().find(|(k, _)| *k == "WWW-Authenticate");
        assert_eq!(www.map(|(_, v)| v), Some("Basic realm=\"OAuth\", charset=\"UTF-8\"".to_owned()));
    }

    #[test]
    fn statuses_follow_the_rfcs() {
        assert_eq!(ErrorCode::InvalidRequest.status(), 400);
        assert_eq!(ErrorCode::InvalidGrant.status(), 400);
        assert_eq!(ErrorCode::UnsupportedGrantType.status(), 400);
        assert_eq!(ErrorCode::InvalidTarget.status(), 400);
        assert_eq!(ErrorCode::InvalidRedirectUri.status(), 400);
        assert_eq!(ErrorCode::InvalidToken.status(), 401);
        assert_eq!(ErrorCode::SlowDown.status(), 429);
        assert_eq!(ErrorCode::ServerError.status(), 500);
        assert_eq!(ErrorCode::TemporarilyUnavailable.status(), 503);
    }

    #[test]
    fn rfc6749_5_1_error_responses_are_no_store_json() {
        let e = OAuthError::invalid_grant("code expired");
        let h = e.headers();
        assert!(h.contains(&("Cache-Control", "no-store".to_owned())));
        assert!(h.contains(&("Content-Type", "application/json".to_owned())));
        let v: serde_json::Value = serde_json::from_str(&e.body()).unwrap_or_default();
        assert_eq!(v["error"], "invalid_grant");
        assert_eq!(v["error_description"], "code expired");
    }

    #[test]
    fn empty_description_is_omitted() {
        let v: serde_json::Value = serde_json::from_str(&OAuthError::invalid_request("").body()).unwrap_or_default();
        assert!(v.get("error_description").is_none());
    }

    #[test]
    fn rfc6749_5_2_description_charset_is_enforced() {
        let e = OAuthError::invalid_request("bad \"x\"\\ é\n");
        assert_eq!(e.description, "bad 'x''   ");
        assert!(e.description.chars().all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'));
    }

    #[test]
    fn rate_limited_is_429_slow_down_with_retry_after() {
        let e = OAuthError::rate_limited(30);
        assert_eq!(e.status(), 429);
        assert!(e.body().contains("slow_down"));
        assert!(e.headers().contains(&("Retry-After", "30".to_owned())));
    }
}
