//! The fixtures against what `@modelcontextprotocol/conformance` 0.1.16 checks
//! (src/scenarios/server/*.ts), one test per scenario family.

use super::*;
use crate::mcp::outcome::{Finish, Step};

fn ctx<'a>(version: Version, params: Option<&'a Map<String, Value>>) -> CallCtx<'a> {
    CallCtx { version, progress_token: None, logs_allowed: true, client_has_sampling: true, client_has_elicitation: true, params }
}

fn result(name: &str) -> Value {
    match call_tool(name, &ctx(Version::V2025_11_25, None)).unwrap() {
        FixtureCall::Result(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn tools_list_every_tool_has_name_description_input_schema() {
    let t = tools();
    assert_eq!(t.len(), 14);
    for tool in &t {
        assert!(tool["name"].is_string() && tool["description"].is_string() && tool["inputSchema"].is_object());
    }
}

#[test]
fn json_schema_2020_12_keywords_are_preserved() {
    let t = tools().into_iter().find(|t| t["name"] == "json_schema_2020_12_tool").unwrap();
    let s = &t["inputSchema"];
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(s["$defs"]["address"].is_object());
    assert_eq!(s["additionalProperties"], false);
}

#[test]
fn content_tools_return_what_the_scenarios_check() {
    assert_eq!(result("test_simple_text")["content"][0]["text"], "This is a simple text response for testing.");
    let img = &result("test_image_content")["content"][0];
    assert_eq!((img["type"].as_str(), img["mimeType"].as_str()), (Some("image"), Some("image/png")));
    assert_eq!(result("test_audio_content")["content"][0]["mimeType"], "audio/wav");
    let r = &result("test_embedded_resource")["content"][0]["resource"];
    assert!(r["uri"].is_string() && r["mimeType"].is_string() && r["text"].is_string());
    let types: Vec<String> = result("test_multiple_content_types")["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, ["text", "image", "resource"]);
    let e = result("test_error_handling");
    assert_eq!(e["isError"], true);
    assert!(e["content"][0]["text"].is_string());
}

#[test]
fn embedded_png_and_wav_decode() {
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD.decode(PNG_BASE64).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let wav = base64::engine::general_purpose::STANDARD.decode(WAV_BASE64).unwrap();
    assert!(wav.starts_with(b"RIFF") && &wav[8..12] == b"WAVE");
}

#[test]
fn logging_tool_sends_three_info_messages_50ms_apart() {
    let FixtureCall::Script(s) = call_tool("test_tool_with_logging", &ctx(Version::V2025_11_25, None)).unwrap() else { panic!() };
    let logs: Vec<&Value> = s.steps.iter().filter_map(|s| if let Step::Notify(n) = s { Some(n) } else { None }).collect();
    assert_eq!(logs.len(), 3);
    assert!(logs.iter().all(|n| n["method"] == "notifications/message" && n["params"]["level"] == "info"));
    assert_eq!(s.steps.iter().filter(|s| matches!(s, Step::SleepMs(50))).count(), 2);
}

#[test]
fn sampling_asks_the_client_and_reports_its_answer() {
    let p = json!({"name": "test_sampling", "arguments": {"prompt": "Test prompt for sampling"}});
    let FixtureCall::Script(s) = call_tool("test_sampling", &ctx(Version::V2025_11_25, p.as_object())).unwrap() else { panic!() };
    let Step::Ask { method, params } = &s.steps[0] else { panic!() };
    assert_eq!(method, "sampling/createMessage");
    assert_eq!(params["messages"][0]["content"]["text"], "Test prompt for sampling");
    assert_eq!(params["maxTokens"], 100);
    assert_eq!(s.finish, Finish::FromAnswer("test_sampling"));
    let r = finish("test_sampling", Ok(&json!({"role": "assistant", "content": {"type": "text", "text": "hi"}})));
    assert_eq!(r["content"][0]["text"], "LLM response: hi");
}

#[test]
fn elicitation_without_client_capability_is_a_tool_error() {
    let p = json!({"arguments": {"message": "m"}});
    let mut c = ctx(Version::V2025_11_25, p.as_object());
    c.client_has_elicitation = false;
    let FixtureCall::Result(r) = call_tool("test_elicitation", &c).unwrap() else { panic!() };
    assert_eq!(r["isError"], true);
}

#[test]
fn elicitation_schema_requires_username_and_email() {
    let p = json!({"arguments": {"message": "Please provide your information"}});
    let FixtureCall::Script(s) = call_tool("test_elicitation", &ctx(Version::V2025_11_25, p.as_object())).unwrap() else { panic!() };
    let Step::Ask { params, .. } = &s.steps[0] else { panic!() };
    assert_eq!(params["requestedSchema"]["required"], json!(["username", "email"]));
}

fn asked_schema(name: &str) -> Value {
    let FixtureCall::Script(s) = call_tool(name, &ctx(Version::V2025_11_25, None)).unwrap() else { panic!() };
    let Step::Ask { params, .. } = &s.steps[0] else { panic!() };
    params["requestedSchema"]["properties"].clone()
}

#[test]
fn sep1034_defaults_cover_every_primitive_type() {
    let p = asked_schema("test_elicitation_sep1034_defaults");
    assert_eq!((p["name"]["type"].clone(), p["name"]["default"].clone()), (json!("string"), json!("John Doe")));
    assert_eq!((p["age"]["type"].clone(), p["age"]["default"].clone()), (json!("integer"), json!(30)));
    assert_eq!((p["score"]["type"].clone(), p["score"]["default"].clone()), (json!("number"), json!(95.5)));
    assert_eq!(p["status"]["default"], "active");
    assert!(p["status"]["enum"].as_array().unwrap().contains(&json!("active")));
    assert_eq!((p["verified"]["type"].clone(), p["verified"]["default"].clone()), (json!("boolean"), json!(true)));
}

#[test]
fn sep1330_enums_have_all_five_variants() {
    let p = asked_schema("test_elicitation_sep1330_enums");
    assert!(p["untitledSingle"]["enum"].is_array() && p["untitledSingle"].get("oneOf").is_none());
    assert!(p["titledSingle"]["oneOf"].as_array().unwrap().iter().all(|o| o["const"].is_string() && o["title"].is_string()));
    assert_eq!(p["legacyEnum"]["enum"].as_array().unwrap().len(), p["legacyEnum"]["enumNames"].as_array().unwrap().len());
    assert_eq!(p["untitledMulti"]["items"]["type"], "string");
    assert!(p["titledMulti"]["items"]["anyOf"].is_array() && p["titledMulti"]["items"].get("enum").is_none());
}

#[test]
fn on_2026_07_28_sampling_uses_mrtr_input_required_then_completes_on_retry() {
    let first = json!({"arguments": {"prompt": "p"}});
    let FixtureCall::Result(r) = call_tool("test_sampling", &ctx(Version::V2026_07_28, first.as_object())).unwrap() else { panic!() };
    assert_eq!(r["resultType"], "input_required");
    assert_eq!(r["inputRequests"]["sampling"]["method"], "sampling/createMessage");
    let retry = json!({"arguments": {"prompt": "p"}, "inputResponses": {"sampling": {"content": {"type": "text", "text": "ok"}}}});
    let FixtureCall::Result(r) = call_tool("test_sampling", &ctx(Version::V2026_07_28, retry.as_object())).unwrap() else { panic!() };
    assert_eq!(r["content"][0]["text"], "LLM response: ok");
}

#[test]
fn on_2026_07_28_missing_capability_is_32021() {
    let mut c = ctx(Version::V2026_07_28, None);
    c.client_has_elicitation = false;
    assert_eq!(call_tool("test_elicitation_sep1034_defaults", &c).unwrap_err().code, crate::mcp::jsonrpc::MISSING_CLIENT_CAPABILITY);
}

#[test]
fn reconnection_tool_disconnects_only_where_streams_resume() {
    let FixtureCall::Script(s) = call_tool("test_reconnection", &ctx(Version::V2025_11_25, None)).unwrap() else { panic!() };
    assert!(s.steps.iter().any(|s| matches!(s, Step::Disconnect { .. })));
    let FixtureCall::Script(s) = call_tool("test_reconnection", &ctx(Version::V2026_07_28, None)).unwrap() else { panic!() };
    assert!(!s.steps.iter().any(|s| matches!(s, Step::Disconnect { .. })));
}

#[test]
fn static_and_template_resources_read_as_the_scenarios_expect() {
    let t = read_resource("test://static-text").unwrap();
    assert_eq!(t["contents"][0]["text"], "This is the content of the static text resource.");
    assert!(read_resource("test://static-binary").unwrap()["contents"][0]["blob"].is_string());
    let d = read_resource("test://template/123/data").unwrap();
    assert_eq!(d["contents"][0]["uri"], "test://template/123/data");
    let text = d["contents"][0]["text"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), json!({"id": "123", "templateTest": true, "data": "Data for ID: 123"}));
    assert!(is_resource("test://watched-resource") && !is_resource("test://template//data"));
}

#[test]
fn prompts_substitute_arguments_and_embed_content() {
    assert!(prompts().iter().all(|p| p["name"].is_string() && p["description"].is_string()));
    let args = json!({"arg1": "testValue1", "arg2": "testValue2"});
    let r = get_prompt("test_prompt_with_arguments", args.as_object()).unwrap();
    let s = r.to_string();
    assert!(s.contains("testValue1") && s.contains("testValue2"));
    let args = json!({"resourceUri": "test://example-resource"});
    let r = get_prompt("test_prompt_with_embedded_resource", args.as_object()).unwrap();
    assert_eq!(r["messages"][0]["content"]["type"], "resource");
    let r = get_prompt("test_prompt_with_image", None).unwrap();
    assert_eq!(r["messages"][0]["content"]["mimeType"], "image/png");
    assert!(get_prompt("test_prompt_with_arguments", None).is_err());
}

#[test]
fn completion_for_fixture_prompt_returns_values_array() {
    assert_eq!(complete_prompt_argument("test_prompt_with_arguments", "par"), Some(vec!["paris".into(), "park".into(), "party".into()]));
    assert_eq!(complete_prompt_argument("test_prompt_with_arguments", "test"), Some(vec![]));
    assert_eq!(complete_prompt_argument("nope", ""), None);
}
