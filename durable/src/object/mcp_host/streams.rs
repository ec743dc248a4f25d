//! Live SSE streams held in memory: one unbounded channel per open HTTP response, turned into the
//! response body with `Response::from_stream`, plus keep-alive comments every
//! [`sse::KEEP_ALIVE_SECS`] seconds.
//!
//! A stream outlives its connection: a POST stream whose client dropped (or that we closed on
//! purpose, SEP-1699) keeps its entry without a sink while its work runs, its events going to the
//! event log only, and a `GET` with `Last-Event-ID` attaches a new sink to it. Dropping an
//! entry's sender ends that HTTP response. Nothing here awaits: every method runs inside one
//! borrow of the map and returns before the caller's next `.await`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use worker::{Headers, Response};

use crate::mcp::jsonrpc::Id;
use crate::mcp::outcome::ListenFilter;
use crate::mcp::sse;

/// What a stream carries.
#[derive(Clone, Debug)]
pub enum Kind {
    /// The answer to one POST (and what the work sends before it).
    Post,
    /// A session's server-to-client stream (`GET`).
    Get,
    /// A 2026-07-28 `subscriptions/listen` stream.
    Listen { filter: ListenFilter, subscription: Id },
}

struct Live {
    session: Option<String>,
    /// The OAuth grant of the request that opened it: the stream ends when the grant does.
    grant: String,
    kind: Kind,
    sink: Option<UnboundedSender<Vec<u8>>>,
    /// Which connection the sink belongs to (keep-alive loops stop when it changes).
    generation: u64,
    /// Last event number issued on a POST stream (GET streams count in SQLite).
    last_seq: u64,
}

/// All live streams of this object.
#[derive(Default)]
pub struct Hub {
    live: RefCell<HashMap<String, Live>>,
    generation: Cell<u64>,
}

/// A new connection's body and the generation that names it.
pub struct Opened {
    pub body: UnboundedReceiver<Vec<u8>>,
    pub generation: u64,
}

impl Hub {
    fn next_generation(&self) -> u64 {
        let g = self.generation.get().wrapping_add(1);
        self.generation.set(g);
        g
    }

    /// Opens (or, for an existing id, reconnects) a stream with a fresh sink. A previous
    /// connection on the same id is ended. `grant`: the grant of the request opening it.
    pub fn open(&self, id: &str, session: Option<&str>, grant: &str, kind: Kind) -> Opened {
        let (tx, rx) = unbounded();
        let generation = self.next_generation();
        let mut live = self.live.borrow_mut();
        match live.get_mut(id) {
            Some(l) => {
                l.sink = Some(tx);
                l.generation = generation;
            }
            None => {
                live.insert(
                    id.to_owned(),
                    Live {
                        session: session.map(str::to_owned),
                        grant: grant.to_owned(),
                        kind,
                        sink: Some(tx),
                        generation,
                        last_seq: 0,
                    },
                );
            }
        }
        Opened { body: rx, generation }
    }

    /// Whether a stream with this id is running and belongs to `session`.
    pub fn is_live_for(&self, id: &str, session: &str) -> bool {
        self.live.borrow().get(id).is_some_and(|l| l.session.as_deref() == Some(session))
    }

    /// The next event number of a POST stream.
    pub fn next_seq(&self, id: &str) -> Option<u64> {
        let mut live = self.live.borrow_mut();
        let l = live.get_mut(id)?;
        l.last_seq += 1;
        Some(l.last_seq)
    }

    /// Sends raw SSE text to the stream's connection, if one is attached; a connection the
    /// client closed is dropped (and a listen stream with it). True when handed over.
    pub fn write(&self, id: &str, text: &str) -> bool {
        let mut live = self.live.borrow_mut();
        let Some(l) = live.get_mut(id) else { return false };
        let Some(sink) = &l.sink else { return false };
        if sink.unbounded_send(text.as_bytes().to_vec()).is_ok() {
            return true;
        }
        l.sink = None;
        if matches!(l.kind, Kind::Listen { .. } | Kind::Get) {
            live.remove(id);
        }
        false
    }

    /// Sends a keep-alive comment if connection `generation` is still the stream's; false tells
    /// the keep-alive loop to stop.
    pub fn keep_alive(&self, id: &str, generation: u64) -> bool {
        let current = self.live.borrow().get(id).is_some_and(|l| l.generation == generation && l.sink.is_some());
        current && self.write(id, sse::keep_alive())
    }

    /// Ends the connection but keeps the stream (its events still go to the log).
    pub fn detach(&self, id: &str) {
        if let Some(l) = self.live.borrow_mut().get_mut(id) {
            l.sink = None;
        }
    }

    /// Ends the stream and its connection.
    pub fn close(&self, id: &str) {
        self.live.borrow_mut().remove(id);
    }

    /// Ends every stream of a session (DELETE, expiry).
    pub fn close_session(&self, session: &str) {
        self.live.borrow_mut().retain(|_, l| l.session.as_deref() != Some(session));
    }

    /// Ends every stream opened through a grant (the grant was revoked or expired): session
    /// streams, 2026-07-28 listen streams and POST answers still running.
    pub fn close_grant(&self, grant: &str) {
        self.live.borrow_mut().retain(|_, l| l.grant != grant);
    }

    /// The grants that have a stream open (to close them when the grant ends).
    pub fn grants(&self) -> Vec<String> {
        let mut g: Vec<String> = self.live.borrow().values().map(|l| l.grant.clone()).collect();
        g.sort();
        g.dedup();
        g
    }

    /// The open 2026-07-28 listen streams: id, filter, subscription id.
    pub fn listeners(&self) -> Vec<(String, ListenFilter, Id)> {
        self.live
            .borrow()
            .iter()
            .filter_map(|(id, l)| match &l.kind {
                Kind::Listen { filter, subscription } if l.sink.is_some() => {
                    Some((id.clone(), filter.clone(), subscription.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

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
pub fn response(body: UnboundedReceiver<Vec<u8>>, session_id: Option<&str>) -> worker::Result<Response> {
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
