//! `browse_objects`: one page of a folder — its subfolders and objects with size, type and
//! modification time — with the folder's breadcrumbs. Model-visible, and the tool of the object
//! browser app (MCP Apps, see [`crate::mcp::app`]): a host that renders apps shows the result in
//! the view, which calls this tool again to navigate and page. Its text content is a readable
//! listing on its own, for clients without apps. A read: straight to R2, like `list_objects`
//! (whose R2 listing it shares), always with the delimiter `/`.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{args, Annotations, Tool, ToolError, Ui};
use crate::storage::keys::KeyRules;

pub const TOOL: Tool = Tool {
    name: "browse_objects",
    title: "Browse objects",
    description: "Show one folder of your objects to the user: its subfolders and objects with size, type and modification time, a page at a time. Where the client renders MCP Apps this opens an interactive object browser (navigate, preview, upload, rename, copy, delete); elsewhere it returns a readable listing. `prefix` is a folder (`docs/`, or empty for the top) optionally followed by the start of names (`docs/rep`). Pass `next_cursor` back as `cursor` for the next page.",
    input_schema: r##"{
  "type": "object",
  "properties": {
    "prefix": { "type": "string", "description": "A folder ending in \"/\" (empty: the top), optionally followed by the start of the names to show." },
    "cursor": { "type": "string", "description": "`next_cursor` from the previous page." },
    "limit": { "type": "integer", "minimum": 1, "maximum": 1000, "description": "Entries per page (default 50, at most 1000)." }
  },
  "additionalProperties": false
}"##,
    output_schema: r##"{
  "type": "object",
  "properties": {
    "prefix": { "type": "string" },
    "folder": { "type": "string", "description": "The folder shown: `prefix` up to its last \"/\"." },
    "starts_with": { "type": "string", "description": "The rest of `prefix`: only names starting with it are shown." },
    "breadcrumbs": {
      "type": "array",
      "description": "The folders from the top (prefix \"\") down to `folder`.",
      "items": { "type": "object", "properties": { "name": { "type": "string" }, "prefix": { "type": "string" } }, "required": ["name", "prefix"] }
    },
    "folders": {
      "type": "array",
      "items": { "type": "object", "properties": { "name": { "type": "string" }, "prefix": { "type": "string" } }, "required": ["name", "prefix"] }
    },
    "objects": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "key": { "type": "string" },
          "name": { "type": "string", "description": "The key without the folder." },
          "size": { "type": "integer" },
          "etag": { "type": "string" },
          "uploaded": { "type": "string", "description": "RFC 3339 time of the last change." },
          "content_type": { "type": ["string", "null"] }
        },
        "required": ["key", "name", "size", "etag", "uploaded"]
      }
    },
    "next_cursor": { "type": ["string", "null"] },
    "limit": { "type": "integer" },
    "can_write": { "type": "boolean", "description": "Whether this account may change objects." }
  },
  "required": ["prefix", "folder", "starts_with", "breadcrumbs", "folders", "objects", "next_cursor", "limit", "can_write"]
}"##,
    annotations: Annotations::READ,
    ui: Ui::View,
};

/// Entries per page unless the call says otherwise.
pub const DEFAULT_LIMIT: u32 = 50;
/// Folders are `/`-delimited.
pub const DELIMITER: &str = "/";

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// In NFC, checked as a key prefix (may be empty).
    pub prefix: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 1000.
    pub limit: Option<u32>,
}

pub fn parse(args: Map<String, Value>, keys: &KeyRules) -> Result<Args, ToolError> {
    let mut a: Args = args::typed(TOOL.name, args)?;
    if let Some(p) = a.prefix.take() {
        a.prefix = Some(keys.prefix(p).map_err(|e| ToolError::Invalid(format!("Invalid prefix for browse_objects: {e}")))?);
    }
    args::limit(a.limit, 1000, TOOL.name)?;
    Ok(a)
}

/// The folder a prefix shows: up to and including its last `/` (`""`: the top).
pub fn folder_of(prefix: &str) -> &str {
    prefix.rfind('/').map_or("", |i| prefix.get(..=i).unwrap_or(""))
}

/// The breadcrumbs of a folder: the top, then each folder down to it.
pub fn breadcrumbs(folder: &str) -> Vec<Value> {
    let mut crumbs = vec![json!({ "name": "", "prefix": "" })];
    let mut end = 0;
    for part in folder.split_terminator('/') {
        end += part.len() + 1;
        crumbs.push(json!({ "name": part, "prefix": folder.get(..end).unwrap_or(folder) }));
    }
    crumbs
}

