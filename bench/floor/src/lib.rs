//! The benchmark's floor: a front Worker that answers `401` when a request carries no
//! `Authorization` header (the cost of a Worker alone) and otherwise forwards it to the Durable
//! Object named by that header (one per "user", like the server's per-user object), which records
//! the request with one SQLite write and answers a small JSON-RPC result.
//!
//! Nothing is verified: the floor has no authentication. It measures what the local runtime
//! charges for a Worker → Durable Object → SQLite round trip.
//!
//! The same build is also the benchmark's fourth system, **floor+R2** (`floor-r2`), when started
//! with `wrangler.r2.toml`: that config binds an R2 bucket `BUCKET` and sets `FLOOR_R2 = "1"`, and
//! then the Durable Object, after its SQLite write, does the storage work of a `tools/call` itself:
//! `list_objects` {prefix} lists up to 10 objects under `u/<user>/<prefix>` with their HTTP
//! metadata (as the server asks), `put_object` {key, content} writes one object, `get_object` {key}
//! reads one whole body; it answers a minimal MCP tool result (key/size/etag, the etag, the body as
//! text). Anything else gets the plain floor answer. It measures what the runtime charges for the
//! same R2 calls the servers make, so what a server costs above it is what its own code adds.
//! Without `FLOOR_R2 = "1"` the floor behaves exactly as described above.
//!
//! floor+R2 is also the floor of the transfer-link figure: its Worker itself (no Durable Object,
//! no check of any kind) streams an object between the client and R2, `GET /stream/<key>` (the R2
//! body handed to the runtime as the response) and `PUT /stream/<key>` (the request body handed to
//! R2 as the one part of a multipart upload, the R2 calls a link's upload makes, so both systems
//! store, and then serve, the same kind of object), neither copied into wasm.

use serde_json::{json, Value};
use worker::{durable_object, event, Bucket, DurableObject, Env, Include, Request, Response, Result, State};

/// The plain floor answer.
const PLAIN: &str = r#"{"jsonrpc":"2.0","id":1,"result":{}}"#;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: worker::Context) -> Result<Response> {
    if let Some(key) = req.path().strip_prefix("/stream/").map(str::to_owned) {
        return stream(req, &env, &key).await;
    }
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
    env: Env,
    /// `FLOOR_R2 = "1"`: do the R2 work of `tools/call` (floor+R2).
    r2: bool,
}

impl DurableObject for Floor {
    fn new(state: State, env: Env) -> Self {
        let _ = state.storage().sql().exec(
            "CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, at REAL NOT NULL, len INTEGER NOT NULL)",
            None,
        );
        let r2 = env.var("FLOOR_R2").map(|v| v.to_string() == "1").unwrap_or(false);
        Self { state, env, r2 }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let body = req.bytes().await?;
        self.state.storage().sql().exec(
            "INSERT INTO hits (at, len) VALUES (?, ?)",
            vec![(worker::Date::now().as_millis() as f64).into(), (body.len() as i64).into()],
        )?;
        let answer = if self.r2 {
            let user = segment(&req.headers().get("authorization")?.unwrap_or_default());
            r2_tool(&self.env.bucket("BUCKET")?, &user, &body).await?
        } else {
            None
        };
        let mut res = match answer {
            Some(v) => Response::ok(v.to_string())?,
            None => Response::ok(PLAIN)?,
        };
        res.headers_mut().set("content-type", "application/json")?;
        Ok(res)
    }
}

/// floor+R2's plain streaming Worker (the transfer figure's floor): `GET` serves the object,
/// `PUT` stores the body, both as the runtime's own streams.
async fn stream(req: Request, env: &Env, key: &str) -> Result<Response> {
    let Ok(bucket) = env.bucket("BUCKET") else {
        return Response::error("no R2 bucket bound (start with wrangler.r2.toml)", 404);
    };
    match req.method() {
        worker::Method::Get => {
            let Some(o) = bucket.get(key).execute().await? else { return Response::error("not found", 404) };
            let size = o.size();
            let Some(body) = o.body() else { return Response::error("no body", 500) };
            let mut res = Response::from_body(body.response_body()?)?;
            res.headers_mut().set("content-length", &size.to_string())?;
            Ok(res)
        }
        worker::Method::Put => {
            let Some(body) = req.inner().body() else { return Response::error("no body", 400) };
            let upload = bucket.create_multipart_upload(key).execute().await?;
            let part = upload.upload_part(1, body).await?;
            let o = upload.complete([part]).await?;
            Response::ok(json!({ "size": o.size(), "etag": o.etag() }).to_string())
        }
        _ => Response::error("GET or PUT", 405),
    }
}

/// The `Authorization` value as one safe R2 path segment.
fn segment(user: &str) -> String {
    user.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' })
        .collect()
}

/// floor+R2: the R2 call of a `tools/call` and its minimal answer; `None` for anything else.
async fn r2_tool(bucket: &Bucket, user: &str, body: &[u8]) -> Result<Option<Value>> {
    let Ok(msg) = serde_json::from_slice::<Value>(body) else {
        return Ok(None);
    };
    if msg["method"] != "tools/call" {
        return Ok(None);
    }
    let args = &msg["params"]["arguments"];
    let arg = |k: &str| args[k].as_str().unwrap_or("").to_owned();
    let base = format!("u/{user}/");
    let (text, is_error) = match msg["params"]["name"].as_str() {
        Some("list_objects") => {
            let listed = bucket
                .list()
                .prefix(format!("{base}{}", arg("prefix")))
                .limit(10)
                .include(vec![Include::HttpMetadata])
                .execute()
                .await?;
            let objects: Vec<Value> = listed
                .objects()
                .iter()
                .map(|o| {
                    let key = o.key();
                    json!({ "key": key.strip_prefix(&base).unwrap_or(&key), "size": o.size(), "etag": o.etag() })
                })
                .collect();
            (json!({ "objects": objects }).to_string(), false)
        }
        Some("put_object") => match bucket.put(format!("{base}{}", arg("key")), arg("content")).execute().await? {
            Some(o) => (o.etag(), false),
            None => ("put_object: no object written".to_owned(), true),
        },
        Some("get_object") => match bucket.get(format!("{base}{}", arg("key"))).execute().await? {
            Some(o) => match o.body() {
                Some(b) => (b.text().await?, false),
                None => ("get_object: no body".to_owned(), true),
            },
            None => ("get_object: not found".to_owned(), true),
        },
        _ => return Ok(None),
    };
    Ok(Some(json!({
        "jsonrpc": "2.0",
        "id": msg["id"],
        "result": { "content": [{ "type": "text", "text": text }], "isError": is_error },
    })))
}
