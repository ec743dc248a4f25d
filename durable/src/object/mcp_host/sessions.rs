//! The session store: one `mcp_sessions` row per MCP session of this user (SQLite, so sessions
//! outlive eviction and restarts). The row holds the engine's [`SessionRecord`] as JSON, the id of
//! the session's GET stream with its last event number, and the idle clock (`last_seen_ms`, the
//! authoritative copy; the record's field is refreshed from it on load).

use serde_json::Value;
use worker::{SqlStorage, SqlStorageValue};

use crate::mcp::session::{SessionPolicy, SessionRecord};
use crate::object::db;

/// Most sessions one user keeps; creating one more drops the least recently used. Bounds what a
/// client that initializes in a loop can store.
pub const MAX_SESSIONS_PER_USER: i64 = 200;
/// `last_seen_ms` is written at most this often per session (reads stay write-free).
pub const TOUCH_EVERY_MS: u64 = 60_000;

/// A loaded session: the engine's record plus the transport's columns.
#[derive(Clone, Debug)]
pub struct Stored {
    pub record: SessionRecord,
    /// The stream id of this session's GET stream (fixed for its life).
    pub get_stream: String,
}

fn s(v: &str) -> SqlStorageValue {
    SqlStorageValue::from(v)
}

/// Inserts a new session, then trims the user's oldest sessions beyond the cap. Returns the ids
/// of the sessions dropped by the cap.
pub fn create(sql: &SqlStorage, record: &SessionRecord, get_stream: &str) -> worker::Result<Vec<String>> {
    let json = serde_json::to_string(record).map_err(|e| worker::Error::RustError(e.to_string()))?;
    sql.exec(
        "INSERT INTO mcp_sessions (id, user_key, record, get_stream, get_seq, last_seen_ms) VALUES (?, ?, ?, ?, 0, ?)",
        vec![s(&record.id), s(&record.user_key), s(&json), s(get_stream), SqlStorageValue::from(record.last_seen_ms as i64)],
    )?;
    let over: Vec<String> = sql
        .exec(
            "SELECT id FROM mcp_sessions WHERE user_key = ? ORDER BY last_seen_ms DESC LIMIT -1 OFFSET ?",
            vec![s(&record.user_key), SqlStorageValue::from(MAX_SESSIONS_PER_USER)],
        )?
        .raw()
        .filter_map(|r| r.ok().and_then(|r| db::text(r.first())))
        .collect();
    for id in &over {
        delete(sql, id)?;
    }
    Ok(over)
}

/// Loads a session by id (any user; the caller applies [`SessionRecord::check_access`]).
pub fn load(sql: &SqlStorage, id: &str) -> worker::Result<Option<Stored>> {
    let row = db::one(sql, "SELECT record, get_stream, last_seen_ms FROM mcp_sessions WHERE id = ?", vec![s(id)])?;
    Ok(row.and_then(|r| parse_row(&r)))
}

fn parse_row(r: &[SqlStorageValue]) -> Option<Stored> {
    let mut record: SessionRecord = serde_json::from_str(&db::text(r.first())?).ok()?;
    let get_stream = db::text(r.get(1))?;
    record.last_seen_ms = db::int(r.get(2)).map_or(record.last_seen_ms, |v| v.max(0) as u64);
    Some(Stored { record, get_stream })
}

/// Loads a session and applies the access rule (bound to `user_key`, not expired): `None` means
/// 404, whatever the reason.
pub fn load_for(sql: &SqlStorage, id: &str, user_key: &str, now_ms: u64, policy: SessionPolicy) -> worker::Result<Option<Stored>> {
    let stored = load(sql, id)?;
    let ok = SessionRecord::check_access(stored.as_ref().map(|s| &s.record), user_key, now_ms, policy).is_ok();
    Ok(stored.filter(|_| ok))
}

