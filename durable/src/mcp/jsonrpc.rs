//! JSON-RPC 2.0 framing: one POST body → exactly one [`Message`]; error codes; response builders.
//!
//! MCP (basic/index, all revisions) narrows JSON-RPC: ids are strings or integers and never null,
//! `params` is an object when present, and Streamable HTTP carries one message per POST (batches
//! were removed in 2025-06-18). [`parse`] never panics: it is the first thing untrusted bytes reach.

use serde_json::{Map, Value};

/// Invalid JSON (JSON-RPC 2.0 §5.1). Answered with `id: null`.
pub const PARSE_ERROR: i64 = -32700;
/// Valid JSON that is not one acceptable JSON-RPC message (including batches).
pub const INVALID_REQUEST: i64 = -32600;
/// Unknown method (2026-07-28 over HTTP: with status 404).
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Bad params; also unknown tool, invalid cursor, and (2026-07-28) unknown resource.
pub const INVALID_PARAMS: i64 = -32602;
/// A failure on our side.
pub const INTERNAL_ERROR: i64 = -32603;
/// Resource not found, 2025-11-25 and earlier (server/resources §Error Handling).
pub const RESOURCE_NOT_FOUND: i64 = -32002;
/// 2026-07-28: HTTP headers disagree with the body, or a required header is missing.
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28: the request needs a client capability it did not declare.
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
/// 2026-07-28: the requested protocol version is not served; `data` lists the supported ones.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// A request id: a string or an integer (MCP forbids null and fractional ids).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    Num(i64),
    Str(String),
}

impl Id {
    /// Reads an id; `None` for null, floats, out-of-range numbers and other types.
    pub fn from_value(v: &Value) -> Option<Id> {
        match v {
            Value::String(s) => Some(Id::Str(s.clone())),
            Value::Number(n) => n.as_i64().map(Id::Num),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Id::Num(n) => Value::from(*n),
            Id::Str(s) => Value::from(s.as_str()),
        }
    }
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError { code, message: message.into(), data: None }
    }
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }
    pub fn method_not_found(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, format!("Method not found: {}", clip(method, 100)))
    }
    pub fn to_value(&self) -> Value {
        let mut o = Map::new();
        o.insert("code".into(), Value::from(self.code));
        o.insert("message".into(), Value::from(self.message.as_str()));
        if let Some(d) = &self.data {
            o.insert("data".into(), d.clone());
        }
        Value::Object(o)
    }
}

/// A request: expects exactly one response with the same id.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: Id,
    pub method: String,
    pub params: Option<Map<String, Value>>,
}

/// A notification: no id, no response (HTTP 202).
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub method: String,
    pub params: Option<Map<String, Value>>,
}

/// A response from the client to one of our requests (sampling, elicitation, roots).
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub id: Id,
    pub outcome: Result<Value, RpcError>,
}

/// Exactly one JSON-RPC message.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    Request(Request),
    Notification(Notification),
    Response(Response),
}

impl Message {
    /// The method name, for requests and notifications.
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request(r) => Some(&r.method),
            Message::Notification(n) => Some(&n.method),
            Message::Response(_) => None,
        }
    }
    /// The params object, for requests and notifications.
    pub fn params(&self) -> Option<&Map<String, Value>> {
        match self {
            Message::Request(r) => r.params.as_ref(),
            Message::Notification(n) => n.params.as_ref(),
            Message::Response(_) => None,
        }
    }
}

/// Why a body is not one acceptable message; `id` is set when the body named a usable id.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseFailure {
    pub id: Option<Id>,
    pub error: RpcError,
}

impl ParseFailure {
    /// The JSON-RPC error response to send (id null when unknown).
    pub fn response(&self) -> Value {
        error(self.id.as_ref(), &self.error)
    }
}

fn fail(id: Option<Id>, code: i64, msg: &str) -> ParseFailure {
    ParseFailure { id, error: RpcError::new(code, msg) }
}

/// Parses one POST body into exactly one JSON-RPC message.
pub fn parse(body: &[u8]) -> Result<Message, ParseFailure> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => return Err(fail(None, PARSE_ERROR, "Parse error: the body is not valid JSON")),
    };
    from_value(value)
}

