//! The isolate's gate for large bodies (wasm32 only): a request body or a `resources/read` answer
//! above [`LARGE_BYTES`] passes through this isolate's memory several times (raw bytes, parsed
//! JSON, decoded content, the serialized answer), so such work takes the one turn of an
//! isolate-wide FIFO lock first and holds it until its bytes are gone. Several users' objects can
//! share an isolate (128 MB in all): four 9 MiB puts and four 9 MiB reads at once then run one
//! after another instead of adding up, while small requests never wait. Writes are applied one
//! at a time per user anyway, so a user's large puts lose nothing by it.

use std::rc::Rc;

use crate::storage::queue::{TicketLock, Turn};

/// A body or answer above this many bytes is large.
pub const LARGE_BYTES: u64 = 1024 * 1024;

thread_local! {
    static GATE: TicketLock = TicketLock::new();
}

/// Waits for the isolate's large-transfer turn; the work holds it (the `Rc` may be cloned into
/// spawned work) until every clone is dropped.
pub async fn turn() -> Rc<Turn> {
    let acquire = GATE.with(TicketLock::acquire);
    Rc::new(acquire.await)
}

/// Whether a request body with this `Content-Length` (absent: unknown, chunked) may be large.
pub fn is_large_body(declared: Option<u64>) -> bool {
    declared.is_none_or(|n| n > LARGE_BYTES)
}
