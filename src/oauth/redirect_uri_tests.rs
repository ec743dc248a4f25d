//! Tests for [`super`]: every acceptance and refusal rule of the redirect URI policy.

use super::*;

fn ok(uri: &str) -> RedirectKind {
    match validate(uri) {
        Ok(k) => k,
        Err(e) => panic!("{uri} refused: {e}"),
    }
}

fn refused(uri: &str) {
    let r = validate(uri);
    assert!(r.is_err(), "{uri:?} should be refused, got {r:?}");
    if let Err(e) = r {
        assert_eq!(e.code, crate::oauth::errors::ErrorCode::InvalidRedirectUri);
    }
}

#[test]
fn rfc6749_3_1_2_https_with_host_is_accepted() {
    assert_eq!(ok("https://client.example/cb"), RedirectKind::Https);
    assert_eq!(ok("https://client.example"), RedirectKind::Https);
    assert_eq!(ok("https://client.example:8443/cb?x=1&y=%20"), RedirectKind::Https);
    assert_eq!(ok("https://portal.example.com/servers-callback"), RedirectKind::Https);
    assert_eq!(ok("https://192.0.2.1/cb"), RedirectKind::Https);
    assert_eq!(ok("https://[2001:db8::1]:443/cb"), RedirectKind::Https);
}

#[test]
fn rfc8252_7_3_loopback_http_is_accepted() {
    assert_eq!(ok("http://127.0.0.1:33418/"), RedirectKind::Loopback);
    assert_eq!(ok("http://127.0.0.1/callback"), RedirectKind::Loopback);
    assert_eq!(ok("http://[::1]:8080/cb"), RedirectKind::Loopback);
    assert_eq!(ok("http://localhost:6274/oauth/callback"), RedirectKind::Loopback);
}

#[test]
fn rfc8252_8_3_http_on_other_hosts_is_refused() {
    refused("http://client.example/cb");
    refused("http://127.0.0.2/cb");
    refused("http://localhost.evil.example/cb");
    refused("http://127.0.0.1.nip.io/cb");
    refused("http://0.0.0.0/cb");
    refused("http://LOCALHOST/cb");
    refused("http://2130706433/cb");
    refused("http://0x7f.0.0.1/cb");
    refused("http://[::ffff:127.0.0.1]/cb");
}

#[test]
fn rfc8252_7_1_private_use_schemes() {
    assert_eq!(ok("com.example.app:/oauth2redirect"), RedirectKind::PrivateUse);
    assert_eq!(ok("vscode://vscode.github-authentication/did-authenticate"), RedirectKind::PrivateUse);
    assert_eq!(ok("cursor://anysphere.cursor-mcp/oauth/callback"), RedirectKind::PrivateUse);
    refused("myapp:/cb"); // no dot and not a known IDE scheme
    refused("com.example.app:"); // nothing after the scheme
    refused("Com.Example.App:/cb"); // uppercase scheme
}

#[test]
fn dangerous_schemes_are_refused_in_any_case_and_spelling() {
    for uri in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "JAVASCRIPT://x/%0aalert(1)",
        "java.script:alert(1)",
        "java+script:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "DATA:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "blob:https://x.example/uuid",
        "about:blank",
        "view-source:https://x.example",
        "ws://127.0.0.1/cb",
    ] {
        refused(uri);
    }
}

#[test]
fn whitespace_and_control_characters_anywhere_are_refused() {
    for uri in [
        " https://client.example/cb",
        "https://client.example/cb ",
        "java\tscript:alert(1)",
        "\x01javascript:alert(1)",
        "https://client.example/c\nb",
        "https://client.example/c\0b",
        "https://client.example/é",
        "https://client.example/c%0Ab",
        "https://client.example/c%00b",
        "https://client.example/c%7fb",
    ] {
        refused(uri);
    }
}

#[test]
fn characters_outside_rfc3986_are_refused() {
    for uri in [
        "https://client.example\\@evil.example/cb",
        "https://client.example/\"cb",
        "https://client.example/<cb>",
        "https://client.example/{cb}",
        "https://client.example/c|b",
        "https://client.example/c^b",
        "https://client.example/c`b",
    ] {
        refused(uri);
    }
}

