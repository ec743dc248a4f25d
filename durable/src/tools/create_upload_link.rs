//! `create_upload_link`: a short-lived https URL that takes one upload of one object, streamed
//! into R2, so an agent uploads a large file with `curl` instead of sending it through the model.
//! A write tool: readers neither see nor call it. The upload itself is applied in the user's
//! write queue when it completes, with its preconditions checked then (see [`crate::transfer`]);
//! they are also checked now, so a link that could never succeed is refused at once.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;

pub const TOOL: Tool = Tool {
    name: "create_upload_link",
    title: "Create an upload link",
    description: "Create a short-lived https link that takes one upload of one object, of any size, streamed into storage: upload with the returned `command` (curl -T) instead of sending the content through put_object, which takes at most 10 MiB. Bodies above `max_request_bytes` (100 MB by default) go up in parts through the same link (`parts_command`). `if_match` / `if_none_match: \"*\"` are checked when the upload is applied. The link takes one upload, and expires after `expires_in` seconds (default 900, at most 86400) or when your login ends; treat it as a secret.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "key": { "type": "string", "description": "Object key to write." },
    "content_type": { "type": "string", "description": "MIME type to store; default: the upload's Content-Type header, else application/octet-stream." },
    "max_size": { "type": "integer", "minimum": 0, "description": "Largest object accepted, in bytes." },
    "if_match": { "type": "string", "description": "Apply the upload only if the object's etag then equals this." },
    "if_none_match": { "const": "*", "description": "\"*\": apply the upload only if the key does not exist then." },
    "expires_in": { "type": "integer", "minimum": 1, "maximum": 86400, "description": "Seconds the link works (default 900: 15 minutes)." }
  },
  "required": ["key"],
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": {
    "url": { "type": "string", "description": "PUT the body to it (one upload)." },
    "key": { "type": "string" },
    "expires_at": { "type": "string" },
    "expires_in": { "type": "integer" },
    "max_size": { "type": ["integer", "null"] },
    "max_request_bytes": { "type": "integer", "description": "The largest body one PUT takes; larger files go up in parts." },
    "command": { "type": "string", "description": "A curl command that uploads a file in one request." },
    "parts_command": { "type": "string", "description": "Shell commands that upload a file in parts of 95 MiB, then complete it." },
    "link": { "type": "string", "description": "The link's id, as the audit trail names it." }
  },
  "required": ["url", "key", "expires_at", "expires_in", "max_request_bytes", "command", "parts_command"]
}"##,
    annotations: Annotations { read_only: false, destructive: true, idempotent: false, open_world: false },
    ui: Ui::None,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    key: String,
    content_type: Option<String>,
    max_size: Option<u64>,
    if_match: Option<String>,
    if_none_match: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    /// In NFC, checked.
    pub key: String,
    pub content_type: Option<String>,
    pub max_size: Option<u64>,
    pub if_match: Option<String>,
    /// `if_none_match: "*"`.
    pub create_only: bool,
    /// Seconds, checked.
    pub expires_in: u64,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let a: Raw = args::typed(TOOL.name, args)?;
    let key = args::key(keys, TOOL.name, "key", a.key)?;
    let create_only = args::create_only(a.if_none_match.as_deref(), TOOL.name)?;
    if create_only && a.if_match.is_some() {
        return Err(ToolError::Invalid("Invalid arguments for create_upload_link: use if_match or if_none_match, not both".into()));
    }
    let content_type = a.content_type.filter(|c| !c.trim().is_empty());
    if content_type.as_ref().is_some_and(|c| c.len() > 256 || c.chars().any(char::is_control)) {
        return Err(ToolError::Invalid("Invalid content_type for create_upload_link".into()));
    }
    let expires_in = crate::transfer::expires_in(a.expires_in, TOOL.name).map_err(ToolError::Invalid)?;
    Ok(Args { key, content_type, max_size: a.max_size, if_match: a.if_match, create_only, expires_in })
}

#[cfg(target_arch = "wasm32")]
pub use glue::apply;

#[cfg(target_arch = "wasm32")]
mod glue {
    use serde_json::json;

    use super::Args;
    use crate::mcp::tool_result::structured_result;
    use crate::storage::content::normalize_etag;
    use crate::storage::preconditions;
    use crate::storage::time::rfc3339;
    use crate::tools::links;
    use crate::tools::r2::{self, Io};
    use crate::tools::{ToolError, ToolOutcome};
    use crate::transfer::{self, Kind, LinkRecord};

    pub async fn apply(io: &Io<'_>, a: Args) -> ToolOutcome {
        // Checked now so a link that could never apply is refused at once; checked again when the
        // upload is applied, which is what counts.
        let current = match r2::head(io.bucket, &io.ns.to_r2(&a.key), &a.key).await {
            Ok(o) => o.map(|o| o.etag()),
            Err(e) => return ToolOutcome::error(e),
        };
        if let Err(e) = preconditions::check(current.as_deref(), a.if_match.as_deref(), a.create_only, &format!("{:?}", a.key)) {
            return ToolOutcome::error(ToolError::Precondition(e));
        }
        let record = LinkRecord {
            content_type: a.content_type,
            max_size: a.max_size,
            if_match: a.if_match.as_deref().map(|e| normalize_etag(e).to_owned()),
            create_only: a.create_only,
            ..LinkRecord::default()
        };
        let minted = match links::create(io, Kind::Upload, &a.key, a.expires_in, record) {
            Ok(m) => m,
            Err(e) => return ToolOutcome::error(e),
        };
        ToolOutcome::read(structured_result(
            json!({
                "url": minted.url,
                "key": a.key,
                "expires_at": rfc3339(minted.expires_ms),
                "expires_in": a.expires_in,
                "max_size": a.max_size,
                "max_request_bytes": minted.max_body,
                "command": transfer::upload_command(&minted.url),
                "parts_command": transfer::parts_commands(&minted.url),
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
    fn preconditions_are_if_match_or_create_only_and_expiry_is_bounded() {
        let a = parsed(parse, json!({"key": "big.bin", "if_none_match": "*", "max_size": 5})).unwrap();
        assert!(a.create_only && a.expires_in == 900 && a.max_size == Some(5));
        assert!(parsed(parse, json!({"key": "b", "if_none_match": "*", "if_match": "e"})).is_err());
        assert!(parsed(parse, json!({"key": "b", "expires_in": 0})).is_err());
        assert!(parsed(parse, json!({"key": "b", "content_type": "a\nb"})).is_err());
        assert_eq!(parsed(parse, json!({"key": "b", "content_type": " "})).unwrap().content_type, None);
    }
}
