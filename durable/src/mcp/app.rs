//! The MCP Apps extension (`io.modelcontextprotocol/ui`, stable spec 2026-01-26): the object
//! browser's `ui://` resource and the `_meta.ui` its tools carry. Pure builders; the page itself is
//! built from `app/` into the Workers static assets and read by the object's glue
//! (`object::app_view`), so its bytes never enter the wasm.
//!
//! - `browse_objects` (model-visible) carries `_meta.ui.resourceUri`: a host that renders apps
//!   reads [`VIEW_URI`] with `resources/read` and shows its result in the view; any other client
//!   gets the same tool and its text result.
//! - The view's actions are app-only tools (`_meta.ui.visibility: ["app"]`): listed to every
//!   client as the spec asks (hosts hide them from the model), served like any tool.
//! - Both keys are written, as the SDK's `registerAppTool` does: the nested `ui.resourceUri` and
//!   the deprecated flat `ui/resourceUri` that older hosts read.
//!
//! Served identically in every revision: the session era and 2026-07-28 list the same tools with
//! the same `_meta`, list and read the same resource, and advertise the extension in
//! `capabilities.extensions` (see [`super::capabilities`]).

use serde_json::{json, Value};

/// The extension's identifier, under `capabilities.extensions`.
pub const EXTENSION_ID: &str = "io.modelcontextprotocol/ui";
/// The MIME type of an MCP App's HTML document.
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";
/// The object browser's resource.
pub const VIEW_URI: &str = "ui://r2/browser";
/// Where the page sits in the Workers static assets (built by `scripts/build` from `app/`).
pub const VIEW_ASSET_PATH: &str = "/ui/browser.html";

/// How a tool relates to the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ui {
    /// A plain tool.
    None,
    /// Model-visible; its result renders in the view where the host supports apps.
    View,
    /// Called by the view only (`visibility: ["app"]`); hosts hide it from the model.
    AppOnly,
}

impl Ui {
    /// The tool's `_meta`, if it has one.
    pub fn tool_meta(self) -> Option<Value> {
        let ui = match self {
            Ui::None => return None,
            Ui::View => json!({ "resourceUri": VIEW_URI, "visibility": ["model", "app"] }),
            Ui::AppOnly => json!({ "resourceUri": VIEW_URI, "visibility": ["app"] }),
        };
        Some(json!({ "ui": ui, "ui/resourceUri": VIEW_URI }))
    }
}

/// What the server declares under `capabilities.extensions`.
pub fn capability() -> Value {
    json!({ "mimeTypes": [MIME_TYPE] })
}

/// Whether a resource URI names the view.
pub fn is_view(uri: &str) -> bool {
    uri == VIEW_URI
}

/// The view's `resources/list` entry (the first page's, before the objects).
pub fn view_resource() -> Value {
    json!({
        "uri": VIEW_URI,
        "name": "object-browser",
        "title": "Object browser",
        "description": "The interactive object browser that renders browse_objects results (an MCP App).",
        "mimeType": MIME_TYPE,
    })
}

/// The `resources/read` result for the view: one self-contained HTML document (inline script and
/// style, no external loads), so no CSP domains are declared and the host's default CSP applies.
pub fn read_result(html: &str) -> Value {
    json!({
        "contents": [{
            "uri": VIEW_URI,
            "mimeType": MIME_TYPE,
            "text": html,
            "_meta": { "ui": { "prefersBorder": true } },
        }]
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn a_view_tool_carries_the_resource_uri_under_both_keys() {
        let m = Ui::View.tool_meta().unwrap();
        assert_eq!(m["ui"]["resourceUri"], VIEW_URI);
        assert_eq!(m["ui/resourceUri"], VIEW_URI);
        assert_eq!(m["ui"]["visibility"], json!(["model", "app"]));
        assert!(Ui::None.tool_meta().is_none());
    }

    #[test]
    fn an_app_only_tool_is_visible_to_the_app_alone() {
        let m = Ui::AppOnly.tool_meta().unwrap();
        assert_eq!(m["ui"]["visibility"], json!(["app"]));
    }

    #[test]
    fn the_view_is_a_ui_resource_of_the_app_mime_type() {
        assert!(VIEW_URI.starts_with("ui://") && is_view(VIEW_URI) && !is_view("ui://r2/other"));
        let r = read_result("<!doctype html>");
        let c = &r["contents"][0];
        assert_eq!(c["mimeType"], "text/html;profile=mcp-app");
        assert_eq!(c["uri"], VIEW_URI);
        assert_eq!(c["_meta"]["ui"]["prefersBorder"], true);
        assert!(c["_meta"]["ui"].get("csp").is_none(), "no CSP domains: the host's default CSP applies");
        assert_eq!(view_resource()["mimeType"], MIME_TYPE);
    }
}
