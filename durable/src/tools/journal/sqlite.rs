//! The journal in SQLite (wasm32 only): the `r2_intent` row and the `r2_audit` table (rules in
//! [`super`], tables in `durable/SCHEMA.md`), the journaled write every write tool goes through
//! ([`write`]), the queue turns that settle an interrupted write first ([`write_turn`],
//! [`settled`]), records that change no object ([`note`]: transfer links), and the trail's reads
//! and upkeep.

use std::future::Future;

use worker::{SqlStorage, SqlStorageValue};

use super::{clip_client, cutoff, keys_to_check, settle, Intent, Observed, Operation, Record, MAX_AGE_MS, MAX_ROWS, TRIM_BATCH};
use crate::object::db;
use crate::storage::queue::Turn;
use crate::tools::r2::{self, Io};
use crate::tools::ToolError;

/// How a write's R2 step ended, and then how the whole journaled write ended.
pub enum Attempt<T> {
    Done(T),
    /// R2 refused the mutation on its precondition (`onlyIf`): nothing changed.
    Refused(ToolError),
    /// R2 failed (or the intent could not be stored). When R2 was reached, the change may or may
    /// not have been applied.
    Failed(ToolError),
}

/// A mutation R2 applied, as it is recorded.
pub struct Applied<T> {
    /// The planned operation, or what happened instead: a move whose source could not be deleted
    /// is recorded as the copy it was.
    pub op: Operation,
    /// The destination's etag after (`None` for a delete).
    pub after: Option<String>,
    /// What the tool needs for its result.
    pub value: T,
}

/// The journaled write: records the intent (`op` on `keys`, `before` the destination's etag, or a
/// single deleted key's) and waits until it is on disk, then runs `mutation` (R2), then records
/// the audit row in the transaction that removes the intent. `Done((value, seq))` carries the
/// row's `seq`. A refused mutation drops the intent; a failed one keeps it for the next queue turn
/// to settle. `mutation` is a future, so nothing of it runs before the intent is synced.
///
/// The caller holds its queue turn ([`write_turn`]) and has checked its preconditions.
pub async fn write<T>(
    io: &Io<'_>,
    op: Operation,
    keys: &[&str],
    before: Option<&str>,
    mutation: impl Future<Output = Attempt<Applied<T>>>,
) -> Attempt<(T, i64)> {
    write_linked(io, op, keys, before, None, mutation).await
}

/// [`write`], made through the transfer link `link` (its id, recorded with the write).
pub async fn write_linked<T>(
    io: &Io<'_>,
    op: Operation,
    keys: &[&str],
    before: Option<&str>,
    link: Option<&str>,
    mutation: impl Future<Output = Attempt<Applied<T>>>,
) -> Attempt<(T, i64)> {
    if let Err(e) = begin(io, op, keys, before, link).await {
        return Attempt::Failed(e);
    }
    match mutation.await {
        Attempt::Done(applied) => {
            let seq = record(io, &Entry { op: applied.op, keys, before, after: applied.after.as_deref(), link });
            Attempt::Done((applied.value, seq))
        }
        Attempt::Refused(e) => {
            clear(io);
            Attempt::Refused(e)
        }
        Attempt::Failed(e) => Attempt::Failed(e),
    }
}

/// A write's turn in the user's write queue: after the writes queued before it, and after any
/// write a dead runtime interrupted has been settled. Nothing was changed on `Err` (a request
/// cancelled while it waited stops here).
pub async fn write_turn(io: &Io<'_>) -> Result<Turn, ToolError> {
    let turn = io.queue.acquire().await;
    if io.ctx.is_cancelled() {
        return Err(ToolError::Cancelled("Cancelled before it was applied; nothing was changed."));
    }
    settle_leftover(io).await?;
    Ok(turn)
}

/// Waits until the writes queued before this call are done and an interrupted one is settled, so
/// a read of the trail sees them all.
pub async fn settled(io: &Io<'_>) -> Result<(), ToolError> {
    let _turn = io.queue.acquire().await;
    settle_leftover(io).await
}

/// Records something that changes no object — a transfer link's creation or a download through
/// one — in the caller's name, now; its `seq` (0 if SQLite failed, which is logged).
pub fn note(io: &Io<'_>, op: Operation, key: &str, link: &str, etag: Option<&str>) -> i64 {
    insert(io, &Origin::now(io), &Entry { op, keys: &[key], before: None, after: etag, link: Some(link) })
}

/// One mutation to record.
struct Entry<'a> {
    op: Operation,
    keys: &'a [&'a str],
    before: Option<&'a str>,
    after: Option<&'a str>,
    link: Option<&'a str>,
}

/// Who made a change and when, as recorded.
struct Origin<'a> {
    at_ms: i64,
    session_id: Option<&'a str>,
    client_name: Option<&'a str>,
}

