//! The Worker's settings: read once per isolate from `env` vars and secrets, validated, with an
//! error that names the setting when one is missing or malformed.
//!
//! The upstream names are the ones Cloudflare's Access demo uses (`ACCESS_CLIENT_ID`,
//! `ACCESS_CLIENT_SECRET`, `ACCESS_AUTHORIZATION_URL`, `ACCESS_TOKEN_URL`, `ACCESS_JWKS_URL`,
//! `COOKIE_ENCRYPTION_KEY`), so its users can reuse their secrets; `ACCESS_ISSUER` alone (OIDC
//! discovery) is the simpler alternative.

use std::fmt;

use r2_mcp_durable::grants::token::RoutingKey;
use r2_mcp_durable::mcp::http_rules::AllowedOrigins;

use crate::oauth::cookies::derive_key;

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
        /// `ACCESS_USERINFO_URL`, or `<issuer>/userinfo` as Access for SaaS lists it when the
        /// issuer is derived from the authorization URL: where a refresh re-reads the groups.
        userinfo_url: Option<String>,
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

/// The Cloudflare Access self-hosted application this Worker sits behind (`AUTH_MODE=access`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessApp {
    /// `https://<team>.cloudflareaccess.com`: the `iss` of Access JWTs; certs live under it.
    pub team_domain: String,
    /// The application's audience (AUD) tag.
    pub aud: String,
}

impl AccessApp {
    /// Where Access publishes the team's signing keys.
    pub fn certs_url(&self) -> String {
        format!("{}/cdn-cgi/access/certs", self.team_domain)
    }
}

/// How `/mcp` callers are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// This Worker is the OAuth 2.1 authorization server; logins go to the upstream provider.
    OAuth(Upstream),
    /// Behind a Cloudflare Access self-hosted application: the identity comes from the
    /// `Cf-Access-Jwt-Assertion` header, validated against the team's certs; no OAuth here.
    Access(AccessApp),
}

/// Validated settings.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    pub auth: AuthMode,
    /// Key material for signing and encrypting cookies (`COOKIE_ENCRYPTION_KEY`).
    pub cookie_key: Vec<u8>,
    /// The keys tokens' routing tags are checked under: the current one (derived from
    /// `COOKIE_ENCRYPTION_KEY`, and the one new tokens carry) first, then the previous one (from
    /// `COOKIE_ENCRYPTION_KEY_PREVIOUS`, during a rotation). Empty behind Access (no tokens).
    pub routing_keys: Vec<RoutingKey>,
    /// `DEV_MODE=1`: serves the `/_dev/` diagnostics used by the local tests and benchmarks
    /// (and only to requests addressed to a loopback host).
    pub dev_mode: bool,
    /// Token and grant lifetimes in seconds (`AUTH_CODE_TTL`, `ACCESS_TOKEN_TTL`,
    /// `REFRESH_TOKEN_TTL`, `GRANT_MAX_TTL`, `UPSTREAM_RECHECK_SECS`, `UPSTREAM_GRACE_SECS`).
    pub lifetimes: Lifetimes,
    /// Dynamic client registrations allowed per source address per hour
    /// (`REGISTRATIONS_PER_HOUR`, default 20).
    pub registrations_per_hour: u32,
    /// `CLIENT_METADATA_DOCUMENTS=1`: accept https client ids whose metadata is fetched (CIMD).
    pub client_metadata_documents: bool,
    /// `LOG_LEVEL`: which per-request log lines are written.
    pub log_level: LogLevel,
    /// `ALLOWED_ORIGINS`: browser origins admitted on `/mcp` besides loopback and the defaults.
    pub allowed_origins: AllowedOrigins,
    /// `TRANSFER_MAX_BODY`: the largest request body a transfer link takes in one `PUT` (the
    /// plan's request body limit: 100 MB on Free and Pro); larger objects go up in parts of at
    /// most this.
    pub transfer_max_body: u64,
}

/// The default `TRANSFER_MAX_BODY`: 100 MB, the request body limit of the Free and Pro plans.
pub const DEFAULT_TRANSFER_MAX_BODY: u64 = 100_000_000;

