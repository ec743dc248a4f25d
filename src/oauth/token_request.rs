//! `/token` and `/revoke` request bodies (RFC 6749 §4.1.3 and §6, RFC 8707 §2.2, RFC 7009 §2.1):
//! which grant is asked for and with which parameters. Client authentication is
//! [`super::client_auth`]; the grant rules (code single use, rotation) live in the user's object.

use super::errors::{ErrorCode, OAuthError};
use super::form::Form;
use super::registration::ClientRecord;
use super::scope;

/// Longest code or token accepted (ours are about 100 characters).
pub const MAX_TOKEN_LEN: usize = 512;

/// A parsed `/token` request: the grant the user's object judges (one definition, in the wire).
pub use r2_mcp_wire::user_calls::TokenGrant;

fn required<'a>(f: &'a Form, name: &str) -> Result<&'a str, OAuthError> {
    let v = f.get(name).ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))?;
    if v.len() > MAX_TOKEN_LEN {
        return Err(OAuthError::invalid_request(format!("{name} is too long")));
    }
    Ok(v)
}

/// RFC 8707 §2.2: when present, `resource` must be this server's resource.
fn resource(f: &Form, ours: &str) -> Result<Option<String>, OAuthError> {
    match f.get("resource") {
        None => Ok(None),
        Some(r) if r == ours => Ok(Some(r.to_owned())),
        Some(_) => Err(OAuthError::invalid_target("resource is not served by this authorization server")),
    }
}

/// Parses a `/token` body. `our_resource` is `<origin>/mcp`.
pub fn parse_token_request(f: &Form, our_resource: &str) -> Result<TokenGrant, OAuthError> {
    match f.get("grant_type") {
        None => Err(OAuthError::invalid_request("grant_type is required")),
        Some("authorization_code") => Ok(TokenGrant::AuthorizationCode {
            code: required(f, "code")?.to_owned(),
            redirect_uri: f.get("redirect_uri").map(str::to_owned),
            code_verifier: required(f, "code_verifier")?.to_owned(),
            resource: resource(f, our_resource)?,
        }),
        Some("refresh_token") => Ok(TokenGrant::RefreshToken {
            refresh_token: required(f, "refresh_token")?.to_owned(),
            scope: f.get("scope").map(scope::parse).transpose()?,
            resource: resource(f, our_resource)?,
        }),
        Some(_) => Err(OAuthError::new(ErrorCode::UnsupportedGrantType, "supported: authorization_code, refresh_token")),
    }
}

/// RFC 6749 §5.2: a client may use only the grant types it registered (`unauthorized_client`).
/// On success, whether the answer may carry a refresh token (the client registered
/// `refresh_token`); a client that did not gets none.
pub fn check_client_grant(request: &TokenGrant, client: &ClientRecord) -> Result<bool, OAuthError> {
    let grant = request.grant_type();
    if !client.allows_grant(grant) {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, format!("this client did not register the {grant} grant type")));
    }
    Ok(client.allows_grant("refresh_token"))
}

/// RFC 7009 §2.1 `token_type_hint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

/// A parsed `/revoke` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeRequest {
    pub token: String,
    /// An unknown hint is ignored (RFC 7009 §2.1: the server may search all token types);
    /// `unsupported_token_type` is not needed because every type can be revoked.
    pub token_type_hint: Option<TokenTypeHint>,
}

/// Parses a `/revoke` body.
pub fn parse_revoke_request(f: &Form) -> Result<RevokeRequest, OAuthError> {
    let token = required(f, "token")?.to_owned();
    let token_type_hint = match f.get("token_type_hint") {
        Some("access_token") => Some(TokenTypeHint::AccessToken),
        Some("refresh_token") => Some(TokenTypeHint::RefreshToken),
        _ => None,
    };
    Ok(RevokeRequest { token, token_type_hint })
}