impl<'a> Origin<'a> {
    /// The current call, now.
    fn now(io: &Io<'a>) -> Self {
        Origin { at_ms: db::now_ms(), session_id: io.ctx.session_id, client_name: io.ctx.client_name }
    }
}

/// A client name as it is stored.
pub fn clip(name: Option<&str>) -> Option<String> {
    clip_client(name)
}

fn opt(s: Option<&str>) -> SqlStorageValue {
    s.map_or(SqlStorageValue::Null, SqlStorageValue::from)
}

/// The columns an audit row shares with its intent, in table order from `at_ms` to `etag_before`.
fn values(origin: &Origin<'_>, op: Operation, keys: &[&str], before: Option<&str>) -> Vec<SqlStorageValue> {
    let keys = serde_json::to_string(keys).unwrap_or_else(|_| "[]".into());
    vec![
        SqlStorageValue::from(origin.at_ms),
        opt(origin.session_id),
        opt(clip_client(origin.client_name).as_deref()),
        SqlStorageValue::from(op.as_str()),
        SqlStorageValue::from(keys),
        opt(before),
    ]
}

/// Records the write about to reach R2 and waits until that record is on disk, so that no R2
/// change can exist without either its intent or its audit row. Nothing was sent to R2 on `Err`.
async fn begin(io: &Io<'_>, op: Operation, keys: &[&str], before: Option<&str>, link: Option<&str>) -> Result<(), ToolError> {
    let failed = |e: worker::Error| ToolError::storage("Recording the write", e);
    io.intent_clean.set(false);
    let mut args = values(&Origin::now(io), op, keys, before);
    args.push(opt(link));
    io.sql
        .exec(
            "INSERT OR REPLACE INTO r2_intent (id, at_ms, session_id, client_name, operation, keys, etag_before, link_id) \
             VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
            args,
        )
        .map_err(failed)?;
    io.storage.sync().await.map_err(failed)
}

/// Forgets the intent: its write was refused by R2 (nothing applied) or has been recorded.
fn clear(io: &Io<'_>) {
    match io.sql.exec("DELETE FROM r2_intent", vec![]) {
        Ok(_) => io.intent_clean.set(true),
        Err(e) => worker::console_error!("clearing the write intent failed: {e}"),
    }
}

/// Records an applied mutation now, in the transaction that removes its intent; its `seq`.
fn record(io: &Io<'_>, e: &Entry<'_>) -> i64 {
    if io.crash_before_audit.replace(false) {
        panic!("deliberate crash between R2 and the audit row (DEV_MODE fault)");
    }
    insert(io, &Origin::now(io), e)
}

/// The audit row, plus the intent's removal (no await in between: one implicit transaction);
/// returns its `seq` (0 if SQLite failed, which is logged: the write itself is already applied and
/// is not undone, and the intent left behind is settled by the next queue turn).
fn insert(io: &Io<'_>, origin: &Origin<'_>, e: &Entry<'_>) -> i64 {
    let mut args = values(origin, e.op, e.keys, e.before);
    args.push(opt(e.after));
    args.push(opt(e.link));
    let row = db::one(
        io.sql,
        "INSERT INTO r2_audit (at_ms, session_id, client_name, operation, keys, etag_before, etag_after, link_id) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        args,
    );
    match row {
        Ok(r) => {
            if e.op.writes() {
                clear(io);
            }
            r.as_deref().and_then(|r| db::int(r.first())).unwrap_or(0)
        }
        Err(err) => {
            worker::console_error!("audit record failed: {err}");
            0
        }
    }
}

