//! `get_object`: an object's content — text for text-like content types, base64 otherwise — or a
//! byte range of it. Metadata in `structuredContent`; the bytes once, in an embedded resource
//! block. Above the inline limit (1 MiB) the first part comes back with
//! `truncated: true` and a `resource_link` to the whole object. A read: straight to R2.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;
use crate::storage::range::ByteRange;

pub const TOOL: Tool = Tool {
    name: "get_object",
    title: "Read an object",
    description: "Read an object's content. The result's metadata (size, etag, content type, range) is the structured output; the bytes come once, in an embedded resource content block: `text` for text-like content types, `blob` (base64) otherwise. Objects larger than the inline limit (1 MiB) return their first part with `truncated: true` and a resource link to the whole object. `range` reads a byte range. To fetch a large object whole (to a file, with curl), use create_download_link instead.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "key": { "type": "string", "description": "Object key." },
    "range": {
      "type": "object",
      "description": "Byte range: `offset` and/or `length`, or `suffix` (the last N bytes).",
      "properties": {
        "offset": { "type": "integer", "minimum": 0 },
        "length": { "type": "integer", "minimum": 1 },
        "suffix": { "type": "integer", "minimum": 1 }
      },
      "additionalProperties": false
    }
  },
  "required": ["key"],
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": {
    "key": { "type": "string" },
    "size": { "type": "integer", "description": "Size of the whole object." },
    "etag": { "type": "string" },
    "content_type": { "type": ["string", "null"] },
    "uploaded": { "type": "string" },
    "encoding": { "enum": ["text", "base64"], "description": "How the bytes are carried in the embedded resource content block: `text`, or `blob` in base64." },
    "offset": { "type": "integer", "description": "First byte returned." },
    "length": { "type": "integer", "description": "Bytes returned." },
    "truncated": { "type": "boolean", "description": "True when only part of the requested bytes is returned." },
    "resource_uri": { "type": "string" },
    "hint": { "type": "string", "description": "When truncated: how to get the whole object." }
  },
  "required": ["key", "size", "etag", "encoding", "offset", "length", "truncated", "resource_uri"]
}"##,
    annotations: Annotations::READ,
    ui: Ui::None,
};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// In NFC, checked.
    pub key: String,
    /// `offset`/`length` (length at least 1), or `suffix` (at least 1) alone.
    pub range: Option<ByteRange>,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let mut a: Args = args::typed(TOOL.name, args)?;
    a.key = args::key(keys, TOOL.name, "key", a.key)?;
    if let Some(r) = &a.range {
        if r.suffix.is_some() && (r.offset.is_some() || r.length.is_some()) {
            return Err(ToolError::Invalid("Invalid range for get_object: use either suffix, or offset/length".into()));
        }
        if r.suffix == Some(0) || r.length == Some(0) {
            return Err(ToolError::Invalid("Invalid range for get_object: length and suffix must be at least 1".into()));
        }
    }
    Ok(a)
}

#[cfg(target_arch = "wasm32")]
pub use glue::apply;

#[cfg(target_arch = "wasm32")]
mod glue {
    use serde_json::{json, Value};
    use worker::Range;

    use super::Args;
    use crate::mcp::resources::{contents, is_text_like, uri_for_key};
    use crate::mcp::tool_result::{embedded_resource, resource_link, structured_result};
    use crate::storage::content::{utf8_cut, Body};
    use crate::storage::range::{self, Ask, INLINE_LIMIT};
    use crate::tools::r2::{self, Io};
    use crate::tools::{ToolError, ToolOutcome};

    pub async fn apply(io: &Io<'_>, a: Args) -> ToolOutcome {
        match get(io, a).await {
            Ok(result) => ToolOutcome::read(result),
            Err(e) => ToolOutcome::error(e),
        }
    }

    /// The R2 range for a client's ask, clamped to the inline limit where that needs no size.
    fn r2_range(ask: Ask) -> Option<Range> {
        match ask {
            Ask::Whole => None,
            Ask::Prefix { length } => Some(Range::Prefix { length: length.min(INLINE_LIMIT) }),
            Ask::From { offset, length } => {
                Some(Range::OffsetWithLength { offset, length: length.unwrap_or(INLINE_LIMIT).min(INLINE_LIMIT) })
            }
            Ask::Suffix { suffix } => Some(Range::Suffix { suffix }),
        }
    }

