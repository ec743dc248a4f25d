//! Message + context → [`Outcome`]: the protocol's decisions for every method we serve.
//!
//! The glue has already applied [`super::http_rules`], resolved the version header and, in the
//! session era, loaded and access-checked the session. Nothing here does I/O.

use serde_json::{json, Map, Value};

use super::app;
use super::capabilities;
use super::completion;
use super::conformance::{self, CallCtx, FixtureCall};
use super::jsonrpc::{self, Id, Message, ParseFailure, Request, RpcError};
use super::jsonrpc::{HEADER_MISMATCH, INVALID_REQUEST, METHOD_NOT_FOUND, MISSING_CLIENT_CAPABILITY, UNSUPPORTED_PROTOCOL_VERSION};
use super::listen;
pub use super::listen::tag_subscription;
use super::meta::{self, RequestMeta};
use super::outcome::{Call, Outcome};
use super::pagination::{self, Cursor};
use super::resources;
use super::session::{self, LogLevel, SessionInit, SessionRecord};
use super::version::{self, Version};
use crate::storage::keys::{KeyRules, Nfc};
use crate::tools::{self, Role};

/// Most resource subscriptions one session may hold.
pub const MAX_SUBSCRIPTIONS: usize = 1000;
/// Largest `clientInfo` and `capabilities` an `initialize` may bring (serialized JSON): they are
/// kept with the session, so their size is bounded like every other stored value.
pub const MAX_CLIENT_DECLARATION_BYTES: usize = 8 * 1024;

/// What the glue knows about the request besides its body.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    /// The `MCP-Protocol-Version` header, validated (absent → 2025-03-26).
    pub header_version: Version,
    /// The session (session era, every method but `initialize`), already access-checked.
    pub session: Option<&'a SessionRecord>,
    pub role: Role,
    /// Serve the conformance fixtures (`MCP_CONFORMANCE=1`).
    pub conformance: bool,
    /// Byte length of the user's namespace prefix (counted against R2's key limit).
    pub key_prefix_len: usize,
    /// The Unicode NFC normalizer every key, prefix and object URI goes through (see
    /// [`crate::storage::keys::canonical`]).
    pub nfc: Nfc,
}

impl Ctx<'_> {
    /// The rules every key, prefix and object URI of this caller goes through.
    pub fn keys(&self) -> KeyRules {
        KeyRules { prefix_len: self.key_prefix_len, nfc: self.nfc }
    }

    /// Whether the conformance fixtures are served: the setting, in a build that has them (the
    /// `conformance` feature; without it the compiler drops the fixtures from the wasm).
    pub fn fixtures(&self) -> bool {
        cfg!(feature = "conformance") && self.conformance
    }
}

/// Who is asking, after the era is settled.
enum Peer<'a> {
    Session(&'a SessionRecord),
    Stateless(RequestMeta),
}

impl Peer<'_> {
    fn version(&self) -> Version {
        match self {
            Peer::Session(s) => s.version,
            Peer::Stateless(m) => m.version,
        }
    }
    fn client_has(&self, cap: &str) -> bool {
        match self {
            Peer::Session(s) => s.client_has(cap),
            Peer::Stateless(m) => m.client_has(cap),
        }
    }
}

/// The answer to a body that did not parse: 400 with the JSON-RPC error.
pub fn parse_failure(f: &ParseFailure) -> (u16, Value) {
    (400, f.response())
}

/// A success response for an effect's result, shaped for the call's revision.
pub fn reply(call: &Call, result: Value) -> Value {
    jsonrpc::success(&call.id, capabilities::shape_result(call.version, &call.method, result))
}

/// HTTP status for a JSON-RPC error: 2026-07-28 puts modern errors on 400 and unknown methods on
/// 404 (streamable-http §Protocol Version Header); otherwise errors ride a 200.
pub fn error_status(version: Version, code: i64) -> u16 {
    match code {
        METHOD_NOT_FOUND if version.is_stateless() => 404,
        HEADER_MISMATCH | MISSING_CLIENT_CAPABILITY | UNSUPPORTED_PROTOCOL_VERSION => 400,
        INVALID_REQUEST | jsonrpc::PARSE_ERROR => 400,
        _ => 200,
    }
}