/// One page of a folder, as listed (keys and folder prefixes are the user's own).
#[derive(Clone, Debug, PartialEq)]
pub struct Listing {
    pub prefix: String,
    /// Full prefixes, each ending in `/`.
    pub folders: Vec<String>,
    /// `list_objects` entries: `key`, `size`, `etag`, `uploaded`, `content_type`.
    pub objects: Vec<Value>,
    pub next_cursor: Option<String>,
    pub limit: u32,
    pub can_write: bool,
}

impl Listing {
    /// The tool's `structuredContent`: the page and its folder context.
    pub fn structured(&self) -> Value {
        let folder = folder_of(&self.prefix);
        let name = |full: &str| full.get(folder.len()..).unwrap_or(full).to_owned();
        let folders: Vec<Value> = self
            .folders
            .iter()
            .map(|p| json!({ "name": name(p).trim_end_matches('/'), "prefix": p }))
            .collect();
        let objects: Vec<Value> = self
            .objects
            .iter()
            .map(|o| {
                let mut o = o.clone();
                let n = name(o["key"].as_str().unwrap_or_default());
                o["name"] = n.into();
                o
            })
            .collect();
        json!({
            "prefix": self.prefix,
            "folder": folder,
            "starts_with": self.prefix.get(folder.len()..).unwrap_or_default(),
            "breadcrumbs": breadcrumbs(folder),
            "folders": folders,
            "objects": objects,
            "next_cursor": self.next_cursor,
            "limit": self.limit,
            "can_write": self.can_write,
        })
    }

    /// The text content: the same page as a listing a model (or a person) reads without the app.
    pub fn text(&self) -> String {
        let folder = folder_of(&self.prefix);
        let starts = self.prefix.get(folder.len()..).unwrap_or_default();
        let place = if folder.is_empty() { "the top folder".to_owned() } else { format!("folder {folder:?}") };
        let only = if starts.is_empty() { String::new() } else { format!(", names starting with {starts:?}") };
        let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut out = if self.folders.is_empty() && self.objects.is_empty() {
            format!("Nothing in {place}{only}.")
        } else {
            format!(
                "{}{only}: {}, {}{}.",
                capitalized(&place),
                count(self.folders.len(), "folder", "folders"),
                count(self.objects.len(), "object", "objects"),
                if self.next_cursor.is_some() { " on this page" } else { "" }
            )
        };
        for f in &self.folders {
            out.push_str(&format!("\n{f}"));
        }
        for o in &self.objects {
            let key = o["key"].as_str().unwrap_or_default();
            let size = o["size"].as_u64().unwrap_or(0);
            let ct = o["content_type"].as_str().unwrap_or("unknown type");
            let at = o["uploaded"].as_str().unwrap_or_default();
            out.push_str(&format!("\n{key}  ({}, {ct}, modified {at})", human_size(size)));
        }
        if let Some(c) = &self.next_cursor {
            let next = json!({ "prefix": self.prefix, "cursor": c });
            out.push_str(&format!("\nMore on the next page: browse_objects {next}"));
        }
        out
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// A size for people: bytes, KiB, MiB or GiB with one decimal. (Integer arithmetic: formatting a
/// float would bring the float formatter into the wasm, about 10 KB for one decimal.)
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let (mut unit, mut i) = (1024u128, 0);
    while u128::from(bytes) >= unit * 1024 && i + 1 < UNITS.len() {
        unit *= 1024;
        i += 1;
    }
    let tenths = (u128::from(bytes) * 10 + unit / 2) / unit;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS.get(i).unwrap_or(&"GiB"))
}

#[cfg(target_arch = "wasm32")]
pub use glue::apply;

#[cfg(target_arch = "wasm32")]
mod glue {
    use super::{Args, Listing, DEFAULT_LIMIT, DELIMITER, TOOL};
    use crate::mcp::tool_result::structured_with_text;
    use crate::tools::list_objects;
    use crate::tools::r2::Io;
    use crate::tools::{Role, ToolOutcome};

