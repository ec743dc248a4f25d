//! Who we are and what we serve: server info, instructions, capabilities, and the `initialize`
//! (session era) and `server/discover` (2026-07-28) results.

use serde_json::{json, Map, Value};

use super::app;
use super::meta::KEY_SERVER_INFO;
use super::version::{self, Version};

pub const SERVER_NAME: &str = "r2-mcp";
pub const SERVER_TITLE: &str = "R2 object storage";
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Guidance for the model, sent in `initialize` and `server/discover`.
pub const INSTRUCTIONS: &str = "Tools for your own object storage (Cloudflare R2). Keys look like paths \
(`notes/2025/todo.md`). Use list_objects with delimiter \"/\" to browse folders, head_object to check \
size and etag, get_object to read, and put_object with if_match (or if_none_match \"*\") to write \
without overwriting someone else's change. recent_changes shows who changed what. browse_objects shows \
a folder to the user as an interactive object browser where the client renders MCP Apps (and as text \
elsewhere); the ui_* tools are that browser's own actions.";

/// How long clients may cache list results on 2026-07-28 (`ttlMs`); lists differ per user.
pub const LIST_TTL_MS: u64 = 60_000;

/// `Implementation` for `serverInfo`.
pub fn server_info() -> Value {
    json!({ "name": SERVER_NAME, "title": SERVER_TITLE, "version": SERVER_VERSION })
}

/// Capabilities for a revision. `resources.subscribe` exists only with sessions (2026-07-28
/// subscribes through `subscriptions/listen`); prompts are declared only when there are some.
/// `extensions` declares the MCP Apps extension in every revision (2026-07-28 defines the field;
/// earlier clients read it as the SDKs do, or ignore it).
pub fn server_capabilities(version: Version, has_prompts: bool) -> Value {
    let mut c = Map::new();
    c.insert("tools".into(), json!({ "listChanged": true }));
    let mut resources = json!({ "listChanged": true });
    if version.is_session_based() {
        resources["subscribe"] = Value::Bool(true);
    }
    c.insert("resources".into(), resources);
    if has_prompts {
        c.insert("prompts".into(), json!({ "listChanged": false }));
    }
    c.insert("logging".into(), json!({}));
    c.insert("completions".into(), json!({}));
    c.insert("extensions".into(), json!({ app::EXTENSION_ID: app::capability() }));
    Value::Object(c)
}

/// The `initialize` result (lifecycle §Initialization).
pub fn initialize_result(version: Version, has_prompts: bool) -> Value {
    json!({
        "protocolVersion": version.as_str(),
        "capabilities": server_capabilities(version, has_prompts),
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
    })
}

/// The `server/discover` result (2026-07-28 server/discover).
pub fn discover_result(has_prompts: bool) -> Value {
    json!({
        "supportedVersions": version::supported_strings(),
        "capabilities": server_capabilities(Version::V2026_07_28, has_prompts),
        "instructions": INSTRUCTIONS,
        "ttlMs": LIST_TTL_MS,
        "cacheScope": "private",
    })
}

/// Methods whose 2026-07-28 results are `CacheableResult`s (`ttlMs`, `cacheScope`).
pub fn is_cacheable(method: &str) -> bool {
    matches!(method, "tools/list" | "prompts/list" | "resources/list" | "resources/read" | "resources/templates/list" | "server/discover")
}

/// Adds what a revision requires on every result: on 2026-07-28, `resultType` (unless set, e.g.
/// `input_required`), `_meta.serverInfo`, and cache hints on cacheable results.
pub fn shape_result(version: Version, method: &str, mut result: Value) -> Value {
    if !version.has_result_type() {
        return result;
    }
    let Some(o) = result.as_object_mut() else {
        return result;
    };
    o.entry("resultType").or_insert_with(|| "complete".into());
    if is_cacheable(method) {
        o.entry("ttlMs").or_insert_with(|| LIST_TTL_MS.into());
        o.entry("cacheScope").or_insert_with(|| "private".into());
    }
    let meta = o.entry("_meta").or_insert_with(|| json!({}));
    if let Some(m) = meta.as_object_mut() {
        m.insert(KEY_SERVER_INFO.into(), server_info());
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn initialize_result_names_version_capabilities_and_server() {
        let r = initialize_result(Version::V2025_11_25, false);
        assert_eq!(r["protocolVersion"], "2025-11-25");
        assert_eq!(r["capabilities"]["tools"]["listChanged"], true);
        assert_eq!(r["capabilities"]["resources"]["subscribe"], true);
        assert!(r["capabilities"].get("prompts").is_none());
        assert!(r["capabilities"]["logging"].is_object() && r["capabilities"]["completions"].is_object());
        assert_eq!(r["serverInfo"]["name"], SERVER_NAME);
        assert_eq!(r["capabilities"]["extensions"][app::EXTENSION_ID]["mimeTypes"][0], app::MIME_TYPE);
    }

    #[test]
    fn discover_lists_every_supported_version() {
        let r = discover_result(true);
        assert_eq!(r["supportedVersions"].as_array().unwrap().len(), 4);
        assert!(r["capabilities"]["resources"].get("subscribe").is_none());
        assert!(r["capabilities"]["prompts"].is_object());
        assert_eq!(r["capabilities"]["extensions"], initialize_result(Version::V2025_03_26, true)["capabilities"]["extensions"]);
    }

    #[test]
    fn results_on_2026_07_28_carry_result_type_server_info_and_cache_hints() {
        let r = shape_result(Version::V2026_07_28, "tools/list", json!({"tools": []}));
        assert_eq!(r["resultType"], "complete");
        assert_eq!(r["cacheScope"], "private");
        assert_eq!(r["_meta"][KEY_SERVER_INFO]["name"], SERVER_NAME);
        let r = shape_result(Version::V2026_07_28, "tools/call", json!({"resultType": "input_required"}));
        assert_eq!(r["resultType"], "input_required");
        assert!(r.get("ttlMs").is_none());
        assert_eq!(shape_result(Version::V2025_11_25, "tools/list", json!({})), json!({}));
    }
}
