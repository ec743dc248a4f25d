//! Tests for [`super`]: RFC 7591 field validation, defaults, limits, and the stored/returned forms.

use super::*;
use crate::oauth::errors::ErrorCode;

fn parse(v: serde_json::Value) -> Result<ClientMetadata, ErrorCode> {
    parse_request(v.to_string().as_bytes()).map_err(|e| e.code)
}

fn base() -> serde_json::Value {
    json!({ "redirect_uris": ["https://client.example/cb"] })
}

fn with(key: &str, value: serde_json::Value) -> serde_json::Value {
    let mut b = base();
    b[key] = value;
    b
}

fn counter() -> impl FnMut(&mut [u8]) {
    let mut n = 0u8;
    move |buf: &mut [u8]| {
        for b in buf.iter_mut() {
            n = n.wrapping_add(1);
            *b = n;
        }
    }
}

#[test]
fn rfc7591_2_minimal_request_gets_defaults() {
    let m = parse(base()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(m.token_endpoint_auth_method, AuthMethod::ClientSecretBasic);
    assert_eq!(m.grant_types, vec!["authorization_code", "refresh_token"], "omitted: both (MCP clients rely on refresh tokens)");
    assert_eq!(m.response_types, vec!["code"]);
    let code_only = parse(with("grant_types", json!(["authorization_code"]))).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(code_only.grant_types, vec!["authorization_code"], "an explicit list is kept as sent");
}

#[test]
fn typical_mcp_public_client_registers() {
    let m = parse(json!({
        "redirect_uris": ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_name": "Visual Studio Code",
        "unknown_field": {"ignored": true},
    }))
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(m.token_endpoint_auth_method, AuthMethod::None);
    assert_eq!(m.client_name.as_deref(), Some("Visual Studio Code"));
}

#[test]
fn rfc7591_3_2_2_redirect_uris_required_and_valid() {
    assert_eq!(parse(json!({})), Err(ErrorCode::InvalidRedirectUri));
    assert_eq!(parse(json!({"redirect_uris": []})), Err(ErrorCode::InvalidRedirectUri));
    assert_eq!(parse(json!({"redirect_uris": "https://x.example/cb"})), Err(ErrorCode::InvalidRedirectUri));
    assert_eq!(parse(json!({"redirect_uris": [1]})), Err(ErrorCode::InvalidRedirectUri));
    assert_eq!(parse(json!({"redirect_uris": ["javascript:alert(1)"]})), Err(ErrorCode::InvalidRedirectUri));
    assert_eq!(parse(json!({"redirect_uris": ["http://evil.example/cb"]})), Err(ErrorCode::InvalidRedirectUri));
}

#[test]
fn redirect_uri_count_is_bounded() {
    let uris: Vec<String> = (0..=MAX_REDIRECT_URIS).map(|i| format!("https://c.example/{i}")).collect();
    assert_eq!(parse(json!({ "redirect_uris": uris })), Err(ErrorCode::InvalidRedirectUri));
}

#[test]
fn unsupported_auth_method_is_refused() {
    assert_eq!(parse(with("token_endpoint_auth_method", json!("private_key_jwt"))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("token_endpoint_auth_method", json!(1))), Err(ErrorCode::InvalidClientMetadata));
}

#[test]
fn rfc7591_2_1_grant_and_response_types_must_be_supported_and_consistent() {
    assert_eq!(parse(with("grant_types", json!(["implicit"]))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("grant_types", json!(["client_credentials"]))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("grant_types", json!(["refresh_token"]))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("response_types", json!(["token"]))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("response_types", json!(["code", "id_token"]))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("grant_types", json!("authorization_code"))), Err(ErrorCode::InvalidClientMetadata));
}

#[test]
fn client_name_is_bounded_and_plain() {
    assert!(parse(with("client_name", json!("a".repeat(MAX_CLIENT_NAME_CHARS)))).is_ok());
    assert_eq!(parse(with("client_name", json!("a".repeat(MAX_CLIENT_NAME_CHARS + 1)))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("client_name", json!("a\u{0}b"))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("client_name", json!(5))), Err(ErrorCode::InvalidClientMetadata));
}

#[test]
fn logo_and_client_uri_must_be_https() {
    assert!(parse(with("logo_uri", json!("https://c.example/logo.png"))).is_ok());
    assert_eq!(parse(with("logo_uri", json!("http://c.example/logo.png"))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("logo_uri", json!("data:image/png;base64,AAAA"))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("client_uri", json!("javascript:alert(1)"))), Err(ErrorCode::InvalidClientMetadata));
}

#[test]
fn scope_contacts_and_software_fields_are_checked() {
    assert_eq!(parse(with("scope", json!("a \"b"))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("scope", json!("mcp  mcp"))).ok().and_then(|m| m.scope), Some("mcp".into()));
    assert_eq!(parse(with("contacts", json!(vec!["a@b.example"; 11]))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("contacts", json!([""]))), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse(with("software_id", json!("x".repeat(MAX_SHORT_FIELD + 1)))), Err(ErrorCode::InvalidClientMetadata));
}

#[test]
fn body_must_be_a_json_object() {
    assert_eq!(parse_request(b"[]").map_err(|e| e.code), Err(ErrorCode::InvalidClientMetadata));
    assert_eq!(parse_request(b"{").map_err(|e| e.code), Err(ErrorCode::InvalidClientMetadata));
}

#[test]
fn public_client_gets_no_secret() {
    let m = parse(with("token_endpoint_auth_method", json!("none"))).unwrap_or_else(|e| panic!("{e:?}"));
    let (rec, secret) = register(m, &mut counter(), 1000);
    assert!(secret.is_none());
    assert!(rec.client_secret_hash.is_none());
    assert_eq!(rec.client_id.len(), 22);
    let v: serde_json::Value = serde_json::from_str(&response_json(&rec, None)).unwrap_or_default();
    assert!(v.get("client_secret").is_none());
    assert!(v.get("client_secret_expires_at").is_none());
    assert_eq!(v["token_endpoint_auth_method"], "none");
}

#[test]
fn rfc7591_3_2_1_confidential_client_secret_only_in_response_and_hashed_in_record() {
    let (rec, secret) = register(parse(base()).unwrap_or_else(|e| panic!("{e:?}")), &mut counter(), 1000);
    let secret = secret.unwrap_or_default();
    assert_eq!(secret.len(), 43);
    assert_eq!(rec.client_secret_hash.as_deref(), Some(hash_secret(&secret).as_str()));
    let stored = serde_json::to_string(&rec).unwrap_or_default();
    assert!(!stored.contains(&secret), "the record must never hold the secret");
    let v: serde_json::Value = serde_json::from_str(&response_json(&rec, Some(&secret))).unwrap_or_default();
    assert_eq!(v["client_secret"], secret.as_str());
    assert_eq!(v["client_secret_expires_at"], 0);
    assert_eq!(v["client_id"], rec.client_id.as_str());
    assert_eq!(v["client_id_issued_at"], 1000);
    assert_eq!(v["redirect_uris"][0], "https://client.example/cb");
}

#[test]
fn record_round_trips_through_serde() {
    let (rec, _) = register(parse(base()).unwrap_or_else(|e| panic!("{e:?}")), &mut counter(), 5);
    let back: ClientRecord = serde_json::from_str(&serde_json::to_string(&rec).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, rec);
}

#[test]
fn unused_registrations_go_stale() {
    let (rec, _) = register(parse(base()).unwrap_or_else(|e| panic!("{e:?}")), &mut counter(), 0);
    assert!(!is_stale(&rec, 100, 100));
    assert!(is_stale(&rec, 101, 100));
}
