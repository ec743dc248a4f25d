//! Executes the engine's effects that need the R2 side or a stream: tool calls (JSON, or SSE
//! when progress is wanted), resource list/read, key completion, fixture scripts, and 2026-07-28
//! listen streams. Streamed work runs in a task that writes to the request's POST stream, so the
//! response starts at once and the work survives the client dropping the connection.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use serde_json::{json, Value};
use worker::{Response, Result};

use super::emit::Out;
use super::sessions::Stored;
use super::sockets::Listening;
use super::streams::{self, Kind};
use super::{fixtures, notify, replies, Host};
use crate::mcp::app;
use crate::mcp::dispatch;
use crate::mcp::http_rules::Accepts;
use crate::mcp::jsonrpc::{self, RpcError};
use crate::mcp::outcome::{Call, ListenFilter, Script};
use crate::mcp::pagination::Cursor;
use crate::mcp::sse::{self, EventId};
use crate::mcp::version::Version;
use crate::object::r2tools::ToolContext;
use crate::object::McpCaller;
use crate::tools::{Request, Role};
use r2_mcp_wire::mcp_call::McpReply;
use r2_mcp_wire::transfer::LinkMint;

/// Who is asking and in which session: what every effect needs besides its own inputs.
#[derive(Clone)]
pub struct Asker {
    pub caller: McpCaller,
    /// The caller's role, as the engine saw it.
    pub role: Role,
    pub session: Option<Stored>,
    pub client_name: Option<String>,
    pub accepts: Accepts,
    /// The isolate's large-transfer turn, held (only for its drop) while this request's large
    /// body is in memory.
    #[allow(dead_code)]
    pub large: Option<Rc<crate::storage::queue::Turn>>,
    /// The front Worker holds long-lived streams itself (`McpCall::relay`).
    pub relay: bool,
    /// What minting transfer links needs (`McpCall::links`).
    pub links: Option<LinkMint>,
}

impl Asker {
    fn session_id(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.record.id.as_str())
    }
    /// The key in-flight requests are filed under: the session, or for 2026-07-28 (no session)
    /// the grant of the request's token, so one client cannot cancel or answer another's request
    /// that happens to use the same JSON-RPC id. (Session ids are base64url: no `:`.)
    pub fn session_key(&self) -> String {
        match self.session_id() {
            Some(s) => s.to_owned(),
            None => stateless_key(&self.caller.grant_id),
        }
    }
}

/// The in-flight key of a 2026-07-28 request made through `grant`.
pub fn stateless_key(grant: &str) -> String {
    format!("grant:{grant}")
}

/// Opens this request's POST stream: priming event (2025-11-25+), keep-alives.
fn open_post(host: &Rc<Host>, asker: &Asker) -> (Out, streams::Body) {
    let id = streams::new_stream_id();
    let sid = asker.session_id().map(str::to_owned);
    let opened = host.hub.open(&id, sid.as_deref(), &asker.caller.grant_id, Kind::Post);
    if let Some(s) = &asker.session {
        if s.record.version >= Version::V2025_11_25 {
            host.hub.write(&id, &sse::priming(&EventId::new(&id, 0), Some(sse::DEFAULT_RETRY_MS)));
        }
    }
    streams::spawn_keep_alive(host.clone(), id.clone(), opened.generation);
    (Out::Sse { stream: id, session: sid }, opened.body)
}

/// Runs `work` with the request's output: awaited for a JSON answer, or spawned on a POST
/// stream. `work` returns the final JSON-RPC message, or `None` when cancelled (nothing sent).
async fn answer<F, Fut>(host: &Rc<Host>, asker: &Asker, stream: bool, work: F) -> Result<Response>
where
    F: FnOnce(Rc<Host>, Out) -> Fut,
    Fut: std::future::Future<Output = Option<Value>> + 'static,
{
    // Boxed: one compiled copy of the work's state machine serves both paths (awaited here or
    // spawned), instead of one per path (kilobytes of wasm each for the tool path).
    if !stream {
        let fut: Pin<Box<dyn Future<Output = Option<Value>>>> = Box::pin(work(host.clone(), Out::Json));
        return match fut.await {
            Some(body) => replies::message(200, &body, asker.accepts, None),
            None => replies::accepted(),
        };
    }
    let (out, body) = open_post(host, asker);
    let fut: Pin<Box<dyn Future<Output = Option<Value>>>> = Box::pin(work(host.clone(), out.clone()));
    let h = host.clone();
    worker::wasm_bindgen_futures::spawn_local(async move {
        if let Some(msg) = fut.await {
            out.send(&h, &msg);
        }
        out.finish(&h);
    });
    streams::response(body, None)
}

