//! The `/authorize` request (RFC 6749 §4.1.1, OAuth 2.1, RFC 7636, RFC 8707, RFC 9207): parsing
//! and validating it in two phases, and building the redirects back to the client.
//!
//! Phase 1 ([`check_client`]) settles the client and the redirect URI. Until both are known to
//! be good nothing may be redirected (RFC 6749 §4.1.2.1): its failures are shown as an error page.
//! Phase 2 ([`validate`]) checks the rest; its failures go back to the client's redirect URI with
//! `error`, `state` and `iss` — but only for a client this browser approved before: for any other
//! they are an error page naming the client ([`unapproved_client_page`], RFC 9700 §4.11.2), so
//! a registration cannot turn this server into an open redirector.

use super::errors::{ErrorCode, OAuthError};
use super::form::{self, Form};
use super::registration::ClientRecord;
use super::{pkce, redirect_uri, scope};

/// Longest `state` echoed back; a longer one is refused (without echoing it).
pub const MAX_STATE_LEN: usize = 2048;

/// A phase-1 failure: show an error page (never redirect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    pub title: &'static str,
    pub message: String,
}

fn page(title: &'static str, message: &str) -> PageError {
    PageError { title, message: message.to_owned() }
}

/// A phase-2 failure: redirect to `redirect_uri` with the error (see [`error_redirect`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    pub redirect_uri: String,
    pub error: OAuthError,
    pub state: Option<String>,
}

impl RedirectError {
    /// The `Location` to send (302/303).
    pub fn location(&self, issuer: &str) -> String {
        error_redirect(&self.redirect_uri, &self.error, self.state.as_deref(), issuer)
    }
}

/// RFC 9700 §4.11.2: a phase-2 failure for a client this browser never approved is shown, not
/// redirected (anyone may register any redirect URI, so redirecting would make this server an
/// open redirector). The page names the client as registered and the problem; the page builder
/// escapes every value.
pub fn unapproved_client_page(client: &ClientRecord, e: &RedirectError) -> PageError {
    let who = match client.metadata.client_name.as_deref() {
        Some(name) => format!("The application \u{201c}{name}\u{201d} (client ID {})", client.client_id),
        None => format!("The application with client ID {}", client.client_id),
    };
    PageError {
        title: "Invalid authorization request",
        message: format!(
            "{who} sent an authorization request this server cannot accept: {} ({}). You were not sent back to it because you have not approved it here before.",
            e.error.description,
            e.error.code.as_str()
        ),
    }
}

/// What this server accepts at `/authorize`.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeConfig<'a> {
    /// This server's resource identifier (`<origin>/mcp`).
    pub resource: &'a str,
    pub scopes_supported: &'a [&'a str],
    /// Granted when the request names no supported scope.
    pub default_scopes: &'a [&'a str],
}

/// A fully validated authorization request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    /// The URI to redirect to (as presented, or the single registered one).
    pub redirect_uri: String,
    /// Whether the request carried `redirect_uri` (then `/token` must carry the same, RFC 6749 §4.1.3).
    pub redirect_uri_explicit: bool,
    pub code_challenge: String,
    /// Scopes to grant (supported ∩ registered ∩ requested, or the defaults).
    pub scopes: Vec<String>,
    pub state: Option<String>,
    /// The resource the grant is bound to: always this server's.
    pub resource: String,
}

/// Parses the query string (without `?`); any parse failure is a phase-1 error page, since a
/// repeated or garbled parameter could be `redirect_uri` itself.
pub fn parse_query(query: &str) -> Result<Form, PageError> {
    form::parse(query.as_bytes(), form::MAX_FORM_BYTES).map_err(|e| page("Invalid request", &OAuthError::from(e).description))
}

/// The `client_id` to look up, or an error page when missing.
pub fn client_id(q: &Form) -> Result<&str, PageError> {
    q.get("client_id").ok_or_else(|| page("Invalid request", "The request does not name a client (client_id is missing)."))
}

