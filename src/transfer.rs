//! The HTTP rules of a transfer link (`/transfer/<token>`), as plain functions: which request it
//! is, byte ranges (RFC 9110 §14), conditional requests (§13), and the headers that name and
//! protect a download. The glue that streams the bytes is `routes::transfer`; the link itself is
//! `r2_mcp_durable::transfer`.

/// The path prefix of every link.
pub const PREFIX: &str = "/transfer/";

/// What a request to a link asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRequest {
    /// `GET` (`head`: `HEAD`).
    Download { head: bool },
    /// `PUT` of the whole body, or of part `N` (`?part=N`).
    Put { part: Option<u16> },
    /// `POST ?complete`.
    Complete,
    /// `DELETE`: abandon the upload.
    Abort,
    /// `OPTIONS` (a browser's preflight).
    Preflight,
}

/// A refusal of the request's shape: status, short code, message.
pub type Refusal = (u16, &'static str, String);

/// The token in a link's path: `/transfer/<token>`, where a client may have percent-encoded the
/// token's `:` separators. `None` for anything else.
pub fn token_from_path(path: &str) -> Option<String> {
    let raw = path.strip_prefix(PREFIX)?;
    let token = raw.replace("%3A", ":").replace("%3a", ":");
    (!token.is_empty() && !token.contains('/')).then_some(token)
}

/// The request's kind from its method and query.
pub fn classify(method: &str, query: &str) -> Result<LinkRequest, Refusal> {
    let params: Vec<(&str, &str)> = query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    let part = params.iter().find(|(k, _)| *k == "part").map(|(_, v)| *v);
    let complete = params.iter().any(|(k, _)| *k == "complete");
    match method {
        "GET" | "HEAD" => Ok(LinkRequest::Download { head: method == "HEAD" }),
        "PUT" => match part {
            None => Ok(LinkRequest::Put { part: None }),
            Some(n) => match n.parse::<u16>() {
                Ok(n) if (1..=10_000).contains(&n) => Ok(LinkRequest::Put { part: Some(n) }),
                _ => Err((400, "invalid_request", format!("?part must be a number from 1 to 10000, got {n:?}"))),
            },
        },
        "POST" if complete => Ok(LinkRequest::Complete),
        "POST" => Err((400, "invalid_request", "POST completes an upload sent in parts: POST <link>?complete".into())),
        "DELETE" => Ok(LinkRequest::Abort),
        "OPTIONS" => Ok(LinkRequest::Preflight),
        _ => Err((405, "method_not_allowed", format!("{method} is not used on transfer links: GET or HEAD downloads, PUT uploads"))),
    }
}

/// The methods a link answers (the `Allow` header of a 405).
pub const ALLOW: &str = "GET, HEAD, PUT, POST, DELETE, OPTIONS";

/// A `PUT`'s body size from its `Content-Length`, within `max_body`. R2 takes only bodies of a
/// known length, and one request takes at most the plan's body limit.
pub fn body_size(content_length: Option<&str>, chunked: bool, max_body: u64, part: Option<u16>) -> Result<u64, Refusal> {
    let Some(n) = content_length.and_then(|v| v.trim().parse::<u64>().ok()).filter(|_| !chunked) else {
        return Err((
            411,
            "length_required",
            "The upload needs a Content-Length header (curl -T <file> sends one; a chunked body cannot be stored).".into(),
        ));
    };
    if n > max_body {
        let advice = match part {
            Some(_) => format!("Use smaller parts: every part but the last of one size, at most {max_body} bytes."),
            None => format!(
                "Send it in parts through the same link: PUT <link>?part=1, ?part=2, … (each at most {max_body} bytes, all but the last of one size, at least 5 MiB; `split -b 95M` makes them), then POST <link>?complete."
            ),
        };
        return Err((413, "too_large", format!("The body is {n} bytes; one request takes at most {max_body}. {advice}")));
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------------
// Ranges (RFC 9110 §14.1.2, §14.2)
// ------------------------------------------------------------------------------------------------

/// One byte range asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// `first-[last]`
    From { first: u64, last: Option<u64> },
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

/// A `Range` header as one byte range; `None` when it is to be ignored and the whole object served:
/// absent, not `bytes=`, malformed, or several ranges (served whole rather than as multipart).
pub fn parse_range(header: Option<&str>) -> Option<ByteRange> {
    let h = header?.trim();
    let (unit, spec) = h.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return None;
    }
    let (a, b) = spec.trim().split_once('-')?;
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, false) => Some(ByteRange::Suffix(num(b)?)),
        (false, true) => Some(ByteRange::From { first: num(a)?, last: None }),
        (false, false) => {
            let (first, last) = (num(a)?, num(b)?);
            (last >= first).then_some(ByteRange::From { first, last: Some(last) })
        }
        (true, true) => None,
    }
}

