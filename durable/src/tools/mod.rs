//! The R2 tools: one file per tool, and the registry that lists them — the shape of mini-redis's
//! `src/cmd/`: a tool's arguments, rules and execution live together; the dispatcher is a table.
//!
//! # One file per tool
//! Each `<tool>.rs` holds everything about its tool, pure parts first:
//! - `TOOL`: the [`Tool`] descriptor `tools/list` serves — name, title, description, input and
//!   output JSON Schemas (JSON text, parsed when listed) and annotations; a tool writes unless it
//!   is annotated `readOnlyHint`, and readers neither see nor call the tools that write;
//! - `Args` and `parse`: the arguments as typed, validated values. Keys and prefixes go through
//!   [`KeyRules`] (Unicode NFC, then `storage::keys`' checks) here, once; nothing downstream checks
//!   them again;
//! - `apply`, last, in a `glue` module compiled for wasm32 only: what the tool does to R2 and the
//!   result it returns. It reaches R2 through `r2` (the per-call `Io` and the R2 calls the tools
//!   share), and a write changes R2 only inside [`journal`]'s journaled write.
//!
//! So the pure parts compile and are tested natively (`cargo test`), and the glue stays thin.
//! `move_object` is `copy_object` followed by the source's deletion: it has its own descriptor
//! and reuses `copy_object`'s arguments, rules and `apply`.
//!
//! # The object browser's tools (MCP Apps)
//! `browse_objects` is model-visible; its result renders as the object browser where the host
//! supports apps ([`crate::mcp::app`]). The browser's actions are the app-only `ui_*` tools
//! (`_meta.ui.visibility: ["app"]`), each the twin of a model tool ([`Tool::app_only`]): its own
//! name and description, the model tool's `Args`, `parse` and `apply`, so an action from the view
//! goes through the same key rules, preconditions, write queue and audit trail as the model's call.
//! They are listed to every client (the spec asks servers to list them; hosts hide them from the
//! model) and, being writes where their twins are, hidden from and refused to readers alike.
//!
//! **Adding a tool**: write its file, and add one line to the `registry!` list below (it declares
//! the module, its [`Request`] variant, its [`REGISTRY`] entry and its `apply` arm).
//!
//! # Files
//! | file | owns |
//! |---|---|
//! | `mod.rs` | the registry ([`REGISTRY`], [`Request`]), [`Tool`], [`Role`], `tools/list`, how a call runs |
//! | [`args`] | argument rules several tools share: typed arguments, key fields, `if_none_match`, limits |
//! | [`error`] | [`ToolError`]: every way a tool call fails, and the one place its message is written |
//! | `list_objects.rs` … `create_upload_link.rs` | one tool each |
//! | `links.rs` (wasm32) | minting a transfer link, for the two link tools |
//! | `browse_objects.rs` | the object browser's listing: one folder page with its breadcrumbs |
//! | `ui_get_object.rs` … `ui_changes.rs` | the object browser's app-only twins of the model tools |
//! | [`journal`] | the journaled write (intent → R2 → audit) and the audit trail: rules in `mod.rs`, SQLite in `sqlite.rs` |
//! | `r2.rs` (wasm32) | the per-call context (`ToolContext`, `Io`) and the R2 calls the tools share |
//!
//! # How a call runs
//! The engine ([`crate::mcp::dispatch`]) finds the tool by name ([`find`]), refuses a write tool
//! to a reader, and parses the arguments ([`Entry::parse`]) into a [`Request`], or answers the
//! parse error as an `isError` result. The object's glue (`object::r2tools`) then runs the request
//! (`Request::run`): reads at once; writes one at a time in the user's write queue, after any
//! write a dead runtime interrupted has been settled (`journal::write_turn`).

pub mod args;
pub mod error;
pub mod journal;
#[cfg(target_arch = "wasm32")]
pub mod links;
#[cfg(target_arch = "wasm32")]
pub mod r2;

use serde_json::{json, Map, Value};

pub use crate::mcp::app::Ui;
use crate::mcp::version::Version;
use crate::storage::keys::KeyRules;
pub use error::ToolError;

