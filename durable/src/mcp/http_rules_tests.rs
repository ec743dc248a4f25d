//! Tests of the pre-dispatch HTTP rules, named after the transport rule they check.

use super::*;
use crate::mcp::jsonrpc::parse;

fn configured() -> AllowedOrigins {
    AllowedOrigins::Listed(vec!["https://portal.example.net".into()])
}

fn policy(allowed: &AllowedOrigins) -> OriginPolicy<'_> {
    OriginPolicy { own: "https://mcp.example.com", allowed, allow_loopback: true }
}

#[test]
fn post_get_delete_allowed_in_session_era() {
    assert_eq!(check_method("POST", Version::V2025_11_25), Ok(HttpMethod::Post));
    assert_eq!(check_method("GET", Version::V2025_03_26), Ok(HttpMethod::Get));
    assert_eq!(check_method("DELETE", Version::V2025_06_18), Ok(HttpMethod::Delete));
}

#[test]
fn other_methods_get_405_with_allow() {
    let r = check_method("PUT", Version::V2025_11_25).unwrap_err();
    assert_eq!((r.status, r.allow), (405, Some("GET, POST, DELETE")));
}

#[test]
fn get_and_delete_are_405_on_2026_07_28() {
    for m in ["GET", "DELETE"] {
        let r = check_method(m, Version::V2026_07_28).unwrap_err();
        assert_eq!((r.status, r.allow), (405, Some("POST")));
    }
}

#[test]
fn origin_absent_is_allowed() {
    assert!(check_origin(None, &policy(&configured())).is_ok());
}

#[test]
fn origin_own_https_configured_default_and_loopback_any_port_are_allowed() {
    let allowed = configured();
    for o in [
        "https://mcp.example.com",
        "HTTPS://MCP.EXAMPLE.COM",
        "https://portal.example.net",
        "https://playground.ai.cloudflare.com",
        "https://playground.ai.cloudflare.com/",
        "http://localhost:6274",
        "http://127.0.0.1:3000",
        "http://[::1]:8080",
        "http://localhost",
    ] {
        assert!(check_origin(Some(o), &policy(&allowed)).is_ok(), "{o}");
    }
}

#[test]
fn every_default_origin_is_allowed_with_no_setting() {
    let none = AllowedOrigins::default();
    for o in DEFAULT_ALLOWED_ORIGINS {
        assert_eq!(normalize_origin(o).as_deref(), Some(*o), "defaults are written normalised");
        assert!(check_origin(Some(o), &policy(&none)).is_ok(), "{o}");
    }
}

#[test]
fn origin_present_and_not_allowed_is_403() {
    let allowed = configured();
    for o in [
        "http://evil.example.com",
        "null",
        "http://localhost.evil.com",
        "http://127.0.0.1:99999x",
        "file://",
        "http://playground.ai.cloudflare.com",
        "https://playground.ai.cloudflare.com.evil.example",
        "https://evil.playground.ai.cloudflare.com",
    ] {
        assert_eq!(check_origin(Some(o), &policy(&allowed)).unwrap_err().status, 403, "{o}");
    }
}

/// DNS rebinding: the attacker's name resolves to this server, so the page's `Origin` and the
/// request's `Host` (from which the own origin is read) are both the attacker's, over http.
#[test]
fn a_rebinding_request_whose_host_and_origin_agree_over_http_is_403() {
    let none = AllowedOrigins::default();
    for (own, origin) in
        [("http://rebind.attacker.example:8787", "http://rebind.attacker.example:8787"), ("http://10.0.0.5", "http://10.0.0.5")]
    {
        let p = OriginPolicy { own, allowed: &none, allow_loopback: true };
        assert_eq!(check_origin(Some(origin), &p).unwrap_err().status, 403, "{origin}");
    }
}

#[test]
fn the_refusal_names_the_origin_and_the_setting_that_admits_it() {
    let none = AllowedOrigins::default();
    let r = check_origin(Some("https://App.Example.org/"), &policy(&none)).unwrap_err();
    let m = &r.error.message;
    assert!(m.contains("https://app.example.org is not allowed"), "{m}");
    assert!(m.contains("ALLOWED_ORIGINS=https://app.example.org"), "{m}");
    assert_eq!(r.body()["error"]["message"], serde_json::Value::String(m.clone()));
    let r = check_origin(Some("null"), &policy(&none)).unwrap_err();
    assert!(r.error.message.contains("\"null\"") && r.error.message.contains("ALLOWED_ORIGINS=*"), "{}", r.error.message);
    let long = format!("https://{}", "x".repeat(500));
    assert!(check_origin(Some(&long), &policy(&none)).unwrap_err().error.message.len() < 400);
    let r = check_origin(Some("https://a\nb.example"), &policy(&none)).unwrap_err();
    assert!(!r.error.message.contains('\n') && r.error.message.contains("a\\nb"), "{}", r.error.message);
}

