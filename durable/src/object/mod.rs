//! The Durable Object runtime (wasm32 only): one instance per user. It applies the schema on start
//! and serves the internal routes the front Worker forwards to it. The front Worker is the only
//! caller: a Durable Object is not reachable from the Internet except through it, and the Worker
//! strips every `x-r2mcp-*` header a client sends before setting its own.
//!
//! | route | what |
//! |---|---|
//! | `POST /oauth/grant` | open a grant after consent and login ([`grants::open_grant`]) |
//! | `POST /oauth/token` | redeem a code or rotate a refresh token ([`grants::token`]) |
//! | `POST /oauth/revoke` | RFC 7009 revocation |
//! | `POST /oauth/dev-token` | DEV_MODE only: a grant and access token for a test user, no login |
//! | `* /mcp` | bearer check ([`grants::authenticate`]), then the MCP host (the Worker checked `Origin`) |
//! | `/_dev/hits` | DEV_MODE diagnostics counter |
//! | `/_dev/alarm` | DEV_MODE: when the cleanup alarm is due |
//! | `/_dev/instance` | DEV_MODE: this instance's id, constructions in this isolate, open sockets |
//! | `/_dev/panic`, `/_dev/crash-next-write` | DEV_MODE faults: a panic now, or in the next write between R2 and its audit row |

pub mod db;
pub mod grants;
pub mod large;
pub mod mcp_host;
pub mod r2tools;
pub mod upstream_refresh;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;

use serde::de::DeserializeOwned;
use worker::{Env, Method, Request, Response, Result, SqlStorage, SqlStorageValue, State};

use crate::grants::wire::UserIdentity;
use crate::schema;

/// Header carrying the bearer token from the Worker to this object.
pub const BEARER_HEADER: &str = "x-r2mcp-bearer";
/// Header carrying this server's canonical resource URL (`<origin>/mcp`).
pub const RESOURCE_HEADER: &str = "x-r2mcp-resource";
/// Header carrying a caller identity the Worker verified itself (`AUTH_MODE=access`: the
/// Cloudflare Access assertion), as JSON [`UserIdentity`].
pub const IDENTITY_HEADER: &str = "x-r2mcp-identity";
/// Header on a 401 from this object: why the token was refused (the Worker builds the challenge).
pub const AUTH_ERROR_HEADER: &str = "x-r2mcp-auth-error";
/// Header on an `/mcp` request whose log line the Worker writes: this object then reports what
/// only it knows in the `x-r2mcp-log-*` response headers below, which the Worker removes.
pub const LOG_FIELDS_HEADER: &str = "x-r2mcp-log-fields";
/// Response header: the OAuth client of the request's token.
pub const LOG_CLIENT_HEADER: &str = "x-r2mcp-log-client";
/// Response header: the JSON-RPC method (only `[A-Za-z0-9_/.-]`, else `other`).
pub const LOG_METHOD_HEADER: &str = "x-r2mcp-log-method";
/// Response header: the tool of a `tools/call` (same alphabet).
pub const LOG_TOOL_HEADER: &str = "x-r2mcp-log-tool";
/// Request header: the Worker holds long-lived streams itself (`src/relay.rs`), so a 2026-07-28
/// listen stream is answered with its acknowledgement and an [`ATTACH_HEADER`] instead of a body
/// this object would have to keep open.
pub const RELAY_HEADER: &str = "x-r2mcp-relay";
/// Response header naming a listen stream the Worker attaches a socket to; on the Worker's
/// `GET` (with `Upgrade: websocket`), the stream it attaches.
pub const ATTACH_HEADER: &str = "x-r2mcp-attach";
/// What the Worker sends on a stream's socket to check it is alive, and what the object's
/// runtime answers without waking the object.
pub const SOCKET_PING: &str = "ping";
pub const SOCKET_PONG: &str = "pong";

/// `(SHA-256(token), resource)` → the caller and the token's expiry (Unix seconds).
type VerifiedCache = HashMap<(String, String), (McpCaller, i64)>;

/// The authenticated caller of an `/mcp` request.
#[derive(Debug, Clone)]
pub struct McpCaller {
    /// The key that names this object (hex of the upstream issuer and subject).
    pub user_key: String,
    pub grant_id: String,
    pub client_id: String,
    pub scope: Vec<String>,
    pub identity: UserIdentity,
}

impl McpCaller {
    /// The user and grant a session opened by this caller belongs to.
    pub fn owner(&self) -> crate::mcp::session::Owner<'_> {
        crate::mcp::session::Owner { user_key: &self.user_key, grant_id: &self.grant_id }
    }
}

