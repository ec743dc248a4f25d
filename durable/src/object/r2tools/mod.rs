//! The user's R2 side of the object (wasm32 only): the state every call of the user shares, and
//! the entry points the MCP host calls — tool calls, objects as resources, the audit trail's upkeep.
//!
//! This is the contract between the MCP host (`super::mcp_host`, which owns sessions, streams and
//! dispatch) and the storage side. The host calls these methods; the storage side never touches
//! HTTP or SSE. The tools themselves — one file each, their registry, the journaled write — are in
//! [`crate::tools`].
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`R2Tools`]: the bucket, the write queue, the etag memo, the journal's flags; tool calls |
//! | [`resources`] | `resources/list`, `resources/read`, key completion |
//! | [`links`] | a transfer link in use: downloads, an upload's parts and its completion, expiry |
//!
//! Every R2 key is `namespace.to_r2(key)`, with the namespace derived only from the caller's
//! `user_key`; nothing the client sends can change it. Keys were checked once, when the engine
//! parsed the request (`storage::keys`).

mod links;
mod resources;

pub use links::LinkOutcome;

use std::cell::{Cell, RefCell};

use serde_json::Value;
use worker::{Bucket, Env, SqlStorage, State, Storage};

use crate::mcp::jsonrpc::{RpcError, INTERNAL_ERROR};
use crate::storage::etags::EtagCache;
use crate::storage::namespace::Namespace;
use crate::storage::queue::TicketLock;
use crate::tools::journal::sqlite as journal;
use crate::tools::r2::Io;
pub use crate::tools::r2::ToolContext;
pub use crate::tools::{Change, ChangeKind};
use crate::tools::{Request, ToolError, ToolOutcome};

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
    /// True while this instance knows `r2_intent` is empty (see [`Io::intent_clean`]).
    intent_clean: Cell<bool>,
}

/// Expired transfer links removed per alarm run at most.
const LINKS_PER_RUN: i64 = 200;

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

    /// Runs one validated tool request (see [`Request::run`]).
    pub async fn call(&self, ctx: &ToolContext<'_>, request: Request) -> ToolOutcome {
        let Some(ns) = Namespace::for_user(ctx.user_key) else {
            return ToolOutcome::error(ToolError::Unavailable("Your account has no storage namespace; sign in again.".into()));
        };
        let Some(bucket) = &self.bucket else {
            return ToolOutcome::error(ToolError::Unavailable(
                "Object storage is not configured on this server (R2 binding BUCKET).".into(),
            ));
        };
        request.run(&self.io(bucket, &ns, ctx)).await
    }

    /// What one call works with: this user's bucket, namespace and shared state.
    fn io<'a>(&'a self, bucket: &'a Bucket, ns: &'a Namespace, ctx: &'a ToolContext<'a>) -> Io<'a> {
        Io {
            bucket,
            ns,
            sql: &self.sql,
            storage: &self.storage,
            queue: &self.queue,
            etags: &self.etags,
            crash_before_audit: &self.crash_before_audit,
            intent_clean: &self.intent_clean,
            ctx,
        }
    }

    /// `resources/list` over the user's objects: the `result` JSON (with `nextCursor`). `cursor`
    /// is R2's cursor as carried by `Cursor::Upstream` (an encoded cursor is also accepted).
    pub async fn list_resources(&self, ctx: &ToolContext<'_>, cursor: Option<String>) -> Result<Value, RpcError> {
        let (ns, bucket) = self.io_parts(ctx)?;
        resources::list(bucket, &ns, ctx, cursor).await
    }

    /// `resources/read` of one object by key (checked by the engine): the `result` JSON.
    pub async fn read_resource(&self, ctx: &ToolContext<'_>, uri: &str, key: &str) -> Result<Value, RpcError> {
        let (ns, bucket) = self.io_parts(ctx)?;
        resources::read(&self.io(bucket, &ns, ctx), uri, key).await
    }

    /// `completion/complete` for a key prefix (checked by the engine): the `result` JSON.
    pub async fn complete_keys(&self, ctx: &ToolContext<'_>, prefix: &str) -> Result<Value, RpcError> {
        let (ns, bucket) = self.io_parts(ctx)?;
        resources::complete(bucket, &ns, prefix).await
    }

    /// Periodic cleanup of the audit trail and of expired transfer links; `true` while there is
    /// more to do later.
    pub async fn alarm(&self) -> worker::Result<bool> {
        let trail = journal::trim(&self.sql)?;
        let links = self.sweep_links(LINKS_PER_RUN).await?;
        Ok(trail || links)
    }

    /// When the audit trail next needs trimming (Unix ms: at once when it holds more rows than it
    /// keeps, else when its oldest row ages out) or a transfer link expires; `None`: neither.
    pub fn next_due(&self) -> worker::Result<Option<i64>> {
        Ok([journal::next_due(&self.sql)?, self.next_link_due()?].into_iter().flatten().min())
    }

    /// See [`super::mcp_host::McpHost::arm_crash_before_audit`].
    #[cfg(feature = "dev")]
    pub fn arm_crash_before_audit(&self) {
        self.crash_before_audit.set(true);
    }

    fn io_parts(&self, ctx: &ToolContext<'_>) -> Result<(Namespace, &Bucket), RpcError> {
        let ns = Namespace::for_user(ctx.user_key).ok_or_else(|| internal("this account has no storage namespace"))?;
        let bucket = self.bucket.as_ref().ok_or_else(|| internal("object storage is not configured"))?;
        Ok((ns, bucket))
    }
}

/// A JSON-RPC internal error (resources and completion answer failures this way).
fn internal(message: impl Into<String>) -> RpcError {
    RpcError::new(INTERNAL_ERROR, message)
}
