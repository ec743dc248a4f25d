//! Resource notifications after a tool changed objects: `notifications/resources/updated` to every
//! session of this user subscribed to a changed object's URI, `notifications/resources/list_changed`
//! to every session when objects were created or deleted (on each session's GET stream, logged for
//! replay; only sessions that ever opened that stream, since no other could resume it), and the
//! same, filtered and tagged, to 2026-07-28 `subscriptions/listen` streams.

use std::collections::BTreeSet;

use serde_json::json;

use super::{emit, Host};
use crate::mcp::dispatch::tag_subscription;
use crate::mcp::jsonrpc::notification;
use crate::mcp::resources::uri_for_key;
use crate::mcp::sse;
use crate::object::db;
use crate::object::r2tools::{Change, ChangeKind};

pub fn changes(host: &Host, user_key: &str, changes: &[Change]) {
    if changes.is_empty() {
        return;
    }
    let uris: BTreeSet<String> = changes.iter().map(|c| uri_for_key(&c.key)).collect();
    let list_changed = changes.iter().any(|c| c.kind != ChangeKind::Updated);
    let list_msg = notification("notifications/resources/list_changed", json!({}));
    let policy = host.settings_or_default().session_policy();
    match host.sessions.listening(user_key, db::now_ms() as u64, policy) {
        Ok(all) => {
            for s in all {
                for uri in uris.iter().filter(|u| s.record.subscriptions.contains(*u)) {
                    emit::to_session(host, &s, &notification("notifications/resources/updated", json!({ "uri": uri })));
                }
                if list_changed {
                    emit::to_session(host, &s, &list_msg);
                }
            }
        }
        Err(e) => worker::console_warn!("could not load sessions for notifications: {e}"),
    }
    // 2026-07-28 listen streams: through the Worker's relay, or held by this object itself.
    let relayed = host.sockets.listeners().unwrap_or_else(|e| {
        worker::console_warn!("could not load listen streams for notifications: {e}");
        Vec::new()
    });
    let relayed = relayed.into_iter().map(|(stream, l)| (stream, l.subscription(), l.filter, true));
    let held = host.hub.listeners().into_iter().map(|(stream, filter, subscription)| (stream, subscription, filter, false));
    for (stream, subscription, filter, socket) in relayed.chain(held) {
        let send = |msg: &serde_json::Value| {
            let text = sse::event(None, &tag_subscription(msg.clone(), &subscription).to_string());
            if socket {
                host.sockets.send(&stream, &text);
            } else {
                host.hub.write(&stream, &text);
            }
        };
        for uri in uris.iter().filter(|u| filter.resource_subscriptions.contains(*u)) {
            send(&notification("notifications/resources/updated", json!({ "uri": uri })));
        }
        if list_changed && filter.resources_list_changed {
            send(&list_msg);
        }
    }
}
