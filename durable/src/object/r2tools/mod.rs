//! The R2 object tools and objects-as-resources, run inside the user's object (wasm32 only).
//!
//! This is the contract between the MCP host (`super::mcp_host`, which owns sessions, streams and
//! dispatch) and the storage side (this module: R2 calls, the ordered write queue, the audit trail).
//! The host calls these methods; the storage side never touches HTTP or SSE. Placeholder bodies
//! until the storage side lands.

use std::cell::Cell;
use std::rc::Rc;

use serde_json::Value;
use worker::{Env, SqlStorage, State};

use super::McpCaller;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::tool_args::ToolRequest;
use crate::mcp::version::Version;

/// What a change did to an object (the host turns these into resource notifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// One applied change to one key (the user-visible key, without the namespace prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub key: String,
    pub kind: ChangeKind,
}

/// Reports progress: `(progress, total, message)`. The host sends it as
/// `notifications/progress` when the request carried a progress token, and ignores it otherwise.
pub type Progress<'a> = &'a dyn Fn(f64, Option<f64>, Option<String>);

/// Everything a tool call may need to know about its caller and request.
pub struct ToolContext<'a> {
    pub caller: &'a McpCaller,
    /// The MCP session (session-era revisions), recorded in the audit trail.
    pub session_id: Option<&'a str>,
    /// The client's name from `initialize` (or 2026 `_meta`), for the audit trail.
    pub client_name: Option<&'a str>,
    pub version: Version,
    pub progress: Progress<'a>,
    /// Set by the host when `notifications/cancelled` names this request: stop soon, apply nothing
    /// more, and answer as the host will drop the answer anyway.
    pub cancelled: Rc<Cell<bool>>,
}

/// A tool's answer: the full `CallToolResult` JSON (content + structuredContent, or isError) and
/// the changes it applied (empty for reads and for refused or failed writes).
pub struct ToolOutcome {
    pub result: Value,
    pub changes: Vec<Change>,
}

/// The user's R2 tools.
pub struct R2Tools;

impl R2Tools {
    pub fn new(_state: &State, _env: &Env, _sql: SqlStorage) -> Self {
        R2Tools
    }

    /// Runs one validated tool request.
    pub async fn call(&self, _ctx: &ToolContext<'_>, _request: ToolRequest) -> ToolOutcome {
        ToolOutcome {
            result: crate::mcp::tools::error_result("the R2 tools are not available yet"),
            changes: Vec::new(),
        }
    }

    /// `resources/list` over the user's objects: the `result` JSON (with `nextCursor`).
    pub async fn list_resources(&self, _ctx: &ToolContext<'_>, _cursor: Option<String>) -> Result<Value, RpcError> {
        Ok(serde_json::json!({ "resources": [] }))
    }

    /// `resources/read` of one object by key: the `result` JSON.
    pub async fn read_resource(&self, ctx: &ToolContext<'_>, _uri: &str, key: &str) -> Result<Value, RpcError> {
        Err(crate::mcp::resources::not_found(ctx.version, key))
    }

    /// `completion/complete` for key prefixes: the `result` JSON.
    pub async fn complete_keys(&self, _ctx: &ToolContext<'_>, _prefix: &str) -> Result<Value, RpcError> {
        Ok(serde_json::json!({ "completion": { "values": [], "hasMore": false } }))
    }

    /// Periodic cleanup of the audit trail; `true` while there is more to do later.
    pub async fn alarm(&self) -> worker::Result<bool> {
        Ok(false)
    }
}
