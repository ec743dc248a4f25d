//! `list_objects`: the user's keys in key order, with size, etag, upload time and content type;
//! keys sharing a prefix up to a delimiter grouped into `folders`; pages of up to 1000 with a
//! cursor. A read: straight to R2, no queue (R2 reads are strongly consistent and see every write
//! the queue has applied).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::{check_delimiter, KeyRules};

pub const TOOL: Tool = Tool {
    name: "list_objects",
    title: "List objects",
    description: "List objects in your storage namespace, in key order. Use `prefix` to narrow and `delimiter: \"/\"` to see folders as common prefixes. Pass `next_cursor` back as `cursor` for the next page.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "prefix": { "type": "string", "description": "Only keys starting with this prefix." },
    "delimiter": { "type": "string", "description": "Group keys sharing a prefix up to this character (usually \"/\") into `folders`." },
    "cursor": { "type": "string", "description": "`next_cursor` from the previous page." },
    "limit": { "type": "integer", "minimum": 1, "maximum": 1000, "description": "Page size (default 100, at most 1000)." }
  },
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": {
    "objects": { "type": "array", "items": { "$ref": "#/$defs/object" } },
    "folders": { "type": "array", "items": { "type": "string" } },
    "next_cursor": { "type": ["string", "null"] }
  },
  "required": ["objects", "folders", "next_cursor"],
  "$defs": {
    "object": {
      "type": "object",
      "properties": {
        "key": { "type": "string" },
        "size": { "type": "integer" },
        "etag": { "type": "string" },
        "uploaded": { "type": "string", "description": "RFC 3339 time." },
        "content_type": { "type": ["string", "null"] }
      },
      "required": ["key", "size", "etag", "uploaded"]
    }
  }
}"##,
    annotations: Annotations::READ,
    ui: Ui::None,
};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// In NFC, checked as a key prefix (may be empty).
    pub prefix: Option<String>,
    /// 1 to 8 printable characters.
    pub delimiter: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 1000.
    pub limit: Option<u32>,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let mut a: Args = args::typed(TOOL.name, args)?;
    if let Some(p) = a.prefix.take() {
        a.prefix = Some(keys.prefix(p).map_err(|e| ToolError::Invalid(format!("Invalid prefix for list_objects: {e}")))?);
    }
    args::limit(a.limit, 1000, TOOL.name)?;
    if let Some(d) = &a.delimiter {
        check_delimiter(d).map_err(|e| ToolError::Invalid(format!("Invalid delimiter for list_objects: {e}")))?;
    }
    Ok(a)
}

#[cfg(target_arch = "wasm32")]
pub use glue::{apply, fetch, Page};

#[cfg(target_arch = "wasm32")]
mod glue {
    use serde_json::{json, Value};
    use worker::Include;

    use super::Args;
    use crate::mcp::tool_result::structured_result;
    use crate::tools::r2::{self, Io};
    use crate::tools::{ToolError, ToolOutcome};

    /// Default page size.
    const DEFAULT_LIMIT: u32 = 100;
    /// Lists at least this large report progress.
    const PROGRESS_FROM: u32 = 500;

    /// One page of a listing, keys and folders already the user's own.
    pub struct Page {
        /// `list_objects` entries ([`r2::entry_json`]).
        pub objects: Vec<Value>,
        pub folders: Vec<String>,
        pub next_cursor: Option<String>,
    }

    pub async fn apply(io: &Io<'_>, a: Args) -> ToolOutcome {
        let limit = a.limit.unwrap_or(DEFAULT_LIMIT);
        let prefix = a.prefix.unwrap_or_default();
        match fetch(io, super::TOOL.name, &prefix, a.delimiter.as_deref(), a.cursor, limit).await {
            Ok(p) => ToolOutcome::read(structured_result(
                json!({ "objects": p.objects, "folders": p.folders, "next_cursor": p.next_cursor }),
                io.ctx.version,
            )),
            Err(e) => ToolOutcome::error(e),
        }
    }

    /// One page of the user's keys under `prefix`, for `tool` (this one or `browse_objects`).
    pub async fn fetch(
        io: &Io<'_>,
        tool: &str,
        prefix: &str,
        delimiter: Option<&str>,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<Page, ToolError> {
        let mut req = io.bucket.list().prefix(io.ns.to_r2(prefix)).limit(limit).include(vec![Include::HttpMetadata]);
        if let Some(d) = delimiter {
            req = req.delimiter(d.to_owned());
        }
        if let Some(c) = cursor.filter(|c| !c.is_empty()) {
            req = req.cursor(c);
        }
        if limit >= PROGRESS_FROM {
            (io.ctx.progress)(0.0, None, Some(format!("listing up to {limit} objects")));
        }
        let listed = match req.execute().await {
            Ok(l) => l,
            Err(e) => {
                let text = r2::message(&e);
                if text.to_ascii_lowercase().contains("cursor") {
                    return Err(ToolError::Invalid(format!(
                        "Invalid cursor for {tool}: pass next_cursor from the previous page with the same prefix."
                    )));
                }
                return Err(ToolError::r2("Listing objects", text));
            }
        };
        let objects: Vec<Value> = listed
            .objects()
            .iter()
            .filter_map(|o| {
                let full = o.key();
                io.ns.from_r2(&full).map(|k| r2::entry_json(k, o))
            })
            .collect();
        let folders: Vec<String> =
            listed.delimited_prefixes().iter().filter_map(|p| io.ns.from_r2(p).map(str::to_owned)).collect();
        let next_cursor = if listed.truncated() { listed.cursor() } else { None };
        if limit >= PROGRESS_FROM {
            let n = (objects.len() + folders.len()) as f64;
            (io.ctx.progress)(n, Some(n), None);
        }
        Ok(Page { objects, folders, next_cursor })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::tools::test_support::parsed;
    use serde_json::json;

    #[test]
    fn unknown_argument_is_a_precise_error() {
        let e = parsed(parse, json!({"prefx": "a"})).unwrap_err();
        assert!(e.contains("list_objects") && e.contains("prefx"), "{e}");
    }

    #[test]
    fn list_limit_is_at_most_1000() {
        assert!(parsed(parse, json!({"limit": 1000})).is_ok());
        assert!(parsed(parse, json!({"limit": 1001})).is_err());
        assert!(parsed(parse, json!({"limit": 0})).is_err());
    }

    #[test]
    fn prefixes_and_delimiters_are_checked() {
        assert_eq!(parsed(parse, json!({"prefix": ""})).unwrap().prefix.as_deref(), Some(""));
        assert!(parsed(parse, json!({"prefix": "docs/", "delimiter": "/"})).is_ok());
        assert!(parsed(parse, json!({"prefix": "../"})).unwrap_err().starts_with("Invalid prefix for list_objects"));
        for d in ["", "\n", "123456789"] {
            let e = parsed(parse, json!({"delimiter": d})).unwrap_err();
            assert!(e.starts_with("Invalid delimiter for list_objects"), "{e}");
        }
    }
}
