//! `recent_changes`: the user's audit trail of applied writes, newest first, in pages (see
//! [`super::journal`]). Read in the write queue's order: after the writes queued before it, and
//! after an interrupted one has been settled.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::journal::Record;
use super::{args, Annotations, Tool, ToolError, Ui};
use crate::mcp::tool_result::structured_result;
use crate::mcp::version::Version;
use crate::storage::keys::KeyRules;

pub const TOOL: Tool = Tool {
    name: "recent_changes",
    title: "Recent changes",
    description: "Your audit trail, newest first: every applied write (put, delete, copy, move, upload) with time, session and client, keys, etag before and after; and transfer links created (download_link, upload_link) and used (download, upload), with the link's id.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "cursor": { "type": "string", "description": "`next_cursor` from the previous page." },
    "limit": { "type": "integer", "minimum": 1, "maximum": 200, "description": "Page size (default 50)." }
  },
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": {
    "changes": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "time": { "type": "string" },
          "session": { "type": ["string", "null"] },
          "client": { "type": ["string", "null"] },
          "operation": { "type": "string" },
          "keys": { "type": "array", "items": { "type": "string" } },
          "etag_before": { "type": ["string", "null"] },
          "etag_after": { "type": ["string", "null"] },
          "link": { "type": ["string", "null"], "description": "The transfer link's id, for link records and uploads through a link." }
        },
        "required": ["time", "operation", "keys"]
      }
    },
    "next_cursor": { "type": ["string", "null"] }
  },
  "required": ["changes", "next_cursor"]
}"##,
    annotations: Annotations::READ,
    ui: Ui::None,
};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<u32>,
}

pub fn parse(args: Map<String, Value>, _keys: &KeyRules) -> Result<Args, ToolError> {
    let a: Args = args::typed(TOOL.name, args)?;
    args::limit(a.limit, 200, TOOL.name)?;
    Ok(a)
}

/// The tool's result for one page of records.
pub fn result(records: &[Record], next_cursor: Option<String>, version: Version) -> Value {
    let changes: Vec<Value> = records.iter().map(Record::to_json).collect();
    structured_result(json!({ "changes": changes, "next_cursor": next_cursor }), version)
}

#[cfg(target_arch = "wasm32")]
pub use glue::apply;

#[cfg(target_arch = "wasm32")]
mod glue {
    use super::{result, Args};
    use crate::tools::journal::{self, sqlite};
    use crate::tools::r2::Io;
    use crate::tools::{ToolError, ToolOutcome};

    pub async fn apply(io: &Io<'_>, a: Args) -> ToolOutcome {
        if let Err(e) = journal::settled(io).await {
            return ToolOutcome::error(e);
        }
        let before = match journal::page_start(a.cursor.as_deref()) {
            Ok(s) => s,
            Err(e) => return ToolOutcome::error(e),
        };
        let page = a.limit.unwrap_or(journal::DEFAULT_PAGE) as usize;
        let rows = match sqlite::newest_before(io.sql, before, page + 1) {
            Ok(rows) => rows,
            Err(e) => return ToolOutcome::error(ToolError::storage("Reading the audit trail", e)),
        };
        let (rows, next) = journal::page(rows, page);
        ToolOutcome::read(result(&rows, next, io.ctx.version))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::tools::test_support::parsed;

    #[test]
    fn limit_is_1_to_200() {
        assert!(parsed(parse, json!({"limit": 200})).is_ok());
        assert!(parsed(parse, json!({"limit": 201})).unwrap_err().contains("recent_changes"));
        assert!(parsed(parse, json!({"cursor": "x", "extra": 1})).is_err());
    }

    #[test]
    fn a_page_carries_its_records_and_the_next_cursor() {
        let r = Record {
            seq: 3,
            at_ms: 0,
            session: None,
            client: Some("c".into()),
            operation: "put".into(),
            keys: vec!["k".into()],
            etag_before: None,
            etag_after: Some("e".into()),
            link: None,
        };
        let v = result(&[r], Some("next".into()), Version::V2025_11_25);
        assert_eq!(v["structuredContent"]["changes"][0]["seq"], 3);
        assert_eq!(v["structuredContent"]["next_cursor"], "next");
        assert_eq!(v["isError"], false);
    }
}
