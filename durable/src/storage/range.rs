//! Byte ranges for `get_object` and the inline limit.
//!
//! R2 is asked for exactly the range the client named (or the whole object); the glue then reads
//! at most [`INLINE_LIMIT`] bytes of that answer's body and stops, so a large object is never
//! pulled in full just to show its head. These functions say what R2 is asked for, which bytes
//! of the object the answer covers, and whether what is shown is truncated.

use serde::Deserialize;

/// Most content bytes returned inline by `get_object` (1 MiB); larger reads return the first
/// 1 MiB with `truncated: true` and a `resource_link` to the whole object.
pub const INLINE_LIMIT: u64 = 1024 * 1024;

/// Largest object `resources/read` returns whole (the `resource_link` target): the `put_object`
/// body limit, so every object written through these tools can be read back in one piece.
pub const RESOURCE_READ_LIMIT: u64 = crate::tools::put_object::MAX_PUT_BYTES as u64;

/// A client's byte range (`get_object`'s `range`): `offset`/`length`, or `suffix` alone.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByteRange {
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub suffix: Option<u64>,
}

/// What to ask R2 for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    Whole,
    From { offset: u64, length: Option<u64> },
    Prefix { length: u64 },
    Suffix { suffix: u64 },
}

/// The R2 request for a client range (already validated by the engine).
pub fn ask(range: Option<&ByteRange>) -> Ask {
    match range {
        None => Ask::Whole,
        Some(r) => match (r.offset, r.length, r.suffix) {
            (_, _, Some(s)) => Ask::Suffix { suffix: s },
            (None | Some(0), None, None) => Ask::Whole,
            (None | Some(0), Some(l), None) => Ask::Prefix { length: l },
            (Some(o), l, None) => Ask::From { offset: o, length: l },
        },
    }
}

/// The span `[offset, offset + len)` of an object of `size` bytes that `ask` covers; `Err` with a
/// message when the range starts past the end (R2 answers such a request with an error).
pub fn span(ask: Ask, size: u64) -> Result<(u64, u64), String> {
    match ask {
        Ask::Whole => Ok((0, size)),
        Ask::Prefix { length } => Ok((0, length.min(size))),
        Ask::Suffix { suffix } => Ok((size.saturating_sub(suffix), suffix.min(size))),
        Ask::From { offset, length } => {
            if offset >= size && !(offset == 0 && size == 0) {
                return Err(format!("the range starts at byte {offset}, but the object is {size} bytes"));
            }
            let rest = size - offset;
            Ok((offset, length.map_or(rest, |l| l.min(rest))))
        }
    }
}

/// How many bytes of a span of `len` to show inline.
pub fn shown(len: u64) -> u64 {
    len.min(INLINE_LIMIT)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    fn r(offset: Option<u64>, length: Option<u64>, suffix: Option<u64>) -> ByteRange {
        ByteRange { offset, length, suffix }
    }

    #[test]
    fn client_ranges_map_to_r2_requests() {
        assert_eq!(ask(None), Ask::Whole);
        assert_eq!(ask(Some(&r(None, None, None))), Ask::Whole);
        assert_eq!(ask(Some(&r(Some(0), Some(5), None))), Ask::Prefix { length: 5 });
        assert_eq!(ask(Some(&r(Some(3), None, None))), Ask::From { offset: 3, length: None });
        assert_eq!(ask(Some(&r(Some(3), Some(4), None))), Ask::From { offset: 3, length: Some(4) });
        assert_eq!(ask(Some(&r(None, None, Some(7)))), Ask::Suffix { suffix: 7 });
    }

    #[test]
    fn spans_are_clamped_to_the_object() {
        assert_eq!(span(Ask::Whole, 10), Ok((0, 10)));
        assert_eq!(span(Ask::Prefix { length: 50 }, 10), Ok((0, 10)));
        assert_eq!(span(Ask::Suffix { suffix: 4 }, 10), Ok((6, 4)));
        assert_eq!(span(Ask::Suffix { suffix: 40 }, 10), Ok((0, 10)));
        assert_eq!(span(Ask::From { offset: 8, length: Some(5) }, 10), Ok((8, 2)));
        assert_eq!(span(Ask::From { offset: 9, length: None }, 10), Ok((9, 1)));
    }

    #[test]
    fn a_range_past_the_end_is_a_precise_error() {
        let e = span(Ask::From { offset: 10, length: None }, 10).unwrap_err();
        assert!(e.contains("byte 10") && e.contains("10 bytes"), "{e}");
    }

    #[test]
    fn inline_limit_is_one_mebibyte() {
        assert_eq!(shown(INLINE_LIMIT + 1), INLINE_LIMIT);
        assert_eq!(shown(5), 5);
    }
}
