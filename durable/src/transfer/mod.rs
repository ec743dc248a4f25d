//! Transfer links: short-lived URLs that move one object's bytes between R2 and whoever holds the
//! link (an agent's `curl`), without the model, the MCP connection or this object in the middle.
//! The rules are here (plain Rust); the `transfer_links` table is `sqlite.rs` (wasm32); the
//! tools are `tools::create_download_link` and `tools::create_upload_link`; a link's use is
//! `object::r2tools::links` (the object's side) and the Worker's `routes::transfer` (the bytes).
//!
//! # The token, and why the object can mint one without the Worker's key
//! A link is `https://<host>/transfer/<token>`, and the token has the grant tokens' format
//! ([`crate::grants::token`]): `<user_key>:<link_id>:<tag>:<secret>`, 256 random bits of secret,
//! only its SHA-256 stored. The tag lets the Worker refuse a forged link before it touches any
//! object, as it does for bearer tokens. But links are minted by a tool, inside the user's object,
//! and the routing key never leaves the Worker. So the Worker derives, per user, a **link key**
//! `HMAC(routing key, "r2-mcp link key v1" ‖ user_key)` and hands it to that user's object with
//! every `/mcp` forward (`McpCall::links`); the object tags a link with
//! `HMAC(link key, "r2-mcp link v1" ‖ user_key ‖ ":" ‖ link_id)`, and the Worker checks a
//! presented link by deriving the same key again ([`link_ok`]). Why this shape:
//! - no extra round trip: the object mints links in the tool call itself, with no call back to
//!   the Worker for a tag and no pre-minted ids to keep;
//! - an object learns only its own user's link key, and a tag made with it routes only to that
//!   same object (the user key is under the HMAC), so even a leaked link key forges nothing for
//!   anyone else, and still needs a secret whose hash this object stored;
//! - a different derivation from the bearer tags (`routing_tag`), so a link is never a bearer
//!   token and a bearer token is never a link, although both have one shape and one parser;
//! - key rotation works as for tokens: the Worker checks under the current and the previous
//!   routing key, and objects mint under the current one.
//!
//! # A link's life
//! A link names one key of one user and nothing else. It lives `expires_in` seconds (default 15
//! minutes, at most 24 hours), dies at once when the grant that created it ends (revocation,
//! expiry: its row expires at once), and an upload link dies once its upload is applied (or
//! aborted). Rows are kept until an hour past their expiry ([`KEEP_EXPIRED_MS`]), so a spent or
//! expired link answers 410 rather than 404; then the alarm deletes them and aborts their
//! unfinished multipart uploads (R2 would after 7 days anyway). A user holds at most
//! [`MAX_LIVE_LINKS`] live links, and at most twice that many rows (beyond, expired ones go
//! early).
//!
//! # Uploads: every upload is a multipart upload, completed in the write queue
//! A `PUT` of the whole body is one part of a multipart upload, completed at once; larger objects
//! come as `PUT ?part=N` requests (each at most one request body) and a `POST ?complete`. The
//! parts stream from the client into R2 in the Worker, invisible to readers. The completion —
//! where the object appears — is a journaled write like any other (`tools::journal`): in the
//! user's write-queue turn, the link and its preconditions are checked against R2's current etag,
//! the intent is stored, R2 completes the upload, the audit row is written. So an upload is
//! applied in the user's write order and never interleaves with another write of this server;
//! whichever of an upload and a `put_object` on the same key comes second is judged by its own
//! preconditions against what the first left. The single journal intent suffices, as nothing of
//! an upload is visible before its completion turn. (R2's `complete` takes no condition, unlike
//! `put`: a writer *outside* this server changing the key in the milliseconds between the turn's
//! `head` and `complete` is not detected.)

#[cfg(target_arch = "wasm32")]
pub mod sqlite;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::grants::token::{self, RoutingKey, TokenParts};
use crate::storage::time::rfc3339;

