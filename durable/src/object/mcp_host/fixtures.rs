//! Runs the conformance fixtures' scripts ([`Outcome::Run`](crate::mcp::outcome::Outcome::Run)):
//! notifications, pauses, server→client requests awaiting the client's answer, and the
//! deliberate mid-call disconnect of SEP-1699, then the final result.

use std::time::Duration;

use futures::future::{select, Either};
use serde_json::Value;

use super::emit::Out;
use super::inflight::Answer;
use super::Host;
use crate::mcp::conformance;
use crate::mcp::jsonrpc::{self, RpcError, INTERNAL_ERROR};
use crate::mcp::outcome::{Finish, Script, Step};

/// How long a server→client request waits for the client's answer.
pub const ASK_TIMEOUT_SECS: u64 = 120;

/// Runs the steps and returns the final `tools/call` result; `None` when cancelled.
pub async fn run(host: &Host, out: &Out, session_key: &str, script: Script, cancelled: &std::cell::Cell<bool>) -> Option<Value> {
    let mut answer: Option<Answer> = None;
    for step in script.steps {
        if cancelled.get() {
            return None;
        }
        match step {
            Step::Notify(msg) => {
                out.send(host, &msg);
            }
            Step::SleepMs(ms) => worker::Delay::from(Duration::from_millis(u64::from(ms))).await,
            Step::Disconnect { retry_ms } => out.disconnect(host, retry_ms),
            Step::Ask { method, params } => {
                if !out.is_stream() {
                    answer = Some(Err(RpcError::new(INTERNAL_ERROR, "this request needs a text/event-stream response to ask the client")));
                    continue;
                }
                let (id, rx) = host.inflight.ask(session_key);
                out.send(host, &jsonrpc::request(&id, &method, params));
                let timeout = worker::Delay::from(Duration::from_secs(ASK_TIMEOUT_SECS));
                answer = Some(match select(rx, timeout).await {
                    Either::Left((Ok(a), _)) => a,
                    Either::Left((Err(_), _)) | Either::Right(_) => {
                        host.inflight.forget(session_key, &id);
                        Err(RpcError::new(INTERNAL_ERROR, "no answer from the client"))
                    }
                });
            }
        }
    }
    if cancelled.get() {
        return None;
    }
    Some(match script.finish {
        Finish::Result(v) => v,
        Finish::FromAnswer(fixture) => {
            let missing = RpcError::new(INTERNAL_ERROR, "no answer from the client");
            match &answer {
                Some(Ok(v)) => conformance::finish(fixture, Ok(v)),
                Some(Err(e)) => conformance::finish(fixture, Err(e)),
                None => conformance::finish(fixture, Err(&missing)),
            }
        }
    })
}