#[test]
fn allowed_origins_any_admits_every_origin() {
    let any = AllowedOrigins::Any;
    for o in ["https://evil.example.com", "null", "http://rebind.example:8787"] {
        assert!(check_origin(Some(o), &policy(&any)).is_ok(), "{o}");
    }
}

#[test]
fn loopback_can_be_disabled() {
    let allowed = configured();
    let mut p = policy(&allowed);
    p.allow_loopback = false;
    assert_eq!(check_origin(Some("http://localhost:1"), &p).unwrap_err().status, 403);
}

#[test]
fn body_over_cap_is_413() {
    assert!(check_body_size(MAX_BODY_BYTES).is_ok());
    assert_eq!(check_body_size(MAX_BODY_BYTES + 1).unwrap_err().status, 413);
}

#[test]
fn content_type_must_be_json_for_post() {
    assert!(check_content_type(Some("application/json")).is_ok());
    assert!(check_content_type(Some("Application/JSON; charset=utf-8")).is_ok());
    for ct in [None, Some("text/plain"), Some("application/jsonx")] {
        assert_eq!(check_content_type(ct).unwrap_err().status, 415);
    }
}

#[test]
fn accept_listing_both_types_allows_both() {
    let a = check_accept_post(Some("application/json, text/event-stream")).unwrap();
    assert_eq!(a, Accepts { json: true, sse: true });
}

#[test]
fn accept_wildcards_and_missing_header_allow_both() {
    for h in [None, Some("*/*"), Some("application/*, text/*")] {
        assert_eq!(check_accept_post(h).unwrap(), Accepts { json: true, sse: true }, "{h:?}");
    }
}

#[test]
fn accept_json_only_is_served_as_json() {
    let a = check_accept_post(Some("application/json")).unwrap();
    assert!(!a.use_sse(true));
    let a = check_accept_post(Some("text/event-stream")).unwrap();
    assert!(a.use_sse(false));
}

#[test]
fn accept_without_json_or_sse_is_406() {
    assert_eq!(check_accept_post(Some("text/html")).unwrap_err().status, 406);
    assert_eq!(check_accept_post(Some("application/json;q=0")).unwrap_err().status, 406);
}

#[test]
fn get_needs_event_stream_accept() {
    assert!(check_accept_get(Some("text/event-stream")).is_ok());
    assert_eq!(check_accept_get(Some("application/json")).unwrap_err().status, 406);
}

#[test]
fn non_initialize_without_session_header_is_400() {
    assert_eq!(session_rule(false, None).unwrap_err().status, 400);
}

#[test]
fn initialize_creates_session_and_garbage_session_id_is_404() {
    assert_eq!(session_rule(true, Some("whatever")), Ok(SessionNeed::Create));
    assert_eq!(session_rule(false, Some("bad id\u{7f}")).unwrap_err().status, 404);
    assert_eq!(session_rule(false, Some("abcDEF123_-abcDEF123_-")), Ok(SessionNeed::Lookup("abcDEF123_-abcDEF123_-".into())));
}

fn req(body: &str) -> Message {
    parse(body.as_bytes()).unwrap()
}

#[test]
fn mcp_method_header_must_match_body_with_header_mismatch() {
    let m = req(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    assert!(check_standard_headers(&m, Some("tools/list"), None).is_ok());
    let r = check_standard_headers(&m, Some("tools/call"), None).unwrap_err();
    assert_eq!((r.status, r.error.code), (400, HEADER_MISMATCH));
    assert_eq!(check_standard_headers(&m, None, None).unwrap_err().error.code, HEADER_MISMATCH);
}

#[test]
fn mcp_name_header_is_required_and_compared_after_base64_decoding() {
    let m = req(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"héllo"}}"#);
    assert_eq!(check_standard_headers(&m, Some("tools/call"), None).unwrap_err().status, 400);
    assert!(check_standard_headers(&m, Some("tools/call"), Some("=?base64?aMOpbGxv?=")).is_ok());
    assert!(check_standard_headers(&m, Some("tools/call"), Some("hello")).is_err());
    let m = req(r#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://static-text"}}"#);
    assert!(check_standard_headers(&m, Some("resources/read"), Some("test://static-text")).is_ok());
}

#[test]
fn notifications_have_no_header_requirements_on_2026_07_28() {
    let m = req(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{}}"#);
    assert!(check_standard_headers(&m, None, None).is_ok());
}

#[test]
fn header_values_with_control_characters_are_malformed() {
    assert_eq!(decode_header_value("a\nb"), None);
    assert_eq!(decode_header_value("=?base64?!!?="), None);
}
