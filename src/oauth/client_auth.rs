//! Client authentication at `/token` and `/revoke` (RFC 6749 §2.3): reading the credentials from
//! `Authorization: Basic` or the body, and checking them against the stored [`ClientRecord`].
//!
//! Rules:
//! - Basic (RFC 6749 §2.3.1): `base64(urlencode(id) ":" urlencode(secret))`. A malformed header is
//!   `invalid_client` with a `Basic` challenge.
//! - Two methods in one request (Basic plus a body `client_secret`) → `invalid_request`
//!   (RFC 6749 §2.3: "MUST NOT use more than one authentication method"). A body `client_id`
//!   next to Basic is tolerated when it names the same client (some SDKs always send it), and is
//!   `invalid_request` when it differs.
//! - The method used must be the one registered; public clients (`none`) send only `client_id`.
//! - Secrets are compared as SHA-256 hashes in constant time.

use super::encoding::{b64_std_decode, ct_eq};
use super::errors::OAuthError;
use super::form::{self, Form};
use super::registration::{hash_secret, AuthMethod, ClientRecord};

/// Longest client id or secret accepted (ours are 22 and 43 characters; CIMD ids are URLs).
pub const MAX_CREDENTIAL_LEN: usize = 2000;

/// The credentials a request presented, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
    pub method: AuthMethod,
}

impl ClientCredentials {
    fn used_basic(&self) -> bool {
        self.method == AuthMethod::ClientSecretBasic
    }
}

fn basic_err(msg: &str) -> OAuthError {
    OAuthError::invalid_client(msg).with_basic(true)
}

/// Parses an `Authorization` header value of scheme Basic. `Ok(None)` when the header is absent
/// or uses another scheme (the caller decides what a Bearer header at `/token` means: ignored).
pub fn parse_basic(header: Option<&str>) -> Result<Option<(String, String)>, OAuthError> {
    let Some(h) = header else { return Ok(None) };
    let h = h.trim();
    let Some((scheme, rest)) = h.split_once(' ') else {
        return if h.eq_ignore_ascii_case("basic") { Err(basic_err("empty Basic credentials")) } else { Ok(None) };
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let rest = rest.trim();
    if rest.len() > 2 * MAX_CREDENTIAL_LEN {
        return Err(basic_err("Basic credentials too long"));
    }
    let raw = b64_std_decode(rest).ok_or_else(|| basic_err("Basic credentials are not base64"))?;
    let colon = raw.iter().position(|&b| b == b':').ok_or_else(|| basic_err("Basic credentials lack ':'"))?;
    let (id_raw, secret_raw) = (raw.get(..colon).unwrap_or_default(), raw.get(colon + 1..).unwrap_or_default());
    let id = form::decode(id_raw).map_err(|_| basic_err("Basic client id is malformed"))?;
    let secret = form::decode(secret_raw).map_err(|_| basic_err("Basic client secret is malformed"))?;
    if id.is_empty() || id.len() > MAX_CREDENTIAL_LEN || secret.len() > MAX_CREDENTIAL_LEN {
        return Err(basic_err("Basic credentials are empty or too long"));
    }
    Ok(Some((id, secret)))
}

/// Reads the client's credentials from the `Authorization` header and the form body.
pub fn extract(authorization: Option<&str>, body: &Form) -> Result<ClientCredentials, OAuthError> {
    let body_id = body.get("client_id");
    let body_secret = body.get("client_secret");
    if let Some((id, secret)) = parse_basic(authorization)? {
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request("use one client authentication method, not two"));
        }
        if body_id.is_some_and(|b| b != id) {
            return Err(OAuthError::invalid_request("client_id in the body differs from the Basic credentials"));
        }
        return Ok(ClientCredentials { client_id: id, secret: Some(secret), method: AuthMethod::ClientSecretBasic });
    }
    let id = body_id.ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
    if id.len() > MAX_CREDENTIAL_LEN || body_secret.is_some_and(|s| s.len() > MAX_CREDENTIAL_LEN) {
        return Err(OAuthError::invalid_client("client credentials too long"));
    }
    Ok(match body_secret {
        Some(s) => ClientCredentials { client_id: id.to_owned(), secret: Some(s.to_owned()), method: AuthMethod::ClientSecretPost },
        None => ClientCredentials { client_id: id.to_owned(), secret: None, method: AuthMethod::None },
    })
}

