//! The parts of a request URL the server needs — origin, path, query — taken from the runtime's already
//! normalised URL string, and the percent-encoding of form bodies, without a general URL parser
//! (the `url` crate and its IDNA tables would otherwise be most of a Worker's data segment).

/// `scheme://host[:port]` of an absolute URL (as the runtime gives it: lower-case scheme and host,
/// default port omitted). `None` for anything that is not `scheme://authority…`.
pub fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let scheme = &url[..scheme_end];
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return None;
    }
    let rest = &url[scheme_end + 3..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if authority_len == 0 {
        return None;
    }
    Some(&url[..scheme_end + 3 + authority_len])
}

/// The path of an absolute URL as the runtime serialises it (`/` when empty), without query or
/// fragment: the same path `worker::Request::path` gives, for a request we never wrap.
pub fn path(url: &str) -> &str {
    let Some(authority) = origin(url) else { return "/" };
    let rest = &url[authority.len()..];
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    match &rest[..end] {
        "" => "/",
        p => p,
    }
}

/// The query string (without `?` and without any fragment), or `""`.
pub fn query(url: &str) -> &str {
    let before_fragment = url.split('#').next().unwrap_or("");
    before_fragment.split_once('?').map_or("", |(_, q)| q)
}

/// The value of the first query parameter named `name`, not percent-decoded (for simple numeric
/// and token parameters only).
pub fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    query(url).split('&').find_map(|pair| pair.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v))
}

/// Percent-encodes everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`); a
/// space becomes `%20`, which both form and URI decoders read as a space.
pub fn encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// `name=value&…`, each part encoded with [`encode`].
pub fn serialize(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// Percent-decodes strictly (a form component, a resource URI): `%XX` becomes its byte, `+` a
/// space when `plus_is_space` (forms); `None` on a `%` not followed by two hex digits.
pub fn decode_strict(raw: &[u8], plus_is_space: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'%' => {
                out.push(hex_pair(raw, i + 1)?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Percent-decodes leniently (to see what a string would mean to a naive decoder, e.g. an
/// encoded `..` in a key): a `%` not followed by two hex digits stays as it is.
pub fn decode_lenient(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match (b, hex_pair(raw, i + 1)) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// The byte that the two hex digits at `raw[at..at + 2]` spell.
fn hex_pair(raw: &[u8], at: usize) -> Option<u8> {
    let digit = |i: usize| raw.get(i).and_then(|c| char::from(*c).to_digit(16));
    Some((digit(at)? * 16 + digit(at + 1)?) as u8)
}

#[cfg(test)]
mod tests {

    #[test]
    fn strict_decoding_refuses_broken_escapes_and_lenient_keeps_them() {
        assert_eq!(decode_strict(b"a%20b+c", true), Some(b"a b c".to_vec()));
        assert_eq!(decode_strict(b"a%20b+c", false), Some(b"a b+c".to_vec()));
        assert_eq!(decode_strict(b"%zz", true), None);
        assert_eq!(decode_strict(b"%2", true), None);
        assert_eq!(decode_lenient(b"%2e%2E%zz%2"), b"..%zz%2".to_vec());
        assert_eq!(decode_lenient(b"%c0%ae"), vec![0xc0, 0xae]);
    }

    use super::*;

    #[test]
    fn path_is_between_authority_and_query() {
        assert_eq!(path("https://mcp.example/mcp?x=1"), "/mcp");
        assert_eq!(path("https://mcp.example/mcp#f"), "/mcp");
        assert_eq!(path("http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"), "/.well-known/oauth-protected-resource/mcp");
        assert_eq!(path("https://mcp.example"), "/");
        assert_eq!(path("https://mcp.example/"), "/");
        assert_eq!(path("https://mcp.example?q"), "/");
        assert_eq!(path("http://[::1]:9/a/b"), "/a/b");
        assert_eq!(path("not a url"), "/");
    }

    #[test]
    fn origin_is_scheme_and_authority() {
        assert_eq!(origin("https://mcp.example/mcp?x=1"), Some("https://mcp.example"));
        assert_eq!(origin("http://127.0.0.1:8787/authorize"), Some("http://127.0.0.1:8787"));
        assert_eq!(origin("http://[::1]:9/"), Some("http://[::1]:9"));
        assert_eq!(origin("https://h.example"), Some("https://h.example"));
        assert_eq!(origin("https://h.example?q"), Some("https://h.example"));
        assert_eq!(origin("/relative"), None);
        assert_eq!(origin("https:///x"), None);
        assert_eq!(origin("://x"), None);
    }

    #[test]
    fn query_stops_at_the_fragment() {
        assert_eq!(query("https://h/a?x=1&y=2#frag?no"), "x=1&y=2");
        assert_eq!(query("https://h/a#f?x"), "");
        assert_eq!(query("https://h/a"), "");
        assert_eq!(query_param("https://h/limit/k?max=5&window=60", "window"), Some("60"));
        assert_eq!(query_param("https://h/limit/k?max=5", "window"), None);
    }
}