fn fail(version: Version, id: &Id, err: RpcError) -> Outcome {
    Outcome::Reply { status: error_status(version, err.code), body: jsonrpc::error(Some(id), &err) }
}

/// Decides what to do with one message.
pub fn handle(ctx: &Ctx, msg: Message) -> Outcome {
    match msg {
        Message::Response(r) => {
            if ctx.header_version.is_stateless() && ctx.session.is_none() {
                // 2026-07-28 clients MUST NOT send responses (MRTR replaces server requests).
                let e = RpcError::new(INVALID_REQUEST, "Invalid Request: responses are not accepted on 2026-07-28");
                return Outcome::Reply { status: 400, body: jsonrpc::error(None, &e) };
            }
            Outcome::ClientAnswer { id: r.id, outcome: r.outcome }
        }
        Message::Notification(n) => match n.method.as_str() {
            "notifications/initialized" => match ctx.session {
                Some(s) if !s.initialized => {
                    let mut record = s.clone();
                    record.initialized = true;
                    Outcome::UpdateSession { record, body: None }
                }
                _ => Outcome::Accepted,
            },
            "notifications/cancelled" => {
                let p = n.params.as_ref();
                match p.and_then(|p| p.get("requestId")).and_then(Id::from_value) {
                    Some(request_id) => Outcome::Cancel {
                        request_id,
                        reason: p.and_then(|p| p.get("reason")).and_then(Value::as_str).map(|r| jsonrpc::clip(r, 500).to_owned()),
                    },
                    None => Outcome::Accepted,
                }
            }
            // Unknown notifications are ignored (JSON-RPC: no response to notifications).
            _ => Outcome::Accepted,
        },
        Message::Request(req) => request(ctx, req),
    }
}

fn request(ctx: &Ctx, mut req: Request) -> Outcome {
    if req.method == "initialize" {
        return initialize(ctx, &req);
    }
    let peer = if ctx.header_version.is_stateless() {
        match meta::parse(req.params.as_ref(), ctx.header_version) {
            Ok(m) => Peer::Stateless(m),
            Err(e) => return Outcome::Reply { status: 400, body: jsonrpc::error(Some(&req.id), &e) },
        }
    } else {
        match ctx.session {
            Some(s) => Peer::Session(s),
            None => {
                let e = RpcError::new(INVALID_REQUEST, "Bad Request: no session; send initialize first");
                return Outcome::Reply { status: 400, body: jsonrpc::error(Some(&req.id), &e) };
            }
        }
    };
    let version = peer.version();
    let (log_level, logs_allowed) = match &peer {
        Peer::Session(s) => (s.log_level, true),
        Peer::Stateless(m) => (m.log_level, m.log_level.is_some()),
    };
    let call = Call {
        id: req.id.clone(),
        method: req.method.clone(),
        version,
        progress_token: meta::progress_token(req.params.as_ref()),
        log_level,
        logs_allowed,
    };
    let routed = if req.method == "tools/call" {
        // Moved, not copied: a put_object's content can be 10 MiB.
        call_tool(ctx, &peer, &call, req.params.take())
    } else {
        route(ctx, &peer, &call, req.params.as_ref())
    };
    match routed {
        Ok(Some(outcome)) => outcome,
        Ok(None) => fail(version, &req.id, RpcError::method_not_found(&req.method)),
        Err(e) => fail(version, &req.id, e),
    }
}

/// `initialize` (lifecycle §Initialization): negotiate, then start a session.
fn initialize(ctx: &Ctx, req: &Request) -> Outcome {
    let p = req.params.as_ref();
    let Some(requested) = p.and_then(|p| p.get("protocolVersion")).and_then(Value::as_str) else {
        return fail(Version::V2025_03_26, &req.id, RpcError::invalid_params("Invalid params: protocolVersion (string) is required"));
    };
    let version = version::negotiate(Some(requested));
    let caps = p.and_then(|p| p.get("capabilities")).filter(|c| c.is_object()).cloned().unwrap_or_else(|| json!({}));
    let info = p.and_then(|p| p.get("clientInfo")).cloned().unwrap_or(Value::Null);
    for (name, v) in [("clientInfo", &info), ("capabilities", &caps)] {
        let size = serde_json::to_vec(v).map_or(usize::MAX, |b| b.len());
        if size > MAX_CLIENT_DECLARATION_BYTES {
            return fail(
                Version::V2025_03_26,
                &req.id,
                RpcError::invalid_params(format!(
                    "Invalid params: {name} is {size} bytes; at most {MAX_CLIENT_DECLARATION_BYTES} are accepted"
                )),
            );
        }
    }
    let init = SessionInit { version, client_info: info, client_capabilities: caps };
    let body = jsonrpc::success(&req.id, capabilities::initialize_result(version, ctx.fixtures()));
    Outcome::StartSession { init, body }
}

