//! The MCP Streamable HTTP transport inside the user's Durable Object: the glue that drives the
//! pure engine in [`crate::mcp`] with this object's SQLite, streams and R2 tools.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`McpHost`]: settings, the per-request checks shared by every method, the alarm |
//! | [`post`] | `POST`: body checks, one JSON-RPC message, session or 2026 headers, dispatch |
//! | [`get`] | `GET` (session stream, `Last-Event-ID` resumption) and `DELETE` |
//! | [`work`] | effects: R2 tool calls, resources (and the object browser's page), fixture scripts, listen streams |
//! | [`sessions`] | the `mcp_sessions` table |
//! | [`event_log`] | the `mcp_events` table: events kept for replay, and their bounds |
//! | [`streams`] | POST answers' SSE connections in memory, keep-alives |
//! | [`sockets`] | long-lived streams (GET, listen) as hibernatable WebSockets to the Worker |
//! | [`emit`] | numbering, logging and sending one message on a stream |
//! | [`notify`] | resource notifications after changes, to every subscribed session |
//! | [`inflight`] | cancellation flags and server→client requests awaiting answers |
//! | [`fixtures`] | running the conformance fixtures' scripts |
//! | [`replies`] | HTTP answers: JSON, one-event SSE, refusals, 202/204/500 |
//!
//! Concurrency: the object is single-threaded, but other requests run while one awaits (R2,
//! timers). Shared state lives in `RefCell`s borrowed only inside synchronous sections; no borrow
//! is held across an `.await`. Streamed work runs in `spawn_local` tasks that own an
//! `Rc<Host>`.

mod emit;
mod event_log;
mod fixtures;
mod get;
mod inflight;
mod notify;
mod post;
mod replies;
mod sessions;
mod sockets;
mod streams;
mod work;

pub use sockets::SocketKind;

use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use worker::{Env, Method, Request, Response, Result, SqlStorage, State};

use super::app_view::AppView;
use super::r2tools::R2Tools;
use r2_mcp_wire::mcp_call::{to_header, McpCall, McpReply, REPLY_HEADER};
use r2_mcp_wire::transfer::{LinkCall, LinkReply};

use super::McpCaller;
use crate::mcp::http_rules::{self, HttpMethod, Rejection};
use crate::mcp::settings::{SettingError, Settings};
use crate::mcp::version;
use crate::object::db;

/// Sessions expired per alarm run at most (the alarm comes back for the rest).
const EXPIRE_PER_RUN: i64 = 500;
/// A listen stream registered this long ago whose socket is not open is forgotten.
const LISTEN_ATTACH_MS: i64 = 10 * 60 * 1000;

/// Shared by the host and its spawned tasks.
pub struct Host {
    sql: SqlStorage,
    sessions: sessions::Sessions,
    r2: R2Tools,
    /// The object browser's page (MCP Apps), from the static assets.
    view: AppView,
    settings: std::result::Result<Settings, SettingError>,
    hub: streams::Hub,
    sockets: sockets::Sockets,
    inflight: inflight::Inflight,
}

impl Host {
    fn settings_or_default(&self) -> Settings {
        self.settings.clone().unwrap_or_default()
    }
}

/// The MCP host of one user's object.
///
/// `AssertUnwindSafe`: the Worker is built with unwinding panics, which needs the object to be
/// `RefUnwindSafe`. A panic that unwinds through the host drops every `RefCell` guard on the way
/// out (no borrow is held across an await, so none outlives its frame); the worst left behind is
/// one stream, in-flight entry or session row the failed request did not finish, which the
/// client recovers from as from a dropped connection.
pub struct McpHost {
    inner: AssertUnwindSafe<Rc<Host>>,
}

