//! `copy_object`: copies an object to another key of the user's, with a precondition on the
//! source's etag (`if_source_match`) and on the destination (`if_match`, `if_none_match: "*"`).
//! The bytes stream from R2 to R2 and never gather in memory. A write: in the user's write queue,
//! through the journaled write. `move_object` is this, then the source's deletion.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;

pub const TOOL: Tool = Tool {
    name: "copy_object",
    title: "Copy an object",
    description: "Copy an object to another key. `if_source_match` guards the source version; `if_match` / `if_none_match: \"*\"` guard the destination.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "source_key": { "type": "string" },
    "destination_key": { "type": "string" },
    "if_source_match": { "type": "string", "description": "Copy only if the source etag equals this." },
    "if_match": { "type": "string", "description": "Replace the destination only if its etag equals this." },
    "if_none_match": { "const": "*", "description": "\"*\": only if the destination does not exist." }
  },
  "required": ["source_key", "destination_key"],
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": { "source_key": { "type": "string" }, "destination_key": { "type": "string" }, "etag": { "type": "string" }, "size": { "type": "integer" } },
  "required": ["source_key", "destination_key", "etag", "size"]
}"##,
    annotations: Annotations::OVERWRITE,
    ui: Ui::None,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    source_key: String,
    destination_key: String,
    if_source_match: Option<String>,
    if_match: Option<String>,
    if_none_match: Option<String>,
}

/// The arguments of `copy_object` and `move_object`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    /// In NFC, checked.
    pub source_key: String,
    /// In NFC, checked, and another object than the source.
    pub destination_key: String,
    pub if_source_match: Option<String>,
    pub if_match: Option<String>,
    /// `if_none_match: "*"`: only if the destination does not exist.
    pub create_only: bool,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    parse_for(&TOOL, args, keys)
}

/// The arguments of `tool` (this one, or `move_object`), whose name the messages carry.
pub(super) fn parse_for(tool: &Tool, args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let name = tool.name;
    let a: Raw = args::typed(name, args)?;
    let source_key = args::key(keys, name, "source_key", a.source_key)?;
    let destination_key = args::key(keys, name, "destination_key", a.destination_key)?;
    if source_key == destination_key {
        return Err(ToolError::Invalid(format!(
            "Invalid arguments for {name}: source_key and destination_key name the same object \
             (keys are compared in Unicode NFC, the form R2 stores them in); nothing was changed"
        )));
    }
    let create_only = args::create_only(a.if_none_match.as_deref(), name)?;
    if create_only && a.if_match.is_some() {
        return Err(ToolError::Invalid(format!("Invalid arguments for {name}: use if_match or if_none_match, not both")));
    }
    Ok(Args { source_key, destination_key, if_source_match: a.if_source_match, if_match: a.if_match, create_only })
}

#[cfg(target_arch = "wasm32")]
pub use glue::{apply, copy};

#[cfg(target_arch = "wasm32")]
mod glue {
    use serde_json::json;

    use super::Args;
    use crate::mcp::tool_result::structured_result;
    use crate::storage::preconditions;
    use crate::tools::journal::{self, Applied, Attempt, Operation};
    use crate::tools::r2::{self, Copied, Io};
    use crate::tools::{Change, ToolError, ToolOutcome};

    /// Largest object copied: R2's single-put limit (the bytes stream from R2 to R2 and never
    /// gather in memory).
    pub const COPY_LIMIT: u64 = 5 * 1024 * 1024 * 1024 - 5 * 1024 * 1024;

    pub async fn apply(io: &Io<'_>, c: Args) -> ToolOutcome {
        copy(io, c, false).await
    }

