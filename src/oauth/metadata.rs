//! Discovery documents: RFC 8414 authorization-server metadata, RFC 9728 protected-resource
//! metadata, the `WWW-Authenticate: Bearer` challenge that points to it (RFC 9728 §5.1,
//! RFC 6750 §3), and which `.well-known` paths serve which document.

use serde_json::{json, Value};

/// The path of the MCP endpoint, and so of the resource (`<origin>/mcp`).
pub const MCP_PATH: &str = "/mcp";

/// What the documents need to know about this deployment.
#[derive(Debug, Clone, Copy)]
pub struct MetadataConfig<'a> {
    /// `https://host` (no trailing slash): the issuer, compared exactly by clients (RFC 8414 §3.3).
    pub origin: &'a str,
    pub scopes_supported: &'a [&'a str],
    /// Client ID Metadata Documents are accepted.
    pub cimd: bool,
    pub service_documentation: Option<&'a str>,
    pub resource_name: &'a str,
}

/// The issuer / origin without a trailing slash; `None` unless it is `https://host[:port]`
/// (or `http://localhost…` / `http://127.0.0.1…` for local development).
pub fn normalize_origin(origin: &str) -> Option<String> {
    let o = origin.strip_suffix('/').unwrap_or(origin);
    let rest = o.strip_prefix("https://").or_else(|| {
        o.strip_prefix("http://").filter(|h| h.starts_with("localhost") || h.starts_with("127.0.0.1") || h.starts_with("[::1]"))
    })?;
    let ok = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then(|| o.to_owned())
}

/// `<origin>/mcp`: the canonical resource identifier (RFC 8707, RFC 9728).
pub fn resource(origin: &str) -> String {
    format!("{origin}{MCP_PATH}")
}

/// RFC 8414 §2 authorization-server metadata.
pub fn authorization_server(c: &MetadataConfig<'_>) -> Value {
    let o = c.origin;
    let mut v = json!({
        "issuer": o,
        "authorization_endpoint": format!("{o}/authorize"),
        "token_endpoint": format!("{o}/token"),
        "registration_endpoint": format!("{o}/register"),
        "revocation_endpoint": format!("{o}/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": c.scopes_supported,
    });
    if let Value::Object(m) = &mut v {
        if c.cimd {
            m.insert("client_id_metadata_document_supported".into(), json!(true));
        }
        if let Some(d) = c.service_documentation {
            m.insert("service_documentation".into(), json!(d));
        }
    }
    v
}

/// RFC 9728 §2 protected-resource metadata for `<origin>/mcp`.
pub fn protected_resource(c: &MetadataConfig<'_>) -> Value {
    let mut v = json!({
        "resource": resource(c.origin),
        "authorization_servers": [c.origin],
        "scopes_supported": c.scopes_supported,
        "bearer_methods_supported": ["header"],
        "resource_name": c.resource_name,
    });
    if let (Value::Object(m), Some(d)) = (&mut v, c.service_documentation) {
        m.insert("resource_documentation".into(), json!(d));
    }
    v
}

/// The RFC 9728 §3.1 metadata URL for the `/mcp` resource.
pub fn resource_metadata_url(origin: &str) -> String {
    format!("{origin}/.well-known/oauth-protected-resource{MCP_PATH}")
}

/// Quoted-string for an auth-param (RFC 9110 §5.6.4): `"` and `\` escaped, controls dropped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `WWW-Authenticate` for a 401 at `/mcp`: `Bearer resource_metadata="…"`, plus
/// `error="…", error_description="…"` when a token was presented and refused (RFC 6750 §3.1).
pub fn www_authenticate(origin: &str, error: Option<(&str, &str)>) -> String {
    let mut h = format!("Bearer resource_metadata={}", quoted(&resource_metadata_url(origin)));
    if let Some((code, desc)) = error {
        h.push_str(&format!(", error={}", quoted(code)));
        if !desc.is_empty() {
            h.push_str(&format!(", error_description={}", quoted(desc)));
        }
    }
    h
}

/// Which discovery document a path serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WellKnown {
    AuthorizationServer,
    ProtectedResource,
}