/// Phase 1: the client exists and the redirect URI is one it registered (exact match, or any
/// port for loopback). An omitted `redirect_uri` is allowed only when exactly one is registered.
/// Returns the redirect URI to use and whether it was explicit.
pub fn check_client(q: &Form, client: Option<&ClientRecord>) -> Result<(String, bool), PageError> {
    let id = client_id(q)?;
    let client = client
        .filter(|c| c.client_id == id)
        .ok_or_else(|| page("Unknown client", "This application is not registered with this server. Ask it to register again."))?;
    let registered = &client.metadata.redirect_uris;
    match q.get("redirect_uri") {
        Some(presented) => {
            if registered.iter().any(|r| redirect_uri::matches(r, presented)) {
                Ok((presented.to_owned(), true))
            } else {
                Err(page("Invalid redirect", "The redirect URI is not one this application registered."))
            }
        }
        None => match registered.as_slice() {
            [only] => Ok((only.clone(), false)),
            _ => Err(page("Invalid request", "The request must name a redirect_uri (the application registered several).")),
        },
    }
}

/// Phase 2: everything else, for a client and redirect URI already checked by [`check_client`].
pub fn validate(
    q: &Form,
    client: &ClientRecord,
    redirect: (String, bool),
    cfg: &AuthorizeConfig<'_>,
) -> Result<AuthorizeRequest, RedirectError> {
    let (redirect_uri, explicit) = redirect;
    let raw_state = q.get("state");
    let state_ok = raw_state.is_none_or(|s| s.len() <= MAX_STATE_LEN);
    let state = raw_state.filter(|_| state_ok).map(str::to_owned);
    let fail = |error: OAuthError| RedirectError { redirect_uri: redirect_uri.clone(), error, state: state.clone() };

    if !state_ok {
        return Err(fail(OAuthError::invalid_request("state is too long")));
    }
    match q.get("response_type") {
        Some("code") => {}
        None => return Err(fail(OAuthError::invalid_request("response_type is required"))),
        Some(_) => return Err(fail(OAuthError::new(ErrorCode::UnsupportedResponseType, "only response_type=code is supported"))),
    }
    if q.contains("request") || q.contains("request_uri") {
        return Err(fail(OAuthError::invalid_request("request objects are not supported")));
    }
    pkce::validate_challenge(q.get("code_challenge"), q.get("code_challenge_method")).map_err(&fail)?;
    // RFC 8707 §2: one resource, this server's exactly.
    if let Some(r) = q.get("resource") {
        if r != cfg.resource {
            return Err(fail(OAuthError::invalid_target("resource is not served by this authorization server")));
        }
    }
    let requested = scope::parse(q.get("scope").unwrap_or("")).map_err(&fail)?;
    let registered: Option<Vec<String>> = client.metadata.scope.as_deref().and_then(|s| scope::parse(s).ok());
    let scopes = scope::grantable(&requested, cfg.scopes_supported, registered.as_deref(), cfg.default_scopes);
    if scopes.is_empty() {
        return Err(fail(OAuthError::invalid_scope("none of the requested scopes can be granted")));
    }
    Ok(AuthorizeRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        redirect_uri_explicit: explicit,
        code_challenge: q.get("code_challenge").unwrap_or_default().to_owned(),
        scopes,
        state,
        resource: cfg.resource.to_owned(),
    })
}

fn append_query(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let sep = if redirect_uri.contains('?') {
        if redirect_uri.ends_with('?') || redirect_uri.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    format!("{redirect_uri}{sep}{}", form::serialize(params))
}

/// The error redirect (RFC 6749 §4.1.2.1 with RFC 9207 `iss`), keeping any query the redirect URI
/// already has.
pub fn error_redirect(redirect_uri: &str, err: &OAuthError, state: Option<&str>, issuer: &str) -> String {
    let mut p: Vec<(&str, &str)> = vec![("error", err.code.as_str())];
    if !err.description.is_empty() {
        p.push(("error_description", &err.description));
    }
    if let Some(s) = state {
        p.push(("state", s));
    }
    p.push(("iss", issuer));
    append_query(redirect_uri, &p)
}

/// The success redirect (RFC 6749 §4.1.2 with RFC 9207 `iss`).
pub fn success_redirect(redirect_uri: &str, code: &str, state: Option<&str>, issuer: &str) -> String {
    let mut p: Vec<(&str, &str)> = vec![("code", code)];
    if let Some(s) = state {
        p.push(("state", s));
    }
    p.push(("iss", issuer));
    append_query(redirect_uri, &p)
}

#[cfg(test)]
#[path = "authorize_tests.rs"]
mod tests;
