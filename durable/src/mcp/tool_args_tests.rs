//! Tests of tool-argument validation (issue 5 key rules; server/tools §Error Handling).

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

#[test]
fn keys_escaping_the_namespace_are_refused_in_every_spelling() {
    for k in [
        "/etc",
        "\\x",
        "..",
        "a/../b",
        "a/./b",
        "%2e%2e/x",
        "%2E%2E",
        "a/%2e%2e",
        "%252e%252e/x",
        "%2fetc",
        "a\\..\\b",
        "a\u{0}b",
        "a\nb",
        "\u{85}",
    ] {
        assert!(validate_key(k, 10).is_err(), "{k:?}");
    }
}

#[test]
fn ordinary_keys_pass() {
    for k in ["a", "docs/readme.md", "x..y", ".hidden", "a/b/", "100% sure", "é/ü"] {
        assert!(validate_key(k, 10).is_ok(), "{k:?}");
    }
}

#[test]
fn key_length_counts_the_namespace_prefix() {
    let k = "k".repeat(1000);
    assert!(validate_key(&k, 24).is_ok());
    assert!(validate_key(&k, 25).is_err());
    assert!(validate_key("", 0).is_err());
}

#[test]
fn unknown_argument_is_a_precise_error() {
    let e = parse(ToolName::ListObjects, args(json!({"prefx": "a"})), 0, nfc).unwrap_err();
    assert!(e.contains("list_objects") && e.contains("prefx"), "{e}");
}

#[test]
fn missing_required_key_is_reported() {
    let e = parse(ToolName::GetObject, None, 0, nfc).unwrap_err();
    assert!(e.contains("key"), "{e}");
}

#[test]
fn list_limit_is_at_most_1000() {
    assert!(parse(ToolName::ListObjects, args(json!({"limit": 1000})), 0, nfc).is_ok());
    assert!(parse(ToolName::ListObjects, args(json!({"limit": 1001})), 0, nfc).is_err());
    assert!(parse(ToolName::ListObjects, args(json!({"limit": 0})), 0, nfc).is_err());
}

#[test]
fn put_takes_exactly_one_content_form_and_decodes_base64() {
    let r = parse(ToolName::PutObject, args(json!({"key": "b", "content_base64": "AAEC/w=="})), 0, nfc).unwrap();
    match r {
        ToolRequest::PutObject(p) => {
            assert_eq!(p.body, Body::Bytes(vec![0, 1, 2, 255]));
            assert_eq!(p.content_type, "application/octet-stream");
        }
        other => panic!("{other:?}"),
    }
    assert!(parse(ToolName::PutObject, args(json!({"key": "b"})), 0, nfc).is_err());
    assert!(parse(ToolName::PutObject, args(json!({"key": "b", "content": "x", "content_base64": "eA=="})), 0, nfc).is_err());
    assert!(parse(ToolName::PutObject, args(json!({"key": "b", "content_base64": "***"})), 0, nfc).is_err());
}

#[test]
fn put_preconditions_are_if_match_or_create_only() {
    let r = parse(ToolName::PutObject, args(json!({"key": "b", "content": "x", "if_none_match": "*"})), 0, nfc).unwrap();
    assert!(matches!(r, ToolRequest::PutObject(PutObject { create_only: true, .. })));
    assert!(parse(ToolName::PutObject, args(json!({"key": "b", "content": "x", "if_none_match": "abc"})), 0, nfc).is_err());
    assert!(parse(
        ToolName::PutObject,
        args(json!({"key": "b", "content": "x", "if_none_match": "*", "if_match": "e"})),
        0,
        nfc
    )
    .is_err());
}

#[test]
fn put_over_limit_is_refused_with_the_limit() {
    let big = "x".repeat(MAX_PUT_BYTES + 1);
    let e = parse(ToolName::PutObject, args(json!({"key": "b", "content": big})), 0, nfc).unwrap_err();
    assert!(e.contains(&MAX_PUT_BYTES.to_string()));
}

