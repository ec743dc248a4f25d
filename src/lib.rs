//! The front Worker: OAuth 2.1 authorization server for MCP clients, upstream OIDC login, and the
//! bearer-checked `/mcp` route that hands each request to the user's Durable Object.
//!
//! # Layout
//! | module | owns |
//! |---|---|
//! | [`config`] | reading and validating the Worker's settings (names shared with Cloudflare's Access demo) |
//! | [`oauth`] | the OAuth 2.1 rules toward MCP clients: metadata, registration, authorize, token, PKCE, cookies, id_token checks |
//! | [`transfer`] | the HTTP rules of transfer links: request shapes, byte ranges, conditional requests, download headers |
//! | `entry` (wasm32) | the `fetch` event: configuration once per isolate, the route table |
//! | `routes` (wasm32) | one file per route: metadata, register, authorize, callback, token, `/mcp`, `/transfer/`, dev |
//! | `http` (wasm32) | response builders: JSON no-store, HTML with security headers, redirects, CORS |
//! | `upstream` (wasm32) | the upstream OpenID Provider: discovery, JWKS cache, code exchange, id_token validation |
//! | `clients` (wasm32) | registered clients and registration rate limits, in the `ClientRegistry` object |
//! | `client_registry` (wasm32) | the exported `ClientRegistry` Durable Object class |
//! | `log` (wasm32) | one structured JSON log line per request, nothing secret in it |
//! | `relay` (wasm32) | long-lived SSE streams held by the Worker over the user object's hibernatable socket |
//! | `random` (wasm32) | the runtime's CSPRNG and clock |
//! | `webcrypto` (wasm32) | id_token signature checks with the runtime's WebCrypto |
//! | `user_object` (wasm32) | the exported Durable Object class, a thin shell over [`r2_mcp_durable`] |
//!
//! Pure logic takes plain values and returns plain values, so `cargo test` checks it natively; the
//! modules marked wasm32 are the Workers glue and compile only for the Worker.

pub mod config;
pub mod oauth;
pub mod transfer;

#[cfg(target_arch = "wasm32")]
mod client_registry;
#[cfg(target_arch = "wasm32")]
mod clients;
#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod log;
#[cfg(target_arch = "wasm32")]
mod random;
#[cfg(target_arch = "wasm32")]
mod relay;
#[cfg(target_arch = "wasm32")]
mod routes;
#[cfg(target_arch = "wasm32")]
mod upstream;
#[cfg(target_arch = "wasm32")]
mod user_object;
#[cfg(target_arch = "wasm32")]
mod webcrypto;
