//! `put_object`: creates or replaces an object (at most 10 MiB), optionally only over a given
//! etag (`if_match`) or only when the key is free (`if_none_match: "*"`). A write: in the user's
//! write queue, through the journaled write, and always conditional on the etag it planned on, so
//! an object changed outside this server is never overwritten on a stale etag.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;

pub const TOOL: Tool = Tool {
    name: "put_object",
    title: "Write an object",
    description: "Create or replace an object. Give the content as `content` (text) or `content_base64` (binary), at most 10 MiB. Use `if_match` with an etag to replace only that version, or `if_none_match: \"*\"` to create only. For larger content, or a file you have on disk, use create_upload_link and upload it with curl: the bytes then never pass through the conversation.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "key": { "type": "string", "description": "Object key." },
    "content": { "type": "string", "description": "Text content (stored as UTF-8)." },
    "content_base64": { "type": "string", "description": "Binary content, standard base64." },
    "content_type": { "type": "string", "description": "MIME type; default text/plain; charset=utf-8 for text, application/octet-stream for binary." },
    "custom_metadata": { "type": "object", "additionalProperties": { "type": "string" }, "description": "String key/value metadata (at most 8 KiB in total)." },
    "if_match": { "type": "string", "description": "Write only if the current etag equals this." },
    "if_none_match": { "const": "*", "description": "\"*\": write only if the key does not exist." }
  },
  "required": ["key"],
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": { "key": { "type": "string" }, "etag": { "type": "string" }, "size": { "type": "integer" } },
  "required": ["key", "etag", "size"]
}"##,
    annotations: Annotations::OVERWRITE,
    ui: Ui::None,
};

/// Largest content, decoded (fits in [`crate::mcp::http_rules::MAX_BODY_BYTES`] as base64).
pub const MAX_PUT_BYTES: usize = 10 * 1024 * 1024;
/// R2's custom-metadata limit.
pub const MAX_METADATA_BYTES: usize = 8192;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    key: String,
    content: Option<String>,
    content_base64: Option<String>,
    content_type: Option<String>,
    custom_metadata: Option<BTreeMap<String, String>>,
    if_match: Option<String>,
    if_none_match: Option<String>,
}

/// The decoded content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Text(String),
    Bytes(Vec<u8>),
}

impl Body {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Text(t) => t.as_bytes(),
            Body::Bytes(b) => b,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    /// In NFC, checked.
    pub key: String,
    pub body: Body,
    pub content_type: String,
    pub custom_metadata: BTreeMap<String, String>,
    pub if_match: Option<String>,
    /// `if_none_match: "*"`: create only.
    pub create_only: bool,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let a: Raw = args::typed(TOOL.name, args)?;
    let key = args::key(keys, TOOL.name, "key", a.key)?;
    let create_only = args::create_only(a.if_none_match.as_deref(), TOOL.name)?;
    if create_only && a.if_match.is_some() {
        return Err(ToolError::Invalid("Invalid arguments for put_object: use if_match or if_none_match, not both".into()));
    }
    let (body, default_type) = match (a.content, a.content_base64) {
        (Some(t), None) => (Body::Text(t), "text/plain; charset=utf-8"),
        (None, Some(b)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|e| ToolError::Invalid(format!("Invalid content_base64 for put_object: not standard base64 ({e})")))?;
            (Body::Bytes(bytes), "application/octet-stream")
        }
        _ => return Err(ToolError::Invalid("Invalid arguments for put_object: give exactly one of content or content_base64".into())),
    };
    let len = body.as_bytes().len();
    if len > MAX_PUT_BYTES {
        return Err(ToolError::Invalid(format!(
            "put_object content is {len} bytes; the limit is {MAX_PUT_BYTES} bytes. Upload larger content with create_upload_link (one curl -T of the file, any size)."
        )));
    }
    let custom_metadata = a.custom_metadata.unwrap_or_default();
    let meta_len: usize = custom_metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if meta_len > MAX_METADATA_BYTES {
        return Err(ToolError::Invalid(format!(
            "Invalid custom_metadata for put_object: {meta_len} bytes; the limit is {MAX_METADATA_BYTES}"
        )));
    }
    let content_type = a.content_type.filter(|c| !c.trim().is_empty()).unwrap_or_else(|| default_type.to_owned());
    if content_type.len() > 256 || content_type.chars().any(char::is_control) {
        return Err(ToolError::Invalid("Invalid content_type for put_object".into()));
    }
    Ok(Args { key, body, content_type, custom_metadata, if_match: a.if_match, create_only })
}

#[cfg(target_arch = "wasm32")]
pub use glue::apply;

#[cfg(target_arch = "wasm32")]
mod glue {
    use serde_json::json;
    use worker::js_sys::Uint8Array;
    use worker::wasm_bindgen::JsValue;

    use super::Args;
    use crate::mcp::tool_result::structured_result;
    use crate::storage::preconditions;
    use crate::tools::journal::{self, Applied, Attempt, Operation};
    use crate::tools::r2::{self, Io, PutOptions};
    use crate::tools::{Change, ToolError, ToolOutcome};

    /// Puts at least this large report progress.
    const PUT_PROGRESS_FROM: usize = 1024 * 1024;

