//! The write tools, each run inside one turn of the write queue (see `storage::queue`): read the
//! current etag, check the preconditions, then change R2 through the journaled write
//! ([`journal::write`]: the intent synced to disk, R2's write with `onlyIf` on that etag, the audit
//! row replacing the intent) — all before the next write starts. A refused or failed write records
//! nothing.

use serde_json::json;
use worker::js_sys::Uint8Array;
use worker::wasm_bindgen::JsValue;

use super::r2::{self, Copied, Io, PutOptions};
use super::reads::not_found;
use super::{Change, ChangeKind, ToolOutcome};
use crate::mcp::tool_args::{Body, CopyObject, DeleteObject, PutObject, ToolRequest};
use crate::mcp::tools::{error_result, structured_result};
use crate::storage::preconditions;
use crate::tools::journal::{self, Applied, Attempt, Operation};

/// Puts at least this large report progress.
const PUT_PROGRESS_FROM: usize = 1024 * 1024;
/// Keys checked at once in a multi-key delete.
const DELETE_CHUNK: usize = 50;
/// Largest object `copy_object`/`move_object` copies: R2's single-put limit (the bytes stream
/// from R2 to R2 and never gather in memory).
pub const COPY_LIMIT: u64 = 5 * 1024 * 1024 * 1024 - 5 * 1024 * 1024;

/// Applies one write request; the caller holds the queue turn.
pub async fn apply(io: &Io<'_>, request: ToolRequest) -> ToolOutcome {
    match request {
        ToolRequest::PutObject(p) => put(io, p).await,
        ToolRequest::DeleteObject(d) => delete(io, d).await,
        ToolRequest::CopyObject(c) => copy(io, c, false).await,
        ToolRequest::MoveObject(c) => copy(io, c, true).await,
        _ => ToolOutcome::error("not a write"),
    }
}

fn kind(before: &Option<String>) -> ChangeKind {
    if before.is_some() {
        ChangeKind::Updated
    } else {
        ChangeKind::Created
    }
}

/// The key's current etag: this object's last write to it when remembered (`fresh` false), else
/// R2's `head`. `Ok((etag, from_cache))`.
async fn current_etag(io: &Io<'_>, r2_key: &str, key: &str, fresh: bool) -> Result<(Option<String>, bool), String> {
    if fresh {
        io.etags.borrow_mut().forget(key);
    } else if let Some(e) = io.etags.borrow().get(key) {
        return Ok((Some(e.to_owned()), true));
    }
    let etag = r2::head(io.bucket, r2_key, key).await?.map(|o| o.etag());
    Ok((etag, false))
}

async fn put(io: &Io<'_>, p: PutObject) -> ToolOutcome {
    let r2_key = io.ns.to_r2(&p.key);
    let what = format!("{:?}", p.key);
    // One copy into JS memory; every attempt and retry reuses it.
    let bytes: &[u8] = match &p.body {
        Body::Text(t) => t.as_bytes(),
        Body::Bytes(b) => b,
    };
    let len = bytes.len();
    let body: JsValue = Uint8Array::from(bytes).into();
    drop(p.body); // the wasm copy is not needed past this point (large bodies: up to 10 MiB)
    // A remembered etag may be stale (an object changed outside this server): then R2 refuses the
    // conditional put, or a precondition looks failed, and the second attempt asks R2 itself.
    let mut fresh = false;
    loop {
        let (before, cached) = match current_etag(io, &r2_key, &p.key, fresh).await {
            Ok(v) => v,
            Err(e) => return ToolOutcome::error(e),
        };
        if let Err(e) = preconditions::check(before.as_deref(), p.if_match.as_deref(), p.create_only, &what) {
            if cached {
                fresh = true;
                continue;
            }
            return ToolOutcome::error(e);
        }
        let put = async {
            if len >= PUT_PROGRESS_FROM {
                (io.ctx.progress)(0.0, Some(len as f64), Some(format!("writing {len} bytes")));
            }
            let o = PutOptions {
                only_if_etag: before.as_deref(),
                http_metadata: r2::http_metadata_for(&p.content_type),
                custom_metadata: r2::custom_metadata_for(&p.custom_metadata),
            };
            match r2::retrying("put_object", &p.key, || r2::put(io.bucket, &r2_key, &body, &o)).await {
                Ok(Some(w)) => {
                    io.etags.borrow_mut().set(&p.key, w.etag.clone());
                    if len >= PUT_PROGRESS_FROM {
                        (io.ctx.progress)(len as f64, Some(len as f64), None);
                    }
                    Attempt::Done(Applied { op: Operation::Put, after: Some(w.etag.clone()), value: w })
                }
                Ok(None) => {
                    io.etags.borrow_mut().forget(&p.key);
                    Attempt::Refused(format!(
                        "Precondition failed: {what} changed while it was being written; nothing was written."
                    ))
                }
                Err(e) => {
                    io.etags.borrow_mut().forget(&p.key);
                    Attempt::Failed(e)
                }
            }
        };
        match journal::write(io, Operation::Put, &[&p.key], before.as_deref(), put).await {
            Attempt::Done((written, seq)) => {
                let changes = vec![Change { key: p.key.clone(), kind: kind(&before) }];
                let result = structured_result(
                    json!({ "key": p.key, "etag": written.etag, "size": written.size, "seq": seq }),
                    io.ctx.version,
                );
                return ToolOutcome { result, changes };
            }
            Attempt::Refused(_) if cached => fresh = true,
            Attempt::Refused(e) | Attempt::Failed(e) => return ToolOutcome::error(e),
        }
    }
}

