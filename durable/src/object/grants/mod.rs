//! The user's OAuth grants in SQLite (wasm32 only): opening a grant after login, redeeming codes,
//! rotating refresh tokens (refreshing the upstream session too), revocation, and the bearer check
//! on every `/mcp` request. The decisions are [`crate::grants::rules`]; this file reads and writes.
//!
//! Every handler runs its reads and writes without awaiting in between (SQL calls are synchronous),
//! so two requests can never redeem the same code or refresh token: the object handles one turn at a
//! time and a turn's writes commit together.

use worker::{SqlStorage, SqlStorageValue as V};

use super::db::{self, now_secs, random_array};
use super::upstream_refresh::{self, UpstreamRefresh};
use crate::grants::rules::{self, AccessTokenRecord, GrantError, GrantRecord, NewTokens, RefreshOutcome, UpstreamStep};
use crate::grants::sealed::{self, GrantKey};
use crate::grants::token;
use r2_mcp_wire::oauth::ErrorCode;
use r2_mcp_wire::user_calls::{GrantProps, OpenGrant, RevokeCall, TokenCall, TokenGrant, Tokens, UserReply};
use r2_mcp_wire::{user_key, UserIdentity};

#[cfg(feature = "dev")]
mod dev;
mod sweep;
#[cfg(feature = "dev")]
pub use dev::dev_token;
pub use sweep::{next_due, sweep};

fn error(e: GrantError) -> UserReply {
    UserReply::refused(e.code(), e.description())
}

fn server_error(what: &str) -> UserReply {
    UserReply::refused(ErrorCode::ServerError, what)
}

/// A stored grant with its wrapped keys.
struct Row {
    record: GrantRecord,
    props: Vec<u8>,
    code_wrap: Option<Vec<u8>>,
    refresh_wrap: Option<Vec<u8>>,
    previous_refresh_wrap: Option<Vec<u8>>,
}

fn load(sql: &SqlStorage, grant_id: &str) -> worker::Result<Option<Row>> {
    let row = db::one(
        sql,
        "SELECT record, props, code_wrap, refresh_wrap, previous_refresh_wrap FROM grants WHERE grant_id = ?",
        vec![grant_id.into()],
    )?;
    let Some(cols) = row else { return Ok(None) };
    let record: GrantRecord = match cols.first() {
        Some(V::String(s)) => serde_json::from_str(s).map_err(|e| worker::Error::RustError(e.to_string()))?,
        _ => return Ok(None),
    };
    Ok(Some(Row {
        record,
        props: db::blob(cols.get(1)).unwrap_or_default(),
        code_wrap: db::blob(cols.get(2)),
        refresh_wrap: db::blob(cols.get(3)),
        previous_refresh_wrap: db::blob(cols.get(4)),
    }))
}

fn save(sql: &SqlStorage, row: &Row) -> worker::Result<()> {
    let record = serde_json::to_string(&row.record).map_err(|e| worker::Error::RustError(e.to_string()))?;
    sql.exec(
        "INSERT OR REPLACE INTO grants (grant_id, record, props, code_wrap, refresh_wrap, previous_refresh_wrap, expires_at, \
         live_until, ended) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            row.record.grant_id.as_str().into(),
            record.into(),
            V::Blob(row.props.clone()),
            row.code_wrap.clone().into(),
            row.refresh_wrap.clone().into(),
            row.previous_refresh_wrap.clone().into(),
            row.record.expires_at.into(),
            row.record.live_until.into(),
            i64::from(row.record.revoked).into(),
        ],
    )?;
    Ok(())
}

/// The grants a call ended (revoked): the object then ends their sessions and streams.
pub type Ended = Vec<String>;

/// Marks the grant revoked and deletes its live access tokens (a replayed code, a reused refresh
/// token, an ended upstream session, or an RFC 7009 revocation), noting it in `ended`.
fn revoke(sql: &SqlStorage, mut row: Row, ended: &mut Ended) -> worker::Result<()> {
    ended.push(row.record.grant_id.clone());
    row.record = rules::revoke(&row.record);
    row.code_wrap = None;
    row.refresh_wrap = None;
    row.previous_refresh_wrap = None;
    save(sql, &row)?;
    sql.exec("DELETE FROM access_tokens WHERE grant_id = ?", vec![row.record.grant_id.as_str().into()])?;
    Ok(())
}

