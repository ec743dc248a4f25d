//! The client side of the upstream OpenID Provider (Cloudflare Access for SaaS, or any standard
//! one), wasm32 only: discovery (cached), the JWKS (cached, refetched once when an id_token names an
//! unknown `kid`, at most once a minute), the authorization-code exchange, and complete id_token validation — signature by
//! WebCrypto, claims by [`crate::oauth::id_token`].

use std::cell::RefCell;
use std::time::Duration;

use r2_mcp_wire::upstream::{token_request, ClientAuth};

use crate::config::{Upstream, UpstreamEndpoints};
use crate::oauth::id_token::{self, Alg, Expected, Identity};
use crate::oauth::jwks;
use crate::webcrypto;

/// How long discovery is trusted before it is fetched again.
const DISCOVERY_TTL_MS: f64 = 3600.0 * 1000.0;
/// How long a JWKS is trusted before it is fetched again (an unknown `kid` refetches sooner).
const JWKS_TTL_MS: f64 = 3600.0 * 1000.0;
/// Upstream calls that take longer than this fail with a clear error.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Largest upstream JSON document we read.
const MAX_DOC: usize = 256 * 1024;

/// Where to send the user and the code.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub authorization: String,
    pub token: String,
    pub jwks: String,
    /// `client_secret_basic` unless the provider only lists `client_secret_post`.
    pub token_auth_method: &'static str,
    /// Where a refresh re-reads the user's identity and groups (OIDC Core §5.3), if anywhere.
    pub userinfo: Option<String>,
}

/// Why the upstream leg failed; the callback turns it into an error page.
#[derive(Debug, Clone)]
pub enum UpstreamError {
    /// Could not reach the provider, or it answered something unusable.
    Unavailable(String),
    /// The provider refused (e.g. `invalid_grant` for the code).
    Refused(String),
    /// The id_token failed validation.
    InvalidIdToken(String),
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unavailable(s) => write!(f, "the identity provider is unavailable: {s}"),
            Self::Refused(s) => write!(f, "the identity provider refused the login: {s}"),
            Self::InvalidIdToken(s) => write!(f, "the identity provider's id_token is not valid: {s}"),
        }
    }
}

/// What the token endpoint returned that we keep.
pub struct TokenSet {
    pub id_token: String,
    pub refresh_token: Option<String>,
}

thread_local! {
    static DISCOVERY: RefCell<Option<(Endpoints, f64)>> = const { RefCell::new(None) };
    /// JWKS documents by URL (the upstream provider's, or an Access team's certs).
    static JWKS: RefCell<Vec<(String, Vec<u8>, f64)>> = const { RefCell::new(Vec::new()) };
    /// When an unknown `kid` last refetched each JWKS.
    static JWKS_REFETCHED: RefCell<Vec<(String, f64)>> = const { RefCell::new(Vec::new()) };
}

fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// The provider's endpoints, from configuration or (cached) discovery.
pub async fn endpoints(up: &Upstream) -> Result<Endpoints, UpstreamError> {
    if let UpstreamEndpoints::Explicit { authorization_url, token_url, jwks_url, userinfo_url } = &up.endpoints {
        return Ok(Endpoints {
            authorization: authorization_url.clone(),
            token: token_url.clone(),
            jwks: jwks_url.clone(),
            token_auth_method: "client_secret_basic",
            userinfo: userinfo_url.clone(),
        });
    }
    if let Some(e) = DISCOVERY.with(|d| d.borrow().as_ref().filter(|(_, at)| now_ms() - at < DISCOVERY_TTL_MS).map(|(e, _)| e.clone())) {
        return Ok(e);
    }
    let issuer = up.issuer.trim_end_matches('/');
    let url = format!("{issuer}/.well-known/openid-configuration");
    let (status, body) = get(&url).await?;
    if status != 200 {
        return Err(UpstreamError::Unavailable(format!("discovery answered {status}")));
    }
    let doc: serde_json::Value = serde_json::from_slice(&body).map_err(|_| UpstreamError::Unavailable("discovery is not JSON".into()))?;
    let s = |k: &str| doc.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    if s("issuer").as_deref() != Some(up.issuer.as_str()) {
        return Err(UpstreamError::Unavailable(format!(
            "discovery names issuer {:?}, expected {:?} (ACCESS_ISSUER)",
            s("issuer").unwrap_or_default(),
            up.issuer
        )));
    }
    let methods: Vec<&str> = doc
        .get("token_endpoint_auth_methods_supported")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|m| m.as_str()).collect())
        .unwrap_or_default();
    let token_auth_method = if !methods.is_empty() && !methods.contains(&"client_secret_basic") && methods.contains(&"client_secret_post") {
        "client_secret_post"
    } else {
        "client_secret_basic"
    };
    let (Some(authorization), Some(token), Some(jwks)) = (s("authorization_endpoint"), s("token_endpoint"), s("jwks_uri")) else {
        return Err(UpstreamError::Unavailable("discovery lacks authorization_endpoint, token_endpoint or jwks_uri".into()));
    };
    let e = Endpoints { authorization, token, jwks, token_auth_method, userinfo: s("userinfo_endpoint") };
    DISCOVERY.with(|d| *d.borrow_mut() = Some((e.clone(), now_ms())));
    Ok(e)
}