/// The per-user object. The deployable crate wraps it in the exported `#[durable_object]` class.
pub struct UserObject {
    state: State,
    sql: SqlStorage,
    mcp: mcp_host::McpHost,
    /// Recently verified access tokens: `SHA-256(token)` and resource → the caller and the token's
    /// expiry. Spares the SQL lookups and the unsealing on every request of a session; emptied
    /// whenever a grant may have been revoked (any `/oauth/token` or `/oauth/revoke` call).
    /// (`AssertUnwindSafe`: a panic mid-request leaves at worst a stale entry for a live token.)
    verified: AssertUnwindSafe<RefCell<VerifiedCache>>,
    /// When the cleanup alarm is known to be scheduled (Unix ms), so most requests spare the
    /// storage call; `None` until known.
    alarm_at: AssertUnwindSafe<Cell<Option<i64>>>,
    /// This instance's random name and start (DEV_MODE `/_dev/instance`: an object that
    /// hibernated or was evicted comes back as a new instance).
    instance: String,
    started_ms: i64,
}

thread_local! {
    /// Objects constructed in this isolate (DEV_MODE `/_dev/instance`).
    static INSTANCES: Cell<u64> = const { Cell::new(0) };
}

/// Most verified tokens remembered at once (the cache is emptied when full).
const VERIFIED_MAX: usize = 256;

impl UserObject {
    /// Opens the object's SQLite database and brings its schema up to date. SQL calls are
    /// synchronous, so the migrations finish before the first request is delivered.
    pub fn new(state: State, env: Env) -> Self {
        // Two handles on one state: the object's own, and its hibernatable sockets'.
        let raw = state._inner();
        let copy: worker::worker_sys::DurableObjectState = worker::wasm_bindgen::JsCast::unchecked_into(worker::js_sys::Object::clone(&raw));
        let state = State::from(copy);
        let sql = state.storage().sql();
        if let Err(e) = migrate(&sql) {
            worker::console_error!("schema migration failed: {e}");
        }
        // The Worker's keep-alive ping is answered by the runtime itself: it never wakes us.
        match worker::worker_sys::WebSocketRequestResponsePair::new(SOCKET_PING, SOCKET_PONG) {
            Ok(pair) => state.set_websocket_auto_response(&pair),
            Err(_) => worker::console_warn!("could not set the sockets' ping auto-response"),
        }
        let mcp = mcp_host::McpHost::new(&state, State::from(raw), &env, sql.clone());
        INSTANCES.with(|n| n.set(n.get() + 1));
        Self {
            state,
            sql,
            mcp,
            verified: AssertUnwindSafe(RefCell::default()),
            alarm_at: AssertUnwindSafe(Cell::new(None)),
            instance: db::random_array::<8>().iter().map(|b| format!("{b:02x}")).collect(),
            started_ms: db::now_ms() as i64,
        }
    }

    /// The Worker's end of a stream's socket closed or failed.
    pub async fn websocket_closed(&self, ws: worker::WebSocket) -> Result<()> {
        // Complete the closing handshake (the runtime may already have).
        let _ = ws.close(Some(1000), Some("closed"));
        self.mcp.socket_closed(&ws)
    }

