//! Bodies read with a bound, for the front Worker and the objects alike: at most `limit` bytes are
//! ever kept, and a larger body is refused as soon as its bytes pass the limit (the stream is then
//! cancelled), whether it declared a `Content-Length` or came chunked. The counting is plain Rust
//! ([`Bounded`]); the stream reader over the runtime's `ReadableStream` is wasm32 glue ([`read`],
//! [`request`], [`response`]).

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the limit, declared or counted: answer 413.
    TooLarge,
    /// The stream failed midway (the sender went away, or sent something that is not bytes).
    Unreadable,
}

/// Collects a body's chunks up to `limit` bytes; the chunk that would pass it is refused whole
/// (never copied), so what is held never exceeds the limit.
#[derive(Debug)]
pub struct Bounded {
    limit: usize,
    bytes: Vec<u8>,
}

impl Bounded {
    /// `declared`: the body's `Content-Length`, if it sent one. A declared length over the limit is
    /// refused at once; otherwise it only sizes the buffer (the count, not the header, decides).
    pub fn new(limit: usize, declared: Option<&str>) -> Result<Self, BodyError> {
        let declared = declared.map(str::trim).filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        // All digits but beyond u64: certainly over the limit.
        let declared = declared.map(|v| v.parse::<u64>().unwrap_or(u64::MAX));
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(BodyError::TooLarge);
        }
        let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
        Ok(Self { limit, bytes: Vec::with_capacity(capacity) })
    }

    /// Adds a chunk of `len` bytes that `copy` writes into the slice it is handed (so the glue
    /// copies straight from JS memory), unless the total would pass the limit.
    pub fn push_with(&mut self, len: usize, copy: impl FnOnce(&mut [u8])) -> Result<(), BodyError> {
        let start = self.bytes.len();
        if len > self.limit - start {
            return Err(BodyError::TooLarge);
        }
        self.bytes.resize(start + len, 0);
        copy(&mut self.bytes[start..]);
        Ok(())
    }

    /// Adds a chunk, unless the total would pass the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), BodyError> {
        self.push_with(chunk.len(), |dst| dst.copy_from_slice(chunk))
    }

    /// Bytes held so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing has been read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The whole body.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(target_arch = "wasm32")]
mod glue {
    use super::{BodyError, Bounded};
    use worker::js_sys::{Reflect, Uint8Array};
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;
    use worker::web_sys::{ReadableStream, ReadableStreamDefaultReader};

    /// Reads `stream` (a request's or a response's body; `None` is empty) with a reader, chunk by
    /// chunk, keeping at most `limit` bytes. Over the limit (declared in `content_length`, or
    /// counted) the stream is cancelled and [`BodyError::TooLarge`] returned: at most the limit
    /// plus the one chunk in hand is ever held.
    pub async fn read(stream: Option<ReadableStream>, content_length: Option<&str>, limit: usize) -> Result<Vec<u8>, BodyError> {
        let Some(stream) = stream else { return Ok(Vec::new()) };
        let mut body = match Bounded::new(limit, content_length) {
            Ok(b) => b,
            Err(e) => {
                let _ = JsFuture::from(stream.cancel()).await;
                return Err(e);
            }
        };
        let reader = ReadableStreamDefaultReader::new(&stream).map_err(|_| BodyError::Unreadable)?;
        loop {
            let step = JsFuture::from(reader.read()).await.map_err(|_| BodyError::Unreadable)?;
            if Reflect::get(&step, &JsValue::from_str("done")).ok().and_then(|d| d.as_bool()) != Some(false) {
                return Ok(body.finish());
            }
            let chunk = Reflect::get(&step, &JsValue::from_str("value"))
                .ok()
                .and_then(|v| v.dyn_into::<Uint8Array>().ok())
                .ok_or(BodyError::Unreadable)?;
            let len = chunk.length() as usize;
            if let Err(e) = body.push_with(len, |dst| chunk.copy_to(dst)) {
                let _ = JsFuture::from(reader.cancel()).await;
                return Err(e);
            }
        }
    }

    /// A request's body, at most `limit` bytes (see [`read`]).
    pub async fn request(req: &worker::web_sys::Request, limit: usize) -> Result<Vec<u8>, BodyError> {
        let declared = req.headers().get("Content-Length").ok().flatten();
        read(req.body(), declared.as_deref(), limit).await
    }

    /// A fetched response's body, at most `limit` bytes (see [`read`]).
    pub async fn response(resp: &worker::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
        let declared = resp.headers().get("Content-Length").ok().flatten();
        let stream = match resp.body() {
            worker::ResponseBody::Stream(s) => Some(s.clone()),
            worker::ResponseBody::Body(b) if b.len() > limit => return Err(BodyError::TooLarge),
            worker::ResponseBody::Body(b) => return Ok(b.clone()),
            worker::ResponseBody::Empty => None,
        };
        read(stream, declared.as_deref(), limit).await
    }
}

#[cfg(target_arch = "wasm32")]
pub use glue::{read, request, response};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_within_the_limit_is_kept_whole() -> Result<(), BodyError> {
        let mut b = Bounded::new(10, None)?;
        b.push(b"hello")?;
        b.push(b"")?;
        b.push(b"world")?;
        assert_eq!(b.finish(), b"helloworld");
        Ok(())
    }

    #[test]
    fn the_chunk_that_passes_the_limit_is_refused_and_never_kept() -> Result<(), BodyError> {
        let mut b = Bounded::new(10, None)?;
        b.push(b"123456")?;
        assert_eq!(b.push(b"12345"), Err(BodyError::TooLarge));
        assert_eq!(b.len(), 6, "the refused chunk was not copied");
        let mut one = Bounded::new(4, None)?;
        assert_eq!(one.push(b"12345"), Err(BodyError::TooLarge), "limit + 1 in one chunk");
        Ok(())
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        assert_eq!(Bounded::new(10, Some("11")).err(), Some(BodyError::TooLarge));
        assert_eq!(Bounded::new(10, Some("99999999999999999999")).err(), Some(BodyError::TooLarge));
        assert!(Bounded::new(10, Some("10")).is_ok());
    }

    #[test]
    fn a_small_or_wrong_declared_length_does_not_lift_the_count() -> Result<(), BodyError> {
        // A Content-Length that understates the body (or is garbage) changes nothing: the count decides.
        for declared in [Some("2"), Some("x"), Some(""), None] {
            let mut b = Bounded::new(8, declared)?;
            b.push(b"12345678")?;
            assert_eq!(b.push(b"9"), Err(BodyError::TooLarge), "{declared:?}");
        }
        Ok(())
    }

    #[test]
    fn the_buffer_is_sized_by_the_declared_length_but_never_past_the_limit() -> Result<(), BodyError> {
        let b = Bounded::new(1 << 20, Some("100"))?;
        assert!(b.bytes.capacity() >= 100 && b.bytes.capacity() < 1 << 20);
        assert!(b.is_empty());
        Ok(())
    }
}
