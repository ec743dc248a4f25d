//! The `/mcp` forward: the body and the client's own headers pass through untouched, and what the
//! Worker established about the request travels in one [`McpCall`] header; what only the object
//! knows travels back in one [`McpReply`] header, which the Worker removes. (The Worker drops any
//! `x-r2mcp-*` header a client sent, so these can only come from it.)
//!
//! Header values are JSON with every non-ASCII character escaped (`\uXXXX`), since a header may
//! carry only visible ASCII safely and an identity may not be ASCII.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::identity::UserIdentity;
use crate::transfer::LinkMint;

/// Request header: the [`McpCall`].
pub const CALL_HEADER: &str = "x-r2mcp-call";
/// Response header: the [`McpReply`].
pub const REPLY_HEADER: &str = "x-r2mcp-reply";
/// What the Worker sends on a stream's socket to check it is alive, and what the object's runtime
/// answers without waking the object.
pub const SOCKET_PING: &str = "ping";
pub const SOCKET_PONG: &str = "pong";

/// Who is calling and what the Worker wants of the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpCall {
    pub caller: Caller,
    /// The Worker writes this request's log line: report the fields only the object knows.
    #[serde(default)]
    pub log: bool,
    /// The Worker holds long-lived streams itself: answer a `GET` stream with a hibernatable
    /// socket, and a 2026-07-28 listen stream with its acknowledgement and [`McpReply::attach`].
    #[serde(default)]
    pub relay: bool,
    /// Attach the socket of this listen stream (a `GET` with `Upgrade: websocket`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// What the object needs to mint transfer links for this user (absent when the Worker has no
    /// routing key: behind Access without `COOKIE_ENCRYPTION_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<LinkMint>,
}

/// The caller, as the Worker established it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Caller {
    /// A bearer token the Worker parsed and whose routing tag it checked; the object checks its
    /// hash, grant, expiry and resource.
    Bearer { token: String, user_key: String, grant_id: String, resource: String },
    /// Behind a Cloudflare Access application: the identity the Worker verified in Access's
    /// signed assertion.
    Access(UserIdentity),
}

/// What the object reports about its answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpReply {
    /// The token was refused (a 401): why, for the Worker's RFC 6750 challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_error: Option<String>,
    /// A listen stream to attach a socket to (see [`McpCall::relay`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// The log line's fields (only when [`McpCall::log`]).
    #[serde(default, skip_serializing_if = "LogFields::is_empty")]
    pub log: LogFields,
}

/// The log line's fields only the object knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFields {
    /// The OAuth client of the request's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The JSON-RPC method (only `[A-Za-z0-9_/.-]`, else `other`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The tool of a `tools/call` (same alphabet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

impl LogFields {
    pub fn is_empty(&self) -> bool {
        self.client.is_none() && self.method.is_none() && self.tool.is_none()
    }
}

/// A value as a header: JSON, non-ASCII escaped.
pub fn to_header<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    if json.is_ascii() {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    let mut units = [0u16; 2];
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// A header's value read back; `None` when absent or not what [`to_header`] wrote.
pub fn from_header<T: DeserializeOwned>(value: Option<&str>) -> Option<T> {
    serde_json::from_str(value?).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn a_call_with_a_non_ascii_identity_is_one_ascii_header_and_reads_back() {
        let identity = UserIdentity {
            iss: "https://t".into(),
            sub: "s".into(),
            email: Some("zoë@example.com".into()),
            name: Some("Zoë 🚀".into()),
            groups: vec!["ünï".into()],
        };
        let links = Some(LinkMint { origin: "https://h".into(), key: "k".into(), max_body: 5 });
        let call = McpCall { caller: Caller::Access(identity), log: true, relay: true, attach: None, links };
        let h = to_header(&call);
        assert!(h.bytes().all(|b| (0x20..0x7f).contains(&b)), "{h}");
        assert_eq!(from_header::<McpCall>(Some(&h)), Some(call));
    }

    #[test]
    fn an_empty_reply_is_small_and_garbage_reads_as_none() {
        assert_eq!(to_header(&McpReply::default()), "{}");
        assert_eq!(from_header::<McpReply>(Some("{}")), Some(McpReply::default()));
        assert_eq!(from_header::<McpCall>(Some("not json")), None);
        assert_eq!(from_header::<McpCall>(None), None);
    }
}
