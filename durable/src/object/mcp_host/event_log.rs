//! The per-session SSE event log in SQLite (`mcp_events`), replayed on `GET` with
//! `Last-Event-ID` (2025-11-25 transports §Resumability and Redelivery).
//!
//! Every event sent with an id on a session-era stream (POST streams and the session's GET
//! stream) is appended, whether or not a connection is open to receive it, so a client whose
//! stream dropped gets what it missed. 2026-07-28 streams carry no ids and are not logged.
//!
//! Bounds, per session: the newest [`MAX_EVENTS_PER_SESSION`] events and at most
//! [`MAX_BYTES_PER_SESSION`] of event data (the newest event is always kept, however large);
//! events older than [`MAX_AGE_MS`] are dropped by the cleanup alarm; a session's events go with
//! it (DELETE, expiry). Trimming runs on every [`TRIM_EVERY`]th event of a stream and after any
//! event larger than [`BIG_EVENT_BYTES`].

use worker::{SqlStorage, SqlStorageValue};

use crate::object::db;

pub const MAX_EVENTS_PER_SESSION: i64 = 1_000;
pub const MAX_BYTES_PER_SESSION: i64 = 4 * 1024 * 1024;
/// One hour: resumption is for dropped connections, not for days-old history.
pub const MAX_AGE_MS: i64 = 60 * 60 * 1000;
pub const TRIM_EVERY: u64 = 16;
pub const BIG_EVENT_BYTES: usize = 64 * 1024;

/// Appends one event (the complete JSON-RPC message text) and trims when due.
pub fn append(sql: &SqlStorage, session_id: &str, stream_id: &str, seq: u64, data: &str, now_ms: i64) -> worker::Result<()> {
    sql.exec(
        "INSERT OR REPLACE INTO mcp_events (stream_id, seq, session_id, at_ms, data) VALUES (?, ?, ?, ?, ?)",
        vec![
            SqlStorageValue::from(stream_id),
            SqlStorageValue::from(seq as i64),
            SqlStorageValue::from(session_id),
            SqlStorageValue::from(now_ms),
            SqlStorageValue::from(data),
        ],
    )?;
    if seq.is_multiple_of(TRIM_EVERY) || data.len() > BIG_EVENT_BYTES {
        trim_session(sql, session_id)?;
    }
    Ok(())
}

/// Applies the per-session count and size bounds.
pub fn trim_session(sql: &SqlStorage, session_id: &str) -> worker::Result<()> {
    sql.exec(
        "DELETE FROM mcp_events WHERE rowid IN (SELECT rid FROM (SELECT rowid AS rid, \
         ROW_NUMBER() OVER (ORDER BY at_ms DESC, rowid DESC) AS n, \
         SUM(length(data)) OVER (ORDER BY at_ms DESC, rowid DESC) AS bytes \
         FROM mcp_events WHERE session_id = ?) WHERE n > ? OR (n > 1 AND bytes > ?))",
        vec![
            SqlStorageValue::from(session_id),
            SqlStorageValue::from(MAX_EVENTS_PER_SESSION),
            SqlStorageValue::from(MAX_BYTES_PER_SESSION),
        ],
    )?;
    Ok(())
}

/// The logged events of `stream_id` after `after_seq`, oldest first, if the stream belongs to
/// `session_id` (another session's stream replays nothing).
pub fn after(sql: &SqlStorage, session_id: &str, stream_id: &str, after_seq: u64) -> worker::Result<Vec<(u64, String)>> {
    let rows = sql.exec(
        "SELECT seq, data FROM mcp_events WHERE stream_id = ? AND session_id = ? AND seq > ? ORDER BY seq",
        vec![SqlStorageValue::from(stream_id), SqlStorageValue::from(session_id), SqlStorageValue::from(after_seq as i64)],
    )?;
    Ok(rows
        .raw()
        .filter_map(|r| {
            let r = r.ok()?;
            Some((db::int(r.first())?.max(0) as u64, db::text(r.get(1))?))
        })
        .collect())
}

/// Whether this session ever logged an event on `stream_id`.
pub fn knows_stream(sql: &SqlStorage, session_id: &str, stream_id: &str) -> worker::Result<bool> {
    Ok(db::one(
        sql,
        "SELECT 1 FROM mcp_events WHERE stream_id = ? AND session_id = ? LIMIT 1",
        vec![SqlStorageValue::from(stream_id), SqlStorageValue::from(session_id)],
    )?
    .is_some())
}

/// Drops events older than [`MAX_AGE_MS`] (alarm).
/// When the oldest kept event was written (Unix ms).
pub fn oldest(sql: &SqlStorage) -> worker::Result<Option<i64>> {
    Ok(crate::object::db::one(sql, "SELECT MIN(at_ms) FROM mcp_events", vec![])?.as_deref().and_then(|r| crate::object::db::int(r.first())))
}

pub fn drop_old(sql: &SqlStorage, now_ms: i64) -> worker::Result<()> {
    sql.exec("DELETE FROM mcp_events WHERE at_ms < ?", vec![SqlStorageValue::from(now_ms - MAX_AGE_MS)])?;
    Ok(())
}
