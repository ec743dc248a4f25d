//! The session-era state: the record persisted per `Mcp-Session-Id`, its id, expiry and log level.
//!
//! Lifecycle (2025-11-25 basic/lifecycle, transports §Session Management):
//! `initialize` → record created (`initialized = false`) and its id returned in `Mcp-Session-Id`
//! → `notifications/initialized` sets `initialized` → operation → DELETE or idle expiry removes
//! it, after which the id answers 404. A record belongs to the user who created it and to the
//! OAuth grant whose token created it: any other user, or the same user through another grant (a
//! new login, another client), presenting its id gets the same 404 as for an unknown id, and a
//! grant that ends (revoked, expired) takes its sessions with it.
//!
//! Requests before `notifications/initialized`: over HTTP that notification is its own POST and
//! may race the client's next request, and the rule is a SHOULD, so every request is served once
//! the session exists. What waits for `initialized` is our side: server→client requests
//! (sampling, elicitation), per lifecycle §Initialization.

use std::collections::BTreeSet;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http_rules::Rejection;
use super::jsonrpc::INVALID_REQUEST;
use super::version::Version;

/// Random bytes behind a session id (256 bits; the spec asks for cryptographically secure).
pub const SESSION_ID_RANDOM_BYTES: usize = 32;
/// Default idle lifetime: 24 h.
pub const DEFAULT_IDLE_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// Logging levels (server/utilities/logging, RFC 5424 order), least severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl LogLevel {
    pub fn parse(s: &str) -> Option<LogLevel> {
        serde_json::from_value(Value::from(s)).ok()
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }
}

/// Whether a message at `level` goes out when the client asked for `min` (None: not set).
/// Session era: unset means the server decides, and we send. 2026-07-28 callers pass the
/// request's `_meta` level and must send nothing when it is absent (see `meta`).
pub fn log_allowed(min: Option<LogLevel>, level: LogLevel) -> bool {
    min.is_none_or(|m| level >= m)
}

/// What `initialize` learned, before an id and a clock make it a record.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionInit {
    pub version: Version,
    pub client_info: Value,
    pub client_capabilities: Value,
}

/// One session, as stored (serde JSON in the object's SQLite; see SCHEMA.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub id: String,
    /// The stable user key of the token that created it; never taken from the client.
    pub user_key: String,
    /// The OAuth grant of the token that created it (sessions end with their grant).
    #[serde(default)]
    pub grant_id: String,
    pub version: Version,
    pub client_info: Value,
    pub client_capabilities: Value,
    pub created_ms: u64,
    pub last_seen_ms: u64,
    pub log_level: Option<LogLevel>,
    pub initialized: bool,
    /// Resource URIs this session subscribed to (`resources/subscribe`).
    #[serde(default)]
    pub subscriptions: BTreeSet<String>,
}

/// Who a session belongs to: the user and the grant of the token that created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner<'a> {
    pub user_key: &'a str,
    pub grant_id: &'a str,
}

/// Session timing policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_ttl_ms: u64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle_ttl_ms: DEFAULT_IDLE_TTL_MS }
    }
}

/// A session id from caller-provided random bytes: URL-safe base64 without padding, 43 visible
/// ASCII characters (0x21–0x7E as the transport requires).
pub fn new_session_id(random: &[u8; SESSION_ID_RANDOM_BYTES]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
}

