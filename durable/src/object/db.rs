//! Small helpers over the Durable Object's synchronous SQLite API (wasm32 only), plus the clock and
//! randomness every handler needs.

use worker::{SqlStorage, SqlStorageValue};

/// The first row of a query, if any.
pub fn one(sql: &SqlStorage, query: &str, args: Vec<SqlStorageValue>) -> worker::Result<Option<Vec<SqlStorageValue>>> {
    sql.exec(query, args)?.raw().next().transpose()
}

/// A BLOB column (SQLite may hand back an ArrayBuffer or nothing for NULL).
pub fn blob(v: Option<&SqlStorageValue>) -> Option<Vec<u8>> {
    match v {
        Some(SqlStorageValue::Blob(b)) => Some(b.clone()),
        _ => None,
    }
}

/// A TEXT column.
pub fn text(v: Option<&SqlStorageValue>) -> Option<String> {
    match v {
        Some(SqlStorageValue::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// An INTEGER column.
pub fn int(v: Option<&SqlStorageValue>) -> Option<i64> {
    match v {
        Some(SqlStorageValue::Integer(i)) => Some(*i),
        Some(SqlStorageValue::Float(f)) => Some(*f as i64),
        _ => None,
    }
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// Unix time in seconds.
pub fn now_secs() -> i64 {
    now_ms() / 1000
}

/// `N` bytes from the runtime's CSPRNG (`crypto.getRandomValues`).
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

/// Fills `buf` from the runtime's CSPRNG. The runtime's generator cannot fail short of a broken
/// isolate; if it ever did, we must not hand out predictable tokens, so this aborts the request.
pub fn fill_random(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        // Unrecoverable: better no token than a guessable one.
        panic!("crypto.getRandomValues failed: {e}");
    }
}
