//! The grant state machine, as pure functions: authorization codes (single use, 10 min, replay
//! revokes the grant), refresh rotation (the previous refresh token stays valid until the new one
//! is first used; a retired one presented again revokes the grant), access-token checks, expiry.
//!
//! Every function takes the stored record and `now`, and returns what the glue must write; none
//! of them touch storage. The tables are described in [`super`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use r2_mcp_wire::oauth::ErrorCode;
pub use r2_mcp_wire::Lifetimes;

/// One grant: a client's authorization by this user, as stored in the `grants` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    pub grant_id: String,
    pub client_id: String,
    pub scope: Vec<String>,
    /// The resource the grant is bound to (RFC 8707).
    pub resource: String,
    pub redirect_uri: String,
    /// The authorization request named `redirect_uri`, so `/token` must repeat it (RFC 6749 §4.1.3).
    pub redirect_uri_explicit: bool,
    /// PKCE S256 challenge from `/authorize`.
    pub code_challenge: String,
    pub created_at: i64,
    pub code_hash: String,
    pub code_expires_at: i64,
    pub code_redeemed_at: Option<i64>,
    pub refresh_hash: Option<String>,
    /// The refresh token `refresh_hash` replaced; valid until `refresh_hash` is first used.
    pub previous_refresh_hash: Option<String>,
    pub refresh_expires_at: Option<i64>,
    /// After this instant the row can be deleted (see [`is_deletable`]).
    pub expires_at: i64,
    pub revoked: bool,
    /// The login brought an upstream refresh token: refreshes re-check the upstream session and
    /// may slide the grant (up to `grant_max`). Without one the grant ends at `refresh` after login.
    #[serde(default)]
    pub upstream_bound: bool,
    /// When the upstream last confirmed the user's session (login, or a successful refresh there).
    #[serde(default)]
    pub upstream_checked_at: Option<i64>,
    /// When the last token the grant issued stops working (its refresh token, else its latest
    /// access token): the grant has ended then, and its sessions and streams end with it. The row
    /// itself stays until `expires_at`, so a replayed code is still recognised.
    #[serde(default)]
    pub live_until: i64,
}

/// One access token, as stored in the `access_tokens` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenRecord {
    pub token_hash: String,
    pub grant_id: String,
    /// May be narrower than the grant's (RFC 6749 §6).
    pub scope: Vec<String>,
    pub expires_at: i64,
}

/// Why a grant operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantError {
    Revoked,
    CodeMismatch,
    CodeExpired,
    /// RFC 6749 §4.1.2: a code used twice: the grant and its tokens are revoked.
    CodeReplayed,
    ClientMismatch,
    RedirectUriMismatch,
    PkceFailed,
    ResourceMismatch,
    ScopeNotGranted,
    RefreshExpired,
    /// Matches no live refresh token of the grant (and is not a known retired one).
    RefreshUnknown,
    /// A retired refresh token came back: someone kept a copy. The grant is revoked.
    RefreshReused,
    AccessExpired,
    /// The grant reached its absolute lifetime (`grant_max`), or `refresh` after a login without
    /// an upstream refresh token: the user must log in again.
    GrantExpired,
    /// The upstream session could not be confirmed for longer than `upstream_grace`.
    UpstreamUnconfirmed,
}

impl GrantError {
    /// The OAuth `error` code to answer with.
    pub fn code(self) -> ErrorCode {
        match self {
            Self::ResourceMismatch => ErrorCode::InvalidTarget,
            Self::ScopeNotGranted => ErrorCode::InvalidScope,
            Self::AccessExpired => ErrorCode::InvalidToken,
            _ => ErrorCode::InvalidGrant,
        }
    }

    /// True when the glue must revoke the grant (mark it revoked, delete its access tokens).
    pub fn revokes_grant(self) -> bool {
        matches!(self, Self::CodeReplayed | Self::RefreshReused)
    }

