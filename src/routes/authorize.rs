//! `/authorize` (wasm32 only): the MCP client's authorization request, the consent page, and the
//! start of the upstream login.
//!
//! - `GET`: phase 1 (client and redirect URI, exactly) fails with an error page, never a redirect;
//!   phase 2 fails with a redirect carrying `error`, `state` and `iss` when this browser approved
//!   the client before, and otherwise with an error page naming the client (RFC 9700 §4.11.2). A valid request shows the
//!   consent page, unless this browser already approved this client with these redirect URIs.
//! - `POST` (the consent form): the CSRF token must match the single-use consent cookie. Deny sends
//!   `access_denied` back to the client; Approve remembers the approval and starts the upstream
//!   login, whose state lives only in an encrypted cookie bound to this browser.

use r2_mcp_durable::grants::token;
use sha2::{Digest, Sha256};
use worker::{Request, Response, Result};

use super::metadata::{SCOPES, SCOPE_DESCRIPTIONS};
use super::Ctx;
use crate::clients;
use crate::config::Upstream;
use crate::http::{self, BodyError};
use crate::oauth::aead::CookieCipher;
use crate::oauth::authorize::{self, AuthorizeConfig, AuthorizeRequest};
use crate::oauth::consent_page::{self, ConsentView, FIELD_CSRF, FIELD_DECISION, FIELD_REQUEST};
use crate::oauth::cookies::{self, derive_key};
use crate::oauth::encoding::b64url;
use crate::oauth::errors::{ErrorCode, OAuthError};
use crate::oauth::html::{error_page, security_headers};
use crate::oauth::registration::ClientRecord;
use crate::oauth::{form, pkce, redirect_uri};
use crate::random;
use crate::upstream;

/// How long a consent page, and an upstream login, may take.
pub const FLOW_TTL: i64 = 600;
/// Largest consent form read.
const MAX_CONSENT_FORM: usize = 64 * 1024;
/// How long a remembered approval lasts.
const APPROVAL_TTL: i64 = 30 * 86_400;
/// Most approvals one browser remembers.
const MAX_APPROVALS: usize = 20;

const CONSENT_COOKIE: &str = "r2mcp-consent";
const APPROVED_COOKIE: &str = "r2mcp-approved";
/// The login cookie is named after its state, so parallel logins in one browser do not collide.
pub const LOGIN_COOKIE_PREFIX: &str = "r2mcp-login-";

/// What the upstream leg must remember, sealed in the login cookie.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct LoginState {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub request: AuthorizeRequest,
}

/// The login cookie's name for an upstream `state`.
pub fn login_cookie_name(state: &str) -> String {
    let tag: String = state.chars().take(12).collect();
    format!("{LOGIN_COOKIE_PREFIX}{tag}")
}

/// The cipher for the login cookie.
pub fn login_cipher(ctx: &Ctx) -> CookieCipher {
    CookieCipher::new(&ctx.config.cookie_key, "login-cookie")
}

/// An HTML error page (no redirect), status `status`.
pub fn page_error(status: u16, title: &str, message: &str) -> Result<Response> {
    http::html(status, error_page(title, message), &security_headers(&[]))
}

pub async fn handle(req: Request, ctx: &Ctx, up: &Upstream) -> Result<Response> {
    match req.method() {
        worker::Method::Get => get(req, ctx, up).await,
        worker::Method::Post => consent(req, ctx, up).await,
        _ => page_error(405, "Method not allowed", "Use GET for authorization requests."),
    }
}

fn authorize_config<'a>(resource: &'a str) -> AuthorizeConfig<'a> {
    AuthorizeConfig { resource, scopes_supported: SCOPES, default_scopes: SCOPES }
}