/// Marks activity, writing only when the stored clock is older than [`TOUCH_EVERY_MS`].
pub fn touch(sql: &SqlStorage, stored: &mut Stored, now_ms: u64) -> worker::Result<()> {
    if now_ms.saturating_sub(stored.record.last_seen_ms) >= TOUCH_EVERY_MS {
        stored.record.touch(now_ms);
        sql.exec(
            "UPDATE mcp_sessions SET last_seen_ms = ? WHERE id = ?",
            vec![SqlStorageValue::from(now_ms as i64), s(&stored.record.id)],
        )?;
    }
    Ok(())
}

/// Persists an updated record (log level, subscriptions, initialized), keeping the stored clock.
pub fn save(sql: &SqlStorage, record: &SessionRecord) -> worker::Result<()> {
    let json = serde_json::to_string(record).map_err(|e| worker::Error::RustError(e.to_string()))?;
    sql.exec("UPDATE mcp_sessions SET record = ? WHERE id = ?", vec![s(&json), s(&record.id)])?;
    Ok(())
}

/// Next event number on a session's GET stream (persisted, so ids never repeat after a restart).
pub fn next_get_seq(sql: &SqlStorage, id: &str) -> worker::Result<Option<u64>> {
    let row = db::one(sql, "UPDATE mcp_sessions SET get_seq = get_seq + 1 WHERE id = ? RETURNING get_seq", vec![s(id)])?;
    Ok(row.and_then(|r| db::int(r.first())).map(|v| v.max(0) as u64))
}

/// The last event number issued on a session's GET stream.
pub fn current_get_seq(sql: &SqlStorage, id: &str) -> worker::Result<u64> {
    let row = db::one(sql, "SELECT get_seq FROM mcp_sessions WHERE id = ?", vec![s(id)])?;
    Ok(row.and_then(|r| db::int(r.first())).map_or(0, |v| v.max(0) as u64))
}

/// Deletes a session and its event log.
pub fn delete(sql: &SqlStorage, id: &str) -> worker::Result<()> {
    sql.exec("DELETE FROM mcp_sessions WHERE id = ?", vec![s(id)])?;
    sql.exec("DELETE FROM mcp_events WHERE session_id = ?", vec![s(id)])?;
    Ok(())
}

/// Every live session of a user (for resource notifications).
pub fn all_for_user(sql: &SqlStorage, user_key: &str, now_ms: u64, policy: SessionPolicy) -> worker::Result<Vec<Stored>> {
    let rows = sql.exec(
        "SELECT record, get_stream, last_seen_ms FROM mcp_sessions WHERE user_key = ? AND last_seen_ms >= ?",
        vec![s(user_key), SqlStorageValue::from(now_ms.saturating_sub(policy.idle_ttl_ms) as i64)],
    )?;
    Ok(rows.raw().filter_map(|r| r.ok().and_then(|r| parse_row(&r))).collect())
}

/// Up to `limit` sessions idle for longer than the policy allows.
pub fn expired(sql: &SqlStorage, now_ms: u64, policy: SessionPolicy, limit: i64) -> worker::Result<Vec<String>> {
    let rows = sql.exec(
        "SELECT id FROM mcp_sessions WHERE last_seen_ms < ? LIMIT ?",
        vec![SqlStorageValue::from(now_ms.saturating_sub(policy.idle_ttl_ms) as i64), SqlStorageValue::from(limit)],
    )?;
    Ok(rows.raw().filter_map(|r| r.ok().and_then(|r| db::text(r.first()))).collect())
}

/// Whether any session remains (the alarm keeps running while one does).
pub fn any(sql: &SqlStorage) -> worker::Result<bool> {
    Ok(db::one(sql, "SELECT 1 FROM mcp_sessions LIMIT 1", vec![])?.is_some())
}

/// The client's name from `initialize`, for the audit trail.
pub fn client_name(record: &SessionRecord) -> Option<String> {
    record.client_info.get("name").and_then(Value::as_str).map(|n| crate::mcp::jsonrpc::clip(n, 128).to_owned())
}
