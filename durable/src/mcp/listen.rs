//! 2026-07-28 `subscriptions/listen` (basic/patterns/subscriptions): the acknowledged filter and
//! the `subscriptionId` tag every message on a listen stream carries.

use serde_json::{json, Map, Value};

use super::dispatch::{canonical_uri, Ctx, MAX_SUBSCRIPTIONS};
use super::jsonrpc::{self, Id};
use super::meta;
use super::outcome::{Call, ListenFilter, Outcome};

/// Adds `io.modelcontextprotocol/subscriptionId` to a notification sent on a listen stream.
pub fn tag_subscription(mut notification: Value, subscription: &Id) -> Value {
    if let Some(p) = notification.get_mut("params").and_then(Value::as_object_mut) {
        let m = p.entry("_meta").or_insert_with(|| json!({}));
        if let Some(m) = m.as_object_mut() {
            m.insert(meta::KEY_SUBSCRIPTION_ID.into(), subscription.to_value());
        }
    }
    notification
}

/// `subscriptions/listen` (2026-07-28 basic/patterns/subscriptions): acknowledge the subset we
/// honour (prompts never change, so `promptsListChanged` is dropped; only our URIs are watched).
pub(super) fn listen(ctx: &Ctx, call: &Call, p: Option<&Map<String, Value>>) -> Outcome {
    let n = p.and_then(|p| p.get("notifications"));
    let flag = |k: &str| n.and_then(|n| n.get(k)).and_then(Value::as_bool).unwrap_or(false);
    let uris: Vec<String> = n
        .and_then(|n| n.get("resourceSubscriptions"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).filter_map(|u| canonical_uri(ctx, u)).take(MAX_SUBSCRIPTIONS).collect())
        .unwrap_or_default();
    let filter = ListenFilter {
        tools_list_changed: flag("toolsListChanged"),
        prompts_list_changed: false,
        resources_list_changed: flag("resourcesListChanged"),
        resource_subscriptions: uris,
    };
    let mut ack = Map::new();
    if filter.tools_list_changed {
        ack.insert("toolsListChanged".into(), true.into());
    }
    if filter.resources_list_changed {
        ack.insert("resourcesListChanged".into(), true.into());
    }
    if !filter.resource_subscriptions.is_empty() {
        ack.insert("resourceSubscriptions".into(), filter.resource_subscriptions.clone().into());
    }
    let ack =
        tag_subscription(jsonrpc::notification("notifications/subscriptions/acknowledged", json!({ "notifications": ack })), &call.id);
    Outcome::Listen { call: call.clone(), filter, ack }
}
