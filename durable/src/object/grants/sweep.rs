//! The alarm's cleanup of the grant tables: expired grants, access tokens, retired refresh hashes
//! and completed login states.

use worker::SqlStorage;

use crate::object::db::now_secs;

/// Deletes expired grants, tokens and login states; returns how many rows went.
pub fn sweep(sql: &SqlStorage) -> worker::Result<usize> {
    let now = now_secs();
    let mut n = 0;
    for (q, arg) in [
        ("DELETE FROM access_tokens WHERE expires_at <= ?", now),
        ("DELETE FROM retired_refresh WHERE grant_id IN (SELECT grant_id FROM grants WHERE expires_at <= ?)", now),
        ("DELETE FROM grants WHERE expires_at <= ?", now),
        ("DELETE FROM login_states WHERE used_at <= ?", now - 24 * 3600),
    ] {
        n += sql.exec(q, vec![arg.into()])?.rows_written();
    }
    Ok(n)
}
