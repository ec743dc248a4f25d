//! The MCP host's settings, parsed and validated from plain name → value lookups (env vars), so
//! the front Worker can check them at start-up and the Durable Object can apply them per request.
//!
//! | setting | meaning | default |
//! |---|---|---|
//! | `READONLY_GROUP` | members of this upstream group get the read tools only | none |
//! | `WRITER_GROUPS` | comma list; when set, only members of one of them may write | none (everyone writes) |
//! | `MCP_CONFORMANCE` | `1` serves the `@modelcontextprotocol/conformance` fixtures | `0` |
//! | `SESSION_TTL_SECS` | idle lifetime of an MCP session, 60 s to 30 days | 86400 |
//! | `ALLOWED_ORIGINS` | comma list of `scheme://host[:port]` origins of browser clients, added to [`DEFAULT_ALLOWED_ORIGINS`]; `*` for any | none |
//!
//! Loopback origins, the defaults and the server's own https origin are always allowed (see
//! [`check_origin`](super::http_rules::check_origin), which the front Worker applies).

use super::http_rules::{normalize_origin, AllowedOrigins, OriginPolicy, ALLOWED_ORIGINS_SETTING, DEFAULT_ALLOWED_ORIGINS};
use super::session::SessionPolicy;
use crate::tools::Role;

/// Shortest and longest idle session lifetime accepted.
pub const MIN_SESSION_TTL_SECS: u64 = 60;
pub const MAX_SESSION_TTL_SECS: u64 = 30 * 24 * 60 * 60;
/// Default idle session lifetime (24 h).
pub const DEFAULT_SESSION_TTL_SECS: u64 = 24 * 60 * 60;

/// Validated MCP host settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub readonly_group: Option<String>,
    /// `None`: no writer allowlist.
    pub writer_groups: Option<Vec<String>>,
    pub conformance: bool,
    pub session_ttl_secs: u64,
    /// Browser origins allowed on `/mcp` besides loopback and the defaults.
    pub allowed_origins: AllowedOrigins,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            readonly_group: None,
            writer_groups: None,
            conformance: false,
            session_ttl_secs: DEFAULT_SESSION_TTL_SECS,
            allowed_origins: AllowedOrigins::default(),
        }
    }
}

/// A setting that is malformed: its name and what is wrong.
pub type SettingError = (&'static str, String);

impl Settings {
    /// Reads every setting through `lookup` (absent or blank → default).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let readonly_group = get("READONLY_GROUP");
        let writer_groups = get("WRITER_GROUPS").map(|v| comma_list(&v)).filter(|l| !l.is_empty());
        let conformance = match get("MCP_CONFORMANCE").as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") if cfg!(feature = "conformance") => true,
            Some("1") | Some("true") => {
                return Err((
                    "MCP_CONFORMANCE",
                    "needs a build with the conformance fixtures (R2MCP_FEATURES=conformance scripts/build)".into(),
                ))
            }
            Some(other) => return Err(("MCP_CONFORMANCE", format!("must be 0 or 1, not {:?}", clip(other)))),
        };
        let session_ttl_secs = match get("SESSION_TTL_SECS") {
            None => DEFAULT_SESSION_TTL_SECS,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (MIN_SESSION_TTL_SECS..=MAX_SESSION_TTL_SECS).contains(&n) => n,
                _ => {
                    return Err((
                        "SESSION_TTL_SECS",
                        format!(
                            "must be a whole number of seconds from {MIN_SESSION_TTL_SECS} to {MAX_SESSION_TTL_SECS}, not {:?}",
                            clip(&v)
                        ),
                    ))
                }
            },
        };
        let allowed_origins = match get(ALLOWED_ORIGINS_SETTING) {
            None => AllowedOrigins::default(),
            Some(v) => allowed_origins(&v)?,
        };
        Ok(Settings { readonly_group, writer_groups, conformance, session_ttl_secs, allowed_origins })
    }

    /// Read-only when in the read-only group, or when a writer allowlist exists and the user is
    /// in none of its groups.
    pub fn role_for(&self, groups: &[String]) -> Role {
        let member = |g: &str| groups.iter().any(|x| x == g);
        if self.readonly_group.as_deref().is_some_and(member) {
            return Role::ReadOnly;
        }
        match &self.writer_groups {
            Some(writers) if !writers.iter().any(|w| member(w)) => Role::ReadOnly,
            _ => Role::Writer,
        }
    }

    /// The `Origin` policy for a server reached at `own_origin`.
    pub fn origin_policy<'a>(&'a self, own_origin: &'a str) -> OriginPolicy<'a> {
        OriginPolicy { own: own_origin, allowed: &self.allowed_origins, allow_loopback: true }
    }

    pub fn session_policy(&self) -> SessionPolicy {
        SessionPolicy { idle_ttl_ms: self.session_ttl_secs.saturating_mul(1000) }
    }
}

fn comma_list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn clip(s: &str) -> &str {
    super::jsonrpc::clip(s, 80)
}

