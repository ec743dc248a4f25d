//! Fixtures for the `@modelcontextprotocol/conformance` server suite (pinned 0.1.16): its test
//! tools, resources and prompts, exactly as its scenarios check them. Served only when the
//! context enables them (`MCP_CONFORMANCE=1`); never in production.
//!
//! Definitions are data (`conformance.json`); behaviour is here. Fixtures that talk mid-call
//! (logging, progress, sampling, elicitation, reconnection) return a [`Script`] the glue streams.
//! On 2026-07-28 sampling and elicitation use Multi Round-Trip Requests instead: the first call
//! returns `input_required`, the retry carries `inputResponses` (basic/patterns/mrtr).

use serde_json::{json, Map, Value};

use super::jsonrpc::RpcError;
use super::meta;
use super::outcome::{Finish, Script, Step};
use super::version::Version;

pub const FIXTURES_JSON: &str = include_str!("conformance.json");
/// 1×1 red PNG.
pub const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
/// Eight samples of 8 kHz 8-bit silence.
pub const WAV_BASE64: &str = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==";

fn section(name: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(FIXTURES_JSON)
        .ok()
        .and_then(|mut v| v.get_mut(name).map(Value::take))
        .and_then(|v| if let Value::Array(a) = v { Some(a) } else { None })
        .unwrap_or_default()
}

pub fn tools() -> Vec<Value> {
    section("tools")
}
pub fn resources() -> Vec<Value> {
    section("resources")
}
pub fn resource_templates() -> Vec<Value> {
    section("resourceTemplates")
}
pub fn prompts() -> Vec<Value> {
    section("prompts")
}

pub fn is_tool(name: &str) -> bool {
    tools().iter().any(|t| t["name"] == name)
}

/// What the caller knows about the client for a fixture call.
pub struct CallCtx<'a> {
    pub version: Version,
    pub progress_token: Option<&'a Value>,
    pub logs_allowed: bool,
    pub client_has_sampling: bool,
    pub client_has_elicitation: bool,
    pub params: Option<&'a Map<String, Value>>,
}

/// A fixture call's immediate effect.
#[derive(Clone, Debug, PartialEq)]
pub enum FixtureCall {
    /// The `tools/call` result (including `input_required` results on 2026-07-28).
    Result(Value),
    /// Stream these steps, then finish.
    Script(Script),
}

fn text(t: &str) -> Value {
    json!({ "type": "text", "text": t })
}
fn done(content: Vec<Value>) -> Result<FixtureCall, RpcError> {
    Ok(FixtureCall::Result(json!({ "content": content })))
}
fn log(msg: &str) -> Step {
    Step::Notify(super::jsonrpc::notification("notifications/message", json!({ "level": "info", "logger": "conformance", "data": msg })))
}

fn string_arg<'a>(c: &'a CallCtx, name: &str) -> Option<&'a str> {
    c.params?.get("arguments")?.get(name)?.as_str()
}

