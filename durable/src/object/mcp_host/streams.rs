//! The transport side of live SSE streams (wasm32 only): a [`Hub`] connection's body as a
//! `text/event-stream` response, and keep-alive comments every [`sse::KEEP_ALIVE_SECS`] seconds.
//! The streams themselves (connections, backlog bound, grant binding) are [`crate::hub`].

use std::rc::Rc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use worker::{Headers, Response};

pub use crate::hub::{Body, Hub, Kind};
use crate::mcp::sse;

/// Keeps a connection open behind proxies: a comment every [`sse::KEEP_ALIVE_SECS`] seconds
/// until the stream ends or another connection takes it over.
pub fn spawn_keep_alive(hub: Rc<super::Host>, id: String, generation: u64) {
    worker::wasm_bindgen_futures::spawn_local(async move {
        loop {
            worker::Delay::from(Duration::from_secs(u64::from(sse::KEEP_ALIVE_SECS))).await;
            if !hub.hub.keep_alive(&id, generation) {
                break;
            }
        }
    });
}

/// A `text/event-stream` response whose body is the channel.
pub fn response(body: impl Stream<Item = Vec<u8>> + 'static, session_id: Option<&str>) -> worker::Result<Response> {
    let headers = Headers::new();
    for (k, v) in sse::SSE_HEADERS {
        headers.set(k, v)?;
    }
    if let Some(s) = session_id {
        headers.set("Mcp-Session-Id", s)?;
    }
    Ok(Response::from_stream(body.map(Ok::<Vec<u8>, worker::Error>))?.with_headers(headers))
}

/// A random stream id.
pub fn new_stream_id() -> String {
    sse::new_stream_id(&crate::object::db::random_array::<{ sse::STREAM_ID_RANDOM_BYTES }>())
}
