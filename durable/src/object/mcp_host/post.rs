//! `POST /mcp`: the Streamable HTTP checks in the engine's order, one JSON-RPC message, the
//! session (session era) or the standard headers (2026-07-28), then dispatch and the effect.

use std::rc::Rc;

use futures::StreamExt;
use serde_json::Value;
use worker::{Request, Response, Result};

use super::sessions::{self, Stored};
use super::work::{self, Asker, ResourceWork};
use super::{header, replies, Host};
use crate::mcp::dispatch::{self, Ctx};
use crate::mcp::http_rules::{self, SessionNeed, MAX_BODY_BYTES};
use crate::mcp::jsonrpc::{self, Message};
use crate::mcp::meta;
use crate::mcp::outcome::Outcome;
use crate::mcp::session::{SessionRecord, SESSION_ID_RANDOM_BYTES};
use crate::mcp::settings::Settings;
use crate::mcp::version::Version;
use crate::object::r2tools::KEY_PREFIX_LEN;
use crate::object::{db, large, McpCaller};
use r2_mcp_wire::mcp_call::{McpCall, McpReply};

macro_rules! refuse {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return replies::rejection(&r),
        }
    };
}

/// `call`: what the Worker asked for (the log line's fields in `reply`, long-lived streams held by
/// the Worker); `reply`: what this answer reports back.
pub async fn handle(
    host: &Rc<Host>,
    mut req: Request,
    caller: McpCaller,
    settings: &Settings,
    version: Version,
    call: &McpCall,
    reply: &mut McpReply,
) -> Result<Response> {
    let declared = header(&req, "Content-Length").and_then(|l| l.trim().parse::<u64>().ok());
    if let Some(len) = declared {
        refuse!(http_rules::check_body_size(len));
    }
    refuse!(http_rules::check_content_type(header(&req, "Content-Type").as_deref()));
    let accepts = refuse!(http_rules::check_accept_post(header(&req, "Accept").as_deref()));
    // A body that may be large waits for the isolate's large-transfer turn before it is read, and
    // keeps it until its work is done (see `object::large`).
    let large = match req.inner().body() {
        Some(_) if large::is_large_body(declared) => Some(large::turn().await),
        _ => None,
    };
    let body = match read_capped(&mut req, declared).await {
        Body::Read(b) => b,
        Body::TooLarge => refuse!(http_rules::check_body_size(MAX_BODY_BYTES + 1).map(|()| Vec::new())),
        Body::Broken => {
            let e = jsonrpc::RpcError::new(jsonrpc::PARSE_ERROR, "Parse error: the body could not be read");
            return replies::rejection(&http_rules::Rejection::from_error(400, None, e));
        }
    };
    let msg = match jsonrpc::parse(&body) {
        Ok(m) => m,
        // The engine's answer to a body that did not parse (the path the `jsonrpc` fuzz target takes).
        Err(f) => {
            let (status, body) = dispatch::parse_failure(&f);
            return replies::message(status, &body, accepts, None);
        }
    };
    // The message owns its data now; the raw bytes (up to 16 MiB) must not wait in the write
    // queue alongside it.
    drop(body);
    if call.log {
        let (method, tool) = log_labels(&msg);
        reply.log.method = Some(method);
        reply.log.tool = tool;
    }
    let is_initialize = matches!(&msg, Message::Request(r) if r.method == "initialize");
    let now = db::now_ms() as u64;
    let mut stored: Option<Stored> = None;
    if version.is_stateless() && !is_initialize {
        refuse!(http_rules::check_standard_headers(&msg, header(&req, "Mcp-Method").as_deref(), header(&req, "Mcp-Name").as_deref()));
    } else if let SessionNeed::Lookup(id) = refuse!(http_rules::session_rule(is_initialize, header(&req, "Mcp-Session-Id").as_deref())) {
        match host.sessions.load_for(&id, caller.owner(), now, settings.session_policy())? {
            Some(mut s) => {
                host.sessions.touch(&mut s, now)?;
                stored = Some(s);
            }
            None => return replies::rejection(&crate::mcp::session::not_found()),
        }
    }
    let client_name = match &stored {
        Some(s) => sessions::client_name(&s.record),
        None => stateless_client_name(msg.params()),
    };
    let role = settings.role_for(&caller.identity.groups);
    let ctx = Ctx {
        header_version: version,
        session: stored.as_ref().map(|s| &s.record),
        role,
        conformance: settings.conformance,
        key_prefix_len: KEY_PREFIX_LEN,
        nfc: crate::object::nfc,
    };
    let outcome = dispatch::handle(&ctx, msg);
    let asker = Asker { caller, role, session: stored, client_name, accepts, large, relay: call.relay, links: call.links.clone() };
    execute(host, asker, outcome, reply).await
}

