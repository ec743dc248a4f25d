//! Tests for [`super`]: each rule of the code, refresh-rotation and access state machine.

use super::*;

const V: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const C: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const RES: &str = "https://mcp.example/mcp";
const T0: i64 = 1_000_000;

fn ttls() -> Lifetimes {
    Lifetimes::default()
}

/// A grant whose login brought an upstream refresh token (refreshes slide it).
fn grant() -> GrantRecord {
    grant_with(true)
}

fn grant_with(upstream_bound: bool) -> GrantRecord {
    open_grant(
        NewGrant {
            grant_id: "g".repeat(22),
            client_id: "cid".into(),
            scope: vec!["mcp".into(), "mcp:write".into()],
            resource: RES.into(),
            redirect_uri: "http://127.0.0.1:5000/cb".into(),
            redirect_uri_explicit: true,
            code_challenge: C.into(),
            upstream_bound,
        },
        "code-hash".into(),
        T0,
        &ttls(),
    )
}

fn req() -> CodeRedemption<'static> {
    CodeRedemption {
        code_hash: "code-hash",
        client_id: "cid",
        redirect_uri: Some("http://127.0.0.1:5000/cb"),
        code_verifier: V,
        resource: None,
    }
}

fn tokens(n: u32) -> NewTokens {
    NewTokens { access_hash: format!("a{n}"), refresh_hash: Some(format!("r{n}")) }
}

fn redeemed() -> GrantRecord {
    match redeem_code(&grant(), &req(), tokens(1), T0 + 1, &ttls()) {
        Ok(i) => i.grant,
        Err(e) => panic!("{e:?}"),
    }
}

fn refresh(g: &GrantRecord, hash: &str, retired: bool, n: u32, now: i64) -> RefreshOutcome {
    let r = RefreshRequest { refresh_hash: hash, known_retired: retired, client_id: "cid", scope: None, resource: None };
    use_refresh(g, &r, tokens(n), now, &ttls())
}

fn rotated(o: RefreshOutcome) -> Issue {
    match o {
        RefreshOutcome::Issue(i) => *i,
        other => panic!("expected rotation, got {other:?}"),
    }
}

#[test]
fn default_ttls_are_10_min_1_h_30_d() {
    let t = ttls();
    assert_eq!((t.code, t.access, t.refresh, t.grant_max), (600, 3600, 2_592_000, 2_592_000));
    assert_eq!((t.upstream_recheck, t.upstream_grace), (300, 3600));
}

fn redeemed_with(upstream_bound: bool, ttls: &Lifetimes) -> GrantRecord {
    match redeem_code(&grant_with(upstream_bound), &req(), tokens(1), T0 + 1, ttls) {
        Ok(i) => i.grant,
        Err(e) => panic!("{e:?}"),
    }
}

fn refresh_with(g: &GrantRecord, n: u32, now: i64, ttls: &Lifetimes) -> RefreshOutcome {
    let current = g.refresh_hash.clone().unwrap_or_default();
    let r = RefreshRequest { refresh_hash: &current, known_retired: false, client_id: "cid", scope: None, resource: None };
    use_refresh(g, &r, tokens(n), now, ttls)
}

#[test]
fn refreshes_never_extend_a_grant_past_its_maximum_lifetime() {
    let t = Lifetimes { refresh: 1000, grant_max: 2500, ..ttls() };
    let mut g = redeemed_with(true, &t);
    assert_eq!(g.refresh_expires_at, Some(T0 + 1 + 1000), "slides from the refresh while under the maximum");
    for (n, at) in [(2, T0 + 900), (3, T0 + 1800)] {
        g = rotated(refresh_with(&g, n, at, &t)).grant;
    }
    assert_eq!(g.refresh_expires_at, Some(T0 + 2500), "capped at login + grant_max");
    let i = rotated(refresh_with(&g, 4, T0 + 2400, &t));
    assert_eq!(i.access.expires_at, T0 + 2500, "no access token outlives the grant");
    assert_eq!(i.expires_in, 100);
    assert_eq!(refresh_with(&i.grant, 5, T0 + 2500, &t), RefreshOutcome::Refuse(GrantError::RefreshExpired));
}

