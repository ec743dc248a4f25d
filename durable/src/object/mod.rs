//! The Durable Object runtime (wasm32 only): one instance per user. It applies the schema on start
//! and serves the internal routes the front Worker forwards to it. The front Worker is the only
//! caller: a Durable Object is not reachable from the Internet except through it, and the Worker
//! strips every `x-r2mcp-*` header a client sends before setting its own.
//!
//! | route | what |
//! |---|---|
//! | `POST /call` | one `UserCall`: open a grant after consent and login ([`grants::open_grant`]), redeem a code or rotate a refresh token ([`grants::token`]), RFC 7009 revocation, a DEV_MODE token, or a transfer link's use (`r2tools::links`) |
//! | `* /mcp` | bearer check ([`grants::authenticate`]), then the MCP host (the Worker checked `Origin`) |
//! | `/_dev/*` | DEV_MODE diagnostics and faults (`dev` builds only: [`dev`]) |

pub mod app_view;
pub mod db;
#[cfg(feature = "dev")]
mod dev;
pub mod grants;
pub mod large;
pub mod mcp_host;
pub mod r2tools;
pub mod upstream_refresh;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;

use r2_mcp_wire::body::{self, BodyError};
use r2_mcp_wire::mcp_call::{from_header, to_header, Caller, McpCall, McpReply, CALL_HEADER, REPLY_HEADER, SOCKET_PING, SOCKET_PONG};
use r2_mcp_wire::user_calls::{UserCall, UserReply};
use r2_mcp_wire::{user_key, UserIdentity};
use worker::{Env, Method, Request, Response, Result, SqlStorage, SqlStorageValue, State};

use crate::schema;

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
    #[cfg(feature = "dev")]
    instance: String,
    #[cfg(feature = "dev")]
    started_ms: i64,
}

/// Most verified tokens remembered at once (the cache is emptied when full).
const VERIFIED_MAX: usize = 256;

impl UserObject {
    /// Opens the object's SQLite database and brings its schema up to date. SQL calls are
    /// synchronous, so the migrations finish before the first request is delivered.
    pub fn new(state: State, env: Env) -> Self {
        // Two handles on one state: the object's own, and its hibernatable sockets'.
        let raw = state._inner();
        let copy: worker::worker_sys::DurableObjectState =
            worker::wasm_bindgen::JsCast::unchecked_into(worker::js_sys::Object::clone(&raw));
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
        #[cfg(feature = "dev")]
        dev::INSTANCES.with(|n| n.set(n.get() + 1));
        Self {
            state,
            sql,
            mcp,
            verified: AssertUnwindSafe(RefCell::default()),
            alarm_at: AssertUnwindSafe(Cell::new(None)),
            #[cfg(feature = "dev")]
            instance: db::random_array::<8>().iter().map(|b| format!("{b:02x}")).collect(),
            #[cfg(feature = "dev")]
            started_ms: db::now_ms(),
        }
    }

    /// The Worker's end of a stream's socket closed or failed.
    pub async fn websocket_closed(&self, ws: worker::WebSocket) -> Result<()> {
        // Complete the closing handshake (the runtime may already have).
        let _ = ws.close(Some(1000), Some("closed"));
        self.mcp.socket_closed(&ws)
    }

    /// Serves one internal request from the front Worker: an OAuth [`UserCall`] (`POST /call`), an
    /// `/mcp` forward, or a DEV_MODE diagnostic.
    pub async fn fetch(&self, req: Request) -> Result<Response> {
        let path = req.path();
        match (req.method(), path.as_str()) {
            (_, "/mcp") => return self.mcp_request(req).await,
            (Method::Post, "/call") => {
                // Read with a bound, whoever sent it (413 past it).
                let call = match body::request(req.inner(), INTERNAL_BODY_MAX).await {
                    Ok(b) => serde_json::from_slice::<UserCall>(&b),
                    Err(BodyError::TooLarge) => return Response::error("internal request too large", 413),
                    Err(BodyError::Unreadable) => return Response::error("internal request unreadable", 400),
                };
                let Ok(call) = call else { return Response::error("not a call", 400) };
                let reply = match call {
                    // A link's use touches no grant: the verified tokens stay remembered.
                    UserCall::Link(c) => UserReply::Link(self.mcp.link(c).await),
                    oauth => self.user_call(oauth).await?,
                };
                // A grant was opened or refreshed: the alarm must come no later than its expiry
                // (it then ends the grant's sessions and streams).
                if let Some(due) = self.next_due()? {
                    self.alarm_by(due).await;
                }
                return Response::from_json(&reply);
            }
            _ => {}
        }
        #[cfg(feature = "dev")]
        if path.starts_with("/_dev/") {
            return self.dev(req.method(), &path).await;
        }
        Response::error("not found", 404)
    }

