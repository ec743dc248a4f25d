//! Dynamic client registration (RFC 7591): parsing and validating the `/register` body, the
//! stored [`ClientRecord`] (secrets only as SHA-256), and the registration response.
//!
//! Limits beyond the caller's 16 KiB body bound: ≤ 10 redirect URIs of ≤ 2000 bytes, a
//! `client_name` of ≤ 200 characters, ≤ 10 contacts. Unknown fields are ignored (RFC 7591 §2).
//! `token_endpoint_auth_method` defaults to `client_secret_basic` (RFC 7591 §2); MCP clients
//! almost always send `none` (public clients with PKCE). An omitted `grant_types` means
//! `["authorization_code", "refresh_token"]`, not RFC 7591's `["authorization_code"]`: many MCP
//! clients leave it out and still rely on refresh tokens; `/token` honours what was registered.

use super::encoding::{b64url, sha256_b64url};
use super::errors::OAuthError;
use super::{redirect_uri, scope};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const MAX_REDIRECT_URIS: usize = 10;
pub const MAX_CLIENT_NAME_CHARS: usize = 200;
pub const MAX_CONTACTS: usize = 10;
/// Bound for `software_id`, `software_version` and each contact.
pub const MAX_SHORT_FIELD: usize = 200;

/// How a client authenticates at `/token` and `/revoke`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Public client: sends only `client_id`.
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::None, Self::ClientSecretBasic, Self::ClientSecretPost].into_iter().find(|m| m.as_str() == s)
    }
}

/// Validated client metadata (what the client asked for, after checks and defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMetadata {
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: AuthMethod,
    /// ⊆ {authorization_code, refresh_token}, always containing authorization_code.
    pub grant_types: Vec<String>,
    /// Always `["code"]`.
    pub response_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// Space-delimited, syntax-checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
}

/// What is stored per registered client. Never holds the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    /// SHA-256 of the secret, base64url; `None` for public clients.
    pub client_secret_hash: Option<String>,
    /// Unix seconds.
    pub client_id_issued_at: i64,
    /// Unix seconds of the last successful authorization or token request (the glue updates it);
    /// registrations unused for long are deleted (see [`is_stale`]).
    pub last_used_at: i64,
    #[serde(flatten)]
    pub metadata: ClientMetadata,
    /// Set on every record since `/token` honours `grant_types`. Records stored before (without
    /// it) stored an omitted `grant_types` as `["authorization_code"]` and were always issued
    /// refresh tokens, so they keep them (see [`ClientRecord::allows_grant`]).
    #[serde(default)]
    pub grant_types_honoured: bool,
}

impl ClientRecord {
    /// Whether this client registered `grant_type` (`authorization_code` or `refresh_token`), so
    /// `/token` may serve it and issue its tokens (RFC 7591 §2; RFC 6749 §5.2 `unauthorized_client`).
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.metadata.grant_types.iter().any(|g| g == grant_type) || (!self.grant_types_honoured && grant_type == "refresh_token")
    }
}

fn meta_err(msg: &str) -> OAuthError {
    OAuthError::invalid_client_metadata(msg)
}

fn opt_string(obj: &Map<String, Value>, key: &str, max_chars: usize) -> Result<Option<String>, OAuthError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.chars().count() > max_chars || s.chars().any(char::is_control) {
                return Err(meta_err(&format!("{key} is too long or contains control characters")));
            }
            Ok(if s.trim().is_empty() { None } else { Some(s.clone()) })
        }
        Some(_) => Err(meta_err(&format!("{key} must be a string"))),
    }
}

fn opt_string_array(obj: &Map<String, Value>, key: &str, max_items: usize) -> Result<Option<Vec<String>>, OAuthError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => {
            if items.len() > max_items {
                return Err(meta_err(&format!("{key} has too many entries")));
            }
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| meta_err(&format!("{key} must be an array of strings"))))
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        }
        Some(_) => Err(meta_err(&format!("{key} must be an array of strings"))),
    }
}

