//! The read tools: `list_objects`, `get_object`, `head_object`. Reads go straight to R2 (no
//! queue: R2 reads are strongly consistent and see every write the queue has applied). And
//! `recent_changes`, a page of the audit trail, which the caller reads after its queue turn.

use base64::Engine;
use serde_json::{json, Value};
use worker::{Include, Range};

use super::r2::{self, Io};
use crate::mcp::resources::uri_for_key;
use crate::mcp::tool_args::{GetObject, HeadObject, ListObjects, RecentChanges};
use crate::mcp::tools::{error_result, resource_link, structured_result};
use crate::storage::content::{encoding_for, utf8_cut, Encoding};
use crate::storage::range::{self, Ask, INLINE_LIMIT};
use crate::tools::journal::{self, sqlite, Record};

/// Default `list_objects` page size.
const DEFAULT_LIMIT: u32 = 100;
/// Lists at least this large report progress.
const PROGRESS_FROM: u32 = 500;

pub async fn list_objects(io: &Io<'_>, a: ListObjects) -> Value {
    let limit = a.limit.unwrap_or(DEFAULT_LIMIT);
    let prefix = a.prefix.unwrap_or_default();
    let mut req = io
        .bucket
        .list()
        .prefix(io.ns.to_r2(&prefix))
        .limit(limit)
        .include(vec![Include::HttpMetadata]);
    if let Some(d) = a.delimiter.filter(|d| !d.is_empty()) {
        req = req.delimiter(d);
    }
    if let Some(c) = a.cursor.filter(|c| !c.is_empty()) {
        req = req.cursor(c);
    }
    if limit >= PROGRESS_FROM {
        (io.ctx.progress)(0.0, None, Some(format!("listing up to {limit} objects")));
    }
    let listed = match req.execute().await {
        Ok(l) => l,
        Err(e) => {
            let text = r2::message(&e);
            if text.to_ascii_lowercase().contains("cursor") {
                return error_result("Invalid cursor for list_objects: pass next_cursor from the previous page with the same prefix.");
            }
            return error_result(format!("Listing objects failed in R2: {text}"));
        }
    };
    let objects: Vec<Value> = listed
        .objects()
        .iter()
        .filter_map(|o| {
            let full = o.key();
            io.ns.from_r2(&full).map(|k| r2::entry_json(k, o))
        })
        .collect();
    let folders: Vec<String> = listed
        .delimited_prefixes()
        .iter()
        .filter_map(|p| io.ns.from_r2(p).map(str::to_owned))
        .collect();
    let next = if listed.truncated() {
        listed.cursor()
    } else {
        None
    };
    if limit >= PROGRESS_FROM {
        let n = (objects.len() + folders.len()) as f64;
        (io.ctx.progress)(n, Some(n), None);
    }
    structured_result(
        json!({ "objects": objects, "folders": folders, "next_cursor": next }),
        io.ctx.version,
    )
}

pub async fn head_object(io: &Io<'_>, a: HeadObject) -> Value {
    match r2::head(io.bucket, &io.ns.to_r2(&a.key), &a.key).await {
        Err(e) => error_result(e),
        Ok(None) => error_result(not_found(&a.key)),
        Ok(Some(o)) => structured_result(
            json!({
                "key": a.key,
                "size": o.size(),
                "etag": o.etag(),
                "content_type": r2::content_type(&o),
                "custom_metadata": r2::custom_metadata_json(&o),
                "uploaded": r2::uploaded(&o),
            }),
            io.ctx.version,
        ),
    }
}

pub fn not_found(key: &str) -> String {
    format!("Object not found: {key:?}. Use list_objects to see the keys that exist.")
}

/// The R2 range for a client's ask, clamped to the inline limit where that needs no size.
fn r2_range(ask: Ask) -> Option<Range> {
    match ask {
        Ask::Whole => None,
        Ask::Prefix { length } => Some(Range::Prefix {
            length: length.min(INLINE_LIMIT),
        }),
        Ask::From { offset, length } => Some(Range::OffsetWithLength {
            offset,
            length: length.unwrap_or(INLINE_LIMIT).min(INLINE_LIMIT),
        }),
        Ask::Suffix { suffix } => Some(Range::Suffix { suffix }),
    }
}

