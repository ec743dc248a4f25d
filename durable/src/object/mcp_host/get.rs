//! `GET /mcp` (the session's server-to-client stream, and resumption with `Last-Event-ID`) and
//! `DELETE /mcp` (end the session). Session era only: 2026-07-28 answers both with 405 earlier.

use std::rc::Rc;

use futures::channel::mpsc::unbounded;
use worker::{Request, Response, Result};

use super::sessions::Stored;
use super::streams::{self, Kind};
use super::{event_log, header, replies, Host};
use crate::mcp::http_rules::{self, SessionNeed};
use crate::mcp::session;
use crate::mcp::settings::Settings;
use crate::mcp::sse::{self, EventId};
use crate::mcp::version::Version;
use crate::object::{db, McpCaller};

/// The session named by `Mcp-Session-Id`, bound to the caller; `Err` is the refusal to send.
fn session_of(host: &Host, req: &Request, caller: &McpCaller, settings: &Settings) -> Result<std::result::Result<Stored, Response>> {
    let id = match http_rules::session_rule(false, header(req, "Mcp-Session-Id").as_deref()) {
        Ok(SessionNeed::Lookup(id)) => id,
        Ok(SessionNeed::Create) => return Ok(Err(replies::rejection(&session::not_found())?)),
        Err(r) => return Ok(Err(replies::rejection(&r)?)),
    };
    let now = db::now_ms() as u64;
    match host.sessions.load_for(&id, caller.owner(), now, settings.session_policy())? {
        Some(mut s) => {
            host.sessions.touch(&mut s, now)?;
            Ok(Ok(s))
        }
        None => Ok(Err(replies::rejection(&session::not_found())?)),
    }
}

pub fn open(host: &Rc<Host>, req: &Request, caller: &McpCaller, settings: &Settings) -> Result<Response> {
    if let Err(r) = http_rules::check_accept_get(header(req, "Accept").as_deref()) {
        return replies::rejection(&r);
    }
    let mut stored = match session_of(host, req, caller, settings)? {
        Ok(s) => s,
        Err(resp) => return Ok(resp),
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
    let opened = host.hub.open(&stored.get_stream, Some(&sid), &caller.grant_id, Kind::Get);
    match last.filter(|e| e.stream == stored.get_stream) {
        Some(eid) => {
            for (seq, data) in event_log::after(&host.sql, &sid, &eid.stream, eid.seq)? {
                host.hub.write(&eid.stream, &sse::event(Some(&EventId::new(&eid.stream, seq)), &data));
            }
        }
        None if stored.record.version >= Version::V2025_11_25 => {
            let seq = host.sessions.current_get_seq(&sid)?;
            host.hub.write(&stored.get_stream, &sse::priming(&EventId::new(&stored.get_stream, seq), Some(sse::DEFAULT_RETRY_MS)));
        }
        None => {}
    }
    streams::spawn_keep_alive(host.clone(), stored.get_stream.clone(), opened.generation);
    streams::response(opened.body, None)
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
        Ok(s) => s,
        Err(resp) => return Ok(resp),
    };
    end_session(host, &stored.record.id)?;
    replies::no_content()
}

/// Removes a session everywhere: its row and events, its streams, its running work.
pub fn end_session(host: &Host, id: &str) -> Result<()> {
    host.sessions.delete(id)?;
    host.hub.close_session(id);
    host.inflight.end_session(id);
    Ok(())
}
