//! A transfer link in use, the object's side (wasm32 only). The Worker, having checked the link's
//! tag, asks here whether and where the link may be used ([`LinkOp`]); it streams the bytes
//! between the client and R2 itself and reports what R2 said. This side owns the decisions and
//! the bookkeeping: the link's row, the multipart upload's id and parts, the audit trail, and the
//! completion of an upload as a journaled write in the user's write queue (see
//! [`crate::transfer`] for why every upload is a multipart upload completed there).

use std::cell::Cell;
use std::rc::Rc;

use r2_mcp_wire::transfer::{LinkCall, LinkOp, LinkReply, StoredPart};
use worker::{HttpMetadata, UploadedPart};

use super::R2Tools;
use crate::grants::token;
use crate::mcp::version::Version;
use crate::object::{db, grants};
use crate::storage::namespace::Namespace;
use crate::storage::preconditions;
use crate::tools::journal::{self, sqlite as trail, Applied, Attempt, Operation};
use crate::tools::r2::{self, Io, ToolContext};
use crate::tools::{Change, ToolError};
use crate::transfer::{self, sqlite, Kind, Link, LinkError, Part};

/// What a link's use did: the answer for the Worker, and the objects it changed (for the resource
/// notifications).
pub struct LinkOutcome {
    pub reply: LinkReply,
    pub changes: Vec<Change>,
    /// The user the link belongs to (its token's first part), once the link was found.
    pub user_key: Option<String>,
}

fn refused(e: &LinkError) -> LinkReply {
    LinkReply::refused(e.status(), e.message())
}

impl R2Tools {
    /// Answers one use of a link.
    pub async fn link(&self, call: LinkCall) -> LinkOutcome {
        let parts = token::parse(&call.token);
        let user_key = parts.map(|p| p.user_key.to_owned());
        let hash = token::hash(&call.token);
        let (reply, changes) = match self.use_link(&hash, user_key.as_deref(), call).await {
            Ok(done) => done,
            Err(e) => (refused(&e), Vec::new()),
        };
        LinkOutcome { reply, changes, user_key }
    }

    async fn use_link(&self, hash: &str, user_key: Option<&str>, call: LinkCall) -> Result<(LinkReply, Vec<Change>), LinkError> {
        let internal = |e: worker::Error| LinkError::Status(500, format!("The link could not be read: {e}"));
        let (Some(user_key), Some(bucket)) = (user_key, &self.bucket) else {
            return Err(LinkError::Unknown);
        };
        let ns = Namespace::for_user(user_key).ok_or(LinkError::Unknown)?;
        let link = sqlite::find(&self.sql, hash).map_err(internal)?.ok_or(LinkError::Unknown)?;
        let noop = |_: f64, _: Option<f64>, _: Option<String>| {};
        // Uses are recorded in the name of the session and client that created the link.
        let (grant_id, session, client) = (link.grant_id.clone(), link.record.session.clone(), link.record.client.clone());
        let ctx = ToolContext {
            user_key,
            grant_id: &grant_id,
            // Only a writer can make an upload link; a download needs no more than reading.
            role: if call.op == LinkOp::Download { crate::tools::Role::ReadOnly } else { crate::tools::Role::Writer },
            session_id: session.as_deref(),
            client_name: client.as_deref(),
            version: Version::V2025_11_25,
            progress: &noop,
            cancelled: Rc::new(Cell::new(false)),
            links: None,
        };
        let io = self.io(bucket, &ns, &ctx);
        let wanted = if call.op == LinkOp::Download { Kind::Download } else { Kind::Upload };
        let live = grants::is_live(&self.sql, &link.grant_id).map_err(internal)?;
        transfer::check_use(&link, wanted, db::now_ms(), live)?;
        match call.op {
            LinkOp::Download => download(&io, hash, link).map(|r| (r, Vec::new())),
            LinkOp::Part | LinkOp::Whole => {
                let others =
                    if call.op == LinkOp::Whole { 0 } else { sqlite::others_size(&self.sql, hash, call.part).map_err(internal)? };
                transfer::check_part(&link, call.part, call.size, others)?;
                let key = link.key.clone();
                let upload_id = ensure_upload(&io, hash, link, call.content_type).await?;
                Ok((LinkReply { key, upload_id, ..LinkReply::ok() }, Vec::new()))
            }
            LinkOp::PartStored => {
                if link.record.upload_id.is_none() {
                    return Err(LinkError::Status(409, "This upload was discarded meanwhile; start again with a new link.".into()));
                }
                let part = Part { number: call.part, etag: call.etag, size: call.size };
                sqlite::store_part(&self.sql, hash, &part).map_err(internal)?;
                Ok((LinkReply::ok(), Vec::new()))
            }
            LinkOp::Complete => complete(&io, hash, call.parts).await,
            LinkOp::Abort => {
                abort(&io, hash, link).await.map_err(internal)?;
                Ok((LinkReply::ok(), Vec::new()))
            }
        }
    }

