//! The `transfer_links` and `transfer_parts` tables (wasm32 only; layout in `durable/SCHEMA.md`).
//! Rows are found by the SHA-256 of the link's token, never by the token.

use worker::{SqlStorage, SqlStorageValue as V};

use super::{Kind, Link, LinkRecord, Part, KEEP_EXPIRED_MS};
use crate::object::db;

fn json(record: &LinkRecord) -> String {
    serde_json::to_string(record).unwrap_or_else(|_| "{}".into())
}

/// Stores a new link under its token's hash.
pub fn insert(sql: &SqlStorage, hash: &str, link: &Link) -> worker::Result<()> {
    sql.exec(
        "INSERT INTO transfer_links (hash, link_id, grant_id, kind, key, expires_ms, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            hash.into(),
            link.link_id.as_str().into(),
            link.grant_id.as_str().into(),
            link.kind.as_str().into(),
            link.key.as_str().into(),
            link.expires_ms.into(),
            json(&link.record).into(),
        ],
    )?;
    Ok(())
}

/// The link whose token hashes to `hash`.
pub fn find(sql: &SqlStorage, hash: &str) -> worker::Result<Option<Link>> {
    let row =
        db::one(sql, "SELECT link_id, grant_id, kind, key, expires_ms, record FROM transfer_links WHERE hash = ?", vec![hash.into()])?;
    let Some(r) = row else { return Ok(None) };
    let (Some(link_id), Some(grant_id), Some(kind), Some(key), Some(expires_ms)) =
        (db::text(r.first()), db::text(r.get(1)), db::text(r.get(2)).and_then(|k| Kind::parse(&k)), db::text(r.get(3)), db::int(r.get(4)))
    else {
        return Ok(None);
    };
    let record = db::text(r.get(5)).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    Ok(Some(Link { link_id, grant_id, kind, key, expires_ms, record }))
}

/// Saves a link's changed record.
pub fn save(sql: &SqlStorage, hash: &str, record: &LinkRecord) -> worker::Result<()> {
    sql.exec("UPDATE transfer_links SET record = ? WHERE hash = ?", vec![json(record).into(), hash.into()])?;
    Ok(())
}

/// Links that have not expired.
pub fn live_count(sql: &SqlStorage, now_ms: i64) -> worker::Result<i64> {
    let row = db::one(sql, "SELECT COUNT(*) FROM transfer_links WHERE expires_ms > ?", vec![now_ms.into()])?;
    Ok(row.as_deref().and_then(|r| db::int(r.first())).unwrap_or(0))
}

/// Keeps at most `max` rows: beyond it, expired links with no upload to abort are removed now,
/// oldest first (the hour they are kept to answer 410 is a courtesy, not a promise).
pub fn bound_rows(sql: &SqlStorage, now_ms: i64, max: i64) -> worker::Result<()> {
    let row = db::one(sql, "SELECT COUNT(*) FROM transfer_links", vec![])?;
    let over = row.as_deref().and_then(|r| db::int(r.first())).unwrap_or(0) - max;
    if over > 0 {
        sql.exec(
            "DELETE FROM transfer_links WHERE hash IN (SELECT hash FROM transfer_links WHERE expires_ms <= ? \
             AND json_extract(record, '$.upload_id') IS NULL ORDER BY expires_ms LIMIT ?)",
            vec![now_ms.into(), over.into()],
        )?;
    }
    Ok(())
}

/// The link `link_id` is spent: its upload was applied (found so by the journal after a
/// runtime died between R2 and the audit row).
pub fn spend(sql: &SqlStorage, link_id: &str) -> worker::Result<()> {
    sql.exec(
        "UPDATE transfer_links SET record = json_remove(json_set(record, '$.used', json('true')), '$.upload_id', '$.upload_key') \
         WHERE link_id = ?",
        vec![link_id.into()],
    )?;
    sql.exec("DELETE FROM transfer_parts WHERE hash IN (SELECT hash FROM transfer_links WHERE link_id = ?)", vec![link_id.into()])?;
    Ok(())
}

