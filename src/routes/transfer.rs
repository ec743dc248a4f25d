//! `/transfer/<token>` (wasm32 only): a transfer link in use. The link's routing tag is checked
//! first, so a forged link is refused before any object is touched; then the user's object says
//! whether and where the link may be used (`UserCall::Link`), and the bytes stream between the
//! client and R2 here, in the Worker, without passing through wasm memory or the user's object:
//! an R2 body goes out as the runtime's own stream, a request body goes into R2's `uploadPart`
//! as the runtime's own stream. Memory stays flat whatever the size.
//!
//! - `GET`/`HEAD`: the object, with `Content-Type`, `Content-Length`, `ETag`, `Last-Modified`,
//!   `Content-Disposition: attachment`; one byte range → 206 (several → the whole, 200;
//!   unsatisfiable → 416); `If-Match` → 412, `If-None-Match` → 304; `If-Range`.
//! - `PUT`: the whole body (one part of a multipart upload, completed at once), or `?part=N`.
//! - `POST ?complete`: assembles the parts; `DELETE`: abandons the upload.
//!
//! The HTTP rules are [`crate::transfer`]; the link's rules are `r2_mcp_durable::transfer`.

use r2_mcp_durable::grants::token;
use r2_mcp_durable::storage::namespace::Namespace;
use r2_mcp_durable::storage::time::http_date;
use r2_mcp_durable::transfer::{self as link_rules, UNKNOWN};
use r2_mcp_wire::transfer::{LinkCall, LinkOp, LinkReply, StoredPart};
use r2_mcp_wire::user_calls::{UserCall, UserReply};
use worker::js_sys::{self, Function, Object as JsObject, Promise, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Bucket, Data, Headers, Response, ResponseBody, Result};

use super::{call_object, Ctx};
use crate::http;
use crate::log;
use crate::transfer::{self, ByteRange, Condition, LinkRequest};

/// `?` on [`Link::ask`] inside a handler: the refusal is the handler's answer.
macro_rules! asked {
    ($e:expr) => {
        match $e {
            Ok(r) => r,
            Err(Refused(resp)) => return Ok(resp),
        }
    };
}

/// The R2 binding (see `wrangler.toml`).
const BUCKET: &str = "BUCKET";

/// A link's answer that is not the object: JSON, with the link headers.
fn answer(status: u16, body: &serde_json::Value) -> Result<Response> {
    let resp = http::json(status, body)?;
    with_link_headers(resp, &[])
}

fn refuse(status: u16, error: &str, message: &str) -> Result<Response> {
    let mut resp = answer(status, &serde_json::json!({ "error": error, "message": message }))?;
    if status == 405 {
        resp.headers_mut().set("Allow", transfer::ALLOW)?;
    }
    Ok(resp)
}

/// The short error code of a status.
fn code(status: u16) -> &'static str {
    match status {
        400 => "invalid_request",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        410 => "gone",
        412 => "precondition_failed",
        413 => "too_large",
        416 => "range_not_satisfiable",
        503 => "unavailable",
        _ => "server_error",
    }
}

/// A copy of `resp`'s headers with the link headers and `extra` set (responses built here or by
/// the runtime may have immutable headers).
fn with_link_headers(resp: Response, extra: &[(&str, String)]) -> Result<Response> {
    let h = Headers::new();
    for (k, v) in resp.headers().entries() {
        h.append(&k, &v)?;
    }
    for (k, v) in transfer::SAFE_HEADERS {
        h.set(k, v)?;
    }
    for (k, v) in extra {
        h.set(k, v)?;
    }
    Ok(resp.with_headers(h))
}

