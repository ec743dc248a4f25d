//! Server-Sent Events framing: events, priming events, keep-alives, and event ids that name the
//! stream they belong to so `Last-Event-ID` resumes the right one.
//!
//! Event id format: `<stream>.<seq>`, where `<stream>` is a random URL-safe token chosen when the
//! stream opens (one per POST stream, one per GET stream) and `<seq>` counts from 0 (the priming
//! event). Ids are unique across a session's streams (2025-11-25 transports §Resumability), and
//! replay sends the stored events of `<stream>` with a larger `<seq>`. 2026-07-28 has no
//! resumption: its streams carry no ids.

use base64::Engine;

/// Suggested keep-alive comment interval: inside the 15–25 s that proxies tolerate.
pub const KEEP_ALIVE_SECS: u32 = 20;
/// `retry:` sent with priming events and before we close a stream early (SEP-1699).
pub const DEFAULT_RETRY_MS: u32 = 1_000;
/// Random bytes behind a stream id (96 bits).
pub const STREAM_ID_RANDOM_BYTES: usize = 12;

/// A position in one stream.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    pub stream: String,
    pub seq: u64,
}

impl EventId {
    pub fn new(stream: &str, seq: u64) -> Self {
        EventId { stream: stream.to_owned(), seq }
    }
    /// The wire form `<stream>.<seq>`.
    pub fn render(&self) -> String {
        format!("{}.{}", self.stream, self.seq)
    }
    /// The id of the next event on the same stream.
    pub fn next(&self) -> EventId {
        EventId { stream: self.stream.clone(), seq: self.seq.saturating_add(1) }
    }
}

/// A fresh stream id from caller-provided random bytes (16 URL-safe characters).
pub fn new_stream_id(random: &[u8; STREAM_ID_RANDOM_BYTES]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
}

/// Parses `Last-Event-ID`; `None` for anything we could not have issued.
pub fn parse_last_event_id(header: &str) -> Option<EventId> {
    let (stream, seq) = header.trim().rsplit_once('.')?;
    let valid_stream = (1..=64).contains(&stream.len()) && stream.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let valid_seq = (1..=20).contains(&seq.len()) && seq.bytes().all(|b| b.is_ascii_digit());
    if !valid_stream || !valid_seq {
        return None;
    }
    Some(EventId { stream: stream.to_owned(), seq: seq.parse().ok()? })
}

/// One `message` event. Each line of `data` becomes its own `data:` line (serde_json output has
/// no newlines, but anything else passed here stays well-formed); CR and CRLF count as newlines.
pub fn event(id: Option<&EventId>, data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 48);
    if let Some(id) = id {
        out.push_str("id: ");
        out.push_str(&id.render());
        out.push('\n');
    }
    out.push_str("event: message\n");
    let normalized = data.replace("\r\n", "\n").replace('\r', "\n");
    for line in normalized.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The priming event sent first on a resumable stream: an id, optional `retry`, empty data
/// (2025-11-25 transports §Sending Messages, item 6).
pub fn priming(id: &EventId, retry_ms: Option<u32>) -> String {
    let mut out = format!("id: {}\n", id.render());
    if let Some(r) = retry_ms {
        out.push_str(&format!("retry: {r}\n"));
    }
    out.push_str("data:\n\n");
    out
}

/// A `retry` hint sent just before the server closes a connection it means to resume.
pub fn retry(retry_ms: u32) -> String {
    format!("retry: {retry_ms}\n\n")
}

/// A keep-alive comment; clients ignore comment lines.
pub fn keep_alive() -> &'static str {
    ": keep-alive\n\n"
}

/// Response headers for an SSE stream (`X-Accel-Buffering: no` per 2026-07-28 streamable-http).
pub const SSE_HEADERS: [(&str, &str); 3] =
    [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache, no-transform"), ("X-Accel-Buffering", "no")];

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn event_has_id_event_and_data_lines() {
        let id = EventId::new("abc", 3);
        assert_eq!(event(Some(&id), "{\"a\":1}"), "id: abc.3\nevent: message\ndata: {\"a\":1}\n\n");
        assert_eq!(event(None, "x"), "event: message\ndata: x\n\n");
    }

    #[test]
    fn multi_line_data_becomes_several_data_lines() {
        assert_eq!(event(None, "a\nb\r\nc\rd"), "event: message\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    }

    #[test]
    fn priming_event_has_id_retry_and_empty_data() {
        assert_eq!(priming(&EventId::new("s", 0), Some(500)), "id: s.0\nretry: 500\ndata:\n\n");
    }

    #[test]
    fn last_event_id_round_trips_and_names_its_stream() {
        let s = new_stream_id(&[9u8; 12]);
        let id = EventId::new(&s, 41).next();
        assert_eq!(parse_last_event_id(&id.render()), Some(EventId::new(&s, 42)));
    }

    #[test]
    fn foreign_last_event_ids_are_ignored() {
        for h in ["", "abc", "abc.", ".5", "a b.1", "abc.-1", "abc.99999999999999999999999", "ab/c.1"] {
            assert_eq!(parse_last_event_id(h), None, "{h}");
        }
    }

    #[test]
    fn keep_alive_is_a_comment() {
        assert!(keep_alive().starts_with(':') && keep_alive().ends_with("\n\n"));
    }
}
