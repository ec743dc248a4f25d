//! Tests of tool-argument validation (server/tools §Error Handling; the key rules themselves are
//! tested in `storage::keys`).

use super::*;
use serde_json::json;

/// NFC as the runtime's `String.prototype.normalize("NFC")` does it.
fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

fn args(v: Value) -> Option<Map<String, Value>> {
    v.as_object().cloned()
}

/// The key rules of a namespace whose prefix is empty.
fn keys() -> KeyRules {
    KeyRules { prefix_len: 0, nfc }
}

#[test]
fn unknown_argument_is_a_precise_error() {
    let e = parse(ToolName::ListObjects, args(json!({"prefx": "a"})), &keys()).unwrap_err();
    assert!(e.contains("list_objects") && e.contains("prefx"), "{e}");
}

#[test]
fn missing_required_key_is_reported() {
    let e = parse(ToolName::GetObject, None, &keys()).unwrap_err();
    assert!(e.contains("key"), "{e}");
}

#[test]
fn list_limit_is_at_most_1000() {
    assert!(parse(ToolName::ListObjects, args(json!({"limit": 1000})), &keys()).is_ok());
    assert!(parse(ToolName::ListObjects, args(json!({"limit": 1001})), &keys()).is_err());
    assert!(parse(ToolName::ListObjects, args(json!({"limit": 0})), &keys()).is_err());
}

#[test]
fn put_takes_exactly_one_content_form_and_decodes_base64() {
    let r = parse(ToolName::PutObject, args(json!({"key": "b", "content_base64": "AAEC/w=="})), &keys()).unwrap();
    match r {
        ToolRequest::PutObject(p) => {
            assert_eq!(p.body, Body::Bytes(vec![0, 1, 2, 255]));
            assert_eq!(p.content_type, "application/octet-stream");
        }
        other => panic!("{other:?}"),
    }
    assert!(parse(ToolName::PutObject, args(json!({"key": "b"})), &keys()).is_err());
    assert!(parse(ToolName::PutObject, args(json!({"key": "b", "content": "x", "content_base64": "eA=="})), &keys()).is_err());
    assert!(parse(ToolName::PutObject, args(json!({"key": "b", "content_base64": "***"})), &keys()).is_err());
}

#[test]
fn put_preconditions_are_if_match_or_create_only() {
    let r = parse(ToolName::PutObject, args(json!({"key": "b", "content": "x", "if_none_match": "*"})), &keys()).unwrap();
    assert!(matches!(r, ToolRequest::PutObject(PutObject { create_only: true, .. })));
    assert!(parse(ToolName::PutObject, args(json!({"key": "b", "content": "x", "if_none_match": "abc"})), &keys()).is_err());
    assert!(parse(
        ToolName::PutObject,
        args(json!({"key": "b", "content": "x", "if_none_match": "*", "if_match": "e"})), &keys())
    .is_err());
}

#[test]
fn put_over_limit_is_refused_with_the_limit() {
    let big = "x".repeat(MAX_PUT_BYTES + 1);
    let e = parse(ToolName::PutObject, args(json!({"key": "b", "content": big})), &keys()).unwrap_err();
    assert!(e.contains(&MAX_PUT_BYTES.to_string()));
}

#[test]
fn delete_takes_one_key_or_up_to_1000() {
    let r = parse(ToolName::DeleteObject, args(json!({"key": "a", "if_match": "e"})), &keys()).unwrap();
    assert_eq!(r, ToolRequest::DeleteObject(DeleteObject { keys: vec!["a".into()], if_match: Some("e".into()) }));
    let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    assert!(parse(ToolName::DeleteObject, args(json!({"keys": many})), &keys()).is_err());
    assert!(parse(ToolName::DeleteObject, args(json!({"keys": ["a"], "if_match": "e"})), &keys()).is_err());
    assert!(parse(ToolName::DeleteObject, args(json!({"key": "a", "keys": ["b"]})), &keys()).is_err());
    assert!(parse(ToolName::DeleteObject, args(json!({"keys": ["a", "../b"]})), &keys()).is_err());
}

