//! Server-rendered HTML shared by the OAuth pages: the one [`escape`] function every value goes
//! through, the page shell (inline CSS, no external assets, readable at 360 px, visible focus),
//! the error page, and the security headers the glue sets on every page.

/// HTML-escapes text for element content and double- or single-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '`' => out.push_str("&#96;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "\
:root{color-scheme:light dark;--fg:#1b1b1f;--bg:#f6f6f8;--card:#fff;--muted:#4a4a55;--accent:#0b57d0;--border:#c8c8d0}\
@media (prefers-color-scheme:dark){:root{--fg:#ececf1;--bg:#16161a;--card:#222228;--muted:#b9b9c4;--accent:#8ab4f8;--border:#44444d}}\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}\
main{max-width:32rem;margin:2rem auto;padding:1.5rem;background:var(--card);border:1px solid var(--border);border-radius:12px}\
@media (max-width:400px){main{margin:0;border-radius:0;border-left:0;border-right:0;padding:1rem}}\
h1{font-size:1.35rem;margin:0 0 1rem}\
p,li{overflow-wrap:anywhere}\
.muted{color:var(--muted);font-size:.875rem}\
ul{padding-left:1.25rem}\
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}\
button{flex:1 1 8rem;min-height:44px;font:inherit;font-weight:600;border-radius:8px;padding:.6rem 1rem;cursor:pointer;border:2px solid var(--accent)}\
.approve{background:var(--accent);color:var(--card)}\
.deny{background:transparent;color:var(--accent)}\
button:focus-visible{outline:3px solid var(--fg);outline-offset:2px}";

/// A complete page around `body_html` (already escaped by the caller).
pub fn page(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<title>{}</title><style>{CSS}</style></head>\
<body><main>{body_html}</main></body></html>\n",
        escape(title)
    )
}

/// An error page: title and message, no redirect, no link back to the client.
pub fn error_page(title: &str, message: &str) -> String {
    page(title, &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message)))
}

/// Headers for every HTML page. `form_action_sources` are the CSP sources the consent form may
/// post or redirect to ('self' is always included; see `redirect_uri::csp_source`).
pub fn security_headers(form_action_sources: &[String]) -> Vec<(&'static str, String)> {
    let mut form_action = String::from("'self'");
    for s in form_action_sources {
        // Sources come from validated redirect URIs; drop anything that could end the directive.
        if !s.is_empty() && !s.contains([';', ',', ' ', '\'', '"']) && !s.chars().any(char::is_control) {
            form_action.push(' ');
            form_action.push_str(s);
        }
    }
    vec![
        ("Content-Type", "text/html; charset=utf-8".to_owned()),
        (
            "Content-Security-Policy",
            format!("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"),
        ),
        ("X-Frame-Options", "DENY".to_owned()),
        ("X-Content-Type-Options", "nosniff".to_owned()),
        ("Referrer-Policy", "no-referrer".to_owned()),
        ("Cache-Control", "no-store".to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_quotes_and_ampersands() {
        assert_eq!(escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape("a\"b'c`d"), "a&quot;b&#39;c&#96;d");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("x\u{0}y"), "x\u{FFFD}y");
        assert_eq!(escape("café 😀"), "café 😀");
    }

    #[test]
    fn error_page_escapes_and_has_lang_and_viewport() {
        let p = error_page("Bad <b>", "the \"client\" & <script>");
        assert!(p.contains("<html lang=\"en\">"));
        assert!(p.contains("width=device-width"));
        assert!(p.contains("<h1>Bad &lt;b&gt;</h1>"));
        assert!(p.contains("the &quot;client&quot; &amp; &lt;script&gt;"));
        assert!(!p.contains("<script"));
        assert!(!p.contains("http"), "no external assets or links");
    }

    #[test]
    fn security_headers_forbid_framing_and_limit_form_action() {
        let h = security_headers(&["https://c.example".into(), "http://127.0.0.1:*".into(), "x; script-src *".into()]);
        let csp = h.iter().find(|(k, _)| *k == "Content-Security-Policy").map(|(_, v)| v.clone()).unwrap_or_default();
        assert!(csp.contains("default-src 'none'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("form-action 'self' https://c.example http://127.0.0.1:*;"));
        assert!(!csp.contains("script-src"));
        assert!(h.contains(&("X-Frame-Options", "DENY".to_owned())));
    }
}
