//! The `fetch` event (wasm32 only): reads the configuration, routes the request, and maps every
//! failure to its wire form. Handlers below it work on plain values where they can.

use worker::{event, Context, Env, Request, Response, Result};

use crate::config::Config;

/// The Durable Object namespace binding for per-user objects (see `wrangler.toml`).
const USER_OBJECT: &str = "USER_OBJECT";

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let config = match Config::from_lookup(|name| env_string(&env, name)) {
        Ok(c) => c,
        Err(e) => {
            worker::console_error!("{e}");
            return json_error(500, "server_error", &e.to_string());
        }
    };
    let path = req.path();
    match path.as_str() {
        "/" => Response::ok("R2 MCP server. Connect an MCP client to /mcp.\n"),
        "/mcp" | "/mcp/" => unauthorized(&req),
        p if config.dev_mode && p.starts_with("/_dev/do/") => dev_object(req, &env, p).await,
        _ => json_error(404, "not_found", "no such route"),
    }
}

/// `/_dev/do/<name>/<route>`: forwards to the Durable Object named `<name>` (DEV_MODE only), so the
/// local tests can check routing by name and state that outlives a runtime restart.
async fn dev_object(req: Request, env: &Env, path: &str) -> Result<Response> {
    let rest = &path["/_dev/do/".len()..];
    let Some((name, route)) = rest.split_once('/') else {
        return json_error(404, "not_found", "expected /_dev/do/<name>/<route>");
    };
    if name.is_empty() || name.len() > 128 {
        return json_error(400, "invalid_request", "object name must be 1 to 128 bytes");
    }
    let stub = env.durable_object(USER_OBJECT)?.id_from_name(name)?.get_stub()?;
    let inner = Request::new_with_init(
        &format!("https://user-object/_dev/{route}"),
        worker::RequestInit::new().with_method(req.method()),
    )?;
    stub.fetch_with_request(inner).await
}

/// Until a bearer token is presented and verified, `/mcp` answers 401 and names where to log in.
fn unauthorized(req: &Request) -> Result<Response> {
    let origin = req.url()?.origin().ascii_serialization();
    let mut resp = json_error(401, "invalid_token", "authentication required")?;
    resp.headers_mut().set(
        "WWW-Authenticate",
        &format!("Bearer resource_metadata=\"{origin}/.well-known/oauth-protected-resource/mcp\""),
    )?;
    Ok(resp)
}

fn json_error(status: u16, error: &str, description: &str) -> Result<Response> {
    let body = serde_json::json!({ "error": error, "error_description": description });
    let mut resp = Response::from_json(&body)?.with_status(status);
    resp.headers_mut().set("Cache-Control", "no-store")?;
    Ok(resp)
}

fn env_string(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|s| s.to_string()).or_else(|| env.var(name).ok().map(|v| v.to_string()))
}