/// A link lives this long unless the tool asks otherwise (15 minutes)…
pub const DEFAULT_EXPIRES_SECS: u64 = 15 * 60;
/// …and at most this long (24 hours)…
pub const MAX_EXPIRES_SECS: u64 = 24 * 60 * 60;
/// …and at least this long.
pub const MIN_EXPIRES_SECS: u64 = 1;
/// An expired link's row stays this long (1 hour), so it answers "expired" (410) rather than
/// "unknown" (404); then the alarm removes it and aborts its unfinished upload.
pub const KEEP_EXPIRED_MS: i64 = 60 * 60 * 1000;
/// Live links per user at most (creating more is refused until some expire).
pub const MAX_LIVE_LINKS: i64 = 1000;
/// R2's multipart limits: part numbers 1 to 10,000; every part but the last the same size, at
/// least 5 MiB; an object at most 5 TiB − 5 GiB.
pub const MAX_PARTS: u16 = 10_000;
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
/// R2's largest part (and single upload): 5 GiB − 5 MiB.
pub const R2_MAX_PART_BYTES: u64 = 5 * 1024 * 1024 * 1024 - 5 * 1024 * 1024;
pub const MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024 * 1024 - 5 * 1024 * 1024 * 1024;
/// A download link's uses are recorded in the audit trail on its first use, then at most once per
/// this many milliseconds (a client fetching in many ranges does not flood the trail).
pub const DOWNLOAD_AUDIT_EVERY_MS: i64 = 60_000;
/// The recommended part size in the instructions: 95 MiB, under the 100 MB request body limit of
/// the smaller plans.
pub const SUGGESTED_PART_BYTES: u64 = 95 * 1024 * 1024;

// ------------------------------------------------------------------------------------------------
// Keys and tags
// ------------------------------------------------------------------------------------------------

/// The link key of `user_key` under the Worker's routing key `routing`.
pub fn link_key(routing: &RoutingKey, user_key: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(routing) {
        mac.update(b"r2-mcp link key v1\0");
        mac.update(user_key.as_bytes());
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The link key as it travels in `McpCall::links` (base64url).
pub fn encode_link_key(key: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// The inverse of [`encode_link_key`]; `None` for anything else.
pub fn decode_link_key(s: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD.decode(s).ok()?.try_into().ok()
}

/// The routing tag of link `link_id` of `user_key`, under that user's link key.
pub fn link_tag(link_key: &[u8; 32], user_key: &str, link_id: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(link_key) else {
        return String::new();
    };
    mac.update(b"r2-mcp link v1\0");
    mac.update(user_key.as_bytes());
    mac.update(b":");
    mac.update(link_id.as_bytes());
    URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
}

/// Whether a presented link's tag was made for its user and link id under the link key derived
/// from one of `routing` (current first, then previous). Constant-time in the tag's bytes.
pub fn link_ok(routing: &[RoutingKey], parts: &TokenParts<'_>) -> bool {
    routing.iter().any(|k| {
        let tag = link_tag(&link_key(k, parts.user_key), parts.user_key, parts.grant_id);
        tag.len() == parts.tag.len() && tag.bytes().zip(parts.tag.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
    })
}

/// A new link of `user_key` under `link_key`, from 16 random bytes (the id) and 32 (the secret):
/// `(link_id, token)`.
pub fn mint(link_key: &[u8; 32], user_key: &str, id16: &[u8; 16], secret32: &[u8; 32]) -> Option<(String, String)> {
    let link_id = token::new_grant_id(id16);
    let tag = link_tag(link_key, user_key, &link_id);
    let t = token::mint(token::Routing { user_key, grant_id: &link_id, tag: &tag }, secret32)?;
    Some((link_id, t))
}

/// The URL of a link.
pub fn url(origin: &str, token: &str) -> String {
    format!("{origin}/transfer/{token}")
}

// ------------------------------------------------------------------------------------------------
// Links
// ------------------------------------------------------------------------------------------------

/// What a link may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Download,
    Upload,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Download => "download",
            Kind::Upload => "upload",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Kind::Download, Kind::Upload].into_iter().find(|k| k.as_str() == s)
    }
}

/// A link's settings and state (the `record` column, JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    /// The session and client that created it: a use is recorded in their name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Upload: the object's content type (else the request's, else `application/octet-stream`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Upload: the largest object accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// Upload: apply only over this etag…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
    /// …or only if the key does not exist.
    #[serde(default)]
    pub create_only: bool,
    /// Upload: applied or aborted; the link is spent.
    #[serde(default)]
    pub used: bool,
    /// Upload: the R2 multipart upload its parts go into, once the first part came, and its R2
    /// key (with the namespace prefix: what the alarm needs to abort it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_key: Option<String>,
    /// Download: when a use was last recorded in the audit trail (Unix ms; 0: never).
    #[serde(default)]
    pub last_audit_ms: i64,
}

