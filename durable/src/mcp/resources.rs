//! Objects as MCP resources: our URI scheme, the key template, and the builders for the
//! `resources/list`, `resources/read` and `completion/complete` results the glue fills from R2.
//!
//! URI scheme: `r2://objects/<key>`, the key percent-encoded except for RFC 3986 unreserved
//! characters and `/`. The template is `r2://objects/{+key}` (RFC 6570 reserved expansion, so
//! `/` stays). Keys are the user's own, without the namespace prefix, which never leaves R2.

use serde_json::{json, Map, Value};

use super::jsonrpc::{RpcError, INVALID_PARAMS, RESOURCE_NOT_FOUND};
use super::pagination::Cursor;
use super::version::Version;
use crate::storage::content::Body;

pub const URI_PREFIX: &str = "r2://objects/";
pub const URI_TEMPLATE: &str = "r2://objects/{+key}";

/// The resource URI of a key.
pub fn uri_for_key(key: &str) -> String {
    let mut out = String::with_capacity(URI_PREFIX.len() + key.len());
    out.push_str(URI_PREFIX);
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The key of one of our URIs; `None` when the URI is not ours or does not decode to UTF-8.
pub fn key_from_uri(uri: &str) -> Option<String> {
    let enc = uri.strip_prefix(URI_PREFIX)?;
    let key = String::from_utf8(r2_mcp_wire::url::decode_strict(enc.as_bytes(), false)?).ok()?;
    (!key.is_empty()).then_some(key)
}

/// The `resources/templates/list` entry for objects.
pub fn object_template() -> Value {
    json!({
        "uriTemplate": URI_TEMPLATE,
        "name": "object",
        "title": "Object by key",
        "description": "An object in your storage namespace, by key (e.g. r2://objects/notes/todo.md).",
    })
}

/// One object as it comes from an R2 listing, for the `resources/list` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
    pub content_type: Option<String>,
    /// RFC 3339.
    pub uploaded: String,
}

/// A `Resource` for one object.
pub fn resource_entry(o: &ObjectEntry) -> Value {
    let mut r = json!({ "uri": uri_for_key(&o.key), "name": o.key, "size": o.size });
    if let Some(ct) = &o.content_type {
        r["mimeType"] = ct.as_str().into();
    }
    r["annotations"] = json!({ "lastModified": o.uploaded });
    r
}

/// `resources/list` result: `extra` (fixtures, first page only) then objects, and the next
/// cursor wrapping R2's own (`upstream_cursor`) so the client sees one opaque form.
pub fn list_result(extra: Vec<Value>, objects: &[ObjectEntry], upstream_cursor: Option<&str>) -> Value {
    let mut resources = extra;
    resources.extend(objects.iter().map(resource_entry));
    let mut r = json!({ "resources": resources });
    if let Some(c) = upstream_cursor.filter(|c| !c.is_empty()) {
        r["nextCursor"] = Cursor::Upstream(c.to_owned()).encode().into();
    }
    r
}

/// Text-like content types are returned as `text`, the rest as base64 `blob`.
pub fn is_text_like(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/yaml"
                | "application/x-yaml"
                | "application/toml"
                | "image/svg+xml"
        )
}

/// One resource's contents as `resources/read` and embedded resources carry them: `text`, or
/// `blob` in base64.
pub fn contents(uri: &str, mime_type: Option<&str>, body: Body) -> Value {
    let mut c = Map::new();
    c.insert("uri".into(), uri.into());
    if let Some(m) = mime_type {
        c.insert("mimeType".into(), m.into());
    }
    match body {
        Body::Text(t) => c.insert("text".into(), t.into()),
        Body::Base64(b) => c.insert("blob".into(), b.into()),
    };
    Value::Object(c)
}

/// `resources/read` result for one object.
pub fn read_result(uri: &str, mime_type: Option<&str>, body: Body) -> Value {
    json!({ "contents": [contents(uri, mime_type, body)] })
}

/// Resource not found: -32002 up to 2025-11-25, -32602 on 2026-07-28 (changelog minor 6).
pub fn not_found(version: Version, uri: &str) -> RpcError {
    let code = if version.is_stateless() { INVALID_PARAMS } else { RESOURCE_NOT_FOUND };
    RpcError::new(code, "Resource not found").with_data(json!({ "uri": super::jsonrpc::clip(uri, 1100) }))
}

/// Most completion values returned (server/utilities/completion: at most 100).
pub const MAX_COMPLETIONS: usize = 100;

/// `completion/complete` result.
pub fn completion_result(mut values: Vec<String>, has_more: bool) -> Value {
    let more = has_more || values.len() > MAX_COMPLETIONS;
    values.truncate(MAX_COMPLETIONS);
    json!({ "completion": { "values": values, "hasMore": more } })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip_keys_with_any_characters() {
        for k in ["a", "notes/2025/todo.md", "space here/ü#?%", "a+b=c&d"] {
            let u = uri_for_key(k);
            assert!(u.starts_with(URI_PREFIX) && !u[URI_PREFIX.len()..].contains(['#', '?', ' ']));
            assert_eq!(key_from_uri(&u).as_deref(), Some(k));
        }
    }

    #[test]
    fn foreign_or_broken_uris_are_not_keys() {
        for u in ["file:///etc/passwd", "r2://objects/", "r2://objects/%zz", "r2://objects/%ff", "test://static-text"] {
            assert_eq!(key_from_uri(u), None, "{u}");
        }
    }

    #[test]
    fn text_like_types_are_read_as_text() {
        assert!(is_text_like(Some("text/markdown; charset=utf-8")));
        assert!(is_text_like(Some("application/ld+json")));
        assert!(!is_text_like(Some("image/png")) && !is_text_like(None));
    }

    #[test]
    fn resource_not_found_code_depends_on_revision() {
        assert_eq!(not_found(Version::V2025_11_25, "x").code, RESOURCE_NOT_FOUND);
        assert_eq!(not_found(Version::V2026_07_28, "x").code, INVALID_PARAMS);
    }

    #[test]
    fn completion_values_are_capped_at_100() {
        let r = completion_result((0..150).map(|i| i.to_string()).collect(), false);
        assert_eq!(r["completion"]["values"].as_array().unwrap().len(), 100);
        assert_eq!(r["completion"]["hasMore"], true);
    }
}
