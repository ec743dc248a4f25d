//! Object keys: every R2 tool's argument parsing (`tools::REGISTRY`) with fuzzed JSON arguments,
//! key and prefix validation (`storage::keys`) on raw strings, and the `r2://objects/` resource URIs.
//!
//! Input: byte 0 picks the tool, byte 1 the namespace prefix length; the rest is the arguments
//! JSON (when it is an object) and, always, a raw key/prefix/URI candidate.
//! Invariants: nothing panics; every key or prefix accepted (directly or inside a tool call)
//! contains no control character, no leading `/` or `\` and no `.`/`..` segment, in its text and
//! after up to three rounds of bytewise percent-decoding, fits R2's 1024 bytes with the prefix,
//! and is in Unicode NFC (the one spelling R2 stores); a delete names each object once; resource
//! URIs of valid keys round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use r2_mcp_durable::mcp::resources;
use r2_mcp_durable::storage::keys::{self, KeyRules, MAX_R2_KEY_BYTES};
use r2_mcp_durable::tools::delete_object::MAX_BATCH;
use r2_mcp_durable::tools::put_object::{Body, MAX_METADATA_BYTES, MAX_PUT_BYTES};
use r2_mcp_durable::tools::{self, Request as ToolRequest};
use r2_mcp_fuzz::key_violation;
use serde_json::{Map, Value};

/// What a parsed tool call carries: also in Unicode NFC, the one spelling R2 stores (raw strings
/// that only the validator checked, below, are not normalized: that is the parser's job).
fn parsed(what: &str, k: &str, prefix_len: usize) {
    accepted(what, k, prefix_len);
    assert_eq!(r2_mcp_fuzz::nfc(k), k, "{what} {k:?} is not in NFC");
}

fn accepted(what: &str, k: &str, prefix_len: usize) {
    assert!(k.len() + prefix_len <= MAX_R2_KEY_BYTES, "{what} {k:?} too long");
    if let Some(v) = key_violation(k) {
        panic!("{what} {k:?} accepted with {v}");
    }
}

fn check_request(req: &ToolRequest, prefix_len: usize) {
    match req {
        ToolRequest::ListObjects(a) => {
            if let Some(p) = a.prefix.as_deref().filter(|p| !p.is_empty()) {
                parsed("prefix", p, prefix_len);
            }
            assert!(a.limit.is_none_or(|l| (1..=1000).contains(&l)));
        }
        ToolRequest::GetObject(a) | ToolRequest::UiGetObject(a) => {
            parsed("key", &a.key, prefix_len);
            if let Some(r) = &a.range {
                assert!(!(r.suffix.is_some() && (r.offset.is_some() || r.length.is_some())));
                assert!(r.suffix != Some(0) && r.length != Some(0));
            }
        }
        ToolRequest::HeadObject(a) => parsed("key", &a.key, prefix_len),
        ToolRequest::PutObject(a) | ToolRequest::UiPutObject(a) => {
            parsed("key", &a.key, prefix_len);
            let len = match &a.body {
                Body::Text(t) => t.len(),
                Body::Bytes(b) => b.len(),
            };
            assert!(len <= MAX_PUT_BYTES);
            assert!(a.custom_metadata.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() <= MAX_METADATA_BYTES);
            assert!(!a.content_type.is_empty() && a.content_type.len() <= 256 && !a.content_type.chars().any(char::is_control));
            assert!(!(a.create_only && a.if_match.is_some()));
        }
        ToolRequest::DeleteObject(a) | ToolRequest::UiDeleteObject(a) => {
            assert!(!a.keys.is_empty() && a.keys.len() <= MAX_BATCH);
            assert!(a.if_match.is_none() || a.keys.len() == 1);
            for k in &a.keys {
                parsed("key", k, prefix_len);
            }
            let distinct: std::collections::BTreeSet<&String> = a.keys.iter().collect();
            assert_eq!(distinct.len(), a.keys.len(), "a delete names each object once");
        }
        ToolRequest::CopyObject(a) | ToolRequest::MoveObject(a) | ToolRequest::UiCopyObject(a) | ToolRequest::UiMoveObject(a) => {
            parsed("source_key", &a.source_key, prefix_len);
            parsed("destination_key", &a.destination_key, prefix_len);
            assert_ne!(a.source_key, a.destination_key);
            assert!(!(a.create_only && a.if_match.is_some()));
        }
        ToolRequest::RecentChanges(a) | ToolRequest::UiChanges(a) => assert!(a.limit.is_none_or(|l| (1..=200).contains(&l))),
        ToolRequest::BrowseObjects(a) => {
            if let Some(p) = a.prefix.as_deref().filter(|p| !p.is_empty()) {
                parsed("prefix", p, prefix_len);
            }
            assert!(a.limit.is_none_or(|l| (1..=1000).contains(&l)));
        }
        ToolRequest::CreateDownloadLink(a) => {
            parsed("key", &a.key, prefix_len);
            assert!(a.expires_in.is_some_and(|s| (1..=86_400).contains(&s)));
        }
        ToolRequest::CreateUploadLink(a) => {
            parsed("key", &a.key, prefix_len);
            assert!((1..=86_400).contains(&a.expires_in));
            assert!(!(a.create_only && a.if_match.is_some()));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (Some(&t), Some(&p)) = (data.first(), data.get(1)) else { return };
    let rest = data.get(2..).unwrap_or_default();
    let tool = &tools::REGISTRY[usize::from(t) % tools::REGISTRY.len()];
    // 0–255, and now and then close to the limit.
    let prefix_len = if p >= 250 { 1000 + usize::from(p - 250) * 5 } else { usize::from(p) };

    let rules = KeyRules { prefix_len, nfc: r2_mcp_fuzz::nfc };
    if let Ok(Value::Object(args)) = serde_json::from_slice::<Value>(rest) {
        for args in [Some(args.clone()), None::<Map<String, Value>>] {
            match tool.parse(args, &rules) {
                Ok(req) => check_request(&req, prefix_len),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }

    let raw = String::from_utf8_lossy(rest);
    if keys::check_key(&raw, prefix_len).is_ok() {
        accepted("key", &raw, prefix_len);
        assert!(!raw.is_empty() && !raw.trim_end_matches('/').is_empty());
        // The resource URI of a valid key names that key.
        let uri = resources::uri_for_key(&raw);
        assert_eq!(resources::key_from_uri(&uri).as_deref(), Some(raw.as_ref()));
    }
    if keys::check_prefix(&raw, prefix_len).is_ok() && !raw.is_empty() {
        accepted("prefix", &raw, prefix_len);
    }
    // A URI from a client: what `resources/read` would hand to R2 after the key rules.
    if let Some(k) = resources::key_from_uri(&raw) {
        assert!(!k.is_empty());
        if keys::check_key(&k, prefix_len).is_ok() {
            accepted("resource key", &k, prefix_len);
        }
    }
});