/// Answers a request to `/transfer/<token>`.
pub async fn handle(raw: web_sys::Request, headers: Headers, ctx: &Ctx, path: &str, query: &str, line: &mut log::Line) -> Result<Response> {
    let request = match transfer::classify(&raw.method(), query) {
        Ok(r) => r,
        Err((status, error, message)) => return refuse(status, error, &message),
    };
    if request == LinkRequest::Preflight {
        return preflight();
    }
    // A forged link (invented user or id, or a bearer token) stops here: no object is touched.
    let Some(token) = transfer::token_from_path(path) else { return refuse(404, "not_found", UNKNOWN) };
    let Some(parts) = token::parse(&token).filter(|p| link_rules::link_ok(&ctx.config.routing_keys, p)) else {
        return refuse(404, "not_found", UNKNOWN);
    };
    let user_key = parts.user_key.to_owned();
    line.user = Some(user_key[..16].to_owned());
    let Some(ns) = Namespace::for_user(&user_key) else { return refuse(404, "not_found", UNKNOWN) };
    let bucket = ctx.env.bucket(BUCKET)?;
    let link = Link { ctx, user_key: &user_key, token: &token };
    match request {
        LinkRequest::Download { head } => download(&link, &bucket, &ns, &headers, head).await,
        LinkRequest::Put { part } => upload(&link, &bucket, &ns, &raw, &headers, part).await,
        LinkRequest::Complete => {
            let done = asked!(link.ask(LinkCall { op: LinkOp::Complete, ..Default::default() }).await);
            completed(&done)
        }
        LinkRequest::Abort => {
            asked!(link.ask(LinkCall { op: LinkOp::Abort, ..Default::default() }).await);
            answer(200, &serde_json::json!({ "aborted": true }))
        }
        LinkRequest::Preflight => preflight(),
    }
}

/// The link being used, and how to ask its user's object about it.
struct Link<'a> {
    ctx: &'a Ctx,
    user_key: &'a str,
    token: &'a str,
}

/// A refusal from the object, already an HTTP answer.
struct Refused(Response);

impl Link<'_> {
    /// The object's answer to `call` (its token filled in here); a refusal comes back as the
    /// `Err` response to send.
    async fn ask(&self, call: LinkCall) -> std::result::Result<LinkReply, Refused> {
        let call = UserCall::Link(LinkCall { token: self.token.to_owned(), ..call });
        let reply = match call_object(self.ctx, self.user_key, &call).await {
            Ok(UserReply::Link(r)) => r,
            Ok(_) => {
                return Err(Refused(refuse(500, "server_error", "unexpected answer from the user's object").unwrap_or_else(|_| fallback())))
            }
            Err(e) => {
                worker::console_error!("{}", serde_json::json!({ "level": "error", "route": "/transfer", "error": e.to_string() }));
                return Err(Refused(refuse(500, "server_error", "the link could not be checked; retry").unwrap_or_else(|_| fallback())));
            }
        };
        match reply.status {
            200 => Ok(reply),
            status => Err(Refused(refuse(status, code(status), &reply.message).unwrap_or_else(|_| fallback()))),
        }
    }
}

fn fallback() -> Response {
    Response::empty().map(|r| r.with_status(500)).unwrap_or_else(|_| Response::from(web_sys::Response::error()))
}

fn preflight() -> Result<Response> {
    let resp = Response::empty()?.with_status(204);
    with_link_headers(
        resp,
        &[
            ("Access-Control-Allow-Methods", transfer::ALLOW.into()),
            ("Access-Control-Allow-Headers", "Range, If-Match, If-None-Match, If-Range, Content-Type".into()),
            ("Access-Control-Max-Age", "86400".into()),
        ],
    )
}

// ------------------------------------------------------------------------------------------------
// Downloads
// ------------------------------------------------------------------------------------------------

