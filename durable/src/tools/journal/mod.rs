//! The journal of a user's object writes: the write-ahead intent and the audit trail, as rules
//! (this file, plain Rust) and their SQLite glue (`sqlite.rs`, wasm32). Tables in `durable/SCHEMA.md`.
//!
//! # The journaled write
//! Every write tool (`put_object`, `delete_object`, `copy_object`, `move_object`), and the completion
//! of an upload through a transfer link (`upload`), changes R2 through one routine, `sqlite::write`,
//! inside its turn of the user's write queue:
//! 1. **intent**: what the write is about to do (operation, keys, the etag before) is stored in
//!    `r2_intent` and synced to disk before R2 is touched;
//! 2. **R2**: the mutation itself, conditional on the etag the write planned on;
//! 3. **audit**: once R2 confirmed it, the `r2_audit` row is inserted and the intent removed in the
//!    same SQLite transaction. A write R2 refused (its precondition) drops its intent and records
//!    nothing; a failed one (R2 error, rate limit after retries) keeps it.
//!
//! A runtime that dies between R2's confirmation and the audit insert would otherwise leave a
//! write in the bucket that the audit trail never names, and the next write's `etag_before` would
//! not be the trail's last `etag_after`. At most one intent exists (writes are serialized), and
//! the next queue turn settles a leftover one by looking at R2: [`settle`] decides, from what R2
//! shows now, whether the interrupted write was applied and what to record.
//!
//! The decision relies on the object being this user's single writer (every change to the
//! namespace goes through the queue). A put that rewrote identical bytes keeps R2's content etag,
//! so it is indistinguishable from one that never ran and is recorded as not applied: the object's
//! content is the same either way.
//!
//! # The audit trail
//! One [`Record`] per applied mutation (never for a refused or failed one), its JSON form in
//! `recent_changes`, that tool's cursor, and how long records are kept. Transfer links are in it
//! too, as records that change no object (`sqlite::note`): a link's creation (`download_link`,
//! `upload_link`) and a download through one (`download`); an upload through one is the write
//! `upload`. Each names its link (`link`: the link's id, which is not a secret), so a use can be
//! traced to the call that made the link.

#[cfg(target_arch = "wasm32")]
pub mod sqlite;
#[cfg(target_arch = "wasm32")]
pub use sqlite::{settled, write, write_linked, write_turn, Applied, Attempt};

use base64::Engine;
use serde_json::{json, Value};

use crate::storage::time::rfc3339;
use crate::tools::ToolError;

/// Records are kept this long (30 days)…
pub const MAX_AGE_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// …and at most this many per user (the newest win).
pub const MAX_ROWS: i64 = 10_000;
/// Rows deleted per alarm run at most; the alarm asks to run again while more remain.
pub const TRIM_BATCH: i64 = 5_000;
/// Default `recent_changes` page size.
pub const DEFAULT_PAGE: u32 = 50;

/// The operations recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Put,
    Delete,
    Copy,
    Move,
    /// An upload through a transfer link, applied (a write, journaled like `put`).
    Upload,
    /// A transfer link was created (changes no object).
    DownloadLink,
    UploadLink,
    /// A download link was used (changes no object).
    Download,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Put => "put",
            Operation::Delete => "delete",
            Operation::Copy => "copy",
            Operation::Move => "move",
            Operation::Upload => "upload",
            Operation::DownloadLink => "download_link",
            Operation::UploadLink => "upload_link",
            Operation::Download => "download",
        }
    }

    /// The inverse of [`Operation::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Put, Self::Delete, Self::Copy, Self::Move, Self::Upload, Self::DownloadLink, Self::UploadLink, Self::Download]
            .into_iter()
            .find(|o| o.as_str() == s)
    }

    /// Whether it changes objects (only those are ever an intent).
    pub fn writes(self) -> bool {
        matches!(self, Self::Put | Self::Delete | Self::Copy | Self::Move | Self::Upload)
    }
}