#[test]
fn delete_takes_one_key_or_up_to_1000() {
    let r = parse(ToolName::DeleteObject, args(json!({"key": "a", "if_match": "e"})), 0, nfc).unwrap();
    assert_eq!(r, ToolRequest::DeleteObject(DeleteObject { keys: vec!["a".into()], if_match: Some("e".into()) }));
    let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    assert!(parse(ToolName::DeleteObject, args(json!({"keys": many})), 0, nfc).is_err());
    assert!(parse(ToolName::DeleteObject, args(json!({"keys": ["a"], "if_match": "e"})), 0, nfc).is_err());
    assert!(parse(ToolName::DeleteObject, args(json!({"key": "a", "keys": ["b"]})), 0, nfc).is_err());
    assert!(parse(ToolName::DeleteObject, args(json!({"keys": ["a", "../b"]})), 0, nfc).is_err());
}

#[test]
fn copy_and_move_validate_both_keys() {
    let ok = args(json!({"source_key": "a", "destination_key": "b", "if_none_match": "*"}));
    assert!(matches!(
        parse(ToolName::MoveObject, ok, 0, nfc),
        Ok(ToolRequest::MoveObject(CopyObject { create_only: true, .. }))
    ));
    assert!(parse(ToolName::CopyObject, args(json!({"source_key": "a", "destination_key": "/b"})), 0, nfc).is_err());
    assert!(parse(ToolName::CopyObject, args(json!({"source_key": "a", "destination_key": "a"})), 0, nfc).is_err());
}

#[test]
fn get_range_forms_are_exclusive() {
    assert!(parse(ToolName::GetObject, args(json!({"key": "a", "range": {"offset": 5, "length": 10}})), 0, nfc).is_ok());
    assert!(parse(ToolName::GetObject, args(json!({"key": "a", "range": {"suffix": 5, "offset": 1}})), 0, nfc).is_err());
    assert!(parse(ToolName::GetObject, args(json!({"key": "a", "range": {"length": 0}})), 0, nfc).is_err());
}

#[test]
fn undecodable_escape_does_not_hide_dot_segments_or_control_characters() {
    // Found by fuzzing (object_keys): `%d0a` decodes to bytes that are not UTF-8, which used to
    // stop the percent-decoding rounds, so the encoded DEL and `..` after it went unchecked.
    for k in ["n/%d0ab/%7F", "a/%ff/%2e%2e/b", "%2e%2e/%c3", "%ff/%2e%2e", "x/%80/%0a", "%252e%252e/%ff"] {
        assert!(validate_key(k, 10).is_err(), "{k:?}");
        assert!(validate_prefix(k, 10).is_err(), "{k:?}");
    }
    // Undecodable escapes alone are still ordinary (if odd) key text.
    for k in ["caf%e9", "%ff", "a/%d0ab/c"] {
        assert!(validate_key(k, 10).is_ok(), "{k:?}");
    }
}

#[test]
fn keys_and_prefixes_come_back_in_nfc_and_ascii_never_reaches_the_normalizer() {
    fn refuse(_: &str) -> String {
        panic!("ASCII and Latin-1 text is already NFC: the normalizer must not be called")
    }
    match parse(ToolName::HeadObject, args(json!({"key": "cafe\u{301}/x"})), 0, nfc) {
        Ok(ToolRequest::HeadObject(h)) => assert_eq!(h.key, "caf\u{e9}/x"),
        other => panic!("{other:?}"),
    }
    match parse(ToolName::ListObjects, args(json!({"prefix": "A\u{30a}/"})), 0, nfc) {
        Ok(ToolRequest::ListObjects(l)) => assert_eq!(l.prefix.as_deref(), Some("\u{c5}/")),
        other => panic!("{other:?}"),
    }
    match parse(ToolName::DeleteObject, args(json!({"keys": ["a", "caf\u{e9}", "cafe\u{301}"]})), 0, nfc) {
        Ok(ToolRequest::DeleteObject(d)) => assert_eq!(d.keys, vec!["a", "caf\u{e9}"], "one object, deleted once"),
        other => panic!("{other:?}"),
    }
    assert!(parse(ToolName::GetObject, args(json!({"key": "plain/caf\u{e9}.txt"})), 0, refuse).is_ok());
}

#[test]
fn a_copy_between_two_spellings_of_one_key_is_refused() {
    for tool in [ToolName::CopyObject, ToolName::MoveObject] {
        let e = parse(tool, args(json!({"source_key": "caf\u{e9}", "destination_key": "cafe\u{301}"})), 0, nfc).unwrap_err();
        assert!(e.contains("same object"), "{e}");
    }
}