/// The bytes `[start, start + len)` a range selects from an object of `size` bytes; `None` when
/// it is unsatisfiable (416): it starts at or past the end, or asks for an empty suffix.
pub fn resolve(range: ByteRange, size: u64) -> Option<(u64, u64)> {
    match range {
        ByteRange::From { first, last } => {
            if first >= size {
                return None;
            }
            let end = last.map_or(size - 1, |l| l.min(size - 1));
            Some((first, end - first + 1))
        }
        ByteRange::Suffix(n) => (n > 0 && size > 0).then(|| (size - n.min(size), n.min(size))),
    }
}

/// `Content-Range` of a 206.
pub fn content_range(start: u64, len: u64, size: u64) -> String {
    format!("bytes {start}-{}/{size}", start + len - 1)
}

/// Whether `If-Range` lets the range apply to the object with `etag` (its quoted form): absent,
/// or the same strong etag. A date (or a weak etag) does not, and the whole object is served.
pub fn if_range_allows(if_range: Option<&str>, etag: &str) -> bool {
    match if_range.map(str::trim) {
        None => true,
        Some(v) => !v.starts_with("W/") && v == etag,
    }
}

// ------------------------------------------------------------------------------------------------
// Conditional requests (RFC 9110 §13.2.2)
// ------------------------------------------------------------------------------------------------

/// What the preconditions of a `GET`/`HEAD` decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Serve,
    /// 304: `If-None-Match` matched.
    NotModified,
    /// 412: `If-Match` did not match.
    Failed,
}

/// Evaluates `If-Match` (strong comparison; `*` matches any object) and then `If-None-Match`
/// (weak comparison) against the object's quoted `etag`, in the order of RFC 9110 §13.2.2.
pub fn evaluate(if_match: Option<&str>, if_none_match: Option<&str>, etag: &str) -> Condition {
    if let Some(h) = if_match {
        if !list_matches(h, etag, false) {
            return Condition::Failed;
        }
    }
    if let Some(h) = if_none_match {
        if list_matches(h, etag, true) {
            return Condition::NotModified;
        }
    }
    Condition::Serve
}

/// Whether an etag list (`*`, or `"a", W/"b"`) names `etag` (quoted, strong). `weak`: weak
/// comparison (a `W/` entry matches its opaque tag); strong: `W/` entries never match.
fn list_matches(list: &str, etag: &str, weak: bool) -> bool {
    let list = list.trim();
    if list == "*" {
        return true;
    }
    list.split(',').map(str::trim).any(|e| match e.strip_prefix("W/") {
        Some(opaque) => weak && opaque == etag,
        None => e == etag,
    })
}

// ------------------------------------------------------------------------------------------------
// Headers that name and protect a download
// ------------------------------------------------------------------------------------------------

