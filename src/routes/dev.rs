//! `/_dev/…` diagnostics (wasm32 only), served only with `DEV_MODE=1` and only to requests addressed
//! to a loopback host, so a misconfigured deployment still cannot expose them:
//! - `POST|GET /_dev/do/<name>/hits`: a counter in the Durable Object named `<name>` (routing and
//!   persistence checks);
//! - `GET /_dev/metrics`: the size of this isolate's wasm linear memory (the benchmark watches it
//!   stay flat over a long run);
//! - `POST /_dev/panic` and `POST /_dev/do/<name>/panic`: a deliberate panic in the Worker or in an
//!   object, for the containment test;
//! - `GET /_dev/do/<name>/alarm`: when that object's cleanup alarm is due (Unix ms, or null);
//! - `POST /_dev/do/<name>/crash-next-write`: that object's next write dies after R2 applied it
//!   and before its audit row (the write-ahead intent test);
//! - `POST /_dev/do/<name>/oauth/<route>`: the body, streamed, to that object's internal OAuth
//!   route (the test of its body bound);
//! - `GET /_dev/registry/<object>/rows`, `POST …/age?secs=N`, `POST …/alarm`: a `ClientRegistry`
//!   object's row counts and alarm, its rows aged by N seconds (as if time had passed), and its
//!   cleanup alarm made to fire now (the registry upkeep test);
//! - `POST /_dev/token` `{"email", "groups"?, "name"?}`: a grant and tokens for a test user without
//!   a login (tests and benchmarks that need many users).

use r2_mcp_wire::user_calls::{DevToken, UserCall, UserReply};
use r2_mcp_wire::UserIdentity;
use worker::{Request, RequestInit, Response, Result};

use super::{call_object, Ctx};
use crate::http;

/// The issuer recorded for dev users, so they can never collide with upstream identities.
const DEV_ISSUER: &str = "urn:r2-mcp:dev";

pub async fn handle(req: Request, ctx: &Ctx, path: &str) -> Result<Response> {
    if let Some(rest) = path.strip_prefix("/_dev/do/") {
        let Some((name, route)) = rest.split_once('/') else {
            return http::json_error(404, "not_found", "expected /_dev/do/<name>/<route>");
        };
        if name.is_empty() || name.len() > 128 {
            return http::json_error(400, "invalid_request", "object name must be 1 to 128 bytes");
        }
        let stub = ctx.user_object(name)?;
        let mut init = RequestInit::new();
        init.with_method(req.method());
        // The object's internal call route gets the body as it streams in (its body bound's test).
        let target = if route == "call" {
            init.with_body(req.inner().body().map(Into::into));
            format!("https://user-object/{route}")
        } else {
            format!("https://user-object/_dev/{route}")
        };
        let inner = Request::new_with_init(&target, &init)?;
        return stub.fetch_with_request(inner).await;
    }
    if let Some(rest) = path.strip_prefix("/_dev/registry/") {
        let Some((name, route)) = rest.split_once('/') else {
            return http::json_error(404, "not_found", "expected /_dev/registry/<object>/<route>");
        };
        if !(name.starts_with("clients:") || name.starts_with("limits:")) || name.len() > 80 {
            return http::json_error(400, "invalid_request", "a registry object is named clients:<..> or limits:<..>");
        }
        let query = r2_mcp_wire::url::query(&req.inner().url()).to_owned();
        return crate::clients::dev_call(ctx, name, req.method(), &format!("/_dev/{route}?{query}")).await;
    }
    if path == "/_dev/metrics" {
        return http::json(200, &serde_json::json!({ "wasm_memory_bytes": wasm_memory_bytes() }));
    }
    if path == "/_dev/panic" && req.method() == worker::Method::Post {
        panic!("deliberate panic in the front Worker (DEV_MODE containment test)");
    }
    if path == "/_dev/token" && req.method() == worker::Method::Post {
        let body: serde_json::Value = match http::read_body(&req, 16 * 1024).await.map(|b| serde_json::from_slice(&b)) {
            Ok(Ok(v)) => v,
            Err(http::BodyError::TooLarge) => return http::json_error(413, "invalid_request", "the body is larger than 16 KiB"),
            _ => return http::json_error(400, "invalid_request", "expected a JSON body"),
        };
        let Some(email) = body.get("email").and_then(|v| v.as_str()).filter(|e| e.contains('@')) else {
            return http::json_error(400, "invalid_request", "email is required");
        };
        let groups = body
            .get("groups")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let identity = UserIdentity {
            iss: DEV_ISSUER.into(),
            sub: email.to_ascii_lowercase(),
            email: Some(email.to_owned()),
            name: body.get("name").and_then(|v| v.as_str()).map(str::to_owned),
            groups,
        };
        let user_key = r2_mcp_wire::user_key(&identity.iss, &identity.sub);
        let Some(routing) = super::callback::new_routing(ctx, &user_key) else {
            return http::json_error(500, "server_error", "no token key (COOKIE_ENCRYPTION_KEY) is configured");
        };
        let call = DevToken {
            routing,
            identity,
            client_id: body.get("client_id").and_then(|v| v.as_str()).unwrap_or("dev-client").to_owned(),
            resource: ctx.resource(),
            lifetimes: ctx.config.lifetimes,
        };
        return match call_object(ctx, &user_key, &UserCall::DevToken(call)).await? {
            UserReply::Tokens(t) => http::json(200, &serde_json::to_value(&t).map_err(|e| worker::Error::RustError(e.to_string()))?),
            other => http::json(500, &serde_json::json!({ "error": "server_error", "reply": format!("{other:?}") })),
        };
    }
    http::json_error(404, "not_found", "no such dev route")
}

/// Bytes of wasm linear memory this instance has grown to (it never shrinks, so a leak shows).
fn wasm_memory_bytes() -> f64 {
    use worker::js_sys::Reflect;
    let memory = worker::wasm_bindgen::memory();
    Reflect::get(&memory, &"buffer".into())
        .and_then(|b| Reflect::get(&b, &"byteLength".into()))
        .ok()
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0)
}