/// Classifies an already-parsed JSON value as one message.
pub fn from_value(value: Value) -> Result<Message, ParseFailure> {
    let mut obj = match value {
        Value::Object(o) => o,
        Value::Array(_) => return Err(fail(None, INVALID_REQUEST, "Invalid Request: batches are not supported")),
        _ => return Err(fail(None, INVALID_REQUEST, "Invalid Request: expected a JSON object")),
    };
    let raw_id = obj.remove("id");
    let id = raw_id.as_ref().and_then(Id::from_value);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(fail(id, INVALID_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\""));
    }
    if let Some(method) = obj.remove("method") {
        let Value::String(method) = method else {
            return Err(fail(id, INVALID_REQUEST, "Invalid Request: \"method\" must be a string"));
        };
        let params = match obj.remove("params") {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => Some(p),
            Some(_) => return Err(fail(id, INVALID_PARAMS, "Invalid params: \"params\" must be an object")),
        };
        return match (raw_id, id) {
            (None, _) => Ok(Message::Notification(Notification { method, params })),
            (Some(_), Some(id)) => Ok(Message::Request(Request { id, method, params })),
            (Some(_), None) => Err(fail(None, INVALID_REQUEST, "Invalid Request: \"id\" must be a string or an integer (not null)")),
        };
    }
    // No method: a response to one of our requests.
    let Some(id) = id else {
        return Err(fail(None, INVALID_REQUEST, "Invalid Request: no \"method\" and no usable \"id\""));
    };
    match (obj.remove("result"), obj.remove("error")) {
        (Some(result), None) => Ok(Message::Response(Response { id, outcome: Ok(result) })),
        (None, Some(Value::Object(e))) => {
            let code = e.get("code").and_then(Value::as_i64);
            let message = e.get("message").and_then(Value::as_str);
            match (code, message) {
                (Some(code), Some(message)) => Ok(Message::Response(Response {
                    id,
                    outcome: Err(RpcError { code, message: message.to_owned(), data: e.get("data").cloned() }),
                })),
                _ => Err(fail(Some(id), INVALID_REQUEST, "Invalid Request: malformed error object")),
            }
        }
        _ => Err(fail(Some(id), INVALID_REQUEST, "Invalid Request: a response needs exactly one of \"result\" or \"error\"")),
    }
}

/// A success response.
pub fn success(id: &Id, result: Value) -> Value {
    let mut o = Map::new();
    o.insert("jsonrpc".into(), Value::from("2.0"));
    o.insert("id".into(), id.to_value());
    o.insert("result".into(), result);
    Value::Object(o)
}

/// An error response; `id: null` when the request id is unknown.
pub fn error(id: Option<&Id>, err: &RpcError) -> Value {
    let mut o = Map::new();
    o.insert("jsonrpc".into(), Value::from("2.0"));
    o.insert("id".into(), id.map_or(Value::Null, Id::to_value));
    o.insert("error".into(), err.to_value());
    Value::Object(o)
}

/// A notification from us to the client.
pub fn notification(method: &str, params: Value) -> Value {
    let mut o = Map::new();
    o.insert("jsonrpc".into(), Value::from("2.0"));
    o.insert("method".into(), Value::from(method));
    o.insert("params".into(), params);
    Value::Object(o)
}

/// A request from us to the client (sampling, elicitation) with an id the glue allocated.
pub fn request(id: &Id, method: &str, params: Value) -> Value {
    let mut o = Map::new();
    o.insert("jsonrpc".into(), Value::from("2.0"));
    o.insert("id".into(), id.to_value());
    o.insert("method".into(), Value::from(method));
    o.insert("params".into(), params);
    Value::Object(o)
}

/// Shortens client-supplied text quoted back in messages (on a char boundary).
pub fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// A client-chosen name (method, tool) as it may appear in a log line and a header: itself when it
/// is 1–64 characters of `[A-Za-z0-9_/.-]`, else `other`, so no client text can shape a log.
pub fn log_label(s: &str) -> &str {
    let plain = (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_/.-".contains(&b));
    if plain {
        s
    } else {
        "other"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
#[path = "jsonrpc_tests.rs"]
mod tests;
