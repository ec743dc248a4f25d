//! One POST body → `jsonrpc::parse` → `dispatch::handle`, under the contexts the glue builds.
//!
//! Input: the first byte picks the context (bits: 0–1 era/session, 2 role, 3 conformance,
//! 4 initialized, 5 client declared sampling+elicitation, 6–7 key prefix length); the rest is the
//! body. Invariants: nothing panics; every reply is a JSON-RPC 2.0 object that serialises; error
//! statuses are ones the transport allows; a read-only caller never gets a write tool call; every
//! key handed to R2 passes the key rules; a 2026-07-28 request never starts or updates a session.
#![no_main]

use libfuzzer_sys::fuzz_target;
use r2_mcp_durable::mcp::dispatch::{self, Ctx};
use r2_mcp_durable::mcp::jsonrpc;
use r2_mcp_durable::mcp::outcome::Outcome;
use r2_mcp_durable::mcp::session::{SessionInit, SessionRecord};
use r2_mcp_durable::mcp::version::Version;
use r2_mcp_durable::storage::keys::MAX_R2_KEY_BYTES;
use r2_mcp_durable::tools::{Request as ToolRequest, Role};
use r2_mcp_fuzz::key_violation;
use serde_json::{json, Value};

fn session(version: Version, initialized: bool, caps: bool) -> SessionRecord {
    let caps = if caps { json!({"sampling": {}, "elicitation": {}, "roots": {}}) } else { json!({}) };
    let init = SessionInit { version, client_info: json!({"name": "fuzz", "version": "1"}), client_capabilities: caps };
    let mut s = SessionRecord::create(
        init,
        &[7u8; 32],
        r2_mcp_durable::mcp::session::Owner { user_key: "0123456789abcdef0123456789abcdef", grant_id: "g" },
        1_000,
    );
    s.initialized = initialized;
    s
}

fn check_keys(req: &ToolRequest, prefix_len: usize) {
    let keys: Vec<&str> = match req {
        ToolRequest::GetObject(a) | ToolRequest::UiGetObject(a) => vec![&a.key],
        ToolRequest::HeadObject(a) => vec![&a.key],
        ToolRequest::PutObject(a) | ToolRequest::UiPutObject(a) => vec![&a.key],
        ToolRequest::DeleteObject(a) | ToolRequest::UiDeleteObject(a) => a.keys.iter().map(String::as_str).collect(),
        ToolRequest::CopyObject(a) | ToolRequest::MoveObject(a) | ToolRequest::UiCopyObject(a) | ToolRequest::UiMoveObject(a) => {
            vec![&a.source_key, &a.destination_key]
        }
        ToolRequest::ListObjects(a) => a.prefix.iter().map(String::as_str).filter(|p| !p.is_empty()).collect(),
        ToolRequest::BrowseObjects(a) => a.prefix.iter().map(String::as_str).filter(|p| !p.is_empty()).collect(),
        ToolRequest::CreateDownloadLink(a) => vec![&a.key],
        ToolRequest::CreateUploadLink(a) => vec![&a.key],
        ToolRequest::RecentChanges(_) | ToolRequest::UiChanges(_) => vec![],
    };
    for k in keys {
        assert!(k.len() + prefix_len <= MAX_R2_KEY_BYTES, "key too long reached R2");
        if let Some(v) = key_violation(k) {
            panic!("key {k:?} reached R2 with {v}");
        }
    }
}

