//! Argument rules several tools share. Every failure is a [`ToolError::Invalid`] with a precise
//! message, answered as an `isError: true` tool result (2025-11-25 server/tools §Error Handling).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::ToolError;
use crate::storage::keys::KeyRules;

/// The arguments as the tool's typed struct (unknown fields are refused by its
/// `deny_unknown_fields`).
pub fn typed<T: DeserializeOwned>(tool: &str, args: Map<String, Value>) -> Result<T, ToolError> {
    serde_json::from_value(Value::Object(args)).map_err(|e| ToolError::Invalid(format!("Invalid arguments for {tool}: {e}")))
}

/// A key argument, in NFC and checked by the storage layer's rules.
pub fn key(keys: &KeyRules, tool: &str, field: &str, key: String) -> Result<String, ToolError> {
    keys.key(key).map_err(|e| ToolError::Invalid(format!("Invalid {field} for {tool}: {e}")))
}

/// `if_none_match`: `"*"` (create only) or absent.
pub fn create_only(if_none_match: Option<&str>, tool: &str) -> Result<bool, ToolError> {
    match if_none_match {
        None => Ok(false),
        Some("*") => Ok(true),
        Some(_) => Err(ToolError::Invalid(format!("Invalid if_none_match for {tool}: only \"*\" (create only) is supported"))),
    }
}

/// A page size: absent, or 1 to `max`.
pub fn limit(limit: Option<u32>, max: u32, tool: &str) -> Result<(), ToolError> {
    match limit {
        Some(l) if l == 0 || l > max => Err(ToolError::Invalid(format!("Invalid limit for {tool}: must be between 1 and {max}"))),
        _ => Ok(()),
    }
}
