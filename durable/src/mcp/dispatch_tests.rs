//! Tests of dispatch, named after the spec rule they check (lifecycle, server/tools,
//! server/resources, utilities, 2026-07-28 versioning/subscriptions).

use super::*;
use crate::mcp::jsonrpc::{parse, INVALID_PARAMS, RESOURCE_NOT_FOUND};
#[cfg(feature = "conformance")]
use crate::mcp::outcome::{Finish, Step};

fn session(version: Version) -> SessionRecord {
    let init = SessionInit { version, client_info: json!({"name": "t"}), client_capabilities: json!({"sampling": {}, "elicitation": {}}) };
    let mut s = SessionRecord::create(init, &[1u8; 32], crate::mcp::session::Owner { user_key: "user-a", grant_id: "g" }, 0);
    s.initialized = true;
    s
}

/// NFC as the runtime's `String.prototype.normalize("NFC")` does it.
fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

fn ctx(s: Option<&SessionRecord>) -> Ctx<'_> {
    Ctx { header_version: Version::V2025_11_25, session: s, role: Role::Writer, conformance: false, key_prefix_len: 20, nfc }
}

fn run(c: &Ctx, body: Value) -> Outcome {
    handle(c, parse(body.to_string().as_bytes()).unwrap())
}

fn reply_body(o: Outcome) -> (u16, Value) {
    match o {
        Outcome::Reply { status, body } => (status, body),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn req(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
}

fn modern(method: &str, mut params: Value) -> Value {
    params["_meta"] =
        json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {"sampling": {}}});
    req(method, params)
}

