//! The front Worker's routes (wasm32 only), one file each. Every handler receives the request and
//! the [`Ctx`] and answers; the wire form of errors comes from `oauth::errors` and `http`.

pub mod authorize;
pub mod callback;
#[cfg(feature = "dev")]
pub mod dev;
pub mod mcp;
pub mod metadata;
pub mod register;
pub mod token;
pub mod transfer;

use std::rc::Rc;

use r2_mcp_wire::user_calls::{UserCall, UserReply};
use worker::{Env, Request, Response, Result, Stub};

use crate::http::{self, oauth_error};
use crate::oauth::errors::OAuthError;

use crate::config::Config;

/// The Durable Object namespace binding for per-user objects (see `wrangler.toml`).
pub const USER_OBJECT: &str = "USER_OBJECT";

/// What every handler needs: settings, bindings and this server's public origin.
pub struct Ctx {
    pub config: Rc<Config>,
    pub env: Env,
    /// `scheme://host[:port]` as the client addressed us; the OAuth issuer and resource base.
    pub origin: String,
}

impl Ctx {
    /// `url`: the request's URL as the runtime gives it.
    pub fn new(url: &str, env: Env, config: Rc<Config>) -> Self {
        let origin = r2_mcp_wire::url::origin(url).unwrap_or("").to_owned();
        Ctx { config, env, origin }
    }

    /// The canonical resource URL of the MCP endpoint (RFC 8707 / RFC 9728).
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.origin)
    }

    /// The Durable Object of the user named by `user_key`.
    pub fn user_object(&self, user_key: &str) -> Result<Stub> {
        self.env.durable_object(USER_OBJECT)?.id_from_name(user_key)?.get_stub()
    }

    /// True when the request was addressed to a loopback host (local development and tests).
    pub fn is_loopback(&self) -> bool {
        let host = self.origin.split("://").nth(1).unwrap_or("");
        let host = match host.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        matches!(host, "127.0.0.1" | "localhost" | "[::1]")
    }
}

/// Why a route could not answer as asked: an OAuth error for the client, or a failure of ours
/// (the entry point logs it and answers 500). The one error type of the Worker's OAuth routes.
#[derive(Debug)]
pub enum RouteError {
    OAuth(OAuthError),
    Internal(worker::Error),
}

impl From<OAuthError> for RouteError {
    fn from(e: OAuthError) -> Self {
        RouteError::OAuth(e)
    }
}

impl From<worker::Error> for RouteError {
    fn from(e: worker::Error) -> Self {
        RouteError::Internal(e)
    }
}

/// A route's outcome as HTTP: an OAuth error becomes its response, an internal failure stays one.
pub fn respond(outcome: std::result::Result<Response, RouteError>) -> Result<Response> {
    match outcome {
        Ok(resp) => Ok(resp),
        Err(RouteError::OAuth(e)) => oauth_error(&e),
        Err(RouteError::Internal(e)) => Err(e),
    }
}

/// Makes one OAuth call to the user's object and returns its typed reply (see `r2_mcp_wire`).
pub async fn call_object(ctx: &Ctx, user_key: &str, call: &UserCall) -> Result<UserReply> {
    let json = serde_json::to_string(call).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let headers = worker::Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post).with_headers(headers).with_body(Some(json.into()));
    let req = Request::new_with_init("https://user-object/call", &init)?;
    let mut resp = ctx.user_object(user_key)?.fetch_with_request(req).await?;
    let status = resp.status_code();
    if status != 200 {
        return Err(worker::Error::RustError(format!("the user's object answered {status}")));
    }
    resp.json().await
}

/// The token response or OAuth error a reply to a token or revocation call becomes: the one place
/// a [`UserReply`] turns into HTTP for the client (RFC 6749 §5.1, §5.2; RFC 7009 §2.2).
pub fn oauth_answer(reply: UserReply) -> Result<Response> {
    match reply {
        UserReply::Tokens(t) => {
            let mut resp = http::json(200, &serde_json::to_value(&t).map_err(|e| worker::Error::RustError(e.to_string()))?)?;
            resp.headers_mut().set("Pragma", "no-cache")?;
            Ok(resp)
        }
        UserReply::Revoked => http::json(200, &serde_json::json!({})),
        UserReply::Refused(r) => oauth_error(&OAuthError::new(r.error, &r.description)),
        UserReply::Opened { .. } | UserReply::Link(_) => oauth_error(&OAuthError::server_error("unexpected reply to a token call")),
    }
}
