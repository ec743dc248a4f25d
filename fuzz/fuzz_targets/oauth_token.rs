//! `/token` and `/revoke`: the form body, the token and revoke requests, and client
//! authentication with a fuzzed `Authorization` header.
//!
//! Input: line 1 is the raw `Authorization` header (`-` = absent); line 2 is raw credentials
//! that the harness also sends as `Basic base64(line 2)`, so the fuzzer reaches the decoded
//! `id:secret` rules without having to invent base64; the rest is the form body.
//! Invariants: nothing panics; forms round-trip through `serialize`; a parsed request respects
//! the length and resource rules; credentials are never empty or over-long; authentication
//! succeeds only for the right client, method and secret.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use r2_mcp_fuzz::oauth::client_auth::{self, ClientCredentials};
use r2_mcp_fuzz::oauth::errors::ErrorCode;
use r2_mcp_fuzz::oauth::registration::AuthMethod;
use r2_mcp_fuzz::oauth::token_request::{self, TokenGrant};
use r2_mcp_fuzz::oauth::{form, scope};
use r2_mcp_fuzz::{confidential_client, lines, opt, public_client, RESOURCE};

fn check_creds(header: Option<&str>, body: &form::Form) {
    let creds = match client_auth::extract(header, body) {
        Ok(c) => c,
        Err(e) => {
            assert!(matches!(e.code, ErrorCode::InvalidClient | ErrorCode::InvalidRequest), "{e:?}");
            assert!(matches!(e.status(), 400 | 401));
            assert!(serde_json::from_str::<serde_json::Value>(&e.body()).is_ok());
            assert!(e.description.len() <= 300);
            assert!(e.description.bytes().all(|b| matches!(b, 0x20 | 0x21 | 0x23..=0x5B | 0x5D..=0x7E)));
            if e.client_used_basic && e.code == ErrorCode::InvalidClient {
                assert!(e.headers().iter().any(|(k, v)| k.eq_ignore_ascii_case("www-authenticate") && v.starts_with("Basic")));
            }
            return;
        }
    };
    let ClientCredentials { client_id, secret, method } = &creds;
    assert!(!client_id.is_empty() && client_id.len() <= client_auth::MAX_CREDENTIAL_LEN);
    assert!(secret.as_ref().is_none_or(|s| s.len() <= client_auth::MAX_CREDENTIAL_LEN));
    match method {
        AuthMethod::ClientSecretBasic => {
            assert!(client_auth::parse_basic(header).ok().flatten().is_some());
            assert!(body.get("client_secret").is_none(), "two methods at once");
        }
        AuthMethod::ClientSecretPost => assert_eq!(secret.as_deref(), body.get("client_secret")),
        AuthMethod::None => assert!(secret.is_none()),
    }
    for client in [public_client(), confidential_client(AuthMethod::ClientSecretBasic), confidential_client(AuthMethod::ClientSecretPost)] {
        let ok = client_auth::authenticate(&creds, Some(&client)).is_ok();
        if ok {
            assert_eq!(*client_id, client.client_id);
            assert_eq!(*method, client.metadata.token_endpoint_auth_method);
            match &client.client_secret_hash {
                None => assert!(secret.is_none()),
                Some(_) => assert_eq!(secret.as_deref(), Some("s3cret")),
            }
        }
        // The right credentials for this client always pass.
        let right = ClientCredentials {
            client_id: client.client_id.clone(),
            secret: client.client_secret_hash.as_ref().map(|_| "s3cret".to_owned()),
            method: client.metadata.token_endpoint_auth_method,
        };
        assert!(client_auth::authenticate(&right, Some(&client)).is_ok());
    }
    assert!(client_auth::authenticate(&creds, None).is_err());
}

fuzz_target!(|data: &[u8]| {
    let (l, body) = lines(data, 2);
    let header = opt(&l[0]);
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(l[1].as_bytes()));

    let f = match form::parse(body, form::MAX_FORM_BYTES) {
        Ok(f) => f,
        Err(e) => {
            let _ = r2_mcp_fuzz::oauth::errors::OAuthError::from(e).body();
            return;
        }
    };
    assert!(f.pairs().len() <= form::MAX_PARAMS);
    // Strict parsing and our serialiser agree: what we would write parses back the same.
    let pairs: Vec<(&str, &str)> = f.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let again = form::parse(form::serialize(&pairs).as_bytes(), usize::MAX);
    assert_eq!(again.as_ref().ok(), Some(&f), "form does not round-trip");

    match token_request::parse_token_request(&f, RESOURCE) {
        Ok(TokenGrant::AuthorizationCode { code, code_verifier, resource, redirect_uri }) => {
            assert_eq!(f.get("grant_type"), Some("authorization_code"));
            assert!(!code.is_empty() && code.len() <= token_request::MAX_TOKEN_LEN);
            assert!(!code_verifier.is_empty() && code_verifier.len() <= token_request::MAX_TOKEN_LEN);
            assert!(resource.as_deref().is_none_or(|r| r == RESOURCE));
            assert_eq!(redirect_uri.as_deref(), f.get("redirect_uri"));
        }
        Ok(TokenGrant::RefreshToken { refresh_token, scope: s, resource }) => {
            assert_eq!(f.get("grant_type"), Some("refresh_token"));
            assert!(!refresh_token.is_empty() && refresh_token.len() <= token_request::MAX_TOKEN_LEN);
            assert!(resource.as_deref().is_none_or(|r| r == RESOURCE));
            if let Some(s) = s {
                assert!(s.iter().all(|t| scope::is_scope_token(t)));
            }
        }
        Err(e) => assert!(matches!(e.status(), 400 | 401), "{e:?}"),
    }
    if let Ok(r) = token_request::parse_revoke_request(&f) {
        assert!(!r.token.is_empty() && r.token.len() <= token_request::MAX_TOKEN_LEN);
    }

    check_creds(header, &f);
    check_creds(Some(&basic), &f);
    check_creds(None, &f);
});
