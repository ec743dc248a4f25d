//! The Streamable HTTP checks before dispatch, on fuzzed headers, plus `Last-Event-ID` and the
//! 2026-07-28 `Mcp-Method`/`Mcp-Name` header checks against a fuzzed body.
//!
//! Input lines (`-` = header absent): HTTP method, `MCP-Protocol-Version`, `Accept`, `Origin`,
//! `Content-Type`, `Mcp-Session-Id`, `Mcp-Method`, `Mcp-Name`, `Last-Event-ID`; then the body.
//! Invariants: nothing panics; what is accepted is what the rule says (independently
//! re-checked); `Last-Event-ID` and the `=?base64?…?=` header encoding round-trip; SSE framing of
//! any text stays one event; headers that match the body are always accepted.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use r2_mcp_durable::mcp::http_rules::{self, AllowedOrigins, HttpMethod, OriginPolicy, SessionNeed};
use r2_mcp_durable::mcp::jsonrpc::{self, Message};
use r2_mcp_durable::mcp::{session, sse, version};
use r2_mcp_fuzz::{lines, opt};
use serde_json::Value;

const OWN: &str = "https://mcp.example";
/// An own origin over plain http, as a DNS rebinding page makes it: never allowed as such.
const OWN_HTTP: &str = "http://rebind.example:8787";
const ALLOWED: &str = "https://app.example";

