//! The client registry Durable Object's logic (wasm32 only): registered OAuth clients, sharded by
//! client id across a few objects, and fixed-window rate limits for registration. Strongly consistent,
//! so a client registered a moment ago is found at once (KV would not guarantee it). Each object's
//! alarm deletes its expired registrations and ended windows, and stops once it holds no rows.
//!
//! Internal routes (the front Worker is the only caller):
//! - `POST /call`: one `RegistryCall` (store, look up — refreshing the idle expiry —, delete a
//!   registration of at most 32 KiB; count one event in a rate-limit window) → its `RegistryReply`
//! - DEV_MODE only, in `dev` builds (the Worker forwards `/_dev/registry/` on loopback with DEV_MODE=1):
//!   `GET /_dev/rows` → `{"clients":N,"limits":N,"alarm":ms|null}`; `POST /_dev/age?secs=N` moves
//!   every expiry N seconds earlier (as if that time had passed); `POST /_dev/alarm` makes the
//!   cleanup alarm fire now.
//!
//! Tables: `clients(id TEXT PRIMARY KEY, record TEXT, expires_at INTEGER)` — records hold only the
//! SHA-256 of a client secret; `windows(key TEXT PRIMARY KEY, ends_at INTEGER, count INTEGER)`.
//! (`windows` replaced `limits`, which did not know when its windows ended; it is dropped: its
//! counts restart, at most one hour's extra allowance.)

use std::cell::Cell;
use std::panic::AssertUnwindSafe;

use r2_mcp_wire::registry_calls::{RegistryCall, RegistryReply};
use worker::{Env, Method, Request, Response, Result, SqlStorage, SqlStorageValue, State};

/// How long a registration lives without being used (refreshed on every lookup).
pub const CLIENT_IDLE_TTL_SECS: i64 = 90 * 24 * 3600;
/// How often the cleanup alarm runs while the object holds rows (milliseconds from now).
const SWEEP_EVERY_MS: i64 = 60 * 60 * 1000;
/// Largest stored record read (registrations are at most 16 KiB).
const MAX_RECORD: usize = 32 * 1024;
/// Longest rate-limit window accepted (seconds).
const MAX_WINDOW: i64 = 24 * 3600;

/// The registry object.
pub struct ClientRegistry {
    state: State,
    sql: SqlStorage,
    /// Whether the cleanup alarm is known to be scheduled (spares a storage call per request).
    /// (`AssertUnwindSafe`: a panic mid-request leaves at worst a needless `get_alarm` call.)
    alarm_set: AssertUnwindSafe<Cell<bool>>,
}