/// Exchanges the upstream authorization code (with our PKCE verifier) at the token endpoint.
pub async fn exchange_code(
    up: &Upstream,
    ep: &Endpoints,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<TokenSet, UpstreamError> {
    let params = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri), ("code_verifier", verifier)];
    let auth = ClientAuth { client_id: &up.client_id, client_secret: &up.client_secret, method: ep.token_auth_method };
    let (form, authorization) = token_request(&params, auth);
    let (status, body) = send(&ep.token, Some(form), authorization.as_deref()).await?;
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| UpstreamError::Unavailable(format!("the token endpoint answered {status} without JSON")))?;
    if status != 200 {
        let err = json.get("error").and_then(|v| v.as_str()).unwrap_or("unknown_error");
        return Err(UpstreamError::Refused(format!("token endpoint: {err}")));
    }
    let id_token = json
        .get("id_token")
        .and_then(|v| v.as_str())
        .ok_or_else(|| UpstreamError::InvalidIdToken("the token response has no id_token (is the openid scope enabled?)".into()))?;
    Ok(TokenSet { id_token: id_token.to_owned(), refresh_token: json.get("refresh_token").and_then(|v| v.as_str()).map(str::to_owned) })
}

/// Validates an id_token completely: structure and algorithm allowlist, the signing key from the
/// JWKS by `kid` (refetched once when unknown), the signature, then `iss`, `aud`, `exp`, `nbf`,
/// `iat` and `nonce`.
pub async fn verify_id_token(up: &Upstream, ep: &Endpoints, token: &str, nonce: &str) -> Result<Identity, UpstreamError> {
    verify_jwt(&ep.jwks, token, &up.issuer, &up.client_id, Some(nonce)).await
}

/// Validates a JWT signed by a key from the JWKS at `jwks_url` and checks its claims (`nonce` only
/// when given: id_tokens carry one, Access application tokens do not).
pub async fn verify_jwt(jwks_url: &str, token: &str, issuer: &str, audience: &str, nonce: Option<&str>) -> Result<Identity, UpstreamError> {
    let jwt = id_token::parse(token).map_err(|e| UpstreamError::InvalidIdToken(format!("{e:?}")))?;
    let key = select_key(jwks_url, &jwt.kid, jwt.alg).await.map_err(|e| UpstreamError::InvalidIdToken(format!("signing key: {e:?}")))?;
    let ok = webcrypto::verify(jwt.alg, &key.to_jwk().to_string(), jwt.signing_input(), jwt.signature())
        .await
        .map_err(UpstreamError::InvalidIdToken)?;
    if !ok {
        return Err(UpstreamError::InvalidIdToken("the signature does not verify".into()));
    }
    let expected = Expected { issuer, audience, nonce, now: (now_ms() / 1000.0) as i64, skew: id_token::DEFAULT_SKEW };
    id_token::validate_claims(&jwt, &expected).map_err(|e| UpstreamError::InvalidIdToken(format!("{e:?}")))
}

/// Looks `kid` up in the JWKS at `url`: the cached copy, fetched when absent or stale. An unknown
/// `kid` refetches it once, unless the copy in hand was just fetched or an unknown `kid` already
/// refetched it within the last minute (`jwks::may_refetch_for_unknown_kid`).
async fn select_key(url: &str, kid: &str, alg: Alg) -> Result<jwks::VerifyKey, jwks::JwksError> {
    let now = now_ms();
    let cached = JWKS.with(|j| j.borrow().iter().find(|(u, _, at)| u == url && now - at < JWKS_TTL_MS).map(|(_, b, _)| b.clone()));
    let (doc, just_fetched) = match cached {
        Some(b) => (b, false),
        None => (fetch_jwks(url).await?, true),
    };
    match jwks::select(&doc, kid, alg) {
        Err(jwks::JwksError::UnknownKid) if !just_fetched => {
            let last = JWKS_REFETCHED.with(|r| r.borrow().iter().find(|(u, _)| u == url).map(|(_, at)| *at));
            if !jwks::may_refetch_for_unknown_kid(last, now) {
                return Err(jwks::JwksError::UnknownKid);
            }
            JWKS_REFETCHED.with(|r| {
                let mut r = r.borrow_mut();
                r.retain(|(u, _)| u != url);
                r.push((url.to_owned(), now));
            });
            jwks::select(&fetch_jwks(url).await?, kid, alg)
        }
        other => other,
    }
}

/// Fetches the JWKS at `url` and caches it.
async fn fetch_jwks(url: &str) -> Result<Vec<u8>, jwks::JwksError> {
    let (status, body) = get(url).await.map_err(|_| jwks::JwksError::Malformed)?;
    if status != 200 {
        return Err(jwks::JwksError::Malformed);
    }
    JWKS.with(|j| {
        let mut j = j.borrow_mut();
        j.retain(|(u, _, _)| u != url);
        j.push((url.to_owned(), body.clone(), now_ms()));
    });
    Ok(body)
}

async fn get(url: &str) -> Result<(u16, Vec<u8>), UpstreamError> {
    send(url, None, None).await
}

/// One upstream request with [`TIMEOUT`] and the [`MAX_DOC`] bound.
async fn send(url: &str, form: Option<String>, authorization: Option<&str>) -> Result<(u16, Vec<u8>), UpstreamError> {
    r2_mcp_wire::upstream::fetch(url, form, authorization, TIMEOUT, MAX_DOC).await.map_err(UpstreamError::Unavailable)
}
