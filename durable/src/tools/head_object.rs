//! `head_object`: an object's metadata only — size, etag, content type, custom metadata, upload
//! time. A read: straight to R2.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;

pub const TOOL: Tool = Tool {
    name: "head_object",
    title: "Object metadata",
    description: "Read an object's metadata only: size, etag, content type, custom metadata and upload time.",
    input_schema: r##"{
  "type": "object",
  "properties": { "key": { "type": "string", "description": "Object key." } },
  "required": ["key"],
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": {
    "key": { "type": "string" },
    "size": { "type": "integer" },
    "etag": { "type": "string" },
    "content_type": { "type": ["string", "null"] },
    "custom_metadata": { "type": "object", "additionalProperties": { "type": "string" } },
    "uploaded": { "type": "string" }
  },
  "required": ["key", "size", "etag", "custom_metadata", "uploaded"]
}"##,
    annotations: Annotations::READ,
    ui: Ui::None,
};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// In NFC, checked.
    pub key: String,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let a: Args = args::typed(TOOL.name, args)?;
    Ok(Args { key: args::key(keys, TOOL.name, "key", a.key)? })
}

#[cfg(target_arch = "wasm32")]
pub use glue::apply;

#[cfg(target_arch = "wasm32")]
mod glue {
    use serde_json::json;

    use super::Args;
    use crate::mcp::tool_result::structured_result;
    use crate::tools::r2::{self, Io};
    use crate::tools::{ToolError, ToolOutcome};

    pub async fn apply(io: &Io<'_>, a: Args) -> ToolOutcome {
        match r2::head(io.bucket, &io.ns.to_r2(&a.key), &a.key).await {
            Err(e) => ToolOutcome::error(e),
            Ok(None) => ToolOutcome::error(ToolError::NotFound(a.key)),
            Ok(Some(o)) => ToolOutcome::read(structured_result(
                json!({
                    "key": a.key,
                    "size": o.size(),
                    "etag": o.etag(),
                    "content_type": r2::content_type(&o),
                    "custom_metadata": r2::custom_metadata_json(&o),
                    "uploaded": r2::uploaded(&o),
                }),
                io.ctx.version,
            )),
        }
    }
}
