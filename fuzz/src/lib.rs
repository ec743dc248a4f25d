//! Shared code for the fuzz targets in `fuzz_targets/`: the root package's pure OAuth module,
//! compiled here from its own source files, and small helpers to cut one fuzz input into the
//! fields a target needs.
//!
//! # Why `#[path]`
//! The root package `r2-mcp` is `crate-type = ["cdylib"]` only (an `rlib` as well makes the
//! Worker's wasm bigger), so no other crate can depend on it. Its `src/oauth/` is plain Rust that
//! names its siblings only through `super::` (and, in its `#[cfg(test)]` modules, through
//! `crate::oauth::…`, which resolves here too because the module sits at this crate's root), plus
//! `r2_mcp_durable`, `serde`, `serde_json`, `sha2`, `hmac`, `base64` and `chacha20poly1305`, all of
//! which this crate depends on with the same features. Compiling the very same files here means
//! the fuzzer exercises the shipped code, not a copy, with no change to the root crate.
//!
//! # Input layout
//! Targets that need several values read them as lines: the first `n` lines (split on `\n`, each
//! converted lossily to UTF-8, as the Workers runtime hands headers over as strings) and then the
//! rest of the input as raw bytes (a body). Seeds stay readable and editable by hand.

#[path = "../../src/oauth/mod.rs"]
pub mod oauth;

/// Splits `data` into `n` lines (missing lines are empty) and the remaining bytes.
pub fn lines(data: &[u8], n: usize) -> (Vec<String>, &[u8]) {
    let mut out = Vec::with_capacity(n);
    let mut rest = data;
    for _ in 0..n {
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                out.push(String::from_utf8_lossy(rest.get(..i).unwrap_or_default()).into_owned());
                rest = rest.get(i + 1..).unwrap_or_default();
            }
            None => {
                out.push(String::from_utf8_lossy(rest).into_owned());
                rest = &[];
            }
        }
    }
    (out, rest)
}

/// `Some(s)` unless the line is exactly `-` (how a seed says "header absent").
pub fn opt(s: &str) -> Option<&str> {
    (s != "-").then_some(s)
}

/// Percent-decodes bytewise (no UTF-8 requirement), `None` if nothing was encoded. Used by the
/// invariants to look at keys the way a lenient downstream decoder might.
pub fn percent_decode_bytes(s: &[u8]) -> Option<Vec<u8>> {
    if !s.contains(&b'%') {
        return None;
    }
    let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        match (c, hex(s.get(i + 1)), hex(s.get(i + 2))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// The safety property of an accepted object key or prefix, checked independently of
/// `storage::keys::check_prefix`: in its text and in up to three rounds of bytewise
/// percent-decoding there is no control character, no leading `/` or `\`, and no `.` or `..`
/// segment. Returns the first violation.
pub fn key_violation(key: &str) -> Option<String> {
    let mut text = key.as_bytes().to_vec();
    for round in 0..4 {
        if text.iter().any(|&b| b < 0x20 || b == 0x7f) || String::from_utf8_lossy(&text).chars().any(char::is_control) {
            return Some(format!("control character after {round} decoding round(s)"));
        }
        if text.first().is_some_and(|&b| b == b'/' || b == b'\\') {
            return Some(format!("leading separator after {round} decoding round(s)"));
        }
        if text.split(|&b| b == b'/' || b == b'\\').any(|seg| seg == b"." || seg == b"..") {
            return Some(format!("dot segment after {round} decoding round(s)"));
        }
        if round == 3 {
            break;
        }
        match percent_decode_bytes(&text) {
            Some(d) if d != text => text = d,
            _ => break,
        }
    }
    None
}

/// A fixed registered client for the OAuth targets: public (`none`), three kinds of redirect URI.
pub fn public_client() -> oauth::registration::ClientRecord {
    use oauth::registration::{AuthMethod, ClientMetadata, ClientRecord};
    ClientRecord {
        client_id: "fuzz-client".into(),
        client_secret_hash: None,
        client_id_issued_at: 1_700_000_000,
        last_used_at: 1_700_000_000,
        metadata: ClientMetadata {
            redirect_uris: vec![
                "https://app.example/cb".into(),
                "http://127.0.0.1/callback".into(),
                "com.example.app:/oauth2redirect".into(),
            ],
            token_endpoint_auth_method: AuthMethod::None,
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            response_types: vec!["code".into()],
            client_name: Some("Fuzz".into()),
            client_uri: None,
            logo_uri: None,
            scope: None,
            contacts: vec![],
            software_id: None,
            software_version: None,
        },
        grant_types_honoured: true,
    }
}

/// A confidential client (`client_secret_basic`, secret `s3cret`) with one redirect URI and a
/// registered scope.
pub fn confidential_client(method: oauth::registration::AuthMethod) -> oauth::registration::ClientRecord {
    let mut c = public_client();
    c.client_id = "conf-client".into();
    c.client_secret_hash = Some(oauth::registration::hash_secret("s3cret"));
    c.metadata.token_endpoint_auth_method = method;
    c.metadata.redirect_uris = vec!["https://conf.example/cb".into()];
    c.metadata.scope = Some("mcp".into());
    c
}

/// This server's resource identifier in the OAuth targets.
pub const RESOURCE: &str = "https://mcp.example/mcp";
/// This server's issuer in the OAuth targets.
pub const ISSUER: &str = "https://mcp.example";
/// The scopes the real server supports (`routes::metadata::SCOPES`).
pub const SCOPES: &[&str] = &["mcp"];

/// Unicode NFC, as the runtime's `String.prototype.normalize("NFC")` that the Worker hands the
/// engine (`storage::keys::Nfc`).
pub fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}
