//! The session store: one `mcp_sessions` row per MCP session of this user (SQLite, so sessions
//! outlive eviction and restarts). The row holds the engine's [`SessionRecord`] as JSON, the id of
//! the session's GET stream with its last event number, and the idle clock (`last_seen_ms`, the
//! authoritative copy; the record's field is refreshed from it on load).
//!
//! In front of the table, in memory: the rows of recently used sessions, written through (SQLite is
//! updated first, the copy only after it succeeded, so the copy always equals the row), and the
//! number of rows, so creating a session only looks for ones to drop when there are too many. A
//! new session's `initialized` and its first requests then cost no read. Every write to the table
//! goes through [`Sessions`], the object is single-threaded, and none of these methods awaits, so
//! nothing else can change a row between its read and its write here.

use std::cell::{Cell, RefCell};

use serde_json::Value;
use worker::{SqlStorage, SqlStorageValue};

use crate::mcp::session::{Owner, SessionPolicy, SessionRecord};
use crate::memo::Memo;
use crate::object::db;

/// Most sessions one user keeps; creating one more drops the least recently used ones. Bounds
/// what a client that initializes in a loop can store.
pub const MAX_SESSIONS_PER_USER: i64 = 200;
/// Sessions left after an eviction: ten below the cap, so a client that never ends its sessions
/// pays for one eviction per ten new sessions, not one each.
pub const EVICT_TO: i64 = MAX_SESSIONS_PER_USER - 10;
/// `last_seen_ms` is written at most this often per session (reads stay write-free).
pub const TOUCH_EVERY_MS: u64 = 60_000;
/// Sessions whose rows are kept in memory.
const REMEMBERED: usize = 64;

/// A loaded session: the engine's record plus the transport's columns.
#[derive(Clone, Debug)]
pub struct Stored {
    pub record: SessionRecord,
    /// The stream id of this session's GET stream (fixed for its life).
    pub get_stream: String,
    /// Whether the client ever opened that stream (only then are notifications kept for it).
    pub get_opened: bool,
}

/// The `mcp_sessions` table of this object, with its in-memory copies.
pub struct Sessions {
    sql: SqlStorage,
    recent: RefCell<Memo<Stored, REMEMBERED>>,
    /// Rows in the table, when known (unknown after a delete, until counted again).
    rows: Cell<Option<i64>>,
}

fn s(v: &str) -> SqlStorageValue {
    SqlStorageValue::from(v)
}

fn to_json(record: &SessionRecord) -> worker::Result<String> {
    serde_json::to_string(record).map_err(|e| worker::Error::RustError(e.to_string()))
}

impl Sessions {
    pub fn new(sql: SqlStorage) -> Self {
        Sessions { sql, recent: RefCell::default(), rows: Cell::new(None) }
    }

    /// Inserts a new session. When that puts the table over the cap, the user's least recently used
    /// sessions are dropped down to [`EVICT_TO`], so the creations that follow find room instead of
    /// each paying for an eviction. Returns the ids of the sessions dropped.
    pub fn create(&self, record: &SessionRecord, get_stream: &str) -> worker::Result<Vec<String>> {
        let json = to_json(record)?;
        let rows = match self.rows.get() {
            Some(n) => n,
            None => db::int(db::one(&self.sql, "SELECT COUNT(*) FROM mcp_sessions", vec![])?.as_ref().and_then(|r| r.first())).unwrap_or(0),
        };
        self.sql.exec(
            "INSERT INTO mcp_sessions (id, user_key, record, get_stream, get_seq, last_seen_ms, grant_id) VALUES (?, ?, ?, ?, 0, ?, ?)",
            vec![
                s(&record.id),
                s(&record.user_key),
                s(&json),
                s(get_stream),
                SqlStorageValue::from(record.last_seen_ms as i64),
                s(&record.grant_id),
            ],
        )?;
        let rows = rows + 1;
        self.rows.set(Some(rows));
        self.recent.borrow_mut().set(&record.id, Stored { record: record.clone(), get_stream: get_stream.to_owned(), get_opened: false });
        if rows <= MAX_SESSIONS_PER_USER {
            return Ok(Vec::new());
        }
        self.rows.set(None); // recounted if any step below fails
        let dropped: Vec<String> = self
            .sql
            .exec(
                "DELETE FROM mcp_sessions WHERE id IN (SELECT id FROM mcp_sessions WHERE user_key = ? AND id != ? \
                 ORDER BY last_seen_ms ASC LIMIT ?) RETURNING id",
                vec![s(&record.user_key), s(&record.id), SqlStorageValue::from(rows - EVICT_TO)],
            )?
            .raw()
            .filter_map(|r| r.ok().and_then(|r| db::text(r.first())))
            .collect();
        {
            let mut recent = self.recent.borrow_mut();
            for id in &dropped {
                recent.forget(id);
            }
        }
        for ids in dropped.chunks(50) {
            let marks = vec!["?"; ids.len()].join(", ");
            self.sql
                .exec(&format!("DELETE FROM mcp_events WHERE session_id IN ({marks})"), ids.iter().map(|id| s(id)).collect::<Vec<_>>())?;
        }
        self.rows.set(Some(rows - dropped.len() as i64));
        Ok(dropped)
    }

