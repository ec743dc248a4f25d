//! `ui_delete_object`: the object browser's delete, sent once the user confirmed it, as an app-only
//! tool (`_meta.ui.visibility: ["app"]`, see [`crate::mcp::app`]). It is `delete_object` under
//! another name: its arguments, rules and `apply`, so the same write queue, journal and audit
//! trail. Hosts that render apps hide it from the model; the view calls it through the host.

use super::{delete_object, Tool};

pub use super::delete_object::{parse, Args};
#[cfg(target_arch = "wasm32")]
pub use super::delete_object::apply;

pub const TOOL: Tool = Tool::app_only(
    "ui_delete_object",
    "Delete an object",
    "App-only: the object browser's delete, sent after the user confirmed it, with the etag the user saw as if_match. Same arguments, write queue and audit trail as delete_object, which models should call instead.",
    &delete_object::TOOL,
);