    /// Copies, then with `remove_source` (`move_object`) deletes the source.
    pub async fn copy(io: &Io<'_>, c: Args, remove_source: bool) -> ToolOutcome {
        let tool = if remove_source { "move_object" } else { "copy_object" };
        let (src_r2, dst_r2) = (io.ns.to_r2(&c.source_key), io.ns.to_r2(&c.destination_key));
        let source = match r2::head(io.bucket, &src_r2, &c.source_key).await {
            Ok(Some(o)) => o,
            Ok(None) => return ToolOutcome::error(ToolError::NotFound(c.source_key)),
            Err(e) => return ToolOutcome::error(e),
        };
        let src_etag = source.etag();
        let what_src = format!("source {:?}", c.source_key);
        if let Err(e) = preconditions::check(Some(&src_etag), c.if_source_match.as_deref(), false, &what_src) {
            return ToolOutcome::error(ToolError::Precondition(e));
        }
        if source.size() > COPY_LIMIT {
            return ToolOutcome::error(ToolError::Unavailable(format!(
                "{tool}: the source is {} bytes; objects up to {COPY_LIMIT} bytes can be copied.",
                source.size()
            )));
        }
        let before = match r2::head(io.bucket, &dst_r2, &c.destination_key).await {
            Ok(o) => o.map(|o| o.etag()),
            Err(e) => return ToolOutcome::error(e),
        };
        let what_dst = format!("destination {:?}", c.destination_key);
        if let Err(e) = preconditions::check(before.as_deref(), c.if_match.as_deref(), c.create_only, &what_dst) {
            return ToolOutcome::error(ToolError::Precondition(e));
        }
        let keys = [c.source_key.as_str(), c.destination_key.as_str()];
        let planned = if remove_source { Operation::Move } else { Operation::Copy };
        let mutation = async {
            // Each attempt streams R2 → R2 afresh (a stream is read once; a rate-limited put retries).
            let written = match r2::retrying(tool, &c.destination_key, || {
                r2::copy_stream(io.bucket, &src_r2, &src_etag, &dst_r2, before.as_deref())
            })
            .await
            {
                Ok(Copied::Written(w)) => w,
                Ok(Copied::SourceChanged) => {
                    return Attempt::Refused(ToolError::Precondition(format!(
                        "Precondition failed: source {:?} changed during the {tool}; nothing was written.",
                        c.source_key
                    )))
                }
                Ok(Copied::DestinationChanged) => {
                    io.etags.borrow_mut().forget(&c.destination_key);
                    return Attempt::Refused(ToolError::Precondition(format!(
                        "Precondition failed: {what_dst} changed during the {tool}; nothing was written."
                    )));
                }
                Err(e) => {
                    io.etags.borrow_mut().forget(&c.destination_key);
                    return Attempt::Failed(e);
                }
            };
            io.etags.borrow_mut().set(&c.destination_key, written.etag.clone());
            // A move deletes its source; if that fails, both exist and the write is the copy it was.
            let mut op = Operation::Copy;
            let mut failure = None;
            if remove_source {
                io.etags.borrow_mut().forget(&c.source_key);
                match r2::retrying(tool, &c.source_key, || io.bucket.delete(src_r2.clone())).await {
                    Ok(()) => op = Operation::Move,
                    Err(e) => failure = Some(e),
                }
            }
            let after = Some(written.etag.clone());
            Attempt::Done(Applied { op, after, value: (written, failure) })
        };
        let ((written, failure), seq) = match journal::write(io, planned, &keys, before.as_deref(), mutation).await {
            Attempt::Done(done) => done,
            Attempt::Refused(e) | Attempt::Failed(e) => return ToolOutcome::error(e),
        };
        let mut changes = vec![Change::written(&c.destination_key, before.as_deref())];
        if remove_source && failure.is_none() {
            changes.push(Change::deleted(&c.source_key));
        }
        if let Some(e) = failure {
            let e = ToolError::Partial(format!(
                "{tool}: copied to {:?} (etag {}), but the source could not be deleted, so both exist: {e}",
                c.destination_key, written.etag
            ));
            return ToolOutcome { result: e.into_result(), changes };
        }
        let result = structured_result(
            json!({
                "source_key": c.source_key,
                "destination_key": c.destination_key,
                "etag": written.etag,
                "size": written.size,
                "seq": seq,
            }),
            io.ctx.version,
        );
        ToolOutcome { result, changes }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::tools::move_object;
    use crate::tools::test_support::parsed;
    use serde_json::json;

    #[test]
    fn copy_and_move_validate_both_keys() {
        let ok = json!({"source_key": "a", "destination_key": "b", "if_none_match": "*"});
        assert!(parsed(move_object::parse, ok).unwrap().create_only);
        assert!(parsed(parse, json!({"source_key": "a", "destination_key": "/b"})).is_err());
        assert!(parsed(parse, json!({"source_key": "a", "destination_key": "a"})).is_err());
    }

    #[test]
    fn a_copy_between_two_spellings_of_one_key_is_refused() {
        let a = json!({"source_key": "caf\u{e9}", "destination_key": "cafe\u{301}"});
        for e in [parsed(parse, a.clone()).unwrap_err(), parsed(move_object::parse, a).unwrap_err()] {
            assert!(e.contains("same object"), "{e}");
        }
    }

    #[test]
    fn messages_name_the_tool_called() {
        let a = json!({"source_key": "a", "destination_key": "b", "if_none_match": "x"});
        assert!(parsed(parse, a.clone()).unwrap_err().contains("for copy_object"));
        assert!(parsed(move_object::parse, a).unwrap_err().contains("for move_object"));
    }
}
