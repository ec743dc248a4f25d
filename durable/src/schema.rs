//! The SQLite tables each user's Durable Object keeps, and the migrations that create them.
//!
//! Every table, what it holds, how long it lives and what is hashed or encrypted is written in
//! `durable/SCHEMA.md`; this file is the executable form of that document. Migrations are applied in
//! order, once, inside the object's constructor (`blockConcurrencyWhile`), and recorded in
//! `schema_version`, so a restart or an eviction never re-runs or skips one.

/// One migration: the version it brings the database to and the statements that do it.
pub struct Migration {
    pub version: i64,
    pub statements: &'static [&'static str],
}

/// All migrations, oldest first. Append only: a deployed migration is never edited.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        statements: &[
            // Liveness and diagnostics counters (`/_dev/` routes in DEV_MODE).
            "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        ],
    },
    Migration {
        version: 2,
        statements: &[
            // OAuth grants: the rules' record as JSON, the sealed props, and the grant key wrapped
            // by each live token that may unwrap it (see grants::sealed).
            "CREATE TABLE grants (grant_id TEXT PRIMARY KEY, record TEXT NOT NULL, props BLOB NOT NULL, \
             code_wrap BLOB, refresh_wrap BLOB, previous_refresh_wrap BLOB, expires_at INTEGER NOT NULL)",
            "CREATE INDEX grants_expiry ON grants(expires_at)",
            "CREATE TABLE access_tokens (token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, \
             record TEXT NOT NULL, key_wrap BLOB NOT NULL, expires_at INTEGER NOT NULL)",
            "CREATE INDEX access_tokens_grant ON access_tokens(grant_id)",
            "CREATE INDEX access_tokens_expiry ON access_tokens(expires_at)",
            "CREATE TABLE retired_refresh (token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, retired_at INTEGER NOT NULL)",
            "CREATE INDEX retired_refresh_grant ON retired_refresh(grant_id)",
            "CREATE TABLE login_states (state_hash TEXT PRIMARY KEY, used_at INTEGER NOT NULL)",
        ],
    },
    Migration {
        version: 3,
        statements: &[
            // The R2 audit trail: one row per applied mutation, in applied order (`seq`); keys
            // are the user's keys as a JSON array, never the namespace prefix (tools::journal).
            "CREATE TABLE r2_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, \
             session_id TEXT, client_name TEXT, operation TEXT NOT NULL, keys TEXT NOT NULL, \
             etag_before TEXT, etag_after TEXT)",
            "CREATE INDEX r2_audit_time ON r2_audit(at_ms)",
        ],
    },
    Migration {
        version: 4,
        statements: &[
            // MCP sessions (object::mcp_host::sessions): the engine's record as JSON, the id of the
            // session's GET stream and its last event sequence number, and the idle clock.
            "CREATE TABLE mcp_sessions (id TEXT PRIMARY KEY, user_key TEXT NOT NULL, record TEXT NOT NULL, \
             get_stream TEXT NOT NULL, get_seq INTEGER NOT NULL DEFAULT 0, last_seen_ms INTEGER NOT NULL)",
            "CREATE INDEX mcp_sessions_idle ON mcp_sessions(last_seen_ms)",
            // SSE events kept for `Last-Event-ID` replay (object::mcp_host::event_log).
            "CREATE TABLE mcp_events (stream_id TEXT NOT NULL, seq INTEGER NOT NULL, session_id TEXT NOT NULL, \
             at_ms INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (stream_id, seq))",
            "CREATE INDEX mcp_events_session ON mcp_events(session_id, at_ms)",
            "CREATE INDEX mcp_events_age ON mcp_events(at_ms)",
        ],
    },
    Migration {
        version: 5,
        statements: &[
            // The write-ahead intent (tools::journal): the one write in progress, synced before
            // R2 is touched and replaced by its r2_audit row once R2 confirmed it.
            "CREATE TABLE r2_intent (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER NOT NULL, \
             session_id TEXT, client_name TEXT, operation TEXT NOT NULL, keys TEXT NOT NULL, etag_before TEXT)",
        ],
    },
    Migration {
        version: 6,
        statements: &[
            // Whether the session ever opened its GET stream: only those get notifications logged
            // for replay (a client that never held an event id of that stream cannot resume it).
            // Sessions from before this column keep getting them.
            "ALTER TABLE mcp_sessions ADD COLUMN get_opened INTEGER NOT NULL DEFAULT 0",
            "UPDATE mcp_sessions SET get_opened = 1",
        ],
    },
    Migration {
        version: 7,
        statements: &[
            // The OAuth grant each session was opened through: a grant that ends (revoked, expired)
            // ends its sessions. Sessions from before this column belong to no grant and answer
            // 404 (their tokens, of the earlier format, no longer authenticate anyway).
            "ALTER TABLE mcp_sessions ADD COLUMN grant_id TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX mcp_sessions_grant ON mcp_sessions(grant_id)",
            // When each grant's last token stops working (rules::GrantRecord::live_until), and
            // whether the object has ended it (its sessions and streams closed). Rows from before
            // count as live until the row itself expires.
            "ALTER TABLE grants ADD COLUMN live_until INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE grants ADD COLUMN ended INTEGER NOT NULL DEFAULT 0",
            "UPDATE grants SET live_until = expires_at",
            "CREATE INDEX grants_live ON grants(ended, live_until)",
        ],
    },
    Migration {
        version: 8,
        statements: &[
            // 2026-07-28 listen streams held by the Worker (object::mcp_host::sockets): the filter
            // and subscription id of each, kept while its socket lives (the object may hibernate).
            "CREATE TABLE mcp_listens (stream_id TEXT PRIMARY KEY, grant_id TEXT NOT NULL, \
             listening TEXT NOT NULL, created_ms INTEGER NOT NULL)",
            "CREATE INDEX mcp_listens_grant ON mcp_listens(grant_id)",
        ],
    },
    Migration {
        version: 9,
        statements: &[
            // Transfer links (transfer::sqlite): only the SHA-256 of each link's token, the user's
            // key it names, the grant that made it (its end ends them), when it expires (Unix ms),
            // and its settings and upload state as JSON (transfer::LinkRecord).
            "CREATE TABLE transfer_links (hash TEXT PRIMARY KEY, link_id TEXT NOT NULL, grant_id TEXT NOT NULL, \
             kind TEXT NOT NULL, key TEXT NOT NULL, expires_ms INTEGER NOT NULL, record TEXT NOT NULL)",
            "CREATE INDEX transfer_links_grant ON transfer_links(grant_id)",
            "CREATE INDEX transfer_links_expiry ON transfer_links(expires_ms)",
            // The parts R2 holds for each link's multipart upload, until it is completed or aborted.
            "CREATE TABLE transfer_parts (hash TEXT NOT NULL, part INTEGER NOT NULL, etag TEXT NOT NULL, \
             size INTEGER NOT NULL, PRIMARY KEY (hash, part))",
            // The link an audit record (or a write's intent) is about.
            "ALTER TABLE r2_audit ADD COLUMN link_id TEXT",
            "ALTER TABLE r2_intent ADD COLUMN link_id TEXT",
        ],
    },
];

/// The statement that creates the bookkeeping table itself.
pub const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";

/// The migrations still to apply to a database at `current` version, in order.
pub fn pending(current: i64) -> impl Iterator<Item = &'static Migration> {
    MIGRATIONS.iter().filter(move |m| m.version > current)
}

/// The newest version the code knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_strictly_increasing_from_one() {
        for (m, expected) in MIGRATIONS.iter().zip(1..) {
            assert_eq!(m.version, expected, "migration versions must be 1, 2, 3, …");
            assert!(!m.statements.is_empty());
        }
    }

    #[test]
    fn pending_skips_applied_versions() {
        assert_eq!(pending(0).count(), MIGRATIONS.len());
        assert_eq!(pending(latest()).count(), 0);
    }
}
