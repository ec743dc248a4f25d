//! The exported Durable Object class `UserObject`: a thin shell that hands every event to
//! [`r2_mcp_durable::object::UserObject`], where the per-user logic lives.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State, WebSocket, WebSocketIncomingMessage};

/// One per user, named by the user's stable key (`idFromName`).
#[durable_object]
pub struct UserObject {
    inner: r2_mcp_durable::object::UserObject,
}

impl DurableObject for UserObject {
    fn new(state: State, env: Env) -> Self {
        Self { inner: r2_mcp_durable::object::UserObject::new(state, env) }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        self.inner.fetch(req).await
    }

    async fn alarm(&self) -> Result<Response> {
        self.inner.alarm().await
    }

    /// The Worker sends nothing but keep-alive pings, which the runtime answers itself.
    async fn websocket_message(&self, _ws: WebSocket, _message: WebSocketIncomingMessage) -> Result<()> {
        Ok(())
    }

    async fn websocket_close(&self, ws: WebSocket, _code: usize, _reason: String, _was_clean: bool) -> Result<()> {
        self.inner.websocket_closed(ws).await
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.inner.websocket_closed(ws).await
    }
}