/// The method, and for `tools/call` the tool, as log labels (see [`jsonrpc::log_label`]).
fn log_labels(msg: &Message) -> (String, Option<String>) {
    let method = msg.method().map_or("response", jsonrpc::log_label);
    let tool = (method == "tools/call")
        .then(|| msg.params().and_then(|p| p.get("name")).and_then(Value::as_str).map_or("other", jsonrpc::log_label));
    (method.to_owned(), tool.map(str::to_owned))
}

/// Carries out the engine's decision (a listen stream the Worker is to attach goes in `reply`).
async fn execute(host: &Rc<Host>, asker: Asker, outcome: Outcome, reply: &mut McpReply) -> Result<Response> {
    match outcome {
        Outcome::Reply { status, body } => replies::message(status, &body, asker.accepts, None),
        Outcome::Accepted => replies::accepted(),
        Outcome::StartSession { init, body } => {
            let random = db::random_array::<SESSION_ID_RANDOM_BYTES>();
            let record = SessionRecord::create(init, &random, asker.caller.owner(), db::now_ms() as u64);
            let dropped = host.sessions.create(&record, &super::streams::new_stream_id())?;
            for id in dropped {
                host.hub.close_session(&id);
                host.sockets.close_session(&id);
                host.inflight.end_session(&id);
            }
            replies::message(200, &body, asker.accepts, Some(&record.id))
        }
        Outcome::UpdateSession { record, body } => {
            host.sessions.save(&record)?;
            match body {
                Some(b) => replies::message(200, &b, asker.accepts, None),
                None => replies::accepted(),
            }
        }
        Outcome::CallTool { call, request } => work::tool(host, asker, call, request).await,
        Outcome::ListResources { call, cursor, extra } => work::resource(host, &asker, &call, ResourceWork::List { cursor, extra }).await,
        Outcome::ReadResource { call, uri, key } => work::resource(host, &asker, &call, ResourceWork::Read { uri, key }).await,
        Outcome::ReadView { call } => work::resource(host, &asker, &call, ResourceWork::View).await,
        Outcome::CompleteKeys { call, prefix } => work::resource(host, &asker, &call, ResourceWork::Complete { prefix }).await,
        Outcome::Run { call, script } => work::script(host, asker, call, script).await,
        Outcome::Cancel { request_id, .. } => {
            host.inflight.cancel(&asker.session_key(), &request_id);
            replies::accepted()
        }
        Outcome::ClientAnswer { id, outcome } => {
            host.inflight.answer(&asker.session_key(), id, outcome);
            replies::accepted()
        }
        Outcome::Listen { call, filter, ack } => work::listen(host, &asker, call, filter, ack, reply),
    }
}

enum Body {
    Read(Vec<u8>),
    TooLarge,
    Broken,
}

/// The body, refused past `MAX_BODY_BYTES`. A body whose `Content-Length` was already checked
/// comes over in one `arrayBuffer()` (the runtime holds it to that length); one without is
/// streamed and cut off at the cap.
async fn read_capped(req: &mut Request, declared: Option<u64>) -> Body {
    if req.inner().body().is_none() {
        return Body::Read(Vec::new());
    }
    if declared.is_some() {
        return match req.bytes().await {
            Ok(b) if b.len() as u64 > MAX_BODY_BYTES => Body::TooLarge,
            Ok(b) => Body::Read(b),
            Err(_) => Body::Broken,
        };
    }
    let Ok(mut stream) = req.stream() else { return Body::Broken };
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return Body::Broken };
        if (out.len() + chunk.len()) as u64 > MAX_BODY_BYTES {
            return Body::TooLarge;
        }
        out.extend_from_slice(&chunk);
    }
    Body::Read(out)
}

/// 2026-07-28: the client's name from `_meta`, for the audit trail.
fn stateless_client_name(params: Option<&serde_json::Map<String, Value>>) -> Option<String> {
    params?.get("_meta")?.get(meta::KEY_CLIENT_INFO)?.get("name")?.as_str().map(|n| jsonrpc::clip(n, 128).to_owned())
}