/// Independent reading of the loopback rule: http(s), localhost / 127.0.0.1 / [::1], optional
/// numeric port of 1–5 digits, nothing else.
fn is_loopback_origin(o: &str) -> bool {
    let o = o.to_ascii_lowercase();
    let Some(rest) = o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")) else { return false };
    let port = ["localhost", "127.0.0.1", "[::1]"].iter().find_map(|h| rest.strip_prefix(h));
    match port {
        Some("") => true,
        Some(p) => p.strip_prefix(':').is_some_and(|d| (1..=5).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

fn check_sse(id: Option<&sse::EventId>, data: &str) {
    let ev = sse::event(id, data);
    assert!(ev.ends_with("\n\n"), "an event ends with a blank line");
    let body = ev.strip_suffix("\n\n").unwrap_or(&ev);
    assert!(!body.contains('\r'), "CR would split the event");
    for line in body.split('\n') {
        assert!(line.starts_with("id: ") || line == "event: message" || line.starts_with("data: "), "stray SSE line {line:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let (l, body) = lines(data, 9);
    let (method, ver_h, accept, origin, ctype, sid, mcp_method, mcp_name, last_id) =
        (&l[0], opt(&l[1]), opt(&l[2]), opt(&l[3]), opt(&l[4]), opt(&l[5]), opt(&l[6]), opt(&l[7]), &l[8]);

    let version = match version::from_header(ver_h) {
        Ok(v) => v,
        Err(u) => {
            assert!(serde_json::to_string(&u.error().to_value()).is_ok());
            version::HEADER_DEFAULT
        }
    };

    match http_rules::check_method(method, version) {
        Ok(HttpMethod::Post) => assert_eq!(method, "POST"),
        Ok(HttpMethod::Get) => assert!(method == "GET" && version.is_session_based()),
        Ok(HttpMethod::Delete) => assert!(method == "DELETE" && version.is_session_based()),
        Err(r) => {
            assert_eq!(r.status, 405);
            assert!(r.allow.is_some());
        }
    }

    let listed = AllowedOrigins::Listed(vec![format!("{ALLOWED}/")]);
    for (allowed, allow_loopback) in [(&listed, true), (&listed, false), (&AllowedOrigins::Any, false)] {
        for own in [OWN, OWN_HTTP] {
            let policy = OriginPolicy { own, allowed, allow_loopback };
            let verdict = http_rules::check_origin(origin, &policy);
            match (&verdict, origin) {
                (Ok(()), Some(o)) => {
                    let o = o.trim().trim_end_matches('/');
                    assert!(
                        *allowed == AllowedOrigins::Any
                            || (own == OWN && o.eq_ignore_ascii_case(OWN))
                            || o.eq_ignore_ascii_case(ALLOWED)
                            || http_rules::DEFAULT_ALLOWED_ORIGINS.iter().any(|d| o.eq_ignore_ascii_case(d))
                            || (allow_loopback && is_loopback_origin(o)),
                        "origin {o:?} accepted"
                    );
                }
                (Err(r), _) => {
                    assert_eq!(r.status, 403);
                    assert!(r.error.message.contains("ALLOWED_ORIGINS"), "the refusal names the setting");
                    assert!(!r.error.message.contains(['\n', '\r']), "the refusal is one line");
                }
                (Ok(()), None) => {}
            }
            if origin.is_none() {
                assert!(verdict.is_ok(), "no Origin is a non-browser client");
            }
        }
    }

    if http_rules::check_content_type(ctype).is_ok() {
        let essence = ctype.and_then(|c| c.split(';').next()).map(str::trim).unwrap_or("");
        assert!(essence.eq_ignore_ascii_case("application/json"));
    }

    let parsed = http_rules::parse_accept(accept);
    match http_rules::check_accept_post(accept) {
        Ok(a) => assert!(a == parsed && (a.json || a.sse)),
        Err(r) => assert!(r.status == 406 && !parsed.json && !parsed.sse),
    }
    assert_eq!(http_rules::check_accept_get(accept).is_ok(), parsed.sse);
    if accept.is_none() {
        assert!(parsed.json && parsed.sse, "no Accept means */*");
    }

    for is_init in [true, false] {
        match http_rules::session_rule(is_init, sid) {
            Ok(SessionNeed::Create) => assert!(is_init),
            Ok(SessionNeed::Lookup(h)) => {
                assert!(!is_init && Some(h.as_str()) == sid);
                assert!(session::is_valid_session_id(&h));
                assert!(h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
            Err(r) => assert!(!is_init && matches!(r.status, 400 | 404)),
        }
    }

    // Mcp-Name value encoding: plain visible ASCII passes as is; the base64 sentinel round-trips.
    if let Some(name) = mcp_name {
        if let Some(d) = http_rules::decode_header_value(name) {
            if !name.starts_with("=?base64?") {
                assert_eq!(d, name);
            }
        }
        let wrapped = format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(name));
        assert_eq!(http_rules::decode_header_value(&wrapped).as_deref(), Some(name));
    }

    // Last-Event-ID: what parses is something we could have issued, and re-parses to itself.
    let eid = sse::parse_last_event_id(last_id);
    if let Some(e) = &eid {
        assert!((1..=64).contains(&e.stream.len()));
        assert!(e.stream.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(sse::parse_last_event_id(&e.render()).as_ref(), Some(e));
        assert!(e.next().seq >= e.seq);
    }
    let text = String::from_utf8_lossy(body);
    check_sse(eid.as_ref(), &text);

    assert!(http_rules::check_body_size(body.len() as u64).is_ok());

    let Ok(msg) = jsonrpc::parse(body) else { return };
    let result = http_rules::check_standard_headers(&msg, mcp_method, mcp_name);
    if let Message::Request(req) = &msg {
        match &result {
            Ok(()) => assert_eq!(mcp_method, Some(req.method.as_str())),
            Err(r) => {
                assert_eq!(r.status, 400);
                assert_eq!(r.id.as_ref(), Some(&req.id));
                assert!(serde_json::to_string(&r.body()).is_ok());
            }
        }
        // Headers a conforming client would send for this body are accepted.
        let field = match req.method.as_str() {
            "tools/call" | "prompts/get" => Some("name"),
            "resources/read" => Some("uri"),
            _ => None,
        };
        let value = field.and_then(|f| req.params.as_ref().and_then(|p| p.get(f)).and_then(Value::as_str));
        let encoded = value.map(|v| format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(v)));
        if field.is_none() || value.is_some() {
            let good = http_rules::check_standard_headers(&msg, Some(&req.method), encoded.as_deref());
            assert!(good.is_ok(), "matching headers refused: {:?}", good.err());
        }
    } else {
        assert!(result.is_ok(), "notifications and responses carry no header requirements");
    }
});