/// Declares the tools, one line each: the [`Request`] variant and the module of the tool, which
/// provides `TOOL`, `Args`, `parse` and (wasm32) `apply`. The order is `tools/list`'s.
macro_rules! registry {
    ($($variant:ident => $module:ident,)*) => {
        $(pub mod $module;)*

        /// A validated call of one tool: which tool, with its parsed arguments.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Request {
            $($variant($module::Args),)*
        }

        /// Every tool, in the order `tools/list` shows them.
        pub static REGISTRY: &[Entry] = &[
            $(Entry { tool: &$module::TOOL, parse: |a, k| $module::parse(a, k).map(Request::$variant) },)*
        ];

        impl Request {
            /// The tool this request calls.
            pub fn tool(&self) -> &'static Tool {
                match self {
                    $(Request::$variant(_) => &$module::TOOL,)*
                }
            }

            #[cfg(target_arch = "wasm32")]
            async fn apply(self, io: &r2::Io<'_>) -> ToolOutcome {
                match self {
                    $(Request::$variant(a) => $module::apply(io, a).await,)*
                }
            }
        }
    };
}

registry! {
    ListObjects => list_objects,
    GetObject => get_object,
    HeadObject => head_object,
    PutObject => put_object,
    DeleteObject => delete_object,
    CopyObject => copy_object,
    MoveObject => move_object,
    RecentChanges => recent_changes,
    CreateDownloadLink => create_download_link,
    CreateUploadLink => create_upload_link,
    BrowseObjects => browse_objects,
    UiGetObject => ui_get_object,
    UiPutObject => ui_put_object,
    UiCopyObject => ui_copy_object,
    UiMoveObject => ui_move_object,
    UiDeleteObject => ui_delete_object,
    UiChanges => ui_changes,
}

/// A tool as `tools/list` describes it (server/tools §Tool, 2025-06-18+).
#[derive(Debug)]
pub struct Tool {
    /// Short and stable: Portals list tools as `{server}_{tool}`, aliases up to 40 characters.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The JSON Schema of `arguments`, as JSON text.
    pub input_schema: &'static str,
    /// The JSON Schema of `structuredContent`, as JSON text.
    pub output_schema: &'static str,
    pub annotations: Annotations,
    /// How the tool relates to the object browser app (its `_meta.ui`, MCP Apps).
    pub ui: Ui,
}

/// The behaviour hints of a tool (`annotations`).
#[derive(Clone, Copy, Debug)]
pub struct Annotations {
    /// `readOnlyHint`: the tool changes nothing (else it is a write tool).
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

impl Annotations {
    /// A read: changes nothing.
    pub const READ: Annotations = Annotations { read_only: true, destructive: false, idempotent: true, open_world: false };
    /// A write that may replace or remove what is there; repeating it changes nothing more.
    pub const OVERWRITE: Annotations = Annotations { read_only: false, destructive: true, idempotent: true, open_world: false };
}

impl Tool {
    /// The app-only twin of a model tool (the object browser's actions, see [`crate::mcp::app`]):
    /// its own name, title and description; `of`'s schemas and annotations, as it takes `of`'s
    /// arguments and runs `of`'s `apply`.
    pub const fn app_only(name: &'static str, title: &'static str, description: &'static str, of: &Tool) -> Tool {
        Tool {
            name,
            title,
            description,
            input_schema: of.input_schema,
            output_schema: of.output_schema,
            annotations: of.annotations,
            ui: Ui::AppOnly,
        }
    }

    /// Whether the tool changes objects (hidden from and refused to readers).
    pub fn writes(&self) -> bool {
        !self.annotations.read_only
    }

    pub fn allowed_for(&self, role: Role) -> bool {
        role == Role::Writer || !self.writes()
    }