async fn delete(io: &Io<'_>, d: DeleteObject) -> ToolOutcome {
    let total = d.keys.len();
    let many = total > 1;
    // Which keys exist (and their etags), a chunk at a time; nothing is applied before all are known.
    let mut existing: Vec<(String, String)> = Vec::new();
    let mut absent: Vec<String> = Vec::new();
    for (i, chunk) in d.keys.chunks(DELETE_CHUNK).enumerate() {
        if io.ctx.cancelled.get() {
            return ToolOutcome::error("Cancelled before anything was deleted.");
        }
        let keys: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let etags = match r2::etags_of(io, &keys).await {
            Ok(e) => e,
            Err(e) => return ToolOutcome::error(e),
        };
        for (k, etag) in chunk.iter().zip(etags) {
            match etag {
                Some(e) => existing.push((k.clone(), e)),
                None => absent.push(k.clone()),
            }
        }
        if many {
            let done = ((i + 1) * DELETE_CHUNK).min(total) as f64;
            (io.ctx.progress)(done, Some(total as f64 * 2.0), Some("checking keys".into()));
        }
    }
    existing.dedup_by(|a, b| a.0 == b.0);
    if let Some(want) = d.if_match.as_deref() {
        let current = existing.first().map(|(_, e)| e.as_str());
        let what = format!("{:?}", d.keys.first().map(String::as_str).unwrap_or(""));
        if let Err(e) = preconditions::check(current, Some(want), false, &what) {
            return ToolOutcome::error(e);
        }
    }
    if io.ctx.cancelled.get() {
        return ToolOutcome::error("Cancelled before anything was deleted.");
    }
    let deleted: Vec<String> = existing.iter().map(|(k, _)| k.clone()).collect();
    let single_before = if deleted.len() == 1 { existing.first().map(|(_, e)| e.as_str()) } else { None };
    if !deleted.is_empty() {
        let keys: Vec<&str> = deleted.iter().map(String::as_str).collect();
        let r2_keys: Vec<String> = deleted.iter().map(|k| io.ns.to_r2(k)).collect();
        let delete = async {
            let label = deleted.first().cloned().unwrap_or_default();
            let outcome = r2::retrying("delete_object", &label, || async {
                if r2_keys.len() == 1 {
                    io.bucket.delete(r2_keys.first().cloned().unwrap_or_default()).await
                } else {
                    io.bucket.delete_multiple(r2_keys.iter().map(String::as_str).collect()).await
                }
            })
            .await;
            let mut etags = io.etags.borrow_mut();
            for k in &deleted {
                etags.forget(k);
            }
            drop(etags);
            match outcome {
                Ok(()) => Attempt::Done(Applied { op: Operation::Delete, after: None, value: () }),
                Err(e) => Attempt::Failed(e),
            }
        };
        match journal::write(io, Operation::Delete, &keys, single_before, delete).await {
            Attempt::Done(_) => {}
            Attempt::Refused(e) | Attempt::Failed(e) => return ToolOutcome::error(e),
        }
    }
    if many {
        (io.ctx.progress)(total as f64 * 2.0, Some(total as f64 * 2.0), None);
    }
    let changes = deleted.iter().map(|k| Change { key: k.clone(), kind: ChangeKind::Deleted }).collect();
    let result = structured_result(json!({ "deleted": deleted, "absent": absent }), io.ctx.version);
    ToolOutcome { result, changes }
}

