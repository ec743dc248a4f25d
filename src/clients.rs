//! Registered OAuth clients (wasm32 only): stored in the `ClientRegistry` Durable Object, sharded by
//! client id, strongly consistent (a client registered a moment ago is found at once); plus the
//! per-source registration rate limit kept by the same class.

use worker::{Headers, Method, Request, RequestInit, Result};

use std::cell::RefCell;
use std::time::Duration;

use futures::future::{select, Either};
use worker::{Delay, Fetch};

use crate::oauth::client_metadata_document as cimd;
use crate::oauth::registration::ClientRecord;
use crate::routes::Ctx;

/// The Durable Object namespace binding for the client registry (see `wrangler.toml`).
pub const CLIENT_REGISTRY: &str = "CLIENT_REGISTRY";

fn shard(client_id: &str) -> String {
    let prefix: String = client_id.chars().take(2).collect();
    format!("clients:{prefix}")
}

async fn call(ctx: &Ctx, object: &str, method: Method, path: &str, body: Option<String>, headers: Headers) -> Result<worker::Response> {
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(b) = body {
        init.with_body(Some(b.into()));
    }
    let req = Request::new_with_init(&format!("https://client-registry{path}"), &init)?;
    ctx.env.durable_object(CLIENT_REGISTRY)?.id_from_name(object)?.get_stub()?.fetch_with_request(req).await
}

/// The client registered under `client_id`, if it exists and has not expired — or, with
/// `CLIENT_METADATA_DOCUMENTS=1`, the client described by the metadata document at that URL.
pub async fn get(ctx: &Ctx, client_id: &str) -> Result<Option<ClientRecord>> {
    if ctx.config.client_metadata_documents
        && cimd::is_document_url(client_id, ctx.config.dev_mode && ctx.is_loopback())
    {
        return Ok(document_client(client_id).await);
    }
    if client_id.is_empty() || client_id.len() > 64 || !client_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Ok(None);
    }
    let mut resp = call(ctx, &shard(client_id), Method::Get, &format!("/clients/{client_id}"), None, Headers::new()).await?;
    if resp.status_code() != 200 {
        return Ok(None);
    }
    let text = resp.text().await?;
    Ok(serde_json::from_str(&text).ok())
}

/// Stores a new registration.
pub async fn put(ctx: &Ctx, record: &ClientRecord) -> Result<()> {
    let json = serde_json::to_string(record).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let resp = call(ctx, &shard(&record.client_id), Method::Put, &format!("/clients/{}", record.client_id), Some(json), Headers::new()).await?;
    if resp.status_code() != 204 {
        return Err(worker::Error::RustError(format!("client registry answered {}", resp.status_code())));
    }
    Ok(())
}

/// Counts one registration from `source`; `Err(retry_after_secs)` when over the limit.
pub async fn allow_registration(ctx: &Ctx, source: &str) -> Result<std::result::Result<(), u32>> {
    let key: String = source.chars().filter(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':').take(64).collect();
    let object = format!("limits:{}", key.chars().take(4).collect::<String>());
    let max = ctx.config.registrations_per_hour;
    let path = format!("/limit/register-{key}?max={max}&window=3600");
    let mut resp = call(ctx, &object, Method::Post, &path, None, Headers::new()).await?;
    let v: serde_json::Value = resp.json().await.unwrap_or_default();
    if v.get("allowed").and_then(|a| a.as_bool()) == Some(false) {
        let retry = v.get("retry_after").and_then(|r| r.as_u64()).unwrap_or(60);
        return Ok(Err(u32::try_from(retry).unwrap_or(3600)));
    }
    Ok(Ok(()))
}

/// How long a fetched metadata document is trusted in this isolate.
const DOCUMENT_TTL_MS: f64 = 5.0 * 60.0 * 1000.0;
/// Most documents cached at once.
const DOCUMENT_CACHE_MAX: usize = 64;

thread_local! {
    static DOCUMENTS: RefCell<Vec<(String, ClientRecord, f64)>> = const { RefCell::new(Vec::new()) };
}

/// The client described by the metadata document at `url`: fetched (5 s, 5 KiB at most), validated,
/// cached for five minutes. `None` when it cannot be fetched or is not a valid document.
async fn document_client(url: &str) -> Option<ClientRecord> {
    let now = worker::Date::now().as_millis() as f64;
    if let Some(c) = DOCUMENTS.with(|d| d.borrow().iter().find(|(u, _, at)| u == url && now - at < DOCUMENT_TTL_MS).map(|(_, c, _)| c.clone())) {
        return Some(c);
    }
    let headers = Headers::new();
    headers.set("Accept", "application/json").ok()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let req = Request::new_with_init(url, &init).ok()?;
    let fetch = Box::pin(async move {
        let mut resp = Fetch::Request(req).send().await?;
        let status = resp.status_code();
        let declared = resp.headers().get("Content-Length")?.and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > cimd::MAX_DOCUMENT) {
            return Ok((413, Vec::new()));
        }
        let body = resp.bytes().await?;
        Ok::<_, worker::Error>((status, body))
    });
    let (status, body) = match select(fetch, Box::pin(Delay::from(Duration::from_secs(5)))).await {
        Either::Left((Ok(r), _)) => r,
        Either::Left((Err(e), _)) => {
            worker::console_warn!("client metadata document {url}: {e}");
            return None;
        }
        Either::Right(_) => {
            worker::console_warn!("client metadata document {url}: no answer within 5 s");
            return None;
        }
    };
    if status != 200 {
        worker::console_warn!("client metadata document {url}: status {status}");
        return None;
    }
    match cimd::client_from_document(url, &body, (now / 1000.0) as i64) {
        Ok(client) => {
            DOCUMENTS.with(|d| {
                let mut d = d.borrow_mut();
                d.retain(|(u, _, _)| u != url);
                if d.len() >= DOCUMENT_CACHE_MAX {
                    d.remove(0);
                }
                d.push((url.to_owned(), client.clone(), now));
            });
            Some(client)
        }
        Err(e) => {
            worker::console_warn!("client metadata document {url}: {}", e.description);
            None
        }
    }
}
