//! The MCP protocol engine, as plain Rust (no I/O).
//!
//! The Workers glue hands this engine headers and one POST body; the engine answers with a
//! decision: an HTTP rejection, a reply, or an [`outcome::Outcome`] effect (run a tool against
//! R2, persist a session, stream a script of notifications) that the glue executes and then turns
//! back into JSON-RPC with the pure builders here.
//!
//! # Layout
//! | module | owns |
//! |---|---|
//! | [`app`] | the MCP Apps extension: the object browser's `ui://` resource, tools' `_meta.ui` |
//! | [`jsonrpc`] | one POST body → one JSON-RPC message; error codes; response builders |
//! | [`version`] | revisions served, `initialize` negotiation, `MCP-Protocol-Version` rule |
//! | [`http_rules`] | checks before dispatch: method, media types, `Origin`, size, session and 2026 headers |
//! | [`session`] | the session record persisted per `Mcp-Session-Id`, ids, expiry, log levels |
//! | [`settings`] | the host's env settings (roles, fixtures, session TTL, origins), validated |
//! | [`sse`] | SSE framing, priming and keep-alive, event ids that name their stream |
//! | [`dispatch`] | message + context → [`outcome::Outcome`] |
//! | [`outcome`] | the decision types: [`outcome::Outcome`], scripts of streamed steps |
//! | [`completion`] | `completion/complete`: object-key completion effect, fixture prompt values |
//! | [`listen`] | 2026-07-28 `subscriptions/listen`: acknowledged filter, `subscriptionId` tags |
//! | [`meta`] | 2026-07-28 per-request `_meta` (version, client capabilities, log level) |
//! | [`capabilities`] | server identity, instructions, capabilities, `initialize`/`server/discover` results |
//! | [`pagination`] | opaque cursors |
//! | [`tool_result`] | `CallToolResult` builders: structured content, tool errors, resource links |
//! | [`resources`] | objects as resources: URI scheme, template, list/read result builders |
//! | [`conformance`] | fixtures for `@modelcontextprotocol/conformance`, served only when enabled |
//!
//! # Revisions
//! 2025-03-26, 2025-06-18 and 2025-11-25 are served with sessions; 2026-07-28 statelessly. The
//! era is chosen per request: `initialize` always starts a session, any other request whose
//! `MCP-Protocol-Version` header is 2026-07-28 is stateless, everything else needs a session.

pub mod app;
pub mod capabilities;
pub mod completion;
pub mod conformance;
pub mod dispatch;
pub mod http_rules;
pub mod jsonrpc;
pub mod listen;
pub mod meta;
pub mod outcome;
pub mod pagination;
pub mod resources;
pub mod session;
pub mod settings;
pub mod sse;
pub mod tool_result;
pub mod version;
