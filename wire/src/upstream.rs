//! Calls to the upstream OpenID Provider, as both sides make them: the Worker exchanges a login's
//! code and fetches discovery and keys; the user's object refreshes a grant's upstream session
//! and reads userinfo. One way to authenticate to the token endpoint ([`token_request`]: RFC 6749
//! §2.3.1 `client_secret_basic`, or `client_secret_post` when the provider lists only that), and
//! one fetch with a timeout and a bounded answer ([`fetch`], wasm32).

use base64::Engine as _;

use crate::url::{encode, serialize};

/// This server as the upstream's client.
#[derive(Debug, Clone, Copy)]
pub struct ClientAuth<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// `client_secret_post` puts the credentials in the body; anything else is HTTP Basic.
    pub method: &'a str,
}

/// A token request's form body (`params` plus, for `client_secret_post`, the credentials) and
/// its `Authorization` header (for `client_secret_basic`: the form-encoded id and secret, RFC
/// 6749 §2.3.1).
pub fn token_request(params: &[(&str, &str)], auth: ClientAuth<'_>) -> (String, Option<String>) {
    let mut pairs = params.to_vec();
    if auth.method == "client_secret_post" {
        pairs.push(("client_id", auth.client_id));
        pairs.push(("client_secret", auth.client_secret));
        return (serialize(&pairs), None);
    }
    let basic = format!("{}:{}", encode(auth.client_id), encode(auth.client_secret));
    (serialize(&pairs), Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(basic))))
}

#[cfg(target_arch = "wasm32")]
pub use glue::fetch;

#[cfg(target_arch = "wasm32")]
mod glue {
    use std::time::Duration;

    use futures::future::{select, Either};
    use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

    use crate::body::{self, BodyError};

    /// One upstream request: `form` (a token request's body) makes it a form POST, else a GET;
    /// `authorization` and `Accept: application/json` are sent. Fails after `timeout`, or when the
    /// answer is larger than `max` bytes. `Ok((status, body))`; `Err` says why in words.
    pub async fn fetch(
        url: &str,
        form: Option<String>,
        authorization: Option<&str>,
        timeout: Duration,
        max: usize,
    ) -> Result<(u16, Vec<u8>), String> {
        let headers = Headers::new();
        let _ = headers.set("Accept", "application/json");
        if let Some(a) = authorization {
            let _ = headers.set("Authorization", a);
        }
        let mut init = RequestInit::new();
        match form {
            Some(f) => {
                let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
                init.with_method(Method::Post).with_body(Some(f.into()));
            }
            None => {
                init.with_method(Method::Get);
            }
        }
        init.with_headers(headers);
        let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
        let call = Box::pin(async move {
            let resp = Fetch::Request(req).send().await.map_err(|e| format!("{url}: {e}"))?;
            match body::response(&resp, max).await {
                Ok(b) => Ok((resp.status_code(), b)),
                Err(BodyError::TooLarge) => Err(format!("{url} answered more than {max} bytes")),
                Err(BodyError::Unreadable) => Err(format!("{url}: the answer could not be read")),
            }
        });
        match select(call, Box::pin(Delay::from(timeout))).await {
            Either::Left((r, _)) => r,
            Either::Right(_) => Err(format!("{url} did not answer within {} s", timeout.as_secs())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn basic_auth_form_encodes_the_credentials_and_post_puts_them_in_the_body() {
        let auth = ClientAuth { client_id: "a b", client_secret: "s:t", method: "client_secret_basic" };
        let (body, header) = token_request(&[("grant_type", "refresh_token")], auth);
        assert_eq!(body, "grant_type=refresh_token");
        let b64 = header.unwrap().strip_prefix("Basic ").unwrap().to_owned();
        let decoded = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(decoded, b"a%20b:s%3At");
        let post = ClientAuth { method: "client_secret_post", ..auth };
        let (body, header) = token_request(&[("grant_type", "refresh_token")], post);
        assert_eq!(header, None);
        assert_eq!(body, "grant_type=refresh_token&client_id=a%20b&client_secret=s%3At");
    }
}
