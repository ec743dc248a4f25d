//! `ui_copy_object`: the object browser's copy, as an app-only tool (`_meta.ui.visibility:
//! ["app"]`, see [`crate::mcp::app`]). It is `copy_object` under another name: its arguments, rules
//! and `apply`, so the same write queue, journal and audit trail. Hosts that render apps hide it
//! from the model; the view calls it through the host.

use super::{copy_object, Tool};

pub use super::copy_object::{parse, Args};
#[cfg(target_arch = "wasm32")]
pub use super::copy_object::apply;

pub const TOOL: Tool = Tool::app_only(
    "ui_copy_object",
    "Copy an object",
    "App-only: the object browser's copy. Same arguments, preconditions, write queue and audit trail as copy_object, which models should call instead.",
    &copy_object::TOOL,
);