    /// Serves one internal request from the front Worker.
    pub async fn fetch(&self, req: Request) -> Result<Response> {
        let path = req.path();
        // The OAuth calls' JSON bodies are read with a bound, whoever sent them (413 past it).
        let bytes = if path.starts_with("/oauth/") {
            match crate::body::request(req.inner(), INTERNAL_BODY_MAX).await {
                Ok(b) => b,
                Err(crate::body::BodyError::TooLarge) => return Response::error("internal request too large", 413),
                Err(crate::body::BodyError::Unreadable) => return Response::error("internal request unreadable", 400),
            }
        } else {
            Vec::new()
        };
        let reply = match (req.method(), path.as_str()) {
            (_, "/mcp") => return self.mcp_request(req).await,
            (Method::Post, "/oauth/grant") => grants::open_grant(&self.sql, body(&bytes)?)?,
            (Method::Post, "/oauth/token") => {
                self.verified.borrow_mut().clear();
                let mut ended = Vec::new();
                let reply = grants::token(&self.sql, body(&bytes)?, &mut ended).await;
                // A replayed code or refresh token revokes its grant, possibly after an await.
                self.verified.borrow_mut().clear();
                self.end_grants(&ended)?;
                reply?
            }
            (Method::Post, "/oauth/revoke") => {
                self.verified.borrow_mut().clear();
                let mut ended = Vec::new();
                let reply = grants::revoke_token(&self.sql, body(&bytes)?, &mut ended);
                self.end_grants(&ended)?;
                reply?
            }
            (Method::Post, "/oauth/dev-token") => grants::dev_token(&self.sql, body(&bytes)?)?,
            (Method::Post, "/_dev/hits") => return counter_response(self.bump("hits")?),
            (Method::Get, "/_dev/hits") => return counter_response(self.read("hits")?),
            // DEV_MODE only: this instance, to tell whether the object slept since (a new one).
            (Method::Get, "/_dev/instance") => {
                return Response::from_json(&serde_json::json!({
                    "instance": self.instance,
                    "constructed": INSTANCES.with(Cell::get),
                    "started_ms": self.started_ms,
                    "sockets": self.state.get_websockets().len(),
                }));
            }
            // DEV_MODE only: when the cleanup alarm is due (Unix ms), or null.
            (Method::Get, "/_dev/alarm") => {
                let at = self.state.storage().get_alarm().await?;
                return Response::from_json(&serde_json::json!({ "scheduled_at": at }));
            }
            // DEV_MODE only (the Worker forwards `/_dev/` routes on loopback with DEV_MODE=1): proves
            // that a panic costs one request and this object's memory, never its storage or others.
            (Method::Post, "/_dev/panic") => panic!("deliberate panic (DEV_MODE containment test)"),
            // DEV_MODE only: the next write dies between R2 and its audit row (intent recovery test).
            (Method::Post, "/_dev/crash-next-write") => {
                self.mcp.arm_crash_before_audit();
                return Response::ok("armed");
            }
            _ => return Response::error("not found", 404),
        };
        // A grant was opened or refreshed: the alarm must come no later than its expiry (it then
        // ends the grant's sessions and streams).
        if let Some(due) = self.next_due()? {
            self.alarm_by(due).await;
        }
        Ok(Response::from_json(&reply.body)?.with_status(reply.status))
    }

    /// Ends every session, stream and running request of grants that ended.
    fn end_grants(&self, ended: &[String]) -> Result<()> {
        for g in ended {
            self.mcp.end_grant(g)?;
        }
        Ok(())
    }

    /// Cleanup, run when something is due: expired grants (their sessions, streams and running
    /// requests end with them), tokens and login states, idle MCP sessions, old events and audit
    /// rows. Then the alarm is set for the next thing due, or not at all: an object with nothing
    /// to expire is never woken.
    pub async fn alarm(&self) -> Result<Response> {
        self.alarm_at.set(None);
        let expired = grants::sweep(&self.sql)?;
        self.verified.borrow_mut().clear();
        self.end_grants(&expired)?;
        // Streams of grants that are gone (revoked elsewhere, or deleted) end too.
        for g in self.mcp.streaming_grants() {
            if !grants::is_live(&self.sql, &g)? {
                self.mcp.end_grant(&g)?;
            }
        }
        let more = self.mcp.alarm().await?;
        let due = if more { Some(db::now_ms() as i64 + ALARM_AGAIN_MS) } else { self.next_due()? };
        match due {
            Some(at) => self.alarm_by(at).await,
            None => self.alarm_at.set(Some(i64::MAX)),
        }
        Response::ok(format!("ended {} grants", expired.len()))
    }

    /// When cleanup next has work (Unix ms): a grant expiring, a session going idle, an event or
    /// an audit row ageing out, a login state to forget. `None`: nothing will ever be due.
    fn next_due(&self) -> Result<Option<i64>> {
        Ok([grants::next_due(&self.sql)?, self.mcp.next_due()?].into_iter().flatten().min())
    }

    async fn mcp_request(&self, req: Request) -> Result<Response> {
        if let Some(json) = req.headers().get(IDENTITY_HEADER)? {
            let Ok(identity) = serde_json::from_str::<UserIdentity>(&json) else {
                return Response::error("bad identity", 400);
            };
            let caller = McpCaller {
                user_key: crate::grants::wire::user_key(&identity.iss, &identity.sub),
                grant_id: grants::ACCESS_MODE_GRANT.into(),
                client_id: "cloudflare-access".into(),
                scope: vec!["mcp".into()],
                identity,
            };
            // The same retention as in OAuth mode: sessions, events and the audit trail expire.
            self.ensure_alarm().await;
            return self.mcp.serve(req, caller).await;
        }
        let bearer = req.headers().get(BEARER_HEADER)?.unwrap_or_default();
        let resource = req.headers().get(RESOURCE_HEADER)?.unwrap_or_default();
        let key = (crate::grants::token::hash(&bearer), resource);
        let cached = self.verified.borrow().get(&key).filter(|(_, exp)| db::now_secs() < *exp).map(|(c, _)| c.clone());
        if let Some(caller) = cached {
            self.ensure_alarm().await;
            return self.mcp.serve(req, caller).await;
        }
        let resource = &key.1;
        match grants::authenticate(&self.sql, &bearer, resource)? {
            Err(why) => {
                let mut resp = Response::error("unauthorized", 401)?;
                resp.headers_mut().set(AUTH_ERROR_HEADER, why)?;
                Ok(resp)
            }
            Ok(caller) => {
                let user_key = bearer.split(':').next().unwrap_or_default().to_owned();
                let expires_at = caller.info.expires_at;
                let caller = McpCaller {
                    user_key,
                    grant_id: caller.info.grant_id,
                    client_id: caller.info.client_id,
                    scope: caller.info.scope,
                    identity: caller.identity,
                };
                {
                    let mut verified = self.verified.borrow_mut();
                    if verified.len() >= VERIFIED_MAX {
                        verified.clear();
                    }
                    verified.insert(key, (caller.clone(), expires_at));
                }
                self.ensure_alarm().await;
                self.mcp.serve(req, caller).await
            }
        }
    }