fn open_props(key: &GrantKey, row: &Row) -> Option<GrantProps> {
    let plain = sealed::open(key, row.record.grant_id.as_bytes(), &row.props)?;
    serde_json::from_slice(&plain).ok()
}

fn seal_props(key: &GrantKey, grant_id: &str, props: &GrantProps) -> Option<Vec<u8>> {
    let plain = serde_json::to_vec(props).ok()?;
    sealed::seal(key, &random_array(), grant_id.as_bytes(), &plain)
}

/// `POST /oauth/grant`: opens a grant for a user who approved and logged in; returns its code.
pub fn open_grant(sql: &SqlStorage, call: OpenGrant) -> worker::Result<UserReply> {
    let now = now_secs();
    let seen = db::one(sql, "SELECT 1 FROM login_states WHERE state_hash = ?", vec![call.login_state_hash.as_str().into()])?;
    if seen.is_some() {
        return Ok(UserReply::refused(ErrorCode::InvalidRequest, "this login was already completed"));
    }
    sql.exec("INSERT INTO login_states (state_hash, used_at) VALUES (?, ?)", vec![call.login_state_hash.as_str().into(), now.into()])?;

    let user_key = user_key(&call.props.identity.iss, &call.props.identity.sub);
    let grant_id = call.routing.grant_id.clone();
    let routing = token::Routing { user_key: &user_key, grant_id: &grant_id, tag: &call.routing.tag };
    let Some(code) = token::mint(routing, &random_array()) else {
        return Ok(server_error("could not mint a code"));
    };
    if load(sql, &grant_id)?.is_some() {
        return Ok(server_error("the grant id is already in use"));
    }
    let key: GrantKey = random_array();
    let Some(props) = seal_props(&key, &grant_id, &call.props) else {
        return Ok(server_error("could not seal the grant"));
    };
    let record = rules::open_grant(
        rules::NewGrant {
            grant_id,
            client_id: call.client_id,
            scope: call.scope,
            resource: call.resource,
            redirect_uri: call.redirect_uri,
            redirect_uri_explicit: call.redirect_uri_explicit,
            code_challenge: call.code_challenge,
            upstream_bound: call.props.upstream_refresh_token.is_some(),
        },
        token::hash(&code),
        now,
        &call.lifetimes,
    );
    let row = Row { code_wrap: Some(sealed::wrap(&key, &code)), record, props, refresh_wrap: None, previous_refresh_wrap: None };
    save(sql, &row)?;
    Ok(UserReply::Opened { code })
}

/// Freshly minted tokens for one response.
struct Minted {
    access: String,
    refresh: String,
}

fn mint(routing: token::Routing<'_>) -> Option<Minted> {
    Some(Minted { access: token::mint(routing, &random_array())?, refresh: token::mint(routing, &random_array())? })
}

/// Where the tokens minted for a presented token route: its user and grant, with the tag the
/// Worker made under its current key.
fn routing_of<'a>(parts: &token::TokenParts<'a>, call: &'a TokenCall) -> token::Routing<'a> {
    token::Routing { user_key: parts.user_key, grant_id: parts.grant_id, tag: &call.tag }
}

fn tokens(m: &Minted, issue: &rules::Issue) -> Tokens {
    Tokens {
        access_token: m.access.clone(),
        token_type: "Bearer".into(),
        expires_in: issue.expires_in,
        refresh_token: issue.refresh_issued.then(|| m.refresh.clone()),
        scope: issue.access.scope.join(" "),
        user_key: None,
    }
}