    /// One OAuth call. Revocation may follow from any of them (a replayed code, a reused refresh
    /// token, an upstream session that ended): the grants that ended take their sessions and
    /// streams with them.
    async fn user_call(&self, call: UserCall) -> Result<UserReply> {
        let mut ended = Vec::new();
        self.verified.borrow_mut().clear();
        let reply = match call {
            UserCall::OpenGrant(c) => grants::open_grant(&self.sql, c),
            UserCall::Token(c) => grants::token(&self.sql, c, &mut ended).await,
            UserCall::Revoke(c) => grants::revoke_token(&self.sql, c, &mut ended),
            #[cfg(feature = "dev")]
            UserCall::DevToken(c) => grants::dev_token(&self.sql, c),
            #[cfg(not(feature = "dev"))]
            UserCall::DevToken(_) => Err(worker::Error::RustError("this build has no DEV_MODE tokens".into())),
            UserCall::Link(c) => Ok(UserReply::Link(self.mcp.link(c).await)),
        };
        // A revocation may have happened after an await: forget what was verified before it.
        self.verified.borrow_mut().clear();
        self.end_grants(&ended)?;
        reply
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
        let due = if more { Some(db::now_ms() + ALARM_AGAIN_MS) } else { self.next_due()? };
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
        let Some(call) = from_header::<McpCall>(req.headers().get(CALL_HEADER)?.as_deref()) else {
            return Response::error("an /mcp forward without its call", 400);
        };
        let caller = match &call.caller {
            Caller::Access(identity) => McpCaller {
                user_key: user_key(&identity.iss, &identity.sub),
                grant_id: grants::ACCESS_MODE_GRANT.into(),
                client_id: "cloudflare-access".into(),
                scope: vec!["mcp".into()],
                identity: identity.clone(),
            },
            Caller::Bearer { token, user_key, grant_id, resource } => match self.verify(token, user_key, grant_id, resource) {
                Ok(caller) => caller,
                Err(grants::BearerError::Storage(e)) => return Err(e),
                Err(grants::BearerError::Refused(why)) => {
                    let mut resp = Response::error("unauthorized", 401)?;
                    let reply = McpReply { auth_error: Some(why.into()), ..Default::default() };
                    resp.headers_mut().set(REPLY_HEADER, &to_header(&reply))?;
                    return Ok(resp);
                }
            },
        };
        // Sessions, events and the audit trail expire in both modes.
        self.ensure_alarm().await;
        self.mcp.serve(req, caller, &call).await
    }

    /// The caller behind a bearer token (parsed, and its routing tag checked, by the Worker):
    /// recently verified tokens from memory, others from SQLite.
    fn verify(&self, token: &str, user_key: &str, grant_id: &str, resource: &str) -> std::result::Result<McpCaller, grants::BearerError> {
        let key = (crate::grants::token::hash(token), resource.to_owned());
        let cached = self.verified.borrow().get(&key).filter(|(_, exp)| db::now_secs() < *exp).map(|(c, _)| c.clone());
        if let Some(caller) = cached {
            return Ok(caller);
        }
        let found = grants::authenticate(&self.sql, &key.0, grant_id, token, resource)?;
        let expires_at = found.info.expires_at;
        let caller = McpCaller {
            user_key: user_key.to_owned(),
            grant_id: found.info.grant_id,
            client_id: found.info.client_id,
            scope: found.info.scope,
            identity: found.identity,
        };
        let mut verified = self.verified.borrow_mut();
        if verified.len() >= VERIFIED_MAX {
            verified.clear();
        }
        verified.insert(key, (caller.clone(), expires_at));
        Ok(caller)
    }

    /// Makes sure cleanup runs within [`ALARM_FIRST_MS`] of an MCP request (which may have
    /// created a session, an event or an audit row). Costs nothing while an alarm at least that
    /// soon is known to be pending; the alarm then finds exactly what is due.
    async fn ensure_alarm(&self) {
        self.alarm_by(db::now_ms() + ALARM_FIRST_MS).await;
    }

    /// Schedules the alarm for `at` (Unix ms) unless one is already pending no later than that.
    async fn alarm_by(&self, at: i64) {
        if self.alarm_at.get().is_some_and(|known| known <= at) {
            return;
        }
        let storage = self.state.storage();
        match storage.get_alarm().await {
            Ok(Some(pending)) if pending <= at => {
                self.alarm_at.set(Some(pending));
                return;
            }
            Ok(_) => {}
            Err(e) => worker::console_warn!("could not read the cleanup alarm: {e}"),
        }
        let offset = (at - db::now_ms()).max(0);
        match storage.set_alarm(offset).await {
            Ok(()) => self.alarm_at.set(Some(at)),
            Err(e) => {
                self.alarm_at.set(None);
                worker::console_warn!("could not schedule the cleanup alarm: {e}");
            }
        }
    }
}

/// Unicode NFC by the runtime's `String.prototype.normalize` (no normalization tables in the wasm).
pub fn nfc(s: &str) -> String {
    worker::js_sys::JsString::from(s).normalize("NFC").into()
}

/// The first cleanup after MCP activity comes at most this long after it: an hour, the life of a
/// logged event, so an idle user's object is woken at most once an hour by its own cleanup (an
/// idle session expires after `SESSION_TTL_SECS`, and is refused on access as soon as it has, so a
/// late cleanup only frees its row later). The alarm then sets itself for exactly what is due next.
const ALARM_FIRST_MS: i64 = 60 * 60 * 1000;
/// A cleanup that stopped at its batch limit comes back this soon.
const ALARM_AGAIN_MS: i64 = 1000;

/// Largest internal OAuth call read: a grant carries the identity from an id_token, and upstream
/// documents are bounded at 256 KiB.
const INTERNAL_BODY_MAX: usize = 256 * 1024;

/// Applies the migrations this database has not seen yet. Synchronous SQL in one turn commits
/// atomically, so a crash never leaves half a migration behind.
fn migrate(sql: &SqlStorage) -> Result<()> {
    sql.exec(schema::VERSION_TABLE, None)?;
    let current = db::one(sql, "SELECT MAX(version) FROM schema_version", vec![])?.as_deref().and_then(|r| db::int(r.first())).unwrap_or(0);
    for m in schema::pending(current) {
        for statement in m.statements {
            sql.exec(statement, None)?;
        }
        sql.exec("INSERT INTO schema_version (version) VALUES (?)", vec![SqlStorageValue::from(m.version)])?;
    }
    Ok(())
}