    /// Loads a session by id (any user; the caller applies [`SessionRecord::check_access`]).
    pub fn load(&self, id: &str) -> worker::Result<Option<Stored>> {
        if let Some(stored) = self.recent.borrow().get(id) {
            return Ok(Some(stored.clone()));
        }
        let row = db::one(&self.sql, &format!("SELECT {COLUMNS} FROM mcp_sessions WHERE id = ?"), vec![s(id)])?;
        let stored = row.and_then(|r| parse_row(&r));
        if let Some(found) = &stored {
            self.recent.borrow_mut().set(id, found.clone());
        }
        Ok(stored)
    }

    /// Loads a session and applies the access rule (bound to its user and grant, not expired):
    /// `None` means 404, whatever the reason.
    pub fn load_for(&self, id: &str, owner: Owner<'_>, now_ms: u64, policy: SessionPolicy) -> worker::Result<Option<Stored>> {
        let stored = self.load(id)?;
        let ok = SessionRecord::check_access(stored.as_ref().map(|s| &s.record), owner, now_ms, policy).is_ok();
        Ok(stored.filter(|_| ok))
    }

    /// Marks activity, writing only when the stored clock is older than [`TOUCH_EVERY_MS`] (the
    /// copy in memory keeps the stored clock, so it decides the same way a read would).
    pub fn touch(&self, stored: &mut Stored, now_ms: u64) -> worker::Result<()> {
        if now_ms.saturating_sub(stored.record.last_seen_ms) >= TOUCH_EVERY_MS {
            let id = stored.record.id.clone();
            self.forget_on_error(&id, || {
                self.sql.exec("UPDATE mcp_sessions SET last_seen_ms = ? WHERE id = ?", vec![SqlStorageValue::from(now_ms as i64), s(&id)])
            })?;
            stored.record.touch(now_ms);
            if let Some(kept) = self.recent.borrow_mut().get_mut(&id) {
                kept.record.last_seen_ms = stored.record.last_seen_ms;
            }
        }
        Ok(())
    }

    /// Records that the session's GET stream was opened (once; later calls write nothing).
    pub fn mark_get_opened(&self, stored: &mut Stored) -> worker::Result<()> {
        if stored.get_opened {
            return Ok(());
        }
        let id = stored.record.id.clone();
        self.forget_on_error(&id, || self.sql.exec("UPDATE mcp_sessions SET get_opened = 1 WHERE id = ?", vec![s(&id)]))?;
        stored.get_opened = true;
        if let Some(kept) = self.recent.borrow_mut().get_mut(&id) {
            kept.get_opened = true;
        }
        Ok(())
    }

    /// Persists an updated record (log level, subscriptions, initialized), keeping the stored
    /// clock.
    pub fn save(&self, record: &SessionRecord) -> worker::Result<()> {
        let json = to_json(record)?;
        self.forget_on_error(&record.id, || {
            self.sql.exec("UPDATE mcp_sessions SET record = ? WHERE id = ?", vec![s(&json), s(&record.id)])
        })?;
        if let Some(kept) = self.recent.borrow_mut().get_mut(&record.id) {
            let seen = kept.record.last_seen_ms;
            kept.record = record.clone();
            kept.record.last_seen_ms = seen;
        }
        Ok(())
    }

    /// Runs a write of one session's row; when it fails, the row's state is unknown, so the copy
    /// in memory is dropped (the next load reads the table).
    fn forget_on_error<T>(&self, id: &str, write: impl FnOnce() -> worker::Result<T>) -> worker::Result<()> {
        if let Err(e) = write() {
            self.recent.borrow_mut().forget(id);
            return Err(e);
        }
        Ok(())
    }