/// `LOG_LEVEL` (default `info`): the least severe request line written. A request's line is
/// `info`, `warn` when `/mcp` refused its `Origin`, or `error` when it failed with a 5xx; so `debug`
/// and `info` write one line per request, `warn` only the refused origins and the failed ones,
/// `error` only the failed ones. Warnings and errors about unusual events (an upstream
/// refusal, a failed cleanup) are always written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    /// Whether a line at `level` is written under this setting.
    pub fn writes(self, level: LogLevel) -> bool {
        level >= self
    }
}

pub use r2_mcp_durable::grants::rules::Lifetimes;

impl Config {
    /// The routing tag new tokens of `user_key`'s grant `grant_id` carry (current key).
    pub fn routing_tag(&self, user_key: &str, grant_id: &str) -> Option<String> {
        self.routing_keys.first().map(|k| r2_mcp_durable::grants::token::routing_tag(k, user_key, grant_id))
    }

    /// `user_key`'s link key under the current routing key (see `r2_mcp_durable::transfer`),
    /// as its object receives it; `None` without a routing key.
    pub fn link_key(&self, user_key: &str) -> Option<String> {
        use r2_mcp_durable::transfer;
        self.routing_keys.first().map(|k| transfer::encode_link_key(&transfer::link_key(k, user_key)))
    }
}

