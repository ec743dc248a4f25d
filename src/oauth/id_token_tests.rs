//! Tests for [`super`]: every header and claim refusal of the id_token checks.

use super::*;
use crate::oauth::encoding::b64url;
use serde_json::json;

const ISS: &str = "https://team.cloudflareaccess.com/cdn-cgi/access/sso/oidc/abc";
const AUD: &str = "abc";
const NOW: i64 = 1_700_000_000;

fn make(header: Value, claims: Value, sig_len: usize) -> String {
    format!("{}.{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()), b64url(&vec![7u8; sig_len]))
}

fn claims() -> Value {
    json!({"iss": ISS, "aud": AUD, "sub": "user-1", "exp": NOW + 300, "iat": NOW, "nbf": NOW, "nonce": "n0nce",
           "email": "a@b.example", "name": "Ada", "groups": ["eng", {"name": "ops"}, 5]})
}

fn es(claims: Value) -> String {
    make(json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}), claims, 64)
}

fn expected() -> Expected<'static> {
    Expected { issuer: ISS, audience: AUD, nonce: Some("n0nce"), now: NOW, skew: DEFAULT_SKEW }
}

fn check(token: &str) -> Result<Identity, JwtError> {
    validate_claims(&parse(token)?, &expected())
}

fn with(k: &str, v: Value) -> Value {
    let mut c = claims();
    c[k] = v;
    c
}

fn without(k: &str) -> Value {
    let mut c = claims();
    if let Value::Object(m) = &mut c {
        m.remove(k);
    }
    c
}

#[test]
fn a_good_token_yields_the_identity() {
    let id = check(&es(claims())).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        id,
        Identity {
            sub: "user-1".into(),
            email: Some("a@b.example".into()),
            name: Some("Ada".into()),
            groups: vec!["eng".into(), "ops".into()]
        }
    );
}

#[test]
fn signing_input_and_signature_are_exposed_for_webcrypto() {
    let t = es(claims());
    let jwt = parse(&t).unwrap_or_else(|e| panic!("{e:?}"));
    let dot = t.rfind('.').unwrap_or(0);
    assert_eq!(jwt.signing_input(), &t.as_bytes()[..dot]);
    assert_eq!(jwt.signature(), &[7u8; 64][..]);
    assert_eq!((jwt.alg, jwt.kid.as_str()), (Alg::Es256, "k1"));
}

#[test]
fn rfc8725_3_1_alg_none_hs256_and_others_are_refused() {
    for alg in ["none", "None", "HS256", "HS512", "RS512", "PS256", "ES384", "EdDSA", ""] {
        assert_eq!(parse(&make(json!({"alg": alg, "kid": "k"}), claims(), 64)).err(), Some(JwtError::UnsupportedAlg), "{alg}");
    }
    assert_eq!(parse(&make(json!({"kid": "k"}), claims(), 64)).err(), Some(JwtError::UnsupportedAlg));
    // An unsigned token with an empty signature part.
    let none = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(claims().to_string().as_bytes()));
    assert!(parse(&none).is_err());
}

#[test]
fn kid_is_required_and_typ_must_be_jwt() {
    assert_eq!(parse(&make(json!({"alg": "ES256"}), claims(), 64)).err(), Some(JwtError::MissingKid));
    assert_eq!(parse(&make(json!({"alg": "ES256", "kid": ""}), claims(), 64)).err(), Some(JwtError::MissingKid));
    assert_eq!(parse(&make(json!({"alg": "ES256", "kid": "k", "typ": "at+jwt"}), claims(), 64)).err(), Some(JwtError::BadTyp));
    assert_eq!(parse(&make(json!({"alg": "ES256", "kid": "k", "crit": ["x"]}), claims(), 64)).err(), Some(JwtError::CritHeader));
    assert!(parse(&make(json!({"alg": "RS256", "kid": "k"}), claims(), 256)).is_ok());
}