/// One applied mutation. `keys` are user keys (never the namespace prefix); for copy and move
/// `[source, destination]`, and the etags are the destination's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Position in the trail (SQLite `seq`, increasing in applied order).
    pub seq: i64,
    pub at_ms: i64,
    pub session: Option<String>,
    pub client: Option<String>,
    pub operation: String,
    pub keys: Vec<String>,
    pub etag_before: Option<String>,
    pub etag_after: Option<String>,
    /// The transfer link this record is about (its id), if any.
    pub link: Option<String>,
}

impl Record {
    /// The `recent_changes` item.
    pub fn to_json(&self) -> Value {
        json!({
            "seq": self.seq,
            "time": rfc3339(self.at_ms),
            "session": self.session,
            "client": self.client,
            "operation": self.operation,
            "keys": self.keys,
            "etag_before": self.etag_before,
            "etag_after": self.etag_after,
            "link": self.link,
        })
    }
}

/// Client names are clipped before they are stored.
pub fn clip_client(name: Option<&str>) -> Option<String> {
    name.map(|n| n.chars().filter(|c| !c.is_control()).take(128).collect())
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `recent_changes` cursor: the `seq` to continue below, opaque to clients.
pub fn encode_cursor(before_seq: i64) -> String {
    B64.encode(format!("audit:{before_seq}"))
}

/// Decodes a cursor we issued; anything else is a precise tool error.
pub fn decode_cursor(s: &str) -> Result<i64, ToolError> {
    let bad = || ToolError::Invalid("Invalid cursor for recent_changes: pass next_cursor from the previous page".into());
    let text = B64.decode(s.trim()).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
    text.strip_prefix("audit:").and_then(|n| n.parse::<i64>().ok()).filter(|n| *n > 0).ok_or_else(bad)
}

/// Where a `recent_changes` page starts: below the cursor's `seq`, or (no cursor) past any `seq`
/// and still exact as a JS number.
pub fn page_start(cursor: Option<&str>) -> Result<i64, ToolError> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok((1_i64 << 53) - 1),
        Some(c) => decode_cursor(c),
    }
}

/// One page: `rows` were fetched with `LIMIT page + 1`; returns the page and the next cursor.
pub fn page(mut rows: Vec<Record>, page: usize) -> (Vec<Record>, Option<String>) {
    let more = rows.len() > page;
    rows.truncate(page);
    let next = if more { rows.last().map(|r| encode_cursor(r.seq)) } else { None };
    (rows, next)
}

/// The oldest time kept at `now_ms`.
pub fn cutoff(now_ms: i64) -> i64 {
    now_ms - MAX_AGE_MS
}

/// An interrupted write, as stored in `r2_intent`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub op: Operation,
    /// User keys: `[key]` for put, the existing keys for delete, `[source, destination]` for
    /// copy and move.
    pub keys: Vec<String>,
    /// The destination's etag before (put, copy, move), or the single deleted key's.
    pub etag_before: Option<String>,
}

/// What R2 shows now for an intent's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Put, copy, move: the destination's etag now (`None`: absent) and, for move, whether the
    /// source still exists.
    Destination { etag: Option<String>, source_exists: bool },
    /// Delete: for each of the intent's keys in order, whether it still exists.
    Remaining(Vec<bool>),
}

/// The audit record an interrupted write leaves, when it was applied (in whole or part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settled {
    pub op: Operation,
    pub keys: Vec<String>,
    pub etag_before: Option<String>,
    pub etag_after: Option<String>,
}

/// Which keys R2 must be asked about, in order: the destination of a put or copy; a move's
/// source and destination; every key of a delete.
pub fn keys_to_check(intent: &Intent) -> Vec<&str> {
    match intent.op {
        Operation::Delete | Operation::Move => intent.keys.iter().map(String::as_str).collect(),
        Operation::Put | Operation::Copy | Operation::Upload => intent.keys.last().map(String::as_str).into_iter().collect(),
        Operation::DownloadLink | Operation::UploadLink | Operation::Download => Vec::new(),
    }
}