impl fmt::Debug for Config {
    // Never print secrets, even in a debug log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Config");
        match &self.auth {
            AuthMode::OAuth(up) => d.field("issuer", &up.issuer).field("client_id", &up.client_id).field("endpoints", &up.endpoints),
            AuthMode::Access(app) => d.field("access_app", app),
        };
        d.field("dev_mode", &self.dev_mode).finish_non_exhaustive()
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
        let required = |name: &'static str| read(name).ok_or_else(|| err(name, "is not set (see the README's Configuration table)"));

        let auth = match read("AUTH_MODE").as_deref() {
            None | Some("oauth") => AuthMode::OAuth(upstream_from(&read, &required)?),
            Some("access") => {
                let team_domain = required("ACCESS_TEAM_DOMAIN")?;
                check_endpoint_url("ACCESS_TEAM_DOMAIN", &team_domain)?;
                let team_domain = team_domain.trim_end_matches('/').to_owned();
                if team_domain.matches('/').count() > 2 {
                    return Err(err("ACCESS_TEAM_DOMAIN", "must be the team's origin only, e.g. https://<team>.cloudflareaccess.com"));
                }
                let aud = required("ACCESS_AUD")?;
                AuthMode::Access(AccessApp { team_domain, aud })
            }
            Some(other) => return Err(err("AUTH_MODE", format!("must be oauth or access, got {other:?}"))),
        };

        // Only the OAuth mode sets cookies (consent, login); behind Access the key is not needed.
        let cookie_key = match (&auth, read("COOKIE_ENCRYPTION_KEY")) {
            (AuthMode::Access(_), None) => String::new(),
            (_, None) => return Err(err("COOKIE_ENCRYPTION_KEY", "is not set (see the README's Configuration table)")),
            (_, Some(k)) if k.len() < 32 => {
                return Err(err("COOKIE_ENCRYPTION_KEY", "is too short: use at least 32 characters (e.g. `openssl rand -hex 32`)"))
            }
            (_, Some(k)) => k,
        };
        let previous_key = match read("COOKIE_ENCRYPTION_KEY_PREVIOUS") {
            Some(k) if k.len() < 32 => return Err(err("COOKIE_ENCRYPTION_KEY_PREVIOUS", "is too short: use at least 32 characters")),
            k => k,
        };
        let routing_keys = if cookie_key.is_empty() {
            Vec::new()
        } else {
            std::iter::once(cookie_key.as_bytes())
                .chain(previous_key.as_deref().map(str::as_bytes))
                .map(|k| derive_key(k, "token-routing"))
                .collect()
        };

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
            refresh: seconds("REFRESH_TOKEN_TTL", 30 * 86_400, 60, 365 * 86_400)?,
            grant_max: seconds("GRANT_MAX_TTL", 30 * 86_400, 10, 365 * 86_400)?,
            upstream_recheck: seconds("UPSTREAM_RECHECK_SECS", 300, 0, 86_400)?,
            upstream_grace: seconds("UPSTREAM_GRACE_SECS", 3600, 0, 7 * 86_400)?,
        };

        let registrations_per_hour = seconds("REGISTRATIONS_PER_HOUR", 20, 1, 1_000_000)? as u32;
        let client_metadata_documents = match read("CLIENT_METADATA_DOCUMENTS").as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(_) => return Err(err("CLIENT_METADATA_DOCUMENTS", "must be 0 or 1")),
        };

        let transfer_max_body = match read("TRANSFER_MAX_BODY") {
            None => DEFAULT_TRANSFER_MAX_BODY,
            Some(v) => {
                use r2_mcp_durable::transfer::{MIN_PART_BYTES, R2_MAX_PART_BYTES};
                match v.parse::<u64>() {
                    Ok(n) if (MIN_PART_BYTES..=R2_MAX_PART_BYTES).contains(&n) => n,
                    _ => {
                        return Err(err(
                            "TRANSFER_MAX_BODY",
                            format!("must be a number of bytes from {MIN_PART_BYTES} to {R2_MAX_PART_BYTES}, got {v:?}"),
                        ))
                    }
                }
            }
        };

        let log_level = match read("LOG_LEVEL").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("info") => LogLevel::Info,
            Some("debug") => LogLevel::Debug,
            Some("warn") => LogLevel::Warn,
            Some("error") => LogLevel::Error,
            Some(_) => return Err(err("LOG_LEVEL", "must be debug, info, warn or error")),
        };

        // The user objects read their own settings (roles, sessions, fixtures); check them here
        // too, so a bad one is named on the first request rather than inside /mcp. The origins
        // are the Worker's: it checks `Origin` before authenticating.
        let mcp = r2_mcp_durable::mcp::settings::Settings::from_lookup(|n| get(n))
            .map_err(|(setting, problem)| ConfigError { setting, problem })?;
        if let (AuthMode::Access(_), AllowedOrigins::Any) = (&auth, &mcp.allowed_origins) {
            // Behind Access the credential is Access's cookie, which a browser attaches by itself:
            // the Origin check is then what keeps other sites' pages out.
            return Err(err(
                "ALLOWED_ORIGINS",
                "cannot be * with AUTH_MODE=access (Access authenticates browsers by cookie); list the origins",
            ));
        }

        Ok(Config {
            auth,
            cookie_key: cookie_key.into_bytes(),
            routing_keys,
            dev_mode,
            lifetimes,
            registrations_per_hour,
            client_metadata_documents,
            log_level,
            allowed_origins: mcp.allowed_origins,
            transfer_max_body,
        })
    }
}

/// The upstream OpenID Provider settings (`AUTH_MODE=oauth`, the default).
fn upstream_from(
    read: &dyn Fn(&str) -> Option<String>,
    required: &dyn Fn(&'static str) -> Result<String, ConfigError>,
) -> Result<Upstream, ConfigError> {
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
            let userinfo_url = match read("ACCESS_USERINFO_URL") {
                Some(u) => {
                    check_endpoint_url("ACCESS_USERINFO_URL", &u)?;
                    Some(u)
                }
                None => a.strip_suffix("/authorization").map(|base| format!("{base}/userinfo")),
            };
            let endpoints = UpstreamEndpoints::Explicit { authorization_url: a, token_url: t, jwks_url: j, userinfo_url };
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
            let missing = partial.iter().find(|(_, v)| v.is_none()).map(|(n, _)| *n).unwrap_or("ACCESS_AUTHORIZATION_URL");
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
    Ok(Upstream { issuer, client_id, client_secret, endpoints })
}

/// An upstream URL must be `https`, or `http` on a loopback host (local development).
fn check_endpoint_url(name: &'static str, url: &str) -> Result<(), ConfigError> {
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { host });
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
#[path = "config_tests.rs"]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests;