/// Writes a successful issue: the grant row, the access token with its key wrap, retired hashes.
fn write_issue(sql: &SqlStorage, row: &Row, issue: &rules::Issue, key: &GrantKey, m: &Minted) -> worker::Result<()> {
    save(sql, row)?;
    let access = &issue.access;
    let record = serde_json::to_string(access).map_err(|e| worker::Error::RustError(e.to_string()))?;
    sql.exec(
        "INSERT INTO access_tokens (token_hash, grant_id, record, key_wrap, expires_at) VALUES (?, ?, ?, ?, ?)",
        vec![
            access.token_hash.as_str().into(),
            access.grant_id.as_str().into(),
            record.into(),
            V::Blob(sealed::wrap(key, &m.access)),
            access.expires_at.into(),
        ],
    )?;
    for h in &issue.retire {
        sql.exec(
            "INSERT OR IGNORE INTO retired_refresh (token_hash, grant_id, retired_at) VALUES (?, ?, ?)",
            vec![h.as_str().into(), access.grant_id.as_str().into(), now_secs().into()],
        )?;
    }
    Ok(())
}

/// `POST /oauth/token`.
pub async fn token(sql: &SqlStorage, call: TokenCall, ended: &mut Ended) -> worker::Result<UserReply> {
    match call.grant {
        TokenGrant::AuthorizationCode { ref code, ref redirect_uri, ref code_verifier, ref resource } => {
            let Some(parts) = token::parse(code) else { return Ok(error(GrantError::CodeMismatch)) };
            let Some(mut row) = load(sql, parts.grant_id)? else { return Ok(error(GrantError::CodeMismatch)) };
            let Some(m) = mint(routing_of(&parts, &call)) else { return Ok(server_error("could not mint tokens")) };
            // Without the client's refresh_token grant, m.refresh is dropped unused: never stored nor returned.
            let new = NewTokens { access_hash: token::hash(&m.access), refresh_hash: call.issue_refresh.then(|| token::hash(&m.refresh)) };
            let req = rules::CodeRedemption {
                code_hash: &token::hash(code),
                client_id: &call.client_id,
                redirect_uri: redirect_uri.as_deref(),
                code_verifier,
                resource: resource.as_deref(),
            };
            let issue = match rules::redeem_code(&row.record, &req, new, now_secs(), &call.lifetimes) {
                Ok(issue) => issue,
                Err(e) => {
                    if e.revokes_grant() {
                        revoke(sql, row, ended)?;
                    }
                    return Ok(error(e));
                }
            };
            let Some(key) = row.code_wrap.as_deref().and_then(|w| sealed::unwrap(w, code)) else {
                return Ok(error(GrantError::CodeMismatch));
            };
            if open_props(&key, &row).is_none() {
                return Ok(error(GrantError::CodeMismatch));
            }
            row.record = issue.grant.clone();
            row.code_wrap = None;
            row.refresh_wrap = call.issue_refresh.then(|| sealed::wrap(&key, &m.refresh));
            write_issue(sql, &row, &issue, &key, &m)?;
            Ok(UserReply::Tokens(tokens(&m, &issue)))
        }
        TokenGrant::RefreshToken { ref refresh_token, ref scope, ref resource } => {
            refresh(sql, &call, refresh_token, scope.as_deref(), resource.as_deref(), ended).await
        }
    }
}