    /// A short description for `error_description`.
    pub fn description(self) -> &'static str {
        match self {
            Self::Revoked => "grant revoked",
            Self::CodeMismatch => "authorization code is invalid",
            Self::CodeExpired => "authorization code expired",
            Self::CodeReplayed => "authorization code already used; the grant is revoked",
            Self::ClientMismatch => "issued to another client",
            Self::RedirectUriMismatch => "redirect_uri differs from the authorization request",
            Self::PkceFailed => "code_verifier does not match the code_challenge",
            Self::ResourceMismatch => "resource differs from the grant's",
            Self::ScopeNotGranted => "scope exceeds the grant",
            Self::RefreshExpired => "refresh token expired",
            Self::RefreshUnknown => "refresh token is invalid",
            Self::RefreshReused => "refresh token already used; the grant is revoked",
            Self::AccessExpired => "access token expired",
            Self::GrantExpired => "the grant has reached its maximum lifetime; log in again",
            Self::UpstreamUnconfirmed => "the login service could not confirm the session for too long; log in again",
        }
    }
}

/// What `/authorize` + consent established, to open a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGrant {
    pub grant_id: String,
    pub client_id: String,
    pub scope: Vec<String>,
    pub resource: String,
    pub redirect_uri: String,
    pub redirect_uri_explicit: bool,
    pub code_challenge: String,
    /// The login brought an upstream refresh token (see [`GrantRecord::upstream_bound`]).
    pub upstream_bound: bool,
}

/// The grant row to INSERT when a code is issued (`code_hash` = [`super::token::hash`] of the code).
pub fn open_grant(g: NewGrant, code_hash: String, now: i64, ttls: &Lifetimes) -> GrantRecord {
    let code_expires_at = now.saturating_add(ttls.code);
    GrantRecord {
        grant_id: g.grant_id,
        client_id: g.client_id,
        scope: g.scope,
        resource: g.resource,
        redirect_uri: g.redirect_uri,
        redirect_uri_explicit: g.redirect_uri_explicit,
        code_challenge: g.code_challenge,
        created_at: now,
        code_hash,
        code_expires_at,
        code_redeemed_at: None,
        refresh_hash: None,
        previous_refresh_hash: None,
        refresh_expires_at: None,
        expires_at: code_expires_at,
        revoked: false,
        upstream_bound: g.upstream_bound,
        upstream_checked_at: Some(now),
        live_until: code_expires_at,
    }
}

/// The `/token` authorization_code request, as the grant rules need it.
#[derive(Debug, Clone, Copy)]
pub struct CodeRedemption<'a> {
    pub code_hash: &'a str,
    /// The authenticated client.
    pub client_id: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: &'a str,
    pub resource: Option<&'a str>,
}

/// Hashes of the tokens the glue minted for this response (with [`super::token::mint`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTokens {
    pub access_hash: String,
    /// `None` when the client may not use refresh tokens.
    pub refresh_hash: Option<String>,
}

/// What to write after a successful redemption or refresh: UPDATE the grant row, INSERT the
/// access-token row, INSERT `retire` (if any) into `retired_refresh`; answer with `scope` and
/// `expires_in`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub grant: GrantRecord,
    pub access: AccessTokenRecord,
    pub retire: Vec<String>,
    pub expires_in: i64,
    pub refresh_issued: bool,
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 7636 §4.6 S256 check (the same rule as the front Worker's `oauth::pkce`).
pub fn pkce_s256_ok(verifier: &str, challenge: &str) -> bool {
    let syntax = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    syntax && ct_eq(&URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())), challenge)
}

/// The last instant a grant's tokens may live to, if it is refreshed at `now`: `refresh` after
/// now (sliding, upstream-bound grants) or after the login (others), never past `grant_max`
/// after the login.
pub fn grant_end(grant: &GrantRecord, now: i64, ttls: &Lifetimes) -> i64 {
    let hard = grant.created_at.saturating_add(ttls.grant_max);
    let from = if grant.upstream_bound { now } else { grant.created_at };
    from.saturating_add(ttls.refresh).min(hard)
}