    async fn get(io: &Io<'_>, a: Args) -> Result<Value, ToolError> {
        let r2_key = io.ns.to_r2(&a.key);
        let ask = range::ask(a.range.as_ref());
        let mut get = io.bucket.get(r2_key.as_str());
        if let Some(r) = r2_range(ask) {
            get = get.range(r);
        }
        let object = match get.execute().await {
            Ok(Some(o)) => o,
            Ok(None) => return Err(ToolError::NotFound(a.key)),
            Err(e) => {
                // R2 refuses ranges past the end: say so precisely.
                return Err(match r2::head(io.bucket, &r2_key, &a.key).await? {
                    None => ToolError::NotFound(a.key),
                    Some(h) => match range::span(ask, h.size()) {
                        Err(why) => ToolError::Invalid(format!("Invalid range for get_object: {why}.")),
                        Ok(_) => ToolError::r2(format!("Reading {:?}", a.key), r2::message(&e)),
                    },
                });
            }
        };
        let size = object.size();
        let (offset, span_len) = match range::span(ask, size) {
            Ok(s) => s,
            Err(why) => return Err(ToolError::Invalid(format!("Invalid range for get_object: {why}."))),
        };
        // Bytes R2 is sending: the span, or at most the inline limit where the range was clamped.
        let sent = match ask {
            Ask::Prefix { .. } | Ask::From { .. } => span_len.min(INLINE_LIMIT),
            Ask::Whole | Ask::Suffix { .. } => span_len,
        };
        let mut bytes = match r2::read_body(&object, sent, INLINE_LIMIT).await {
            Ok(b) => b,
            Err(e) => return Err(ToolError::r2(format!("Reading {:?}", a.key), r2::message(&e))),
        };
        let content_type = r2::content_type(&object);
        let mut truncated = (bytes.len() as u64) < span_len;
        if truncated && is_text_like(content_type.as_deref()) {
            let cut = utf8_cut(&bytes, bytes.len());
            bytes.truncate(cut);
        }
        truncated |= (bytes.len() as u64) < span_len;
        let length = bytes.len();
        let body = Body::of(content_type.as_deref(), bytes);
        let uri = uri_for_key(&a.key);
        let mut structured = json!({
            "key": a.key,
            "size": size,
            "etag": object.etag(),
            "content_type": content_type,
            "uploaded": r2::uploaded(&object),
            "encoding": body.encoding().as_str(),
            "offset": offset,
            "length": length,
            "truncated": truncated,
            "resource_uri": uri,
        });
        if truncated {
            structured["hint"] = format!(
                "The object is {size} bytes; this is {length} of them. To get it whole, call create_download_link with this key and download the link with curl."
            )
            .into();
        }
        // The metadata in `structuredContent` (and its text copy); the bytes once, after it.
        let mut result = structured_result(structured, io.ctx.version);
        if let Some(blocks) = result.get_mut("content").and_then(Value::as_array_mut) {
            blocks.push(embedded_resource(contents(&uri, content_type.as_deref(), body)));
            if truncated && io.ctx.version.has_structured_content() {
                blocks.push(resource_link(&uri, &a.key, content_type.as_deref(), Some(size)));
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::tools::test_support::parsed;
    use serde_json::json;

    #[test]
    fn missing_required_key_is_reported() {
        let e = parsed(parse, json!({})).unwrap_err();
        assert!(e.contains("key"), "{e}");
    }

    #[test]
    fn get_range_forms_are_exclusive() {
        assert!(parsed(parse, json!({"key": "a", "range": {"offset": 5, "length": 10}})).is_ok());
        assert!(parsed(parse, json!({"key": "a", "range": {"suffix": 5, "offset": 1}})).is_err());
        assert!(parsed(parse, json!({"key": "a", "range": {"length": 0}})).is_err());
    }
}
