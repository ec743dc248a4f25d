//! OAuth 2.1 authorization-server rules toward MCP clients, as plain Rust (no I/O).
//!
//! Everything here takes plain values (strings, bytes, `now` as unix seconds, random bytes or a
//! `&mut dyn FnMut(&mut [u8])`) and returns plain values; the Workers glue does HTTP, fetch,
//! WebCrypto and storage. Grants and tokens themselves live in the user's Durable Object
//! (`r2_mcp_durable::grants`).
//!
//! # Layout
//! | module | owns |
//! |---|---|
//! | [`errors`] | the one `OAuthError` and its wire form (status, headers, JSON body) |
//! | [`form`] | strict `x-www-form-urlencoded` parsing (no repeats) and serialising |
//! | [`encoding`] | base64url, SHA-256, constant-time comparison |
//! | [`scope`] | scope syntax and what may be granted |
//! | [`pkce`] | RFC 7636 S256 challenge and verifier checks |
//! | [`redirect_uri`] | which redirect URIs may be registered, and matching (loopback any port) |
//! | [`registration`] | RFC 7591 dynamic client registration, the stored `ClientRecord` |
//! | [`source_key`] | the key a source address is rate-limited under (IPv4 address, IPv6 /64) |
//! | [`client_auth`] | client authentication at `/token` and `/revoke` (Basic, post, none) |
//! | [`client_metadata_document`] | Client ID Metadata Documents: which URLs, and turning a fetched document into a client |
//! | [`authorize`] | the `/authorize` request in two phases; success and error redirects (RFC 9207 `iss`) |
//! | [`token_request`] | `/token` and `/revoke` request bodies |
//! | [`cookies`] | signed (and optionally encrypted) expiring cookies, `__Host-` headers, CSRF tokens |
//! | [`metadata`] | RFC 8414 and RFC 9728 documents, the `WWW-Authenticate: Bearer` challenge |
//! | [`id_token`] | upstream id_token / Access JWT parsing and claim validation |
//! | [`jwks`] | selecting the upstream's verification key by `kid` and `alg` |
//! | [`html`] | `escape`, the page shell, the error page, security headers |
//! | [`consent_page`] | the consent page |
//!
//! Request flow: `/register` → [`registration`]; `/authorize` → [`authorize::parse_query`],
//! [`authorize::check_client`] (error page), [`authorize::validate`] (error redirect) →
//! [`consent_page`] with a [`cookies::seal`]ed request → upstream login → `/callback` →
//! [`id_token`] + [`jwks`] → grant opened in the user's object → [`authorize::success_redirect`];
//! `/token` → [`form`], [`client_auth`], [`token_request`] → the object's grant rules.

pub mod aead;
pub mod authorize;
pub mod client_auth;
pub mod client_metadata_document;
pub mod consent_page;
pub mod cookies;
pub mod encoding;
pub mod errors;
pub mod form;
pub mod html;
pub mod id_token;
pub mod jwks;
pub mod metadata;
pub mod pkce;
pub mod redirect_uri;
pub mod registration;
pub mod scope;
pub mod source_key;
pub mod token_request;

/// Tests across the OAuth rules: no input panics any parser.
#[cfg(test)]
#[path = "robustness_tests.rs"]
mod tests;