#[test]
fn initialize_negotiates_and_starts_a_session() {
    let o = run(
        &ctx(None),
        req(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {"roots": {}}, "clientInfo": {"name": "c", "version": "1"}}),
        ),
    );
    let Outcome::StartSession { init, body } = o else { panic!() };
    assert_eq!(init.version, Version::V2025_06_18);
    assert_eq!(init.client_capabilities, json!({"roots": {}}));
    assert_eq!(body["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(body["id"], 1);
}

#[test]
fn initialize_with_unknown_version_answers_latest_session_version() {
    let o = run(&ctx(None), req("initialize", json!({"protocolVersion": "1999-01-01", "capabilities": {}})));
    let Outcome::StartSession { body, .. } = o else { panic!() };
    assert_eq!(body["result"]["protocolVersion"], "2025-11-25");
}

#[test]
fn initialize_without_protocol_version_is_invalid_params() {
    let (_, b) = reply_body(run(&ctx(None), req("initialize", json!({}))));
    assert_eq!(b["error"]["code"], INVALID_PARAMS);
}

#[test]
fn initialized_notification_marks_the_session_once() {
    let mut s = session(Version::V2025_11_25);
    s.initialized = false;
    let o = run(&ctx(Some(&s)), json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    assert!(matches!(o, Outcome::UpdateSession { record, body: None } if record.initialized));
    s.initialized = true;
    assert_eq!(run(&ctx(Some(&s)), json!({"jsonrpc": "2.0", "method": "notifications/initialized"})), Outcome::Accepted);
}

#[test]
fn ping_answers_empty_object() {
    let s = session(Version::V2025_11_25);
    let (status, b) = reply_body(run(&ctx(Some(&s)), req("ping", json!({}))));
    assert_eq!((status, b["result"].clone()), (200, json!({})));
}

#[test]
fn unknown_method_is_32601() {
    let s = session(Version::V2025_11_25);
    let (status, b) = reply_body(run(&ctx(Some(&s)), req("nope/nope", json!({}))));
    assert_eq!((status, b["error"]["code"].clone()), (200, json!(METHOD_NOT_FOUND)));
}

#[test]
fn session_era_request_without_session_is_400() {
    let (status, _) = reply_body(run(&ctx(None), req("tools/list", json!({}))));
    assert_eq!(status, 400);
}

#[test]
fn tools_list_shows_the_role_s_tools() {
    let s = session(Version::V2025_11_25);
    let (_, b) = reply_body(run(&ctx(Some(&s)), req("tools/list", json!({}))));
    assert_eq!(b["result"]["tools"].as_array().unwrap().len(), 17);
    let mut c = ctx(Some(&s));
    c.role = Role::ReadOnly;
    let (_, b) = reply_body(run(&c, req("tools/list", json!({}))));
    assert_eq!(b["result"]["tools"].as_array().unwrap().len(), 8);
    assert!(b["result"].get("nextCursor").is_none());
}

#[test]
fn tools_list_with_invalid_cursor_is_32602() {
    let s = session(Version::V2025_11_25);
    let (_, b) = reply_body(run(&ctx(Some(&s)), req("tools/list", json!({"cursor": "garbage!"}))));
    assert_eq!(b["error"]["code"], INVALID_PARAMS);
}

#[test]
fn tools_call_routes_valid_arguments_to_the_glue_with_progress_token() {
    let s = session(Version::V2025_11_25);
    let o = run(
        &ctx(Some(&s)),
        req("tools/call", json!({"name": "head_object", "arguments": {"key": "a.txt"}, "_meta": {"progressToken": "p1"}})),
    );
    let Outcome::CallTool { call, request } = o else { panic!("{o:?}") };
    assert_eq!(call.progress_token, Some(json!("p1")));
    assert!(matches!(request, tools::Request::HeadObject(h) if h.key == "a.txt"));
}

#[test]
fn bad_tool_arguments_are_a_tool_error_not_a_protocol_error() {
    let s = session(Version::V2025_11_25);
    let (_, b) = reply_body(run(&ctx(Some(&s)), req("tools/call", json!({"name": "get_object", "arguments": {"key": "../x"}}))));
    assert_eq!(b["result"]["isError"], true);
}

#[test]
fn unknown_tool_is_32602() {
    let s = session(Version::V2025_11_25);
    let (_, b) = reply_body(run(&ctx(Some(&s)), req("tools/call", json!({"name": "test_simple_text"}))));
    assert_eq!(b["error"]["code"], INVALID_PARAMS);
}

#[test]
fn read_only_role_calling_a_write_tool_gets_a_clear_tool_error() {
    let s = session(Version::V2025_11_25);
    let mut c = ctx(Some(&s));
    c.role = Role::ReadOnly;
    let (_, b) = reply_body(run(&c, req("tools/call", json!({"name": "put_object", "arguments": {"key": "a", "content": "x"}}))));
    assert_eq!(b["result"]["isError"], true);
    assert!(b["result"]["content"][0]["text"].as_str().unwrap().contains("read-only"));
}

#[test]
fn resources_read_of_our_uri_becomes_a_read_effect_and_foreign_uri_is_not_found() {
    let s = session(Version::V2025_11_25);
    let o = run(&ctx(Some(&s)), req("resources/read", json!({"uri": "r2://objects/notes/a%20b.md"})));
    assert!(matches!(o, Outcome::ReadResource { key, .. } if key == "notes/a b.md"));
    let (_, b) = reply_body(run(&ctx(Some(&s)), req("resources/read", json!({"uri": "r2://objects/%2e%2e/x"}))));
    assert_eq!(b["error"]["code"], RESOURCE_NOT_FOUND);
}

#[test]
fn subscribe_and_unsubscribe_update_the_session() {
    let s = session(Version::V2025_11_25);
    let o = run(&ctx(Some(&s)), req("resources/subscribe", json!({"uri": "r2://objects/a"})));
    let Outcome::UpdateSession { record, body: Some(b) } = o else { panic!() };
    assert!(record.subscriptions.contains("r2://objects/a"));
    assert_eq!(b["result"], json!({}));
    let o = run(&ctx(Some(&record)), req("resources/unsubscribe", json!({"uri": "r2://objects/a"})));
    assert!(matches!(o, Outcome::UpdateSession { record, .. } if record.subscriptions.is_empty()));
}

#[test]
fn set_level_stores_the_level_and_rejects_unknown_levels() {
    let s = session(Version::V2025_11_25);
    let o = run(&ctx(Some(&s)), req("logging/setLevel", json!({"level": "warning"})));
    assert!(matches!(o, Outcome::UpdateSession { record, .. } if record.log_level == Some(LogLevel::Warning)));
    let (_, b) = reply_body(run(&ctx(Some(&s)), req("logging/setLevel", json!({"level": "shout"}))));
    assert_eq!(b["error"]["code"], INVALID_PARAMS);
}

#[test]
fn completion_of_object_keys_is_an_effect() {
    let s = session(Version::V2025_11_25);
    let o = run(
        &ctx(Some(&s)),
        req(
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "r2://objects/{+key}"}, "argument": {"name": "key", "value": "no"}}),
        ),
    );
    assert!(matches!(o, Outcome::CompleteKeys { prefix, .. } if prefix == "no"));
}

#[test]
fn cancelled_notification_names_the_request() {
    let o = run(&ctx(None), json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "user"}}));
    assert_eq!(o, Outcome::Cancel { request_id: Id::Num(7), reason: Some("user".into()) });
}