/// A stored link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub link_id: String,
    pub grant_id: String,
    pub kind: Kind,
    /// The user's key (without the namespace prefix), in NFC, checked when the tool parsed it.
    pub key: String,
    pub expires_ms: i64,
    pub record: LinkRecord,
}

/// Why a link cannot be used as asked: its HTTP status and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Never issued, or removed (expired and swept, its grant ended): 404.
    Unknown,
    /// Past its expiry, or its grant ended: 410.
    Expired { at_ms: i64, kind: Kind },
    /// An upload link whose upload was applied or aborted: 410.
    Used,
    /// A download link asked to upload, or the other way round: 405.
    WrongMethod { kind: Kind },
    /// 413 (too large), 400 (bad part layout), 409 (state), 412 (precondition), 502 (R2).
    Status(u16, String),
}

impl LinkError {
    pub fn status(&self) -> u16 {
        match self {
            LinkError::Unknown => 404,
            LinkError::Expired { .. } | LinkError::Used => 410,
            LinkError::WrongMethod { .. } => 405,
            LinkError::Status(s, _) => *s,
        }
    }

    pub fn message(&self) -> String {
        match self {
            LinkError::Unknown => UNKNOWN.to_owned(),
            LinkError::Expired { at_ms, kind } => format!(
                "This {} link expired at {} (or the login that created it ended). Create a new one with create_{}_link.",
                kind.as_str(),
                rfc3339(*at_ms),
                kind.as_str()
            ),
            LinkError::Used => {
                "This upload link was already used: it takes one upload. Create a new one with create_upload_link.".to_owned()
            }
            LinkError::WrongMethod { kind: Kind::Download } => "This is a download link: GET it (curl -fLo <file> '<url>').".to_owned(),
            LinkError::WrongMethod { kind: Kind::Upload } => {
                "This is an upload link: PUT the body (curl -fT <file> '<url>'), or PUT parts with ?part=N and POST ?complete.".to_owned()
            }
            LinkError::Status(_, m) => m.clone(),
        }
    }
}

/// The message for a link that does not exist (also what the Worker answers a forged one).
pub const UNKNOWN: &str = "This transfer link is not valid: it was never issued, or it expired, or the login that created it ended. Create a new one with create_download_link or create_upload_link.";

/// Whether `link` may be used for `kind` at `now_ms` (its grant still standing: `grant_live`).
pub fn check_use(link: &Link, kind: Kind, now_ms: i64, grant_live: bool) -> Result<(), LinkError> {
    if link.record.used {
        return Err(LinkError::Used);
    }
    if now_ms >= link.expires_ms || !grant_live {
        return Err(LinkError::Expired { at_ms: link.expires_ms.min(now_ms), kind: link.kind });
    }
    if link.kind != kind {
        return Err(LinkError::WrongMethod { kind: link.kind });
    }
    Ok(())
}

/// A tool's `expires_in` (seconds): absent is [`DEFAULT_EXPIRES_SECS`]; otherwise 1 to 24 hours.
pub fn expires_in(asked: Option<u64>, tool: &str) -> Result<u64, String> {
    match asked {
        None => Ok(DEFAULT_EXPIRES_SECS),
        Some(s) if (MIN_EXPIRES_SECS..=MAX_EXPIRES_SECS).contains(&s) => Ok(s),
        Some(_) => Err(format!("Invalid expires_in for {tool}: from {MIN_EXPIRES_SECS} to {MAX_EXPIRES_SECS} seconds (24 hours)")),
    }
}