impl McpHost {
    /// `sockets_state`: a second handle on the object's state, for its hibernatable sockets.
    pub fn new(state: &State, sockets_state: State, env: &Env, sql: SqlStorage) -> Self {
        let lookup = |name: &str| env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|v| v.to_string()));
        let settings = Settings::from_lookup(lookup);
        if let Err((name, why)) = &settings {
            worker::console_error!("setting {name} is invalid: {why}");
        }
        let r2 = R2Tools::new(state, env, sql.clone());
        let inner = Rc::new(Host {
            sessions: sessions::Sessions::new(sql.clone()),
            sockets: sockets::Sockets::new(sockets_state, sql.clone()),
            sql,
            r2,
            view: AppView::new(env),
            settings,
            hub: streams::Hub::default(),
            inflight: Default::default(),
        });
        McpHost { inner: AssertUnwindSafe(inner) }
    }

    /// DEV_MODE fault injection: the next write of this object dies (panics) after R2 applied it
    /// and before its audit row is written, as if the runtime had stopped there.
    #[cfg(feature = "dev")]
    pub fn arm_crash_before_audit(&self) {
        self.inner.r2.arm_crash_before_audit();
    }

    /// An authenticated `/mcp` request (any method), whose `Origin` the front Worker has already
    /// checked (before authentication, so a refused browser client is told so before it logs in).
    /// `call`: what the Worker asked for; what this object reports back goes in the answer's
    /// [`McpReply`] header.
    pub async fn serve(&self, req: Request, caller: McpCaller, call: &McpCall) -> Result<Response> {
        let mut reply = McpReply::default();
        let mut resp = self.answer(req, caller, call, &mut reply).await?;
        if reply != McpReply::default() {
            resp.headers_mut().set(REPLY_HEADER, &to_header(&reply))?;
        }
        Ok(resp)
    }

    async fn answer(&self, req: Request, caller: McpCaller, call: &McpCall, reply: &mut McpReply) -> Result<Response> {
        let host: &Rc<Host> = &self.inner;
        let settings = match &host.settings {
            Ok(s) => s.clone(),
            Err((name, _)) => return replies::internal(&format!("the server setting {name} is invalid")),
        };
        if let Some(stream) = &call.attach {
            return get::attach_listen(host, &req, &caller, stream);
        }
        let version = match version::from_header(header(&req, "MCP-Protocol-Version").as_deref()) {
            Ok(v) => v,
            Err(u) => return replies::rejection(&Rejection::from_error(400, None, u.error())),
        };
        let method = match http_rules::check_method(method_name(&req.method()), version) {
            Ok(m) => m,
            Err(r) => return replies::rejection(&r),
        };
        if call.log {
            reply.log.client = Some(caller.client_id.clone());
        }
        match method {
            HttpMethod::Post => post::handle(host, req, caller, &settings, version, call, reply).await,
            HttpMethod::Get => get::open(host, &req, &caller, &settings),
            HttpMethod::Delete => get::delete(host, &req, &caller, &settings),
        }
    }

    /// A transfer link is being used (the Worker checked its tag): the object's answer. An upload
    /// it applied notifies the subscribed sessions like any write.
    pub async fn link(&self, call: LinkCall) -> LinkReply {
        let host: &Rc<Host> = &self.inner;
        let outcome = host.r2.link(call).await;
        if let Some(user_key) = &outcome.user_key {
            notify::changes(host, user_key, &outcome.changes);
        }
        outcome.reply
    }

    /// A grant ended (revoked, expired, its upstream session over): its sessions are deleted
    /// (their ids answer 404 from now on), every stream and running request it opened ends, and
    /// its transfer links stop working.
    pub fn end_grant(&self, grant_id: &str) -> Result<()> {
        let host: &Rc<Host> = &self.inner;
        host.r2.end_links_of(grant_id)?;
        for id in host.sessions.of_grant(grant_id)? {
            get::end_session(host, &id)?;
        }
        host.hub.close_grant(grant_id);
        host.sockets.close_grant(grant_id)?;
        host.inflight.end_session(&work::stateless_key(grant_id));
        Ok(())
    }

    /// The grants that have a stream open (in memory or as a socket).
    pub fn streaming_grants(&self) -> Vec<String> {
        let mut g = self.inner.hub.grants();
        g.extend(self.inner.sockets.grants());
        g.sort();
        g.dedup();
        g
    }

    /// The Worker's end of a stream's socket closed (its client went away): a listen stream's
    /// filter is forgotten; a session's GET stream simply has no connection until the next GET.
    pub fn socket_closed(&self, ws: &worker::WebSocket) -> Result<()> {
        self.inner.sockets.closed(ws)
    }

    /// When the cleanup next has something to do (Unix ms): the first session to go idle, the
    /// first event to age out; `None` when there is nothing.
    pub fn next_due(&self) -> Result<Option<i64>> {
        let host: &Rc<Host> = &self.inner;
        let ttl = host.settings_or_default().session_policy().idle_ttl_ms as i64;
        let session = db::one(&host.sql, "SELECT MIN(last_seen_ms) FROM mcp_sessions", vec![])?
            .as_deref()
            .and_then(|r| db::int(r.first()))
            .map(|t| t.saturating_add(ttl));
        let event = event_log::oldest(&host.sql)?.map(|t| t.saturating_add(event_log::MAX_AGE_MS));
        let audit = host.r2.next_due()?;
        Ok([session, event, audit].into_iter().flatten().min())
    }

    /// Cleanup: expired sessions (with their events and streams), events past their age, the R2
    /// audit trail. True while there is more to do later (sessions remain, or a run was capped).
    pub async fn alarm(&self) -> Result<bool> {
        let host: &Rc<Host> = &self.inner;
        let now = db::now_ms();
        let policy = host.settings_or_default().session_policy();
        let expired = host.sessions.expired(now as u64, policy, EXPIRE_PER_RUN)?;
        for id in &expired {
            get::end_session(host, id)?;
        }
        event_log::drop_old(&host.sql, now)?;
        host.sockets.sweep(now - LISTEN_ATTACH_MS)?;
        let r2_more = match host.r2.alarm().await {
            Ok(more) => more,
            Err(e) => {
                worker::console_warn!("audit trim failed: {e}");
                false
            }
        };
        Ok(expired.len() as i64 >= EXPIRE_PER_RUN || host.sessions.any()? || r2_more)
    }
}

/// A request header, if present and readable.
fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Post => "POST",
        Method::Get => "GET",
        Method::Delete => "DELETE",
        _ => "OTHER",
    }
}
