//! `/register` (RFC 7591) bodies and the redirect URI rules they rely on.
//!
//! Input: line 1 is a redirect URI as presented at `/authorize` or `/token`; the rest is the
//! registration body. Invariants: nothing panics; every accepted redirect URI is printable
//! ASCII without a fragment, dot segments or a browser-dangerous scheme; a URI that `matches`
//! a registered one has the same kind, scheme, host, path and query (and is identical unless
//! loopback); `matches` is reflexive exactly on valid URIs; an accepted registration's record
//! and response round-trip through JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use r2_mcp_fuzz::lines;
use r2_mcp_fuzz::oauth::errors::ErrorCode;
use r2_mcp_fuzz::oauth::redirect_uri::{self, RedirectKind};
use r2_mcp_fuzz::oauth::registration::{self, AuthMethod, ClientRecord};
use r2_mcp_fuzz::oauth::scope;
use serde_json::Value;

const DANGEROUS: &[&str] = &["javascript", "data", "file", "vbscript", "blob", "about", "filesystem", "view-source"];

fn check_valid_uri(uri: &str) {
    let Ok(p) = redirect_uri::parse(uri) else {
        assert!(!redirect_uri::matches(uri, uri), "an invalid URI matches itself: {uri:?}");
        assert!(redirect_uri::display_host(uri).is_none() && redirect_uri::csp_source(uri).is_none());
        return;
    };
    assert!(redirect_uri::matches(uri, uri), "a valid URI must match itself: {uri:?}");
    assert!(uri.len() <= redirect_uri::MAX_URI_LEN);
    assert!(uri.bytes().all(|b| (0x21..=0x7e).contains(&b)), "non-printable byte in {uri:?}");
    assert!(!uri.contains('#'), "fragment in {uri:?}");
    assert!(!DANGEROUS.contains(&p.scheme.to_ascii_lowercase().as_str()), "scheme of {uri:?}");
    assert_eq!(p.scheme, p.scheme.to_ascii_lowercase());
    let path = p.rest.split('?').next().unwrap_or("");
    for seg in path.split('/') {
        let lower = seg.to_ascii_lowercase();
        assert!(!matches!(lower.as_str(), "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."), "dot segment in {uri:?}");
    }
    match p.kind {
        RedirectKind::Https => assert!(p.scheme == "https" && !p.host.is_empty() && !p.host.contains('@')),
        RedirectKind::Loopback => {
            assert_eq!(p.scheme, "http");
            assert!(matches!(p.host, "127.0.0.1" | "[::1]" | "localhost"));
        }
        RedirectKind::PrivateUse => assert!(p.scheme != "http" && p.scheme != "https"),
    }
    assert!(redirect_uri::display_host(uri).is_some() && redirect_uri::csp_source(uri).is_some());
}

fn check_match(registered: &str, presented: &str) {
    if !redirect_uri::matches(registered, presented) {
        return;
    }
    let (Ok(r), Ok(p)) = (redirect_uri::parse(registered), redirect_uri::parse(presented)) else {
        panic!("matches() on an invalid URI: {registered:?} / {presented:?}");
    };
    assert_eq!((r.kind, r.scheme, r.host, r.rest), (p.kind, p.scheme, p.host, p.rest));
    if r.kind != RedirectKind::Loopback {
        assert_eq!(registered, presented, "only loopback may differ (in the port)");
    }
}

fn check_record(record: &ClientRecord, secret: Option<&str>) {
    let json = serde_json::to_string(record).unwrap_or_default();
    let back: Option<ClientRecord> = serde_json::from_str(&json).ok();
    assert_eq!(back.as_ref(), Some(record), "stored record does not round-trip");
    let resp: Value = serde_json::from_str(&registration::response_json(record, secret)).unwrap_or(Value::Null);
    assert_eq!(resp.get("client_id").and_then(Value::as_str), Some(record.client_id.as_str()));
    assert_eq!(resp.get("client_secret").and_then(Value::as_str), secret);
    assert_eq!(record.client_secret_hash.is_some(), secret.is_some());
    if let Some(s) = secret {
        assert_eq!(record.client_secret_hash.as_deref(), Some(registration::hash_secret(s).as_str()));
    }
}

fuzz_target!(|data: &[u8]| {
    let (l, body) = lines(data, 1);
    let presented = &l[0];
    check_valid_uri(presented);
    for fixed in ["https://app.example/cb", "http://127.0.0.1/callback", "http://[::1]:8080/cb?x=1", "com.example.app:/oauth2redirect"] {
        check_match(fixed, presented);
        check_match(presented, fixed);
    }

    let meta = match registration::parse_request(body) {
        Ok(m) => m,
        Err(e) => {
            assert!(matches!(e.code, ErrorCode::InvalidClientMetadata | ErrorCode::InvalidRedirectUri), "{e:?}");
            assert_eq!(e.status(), 400);
            return;
        }
    };
    assert!(!meta.redirect_uris.is_empty() && meta.redirect_uris.len() <= registration::MAX_REDIRECT_URIS);
    for (i, u) in meta.redirect_uris.iter().enumerate() {
        check_valid_uri(u);
        assert!(!meta.redirect_uris.iter().skip(i + 1).any(|x| x == u), "duplicate redirect URI kept");
        check_match(u, presented);
    }
    assert!(meta.grant_types.iter().any(|g| g == "authorization_code"));
    assert!(meta.grant_types.iter().all(|g| g == "authorization_code" || g == "refresh_token"));
    assert_eq!(meta.response_types, vec!["code".to_owned()]);
    if let Some(s) = &meta.scope {
        let parsed = scope::parse(s).unwrap_or_default();
        assert!(!parsed.is_empty());
        assert_eq!(&scope::join(&parsed), s, "stored scope is normalised");
    }
    for u in [&meta.client_uri, &meta.logo_uri].into_iter().flatten() {
        assert_eq!(redirect_uri::parse(u).map(|p| p.kind).ok(), Some(RedirectKind::Https));
    }
    if let Some(n) = &meta.client_name {
        assert!(n.chars().count() <= registration::MAX_CLIENT_NAME_CHARS && !n.chars().any(char::is_control));
    }
    assert!(meta.contacts.len() <= registration::MAX_CONTACTS);

    let mut counter = 0u8;
    let mut random = |buf: &mut [u8]| {
        for b in buf.iter_mut() {
            counter = counter.wrapping_add(37);
            *b = counter;
        }
    };
    let confidential = meta.token_endpoint_auth_method != AuthMethod::None;
    let (record, secret) = registration::register(meta, &mut random, 1_700_000_000);
    assert_eq!(secret.is_some(), confidential);
    assert_eq!(record.client_id.len(), 22);
    check_record(&record, secret.as_deref());
});
