//! The alarm's side of the grant tables: ending grants whose last token expired, deleting expired
//! rows (grants with their tokens and retired hashes, completed login states), and saying when the
//! next of them is due.

use worker::SqlStorage;

use crate::object::db::{self, now_secs};

/// How long a completed login's state is remembered (a replayed callback is refused meanwhile).
const LOGIN_STATE_SECS: i64 = 24 * 3600;

/// Ends the grants whose last token has expired (marking them so, once) and deletes the rows
/// that have served their time; returns the ids of the grants that ended or went, so their
/// sessions and streams end with them.
pub fn sweep(sql: &SqlStorage) -> worker::Result<Vec<String>> {
    let now = now_secs();
    let ids = |q: &str| -> worker::Result<Vec<String>> {
        let rows = sql.exec(q, vec![now.into()])?;
        Ok(rows.raw().filter_map(|r| r.ok().and_then(|r| db::text(r.first()))).collect())
    };
    let mut ended = ids("UPDATE grants SET ended = 1 WHERE ended = 0 AND live_until <= ? RETURNING grant_id")?;
    for (q, arg) in [
        ("DELETE FROM access_tokens WHERE expires_at <= ?", now),
        ("DELETE FROM retired_refresh WHERE grant_id IN (SELECT grant_id FROM grants WHERE expires_at <= ?)", now),
        ("DELETE FROM login_states WHERE used_at <= ?", now - LOGIN_STATE_SECS),
    ] {
        sql.exec(q, vec![arg.into()])?;
    }
    ended.extend(ids("DELETE FROM grants WHERE expires_at <= ? RETURNING grant_id")?);
    ended.sort();
    ended.dedup();
    Ok(ended)
}

/// When the next grant ends or expires, or a login state may be forgotten (Unix ms); `None`
/// when nothing is pending.
pub fn next_due(sql: &SqlStorage) -> worker::Result<Option<i64>> {
    let at = |q: &str| -> worker::Result<Option<i64>> { Ok(db::one(sql, q, vec![])?.as_deref().and_then(|r| db::int(r.first()))) };
    let ends = at("SELECT MIN(live_until) FROM grants WHERE ended = 0")?;
    let rows = at("SELECT MIN(expires_at) FROM grants")?;
    let login = at("SELECT MIN(used_at) FROM login_states")?.map(|t| t + LOGIN_STATE_SECS);
    Ok([ends, rows, login].into_iter().flatten().min().map(|secs| secs.saturating_mul(1000)))
}
