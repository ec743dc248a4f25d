//! Tests of JSON-RPC framing, named after the rule they check (MCP basic/index, JSON-RPC 2.0 §4–5).

use super::*;
use serde_json::json;

fn p(s: &str) -> Result<Message, ParseFailure> {
    parse(s.as_bytes())
}

#[test]
fn invalid_json_is_parse_error_with_null_id() {
    let e = p("{not json").unwrap_err();
    assert_eq!(e.error.code, PARSE_ERROR);
    assert_eq!(e.response()["id"], Value::Null);
}

#[test]
fn batches_are_refused_as_invalid_request() {
    let e = p(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).unwrap_err();
    assert_eq!(e.error.code, INVALID_REQUEST);
}

#[test]
fn request_with_string_or_integer_id_parses() {
    match p(r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#).unwrap() {
        Message::Request(r) => assert_eq!(r.id, Id::Str("a".into())),
        other => panic!("{other:?}"),
    }
    match p(r#"{"jsonrpc":"2.0","id":-7,"method":"ping","params":{}}"#).unwrap() {
        Message::Request(r) => {
            assert_eq!(r.id, Id::Num(-7));
            assert!(r.params.is_some());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn null_or_fractional_id_is_invalid_request_per_mcp_basic() {
    for body in [
        r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
    ] {
        assert_eq!(p(body).unwrap_err().error.code, INVALID_REQUEST, "{body}");
    }
}

#[test]
fn missing_or_wrong_jsonrpc_version_is_invalid_request_and_keeps_id() {
    let e = p(r#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#).unwrap_err();
    assert_eq!(e.error.code, INVALID_REQUEST);
    assert_eq!(e.id, Some(Id::Num(3)));
    assert_eq!(p(r#"{"id":3,"method":"ping"}"#).unwrap_err().error.code, INVALID_REQUEST);
}

#[test]
fn non_object_params_is_invalid_params() {
    let e = p(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[1]}"#).unwrap_err();
    assert_eq!(e.error.code, INVALID_PARAMS);
}

#[test]
fn message_without_id_is_notification() {
    let m = p(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
    assert!(matches!(m, Message::Notification(n) if n.method == "notifications/initialized"));
}

#[test]
fn client_result_and_error_responses_parse() {
    let m = p(r#"{"jsonrpc":"2.0","id":5,"result":{"action":"accept"}}"#).unwrap();
    assert!(matches!(m, Message::Response(Response { outcome: Ok(_), .. })));
    let m = p(r#"{"jsonrpc":"2.0","id":5,"error":{"code":-1,"message":"no"}}"#).unwrap();
    assert!(matches!(m, Message::Response(Response { outcome: Err(e), .. }) if e.code == -1));
}

#[test]
fn response_with_both_result_and_error_is_invalid() {
    let e = p(r#"{"jsonrpc":"2.0","id":5,"result":{},"error":{"code":1,"message":"x"}}"#);
    assert_eq!(e.unwrap_err().error.code, INVALID_REQUEST);
}

#[test]
fn builders_produce_jsonrpc_shapes() {
    assert_eq!(success(&Id::Num(1), json!({})), json!({"jsonrpc":"2.0","id":1,"result":{}}));
    let e = RpcError::method_not_found("x/y");
    assert_eq!(error(None, &e), json!({"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"Method not found: x/y"}}));
}

#[test]
fn parse_never_panics_on_hostile_input() {
    let deep = "[".repeat(100_000);
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0xff, 0xfe, 0x00],
        deep.into_bytes(),
        b"null".to_vec(),
        b"\"str\"".to_vec(),
        br#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"x"}"#.to_vec(),
        br#"{"jsonrpc":"2.0","method":7}"#.to_vec(),
        br#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#.to_vec(),
    ];
    for c in cases {
        let _ = parse(&c);
    }
    // A small deterministic fuzz over byte soup built from JSON fragments.
    let parts: [&[u8]; 12] = [
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"jsonrpc\":\"2.0\"",
        b",",
        b"\"id\":",
        b"1",
        b"null",
        b"\"method\":\"m\"",
        b"\"params\":",
        b"\"result\":",
    ];
    let mut seed: u32 = 7;
    for _ in 0..20_000 {
        let mut buf = Vec::new();
        for _ in 0..(seed % 12) {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            buf.extend_from_slice(parts[(seed >> 16) as usize % parts.len()]);
        }
        let _ = parse(&buf);
    }
}

#[test]
fn log_labels_keep_plain_names_only() {
    assert_eq!(log_label("tools/call"), "tools/call");
    assert_eq!(log_label("notifications/initialized"), "notifications/initialized");
    assert_eq!(log_label("put_object"), "put_object");
    assert_eq!(log_label(""), "other");
    assert_eq!(log_label("a\nb"), "other");
    assert_eq!(log_label("\"}{"), "other");
    assert_eq!(log_label("héllo"), "other");
    assert_eq!(log_label(&"a".repeat(65)), "other");
    assert_eq!(log_label(&"a".repeat(64)), "a".repeat(64));
}

#[test]
fn clip_cuts_on_char_boundaries() {
    assert_eq!(clip("héllo", 2), "hé");
    assert_eq!(clip("ab", 5), "ab");
}
