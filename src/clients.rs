//! Registered OAuth clients (wasm32 only): stored in the `ClientRegistry` Durable Object, sharded by
//! client id, strongly consistent (a client registered a moment ago is found at once); plus the
//! per-source registration rate limit kept by the same class. A client found is remembered in the
//! isolate for a minute (registrations never change; they only expire after 90 idle days), so a
//! client's token requests cost one registry call a minute, not one each.

use worker::{Headers, Method, Request, RequestInit, Result};

use std::cell::RefCell;
use std::time::Duration;

use futures::future::{select, Either};
use r2_mcp_wire::body;
use worker::{AbortController, Delay, Fetch, RequestRedirect};

use r2_mcp_wire::registry_calls::{RegistryCall, RegistryReply};

use crate::oauth::client_metadata_document as cimd;
use crate::oauth::registration::ClientRecord;
use crate::oauth::source_key;
use crate::routes::Ctx;

/// The Durable Object namespace binding for the client registry (see `wrangler.toml`).
pub const CLIENT_REGISTRY: &str = "CLIENT_REGISTRY";

fn shard(client_id: &str) -> String {
    let prefix: String = client_id.chars().take(2).collect();
    format!("clients:{prefix}")
}

async fn raw_call(ctx: &Ctx, object: &str, method: Method, path: &str, body: Option<String>) -> Result<worker::Response> {
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(Headers::new());
    if let Some(b) = body {
        init.with_body(Some(b.into()));
    }
    let req = Request::new_with_init(&format!("https://client-registry{path}"), &init)?;
    ctx.env.durable_object(CLIENT_REGISTRY)?.id_from_name(object)?.get_stub()?.fetch_with_request(req).await
}

/// One typed call to the registry object `object` (see `r2_mcp_wire::registry_calls`).
async fn call(ctx: &Ctx, object: &str, call: &RegistryCall) -> Result<RegistryReply> {
    let json = serde_json::to_string(call).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let mut resp = raw_call(ctx, object, Method::Post, "/call", Some(json)).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!("the client registry answered {}", resp.status_code())));
    }
    resp.json().await
}

/// The client registered under `client_id`, if it exists and has not expired — or, with
/// `CLIENT_METADATA_DOCUMENTS=1`, the client described by the metadata document at that URL.
pub async fn get(ctx: &Ctx, client_id: &str) -> Result<Option<ClientRecord>> {
    if ctx.config.client_metadata_documents && cimd::is_document_url(client_id, ctx.config.dev_mode && ctx.is_loopback()) {
        return Ok(document_client(client_id).await);
    }
    if client_id.is_empty() || client_id.len() > 64 || !client_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Ok(None);
    }
    let now = worker::Date::now().as_millis() as f64;
    if let Some(client) = REGISTERED.with(|r| r.borrow().get(client_id, now)) {
        return Ok(Some(client));
    }
    let client = match call(ctx, &shard(client_id), &RegistryCall::Get { client_id: client_id.to_owned() }).await? {
        RegistryReply::Found { record: Some(text) } => serde_json::from_str::<ClientRecord>(&text).ok(),
        _ => None,
    };
    // Only clients found: one registered a moment ago must be found at once.
    if let Some(c) = &client {
        REGISTERED.with(|r| r.borrow_mut().put(client_id, c.clone(), now));
    }
    Ok(client)
}

/// Stores a new registration.
pub async fn put(ctx: &Ctx, record: &ClientRecord) -> Result<()> {
    let json = serde_json::to_string(record).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let put = RegistryCall::Put { client_id: record.client_id.clone(), record: json, expires_at: None };
    match call(ctx, &shard(&record.client_id), &put).await? {
        RegistryReply::Done => Ok(()),
        other => Err(worker::Error::RustError(format!("the client registry answered {other:?}"))),
    }
}

/// Counts one registration from `source` (the `CF-Connecting-IP` header), under its rate-limit
/// key: the IPv4 address, or the IPv6 /64; `Some(retry_after_secs)` when over the limit.
pub async fn registration_limited(ctx: &Ctx, source: Option<&str>) -> Result<Option<u32>> {
    let key = source_key::rate_limit_key(source);
    let object = format!("limits:{}", key.chars().take(4).collect::<String>());
    let limit = RegistryCall::Limit { key: format!("register-{key}"), max: i64::from(ctx.config.registrations_per_hour), window: 3600 };
    match call(ctx, &object, &limit).await? {
        RegistryReply::Limited { allowed: false, retry_after } => Ok(Some(u32::try_from(retry_after).unwrap_or(3600))),
        _ => Ok(None),
    }
}

