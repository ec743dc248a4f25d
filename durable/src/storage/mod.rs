//! Storage rules for the R2 tools, as plain Rust: which R2 key a user's key maps to, which keys and
//! prefixes are refused, how object bytes are shown (text or base64, how much inline), the write
//! queue's ordering and the R2 retry schedule. (The journal — write intents and the audit trail —
//! is [`crate::tools::journal`].)
//!
//! The tools and their wasm32 glue call these; nothing here touches R2, SQLite or JS.
//!
//! # Layout
//! | module | owns |
//! |---|---|
//! | [`namespace`] | the per-user key prefix `u/<user_key>/`, mapping keys in and stripping them out |
//! | [`keys`] | keys and prefixes: NFC, then every check (namespace escapes, length, look-alikes, overlong UTF-8), once |
//! | [`content`] | text-vs-base64 decisions, UTF-8 cut points, etag spelling |
//! | [`range`] | byte ranges: the inline limit, what R2 is asked for, what the answer covers |
//! | [`preconditions`] | `if_match` and create-only checks and their messages |
//! | [`etags`] | the in-memory etags of this object's own writes (a write to a known key skips its `head`) |
//! | [`queue`] | the FIFO ticket lock that orders every write across awaits |
//! | [`retry`] | R2 rate-limit detection and the bounded backoff schedule |
//! | [`time`] | Unix milliseconds → RFC 3339 |

pub mod content;
pub mod etags;
pub mod keys;
pub mod namespace;
pub mod preconditions;
pub mod queue;
pub mod range;
pub mod retry;
pub mod time;
