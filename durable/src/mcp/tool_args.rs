//! Tool arguments → typed, validated requests. Every failure is a precise message the caller
//! turns into an `isError: true` tool result (2025-11-25 server/tools §Error Handling).
//!
//! Every key and prefix is put in Unicode NFC and checked here, once, by the storage layer's rules
//! ([`crate::storage::keys`]); nothing downstream checks it again. The R2 layer still prepends the
//! user's prefix: nothing here names it.

use std::collections::BTreeMap;

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::tools::ToolName;
use crate::storage::keys::{check_delimiter, KeyRules};
/// Largest `put_object` content, decoded (fits in [`super::http_rules::MAX_BODY_BYTES`] as base64).
pub const MAX_PUT_BYTES: usize = 10 * 1024 * 1024;
/// R2's custom-metadata limit.
pub const MAX_METADATA_BYTES: usize = 8192;
/// Most keys in one list page or one delete.
pub const MAX_BATCH: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListObjects {
    pub prefix: Option<String>,
    pub delimiter: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// A byte range: `offset`/`length`, or `suffix` alone.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByteRange {
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub suffix: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetObject {
    pub key: String,
    pub range: Option<ByteRange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadObject {
    pub key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutObjectRaw {
    key: String,
    content: Option<String>,
    content_base64: Option<String>,
    content_type: Option<String>,
    custom_metadata: Option<BTreeMap<String, String>>,
    if_match: Option<String>,
    if_none_match: Option<String>,
}

/// Decoded `put_object` content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Text(String),
    Bytes(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutObject {
    pub key: String,
    pub body: Body,
    pub content_type: String,
    pub custom_metadata: BTreeMap<String, String>,
    pub if_match: Option<String>,
    /// `if_none_match: "*"`: create only.
    pub create_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteObjectRaw {
    key: Option<String>,
    keys: Option<Vec<String>>,
    if_match: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteObject {
    pub keys: Vec<String>,
    /// Only with a single key.
    pub if_match: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CopyRaw {
    source_key: String,
    destination_key: String,
    if_source_match: Option<String>,
    if_match: Option<String>,
    if_none_match: Option<String>,
}

/// `copy_object` and `move_object`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyObject {
    pub source_key: String,
    pub destination_key: String,
    pub if_source_match: Option<String>,
    pub if_match: Option<String>,
    pub create_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecentChanges {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// A validated R2 tool call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolRequest {
    ListObjects(ListObjects),
    GetObject(GetObject),
    HeadObject(HeadObject),
    PutObject(PutObject),
    DeleteObject(DeleteObject),
    CopyObject(CopyObject),
    MoveObject(CopyObject),
    RecentChanges(RecentChanges),
}

fn typed<T: DeserializeOwned>(tool: ToolName, args: Map<String, Value>) -> Result<T, String> {
    serde_json::from_value(Value::Object(args)).map_err(|e| format!("Invalid arguments for {}: {e}", tool.as_str()))
}

/// Parses and validates `arguments` (absent means `{}`) under the caller's key rules. Keys and
/// prefixes come back in NFC.
pub fn parse(tool: ToolName, args: Option<Map<String, Value>>, keys: &KeyRules) -> Result<ToolRequest, String> {
    let args = args.unwrap_or_default();
    let key = |k: String, field: &str| keys.key(k).map_err(|e| format!("Invalid {field} for {}: {e}", tool.as_str()));
    Ok(match tool {
        ToolName::ListObjects => {
            let mut a: ListObjects = typed(tool, args)?;
            if let Some(p) = a.prefix.take() {
                a.prefix = Some(keys.prefix(p).map_err(|e| format!("Invalid prefix for list_objects: {e}"))?);
            }
            check_limit(a.limit, 1000, "list_objects")?;
            if let Some(d) = &a.delimiter {
                check_delimiter(d).map_err(|e| format!("Invalid delimiter for list_objects: {e}"))?;
            }
            ToolRequest::ListObjects(a)
        }
        ToolName::GetObject => {
            let mut a: GetObject = typed(tool, args)?;
            a.key = key(a.key, "key")?;
            if let Some(r) = &a.range {
                if r.suffix.is_some() && (r.offset.is_some() || r.length.is_some()) {
                    return Err("Invalid range for get_object: use either suffix, or offset/length".into());
                }
                if r.suffix == Some(0) || r.length == Some(0) {
                    return Err("Invalid range for get_object: length and suffix must be at least 1".into());
                }
            }
            ToolRequest::GetObject(a)
        }
        ToolName::HeadObject => {
            let mut a: HeadObject = typed(tool, args)?;
            a.key = key(a.key, "key")?;
            ToolRequest::HeadObject(a)
        }
        ToolName::PutObject => {
            let mut a: PutObjectRaw = typed(tool, args)?;
            a.key = key(a.key, "key")?;
            ToolRequest::PutObject(put(a)?)
        }
        ToolName::DeleteObject => {
            let a: DeleteObjectRaw = typed(tool, args)?;
            let given = match (a.key, a.keys) {
                (Some(k), None) => vec![k],
                (None, Some(ks)) if !ks.is_empty() && ks.len() <= MAX_BATCH => {
                    if a.if_match.is_some() {
                        return Err("Invalid arguments for delete_object: if_match applies to a single key only".into());
                    }
                    ks
                }
                (None, Some(_)) => return Err(format!("Invalid keys for delete_object: give 1 to {MAX_BATCH} keys")),
                _ => return Err("Invalid arguments for delete_object: give exactly one of key or keys".into()),
            };
            let mut checked = Vec::with_capacity(given.len());
            for k in given {
                checked.push(key(k, "key")?);
            }
            // Two spellings of one key are one object: delete it once.
            let mut seen = std::collections::BTreeSet::new();
            checked.retain(|k| seen.insert(k.clone()));
            ToolRequest::DeleteObject(DeleteObject { keys: checked, if_match: a.if_match })
        }
        ToolName::CopyObject | ToolName::MoveObject => {
            let mut a: CopyRaw = typed(tool, args)?;
            a.source_key = key(a.source_key, "source_key")?;
            a.destination_key = key(a.destination_key, "destination_key")?;
            if a.source_key == a.destination_key {
                return Err(format!(
                    "Invalid arguments for {}: source_key and destination_key name the same object \
                     (keys are compared in Unicode NFC, the form R2 stores them in); nothing was changed",
                    tool.as_str()
                ));
            }
            let create_only = star(a.if_none_match.as_deref(), tool)?;
            if create_only && a.if_match.is_some() {
                return Err(format!(
                    "Invalid arguments for {}: use if_match or if_none_match, not both",
                    tool.as_str()
                ));
            }
            let c = CopyObject {
                source_key: a.source_key,
                destination_key: a.destination_key,
                if_source_match: a.if_source_match,
                if_match: a.if_match,
                create_only,
            };
            if tool == ToolName::CopyObject {
                ToolRequest::CopyObject(c)
            } else {
                ToolRequest::MoveObject(c)
            }
        }
        ToolName::RecentChanges => {
            let a: RecentChanges = typed(tool, args)?;
            check_limit(a.limit, 200, "recent_changes")?;
            ToolRequest::RecentChanges(a)
        }
    })
}

/// `a.key` is already in NFC and checked.
fn put(a: PutObjectRaw) -> Result<PutObject, String> {
    let create_only = star(a.if_none_match.as_deref(), ToolName::PutObject)?;
    if create_only && a.if_match.is_some() {
        return Err("Invalid arguments for put_object: use if_match or if_none_match, not both".into());
    }
    let (body, default_type) = match (a.content, a.content_base64) {
        (Some(t), None) => (Body::Text(t), "text/plain; charset=utf-8"),
        (None, Some(b)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|e| format!("Invalid content_base64 for put_object: not standard base64 ({e})"))?;
            (Body::Bytes(bytes), "application/octet-stream")
        }
        _ => return Err("Invalid arguments for put_object: give exactly one of content or content_base64".into()),
    };
    let len = match &body {
        Body::Text(t) => t.len(),
        Body::Bytes(b) => b.len(),
    };
    if len > MAX_PUT_BYTES {
        return Err(format!("put_object content is {len} bytes; the limit is {MAX_PUT_BYTES} bytes"));
    }
    let custom_metadata = a.custom_metadata.unwrap_or_default();
    let meta_len: usize = custom_metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if meta_len > MAX_METADATA_BYTES {
        return Err(format!(
            "Invalid custom_metadata for put_object: {meta_len} bytes; the limit is {MAX_METADATA_BYTES}"
        ));
    }
    let content_type = a.content_type.filter(|c| !c.trim().is_empty()).unwrap_or_else(|| default_type.to_owned());
    if content_type.len() > 256 || content_type.chars().any(char::is_control) {
        return Err("Invalid content_type for put_object".into());
    }
    Ok(PutObject { key: a.key, body, content_type, custom_metadata, if_match: a.if_match, create_only })
}

fn star(v: Option<&str>, tool: ToolName) -> Result<bool, String> {
    match v {
        None => Ok(false),
        Some("*") => Ok(true),
        Some(_) => Err(format!("Invalid if_none_match for {}: only \"*\" (create only) is supported", tool.as_str())),
    }
}

fn check_limit(limit: Option<u32>, max: u32, tool: &str) -> Result<(), String> {
    match limit {
        Some(l) if l == 0 || l > max => Err(format!("Invalid limit for {tool}: must be between 1 and {max}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
#[path = "tool_args_tests.rs"]
mod tests;
