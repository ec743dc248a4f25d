//! `ui_put_object`: the object browser's upload (drag and drop or the file picker), as an app-only
//! tool (`_meta.ui.visibility: ["app"]`, see [`crate::mcp::app`]). It is `put_object` under another
//! name: its arguments, rules and `apply`, so the same write queue, journal and audit trail. Hosts
//! that render apps hide it from the model; the view calls it through the host.

use super::{put_object, Tool};

pub use super::put_object::{parse, Args};
#[cfg(target_arch = "wasm32")]
pub use super::put_object::apply;

pub const TOOL: Tool = Tool::app_only(
    "ui_put_object",
    "Upload an object",
    "App-only: the object browser's upload (drag and drop or the file picker). Same arguments, limit (10 MiB), preconditions, write queue and audit trail as put_object, which models should call instead.",
    &put_object::TOOL,
);
