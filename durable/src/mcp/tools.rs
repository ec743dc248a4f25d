//! The R2 tool definitions (`tools.json`) and the tool-result builders.
//!
//! Definitions are JSON data, not code: smaller in the wasm than `json!` trees, and readable as
//! the golden form clients see. Each tool has `name`, `title`, `description`, `inputSchema`,
//! `outputSchema` and annotations (server/tools §Tool, 2025-06-18+). Before 2025-06-18 `title`
//! and `outputSchema` are dropped, as they did not exist yet.

use serde_json::{json, Map, Value};

use super::version::Version;

/// The tool definitions, as served.
pub const TOOLS_JSON: &str = include_str!("tools.json");

/// Who is calling: readers see and call only the read tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    ReadOnly,
    Writer,
}

/// The R2 tools by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolName {
    ListObjects,
    GetObject,
    HeadObject,
    PutObject,
    DeleteObject,
    CopyObject,
    MoveObject,
    RecentChanges,
}

impl ToolName {
    pub const ALL: [ToolName; 8] = [
        ToolName::ListObjects,
        ToolName::GetObject,
        ToolName::HeadObject,
        ToolName::PutObject,
        ToolName::DeleteObject,
        ToolName::CopyObject,
        ToolName::MoveObject,
        ToolName::RecentChanges,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::ListObjects => "list_objects",
            ToolName::GetObject => "get_object",
            ToolName::HeadObject => "head_object",
            ToolName::PutObject => "put_object",
            ToolName::DeleteObject => "delete_object",
            ToolName::CopyObject => "copy_object",
            ToolName::MoveObject => "move_object",
            ToolName::RecentChanges => "recent_changes",
        }
    }

    pub fn parse(s: &str) -> Option<ToolName> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the tool changes objects (hidden from and refused to readers).
    pub fn writes(self) -> bool {
        matches!(self, ToolName::PutObject | ToolName::DeleteObject | ToolName::CopyObject | ToolName::MoveObject)
    }

    pub fn allowed_for(self, role: Role) -> bool {
        role == Role::Writer || !self.writes()
    }
}

/// All R2 tool definitions (parsed from [`TOOLS_JSON`]; a bad file fails the unit tests).
pub fn definitions() -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(TOOLS_JSON).unwrap_or_default()
}

/// The R2 tools this role may see, shaped for `version`, in a fixed order.
pub fn list_for(role: Role, version: Version) -> Vec<Value> {
    definitions()
        .into_iter()
        .filter(|d| d["name"].as_str().and_then(ToolName::parse).is_some_and(|t| t.allowed_for(role)))
        .map(|d| shape_definition(d, version))
        .collect()
}

/// Drops fields a revision does not define (`title`, `outputSchema` before 2025-06-18).
pub fn shape_definition(mut def: Value, version: Version) -> Value {
    if !version.has_structured_content() {
        if let Some(o) = def.as_object_mut() {
            o.remove("title");
            o.remove("outputSchema");
        }
    }
    def
}

/// A successful tool result with structured output and its text copy (server/tools §Structured
/// Content: a tool with an output schema returns conforming `structuredContent`, and SHOULD
/// also return the serialized JSON in a text block).
pub fn structured_result(structured: Value, version: Version) -> Value {
    let text = structured.to_string();
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

/// The message a reader gets when calling a write tool.
pub fn read_only_refusal(tool: ToolName) -> Value {
    error_result(format!(
        "{} changes objects, and your account has read-only access. Use list_objects, get_object, head_object or recent_changes.",
        tool.as_str()
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn every_definition_has_the_fields_clients_require() {
        let defs = definitions();
        assert_eq!(defs.len(), ToolName::ALL.len());
        for (d, t) in defs.iter().zip(ToolName::ALL) {
            assert_eq!(d["name"], t.as_str());
            assert!(d["title"].is_string() && d["description"].as_str().is_some_and(|s| s.len() > 20));
            assert_eq!(d["inputSchema"]["type"], "object");
            assert_eq!(d["outputSchema"]["type"], "object");
            let a = &d["annotations"];
            assert_eq!(a["readOnlyHint"], !t.writes(), "{}", t.as_str());
            for hint in ["destructiveHint", "idempotentHint", "openWorldHint"] {
                assert!(a[hint].is_boolean());
            }
        }
    }

    #[test]
    fn names_are_short_for_portal_prefixes() {
        // Portals list tools as `{server}_{tool}` with aliases up to 40 chars.
        assert!(ToolName::ALL.iter().all(|t| t.as_str().len() <= 16));
    }

    #[test]
    fn read_only_role_sees_only_read_tools() {
        let names: Vec<String> = list_for(Role::ReadOnly, Version::V2025_11_25)
            .iter()
            .filter_map(|d| d["name"].as_str().map(String::from))
            .collect();
        assert_eq!(names, ["list_objects", "get_object", "head_object", "recent_changes"]);
        assert_eq!(list_for(Role::Writer, Version::V2025_11_25).len(), 8);
    }

    #[test]
    fn revision_2025_03_26_gets_no_title_or_output_schema() {
        let d = &list_for(Role::Writer, Version::V2025_03_26)[0];
        assert!(d.get("outputSchema").is_none() && d.get("title").is_none());
    }

    #[test]
    fn structured_result_carries_text_copy() {
        let r = structured_result(json!({"a":1}), Version::V2025_06_18);
        assert_eq!(r["structuredContent"], json!({"a":1}));
        assert_eq!(r["content"][0]["text"], "{\"a\":1}");
        assert!(structured_result(json!({}), Version::V2025_03_26).get("structuredContent").is_none());
    }

    #[test]
    fn write_tool_refusal_is_a_tool_error() {
        let r = read_only_refusal(ToolName::PutObject);
        assert_eq!(r["isError"], true);
        assert!(r["content"][0]["text"].as_str().unwrap().contains("read-only"));
    }
}