async fn download(link: &Link<'_>, bucket: &Bucket, ns: &Namespace, headers: &Headers, head: bool) -> Result<Response> {
    let key = asked!(link.ask(LinkCall::default()).await).key;
    let r2_key = ns.to_r2(&key);
    let if_match = headers.get("If-Match")?;
    let if_none_match = headers.get("If-None-Match")?;
    let gone = || refuse(404, "not_found", &format!("The object {key:?} no longer exists."));
    if head {
        let Some(o) = r2_call(bucket, "head", &[&r2_key.as_str().into()]).await? else { return gone() };
        return respond(&key, &o, None, evaluate(&o, if_match.as_deref(), if_none_match.as_deref()), None);
    }
    let range = transfer::parse_range(headers.get("Range")?.as_deref());
    // R2 evaluates the conditions itself (atomically with the read); the status they call for
    // is decided here from the etag R2 reports.
    let only_if = Headers::new();
    for (name, value) in [("If-Match", &if_match), ("If-None-Match", &if_none_match)] {
        if let Some(v) = value {
            only_if.set(name, v)?;
        }
    }
    let got = get(bucket, &r2_key, range, &only_if).await;
    let o = match got {
        Ok(Some(o)) => o,
        Ok(None) => return gone(),
        Err(e) => {
            // R2 refuses a range past the end: a 416 with the size, when that is what it was.
            let Some(o) = r2_call(bucket, "head", &[&r2_key.as_str().into()]).await? else { return gone() };
            let size = num(&o, "size");
            return match range.filter(|r| transfer::resolve(*r, size).is_none()) {
                Some(_) => {
                    let resp =
                        refuse(416, "range_not_satisfiable", &format!("The object is {size} bytes; the range asks for none of them."))?;
                    with_link_headers(resp, &[("Content-Range", format!("bytes */{size}"))])
                }
                None => Err(e),
            };
        }
    };
    let condition = evaluate(&o, if_match.as_deref(), if_none_match.as_deref());
    let body = Reflect::get(&o, &"body".into()).ok().filter(|b| !b.is_undefined() && !b.is_null());
    let Some(body) = body else {
        // R2 withheld the body: a condition failed.
        let condition = if condition == Condition::Serve { Condition::Failed } else { condition };
        return respond(&key, &o, None, condition, None);
    };
    let body: web_sys::ReadableStream = body.unchecked_into();
    if condition != Condition::Serve {
        let _ = body.cancel();
        return respond(&key, &o, None, condition, None);
    }
    let etag = text(&o, "httpEtag");
    if let Some(r) = range {
        if !transfer::if_range_allows(headers.get("If-Range")?.as_deref(), &etag) {
            // The client's copy is another version: the whole object instead of its range.
            let _ = body.cancel();
            let Some(whole) = get(bucket, &r2_key, None, &Headers::new()).await? else { return gone() };
            let body = Reflect::get(&whole, &"body".into())?.unchecked_into();
            return respond(&key, &whole, None, Condition::Serve, Some(body));
        }
        let size = num(&o, "size");
        return respond(&key, &o, transfer::resolve(r, size), Condition::Serve, Some(body));
    }
    respond(&key, &o, None, Condition::Serve, Some(body))
}

fn evaluate(o: &JsValue, if_match: Option<&str>, if_none_match: Option<&str>) -> Condition {
    transfer::evaluate(if_match, if_none_match, &text(o, "httpEtag"))
}

/// The answer for object `o`: the body (or a range of it), 304, or 412, with the object's headers.
fn respond(
    key: &str,
    o: &JsValue,
    span: Option<(u64, u64)>,
    condition: Condition,
    body: Option<web_sys::ReadableStream>,
) -> Result<Response> {
    let size = num(o, "size");
    let mut extra = vec![
        ("ETag", text(o, "httpEtag")),
        ("Last-Modified", http_date(uploaded_ms(o))),
        ("Accept-Ranges", "bytes".to_owned()),
        ("Content-Disposition", transfer::content_disposition(key)),
    ];
    let (status, resp) = match condition {
        Condition::NotModified => (304, Response::empty()?),
        Condition::Failed => {
            let resp = http::json(
                412,
                &serde_json::json!({ "error": "precondition_failed", "message": "If-Match does not name the object's current etag." }),
            )?;
            (412, resp)
        }
        Condition::Serve => {
            let content_type = Reflect::get(o, &"httpMetadata".into())
                .ok()
                .map(|m| text(&m, "contentType"))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "application/octet-stream".into());
            extra.push(("Content-Type", content_type));
            let (status, length) = match span {
                Some((start, len)) => {
                    extra.push(("Content-Range", transfer::content_range(start, len, size)));
                    (206, len)
                }
                None => (200, size),
            };
            extra.push(("Content-Length", length.to_string()));
            let resp = match body {
                Some(stream) => Response::from_body(ResponseBody::Stream(stream))?,
                None => Response::empty()?,
            };
            (status, resp)
        }
    };
    let resp = with_link_headers(resp.with_status(status), &[])?;
    let h = resp.headers().clone();
    for (k, v) in &extra {
        h.set(k, v)?;
    }
    Ok(resp.with_headers(h))
}

// ------------------------------------------------------------------------------------------------
// Uploads
// ------------------------------------------------------------------------------------------------