fn https_uri(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, OAuthError> {
    let Some(u) = opt_string(obj, key, redirect_uri::MAX_URI_LEN)? else {
        return Ok(None);
    };
    match redirect_uri::parse(&u) {
        Ok(p) if p.kind == redirect_uri::RedirectKind::Https => Ok(Some(u)),
        _ => Err(meta_err(&format!("{key} must be an https URL"))),
    }
}

/// Parses and validates a `/register` JSON body (RFC 7591 §2, §3.1).
pub fn parse_request(body: &[u8]) -> Result<ClientMetadata, OAuthError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| meta_err("body must be a JSON object"))?;
    let Value::Object(obj) = value else {
        return Err(meta_err("body must be a JSON object"));
    };

    let redirect_uris = match obj.get("redirect_uris") {
        Some(Value::Array(items)) if !items.is_empty() => {
            if items.len() > MAX_REDIRECT_URIS {
                return Err(OAuthError::invalid_redirect_uri("too many redirect_uris"));
            }
            let mut uris: Vec<String> = Vec::new();
            for item in items {
                let u = item.as_str().ok_or_else(|| OAuthError::invalid_redirect_uri("redirect_uris must be strings"))?;
                redirect_uri::validate(u)?;
                if !uris.iter().any(|x| x == u) {
                    uris.push(u.to_owned());
                }
            }
            uris
        }
        _ => return Err(OAuthError::invalid_redirect_uri("redirect_uris is required and must be a non-empty array")),
    };

    let token_endpoint_auth_method = match obj.get("token_endpoint_auth_method") {
        None | Some(Value::Null) => AuthMethod::ClientSecretBasic,
        Some(Value::String(s)) => AuthMethod::parse(s).ok_or_else(|| meta_err("unsupported token_endpoint_auth_method"))?,
        Some(_) => return Err(meta_err("token_endpoint_auth_method must be a string")),
    };

    let mut grant_types =
        opt_string_array(&obj, "grant_types", 4)?.unwrap_or_else(|| vec!["authorization_code".into(), "refresh_token".into()]);
    grant_types.dedup();
    if grant_types.iter().any(|g| g != "authorization_code" && g != "refresh_token") {
        return Err(meta_err("grant_types may contain only authorization_code and refresh_token"));
    }
    let response_types = opt_string_array(&obj, "response_types", 4)?.unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(meta_err("response_types may contain only code"));
    }
    // RFC 7591 §2.1: authorization_code goes with response type code, and this server has no
    // other way to obtain a grant, so both must be present.
    if !grant_types.iter().any(|g| g == "authorization_code") || response_types.is_empty() {
        return Err(meta_err("grant_types must include authorization_code with response_types [code]"));
    }

    let scope = match opt_string(&obj, "scope", scope::MAX_SCOPE_LEN)? {
        Some(s) => {
            let parsed = scope::parse(&s).map_err(|_| meta_err("scope is malformed"))?;
            if parsed.is_empty() {
                None
            } else {
                Some(scope::join(&parsed))
            }
        }
        None => None,
    };

    let contacts = opt_string_array(&obj, "contacts", MAX_CONTACTS)?.unwrap_or_default();
    if contacts.iter().any(|c| c.is_empty() || c.len() > MAX_SHORT_FIELD || c.chars().any(char::is_control)) {
        return Err(meta_err("contacts entries must be short strings"));
    }

    Ok(ClientMetadata {
        redirect_uris,
        token_endpoint_auth_method,
        grant_types,
        response_types: vec!["code".into()],
        client_name: opt_string(&obj, "client_name", MAX_CLIENT_NAME_CHARS)?,
        client_uri: https_uri(&obj, "client_uri")?,
        logo_uri: https_uri(&obj, "logo_uri")?,
        scope,
        contacts,
        software_id: opt_string(&obj, "software_id", MAX_SHORT_FIELD)?,
        software_version: opt_string(&obj, "software_version", MAX_SHORT_FIELD)?,
    })
}

/// A new client id from 16 random bytes (128 bits, 22 base64url characters).
pub fn new_client_id(random16: &[u8; 16]) -> String {
    b64url(random16)
}

/// A new client secret from 32 random bytes (256 bits, 43 base64url characters).
pub fn new_client_secret(random32: &[u8; 32]) -> String {
    b64url(random32)
}

/// SHA-256 of a client secret, base64url: what [`ClientRecord::client_secret_hash`] holds.
pub fn hash_secret(secret: &str) -> String {
    sha256_b64url(secret.as_bytes())
}

/// Registers `metadata`: draws the id (16 bytes) and, for confidential clients, the secret (32
/// bytes) from `random`. Returns the record to store and the secret to return once.
pub fn register(metadata: ClientMetadata, random: &mut dyn FnMut(&mut [u8]), now: i64) -> (ClientRecord, Option<String>) {
    let mut id = [0u8; 16];
    random(&mut id);
    let secret = if metadata.token_endpoint_auth_method == AuthMethod::None {
        None
    } else {
        let mut s = [0u8; 32];
        random(&mut s);
        Some(new_client_secret(&s))
    };
    let record = ClientRecord {
        client_id: new_client_id(&id),
        client_secret_hash: secret.as_deref().map(hash_secret),
        client_id_issued_at: now,
        last_used_at: now,
        metadata,
        grant_types_honoured: true,
    };
    (record, secret)
}

/// RFC 7591 §3.2.1 response body: the metadata as registered, `client_id`,
/// `client_id_issued_at`, and for confidential clients `client_secret` with
/// `client_secret_expires_at: 0` (does not expire). Sent with status 201.
pub fn response_json(record: &ClientRecord, secret: Option<&str>) -> String {
    let mut v = serde_json::to_value(&record.metadata).unwrap_or_else(|_| json!({}));
    if let Value::Object(m) = &mut v {
        m.insert("client_id".into(), json!(record.client_id));
        m.insert("client_id_issued_at".into(), json!(record.client_id_issued_at));
        if let Some(s) = secret {
            m.insert("client_secret".into(), json!(s));
            m.insert("client_secret_expires_at".into(), json!(0));
        }
    }
    v.to_string()
}

/// A registration unused for `max_idle` seconds may be deleted.
pub fn is_stale(record: &ClientRecord, now: i64, max_idle: i64) -> bool {
    now.saturating_sub(record.last_used_at) > max_idle
}

#[cfg(test)]
#[path = "registration_tests.rs"]
mod tests;