    pub async fn apply(io: &Io<'_>, a: Args) -> ToolOutcome {
        let prefix = a.prefix.unwrap_or_default();
        let limit = a.limit.unwrap_or(DEFAULT_LIMIT);
        match list_objects::fetch(io, TOOL.name, &prefix, Some(DELIMITER), a.cursor, limit).await {
            Ok(page) => {
                let listing = Listing {
                    prefix,
                    folders: page.folders,
                    objects: page.objects,
                    next_cursor: page.next_cursor,
                    limit,
                    can_write: io.ctx.role == Role::Writer,
                };
                ToolOutcome::read(structured_with_text(listing.structured(), listing.text(), io.ctx.version))
            }
            Err(e) => ToolOutcome::error(e),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::tools::test_support::parsed;

    fn listing(prefix: &str) -> Listing {
        Listing {
            prefix: prefix.into(),
            folders: vec!["docs/reports/".into()],
            objects: vec![json!({
                "key": "docs/a.md", "size": 1536, "etag": "e1", "uploaded": "2026-12-01T10:00:00.000Z",
                "content_type": "text/markdown",
            })],
            next_cursor: Some("c2".into()),
            limit: 50,
            can_write: true,
        }
    }

    #[test]
    fn the_folder_is_the_prefix_up_to_its_last_slash() {
        assert_eq!(folder_of(""), "");
        assert_eq!(folder_of("rep"), "");
        assert_eq!(folder_of("docs/"), "docs/");
        assert_eq!(folder_of("docs/sub/re"), "docs/sub/");
    }

    #[test]
    fn breadcrumbs_go_from_the_top_down_to_the_folder() {
        assert_eq!(breadcrumbs(""), vec![json!({"name": "", "prefix": ""})]);
        let c = breadcrumbs("docs/sub/");
        let prefixes: Vec<&str> = c.iter().map(|c| c["prefix"].as_str().unwrap()).collect();
        assert_eq!(prefixes, ["", "docs/", "docs/sub/"]);
        assert_eq!(c[2]["name"], "sub");
        assert_eq!(breadcrumbs("a//")[2], json!({"name": "", "prefix": "a//"}), "an empty segment is a folder too");
    }

    #[test]
    fn structured_content_names_entries_within_their_folder() {
        let s = listing("docs/").structured();
        assert_eq!(s["folder"], "docs/");
        assert_eq!(s["starts_with"], "");
        assert_eq!(s["folders"][0], json!({"name": "reports", "prefix": "docs/reports/"}));
        assert_eq!(s["objects"][0]["name"], "a.md");
        assert_eq!(s["objects"][0]["key"], "docs/a.md");
        assert_eq!(s["next_cursor"], "c2");
        assert_eq!(s["can_write"], true);
        let s = listing("docs/a").structured();
        assert_eq!((s["folder"].as_str(), s["starts_with"].as_str()), (Some("docs/"), Some("a")));
    }

    #[test]
    fn the_text_is_a_listing_with_full_keys_and_the_next_call() {
        let t = listing("docs/").text();
        assert!(t.starts_with("Folder \"docs/\": 1 folder, 1 object on this page."), "{t}");
        assert!(t.contains("\ndocs/reports/"), "{t}");
        assert!(t.contains("\ndocs/a.md  (1.5 KiB, text/markdown, modified 2026-12-01T10:00:00.000Z)"), "{t}");
        assert!(t.ends_with(r#"browse_objects {"cursor":"c2","prefix":"docs/"}"#), "{t}");
        let empty = Listing { folders: vec![], objects: vec![], next_cursor: None, ..listing("x/y") };
        assert_eq!(empty.text(), "Nothing in folder \"x/\", names starting with \"y\".");
        let top = Listing { folders: vec!["a/".into()], objects: vec![], next_cursor: None, ..listing("") };
        assert_eq!(top.text(), "The top folder: 1 folder, 0 objects.\na/");
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(10 * 1024 * 1024), "10.0 MiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024 * 1024), "5120.0 GiB");
        assert_eq!(human_size(1024 + 51), "1.0 KiB");
        assert_eq!(human_size(1024 + 52), "1.1 KiB");
        assert_eq!(human_size(u64::MAX), "17179869184.0 GiB");
    }

    #[test]
    fn arguments_are_checked_like_list_objects() {
        assert_eq!(parsed(parse, json!({"prefix": "cafe\u{301}/"})).unwrap().prefix.as_deref(), Some("caf\u{e9}/"));
        assert!(parsed(parse, json!({"prefix": "../"})).unwrap_err().starts_with("Invalid prefix for browse_objects"));
        assert!(parsed(parse, json!({"limit": 1001})).is_err());
        assert!(parsed(parse, json!({"delimiter": "/"})).unwrap_err().contains("delimiter"), "the delimiter is always /");
    }
}