/// RFC 6749 §5.1 success body: `access_token`, `token_type: "Bearer"`, `expires_in`,
/// `refresh_token` when issued, `scope`. Send with `Cache-Control: no-store` (see
/// [`super::errors::OAuthError::headers`] for the error side).
pub fn token_response(access_token: &str, expires_in: i64, refresh_token: Option<&str>, scopes: &[String]) -> String {
    let mut v = serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope::join(scopes),
    });
    if let (Some(r), serde_json::Value::Object(m)) = (refresh_token, &mut v) {
        m.insert("refresh_token".into(), serde_json::json!(r));
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::form;

    const RES: &str = "https://mcp.example/mcp";

    fn parse(s: &str) -> Result<TokenGrant, ErrorCode> {
        let f = form::parse(s.as_bytes(), 4096).map_err(|e| OAuthError::from(e).code)?;
        parse_token_request(&f, RES).map_err(|e| e.code)
    }

    #[test]
    fn rfc6749_4_1_3_authorization_code_request() {
        let r = parse("grant_type=authorization_code&code=c&code_verifier=v&redirect_uri=https%3A%2F%2Fc.example%2Fcb&client_id=x");
        assert_eq!(
            r,
            Ok(TokenGrant::AuthorizationCode {
                code: "c".into(),
                redirect_uri: Some("https://c.example/cb".into()),
                code_verifier: "v".into(),
                resource: None
            })
        );
    }

    #[test]
    fn rfc6749_4_1_3_missing_parameters_are_invalid_request() {
        assert_eq!(parse("grant_type=authorization_code&code_verifier=v"), Err(ErrorCode::InvalidRequest));
        assert_eq!(parse("grant_type=authorization_code&code=c"), Err(ErrorCode::InvalidRequest));
        assert_eq!(parse("grant_type=authorization_code&code=&code_verifier=v"), Err(ErrorCode::InvalidRequest));
        assert_eq!(parse("grant_type=refresh_token"), Err(ErrorCode::InvalidRequest));
        assert_eq!(parse("code=c"), Err(ErrorCode::InvalidRequest));
    }

    #[test]
    fn rfc6749_5_2_unknown_grant_type_is_unsupported_grant_type() {
        for g in ["password", "client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:device_code", "AUTHORIZATION_CODE"] {
            assert_eq!(parse(&format!("grant_type={}", form::encode(g))), Err(ErrorCode::UnsupportedGrantType), "{g}");
        }
    }

    #[test]
    fn rfc6749_3_1_repeated_parameters_are_invalid_request() {
        assert_eq!(parse("grant_type=authorization_code&code=a&code=b&code_verifier=v"), Err(ErrorCode::InvalidRequest));
    }

    #[test]
    fn rfc6749_6_refresh_request_with_narrowed_scope() {
        let r = parse("grant_type=refresh_token&refresh_token=r&scope=a+b");
        assert_eq!(
            r,
            Ok(TokenGrant::RefreshToken { refresh_token: "r".into(), scope: Some(vec!["a".into(), "b".into()]), resource: None })
        );
        assert_eq!(parse("grant_type=refresh_token&refresh_token=r&scope=a%22"), Err(ErrorCode::InvalidScope));
    }

    #[test]
    fn rfc8707_2_2_foreign_resource_is_invalid_target() {
        assert_eq!(
            parse("grant_type=refresh_token&refresh_token=r&resource=https%3A%2F%2Fevil.example%2Fmcp"),
            Err(ErrorCode::InvalidTarget)
        );
        let ok = parse("grant_type=authorization_code&code=c&code_verifier=v&resource=https%3A%2F%2Fmcp.example%2Fmcp");
        assert!(matches!(ok, Ok(TokenGrant::AuthorizationCode { resource: Some(_), .. })));
    }

    #[test]
    fn rfc6749_5_1_token_response_fields() {
        let v: serde_json::Value = serde_json::from_str(&token_response("at", 3600, Some("rt"), &["mcp".into()])).unwrap_or_default();
        assert_eq!(
            (v["access_token"].as_str(), v["token_type"].as_str(), v["expires_in"].as_i64()),
            (Some("at"), Some("Bearer"), Some(3600))
        );
        assert_eq!((v["refresh_token"].as_str(), v["scope"].as_str()), (Some("rt"), Some("mcp")));
        let v: serde_json::Value = serde_json::from_str(&token_response("at", 60, None, &[])).unwrap_or_default();
        assert!(v.get("refresh_token").is_none());
    }

    #[test]
    fn overlong_tokens_are_refused() {
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(parse(&format!("grant_type=refresh_token&refresh_token={long}")), Err(ErrorCode::InvalidRequest));
    }

    #[test]
    fn rfc7009_2_1_revoke_request() {
        let f = form::parse(b"token=t&token_type_hint=refresh_token", 100).unwrap_or_default();
        assert_eq!(
            parse_revoke_request(&f).ok(),
            Some(RevokeRequest { token: "t".into(), token_type_hint: Some(TokenTypeHint::RefreshToken) })
        );
        let f = form::parse(b"token=t&token_type_hint=weird", 100).unwrap_or_default();
        assert_eq!(parse_revoke_request(&f).ok().and_then(|r| r.token_type_hint), None);
        let f = form::parse(b"token_type_hint=access_token", 100).unwrap_or_default();
        assert_eq!(parse_revoke_request(&f).map_err(|e| e.code), Err(ErrorCode::InvalidRequest));
    }

    fn client_with(grant_types: &[&str], honoured: bool) -> ClientRecord {
        let body = serde_json::json!({ "redirect_uris": ["https://c.example/cb"] });
        let metadata = crate::oauth::registration::parse_request(body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        let mut c = crate::oauth::registration::register(metadata, &mut |b: &mut [u8]| b.fill(1), 0).0;
        c.metadata.grant_types = grant_types.iter().map(|g| (*g).to_owned()).collect();
        c.grant_types_honoured = honoured;
        c
    }

    fn code() -> TokenGrant {
        TokenGrant::AuthorizationCode { code: "c".into(), redirect_uri: None, code_verifier: "v".into(), resource: None }
    }

    fn refresh() -> TokenGrant {
        TokenGrant::RefreshToken { refresh_token: "r".into(), scope: None, resource: None }
    }

    #[test]
    fn rfc6749_5_2_only_registered_grant_types_are_served() {
        let both = client_with(&["authorization_code", "refresh_token"], true);
        assert_eq!(check_client_grant(&code(), &both), Ok(true), "code exchange with a refresh token");
        assert_eq!(check_client_grant(&refresh(), &both), Ok(true));

        let code_only = client_with(&["authorization_code"], true);
        assert_eq!(check_client_grant(&code(), &code_only), Ok(false), "code exchange without a refresh token");
        assert_eq!(check_client_grant(&refresh(), &code_only).map_err(|e| e.code), Err(ErrorCode::UnauthorizedClient));

        let refresh_only = client_with(&["refresh_token"], true);
        assert_eq!(check_client_grant(&code(), &refresh_only).map_err(|e| e.code), Err(ErrorCode::UnauthorizedClient));
    }

    #[test]
    fn records_stored_before_grant_types_were_honoured_keep_their_refresh_tokens() {
        let legacy = client_with(&["authorization_code"], false);
        assert_eq!(check_client_grant(&code(), &legacy), Ok(true));
        assert_eq!(check_client_grant(&refresh(), &legacy), Ok(true));
        let stored = r#"{"client_id":"x","client_secret_hash":null,"client_id_issued_at":0,"last_used_at":0,"redirect_uris":["https://c.example/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code"],"response_types":["code"]}"#;
        let old: ClientRecord = serde_json::from_str(stored).unwrap_or_else(|e| panic!("{e}"));
        assert!(!old.grant_types_honoured && old.allows_grant("refresh_token"));
    }
}
