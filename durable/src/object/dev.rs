//! The object's `/_dev/` diagnostics and fault hooks (wasm32, `dev` feature only: deploy builds
//! leave this code out). The front Worker forwards `/_dev/do/<name>/<route>` here only with
//! `DEV_MODE=1` and only for requests addressed to a loopback host.
//!
//! | route | what |
//! |---|---|
//! | `POST`/`GET /_dev/hits` | a counter (routing and persistence checks) |
//! | `GET /_dev/instance` | this instance's id, constructions in this isolate, open sockets (did it sleep?) |
//! | `GET /_dev/alarm` | when the cleanup alarm is due (Unix ms), or null |
//! | `POST /_dev/panic` | a deliberate panic: it costs one request, never the storage |
//! | `POST /_dev/crash-next-write` | the next write dies between R2 and its audit row (intent recovery) |

use std::cell::Cell;

use worker::{Method, Response, Result, SqlStorageValue};

use super::{db, UserObject};

thread_local! {
    /// Objects constructed in this isolate (`/_dev/instance`).
    pub static INSTANCES: Cell<u64> = const { Cell::new(0) };
}

impl UserObject {
    /// Serves one `/_dev/` route.
    pub(super) async fn dev(&self, method: Method, path: &str) -> Result<Response> {
        match (method, path) {
            (Method::Post, "/_dev/hits") => counter(self.bump("hits")?),
            (Method::Get, "/_dev/hits") => counter(self.read("hits")?),
            (Method::Get, "/_dev/instance") => Response::from_json(&serde_json::json!({
                "instance": self.instance,
                "constructed": INSTANCES.with(Cell::get),
                "started_ms": self.started_ms,
                "sockets": self.state.get_websockets().len(),
            })),
            (Method::Get, "/_dev/alarm") => {
                let at = self.state.storage().get_alarm().await?;
                Response::from_json(&serde_json::json!({ "scheduled_at": at }))
            }
            (Method::Post, "/_dev/panic") => panic!("deliberate panic (DEV_MODE containment test)"),
            (Method::Post, "/_dev/crash-next-write") => {
                self.mcp.arm_crash_before_audit();
                Response::ok("armed")
            }
            _ => Response::error("not found", 404),
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

fn counter(value: i64) -> Result<Response> {
    Response::from_json(&serde_json::json!({ "value": value }))
}
