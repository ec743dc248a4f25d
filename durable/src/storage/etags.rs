//! The etags this object's own writes left in R2, kept in memory so a write to a key written
//! before needs no `head` first.
//!
//! Every change to a user's namespace goes through that user's write queue, so the etag a write
//! got back from R2 is the key's current etag until the next write, which updates it. The cache is
//! a hint, never trusted alone: each put is still conditional on the etag (`onlyIf`), so a stale
//! entry (an object changed outside this server) makes R2 refuse the put, and the write then asks
//! R2 again. Only writes fill it — a read runs beside the queue and could see an older version.
//! Memory only (a restarted object starts empty) and bounded ([`crate::memo::Memo`]): when full it
//! is emptied, which costs one `head` per key at most.

/// Keys remembered at most.
pub const CAPACITY: usize = 512;

/// Key → the etag this object's last write to it left.
pub type EtagCache = crate::memo::Memo<String, CAPACITY>;
