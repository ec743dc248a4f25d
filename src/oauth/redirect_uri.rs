//! Redirect URI rules, at registration (RFC 7591 §2) and at authorization (RFC 6749 §3.1.2,
//! RFC 8252 §7–8): which URIs a client may register, and whether a presented one matches.
//!
//! Accepted, and nothing else:
//! - `https://host[:port][/path][?query]`: a DNS name or dotted-quad IPv4 or `[IPv6]`; no
//!   userinfo, no fragment.
//! - `http://` only on a loopback host, spelled exactly `127.0.0.1`, `[::1]` or `localhost`
//!   (RFC 8252 §7.3, §8.3). At authorization time any port matches a registered loopback URI;
//!   scheme, host, path and query must match exactly.
//! - Private-use schemes (RFC 8252 §7.1): the scheme must contain a dot (reverse domain name,
//!   `com.example.app:/cb`) or be one of the IDE schemes in [`KNOWN_APP_SCHEMES`] (`vscode:`,
//!   `cursor:` …), which predate that advice and are in wide use by MCP clients.
//!
//! Refused: `javascript:`, `data:`, `file:`, `vbscript:`, `blob:`, `about:` and other browser
//! schemes in any case; any byte outside printable ASCII (spaces, tabs, newlines, NUL, non-ASCII);
//! characters RFC 3986 does not allow in a URI (`\`, `"`, `<`, `>`, `` ` ``, `{`, `|`, `}`, `^`);
//! malformed `%` escapes and escaped control characters anywhere; `%` in the authority; dot
//! segments (`/./`, `/../`, and their encoded forms); fragments; numeric hosts that are not a
//! plain dotted quad (browsers read `2130706433` or `0x7f.1` as IPv4); uppercase schemes.
//! Other than the loopback port, matching is exact string comparison (no normalisation).

use super::errors::OAuthError;

/// Longest redirect URI accepted.
pub const MAX_URI_LEN: usize = 2000;

/// Private-use schemes without a dot that MCP clients use today.
pub const KNOWN_APP_SCHEMES: &[&str] = &["vscode", "vscode-insiders", "vscodium", "cursor", "windsurf", "claude", "zed"];

/// Schemes a browser would execute, read locally, or treat specially: refused in any case, even
/// when a client claims them as "private-use".
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "file",
    "vbscript",
    "blob",
    "about",
    "filesystem",
    "view-source",
    "chrome",
    "chrome-extension",
    "moz-extension",
    "resource",
    "jar",
    "ws",
    "wss",
    "ftp",
    "mailto",
    "intent",
    "content",
    "ms-settings",
];

/// What kind of redirect URI this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    Https,
    /// `http` on a loopback host: any port matches at authorization time.
    Loopback,
    /// A native app's private-use scheme.
    PrivateUse,
}

/// The parts of a validated redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub kind: RedirectKind,
    pub scheme: &'a str,
    /// Host as written (with brackets for IPv6); empty for private-use schemes.
    pub host: &'a str,
    pub port: Option<u16>,
    /// Path and query (everything after the authority); for private-use, everything after `:`.
    pub rest: &'a str,
}

fn bad(msg: &str) -> OAuthError {
    OAuthError::invalid_redirect_uri(msg)
}

/// Validates a redirect URI for registration or authorization.
pub fn validate(uri: &str) -> Result<RedirectKind, OAuthError> {
    parse(uri).map(|p| p.kind)
}

/// Parses and validates; see the module docs for the rules.
pub fn parse(uri: &str) -> Result<Parsed<'_>, OAuthError> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN {
        return Err(bad("redirect URI is empty or too long"));
    }
    let (scheme, after) = uri.split_once(':').ok_or_else(|| bad("redirect URI has no scheme"))?;
    // Refuse the dangerous schemes first, whatever else is wrong with the URI.
    let lower = scheme.to_ascii_lowercase();
    let trimmed: String = lower.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    if FORBIDDEN_SCHEMES.contains(&lower.as_str()) || FORBIDDEN_SCHEMES.contains(&trimmed.as_str()) {
        return Err(bad("redirect URI scheme is not allowed"));
    }
    check_chars(uri)?;
    if !is_scheme(scheme) {
        return Err(bad("redirect URI scheme is malformed"));
    }
    if scheme != lower {
        return Err(bad("redirect URI scheme must be lowercase"));
    }
    if uri.contains('#') {
        return Err(bad("redirect URI must not contain a fragment"));
    }
    match scheme {
        "https" | "http" => {
            let after = after.strip_prefix("//").ok_or_else(|| bad("redirect URI must be of the form scheme://host/…"))?;
            let end = after.find(['/', '?']).unwrap_or(after.len());
            let (authority, rest) = after.split_at(end);
            let (host, port) = parse_authority(authority)?;
            check_path(rest)?;
            let kind = if scheme == "https" {
                RedirectKind::Https
            } else if is_loopback(host) {
                RedirectKind::Loopback
            } else {
                return Err(bad("http redirect URIs are allowed only on loopback hosts"));
            };
            Ok(Parsed { kind, scheme, host, port, rest })
        }
        _ => {
            if !(scheme.contains('.') || KNOWN_APP_SCHEMES.contains(&scheme)) {
                return Err(bad("private-use scheme must be a reverse domain name (RFC 8252 §7.1)"));
            }
            if after.is_empty() {
                return Err(bad("redirect URI has nothing after the scheme"));
            }
            check_path(after)?;
            Ok(Parsed { kind: RedirectKind::PrivateUse, scheme, host: "", port: None, rest: after })
        }
    }
}

