//! `/authorize`: query parsing, phase 1 (`check_client`) and phase 2 (`validate`) against fixed
//! client records, and the redirects built from the result.
//!
//! Input: the query string (without `?`). Invariants: nothing panics; phase 1 only ever returns
//! a redirect URI the client registered (same scheme and host; exact unless loopback); a valid
//! request is bound to our resource, carries a well-formed S256 challenge, grants only supported
//! scopes and echoes `state` unchanged; every redirect we build parses back, strictly, to the
//! parameters we put in, including `iss`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use r2_mcp_fuzz::oauth::registration::{AuthMethod, ClientRecord};
use r2_mcp_fuzz::oauth::{authorize, form, pkce, redirect_uri};
use r2_mcp_fuzz::{confidential_client, public_client, ISSUER, RESOURCE, SCOPES};

/// Parses the query we appended to `uri` (registered URIs here carry no query of their own).
fn appended(location: &str, uri: &str) -> form::Form {
    let query = location.strip_prefix(uri).and_then(|q| q.strip_prefix('?'));
    let query = query.unwrap_or_else(|| panic!("redirect {location:?} does not extend {uri:?}"));
    form::parse(query.as_bytes(), usize::MAX).unwrap_or_else(|e| panic!("our redirect query does not parse: {e:?}"))
}

fn run(query: &str, client: &ClientRecord) {
    let Ok(q) = authorize::parse_query(query) else { return };
    let (uri, explicit) = match authorize::check_client(&q, Some(client)) {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.message.is_empty());
            return;
        }
    };
    assert_eq!(q.get("client_id"), Some(client.client_id.as_str()));
    let registered = &client.metadata.redirect_uris;
    let presented = redirect_uri::parse(&uri).unwrap_or_else(|e| panic!("accepted redirect {uri:?} is invalid: {e:?}"));
    let same = registered.iter().any(|r| {
        let Ok(reg) = redirect_uri::parse(r) else { return false };
        reg.scheme == presented.scheme
            && reg.host == presented.host
            && reg.rest == presented.rest
            && (reg.kind == redirect_uri::RedirectKind::Loopback || *r == uri)
    });
    assert!(same, "phase 1 accepted {uri:?}, which the client did not register");
    assert_eq!(explicit, q.get("redirect_uri").is_some());

    let cfg = authorize::AuthorizeConfig { resource: RESOURCE, scopes_supported: SCOPES, default_scopes: SCOPES };
    match authorize::validate(&q, client, (uri.clone(), explicit), &cfg) {
        Ok(req) => {
            assert_eq!(req.resource, RESOURCE);
            assert_eq!(req.client_id, client.client_id);
            assert_eq!(req.redirect_uri, uri);
            assert!(pkce::is_valid_s256_challenge(&req.code_challenge));
            assert!(!req.scopes.is_empty() && req.scopes.iter().all(|s| SCOPES.contains(&s.as_str())));
            assert_eq!(req.state.as_deref(), q.get("state"));
            let loc = authorize::success_redirect(&req.redirect_uri, "the-code", req.state.as_deref(), ISSUER);
            let back = appended(&loc, &uri);
            assert_eq!(back.get("code"), Some("the-code"));
            assert_eq!(back.get("state"), req.state.as_deref());
            assert_eq!(back.get("iss"), Some(ISSUER));
            // What phase 2 stores must round-trip through the consent cookie's JSON.
            let json = serde_json::to_vec(&req).unwrap_or_default();
            let again: Option<authorize::AuthorizeRequest> = serde_json::from_slice(&json).ok();
            assert_eq!(again.as_ref(), Some(&req));
        }
        Err(e) => {
            assert_eq!(e.redirect_uri, uri);
            if let Some(s) = &e.state {
                assert!(s.len() <= authorize::MAX_STATE_LEN);
            }
            let loc = e.location(ISSUER);
            let back = appended(&loc, &uri);
            assert_eq!(back.get("error"), Some(e.error.code.as_str()));
            assert_eq!(back.get("state"), e.state.as_deref());
            assert_eq!(back.get("iss"), Some(ISSUER));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    // An unknown client is never accepted, whatever the query says.
    if let Ok(q) = authorize::parse_query(&query) {
        assert!(authorize::check_client(&q, None).is_err());
    }
    run(&query, &public_client());
    run(&query.replace("fuzz-client", "conf-client"), &confidential_client(AuthMethod::ClientSecretBasic));
});