async fn get(req: Request, ctx: &Ctx, up: &Upstream) -> Result<Response> {
    let query = r2_mcp_wire::url::query(&req.inner().url()).to_owned();
    let q = match authorize::parse_query(&query) {
        Ok(q) => q,
        Err(e) => return page_error(400, e.title, &e.message),
    };
    let client = match authorize::client_id(&q) {
        Ok(id) => clients::get(ctx, id).await?,
        Err(e) => return page_error(400, e.title, &e.message),
    };
    let redirect = match authorize::check_client(&q, client.as_ref()) {
        Ok(r) => r,
        Err(e) => return page_error(400, e.title, &e.message),
    };
    let Some(client) = client else {
        return page_error(400, "Unknown client", "This application is not registered with this server.");
    };
    let resource = ctx.resource();
    let cookie_header = req.headers().get("Cookie")?.unwrap_or_default();
    let request = match authorize::validate(&q, &client, redirect, &authorize_config(&resource)) {
        Ok(r) => r,
        // Errors go back to the client only if this browser approved it before (RFC 9700 §4.11.2).
        Err(e) if remembered(ctx, &cookie_header, &client) => return http::redirect(&e.location(&ctx.origin), &[]),
        Err(e) => {
            let page = authorize::unapproved_client_page(&client, &e);
            return page_error(400, page.title, &page.message);
        }
    };

    if remembered(ctx, &cookie_header, &client) {
        return start_upstream(ctx, up, request, Vec::new()).await;
    }
    consent_page(ctx, up, &client, &request).await
}

async fn consent_page(ctx: &Ctx, up: &Upstream, client: &ClientRecord, request: &AuthorizeRequest) -> Result<Response> {
    let now = random::now_secs();
    let key = &ctx.config.cookie_key;
    let consent_value = cookies::seal(&derive_key(key, "consent"), CONSENT_COOKIE, &random::array::<16>(), now + FLOW_TTL);
    let csrf = cookies::csrf_token(&derive_key(key, "csrf"), &consent_value);
    let request_json = serde_json::to_vec(request).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let blob = cookies::seal(&derive_key(key, "request"), "request", &request_json, now + FLOW_TTL);
    let html = consent_page::render(&ConsentView {
        client_name: client.metadata.client_name.as_deref(),
        client_id: &client.client_id,
        redirect_uri: &request.redirect_uri,
        scopes: &request.scopes,
        scope_descriptions: SCOPE_DESCRIPTIONS,
        server_name: "R2 MCP server",
        action: "/authorize",
        csrf_token: &csrf,
        request_blob: &blob,
    });
    let mut sources: Vec<String> = redirect_uri::csp_source(&request.redirect_uri).into_iter().collect();
    if let Ok(ep) = upstream::endpoints(up).await {
        sources.extend(origin_of(&ep.authorization));
    }
    let mut resp = http::html(200, html, &security_headers(&sources))?;
    if let Some(c) = cookies::set_cookie_header(CONSENT_COOKIE, &consent_value, FLOW_TTL) {
        resp.headers_mut().append("Set-Cookie", &c)?;
    }
    Ok(resp)
}

async fn consent(req: Request, ctx: &Ctx, up: &Upstream) -> Result<Response> {
    let now = random::now_secs();
    let key = &ctx.config.cookie_key;
    if let Some(origin) = req.headers().get("Origin")? {
        if origin != ctx.origin && origin != "null" {
            return page_error(403, "Forbidden", "The consent form was submitted from another site.");
        }
    }
    let body = match http::read_body(&req, MAX_CONSENT_FORM).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return page_error(413, "Request too large", "The consent form is larger than expected."),
        Err(BodyError::Unreadable) => return page_error(400, "Bad request", "The consent form could not be read."),
    };
    let Ok(f) = form::parse(&body, MAX_CONSENT_FORM) else {
        return page_error(400, "Bad request", "The consent form could not be read.");
    };
    let cookie_header = req.headers().get("Cookie")?.unwrap_or_default();
    let clear_consent = cookies::clear_cookie_header(CONSENT_COOKIE);
    let consent_ok = cookies::get_cookie(&cookie_header, CONSENT_COOKIE)
        .filter(|v| cookies::open(&derive_key(key, "consent"), CONSENT_COOKIE, v, now).is_ok())
        .is_some_and(|v| cookies::check_csrf(&derive_key(key, "csrf"), &v, f.get(FIELD_CSRF).unwrap_or("")));
    if !consent_ok {
        return page_error(
            400,
            "This consent form has expired",
            "It was not submitted from this browser, or it is older than 10 minutes, or it was already used. Start the connection again from your application.",
        );
    }
    let request: Option<AuthorizeRequest> = f
        .get(FIELD_REQUEST)
        .and_then(|blob| cookies::open(&derive_key(key, "request"), "request", blob, now).ok())
        .and_then(|json| serde_json::from_slice(&json).ok());
    let Some(request) = request else {
        return page_error(400, "This consent form has expired", "Start the connection again from your application.");
    };
    // The client may have been deleted since the page was shown: check it again.
    let Some(client) = clients::get(ctx, &request.client_id).await? else {
        return page_error(400, "Unknown client", "This application is no longer registered with this server.");
    };
    if !client.metadata.redirect_uris.iter().any(|r| redirect_uri::matches(r, &request.redirect_uri)) {
        return page_error(400, "Invalid redirect URI", "This application no longer uses this redirect URI.");
    }
    match f.get(FIELD_DECISION) {
        Some("approve") => {
            let approved = remember(ctx, &cookie_header, &client);
            start_upstream(ctx, up, request, vec![clear_consent, approved]).await
        }
        Some("deny") => {
            let e = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
            let location = authorize::error_redirect(&request.redirect_uri, &e, request.state.as_deref(), &ctx.origin);
            http::redirect(&location, &[clear_consent])
        }
        _ => page_error(400, "Bad request", "Choose Approve or Deny."),
    }
}

