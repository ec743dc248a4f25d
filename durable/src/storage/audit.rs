//! The audit trail's records: one per applied mutation (never for a refused or failed one), their
//! JSON form in `recent_changes`, its cursor, and how long records are kept.

use base64::Engine;
use serde_json::{json, Value};

use super::time::rfc3339;

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
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Put => "put",
            Operation::Delete => "delete",
            Operation::Copy => "copy",
            Operation::Move => "move",
        }
    }

    /// The inverse of [`Operation::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Put, Self::Delete, Self::Copy, Self::Move]
            .into_iter()
            .find(|o| o.as_str() == s)
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
pub fn decode_cursor(s: &str) -> Result<i64, String> {
    let bad =
        || "Invalid cursor for recent_changes: pass next_cursor from the previous page".to_owned();
    let text = B64
        .decode(s.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    text.strip_prefix("audit:")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(bad)
}

/// One page: `rows` were fetched with `LIMIT page + 1`; returns the page and the next cursor.
pub fn page(mut rows: Vec<Record>, page: usize) -> (Vec<Record>, Option<String>) {
    let more = rows.len() > page;
    rows.truncate(page);
    let next = if more {
        rows.last().map(|r| encode_cursor(r.seq))
    } else {
        None
    };
    (rows, next)
}

/// The oldest time kept at `now_ms`.
pub fn cutoff(now_ms: i64) -> i64 {
    now_ms - MAX_AGE_MS
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
        }
    }

    #[test]
    fn operations_round_trip_through_their_names() {
        for op in [Operation::Put, Operation::Delete, Operation::Copy, Operation::Move] {
            assert_eq!(Operation::parse(op.as_str()), Some(op));
        }
        assert_eq!(Operation::parse("PUT"), None);
    }

    #[test]
    fn record_json_matches_the_output_schema_fields() {
        let v = rec(7).to_json();
        for f in [
            "time",
            "session",
            "client",
            "operation",
            "keys",
            "etag_before",
            "etag_after",
        ] {
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
}
