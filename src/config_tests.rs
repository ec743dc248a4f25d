//! Tests of the settings rules: each names the setting it refuses.

use super::*;
use std::collections::HashMap;

fn upstream(c: &Config) -> &Upstream {
    match &c.auth {
        AuthMode::OAuth(up) => up,
        AuthMode::Access(_) => panic!("expected oauth mode"),
    }
}

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

const BASE: &[(&str, &str)] =
    &[("ACCESS_CLIENT_ID", "cid"), ("ACCESS_CLIENT_SECRET", "secret"), ("COOKIE_ENCRYPTION_KEY", "0123456789abcdef0123456789abcdef")];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    BASE.iter().chain(extra).copied().collect()
}

#[test]
fn issuer_alone_selects_discovery() {
    let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://idp.example")]))).unwrap();
    assert_eq!(upstream(&c).issuer, "https://idp.example");
    assert_eq!(upstream(&c).endpoints, UpstreamEndpoints::Discovery);
    assert!(!c.dev_mode);
}

#[test]
fn access_demo_names_derive_the_issuer_from_the_authorization_url() {
    let base = "https://team.cloudflareaccess.com/cdn-cgi/access/sso/oidc/abc";
    let a = format!("{base}/authorization");
    let t = format!("{base}/token");
    let j = format!("{base}/jwks");
    let pairs: Vec<(&str, &str)> = BASE
        .iter()
        .copied()
        .chain([("ACCESS_AUTHORIZATION_URL", a.as_str()), ("ACCESS_TOKEN_URL", t.as_str()), ("ACCESS_JWKS_URL", j.as_str())])
        .collect();
    let c = Config::from_lookup(lookup(&pairs)).unwrap();
    assert_eq!(upstream(&c).issuer, base);
    assert!(matches!(upstream(&c).endpoints, UpstreamEndpoints::Explicit { .. }));
}

#[test]
fn missing_setting_is_named() {
    let e = Config::from_lookup(lookup(&[("ACCESS_CLIENT_ID", "x")])).unwrap_err();
    assert_eq!(e.setting, "ACCESS_CLIENT_SECRET");
    assert!(e.to_string().contains("ACCESS_CLIENT_SECRET"));
    let e = Config::from_lookup(lookup(BASE)).unwrap_err();
    assert_eq!(e.setting, "ACCESS_ISSUER");
}

#[test]
fn partial_explicit_endpoints_name_the_missing_one() {
    let e = Config::from_lookup(lookup(&with(&[
        ("ACCESS_AUTHORIZATION_URL", "https://a.example/authorization"),
        ("ACCESS_TOKEN_URL", "https://a.example/token"),
    ])))
    .unwrap_err();
    assert_eq!(e.setting, "ACCESS_JWKS_URL");
}

#[test]
fn plain_http_is_refused_except_on_loopback() {
    let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "http://idp.example")]))).unwrap_err();
    assert_eq!(e.setting, "ACCESS_ISSUER");
    for ok in ["http://127.0.0.1:9000", "http://localhost:1/x", "http://[::1]:8/"] {
        let pairs = with(&[]).into_iter().chain([("ACCESS_ISSUER", ok)]).collect::<Vec<_>>();
        assert!(Config::from_lookup(lookup(&pairs)).is_ok(), "{ok}");
    }
    for bad in ["javascript:alert(1)", "https://", "https:///x", "https://a b", "https://a#f"] {
        let pairs = with(&[]).into_iter().chain([("ACCESS_ISSUER", bad)]).collect::<Vec<_>>();
        assert!(Config::from_lookup(lookup(&pairs)).is_err(), "{bad}");
    }
}

#[test]
fn short_cookie_key_and_bad_dev_mode_are_refused() {
    let e = Config::from_lookup(lookup(&[
        ("ACCESS_CLIENT_ID", "c"),
        ("ACCESS_CLIENT_SECRET", "s"),
        ("ACCESS_ISSUER", "https://i.example"),
        ("COOKIE_ENCRYPTION_KEY", "short"),
    ]))
    .unwrap_err();
    assert_eq!(e.setting, "COOKIE_ENCRYPTION_KEY");
    let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("DEV_MODE", "yes")]))).unwrap_err();
    assert_eq!(e.setting, "DEV_MODE");
}

#[test]
fn lifetimes_default_and_are_bounded() {
    let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example")]))).unwrap();
    assert_eq!(c.lifetimes, Lifetimes::default());
    assert_eq!((c.lifetimes.code, c.lifetimes.access, c.lifetimes.refresh), (600, 3600, 30 * 86_400));
    assert_eq!((c.lifetimes.grant_max, c.lifetimes.upstream_recheck, c.lifetimes.upstream_grace), (30 * 86_400, 300, 3600));
    let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("ACCESS_TOKEN_TTL", "5")]))).unwrap_err();
    assert_eq!(e.setting, "ACCESS_TOKEN_TTL");
    let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("REFRESH_TOKEN_TTL", "x")]))).unwrap_err();
    assert_eq!(e.setting, "REFRESH_TOKEN_TTL");
}

#[test]
fn debug_output_hides_secrets() {
    let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example")]))).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("secret") && !shown.contains("0123456789abcdef"), "{shown}");
}