async fn refresh(
    sql: &SqlStorage,
    call: &TokenCall,
    refresh_token: &str,
    scope: Option<&[String]>,
    resource: Option<&str>,
    ended: &mut Ended,
) -> worker::Result<UserReply> {
    let Some(parts) = token::parse(refresh_token) else { return Ok(error(GrantError::RefreshUnknown)) };
    let Some(row) = load(sql, parts.grant_id)? else { return Ok(error(GrantError::RefreshUnknown)) };
    let presented = token::hash(refresh_token);
    let known_retired = db::one(
        sql,
        "SELECT 1 FROM retired_refresh WHERE token_hash = ? AND grant_id = ?",
        vec![presented.as_str().into(), parts.grant_id.into()],
    )?
    .is_some();
    let Some(m) = mint(routing_of(&parts, call)) else { return Ok(server_error("could not mint tokens")) };
    let new = NewTokens { access_hash: token::hash(&m.access), refresh_hash: Some(token::hash(&m.refresh)) };
    let req = rules::RefreshRequest { refresh_hash: &presented, known_retired, client_id: &call.client_id, scope, resource };
    let was_current = row.record.refresh_hash.as_deref() == Some(presented.as_str());
    let issue = match rules::use_refresh(&row.record, &req, new, now_secs(), &call.lifetimes) {
        RefreshOutcome::Issue(issue) => issue,
        RefreshOutcome::Refuse(e) => return Ok(error(e)),
        RefreshOutcome::RevokeGrant(e) => {
            revoke(sql, row, ended)?;
            return Ok(error(e));
        }
    };
    let wrap = if was_current { row.refresh_wrap.as_deref() } else { row.previous_refresh_wrap.as_deref() };
    let Some(key) = wrap.and_then(|w| sealed::unwrap(w, refresh_token)) else {
        return Ok(error(GrantError::RefreshUnknown));
    };
    let Some(mut props) = open_props(&key, &row) else { return Ok(error(GrantError::RefreshUnknown)) };

    // The Access session bounds the MCP grant: ask the upstream when the last check is older than
    // `upstream_recheck` (and only grants whose login brought an upstream refresh token can).
    let lt = call.lifetimes;
    let now = now_secs();
    let mut checked = false;
    let mut props_changed = false;
    if rules::upstream_step(&row.record, now, &lt) == UpstreamStep::Check {
        let outcome = match (&call.upstream, props.upstream_refresh_token.clone()) {
            (Some(upstream), Some(rt)) => upstream_refresh::refresh(upstream, &rt, &props.identity).await,
            (None, _) => UpstreamRefresh::Unavailable("the upstream's endpoints could not be discovered".into()),
            (_, None) => UpstreamRefresh::Unavailable("the grant holds no upstream refresh token".into()),
        };
        match outcome {
            UpstreamRefresh::Refreshed { refresh_token, identity } => {
                checked = true;
                if let Some(new_rt) = refresh_token {
                    props.upstream_refresh_token = Some(new_rt);
                    props_changed = true;
                }
                if let Some(id) = identity.filter(|id| *id != props.identity) {
                    props.identity = id;
                    props_changed = true;
                }
            }
            UpstreamRefresh::Ended => {
                // The awaited fetch let other turns run: re-read before writing.
                if let Some(current) = load(sql, parts.grant_id)? {
                    revoke(sql, current, ended)?;
                }
                return Ok(UserReply::refused(ErrorCode::InvalidGrant, "the upstream login session has ended; log in again"));
            }
            UpstreamRefresh::Unavailable(why) => {
                worker::console_warn!("upstream refresh unavailable: {why}");
                if let Err(e) = rules::upstream_unavailable(&row.record, now, &lt) {
                    return Ok(error(e));
                }
            }
        }
    }

    // The upstream call awaited: another request may have rotated or revoked this grant since, so
    // the rules run again on the row as it is now.
    let Some(mut row) = load(sql, parts.grant_id)? else { return Ok(error(GrantError::RefreshUnknown)) };
    let seal = |props: &GrantProps| seal_props(&key, parts.grant_id, props);
    let issue = if checked || props_changed {
        let again = rules::RefreshRequest { refresh_hash: &presented, known_retired, client_id: &call.client_id, scope, resource };
        let new = NewTokens { access_hash: token::hash(&m.access), refresh_hash: Some(token::hash(&m.refresh)) };
        match rules::use_refresh(&row.record, &again, new, now_secs(), &lt) {
            RefreshOutcome::Issue(issue) => issue,
            RefreshOutcome::Refuse(e) => {
                // The upstream may have rotated its token: keep it, or the next check would fail.
                if props_changed && !row.record.revoked {
                    if let Some(sealed_props) = seal(&props) {
                        row.props = sealed_props;
                        save(sql, &row)?;
                    }
                }
                return Ok(error(e));
            }
            RefreshOutcome::RevokeGrant(e) => {
                revoke(sql, row, ended)?;
                return Ok(error(e));
            }
        }
    } else {
        issue
    };
    let was_current = row.record.refresh_hash.as_deref() == Some(presented.as_str());
    if was_current {
        row.previous_refresh_wrap = row.refresh_wrap.take();
    }
    row.refresh_wrap = Some(sealed::wrap(&key, &m.refresh));
    if props_changed {
        let Some(sealed_props) = seal(&props) else {
            return Ok(server_error("could not seal the grant"));
        };
        row.props = sealed_props;
    }
    let mut issue = issue;
    if checked {
        issue.grant.upstream_checked_at = Some(now);
    }
    row.record = issue.grant.clone();
    write_issue(sql, &row, &issue, &key, &m)?;
    Ok(UserReply::Tokens(tokens(&m, &issue)))
}

