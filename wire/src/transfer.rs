//! Transfer links (`/transfer/<token>`): what the Worker gives the user's object so its tools can
//! mint links ([`LinkMint`], in every `/mcp` forward), and the calls the Worker makes when a link
//! is used ([`LinkCall`] in, [`LinkReply`] out, through `UserCall::Link`).
//!
//! The bytes never travel between the Worker and the object: the Worker asks the object whether
//! (and where) a link may be used, streams R2 ↔ client itself, and reports back what R2 said.

use serde::{Deserialize, Serialize};

/// What a user's object needs to mint links, sent by the Worker with every `/mcp` forward (only
/// the Worker and that user's own object ever see it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkMint {
    /// `scheme://host[:port]` the client addressed: links are `<origin>/transfer/<token>`.
    pub origin: String,
    /// This user's link key (base64url of 32 bytes): `HMAC(routing key, "links" ‖ user_key)`.
    /// A link's routing tag is an HMAC under it, which the Worker recomputes from its routing key.
    pub key: String,
    /// The largest request body the Worker takes (`TRANSFER_MAX_BODY`): one PUT up to this; larger
    /// objects go up in parts of at most this.
    pub max_body: u64,
}

/// A link presented to the Worker, whose routing tag the Worker checked, and what its holder
/// wants. Flat, with a unit-only [`LinkOp`]: the fields an operation does not use stay at their
/// defaults (an enum of struct variants costs several KB more of wasm to deserialize).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCall {
    /// The whole link token; the object finds the link by its SHA-256.
    pub token: String,
    pub op: LinkOp,
    /// [`LinkOp::Part`], [`LinkOp::Whole`], [`LinkOp::PartStored`]: the part number (1 for a whole
    /// body) and its size in bytes; [`LinkOp::PartStored`]: the part's etag in R2.
    #[serde(default)]
    pub part: u16,
    #[serde(default)]
    pub size: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub etag: String,
    /// [`LinkOp::Part`], [`LinkOp::Whole`]: the request's `Content-Type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// [`LinkOp::Complete`]: the parts to assemble (the end of a whole-body `PUT`: its one part);
    /// absent: the parts the object recorded (`POST ?complete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<StoredPart>>,
}

/// What the holder of a link wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkOp {
    /// `GET`/`HEAD`: may the object be served? (the reply's `key`)
    #[default]
    Download,
    /// `PUT ?part=N`: may the part be streamed, and into which multipart upload? (`key`, `upload_id`)
    Part,
    /// `PUT` of the whole body: the same, as part 1 of an upload completed right after.
    Whole,
    /// A part is in R2: record it.
    PartStored,
    /// Assemble the parts: `POST ?complete`, or the end of a whole-body `PUT`. (`key`, `etag`, `size`)
    Complete,
    /// `DELETE`: the upload is abandoned and the link ends.
    Abort,
}

/// One part R2 accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPart {
    pub part: u16,
    pub etag: String,
    pub size: u64,
}

/// The object's answer to a [`LinkCall`]: a status, and what the operation asked for. Flat like
/// the call (the Worker knows what it asked): `status` 200 with the fields of the operation, or a
/// refusal's HTTP status with a message that says what to do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkReply {
    pub status: u16,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The user's key the link names (without the namespace prefix).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub upload_id: String,
    /// A completed upload: the object's new etag and size.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub etag: String,
    #[serde(default)]
    pub size: u64,
}

impl LinkReply {
    /// Done, with nothing to report.
    pub fn ok() -> Self {
        LinkReply { status: 200, ..Default::default() }
    }

    /// Refused with this HTTP status and message.
    pub fn refused(status: u16, message: String) -> Self {
        LinkReply { status, message, ..Default::default() }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn calls_and_replies_round_trip_and_stay_small() {
        let c = LinkCall { token: "t".into(), op: LinkOp::Part, part: 2, size: 5, ..Default::default() };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"token":"t","op":"part","part":2,"size":5}"#);
        assert_eq!(serde_json::from_str::<LinkCall>(&json).unwrap(), c);
        for r in [LinkReply::ok(), LinkReply::refused(410, "gone".into())] {
            assert_eq!(serde_json::from_str::<LinkReply>(&serde_json::to_string(&r).unwrap()).unwrap(), r);
        }
        assert_eq!(serde_json::to_string(&LinkReply::ok()).unwrap(), r#"{"status":200,"size":0}"#);
    }
}
