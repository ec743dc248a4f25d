//! The Worker's settings: read once per isolate from `env` vars and secrets, validated, with an
//! error that names the setting when one is missing or malformed.
//!
//! The upstream names are the ones Cloudflare's Access demo uses (`ACCESS_CLIENT_ID`,
//! `ACCESS_CLIENT_SECRET`, `ACCESS_AUTHORIZATION_URL`, `ACCESS_TOKEN_URL`, `ACCESS_JWKS_URL`,
//! `COOKIE_ENCRYPTION_KEY`), so its users can reuse their secrets; `ACCESS_ISSUER` alone (OIDC
//! discovery) is the simpler alternative.

use std::fmt;

/// Where the upstream OpenID Provider's endpoints come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamEndpoints {
    /// Fetched from `<issuer>/.well-known/openid-configuration` (and cached).
    Discovery,
    /// Given explicitly, as in Cloudflare's Access demo.
    Explicit {
        authorization_url: String,
        token_url: String,
        jwks_url: String,
    },
}

/// The upstream OpenID Provider (Cloudflare Access for SaaS, or any standard one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The exact `iss` its id_tokens carry.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub endpoints: UpstreamEndpoints,
}

/// Validated settings.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    pub upstream: Upstream,
    /// Key material for signing and encrypting cookies (`COOKIE_ENCRYPTION_KEY`).
    pub cookie_key: Vec<u8>,
    /// `DEV_MODE=1`: serves the `/_dev/` diagnostics used by the local tests and benchmarks
    /// (and only to requests addressed to a loopback host).
    pub dev_mode: bool,
    /// Token lifetimes in seconds (`AUTH_CODE_TTL`, `ACCESS_TOKEN_TTL`, `REFRESH_TOKEN_TTL`).
    pub lifetimes: Lifetimes,
    /// Dynamic client registrations allowed per source address per hour
    /// (`REGISTRATIONS_PER_HOUR`, default 20).
    pub registrations_per_hour: u32,
}

/// Token lifetimes in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub code: i64,
    pub access: i64,
    pub refresh: i64,
}

impl fmt::Debug for Config {
    // Never print secrets, even in a debug log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.upstream.issuer)
            .field("client_id", &self.upstream.client_id)
            .field("endpoints", &self.upstream.endpoints)
            .field("dev_mode", &self.dev_mode)
            .finish_non_exhaustive()
    }
}

/// A setting that is missing or malformed; the message names it and says what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {} {}", self.setting, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn err(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { setting, problem: problem.into() }
}