async fn upload(
    link: &Link<'_>,
    bucket: &Bucket,
    ns: &Namespace,
    raw: &web_sys::Request,
    headers: &Headers,
    part: Option<u16>,
) -> Result<Response> {
    let chunked = headers.get("Transfer-Encoding")?.is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let size = match transfer::body_size(headers.get("Content-Length")?.as_deref(), chunked, link.ctx.config.transfer_max_body, part) {
        Ok(n) => n,
        Err((status, error, message)) => return refuse(status, error, &message),
    };
    let number = part.unwrap_or(1);
    let content_type = headers.get("Content-Type")?.filter(|c| c.len() <= 256 && !c.chars().any(char::is_control));
    let op = if part.is_some() { LinkOp::Part } else { LinkOp::Whole };
    let LinkReply { key, upload_id, .. } = asked!(link.ask(LinkCall { op, part: number, size, content_type, ..Default::default() }).await);
    // The request's own stream goes to R2 (a known length: its Content-Length); nothing is copied.
    let body: Data = match raw.body() {
        Some(stream) if size > 0 => Data::ReadableStream(stream),
        _ => Data::Bytes(Vec::new()),
    };
    let uploaded = match bucket.resume_multipart_upload(ns.to_r2(&key), upload_id) {
        Ok(up) => up.upload_part(number, body).await,
        Err(e) => Err(e),
    };
    let uploaded = match uploaded {
        Ok(p) => StoredPart { part: number, etag: p.etag(), size },
        Err(e) => {
            let message = format!("The upload did not reach storage ({e}); nothing was applied. Send it again through the same link.");
            return refuse(502, "upload_failed", &message);
        }
    };
    if part.is_some() {
        let stored = LinkCall { op: LinkOp::PartStored, part: number, size, etag: uploaded.etag.clone(), ..Default::default() };
        asked!(link.ask(stored).await);
        return answer(
            200,
            &serde_json::json!({
                "key": key,
                "part": uploaded.part,
                "etag": uploaded.etag,
                "size": uploaded.size,
                "next": "PUT the next part (?part=N+1), or POST ?complete once every part is in",
            }),
        );
    }
    let done = asked!(link.ask(LinkCall { op: LinkOp::Complete, parts: Some(vec![uploaded]), ..Default::default() }).await);
    completed(&done)
}

/// The answer to an applied upload: the object's key, new etag and size.
fn completed(done: &LinkReply) -> Result<Response> {
    let resp = answer(200, &serde_json::json!({ "key": done.key, "etag": done.etag, "size": done.size }))?;
    with_link_headers(resp, &[("ETag", format!("\"{}\"", done.etag))])
}

// ------------------------------------------------------------------------------------------------
// R2 through the binding's own JS API (the wrapper's `Object::range()` panics in worker 0.8.7,
// and its conditional options take no `Headers`)
// ------------------------------------------------------------------------------------------------

fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<Promise> {
    let f: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    let arr = js_sys::Array::new();
    for a in args {
        arr.push(a);
    }
    Ok(f.apply(target, &arr)?.dyn_into()?)
}

/// `bucket.<method>(args)`; `None` for a missing object.
async fn r2_call(bucket: &Bucket, method: &str, args: &[&JsValue]) -> Result<Option<JsValue>> {
    let target: &JsValue = bucket.as_ref();
    let v = JsFuture::from(call(target, method, args)?).await?;
    Ok((!v.is_null() && !v.is_undefined()).then_some(v))
}

/// `bucket.get(key, {range, onlyIf})`.
async fn get(bucket: &Bucket, r2_key: &str, range: Option<ByteRange>, only_if: &Headers) -> Result<Option<JsValue>> {
    let options = JsObject::new();
    Reflect::set(&options, &"onlyIf".into(), &only_if.0)?;
    if let Some(r) = range {
        let o = JsObject::new();
        match r {
            ByteRange::From { first, last } => {
                Reflect::set(&o, &"offset".into(), &(first as f64).into())?;
                if let Some(last) = last {
                    Reflect::set(&o, &"length".into(), &((last - first + 1) as f64).into())?;
                }
            }
            ByteRange::Suffix(n) => {
                Reflect::set(&o, &"suffix".into(), &(n as f64).into())?;
            }
        }
        Reflect::set(&options, &"range".into(), &o)?;
    }
    r2_call(bucket, "get", &[&r2_key.into(), &options.into()]).await
}

fn text(o: &JsValue, field: &str) -> String {
    Reflect::get(o, &field.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

fn num(o: &JsValue, field: &str) -> u64 {
    Reflect::get(o, &field.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u64
}

fn uploaded_ms(o: &JsValue) -> i64 {
    Reflect::get(o, &"uploaded".into()).ok().and_then(|d| d.dyn_into::<js_sys::Date>().ok()).map_or(0, |d| d.get_time() as i64)
}
