//! Long-lived SSE streams held by the Worker (wasm32 only): a session's GET stream and a
//! 2026-07-28 `subscriptions/listen` stream reach the client from here, while the user's Durable
//! Object holds only the other end of a WebSocket it accepted with the hibernation API, so it can
//! sleep (and is not billed) while nothing happens.
//!
//! The object sends one complete SSE event per WebSocket message (numbered and logged there, as
//! before); this relay writes them to the client in order, and between them a keep-alive comment
//! every [`sse::KEEP_ALIVE_SECS`] seconds. With each keep-alive it sends `ping` on the socket,
//! which the object's runtime answers `pong` without waking the object; a socket that missed a
//! whole interval's pong is dead, and the stream ends (the client resumes with `Last-Event-ID`).
//! The stream also ends when the object closes the socket (session deleted, grant ended, a newer
//! connection for the same stream) and when the client lets more than [`MAX_BACKLOG_BYTES`] pile
//! up. Dropping the body (the client went away) closes the socket, so the object forgets it.

use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::channel::mpsc::{unbounded, UnboundedReceiver};
use futures::{Stream, StreamExt};
use r2_mcp_durable::mcp::sse;
use r2_mcp_wire::mcp_call::{SOCKET_PING, SOCKET_PONG};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::JsCast;
use worker::{web_sys, Delay, Headers, Response, Result, WebSocket};

/// Bytes the client may leave unread before its stream is ended.
pub const MAX_BACKLOG_BYTES: usize = 4 * 1024 * 1024;

enum Event {
    Text(String),
    /// Time for a keep-alive (from the relay's own timer task).
    Tick,
    Closed,
}

/// The Worker's end of the object's socket, as the body of an SSE response.
pub struct Relay {
    ws: WebSocket,
    rx: UnboundedReceiver<Event>,
    /// Bytes received from the object and not yet taken by the runtime.
    backlog: Rc<Cell<usize>>,
    /// Whether a `pong` came since the last `ping`.
    alive: Rc<Cell<bool>>,
    /// Text to send before the socket's own messages (a listen stream's acknowledgement).
    first: Option<Vec<u8>>,
    done: bool,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_close: Listener,
    /// The client's request signal and its abort listener (the client went away).
    _on_abort: Option<(web_sys::AbortSignal, Listener)>,
}

/// An event listener handed to the runtime.
type Listener = Closure<dyn FnMut(worker::wasm_bindgen::JsValue)>;

impl Relay {
    /// Takes over a socket the object accepted (listeners first, then `accept`, so no message
    /// slips past). `first`: SSE text to send before the object's messages. `client`: the client's
    /// request signal, which aborts when the client disconnects (`enable_request_signal`): the
    /// socket is closed then, since the runtime may never cancel the response body.
    pub fn open(ws: WebSocket, first: Option<Vec<u8>>, client: Option<web_sys::AbortSignal>) -> Result<Self> {
        let (tx, rx) = unbounded();
        let backlog = Rc::new(Cell::new(0usize));
        let alive = Rc::new(Cell::new(true));
        let raw: web_sys::WebSocket = ws.as_ref().clone();
        // The closures run on the runtime's events; a panic in them unwinds no further than here
        // (nothing they touch is left half-changed), hence AssertUnwindSafe.
        let on_message = {
            let captured = AssertUnwindSafe((tx.clone(), backlog.clone(), alive.clone(), raw.clone()));
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let (tx, backlog, alive, raw) = &*captured;
                let Some(text) = e.data().as_string() else { return };
                if text == SOCKET_PONG {
                    alive.set(true);
                    return;
                }
                let total = backlog.get().saturating_add(text.len());
                if total > MAX_BACKLOG_BYTES {
                    // The client reads too slowly: stop taking events; it resumes with Last-Event-ID.
                    let _ = raw.close_with_code_and_reason(1000, "client backlog");
                    let _ = tx.unbounded_send(Event::Closed);
                    return;
                }
                backlog.set(total);
                let _ = tx.unbounded_send(Event::Text(text));
            })
        };
        let on_abort = client.map(|signal| {
            let captured = AssertUnwindSafe((tx.clone(), raw.clone()));
            let closure = Closure::<dyn FnMut(worker::wasm_bindgen::JsValue)>::new(move |_e: worker::wasm_bindgen::JsValue| {
                let (tx, raw) = &*captured;
                let _ = raw.close_with_code_and_reason(1000, "client gone");
                let _ = tx.unbounded_send(Event::Closed);
            });
            // addEventListener, not `onabort`: the runtime's AbortSignal has no handler attribute.
            listen(&signal, "addEventListener", &closure);
            (signal, closure)
        });
        // The keep-alive clock is its own task feeding the same channel: the body is then woken by
        // whichever comes first, and the task ends when the relay (its receiver) is dropped.
        let ticks = tx.clone();
        worker::wasm_bindgen_futures::spawn_local(async move {
            loop {
                Delay::from(Duration::from_secs(u64::from(sse::KEEP_ALIVE_SECS))).await;
                if ticks.unbounded_send(Event::Tick).is_err() {
                    break;
                }
            }
        });
        let closer = AssertUnwindSafe(tx);
        let on_close = Closure::<dyn FnMut(worker::wasm_bindgen::JsValue)>::new(move |_e: worker::wasm_bindgen::JsValue| {
            let _ = closer.unbounded_send(Event::Closed);
        });
        raw.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        raw.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        raw.set_onerror(Some(on_close.as_ref().unchecked_ref()));
        ws.accept()?;
        Ok(Relay { ws, rx, backlog, alive, first, done: false, _on_message: on_message, _on_close: on_close, _on_abort: on_abort })
    }

    /// The SSE response whose body is this relay.
    pub fn into_response(self) -> Result<Response> {
        let headers = Headers::new();
        for (k, v) in sse::SSE_HEADERS {
            headers.set(k, v)?;
        }
        Ok(Response::from_stream(self.map(Ok::<Vec<u8>, worker::Error>))?.with_headers(headers))
    }
}

/// `signal.addEventListener("abort", closure)` (or remove), through the JS object itself: the
/// method lives on `EventTarget`, which this build's web-sys does not bind.
fn listen(signal: &web_sys::AbortSignal, method: &str, closure: &Listener) {
    use worker::js_sys::{Function, Reflect};
    if let Some(f) = Reflect::get(signal, &method.into()).ok().and_then(|f| f.dyn_into::<Function>().ok()) {
        let _ = f.call2(signal, &"abort".into(), closure.as_ref());
    }
}

impl Stream for Relay {
    type Item = Vec<u8>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(first));
        }
        match self.rx.poll_next_unpin(cx) {
            Poll::Ready(Some(Event::Text(text))) => {
                self.backlog.set(self.backlog.get().saturating_sub(text.len()));
                Poll::Ready(Some(text.into_bytes()))
            }
            Poll::Ready(Some(Event::Tick)) => {
                if !self.alive.replace(false) {
                    // No pong for a whole interval: the socket is gone without a close.
                    self.done = true;
                    return Poll::Ready(None);
                }
                let _ = self.ws.send_with_str(SOCKET_PING);
                Poll::Ready(Some(sse::keep_alive().as_bytes().to_vec()))
            }
            Poll::Ready(Some(Event::Closed)) | Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let raw: &web_sys::WebSocket = self.ws.as_ref();
        raw.set_onmessage(None);
        raw.set_onclose(None);
        raw.set_onerror(None);
        if let Some((signal, closure)) = &self._on_abort {
            listen(signal, "removeEventListener", closure);
        }
        let _ = self.ws.close(Some(1000), Some("stream ended"));
    }
}
