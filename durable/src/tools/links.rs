//! What `create_download_link` and `create_upload_link` share (wasm32 only): minting a transfer
//! link (see [`crate::transfer`]) under the key the Worker sent, storing its hash, and recording
//! its creation in the audit trail.

use crate::grants::token;
use crate::object::db;
use crate::tools::journal::{sqlite as journal, Operation};
use crate::tools::r2::Io;
use crate::tools::ToolError;
use crate::transfer::{self, sqlite, Kind, Link, LinkRecord, MAX_LIVE_LINKS};

/// A link just made.
pub struct Minted {
    pub url: String,
    pub link_id: String,
    pub expires_ms: i64,
    /// The largest request body the Worker takes (one PUT; larger objects go in parts).
    pub max_body: u64,
}

/// Mints, stores and records a link of `kind` to `key` living `expires_secs`. `record` carries the
/// upload settings; its creator fields are filled in here.
pub fn create(io: &Io<'_>, kind: Kind, key: &str, expires_secs: u64, mut record: LinkRecord) -> Result<Minted, ToolError> {
    let Some(mint) = io.ctx.links else {
        return Err(ToolError::Unavailable(
            "Transfer links are not available on this server: it has no COOKIE_ENCRYPTION_KEY to sign them with.".into(),
        ));
    };
    let link_key = transfer::decode_link_key(&mint.key)
        .ok_or_else(|| ToolError::Unavailable("Transfer links are not available: the server sent no usable link key.".into()))?;
    let user_key = io.ctx.user_key;
    let now = db::now_ms();
    let failed = |e: worker::Error| ToolError::storage("Storing the link", e);
    sqlite::bound_rows(io.sql, now, 2 * MAX_LIVE_LINKS).map_err(failed)?;
    if sqlite::live_count(io.sql, now).map_err(failed)? >= MAX_LIVE_LINKS {
        return Err(ToolError::Unavailable(format!(
            "You have {MAX_LIVE_LINKS} transfer links that have not expired yet, the most a user may hold. Use them, or wait for some to expire."
        )));
    }
    let (link_id, token) = transfer::mint(&link_key, user_key, &db::random_array::<16>(), &db::random_array::<32>())
        .ok_or_else(|| ToolError::Unavailable("Minting the link failed: this account's key is malformed.".into()))?;
    record.session = io.ctx.session_id.map(str::to_owned);
    record.client = journal::clip(io.ctx.client_name);
    let expires_ms = now.saturating_add(i64::try_from(expires_secs).unwrap_or(i64::MAX).saturating_mul(1000));
    let link = Link { link_id, grant_id: io.ctx.grant_id.to_owned(), kind, key: key.to_owned(), expires_ms, record };
    sqlite::insert(io.sql, &token::hash(&token), &link).map_err(failed)?;
    let op = match kind {
        Kind::Download => Operation::DownloadLink,
        Kind::Upload => Operation::UploadLink,
    };
    journal::note(io, op, key, &link.link_id, None);
    Ok(Minted { url: transfer::url(&mint.origin, &token), link_id: link.link_id, expires_ms, max_body: mint.max_body })
}