    /// The definition served by `tools/list`, shaped for `version`: `title` and `outputSchema`
    /// only from 2025-06-18, as they did not exist before. A schema that is not JSON fails the
    /// unit tests.
    pub fn definition(&self, version: Version) -> Value {
        let schema = |text: &str| serde_json::from_str::<Value>(text).unwrap_or_default();
        let a = &self.annotations;
        let mut d = Map::new();
        d.insert("name".into(), self.name.into());
        if version.has_structured_content() {
            d.insert("title".into(), self.title.into());
        }
        d.insert("description".into(), self.description.into());
        d.insert("inputSchema".into(), schema(self.input_schema));
        if version.has_structured_content() {
            d.insert("outputSchema".into(), schema(self.output_schema));
        }
        let hints = json!({
            "readOnlyHint": a.read_only,
            "destructiveHint": a.destructive,
            "idempotentHint": a.idempotent,
            "openWorldHint": a.open_world,
        });
        d.insert("annotations".into(), hints);
        if let Some(meta) = self.ui.tool_meta() {
            d.insert("_meta".into(), meta);
        }
        Value::Object(d)
    }
}

/// One line of the registry: a tool, and how its arguments become a [`Request`].
pub struct Entry {
    pub tool: &'static Tool,
    parse: fn(Map<String, Value>, &KeyRules) -> Result<Request, ToolError>,
}

impl Entry {
    /// Parses and validates a call's `arguments` (absent means `{}`); keys and prefixes come back
    /// in NFC. `Err` is a precise message for an `isError: true` result (server/tools §Error
    /// Handling: bad arguments are a tool error, 2025-11-25).
    pub fn parse(&self, arguments: Option<Map<String, Value>>, keys: &KeyRules) -> Result<Request, ToolError> {
        (self.parse)(arguments.unwrap_or_default(), keys)
    }
}

/// The tool of this name.
pub fn find(name: &str) -> Option<&'static Entry> {
    REGISTRY.iter().find(|e| e.tool.name == name)
}

/// Who is calling: readers see and call only the read tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    ReadOnly,
    Writer,
}

/// The tool definitions this role may see, shaped for `version`, in registry order.
pub fn list_for(role: Role, version: Version) -> Vec<Value> {
    REGISTRY.iter().filter(|e| e.tool.allowed_for(role)).map(|e| e.tool.definition(version)).collect()
}

/// The answer a reader gets when calling a write tool.
pub fn read_only_refusal(tool: &Tool) -> Value {
    ToolError::ReadOnly(tool.name).into_result()
}

/// What a change did to an object (the host turns these into resource notifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// One applied change to one key (the user-visible key, without the namespace prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub key: String,
    pub kind: ChangeKind,
}

impl Change {
    /// `key` was written over `before` (its etag before; `None`: it did not exist).
    pub fn written(key: &str, before: Option<&str>) -> Self {
        let kind = if before.is_some() { ChangeKind::Updated } else { ChangeKind::Created };
        Change { key: key.to_owned(), kind }
    }

    pub fn deleted(key: &str) -> Self {
        Change { key: key.to_owned(), kind: ChangeKind::Deleted }
    }
}

/// A tool's answer: the full `CallToolResult` JSON (content + structuredContent, or isError) and
/// the changes it applied (none for reads, and for refused or failed writes).
pub struct ToolOutcome {
    pub result: Value,
    pub changes: Vec<Change>,
}

impl ToolOutcome {
    /// A tool error that changed nothing.
    pub fn error(e: ToolError) -> Self {
        ToolOutcome { result: e.into_result(), changes: Vec::new() }
    }

    /// A result that changed nothing.
    pub fn read(result: Value) -> Self {
        ToolOutcome { result, changes: Vec::new() }
    }
}

#[cfg(target_arch = "wasm32")]
impl Request {
    /// Runs the call. Reads go straight to R2. Writes wait for their turn in the user's write
    /// queue, so they are applied one at a time in arrival order; a request cancelled while it
    /// waited stops there, and a write a dead runtime interrupted is settled first (see
    /// [`journal`]).
    pub async fn run(self, io: &r2::Io<'_>) -> ToolOutcome {
        // For a write, nothing else of this user's is written until `_turn` is dropped, after it.
        let _turn = if self.tool().writes() {
            match journal::write_turn(io).await {
                Ok(t) => Some(t),
                Err(e) => return ToolOutcome::error(e),
            }
        } else {
            None
        };
        self.apply(io).await
    }
}

/// Helpers for the tools' native tests.
#[cfg(test)]
pub(crate) mod test_support {
    use serde_json::{Map, Value};

    use crate::storage::keys::KeyRules;

