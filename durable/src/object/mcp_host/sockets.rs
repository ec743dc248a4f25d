//! The object's end of long-lived streams (wasm32 only): a session's GET stream and a 2026-07-28
//! listen stream reach the client through the front Worker (`src/relay.rs`), which holds the HTTP
//! response and its keep-alives; the object holds only a WebSocket it accepted with the
//! hibernation API. Nothing here keeps the object awake: no timer, no pending request, no stream
//! body. While no event comes, the runtime may hibernate the object (and evict it from memory);
//! an event (a write, a notification, a revocation) wakes it, and the sockets are found again by
//! their tags.
//!
//! Tags of every socket: `st:<stream id>`, `g:<grant id>`, `k:get` or `k:listen`, and for GET
//! streams `s:<session id>`. Each WebSocket message is one complete SSE event, numbered and
//! logged before it is sent (see `emit`), so a client that lost its connection resumes with
//! `Last-Event-ID` exactly as before. A listen stream's filter is in the `mcp_listens` table, since
//! nothing in memory survives hibernation.

use serde::{Deserialize, Serialize};
use worker::{SqlStorage, SqlStorageValue, State, WebSocket, WebSocketPair};

use crate::mcp::jsonrpc::Id;
use crate::mcp::outcome::ListenFilter;
use crate::object::db;

/// What a socket carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    Get,
    Listen,
}

impl SocketKind {
    fn tag(self) -> &'static str {
        match self {
            SocketKind::Get => "k:get",
            SocketKind::Listen => "k:listen",
        }
    }
}

/// A listen stream's filter and subscription id (the request's JSON-RPC id), as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Listening {
    pub filter: ListenFilter,
    pub subscription: serde_json::Value,
}

impl Listening {
    pub fn new(filter: ListenFilter, subscription: &Id) -> Self {
        Listening { filter, subscription: subscription.to_value() }
    }

    /// The subscription id every message on the stream is tagged with.
    pub fn subscription(&self) -> Id {
        Id::from_value(&self.subscription).unwrap_or(Id::Num(0))
    }
}

/// The hibernatable sockets of this object.
pub struct Sockets {
    state: State,
    sql: SqlStorage,
}

fn tag(prefix: &str, id: &str) -> String {
    format!("{prefix}:{id}")
}

impl Sockets {
    pub fn new(state: State, sql: SqlStorage) -> Self {
        Sockets { state, sql }
    }

    /// Accepts a new socket for `stream`, ending any earlier connection of the same stream (a
    /// client that reconnected, perhaps through another Worker instance). Returns the client end,
    /// for the 101 answer; `send` may be called at once (messages queue in order).
    pub fn accept(&self, stream: &str, session: Option<&str>, grant: &str, kind: SocketKind) -> worker::Result<(WebSocket, WebSocket)> {
        self.close(&tag("st", stream), "a newer connection took over this stream");
        let pair = WebSocketPair::new()?;
        let (st, g) = (tag("st", stream), tag("g", grant));
        let s = session.map(|s| tag("s", s));
        let mut tags = vec![st.as_str(), g.as_str(), kind.tag()];
        if let Some(s) = &s {
            tags.push(s);
        }
        self.state.accept_websocket_with_tags(&pair.server, &tags);
        Ok((pair.client, pair.server))
    }

    /// Sends one SSE event to the stream's connection(s); false when none is open.
    pub fn send(&self, stream: &str, text: &str) -> bool {
        let mut sent = false;
        for ws in self.state.get_websockets_with_tag(&tag("st", stream)) {
            sent |= ws.send_with_str(text).is_ok();
        }
        sent
    }

    /// Closes every socket with `tag` (`s:<session>`, `g:<grant>`, `st:<stream>`): the Worker then
    /// ends the client's stream.
    pub fn close(&self, tag: &str, reason: &str) {
        for ws in self.state.get_websockets_with_tag(tag) {
            let _ = ws.close(Some(1000), Some(reason));
        }
    }

    /// Ends the streams of a session (deleted, expired, dropped at the cap).
    pub fn close_session(&self, session: &str) {
        self.close(&tag("s", session), "the session has ended");
    }

    /// Ends the streams a grant opened (revoked, expired), and forgets its listen filters.
    pub fn close_grant(&self, grant: &str) -> worker::Result<()> {
        self.close(&tag("g", grant), "the authorization has ended");
        self.sql.exec("DELETE FROM mcp_listens WHERE grant_id = ?", vec![SqlStorageValue::from(grant)])?;
        Ok(())
    }

    /// The grants with a socket open (to end them with their grant).
    pub fn grants(&self) -> Vec<String> {
        let mut grants: Vec<String> = self
            .state
            .get_websockets()
            .iter()
            .flat_map(|ws| self.state.get_tags(ws))
            .filter_map(|t| t.strip_prefix("g:").map(str::to_owned))
            .collect();
        grants.sort();
        grants.dedup();
        grants
    }

    /// Records a listen stream's filter until its socket attaches (and for as long as it lives).
    pub fn register_listen(&self, stream: &str, grant: &str, listening: &Listening) -> worker::Result<()> {
        let json = serde_json::to_string(listening).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec(
            "INSERT OR REPLACE INTO mcp_listens (stream_id, grant_id, listening, created_ms) VALUES (?, ?, ?, ?)",
            vec![stream.into(), grant.into(), json.into(), SqlStorageValue::from(db::now_ms())],
        )?;
        Ok(())
    }

    /// Whether `stream` is a listen stream registered by `grant` (the only one who may attach it).
    pub fn listen_of(&self, stream: &str, grant: &str) -> worker::Result<bool> {
        Ok(db::one(&self.sql, "SELECT 1 FROM mcp_listens WHERE stream_id = ? AND grant_id = ?", vec![stream.into(), grant.into()])?
            .is_some())
    }

    /// The open listen streams with their filters.
    pub fn listeners(&self) -> worker::Result<Vec<(String, Listening)>> {
        if self.state.get_websockets_with_tag(SocketKind::Listen.tag()).is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.sql.exec("SELECT stream_id, listening FROM mcp_listens", None)?;
        Ok(rows
            .raw()
            .filter_map(|r| {
                let r = r.ok()?;
                let listening = serde_json::from_str(&db::text(r.get(1))?).ok()?;
                Some((db::text(r.first())?, listening))
            })
            .collect())
    }

    /// A socket closed (the client went away, or we closed it): a listen stream is forgotten.
    pub fn closed(&self, ws: &WebSocket) -> worker::Result<()> {
        let tags = self.state.get_tags(ws);
        if tags.iter().any(|t| t == SocketKind::Listen.tag()) {
            if let Some(stream) = tags.iter().find_map(|t| t.strip_prefix("st:")) {
                self.sql.exec("DELETE FROM mcp_listens WHERE stream_id = ?", vec![stream.into()])?;
            }
        }
        Ok(())
    }

    /// Listen filters registered long ago whose socket never attached or is gone.
    pub fn sweep(&self, older_than_ms: i64) -> worker::Result<()> {
        let rows = self.sql.exec("SELECT stream_id FROM mcp_listens WHERE created_ms < ?", vec![SqlStorageValue::from(older_than_ms)])?;
        let stale: Vec<String> = rows
            .raw()
            .filter_map(|r| r.ok().and_then(|r| db::text(r.first())))
            .filter(|s| self.state.get_websockets_with_tag(&tag("st", s)).is_empty())
            .collect();
        for s in stale {
            self.sql.exec("DELETE FROM mcp_listens WHERE stream_id = ?", vec![s.into()])?;
        }
        Ok(())
    }
}
