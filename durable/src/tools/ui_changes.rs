//! `ui_changes`: the object browser's "recent changes" panel, as an app-only tool
//! (`_meta.ui.visibility: ["app"]`, see [`crate::mcp::app`]). It is `recent_changes` under another
//! name: its arguments, rules and `apply`. Hosts that render apps hide it from the model; the view
//! calls it through the host.

use super::{recent_changes, Tool};

pub use super::recent_changes::{parse, Args};
#[cfg(target_arch = "wasm32")]
pub use super::recent_changes::apply;

pub const TOOL: Tool = Tool::app_only(
    "ui_changes",
    "Recent changes",
    "App-only: the object browser's \"recent changes\" panel. Same arguments and result as recent_changes (your audit trail, newest first), which models should call instead.",
    &recent_changes::TOOL,
);
