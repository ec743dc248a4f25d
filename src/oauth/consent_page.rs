//! The consent page: names the client as registered, where it will send the user (host, and the
//! full redirect URI in small text), what it asks for in plain words, and Approve / Deny in one
//! POST form carrying the CSRF token and the signed request blob.

use super::html::{escape, page};
use super::redirect_uri;

/// Form field names the glue reads back on POST.
pub const FIELD_CSRF: &str = "csrf";
pub const FIELD_REQUEST: &str = "request";
pub const FIELD_DECISION: &str = "decision";

/// What the page shows and carries.
#[derive(Debug, Clone, Copy)]
pub struct ConsentView<'a> {
    /// `client_name` as registered, if any.
    pub client_name: Option<&'a str>,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    /// Plain-words descriptions per scope; unknown scopes are shown by name.
    pub scope_descriptions: &'a [(&'a str, &'a str)],
    /// The name of this server, shown in the heading.
    pub server_name: &'a str,
    /// The path the form posts to (e.g. `/authorize`).
    pub action: &'a str,
    pub csrf_token: &'a str,
    /// The sealed authorization request (see `cookies::seal`).
    pub request_blob: &'a str,
}

fn describe(scope: &str, table: &[(&str, &str)]) -> String {
    table.iter().find(|(s, _)| *s == scope).map(|(_, d)| escape(d)).unwrap_or_else(|| format!("Use the permission “{}”", escape(scope)))
}

/// The consent page HTML.
pub fn render(v: &ConsentView<'_>) -> String {
    let who = v.client_name.filter(|n| !n.trim().is_empty()).unwrap_or(v.client_id);
    let host = redirect_uri::display_host(v.redirect_uri).unwrap_or_else(|| v.redirect_uri.to_owned());
    let scopes: String = v.scopes.iter().map(|s| format!("<li>{}</li>", describe(s, v.scope_descriptions))).collect();
    let scopes = if scopes.is_empty() { "<li>Basic access</li>".to_owned() } else { scopes };
    let unnamed = if v.client_name.is_some() {
        String::new()
    } else {
        "<p class=\"muted\">This application did not give a name; it is shown by its client ID.</p>".to_owned()
    };
    let body = format!(
        "<h1>Allow <strong>{who}</strong> to use {server}?</h1>\
{unnamed}\
<p>After you approve, you will be sent to <strong>{host}</strong>.</p>\
<p class=\"muted\">Redirect address: {uri}<br>Client ID: {cid}</p>\
<h2 id=\"perm\" style=\"font-size:1rem\">It asks to:</h2><ul aria-labelledby=\"perm\">{scopes}</ul>\
<p class=\"muted\">Only approve if you started this sign-in and trust this application.</p>\
<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"{FIELD_CSRF}\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"{FIELD_REQUEST}\" value=\"{blob}\">\
<div class=\"actions\">\
<button type=\"submit\" name=\"{FIELD_DECISION}\" value=\"approve\" class=\"approve\">Approve</button>\
<button type=\"submit\" name=\"{FIELD_DECISION}\" value=\"deny\" class=\"deny\">Deny</button>\
</div></form>",
        who = escape(who),
        server = escape(v.server_name),
        host = escape(&host),
        uri = escape(v.redirect_uri),
        cid = escape(v.client_id),
        action = escape(v.action),
        csrf = escape(v.csrf_token),
        blob = escape(v.request_blob),
    );
    page(&format!("Allow {who}?"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(name: Option<&'a str>, scopes: &'a [String]) -> ConsentView<'a> {
        ConsentView {
            client_name: name,
            client_id: "cid123",
            redirect_uri: "https://client.example/cb?x=1&y=2",
            scopes,
            scope_descriptions: &[("mcp", "Read and change files in your R2 buckets")],
            server_name: "R2 MCP",
            action: "/authorize",
            csrf_token: "csrf-tok",
            request_blob: "v1.1.YQ.YQ",
        }
    }

    #[test]
    fn names_the_client_host_uri_and_scopes_in_plain_words() {
        let scopes = vec!["mcp".to_owned(), "other".to_owned()];
        let p = render(&view(Some("My Client"), &scopes));
        assert!(p.contains("Allow <strong>My Client</strong> to use R2 MCP?"));
        assert!(p.contains("<strong>client.example</strong>"));
        assert!(p.contains("https://client.example/cb?x=1&amp;y=2"));
        assert!(p.contains("Read and change files in your R2 buckets"));
        assert!(p.contains("Use the permission “other”"));
    }

    #[test]
    fn falls_back_to_client_id_when_unnamed() {
        let p = render(&view(None, &[]));
        assert!(p.contains("Allow <strong>cid123</strong>"));
        assert!(p.contains("did not give a name"));
    }

    #[test]
    fn one_post_form_with_csrf_blob_approve_and_deny() {
        let p = render(&view(Some("c"), &[]));
        assert_eq!(p.matches("<form method=\"post\"").count(), 1);
        assert!(p.contains("name=\"csrf\" value=\"csrf-tok\""));
        assert!(p.contains("name=\"request\" value=\"v1.1.YQ.YQ\""));
        assert!(p.contains("value=\"approve\""));
        assert!(p.contains("value=\"deny\""));
    }

    #[test]
    fn every_client_supplied_value_is_escaped() {
        let scopes = vec!["<img src=x onerror=alert(1)>".to_owned()];
        let mut v = view(Some("<script>alert(\"x\")</script> & co"), &scopes);
        v.client_id = "\"><script>";
        let p = render(&v);
        assert!(!p.contains("<script"));
        assert!(!p.contains("<img"));
        assert!(p.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
    }
}