/// The parts stored for a link, in part order.
pub fn parts(sql: &SqlStorage, hash: &str) -> worker::Result<Vec<Part>> {
    let rows = sql.exec("SELECT part, etag, size FROM transfer_parts WHERE hash = ? ORDER BY part", vec![hash.into()])?;
    Ok(rows
        .raw()
        .filter_map(Result::ok)
        .filter_map(|r| {
            let number = u16::try_from(db::int(r.first())?).ok()?;
            Some(Part { number, etag: db::text(r.get(1))?, size: u64::try_from(db::int(r.get(2))?).ok()? })
        })
        .collect())
}

/// Bytes of a link's stored parts other than `except`.
pub fn others_size(sql: &SqlStorage, hash: &str, except: u16) -> worker::Result<u64> {
    let row = db::one(
        sql,
        "SELECT COALESCE(SUM(size), 0) FROM transfer_parts WHERE hash = ? AND part != ?",
        vec![hash.into(), i64::from(except).into()],
    )?;
    Ok(row.as_deref().and_then(|r| db::int(r.first())).and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// Records (or replaces: R2 keeps the last upload of a part number) a part R2 accepted.
pub fn store_part(sql: &SqlStorage, hash: &str, part: &Part) -> worker::Result<()> {
    sql.exec(
        "INSERT OR REPLACE INTO transfer_parts (hash, part, etag, size) VALUES (?, ?, ?, ?)",
        vec![hash.into(), i64::from(part.number).into(), part.etag.as_str().into(), V::Integer(part.size as i64)],
    )?;
    Ok(())
}

/// Forgets a link's parts (its upload was completed or aborted).
pub fn drop_parts(sql: &SqlStorage, hash: &str) -> worker::Result<()> {
    sql.exec("DELETE FROM transfer_parts WHERE hash = ?", vec![hash.into()])?;
    Ok(())
}

/// The links of a grant that ended expire now (the alarm then removes them and aborts their
/// uploads).
pub fn end_grant(sql: &SqlStorage, grant_id: &str, now_ms: i64) -> worker::Result<()> {
    sql.exec(
        "UPDATE transfer_links SET expires_ms = ? WHERE grant_id = ? AND expires_ms > ?",
        vec![now_ms.into(), grant_id.into(), now_ms.into()],
    )?;
    Ok(())
}

/// An expired link to remove: its hash and the multipart upload to abort (`(R2 key, upload id)`).
pub struct Expired {
    pub hash: String,
    pub upload: Option<(String, String)>,
}

/// At most `limit` links expired at least [`KEEP_EXPIRED_MS`] before `now_ms`.
pub fn expired(sql: &SqlStorage, now_ms: i64, limit: i64) -> worker::Result<Vec<Expired>> {
    let rows = sql.exec(
        "SELECT hash, record FROM transfer_links WHERE expires_ms <= ? ORDER BY expires_ms LIMIT ?",
        vec![(now_ms - KEEP_EXPIRED_MS).into(), limit.into()],
    )?;
    Ok(rows
        .raw()
        .filter_map(Result::ok)
        .filter_map(|r| {
            let hash = db::text(r.first())?;
            let record: LinkRecord = db::text(r.get(1)).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
            let upload = record.upload_key.zip(record.upload_id).filter(|_| !record.used);
            Some(Expired { hash, upload })
        })
        .collect())
}

/// Removes a link and its parts.
pub fn delete(sql: &SqlStorage, hash: &str) -> worker::Result<()> {
    drop_parts(sql, hash)?;
    sql.exec("DELETE FROM transfer_links WHERE hash = ?", vec![hash.into()])?;
    Ok(())
}

/// When the next expired link is to be removed (Unix ms), if any.
pub fn next_due(sql: &SqlStorage) -> worker::Result<Option<i64>> {
    let row = db::one(sql, "SELECT MIN(expires_ms) FROM transfer_links", vec![])?;
    Ok(row.as_deref().and_then(|r| db::int(r.first())).map(|t| t.saturating_add(KEEP_EXPIRED_MS)))
}
