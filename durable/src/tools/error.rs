//! Tool-level failures (server/tools §Error Handling) as values: what went wrong, and — written in
//! this one file — the message the model reads. [`ToolError::into_result`] turns one into the
//! `isError: true` result; no other code writes a tool error's text.

use std::fmt;

use serde_json::Value;

use crate::mcp::tool_result::error_result;
use crate::storage::retry::{BACKOFF_MS, MAX_ATTEMPTS};

/// Why a tool call failed. Nothing was changed, except after [`ToolError::Partial`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolError {
    /// Arguments that do not validate (a tool's `parse`, or a range the object cannot serve): the
    /// message names the argument and what to fix.
    Invalid(String),
    /// No object at this key.
    NotFound(String),
    /// A precondition failed (`if_match`, `if_none_match`, or the object changed meanwhile): the
    /// message says which; nothing was written.
    Precondition(String),
    /// R2 failed: what was being done (`"Reading \"a.txt\""`, `"put of \"a.txt\""`) and R2's
    /// message. For a write, R2 may or may not have applied it; the journal settles which.
    R2 { doing: String, message: String },
    /// R2 kept rate-limiting a write of `key` (about one write per second per key) through every
    /// retry: `op` was not applied.
    RateLimited { op: String, key: String },
    /// This object's own storage (SQLite: the write log, the audit trail, links) failed while
    /// `doing`, before anything was changed.
    Storage { doing: &'static str, message: String },
    /// The call was cancelled before it changed anything; the text says at which point.
    Cancelled(&'static str),
    /// A reader called this tool, which writes.
    ReadOnly(&'static str),
    /// Not possible on this server or for this account now (a setting missing, a limit reached):
    /// the message says why and what to do.
    Unavailable(String),
    /// Part of the call was applied and part failed: the message says which (a move whose source
    /// could not be deleted after the copy).
    Partial(String),
}

impl ToolError {
    /// R2 failed while `doing` something.
    pub fn r2(doing: impl Into<String>, message: impl Into<String>) -> Self {
        ToolError::R2 { doing: doing.into(), message: message.into() }
    }

    /// SQLite failed while `doing` something.
    pub fn storage(doing: &'static str, e: impl fmt::Display) -> Self {
        ToolError::Storage { doing, message: e.to_string() }
    }

    /// The `CallToolResult` of this failure.
    pub fn into_result(self) -> Value {
        error_result(self.to_string())
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolError::Invalid(m) | ToolError::Precondition(m) | ToolError::Unavailable(m) | ToolError::Partial(m) => {
                f.write_str(m)
            }
            ToolError::NotFound(key) => write!(f, "Object not found: {key:?}. Use list_objects to see the keys that exist."),
            ToolError::R2 { doing, message } => write!(f, "{doing} failed in R2: {message}"),
            ToolError::RateLimited { op, key } => write!(
                f,
                "R2 is rate-limiting writes to {key:?} (about one write per second per key); {op} was retried {} times over about {} s and not applied. Try again in a few seconds.",
                MAX_ATTEMPTS - 1,
                BACKOFF_MS.iter().sum::<u32>().div_ceil(1000)
            ),
            ToolError::Storage { doing, message } => write!(f, "{doing} failed: {message}. Nothing was changed."),
            ToolError::Cancelled(m) => f.write_str(m),
            ToolError::ReadOnly(tool) => write!(
                f,
                "{tool} changes objects, and your account has read-only access. Use list_objects, browse_objects, get_object, head_object, recent_changes or create_download_link."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_says_what_happened_and_what_to_do() {
        assert_eq!(
            ToolError::NotFound("a.txt".into()).to_string(),
            "Object not found: \"a.txt\". Use list_objects to see the keys that exist."
        );
        assert_eq!(ToolError::r2("Reading \"a\"", "boom").to_string(), "Reading \"a\" failed in R2: boom");
        let limited = ToolError::RateLimited { op: "put".into(), key: "k".into() }.to_string();
        assert!(limited.contains("retried 4 times over about 4 s"), "{limited}");
        assert!(ToolError::storage("Reading the write log", "disk").to_string().ends_with("Nothing was changed."));
        assert!(ToolError::ReadOnly("put_object").to_string().starts_with("put_object changes objects"));
    }

    #[test]
    fn the_result_is_a_tool_error() {
        let r = ToolError::Invalid("Invalid key".into()).into_result();
        assert_eq!(r["isError"], true);
        assert_eq!(r["content"][0]["text"], "Invalid key");
    }
}