#[test]
fn client_responses_are_handed_to_the_waiting_work() {
    let s = session(Version::V2025_11_25);
    let o = run(&ctx(Some(&s)), json!({"jsonrpc": "2.0", "id": "s-1", "result": {"action": "accept"}}));
    assert!(matches!(o, Outcome::ClientAnswer { id: Id::Str(i), outcome: Ok(_) } if i == "s-1"));
}

fn modern_ctx() -> Ctx<'static> {
    Ctx { header_version: Version::V2026_07_28, session: None, role: Role::Writer, conformance: false, key_prefix_len: 20, nfc }
}

#[test]
fn stateless_request_without_meta_is_400_invalid_params() {
    let (status, b) = reply_body(run(&modern_ctx(), req("tools/list", json!({}))));
    assert_eq!((status, b["error"]["code"].clone()), (400, json!(INVALID_PARAMS)));
}

#[test]
fn stateless_unknown_method_is_404_and_ping_is_gone() {
    let (status, b) = reply_body(run(&modern_ctx(), modern("ping", json!({}))));
    assert_eq!((status, b["error"]["code"].clone()), (404, json!(METHOD_NOT_FOUND)));
}

#[test]
fn stateless_results_carry_result_type_and_cache_hints() {
    let (_, b) = reply_body(run(&modern_ctx(), modern("tools/list", json!({}))));
    assert_eq!(b["result"]["resultType"], "complete");
    assert!(b["result"]["ttlMs"].is_u64());
}

#[test]
fn server_discover_lists_supported_versions() {
    let (_, b) = reply_body(run(&modern_ctx(), modern("server/discover", json!({}))));
    assert_eq!(b["result"]["supportedVersions"][0], "2026-07-28");
}

#[test]
fn listen_acknowledges_only_what_it_honours_tagged_with_the_request_id() {
    let o = run(
        &modern_ctx(),
        modern(
            "subscriptions/listen",
            json!({"notifications": {"toolsListChanged": true, "promptsListChanged": true, "resourceSubscriptions": ["r2://objects/a", "file:///etc"]}}),
        ),
    );
    let Outcome::Listen { filter, ack, .. } = o else { panic!() };
    assert!(filter.tools_list_changed && !filter.prompts_list_changed);
    assert_eq!(ack["params"]["notifications"], json!({"toolsListChanged": true, "resourceSubscriptions": ["r2://objects/a"]}));
    assert_eq!(ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 1);
}

#[test]
fn stateless_has_no_subscribe_or_set_level() {
    for m in ["resources/subscribe", "logging/setLevel"] {
        let (status, _) = reply_body(run(&modern_ctx(), modern(m, json!({"uri": "r2://objects/a", "level": "info"}))));
        assert_eq!(status, 404, "{m}");
    }
}

#[test]
#[cfg(feature = "conformance")]
fn conformance_fixtures_are_hidden_unless_enabled() {
    let s = session(Version::V2025_11_25);
    let mut c = ctx(Some(&s));
    let (_, b) = reply_body(run(&c, req("prompts/list", json!({}))));
    assert_eq!(b["result"]["prompts"], json!([]));
    c.conformance = true;
    let (_, b) = reply_body(run(&c, req("tools/list", json!({}))));
    assert!(b["result"]["tools"].as_array().unwrap().iter().any(|t| t["name"] == "test_simple_text"));
    let (_, b) = reply_body(run(&c, req("tools/call", json!({"name": "test_simple_text"}))));
    assert_eq!(b["result"]["content"][0]["text"], "This is a simple text response for testing.");
}

#[test]
#[cfg(feature = "conformance")]
fn conformance_progress_tool_streams_three_increasing_notifications() {
    let s = session(Version::V2025_11_25);
    let mut c = ctx(Some(&s));
    c.conformance = true;
    let o = run(
        &c,
        req("tools/call", json!({"name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": "progress-test-1"}})),
    );
    let Outcome::Run { script, .. } = o else { panic!() };
    let progress: Vec<u64> = script
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Notify(n) => n["params"]["progress"].as_u64(),
            _ => None,
        })
        .collect();
    assert_eq!(progress, [0, 50, 100]);
    assert!(matches!(script.finish, Finish::Result(_)));
}

