//! Requests in flight, in memory: the cancellation flag of every running request (set by
//! `notifications/cancelled`), and the server→client requests (sampling, elicitation) waiting
//! for the client's answer. Keys carry the session id ("" for 2026-07-28), so one session can
//! neither cancel nor answer another's requests.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::oneshot;
use serde_json::Value;

use crate::mcp::jsonrpc::{Id, RpcError};

type Key = (String, Id);
pub type Answer = Result<Value, RpcError>;

#[derive(Default)]
pub struct Inflight {
    running: RefCell<HashMap<Key, Rc<Cell<bool>>>>,
    asks: RefCell<HashMap<Key, oneshot::Sender<Answer>>>,
    next_ask: Cell<u64>,
}

/// Removes a running request's entry when the work ends, however it ends.
pub struct Running<'a> {
    owner: &'a Inflight,
    key: Key,
    pub cancelled: Rc<Cell<bool>>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut running = self.owner.running.borrow_mut();
        if running.get(&self.key).is_some_and(|c| Rc::ptr_eq(c, &self.cancelled)) {
            running.remove(&self.key);
        }
    }
}

impl Inflight {
    /// Registers a request as running; its flag turns true on `notifications/cancelled`.
    pub fn start(&self, session: &str, id: &Id) -> Running<'_> {
        let cancelled = Rc::new(Cell::new(false));
        let key = (session.to_owned(), id.clone());
        self.running.borrow_mut().insert(key.clone(), cancelled.clone());
        Running { owner: self, key, cancelled }
    }

    /// `notifications/cancelled`: flags the named request, if it is still running.
    pub fn cancel(&self, session: &str, id: &Id) {
        if let Some(flag) = self.running.borrow().get(&(session.to_owned(), id.clone())) {
            flag.set(true);
        }
    }

    /// A fresh id for a request we send, and the receiver of its answer.
    pub fn ask(&self, session: &str) -> (Id, oneshot::Receiver<Answer>) {
        let n = self.next_ask.get().wrapping_add(1);
        self.next_ask.set(n);
        let id = Id::Str(format!("srv-{n}"));
        let (tx, rx) = oneshot::channel();
        self.asks.borrow_mut().insert((session.to_owned(), id.clone()), tx);
        (id, rx)
    }

    /// Forgets an ask that timed out or was cancelled.
    pub fn forget(&self, session: &str, id: &Id) {
        self.asks.borrow_mut().remove(&(session.to_owned(), id.clone()));
    }

    /// The client answered one of our requests; unknown ids are ignored.
    pub fn answer(&self, session: &str, id: Id, answer: Answer) {
        if let Some(tx) = self.asks.borrow_mut().remove(&(session.to_owned(), id)) {
            let _ = tx.send(answer);
        }
    }

    /// Cancels everything of a session (DELETE).
    pub fn end_session(&self, session: &str) {
        for (k, flag) in self.running.borrow().iter() {
            if k.0 == session {
                flag.set(true);
            }
        }
        self.asks.borrow_mut().retain(|k, _| k.0 != session);
    }
}