fn issue(mut grant: GrantRecord, scope: Vec<String>, new: NewTokens, retire: Vec<String>, now: i64, ttls: &Lifetimes) -> Issue {
    let end = grant_end(&grant, now, ttls);
    let access_exp = now.saturating_add(ttls.access).min(end);
    let refresh_issued = new.refresh_hash.is_some();
    if let Some(r) = new.refresh_hash {
        grant.refresh_hash = Some(r);
        grant.refresh_expires_at = Some(end);
    }
    grant.live_until = grant.refresh_expires_at.unwrap_or(access_exp).max(access_exp);
    grant.expires_at = grant.live_until.max(grant.code_expires_at);
    let access = AccessTokenRecord { token_hash: new.access_hash, grant_id: grant.grant_id.clone(), scope, expires_at: access_exp };
    Issue { grant, access, retire, expires_in: access_exp.saturating_sub(now), refresh_issued }
}

/// `/token` with `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 8707).
/// On [`GrantError::CodeReplayed`] the glue revokes the grant. Other failures do not consume the code.
pub fn redeem_code(
    record: &GrantRecord,
    req: &CodeRedemption<'_>,
    new: NewTokens,
    now: i64,
    ttls: &Lifetimes,
) -> Result<Issue, GrantError> {
    if !ct_eq(&record.code_hash, req.code_hash) {
        return Err(GrantError::CodeMismatch);
    }
    if record.code_redeemed_at.is_some() {
        return Err(if record.revoked { GrantError::Revoked } else { GrantError::CodeReplayed });
    }
    if record.revoked {
        return Err(GrantError::Revoked);
    }
    if now >= record.code_expires_at {
        return Err(GrantError::CodeExpired);
    }
    if record.client_id != req.client_id {
        return Err(GrantError::ClientMismatch);
    }
    match req.redirect_uri {
        Some(r) if r != record.redirect_uri => return Err(GrantError::RedirectUriMismatch),
        None if record.redirect_uri_explicit => return Err(GrantError::RedirectUriMismatch),
        _ => {}
    }
    if req.resource.is_some_and(|r| r != record.resource) {
        return Err(GrantError::ResourceMismatch);
    }
    if !pkce_s256_ok(req.code_verifier, &record.code_challenge) {
        return Err(GrantError::PkceFailed);
    }
    if grant_end(record, now, ttls) <= now {
        return Err(GrantError::GrantExpired);
    }
    let mut grant = record.clone();
    grant.code_redeemed_at = Some(now);
    let scope = grant.scope.clone();
    Ok(issue(grant, scope, new, Vec::new(), now, ttls))
}

/// The `/token` refresh_token request, as the grant rules need it.
#[derive(Debug, Clone, Copy)]
pub struct RefreshRequest<'a> {
    pub refresh_hash: &'a str,
    /// The glue found `refresh_hash` in `retired_refresh` for this grant.
    pub known_retired: bool,
    pub client_id: &'a str,
    pub scope: Option<&'a [String]>,
    pub resource: Option<&'a str>,
}

/// What a refresh request leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Rotate: write as [`Issue`] says.
    Issue(Box<Issue>),
    /// Answer with the error; write nothing.
    Refuse(GrantError),
    /// Answer with the error and revoke the grant.
    RevokeGrant(GrantError),
}