    /// Makes sure cleanup runs within [`ALARM_FIRST_MS`] of an MCP request (which may have
    /// created a session, an event or an audit row). Costs nothing while an alarm at least that
    /// soon is known to be pending; the alarm then finds exactly what is due.
    async fn ensure_alarm(&self) {
        self.alarm_by(db::now_ms() as i64 + ALARM_FIRST_MS).await;
    }

    /// Schedules the alarm for `at` (Unix ms) unless one is already pending no later than that.
    async fn alarm_by(&self, at: i64) {
        if self.alarm_at.get().is_some_and(|known| known <= at) {
            return;
        }
        let storage = self.state.storage();
        match storage.get_alarm().await {
            Ok(Some(pending)) if pending as i64 <= at => {
                self.alarm_at.set(Some(pending as i64));
                return;
            }
            Ok(_) => {}
            Err(e) => worker::console_warn!("could not read the cleanup alarm: {e}"),
        }
        let offset = (at - db::now_ms() as i64).max(0);
        match storage.set_alarm(offset).await {
            Ok(()) => self.alarm_at.set(Some(at)),
            Err(e) => {
                self.alarm_at.set(None);
                worker::console_warn!("could not schedule the cleanup alarm: {e}");
            }
        }
    }

    fn bump(&self, name: &str) -> Result<i64> {
        let row = db::one(
            &self.sql,
            "INSERT INTO counters (name, value) VALUES (?, 1) \
             ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
            vec![SqlStorageValue::from(name)],
        )?;
        Ok(row.as_deref().and_then(|r| db::int(r.first())).unwrap_or(0))
    }

    fn read(&self, name: &str) -> Result<i64> {
        let row = db::one(&self.sql, "SELECT value FROM counters WHERE name = ?", vec![SqlStorageValue::from(name)])?;
        Ok(row.as_deref().and_then(|r| db::int(r.first())).unwrap_or(0))
    }
}

/// Unicode NFC by the runtime's `String.prototype.normalize` (no normalization tables in the wasm).
pub fn nfc(s: &str) -> String {
    worker::js_sys::JsString::from(s).normalize("NFC").into()
}

/// The first cleanup after MCP activity comes this long after it (nothing an MCP request creates
/// is due sooner: sessions idle for at least a minute, events live an hour); the alarm then sets
/// itself for exactly what is due next.
const ALARM_FIRST_MS: i64 = 15 * 60 * 1000;
/// A cleanup that stopped at its batch limit comes back this soon.
const ALARM_AGAIN_MS: i64 = 1000;

/// Largest internal OAuth call read: a grant carries the identity from an id_token, and upstream
/// documents are bounded at 256 KiB.
const INTERNAL_BODY_MAX: usize = 256 * 1024;

fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| worker::Error::RustError(format!("bad internal request: {e}")))
}

fn counter_response(value: i64) -> Result<Response> {
    Response::from_json(&serde_json::json!({ "value": value }))
}

/// Applies the migrations this database has not seen yet. Synchronous SQL in one turn commits
/// atomically, so a crash never leaves half a migration behind.
fn migrate(sql: &SqlStorage) -> Result<()> {
    sql.exec(schema::VERSION_TABLE, None)?;
    let current = db::one(sql, "SELECT MAX(version) FROM schema_version", vec![])?
        .as_deref()
        .and_then(|r| db::int(r.first()))
        .unwrap_or(0);
    for m in schema::pending(current) {
        for statement in m.statements {
            sql.exec(statement, None)?;
        }
        sql.exec("INSERT INTO schema_version (version) VALUES (?)", vec![SqlStorageValue::from(m.version)])?;
    }
    Ok(())
}
