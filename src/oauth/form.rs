//! Strict `application/x-www-form-urlencoded` parsing and serialising: request bodies at
//! `/token`, `/revoke` and the consent form, query strings at `/authorize`, and the query of
//! every redirect we build.
//!
//! Parsing refuses what a lenient parser would guess at: invalid `%` escapes, invalid UTF-8 after
//! decoding, and repeated parameters (RFC 6749 §3.1: "Request and response parameters MUST NOT be
//! included more than once"). Empty values count as absent (RFC 6749 §3.1) but still count as a
//! repetition.

use super::errors::OAuthError;

/// Default bound for bodies and queries; callers may pass another.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// Why a form was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    TooLarge,
    /// `%` not followed by two hex digits.
    BadEscape,
    /// A name or value is not UTF-8 once decoded.
    BadUtf8,
    /// A parameter appears more than once (its name is kept).
    Duplicate(String),
    /// More than [`MAX_PARAMS`] parameters.
    TooManyParams,
}

/// More parameters than any OAuth request needs.
pub const MAX_PARAMS: usize = 64;

impl From<FormError> for OAuthError {
    fn from(e: FormError) -> Self {
        OAuthError::invalid_request(match e {
            FormError::TooLarge => "request too large".to_owned(),
            FormError::BadEscape => "malformed percent-encoding".to_owned(),
            FormError::BadUtf8 => "parameters must be UTF-8".to_owned(),
            FormError::Duplicate(n) => format!("parameter {n} repeated"),
            FormError::TooManyParams => "too many parameters".to_owned(),
        })
    }
}

/// A parsed form: parameters in order, names unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// The value of `name`, or `None` when absent or empty (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// True when `name` was sent, even with an empty value.
    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// All parameters in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// Parses `input` (a body, or a query without the leading `?`), refusing more than `max_len` bytes.
pub fn parse(input: &[u8], max_len: usize) -> Result<Form, FormError> {
    if input.len() > max_len {
        return Err(FormError::TooLarge);
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in input.split(|&b| b == b'&') {
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(i) => (part.get(..i).unwrap_or_default(), part.get(i + 1..).unwrap_or_default()),
            None => (part, &b""[..]),
        };
        let name = decode(name)?;
        let value = decode(value)?;
        if name.is_empty() {
            continue;
        }
        if pairs.iter().any(|(k, _)| *k == name) {
            return Err(FormError::Duplicate(name));
        }
        if pairs.len() >= MAX_PARAMS {
            return Err(FormError::TooManyParams);
        }
        pairs.push((name, value));
    }
    Ok(Form { pairs })
}

/// Percent-decodes one component, `+` meaning space.
pub fn decode(raw: &[u8]) -> Result<String, FormError> {
    let bytes = r2_mcp_wire::url::decode_strict(raw, true).ok_or(FormError::BadEscape)?;
    String::from_utf8(bytes).map_err(|_| FormError::BadUtf8)
}

// The encoder lives with the other URL helpers so the Durable Object's upstream refresh shares it.
pub use r2_mcp_wire::url::{encode, serialize};

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Form, FormError> {
        parse(s.as_bytes(), MAX_FORM_BYTES)
    }

    #[test]
    fn decodes_percent_escapes_and_plus_as_space() {
        let f = p("a=hello+world&b=%41%2b%20x&c=caf%C3%A9").unwrap_or_default();
        assert_eq!(f.get("a"), Some("hello world"));
        assert_eq!(f.get("b"), Some("A+ x"));
        assert_eq!(f.get("c"), Some("café"));
    }

    #[test]
    fn rfc6749_3_1_repeated_parameter_is_refused() {
        assert_eq!(p("a=1&a=2"), Err(FormError::Duplicate("a".into())));
        assert_eq!(p("a=&a=2"), Err(FormError::Duplicate("a".into())));
        // Encoded names are compared after decoding.
        assert_eq!(p("state=1&st%61te=2"), Err(FormError::Duplicate("state".into())));
    }

    #[test]
    fn rfc6749_3_1_empty_value_counts_as_absent() {
        let f = p("a=&b").unwrap_or_default();
        assert_eq!(f.get("a"), None);
        assert_eq!(f.get("b"), None);
        assert!(f.contains("a"));
    }

    #[test]
    fn invalid_escapes_are_refused() {
        for bad in ["a=%", "a=%4", "a=%zz", "a=%4g", "%=1"] {
            assert_eq!(p(bad), Err(FormError::BadEscape), "{bad}");
        }
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(p("a=%C3"), Err(FormError::BadUtf8));
        assert_eq!(p("a=%FF"), Err(FormError::BadUtf8));
        assert_eq!(parse(b"a=\xff", 100), Err(FormError::BadUtf8));
    }

    #[test]
    fn size_and_count_are_bounded() {
        assert_eq!(parse(b"a=12345", 4), Err(FormError::TooLarge));
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert_eq!(p(&many.join("&")), Err(FormError::TooManyParams));
    }

    #[test]
    fn empty_segments_and_names_are_skipped() {
        let f = p("&&a=1&=x&").unwrap_or_default();
        assert_eq!(f.pairs().len(), 1);
        assert_eq!(f.get("a"), Some("1"));
    }

    #[test]
    fn serialize_round_trips_through_parse() {
        let s = serialize(&[("state", "a b&c=d/é+%"), ("iss", "https://x.example")]);
        assert_eq!(s, "state=a%20b%26c%3Dd%2F%C3%A9%2B%25&iss=https%3A%2F%2Fx.example");
        let f = p(&s).unwrap_or_default();
        assert_eq!(f.get("state"), Some("a b&c=d/é+%"));
        assert_eq!(f.get("iss"), Some("https://x.example"));
    }

    #[test]
    fn oauth_error_from_form_error_is_invalid_request() {
        let e: OAuthError = FormError::Duplicate("code".into()).into();
        assert_eq!(e.code, crate::oauth::errors::ErrorCode::InvalidRequest);
    }
}
