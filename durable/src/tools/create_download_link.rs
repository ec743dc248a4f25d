//! `create_download_link`: a short-lived https URL that serves one object to whoever holds it, so
//! an agent fetches a large object with `curl` instead of reading it through the model. A read:
//! it changes no object (readers may use it), and needs the object to exist now. The link, its
//! lifetime and what the Worker serves are [`crate::transfer`]; its creation is recorded in the
//! audit trail (`download_link`), and so are its uses (`download`).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;

pub const TOOL: Tool = Tool {
    name: "create_download_link",
    title: "Create a download link",
    description: "Create a short-lived https link that serves one object, whatever its size, to whoever holds it: download it with the returned `command` (curl) instead of reading it through get_object, which returns at most 1 MiB. The link answers GET and HEAD with Content-Type, Content-Length, ETag and Content-Disposition, byte ranges (Range → 206, for resuming with curl -C -) and If-None-Match/If-Match (304/412). It expires after `expires_in` seconds (default 900, at most 86400) or when your login ends; treat it as a secret.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "key": { "type": "string", "description": "Object key." },
    "expires_in": { "type": "integer", "minimum": 1, "maximum": 86400, "description": "Seconds the link works (default 900: 15 minutes)." }
  },
  "required": ["key"],
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": {
    "url": { "type": "string", "description": "GET it to download the object." },
    "key": { "type": "string" },
    "expires_at": { "type": "string" },
    "expires_in": { "type": "integer" },
    "size": { "type": "integer", "description": "The object's size now." },
    "etag": { "type": "string", "description": "The object's etag now." },
    "command": { "type": "string", "description": "A curl command that saves the object under its name." },
    "link": { "type": "string", "description": "The link's id, as the audit trail names it." }
  },
  "required": ["url", "key", "expires_at", "expires_in", "command"]
}"##,
    annotations: Annotations { read_only: true, destructive: false, idempotent: false, open_world: false },
    ui: Ui::None,
};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// In NFC, checked.
    pub key: String,
    /// Seconds, checked: 1 to 86,400 (absent: 900).
    pub expires_in: Option<u64>,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let mut a: Args = args::typed(TOOL.name, args)?;
    a.key = args::key(keys, TOOL.name, "key", a.key)?;
    a.expires_in = Some(crate::transfer::expires_in(a.expires_in, TOOL.name).map_err(ToolError::Invalid)?);
    Ok(a)
}

#[cfg(target_arch = "wasm32")]
pub use glue::apply;

#[cfg(target_arch = "wasm32")]
mod glue {
    use serde_json::json;

    use super::Args;
    use crate::mcp::tool_result::structured_result;
    use crate::storage::time::rfc3339;
    use crate::tools::links;
    use crate::tools::r2::{self, Io};
    use crate::tools::{ToolError, ToolOutcome};
    use crate::transfer::{self, Kind, LinkRecord};

    pub async fn apply(io: &Io<'_>, a: Args) -> ToolOutcome {
        let head = match r2::head(io.bucket, &io.ns.to_r2(&a.key), &a.key).await {
            Ok(Some(h)) => h,
            Ok(None) => return ToolOutcome::error(ToolError::NotFound(a.key)),
            Err(e) => return ToolOutcome::error(e),
        };
        let secs = a.expires_in.unwrap_or(transfer::DEFAULT_EXPIRES_SECS);
        let minted = match links::create(io, Kind::Download, &a.key, secs, LinkRecord::default()) {
            Ok(m) => m,
            Err(e) => return ToolOutcome::error(e),
        };
        ToolOutcome::read(structured_result(
            json!({
                "url": minted.url,
                "key": a.key,
                "expires_at": rfc3339(minted.expires_ms),
                "expires_in": secs,
                "size": head.size(),
                "etag": head.etag(),
                "command": transfer::download_command(&a.key, &minted.url),
                "link": minted.link_id,
            }),
            io.ctx.version,
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::tools::test_support::parsed;
    use serde_json::json;

    #[test]
    fn expiry_defaults_to_15_minutes_and_is_bounded() {
        assert_eq!(parsed(parse, json!({"key": "a"})).unwrap().expires_in, Some(900));
        assert!(parsed(parse, json!({"key": "a", "expires_in": 86_401})).unwrap_err().contains("expires_in"));
        assert!(parsed(parse, json!({"key": "../a"})).unwrap_err().starts_with("Invalid key for create_download_link"));
    }
}
