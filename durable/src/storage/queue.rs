//! The write queue's ordering: a FIFO ticket lock for one single-threaded isolate.
//!
//! A Durable Object's input gate does not hold while it awaits R2, so two writes could interleave
//! their head/put/record steps. Every mutation instead takes a [`Turn`] first: tickets are handed
//! out in arrival order (the order `acquire` is first polled, i.e. the order requests reached the
//! tool layer) and served strictly in that order, one at a time, across any number of awaits.
//!
//! A waiter that goes away (its request was dropped or cancelled) gives up its ticket without
//! blocking the ones behind it; a turn handed to a waiter that vanished before taking it is
//! passed on. No `RefCell` borrow is held across an await: each poll borrows, decides, returns.
//! Plain `std` (`Rc`, `RefCell`, `Waker`), so the ordering is tested natively.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct State {
    next_ticket: u64,
    serving: u64,
    wakers: BTreeMap<u64, Waker>,
    /// Tickets whose waiters left before their turn.
    abandoned: BTreeSet<u64>,
    /// Tickets ever served (for diagnostics and tests).
    served: u64,
}

impl State {
    /// Ends the current turn and wakes the next live ticket.
    fn advance(&mut self) {
        self.serving += 1;
        while self.abandoned.remove(&self.serving) {
            self.serving += 1;
        }
        if let Some(w) = self.wakers.remove(&self.serving) {
            w.wake();
        }
    }
}

/// The lock; cheap to clone (all clones are one queue).
#[derive(Clone, Default)]
pub struct TicketLock {
    state: Rc<RefCell<State>>,
}

impl TicketLock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits for this caller's turn. The ticket is drawn on the first poll.
    pub fn acquire(&self) -> Acquire {
        Acquire { state: Rc::clone(&self.state), ticket: None, done: false }
    }

    /// Tickets waiting behind the current turn (plus the current one, if any).
    pub fn pending(&self) -> u64 {
        let s = self.state.borrow();
        s.next_ticket - s.serving
    }

    /// Turns completed so far.
    pub fn served(&self) -> u64 {
        self.state.borrow().served
    }
}

/// The future of [`TicketLock::acquire`].
pub struct Acquire {
    state: Rc<RefCell<State>>,
    ticket: Option<u64>,
    done: bool,
}

impl Future for Acquire {
    type Output = Turn;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Turn> {
        let this = &mut *self;
        let mut s = this.state.borrow_mut();
        let ticket = *this.ticket.get_or_insert_with(|| {
            let t = s.next_ticket;
            s.next_ticket += 1;
            t
        });
        if s.serving == ticket {
            s.wakers.remove(&ticket);
            drop(s);
            this.done = true;
            Poll::Ready(Turn { state: Rc::clone(&this.state), ticket })
        } else {
            s.wakers.insert(ticket, cx.waker().clone());
            Poll::Pending
        }
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        let (Some(ticket), false) = (self.ticket, self.done) else {
            return;
        };
        let Ok(mut s) = self.state.try_borrow_mut() else {
            return;
        };
        s.wakers.remove(&ticket);
        if s.serving == ticket {
            // Our turn came but we left: pass it on.
            s.advance();
        } else {
            s.abandoned.insert(ticket);
        }
    }
}

/// Holding this is holding the queue. Dropping it lets the next ticket in.
pub struct Turn {
    state: Rc<RefCell<State>>,
    ticket: u64,
}

impl Turn {
    /// This turn's position in arrival order (0-based, per object instance).
    pub fn ticket(&self) -> u64 {
        self.ticket
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Ok(mut s) = self.state.try_borrow_mut() {
            s.served += 1;
            s.advance();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(f).poll(&mut cx)
    }

    #[test]
    fn turns_are_served_in_arrival_order_one_at_a_time() {
        let lock = TicketLock::new();
        let mut waiters: Vec<Acquire> = (0..5).map(|_| lock.acquire()).collect();
        // Arrival order = first poll order.
        let mut turns: Vec<Option<Turn>> = waiters
            .iter_mut()
            .map(poll)
            .map(|p| match p {
                Poll::Ready(t) => Some(t),
                Poll::Pending => None,
            })
            .collect();
        assert!(turns[0].is_some() && turns[1..].iter().all(Option::is_none));
        let order = RefCell::new(Vec::new());
        for i in 0..5 {
            let t = match turns[i].take() {
                Some(t) => t,
                None => match poll(&mut waiters[i]) {
                    Poll::Ready(t) => t,
                    Poll::Pending => panic!("ticket {i} not served after its predecessors"),
                },
            };
            // Nobody behind may get in while this turn is held.
            for later in waiters.iter_mut().skip(i + 1) {
                assert!(poll(later).is_pending());
            }
            order.borrow_mut().push(t.ticket());
            drop(t);
        }
        assert_eq!(*order.borrow(), vec![0, 1, 2, 3, 4]);
        assert_eq!(lock.served(), 5);
        assert_eq!(lock.pending(), 0);
    }

    #[test]
    fn a_waiter_that_leaves_does_not_block_the_queue() {
        let lock = TicketLock::new();
        let mut a = lock.acquire();
        let mut b = lock.acquire();
        let mut c = lock.acquire();
        let ta = match poll(&mut a) {
            Poll::Ready(t) => t,
            _ => panic!(),
        };
        assert!(poll(&mut b).is_pending() && poll(&mut c).is_pending());
        drop(b); // cancelled while waiting
        drop(ta);
        assert!(matches!(poll(&mut c), Poll::Ready(t) if t.ticket() == 2));
    }

    #[test]
    fn a_turn_granted_to_a_vanished_waiter_is_passed_on() {
        let lock = TicketLock::new();
        let mut a = lock.acquire();
        let mut b = lock.acquire();
        let mut c = lock.acquire();
        let ta = match poll(&mut a) {
            Poll::Ready(t) => t,
            _ => panic!(),
        };
        assert!(poll(&mut b).is_pending() && poll(&mut c).is_pending());
        drop(ta); // b is now being served but has not polled yet
        drop(b);
        assert!(poll(&mut c).is_ready());
    }

    #[test]
    fn an_unpolled_acquire_takes_no_ticket() {
        let lock = TicketLock::new();
        let never = lock.acquire();
        drop(never);
        let mut a = lock.acquire();
        assert!(poll(&mut a).is_ready());
    }
}