impl ClientRegistry {
    pub fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for s in [
            "CREATE TABLE IF NOT EXISTS clients (id TEXT PRIMARY KEY, record TEXT NOT NULL, expires_at INTEGER NOT NULL)",
            "DROP TABLE IF EXISTS limits",
            "CREATE TABLE IF NOT EXISTS windows (key TEXT PRIMARY KEY, ends_at INTEGER NOT NULL, count INTEGER NOT NULL)",
        ] {
            if let Err(e) = sql.exec(s, None) {
                worker::console_error!("registry schema: {e}");
            }
        }
        Self { state, sql, alarm_set: AssertUnwindSafe(Cell::new(false)) }
    }

    pub async fn fetch(&self, req: Request) -> Result<Response> {
        let path = req.path();
        let now = now_secs();
        let parts: Vec<&str> = path.trim_start_matches('/').splitn(2, '/').collect();
        match (req.method(), parts.as_slice()) {
            (Method::Post, ["call"]) => {
                let call = match r2_mcp_wire::body::request(req.inner(), MAX_RECORD * 2).await {
                    Ok(b) => serde_json::from_slice::<RegistryCall>(&b).ok(),
                    Err(_) => None,
                };
                let reply = match call {
                    Some(call) => self.call(call, now).await?,
                    None => RegistryReply::Refused { reason: "not a registry call (or larger than a record may be)".into() },
                };
                Response::from_json(&reply)
            }
            #[cfg(feature = "dev")]
            (method, ["_dev", route]) => {
                let secs = r2_mcp_wire::url::query_param(&req.inner().url(), "secs").and_then(|v| v.parse::<i64>().ok());
                self.dev(method, route, secs.unwrap_or(0)).await
            }
            _ => Response::error("not found", 404),
        }
    }

    /// The cleanup alarm: deletes expired registrations and ended windows; runs again while rows remain.
    pub async fn alarm(&self) -> Result<Response> {
        let now = now_secs();
        self.sql.exec("DELETE FROM clients WHERE expires_at <= ?", vec![now.into()])?;
        self.sql.exec("DELETE FROM windows WHERE ends_at <= ?", vec![now.into()])?;
        let left = self.count("SELECT (SELECT COUNT(*) FROM clients) + (SELECT COUNT(*) FROM windows)")?;
        if left > 0 {
            self.state.storage().set_alarm(SWEEP_EVERY_MS).await?;
        } else {
            self.alarm_set.set(false);
        }
        Response::ok(format!("{left} rows kept"))
    }

    /// Schedules the cleanup alarm if none is pending.
    /// One typed call from the front Worker.
    async fn call(&self, call: RegistryCall, now: i64) -> Result<RegistryReply> {
        Ok(match call {
            RegistryCall::Put { client_id, record, expires_at } => {
                if record.len() > MAX_RECORD {
                    return Ok(RegistryReply::Refused { reason: "record too large".into() });
                }
                self.sql.exec(
                    "INSERT OR REPLACE INTO clients (id, record, expires_at) VALUES (?, ?, ?)",
                    vec![client_id.into(), record.into(), expires_at.unwrap_or(now + CLIENT_IDLE_TTL_SECS).into()],
                )?;
                self.ensure_alarm().await;
                RegistryReply::Done
            }
            RegistryCall::Get { client_id } => {
                let row = self
                    .sql
                    .exec("SELECT record, expires_at FROM clients WHERE id = ?", vec![client_id.as_str().into()])?
                    .raw()
                    .next()
                    .transpose()?;
                let record = match row.as_deref() {
                    Some([SqlStorageValue::String(record), SqlStorageValue::Integer(exp)]) if *exp > now => {
                        let record = record.clone();
                        self.sql.exec(
                            "UPDATE clients SET expires_at = ? WHERE id = ?",
                            vec![(now + CLIENT_IDLE_TTL_SECS).into(), client_id.into()],
                        )?;
                        Some(record)
                    }
                    Some(_) => {
                        self.sql.exec("DELETE FROM clients WHERE id = ?", vec![client_id.into()])?;
                        None
                    }
                    None => None,
                };
                RegistryReply::Found { record }
            }
            RegistryCall::Delete { client_id } => {
                self.sql.exec("DELETE FROM clients WHERE id = ?", vec![client_id.into()])?;
                RegistryReply::Done
            }
            RegistryCall::Limit { key, max, window } => {
                let (allowed, retry_after) = self.hit(&key, max.max(1), window.clamp(1, MAX_WINDOW), now)?;
                self.ensure_alarm().await;
                RegistryReply::Limited { allowed, retry_after }
            }
        })
    }

    async fn ensure_alarm(&self) {
        if self.alarm_set.get() {
            return;
        }
        self.alarm_set.set(true);
        let storage = self.state.storage();
        if let Ok(None) = storage.get_alarm().await {
            if let Err(e) = storage.set_alarm(SWEEP_EVERY_MS).await {
                self.alarm_set.set(false);
                worker::console_warn!("registry: could not schedule the cleanup alarm: {e}");
            }
        }
    }

    fn count(&self, query: &str) -> Result<i64> {
        let row = self.sql.exec(query, None)?.raw().next().transpose()?;
        Ok(match row.as_deref() {
            Some([SqlStorageValue::Integer(n)]) => *n,
            _ => 0,
        })
    }

    /// Fixed-window counter: at most `max` hits per `window` seconds for `key`.
    fn hit(&self, key: &str, max: i64, window: i64, now: i64) -> Result<(bool, i64)> {
        let ends_at = now - now.rem_euclid(window) + window;
        let row = self
            .sql
            .exec(
                "INSERT INTO windows (key, ends_at, count) VALUES (?, ?, 1) \
                 ON CONFLICT(key) DO UPDATE SET \
                   count = CASE WHEN ends_at = excluded.ends_at THEN count + 1 ELSE 1 END, \
                   ends_at = excluded.ends_at \
                 RETURNING count",
                vec![SqlStorageValue::from(key), ends_at.into()],
            )?
            .raw()
            .next()
            .transpose()?;
        let count = match row.as_deref() {
            Some([SqlStorageValue::Integer(c)]) => *c,
            _ => 1,
        };
        Ok((count <= max, if count <= max { 0 } else { ends_at - now }))
    }
}

fn now_secs() -> i64 {
    (worker::Date::now().as_millis() / 1000) as i64
}

/// DEV_MODE diagnostics (`dev` builds only).
#[cfg(feature = "dev")]
impl ClientRegistry {
    async fn dev(&self, method: Method, route: &str, secs: i64) -> Result<Response> {
        match (method, route) {
            (Method::Get, "rows") => {
                let alarm = self.state.storage().get_alarm().await?;
                Response::from_json(&serde_json::json!({
                    "clients": self.count("SELECT COUNT(*) FROM clients")?,
                    "limits": self.count("SELECT COUNT(*) FROM windows")?,
                    "alarm": alarm,
                }))
            }
            (Method::Post, "age") => {
                self.sql.exec("UPDATE clients SET expires_at = expires_at - ?", vec![secs.into()])?;
                self.sql.exec("UPDATE windows SET ends_at = ends_at - ?", vec![secs.into()])?;
                Response::from_json(&serde_json::json!({ "aged": secs }))
            }
            (Method::Post, "alarm") => {
                self.state.storage().set_alarm(1).await?;
                self.alarm_set.set(true);
                Response::from_json(&serde_json::json!({ "alarm": "now" }))
            }
            _ => Response::error("not found", 404),
        }
    }
}
