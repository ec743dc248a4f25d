//! The exported Durable Object class `ClientRegistry`: a thin shell over
//! [`r2_mcp_durable::registry::ClientRegistry`] (registered clients, registration rate limits, and
//! the alarm that sweeps both).

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

/// A shard of registered clients (named `clients:<first two characters of the id>`), or a shard of
/// rate-limit counters (`limits:<…>`).
#[durable_object]
pub struct ClientRegistry {
    inner: r2_mcp_durable::registry::ClientRegistry,
}

impl DurableObject for ClientRegistry {
    fn new(state: State, env: Env) -> Self {
        Self { inner: r2_mcp_durable::registry::ClientRegistry::new(state, env) }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        self.inner.fetch(req).await
    }

    async fn alarm(&self) -> Result<Response> {
        self.inner.alarm().await
    }
}