#[test]
fn unicode_equivalent_spellings_of_a_key_are_one_object() {
    let s = session(Version::V2025_11_25);
    let c = ctx(Some(&s));
    // café with U+00E9, and with e + U+0301: R2 stores both as the first.
    let (nfc_key, nfd_key) = ("caf\u{e9}", "cafe\u{301}");
    match run(&c, json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_object","arguments":{"key": nfd_key}}})) {
        Outcome::CallTool { request: tools::Request::GetObject(g), .. } => assert_eq!(g.key, nfc_key),
        other => panic!("{other:?}"),
    }
    for tool in ["move_object", "copy_object"] {
        let (status, body) = reply_body(run(
            &c,
            json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name": tool,
            "arguments":{"source_key": nfc_key, "destination_key": nfd_key}}}),
        ));
        assert_eq!(status, 200);
        assert_eq!(body["result"]["isError"], true, "{tool}: {body}");
        assert!(body["result"]["content"][0]["text"].as_str().unwrap_or("").contains("same object"), "{body}");
    }
}

#[test]
fn subscriptions_keep_one_canonical_uri_for_every_spelling_of_a_key() {
    let s = session(Version::V2025_11_25);
    let c = ctx(Some(&s));
    let subscribe = |uri: &str| match run(&c, json!({"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri": uri}})) {
        Outcome::UpdateSession { record, .. } => record.subscriptions,
        other => panic!("{other:?}"),
    };
    let nfd = subscribe("r2://objects/cafe%CC%81");
    let nfc = subscribe("r2://objects/caf%C3%A9");
    assert_eq!(nfd, nfc);
    assert_eq!(nfd.into_iter().collect::<Vec<_>>(), vec![crate::mcp::resources::uri_for_key("caf\u{e9}")]);
}

#[test]
fn an_initialize_with_an_oversized_client_declaration_is_invalid_params_and_starts_nothing() {
    let c = ctx(None);
    let big = "x".repeat(MAX_CLIENT_DECLARATION_BYTES);
    for params in [
        json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": big, "version": "1"}}),
        json!({"protocolVersion": "2025-11-25", "capabilities": {"experimental": {"x": big}}, "clientInfo": {"name": "c", "version": "1"}}),
    ] {
        let (status, body) = reply_body(run(&c, json!({"jsonrpc":"2.0","id":1,"method":"initialize","params": params})));
        assert_eq!(status, 200);
        assert_eq!(body["error"]["code"], INVALID_PARAMS, "{body}");
    }
    let ok = json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x".repeat(1000), "version": "1"}});
    assert!(matches!(run(&c, json!({"jsonrpc":"2.0","id":1,"method":"initialize","params": ok})), Outcome::StartSession { .. }));
}

#[test]
fn the_object_browser_page_is_listed_first_and_read_in_both_eras() {
    let s = session(Version::V2025_11_25);
    for c in [ctx(Some(&s)), Ctx { header_version: Version::V2026_07_28, ..ctx(None) }] {
        let modern_era = c.header_version.is_stateless();
        let body = |m: &str, p: Value| if modern_era { modern(m, p) } else { req(m, p) };
        match run(&c, body("resources/list", json!({}))) {
            Outcome::ListResources { cursor: None, extra, .. } => assert_eq!(extra, vec![crate::mcp::app::view_resource()]),
            other => panic!("{other:?}"),
        }
        let next = crate::mcp::pagination::Cursor::Upstream("r2".into()).encode();
        match run(&c, body("resources/list", json!({"cursor": next}))) {
            Outcome::ListResources { extra, .. } => assert!(extra.is_empty(), "only on the first page"),
            other => panic!("{other:?}"),
        }
        let o = run(&c, body("resources/read", json!({"uri": crate::mcp::app::VIEW_URI})));
        assert!(matches!(o, Outcome::ReadView { .. }), "{o:?}");
        let (_, b) = reply_body(run(&c, body("resources/read", json!({"uri": "ui://r2/other"}))));
        assert!(b["error"].is_object());
    }
}

#[test]
fn both_eras_list_browse_objects_with_the_same_app_metadata() {
    let s = session(Version::V2025_11_25);
    let tools = |c: &Ctx, b: Value| {
        let (_, body) = reply_body(run(c, b));
        body["result"]["tools"].as_array().unwrap().iter().map(|t| (t["name"].clone(), t.get("_meta").cloned())).collect::<Vec<_>>()
    };
    let session_era = tools(&ctx(Some(&s)), req("tools/list", json!({})));
    let stateless = tools(&Ctx { header_version: Version::V2026_07_28, ..ctx(None) }, modern("tools/list", json!({})));
    assert_eq!(session_era, stateless);
    assert!(session_era.iter().any(|(n, m)| n == "browse_objects" && m.is_some()));
}