    /// Removes expired links (at most `limit`), aborting their unfinished uploads; `true` while
    /// more remain.
    pub async fn sweep_links(&self, limit: i64) -> worker::Result<bool> {
        let expired = sqlite::expired(&self.sql, db::now_ms(), limit)?;
        for e in &expired {
            if let (Some((r2_key, id)), Some(bucket)) = (&e.upload, &self.bucket) {
                // R2 aborts unfinished uploads after 7 days anyway: a failure here is only logged.
                if let Err(err) = abort_r2(bucket, r2_key, id).await {
                    worker::console_warn!("aborting an expired link's upload failed: {err}");
                }
            }
            sqlite::delete(&self.sql, &e.hash)?;
        }
        Ok(expired.len() as i64 >= limit)
    }

    /// The links of a grant that ended stop working now (the alarm removes them).
    pub fn end_links_of(&self, grant_id: &str) -> worker::Result<()> {
        sqlite::end_grant(&self.sql, grant_id, db::now_ms())
    }

    /// When the next link expires (Unix ms).
    pub fn next_link_due(&self) -> worker::Result<Option<i64>> {
        sqlite::next_due(&self.sql)
    }
}

fn part_of(p: &StoredPart) -> Part {
    Part { number: p.part, etag: p.etag.clone(), size: p.size }
}

/// A download: the key to serve; the use goes in the audit trail, at most once a minute per link.
fn download(io: &Io<'_>, hash: &str, mut link: Link) -> Result<LinkReply, LinkError> {
    let now = db::now_ms();
    if transfer::download_audit_due(&link.record, now) {
        trail::note(io, Operation::Download, &link.key, &link.link_id, None);
        link.record.last_audit_ms = now;
        if let Err(e) = sqlite::save(io.sql, hash, &link.record) {
            worker::console_warn!("could not save a link's last use: {e}");
        }
    }
    Ok(LinkReply { key: link.key, ..LinkReply::ok() })
}

/// The multipart upload a link's parts go into: created with the first part, in a turn of the
/// write queue so parts that arrive together create one. The link's preconditions are checked
/// then too, so an upload that cannot apply is refused before its bytes are sent.
async fn ensure_upload(io: &Io<'_>, hash: &str, link: Link, content_type: Option<String>) -> Result<String, LinkError> {
    if let Some(id) = link.record.upload_id {
        return Ok(id);
    }
    let _turn = io.queue.acquire().await;
    let internal = |e: worker::Error| LinkError::Status(500, format!("The link could not be read: {e}"));
    let mut link = sqlite::find(io.sql, hash).map_err(internal)?.ok_or(LinkError::Unknown)?;
    if let Some(id) = link.record.upload_id {
        return Ok(id);
    }
    let r2_key = io.ns.to_r2(&link.key);
    let current = r2::head(io.bucket, &r2_key, &link.key).await.map_err(link_error)?.map(|o| o.etag());
    check_preconditions(&link, current.as_deref())?;
    let content_type = link.record.content_type.clone().or(content_type).unwrap_or_else(|| "application/octet-stream".into());
    let meta = || HttpMetadata { content_type: Some(content_type), ..Default::default() };
    let created = io
        .bucket
        .create_multipart_upload(r2_key.clone())
        .http_metadata(meta())
        .execute()
        .await
        .map_err(|e| LinkError::Status(502, format!("Starting the upload failed in R2: {}; send it again.", r2::message(&e))))?;
    let id = created.upload_id().await;
    link.record.upload_id = Some(id.clone());
    link.record.upload_key = Some(r2_key);
    sqlite::save(io.sql, hash, &link.record).map_err(internal)?;
    Ok(id)
}

fn check_preconditions(link: &Link, current: Option<&str>) -> Result<(), LinkError> {
    preconditions::check(current, link.record.if_match.as_deref(), link.record.create_only, &format!("{:?}", link.key))
        .map_err(|e| LinkError::Status(412, format!("{e} Nothing was written.")))
}

