//! `/mcp`: the `Origin` check, the bearer check and the hand-off to the user's Durable Object
//! (wasm32 only).
//!
//! The token names its user (`<user_key>:<grant>:<tag>:<secret>`, the tag checked here), so the request goes to that user's
//! object in one hop; the object checks the token's hash, its grant and its resource, and serves
//! MCP. The Worker owns the wire form of every authentication failure (RFC 6750 §3 challenges
//! pointing at the RFC 9728 metadata), and strips any `x-r2mcp-*` header a client sent, so the
//! object only ever sees the headers set here.
//!
//! Behind a Cloudflare Access self-hosted application (`AUTH_MODE=access`) there is no bearer
//! token: the `Cf-Access-Jwt-Assertion` header is validated against the team's certs (`iss`, the
//! application's `aud`, expiry, signature) and the verified identity is handed to the object.

use r2_mcp_durable::grants::token;
use r2_mcp_durable::mcp::http_rules::{self, OriginPolicy};
use r2_mcp_wire::body;
use r2_mcp_wire::mcp_call::{from_header, to_header, Caller, McpCall, McpReply, CALL_HEADER, REPLY_HEADER};
use r2_mcp_wire::transfer::LinkMint;
use r2_mcp_wire::{user_key, UserIdentity};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, worker_sys, Headers, Response, Result};

use super::Ctx;
use crate::config::{AccessApp, AuthMode, LogLevel};
use crate::http;
use crate::log;
use crate::relay::Relay;

/// Largest listen acknowledgement read before the stream is held here.
const MAX_FIRST_EVENTS: usize = 64 * 1024;
use crate::oauth::metadata::www_authenticate;
use crate::upstream;

/// The incoming request, as the runtime gave it (never wrapped in `worker::Request`, whose
/// constructor reads the `cf` properties this route never needs), with its headers.
struct Incoming {
    raw: web_sys::Request,
    headers: Headers,
}

/// Answers `/mcp`.
/// `headers`: the request's, as the Worker's entry already read them; `line`: its log line.
pub async fn handle(raw: web_sys::Request, headers: Headers, ctx: &Ctx, line: &mut log::Line) -> Result<Response> {
    let req = Incoming { headers, raw };
    if req.raw.method() == "OPTIONS" {
        // Answered for any origin, so that a refused page can read the 403 below and show why.
        return http::preflight(&req.headers);
    }
    // Before authentication (transports §Security Warning: every connection), so a browser client
    // from a refused origin learns why before its user logs in, and in both auth modes.
    if let Some(origin) = req.headers.get("Origin")? {
        let policy = OriginPolicy { own: &ctx.origin, allowed: &ctx.config.allowed_origins, allow_loopback: true };
        if let Err(refusal) = http_rules::check_origin(Some(&origin), &policy) {
            line.refuse_origin(&origin);
            return http::with_cors(&req.headers, http::json(refusal.status, &refusal.body())?);
        }
    }
    if let AuthMode::Access(app) = &ctx.config.auth {
        return behind_access(&req, ctx, app, line).await;
    }
    let authorization = req.headers.get("Authorization")?;
    let Some(bearer) = authorization.as_deref().and_then(bearer_token) else {
        // RFC 6750 §3.1: no credentials → a bare challenge, no error code.
        return challenge(&req, ctx, None);
    };
    let Some(parts) = token::parse(bearer) else {
        return challenge(&req, ctx, Some("the access token is malformed"));
    };
    // A forged token (invented user or grant) is refused here, before any object is touched.
    if !token::routing_ok(&ctx.config.routing_keys, &parts) {
        return challenge(&req, ctx, Some("the access token is unknown, expired or revoked"));
    }
    line.user = Some(parts.user_key[..16].to_owned());
    let caller = Caller::Bearer {
        token: bearer.to_owned(),
        user_key: parts.user_key.to_owned(),
        grant_id: parts.grant_id.to_owned(),
        resource: ctx.resource(),
    };
    serve(&req, ctx, parts.user_key, caller, line).await
}

/// `AUTH_MODE=access`: the identity comes from Cloudflare Access's signed assertion.
async fn behind_access(req: &Incoming, ctx: &Ctx, app: &AccessApp, line: &mut log::Line) -> Result<Response> {
    let Some(assertion) = req.headers.get("Cf-Access-Jwt-Assertion")? else {
        return http::json_error(401, "unauthorized", "this server only accepts requests that come through Cloudflare Access");
    };
    let id = match upstream::verify_jwt(&app.certs_url(), &assertion, &app.team_domain, &app.aud, None).await {
        Ok(id) => id,
        Err(e) => {
            worker::console_warn!("Access assertion refused: {e}");
            return http::json_error(403, "forbidden", "the Cloudflare Access assertion is not valid for this application");
        }
    };
    let identity = UserIdentity { iss: app.team_domain.clone(), sub: id.sub, email: id.email, name: id.name, groups: id.groups };
    let key = user_key(&identity.iss, &identity.sub);
    serve(req, ctx, &key, Caller::Access(identity), line).await
}

