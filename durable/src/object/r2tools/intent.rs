//! The `r2_intent` row (rules in `storage::intent`, table in `durable/SCHEMA.md`): written and
//! synced to disk before a write's first R2 call, removed in the transaction that inserts its audit
//! row, and settled by the next queue turn when a dying runtime left it behind.

use super::audit::{self, Entry, Origin};
use super::r2::{self, Io};
use crate::object::db;
use crate::storage::audit::Operation;
use crate::storage::intent::{self as rules, Intent, Observed};

/// Records the write about to reach R2 and waits until that record is on disk, so that no R2
/// change can exist without either its intent or its audit row. `Err` is the tool-error text;
/// nothing was sent to R2 then.
pub async fn begin(
    io: &Io<'_>,
    op: Operation,
    keys: &[&str],
    before: Option<&str>,
) -> Result<(), String> {
    let failed = |e: worker::Error| format!("Recording the write failed; nothing was written: {e}");
    io.intent_clean.set(false);
    io.sql
        .exec(
            "INSERT OR REPLACE INTO r2_intent (id, at_ms, session_id, client_name, operation, keys, etag_before) \
             VALUES (1, ?, ?, ?, ?, ?, ?)",
            audit::values(&Origin::now(io), op, keys, before),
        )
        .map_err(failed)?;
    io.storage.sync().await.map_err(failed)
}

/// Forgets the intent: its write was refused by R2 (nothing applied) or has been recorded.
pub fn clear(io: &Io<'_>) {
    match io.sql.exec("DELETE FROM r2_intent", vec![]) {
        Ok(_) => io.intent_clean.set(true),
        Err(e) => worker::console_error!("clearing the write intent failed: {e}"),
    }
}

/// Settles an intent left by an interrupted write: asks R2 what became of it, records it in the
/// audit trail if it was applied, and clears it. Runs at the start of every queue turn; `Err`
/// (R2 unreachable) keeps the intent for a later turn.
pub async fn settle_leftover(io: &Io<'_>) -> Result<(), String> {
    if io.intent_clean.get() {
        return Ok(());
    }
    let row = db::one(
        io.sql,
        "SELECT at_ms, session_id, client_name, operation, keys, etag_before FROM r2_intent",
        vec![],
    )
    .map_err(|e| format!("Reading the write log failed: {e}"))?;
    let Some(row) = row else {
        io.intent_clean.set(true);
        return Ok(());
    };
    let op = db::text(row.get(3)).and_then(|o| Operation::parse(&o));
    let keys: Option<Vec<String>> =
        db::text(row.get(4)).and_then(|k| serde_json::from_str(&k).ok());
    let (Some(op), Some(keys)) = (op, keys) else {
        worker::console_error!("dropping an unreadable write intent");
        clear(io);
        return Ok(());
    };
    let intent = Intent {
        op,
        keys,
        etag_before: db::text(row.get(5)),
    };
    // Whatever this object remembered of these keys predates the interrupted write.
    for k in &intent.keys {
        io.etags.borrow_mut().forget(k);
    }
    let etags = r2::etags_of(io, &rules::keys_to_check(&intent))
        .await
        .map_err(|e| format!("Checking an interrupted earlier write failed: {e}"))?;
    let observed = match op {
        Operation::Delete => Observed::Remaining(etags.iter().map(Option::is_some).collect()),
        Operation::Move => Observed::Destination {
            source_exists: etags.first().is_some_and(Option::is_some),
            etag: etags.get(1).cloned().flatten(),
        },
        Operation::Put | Operation::Copy => Observed::Destination {
            etag: etags.first().cloned().flatten(),
            source_exists: false,
        },
    };
    let settled = rules::settle(&intent, &observed);
    worker::console_log!(
        "{{\"event\":\"write_intent_settled\",\"operation\":\"{}\",\"applied\":{}}}",
        op.as_str(),
        settled.is_some()
    );
    match settled {
        Some(s) => {
            let (session, client) = (db::text(row.get(1)), db::text(row.get(2)));
            let origin = Origin {
                at_ms: db::int(row.first()).unwrap_or_else(db::now_ms),
                session_id: session.as_deref(),
                client_name: client.as_deref(),
            };
            let keys: Vec<&str> = s.keys.iter().map(String::as_str).collect();
            audit::insert(
                io,
                &origin,
                &Entry {
                    op: s.op,
                    keys: &keys,
                    before: s.etag_before.as_deref(),
                    after: s.etag_after.as_deref(),
                },
            );
        }
        None => clear(io),
    }
    Ok(())
}
