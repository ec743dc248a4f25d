//! The front Worker's routes (wasm32 only), one file each. Every handler receives the request and
//! the [`Ctx`] and answers; the wire form of errors comes from `oauth::errors` and `http`.

pub mod authorize;
pub mod callback;
pub mod dev;
pub mod mcp;
pub mod metadata;
pub mod register;
pub mod token;

use std::rc::Rc;

use worker::{Env, Request, Result, Stub};

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
        let origin = r2_mcp_durable::url_parts::origin(url).unwrap_or("").to_owned();
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

/// Sends a JSON body to an internal route of the user's object and returns its status and JSON.
pub async fn call_object<T: serde::Serialize>(
    ctx: &Ctx,
    user_key: &str,
    path: &str,
    body: &T,
) -> Result<(u16, serde_json::Value)> {
    let json = serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let headers = worker::Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post).with_headers(headers).with_body(Some(json.into()));
    let req = Request::new_with_init(&format!("https://user-object{path}"), &init)?;
    let mut resp = ctx.user_object(user_key)?.fetch_with_request(req).await?;
    let status = resp.status_code();
    let value = resp.json().await.unwrap_or(serde_json::Value::Null);
    Ok((status, value))
}