/// Forwards to the user's object as `caller`, reads what the object reports back, and holds a
/// long-lived stream here when the object answered with one.
async fn serve(req: &Incoming, ctx: &Ctx, user_key: &str, caller: Caller, line: &mut log::Line) -> Result<Response> {
    let links =
        ctx.config.link_key(user_key).map(|key| LinkMint { origin: ctx.origin.clone(), key, max_body: ctx.config.transfer_max_body });
    let call = McpCall { caller, log: ctx.config.log_level.writes(LogLevel::Info), relay: true, attach: None, links };
    let served = async {
        let (resp, reply) = take_reply(send(req, ctx, user_key, &call, &req.raw.method(), true).await?)?;
        line.object_fields(reply.log);
        if resp.status_code() == 401 {
            let why = reply.auth_error.unwrap_or_else(|| "the access token was refused".into());
            return challenge(req, ctx, Some(&why));
        }
        let resp = hold_stream(req, ctx, user_key, &call, resp, reply.attach).await?;
        http::with_cors(&req.headers, resp)
    };
    match served.await {
        Ok(resp) => Ok(resp),
        Err(e) => internal_error(req, &e),
    }
}

/// The object's answer without its [`McpReply`] header, and the reply (empty when it sent none).
/// A copy of the headers only when there is one to remove (the body is passed through).
fn take_reply(resp: Response) -> Result<(Response, McpReply)> {
    let Some(value) = resp.headers().get(REPLY_HEADER)? else {
        return Ok((resp, McpReply::default()));
    };
    let reply = from_header::<McpReply>(Some(&value)).unwrap_or_default();
    let kept = Headers::new();
    for (k, v) in resp.headers().entries() {
        if !k.eq_ignore_ascii_case(REPLY_HEADER) {
            kept.append(&k, &v)?;
        }
    }
    Ok((resp.with_headers(kept), reply))
}

/// A long-lived stream the object answered with a socket (a session's GET stream) or with a
/// listen stream to attach (`attach`) becomes an SSE response held here ([`Relay`]), so the
/// object can sleep while the client waits; any other answer passes through.
async fn hold_stream(
    req: &Incoming,
    ctx: &Ctx,
    user_key: &str,
    call: &McpCall,
    resp: Response,
    attach: Option<String>,
) -> Result<Response> {
    let relay = if resp.status_code() == 101 {
        let Some(ws) = resp.websocket() else { return Err(worker::Error::RustError("a 101 without a socket".into())) };
        Relay::open(ws, None, Some(req.raw.signal()))?
    } else if let Some(stream) = attach {
        let first = match body::response(&resp, MAX_FIRST_EVENTS).await {
            Ok(b) => b,
            Err(_) => return Err(worker::Error::RustError("the listen acknowledgement could not be read".into())),
        };
        let attach = McpCall { attach: Some(stream), ..call.clone() };
        let socket = send(req, ctx, user_key, &attach, "GET", false).await?;
        let status = socket.status_code();
        let Some(ws) = socket.websocket().filter(|_| status == 101) else {
            return Err(worker::Error::RustError(format!("attaching the listen stream answered {status}")));
        };
        Relay::open(ws, Some(first), Some(req.raw.signal()))?
    } else {
        return Ok(resp);
    };
    relay.into_response()
}

/// Hands the request to the user's object (its body streamed, not copied, when `body`) with the
/// [`McpCall`] header; every `x-r2mcp-*`, `Authorization`, `Cookie` and Access assertion header
/// from the client is dropped. A `GET` asks for its stream as a socket (`Upgrade: websocket`).
/// Built and sent with the runtime's own types, like the incoming request (no `cf` read on either).
async fn send(req: &Incoming, ctx: &Ctx, user_key: &str, call: &McpCall, method: &str, body: bool) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in req.headers.entries() {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-r2mcp-") || lower == "authorization" || lower == "cookie" || lower == "cf-access-jwt-assertion" {
            continue;
        }
        headers.append(&name, &value)?;
    }
    headers.set(CALL_HEADER, &to_header(call))?;
    if method == "GET" {
        headers.set("Upgrade", "websocket")?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers.0);
    if let Some(b) = req.raw.body().filter(|_| body) {
        init.set_body(&b);
    }
    let forwarded = web_sys::Request::new_with_str_and_init(&req.raw.url(), &init)?;
    let namespace = ctx.env.durable_object(super::USER_OBJECT)?;
    let namespace: &worker_sys::DurableObjectNamespace = namespace.unchecked_ref();
    let stub = namespace.get(&namespace.id_from_name(user_key)?)?;
    let answer = JsFuture::from(stub.fetch_with_request(&forwarded)?).await?;
    Ok(Response::from(answer.dyn_into::<web_sys::Response>()?))
}

/// The user's object failed (e.g. it panicked and is being re-created): a JSON-RPC internal error
/// with status 500, logged; the object restarts on its next request and other users never notice.
fn internal_error(req: &Incoming, e: &worker::Error) -> Result<Response> {
    worker::console_error!("{}", serde_json::json!({ "level": "error", "route": "/mcp", "error": e.to_string() }));
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32603, "message": "Internal error: the request could not be completed; retry it" },
    });
    let resp = http::json(500, &body)?;
    http::with_cors(&req.headers, resp)
}

/// `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, rest) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim()).filter(|t| !t.is_empty())
}

/// A 401 with the `WWW-Authenticate` challenge; `error` adds `invalid_token` and a description.
fn challenge(req: &Incoming, ctx: &Ctx, error: Option<&str>) -> Result<Response> {
    let mut resp = match error {
        None => http::json_error(401, "unauthorized", "authentication required: see WWW-Authenticate")?,
        Some(why) => http::json_error(401, "invalid_token", why)?,
    };
    let value = www_authenticate(&ctx.origin, error.map(|why| ("invalid_token", why)));
    resp.headers_mut().set("WWW-Authenticate", &value)?;
    http::with_cors(&req.headers, resp)
}
