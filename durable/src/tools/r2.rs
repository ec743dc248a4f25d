//! What the tools' `apply` works with (wasm32 only): the caller's context, the per-call I/O bundle,
//! and the R2 calls the tools share — object metadata as JSON, body reads that stop at a limit,
//! raw `put` (so one JS copy of a body serves every retry), a streamed R2-to-R2 copy, and the
//! rate-limit retry loop that runs inside a write-queue turn.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use futures::StreamExt;
use serde_json::{json, Map, Value};
use worker::js_sys::{self, Function, Object as JsObject, Promise, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Bucket, Object, SqlStorage, Storage};

use crate::mcp::version::Version;
use crate::storage::etags::EtagCache;
use crate::storage::namespace::Namespace;
use crate::storage::queue::TicketLock;
use crate::storage::{retry, time};
use crate::tools::{Role, ToolError};
use r2_mcp_wire::transfer::LinkMint;

/// Reports progress: `(progress, total, message)`. The host sends it as
/// `notifications/progress` when the request carried a progress token, and ignores it otherwise.
pub type Progress<'a> = &'a dyn Fn(f64, Option<f64>, Option<String>);

/// Everything a tool call may need to know about its caller and request.
pub struct ToolContext<'a> {
    /// The caller's user (names the namespace) and the grant it came through.
    pub user_key: &'a str,
    pub grant_id: &'a str,
    /// What the caller may do (`browse_objects` tells the view whether to offer writes).
    pub role: Role,
    /// The MCP session (session-era revisions), recorded in the audit trail.
    pub session_id: Option<&'a str>,
    /// The client's name from `initialize` (or 2026 `_meta`), for the audit trail.
    pub client_name: Option<&'a str>,
    pub version: Version,
    pub progress: Progress<'a>,
    /// Set by the host when `notifications/cancelled` names this request: stop soon, apply nothing
    /// more, and answer as the host will drop the answer anyway.
    pub cancelled: Rc<Cell<bool>>,
    /// What minting transfer links needs (from the Worker; absent: links are not available).
    pub links: Option<&'a LinkMint>,
}

impl ToolContext<'_> {
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

/// What one tool call works with: the caller's bucket and namespace, and the object's state that
/// every call of this user shares.
pub struct Io<'a> {
    pub bucket: &'a Bucket,
    pub ns: &'a Namespace,
    pub sql: &'a SqlStorage,
    /// For `sync()`: a write's intent is on disk before R2 is touched.
    pub storage: &'a Storage,
    /// The user's write queue (`storage::queue`): writes take a turn, one at a time.
    pub queue: &'a TicketLock,
    /// The etags this object's own writes left (`storage::etags`).
    pub etags: &'a RefCell<EtagCache>,
    /// DEV_MODE fault injection, checked by the journaled write before its audit row.
    pub crash_before_audit: &'a Cell<bool>,
    /// True while this object instance knows no write intent is stored: set once a queue turn
    /// found none or a write cleared its own, unset as a write records one (so a write that died
    /// midway, even by a caught panic, leaves it unset and the next turn reads the table).
    pub intent_clean: &'a Cell<bool>,
    pub ctx: &'a ToolContext<'a>,
}

