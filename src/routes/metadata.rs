//! Discovery documents (wasm32 only): RFC 9728 protected-resource metadata and RFC 8414
//! authorization-server metadata, at every path variant MCP clients try, with CORS for browser
//! clients.

use worker::{Request, Response, Result};

use super::Ctx;
use crate::http;
use crate::oauth::metadata::{self, MetadataConfig, WellKnown};

/// Scopes this server grants; `mcp` is the whole MCP surface (tools and resources).
pub const SCOPES: &[&str] = &["mcp"];
/// Human descriptions of [`SCOPES`] for the consent page.
pub const SCOPE_DESCRIPTIONS: &[(&str, &str)] = &[("mcp", "List, read, create, change and delete the objects in your own storage space")];

pub fn handle(req: &Request, ctx: &Ctx, which: WellKnown) -> Result<Response> {
    if req.method() == worker::Method::Options {
        return http::preflight(req.headers());
    }
    let c = MetadataConfig {
        origin: &ctx.origin,
        scopes_supported: SCOPES,
        cimd: ctx.config.client_metadata_documents,
        service_documentation: None,
        resource_name: "R2 MCP server",
    };
    let doc = match which {
        WellKnown::AuthorizationServer => metadata::authorization_server(&c),
        WellKnown::ProtectedResource => metadata::protected_resource(&c),
    };
    let mut resp = Response::from_json(&doc)?;
    resp.headers_mut().set("Cache-Control", "public, max-age=300")?;
    resp.headers_mut().set("Access-Control-Allow-Origin", "*")?;
    Ok(resp)
}