    /// Next event number on a session's GET stream (persisted, so ids never repeat after a
    /// restart).
    pub fn next_get_seq(&self, id: &str) -> worker::Result<Option<u64>> {
        let row = db::one(&self.sql, "UPDATE mcp_sessions SET get_seq = get_seq + 1 WHERE id = ? RETURNING get_seq", vec![s(id)])?;
        Ok(row.and_then(|r| db::int(r.first())).map(|v| v.max(0) as u64))
    }

    /// The last event number issued on a session's GET stream.
    pub fn current_get_seq(&self, id: &str) -> worker::Result<u64> {
        let row = db::one(&self.sql, "SELECT get_seq FROM mcp_sessions WHERE id = ?", vec![s(id)])?;
        Ok(row.and_then(|r| db::int(r.first())).map_or(0, |v| v.max(0) as u64))
    }

    /// Deletes a session and its event log.
    pub fn delete(&self, id: &str) -> worker::Result<()> {
        self.recent.borrow_mut().forget(id);
        let known = self.rows.take();
        let gone = db::one(&self.sql, "DELETE FROM mcp_sessions WHERE id = ? RETURNING id", vec![s(id)])?;
        self.sql.exec("DELETE FROM mcp_events WHERE session_id = ?", vec![s(id)])?;
        self.rows.set(known.map(|n| n - i64::from(gone.is_some())));
        Ok(())
    }

    /// Every live session of a user that ever opened its GET stream (for resource notifications).
    pub fn listening(&self, user_key: &str, now_ms: u64, policy: SessionPolicy) -> worker::Result<Vec<Stored>> {
        let rows = self.sql.exec(
            &format!("SELECT {COLUMNS} FROM mcp_sessions WHERE user_key = ? AND last_seen_ms >= ? AND get_opened = 1"),
            vec![s(user_key), SqlStorageValue::from(now_ms.saturating_sub(policy.idle_ttl_ms) as i64)],
        )?;
        Ok(rows.raw().filter_map(|r| r.ok().and_then(|r| parse_row(&r))).collect())
    }

    /// Up to `limit` sessions idle for longer than the policy allows.
    pub fn expired(&self, now_ms: u64, policy: SessionPolicy, limit: i64) -> worker::Result<Vec<String>> {
        let rows = self.sql.exec(
            "SELECT id FROM mcp_sessions WHERE last_seen_ms < ? LIMIT ?",
            vec![SqlStorageValue::from(now_ms.saturating_sub(policy.idle_ttl_ms) as i64), SqlStorageValue::from(limit)],
        )?;
        Ok(rows.raw().filter_map(|r| r.ok().and_then(|r| db::text(r.first()))).collect())
    }

    /// The sessions opened through a grant (to end them with it).
    pub fn of_grant(&self, grant_id: &str) -> worker::Result<Vec<String>> {
        let rows = self.sql.exec("SELECT id FROM mcp_sessions WHERE grant_id = ?", vec![s(grant_id)])?;
        Ok(rows.raw().filter_map(|r| r.ok().and_then(|r| db::text(r.first()))).collect())
    }

    /// Whether any session remains (the alarm keeps running while one does).
    pub fn any(&self) -> worker::Result<bool> {
        Ok(db::one(&self.sql, "SELECT 1 FROM mcp_sessions LIMIT 1", vec![])?.is_some())
    }
}

/// The columns [`parse_row`] reads, in its order.
const COLUMNS: &str = "record, get_stream, last_seen_ms, get_opened";

fn parse_row(r: &[SqlStorageValue]) -> Option<Stored> {
    let mut record: SessionRecord = serde_json::from_str(&db::text(r.first())?).ok()?;
    let get_stream = db::text(r.get(1))?;
    record.last_seen_ms = db::int(r.get(2)).map_or(record.last_seen_ms, |v| v.max(0) as u64);
    let get_opened = db::int(r.get(3)).is_some_and(|v| v != 0);
    Some(Stored { record, get_stream, get_opened })
}

/// The client's name from `initialize`, for the audit trail.
pub fn client_name(record: &SessionRecord) -> Option<String> {
    record.client_info.get("name").and_then(Value::as_str).map(|n| crate::mcp::jsonrpc::clip(n, 128).to_owned())
}
