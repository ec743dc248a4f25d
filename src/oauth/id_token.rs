//! The upstream id_token (OpenID Connect Core §3.1.3.7) and the `Cf-Access-Jwt-Assertion`:
//! compact-JWS parsing (RFC 7515 §7.1), the header allowlist, and every claim check. The
//! signature itself is verified by the glue with WebCrypto over [`Jwt::signing_input`] and
//! [`Jwt::signature`], using the key [`super::jwks`] selected.
//!
//! ES256 note: a JWS ES256 signature is the raw `r ‖ s` pair, 64 bytes (RFC 7518 §3.4), which is
//! exactly what WebCrypto's ECDSA `verify` expects (not DER). RS256 is RSASSA-PKCS1-v1_5/SHA-256.

use super::encoding::b64url_decode;
use serde_json::{Map, Value};

/// Largest JWT accepted.
pub const MAX_JWT_LEN: usize = 16 * 1024;
/// Default clock skew tolerated on `exp`, `nbf` and `iat`.
pub const DEFAULT_SKEW: i64 = 60;
pub use r2_mcp_durable::grants::claims::MAX_GROUPS;

/// Signature algorithms accepted. `none`, HS* and anything else are refused (RFC 8725 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }
}

/// Why a token was refused. Each is a distinct rule (and a distinct test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    Malformed(&'static str),
    UnsupportedAlg,
    MissingKid,
    BadTyp,
    /// `crit` headers are not understood (RFC 7515 §4.1.11).
    CritHeader,
    WrongIssuer,
    WrongAudience,
    WrongAzp,
    Expired,
    NotYetValid,
    IssuedInFuture,
    WrongNonce,
    MissingSub,
}

/// A parsed, not yet verified, compact JWS.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwt {
    pub alg: Alg,
    pub kid: String,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jwt {
    /// ASCII(BASE64URL(header) "." BASE64URL(payload)): the bytes the signature covers.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }
    /// The decoded signature (64 bytes r‖s for ES256; modulus-sized for RS256).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

fn decode_json(part: &str, what: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = b64url_decode(part).ok_or(JwtError::Malformed(what))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(JwtError::Malformed(what)),
    }
}

/// Splits and decodes a compact JWS, checking the header: `alg` RS256/ES256, `kid` present,
/// `typ` (if any) `JWT`, no `crit`.
pub fn parse(token: &str) -> Result<Jwt, JwtError> {
    if token.len() > MAX_JWT_LEN {
        return Err(JwtError::Malformed("token too large"));
    }
    let mut it = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(JwtError::Malformed("not three parts"));
    };
    let header = decode_json(h, "header")?;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => Alg::Rs256,
        Some("ES256") => Alg::Es256,
        _ => return Err(JwtError::UnsupportedAlg),
    };
    let kid = match header.get("kid").and_then(Value::as_str) {
        Some(k) if !k.is_empty() && k.len() <= 256 => k.to_owned(),
        _ => return Err(JwtError::MissingKid),
    };
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") => {}
        Some(_) => return Err(JwtError::BadTyp),
    }
    if header.contains_key("crit") {
        return Err(JwtError::CritHeader);
    }
    let claims = decode_json(p, "payload")?;
    let signature = b64url_decode(s).ok_or(JwtError::Malformed("signature"))?;
    let sig_ok = match alg {
        Alg::Es256 => signature.len() == 64,
        Alg::Rs256 => (256..=1024).contains(&signature.len()),
    };
    if !sig_ok {
        return Err(JwtError::Malformed("signature length"));
    }
    let signing_input = token.get(..h.len() + 1 + p.len()).unwrap_or_default().to_owned();
    Ok(Jwt { alg, kid, claims, signing_input, signature })
}

/// What the claims must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    /// Our client id at the upstream (or the Access application's AUD tag).
    pub audience: &'a str,
    /// The nonce sent in the authorization request; `None` only for the Access header mode.
    pub nonce: Option<&'a str>,
    pub now: i64,
    pub skew: i64,
}

/// The identity kept from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub sub: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

fn num(claims: &Map<String, Value>, k: &'static str) -> Result<Option<i64>, JwtError> {
    match claims.get(k) {
        None => Ok(None),
        Some(v) => v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)).map(Some).ok_or(JwtError::Malformed(k)),
    }
}

fn opt_str(claims: &Map<String, Value>, k: &str) -> Option<String> {
    claims.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Checks the claims (OIDC Core §3.1.3.7 steps 2–3, 9–11) and extracts the identity.
pub fn validate_claims(jwt: &Jwt, e: &Expected<'_>) -> Result<Identity, JwtError> {
    let c = &jwt.claims;
    if c.get("iss").and_then(Value::as_str) != Some(e.issuer) {
        return Err(JwtError::WrongIssuer);
    }
    match c.get("aud") {
        Some(Value::String(a)) if a == e.audience => {}
        Some(Value::Array(list)) if list.iter().any(|a| a.as_str() == Some(e.audience)) => {
            if list.len() > 1 && c.get("azp").and_then(Value::as_str) != Some(e.audience) {
                return Err(JwtError::WrongAzp);
            }
        }
        _ => return Err(JwtError::WrongAudience),
    }
    if let Some(azp) = c.get("azp") {
        if azp.as_str() != Some(e.audience) {
            return Err(JwtError::WrongAzp);
        }
    }
    let exp = num(c, "exp")?.ok_or(JwtError::Malformed("exp missing"))?;
    if exp <= e.now.saturating_sub(e.skew) {
        return Err(JwtError::Expired);
    }
    if num(c, "nbf")?.is_some_and(|n| n > e.now.saturating_add(e.skew)) {
        return Err(JwtError::NotYetValid);
    }
    if num(c, "iat")?.is_some_and(|n| n > e.now.saturating_add(e.skew)) {
        return Err(JwtError::IssuedInFuture);
    }
    if let Some(n) = e.nonce {
        let got = c.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !super::encoding::ct_eq(got.as_bytes(), n.as_bytes()) || n.is_empty() {
            return Err(JwtError::WrongNonce);
        }
    }
    let sub = opt_str(c, "sub").filter(|s| s.len() <= 255).ok_or(JwtError::MissingSub)?;
    let groups = r2_mcp_durable::grants::claims::groups(c);
    Ok(Identity { sub, email: opt_str(c, "email"), name: opt_str(c, "name"), groups })
}

#[cfg(test)]
#[path = "id_token_tests.rs"]
mod tests;