/// Calls fixture tool `name`. Unknown names are the caller's concern (`is_tool` first).
pub fn call_tool(name: &str, c: &CallCtx) -> Result<FixtureCall, RpcError> {
    match name {
        "test_simple_text" => done(vec![text("This is a simple text response for testing.")]),
        "test_image_content" => done(vec![json!({ "type": "image", "data": PNG_BASE64, "mimeType": "image/png" })]),
        "test_audio_content" => done(vec![json!({ "type": "audio", "data": WAV_BASE64, "mimeType": "audio/wav" })]),
        "test_embedded_resource" => done(vec![json!({ "type": "resource", "resource": {
            "uri": "test://embedded-resource", "mimeType": "text/plain", "text": "This is an embedded resource content." } })]),
        "test_multiple_content_types" => done(vec![
            text("Multiple content types test:"),
            json!({ "type": "image", "data": PNG_BASE64, "mimeType": "image/png" }),
            json!({ "type": "resource", "resource": { "uri": "test://mixed-content-resource", "mimeType": "application/json", "text": "{\"test\":\"data\",\"value\":123}" } }),
        ]),
        "test_error_handling" => {
            Ok(FixtureCall::Result(json!({ "isError": true, "content": [text("This tool intentionally returns an error for testing")] })))
        }
        "json_schema_2020_12_tool" => done(vec![text("json_schema_2020_12_tool called")]),
        "test_tool_with_logging" => {
            let mut steps = Vec::new();
            if c.logs_allowed {
                steps = vec![
                    log("Tool execution started"),
                    Step::SleepMs(50),
                    log("Tool processing data"),
                    Step::SleepMs(50),
                    log("Tool execution completed"),
                ];
            }
            Ok(FixtureCall::Script(Script {
                steps,
                finish: Finish::Result(json!({ "content": [text("Tool with logging executed successfully")] })),
            }))
        }
        "test_tool_with_progress" => {
            let mut steps = Vec::new();
            for (i, p) in [0u32, 50, 100].into_iter().enumerate() {
                if i > 0 {
                    steps.push(Step::SleepMs(50));
                }
                if let Some(t) = c.progress_token {
                    steps.push(Step::Notify(super::jsonrpc::notification(
                        "notifications/progress",
                        json!({ "progressToken": t, "progress": p, "total": 100 }),
                    )));
                }
            }
            Ok(FixtureCall::Script(Script {
                steps,
                finish: Finish::Result(json!({ "content": [text("Tool with progress executed successfully")] })),
            }))
        }
        "test_reconnection" => {
            let mut steps = vec![Step::SleepMs(50)];
            if c.version.is_session_based() {
                steps.push(Step::Disconnect { retry_ms: 500 });
                steps.push(Step::SleepMs(200));
            }
            Ok(FixtureCall::Script(Script { steps, finish: Finish::Result(json!({ "content": [text("Reconnection test completed")] })) }))
        }
        "test_sampling" => {
            let Some(prompt) = string_arg(c, "prompt") else {
                return done_error("Invalid arguments for test_sampling: prompt (string) is required");
            };
            let params = json!({ "messages": [{ "role": "user", "content": text(prompt) }], "maxTokens": 100 });
            ask(c, "test_sampling", "sampling", c.client_has_sampling, "sampling/createMessage", params)
        }
        "test_elicitation" => {
            let Some(message) = string_arg(c, "message") else {
                return done_error("Invalid arguments for test_elicitation: message (string) is required");
            };
            let params = json!({ "message": message, "requestedSchema": {
                "type": "object",
                "properties": {
                    "username": { "type": "string", "description": "User's response" },
                    "email": { "type": "string", "description": "User's email address" } },
                "required": ["username", "email"] } });
            ask(c, "test_elicitation", "elicitation", c.client_has_elicitation, "elicitation/create", params)
        }
        "test_elicitation_sep1034_defaults" => {
            let params = json!({ "message": "Please review and update the form fields with defaults", "requestedSchema": {
                "type": "object",
                "properties": {
                    "name": { "type": "string", "description": "User name", "default": "John Doe" },
                    "age": { "type": "integer", "description": "User age", "default": 30 },
                    "score": { "type": "number", "description": "User score", "default": 95.5 },
                    "status": { "type": "string", "description": "User status", "enum": ["active", "inactive", "pending"], "default": "active" },
                    "verified": { "type": "boolean", "description": "Verification status", "default": true } } } });
            ask(c, "test_elicitation_sep1034_defaults", "elicitation", c.client_has_elicitation, "elicitation/create", params)
        }
        "test_elicitation_sep1330_enums" => {
            let params = json!({ "message": "Please select options from the enum fields", "requestedSchema": {
                "type": "object",
                "properties": {
                    "untitledSingle": { "type": "string", "description": "Untitled single-select", "enum": ["option1", "option2", "option3"] },
                    "titledSingle": { "type": "string", "description": "Titled single-select", "oneOf": [
                        { "const": "value1", "title": "First Option" }, { "const": "value2", "title": "Second Option" }, { "const": "value3", "title": "Third Option" } ] },
                    "legacyEnum": { "type": "string", "description": "Legacy titled enum", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"] },
                    "untitledMulti": { "type": "array", "description": "Untitled multi-select", "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
                    "titledMulti": { "type": "array", "description": "Titled multi-select", "items": { "anyOf": [
                        { "const": "value1", "title": "First Choice" }, { "const": "value2", "title": "Second Choice" }, { "const": "value3", "title": "Third Choice" } ] } } } } });
            ask(c, "test_elicitation_sep1330_enums", "elicitation", c.client_has_elicitation, "elicitation/create", params)
        }
        _ => Err(RpcError::invalid_params(format!("Unknown tool: {}", super::jsonrpc::clip(name, 100)))),
    }
}

fn done_error(msg: &str) -> Result<FixtureCall, RpcError> {
    Ok(FixtureCall::Result(super::tool_result::error_result(msg)))
}

/// A server→client request: a streamed `Ask` in the session era, MRTR on 2026-07-28.
fn ask(c: &CallCtx, fixture: &'static str, capability: &str, has: bool, method: &str, mut params: Value) -> Result<FixtureCall, RpcError> {
    if c.version.is_stateless() {
        if !has {
            return Err(meta::missing_capability(&[capability]));
        }
        if let Some(answer) = c.params.and_then(|p| p.get("inputResponses")).and_then(|r| r.get(capability)) {
            return Ok(FixtureCall::Result(finish(fixture, Ok(answer))));
        }
        if method == "elicitation/create" {
            params["mode"] = "form".into();
        }
        return Ok(FixtureCall::Result(json!({
            "resultType": "input_required",
            "inputRequests": { capability: { "method": method, "params": params } },
        })));
    }
    if !has {
        return done_error(&format!("The client did not declare the {capability} capability, so {fixture} cannot run."));
    }
    Ok(FixtureCall::Script(Script { steps: vec![Step::Ask { method: method.into(), params }], finish: Finish::FromAnswer(fixture) }))
}

/// The final result of an asking fixture, from the client's answer.
pub fn finish(fixture: &str, answer: Result<&Value, &RpcError>) -> Value {
    let a = match answer {
        Ok(a) => a,
        Err(e) => return super::tool_result::error_result(format!("The client refused the request: {} ({})", e.message, e.code)),
    };
    let line = match fixture {
        "test_sampling" => {
            let t = a.get("content").and_then(|c| c.get("text")).and_then(Value::as_str).unwrap_or("");
            format!("LLM response: {t}")
        }
        "test_elicitation" => format!(
            "User response: action={}, content={}",
            a["action"].as_str().unwrap_or("unknown"),
            a.get("content").cloned().unwrap_or(Value::Null)
        ),
        _ => format!(
            "Elicitation completed: action={}, content={}",
            a["action"].as_str().unwrap_or("unknown"),
            a.get("content").cloned().unwrap_or(Value::Null)
        ),
    };
    json!({ "content": [text(&line)] })
}

/// `resources/read` of a fixture URI; `None` when it is not one.
pub fn read_resource(uri: &str) -> Option<Value> {
    let content = match uri {
        "test://static-text" => {
            json!({ "uri": uri, "mimeType": "text/plain", "text": "This is the content of the static text resource." })
        }
        "test://static-binary" => {
            json!({ "uri": uri, "mimeType": "image/png", "blob": PNG_BASE64 })
        }
        "test://watched-resource" => {
            json!({ "uri": uri, "mimeType": "text/plain", "text": "Watched resource content." })
        }
        _ => {
            let id = uri.strip_prefix("test://template/")?.strip_suffix("/data")?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            let body = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
            json!({ "uri": uri, "mimeType": "application/json", "text": body.to_string() })
        }
    };
    Some(json!({ "contents": [content] }))
}

/// Whether a URI names a fixture resource (for subscribe).
pub fn is_resource(uri: &str) -> bool {
    read_resource(uri).is_some()
}

/// `prompts/get` for a fixture prompt.
pub fn get_prompt(name: &str, args: Option<&Map<String, Value>>) -> Result<Value, RpcError> {
    let arg = |k: &str| -> Result<String, RpcError> {
        args.and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| RpcError::invalid_params(format!("Missing required argument: {k}")))
    };
    let user = |content: Value| json!({ "role": "user", "content": content });
    let messages = match name {
        "test_simple_prompt" => vec![user(text("This is a simple prompt for testing."))],
        "test_prompt_with_arguments" => {
            let (a1, a2) = (arg("arg1")?, arg("arg2")?);
            vec![user(text(&format!("Prompt with arguments: arg1='{a1}', arg2='{a2}'")))]
        }
        "test_prompt_with_embedded_resource" => {
            let uri = arg("resourceUri")?;
            vec![
                user(
                    json!({ "type": "resource", "resource": { "uri": uri, "mimeType": "text/plain", "text": "Embedded resource content for testing." } }),
                ),
                user(text("Please process the embedded resource above.")),
            ]
        }
        "test_prompt_with_image" => vec![
            user(json!({ "type": "image", "data": PNG_BASE64, "mimeType": "image/png" })),
            user(text("Please analyze the image above.")),
        ],
        _ => return Err(RpcError::invalid_params(format!("Unknown prompt: {}", super::jsonrpc::clip(name, 100)))),
    };
    Ok(json!({ "messages": messages }))
}

/// Completion values for fixture prompt arguments (minimal, as the suite allows).
pub fn complete_prompt_argument(prompt: &str, value: &str) -> Option<Vec<String>> {
    prompts()
        .iter()
        .any(|p| p["name"] == prompt)
        .then(|| ["paris", "park", "party"].iter().filter(|v| v.starts_with(value)).map(|v| (*v).to_owned()).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
#[path = "conformance_tests.rs"]
mod tests;
