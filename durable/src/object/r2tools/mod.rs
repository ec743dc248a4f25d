//! The R2 object tools and objects-as-resources, run inside the user's object (wasm32 only).
//!
//! This is the contract between the MCP host (`super::mcp_host`, which owns sessions, streams and
//! dispatch) and the storage side (this module: R2 calls, the ordered write queue, the audit trail).
//! The host calls these methods; the storage side never touches HTTP or SSE.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | the contract types and [`R2Tools`], which routes each request |
//! | [`reads`] | `list_objects`, `get_object`, `head_object`: R2 reads, no queue; `recent_changes` |
//! | [`writes`] | `put_object`, `delete_object`, `copy_object`, `move_object` inside a queue turn, each through the journaled write ([`crate::tools::journal`]) |
//! | [`r2`] | R2 helpers: object metadata JSON, bounded body reads, rate-limit retries |
//! | [`resources`] | `resources/list`, `resources/read`, key completion |
//!
//! Rules (namespaces, key checks, ranges, retry schedule) are plain Rust in `crate::storage`, the
//! journal's in `crate::tools::journal`. Every R2 key is `namespace.to_r2(key)`, with the namespace derived only from
//! the caller's `user_key`; nothing the client sends can change it. Keys were checked once, when the
//! engine parsed the request (`storage::keys`).

pub(crate) mod r2;
mod reads;
mod resources;
mod writes;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::Value;
use worker::{Bucket, Env, SqlStorage, State, Storage};

use super::McpCaller;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::tool_args::ToolRequest;
use crate::mcp::tools::error_result;
use crate::mcp::version::Version;
use crate::storage::etags::EtagCache;
use crate::storage::namespace::Namespace;
use crate::storage::queue::TicketLock;
use crate::tools::journal::sqlite as journal;

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

impl ToolContext<'_> {
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

/// A tool's answer: the full `CallToolResult` JSON (content + structuredContent, or isError) and
/// the changes it applied (empty for reads and for refused or failed writes).
pub struct ToolOutcome {
    pub result: Value,
    pub changes: Vec<Change>,
}

impl ToolOutcome {
    fn error(message: impl Into<String>) -> Self {
        ToolOutcome {
            result: error_result(message),
            changes: Vec::new(),
        }
    }

    fn read(result: Value) -> Self {
        ToolOutcome {
            result,
            changes: Vec::new(),
        }
    }
}

/// The user's R2 tools. One per object instance; the write queue lives here, so every session
/// of the user shares it.
pub struct R2Tools {
    bucket: Option<Bucket>,
    sql: SqlStorage,
    storage: Storage,
    queue: TicketLock,
    etags: RefCell<EtagCache>,
    /// DEV_MODE fault: the next write panics after R2 applied it, before its audit row.
    crash_before_audit: Cell<bool>,
    /// True while this instance knows `r2_intent` is empty (see [`r2::Io::intent_clean`]).
    intent_clean: Cell<bool>,
}

/// The byte length of every user's namespace prefix (for the engine's `key_prefix_len`).
pub const KEY_PREFIX_LEN: usize = crate::storage::namespace::PREFIX_LEN;

impl R2Tools {
    pub fn new(state: &State, env: &Env, sql: SqlStorage) -> Self {
        let bucket = match env.bucket("BUCKET") {
            Ok(b) => Some(b),
            Err(e) => {
                worker::console_error!("R2 binding BUCKET is missing: {e}");
                None
            }
        };
        R2Tools {
            bucket,
            sql,
            storage: state.storage(),
            queue: TicketLock::new(),
            etags: RefCell::default(),
            crash_before_audit: Cell::new(false),
            intent_clean: Cell::new(false),
        }
    }

