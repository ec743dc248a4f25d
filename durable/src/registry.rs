//! The client registry Durable Object's logic (wasm32 only): registered OAuth clients, sharded by
//! client id across a few objects, and fixed-window rate limits for registration. Strongly consistent,
//! so a client registered a moment ago is found at once (KV would not guarantee it).
//!
//! Internal routes (the front Worker is the only caller):
//! - `PUT /clients/<id>` body = the record (JSON text), header `x-expires-at` → 204
//! - `GET /clients/<id>` → the record, refreshing its idle expiry; 404 when unknown or expired
//! - `DELETE /clients/<id>` → 204
//! - `POST /limit/<key>?max=N&window=S` → `{"allowed":bool,"retry_after":S}`
//!
//! Tables: `clients(id TEXT PRIMARY KEY, record TEXT, expires_at INTEGER)` — records hold only the
//! SHA-256 of a client secret; `limits(key TEXT PRIMARY KEY, window_start INTEGER, count INTEGER)`.

use worker::{Env, Method, Request, Response, Result, SqlStorage, SqlStorageValue, State};

/// How long a registration lives without being used (refreshed on every lookup).
pub const CLIENT_IDLE_TTL_SECS: i64 = 90 * 24 * 3600;

/// The registry object.
pub struct ClientRegistry {
    sql: SqlStorage,
}

impl ClientRegistry {
    pub fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for s in [
            "CREATE TABLE IF NOT EXISTS clients (id TEXT PRIMARY KEY, record TEXT NOT NULL, expires_at INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS limits (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)",
        ] {
            if let Err(e) = sql.exec(s, None) {
                worker::console_error!("registry schema: {e}");
            }
        }
        Self { sql }
    }

    pub async fn fetch(&self, mut req: Request) -> Result<Response> {
        let url = req.inner().url();
        let path = req.path();
        let now = (worker::Date::now().as_millis() / 1000) as i64;
        let parts: Vec<&str> = path.trim_start_matches('/').splitn(2, '/').collect();
        match (req.method(), parts.as_slice()) {
            (Method::Put, ["clients", id]) => {
                let expires_at = req
                    .headers()
                    .get("x-expires-at")?
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(now + CLIENT_IDLE_TTL_SECS);
                let record = req.text().await?;
                self.sql.exec(
                    "INSERT OR REPLACE INTO clients (id, record, expires_at) VALUES (?, ?, ?)",
                    vec![(*id).into(), record.into(), expires_at.into()],
                )?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Get, ["clients", id]) => {
                let row = self
                    .sql
                    .exec("SELECT record, expires_at FROM clients WHERE id = ?", vec![(*id).into()])?
                    .raw()
                    .next()
                    .transpose()?;
                match row.as_deref() {
                    Some([SqlStorageValue::String(record), SqlStorageValue::Integer(exp)]) if *exp > now => {
                        let record = record.clone();
                        self.sql.exec(
                            "UPDATE clients SET expires_at = ? WHERE id = ?",
                            vec![(now + CLIENT_IDLE_TTL_SECS).into(), (*id).into()],
                        )?;
                        let mut resp = Response::ok(record)?;
                        resp.headers_mut().set("Content-Type", "application/json")?;
                        Ok(resp)
                    }
                    Some(_) => {
                        self.sql.exec("DELETE FROM clients WHERE id = ?", vec![(*id).into()])?;
                        Response::error("expired", 404)
                    }
                    None => Response::error("unknown client", 404),
                }
            }
            (Method::Delete, ["clients", id]) => {
                self.sql.exec("DELETE FROM clients WHERE id = ?", vec![(*id).into()])?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, ["limit", key]) => {
                let q = |name: &str| {
                    crate::url_parts::query_param(&url, name).and_then(|v| v.parse::<i64>().ok())
                };
                let (max, window) = (q("max").unwrap_or(10).max(1), q("window").unwrap_or(3600).max(1));
                let (allowed, retry_after) = self.hit(key, max, window, now)?;
                Response::from_json(&serde_json::json!({ "allowed": allowed, "retry_after": retry_after }))
            }
            _ => Response::error("not found", 404),
        }
    }

    /// Fixed-window counter: at most `max` hits per `window` seconds for `key`.
    fn hit(&self, key: &str, max: i64, window: i64, now: i64) -> Result<(bool, i64)> {
        let start = now - now.rem_euclid(window);
        let row = self
            .sql
            .exec(
                "INSERT INTO limits (key, window_start, count) VALUES (?, ?, 1) \
                 ON CONFLICT(key) DO UPDATE SET \
                   count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END, \
                   window_start = excluded.window_start \
                 RETURNING count",
                vec![SqlStorageValue::from(key), start.into()],
            )?
            .raw()
            .next()
            .transpose()?;
        let count = match row.as_deref() {
            Some([SqlStorageValue::Integer(c)]) => *c,
            _ => 1,
        };
        Ok((count <= max, if count <= max { 0 } else { start + window - now }))
    }
}
