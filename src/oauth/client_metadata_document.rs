//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, adopted by MCP
//! 2025-11-25): a client may use an https URL as its `client_id`, and the authorization server
//! fetches the client's metadata from that URL instead of a registration. Off unless
//! `CLIENT_METADATA_DOCUMENTS=1`. These are the rules; the Worker glue fetches and caches.

use super::errors::OAuthError;
use super::registration::{self, AuthMethod, ClientRecord};

/// Largest metadata document read.
pub const MAX_DOCUMENT: usize = 5 * 1024;
/// Longest client id URL accepted.
pub const MAX_URL: usize = 2000;

/// Host names a document may not live under: the names of this machine or of a local network
/// (RFC 6761 `localhost`, RFC 6762 `.local`, RFC 8375 `.home.arpa`, and the `.internal`, `.lan`
/// and `.localdomain` names private networks use). The name itself and every name below it.
pub const LOCAL_NAMES: &[&str] = &["localhost", "local", "internal", "lan", "home.arpa", "localdomain"];

/// Whether `client_id` is a metadata-document URL this server may fetch: `https` on the default
/// port (no port written), a public DNS name as host ([`is_public_host`]: no IP literal in any
/// spelling, no local name), a path other than `/`, no query, fragment, credentials or dot
/// segments, no whitespace or controls. `allow_loopback_http` admits `http://127.0.0.1[:port]/…`
/// and `http://localhost[:port]/…` (DEV_MODE on a loopback host: local development and tests).
pub fn is_document_url(client_id: &str, allow_loopback_http: bool) -> bool {
    if client_id.len() > MAX_URL || client_id.bytes().any(|b| b <= b' ' || b == 0x7f) || client_id.contains(['?', '#', '\\']) {
        return false;
    }
    let (rest, loopback_http) = if let Some(r) = client_id.strip_prefix("https://") {
        (r, false)
    } else if let Some(r) = client_id.strip_prefix("http://").filter(|_| allow_loopback_http) {
        (r, true)
    } else {
        return false;
    };
    let Some((authority, path)) = rest.split_once('/') else { return false };
    let host_ok = if loopback_http {
        let (host, port) = authority.split_once(':').unwrap_or((authority, "80"));
        matches!(host, "127.0.0.1" | "localhost") && (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit())
    } else {
        is_public_host(authority)
    };
    host_ok
        && !path.is_empty()
        && !path.split('/').any(|seg| seg == "." || seg == ".." || seg.eq_ignore_ascii_case("%2e") || seg.eq_ignore_ascii_case("%2e%2e"))
}

/// Whether `host` (an https URL's whole authority) is a public DNS name: ASCII letters, digits,
/// hyphens and dots only (so no port, credentials, IPv6 brackets or percent escapes), at least two
/// non-empty labels of at most 63 characters that neither start nor end with a hyphen (so no
/// trailing dot); not an IPv4 address in any spelling the URL standard parses as one (its last
/// label all digits, or `0x` hex: `127.0.0.1`, `2130706433`, `0x7f000001`, `017700000001`,
/// `127.1`); and neither one of the [`LOCAL_NAMES`] nor below one.
pub fn is_public_host(host: &str) -> bool {
    if host.is_empty() || host.len() > 253 || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        return false;
    }
    let host = host.to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let well_formed =
        labels.len() >= 2 && labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'));
    let Some(last) = labels.last().filter(|_| well_formed) else { return false };
    // The URL standard's "ends in a number" rule: such a host is an IPv4 address, however written.
    let numeric =
        last.bytes().all(|b| b.is_ascii_digit()) || last.strip_prefix("0x").is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
    !numeric && !LOCAL_NAMES.iter().any(|n| host == *n || host.strip_suffix(n).is_some_and(|h| h.ends_with('.')))
}