    /// NFC as the runtime's `String.prototype.normalize("NFC")` does it.
    pub fn nfc(s: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        s.nfc().collect()
    }

    /// The key rules of a namespace whose prefix is empty.
    pub fn keys() -> KeyRules {
        KeyRules { prefix_len: 0, nfc }
    }

    /// A JSON object's map (`{}` for anything else).
    pub fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    /// A tool's `parse` of these arguments, under [`keys`]; the error as its message.
    pub fn parsed<T>(parse: fn(Map<String, Value>, &KeyRules) -> Result<T, super::ToolError>, v: Value) -> Result<T, String> {
        parse(args(v), &keys()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::test_support::{args, keys, nfc};
    use super::*;
    use serde_json::json;

    fn parse(name: &str, a: Value) -> Result<Request, String> {
        find(name).unwrap().parse(Some(args(a)), &keys()).map_err(|e| e.to_string())
    }

    #[test]
    fn every_definition_has_the_fields_clients_require() {
        let defs = list_for(Role::Writer, Version::V2025_11_25);
        assert_eq!(defs.len(), REGISTRY.len());
        for (d, e) in defs.iter().zip(REGISTRY) {
            let t = e.tool;
            assert_eq!(d["name"], t.name);
            assert!(d["title"].is_string() && d["description"].as_str().is_some_and(|s| s.len() > 20));
            assert_eq!(d["inputSchema"]["type"], "object");
            assert_eq!(d["outputSchema"]["type"], "object");
            let a = &d["annotations"];
            assert_eq!(a["readOnlyHint"], !t.writes(), "{}", t.name);
            for hint in ["destructiveHint", "idempotentHint", "openWorldHint"] {
                assert!(a[hint].is_boolean());
            }
        }
    }

    #[test]
    fn every_schema_is_json_and_every_name_is_unique() {
        for e in REGISTRY {
            for text in [e.tool.input_schema, e.tool.output_schema] {
                assert!(serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object()), "{}", e.tool.name);
            }
            assert!(std::ptr::eq(find(e.tool.name).unwrap(), e));
        }
        assert!(find("nope").is_none());
    }

    #[test]
    fn names_are_short_for_portal_prefixes() {
        // Portals list tools as `{server}_{tool}` with aliases up to 40 chars: at most 20 here
        // (`create_download_link`, the name issue #16 gives it) leaves 19 for the server's name.
        assert!(REGISTRY.iter().all(|e| e.tool.name.len() <= 20));
    }

    #[test]
    fn read_only_role_sees_only_read_tools() {
        let names: Vec<String> =
            list_for(Role::ReadOnly, Version::V2025_11_25).iter().filter_map(|d| d["name"].as_str().map(String::from)).collect();
        assert_eq!(
            names,
            [
                "list_objects",
                "get_object",
                "head_object",
                "recent_changes",
                "create_download_link",
                "browse_objects",
                "ui_get_object",
                "ui_changes"
            ]
        );
        assert_eq!(list_for(Role::Writer, Version::V2025_11_25).len(), 17);
    }

    #[test]
    fn browse_objects_renders_in_the_app_and_the_ui_tools_are_app_only_twins() {
        for version in [Version::V2025_03_26, Version::V2025_11_25, Version::V2026_07_28] {
            let defs = list_for(Role::Writer, version);
            let def = |name: &str| defs.iter().find(|d| d["name"] == name).unwrap().clone();
            let browse = def("browse_objects");
            assert_eq!(browse["_meta"]["ui"]["resourceUri"], crate::mcp::app::VIEW_URI);
            assert_eq!(browse["_meta"]["ui/resourceUri"], crate::mcp::app::VIEW_URI);
            assert_eq!(browse["annotations"]["readOnlyHint"], true);
            for (twin, of) in [
                ("ui_get_object", "get_object"),
                ("ui_put_object", "put_object"),
                ("ui_copy_object", "copy_object"),
                ("ui_move_object", "move_object"),
                ("ui_delete_object", "delete_object"),
                ("ui_changes", "recent_changes"),
            ] {
                let (t, o) = (def(twin), def(of));
                assert_eq!(t["_meta"]["ui"]["visibility"], json!(["app"]), "{twin}");
                assert_eq!((&t["inputSchema"], &t["annotations"]), (&o["inputSchema"], &o["annotations"]), "{twin}");
                assert!(o.get("_meta").is_none(), "{of} is a plain model tool");
                assert!(t["description"].as_str().unwrap().contains(of), "{twin} names its twin");
            }
        }
    }

    #[test]
    fn an_app_only_twin_parses_as_its_model_tool_does() {
        match parse("ui_put_object", json!({"key": "cafe\u{301}.txt", "content": "x", "if_none_match": "*"})) {
            Ok(Request::UiPutObject(p)) => assert!(p.key == "caf\u{e9}.txt" && p.create_only),
            other => panic!("{other:?}"),
        }
        assert!(parse("ui_move_object", json!({"source_key": "a", "destination_key": "a"})).unwrap_err().contains("same object"));
        assert!(parse("ui_delete_object", json!({"key": "../x"})).unwrap_err().starts_with("Invalid key"));
        for name in ["ui_put_object", "ui_copy_object", "ui_move_object", "ui_delete_object"] {
            assert!(find(name).unwrap().tool.writes(), "{name}");
        }
    }

    #[test]
    fn revision_2025_03_26_gets_no_title_or_output_schema() {
        let d = &list_for(Role::Writer, Version::V2025_03_26)[0];
        assert!(d.get("outputSchema").is_none() && d.get("title").is_none());
    }

    #[test]
    fn write_tool_refusal_is_a_tool_error() {
        let r = read_only_refusal(&put_object::TOOL);
        assert_eq!(r["isError"], true);
        assert!(r["content"][0]["text"].as_str().unwrap().contains("read-only"));
    }

    #[test]
    fn a_request_knows_its_tool() {
        for (name, a) in [("head_object", json!({"key": "k"})), ("move_object", json!({"source_key": "a", "destination_key": "b"}))] {
            assert_eq!(parse(name, a).unwrap().tool().name, name);
        }
    }

    #[test]
    fn keys_and_prefixes_come_back_in_nfc_and_ascii_never_reaches_the_normalizer() {
        fn refuse(_: &str) -> String {
            panic!("ASCII and Latin-1 text is already NFC: the normalizer must not be called")
        }
        match parse("head_object", json!({"key": "cafe\u{301}/x"})) {
            Ok(Request::HeadObject(h)) => assert_eq!(h.key, "caf\u{e9}/x"),
            other => panic!("{other:?}"),
        }
        match parse("list_objects", json!({"prefix": "A\u{30a}/"})) {
            Ok(Request::ListObjects(l)) => assert_eq!(l.prefix.as_deref(), Some("\u{c5}/")),
            other => panic!("{other:?}"),
        }
        match parse("delete_object", json!({"keys": ["a", "caf\u{e9}", "cafe\u{301}"]})) {
            Ok(Request::DeleteObject(d)) => assert_eq!(d.keys, vec!["a", "caf\u{e9}"], "one object, deleted once"),
            other => panic!("{other:?}"),
        }
        let ascii = KeyRules { prefix_len: 0, nfc: refuse };
        assert!(find("get_object").unwrap().parse(Some(args(json!({"key": "plain/caf\u{e9}.txt"}))), &ascii).is_ok());
        assert_eq!(nfc("e\u{301}"), "\u{e9}");
    }

    #[test]
    fn look_alike_keys_are_refused_when_parsed() {
        // The storage layer's rules apply once, at parse time, with the namespace's prefix length.
        for (name, a) in [
            ("get_object", json!({"key": "\u{FF0E}\u{FF0E}/x"})),
            ("put_object", json!({"key": "\u{2215}abs", "content": "x"})),
            ("list_objects", json!({"prefix": "\u{FF0E}\u{FF0E}/"})),
            ("delete_object", json!({"keys": ["a", "%c0%ae%c0%ae/x"]})),
            ("copy_object", json!({"source_key": "a", "destination_key": "\u{FF0F}b"})),
        ] {
            let e = parse(name, a).unwrap_err();
            assert!(e.starts_with("Invalid ") && e.contains(name), "{e}");
        }
    }
}
