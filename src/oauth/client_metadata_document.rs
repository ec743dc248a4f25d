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

/// Whether `client_id` is a metadata-document URL this server may fetch: `https`, with a host and
/// a path other than `/`, no query, fragment, credentials or dot segments, no whitespace or
/// controls. `allow_loopback_http` admits `http://127.0.0.1…` and `http://localhost…` (local
/// development only).
pub fn is_document_url(client_id: &str, allow_loopback_http: bool) -> bool {
    if client_id.len() > MAX_URL || client_id.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return false;
    }
    let rest = if let Some(r) = client_id.strip_prefix("https://") {
        r
    } else if let Some(r) = client_id.strip_prefix("http://").filter(|_| allow_loopback_http) {
        let host = r.split(['/', ':']).next().unwrap_or("");
        if !matches!(host, "127.0.0.1" | "localhost") {
            return false;
        }
        r
    } else {
        return false;
    };
    let Some((authority, path)) = rest.split_once('/') else { return false };
    let path = format!("/{path}");
    !authority.is_empty()
        && !authority.contains('@')
        && path.len() > 1
        && !client_id.contains(['?', '#', '\\'])
        && !path.split('/').any(|seg| seg == "." || seg == ".." || seg.eq_ignore_ascii_case("%2e") || seg.eq_ignore_ascii_case("%2e%2e"))
}

/// Validates a fetched document for `url` and turns it into a client record (public client:
/// no secret). The document's `client_id` must equal the URL exactly, and every field obeys the
/// same rules as a registration.
pub fn client_from_document(url: &str, body: &[u8], now: i64) -> Result<ClientRecord, OAuthError> {
    if body.len() > MAX_DOCUMENT {
        return Err(OAuthError::invalid_client_metadata("the client metadata document is too large"));
    }
    let doc: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| OAuthError::invalid_client_metadata("the client metadata document is not JSON"))?;
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
    })
}

#[cfg(test)]
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
        assert!(is_document_url("http://127.0.0.1:8080/client.json", true));
        assert!(!is_document_url("http://127.0.0.1:8080/client.json", false));
        assert!(!is_document_url("http://10.0.0.1/client.json", true));
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
