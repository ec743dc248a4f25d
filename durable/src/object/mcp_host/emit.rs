//! Sending one JSON-RPC message on a stream: numbering it, logging it for replay (session era)
//! and handing it to the stream's connection if one is open. Where a request's own messages go
//! is an [`Out`]: nowhere (plain JSON answer) or its POST stream.

use serde_json::Value;

use super::sessions::Stored;
use super::{event_log, Host};
use crate::mcp::sse::{self, EventId};
use crate::object::db;

/// Where a request's messages before its answer go.
#[derive(Clone, Debug)]
pub enum Out {
    /// One JSON answer: progress and log messages are dropped, and nothing can be asked.
    Json,
    /// Its own SSE stream; `session` (session era) makes events carry ids and be logged.
    Sse { stream: String, session: Option<String> },
}

impl Out {
    /// Sends a message; false when it could not go anywhere (JSON answers).
    pub fn send(&self, host: &Host, msg: &Value) -> bool {
        match self {
            Out::Json => false,
            Out::Sse { stream, session } => to_stream(host, stream, session.as_deref(), msg),
        }
    }

    pub fn is_stream(&self) -> bool {
        matches!(self, Out::Sse { .. })
    }

    /// Closes the connection on purpose, after a `retry` hint, while the work goes on (SEP-1699).
    pub fn disconnect(&self, host: &Host, retry_ms: u32) {
        if let Out::Sse { stream, session: Some(_) } = self {
            host.hub.write(stream, &sse::retry(retry_ms));
            host.hub.detach(stream);
        }
    }

    /// The answer was sent: end the stream.
    pub fn finish(&self, host: &Host) {
        if let Out::Sse { stream, .. } = self {
            host.hub.close(stream);
        }
    }
}

/// A message on a POST or listen stream.
pub fn to_stream(host: &Host, stream: &str, session: Option<&str>, msg: &Value) -> bool {
    let data = msg.to_string();
    match session {
        Some(sid) => {
            let Some(seq) = host.hub.next_seq(stream) else { return false };
            if let Err(e) = event_log::append(&host.sql, sid, stream, seq, &data, db::now_ms()) {
                worker::console_warn!("event log append failed: {e}");
            }
            host.hub.write(stream, &sse::event(Some(&EventId::new(stream, seq)), &data))
        }
        None => host.hub.write(stream, &sse::event(None, &data)),
    }
}

/// A message on a session's GET stream: numbered and logged even while no GET is open.
pub fn to_session(host: &Host, session: &Stored, msg: &Value) {
    let sid = &session.record.id;
    let seq = match host.sessions.next_get_seq(sid) {
        Ok(Some(seq)) => seq,
        Ok(None) => return,
        Err(e) => {
            worker::console_warn!("could not number a GET stream event: {e}");
            return;
        }
    };
    let data = msg.to_string();
    if let Err(e) = event_log::append(&host.sql, sid, &session.get_stream, seq, &data, db::now_ms()) {
        worker::console_warn!("event log append failed: {e}");
    }
    let text = sse::event(Some(&EventId::new(&session.get_stream, seq)), &data);
    // To the Worker's relay (the usual way), or to a stream this object holds itself.
    if !host.sockets.send(&session.get_stream, &text) {
        host.hub.write(&session.get_stream, &text);
    }
}