pub(super) fn ok(call: &Call, result: Value) -> Result<Option<Outcome>, RpcError> {
    Ok(Some(Outcome::Reply { status: 200, body: reply(call, result) }))
}

fn str_param<'a>(p: Option<&'a Map<String, Value>>, name: &str) -> Result<&'a str, RpcError> {
    p.and_then(|p| p.get(name))
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params(format!("Invalid params: {name} (string) is required")))
}

/// Routes a request; `Ok(None)` means the method does not exist in this revision.
fn route(ctx: &Ctx, peer: &Peer, call: &Call, p: Option<&Map<String, Value>>) -> Result<Option<Outcome>, RpcError> {
    let v = call.version;
    let session = match peer {
        Peer::Session(s) => Some(*s),
        Peer::Stateless(_) => None,
    };
    match call.method.as_str() {
        "ping" if v.is_session_based() => ok(call, json!({})),
        "server/discover" if v.is_stateless() => ok(call, capabilities::discover_result(ctx.fixtures())),
        "tools/list" => {
            let cursor = pagination::cursor_param(p)?;
            let mut all = tools::list_for(ctx.role, v);
            if ctx.fixtures() {
                all.extend(conformance::tools());
            }
            let (page, next) = pagination::page(&all, cursor.as_ref(), pagination::PAGE_SIZE)?;
            ok(call, with_cursor(json!({ "tools": page }), next))
        }
        "resources/list" => {
            let cursor = pagination::cursor_param(p)?;
            if matches!(cursor, Some(Cursor::Offset(_))) {
                return Err(RpcError::invalid_params("Invalid cursor"));
            }
            // The first page starts with the object browser's page (MCP Apps), then the fixtures.
            let mut extra = Vec::new();
            if cursor.is_none() {
                extra.push(app::view_resource());
                if ctx.fixtures() {
                    extra.extend(conformance::resources());
                }
            }
            Ok(Some(Outcome::ListResources { call: call.clone(), cursor, extra }))
        }
        "resources/templates/list" => {
            let cursor = pagination::cursor_param(p)?;
            let mut all = vec![resources::object_template()];
            if ctx.fixtures() {
                all.extend(conformance::resource_templates());
            }
            let (page, next) = pagination::page(&all, cursor.as_ref(), pagination::PAGE_SIZE)?;
            ok(call, with_cursor(json!({ "resourceTemplates": page }), next))
        }
        "resources/read" => {
            let uri = str_param(p, "uri")?;
            if app::is_view(uri) {
                return Ok(Some(Outcome::ReadView { call: call.clone() }));
            }
            if ctx.fixtures() {
                if let Some(r) = conformance::read_resource(uri) {
                    return ok(call, r);
                }
            }
            match object_key(ctx, uri) {
                Some(key) => Ok(Some(Outcome::ReadResource { call: call.clone(), uri: uri.to_owned(), key })),
                None => Err(resources::not_found(v, uri)),
            }
        }
        "resources/subscribe" | "resources/unsubscribe" if v.is_session_based() => {
            let Some(s) = session else { return Ok(None) };
            let given = str_param(p, "uri")?;
            let canonical = canonical_uri(ctx, given);
            let mut record = s.clone();
            if call.method == "resources/subscribe" {
                let Some(uri) = canonical else {
                    return Err(resources::not_found(v, given));
                };
                if record.subscriptions.len() >= MAX_SUBSCRIPTIONS && !record.subscriptions.contains(&uri) {
                    return Err(RpcError::invalid_params(format!("Too many subscriptions: at most {MAX_SUBSCRIPTIONS} per session")));
                }
                record.subscriptions.insert(uri);
            } else {
                record.subscriptions.remove(canonical.as_deref().unwrap_or(given));
            }
            Ok(Some(Outcome::UpdateSession { record, body: Some(reply(call, json!({}))) }))
        }
        "prompts/list" => {
            let cursor = pagination::cursor_param(p)?;
            let all = if ctx.fixtures() { conformance::prompts() } else { Vec::new() };
            let (page, next) = pagination::page(&all, cursor.as_ref(), pagination::PAGE_SIZE)?;
            ok(call, with_cursor(json!({ "prompts": page }), next))
        }
        "prompts/get" => {
            let name = str_param(p, "name")?;
            let args = p.and_then(|p| p.get("arguments")).and_then(Value::as_object);
            if ctx.fixtures() {
                return ok(call, conformance::get_prompt(name, args)?);
            }
            Err(RpcError::invalid_params(format!("Unknown prompt: {}", jsonrpc::clip(name, 100))))
        }
        "logging/setLevel" if v.is_session_based() => {
            let Some(s) = session else { return Ok(None) };
            let level =
                LogLevel::parse(str_param(p, "level")?).ok_or_else(|| RpcError::invalid_params("Invalid params: unknown log level"))?;
            let mut record = s.clone();
            record.log_level = Some(level);
            Ok(Some(Outcome::UpdateSession { record, body: Some(reply(call, json!({}))) }))
        }
        "completion/complete" => completion::complete(ctx, call, p),
        "subscriptions/listen" if v.is_stateless() => Ok(Some(listen::listen(ctx, call, p))),
        _ => Ok(None),
    }
}