/// `*` alone, or a comma list of origins; the defaults need not be repeated (they are dropped).
fn allowed_origins(v: &str) -> Result<AllowedOrigins, SettingError> {
    let list = comma_list(v);
    if list.iter().any(|o| o == "*") {
        return if list.len() == 1 {
            Ok(AllowedOrigins::Any)
        } else {
            Err((ALLOWED_ORIGINS_SETTING, "is either * (any origin) alone or a list of origins, not both".into()))
        };
    }
    let mut out = Vec::with_capacity(list.len());
    for o in &list {
        let Some(n) = normalize_origin(o) else {
            return Err((
                ALLOWED_ORIGINS_SETTING,
                format!("{:?} is not an origin of the form https://host[:port] (or use * for any origin)", clip(o)),
            ));
        };
        if !DEFAULT_ALLOWED_ORIGINS.contains(&n.as_str()) && !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(AllowedOrigins::Listed(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn nothing_set_gives_the_defaults() {
        let s = parse(&[]).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.session_policy().idle_ttl_ms, 86_400_000);
        assert_eq!(s.role_for(&[]), Role::Writer);
    }

    #[test]
    #[cfg(feature = "conformance")]
    fn conformance_fixtures_are_on_only_with_1() {
        assert!(parse(&[("MCP_CONFORMANCE", "1")]).unwrap().conformance);
        assert!(!parse(&[("MCP_CONFORMANCE", "0")]).unwrap().conformance);
        assert_eq!(parse(&[("MCP_CONFORMANCE", "yes")]).unwrap_err().0, "MCP_CONFORMANCE");
    }

    #[test]
    #[cfg(not(feature = "conformance"))]
    fn conformance_setting_is_refused_by_a_build_without_the_fixtures() {
        let (name, why) = parse(&[("MCP_CONFORMANCE", "1")]).unwrap_err();
        assert_eq!(name, "MCP_CONFORMANCE");
        assert!(why.contains("conformance"), "{why}");
        assert!(!parse(&[("MCP_CONFORMANCE", "0")]).unwrap().conformance);
    }

    #[test]
    fn session_ttl_is_bounded_and_named_when_wrong() {
        assert_eq!(parse(&[("SESSION_TTL_SECS", "3600")]).unwrap().session_ttl_secs, 3600);
        for bad in ["0", "59", "abc", "-5", "99999999999"] {
            assert_eq!(parse(&[("SESSION_TTL_SECS", bad)]).unwrap_err().0, "SESSION_TTL_SECS", "{bad}");
        }
    }

    #[test]
    fn readonly_group_members_are_readers() {
        let s = parse(&[("READONLY_GROUP", "viewers")]).unwrap();
        assert_eq!(s.role_for(&["viewers".into()]), Role::ReadOnly);
        assert_eq!(s.role_for(&["staff".into()]), Role::Writer);
    }

    #[test]
    fn writer_allowlist_makes_everyone_else_a_reader() {
        let s = parse(&[("WRITER_GROUPS", "eng, ops ,")]).unwrap();
        assert_eq!(s.writer_groups, Some(vec!["eng".into(), "ops".into()]));
        assert_eq!(s.role_for(&["ops".into()]), Role::Writer);
        assert_eq!(s.role_for(&["sales".into()]), Role::ReadOnly);
        assert_eq!(s.role_for(&[]), Role::ReadOnly);
        // The read-only group wins over a writer group.
        let s = parse(&[("WRITER_GROUPS", "eng"), ("READONLY_GROUP", "frozen")]).unwrap();
        assert_eq!(s.role_for(&["eng".into(), "frozen".into()]), Role::ReadOnly);
    }

    #[test]
    fn allowed_origins_are_normalised_and_validated() {
        let s = parse(&[("ALLOWED_ORIGINS", "https://App.example.com/, http://localhost:6274")]).unwrap();
        assert_eq!(s.allowed_origins, AllowedOrigins::Listed(vec!["https://app.example.com".into(), "http://localhost:6274".into()]));
        let p = s.origin_policy("https://mcp.example.com");
        assert!(crate::mcp::http_rules::check_origin(Some("https://app.example.com"), &p).is_ok());
        assert!(crate::mcp::http_rules::check_origin(Some("https://evil.example.com"), &p).is_err());
        for bad in ["app.example.com", "https://a.example/path", "ftp://x", "https://u@x", "null", "https://*.example.com"] {
            let (name, why) = parse(&[("ALLOWED_ORIGINS", bad)]).unwrap_err();
            assert_eq!(name, "ALLOWED_ORIGINS", "{bad}");
            assert!(why.contains("https://host[:port]"), "{why}");
        }
    }

    #[test]
    fn allowed_origins_star_alone_admits_any_origin() {
        let s = parse(&[("ALLOWED_ORIGINS", " * ")]).unwrap();
        assert_eq!(s.allowed_origins, AllowedOrigins::Any);
        let p = s.origin_policy("https://mcp.example.com");
        for o in ["https://anything.example", "null", "http://10.0.0.1:3000"] {
            assert!(crate::mcp::http_rules::check_origin(Some(o), &p).is_ok(), "{o}");
        }
        let (name, why) = parse(&[("ALLOWED_ORIGINS", "*, https://a.example")]).unwrap_err();
        assert_eq!(name, "ALLOWED_ORIGINS");
        assert!(why.contains("alone"), "{why}");
    }

    #[test]
    fn allowed_origins_extend_the_defaults_and_need_not_repeat_them() {
        let s = parse(&[("ALLOWED_ORIGINS", "https://playground.ai.cloudflare.com,https://a.example,https://A.example")]).unwrap();
        assert_eq!(s.allowed_origins, AllowedOrigins::Listed(vec!["https://a.example".into()]));
        let p = s.origin_policy("https://mcp.example.com");
        for o in DEFAULT_ALLOWED_ORIGINS.iter().chain(&["https://a.example"]) {
            assert!(crate::mcp::http_rules::check_origin(Some(o), &p).is_ok(), "{o}");
        }
    }
}