    /// Runs one validated tool request.
    pub async fn call(&self, ctx: &ToolContext<'_>, request: ToolRequest) -> ToolOutcome {
        let Some(ns) = Namespace::for_user(&ctx.caller.user_key) else {
            return ToolOutcome::error("Your account has no storage namespace; sign in again.");
        };
        let Some(bucket) = &self.bucket else {
            return ToolOutcome::error(
                "Object storage is not configured on this server (R2 binding BUCKET).",
            );
        };
        let io = r2::Io {
            bucket,
            ns: &ns,
            sql: &self.sql,
            storage: &self.storage,
            queue: &self.queue,
            etags: &self.etags,
            crash_before_audit: &self.crash_before_audit,
            intent_clean: &self.intent_clean,
            ctx,
        };
        if let ToolRequest::RecentChanges(a) = &request {
            // After the writes queued before it, and after settling an interrupted one.
            if let Err(e) = journal::settled(&io).await {
                return ToolOutcome::error(e);
            }
            return ToolOutcome::read(reads::recent_changes(&io, a));
        }
        match request {
            ToolRequest::ListObjects(a) => ToolOutcome::read(reads::list_objects(&io, a).await),
            ToolRequest::GetObject(a) => ToolOutcome::read(reads::get_object(&io, a).await),
            ToolRequest::HeadObject(a) => ToolOutcome::read(reads::head_object(&io, a).await),
            ToolRequest::RecentChanges(_) => ToolOutcome::error("unreachable"),
            write => {
                // Wait for this request's turn; nothing else of this user's is written meanwhile.
                let _turn = match journal::write_turn(&io).await {
                    Ok(t) => t,
                    Err(e) => return ToolOutcome::error(e),
                };
                writes::apply(&io, write).await
            }
        }
    }

    /// `resources/list` over the user's objects: the `result` JSON (with `nextCursor`). `cursor`
    /// is R2's cursor as carried by `Cursor::Upstream` (an encoded cursor is also accepted).
    pub async fn list_resources(
        &self,
        ctx: &ToolContext<'_>,
        cursor: Option<String>,
    ) -> Result<Value, RpcError> {
        let (ns, bucket) = self.io_parts(ctx)?;
        resources::list(bucket, &ns, ctx, cursor).await
    }

    /// `resources/read` of one object by key (checked by the engine): the `result` JSON.
    pub async fn read_resource(
        &self,
        ctx: &ToolContext<'_>,
        uri: &str,
        key: &str,
    ) -> Result<Value, RpcError> {
        let (ns, bucket) = self.io_parts(ctx)?;
        resources::read(bucket, &ns, ctx, uri, key).await
    }

    /// `completion/complete` for a key prefix (checked by the engine): the `result` JSON.
    pub async fn complete_keys(
        &self,
        ctx: &ToolContext<'_>,
        prefix: &str,
    ) -> Result<Value, RpcError> {
        let (ns, bucket) = self.io_parts(ctx)?;
        resources::complete(bucket, &ns, prefix).await
    }

    /// Periodic cleanup of the audit trail; `true` while there is more to do later.
    pub async fn alarm(&self) -> worker::Result<bool> {
        journal::trim(&self.sql)
    }

    /// When the audit trail next needs trimming (Unix ms): at once when it holds more rows than
    /// it keeps, else when its oldest row ages out; `None` when it is empty.
    pub fn next_due(&self) -> worker::Result<Option<i64>> {
        journal::next_due(&self.sql)
    }

    /// See [`super::mcp_host::McpHost::arm_crash_before_audit`].
    pub fn arm_crash_before_audit(&self) {
        self.crash_before_audit.set(true);
    }

    fn io_parts(&self, ctx: &ToolContext<'_>) -> Result<(Namespace, &Bucket), RpcError> {
        let ns = Namespace::for_user(&ctx.caller.user_key)
            .ok_or_else(|| r2::internal("this account has no storage namespace"))?;
        let bucket = self
            .bucket
            .as_ref()
            .ok_or_else(|| r2::internal("object storage is not configured"))?;
        Ok((ns, bucket))
    }
}