/// `tools/call` of an R2 tool.
pub async fn tool(host: &Rc<Host>, asker: Asker, call: Call, request: Request) -> Result<Response> {
    let stream = asker.accepts.use_sse(call.progress_token.is_some());
    let a = asker.clone();
    answer(host, &asker, stream, move |host, out| async move {
        let running = host.inflight.start(&a.session_key(), &call.id);
        let token = call.progress_token.clone();
        let progress = |p: f64, total: Option<f64>, message: Option<String>| {
            if let Some(t) = &token {
                let mut params = json!({ "progressToken": t, "progress": p });
                if let Some(total) = total {
                    params["total"] = total.into();
                }
                if let Some(m) = message {
                    params["message"] = m.into();
                }
                out.send(&host, &jsonrpc::notification("notifications/progress", params));
            }
        };
        let ctx = ToolContext {
            user_key: &a.caller.user_key,
            grant_id: &a.caller.grant_id,
            role: a.role,
            session_id: a.session_id(),
            client_name: a.client_name.as_deref(),
            version: call.version,
            progress: &progress,
            cancelled: running.cancelled.clone(),
            links: a.links.as_ref(),
        };
        let outcome = host.r2.call(&ctx, request).await;
        notify::changes(&host, &a.caller.user_key, &outcome.changes);
        // A cancelled request gets no answer on a stream; a JSON exchange still needs a body.
        (!running.cancelled.get() || !out.is_stream()).then(|| dispatch::reply(&call, outcome.result))
    })
    .await
}

/// What a resource effect asks of the R2 side.
pub enum ResourceWork {
    List {
        cursor: Option<Cursor>,
        extra: Vec<Value>,
    },
    Read {
        uri: String,
        key: String,
    },
    Complete {
        prefix: String,
    },
    /// The object browser's page (`ui://`, MCP Apps), from the static assets.
    View,
}

/// `resources/list`, `resources/read`, `completion/complete` over the user's objects, and
/// `resources/read` of the object browser's page.
pub async fn resource(host: &Rc<Host>, asker: &Asker, call: &Call, what: ResourceWork) -> Result<Response> {
    let noop = |_: f64, _: Option<f64>, _: Option<String>| {};
    let ctx = ToolContext {
        user_key: &asker.caller.user_key,
        grant_id: &asker.caller.grant_id,
        role: asker.role,
        session_id: asker.session_id(),
        client_name: asker.client_name.as_deref(),
        version: call.version,
        progress: &noop,
        cancelled: Rc::new(Cell::new(false)),
        links: asker.links.as_ref(),
    };
    let result: std::result::Result<Value, RpcError> = match what {
        ResourceWork::List { cursor, extra } => {
            let upstream = match cursor {
                Some(Cursor::Upstream(c)) => Some(c),
                _ => None,
            };
            host.r2.list_resources(&ctx, upstream).await.map(|mut v| {
                if !extra.is_empty() {
                    let mut all = extra;
                    if let Some(Value::Array(objects)) = v.get_mut("resources").map(Value::take) {
                        all.extend(objects);
                    }
                    v["resources"] = Value::Array(all);
                }
                v
            })
        }
        ResourceWork::Read { uri, key } => host.r2.read_resource(&ctx, &uri, &key).await,
        ResourceWork::Complete { prefix } => host.r2.complete_keys(&ctx, &prefix).await,
        ResourceWork::View => host.view.html().await.map(|html| app::read_result(&html)),
    };
    match result {
        Ok(v) => replies::message(200, &dispatch::reply(call, v), asker.accepts, None),
        Err(e) => {
            let status = dispatch::error_status(call.version, e.code);
            replies::message(status, &jsonrpc::error(Some(&call.id), &e), asker.accepts, None)
        }
    }
}

/// A conformance fixture's script: streamed when it has steps and the client takes SSE.
pub async fn script(host: &Rc<Host>, asker: Asker, call: Call, script: Script) -> Result<Response> {
    let stream = asker.accepts.use_sse(!script.steps.is_empty());
    let a = asker.clone();
    answer(host, &asker, stream, move |host, out| async move {
        let running = host.inflight.start(&a.session_key(), &call.id);
        let result = fixtures::run(&host, &out, &a.session_key(), script, &running.cancelled).await?;
        Some(dispatch::reply(&call, result))
    })
    .await
}

/// 2026-07-28 `subscriptions/listen`: a stream that acknowledges, then carries the filtered,
/// tagged notifications until the client closes it.
pub fn listen(host: &Rc<Host>, asker: &Asker, call: Call, filter: ListenFilter, ack: Value, reply: &mut McpReply) -> Result<Response> {
    let id = streams::new_stream_id();
    if asker.relay {
        // The Worker holds the stream: it sends the acknowledgement, then attaches a socket for
        // the notifications (`get::attach_listen`), so this object can sleep meanwhile.
        host.sockets.register_listen(&id, &asker.caller.grant_id, &Listening::new(filter, &call.id))?;
        let mut resp = Response::ok(sse::event(None, &ack.to_string()))?;
        let h = resp.headers_mut();
        for (k, v) in sse::SSE_HEADERS {
            h.set(k, v)?;
        }
        reply.attach = Some(id);
        return Ok(resp);
    }
    let opened = host.hub.open(&id, None, &asker.caller.grant_id, Kind::Listen { filter, subscription: call.id });
    host.hub.write(&id, &sse::event(None, &ack.to_string()));
    streams::spawn_keep_alive(host.clone(), id, opened.generation);
    streams::response(opened.body, None)
}