#[test]
fn a_grant_without_an_upstream_refresh_token_ends_at_refresh_ttl_from_login() {
    let t = Lifetimes { refresh: 1000, ..ttls() };
    let g = redeemed_with(false, &t);
    assert_eq!(g.refresh_expires_at, Some(T0 + 1000));
    let g = rotated(refresh_with(&g, 2, T0 + 900, &t)).grant;
    assert_eq!(g.refresh_expires_at, Some(T0 + 1000), "not slid forward by the refresh");
    assert_eq!(refresh_with(&g, 3, T0 + 1000, &t), RefreshOutcome::Refuse(GrantError::RefreshExpired));
}

#[test]
fn the_upstream_is_asked_only_when_its_last_check_is_older_than_the_recheck_interval() {
    let t = ttls();
    let mut g = redeemed_with(true, &t);
    assert_eq!(g.upstream_checked_at, Some(T0), "the login is a check");
    assert_eq!(upstream_step(&g, T0 + 299, &t), UpstreamStep::Skip);
    assert_eq!(upstream_step(&g, T0 + 300, &t), UpstreamStep::Check);
    g.upstream_checked_at = Some(T0 + 300);
    assert_eq!(upstream_step(&g, T0 + 301, &t), UpstreamStep::Skip);
    let every = Lifetimes { upstream_recheck: 0, ..t };
    assert_eq!(upstream_step(&g, T0 + 301, &every), UpstreamStep::Check, "0: every refresh");
    assert_eq!(upstream_step(&redeemed_with(false, &t), T0 + 10_000, &t), UpstreamStep::Skip, "nothing to ask without an upstream token");
}

#[test]
fn an_unreachable_upstream_is_tolerated_only_within_the_grace_period() {
    let t = ttls();
    let g = redeemed_with(true, &t);
    assert_eq!(upstream_unavailable(&g, T0 + 3600, &t), Ok(()));
    assert_eq!(upstream_unavailable(&g, T0 + 3601, &t), Err(GrantError::UpstreamUnconfirmed));
    assert_eq!(GrantError::UpstreamUnconfirmed.code(), r2_mcp_wire::oauth::ErrorCode::InvalidGrant);
    assert!(!GrantError::UpstreamUnconfirmed.revokes_grant());
}

#[test]
fn records_stored_before_upstream_binding_read_as_not_bound() {
    let mut v = serde_json::to_value(redeemed()).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("upstream_bound");
        o.remove("upstream_checked_at");
    }
    let old: GrantRecord = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
    assert!(!old.upstream_bound && old.upstream_checked_at.is_none());
}

