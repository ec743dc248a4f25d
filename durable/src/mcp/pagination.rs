//! Opaque cursors (server/utilities/pagination): clients must not parse them, and an invalid one
//! is `-32602`. A cursor wraps either an offset into a static list or an upstream (R2, audit log)
//! cursor, tagged so one kind is never mistaken for the other.

use base64::Engine;

use super::jsonrpc::RpcError;

/// Page size for static lists (tools, prompts, fixture resources).
pub const PAGE_SIZE: usize = 50;

/// A decoded cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// Position in a list we hold in memory.
    Offset(usize),
    /// A cursor from the storage layer (R2 list cursor, audit-log position), passed through.
    Upstream(String),
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

impl Cursor {
    pub fn encode(&self) -> String {
        match self {
            Cursor::Offset(n) => B64.encode(format!("o:{n}")),
            Cursor::Upstream(s) => B64.encode(format!("u:{s}")),
        }
    }

    /// Decodes a client-supplied cursor; anything we did not issue is an invalid-params error.
    pub fn decode(s: &str) -> Result<Cursor, RpcError> {
        let invalid = || RpcError::invalid_params("Invalid cursor");
        if s.len() > 4096 {
            return Err(invalid());
        }
        let bytes = B64.decode(s).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        if let Some(n) = text.strip_prefix("o:") {
            return n.parse().map(Cursor::Offset).map_err(|_| invalid());
        }
        match text.strip_prefix("u:") {
            Some(u) if !u.is_empty() => Ok(Cursor::Upstream(u.to_owned())),
            _ => Err(invalid()),
        }
    }
}

/// Reads the optional `cursor` param of a list request.
pub fn cursor_param(params: Option<&serde_json::Map<String, serde_json::Value>>) -> Result<Option<Cursor>, RpcError> {
    match params.and_then(|p| p.get("cursor")) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Cursor::decode(s).map(Some),
        Some(_) => Err(RpcError::invalid_params("Invalid cursor: must be a string")),
    }
}

/// One page of an in-memory list starting at `cursor`; the next cursor when more remain.
/// An upstream cursor or an offset past the end is invalid here.
pub fn page<T: Clone>(items: &[T], cursor: Option<&Cursor>, size: usize) -> Result<(Vec<T>, Option<String>), RpcError> {
    let start = match cursor {
        None => 0,
        Some(Cursor::Offset(n)) if *n <= items.len() => *n,
        Some(_) => return Err(RpcError::invalid_params("Invalid cursor")),
    };
    let end = start.saturating_add(size.max(1)).min(items.len());
    let slice = items.get(start..end).unwrap_or(&[]).to_vec();
    let next = (end < items.len()).then(|| Cursor::Offset(end).encode());
    Ok((slice, next))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::mcp::jsonrpc::INVALID_PARAMS;

    #[test]
    fn cursors_round_trip_and_are_opaque() {
        for c in [Cursor::Offset(0), Cursor::Offset(120), Cursor::Upstream("r2:abc/def".into())] {
            let s = c.encode();
            assert!(!s.contains(':'));
            assert_eq!(Cursor::decode(&s).unwrap(), c);
        }
    }

    #[test]
    fn invalid_cursor_is_invalid_params() {
        for s in ["", "!!!", "bm9wZQ", &"A".repeat(5000)] {
            assert_eq!(Cursor::decode(s).unwrap_err().code, INVALID_PARAMS, "{s}");
        }
    }

    #[test]
    fn pages_walk_the_whole_list_once() {
        let items: Vec<u32> = (0..7).collect();
        let (p1, n1) = page(&items, None, 3).unwrap();
        let c1 = Cursor::decode(&n1.unwrap()).unwrap();
        let (p2, n2) = page(&items, Some(&c1), 3).unwrap();
        let c2 = Cursor::decode(&n2.unwrap()).unwrap();
        let (p3, n3) = page(&items, Some(&c2), 3).unwrap();
        assert_eq!([p1, p2, p3].concat(), items);
        assert_eq!(n3, None);
    }

    #[test]
    fn offset_past_end_or_upstream_cursor_is_invalid_for_static_lists() {
        assert!(page(&[1, 2], Some(&Cursor::Offset(3)), 10).is_err());
        assert!(page(&[1, 2], Some(&Cursor::Upstream("x".into())), 10).is_err());
    }
}
