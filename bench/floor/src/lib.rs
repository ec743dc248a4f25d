//! The benchmark's floor: a front Worker that answers `401` when a request carries no
//! `Authorization` header (the cost of a Worker alone) and otherwise forwards it to the Durable
//! Object named by that header (one per "user", like the server's per-user object), which records
//! the request with one SQLite write and answers a small JSON-RPC result.
//!
//! Nothing is verified: the floor has no authentication. It measures what the local runtime
//! charges for a Worker → Durable Object → SQLite round trip.

use worker::{durable_object, event, DurableObject, Env, Request, Response, Result, State};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: worker::Context) -> Result<Response> {
    let Some(user) = req.headers().get("authorization")? else {
        let mut res = Response::error("unauthorized", 401)?;
        res.headers_mut().set("www-authenticate", "Bearer")?;
        return Ok(res);
    };
    let namespace = env.durable_object("FLOOR")?;
    let stub = namespace.id_from_name(&user)?.get_stub()?;
    stub.fetch_with_request(req).await
}

/// One per "user"; a table of hits in its SQLite storage.
#[durable_object]
pub struct Floor {
    state: State,
}

impl DurableObject for Floor {
    fn new(state: State, _env: Env) -> Self {
        let _ = state.storage().sql().exec(
            "CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, at REAL NOT NULL, len INTEGER NOT NULL)",
            None,
        );
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let body = req.bytes().await?;
        self.state.storage().sql().exec(
            "INSERT INTO hits (at, len) VALUES (?, ?)",
            vec![(worker::Date::now().as_millis() as f64).into(), (body.len() as i64).into()],
        )?;
        let mut res = Response::ok(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#)?;
        res.headers_mut().set("content-type", "application/json")?;
        Ok(res)
    }
}