#[test]
fn rfc6749_4_1_3_code_redeems_once_into_access_and_refresh() {
    let i = redeem_code(&grant(), &req(), tokens(1), T0 + 1, &ttls()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(i.grant.code_redeemed_at, Some(T0 + 1));
    assert_eq!(i.grant.refresh_hash.as_deref(), Some("r1"));
    // The refresh TTL and the maximum lifetime are both 30 d: the maximum counts from the login.
    assert_eq!(i.grant.refresh_expires_at, Some(T0 + 2_592_000));
    assert_eq!(i.access.token_hash, "a1");
    assert_eq!(i.access.expires_at, T0 + 1 + 3600);
    assert_eq!(i.expires_in, 3600);
    assert!(i.refresh_issued);
    assert!(i.retire.is_empty());
}

#[test]
fn rfc6749_4_1_2_code_replay_revokes_the_grant() {
    let e = redeem_code(&redeemed(), &req(), tokens(2), T0 + 2, &ttls());
    assert_eq!(e.err(), Some(GrantError::CodeReplayed));
    assert!(GrantError::CodeReplayed.revokes_grant());
    // Once revoked, further replays are plain refusals.
    assert_eq!(redeem_code(&revoke(&redeemed()), &req(), tokens(2), T0 + 3, &ttls()).err(), Some(GrantError::Revoked));
}

#[test]
fn code_expires_after_10_minutes() {
    assert!(redeem_code(&grant(), &req(), tokens(1), T0 + 599, &ttls()).is_ok());
    assert_eq!(redeem_code(&grant(), &req(), tokens(1), T0 + 600, &ttls()).err(), Some(GrantError::CodeExpired));
}

#[test]
fn wrong_code_client_redirect_resource_or_verifier_is_refused_without_revoking() {
    let g = grant();
    let cases: Vec<(CodeRedemption<'static>, GrantError)> = vec![
        (CodeRedemption { code_hash: "other", ..req() }, GrantError::CodeMismatch),
        (CodeRedemption { client_id: "other", ..req() }, GrantError::ClientMismatch),
        (CodeRedemption { redirect_uri: Some("http://127.0.0.1:5001/cb"), ..req() }, GrantError::RedirectUriMismatch),
        (CodeRedemption { redirect_uri: None, ..req() }, GrantError::RedirectUriMismatch),
        (CodeRedemption { resource: Some("https://other.example/mcp"), ..req() }, GrantError::ResourceMismatch),
        (CodeRedemption { code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", ..req() }, GrantError::PkceFailed),
        (CodeRedemption { code_verifier: C, ..req() }, GrantError::PkceFailed),
        (CodeRedemption { code_verifier: "short", ..req() }, GrantError::PkceFailed),
    ];
    for (r, want) in cases {
        let got = redeem_code(&g, &r, tokens(1), T0 + 1, &ttls()).err();
        assert_eq!(got, Some(want));
        assert!(!want.revokes_grant());
    }
    assert_eq!(GrantError::ResourceMismatch.code(), r2_mcp_wire::oauth::ErrorCode::InvalidTarget);
    assert_eq!(GrantError::PkceFailed.code(), r2_mcp_wire::oauth::ErrorCode::InvalidGrant);
}

#[test]
fn rfc6749_4_1_3_redirect_uri_may_be_omitted_only_if_authorize_omitted_it() {
    let mut g = grant();
    g.redirect_uri_explicit = false;
    assert!(redeem_code(&g, &CodeRedemption { redirect_uri: None, ..req() }, tokens(1), T0 + 1, &ttls()).is_ok());
    assert!(redeem_code(&g, &req(), tokens(1), T0 + 1, &ttls()).is_ok());
}

#[test]
fn revoked_grant_code_is_refused() {
    assert_eq!(redeem_code(&revoke(&grant()), &req(), tokens(1), T0 + 1, &ttls()).err(), Some(GrantError::Revoked));
}

#[test]
fn oauth2_1_refresh_rotation_keeps_previous_until_new_is_used() {
    let g1 = redeemed(); // current r1
    let i2 = rotated(refresh(&g1, "r1", false, 2, T0 + 10));
    assert_eq!(i2.grant.refresh_hash.as_deref(), Some("r2"));
    assert_eq!(i2.grant.previous_refresh_hash.as_deref(), Some("r1"));
    assert!(i2.retire.is_empty());

    // r1 still works while r2 is unused (the client may have lost the response); r2 is retired.
    let i2b = rotated(refresh(&i2.grant, "r1", false, 3, T0 + 11));
    assert_eq!(i2b.grant.refresh_hash.as_deref(), Some("r3"));
    assert_eq!(i2b.grant.previous_refresh_hash.as_deref(), Some("r1"));
    assert_eq!(i2b.retire, vec!["r2".to_owned()]);

    // Using the new one kills the previous.
    let i4 = rotated(refresh(&i2b.grant, "r3", false, 4, T0 + 12));
    assert_eq!(i4.grant.previous_refresh_hash.as_deref(), Some("r3"));
    assert_eq!(i4.retire, vec!["r1".to_owned()]);
}

#[test]
fn reuse_of_a_retired_refresh_token_revokes_the_grant() {
    let g = rotated(refresh(&rotated(refresh(&redeemed(), "r1", false, 2, T0 + 10)).grant, "r2", false, 3, T0 + 11)).grant;
    assert_eq!(refresh(&g, "r1", true, 4, T0 + 12), RefreshOutcome::RevokeGrant(GrantError::RefreshReused));
    assert!(GrantError::RefreshReused.revokes_grant());
}

#[test]
fn unknown_refresh_token_is_refused_without_revoking() {
    assert_eq!(refresh(&redeemed(), "forged", false, 2, T0 + 10), RefreshOutcome::Refuse(GrantError::RefreshUnknown));
}

#[test]
fn refresh_is_refused_when_expired_revoked_or_for_another_client() {
    let g = redeemed();
    assert_eq!(refresh(&g, "r1", false, 2, T0 + 1 + 2_592_000), RefreshOutcome::Refuse(GrantError::RefreshExpired));
    assert_eq!(refresh(&revoke(&g), "r1", false, 2, T0 + 10), RefreshOutcome::Refuse(GrantError::Revoked));
    let r = RefreshRequest { refresh_hash: "r1", known_retired: false, client_id: "other", scope: None, resource: None };
    assert_eq!(use_refresh(&g, &r, tokens(2), T0 + 10, &ttls()), RefreshOutcome::Refuse(GrantError::ClientMismatch));
    let r = RefreshRequest { resource: Some("https://x.example/mcp"), client_id: "cid", ..r };
    assert_eq!(use_refresh(&g, &r, tokens(2), T0 + 10, &ttls()), RefreshOutcome::Refuse(GrantError::ResourceMismatch));
}

#[test]
fn rfc6749_6_scope_may_narrow_but_not_widen() {
    let g = redeemed();
    let narrow = vec!["mcp".to_owned()];
    let r = RefreshRequest { refresh_hash: "r1", known_retired: false, client_id: "cid", scope: Some(&narrow), resource: None };
    let i = rotated(use_refresh(&g, &r, tokens(2), T0 + 10, &ttls()));
    assert_eq!(i.access.scope, narrow);
    assert_eq!(i.grant.scope, g.scope, "the grant (and refresh token) keep the full scope");
    let wide = vec!["admin".to_owned()];
    let r = RefreshRequest { scope: Some(&wide), ..r };
    assert_eq!(use_refresh(&g, &r, tokens(2), T0 + 10, &ttls()), RefreshOutcome::Refuse(GrantError::ScopeNotGranted));
}

#[test]
fn rfc6750_3_1_access_token_checks() {
    let i = redeem_code(&grant(), &req(), tokens(1), T0 + 1, &ttls()).unwrap_or_else(|e| panic!("{e:?}"));
    let ok = check_access(&i.access, &i.grant, RES, T0 + 2);
    assert_eq!(ok.map(|a| a.client_id), Ok("cid".to_owned()));
    assert_eq!(check_access(&i.access, &i.grant, RES, T0 + 1 + 3600).err(), Some(GrantError::AccessExpired));
    assert_eq!(check_access(&i.access, &revoke(&i.grant), RES, T0 + 2).err(), Some(GrantError::Revoked));
    assert_eq!(check_access(&i.access, &i.grant, "https://other.example/mcp", T0 + 2).err(), Some(GrantError::ResourceMismatch));
    assert_eq!(GrantError::AccessExpired.code(), r2_mcp_wire::oauth::ErrorCode::InvalidToken);
}

#[test]
fn grants_become_deletable_after_their_last_token_expires() {
    let g = grant();
    assert!(!is_deletable(&g, T0 + 599));
    assert!(is_deletable(&g, T0 + 600));
    let r = redeemed();
    assert!(!is_deletable(&r, T0 + 3600 * 24));
    assert!(is_deletable(&r, T0 + 1 + 2_592_000));
}

#[test]
fn revoke_clears_refresh_hashes() {
    let g = revoke(&redeemed());
    assert!(g.revoked && g.refresh_hash.is_none() && g.previous_refresh_hash.is_none());
}

#[test]
fn pkce_rule_matches_rfc7636_appendix_b() {
    assert!(pkce_s256_ok(V, C));
    assert!(!pkce_s256_ok(C, C));
}

#[test]
fn a_grant_lives_until_its_last_token_expires_and_its_row_until_the_code_could_not_be_replayed() {
    let t = Lifetimes { refresh: 1000, grant_max: 1000, ..ttls() };
    let g = grant();
    assert_eq!(g.live_until, T0 + 600, "an unredeemed grant lives as long as its code");
    let g = redeemed_with(true, &t);
    assert_eq!(g.live_until, T0 + 1000, "the refresh token's end");
    assert_eq!(g.expires_at, T0 + 1000, "the row may go then too (the code expired earlier)");
    let short = Lifetimes { refresh: 120, grant_max: 120, ..ttls() };
    let g = redeemed_with(true, &short);
    assert_eq!(g.live_until, T0 + 120);
    assert_eq!(g.expires_at, T0 + 600, "kept until the code could no longer be replayed");
}