/// A binding error's text.
pub fn message(e: &worker::Error) -> String {
    match e {
        worker::Error::JsError(s) | worker::Error::RustError(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn uploaded(o: &Object) -> String {
    time::rfc3339(o.uploaded().as_millis() as i64)
}

pub fn content_type(o: &Object) -> Option<String> {
    o.http_metadata().content_type
}

/// A `list_objects` entry (`key` is the user's key).
pub fn entry_json(key: &str, o: &Object) -> Value {
    json!({
        "key": key,
        "size": o.size(),
        "etag": o.etag(),
        "uploaded": uploaded(o),
        "content_type": content_type(o),
    })
}

/// Reads at most `limit` bytes of an object's body. Small bodies come over in one copy
/// (`arrayBuffer`); larger ones are streamed and the stream dropped (cancelled) at the limit,
/// so a large object is never pulled in full.
pub async fn read_body(o: &Object, body_len: u64, limit: u64) -> worker::Result<Vec<u8>> {
    let Some(body) = o.body() else {
        return Ok(Vec::new());
    };
    if body_len <= limit {
        return body.bytes().await;
    }
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(cap);
    let mut stream = body.stream()?;
    while out.len() < cap {
        match stream.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                let take = (cap - out.len()).min(chunk.len());
                out.extend_from_slice(chunk.get(..take).unwrap_or(&[]));
            }
            None => break,
        }
    }
    Ok(out)
}

/// What R2 reports for a written object.
pub struct Written {
    pub etag: String,
    pub size: u64,
}

/// Options for [`put`].
pub struct PutOptions<'a> {
    /// `onlyIf.etagMatches`: R2 refuses the write (answers `null`) unless the etag still is this.
    pub only_if_etag: Option<&'a str>,
    /// `httpMetadata` as a JS object (a source object's, for copies) or built from a content type.
    pub http_metadata: JsValue,
    pub custom_metadata: JsValue,
}

/// `httpMetadata` for a content type.
pub fn http_metadata_for(content_type: &str) -> JsValue {
    let o = JsObject::new();
    let _ = Reflect::set(&o, &"contentType".into(), &content_type.into());
    o.into()
}

/// `customMetadata` from a map.
pub fn custom_metadata_for(m: &BTreeMap<String, String>) -> JsValue {
    let o = JsObject::new();
    for (k, v) in m {
        let _ = Reflect::set(&o, &k.as_str().into(), &v.as_str().into());
    }
    o.into()
}

fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> worker::Result<Promise> {
    let f: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let arr = js_sys::Array::new();
    for a in args {
        arr.push(a);
    }
    Ok(f.apply(target, &arr)?.dyn_into()?)
}

fn js_str(o: &JsValue, field: &str) -> Option<String> {
    Reflect::get(o, &field.into()).ok().and_then(|v| v.as_string())
}

fn js_num(o: &JsValue, field: &str) -> Option<f64> {
    Reflect::get(o, &field.into()).ok().and_then(|v| v.as_f64())
}

/// `R2Bucket.put` with a body already in JS memory. `Ok(None)` when `onlyIf` refused it.
pub async fn put(bucket: &Bucket, r2_key: &str, body: &JsValue, opts: &PutOptions<'_>) -> worker::Result<Option<Written>> {
    let options = JsObject::new();
    if let Some(e) = opts.only_if_etag {
        let c = JsObject::new();
        Reflect::set(&c, &"etagMatches".into(), &e.into())?;
        Reflect::set(&options, &"onlyIf".into(), &c)?;
    }
    Reflect::set(&options, &"httpMetadata".into(), &opts.http_metadata)?;
    Reflect::set(&options, &"customMetadata".into(), &opts.custom_metadata)?;
    let target: &JsValue = bucket.as_ref();
    let v = JsFuture::from(call(target, "put", &[&r2_key.into(), body, &options.into()])?).await?;
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    Ok(Some(Written { etag: js_str(&v, "etag").unwrap_or_default(), size: js_num(&v, "size").unwrap_or(0.0) as u64 }))
}

/// What a streamed copy did.
pub enum Copied {
    /// The source is gone or no longer has the etag the copy was planned on.
    SourceChanged,
    /// R2 refused the conditional put: the destination changed since it was checked.
    DestinationChanged,
    Written(Written),
}

