//! `CallToolResult` builders (server/tools §Tool Result): structured content with its text copy,
//! tool-level errors, resource links. The R2 tools themselves are in [`crate::tools`].

use serde_json::{json, Map, Value};

use super::version::Version;

/// A successful tool result with structured output and its text copy (server/tools §Structured
/// Content: a tool with an output schema returns conforming `structuredContent`, and SHOULD
/// also return the serialized JSON in a text block).
pub fn structured_result(structured: Value, version: Version) -> Value {
    let text = structured.to_string();
    structured_with_text(structured, text, version)
}

/// A successful tool result whose text content is written for reading (`browse_objects`'
/// listing) rather than the JSON copy: for clients that show only `content`, and for revisions
/// before `structuredContent`.
pub fn structured_with_text(structured: Value, text: String, version: Version) -> Value {
    let mut o = Map::new();
    o.insert("content".into(), json!([{ "type": "text", "text": text }]));
    if version.has_structured_content() {
        o.insert("structuredContent".into(), structured);
    }
    o.insert("isError".into(), Value::Bool(false));
    Value::Object(o)
}

/// A tool-level failure (server/tools §Error Handling): `isError: true` and a message the model
/// can act on. Bad arguments are reported this way too (2025-11-25).
pub fn error_result(message: impl Into<String>) -> Value {
    json!({ "content": [{ "type": "text", "text": message.into() }], "isError": true })
}

/// An embedded resource content block (server/tools §Embedded Resources): `contents` from
/// [`super::resources::contents`]. How `get_object` sends an object's bytes, once.
pub fn embedded_resource(contents: Value) -> Value {
    json!({ "type": "resource", "resource": contents })
}

/// A `resource_link` content block (2025-06-18+) pointing at a whole object.
pub fn resource_link(uri: &str, name: &str, mime_type: Option<&str>, size: Option<u64>) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), "resource_link".into());
    o.insert("uri".into(), uri.into());
    o.insert("name".into(), name.into());
    if let Some(m) = mime_type {
        o.insert("mimeType".into(), m.into());
    }
    if let Some(s) = size {
        o.insert("size".into(), s.into());
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_result_carries_text_copy() {
        let r = structured_result(json!({"a":1}), Version::V2025_06_18);
        assert_eq!(r["structuredContent"], json!({"a":1}));
        assert_eq!(r["content"][0]["text"], "{\"a\":1}");
        assert!(structured_result(json!({}), Version::V2025_03_26).get("structuredContent").is_none());
    }

    #[test]
    fn a_readable_text_can_stand_in_for_the_json_copy() {
        let r = structured_with_text(json!({"a":1}), "one a".into(), Version::V2025_11_25);
        assert_eq!(r["structuredContent"], json!({"a":1}));
        assert_eq!(r["content"], json!([{"type": "text", "text": "one a"}]));
        assert_eq!(r["isError"], false);
        let old = structured_with_text(json!({"a":1}), "one a".into(), Version::V2025_03_26);
        assert!(old.get("structuredContent").is_none());
        assert_eq!(old["content"][0]["text"], "one a");
    }
}
