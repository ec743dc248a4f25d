//! OAuth grants and tokens kept in the user's object, as plain Rust (no I/O).
//!
//! | module | owns |
//! |---|---|
//! | [`token`] | the token format `<user_key>:<grant_id>:<tag>:<secret>`, strict parsing, the routing tag, SHA-256 hashing |
//! | [`claims`] | reading an identity from OpenID claims (id_token, userinfo): groups, subject check |
//! | [`sealed`] | per-grant encryption of identity and upstream tokens, keys wrapped per token |
//! | [`rules`] | the grant state machine: code single use and replay, refresh rotation, access checks, expiry |
//!
//! # Storage layout (copy into `durable/SCHEMA.md`)
//!
//! Only hashes of tokens are stored (`token::hash`, SHA-256 base64url). Times are unix seconds.
//!
//! ```sql
//! -- One row per grant ([`rules::GrantRecord`]); lives until `expires_at` (then the alarm deletes
//! -- it with its access tokens and retired hashes). A revoked grant keeps its row until then so
//! -- a replayed code or refresh token still fails as invalid_grant.
//! CREATE TABLE grants (
//!   grant_id TEXT PRIMARY KEY,            -- 22 chars base64url, also inside every token
//!   client_id TEXT NOT NULL,
//!   scope TEXT NOT NULL,                  -- space-delimited
//!   resource TEXT NOT NULL,               -- RFC 8707 binding, <origin>/mcp
//!   redirect_uri TEXT NOT NULL,
//!   redirect_uri_explicit INTEGER NOT NULL,
//!   code_challenge TEXT NOT NULL,         -- PKCE S256
//!   created_at INTEGER NOT NULL,
//!   code_hash TEXT NOT NULL,
//!   code_expires_at INTEGER NOT NULL,     -- created_at + 10 min
//!   code_redeemed_at INTEGER,             -- NULL until used; set → replay revokes
//!   refresh_hash TEXT,                    -- current refresh token
//!   previous_refresh_hash TEXT,           -- valid until refresh_hash is first used
//!   refresh_expires_at INTEGER,           -- last rotation + 30 d
//!   expires_at INTEGER NOT NULL,          -- when the row may be deleted
//!   revoked INTEGER NOT NULL DEFAULT 0,
//!   props BLOB                            -- identity + upstream tokens, encrypted (glue-owned)
//! );
//! CREATE UNIQUE INDEX grants_refresh ON grants(refresh_hash);
//! CREATE INDEX grants_expiry ON grants(expires_at);
//!
//! -- One row per live access token ([`rules::AccessTokenRecord`]); TTL 1 h.
//! CREATE TABLE access_tokens (
//!   token_hash TEXT PRIMARY KEY,
//!   grant_id TEXT NOT NULL REFERENCES grants(grant_id) ON DELETE CASCADE,
//!   scope TEXT NOT NULL,                  -- may be narrower than the grant's
//!   expires_at INTEGER NOT NULL
//! );
//! CREATE INDEX access_tokens_grant ON access_tokens(grant_id);
//!
//! -- Refresh tokens rotated out ([`rules::Issue::retire`]); presenting one again revokes the
//! -- grant (RefreshReused). Deleted with the grant.
//! CREATE TABLE retired_refresh (
//!   token_hash TEXT PRIMARY KEY,
//!   grant_id TEXT NOT NULL REFERENCES grants(grant_id) ON DELETE CASCADE,
//!   retired_at INTEGER NOT NULL
//! );
//! ```
//!
//! How the glue uses them: a presented token is parsed ([`token::parse`]; the `user_key` picks
//! this object, the `grant_id` the row), hashed, and judged by the [`rules`] function for its
//! kind: codes by `grants.code_hash`, refresh tokens by `refresh_hash`/`previous_refresh_hash`
//! (and `retired_refresh` for `known_retired`), access tokens by `access_tokens.token_hash`. The
//! returned writes are applied in one transaction (`transactionSync`), so a code or refresh
//! token can never be redeemed twice concurrently.

pub mod claims;
pub mod rules;
pub mod sealed;
pub mod token;