/// Copies the object at `src` (if it still has `src_etag`) to `dst` (if its etag still is
/// `only_if_etag`) as a stream: R2's body goes straight into R2's put through a
/// `FixedLengthStream` of the source's size (R2 takes only streams of known length), so neither
/// this object nor the isolate ever holds the object, whatever its size. The source's
/// `httpMetadata` and `customMetadata` go with it.
pub async fn copy_stream(bucket: &Bucket, src: &str, src_etag: &str, dst: &str, only_if_etag: Option<&str>) -> worker::Result<Copied> {
    let options = JsObject::new();
    let c = JsObject::new();
    Reflect::set(&c, &"etagMatches".into(), &src_etag.into())?;
    Reflect::set(&options, &"onlyIf".into(), &c)?;
    let target: &JsValue = bucket.as_ref();
    let o = JsFuture::from(call(target, "get", &[&src.into(), &options.into()])?).await?;
    if o.is_null() || o.is_undefined() || !Reflect::has(&o, &"body".into()).unwrap_or(false) {
        return Ok(Copied::SourceChanged);
    }
    let size = js_num(&o, "size").unwrap_or(0.0);
    let fixed = match u32::try_from(size as u64) {
        Ok(n) => worker::worker_sys::FixedLengthStream::new(n),
        Err(_) => worker::worker_sys::FixedLengthStream::new_big_int(js_sys::BigInt::from(size as u64)),
    }?;
    let body = Reflect::get(&o, &"body".into())?;
    let readable = Reflect::get(&fixed, &"readable".into())?;
    let pipe = JsFuture::from(call(&body, "pipeTo", &[&Reflect::get(&fixed, &"writable".into())?])?);
    let opts = PutOptions {
        only_if_etag,
        http_metadata: Reflect::get(&o, &"httpMetadata".into())?,
        custom_metadata: Reflect::get(&o, &"customMetadata".into())?,
    };
    let written = put(bucket, dst, &readable, &opts).await;
    if !matches!(written, Ok(Some(_))) {
        // R2 stopped reading (a refused precondition, an error): end the pipe instead of leaving it.
        let _ = call(&readable, "cancel", &[]);
    }
    let _ = pipe.await;
    Ok(match written? {
        Some(w) => Copied::Written(w),
        None => Copied::DestinationChanged,
    })
}

/// Runs an R2 write, retrying rate limits ([`retry::BACKOFF_MS`]) inside the caller's queue turn.
pub async fn retrying<T, F, Fut>(op: &str, key: &str, mut attempt: F) -> Result<T, ToolError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = worker::Result<T>>,
{
    let mut retries = 0;
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let text = message(&e);
                if !retry::is_rate_limited(&text) {
                    return Err(ToolError::r2(format!("{op} of {key:?}"), text));
                }
                retries += 1;
                match retry::backoff(retries, js_sys::Math::random()) {
                    Some(ms) => worker::Delay::from(std::time::Duration::from_millis(u64::from(ms))).await,
                    None => return Err(ToolError::RateLimited { op: op.to_owned(), key: key.to_owned() }),
                }
            }
        }
    }
}

/// The etags of several user keys at once (`None`: absent), in order; the first R2 error stops it.
/// (One instantiation of `join_all` for every caller: each costs kilobytes of wasm.)
pub async fn etags_of(io: &Io<'_>, keys: &[&str]) -> Result<Vec<Option<String>>, ToolError> {
    let heads = futures::future::join_all(keys.iter().map(|k| {
        let r2_key = io.ns.to_r2(k);
        async move { head(io.bucket, &r2_key, k).await }
    }))
    .await;
    heads.into_iter().map(|h| h.map(|o| o.map(|o| o.etag()))).collect()
}

/// A head of the user's `key`, stored at `r2_key`.
pub async fn head(bucket: &Bucket, r2_key: &str, key: &str) -> Result<Option<Object>, ToolError> {
    bucket.head(r2_key).await.map_err(|e| ToolError::r2(format!("Reading {key:?}"), message(&e)))
}

/// `{ key: value }` of an object's custom metadata, as JSON.
pub fn custom_metadata_json(o: &Object) -> Value {
    let mut m = Map::new();
    if let Ok(h) = o.custom_metadata() {
        let sorted: BTreeMap<_, _> = h.into_iter().collect();
        for (k, v) in sorted {
            m.insert(k, Value::String(v));
        }
    }
    Value::Object(m)
}