/// `POST /oauth/revoke` (RFC 7009 §2.2): revokes the grant behind a live token of this client.
/// An unknown, foreign or already revoked token still answers 200.
pub fn revoke_token(sql: &SqlStorage, call: RevokeCall, ended: &mut Ended) -> worker::Result<UserReply> {
    if let Some(parts) = token::parse(&call.token) {
        if let Some(row) = load(sql, parts.grant_id)? {
            let hash = token::hash(&call.token);
            let r = &row.record;
            let names_it =
                [Some(&r.code_hash), r.refresh_hash.as_ref(), r.previous_refresh_hash.as_ref()].into_iter().flatten().any(|h| *h == hash)
                    || access_token_of(sql, &hash, parts.grant_id)?.is_some();
            if names_it && r.client_id == call.client_id && !r.revoked {
                revoke(sql, row, ended)?;
            }
        }
    }
    Ok(UserReply::Revoked)
}

fn access_token_of(sql: &SqlStorage, hash: &str, grant_id: &str) -> worker::Result<Option<(AccessTokenRecord, Vec<u8>)>> {
    let row = db::one(
        sql,
        "SELECT record, key_wrap FROM access_tokens WHERE token_hash = ? AND grant_id = ?",
        vec![hash.into(), grant_id.into()],
    )?;
    let Some(cols) = row else { return Ok(None) };
    let record = match cols.first() {
        Some(V::String(s)) => serde_json::from_str(s).ok(),
        _ => None,
    };
    Ok(record.map(|r| (r, db::blob(cols.get(1)).unwrap_or_default())))
}

/// Whether a grant still stands: present, not revoked, not expired. (Access mode's fixed
/// pseudo-grant always stands.)
pub fn is_live(sql: &SqlStorage, grant_id: &str) -> worker::Result<bool> {
    if grant_id == ACCESS_MODE_GRANT {
        return Ok(true);
    }
    Ok(load(sql, grant_id)?.is_some_and(|row| !row.record.revoked && now_secs() < row.record.live_until.max(1)))
}

/// The grant id every caller has behind a Cloudflare Access self-hosted application (no OAuth).
pub const ACCESS_MODE_GRANT: &str = "cloudflare-access";

/// Who a valid bearer token belongs to, and what it may do.
pub struct Caller {
    pub info: rules::AccessInfo,
    pub identity: UserIdentity,
}

/// Why a bearer check produced no caller.
#[derive(Debug)]
pub enum BearerError {
    /// Not good for this request: `invalid_token` for the client, with this description (never
    /// the token itself).
    Refused(&'static str),
    /// SQLite failed: the server's fault.
    Storage(worker::Error),
}

impl From<worker::Error> for BearerError {
    fn from(e: worker::Error) -> Self {
        BearerError::Storage(e)
    }
}

/// The `/mcp` bearer check of a token the Worker parsed (`hash`: its SHA-256; `grant_id`: its
/// grant): its row, its grant, the resource it was issued for, and the sealed identity it unwraps.
pub fn authenticate(sql: &SqlStorage, hash: &str, grant_id: &str, bearer: &str, resource: &str) -> Result<Caller, BearerError> {
    const UNKNOWN: BearerError = BearerError::Refused("the access token is unknown, expired or revoked");
    let Some((access, wrap)) = access_token_of(sql, hash, grant_id)? else {
        return Err(UNKNOWN);
    };
    let Some(row) = load(sql, grant_id)? else { return Err(UNKNOWN) };
    let info = match rules::check_access(&access, &row.record, resource, now_secs()) {
        Ok(info) => info,
        Err(GrantError::ResourceMismatch) => return Err(BearerError::Refused("the access token was issued for another resource")),
        Err(GrantError::AccessExpired) => return Err(BearerError::Refused("the access token has expired")),
        Err(_) => return Err(UNKNOWN),
    };
    let Some(props) = sealed::unwrap(&wrap, bearer).and_then(|key| open_props(&key, &row)) else {
        return Err(UNKNOWN);
    };
    Ok(Caller { info, identity: props.identity })
}