#[test]
fn access_mode_needs_team_domain_and_aud_but_no_upstream() {
    let base = [("AUTH_MODE", "access")];
    let e = Config::from_lookup(lookup(&base)).unwrap_err();
    assert_eq!(e.setting, "ACCESS_TEAM_DOMAIN");
    let with_team: Vec<_> = base.iter().copied().chain([("ACCESS_TEAM_DOMAIN", "https://team.cloudflareaccess.com/")]).collect();
    assert_eq!(Config::from_lookup(lookup(&with_team)).unwrap_err().setting, "ACCESS_AUD");
    let full: Vec<_> = with_team.iter().copied().chain([("ACCESS_AUD", "abc123")]).collect();
    let c = Config::from_lookup(lookup(&full)).unwrap();
    let AuthMode::Access(app) = &c.auth else { panic!("expected access mode") };
    assert_eq!(app.team_domain, "https://team.cloudflareaccess.com");
    assert_eq!(app.certs_url(), "https://team.cloudflareaccess.com/cdn-cgi/access/certs");
    let path: Vec<_> = base.iter().copied().chain([("ACCESS_TEAM_DOMAIN", "https://t.example/x"), ("ACCESS_AUD", "a")]).collect();
    assert_eq!(Config::from_lookup(lookup(&path)).unwrap_err().setting, "ACCESS_TEAM_DOMAIN");
}

#[test]
fn unknown_auth_mode_is_named() {
    let e = Config::from_lookup(lookup(&with(&[("AUTH_MODE", "magic")]))).unwrap_err();
    assert_eq!(e.setting, "AUTH_MODE");
}

#[test]
fn the_user_objects_settings_are_checked_here_too() {
    let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("SESSION_TTL_SECS", "5")]))).unwrap_err();
    assert_eq!(e.setting, "SESSION_TTL_SECS");
}

#[test]
fn log_level_defaults_to_info_and_filters_request_lines() {
    let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example")]))).unwrap();
    assert_eq!(c.log_level, LogLevel::Info);
    assert!(c.log_level.writes(LogLevel::Info) && c.log_level.writes(LogLevel::Error));
    for (v, level) in [("debug", LogLevel::Debug), ("INFO", LogLevel::Info), ("warn", LogLevel::Warn), ("error", LogLevel::Error)] {
        let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("LOG_LEVEL", v)]))).unwrap();
        assert_eq!(c.log_level, level, "{v}");
    }
    // warn and error: a successful request's line (info) is skipped, a failed one's (error) kept.
    assert!(!LogLevel::Warn.writes(LogLevel::Info) && LogLevel::Warn.writes(LogLevel::Error));
    assert!(!LogLevel::Error.writes(LogLevel::Info) && LogLevel::Error.writes(LogLevel::Error));
    assert!(LogLevel::Debug.writes(LogLevel::Info));
    let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("LOG_LEVEL", "verbose")]))).unwrap_err();
    assert_eq!(e.setting, "LOG_LEVEL");
}

#[test]
fn allowed_origins_star_is_for_bearer_servers_only() {
    let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("ALLOWED_ORIGINS", "*")]))).unwrap();
    assert_eq!(c.allowed_origins, AllowedOrigins::Any);
    let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example")]))).unwrap();
    assert_eq!(c.allowed_origins, AllowedOrigins::default());
    let access = [("AUTH_MODE", "access"), ("ACCESS_TEAM_DOMAIN", "https://t.cloudflareaccess.com"), ("ACCESS_AUD", "a")];
    let star: Vec<_> = access.iter().copied().chain([("ALLOWED_ORIGINS", "*")]).collect();
    let e = Config::from_lookup(lookup(&star)).unwrap_err();
    assert_eq!(e.setting, "ALLOWED_ORIGINS");
    assert!(e.problem.contains("AUTH_MODE=access"), "{}", e.problem);
    let listed: Vec<_> = access.iter().copied().chain([("ALLOWED_ORIGINS", "https://app.example")]).collect();
    assert!(Config::from_lookup(lookup(&listed)).is_ok());
}

#[test]
fn transfer_max_body_defaults_to_100_mb_and_stays_within_r2s_part_sizes() {
    let iss = ("ACCESS_ISSUER", "https://i.example");
    let c = Config::from_lookup(lookup(&with(&[iss]))).unwrap();
    assert_eq!(c.transfer_max_body, 100_000_000);
    let c = Config::from_lookup(lookup(&with(&[iss, ("TRANSFER_MAX_BODY", "500000000")]))).unwrap();
    assert_eq!(c.transfer_max_body, 500_000_000);
    for bad in ["1000", "x", "6000000000"] {
        let e = Config::from_lookup(lookup(&with(&[iss, ("TRANSFER_MAX_BODY", bad)]))).unwrap_err();
        assert_eq!(e.setting, "TRANSFER_MAX_BODY");
    }
}

#[test]
fn a_link_key_exists_only_with_a_routing_key_and_differs_per_user() {
    let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example")]))).unwrap();
    let a = c.link_key("0123456789abcdef0123456789abcdef").unwrap();
    assert_ne!(Some(a), c.link_key("fedcba9876543210fedcba9876543210"));
    let access = [("AUTH_MODE", "access"), ("ACCESS_TEAM_DOMAIN", "https://t.cloudflareaccess.com"), ("ACCESS_AUD", "a")];
    assert_eq!(Config::from_lookup(lookup(&access)).unwrap().link_key("0123456789abcdef0123456789abcdef"), None);
}
