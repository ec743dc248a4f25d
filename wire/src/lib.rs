//! The boundary between the front Worker and the Durable Objects, and the pieces both sides share.
//!
//! Every call the Worker makes to a user's object is a [`user_calls::UserCall`] (JSON body) or an
//! `/mcp` forward described by one [`mcp_call::McpCall`] header; every answer is a
//! [`user_calls::UserReply`] or an MCP answer with one [`mcp_call::McpReply`] header. Calls to the
//! client registry are [`registry_calls::RegistryCall`]s. Neither side ever reads a header the
//! other did not define here, or re-parses JSON it only passes on.
//!
//! # Layout
//! | module | owns |
//! |---|---|
//! | [`user_calls`] | the OAuth calls to a user's object (open a grant, token, revoke, dev token) and their replies |
//! | [`mcp_call`] | the `/mcp` forward: who the caller is and what the Worker wants; what the object reports back |
//! | [`transfer`] | transfer links: what an object needs to mint them, and the calls made when one is used |
//! | [`registry_calls`] | the calls to the client registry objects (lookup, store, rate limit) |
//! | [`identity`] | the user as the upstream identified them, and the key naming their object |
//! | [`lifetimes`] | token and grant lifetimes, from the Worker's settings to the grant rules |
//! | [`oauth`] | OAuth error codes, shared by the Worker's error responses and the grant rules |
//! | [`upstream`] | the upstream token request with client authentication, and a bounded, timed fetch |
//! | [`url`] | origin, path, query, and form encoding and decoding, without a general URL parser |
//! | [`body`] | request and response bodies read with a bound (chunked or not) |
//!
//! Plain Rust values with serde; only `body`'s stream reader is wasm32 glue.

pub mod body;
pub mod identity;
pub mod lifetimes;
pub mod mcp_call;
pub mod oauth;
pub mod registry_calls;
pub mod transfer;
pub mod upstream;
pub mod url;
pub mod user_calls;

pub use identity::{user_key, UserIdentity};
pub use lifetimes::Lifetimes;