/// Whether a header could be a session id: 16–128 chars from the URL-safe base64 alphabet.
/// Our own ids are always 43 chars; the wider bounds only keep garbage out of storage lookups.
pub fn is_valid_session_id(s: &str) -> bool {
    (16..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 404: unknown, deleted, expired, or another user's session (indistinguishable on purpose).
pub fn not_found() -> Rejection {
    Rejection::new(404, INVALID_REQUEST, "Session not found: initialize a new session")
}

impl SessionRecord {
    pub fn create(init: SessionInit, random: &[u8; SESSION_ID_RANDOM_BYTES], owner: Owner<'_>, now_ms: u64) -> Self {
        SessionRecord {
            id: new_session_id(random),
            user_key: owner.user_key.to_owned(),
            grant_id: owner.grant_id.to_owned(),
            version: init.version,
            client_info: init.client_info,
            client_capabilities: init.client_capabilities,
            created_ms: now_ms,
            last_seen_ms: now_ms,
            log_level: None,
            initialized: false,
            subscriptions: BTreeSet::new(),
        }
    }

    pub fn is_expired(&self, now_ms: u64, policy: SessionPolicy) -> bool {
        now_ms.saturating_sub(self.last_seen_ms) > policy.idle_ttl_ms
    }

    /// Gate for every request naming this session: another user's or another grant's record, or
    /// an expired one, is 404, exactly like a missing one. The caller passes `None` when nothing
    /// was stored.
    pub fn check_access(record: Option<&SessionRecord>, owner: Owner<'_>, now_ms: u64, policy: SessionPolicy) -> Result<(), Rejection> {
        match record {
            Some(r) if r.user_key == owner.user_key && r.grant_id == owner.grant_id && !r.is_expired(now_ms, policy) => Ok(()),
            _ => Err(not_found()),
        }
    }

    /// Marks activity; the glue persists `last_seen_ms` (coarsely, e.g. at most once a minute).
    pub fn touch(&mut self, now_ms: u64) {
        self.last_seen_ms = self.last_seen_ms.max(now_ms);
    }

    /// Whether the client declared a capability (`sampling`, `elicitation`, `roots`) at initialize.
    pub fn client_has(&self, capability: &str) -> bool {
        self.client_capabilities.get(capability).is_some_and(|v| !v.is_null())
    }
}

/// Methods we may send to the client before it has sent `notifications/initialized`
/// (lifecycle §Initialization: only pings and logging).
pub fn server_may_send_before_initialized(method: &str) -> bool {
    matches!(method, "ping" | "notifications/message")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use serde_json::json;

    fn rec() -> SessionRecord {
        let init =
            SessionInit { version: Version::V2025_11_25, client_info: json!({"name":"c"}), client_capabilities: json!({"sampling":{}}) };
        SessionRecord::create(init, &[7u8; 32], A, 1_000)
    }

    const A: Owner<'static> = Owner { user_key: "user-a", grant_id: "grant-1" };

    #[test]
    fn session_id_is_visible_ascii_with_256_bits() {
        let id = new_session_id(&[0xffu8; 32]);
        assert_eq!(id.len(), 43);
        assert!(id.bytes().all(|b| (0x21..=0x7e).contains(&b)));
        assert!(is_valid_session_id(&id));
        assert_ne!(id, new_session_id(&[0xfeu8; 32]));
    }

    #[test]
    fn new_session_starts_uninitialized_and_bound_to_its_user() {
        let r = rec();
        assert!(!r.initialized);
        assert_eq!(r.user_key, "user-a");
        assert!(r.client_has("sampling") && !r.client_has("elicitation"));
    }

    #[test]
    fn another_users_session_id_is_404_like_unknown() {
        let r = rec();
        let p = SessionPolicy::default();
        assert!(SessionRecord::check_access(Some(&r), A, 2_000, p).is_ok());
        let b = Owner { user_key: "user-b", grant_id: "grant-1" };
        assert_eq!(SessionRecord::check_access(Some(&r), b, 2_000, p).unwrap_err(), not_found());
        assert_eq!(SessionRecord::check_access(None, A, 2_000, p).unwrap_err().status, 404);
    }

    #[test]
    fn the_same_users_other_grant_gets_404_like_unknown() {
        let r = rec();
        let other_login = Owner { user_key: "user-a", grant_id: "grant-2" };
        assert_eq!(SessionRecord::check_access(Some(&r), other_login, 2_000, SessionPolicy::default()).unwrap_err(), not_found());
    }

    #[test]
    fn sessions_stored_before_grant_binding_belong_to_no_grant() {
        let mut v = serde_json::to_value(rec()).unwrap();
        v.as_object_mut().unwrap().remove("grant_id");
        let old: SessionRecord = serde_json::from_value(v).unwrap();
        assert!(SessionRecord::check_access(Some(&old), A, 2_000, SessionPolicy::default()).is_err());
    }

    #[test]
    fn idle_session_expires_after_ttl_and_touch_extends_it() {
        let mut r = rec();
        let p = SessionPolicy { idle_ttl_ms: 100 };
        assert!(!r.is_expired(1_100, p));
        assert!(r.is_expired(1_101, p));
        r.touch(1_100);
        assert!(!r.is_expired(1_150, p));
        r.touch(10); // a late clock never moves it back
        assert_eq!(r.last_seen_ms, 1_100);
        assert_eq!(SessionPolicy::default().idle_ttl_ms, 86_400_000);
    }

    #[test]
    fn record_round_trips_through_json() {
        let mut r = rec();
        r.subscriptions.insert("test://watched-resource".into());
        r.log_level = Some(LogLevel::Debug);
        let back: SessionRecord = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn log_levels_filter_by_severity() {
        assert!(log_allowed(None, LogLevel::Debug));
        assert!(log_allowed(Some(LogLevel::Info), LogLevel::Error));
        assert!(!log_allowed(Some(LogLevel::Warning), LogLevel::Info));
        assert_eq!(LogLevel::parse("emergency"), Some(LogLevel::Emergency));
        assert_eq!(LogLevel::parse("loud"), None);
    }

    #[test]
    fn only_ping_and_logging_go_out_before_initialized() {
        assert!(server_may_send_before_initialized("ping"));
        assert!(!server_may_send_before_initialized("sampling/createMessage"));
    }
}
