//! The object browser's page (MCP Apps, [`crate::mcp::app`]) for `resources/read`: one HTML
//! document that `scripts/build` makes from `app/` into the Workers static assets, read here
//! through the `ASSETS` binding, so its bytes are not in the wasm. Assets change only with a
//! deployment, which starts new isolates: the page is read once per isolate and kept (one copy
//! for every user's object in it).

use std::cell::RefCell;
use std::rc::Rc;

use worker::{Env, Fetcher};

use crate::mcp::app::VIEW_ASSET_PATH;
use crate::mcp::jsonrpc::{RpcError, INTERNAL_ERROR};

/// The binding of the static assets (`[assets]` in `wrangler.toml`).
const BINDING: &str = "ASSETS";

thread_local! {
    /// The page, once read in this isolate.
    static PAGE: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
}

/// Reads the page from the static assets.
pub struct AppView {
    assets: Option<Fetcher>,
}

impl AppView {
    pub fn new(env: &Env) -> Self {
        let assets = env.assets(BINDING).ok();
        if assets.is_none() {
            worker::console_error!("static assets binding {BINDING} is missing: the object browser app cannot be served");
        }
        AppView { assets }
    }

    /// The page's HTML.
    pub async fn html(&self) -> Result<Rc<str>, RpcError> {
        if let Some(page) = PAGE.with(|p| p.borrow().clone()) {
            return Ok(page);
        }
        let fail = |why: String| RpcError::new(INTERNAL_ERROR, format!("The object browser page is unavailable: {why}"));
        let assets = self.assets.as_ref().ok_or_else(|| fail(format!("no {BINDING} binding")))?;
        // The host part is ignored by the assets binding; only the path names the file.
        let mut resp = assets.fetch(format!("https://assets.invalid{VIEW_ASSET_PATH}"), None).await.map_err(|e| fail(e.to_string()))?;
        if resp.status_code() != 200 {
            return Err(fail(format!("{VIEW_ASSET_PATH} answered {}", resp.status_code())));
        }
        let page: Rc<str> = resp.text().await.map_err(|e| fail(e.to_string()))?.into();
        PAGE.with(|p| *p.borrow_mut() = Some(page.clone()));
        Ok(page)
    }
}
