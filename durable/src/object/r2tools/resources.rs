//! Objects as MCP resources (`r2://objects/<key>`, see `mcp::resources`): `resources/list` pages
//! over the user's namespace, `resources/read` returns a whole object (the target of
//! `get_object`'s `resource_link`) or, above the size it returns, a download link to it, and key
//! completion lists by prefix with `/` folders.

use serde_json::Value;
use worker::{Bucket, Include};

use super::{internal, ToolContext};
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::pagination::Cursor;
use crate::mcp::resources::{self as res, ObjectEntry};
use crate::storage::content::Body;
use crate::storage::namespace::Namespace;
use crate::storage::range::RESOURCE_READ_LIMIT;
use crate::tools::links;
use crate::tools::r2;
use crate::tools::r2::Io;
use crate::transfer::{self, Kind, LinkRecord};

/// Resources per `resources/list` page.
const PAGE: u32 = 200;
/// Keys looked at for one completion.
const COMPLETE_LIMIT: u32 = 100;

pub async fn list(bucket: &Bucket, ns: &Namespace, _ctx: &ToolContext<'_>, cursor: Option<String>) -> Result<Value, RpcError> {
    // The host passes R2's cursor; accept our encoded form too.
    let cursor = cursor.filter(|c| !c.is_empty()).map(|c| match Cursor::decode(&c) {
        Ok(Cursor::Upstream(u)) => u,
        _ => c,
    });
    let mut req = bucket.list().prefix(ns.prefix()).limit(PAGE).include(vec![Include::HttpMetadata]);
    if let Some(c) = cursor {
        req = req.cursor(c);
    }
    let listed =
        req.execute().await.map_err(|e| RpcError::invalid_params(format!("Invalid cursor or listing failed: {}", r2::message(&e))))?;
    let objects: Vec<ObjectEntry> = listed
        .objects()
        .iter()
        .filter_map(|o| {
            let full = o.key();
            ns.from_r2(&full).map(|k| ObjectEntry {
                key: k.to_owned(),
                size: o.size(),
                content_type: r2::content_type(o),
                uploaded: r2::uploaded(o),
            })
        })
        .collect();
    let next = if listed.truncated() { listed.cursor() } else { None };
    Ok(res::list_result(Vec::new(), &objects, next.as_deref()))
}

pub async fn read(io: &Io<'_>, uri: &str, key: &str) -> Result<Value, RpcError> {
    let (bucket, ctx) = (io.bucket, io.ctx);
    let r2_key = io.ns.to_r2(key);
    let head = bucket.head(r2_key.as_str()).await.map_err(|e| internal(format!("R2: {}", r2::message(&e))))?;
    let Some(head) = head else {
        return Err(res::not_found(ctx.version, uri));
    };
    if head.size() > RESOURCE_READ_LIMIT {
        // Too large to return here: the answer points at a download link made for it (recorded
        // in the audit trail like any link), or at the tool that makes one.
        let size = head.size();
        let secs = transfer::DEFAULT_EXPIRES_SECS;
        let message = match links::create(io, Kind::Download, key, secs, LinkRecord::default()) {
            Ok(m) => format!(
                "The object is {size} bytes; resources/read returns objects up to {RESOURCE_READ_LIMIT} bytes. Download it whole within {} minutes from {} (for example: {}), or read a part with get_object and a range.",
                secs / 60,
                m.url,
                transfer::download_command(key, &m.url)
            ),
            Err(_) => format!(
                "The object is {size} bytes; resources/read returns objects up to {RESOURCE_READ_LIMIT} bytes. Use create_download_link to download it whole, or get_object with a range."
            ),
        };
        return Err(RpcError::invalid_params(message));
    }
    // A large answer waits for the isolate's large-transfer turn (see `object::large`); it is
    // released when this returns, and the caller turns the result into its answer without an
    // await in between.
    let _large = if head.size() > crate::object::large::LARGE_BYTES { Some(crate::object::large::turn().await) } else { None };
    // The object as it was when its size was checked: a larger one written since is not read.
    let object = bucket
        .get(r2_key.as_str())
        .only_if(worker::Conditional { etag_matches: Some(head.etag()), ..Default::default() })
        .execute()
        .await
        .map_err(|e| internal(format!("R2: {}", r2::message(&e))))?
        .filter(|o| o.body().is_some())
        .ok_or_else(|| internal("the object changed while it was being read; read it again"))?;
    let bytes =
        r2::read_body(&object, object.size(), RESOURCE_READ_LIMIT).await.map_err(|e| internal(format!("R2: {}", r2::message(&e))))?;
    let ct = r2::content_type(&object);
    Ok(res::read_result(uri, ct.as_deref(), Body::of(ct.as_deref(), bytes)))
}

pub async fn complete(bucket: &Bucket, ns: &Namespace, prefix: &str) -> Result<Value, RpcError> {
    let listed = bucket
        .list()
        .prefix(ns.to_r2(prefix))
        .delimiter("/")
        .limit(COMPLETE_LIMIT)
        .execute()
        .await
        .map_err(|e| internal(format!("R2: {}", r2::message(&e))))?;
    let mut values: Vec<String> = listed.delimited_prefixes().iter().filter_map(|p| ns.from_r2(p).map(str::to_owned)).collect();
    values.extend(listed.objects().iter().filter_map(|o| {
        let k = o.key();
        ns.from_r2(&k).map(str::to_owned)
    }));
    values.sort();
    Ok(res::completion_result(values, listed.truncated()))
}
