//! The Durable Object runtime (wasm32 only): one instance per user. It applies the schema on start and
//! serves the internal routes the front Worker forwards to it. The front Worker is the only caller:
//! a Durable Object is not reachable from the Internet except through it.

use worker::{Env, Method, Request, Response, Result, SqlStorage, SqlStorageValue, State};

use crate::schema;

/// The per-user object. The deployable crate wraps it in the exported `#[durable_object]` class.
pub struct UserObject {
    sql: SqlStorage,
    #[allow(dead_code)]
    env: Env,
}

impl UserObject {
    /// Opens the object's SQLite database and brings its schema up to date. SQL calls are
    /// synchronous, so the migrations finish before the first request is delivered.
    pub fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        if let Err(e) = migrate(&sql) {
            // Surfaced again on the first request that touches a missing table; logged here once.
            worker::console_error!("schema migration failed: {e}");
        }
        Self { sql, env }
    }

    /// Serves one internal request from the front Worker.
    pub async fn fetch(&self, req: Request) -> Result<Response> {
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Post, "/_dev/hits") => self.bump("hits").and_then(|n| counter_response(n)),
            (Method::Get, "/_dev/hits") => self.read("hits").and_then(|n| counter_response(n)),
            _ => Response::error("not found", 404),
        }
    }

    fn bump(&self, name: &str) -> Result<i64> {
        let row = self.sql.exec(
            "INSERT INTO counters (name, value) VALUES (?, 1) \
             ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
            vec![SqlStorageValue::from(name)],
        )?;
        first_integer(row.raw().next())
    }

    fn read(&self, name: &str) -> Result<i64> {
        let row = self.sql.exec(
            "SELECT value FROM counters WHERE name = ?",
            vec![SqlStorageValue::from(name)],
        )?;
        match row.raw().next() {
            None => Ok(0),
            some => first_integer(some),
        }
    }
}

fn counter_response(value: i64) -> Result<Response> {
    Response::from_json(&serde_json::json!({ "value": value }))
}

fn first_integer(row: Option<Result<Vec<SqlStorageValue>>>) -> Result<i64> {
    match row.transpose()?.as_deref() {
        Some([SqlStorageValue::Integer(n), ..]) => Ok(*n),
        other => Err(worker::Error::RustError(format!("expected an integer row, got {other:?}"))),
    }
}

/// Applies the migrations this database has not seen yet. Synchronous SQL in one turn commits
/// atomically, so a crash never leaves half a migration behind.
fn migrate(sql: &SqlStorage) -> Result<()> {
    sql.exec(schema::VERSION_TABLE, None)?;
    let current = match sql.exec("SELECT MAX(version) FROM schema_version", None)?.raw().next() {
        Some(Ok(row)) => match row.first() {
            Some(SqlStorageValue::Integer(v)) => *v,
            _ => 0,
        },
        _ => 0,
    };
    for m in schema::pending(current) {
        for statement in m.statements {
            sql.exec(statement, None)?;
        }
        sql.exec(
            "INSERT INTO schema_version (version) VALUES (?)",
            vec![SqlStorageValue::from(m.version)],
        )?;
    }
    Ok(())
}
