//! The MCP host inside the user's object: placeholder until the transport lands.

use worker::{Env, Request, Response, Result, SqlStorage, State};

use super::McpCaller;

pub struct McpHost;

impl McpHost {
    pub fn new(_state: &State, _env: &Env, _sql: SqlStorage) -> Self {
        McpHost
    }

    pub async fn serve(&self, _req: Request, caller: McpCaller) -> Result<Response> {
        Response::from_json(&serde_json::json!({ "user": caller.identity.email, "client": caller.client_id }))
    }

    pub async fn alarm(&self) -> Result<bool> {
        Ok(false)
    }
}