/// `Content-Disposition: attachment` with the key's last segment as the file name: an ASCII
/// `filename` (others as `_`, quotes and backslashes dropped) and the exact name as RFC 6266 /
/// RFC 8187 `filename*`.
pub fn content_disposition(key: &str) -> String {
    let name = r2_mcp_durable::transfer::file_name(key);
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).filter(|c| *c != '"' && *c != '\\').collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Headers every answer of a link carries: a capability URL's answer is nobody's to cache and is
/// served as stored (`no-transform`: Cloudflare then keeps `Content-Length` and does not compress
/// text types on the fly, which would also break byte ranges), is never rendered as a page of
/// this origin (whatever the object's content type), and is readable by any web page that holds
/// the link (CORS without credentials).
pub const SAFE_HEADERS: &[(&str, &str)] = &[
    ("Cache-Control", "private, no-store, no-transform"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none'; sandbox"),
    ("Referrer-Policy", "no-referrer"),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Content-Range, Content-Length, Content-Disposition, Accept-Ranges, Last-Modified"),
];

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn the_token_is_the_path_after_transfer_with_encoded_colons_restored() {
        assert_eq!(token_from_path("/transfer/a:b:c:d").as_deref(), Some("a:b:c:d"));
        assert_eq!(token_from_path("/transfer/a%3Ab%3ac").as_deref(), Some("a:b:c"));
        assert_eq!(token_from_path("/transfer/"), None);
        assert_eq!(token_from_path("/transfer/a/b"), None);
        assert_eq!(token_from_path("/mcp"), None);
    }

    #[test]
    fn methods_and_queries_choose_the_operation() {
        assert_eq!(classify("GET", ""), Ok(LinkRequest::Download { head: false }));
        assert_eq!(classify("HEAD", "x=1"), Ok(LinkRequest::Download { head: true }));
        assert_eq!(classify("PUT", ""), Ok(LinkRequest::Put { part: None }));
        assert_eq!(classify("PUT", "part=3"), Ok(LinkRequest::Put { part: Some(3) }));
        assert_eq!(classify("PUT", "part=0").unwrap_err().0, 400);
        assert_eq!(classify("PUT", "part=10001").unwrap_err().0, 400);
        assert_eq!(classify("POST", "complete"), Ok(LinkRequest::Complete));
        assert_eq!(classify("POST", "complete=1"), Ok(LinkRequest::Complete));
        assert_eq!(classify("POST", "").unwrap_err().0, 400);
        assert_eq!(classify("DELETE", ""), Ok(LinkRequest::Abort));
        assert_eq!(classify("PATCH", "").unwrap_err().0, 405);
    }

    #[test]
    fn a_body_needs_a_length_within_the_request_limit() {
        assert_eq!(body_size(Some("10"), false, 100, None), Ok(10));
        assert_eq!(body_size(None, false, 100, None).unwrap_err().0, 411);
        assert_eq!(body_size(Some("10"), true, 100, None).unwrap_err().0, 411);
        let (status, _, m) = body_size(Some("101"), false, 100, None).unwrap_err();
        assert_eq!(status, 413);
        assert!(m.contains("?part=1") && m.contains("?complete"), "{m}");
        assert!(body_size(Some("101"), false, 100, Some(2)).unwrap_err().2.contains("smaller parts"));
    }

    #[test]
    fn rfc9110_14_1_2_single_ranges_parse_and_anything_else_serves_the_whole() {
        assert_eq!(parse_range(Some("bytes=0-499")), Some(ByteRange::From { first: 0, last: Some(499) }));
        assert_eq!(parse_range(Some("bytes=500-")), Some(ByteRange::From { first: 500, last: None }));
        assert_eq!(parse_range(Some("bytes=-500")), Some(ByteRange::Suffix(500)));
        assert_eq!(parse_range(Some("Bytes = 1-2")), Some(ByteRange::From { first: 1, last: Some(2) }));
        for ignored in
            [None, Some("bytes=0-1,5-6"), Some("items=0-1"), Some("bytes=5-1"), Some("bytes=-"), Some("bytes=a-b"), Some("bytes=+1-2")]
        {
            assert_eq!(parse_range(ignored), None, "{ignored:?}");
        }
    }

    #[test]
    fn rfc9110_14_1_2_ranges_resolve_against_the_size_or_are_unsatisfiable() {
        let from = |first, last| ByteRange::From { first, last };
        assert_eq!(resolve(from(0, Some(499)), 1000), Some((0, 500)));
        assert_eq!(resolve(from(900, Some(5000)), 1000), Some((900, 100)), "a last byte past the end is clamped");
        assert_eq!(resolve(from(999, None), 1000), Some((999, 1)));
        assert_eq!(resolve(ByteRange::Suffix(100), 1000), Some((900, 100)));
        assert_eq!(resolve(ByteRange::Suffix(5000), 1000), Some((0, 1000)));
        assert_eq!(resolve(from(1000, None), 1000), None);
        assert_eq!(resolve(ByteRange::Suffix(0), 1000), None);
        assert_eq!(resolve(from(0, None), 0), None, "nothing of an empty object can be selected");
        assert_eq!(content_range(900, 100, 1000), "bytes 900-999/1000");
    }

    #[test]
    fn rfc9110_13_1_5_if_range_applies_the_range_only_to_the_same_version() {
        assert!(if_range_allows(None, "\"e\""));
        assert!(if_range_allows(Some("\"e\""), "\"e\""));
        assert!(!if_range_allows(Some("\"f\""), "\"e\""));
        assert!(!if_range_allows(Some("W/\"e\""), "\"e\""));
        assert!(!if_range_allows(Some("Wed, 21 Oct 2015 07:28:00 GMT"), "\"e\""));
    }

    #[test]
    fn rfc9110_13_2_2_if_match_is_strong_and_first_if_none_match_is_weak() {
        let e = "\"abc\"";
        assert_eq!(evaluate(None, None, e), Condition::Serve);
        assert_eq!(evaluate(Some("\"abc\""), None, e), Condition::Serve);
        assert_eq!(evaluate(Some("\"x\", \"abc\""), None, e), Condition::Serve);
        assert_eq!(evaluate(Some("*"), None, e), Condition::Serve);
        assert_eq!(evaluate(Some("W/\"abc\""), None, e), Condition::Failed, "If-Match compares strongly");
        assert_eq!(evaluate(Some("\"x\""), Some("\"abc\""), e), Condition::Failed, "If-Match is evaluated first");
        assert_eq!(evaluate(None, Some("\"abc\""), e), Condition::NotModified);
        assert_eq!(evaluate(None, Some("W/\"abc\""), e), Condition::NotModified, "If-None-Match compares weakly");
        assert_eq!(evaluate(None, Some("*"), e), Condition::NotModified);
        assert_eq!(evaluate(None, Some("\"x\""), e), Condition::Serve);
    }

    #[test]
    fn rfc6266_the_file_name_is_the_keys_last_segment_in_ascii_and_utf8() {
        assert_eq!(content_disposition("a/report.pdf"), "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
        assert_eq!(
            content_disposition("x/résumé \"v2\".txt"),
            "attachment; filename=\"r_sum_ v2.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.txt"
        );
        assert_eq!(content_disposition("dir/"), "attachment; filename=\"dir\"; filename*=UTF-8''dir");
    }
}
