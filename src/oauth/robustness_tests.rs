//! Robustness: every parser that sees attacker input is fed deterministic pseudo-random junk
//! (biased toward the delimiters each format uses) and must return, never panic.

use super::*;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn junk(&mut self) -> String {
        const PIECES: &[&str] = &[
            "%",
            "%2",
            "%zz",
            "%C3",
            "+",
            "&",
            "=",
            ":",
            "/",
            "//",
            "?",
            "#",
            "[",
            "]",
            "@",
            ".",
            "..",
            "é",
            "\u{0}",
            " ",
            "\n",
            "https",
            "http",
            "javascript",
            "127.0.0.1",
            "[::1]",
            "v1",
            "e1",
            "Basic ",
            "eyJ",
            "a",
            "Z",
            "0",
            "9",
            "-",
            "_",
            ";",
            "\"",
        ];
        let len = (self.next() % 24) as usize;
        (0..len).map(|_| PIECES.get((self.next() as usize) % PIECES.len()).copied().unwrap_or("")).collect()
    }
}

#[test]
fn parsers_never_panic_on_junk() {
    let mut r = Lcg(42);
    let key = b"k";
    for _ in 0..20_000 {
        let s = r.junk();
        let _ = form::parse(s.as_bytes(), form::MAX_FORM_BYTES);
        let _ = redirect_uri::parse(&s);
        let _ = redirect_uri::matches(&s, &s);
        let _ = redirect_uri::csp_source(&s);
        let _ = client_auth::parse_basic(Some(&s));
        let _ = cookies::open(key, "n", &s, 0);
        let _ = cookies::parse_cookie_header(&s);
        let _ = id_token::parse(&s);
        let _ = jwks::select(s.as_bytes(), "k", id_token::Alg::Rs256);
        let _ = scope::parse(&s);
        let _ = pkce::verify_s256(&s, &s);
        let _ = metadata::normalize_origin(&s);
        let _ = authorize::parse_query(&s);
        let _ = r2_mcp_durable::grants::token::parse(&s);
        let _ = registration::parse_request(s.as_bytes());
    }
}
