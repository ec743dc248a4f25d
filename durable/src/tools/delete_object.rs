//! `delete_object`: deletes one key (optionally only at a given etag) or up to 1000; deleting a
//! missing key succeeds. A write: in the user's write queue, through the journaled write.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;

pub const TOOL: Tool = Tool {
    name: "delete_object",
    title: "Delete objects",
    description: "Delete one object (`key`, optionally guarded by `if_match`) or up to 1000 (`keys`). Deleting a missing key succeeds.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "key": { "type": "string", "description": "One object key." },
    "keys": { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 1000, "description": "Several object keys." },
    "if_match": { "type": "string", "description": "Delete only if the current etag equals this (with `key` only)." }
  },
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": { "deleted": { "type": "array", "items": { "type": "string" } } },
  "required": ["deleted"]
}"##,
    annotations: Annotations::OVERWRITE,
    ui: Ui::None,
};

/// Most keys in one delete.
pub const MAX_BATCH: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    key: Option<String>,
    keys: Option<Vec<String>>,
    if_match: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    /// 1 to [`MAX_BATCH`] keys, in NFC, checked, each object named once.
    pub keys: Vec<String>,
    /// Only with a single key.
    pub if_match: Option<String>,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let a: Raw = args::typed(TOOL.name, args)?;
    let given = match (a.key, a.keys) {
        (Some(k), None) => vec![k],
        (None, Some(ks)) if !ks.is_empty() && ks.len() <= MAX_BATCH => {
            if a.if_match.is_some() {
                return Err(ToolError::Invalid("Invalid arguments for delete_object: if_match applies to a single key only".into()));
            }
            ks
        }
        (None, Some(_)) => return Err(ToolError::Invalid(format!("Invalid keys for delete_object: give 1 to {MAX_BATCH} keys"))),
        _ => return Err(ToolError::Invalid("Invalid arguments for delete_object: give exactly one of key or keys".into())),
    };
    let mut checked = Vec::with_capacity(given.len());
    for k in given {
        checked.push(args::key(keys, TOOL.name, "key", k)?);
    }
    // Two spellings of one key are one object: delete it once.
    let mut seen = std::collections::BTreeSet::new();
    checked.retain(|k| seen.insert(k.clone()));
    Ok(Args { keys: checked, if_match: a.if_match })
}

#[cfg(target_arch = "wasm32")]
pub use glue::apply;

#[cfg(target_arch = "wasm32")]
mod glue {
    use serde_json::json;

    use super::Args;
    use crate::mcp::tool_result::structured_result;
    use crate::storage::preconditions;
    use crate::tools::journal::{self, Applied, Attempt, Operation};
    use crate::tools::r2::{self, Io};
    use crate::tools::{Change, ToolError, ToolOutcome};

    /// Keys checked at once in a multi-key delete.
    const DELETE_CHUNK: usize = 50;

    pub async fn apply(io: &Io<'_>, d: Args) -> ToolOutcome {
        let total = d.keys.len();
        let many = total > 1;
        // Which keys exist (and their etags), a chunk at a time; nothing is applied before all are known.
        let mut existing: Vec<(String, String)> = Vec::new();
        let mut absent: Vec<String> = Vec::new();
        for (i, chunk) in d.keys.chunks(DELETE_CHUNK).enumerate() {
            if io.ctx.is_cancelled() {
                return ToolOutcome::error(ToolError::Cancelled("Cancelled before anything was deleted."));
            }
            let keys: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let etags = match r2::etags_of(io, &keys).await {
                Ok(e) => e,
                Err(e) => return ToolOutcome::error(e),
            };
            for (k, etag) in chunk.iter().zip(etags) {
                match etag {
                    Some(e) => existing.push((k.clone(), e)),
                    None => absent.push(k.clone()),
                }
            }
            if many {
                let done = ((i + 1) * DELETE_CHUNK).min(total) as f64;
                (io.ctx.progress)(done, Some(total as f64 * 2.0), Some("checking keys".into()));
            }
        }
        existing.dedup_by(|a, b| a.0 == b.0);
        if let Some(want) = d.if_match.as_deref() {
            let current = existing.first().map(|(_, e)| e.as_str());
            let what = format!("{:?}", d.keys.first().map(String::as_str).unwrap_or(""));
            if let Err(e) = preconditions::check(current, Some(want), false, &what) {
                return ToolOutcome::error(ToolError::Precondition(e));
            }
        }
        if io.ctx.is_cancelled() {
            return ToolOutcome::error(ToolError::Cancelled("Cancelled before anything was deleted."));
        }
        let deleted: Vec<String> = existing.iter().map(|(k, _)| k.clone()).collect();
        let single_before = if deleted.len() == 1 { existing.first().map(|(_, e)| e.as_str()) } else { None };
        if !deleted.is_empty() {
            let keys: Vec<&str> = deleted.iter().map(String::as_str).collect();
            let r2_keys: Vec<String> = deleted.iter().map(|k| io.ns.to_r2(k)).collect();
            let delete = async {
                let label = deleted.first().cloned().unwrap_or_default();
                let outcome = r2::retrying("delete_object", &label, || async {
                    if r2_keys.len() == 1 {
                        io.bucket.delete(r2_keys.first().cloned().unwrap_or_default()).await
                    } else {
                        io.bucket.delete_multiple(r2_keys.iter().map(String::as_str).collect()).await
                    }
                })
                .await;
                let mut etags = io.etags.borrow_mut();
                for k in &deleted {
                    etags.forget(k);
                }
                drop(etags);
                match outcome {
                    Ok(()) => Attempt::Done(Applied { op: Operation::Delete, after: None, value: () }),
                    Err(e) => Attempt::Failed(e),
                }
            };
            match journal::write(io, Operation::Delete, &keys, single_before, delete).await {
                Attempt::Done(_) => {}
                Attempt::Refused(e) | Attempt::Failed(e) => return ToolOutcome::error(e),
            }
        }
        if many {
            (io.ctx.progress)(total as f64 * 2.0, Some(total as f64 * 2.0), None);
        }
        let changes = deleted.iter().map(|k| Change::deleted(k)).collect();
        let result = structured_result(json!({ "deleted": deleted, "absent": absent }), io.ctx.version);
        ToolOutcome { result, changes }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::tools::test_support::parsed;
    use serde_json::json;

    #[test]
    fn delete_takes_one_key_or_up_to_1000() {
        let r = parsed(parse, json!({"key": "a", "if_match": "e"})).unwrap();
        assert_eq!(r, Args { keys: vec!["a".into()], if_match: Some("e".into()) });
        let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
        assert!(parsed(parse, json!({"keys": many})).is_err());
        assert!(parsed(parse, json!({"keys": ["a"], "if_match": "e"})).is_err());
        assert!(parsed(parse, json!({"key": "a", "keys": ["b"]})).is_err());
        assert!(parsed(parse, json!({"keys": ["a", "../b"]})).is_err());
    }
}
