//! What [`super::dispatch::handle`] decides: a reply, or an effect the glue executes.
//!
//! The engine does no I/O. Anything needing R2, SQLite, a clock-driven wait or an open stream
//! comes back as an [`Outcome`] variant carrying everything the glue needs, and the glue turns
//! the work's result into JSON-RPC with [`super::dispatch::reply`] and the builders in
//! [`super::tool_result`] / [`super::resources`].

use serde_json::Value;

use super::jsonrpc::{Id, RpcError};
use super::pagination::Cursor;
use super::session::{LogLevel, SessionInit, SessionRecord};
use super::version::Version;
use crate::tools::Request;

/// Per-request facts the glue needs to run an effect and shape its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub id: Id,
    /// The request's method (results of some methods carry cache hints on 2026-07-28).
    pub method: String,
    /// The revision the answer is shaped for (the session's, or the request's on 2026-07-28).
    pub version: Version,
    /// `_meta.progressToken`: send `notifications/progress` with it while working.
    pub progress_token: Option<Value>,
    /// Send `notifications/message` at or above this level; `None` with `logs_allowed == false`
    /// means send none (2026-07-28 without `_meta` logLevel).
    pub log_level: Option<LogLevel>,
    pub logs_allowed: bool,
}

/// The decision for one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Send this JSON-RPC message with this HTTP status (200, or the 4xx a revision requires).
    Reply { status: u16, body: Value },
    /// 202 Accepted, no body (notifications and client responses we need nothing more from).
    Accepted,
    /// `initialize`: create the record with [`SessionRecord::create`] from fresh random bytes,
    /// persist it, then send `body` (add the result id's) with `Mcp-Session-Id: <record.id>`.
    StartSession { init: SessionInit, body: Value },
    /// Persist this updated record, then send `body` if any (else 202).
    UpdateSession { record: SessionRecord, body: Option<Value> },
    /// Run an R2 tool; answer with [`super::dispatch::reply`] + [`super::tool_result`] builders.
    CallTool { call: Call, request: Request },
    /// List objects for `resources/list` (R2 cursor from `cursor`), then
    /// [`super::resources::list_result`] with `extra` first.
    ListResources { call: Call, cursor: Option<Cursor>, extra: Vec<Value> },
    /// Read one object for `resources/read`; not found → [`super::resources::not_found`].
    ReadResource { call: Call, uri: String, key: String },
    /// Read the object browser's page (MCP Apps) from the static assets for `resources/read`, then
    /// [`super::app::read_result`].
    ReadView { call: Call },
    /// Complete object keys starting with `prefix`, then [`super::resources::completion_result`].
    CompleteKeys { call: Call, prefix: String },
    /// Stream a fixed script (conformance fixtures): see [`Script`].
    Run { call: Call, script: Script },
    /// `notifications/cancelled`: stop the in-flight request with this id, if any; answer 202.
    Cancel { request_id: Id, reason: Option<String> },
    /// The client answered one of our requests (sampling, elicitation): hand it to the waiting
    /// script, then answer 202.
    ClientAnswer { id: Id, outcome: Result<Value, RpcError> },
    /// 2026-07-28 `subscriptions/listen`: open an SSE stream; send `ack` first, then only the
    /// notifications the filter names, each tagged by [`super::dispatch::tag_subscription`].
    Listen { call: Call, filter: ListenFilter, ack: Value },
}

/// One step of a streamed script, executed in order on the request's SSE stream.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Send this complete JSON-RPC notification.
    Notify(Value),
    /// Wait this long before the next step.
    SleepMs(u32),
    /// Send a request to the client (allocate a fresh id, use [`super::jsonrpc::request`]) and
    /// wait for its [`Outcome::ClientAnswer`]; keep the answer for [`Finish::FromAnswer`].
    Ask { method: String, params: Value },
    /// Close the HTTP connection without ending the SSE stream (after a `retry:` hint); keep
    /// going and store later events for replay on `GET` with `Last-Event-ID` (SEP-1699).
    Disconnect { retry_ms: u32 },
}

/// How a script's final result is made.
#[derive(Clone, Debug, PartialEq)]
pub enum Finish {
    /// This result, as is.
    Result(Value),
    /// Call [`super::conformance::finish`] with this fixture name and the client's answer.
    FromAnswer(&'static str),
}

/// Steps, then the final result (a `tools/call` result object, before [`super::dispatch::reply`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub steps: Vec<Step>,
    pub finish: Finish,
}

/// `subscriptions/listen` notification filter, as acknowledged (kept in SQLite while the stream
/// lives, since the object may hibernate meanwhile).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListenFilter {
    pub tools_list_changed: bool,
    pub prompts_list_changed: bool,
    pub resources_list_changed: bool,
    pub resource_subscriptions: Vec<String>,
}