/// Validates a fetched document for `url` and turns it into a client record (public client:
/// no secret). The document's `client_id` must equal the URL exactly, and every field obeys the
/// same rules as a registration.
pub fn client_from_document(url: &str, body: &[u8], now: i64) -> Result<ClientRecord, OAuthError> {
    if body.len() > MAX_DOCUMENT {
        return Err(OAuthError::invalid_client_metadata("the client metadata document is too large"));
    }
    let doc: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| OAuthError::invalid_client_metadata("the client metadata document is not JSON"))?;
    if doc.get("client_id").and_then(|v| v.as_str()) != Some(url) {
        return Err(OAuthError::invalid_client_metadata("the document's client_id is not the URL it was fetched from"));
    }
    if doc.get("client_secret").is_some() || doc.get("client_secret_expires_at").is_some() {
        return Err(OAuthError::invalid_client_metadata("a client metadata document must not carry a secret"));
    }
    let metadata = registration::parse_request(body)?;
    if metadata.token_endpoint_auth_method != AuthMethod::None {
        return Err(OAuthError::invalid_client_metadata(
            "clients identified by a metadata document must use token_endpoint_auth_method \"none\"",
        ));
    }
    Ok(ClientRecord {
        client_id: url.to_owned(),
        client_secret_hash: None,
        client_id_issued_at: now,
        last_used_at: now,
        metadata,
        grant_types_honoured: true,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    const URL: &str = "https://app.example/oauth/client.json";

    fn doc(extra: &str) -> Vec<u8> {
        format!(
            r#"{{"client_id":"{URL}","client_name":"App","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none"{extra}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn document_urls_are_https_with_a_path_and_nothing_else() {
        assert!(is_document_url(URL, false));
        for bad in [
            "https://app.example",
            "https://app.example/",
            "http://app.example/c.json",
            "https://user@app.example/c.json",
            "https://app.example/c.json?x=1",
            "https://app.example/c.json#f",
            "https://app.example/a/../c.json",
            "https://app.example/a b",
            "javascript:alert(1)",
            "mcp-client-id",
        ] {
            assert!(!is_document_url(bad, false), "{bad}");
        }
    }

    #[test]
    fn only_the_default_port_and_no_port_written() {
        for bad in ["https://app.example:443/c.json", "https://app.example:8443/c.json", "https://app.example:/c.json"] {
            assert!(!is_document_url(bad, false), "{bad}");
        }
    }

    #[test]
    fn ip_literals_are_refused_in_every_spelling() {
        for host in [
            "127.0.0.1",
            "10.0.0.1",
            "169.254.169.254",
            "[::1]",
            "[::ffff:127.0.0.1]",
            "[fe80::1%25eth0]",
            "2130706433",
            "0x7f000001",
            "0X7F000001",
            "017700000001",
            "127.1",
            "0x7f.1",
            "0177.0.0.1",
            "1.2.3.0x4",
            "a.0x",
            "%31%32%37.0.0.1",
        ] {
            let url = format!("https://{host}/c.json");
            assert!(!is_document_url(&url, false), "{url}");
        }
    }

    #[test]
    fn local_and_malformed_names_are_refused() {
        for host in [
            "localhost",
            "LOCALHOST",
            "a.localhost",
            "printer.local",
            "metadata.google.internal",
            "router.lan",
            "nas.home.arpa",
            "box.localdomain",
            "intranet",
            "app.example.",
            "-a.example",
            "a-.example",
            "a..example",
            "caf\u{e9}.example",
        ] {
            let url = format!("https://{host}/c.json");
            assert!(!is_document_url(&url, false), "{url}");
        }
        for good in [
            "https://notlocal.example/c.json",
            "https://local.example/c.json",
            "https://xn--caf-dma.example/c.json",
            "https://a.b-c.example/c.json",
            "https://lan.example.com/c.json",
            "https://1.2.3.4a/c.json",
        ] {
            assert!(is_document_url(good, false), "{good}");
        }
    }

    #[test]
    fn loopback_http_only_when_allowed_and_only_loopback() {
        assert!(is_document_url("http://127.0.0.1:8080/client.json", true));
        assert!(is_document_url("http://localhost/client.json", true));
        assert!(!is_document_url("http://127.0.0.1:8080/client.json", false));
        assert!(!is_document_url("http://10.0.0.1/client.json", true));
        assert!(!is_document_url("http://127.0.0.1:80x/client.json", true));
        assert!(!is_document_url("http://127.0.0.1@evil.example/client.json", true));
        assert!(!is_document_url("https://127.0.0.1:8080/client.json", true), "the exception is for http on loopback only");
    }

    #[test]
    fn a_valid_document_becomes_a_public_client() {
        let c = client_from_document(URL, &doc(""), 7).unwrap();
        assert_eq!(c.client_id, URL);
        assert_eq!(c.client_secret_hash, None);
        assert_eq!(c.metadata.redirect_uris, vec!["https://app.example/cb".to_owned()]);
    }

    #[test]
    fn the_document_must_name_its_own_url_and_be_public() {
        let other = br#"{"client_id":"https://evil.example/c.json","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none"}"#;
        assert!(client_from_document(URL, other, 0).is_err());
        assert!(client_from_document(URL, &doc(r#","client_secret":"x""#), 0).is_err());
        let confidential = format!(
            r#"{{"client_id":"{URL}","redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"client_secret_basic"}}"#
        );
        assert!(client_from_document(URL, confidential.as_bytes(), 0).is_err());
        let js = format!(r#"{{"client_id":"{URL}","redirect_uris":["javascript:alert(1)"],"token_endpoint_auth_method":"none"}}"#);
        assert!(client_from_document(URL, js.as_bytes(), 0).is_err());
        assert!(client_from_document(URL, b"not json", 0).is_err());
        assert!(client_from_document(URL, &vec![b' '; MAX_DOCUMENT + 1], 0).is_err());
    }
}
