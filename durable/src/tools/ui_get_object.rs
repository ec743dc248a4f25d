//! `ui_get_object`: the object browser's preview (text, or an image as base64), as an app-only tool
//! (`_meta.ui.visibility: ["app"]`, see [`crate::mcp::app`]). It is `get_object` under another
//! name: its arguments, rules and `apply`. Hosts that render apps hide it from the model; the view
//! calls it through the host.

use super::{get_object, Tool};

pub use super::get_object::{parse, Args};
#[cfg(target_arch = "wasm32")]
pub use super::get_object::apply;

pub const TOOL: Tool = Tool::app_only(
    "ui_get_object",
    "Preview an object",
    "App-only: the object browser's preview of an object (text, or an image as base64). Same arguments, rules and result as get_object, which models should call instead.",
    &get_object::TOOL,
);