fn check_message(v: &Value) {
    assert_eq!(v.get("jsonrpc").and_then(Value::as_str), Some("2.0"), "not JSON-RPC 2.0: {v}");
    let has_result = v.get("result").is_some();
    let has_error = v.get("error").is_some();
    assert!(has_result ^ has_error, "exactly one of result/error: {v}");
    if let Some(e) = v.get("error") {
        assert!(e.get("code").and_then(Value::as_i64).is_some(), "error code: {v}");
        assert!(e.get("message").and_then(Value::as_str).is_some(), "error message: {v}");
    }
    assert!(serde_json::to_string(v).is_ok());
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let versions = [Version::V2025_03_26, Version::V2025_06_18, Version::V2025_11_25, Version::V2026_07_28];
    let version = versions[usize::from(sel & 3)];
    let record = session(version, sel & 0x10 != 0, sel & 0x20 != 0);
    let stateless = version.is_stateless();
    let ctx = Ctx {
        header_version: version,
        // Session era: the glue has loaded the session. 2026-07-28: none.
        session: if stateless { None } else { Some(&record) },
        role: if sel & 4 != 0 { Role::ReadOnly } else { Role::Writer },
        conformance: sel & 8 != 0,
        key_prefix_len: [0usize, 33, 200, 1000][usize::from(sel >> 6)],
        nfc: r2_mcp_fuzz::nfc,
    };

    let msg = match jsonrpc::parse(body) {
        Ok(m) => m,
        Err(f) => {
            // What the object answers to a body that does not parse (object::mcp_host::post).
            let (status, body) = dispatch::parse_failure(&f);
            assert_eq!(status, 400);
            check_message(&body);
            return;
        }
    };
    let is_initialize = msg.method() == Some("initialize");
    let is_request = matches!(msg, jsonrpc::Message::Request(_));
    match dispatch::handle(&ctx, msg) {
        Outcome::Reply { status, body } => {
            assert!(matches!(status, 200 | 400 | 404), "status {status}");
            check_message(&body);
        }
        Outcome::StartSession { init, body } => {
            assert!(is_initialize, "only initialize starts a session");
            assert!(init.version.is_session_based(), "initialize negotiates a session revision");
            check_message(&body);
        }
        Outcome::UpdateSession { record, body } => {
            assert!(!stateless, "2026-07-28 has no session to update");
            assert_eq!(record.id, ctx.session.map(|s| s.id.clone()).unwrap_or_default());
            assert!(record.subscriptions.len() <= dispatch::MAX_SUBSCRIPTIONS);
            if let Some(b) = body {
                check_message(&b);
            }
        }
        Outcome::CallTool { call, request } => {
            assert!(is_request);
            let writes = matches!(
                request,
                ToolRequest::PutObject(_)
                    | ToolRequest::DeleteObject(_)
                    | ToolRequest::CopyObject(_)
                    | ToolRequest::MoveObject(_)
                    | ToolRequest::CreateUploadLink(_)
                    | ToolRequest::UiPutObject(_)
                    | ToolRequest::UiDeleteObject(_)
                    | ToolRequest::UiCopyObject(_)
                    | ToolRequest::UiMoveObject(_)
            );
            assert_eq!(writes, request.tool().writes(), "the registry and the request agree on writes");
            assert!(!(writes && ctx.role == Role::ReadOnly), "a reader got a write call");
            assert_eq!(call.version.is_stateless(), stateless);
            check_keys(&request, ctx.key_prefix_len);
        }
        Outcome::ReadView { call } => {
            assert!(is_request);
            assert_eq!(call.version.is_stateless(), stateless);
        }
        Outcome::ReadResource { key, .. } => {
            if let Some(v) = key_violation(&key) {
                panic!("resources/read key {key:?} with {v}");
            }
        }
        Outcome::CompleteKeys { prefix, .. } => {
            // The glue lists R2 by this prefix: it must pass the key rules too (empty: everything).
            if !prefix.is_empty() {
                assert!(prefix.len() + ctx.key_prefix_len <= MAX_R2_KEY_BYTES);
                if let Some(v) = key_violation(&prefix) {
                    panic!("completion prefix {prefix:?} with {v}");
                }
            }
        }
        Outcome::Listen { ack, .. } => {
            assert!(stateless, "subscriptions/listen is 2026-07-28 only");
            assert!(serde_json::to_string(&ack).is_ok());
        }
        Outcome::Run { .. } => {
            assert!(ctx.conformance, "scripts are conformance fixtures only");
        }
        Outcome::ListResources { .. } | Outcome::Accepted | Outcome::Cancel { .. } | Outcome::ClientAnswer { .. } => {}
    }
});
