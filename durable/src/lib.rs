//! The per-user Durable Object: one per user, holding that user's MCP sessions, OAuth grants and
//! tokens, and applying that user's R2 mutations one at a time, in order.
//!
//! # Layout
//! | module | owns |
//! |---|---|
//! | [`grants`] | OAuth grants and tokens: token format, hashing, code and refresh-rotation rules |
//! | [`mcp`] | the MCP protocol engine: JSON-RPC, versions, HTTP rules, dispatch |
//! | [`tools`] | the R2 tools, one file each, and their registry; the journaled write and the audit trail |
//! | [`transfer`] | transfer links: their tokens and tags, lifetimes, upload parts, the `transfer_links` table |
//! | [`storage`] | storage rules: namespaces, object keys, content, ranges, preconditions, the write queue |
//! | [`hub`] | live SSE connections in memory: backlog bound, grant binding, reconnects |
//! | [`memo`] | a small bounded in-memory memo in front of storage (etags, sessions) |
//! | [`schema`] | the SQLite tables this object keeps, created and migrated in one place |
//! | `object` (wasm32) | the Durable Object runtime: internal routes, SQLite and R2 calls |
//! | `registry` (wasm32) | the `ClientRegistry` object: registered OAuth clients and registration rate limits |
//!
//! The deployable crate exports the class; everything here that is not wasm32-only is plain Rust and
//! tested natively.

pub mod grants;
pub mod hub;
pub mod mcp;
pub mod memo;
pub mod schema;
pub mod storage;
pub mod tools;
pub mod transfer;

#[cfg(target_arch = "wasm32")]
pub mod object;
#[cfg(target_arch = "wasm32")]
pub mod registry;
