//! The `r2_audit` table (see `durable/SCHEMA.md`): one row per applied mutation, written inside the
//! mutation's queue turn right after R2 confirmed it (replacing the write's intent, see
//! [`super::intent`]), so `seq` order is the applied order.
//! `recent_changes` reads it newest first; the alarm trims it (`storage::audit` bounds).

use serde_json::{json, Value};
use worker::{SqlStorage, SqlStorageValue};

use super::r2::Io;
use crate::mcp::tool_args::RecentChanges;
use crate::mcp::tools::{error_result, structured_result};
use crate::mcp::version::Version;
use crate::object::db;
use crate::storage::audit::{self as rules, Operation, Record};

/// One mutation to record.
pub struct Entry<'a> {
    pub op: Operation,
    pub keys: &'a [&'a str],
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

fn opt(s: Option<&str>) -> SqlStorageValue {
    s.map_or(SqlStorageValue::Null, SqlStorageValue::from)
}

/// Who made a change and when, as recorded.
pub struct Origin<'a> {
    pub at_ms: i64,
    pub session_id: Option<&'a str>,
    pub client_name: Option<&'a str>,
}

impl<'a> Origin<'a> {
    /// The current call, now.
    pub fn now(io: &Io<'a>) -> Self {
        Origin {
            at_ms: db::now_ms(),
            session_id: io.ctx.session_id,
            client_name: io.ctx.client_name,
        }
    }
}

/// Records an applied mutation and clears the write's intent in the same SQLite transaction;
/// returns its `seq` (0 if SQLite failed, which is logged: the write itself is already applied and
/// is not undone, and the intent left behind is settled by the next queue turn).
pub fn record(io: &Io<'_>, e: Entry<'_>) -> i64 {
    if io.crash_before_audit.replace(false) {
        panic!("deliberate crash between R2 and the audit row (DEV_MODE fault)");
    }
    insert(io, &Origin::now(io), &e)
}

/// The columns an audit row shares with its intent, in table order from `at_ms` to `etag_before`.
pub fn values(origin: &Origin<'_>, op: Operation, keys: &[&str], before: Option<&str>) -> Vec<SqlStorageValue> {
    let keys = serde_json::to_string(keys).unwrap_or_else(|_| "[]".into());
    vec![
        SqlStorageValue::from(origin.at_ms),
        opt(origin.session_id),
        opt(rules::clip_client(origin.client_name).as_deref()),
        SqlStorageValue::from(op.as_str()),
        SqlStorageValue::from(keys),
        opt(before),
    ]
}

/// The row itself, plus the intent's removal (no await in between: one implicit transaction).
pub fn insert(io: &Io<'_>, origin: &Origin<'_>, e: &Entry<'_>) -> i64 {
    let sql = io.sql;
    let mut args = values(origin, e.op, e.keys, e.before);
    args.push(opt(e.after));
    let row = db::one(
        sql,
        "INSERT INTO r2_audit (at_ms, session_id, client_name, operation, keys, etag_before, etag_after) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        args,
    );
    match row {
        Ok(r) => {
            super::intent::clear(io);
            r.as_deref().and_then(|r| db::int(r.first())).unwrap_or(0)
        }
        Err(err) => {
            worker::console_error!("audit record failed: {err}");
            0
        }
    }
}

/// `recent_changes`: newest first, `limit` per page (default 50, at most 200).
pub fn recent_changes(sql: &SqlStorage, a: &RecentChanges, version: Version) -> Value {
    let before = match a.cursor.as_deref().filter(|c| !c.is_empty()) {
        // Past any seq, and exact as a JS number.
        None => (1_i64 << 53) - 1,
        Some(c) => match rules::decode_cursor(c) {
            Ok(s) => s,
            Err(e) => return error_result(e),
        },
    };
    let page = a.limit.unwrap_or(rules::DEFAULT_PAGE) as usize;
    let rows = sql.exec(
        "SELECT seq, at_ms, session_id, client_name, operation, keys, etag_before, etag_after \
         FROM r2_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?",
        vec![
            SqlStorageValue::from(before),
            SqlStorageValue::from(page as i64 + 1),
        ],
    );
    let rows = match rows {
        Ok(c) => c
            .raw()
            .filter_map(Result::ok)
            .map(|r| to_record(&r))
            .collect::<Vec<_>>(),
        Err(e) => return error_result(format!("Reading the audit trail failed: {e}")),
    };
    let (rows, next) = rules::page(rows, page);
    let changes: Vec<Value> = rows.iter().map(Record::to_json).collect();
    structured_result(json!({ "changes": changes, "next_cursor": next }), version)
}

fn to_record(r: &[SqlStorageValue]) -> Record {
    Record {
        seq: db::int(r.first()).unwrap_or(0),
        at_ms: db::int(r.get(1)).unwrap_or(0),
        session: db::text(r.get(2)),
        client: db::text(r.get(3)),
        operation: db::text(r.get(4)).unwrap_or_default(),
        keys: db::text(r.get(5))
            .and_then(|k| serde_json::from_str(&k).ok())
            .unwrap_or_default(),
        etag_before: db::text(r.get(6)),
        etag_after: db::text(r.get(7)),
    }
}

/// Deletes rows older than 30 days and beyond the newest 10,000, at most `TRIM_BATCH` per run;
/// `true` while more remain.
/// See [`super::R2Tools::next_due`].
pub fn next_due(sql: &SqlStorage) -> worker::Result<Option<i64>> {
    let row = db::one(sql, "SELECT MIN(at_ms), MAX(seq) - MIN(seq) + 1 FROM r2_audit", vec![])?;
    let Some(r) = row else { return Ok(None) };
    let (Some(oldest), rows) = (db::int(r.first()), db::int(r.get(1)).unwrap_or(0)) else { return Ok(None) };
    if rows > rules::MAX_ROWS {
        return Ok(Some(db::now_ms()));
    }
    Ok(Some(oldest.saturating_add(rules::MAX_AGE_MS)))
}

pub fn trim(sql: &SqlStorage) -> worker::Result<bool> {
    let newest = db::one(sql, "SELECT MAX(seq) FROM r2_audit", vec![])?
        .as_deref()
        .and_then(|r| db::int(r.first()));
    let Some(newest) = newest else {
        return Ok(false);
    };
    let keep_from_seq = newest - rules::MAX_ROWS + 1;
    let cutoff = rules::cutoff(db::now_ms());
    let condition = "at_ms < ? OR seq < ?";
    let args = || {
        vec![
            SqlStorageValue::from(cutoff),
            SqlStorageValue::from(keep_from_seq),
        ]
    };
    sql.exec(
        &format!("DELETE FROM r2_audit WHERE seq IN (SELECT seq FROM r2_audit WHERE {condition} ORDER BY seq LIMIT ?)"),
        {
            let mut a = args();
            a.push(SqlStorageValue::from(rules::TRIM_BATCH));
            a
        },
    )?;
    Ok(db::one(
        sql,
        &format!("SELECT 1 FROM r2_audit WHERE {condition} LIMIT 1"),
        args(),
    )?
    .is_some())
}