fn with_cursor(mut result: Value, next: Option<String>) -> Value {
    if let Some(n) = next {
        result["nextCursor"] = n.into();
    }
    result
}

/// The key (in NFC) of one of our object URIs, if it names a valid key.
pub(super) fn object_key(ctx: &Ctx, uri: &str) -> Option<String> {
    resources::key_from_uri(uri).and_then(|k| ctx.keys().key(k).ok())
}

/// The one spelling of a resource URI the server keeps: our object URIs in NFC and encoded the way
/// notifications name them, so every spelling of a key is notified; other URIs (the conformance
/// fixtures') as given. `None` when the URI is neither.
pub(super) fn canonical_uri(ctx: &Ctx, uri: &str) -> Option<String> {
    match object_key(ctx, uri) {
        Some(key) => Some(resources::uri_for_key(&key)),
        None if ctx.fixtures() && conformance::is_resource(uri) => Some(uri.to_owned()),
        None => None,
    }
}

fn call_tool(ctx: &Ctx, peer: &Peer, call: &Call, mut params: Option<Map<String, Value>>) -> Result<Option<Outcome>, RpcError> {
    let name = str_param(params.as_ref(), "name")?.to_owned();
    let name = name.as_str();
    if params.as_ref().and_then(|p| p.get("arguments")).is_some_and(|a| !a.is_object() && !a.is_null()) {
        return Err(RpcError::invalid_params("Invalid params: arguments must be an object"));
    }
    if let Some(entry) = tools::find(name) {
        let args = match params.as_mut().and_then(|p| p.remove("arguments")) {
            Some(Value::Object(a)) => Some(a),
            _ => None,
        };
        if !entry.tool.allowed_for(ctx.role) {
            return ok(call, tools::read_only_refusal(entry.tool));
        }
        return match entry.parse(args, &ctx.keys()) {
            Ok(request) => Ok(Some(Outcome::CallTool { call: call.clone(), request })),
            Err(e) => ok(call, e.into_result()),
        };
    }
    if ctx.fixtures() && conformance::is_tool(name) {
        let c = CallCtx {
            version: call.version,
            progress_token: call.progress_token.as_ref(),
            logs_allowed: call.logs_allowed && session::log_allowed(call.log_level, LogLevel::Info),
            client_has_sampling: peer.client_has("sampling"),
            client_has_elicitation: peer.client_has("elicitation"),
            params: params.as_ref(),
        };
        return match conformance::call_tool(name, &c)? {
            FixtureCall::Result(r) => ok(call, r),
            FixtureCall::Script(script) => Ok(Some(Outcome::Run { call: call.clone(), script })),
        };
    }
    // server/tools §Error Handling: unknown tools are a protocol error.
    Err(RpcError::invalid_params(format!("Unknown tool: {}", jsonrpc::clip(name, 100))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
#[path = "dispatch_tests.rs"]
mod tests;
