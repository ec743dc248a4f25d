//! Key and prefix checks beyond the engine's (`mcp::tool_args::validate_key`), applied again by
//! the glue before any R2 call, with the real namespace length.
//!
//! The namespace is enforced by construction (every R2 key is the prefix plus the user's key, and
//! R2 does not interpret `..` or normalise Unicode), so these rules are about keys that *look*
//! like escapes and would confuse people or other tools: look-alike dots and slashes (fullwidth,
//! one-dot leader, division slash, …) forming `..` segments or a leading slash, and overlong UTF-8
//! spellings of `.` and `/` once percent-decoded (`%c0%ae`).

use crate::mcp::tool_args;

/// Characters that render like `.`.
const DOT_LOOKALIKES: &[char] = &['\u{2024}', '\u{FE52}', '\u{FF0E}', '\u{3002}', '\u{FF61}'];
/// Characters that render like `/` or `\`.
const SLASH_LOOKALIKES: &[char] = &[
    '\u{2215}', '\u{2044}', '\u{29F8}', '\u{FF0F}', '\u{2571}', '\u{FE68}', '\u{FF3C}', '\u{29F5}',
    '\u{2216}',
];

/// A full key: the engine's rules, then ours.
pub fn check_key(key: &str, prefix_len: usize) -> Result<(), String> {
    tool_args::validate_key(key, prefix_len)?;
    check_lookalikes(key)
}

/// A list or completion prefix (may be empty or end in `/`).
pub fn check_prefix(prefix: &str, prefix_len: usize) -> Result<(), String> {
    if prefix.is_empty() {
        return Ok(());
    }
    tool_args::validate_prefix(prefix, prefix_len)?;
    check_lookalikes(prefix)
}

/// A list delimiter: one to eight characters, no control characters.
pub fn check_delimiter(d: &str) -> Result<(), String> {
    if d.is_empty() || d.chars().count() > 8 || d.chars().any(char::is_control) {
        return Err("the delimiter must be 1 to 8 printable characters".into());
    }
    Ok(())
}

fn check_lookalikes(s: &str) -> Result<(), String> {
    let folded: String = s
        .chars()
        .map(|c| {
            if DOT_LOOKALIKES.contains(&c) {
                '.'
            } else if SLASH_LOOKALIKES.contains(&c) {
                '/'
            } else {
                c
            }
        })
        .collect();
    if folded != s {
        if folded.starts_with(['/', '\\']) {
            return Err("it must not start with a slash look-alike".into());
        }
        if folded
            .split(['/', '\\'])
            .any(|seg| seg == "." || seg == "..")
        {
            return Err(
                "it must not contain . or .. segments spelled with look-alike characters".into(),
            );
        }
    }
    if has_overlong_utf8(s) {
        return Err("it contains an overlong UTF-8 percent-encoding".into());
    }
    Ok(())
}

/// True when percent-decoding yields an overlong UTF-8 lead byte (`C0`, `C1`, `E0 80..9F`,
/// `F0 80..8F`), the classic spelling of `.` and `/` that slips past naive decoders.
fn has_overlong_utf8(s: &str) -> bool {
    if !s.contains('%') {
        return false;
    }
    let mut text = s.as_bytes().to_vec();
    for _ in 0..3 {
        let decoded = percent_decode_bytes(&text);
        let overlong = decoded.windows(2).any(|w| match w {
            [0xC0 | 0xC1, _] => true,
            [0xE0, b] => *b < 0xA0,
            [0xF0, b] => *b < 0x90,
            _ => false,
        }) || decoded.last().is_some_and(|b| matches!(b, 0xC0 | 0xC1));
        if overlong {
            return true;
        }
        if decoded == text {
            break;
        }
        text = decoded;
    }
    false
}

fn percent_decode_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |j: usize| b.get(j).and_then(|x| (*x as char).to_digit(16));
        match (c, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::namespace::PREFIX_LEN;

    #[test]
    fn escapes_in_every_spelling_are_refused() {
        for k in [
            "..",
            "../other",
            "a/../../u/x",
            "/abs",
            "\\abs",
            "%2e%2e/x",
            "%2E%2e%2Fx",
            "%252e%252e/x",
            "%2fabs",
            "a\u{0}b",
            "a\rb",
            "\u{FF0E}\u{FF0E}/x",
            "a/\u{2024}\u{2024}/b",
            "\u{FE52}\u{FE52}",
            "\u{FF0F}abs",
            "\u{2215}abs",
            "a\u{2215}..\u{2215}b",
            "%c0%ae%c0%ae/x",
            "%C0%AF",
            "%e0%80%ae",
            "%25c0%25ae",
        ] {
            assert!(check_key(k, PREFIX_LEN).is_err(), "{k:?}");
        }
    }

    #[test]
    fn ordinary_and_unicode_keys_pass() {
        for k in [
            "a",
            "docs/readme.md",
            "x..y",
            ".env",
            "日本/語.txt",
            "a\u{FF0E}b",
            "100% sure",
            "a/b/",
        ] {
            assert!(check_key(k, PREFIX_LEN).is_ok(), "{k:?}");
        }
    }

    #[test]
    fn key_limit_counts_the_namespace() {
        assert!(check_key(&"k".repeat(1024 - PREFIX_LEN), PREFIX_LEN).is_ok());
        assert!(check_key(&"k".repeat(1025 - PREFIX_LEN), PREFIX_LEN).is_err());
    }

    #[test]
    fn prefixes_follow_the_same_rules_and_may_be_empty() {
        assert!(check_prefix("", PREFIX_LEN).is_ok());
        assert!(check_prefix("docs/", PREFIX_LEN).is_ok());
        for p in ["../", "/", "%2e%2e", "\u{FF0E}\u{FF0E}/"] {
            assert!(check_prefix(p, PREFIX_LEN).is_err(), "{p:?}");
        }
    }

    #[test]
    fn delimiters_are_short_and_printable() {
        assert!(check_delimiter("/").is_ok());
        assert!(
            check_delimiter("").is_err()
                && check_delimiter("\n").is_err()
                && check_delimiter("123456789").is_err()
        );
    }
}