#[test]
fn copy_and_move_validate_both_keys() {
    let ok = args(json!({"source_key": "a", "destination_key": "b", "if_none_match": "*"}));
    assert!(matches!(
        parse(ToolName::MoveObject, ok, &keys()),
        Ok(ToolRequest::MoveObject(CopyObject { create_only: true, .. }))
    ));
    assert!(parse(ToolName::CopyObject, args(json!({"source_key": "a", "destination_key": "/b"})), &keys()).is_err());
    assert!(parse(ToolName::CopyObject, args(json!({"source_key": "a", "destination_key": "a"})), &keys()).is_err());
}

#[test]
fn get_range_forms_are_exclusive() {
    assert!(parse(ToolName::GetObject, args(json!({"key": "a", "range": {"offset": 5, "length": 10}})), &keys()).is_ok());
    assert!(parse(ToolName::GetObject, args(json!({"key": "a", "range": {"suffix": 5, "offset": 1}})), &keys()).is_err());
    assert!(parse(ToolName::GetObject, args(json!({"key": "a", "range": {"length": 0}})), &keys()).is_err());
}

#[test]
fn keys_and_prefixes_come_back_in_nfc_and_ascii_never_reaches_the_normalizer() {
    fn refuse(_: &str) -> String {
        panic!("ASCII and Latin-1 text is already NFC: the normalizer must not be called")
    }
    match parse(ToolName::HeadObject, args(json!({"key": "cafe\u{301}/x"})), &keys()) {
        Ok(ToolRequest::HeadObject(h)) => assert_eq!(h.key, "caf\u{e9}/x"),
        other => panic!("{other:?}"),
    }
    match parse(ToolName::ListObjects, args(json!({"prefix": "A\u{30a}/"})), &keys()) {
        Ok(ToolRequest::ListObjects(l)) => assert_eq!(l.prefix.as_deref(), Some("\u{c5}/")),
        other => panic!("{other:?}"),
    }
    match parse(ToolName::DeleteObject, args(json!({"keys": ["a", "caf\u{e9}", "cafe\u{301}"]})), &keys()) {
        Ok(ToolRequest::DeleteObject(d)) => assert_eq!(d.keys, vec!["a", "caf\u{e9}"], "one object, deleted once"),
        other => panic!("{other:?}"),
    }
    assert!(parse(ToolName::GetObject, args(json!({"key": "plain/caf\u{e9}.txt"})), &KeyRules { prefix_len: 0, nfc: refuse }).is_ok());
}

#[test]
fn a_copy_between_two_spellings_of_one_key_is_refused() {
    for tool in [ToolName::CopyObject, ToolName::MoveObject] {
        let e = parse(tool, args(json!({"source_key": "caf\u{e9}", "destination_key": "cafe\u{301}"})), &keys()).unwrap_err();
        assert!(e.contains("same object"), "{e}");
    }
}

#[test]
fn look_alike_keys_are_refused_when_parsed() {
    // The storage layer's rules apply once, at parse time, with the namespace's prefix length.
    for (tool, a) in [
        (ToolName::GetObject, json!({"key": "\u{FF0E}\u{FF0E}/x"})),
        (ToolName::PutObject, json!({"key": "\u{2215}abs", "content": "x"})),
        (ToolName::ListObjects, json!({"prefix": "\u{FF0E}\u{FF0E}/"})),
        (ToolName::DeleteObject, json!({"keys": ["a", "%c0%ae%c0%ae/x"]})),
        (ToolName::CopyObject, json!({"source_key": "a", "destination_key": "\u{FF0F}b"})),
    ] {
        let e = parse(tool, args(a), &keys()).unwrap_err();
        assert!(e.starts_with("Invalid ") && e.contains(tool.as_str()), "{e}");
    }
}