/// Decides what an interrupted write did. `None`: nothing of it reached R2, record nothing.
pub fn settle(intent: &Intent, observed: &Observed) -> Option<Settled> {
    match (intent.op, observed) {
        (Operation::Delete, Observed::Remaining(still)) => {
            let gone: Vec<String> = intent
                .keys
                .iter()
                .zip(still.iter().chain(std::iter::repeat(&true)))
                .filter(|(_, exists)| !**exists)
                .map(|(k, _)| k.clone())
                .collect();
            if gone.is_empty() {
                return None;
            }
            let before = if gone.len() == 1 && intent.keys.len() == 1 { intent.etag_before.clone() } else { None };
            Some(Settled { op: Operation::Delete, keys: gone, etag_before: before, etag_after: None })
        }
        (op, Observed::Destination { etag, source_exists }) if op != Operation::Delete && op.writes() => {
            // Applied iff the destination now holds an object other than the one before it. An
            // absent destination cannot be this write's doing.
            let after = etag.as_ref()?;
            if intent.etag_before.as_ref() == Some(after) {
                return None;
            }
            // A move whose source still exists stopped after its copy: record what happened.
            let op = if op == Operation::Move && *source_exists { Operation::Copy } else { op };
            Some(Settled { op, keys: intent.keys.clone(), etag_before: intent.etag_before.clone(), etag_after: Some(after.clone()) })
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    fn rec(seq: i64) -> Record {
        Record {
            seq,
            at_ms: 0,
            session: Some("s".into()),
            client: None,
            operation: "put".into(),
            keys: vec!["k".into()],
            etag_before: None,
            etag_after: Some("e".into()),
            link: None,
        }
    }

    #[test]
    fn operations_round_trip_through_their_names() {
        for op in [
            Operation::Put,
            Operation::Delete,
            Operation::Copy,
            Operation::Move,
            Operation::Upload,
            Operation::DownloadLink,
            Operation::UploadLink,
            Operation::Download,
        ] {
            assert_eq!(Operation::parse(op.as_str()), Some(op));
        }
        assert_eq!(Operation::parse("PUT"), None);
        assert!(Operation::Upload.writes() && !Operation::Download.writes() && !Operation::UploadLink.writes());
    }

    #[test]
    fn an_interrupted_upload_settles_like_a_put() {
        let i = intent(Operation::Upload, &["a"], None);
        assert_eq!(keys_to_check(&i), vec!["a"]);
        let s = settle(&i, &dest(Some("e-3"), false)).unwrap();
        assert_eq!((s.op, s.etag_after.as_deref()), (Operation::Upload, Some("e-3")));
        assert_eq!(settle(&i, &dest(None, false)), None);
        assert_eq!(settle(&intent(Operation::Download, &["a"], None), &dest(Some("e"), false)), None);
    }

    #[test]
    fn record_json_matches_the_output_schema_fields() {
        let v = rec(7).to_json();
        for f in ["time", "session", "client", "operation", "keys", "etag_before", "etag_after", "link"] {
            assert!(v.get(f).is_some(), "{f}");
        }
        assert_eq!(v["time"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["seq"], 7);
    }

    #[test]
    fn cursors_round_trip_and_reject_foreign_text() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        for bad in ["", "xyz", &B64.encode("audit:-1"), &B64.encode("u:5")] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_first_page_starts_past_every_seq() {
        assert_eq!(page_start(None).unwrap(), (1 << 53) - 1);
        assert_eq!(page_start(Some("")).unwrap(), (1 << 53) - 1);
        assert_eq!(page_start(Some(&encode_cursor(9))).unwrap(), 9);
        assert!(page_start(Some("xyz")).is_err());
    }

    #[test]
    fn pages_say_where_to_continue() {
        let (p, next) = page((1..=4).rev().map(rec).collect(), 3);
        assert_eq!(p.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 3, 2]);
        assert_eq!(decode_cursor(&next.unwrap()).unwrap(), 2);
        let (p, next) = page(vec![rec(1)], 3);
        assert_eq!((p.len(), next), (1, None));
    }

    #[test]
    fn client_names_are_clipped_and_cleaned() {
        assert_eq!(clip_client(Some("a\nb")), Some("ab".into()));
        assert_eq!(clip_client(Some(&"x".repeat(500))).unwrap().len(), 128);
    }

    fn intent(op: Operation, keys: &[&str], before: Option<&str>) -> Intent {
        Intent { op, keys: keys.iter().map(|k| k.to_string()).collect(), etag_before: before.map(str::to_string) }
    }

    fn dest(etag: Option<&str>, source_exists: bool) -> Observed {
        Observed::Destination { etag: etag.map(str::to_string), source_exists }
    }

    #[test]
    fn a_put_is_applied_when_the_etag_moved_on() {
        let i = intent(Operation::Put, &["a"], Some("e1"));
        let s = settle(&i, &dest(Some("e2"), false)).unwrap();
        assert_eq!(s.op, Operation::Put);
        assert_eq!(s.keys, vec!["a"]);
        assert_eq!(s.etag_before.as_deref(), Some("e1"));
        assert_eq!(s.etag_after.as_deref(), Some("e2"));
    }

    #[test]
    fn a_put_that_never_ran_records_nothing() {
        assert_eq!(settle(&intent(Operation::Put, &["a"], Some("e1")), &dest(Some("e1"), false)), None);
        assert_eq!(settle(&intent(Operation::Put, &["a"], None), &dest(None, false)), None);
    }

    #[test]
    fn a_create_is_applied_when_the_key_now_exists() {
        let s = settle(&intent(Operation::Put, &["a"], None), &dest(Some("e9"), false)).unwrap();
        assert_eq!(s.etag_before, None);
        assert_eq!(s.etag_after.as_deref(), Some("e9"));
    }

    #[test]
    fn a_missing_destination_is_never_the_writes_doing() {
        assert_eq!(settle(&intent(Operation::Put, &["a"], Some("e1")), &dest(None, false)), None);
        assert_eq!(settle(&intent(Operation::Copy, &["s", "d"], Some("e1")), &dest(None, true)), None);
    }

    #[test]
    fn a_move_that_stopped_after_its_copy_is_recorded_as_a_copy() {
        let i = intent(Operation::Move, &["s", "d"], None);
        assert_eq!(settle(&i, &dest(Some("e2"), true)).unwrap().op, Operation::Copy);
        assert_eq!(settle(&i, &dest(Some("e2"), false)).unwrap().op, Operation::Move);
        assert_eq!(settle(&i, &dest(None, true)), None);
    }

    #[test]
    fn a_delete_records_the_keys_that_are_gone() {
        let i = intent(Operation::Delete, &["a", "b", "c"], None);
        let s = settle(&i, &Observed::Remaining(vec![false, true, false])).unwrap();
        assert_eq!(s.keys, vec!["a", "c"]);
        assert_eq!(s.etag_before, None);
        assert_eq!(settle(&i, &Observed::Remaining(vec![true, true, true])), None);
    }

    #[test]
    fn a_single_delete_keeps_its_etag_before() {
        let i = intent(Operation::Delete, &["a"], Some("e1"));
        let s = settle(&i, &Observed::Remaining(vec![false])).unwrap();
        assert_eq!(s.etag_before.as_deref(), Some("e1"));
        assert_eq!(s.etag_after, None);
    }

    #[test]
    fn a_short_observation_counts_unobserved_keys_as_present() {
        let i = intent(Operation::Delete, &["a", "b"], None);
        let s = settle(&i, &Observed::Remaining(vec![false])).unwrap();
        assert_eq!(s.keys, vec!["a"]);
    }

    #[test]
    fn mismatched_observations_record_nothing() {
        assert_eq!(settle(&intent(Operation::Delete, &["a"], None), &dest(Some("e"), false)), None);
        assert_eq!(settle(&intent(Operation::Put, &["a"], None), &Observed::Remaining(vec![false])), None);
    }

    #[test]
    fn keys_to_check_follow_the_operation() {
        assert_eq!(keys_to_check(&intent(Operation::Put, &["a"], None)), vec!["a"]);
        assert_eq!(keys_to_check(&intent(Operation::Copy, &["s", "d"], None)), vec!["d"]);
        assert_eq!(keys_to_check(&intent(Operation::Move, &["s", "d"], None)), vec!["s", "d"]);
        assert_eq!(keys_to_check(&intent(Operation::Delete, &["a", "b"], None)), vec!["a", "b"]);
    }
}
