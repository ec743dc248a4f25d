//! `POST /oauth/dev-token` (DEV_MODE, loopback only): a grant and its tokens for a test user
//! without a login, through the same tables, sealing and rules as a real login.

use worker::SqlStorage;

use super::{error, mint, seal_props, server_error, tokens, write_issue, Row};
use crate::grants::rules::{self, NewTokens};
use crate::grants::sealed::{self, GrantKey};
use crate::grants::token;
use crate::object::db::{now_secs, random_array};
use r2_mcp_wire::user_calls::{DevToken, GrantProps, UserReply};
use r2_mcp_wire::user_key;

/// `POST /oauth/dev-token`: opens a grant and redeems it at once (DEV_MODE, loopback only; the
/// front Worker refuses the route otherwise). Same tables, same sealing as a real login.
pub fn dev_token(sql: &SqlStorage, call: DevToken) -> worker::Result<UserReply> {
    let now = now_secs();
    let user_key = user_key(&call.identity.iss, &call.identity.sub);
    let grant_id = call.routing.grant_id.clone();
    let routing = token::Routing { user_key: &user_key, grant_id: &grant_id, tag: &call.routing.tag };
    let (Some(code), Some(m)) = (token::mint(routing, &random_array()), mint(routing)) else {
        return Ok(server_error("could not mint tokens"));
    };
    let key: GrantKey = random_array();
    let props = GrantProps { identity: call.identity, upstream_refresh_token: None };
    let Some(sealed_props) = seal_props(&key, &grant_id, &props) else {
        return Ok(server_error("could not seal the grant"));
    };
    let (verifier, challenge) = ("dev".repeat(15), String::new());
    let ttls = call.lifetimes;
    let mut record = rules::open_grant(
        rules::NewGrant {
            grant_id,
            client_id: call.client_id.clone(),
            scope: vec!["mcp".into()],
            resource: call.resource,
            redirect_uri: String::new(),
            redirect_uri_explicit: false,
            code_challenge: challenge,
            upstream_bound: false,
        },
        token::hash(&code),
        now,
        &ttls,
    );
    record.code_challenge = crate::grants::token::hash(&verifier);
    let new = NewTokens { access_hash: token::hash(&m.access), refresh_hash: Some(token::hash(&m.refresh)) };
    let req = rules::CodeRedemption {
        code_hash: &record.code_hash.clone(),
        client_id: &call.client_id,
        redirect_uri: None,
        code_verifier: &verifier,
        resource: None,
    };
    let issue = match rules::redeem_code(&record, &req, new, now, &ttls) {
        Ok(i) => i,
        Err(e) => return Ok(error(e)),
    };
    let row = Row {
        record: issue.grant.clone(),
        props: sealed_props,
        code_wrap: None,
        refresh_wrap: Some(sealed::wrap(&key, &m.refresh)),
        previous_refresh_wrap: None,
    };
    write_issue(sql, &row, &issue, &key, &m)?;
    let mut t = tokens(&m, &issue);
    t.user_key = Some(user_key);
    Ok(UserReply::Tokens(t))
}
