//! Protocol revisions we serve, `initialize` negotiation, and the `MCP-Protocol-Version` header.
//!
//! Session-based (legacy) revisions: 2025-03-26, 2025-06-18, 2025-11-25, chosen by `initialize`
//! (lifecycle §Version Negotiation). Stateless (modern) revision: 2026-07-28, declared on every
//! request in `_meta` and the header (2026-07-28 basic/versioning).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::jsonrpc::{RpcError, UNSUPPORTED_PROTOCOL_VERSION};

/// A protocol revision this server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Version {
    #[serde(rename = "2025-03-26")]
    V2025_03_26,
    #[serde(rename = "2025-06-18")]
    V2025_06_18,
    #[serde(rename = "2025-11-25")]
    V2025_11_25,
    #[serde(rename = "2026-07-28")]
    V2026_07_28,
}

/// Every revision served, newest first (the order `supported` lists use).
pub const SUPPORTED: [Version; 4] = [Version::V2026_07_28, Version::V2025_11_25, Version::V2025_06_18, Version::V2025_03_26];

/// What `initialize` answers when the client asks for a revision we do not serve.
pub const LATEST_SESSION: Version = Version::V2025_11_25;

/// What a request without `MCP-Protocol-Version` is taken to speak (2025-06-18+ transports).
pub const HEADER_DEFAULT: Version = Version::V2025_03_26;

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2025_03_26 => "2025-03-26",
            Version::V2025_06_18 => "2025-06-18",
            Version::V2025_11_25 => "2025-11-25",
            Version::V2026_07_28 => "2026-07-28",
        }
    }

    /// Exact match only: versions are opaque strings, not dates to compare.
    pub fn parse(s: &str) -> Option<Version> {
        SUPPORTED.into_iter().find(|v| v.as_str() == s)
    }

    /// Stateless revisions have no `initialize`, sessions, GET stream or resumption.
    pub fn is_stateless(self) -> bool {
        self == Version::V2026_07_28
    }

    pub fn is_session_based(self) -> bool {
        !self.is_stateless()
    }

    /// Tool results may carry `structuredContent`/`outputSchema` (2025-06-18+).
    pub fn has_structured_content(self) -> bool {
        self >= Version::V2025_06_18
    }

    /// Results carry `resultType` and list results `ttlMs`/`cacheScope` (2026-07-28).
    pub fn has_result_type(self) -> bool {
        self >= Version::V2026_07_28
    }
}

/// The `supported` list as strings, newest first.
pub fn supported_strings() -> Vec<&'static str> {
    SUPPORTED.iter().map(|v| v.as_str()).collect()
}

/// `initialize` negotiation (lifecycle §Version Negotiation): a session revision the client asks
/// for is echoed; anything else gets our latest session revision, and the client decides.
pub fn negotiate(requested: Option<&str>) -> Version {
    match requested.and_then(Version::parse) {
        Some(v) if v.is_session_based() => v,
        _ => LATEST_SESSION,
    }
}

/// The header was present but names a revision we do not serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedVersion(pub String);

impl UnsupportedVersion {
    /// 400 body: the modern `UnsupportedProtocolVersionError` (-32022, `data.supported`), which
    /// both eras' clients can read and which marks us as a modern server.
    pub fn error(&self) -> RpcError {
        unsupported_version_error(&self.0)
    }
}

/// The `MCP-Protocol-Version` header rule (2025-06-18+ transports §Protocol Version Header):
/// absent → 2025-03-26; a revision we serve → that; anything else → 400.
pub fn from_header(header: Option<&str>) -> Result<Version, UnsupportedVersion> {
    match header {
        None => Ok(HEADER_DEFAULT),
        Some(h) => Version::parse(h.trim()).ok_or_else(|| UnsupportedVersion(h.to_owned())),
    }
}

/// `UnsupportedProtocolVersionError` (2026-07-28 basic/versioning).
pub fn unsupported_version_error(requested: &str) -> RpcError {
    RpcError::new(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version").with_data(json!({
        "supported": supported_strings(),
        "requested": super::jsonrpc::clip(requested, 64),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn initialize_echoes_a_supported_session_revision() {
        for v in ["2025-03-26", "2025-06-18", "2025-11-25"] {
            assert_eq!(negotiate(Some(v)).as_str(), v);
        }
    }

    #[test]
    fn initialize_with_unknown_or_stateless_revision_gets_latest_session_revision() {
        assert_eq!(negotiate(Some("2024-11-05")), LATEST_SESSION);
        assert_eq!(negotiate(Some("2099-01-01")), LATEST_SESSION);
        assert_eq!(negotiate(Some("2026-07-28")), LATEST_SESSION);
        assert_eq!(negotiate(None), LATEST_SESSION);
    }

    #[test]
    fn absent_protocol_version_header_means_2025_03_26() {
        assert_eq!(from_header(None), Ok(Version::V2025_03_26));
    }

    #[test]
    fn unsupported_protocol_version_header_is_rejected_with_supported_list() {
        let e = from_header(Some("1900-01-01")).unwrap_err().error();
        assert_eq!(e.code, UNSUPPORTED_PROTOCOL_VERSION);
        let data = e.data.unwrap();
        assert_eq!(data["supported"][0], "2026-07-28");
        assert_eq!(data["requested"], "1900-01-01");
    }

    #[test]
    fn only_2026_07_28_is_stateless() {
        assert!(Version::V2026_07_28.is_stateless());
        assert!(SUPPORTED.iter().filter(|v| v.is_stateless()).count() == 1);
    }

    #[test]
    fn version_serializes_as_its_string() {
        assert_eq!(serde_json::to_value(Version::V2025_06_18).unwrap(), "2025-06-18");
    }
}
