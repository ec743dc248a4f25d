//! How object bytes are shown to a client (text or base64) and how etags are spelled.

use crate::mcp::resources::is_text_like;

/// How content is carried in a tool result or resource read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Text,
    Base64,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Text => "text",
            Encoding::Base64 => "base64",
        }
    }
}

/// Text for text-like content types whose bytes are UTF-8; base64 for everything else (binary
/// types, no type, or a "text" object that is not valid UTF-8). `bytes` is what will be shown,
/// already cut with [`utf8_cut`] when truncated.
pub fn encoding_for(content_type: Option<&str>, bytes: &[u8]) -> Encoding {
    if is_text_like(content_type) && std::str::from_utf8(bytes).is_ok() {
        Encoding::Text
    } else {
        Encoding::Base64
    }
}

/// Object bytes as a client receives them: UTF-8 text as it is, anything else in base64 (see
/// [`encoding_for`]). Built once per answer and moved into it, never copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Text(String),
    Base64(String),
}

impl Body {
    /// `bytes` (already cut with [`utf8_cut`] when truncated) for an object of `content_type`.
    pub fn of(content_type: Option<&str>, bytes: Vec<u8>) -> Body {
        use base64::Engine;
        match encoding_for(content_type, &bytes) {
            Encoding::Text => match String::from_utf8(bytes) {
                Ok(s) => Body::Text(s),
                Err(e) => Body::Base64(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
            },
            Encoding::Base64 => Body::Base64(base64::engine::general_purpose::STANDARD.encode(&bytes)),
        }
    }

    pub fn encoding(&self) -> Encoding {
        match self {
            Body::Text(_) => Encoding::Text,
            Body::Base64(_) => Encoding::Base64,
        }
    }
}

/// The longest prefix length ≤ `len` of `bytes` that does not split a UTF-8 sequence (only the
/// last 3 bytes can be a partial character). Used when text is cut at the inline limit.
pub fn utf8_cut(bytes: &[u8], len: usize) -> usize {
    let head = bytes.get(..len).unwrap_or(bytes);
    match std::str::from_utf8(head) {
        // An incomplete sequence at the very end (`error_len() == None`): cut before it.
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        // Valid, or invalid elsewhere (then it is shown as base64 anyway).
        _ => head.len(),
    }
}

/// An etag as clients may send it (`"abc"`, `W/"abc"`, `abc`) → R2's bare form.
pub fn normalize_etag(e: &str) -> &str {
    let e = e.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_like_utf8_is_text_and_everything_else_base64() {
        assert_eq!(encoding_for(Some("text/plain; charset=utf-8"), b"hi"), Encoding::Text);
        assert_eq!(encoding_for(Some("application/json"), b"{}"), Encoding::Text);
        assert_eq!(encoding_for(Some("text/plain"), &[0xff, 0xfe]), Encoding::Base64);
        assert_eq!(encoding_for(Some("image/png"), b"PNG"), Encoding::Base64);
        assert_eq!(encoding_for(None, b"hi"), Encoding::Base64);
    }

    #[test]
    fn body_moves_text_and_encodes_the_rest() {
        assert_eq!(Body::of(Some("text/plain"), "é".as_bytes().to_vec()), Body::Text("é".into()));
        assert_eq!(Body::of(Some("text/plain"), vec![0xff]), Body::Base64("/w==".into()));
        assert_eq!(Body::of(None, b"hi".to_vec()), Body::Base64("aGk=".into()));
        assert_eq!(Body::of(Some("application/json"), b"{}".to_vec()).encoding(), Encoding::Text);
    }

    #[test]
    fn utf8_cut_never_splits_a_character() {
        let s = "aé€😀".as_bytes(); // 1 + 2 + 3 + 4 bytes
        for len in 0..=s.len() {
            let cut = utf8_cut(s, len);
            assert!(cut <= len && std::str::from_utf8(&s[..cut]).is_ok(), "len {len} cut {cut}");
            assert!(len - cut < 4);
        }
        assert_eq!(utf8_cut(s, 2), 1);
        assert_eq!(utf8_cut(s, 3), 3);
        // Cutting at the end of a buffer that itself ends mid-character.
        let partial = &s[..s.len() - 1];
        assert_eq!(utf8_cut(partial, partial.len()), 6);
    }

    #[test]
    fn etags_are_accepted_quoted_weak_or_bare() {
        for e in ["abc", "\"abc\"", "W/\"abc\"", " abc "] {
            assert_eq!(normalize_etag(e), "abc");
        }
    }
}
