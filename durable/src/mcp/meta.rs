//! 2026-07-28 per-request `_meta` (basic/index §`_meta`): the protocol version, client info and
//! capabilities every stateless request carries, and the optional per-request log level.

use serde_json::{Map, Value};

use super::jsonrpc::{Id, RpcError, HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY};
use super::session::LogLevel;
use super::version::{self, Version};

pub const KEY_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const KEY_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const KEY_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const KEY_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
pub const KEY_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
pub const KEY_SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

/// What a stateless request declared about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestMeta {
    pub version: Version,
    pub client_info: Option<Value>,
    pub client_capabilities: Value,
    /// `None`: the server MUST NOT send `notifications/message` for this request.
    pub log_level: Option<LogLevel>,
    pub progress_token: Option<Value>,
}

impl RequestMeta {
    pub fn client_has(&self, capability: &str) -> bool {
        self.client_capabilities.get(capability).is_some_and(|v| !v.is_null())
    }
}

/// Reads `params._meta` of a 2026-07-28 request. Missing required fields → -32602 (HTTP 400);
/// a version differing from the `MCP-Protocol-Version` header → -32020 `HeaderMismatch`; a
/// version we do not serve → -32022.
pub fn parse(params: Option<&Map<String, Value>>, header_version: Version) -> Result<RequestMeta, RpcError> {
    let meta = params.and_then(|p| p.get("_meta")).and_then(Value::as_object);
    let field = |k: &str| meta.and_then(|m| m.get(k));
    let Some(v) = field(KEY_PROTOCOL_VERSION).and_then(Value::as_str) else {
        return Err(RpcError::invalid_params(format!("Invalid params: _meta[\"{KEY_PROTOCOL_VERSION}\"] is required")));
    };
    let Some(version) = Version::parse(v) else {
        return Err(version::unsupported_version_error(v));
    };
    if version != header_version {
        return Err(RpcError::new(
            HEADER_MISMATCH,
            format!("Header mismatch: MCP-Protocol-Version header value '{}' does not match body value '{}'", header_version.as_str(), v),
        ));
    }
    let client_capabilities = match field(KEY_CLIENT_CAPABILITIES) {
        Some(c @ Value::Object(_)) => c.clone(),
        _ => {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: _meta[\"{KEY_CLIENT_CAPABILITIES}\"] is required and must be an object"
            )))
        }
    };
    let log_level = match field(KEY_LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(l) => Some(l.as_str().and_then(LogLevel::parse).ok_or_else(|| RpcError::invalid_params("Invalid params: unknown log level"))?),
    };
    Ok(RequestMeta {
        version,
        client_info: field(KEY_CLIENT_INFO).cloned(),
        client_capabilities,
        log_level,
        progress_token: progress_token(params),
    })
}

/// `params._meta.progressToken` (string or integer), in any revision.
pub fn progress_token(params: Option<&Map<String, Value>>) -> Option<Value> {
    let t = params?.get("_meta")?.get("progressToken")?;
    Id::from_value(t).map(|id| id.to_value())
}

/// `MissingRequiredClientCapabilityError` (-32021) naming the missing capabilities.
pub fn missing_capability(names: &[&str]) -> RpcError {
    RpcError::new(MISSING_CLIENT_CAPABILITY, "Missing required client capability")
        .with_data(serde_json::json!({ "requiredCapabilities": names }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::mcp::jsonrpc::{INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION};
    use serde_json::json;

    fn params(meta: Value) -> Map<String, Value> {
        json!({ "_meta": meta }).as_object().cloned().unwrap()
    }

    #[test]
    fn full_meta_parses() {
        let p = params(
            json!({KEY_PROTOCOL_VERSION: "2026-07-28", KEY_CLIENT_CAPABILITIES: {"sampling": {}}, KEY_LOG_LEVEL: "info", "progressToken": "t"}),
        );
        let m = parse(Some(&p), Version::V2026_07_28).unwrap();
        assert!(m.client_has("sampling") && !m.client_has("elicitation"));
        assert_eq!(m.log_level, Some(LogLevel::Info));
        assert_eq!(m.progress_token, Some(json!("t")));
    }

    #[test]
    fn missing_version_or_capabilities_is_invalid_params() {
        let p = params(json!({KEY_CLIENT_CAPABILITIES: {}}));
        assert_eq!(parse(Some(&p), Version::V2026_07_28).unwrap_err().code, INVALID_PARAMS);
        let p = params(json!({KEY_PROTOCOL_VERSION: "2026-07-28"}));
        assert_eq!(parse(Some(&p), Version::V2026_07_28).unwrap_err().code, INVALID_PARAMS);
        assert_eq!(parse(None, Version::V2026_07_28).unwrap_err().code, INVALID_PARAMS);
    }

    #[test]
    fn body_version_differing_from_header_is_header_mismatch() {
        let p = params(json!({KEY_PROTOCOL_VERSION: "2025-11-25", KEY_CLIENT_CAPABILITIES: {}}));
        assert_eq!(parse(Some(&p), Version::V2026_07_28).unwrap_err().code, HEADER_MISMATCH);
    }

    #[test]
    fn unknown_body_version_is_unsupported_protocol_version() {
        let p = params(json!({KEY_PROTOCOL_VERSION: "2030-01-01", KEY_CLIENT_CAPABILITIES: {}}));
        assert_eq!(parse(Some(&p), Version::V2026_07_28).unwrap_err().code, UNSUPPORTED_PROTOCOL_VERSION);
    }

    #[test]
    fn progress_token_must_be_string_or_integer() {
        assert_eq!(progress_token(Some(&params(json!({"progressToken": 5})))), Some(json!(5)));
        assert_eq!(progress_token(Some(&params(json!({"progressToken": null})))), None);
    }
}
