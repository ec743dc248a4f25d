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

/// A link presented to the Worker, whose routing tag the Worker checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkCall {
    /// The whole link token; the object finds the link by its SHA-256.
    pub token: String,
    pub op: LinkOp,
}

/// What the holder of a link wants. Externally tagged, like every call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkOp {
    /// `GET`/`HEAD`: may the object be served? ([`LinkReply::Serve`])
    Download,
    /// `PUT` of one part (`?part=N`), or of the whole body (`part` 1, `whole`): may it be streamed,
    /// and into which multipart upload? ([`LinkReply::Part`])
    Part { part: u16, size: u64, whole: bool, content_type: Option<String> },
    /// A part is in R2 ([`LinkReply::PartStored`]).
    PartStored(StoredPart),
    /// `POST ?complete` (`parts` absent: the parts the object recorded), or the end of a whole-body
    /// `PUT` (`parts`: its one part) ([`LinkReply::Completed`]).
    Complete { parts: Option<Vec<StoredPart>> },
    /// `DELETE`: the upload is abandoned and the link ends ([`LinkReply::Aborted`]).
    Abort,
}

/// One part R2 accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPart {
    pub part: u16,
    pub etag: String,
    pub size: u64,
}

/// The object's answer to a [`LinkCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkReply {
    /// Serve the user's `key` (without the namespace prefix).
    Serve { key: String },
    /// Stream the part into this multipart upload of `key`.
    Part { key: String, upload_id: String },
    PartStored,
    /// The object was written: its new etag and size.
    Completed { key: String, etag: String, size: u64 },
    Aborted,
    /// Refused: the HTTP status and a message that says what to do.
    Refused { status: u16, message: String },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn calls_and_replies_round_trip() {
        let c = LinkCall { token: "t".into(), op: LinkOp::Part { part: 2, size: 5, whole: false, content_type: None } };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("{\"part\":{"), "{json}");
        let back: LinkCall = serde_json::from_str(&json).unwrap();
        assert_eq!(back.op, c.op);
        for r in [LinkReply::PartStored, LinkReply::Refused { status: 410, message: "gone".into() }] {
            assert_eq!(serde_json::from_str::<LinkReply>(&serde_json::to_string(&r).unwrap()).unwrap(), r);
        }
    }
}