/// Whether a download at `now_ms` is recorded in the audit trail.
pub fn download_audit_due(record: &LinkRecord, now_ms: i64) -> bool {
    record.last_audit_ms == 0 || now_ms - record.last_audit_ms >= DOWNLOAD_AUDIT_EVERY_MS
}

// ------------------------------------------------------------------------------------------------
// Parts
// ------------------------------------------------------------------------------------------------

/// One part R2 holds for an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub number: u16,
    pub etag: String,
    pub size: u64,
}

/// Whether part `number` of `size` bytes may be streamed for `link`, whose other stored parts
/// (not `number`) add up to `others` bytes.
pub fn check_part(link: &Link, number: u16, size: u64, others: u64) -> Result<(), LinkError> {
    if !(1..=MAX_PARTS).contains(&number) {
        return Err(LinkError::Status(400, format!("Part numbers go from 1 to {MAX_PARTS}; got {number}.")));
    }
    let total = others.saturating_add(size);
    let limit = link.record.max_size.unwrap_or(MAX_OBJECT_BYTES).min(MAX_OBJECT_BYTES);
    if total > limit {
        return Err(LinkError::Status(
            413,
            format!("This upload would be {total} bytes with this part; the link takes at most {limit} bytes. Nothing was stored."),
        ));
    }
    Ok(())
}

/// Checks that `parts` (in part order) make one object R2 will assemble: numbers 1 to N without a
/// gap, every part but the last of one size of at least 5 MiB, the last no larger, the whole
/// within `max_size`. Returns the object's size.
pub fn plan(parts: &[Part], max_size: Option<u64>) -> Result<u64, String> {
    let Some(last) = parts.last() else {
        return Err("No part was uploaded: PUT the body to the link (or parts with ?part=N) first.".into());
    };
    if let Some((i, p)) = parts.iter().enumerate().find(|(i, p)| usize::from(p.number) != i + 1) {
        return Err(format!("Part {} is missing: parts must be numbered 1, 2, 3, … without gaps (found part {} next).", i + 1, p.number));
    }
    if parts.len() > 1 {
        let size = parts[0].size;
        if size < MIN_PART_BYTES {
            return Err(format!("Part 1 is {size} bytes; every part but the last must be at least {MIN_PART_BYTES} bytes (5 MiB)."));
        }
        if let Some(p) = parts[..parts.len() - 1].iter().find(|p| p.size != size) {
            return Err(format!(
                "Part {} is {} bytes but part 1 is {size}: every part but the last must have the same size (split -b does this).",
                p.number, p.size
            ));
        }
        if last.size > size {
            return Err(format!("The last part ({} bytes) is larger than the others ({size} bytes).", last.size));
        }
    }
    let total: u64 = parts.iter().map(|p| p.size).sum();
    let limit = max_size.unwrap_or(MAX_OBJECT_BYTES).min(MAX_OBJECT_BYTES);
    if total > limit {
        return Err(format!("The parts add up to {total} bytes; the link takes at most {limit} bytes."));
    }
    Ok(total)
}

/// The curl command that downloads `url` to a file named after the key's last segment.
pub fn download_command(key: &str, url: &str) -> String {
    format!("curl -fLo {} '{url}'", shell_word(file_name(key)))
}

/// The curl command that uploads a local file through `url` in one request.
pub fn upload_command(url: &str) -> String {
    format!("curl -fT <file> '{url}'")
}

/// The commands that upload a local file in parts of [`SUGGESTED_PART_BYTES`].
pub fn parts_commands(url: &str) -> String {
    format!(
        "split -b 95M <file> part. && n=0 && for p in part.*; do n=$((n+1)); curl -fT \"$p\" '{url}?part='$n || break; done && curl -fX POST '{url}?complete'"
    )
}

/// The last segment of a key (the name a download is saved as).
pub fn file_name(key: &str) -> &str {
    let name = key.rsplit('/').find(|s| !s.is_empty()).unwrap_or("download");
    if name == "." || name == ".." {
        "download"
    } else {
        name
    }
}

/// A word the shell passes as is: quoted unless plainly safe.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+,".contains(&b)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests;