/// Completes the upload: a journaled write in the user's write queue. The link is re-read in the
/// turn (it may have been spent or expired while this waited), the parts are checked, the
/// preconditions are judged against R2's etag now, and R2 assembles the object.
async fn complete(io: &Io<'_>, hash: &str, given: Option<Vec<StoredPart>>) -> Result<(LinkReply, Vec<Change>), LinkError> {
    let _turn = journal::write_turn(io).await.map_err(link_error)?;
    let internal = |e: worker::Error| LinkError::Status(500, format!("The link could not be read: {e}"));
    let mut link = sqlite::find(io.sql, hash).map_err(internal)?.ok_or(LinkError::Unknown)?;
    let live = grants::is_live(io.sql, &link.grant_id).map_err(internal)?;
    transfer::check_use(&link, Kind::Upload, db::now_ms(), live)?;
    let Some(upload_id) = link.record.upload_id.clone() else {
        return Err(LinkError::Status(409, "No part was uploaded through this link yet: PUT the body (or ?part=1, 2, …) first.".into()));
    };
    let parts = match given {
        Some(p) => p.iter().map(part_of).collect(),
        None => sqlite::parts(io.sql, hash).map_err(internal)?,
    };
    transfer::plan(&parts, link.record.max_size).map_err(|e| LinkError::Status(400, e))?;
    let r2_key = io.ns.to_r2(&link.key);
    io.etags.borrow_mut().forget(&link.key);
    let before = r2::head(io.bucket, &r2_key, &link.key).await.map_err(link_error)?.map(|o| o.etag());
    if let Err(e) = check_preconditions(&link, before.as_deref()) {
        // It cannot apply, now or later: the parts are discarded and the link is spent.
        let _ = abort(io, hash, link).await;
        return Err(LinkError::Status(412, format!("{} The upload was discarded; create a new link to try again.", e.message())));
    }
    let key = link.key.clone();
    let mutation = async {
        let uploaded = parts.iter().map(|p| UploadedPart::new(p.number, p.etag.clone()));
        match io.bucket.resume_multipart_upload(r2_key.clone(), upload_id.clone()) {
            Ok(up) => match up.complete(uploaded).await {
                Ok(o) => Attempt::Done(Applied { op: Operation::Upload, after: Some(o.etag()), value: (o.etag(), o.size()) }),
                Err(e) => Attempt::Failed(ToolError::r2("Completing the upload", r2::message(&e))),
            },
            Err(e) => Attempt::Failed(ToolError::r2("Completing the upload", r2::message(&e))),
        }
    };
    match journal::write_linked(io, Operation::Upload, &[&key], before.as_deref(), Some(&link.link_id), mutation).await {
        Attempt::Done(((etag, stored), _seq)) => {
            io.etags.borrow_mut().set(&key, etag.clone());
            link.record.used = true;
            link.record.upload_id = None;
            link.record.upload_key = None;
            if let Err(e) = sqlite::save(io.sql, hash, &link.record).and_then(|()| sqlite::drop_parts(io.sql, hash)) {
                worker::console_warn!("could not mark a used upload link: {e}");
            }
            let changes = vec![Change::written(&key, before.as_deref())];
            Ok((LinkReply { key, etag, size: stored, ..LinkReply::ok() }, changes))
        }
        Attempt::Refused(e) => Err(LinkError::Status(412, e.to_string())),
        Attempt::Failed(ToolError::R2 { message, .. }) => Err(completion_failed(&message)),
        Attempt::Failed(e) => Err(link_error(e)),
    }
}

/// A tool-layer failure (R2, the write log, the queue) as the link's HTTP answer.
fn link_error(e: ToolError) -> LinkError {
    let status = match &e {
        ToolError::Invalid(_) => 400,
        ToolError::ReadOnly(_) => 403,
        ToolError::NotFound(_) => 404,
        ToolError::Precondition(_) => 412,
        ToolError::R2 { .. } => 502,
        ToolError::RateLimited { .. } | ToolError::Cancelled(_) | ToolError::Unavailable(_) => 503,
        ToolError::Storage { .. } | ToolError::Partial(_) => 500,
    };
    LinkError::Status(status, e.to_string())
}

/// R2's refusal to assemble the parts (their sizes, a part it does not hold) is the client's to
/// fix (400; the link stays usable); anything else is R2's (502).
fn completion_failed(e: &str) -> LinkError {
    let parts_problem = ["10011", "10024", "10025", "10048"].iter().any(|code| e.contains(code));
    if parts_problem {
        LinkError::Status(400, format!("R2 could not assemble the parts: {e}. Upload the parts again (same numbers), then complete."))
    } else {
        LinkError::Status(502, format!("Completing the upload failed in R2: {e}. Nothing was written; complete again."))
    }
}

/// Abandons the link's upload: R2 discards its parts, the link is spent.
async fn abort(io: &Io<'_>, hash: &str, mut link: Link) -> worker::Result<()> {
    if let (Some(r2_key), Some(id)) = (link.record.upload_key.take(), link.record.upload_id.take()) {
        if let Err(e) = abort_r2(io.bucket, &r2_key, &id).await {
            worker::console_warn!("aborting a link's upload failed (R2 drops it after 7 days): {e}");
        }
    }
    link.record.used = true;
    sqlite::save(io.sql, hash, &link.record)?;
    sqlite::drop_parts(io.sql, hash)
}

async fn abort_r2(bucket: &worker::Bucket, r2_key: &str, upload_id: &str) -> worker::Result<()> {
    bucket.resume_multipart_upload(r2_key, upload_id)?.abort().await
}