async fn copy(io: &Io<'_>, c: CopyObject, remove_source: bool) -> ToolOutcome {
    let tool = if remove_source { "move_object" } else { "copy_object" };
    let (src_r2, dst_r2) = (io.ns.to_r2(&c.source_key), io.ns.to_r2(&c.destination_key));
    let source = match r2::head(io.bucket, &src_r2, &c.source_key).await {
        Ok(Some(o)) => o,
        Ok(None) => return ToolOutcome::error(not_found(&c.source_key)),
        Err(e) => return ToolOutcome::error(e),
    };
    let src_etag = source.etag();
    let what_src = format!("source {:?}", c.source_key);
    if let Err(e) = preconditions::check(Some(&src_etag), c.if_source_match.as_deref(), false, &what_src) {
        return ToolOutcome::error(e);
    }
    if source.size() > COPY_LIMIT {
        return ToolOutcome::error(format!(
            "{tool}: the source is {} bytes; objects up to {COPY_LIMIT} bytes can be copied.",
            source.size()
        ));
    }
    let before = match r2::head(io.bucket, &dst_r2, &c.destination_key).await {
        Ok(o) => o.map(|o| o.etag()),
        Err(e) => return ToolOutcome::error(e),
    };
    let what_dst = format!("destination {:?}", c.destination_key);
    if let Err(e) = preconditions::check(before.as_deref(), c.if_match.as_deref(), c.create_only, &what_dst) {
        return ToolOutcome::error(e);
    }
    let keys = [c.source_key.as_str(), c.destination_key.as_str()];
    let planned = if remove_source { Operation::Move } else { Operation::Copy };
    let mutation = async {
        // Each attempt streams R2 → R2 afresh (a stream is read once; a rate-limited put retries).
        let written = match r2::retrying(tool, &c.destination_key, || {
            r2::copy_stream(io.bucket, &src_r2, &src_etag, &dst_r2, before.as_deref())
        })
        .await
        {
            Ok(Copied::Written(w)) => w,
            Ok(Copied::SourceChanged) => {
                return Attempt::Refused(format!(
                    "Precondition failed: source {:?} changed during the {tool}; nothing was written.",
                    c.source_key
                ))
            }
            Ok(Copied::DestinationChanged) => {
                io.etags.borrow_mut().forget(&c.destination_key);
                return Attempt::Refused(format!(
                    "Precondition failed: {what_dst} changed during the {tool}; nothing was written."
                ));
            }
            Err(e) => {
                io.etags.borrow_mut().forget(&c.destination_key);
                return Attempt::Failed(e);
            }
        };
        io.etags.borrow_mut().set(&c.destination_key, written.etag.clone());
        // A move deletes its source; if that fails, both exist and the write is the copy it was.
        let mut op = Operation::Copy;
        let mut failure = None;
        if remove_source {
            io.etags.borrow_mut().forget(&c.source_key);
            match r2::retrying(tool, &c.source_key, || io.bucket.delete(src_r2.clone())).await {
                Ok(()) => op = Operation::Move,
                Err(e) => failure = Some(e),
            }
        }
        let after = Some(written.etag.clone());
        Attempt::Done(Applied { op, after, value: (written, failure) })
    };
    let ((written, failure), seq) = match journal::write(io, planned, &keys, before.as_deref(), mutation).await {
        Attempt::Done(done) => done,
        Attempt::Refused(e) | Attempt::Failed(e) => return ToolOutcome::error(e),
    };
    let mut changes = vec![Change { key: c.destination_key.clone(), kind: kind(&before) }];
    if remove_source && failure.is_none() {
        changes.push(Change { key: c.source_key.clone(), kind: ChangeKind::Deleted });
    }
    if let Some(e) = failure {
        let msg = format!(
            "{tool}: copied to {:?} (etag {}), but the source could not be deleted, so both exist: {e}",
            c.destination_key, written.etag
        );
        return ToolOutcome { result: error_result(msg), changes };
    }
    let result = structured_result(
        json!({
            "source_key": c.source_key,
            "destination_key": c.destination_key,
            "etag": written.etag,
            "size": written.size,
            "seq": seq,
        }),
        io.ctx.version,
    );
    ToolOutcome { result, changes }
}
