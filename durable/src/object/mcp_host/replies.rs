//! HTTP answers of the MCP endpoint: JSON-RPC messages as JSON or as a one-event SSE stream,
//! refusals ([`Rejection`]) with their status, 202 and 204.

use futures::channel::mpsc::unbounded;
use serde_json::Value;
use worker::{Response, Result};

use super::streams;
use crate::mcp::http_rules::{Accepts, Rejection};
use crate::mcp::jsonrpc::{self, RpcError, INTERNAL_ERROR};
use crate::mcp::sse;

/// A refusal: its status, `Allow` when set, and the JSON-RPC error body.
pub fn rejection(r: &Rejection) -> Result<Response> {
    let mut resp = Response::from_json(&r.body())?.with_status(r.status);
    if let Some(allow) = r.allow {
        resp.headers_mut().set("Allow", allow)?;
    }
    Ok(resp)
}

/// One JSON-RPC message. Sent as JSON unless the client accepts only SSE (then one event on a
/// stream that ends). Errors with a 4xx status are always JSON.
pub fn message(status: u16, body: &Value, accepts: Accepts, session_id: Option<&str>) -> Result<Response> {
    if status == 200 && !accepts.json && accepts.sse {
        let (tx, rx) = unbounded();
        let _ = tx.unbounded_send(sse::event(None, &body.to_string()).into_bytes());
        drop(tx);
        return streams::response(rx, session_id);
    }
    let mut resp = Response::from_json(body)?.with_status(status);
    if let Some(s) = session_id {
        resp.headers_mut().set("Mcp-Session-Id", s)?;
    }
    Ok(resp)
}

/// 202 Accepted, no body.
pub fn accepted() -> Result<Response> {
    Ok(Response::empty()?.with_status(202))
}

/// 204 No Content.
pub fn no_content() -> Result<Response> {
    Ok(Response::empty()?.with_status(204))
}

/// A server-side failure (storage, configuration): 500 with a JSON-RPC internal error. Never
/// used for a client's mistake.
pub fn internal(why: &str) -> Result<Response> {
    let body = jsonrpc::error(None, &RpcError::new(INTERNAL_ERROR, format!("Internal error: {why}")));
    Ok(Response::from_json(&body)?.with_status(500))
}