/// Settles an intent left by an interrupted write: asks R2 what became of it, records it in the
/// audit trail if it was applied, and clears it. Runs at the start of every queue turn; `Err`
/// (R2 unreachable) keeps the intent for a later turn.
async fn settle_leftover(io: &Io<'_>) -> Result<(), ToolError> {
    if io.intent_clean.get() {
        return Ok(());
    }
    let row = db::one(io.sql, "SELECT at_ms, session_id, client_name, operation, keys, etag_before, link_id FROM r2_intent", vec![])
        .map_err(|e| ToolError::storage("Reading the write log", e))?;
    let Some(row) = row else {
        io.intent_clean.set(true);
        return Ok(());
    };
    let op = db::text(row.get(3)).and_then(|o| Operation::parse(&o));
    let keys: Option<Vec<String>> = db::text(row.get(4)).and_then(|k| serde_json::from_str(&k).ok());
    let (Some(op), Some(keys)) = (op.filter(|o| o.writes()), keys) else {
        worker::console_error!("dropping an unreadable write intent");
        clear(io);
        return Ok(());
    };
    let intent = Intent { op, keys, etag_before: db::text(row.get(5)) };
    // Whatever this object remembered of these keys predates the interrupted write.
    for k in &intent.keys {
        io.etags.borrow_mut().forget(k);
    }
    let etags = r2::etags_of(io, &keys_to_check(&intent)).await.map_err(|e| match e {
        ToolError::R2 { doing, message } => ToolError::r2(format!("Checking an interrupted earlier write ({doing})"), message),
        other => other,
    })?;
    let observed = match op {
        Operation::Delete => Observed::Remaining(etags.iter().map(Option::is_some).collect()),
        Operation::Move => {
            Observed::Destination { source_exists: etags.first().is_some_and(Option::is_some), etag: etags.get(1).cloned().flatten() }
        }
        _ => Observed::Destination { etag: etags.first().cloned().flatten(), source_exists: false },
    };
    let settled = settle(&intent, &observed);
    worker::console_log!("{{\"event\":\"write_intent_settled\",\"operation\":\"{}\",\"applied\":{}}}", op.as_str(), settled.is_some());
    match settled {
        Some(s) => {
            let (session, client) = (db::text(row.get(1)), db::text(row.get(2)));
            let origin = Origin {
                at_ms: db::int(row.first()).unwrap_or_else(db::now_ms),
                session_id: session.as_deref(),
                client_name: client.as_deref(),
            };
            let keys: Vec<&str> = s.keys.iter().map(String::as_str).collect();
            let link = db::text(row.get(6));
            let entry =
                Entry { op: s.op, keys: &keys, before: s.etag_before.as_deref(), after: s.etag_after.as_deref(), link: link.as_deref() };
            insert(io, &origin, &entry);
            // An upload applied through a link spends it, as its completion would have.
            if let (Operation::Upload, Some(link)) = (s.op, link.as_deref()) {
                if let Err(e) = crate::transfer::sqlite::spend(io.sql, link) {
                    worker::console_error!("could not mark a settled upload's link as used: {e}");
                }
            }
        }
        None => clear(io),
    }
    Ok(())
}

/// At most `limit` records with a `seq` below `before_seq`, newest first.
pub fn newest_before(sql: &SqlStorage, before_seq: i64, limit: usize) -> worker::Result<Vec<Record>> {
    let rows = sql.exec(
        "SELECT seq, at_ms, session_id, client_name, operation, keys, etag_before, etag_after, link_id \
         FROM r2_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?",
        vec![SqlStorageValue::from(before_seq), SqlStorageValue::from(limit as i64)],
    )?;
    Ok(rows.raw().filter_map(Result::ok).map(|r| to_record(&r)).collect())
}

fn to_record(r: &[SqlStorageValue]) -> Record {
    Record {
        seq: db::int(r.first()).unwrap_or(0),
        at_ms: db::int(r.get(1)).unwrap_or(0),
        session: db::text(r.get(2)),
        client: db::text(r.get(3)),
        operation: db::text(r.get(4)).unwrap_or_default(),
        keys: db::text(r.get(5)).and_then(|k| serde_json::from_str(&k).ok()).unwrap_or_default(),
        etag_before: db::text(r.get(6)),
        etag_after: db::text(r.get(7)),
        link: db::text(r.get(8)),
    }
}

/// When the trail next needs trimming (Unix ms): at once when it holds more rows than it keeps,
/// else when its oldest row ages out; `None` when it is empty.
pub fn next_due(sql: &SqlStorage) -> worker::Result<Option<i64>> {
    let row = db::one(sql, "SELECT MIN(at_ms), MAX(seq) - MIN(seq) + 1 FROM r2_audit", vec![])?;
    let Some(r) = row else { return Ok(None) };
    let (Some(oldest), rows) = (db::int(r.first()), db::int(r.get(1)).unwrap_or(0)) else { return Ok(None) };
    if rows > MAX_ROWS {
        return Ok(Some(db::now_ms()));
    }
    Ok(Some(oldest.saturating_add(MAX_AGE_MS)))
}

/// Deletes rows older than 30 days and beyond the newest 10,000, at most `TRIM_BATCH` per run;
/// `true` while more remain.
pub fn trim(sql: &SqlStorage) -> worker::Result<bool> {
    let newest = db::one(sql, "SELECT MAX(seq) FROM r2_audit", vec![])?.as_deref().and_then(|r| db::int(r.first()));
    let Some(newest) = newest else {
        return Ok(false);
    };
    let keep_from_seq = newest - MAX_ROWS + 1;
    let cutoff = cutoff(db::now_ms());
    let condition = "at_ms < ? OR seq < ?";
    let args = || vec![SqlStorageValue::from(cutoff), SqlStorageValue::from(keep_from_seq)];
    sql.exec(&format!("DELETE FROM r2_audit WHERE seq IN (SELECT seq FROM r2_audit WHERE {condition} ORDER BY seq LIMIT ?)"), {
        let mut a = args();
        a.push(SqlStorageValue::from(TRIM_BATCH));
        a
    })?;
    Ok(db::one(sql, &format!("SELECT 1 FROM r2_audit WHERE {condition} LIMIT 1"), args())?.is_some())
}
