//! `GET /mcp` (the session's server-to-client stream, and resumption with `Last-Event-ID`),
//! `DELETE /mcp` (end the session), and the attachment of a 2026-07-28 listen stream's socket.
//! Session era only for GET and DELETE: 2026-07-28 answers both with 405 earlier.
//!
//! The session's GET stream goes to the front Worker over a hibernatable WebSocket when the
//! Worker asks for one (`Upgrade: websocket`; see `sockets`): replayed or priming events first,
//! then live ones, all from this one synchronous turn, so none can interleave. A request without
//! the upgrade (an earlier Worker during a deploy) gets the stream from this object as before.

use std::rc::Rc;

use futures::channel::mpsc::unbounded;
use worker::{Request, Response, Result};

use super::sessions::Stored;
use super::sockets::SocketKind;
use super::streams::{self, Kind};
use super::{event_log, header, replies, Host};
use crate::mcp::http_rules::{self, Rejection, SessionNeed};
use crate::mcp::session;
use crate::mcp::settings::Settings;
use crate::mcp::sse::{self, EventId};
use crate::mcp::version::Version;
use crate::object::{db, McpCaller};

/// What `Mcp-Session-Id` names for this caller.
enum Named {
    Session(Stored),
    /// No such session of this caller, or no valid id: the answer to send.
    Refused(Rejection),
}

/// The session named by `Mcp-Session-Id`, bound to the caller.
fn session_of(host: &Host, req: &Request, caller: &McpCaller, settings: &Settings) -> Result<Named> {
    let id = match http_rules::session_rule(false, header(req, "Mcp-Session-Id").as_deref()) {
        Ok(SessionNeed::Lookup(id)) => id,
        Ok(SessionNeed::Create) => return Ok(Named::Refused(session::not_found())),
        Err(r) => return Ok(Named::Refused(r)),
    };
    let now = db::now_ms() as u64;
    Ok(match host.sessions.load_for(&id, caller.owner(), now, settings.session_policy())? {
        Some(mut s) => {
            host.sessions.touch(&mut s, now)?;
            Named::Session(s)
        }
        None => Named::Refused(session::not_found()),
    })
}

pub fn open(host: &Rc<Host>, req: &Request, caller: &McpCaller, settings: &Settings) -> Result<Response> {
    if let Err(r) = http_rules::check_accept_get(header(req, "Accept").as_deref()) {
        return replies::rejection(&r);
    }
    let mut stored = match session_of(host, req, caller, settings)? {
        Named::Session(s) => s,
        Named::Refused(r) => return replies::rejection(&r),
    };
    host.sessions.mark_get_opened(&mut stored)?;
    let sid = stored.record.id.clone();
    let last = header(req, "Last-Event-ID").and_then(|h| sse::parse_last_event_id(&h));
    // Everything below is synchronous: replayed events and live ones cannot interleave.
    if let Some(eid) = last.as_ref().filter(|e| e.stream != stored.get_stream) {
        let live = host.hub.is_live_for(&eid.stream, &sid);
        if live || event_log::knows_stream(&host.sql, &sid, &eid.stream)? {
            return resume_post_stream(host, &sid, &caller.grant_id, eid, live);
        }
    }
    let stream = stored.get_stream.clone();
    let mut first = Vec::new();
    match last.filter(|e| e.stream == stream) {
        Some(eid) => {
            for (seq, data) in event_log::after(&host.sql, &sid, &eid.stream, eid.seq)? {
                first.push(sse::event(Some(&EventId::new(&eid.stream, seq)), &data));
            }
        }
        None if stored.record.version >= Version::V2025_11_25 => {
            let seq = host.sessions.current_get_seq(&sid)?;
            first.push(sse::priming(&EventId::new(&stream, seq), Some(sse::DEFAULT_RETRY_MS)));
        }
        None => {}
    }
    if wants_socket(req) {
        let (client, server) = host.sockets.accept(&stream, Some(&sid), &caller.grant_id, SocketKind::Get)?;
        for text in &first {
            server.send_with_str(text)?;
        }
        return Response::from_websocket(client);
    }
    let opened = host.hub.open(&stream, Some(&sid), &caller.grant_id, Kind::Get);
    for text in &first {
        host.hub.write(&stream, text);
    }
    streams::spawn_keep_alive(host.clone(), stream, opened.generation);
    streams::response(opened.body, None)
}

/// Whether the front Worker asked for the stream as a hibernatable WebSocket.
fn wants_socket(req: &Request) -> bool {
    header(req, "Upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// The front Worker attaches the socket of a listen stream this caller's grant registered (see
/// `work::listen`); anything else is 404.
pub fn attach_listen(host: &Rc<Host>, req: &Request, caller: &McpCaller, stream: &str) -> Result<Response> {
    if !wants_socket(req) || !host.sockets.listen_of(stream, &caller.grant_id)? {
        return Response::error("no such listen stream", 404);
    }
    let (client, _server) = host.sockets.accept(stream, None, &caller.grant_id, SocketKind::Listen)?;
    Response::from_websocket(client)
}

/// A POST stream the client lost: replay what it missed, then follow it if its work still runs
/// (the answer arrives here), else end after the replay.
fn resume_post_stream(host: &Rc<Host>, sid: &str, grant: &str, eid: &EventId, live: bool) -> Result<Response> {
    let missed = event_log::after(&host.sql, sid, &eid.stream, eid.seq)?;
    let frames = missed.iter().map(|(seq, data)| sse::event(Some(&EventId::new(&eid.stream, *seq)), data));
    if live {
        let opened = host.hub.open(&eid.stream, Some(sid), grant, Kind::Post);
        for f in frames {
            host.hub.write(&eid.stream, &f);
        }
        streams::spawn_keep_alive(host.clone(), eid.stream.clone(), opened.generation);
        return streams::response(opened.body, None);
    }
    let (tx, rx) = unbounded();
    for f in frames {
        let _ = tx.unbounded_send(f.into_bytes());
    }
    drop(tx);
    streams::response(rx, None)
}

pub fn delete(host: &Rc<Host>, req: &Request, caller: &McpCaller, settings: &Settings) -> Result<Response> {
    let stored = match session_of(host, req, caller, settings)? {
        Named::Session(s) => s,
        Named::Refused(r) => return replies::rejection(&r),
    };
    end_session(host, &stored.record.id)?;
    replies::no_content()
}

/// Removes a session everywhere: its row and events, its streams, its running work.
pub fn end_session(host: &Host, id: &str) -> Result<()> {
    host.sessions.delete(id)?;
    host.hub.close_session(id);
    host.sockets.close_session(id);
    host.inflight.end_session(id);
    Ok(())
}
