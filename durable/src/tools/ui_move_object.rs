//! `ui_move_object`: the object browser's rename and move, as an app-only tool
//! (`_meta.ui.visibility: ["app"]`, see [`crate::mcp::app`]). It is `move_object` under another
//! name: its arguments, rules and `apply`, so the same write queue, journal and audit trail. Hosts
//! that render apps hide it from the model; the view calls it through the host.

use super::{move_object, Tool};

pub use super::move_object::{parse, Args};
#[cfg(target_arch = "wasm32")]
pub use super::move_object::apply;

pub const TOOL: Tool = Tool::app_only(
    "ui_move_object",
    "Rename or move an object",
    "App-only: the object browser's rename and move. Same arguments, preconditions, write queue and audit trail as move_object, which models should call instead.",
    &move_object::TOOL,
);