/// `registered` (validated at registration) matches `presented` (from `/authorize` or `/token`):
/// exact string equality, except that a loopback `http` URI matches on any port (RFC 8252 §7.3).
pub fn matches(registered: &str, presented: &str) -> bool {
    let (Ok(r), Ok(p)) = (parse(registered), parse(presented)) else {
        return false;
    };
    if r.kind == RedirectKind::Loopback && p.kind == RedirectKind::Loopback {
        return r.host == p.host && r.rest == p.rest;
    }
    registered == presented
}

/// The host to show on the consent page (`host[:port]`), or the scheme for private-use URIs.
pub fn display_host(uri: &str) -> Option<String> {
    let p = parse(uri).ok()?;
    Some(match (p.kind, p.port) {
        (RedirectKind::PrivateUse, _) => format!("{}:", p.scheme),
        (_, Some(port)) => format!("{}:{port}", p.host),
        (_, None) => p.host.to_owned(),
    })
}

/// The CSP source that lets the consent form's redirect reach this URI: the origin for
/// http(s) (loopback on any port: `http://127.0.0.1:*`), `scheme:` for private-use.
pub fn csp_source(uri: &str) -> Option<String> {
    let p = parse(uri).ok()?;
    Some(match (p.kind, p.port) {
        (RedirectKind::PrivateUse, _) => format!("{}:", p.scheme),
        (RedirectKind::Loopback, _) => format!("http://{}:*", p.host),
        (RedirectKind::Https, Some(port)) => format!("https://{}:{port}", p.host),
        (RedirectKind::Https, None) => format!("https://{}", p.host),
    })
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Printable ASCII from RFC 3986's character set only; `%` escapes well formed and not encoding
/// a control character.
fn check_chars(uri: &str) -> Result<(), OAuthError> {
    let b = uri.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let ok = c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&c);
        if !ok {
            return Err(bad("redirect URI contains a character that is not allowed"));
        }
        if c == b'%' {
            let hex = |j: usize| b.get(j).and_then(|h| char::from(*h).to_digit(16));
            let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                return Err(bad("redirect URI has a malformed percent-escape"));
            };
            let v = hi * 16 + lo;
            if v < 0x20 || v == 0x7f {
                return Err(bad("redirect URI encodes a control character"));
            }
            i += 2;
        }
        i += 1;
    }
    Ok(())
}

fn parse_authority(authority: &str) -> Result<(&str, Option<u16>), OAuthError> {
    if authority.contains(['@', '%']) {
        return Err(bad("redirect URI must not contain userinfo or escapes in the host"));
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or_else(|| bad("unclosed IPv6 literal"))?;
        let (h, after) = authority.split_at(close + 1);
        if !is_ipv6_literal(h) {
            return Err(bad("malformed IPv6 literal"));
        }
        match after {
            "" => (h, None),
            _ => (h, Some(after.strip_prefix(':').ok_or_else(|| bad("junk after IPv6 host"))?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if !host.starts_with('[') && !is_dns_or_ipv4(host) {
        return Err(bad("redirect URI host is malformed"));
    }
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("redirect URI port is malformed"));
            }
            match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(bad("redirect URI port is out of range")),
            }
        }
    };
    Ok((host, port))
}

fn is_ipv6_literal(h: &str) -> bool {
    let inner = h.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or("");
    !inner.is_empty() && inner.len() <= 39 && inner.contains(':') && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
}

/// A DNS name (labels of letters, digits and inner hyphens) or, when the last label starts with
/// a digit, a canonical dotted-quad IPv4 address.
fn is_dns_or_ipv4(host: &str) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let last_numeric = labels.last().is_some_and(|l| l.bytes().next().is_some_and(|b| b.is_ascii_digit()));
    if last_numeric {
        return labels.len() == 4
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 3
                    && l.bytes().all(|b| b.is_ascii_digit())
                    && !(l.len() > 1 && l.starts_with('0'))
                    && l.parse::<u16>().is_ok_and(|n| n <= 255)
            });
    }
    labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    })
}

/// Path (and query) must be empty or start with `/` or `?`; no dot segments, even encoded.
fn check_path(rest: &str) -> Result<(), OAuthError> {
    let path = rest.split('?').next().unwrap_or("");
    for seg in path.split('/') {
        let s = seg.to_ascii_lowercase().replace("%2e", ".");
        if s == "." || s == ".." {
            return Err(bad("redirect URI must not contain dot segments"));
        }
    }
    if path.to_ascii_lowercase().contains("%2f") || path.to_ascii_lowercase().contains("%5c") {
        return Err(bad("redirect URI must not contain encoded slashes"));
    }
    Ok(())
}

#[cfg(test)]
#[path = "redirect_uri_tests.rs"]
mod tests;
