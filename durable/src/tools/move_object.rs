//! `move_object`: renames an object — `copy_object`, then the source's deletion. Same arguments,
//! rules and preconditions as `copy_object` (whose `Args`, `parse` and `apply` it reuses); if the
//! source cannot be deleted, both objects exist, the trail records the copy, and the answer says so.

use serde_json::{Map, Value};

use super::{copy_object, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;

pub use super::copy_object::Args;

pub const TOOL: Tool = Tool {
    name: "move_object",
    title: "Move an object",
    description: "Move (rename) an object: copy to the destination, then delete the source. Same preconditions as copy_object.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "source_key": { "type": "string" },
    "destination_key": { "type": "string" },
    "if_source_match": { "type": "string", "description": "Move only if the source etag equals this." },
    "if_match": { "type": "string", "description": "Replace the destination only if its etag equals this." },
    "if_none_match": { "const": "*", "description": "\"*\": only if the destination does not exist." }
  },
  "required": ["source_key", "destination_key"],
  "additionalProperties": false
}"##,
    output_schema: copy_object::TOOL.output_schema,
    // Not idempotent: a second call finds no source.
    annotations: Annotations { idempotent: false, ..Annotations::OVERWRITE },
    ui: Ui::None,
};

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    copy_object::parse_for(&TOOL, args, keys)
}

#[cfg(target_arch = "wasm32")]
pub async fn apply(io: &super::r2::Io<'_>, a: Args) -> super::ToolOutcome {
    copy_object::copy(io, a, true).await
}