/// Maps the paths MCP clients try (RFC 8414 §3.1 path insertion, OIDC discovery, and the
/// appended forms some clients build) to the document served there.
pub fn well_known(path: &str) -> Option<WellKnown> {
    match path {
        "/.well-known/oauth-authorization-server"
        | "/.well-known/oauth-authorization-server/mcp"
        | "/.well-known/openid-configuration"
        | "/.well-known/openid-configuration/mcp"
        | "/mcp/.well-known/openid-configuration"
        | "/mcp/.well-known/oauth-authorization-server" => Some(WellKnown::AuthorizationServer),
        "/.well-known/oauth-protected-resource" | "/.well-known/oauth-protected-resource/mcp" => Some(WellKnown::ProtectedResource),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: MetadataConfig<'static> = MetadataConfig {
        origin: "https://mcp.example",
        scopes_supported: &["mcp"],
        cimd: false,
        service_documentation: None,
        resource_name: "R2 MCP",
    };

    #[test]
    fn rfc8414_2_required_fields_and_mcp_expectations() {
        let v = authorization_server(&C);
        assert_eq!(v["issuer"], "https://mcp.example");
        assert_eq!(v["authorization_endpoint"], "https://mcp.example/authorize");
        assert_eq!(v["token_endpoint"], "https://mcp.example/token");
        assert_eq!(v["registration_endpoint"], "https://mcp.example/register");
        assert_eq!(v["revocation_endpoint"], "https://mcp.example/revoke");
        assert_eq!(v["response_types_supported"], json!(["code"]));
        assert_eq!(v["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(v["authorization_response_iss_parameter_supported"], true);
        assert_eq!(v["token_endpoint_auth_methods_supported"], json!(["client_secret_basic", "client_secret_post", "none"]));
        assert!(v.get("client_id_metadata_document_supported").is_none());
    }

    #[test]
    fn cimd_flag_and_documentation_are_advertised_when_on() {
        let c = MetadataConfig { cimd: true, service_documentation: Some("https://docs.example/"), ..C };
        let v = authorization_server(&c);
        assert_eq!(v["client_id_metadata_document_supported"], true);
        assert_eq!(v["service_documentation"], "https://docs.example/");
    }

    #[test]
    fn rfc9728_2_protected_resource_metadata() {
        let v = protected_resource(&C);
        assert_eq!(v["resource"], "https://mcp.example/mcp");
        assert_eq!(v["authorization_servers"], json!(["https://mcp.example"]));
        assert_eq!(v["bearer_methods_supported"], json!(["header"]));
        assert_eq!(v["scopes_supported"], json!(["mcp"]));
        assert_eq!(v["resource_name"], "R2 MCP");
    }

    #[test]
    fn rfc8414_3_3_issuer_has_no_trailing_slash() {
        assert_eq!(normalize_origin("https://mcp.example/").as_deref(), Some("https://mcp.example"));
        assert_eq!(normalize_origin("http://localhost:8787").as_deref(), Some("http://localhost:8787"));
        assert_eq!(normalize_origin("http://mcp.example"), None);
        assert_eq!(normalize_origin("https://mcp.example/path"), None);
        assert_eq!(normalize_origin("https://"), None);
    }

    #[test]
    fn rfc9728_5_1_www_authenticate_points_to_resource_metadata() {
        assert_eq!(
            www_authenticate("https://mcp.example", None),
            "Bearer resource_metadata=\"https://mcp.example/.well-known/oauth-protected-resource/mcp\""
        );
        let h = www_authenticate("https://mcp.example", Some(("invalid_token", "token \"x\" expired\\\n")));
        assert!(h.ends_with(", error=\"invalid_token\", error_description=\"token \\\"x\\\" expired\\\\\""), "{h}");
    }

    #[test]
    fn well_known_paths_map_to_documents() {
        assert_eq!(well_known("/.well-known/oauth-authorization-server"), Some(WellKnown::AuthorizationServer));
        assert_eq!(well_known("/.well-known/openid-configuration/mcp"), Some(WellKnown::AuthorizationServer));
        assert_eq!(well_known("/.well-known/oauth-protected-resource/mcp"), Some(WellKnown::ProtectedResource));
        assert_eq!(well_known("/.well-known/oauth-protected-resource/other"), None);
    }
}
