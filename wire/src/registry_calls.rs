//! The calls the front Worker makes to the client registry objects (registered OAuth clients,
//! sharded by client id, and registration rate limits), and their replies: one [`RegistryCall`]
//! JSON body to a registry object's `/call` route, one [`RegistryReply`] back.

use serde::{Deserialize, Serialize};

/// Every call to a client registry object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryCall {
    /// Store a registration (`record`: the Worker's client record as JSON text, kept as is) until
    /// `expires_at` (Unix seconds; by default the registry's idle lifetime), refreshed by use.
    Put { client_id: String, record: String, expires_at: Option<i64> },
    /// The registration of `client_id`, refreshing its idle expiry.
    Get { client_id: String },
    /// Forget a registration.
    Delete { client_id: String },
    /// Count one event against `key`'s fixed window of `window` seconds, allowing `max`.
    Limit { key: String, max: i64, window: i64 },
}

/// A registry object's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryReply {
    /// [`RegistryCall::Put`], [`RegistryCall::Delete`].
    Done,
    /// [`RegistryCall::Get`]: the record as stored, or nothing (unknown or expired).
    Found { record: Option<String> },
    /// [`RegistryCall::Limit`]: whether this event is allowed, and when the window ends.
    Limited { allowed: bool, retry_after: i64 },
    /// The call could not be served (too large, malformed).
    Refused { reason: String },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn calls_and_replies_round_trip() {
        for c in [
            RegistryCall::Put { client_id: "c".into(), record: "{\"a\":1}".into(), expires_at: Some(5) },
            RegistryCall::Get { client_id: "c".into() },
            RegistryCall::Limit { key: "register-1.2.3.4".into(), max: 20, window: 3600 },
        ] {
            assert_eq!(serde_json::from_str::<RegistryCall>(&serde_json::to_string(&c).unwrap()).unwrap(), c);
        }
        let r = RegistryReply::Found { record: Some("{}".into()) };
        assert_eq!(serde_json::from_str::<RegistryReply>(&serde_json::to_string(&r).unwrap()).unwrap(), r);
    }
}
