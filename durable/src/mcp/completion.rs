//! `completion/complete` (server/utilities/completion): object keys for our resource template
//! (an effect: the glue lists R2 by prefix) and static values for the fixture prompts.

use serde_json::{Map, Value};

use super::conformance;
use super::dispatch::{ok, Ctx};
use super::jsonrpc::{self, RpcError};
use super::outcome::{Call, Outcome};
use super::resources;

/// `completion/complete` (server/utilities/completion): object keys for our template, static
/// values for fixture prompts.
pub(super) fn complete(ctx: &Ctx, call: &Call, p: Option<&Map<String, Value>>) -> Result<Option<Outcome>, RpcError> {
    let r = p.and_then(|p| p.get("ref")).ok_or_else(|| RpcError::invalid_params("Invalid params: ref is required"))?;
    let arg = p.and_then(|p| p.get("argument")).ok_or_else(|| RpcError::invalid_params("Invalid params: argument is required"))?;
    let arg_name = arg.get("name").and_then(Value::as_str).unwrap_or("");
    let value = arg.get("value").and_then(Value::as_str).unwrap_or("");
    match r.get("type").and_then(Value::as_str) {
        Some("ref/resource") if r.get("uri").and_then(Value::as_str) == Some(resources::URI_TEMPLATE) && arg_name == "key" => {
            match ctx.keys().prefix(value.to_owned()) {
                Ok(prefix) => Ok(Some(Outcome::CompleteKeys { call: call.clone(), prefix })),
                Err(_) => ok(call, resources::completion_result(Vec::new(), false)),
            }
        }
        Some("ref/resource") => ok(call, resources::completion_result(Vec::new(), false)),
        Some("ref/prompt") if ctx.fixtures() => {
            let name = r.get("name").and_then(Value::as_str).unwrap_or("");
            match conformance::complete_prompt_argument(name, value) {
                Some(values) => ok(call, resources::completion_result(values, false)),
                None => Err(RpcError::invalid_params(format!("Unknown prompt: {}", jsonrpc::clip(name, 100)))),
            }
        }
        Some("ref/prompt") => Err(RpcError::invalid_params("Unknown prompt")),
        _ => Err(RpcError::invalid_params("Invalid params: ref.type must be ref/prompt or ref/resource")),
    }
}