/// DEV_MODE only (the Worker's `/_dev/registry/` routes): passes a diagnostic call to the registry
/// object `object` and its answer back. Aging its rows (time travel) also forgets this isolate's
/// copies of registrations, which cannot see it.
#[cfg(feature = "dev")]
pub async fn dev_call(ctx: &Ctx, object: &str, method: Method, path: &str) -> Result<worker::Response> {
    if path.starts_with("/_dev/age") {
        REGISTERED.with(|r| r.borrow_mut().entries.clear());
    }
    raw_call(ctx, object, method, path, None).await
}

/// Entries remembered in this isolate for a while: key → value and when it was stored. The oldest
/// goes first when full.
struct Remembered<V> {
    entries: Vec<(String, V, f64)>,
    ttl_ms: f64,
    max: usize,
}

impl<V: Clone> Remembered<V> {
    const fn new(ttl_ms: f64, max: usize) -> Self {
        Self { entries: Vec::new(), ttl_ms, max }
    }

    fn get(&self, key: &str, now: f64) -> Option<V> {
        self.entries.iter().find(|(k, _, at)| k == key && now - at < self.ttl_ms).map(|(_, v, _)| v.clone())
    }

    fn put(&mut self, key: &str, value: V, now: f64) {
        let ttl = self.ttl_ms;
        self.entries.retain(|(k, _, at)| k != key && now - at < ttl);
        if self.entries.len() >= self.max {
            self.entries.remove(0);
        }
        self.entries.push((key.to_owned(), value, now));
    }
}

/// How long a fetched metadata document, or the failure to get one, is remembered in this isolate:
/// one URL costs at most one fetch per period.
const DOCUMENT_TTL_MS: f64 = 5.0 * 60.0 * 1000.0;
/// A document that takes longer than this is a failure (the fetch is aborted).
const DOCUMENT_TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    /// URL → the client it describes (`None`: fetching or validating it failed), and when.
    static DOCUMENTS: RefCell<Remembered<Option<ClientRecord>>> = const { RefCell::new(Remembered::new(DOCUMENT_TTL_MS, 128)) };
    /// Client id → its registration, for a minute (found ones only).
    static REGISTERED: RefCell<Remembered<ClientRecord>> = const { RefCell::new(Remembered::new(60_000.0, 256)) };
}

/// The client described by the metadata document at `url` (already checked by
/// `cimd::is_document_url`: no fetch is made for any other URL): fetched without following
/// redirects (a 3xx is a failure), within 5 s, reading at most 5 KiB of body; validated; and
/// remembered for five minutes, failures included. `None` when it cannot be used.
async fn document_client(url: &str) -> Option<ClientRecord> {
    let now = worker::Date::now().as_millis() as f64;
    if let Some(client) = DOCUMENTS.with(|d| d.borrow().get(url, now)) {
        return client;
    }
    let client = match fetch_document(url).await {
        Ok(body) => cimd::client_from_document(url, &body, (now / 1000.0) as i64).map_err(|e| e.description),
        Err(why) => Err(why),
    };
    let client = client.map_err(|why| worker::console_warn!("client metadata document {url}: {why}")).ok();
    DOCUMENTS.with(|d| d.borrow_mut().put(url, client.clone(), now));
    client
}

/// GETs a document: no redirects followed, a timeout that aborts the fetch, a bounded body.
async fn fetch_document(url: &str) -> std::result::Result<Vec<u8>, String> {
    let headers = Headers::new();
    headers.set("Accept", "application/json").map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers).with_redirect(RequestRedirect::Manual);
    let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let abort = AbortController::default();
    let signal = abort.signal();
    let fetch = Box::pin(async move {
        let resp = Fetch::Request(req).send_with_signal(&signal).await.map_err(|e| e.to_string())?;
        match resp.status_code() {
            200 => {}
            s @ 300..=399 => return Err(format!("answered a redirect ({s}); redirects are not followed")),
            s => return Err(format!("answered status {s}")),
        }
        match body::response(&resp, cimd::MAX_DOCUMENT).await {
            Ok(b) => Ok(b),
            Err(body::BodyError::TooLarge) => Err(format!("the document is larger than {} bytes", cimd::MAX_DOCUMENT)),
            Err(body::BodyError::Unreadable) => Err("the document could not be read".to_owned()),
        }
    });
    match select(fetch, Box::pin(Delay::from(DOCUMENT_TIMEOUT))).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => {
            abort.abort();
            Err(format!("no answer within {} s", DOCUMENT_TIMEOUT.as_secs()))
        }
    }
}