    /// The key's current etag: this object's last write to it when remembered (`fresh` false), else
    /// R2's `head`. `Ok((etag, from_cache))`.
    async fn current_etag(io: &Io<'_>, r2_key: &str, key: &str, fresh: bool) -> Result<(Option<String>, bool), ToolError> {
        if fresh {
            io.etags.borrow_mut().forget(key);
        } else if let Some(e) = io.etags.borrow().get(key) {
            return Ok((Some(e.to_owned()), true));
        }
        let etag = r2::head(io.bucket, r2_key, key).await?.map(|o| o.etag());
        Ok((etag, false))
    }

    pub async fn apply(io: &Io<'_>, p: Args) -> ToolOutcome {
        let r2_key = io.ns.to_r2(&p.key);
        let what = format!("{:?}", p.key);
        // One copy into JS memory; every attempt and retry reuses it.
        let len = p.body.as_bytes().len();
        let body: JsValue = Uint8Array::from(p.body.as_bytes()).into();
        drop(p.body); // the wasm copy is not needed past this point (large bodies: up to 10 MiB)
        // A remembered etag may be stale (an object changed outside this server): then R2 refuses the
        // conditional put, or a precondition looks failed, and the second attempt asks R2 itself.
        let mut fresh = false;
        loop {
            let (before, cached) = match current_etag(io, &r2_key, &p.key, fresh).await {
                Ok(v) => v,
                Err(e) => return ToolOutcome::error(e),
            };
            if let Err(e) = preconditions::check(before.as_deref(), p.if_match.as_deref(), p.create_only, &what) {
                if cached {
                    fresh = true;
                    continue;
                }
                return ToolOutcome::error(ToolError::Precondition(e));
            }
            let put = async {
                if len >= PUT_PROGRESS_FROM {
                    (io.ctx.progress)(0.0, Some(len as f64), Some(format!("writing {len} bytes")));
                }
                let o = PutOptions {
                    only_if_etag: before.as_deref(),
                    http_metadata: r2::http_metadata_for(&p.content_type),
                    custom_metadata: r2::custom_metadata_for(&p.custom_metadata),
                };
                match r2::retrying("put_object", &p.key, || r2::put(io.bucket, &r2_key, &body, &o)).await {
                    Ok(Some(w)) => {
                        io.etags.borrow_mut().set(&p.key, w.etag.clone());
                        if len >= PUT_PROGRESS_FROM {
                            (io.ctx.progress)(len as f64, Some(len as f64), None);
                        }
                        Attempt::Done(Applied { op: Operation::Put, after: Some(w.etag.clone()), value: w })
                    }
                    Ok(None) => {
                        io.etags.borrow_mut().forget(&p.key);
                        Attempt::Refused(ToolError::Precondition(format!(
                            "Precondition failed: {what} changed while it was being written; nothing was written."
                        )))
                    }
                    Err(e) => {
                        io.etags.borrow_mut().forget(&p.key);
                        Attempt::Failed(e)
                    }
                }
            };
            match journal::write(io, Operation::Put, &[&p.key], before.as_deref(), put).await {
                Attempt::Done((written, seq)) => {
                    let result = structured_result(
                        json!({ "key": p.key, "etag": written.etag, "size": written.size, "seq": seq }),
                        io.ctx.version,
                    );
                    return ToolOutcome { result, changes: vec![Change::written(&p.key, before.as_deref())] };
                }
                Attempt::Refused(_) if cached => fresh = true,
                Attempt::Refused(e) | Attempt::Failed(e) => return ToolOutcome::error(e),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::tools::test_support::parsed;
    use serde_json::json;

    #[test]
    fn put_takes_exactly_one_content_form_and_decodes_base64() {
        let p = parsed(parse, json!({"key": "b", "content_base64": "AAEC/w=="})).unwrap();
        assert_eq!(p.body, Body::Bytes(vec![0, 1, 2, 255]));
        assert_eq!(p.content_type, "application/octet-stream");
        assert!(parsed(parse, json!({"key": "b"})).is_err());
        assert!(parsed(parse, json!({"key": "b", "content": "x", "content_base64": "eA=="})).is_err());
        assert!(parsed(parse, json!({"key": "b", "content_base64": "***"})).is_err());
    }

    #[test]
    fn put_preconditions_are_if_match_or_create_only() {
        assert!(parsed(parse, json!({"key": "b", "content": "x", "if_none_match": "*"})).unwrap().create_only);
        assert!(parsed(parse, json!({"key": "b", "content": "x", "if_none_match": "abc"})).is_err());
        assert!(parsed(parse, json!({"key": "b", "content": "x", "if_none_match": "*", "if_match": "e"})).is_err());
    }

    #[test]
    fn put_over_limit_is_refused_with_the_limit() {
        let big = "x".repeat(MAX_PUT_BYTES + 1);
        let e = parsed(parse, json!({"key": "b", "content": big})).unwrap_err();
        assert!(e.contains(&MAX_PUT_BYTES.to_string()));
    }

    #[test]
    fn a_bad_key_names_the_field_and_the_tool() {
        let e = parsed(parse, json!({"key": "../x", "content": "a"})).unwrap_err();
        assert!(e.starts_with("Invalid key for put_object: "), "{e}");
    }
}