pub async fn get_object(io: &Io<'_>, a: GetObject) -> Value {
    let r2_key = io.ns.to_r2(&a.key);
    let ask = range::ask(a.range.as_ref());
    let mut get = io.bucket.get(r2_key.as_str());
    if let Some(r) = r2_range(ask) {
        get = get.range(r);
    }
    let object = match get.execute().await {
        Ok(Some(o)) => o,
        Ok(None) => return error_result(not_found(&a.key)),
        Err(e) => {
            // R2 refuses ranges past the end: say so precisely.
            return match r2::head(io.bucket, &r2_key, &a.key).await {
                Ok(None) => error_result(not_found(&a.key)),
                Ok(Some(h)) => match range::span(ask, h.size()) {
                    Err(why) => error_result(format!("Invalid range for get_object: {why}.")),
                    Ok(_) => error_result(format!(
                        "Reading {:?} failed in R2: {}",
                        a.key,
                        r2::message(&e)
                    )),
                },
                Err(why) => error_result(why),
            };
        }
    };
    let size = object.size();
    let (offset, span_len) = match range::span(ask, size) {
        Ok(s) => s,
        Err(why) => return error_result(format!("Invalid range for get_object: {why}.")),
    };
    // Bytes R2 is sending: the span, or at most the inline limit where the range was clamped.
    let sent = match ask {
        Ask::Prefix { .. } | Ask::From { .. } => span_len.min(INLINE_LIMIT),
        Ask::Whole | Ask::Suffix { .. } => span_len,
    };
    let mut bytes = match r2::read_body(&object, sent, INLINE_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            return error_result(format!(
                "Reading {:?} failed in R2: {}",
                a.key,
                r2::message(&e)
            ))
        }
    };
    let content_type = r2::content_type(&object);
    let mut truncated = (bytes.len() as u64) < span_len;
    if truncated && crate::mcp::resources::is_text_like(content_type.as_deref()) {
        let cut = utf8_cut(&bytes, bytes.len());
        bytes.truncate(cut);
    }
    truncated |= (bytes.len() as u64) < span_len;
    let length = bytes.len();
    let encoding = encoding_for(content_type.as_deref(), &bytes);
    let content = match encoding {
        // Checked UTF-8 by `encoding_for`: no copy.
        Encoding::Text => String::from_utf8(bytes).unwrap_or_default(),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(&bytes),
    };
    let uri = uri_for_key(&a.key);
    let structured = json!({
        "key": a.key,
        "size": size,
        "etag": object.etag(),
        "content_type": content_type,
        "uploaded": r2::uploaded(&object),
        "encoding": encoding.as_str(),
        "content": content,
        "offset": offset,
        "length": length,
        "truncated": truncated,
        "resource_uri": uri,
    });
    let mut result = structured_result(structured, io.ctx.version);
    if truncated && io.ctx.version.has_structured_content() {
        if let Some(blocks) = result.get_mut("content").and_then(Value::as_array_mut) {
            blocks.push(resource_link(
                &uri,
                &a.key,
                content_type.as_deref(),
                Some(size),
            ));
        }
    }
    result
}

/// `recent_changes`: newest first, `limit` per page (default 50, at most 200).
pub fn recent_changes(io: &Io<'_>, a: &RecentChanges) -> Value {
    let before = match journal::page_start(a.cursor.as_deref()) {
        Ok(s) => s,
        Err(e) => return error_result(e),
    };
    let page = a.limit.unwrap_or(journal::DEFAULT_PAGE) as usize;
    let rows = match sqlite::newest_before(io.sql, before, page + 1) {
        Ok(rows) => rows,
        Err(e) => return error_result(format!("Reading the audit trail failed: {e}")),
    };
    let (rows, next) = journal::page(rows, page);
    let changes: Vec<Value> = rows.iter().map(Record::to_json).collect();
    structured_result(json!({ "changes": changes, "next_cursor": next }), io.ctx.version)
}