/// `/token` with `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.1 §4.3.1 rotation).
///
/// Presenting the current token moves it to `previous` and retires the old previous. Presenting
/// the previous one (the client never received or stored the current one) replaces the current,
/// which is retired. A retired token presented again revokes the grant.
pub fn use_refresh(record: &GrantRecord, req: &RefreshRequest<'_>, new: NewTokens, now: i64, ttls: &Lifetimes) -> RefreshOutcome {
    use RefreshOutcome::{Refuse, RevokeGrant};
    if record.revoked {
        return Refuse(GrantError::Revoked);
    }
    let is_current = record.refresh_hash.as_deref().is_some_and(|h| ct_eq(h, req.refresh_hash));
    let is_previous = record.previous_refresh_hash.as_deref().is_some_and(|h| ct_eq(h, req.refresh_hash));
    if !is_current && !is_previous {
        return if req.known_retired { RevokeGrant(GrantError::RefreshReused) } else { Refuse(GrantError::RefreshUnknown) };
    }
    if record.refresh_expires_at.is_none_or(|e| now >= e) {
        return Refuse(GrantError::RefreshExpired);
    }
    if grant_end(record, now, ttls) <= now {
        return Refuse(GrantError::GrantExpired);
    }
    if record.client_id != req.client_id {
        return Refuse(GrantError::ClientMismatch);
    }
    if req.resource.is_some_and(|r| r != record.resource) {
        return Refuse(GrantError::ResourceMismatch);
    }
    let scope = match req.scope {
        Some(s) if s.iter().any(|x| !record.scope.contains(x)) => return Refuse(GrantError::ScopeNotGranted),
        Some(s) if !s.is_empty() => s.to_vec(),
        _ => record.scope.clone(),
    };
    let Some(new_refresh) = new.refresh_hash.clone() else {
        // Rotation is mandatory for public clients (OAuth 2.1 §4.3.1); the glue always mints one.
        return Refuse(GrantError::RefreshUnknown);
    };
    let mut grant = record.clone();
    let mut retire = Vec::new();
    if is_current {
        retire.extend(grant.previous_refresh_hash.take());
        grant.previous_refresh_hash = grant.refresh_hash.take();
    } else {
        retire.extend(grant.refresh_hash.take());
    }
    grant.refresh_hash = Some(new_refresh);
    RefreshOutcome::Issue(Box::new(issue(grant, scope, new, retire, now, ttls)))
}

/// What a valid access token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessInfo {
    pub grant_id: String,
    pub client_id: String,
    pub scope: Vec<String>,
    pub expires_at: i64,
}

/// The `/mcp` bearer check for a row found by hash: not expired, grant live, same resource.
/// Every failure is `invalid_token` (RFC 6750 §3.1) for the caller.
pub fn check_access(access: &AccessTokenRecord, grant: &GrantRecord, resource: &str, now: i64) -> Result<AccessInfo, GrantError> {
    if access.grant_id != grant.grant_id || grant.revoked {
        return Err(GrantError::Revoked);
    }
    if now >= access.expires_at {
        return Err(GrantError::AccessExpired);
    }
    if grant.resource != resource {
        return Err(GrantError::ResourceMismatch);
    }
    Ok(AccessInfo {
        grant_id: grant.grant_id.clone(),
        client_id: grant.client_id.clone(),
        scope: access.scope.clone(),
        expires_at: access.expires_at,
    })
}

/// RFC 7009 §2.1: revoking any token of a grant (or a replay) revokes the whole grant: UPDATE the
/// row as returned, DELETE its `access_tokens`. The row stays until [`is_deletable`] so replays
/// keep failing as `invalid_grant`.
pub fn revoke(record: &GrantRecord) -> GrantRecord {
    let mut g = record.clone();
    g.revoked = true;
    g.refresh_hash = None;
    g.previous_refresh_hash = None;
    g
}

/// The alarm may delete the grant (with its access tokens and retired hashes) after this.
pub fn is_deletable(record: &GrantRecord, now: i64) -> bool {
    now >= record.expires_at
}

/// What a refresh does about the upstream session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamStep {
    /// Not upstream-bound, or checked less than `upstream_recheck` ago: go on without asking.
    Skip,
    /// Ask the upstream (refresh its token, re-read the identity).
    Check,
}

/// Whether this refresh asks the upstream (see [`Lifetimes::upstream_recheck`]).
pub fn upstream_step(grant: &GrantRecord, now: i64, ttls: &Lifetimes) -> UpstreamStep {
    let fresh = grant.upstream_checked_at.is_some_and(|t| now.saturating_sub(t) < ttls.upstream_recheck);
    if !grant.upstream_bound || fresh {
        UpstreamStep::Skip
    } else {
        UpstreamStep::Check
    }
}

/// The upstream could not be reached (5xx, timeout, garbage): the refresh goes on only within
/// `upstream_grace` of the last successful check, else it fails closed.
pub fn upstream_unavailable(grant: &GrantRecord, now: i64, ttls: &Lifetimes) -> Result<(), GrantError> {
    let last = grant.upstream_checked_at.unwrap_or(grant.created_at);
    if now.saturating_sub(last) <= ttls.upstream_grace {
        Ok(())
    } else {
        Err(GrantError::UpstreamUnconfirmed)
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
