//! Live SSE streams held in memory: one channel per open HTTP response, which the glue turns into
//! the response body (`object::mcp_host::streams`). Plain Rust (`Rc`, `RefCell`, futures'
//! channels), so the rules are tested natively.
//!
//! A stream outlives its connection: a POST stream whose client dropped (or that we closed on
//! purpose, SEP-1699) keeps its entry without a sink while its work runs, its events going to the
//! event log only, and a `GET` with `Last-Event-ID` attaches a new sink to it. Dropping an
//! entry's sender ends that HTTP response. Nothing here awaits: every method runs inside one
//! borrow of the map and returns before the caller's next `.await`.
//!
//! A client that reads more slowly than events come cannot make the object hold them without
//! bound: each connection counts the bytes written but not yet taken by the runtime, and past
//! [`MAX_QUEUED_BYTES`] its connection is ended (a session's events are in the event log, so the
//! client resumes with `Last-Event-ID`; a listen stream is opened again).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::{Stream, StreamExt};

use crate::mcp::jsonrpc::Id;
use crate::mcp::outcome::ListenFilter;

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

/// Bytes one connection may have waiting for its client before it is ended.
pub const MAX_QUEUED_BYTES: usize = 4 * 1024 * 1024;

struct Live {
    session: Option<String>,
    /// The OAuth grant of the request that opened it: the stream ends when the grant does.
    grant: String,
    kind: Kind,
    sink: Option<UnboundedSender<Vec<u8>>>,
    /// Bytes written to the sink and not yet taken by the runtime.
    queued: Rc<Cell<usize>>,
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
    pub body: Body,
    pub generation: u64,
}

/// A connection's body: what was written to it, counted out as the runtime takes it.
pub struct Body {
    rx: UnboundedReceiver<Vec<u8>>,
    queued: Rc<Cell<usize>>,
}

impl Stream for Body {
    type Item = Vec<u8>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        let polled = self.rx.poll_next_unpin(cx);
        if let Poll::Ready(Some(chunk)) = &polled {
            self.queued.set(self.queued.get().saturating_sub(chunk.len()));
        }
        polled
    }
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
        let queued = Rc::new(Cell::new(0));
        let generation = self.next_generation();
        let mut live = self.live.borrow_mut();
        match live.get_mut(id) {
            Some(l) => {
                l.sink = Some(tx);
                l.queued = queued.clone();
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
                        queued: queued.clone(),
                        generation,
                        last_seq: 0,
                    },
                );
            }
        }
        Opened { body: Body { rx, queued }, generation }
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
    /// client closed, or one whose client has let [`MAX_QUEUED_BYTES`] pile up, is dropped (and a
    /// listen or GET stream with it). True when handed over.
    pub fn write(&self, id: &str, text: &str) -> bool {
        let mut live = self.live.borrow_mut();
        let Some(l) = live.get_mut(id) else { return false };
        let Some(sink) = &l.sink else { return false };
        let backlog = l.queued.get().saturating_add(text.len());
        if backlog <= MAX_QUEUED_BYTES && sink.unbounded_send(text.as_bytes().to_vec()).is_ok() {
            l.queued.set(backlog);
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
        current && self.write(id, crate::mcp::sse::keep_alive())
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
                Kind::Listen { filter, subscription } if l.sink.is_some() => Some((id.clone(), filter.clone(), subscription.clone())),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use futures::executor::block_on_stream;

    #[test]
    fn a_reader_that_keeps_up_gets_everything_in_order() {
        let hub = Hub::default();
        let opened = hub.open("s", Some("sess"), "g", Kind::Get);
        assert!(hub.write("s", "a") && hub.write("s", "b"));
        hub.close("s");
        let got: Vec<Vec<u8>> = block_on_stream(opened.body).collect();
        assert_eq!(got, vec![b"a".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn a_slow_reader_is_cut_off_once_its_backlog_passes_the_bound() {
        let hub = Hub::default();
        let opened = hub.open("s", Some("sess"), "g", Kind::Get);
        let event = "x".repeat(64 * 1024);
        let mut written = 0;
        while hub.write("s", &event) {
            written += event.len();
            assert!(written <= MAX_QUEUED_BYTES, "never more than the bound waiting");
        }
        assert!(written > MAX_QUEUED_BYTES - event.len());
        assert!(!hub.is_live_for("s", "sess"), "the GET stream was ended (the client resumes with Last-Event-ID)");
        // What was queued still reaches the client, then the body ends.
        assert_eq!(block_on_stream(opened.body).map(|c| c.len()).sum::<usize>(), written);
    }

    #[test]
    fn taking_chunks_makes_room_again() {
        let hub = Hub::default();
        let opened = hub.open("s", None, "g", Kind::Post);
        let event = "y".repeat(MAX_QUEUED_BYTES / 2);
        assert!(hub.write("s", &event) && hub.write("s", &event));
        let mut body = block_on_stream(opened.body);
        assert!(body.next().is_some());
        assert!(hub.write("s", &event), "room was made by the reader");
    }

    #[test]
    fn a_grant_that_ends_closes_every_stream_it_opened_and_no_other() {
        let hub = Hub::default();
        let a = hub.open("a", Some("s1"), "g1", Kind::Get);
        let b = hub.open("b", None, "g1", Kind::Post);
        let _c = hub.open("c", Some("s2"), "g2", Kind::Get);
        assert_eq!(hub.grants(), vec!["g1".to_owned(), "g2".to_owned()]);
        hub.close_grant("g1");
        assert_eq!(block_on_stream(a.body).count(), 0);
        assert_eq!(block_on_stream(b.body).count(), 0);
        assert!(hub.is_live_for("c", "s2"));
        assert_eq!(hub.grants(), vec!["g2".to_owned()]);
    }
}
