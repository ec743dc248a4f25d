//! Tests for [`super`]: the two phases of `/authorize` and the redirects it builds.

use super::*;
use crate::oauth::registration::{AuthMethod, ClientMetadata};

const CH: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const RES: &str = "https://mcp.example/mcp";
const CFG: AuthorizeConfig<'static> = AuthorizeConfig { resource: RES, scopes_supported: &["mcp"], default_scopes: &["mcp"] };

fn client(uris: &[&str]) -> ClientRecord {
    ClientRecord {
        client_id: "cid".into(),
        client_secret_hash: None,
        client_id_issued_at: 0,
        last_used_at: 0,
        metadata: ClientMetadata {
            redirect_uris: uris.iter().map(|s| (*s).to_owned()).collect(),
            token_endpoint_auth_method: AuthMethod::None,
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

fn q(s: &str) -> Form {
    parse_query(s).unwrap_or_else(|e| panic!("{e:?}"))
}

fn good(extra: &str) -> String {
    format!("client_id=cid&redirect_uri=https%3A%2F%2Fc.example%2Fcb&response_type=code&code_challenge={CH}&code_challenge_method=S256&state=xyz{extra}")
}

fn run(query: &str) -> Result<AuthorizeRequest, RedirectError> {
    let c = client(&["https://c.example/cb"]);
    let form = q(query);
    let r = check_client(&form, Some(&c)).unwrap_or_else(|e| panic!("{e:?}"));
    validate(&form, &c, r, &CFG)
}

fn err_code(query: &str) -> Option<ErrorCode> {
    run(query).err().map(|e| e.error.code)
}

#[test]
fn a_good_request_validates() {
    let r = run(&good("&scope=mcp&resource=https%3A%2F%2Fmcp.example%2Fmcp")).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.redirect_uri, "https://c.example/cb");
    assert!(r.redirect_uri_explicit);
    assert_eq!(r.code_challenge, CH);
    assert_eq!(r.scopes, vec!["mcp"]);
    assert_eq!(r.state.as_deref(), Some("xyz"));
    assert_eq!(r.resource, RES);
}

#[test]
fn rfc6749_4_1_2_1_unknown_client_is_an_error_page() {
    let form = q(&good(""));
    assert!(check_client(&form, None).is_err());
    let mut other = client(&["https://c.example/cb"]);
    other.client_id = "other".into();
    assert!(check_client(&form, Some(&other)).is_err());
    assert!(check_client(&q("redirect_uri=https%3A%2F%2Fc.example%2Fcb"), None).is_err());
}

#[test]
fn rfc6749_4_1_2_1_unregistered_redirect_is_an_error_page() {
    let c = client(&["https://c.example/cb"]);
    for uri in [
        "https%3A%2F%2Fevil.example%2Fcb",
        "https%3A%2F%2Fc.example%2Fcb%2F",
        "https%3A%2F%2Fc.example%2Fcb%3Fx%3D1",
        "javascript%3Aalert(1)",
    ] {
        let form = q(&format!("client_id=cid&redirect_uri={uri}"));
        assert!(check_client(&form, Some(&c)).is_err(), "{uri}");
    }
}

#[test]
fn repeated_parameters_are_an_error_page() {
    assert!(parse_query(&format!("{}&redirect_uri=https%3A%2F%2Fevil.example%2F", good(""))).is_err());
    assert!(parse_query("client_id=a&client_id=b").is_err());
}

#[test]
fn omitted_redirect_uri_uses_the_single_registered_one() {
    let one = client(&["https://c.example/cb"]);
    assert_eq!(check_client(&q("client_id=cid"), Some(&one)).ok(), Some(("https://c.example/cb".into(), false)));
    let two = client(&["https://c.example/cb", "https://c.example/cb2"]);
    assert!(check_client(&q("client_id=cid"), Some(&two)).is_err());
}

#[test]
fn rfc8252_7_3_loopback_redirect_on_another_port_passes_phase_1() {
    let c = client(&["http://127.0.0.1/cb"]);
    let form = q("client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1%3A51000%2Fcb");
    assert_eq!(check_client(&form, Some(&c)).ok(), Some(("http://127.0.0.1:51000/cb".into(), true)));
}

#[test]
fn response_type_must_be_code() {
    assert_eq!(err_code(&good("").replace("response_type=code", "response_type=token")), Some(ErrorCode::UnsupportedResponseType));
    assert_eq!(err_code(&good("").replace("&response_type=code", "")), Some(ErrorCode::InvalidRequest));
}

#[test]
fn rfc7636_pkce_is_required_and_s256_only() {
    assert_eq!(err_code(&good("").replace("S256", "plain")), Some(ErrorCode::InvalidRequest));
    assert_eq!(err_code(&good("").replace("&code_challenge_method=S256", "")), Some(ErrorCode::InvalidRequest));
    assert_eq!(err_code(&good("").replace(&format!("&code_challenge={CH}"), "")), Some(ErrorCode::InvalidRequest));
}

#[test]
fn rfc8707_2_foreign_resource_is_invalid_target() {
    assert_eq!(err_code(&good("&resource=https%3A%2F%2Fother.example%2Fmcp")), Some(ErrorCode::InvalidTarget));
    assert_eq!(err_code(&good("&resource=https%3A%2F%2Fmcp.example%2Fmcp%2F")), Some(ErrorCode::InvalidTarget));
    assert_eq!(err_code(&good("&resource=https%3A%2F%2Fmcp.example")), Some(ErrorCode::InvalidTarget));
}

#[test]
fn rfc6749_3_3_bad_scope_syntax_is_invalid_scope_and_unknown_scopes_are_dropped() {
    assert_eq!(err_code(&good("&scope=a%22b")), Some(ErrorCode::InvalidScope));
    let r = run(&good("&scope=mcp+offline_access")).ok().map(|r| r.scopes);
    assert_eq!(r, Some(vec!["mcp".to_owned()]));
}

#[test]
fn request_objects_are_refused() {
    assert_eq!(err_code(&good("&request=eyJ")), Some(ErrorCode::InvalidRequest));
}

#[test]
fn phase_2_errors_carry_state_and_redirect_uri() {
    let e = run(&good("").replace("S256", "plain")).err().unwrap_or_else(|| panic!("should fail"));
    assert_eq!(e.redirect_uri, "https://c.example/cb");
    assert_eq!(e.state.as_deref(), Some("xyz"));
    let loc = e.location("https://mcp.example");
    assert!(loc.starts_with("https://c.example/cb?error=invalid_request&error_description="));
    assert!(loc.ends_with("&state=xyz&iss=https%3A%2F%2Fmcp.example"));
}

#[test]
fn overlong_state_is_refused_without_echo() {
    let long = "s".repeat(MAX_STATE_LEN + 1);
    let e = run(&good("").replace("state=xyz", &format!("state={long}"))).err();
    assert_eq!(e.as_ref().map(|e| e.error.code), Some(ErrorCode::InvalidRequest));
    assert_eq!(e.and_then(|e| e.state), None);
}

#[test]
fn rfc9207_redirects_carry_iss_and_keep_existing_query() {
    assert_eq!(
        success_redirect("https://c.example/cb", "abc", Some("s 1"), "https://as.example"),
        "https://c.example/cb?code=abc&state=s%201&iss=https%3A%2F%2Fas.example"
    );
    assert_eq!(
        success_redirect("https://c.example/cb?x=1", "abc", None, "https://as.example"),
        "https://c.example/cb?x=1&code=abc&iss=https%3A%2F%2Fas.example"
    );
    assert_eq!(
        success_redirect("https://c.example/cb?", "abc", None, "https://as.example"),
        "https://c.example/cb?code=abc&iss=https%3A%2F%2Fas.example"
    );
    let denied = OAuthError::new(ErrorCode::AccessDenied, "");
    assert_eq!(
        error_redirect("vscode://x.y/cb?a=b", &denied, Some("st&ate"), "https://as.example"),
        "vscode://x.y/cb?a=b&error=access_denied&state=st%26ate&iss=https%3A%2F%2Fas.example"
    );
}

#[test]
fn rfc9700_4_11_2_an_unapproved_client_gets_a_page_naming_it_and_the_problem() {
    let e = run(&good("").replace("S256", "plain")).err().unwrap_or_else(|| panic!("should fail"));
    let mut c = client(&["https://c.example/cb"]);
    c.metadata.client_name = Some("<b>Evil</b> & co".into());
    let page = unapproved_client_page(&c, &e);
    assert!(page.message.contains("\u{201c}<b>Evil</b> & co\u{201d} (client ID cid)"), "{}", page.message);
    assert!(page.message.contains("invalid_request"), "{}", page.message);
    let html = crate::oauth::html::error_page(page.title, &page.message);
    assert!(html.contains("&lt;b&gt;Evil&lt;/b&gt; &amp; co"), "escaped on the page");
    assert!(!html.contains("<b>Evil"));
    assert!(!html.contains("https://c.example/cb"), "no link to the redirect URI");
    c.metadata.client_name = None;
    assert!(unapproved_client_page(&c, &e).message.starts_with("The application with client ID cid sent"));
}