#[test]
fn percent_encoding_tricks_are_refused() {
    refused("https://client.example/c%zzb");
    refused("https://client.example/c%2");
    refused("https://evil.example%2f@client.example/cb");
    refused("https://client%2eexample/cb");
    refused("javascript%3Aalert(1)");
    refused("https://client.example/a/%2e%2e/b");
    refused("https://client.example/a%2fb");
    refused("https://client.example/a%5Cb");
}

#[test]
fn rfc6749_3_1_2_fragment_userinfo_and_malformed_authorities_are_refused() {
    refused("https://client.example/cb#frag");
    refused("https://client.example/cb#");
    refused("https://user:pass@client.example/cb");
    refused("https://@client.example/cb");
    refused("https:///cb");
    refused("https://");
    refused("https:client.example/cb");
    refused("https://client..example/cb");
    refused("https://-client.example/cb");
    refused("https://client.example./cb");
    refused("https://client.example:0/cb");
    refused("https://client.example:65536/cb");
    refused("https://client.example:/cb");
    refused("https://client.example:80a/cb");
    refused("https://[::1/cb");
    refused("https://[::1]x/cb");
    refused("https://01.2.3.4/cb");
    refused("https://1.2.3/cb");
    refused("https://client.example/./cb");
    refused("https://client.example/a/../cb");
    refused("HTTPS://client.example/cb");
    refused("");
    refused("no-scheme");
    refused(&format!("https://client.example/{}", "a".repeat(MAX_URI_LEN)));
}

#[test]
fn rfc8252_7_3_loopback_matches_any_port() {
    assert!(matches("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"));
    assert!(matches("http://127.0.0.1:33418/cb", "http://127.0.0.1:40000/cb"));
    assert!(matches("http://[::1]:1/cb?x=1", "http://[::1]:2/cb?x=1"));
    assert!(matches("http://localhost/", "http://localhost:6274/"));
}

#[test]
fn loopback_path_query_and_host_must_match_exactly() {
    assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb2"));
    assert!(!matches("http://127.0.0.1/cb", "http://127.0.0.1:5000/cb?x=1"));
    assert!(!matches("http://127.0.0.1/cb", "http://localhost:5000/cb"));
    assert!(!matches("http://127.0.0.1/cb", "http://[::1]:5000/cb"));
    assert!(!matches("http://127.0.0.1/cb", "https://127.0.0.1:5000/cb"));
    assert!(!matches("http://127.0.0.1/CB", "http://127.0.0.1/cb"));
}

#[test]
fn rfc6749_3_1_2_3_non_loopback_matching_is_exact() {
    assert!(matches("https://client.example/cb", "https://client.example/cb"));
    assert!(!matches("https://client.example/cb", "https://client.example/cb/"));
    assert!(!matches("https://client.example/cb", "https://client.example:443/cb"));
    assert!(!matches("https://client.example/cb", "https://client.example/cb?x=1"));
    assert!(!matches("https://client.example/cb", "https://client.example/CB"));
    assert!(!matches("https://client.example/cb", "https://evil.example/cb"));
    assert!(!matches("https://client.example:8443/cb", "https://client.example:8444/cb"));
    assert!(matches("cursor://anysphere.cursor-mcp/cb", "cursor://anysphere.cursor-mcp/cb"));
    assert!(!matches("cursor://anysphere.cursor-mcp/cb", "cursor://anysphere.cursor-mcp/cb2"));
    // A refused URI never matches, even itself.
    assert!(!matches("javascript:alert(1)", "javascript:alert(1)"));
}

#[test]
fn display_host_and_csp_source() {
    assert_eq!(display_host("https://client.example/cb").as_deref(), Some("client.example"));
    assert_eq!(display_host("http://127.0.0.1:3000/cb").as_deref(), Some("127.0.0.1:3000"));
    assert_eq!(display_host("vscode://x.y/cb").as_deref(), Some("vscode:"));
    assert_eq!(csp_source("https://client.example:8443/cb").as_deref(), Some("https://client.example:8443"));
    assert_eq!(csp_source("http://127.0.0.1/cb").as_deref(), Some("http://127.0.0.1:*"));
    assert_eq!(csp_source("com.example.app:/cb").as_deref(), Some("com.example.app:"));
    assert_eq!(csp_source("javascript:alert(1)"), None);
}