#[test]
fn rfc7515_7_1_compact_form_is_strict() {
    let t = es(claims());
    for bad in [String::new(), "a.b".into(), format!("{t}.x"), format!("{t}="), t.replacen('.', "=.", 1), format!(" {t}"), "é.é.é".into()]
    {
        assert!(matches!(parse(&bad), Err(JwtError::Malformed(_))), "{bad:?}");
    }
    assert!(matches!(parse(&"a".repeat(MAX_JWT_LEN + 1)), Err(JwtError::Malformed(_))));
    assert!(matches!(parse(&make(json!({"alg": "ES256", "kid": "k"}), claims(), 63)), Err(JwtError::Malformed(_))));
    assert!(matches!(parse(&make(json!({"alg": "RS256", "kid": "k"}), claims(), 64)), Err(JwtError::Malformed(_))));
    let array_payload = format!("{}.{}.{}", b64url(br#"{"alg":"ES256","kid":"k"}"#), b64url(b"[]"), b64url(&[0; 64]));
    assert!(matches!(parse(&array_payload), Err(JwtError::Malformed(_))));
}

#[test]
fn oidc_3_1_3_7_issuer_must_match_exactly() {
    assert_eq!(check(&es(with("iss", json!(format!("{ISS}/"))))).err(), Some(JwtError::WrongIssuer));
    assert_eq!(check(&es(without("iss"))).err(), Some(JwtError::WrongIssuer));
}

#[test]
fn oidc_3_1_3_7_audience_must_contain_client_id() {
    assert_eq!(check(&es(with("aud", json!("other")))).err(), Some(JwtError::WrongAudience));
    assert_eq!(check(&es(with("aud", json!(["other"])))).err(), Some(JwtError::WrongAudience));
    assert_eq!(check(&es(without("aud"))).err(), Some(JwtError::WrongAudience));
    assert!(check(&es(with("aud", json!([AUD])))).is_ok());
}

#[test]
fn oidc_3_1_3_7_multiple_audiences_require_azp() {
    assert_eq!(check(&es(with("aud", json!([AUD, "other"])))).err(), Some(JwtError::WrongAzp));
    let mut c = with("aud", json!([AUD, "other"]));
    c["azp"] = json!(AUD);
    assert!(check(&es(c)).is_ok());
    assert_eq!(check(&es(with("azp", json!("other")))).err(), Some(JwtError::WrongAzp));
}

#[test]
fn exp_is_required_and_checked_with_skew() {
    assert!(matches!(check(&es(without("exp"))), Err(JwtError::Malformed(_))));
    assert_eq!(check(&es(with("exp", json!(NOW - 60)))).err(), Some(JwtError::Expired));
    assert!(check(&es(with("exp", json!(NOW - 59)))).is_ok());
    assert!(matches!(check(&es(with("exp", json!("soon")))), Err(JwtError::Malformed(_))));
}

#[test]
fn nbf_and_iat_in_the_future_are_refused_beyond_skew() {
    assert_eq!(check(&es(with("nbf", json!(NOW + 61)))).err(), Some(JwtError::NotYetValid));
    assert!(check(&es(with("nbf", json!(NOW + 60)))).is_ok());
    assert_eq!(check(&es(with("iat", json!(NOW + 61)))).err(), Some(JwtError::IssuedInFuture));
}

#[test]
fn oidc_3_1_3_7_nonce_must_match() {
    assert_eq!(check(&es(with("nonce", json!("other")))).err(), Some(JwtError::WrongNonce));
    assert_eq!(check(&es(without("nonce"))).err(), Some(JwtError::WrongNonce));
    // Access header mode checks no nonce.
    let e = Expected { nonce: None, ..expected() };
    assert!(parse(&es(without("nonce"))).and_then(|j| validate_claims(&j, &e)).is_ok());
}

#[test]
fn sub_is_required_and_non_empty() {
    assert_eq!(check(&es(without("sub"))).err(), Some(JwtError::MissingSub));
    assert_eq!(check(&es(with("sub", json!("")))).err(), Some(JwtError::MissingSub));
    assert_eq!(check(&es(with("sub", json!(5)))).err(), Some(JwtError::MissingSub));
}

#[test]
fn optional_claims_are_optional() {
    let mut c = without("email");
    if let Value::Object(m) = &mut c {
        m.remove("name");
        m.remove("groups");
    }
    let id = check(&es(c)).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!((id.email, id.name, id.groups.len()), (None, None, 0));
}
