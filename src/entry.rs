//! The `fetch` event (wasm32 only): reads the configuration once per isolate, routes the request,
//! and maps failures to their wire form. Handlers live in `routes/`.

use std::cell::RefCell;
use std::rc::Rc;

use r2_mcp_wire::url as url_parts;
use worker::{event, web_sys, Context, Env, Headers, Method, Request, Response, Result};

use crate::config::{AuthMode, Config, ConfigError, LogLevel};
use crate::http;
use crate::log;
use crate::oauth::metadata::well_known;
use crate::routes::{self, Ctx};

thread_local! {
    /// Settings are fixed for an isolate's life (a new deployment starts new isolates).
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

fn config(env: &Env) -> std::result::Result<Rc<Config>, ConfigError> {
    if let Some(c) = CONFIG.with(|c| c.borrow().clone()) {
        return Ok(c);
    }
    let c = Rc::new(Config::from_lookup(|name| env_string(env, name))?);
    CONFIG.with(|slot| *slot.borrow_mut() = Some(c.clone()));
    Ok(c)
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Takes the runtime's request as it is: wrapping it in `worker::Request` reads its `cf`
/// properties, which the runtime builds anew on every read (the profile put that at 13 % of a
/// 401's isolate time), so only the routes that use `worker::Request` wrap it, and `/mcp` never does.
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, _ctx: Context) -> Result<Response> {
    let started = worker::Date::now().as_millis();
    let url = req.url();
    let path = url_parts::path(&url).to_owned();
    let headers = Headers(req.headers());
    let mut line = log::Line {
        request_id: log::cf_ray(headers.get("cf-ray").ok().flatten()),
        method: req.method(),
        route: log::route_of(&path),
        ..Default::default()
    };
    // Read once per request; an unreadable configuration is answered (and logged) inside `route`,
    // and its line is still written.
    let config = config(&env);
    let min = config.as_ref().map_or(LogLevel::Info, |c| c.log_level);
    let result = route(req, headers, &url, env, config, &path, &mut line).await;
    let resp = match result {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!("{}", serde_json::json!({ "level": "error", "request_id": line.request_id(), "error": e.to_string() }));
            http::json_error(500, "server_error", "the server could not complete the request")
        }
    };
    line.status = resp.as_ref().map(|r| r.status_code()).unwrap_or(500);
    line.duration_ms = worker::Date::now().as_millis().saturating_sub(started);
    line.emit(min);
    resp
}

async fn route(
    raw: web_sys::Request,
    headers: Headers,
    url: &str,
    env: Env,
    config: std::result::Result<Rc<Config>, ConfigError>,
    path: &str,
    line: &mut log::Line,
) -> Result<Response> {
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            worker::console_error!("{e}");
            return http::json_error(500, "server_error", &e.to_string());
        }
    };
    let ctx = Ctx::new(url, env, config);
    if path == "/mcp" {
        return routes::mcp::handle(raw, headers, &ctx, line).await;
    }
    if path.starts_with(crate::transfer::PREFIX) {
        let query = url_parts::query(url).to_owned();
        return routes::transfer::handle(raw, headers, &ctx, path, &query, line).await;
    }
    let req = Request::from(raw);
    let config = ctx.config.clone();
    if let AuthMode::OAuth(up) = &config.auth {
        if let Some(which) = well_known(path) {
            return routes::metadata::handle(&req, &ctx, which);
        }
        match (req.method(), path) {
            (_, "/register") => return routes::register::handle(req, &ctx).await,
            (_, "/authorize") => return routes::authorize::handle(req, &ctx, up).await,
            (Method::Get, "/callback") => return routes::callback::handle(req, &ctx, up).await,
            (_, "/token") => return routes::token::token(req, &ctx, up).await,
            (_, "/revoke") => return routes::token::revoke(req, &ctx).await,
            _ => {}
        }
    }
    match (req.method(), path) {
        (Method::Get, "/") => home(&ctx),
        #[cfg(feature = "dev")]
        (_, p) if p.starts_with("/_dev/") && ctx.config.dev_mode && ctx.is_loopback() => routes::dev::handle(req, &ctx, p).await,
        _ => http::json_error(404, "not_found", "no such route"),
    }
}

fn home(ctx: &Ctx) -> Result<Response> {
    Response::ok(format!("R2 MCP server. Connect an MCP client (Streamable HTTP) to {}/mcp; it will ask you to log in.\n", ctx.origin))
}

fn env_string(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|s| s.to_string()).or_else(|| env.var(name).ok().map(|v| v.to_string()))
}
