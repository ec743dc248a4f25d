//! Tool arguments → typed, validated requests. Every failure is a precise message the caller
//! turns into an `isError: true` tool result (2025-11-25 server/tools §Error Handling).
//!
//! Keys are checked here as far as the client's text goes (non-empty, length with the namespace
//! prefix, no control characters, no leading `/` or `\`, no `.`/`..` segments, also after
//! percent-decoding). The R2 layer still prepends the user's prefix: nothing here names it.
//!
//! Every key and prefix is first put in Unicode NFC ([`canonical`]), the form R2 stores keys in:
//! `café` spelled with U+00E9 or with `e` + U+0301 is one object in R2, so it is one key everywhere
//! in the server too (the write queue, the etag memo, preconditions, subscriptions, the audit
//! trail), whatever the local R2 simulator does. The normalizer is passed in: the Worker uses the
//! runtime's `String.prototype.normalize`, so no Unicode tables ship in the wasm.

use std::collections::BTreeMap;

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::tools::ToolName;

/// R2's key limit, including the namespace prefix.
pub const MAX_R2_KEY_BYTES: usize = 1024;
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

/// A Unicode NFC normalizer (the runtime's, in the Worker).
pub type Nfc = fn(&str) -> String;

/// `s` in NFC. Text whose characters are all below U+0300 (ASCII, Latin-1 and the rest of the
/// first blocks, none of which compose) is already NFC and is returned without calling `nfc`.
pub fn canonical(s: String, nfc: Nfc) -> String {
    if s.chars().all(|c| u32::from(c) < 0x300) {
        s
    } else {
        nfc(&s)
    }
}

fn typed<T: DeserializeOwned>(tool: ToolName, args: Map<String, Value>) -> Result<T, String> {
    serde_json::from_value(Value::Object(args)).map_err(|e| format!("Invalid arguments for {}: {e}", tool.as_str()))
}

/// Parses and validates `arguments` (absent means `{}`); `prefix_len` is the byte length of the
/// caller's namespace prefix, counted against R2's key limit. Keys and prefixes come back in NFC.
pub fn parse(tool: ToolName, args: Option<Map<String, Value>>, prefix_len: usize, nfc: Nfc) -> Result<ToolRequest, String> {
    let args = args.unwrap_or_default();
    let c = |s: String| canonical(s, nfc);
    let key = |k: &str, field: &str| {
        validate_key(k, prefix_len).map_err(|e| format!("Invalid {field} for {}: {e}", tool.as_str()))
    };
    Ok(match tool {
        ToolName::ListObjects => {
            let mut a: ListObjects = typed(tool, args)?;
            a.prefix = a.prefix.map(c);
            if let Some(p) = a.prefix.as_deref().filter(|p| !p.is_empty()) {
                validate_prefix(p, prefix_len).map_err(|e| format!("Invalid prefix for list_objects: {e}"))?;
            }
            check_limit(a.limit, 1000, "list_objects")?;
            ToolRequest::ListObjects(a)
        }
        ToolName::GetObject => {
            let mut a: GetObject = typed(tool, args)?;
            a.key = c(a.key);
            key(&a.key, "key")?;
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
            a.key = c(a.key);
            key(&a.key, "key")?;
            ToolRequest::HeadObject(a)
        }
        ToolName::PutObject => {
            let mut a: PutObjectRaw = typed(tool, args)?;
            a.key = c(a.key);
            ToolRequest::PutObject(put(a, prefix_len)?)
        }
        ToolName::DeleteObject => {
            let a: DeleteObjectRaw = typed(tool, args)?;
            let keys = match (a.key.map(c), a.keys.map(|ks| ks.into_iter().map(c).collect::<Vec<_>>())) {
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
            for k in &keys {
                key(k, "key")?;
            }
            // Two spellings of one key are one object: delete it once.
            let mut seen = std::collections::BTreeSet::new();
            let keys: Vec<String> = keys.into_iter().filter(|k| seen.insert(k.clone())).collect();
            ToolRequest::DeleteObject(DeleteObject { keys, if_match: a.if_match })
        }
        ToolName::CopyObject | ToolName::MoveObject => {
            let mut a: CopyRaw = typed(tool, args)?;
            a.source_key = c(a.source_key);
            a.destination_key = c(a.destination_key);
            key(&a.source_key, "source_key")?;
            key(&a.destination_key, "destination_key")?;
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

fn put(a: PutObjectRaw, prefix_len: usize) -> Result<PutObject, String> {
    validate_key(&a.key, prefix_len).map_err(|e| format!("Invalid key for put_object: {e}"))?;
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

/// Key rules (issue 5): non-empty; with the prefix at most 1024 bytes; no control characters;
/// no way out of the namespace: no leading `/` or `\`, no `.` or `..` segment, also once
/// percent-decoded (up to three rounds, catching `%2e%2e` and `%252e`).
pub fn validate_key(key: &str, prefix_len: usize) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    validate_prefix(key, prefix_len)?;
    if key.ends_with('/') && key.trim_end_matches('/').is_empty() {
        return Err("the key has no name".into());
    }
    Ok(())
}

/// The rules of [`validate_key`] for a list prefix (which may end in `/`).
pub fn validate_prefix(p: &str, prefix_len: usize) -> Result<(), String> {
    if p.len().saturating_add(prefix_len) > MAX_R2_KEY_BYTES {
        return Err(format!(
            "it is {} bytes; keys may be at most {} bytes",
            p.len(),
            MAX_R2_KEY_BYTES.saturating_sub(prefix_len)
        ));
    }
    let mut text = p.to_owned();
    for _ in 0..4 {
        if text.chars().any(|c| c.is_control()) {
            return Err("it contains control characters".into());
        }
        if text.starts_with('/') || text.starts_with('\\') {
            return Err("it must not start with / or \\".into());
        }
        if text.split(['/', '\\']).any(|seg| seg == "." || seg == "..") {
            return Err("it must not contain . or .. path segments".into());
        }
        match percent_decode(&text) {
            Some(d) if d != text => text = d,
            _ => break,
        }
    }
    Ok(())
}

/// Percent-decodes; `None` when there is no `%`. Bytes that are not UTF-8 become U+FFFD rather
/// than ending the check: one undecodable escape (`%ff`) must not hide an encoded `..` or control
/// character elsewhere in the key (found by the `object_keys` fuzz target).
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b.get(i), hex(i + 1), hex(i + 2)) {
            (Some(b'%'), Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (Some(c), _, _) => {
                out.push(*c);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
#[path = "tool_args_tests.rs"]
mod tests;