impl Config {
    /// Reads the settings through `get` (vars and secrets by name; `None` or blank when unset).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let required = |name: &'static str| {
            read(name).ok_or_else(|| err(name, "is not set (see .dev.vars.example and the README)"))
        };

        let client_id = required("ACCESS_CLIENT_ID")?;
        let client_secret = required("ACCESS_CLIENT_SECRET")?;

        let explicit = [
            ("ACCESS_AUTHORIZATION_URL", read("ACCESS_AUTHORIZATION_URL")),
            ("ACCESS_TOKEN_URL", read("ACCESS_TOKEN_URL")),
            ("ACCESS_JWKS_URL", read("ACCESS_JWKS_URL")),
        ];
        for (name, value) in &explicit {
            if let Some(v) = value {
                check_endpoint_url(name, v)?;
            }
        }
        let issuer = read("ACCESS_ISSUER");
        if let Some(iss) = &issuer {
            check_endpoint_url("ACCESS_ISSUER", iss)?;
        }

        let (issuer, endpoints) = match explicit {
            [(_, Some(a)), (_, Some(t)), (_, Some(j))] => {
                let issuer = match issuer {
                    Some(iss) => iss,
                    // Access for SaaS: the issuer is the authorization URL without `/authorization`.
                    None => a.strip_suffix("/authorization").map(str::to_owned).ok_or_else(|| {
                        err(
                            "ACCESS_ISSUER",
                            "is not set and cannot be derived from ACCESS_AUTHORIZATION_URL \
                             (which does not end in /authorization); set it to the id_token `iss`",
                        )
                    })?,
                };
                let endpoints = UpstreamEndpoints::Explicit {
                    authorization_url: a,
                    token_url: t,
                    jwks_url: j,
                };
                (issuer, endpoints)
            }
            [(_, None), (_, None), (_, None)] => match issuer {
                Some(iss) => (iss, UpstreamEndpoints::Discovery),
                None => {
                    return Err(err(
                        "ACCESS_ISSUER",
                        "is not set: set it (OIDC discovery) or all of ACCESS_AUTHORIZATION_URL, \
                         ACCESS_TOKEN_URL and ACCESS_JWKS_URL",
                    ))
                }
            },
            partial => {
                let missing = partial
                    .iter()
                    .find(|(_, v)| v.is_none())
                    .map(|(n, _)| *n)
                    .unwrap_or("ACCESS_AUTHORIZATION_URL");
                return Err(err(
                    match missing {
                        "ACCESS_TOKEN_URL" => "ACCESS_TOKEN_URL",
                        "ACCESS_JWKS_URL" => "ACCESS_JWKS_URL",
                        _ => "ACCESS_AUTHORIZATION_URL",
                    },
                    "is not set while the other explicit endpoint URLs are: set all three, or none \
                     and ACCESS_ISSUER",
                ));
            }
        };

        let cookie_key = required("COOKIE_ENCRYPTION_KEY")?;
        if cookie_key.len() < 32 {
            return Err(err(
                "COOKIE_ENCRYPTION_KEY",
                "is too short: use at least 32 characters (e.g. `openssl rand -hex 32`)",
            ));
        }

        let dev_mode = match read("DEV_MODE").as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(_) => return Err(err("DEV_MODE", "must be 0 or 1")),
        };

        let seconds = |name: &'static str, default: i64, min: i64, max: i64| -> Result<i64, ConfigError> {
            match read(name) {
                None => Ok(default),
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => Ok(n),
                    _ => Err(err(name, format!("must be a whole number from {min} to {max}, got {v:?}"))),
                },
            }
        };
        let lifetimes = Lifetimes {
            code: seconds("AUTH_CODE_TTL", 600, 30, 3600)?,
            access: seconds("ACCESS_TOKEN_TTL", 3600, 60, 86_400)?,
            refresh: seconds("REFRESH_TOKEN_TTL", 30 * 86_400, 3600, 365 * 86_400)?,
        };

        let registrations_per_hour = seconds("REGISTRATIONS_PER_HOUR", 20, 1, 1_000_000)? as u32;

        Ok(Config {
            upstream: Upstream { issuer, client_id, client_secret, endpoints },
            cookie_key: cookie_key.into_bytes(),
            dev_mode,
            lifetimes,
            registrations_per_hour,
        })
    }
}

/// An upstream URL must be `https`, or `http` on a loopback host (local development).
fn check_endpoint_url(name: &'static str, url: &str) -> Result<(), ConfigError> {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Err(err(name, format!("must be an https URL (http only on loopback), got {url:?}")));
        }
        rest
    } else {
        return Err(err(name, format!("must be an https URL, got {url:?}")));
    };
    if rest.is_empty() || rest.starts_with('/') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err(name, format!("is not a valid URL: {url:?}")));
    }
    if url.contains('#') {
        return Err(err(name, "must not contain a fragment"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    const BASE: &[(&str, &str)] = &[
        ("ACCESS_CLIENT_ID", "cid"),
        ("ACCESS_CLIENT_SECRET", "secret"),
        ("COOKIE_ENCRYPTION_KEY", "0123456789abcdef0123456789abcdef"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        BASE.iter().chain(extra).copied().collect()
    }

    #[test]
    fn issuer_alone_selects_discovery() {
        let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://idp.example")]))).unwrap();
        assert_eq!(c.upstream.issuer, "https://idp.example");
        assert_eq!(c.upstream.endpoints, UpstreamEndpoints::Discovery);
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
            .chain([
                ("ACCESS_AUTHORIZATION_URL", a.as_str()),
                ("ACCESS_TOKEN_URL", t.as_str()),
                ("ACCESS_JWKS_URL", j.as_str()),
            ])
            .collect();
        let c = Config::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(c.upstream.issuer, base);
        assert!(matches!(c.upstream.endpoints, UpstreamEndpoints::Explicit { .. }));
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
        let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("DEV_MODE", "yes")])))
            .unwrap_err();
        assert_eq!(e.setting, "DEV_MODE");
    }

    #[test]
    fn lifetimes_default_and_are_bounded() {
        let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example")]))).unwrap();
        assert_eq!(c.lifetimes, Lifetimes { code: 600, access: 3600, refresh: 30 * 86_400 });
        let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("ACCESS_TOKEN_TTL", "5")])))
            .unwrap_err();
        assert_eq!(e.setting, "ACCESS_TOKEN_TTL");
        let e = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example"), ("REFRESH_TOKEN_TTL", "x")])))
            .unwrap_err();
        assert_eq!(e.setting, "REFRESH_TOKEN_TTL");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = Config::from_lookup(lookup(&with(&[("ACCESS_ISSUER", "https://i.example")]))).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret") && !shown.contains("0123456789abcdef"), "{shown}");
    }
}
