//! Scope strings (RFC 6749 §3.3): parsing the space-delimited list, the syntax of each token,
//! and the narrowing rules shared by registration, `/authorize` and `/token`.

use super::errors::OAuthError;

/// Longest scope string accepted.
pub const MAX_SCOPE_LEN: usize = 1000;

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_scope_token(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Splits on single spaces (RFC 6749 §3.3), deduplicating and keeping first-seen order.
/// Bad syntax → `invalid_scope`.
pub fn parse(s: &str) -> Result<Vec<String>, OAuthError> {
    if s.len() > MAX_SCOPE_LEN {
        return Err(OAuthError::invalid_scope("scope too long"));
    }
    let mut out: Vec<String> = Vec::new();
    for t in s.split(' ') {
        if t.is_empty() {
            continue; // tolerate doubled spaces, which some clients send
        }
        if !is_scope_token(t) {
            return Err(OAuthError::invalid_scope("scope contains a character that is not allowed"));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// The space-delimited form.
pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// True when every scope in `requested` is in `allowed`.
pub fn is_subset(requested: &[String], allowed: &[String]) -> bool {
    requested.iter().all(|s| allowed.contains(s))
}

/// What `/authorize` grants (RFC 6749 §3.3 lets the server ignore part of a request): the
/// requested scopes this server supports and, when the client registered a `scope`, that it
/// registered. Unknown scopes are dropped, not refused, because MCP clients add their own (e.g.
/// `offline_access`). Nothing left → `default` (filtered the same way).
pub fn grantable(requested: &[String], supported: &[&str], registered: Option<&[String]>, default: &[&str]) -> Vec<String> {
    let ok = |s: &str| supported.contains(&s) && registered.is_none_or(|r| r.iter().any(|x| x == s));
    let from_request: Vec<String> = requested.iter().filter(|s| ok(s)).cloned().collect();
    if !from_request.is_empty() {
        return from_request;
    }
    default.iter().filter(|s| ok(s)).map(|s| (*s).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn rfc6749_3_3_scope_is_space_delimited_and_deduplicated() {
        assert_eq!(parse("a b  a").ok(), Some(v(&["a", "b"])));
        assert_eq!(parse("").ok(), Some(vec![]));
    }

    #[test]
    fn rfc6749_3_3_scope_token_charset() {
        for bad in ["a\"b", "a\\b", "a\tb", "é", "a\nb"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse("mcp:read urn:x!#$").is_ok());
    }

    #[test]
    fn scope_length_is_bounded() {
        assert!(parse(&"a".repeat(MAX_SCOPE_LEN + 1)).is_err());
    }

    #[test]
    fn grantable_drops_unknown_and_unregistered_scopes() {
        let sup = ["mcp", "mcp:write"];
        assert_eq!(grantable(&v(&["mcp", "offline_access"]), &sup, None, &["mcp"]), v(&["mcp"]));
        let reg = v(&["mcp"]);
        assert_eq!(grantable(&v(&["mcp:write"]), &sup, Some(&reg), &["mcp"]), v(&["mcp"]));
        assert_eq!(grantable(&[], &sup, None, &["mcp"]), v(&["mcp"]));
    }

    #[test]
    fn subset_check() {
        assert!(is_subset(&v(&["a"]), &v(&["a", "b"])));
        assert!(!is_subset(&v(&["c"]), &v(&["a", "b"])));
    }
}