/// Sends the browser to the upstream provider with fresh state, nonce and PKCE, remembered in an
/// encrypted cookie bound to this browser.
async fn start_upstream(ctx: &Ctx, up: &Upstream, request: AuthorizeRequest, mut cookies_out: Vec<String>) -> Result<Response> {
    let ep = match upstream::endpoints(up).await {
        Ok(ep) => ep,
        Err(e) => return page_error(502, "The login service is unavailable", &format!("{e}. Try again in a moment.")),
    };
    let now = random::now_secs();
    let state = b64url(&random::array::<32>());
    let nonce = b64url(&random::array::<32>());
    let (verifier, challenge) = pkce::new_verifier_and_challenge(&random::array::<32>());
    let name = login_cookie_name(&state);
    let login = LoginState { state: state.clone(), nonce: nonce.clone(), verifier, request };
    let payload = serde_json::to_vec(&login).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let sealed = cookies::seal_encrypted(&login_cipher(ctx), &name, &payload, now + FLOW_TTL, &random::array::<24>())
        .ok_or_else(|| worker::Error::RustError("could not seal the login cookie".into()))?;
    cookies_out.extend(cookies::set_cookie_header(&name, &sealed, FLOW_TTL));
    let callback = format!("{}/callback", ctx.origin);
    let params = [
        ("response_type", "code"),
        ("client_id", up.client_id.as_str()),
        ("redirect_uri", callback.as_str()),
        ("scope", "openid email profile groups"),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let sep = if ep.authorization.contains('?') { '&' } else { '?' };
    http::redirect(&format!("{}{sep}{}", ep.authorization, form::serialize(&params)), &cookies_out)
}

/// What a remembered approval is bound to: the client id and its exact registered redirect URIs.
fn approval_binding(client: &ClientRecord) -> String {
    let mut uris = client.metadata.redirect_uris.clone();
    uris.sort();
    let mut h = Sha256::new();
    h.update(client.client_id.as_bytes());
    for u in &uris {
        h.update([0]);
        h.update(u.as_bytes());
    }
    b64url(&h.finalize()[..16])
}

fn approvals(ctx: &Ctx, cookie_header: &str) -> Vec<String> {
    cookies::get_cookie(cookie_header, APPROVED_COOKIE)
        .and_then(|v| cookies::open(&derive_key(&ctx.config.cookie_key, "approved"), APPROVED_COOKIE, &v, random::now_secs()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|s| s.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn remembered(ctx: &Ctx, cookie_header: &str, client: &ClientRecord) -> bool {
    let binding = approval_binding(client);
    approvals(ctx, cookie_header).contains(&binding)
}

/// The `Set-Cookie` that adds this client to the browser's remembered approvals.
fn remember(ctx: &Ctx, cookie_header: &str, client: &ClientRecord) -> String {
    let binding = approval_binding(client);
    let mut list = approvals(ctx, cookie_header);
    list.retain(|a| *a != binding);
    list.push(binding);
    let skip = list.len().saturating_sub(MAX_APPROVALS);
    let joined = list[skip..].join(",");
    let value = cookies::seal(
        &derive_key(&ctx.config.cookie_key, "approved"),
        APPROVED_COOKIE,
        joined.as_bytes(),
        random::now_secs() + APPROVAL_TTL,
    );
    cookies::set_cookie_header(APPROVED_COOKIE, &value, APPROVAL_TTL).unwrap_or_default()
}

/// `scheme://host[:port]` of a URL, for a CSP source.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// SHA-256 of the upstream state, recorded by the user's object so a callback is completed once.
pub fn state_hash(state: &str) -> String {
    token::hash(state)
}