/// Checks `creds` against the stored client (`None`: no such client). Every failure is
/// `invalid_client` (401), with a `Basic` challenge when Basic was used.
pub fn authenticate(creds: &ClientCredentials, client: Option<&ClientRecord>) -> Result<(), OAuthError> {
    let fail = |msg: &str| OAuthError::invalid_client(msg).with_basic(creds.used_basic());
    let client = client.ok_or_else(|| fail("unknown client"))?;
    if client.client_id != creds.client_id {
        return Err(fail("unknown client"));
    }
    if client.metadata.token_endpoint_auth_method != creds.method {
        return Err(fail("client authentication method differs from the registered one"));
    }
    match (&client.client_secret_hash, &creds.secret) {
        (None, None) if creds.method == AuthMethod::None => Ok(()),
        (Some(stored), Some(secret)) => {
            if ct_eq(hash_secret(secret).as_bytes(), stored.as_bytes()) {
                Ok(())
            } else {
                Err(fail("client authentication failed"))
            }
        }
        _ => Err(fail("client authentication failed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::errors::ErrorCode;
    use crate::oauth::registration::ClientMetadata;
    use base64::Engine as _;

    fn form(s: &str) -> Form {
        form::parse(s.as_bytes(), 4096).unwrap_or_default()
    }

    fn basic(id: &str, secret: &str) -> String {
        let raw = format!("{}:{}", form::encode(id), form::encode(secret));
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }

    fn client(method: AuthMethod, secret: Option<&str>) -> ClientRecord {
        ClientRecord {
            client_id: "cid".into(),
            client_secret_hash: secret.map(hash_secret),
            client_id_issued_at: 0,
            last_used_at: 0,
            metadata: ClientMetadata {
                redirect_uris: vec!["https://c.example/cb".into()],
                token_endpoint_auth_method: method,
                grant_types: vec!["authorization_code".into()],
                response_types: vec!["code".into()],
                client_name: None,
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

    fn code<T>(r: Result<T, OAuthError>) -> Option<ErrorCode> {
        r.err().map(|e| e.code)
    }

    #[test]
    fn rfc6749_2_3_1_basic_credentials_are_form_decoded() {
        let h = basic("c:id/é", "s e+c%ret");
        assert_eq!(parse_basic(Some(&h)).ok().flatten(), Some(("c:id/é".into(), "s e+c%ret".into())));
        // Scheme is case-insensitive.
        let lower = h.replacen("Basic", "basic", 1);
        assert!(parse_basic(Some(&lower)).ok().flatten().is_some());
    }

    #[test]
    fn other_schemes_are_not_basic() {
        assert_eq!(parse_basic(Some("Bearer abc")).ok(), Some(None));
        assert_eq!(parse_basic(None).ok(), Some(None));
    }

    #[test]
    fn malformed_basic_is_invalid_client_with_challenge() {
        for h in ["Basic", "Basic !!!", "Basic Y2lk", "Basic OnNlY3JldA==", "Basic JXp6OnM="] {
            let e = parse_basic(Some(h)).err();
            assert_eq!(e.as_ref().map(|e| e.code), Some(ErrorCode::InvalidClient), "{h}");
            assert!(e.is_some_and(|e| e.client_used_basic));
        }
    }

    #[test]
    fn rfc6749_2_3_two_methods_at_once_is_invalid_request() {
        let h = basic("cid", "s");
        assert_eq!(code(extract(Some(&h), &form("client_secret=s"))), Some(ErrorCode::InvalidRequest));
        assert_eq!(code(extract(Some(&h), &form("client_id=other"))), Some(ErrorCode::InvalidRequest));
        assert!(extract(Some(&h), &form("client_id=cid")).is_ok());
    }

    #[test]
    fn method_is_inferred_from_what_was_sent() {
        let h = basic("cid", "s");
        assert_eq!(extract(Some(&h), &form("")).ok().map(|c| c.method), Some(AuthMethod::ClientSecretBasic));
        assert_eq!(extract(None, &form("client_id=cid&client_secret=s")).ok().map(|c| c.method), Some(AuthMethod::ClientSecretPost));
        assert_eq!(extract(None, &form("client_id=cid")).ok().map(|c| c.method), Some(AuthMethod::None));
        assert_eq!(code(extract(None, &form(""))), Some(ErrorCode::InvalidClient));
    }

    #[test]
    fn public_client_authenticates_with_id_only() {
        let c = client(AuthMethod::None, None);
        let creds = extract(None, &form("client_id=cid")).unwrap_or_else(|e| panic!("{e}"));
        assert!(authenticate(&creds, Some(&c)).is_ok());
    }

    #[test]
    fn confidential_clients_need_the_right_secret() {
        let c = client(AuthMethod::ClientSecretBasic, Some("s3cret"));
        let good = extract(Some(&basic("cid", "s3cret")), &form("")).unwrap_or_else(|e| panic!("{e}"));
        assert!(authenticate(&good, Some(&c)).is_ok());
        let bad = extract(Some(&basic("cid", "wrong")), &form("")).unwrap_or_else(|e| panic!("{e}"));
        let e = authenticate(&bad, Some(&c)).err();
        assert_eq!(e.as_ref().map(|e| e.status()), Some(401));
        assert!(e.is_some_and(|e| e.client_used_basic));

        let c = client(AuthMethod::ClientSecretPost, Some("s3cret"));
        let good = extract(None, &form("client_id=cid&client_secret=s3cret")).unwrap_or_else(|e| panic!("{e}"));
        assert!(authenticate(&good, Some(&c)).is_ok());
    }

    #[test]
    fn method_must_equal_the_registered_one() {
        let basic_client = client(AuthMethod::ClientSecretBasic, Some("s"));
        let post = extract(None, &form("client_id=cid&client_secret=s")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code(authenticate(&post, Some(&basic_client))), Some(ErrorCode::InvalidClient));
        // A confidential client cannot downgrade to `none` by omitting its secret.
        let none = extract(None, &form("client_id=cid")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code(authenticate(&none, Some(&basic_client))), Some(ErrorCode::InvalidClient));
        // A public client sending a secret is refused too.
        let public = client(AuthMethod::None, None);
        assert_eq!(code(authenticate(&post, Some(&public))), Some(ErrorCode::InvalidClient));
    }

    #[test]
    fn unknown_or_mismatched_client_is_invalid_client() {
        let creds = extract(None, &form("client_id=cid")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code(authenticate(&creds, None)), Some(ErrorCode::InvalidClient));
        let mut other = client(AuthMethod::None, None);
        other.client_id = "other".into();
        assert_eq!(code(authenticate(&creds, Some(&other))), Some(ErrorCode::InvalidClient));
    }
}
