//! Object keys and list prefixes: the one place they are put in canonical form and checked,
//! before any of them reaches R2, the write queue, the etag memo or the audit trail.
//!
//! Every key and prefix is first put in Unicode NFC ([`canonical`]), the form R2 stores keys in:
//! `café` spelled with U+00E9 or with `e` + U+0301 is one object in R2, so it is one key everywhere
//! in the server too, whatever the local R2 simulator does. The normalizer is passed in
//! ([`Nfc`]): the Worker uses the runtime's `String.prototype.normalize`, so no Unicode tables ship
//! in the wasm.
//!
//! Then the checks ([`check_key`], [`check_prefix`]): non-empty; with the namespace prefix at most
//! R2's 1024 bytes; no control characters; no way out of the namespace — no leading `/` or `\`, no
//! `.`/`..` segment, also once percent-decoded (`%2e%2e`, `%252e`). The namespace is enforced by
//! construction (every R2 key is the prefix plus the user's key, and R2 does not interpret `..`),
//! so the rest are about keys that *look* like escapes and would confuse people or other tools:
//! look-alike dots and slashes (fullwidth, one-dot leader, division slash, …) forming `..`
//! segments or a leading slash, and overlong UTF-8 spellings of `.` and `/` once percent-decoded
//! (`%c0%ae`). Nothing here names the user's prefix: the R2 layer prepends it.

/// R2's key limit, including the namespace prefix.
pub const MAX_R2_KEY_BYTES: usize = 1024;

/// A Unicode NFC normalizer (the runtime's, in the Worker).
pub type Nfc = fn(&str) -> String;

/// `s` in NFC. Text whose characters are all below U+0300 (ASCII, Latin-1 and the rest of the
/// first blocks, none of which compose) is already NFC and is returned without calling `nfc`.
pub fn canonical(s: String, nfc: Nfc) -> String {
    if s.chars().all(|c| u32::from(c) < 0x300) {
        s
    } else {
        nfc(&s)
    }
}

/// The key rules of one namespace: its prefix length and the NFC normalizer.
#[derive(Clone, Copy, Debug)]
pub struct KeyRules {
    /// Byte length of the user's namespace prefix (counted against R2's key limit).
    pub prefix_len: usize,
    pub nfc: Nfc,
}

impl KeyRules {
    /// A key in NFC, if it passes [`check_key`]; else why not.
    pub fn key(&self, key: String) -> Result<String, String> {
        let key = canonical(key, self.nfc);
        check_key(&key, self.prefix_len)?;
        Ok(key)
    }

    /// A list or completion prefix in NFC (empty allowed), if it passes [`check_prefix`].
    pub fn prefix(&self, prefix: String) -> Result<String, String> {
        let prefix = canonical(prefix, self.nfc);
        check_prefix(&prefix, self.prefix_len)?;
        Ok(prefix)
    }
}

/// A full key (already in NFC): every rule above.
pub fn check_key(key: &str, prefix_len: usize) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    check_text(key, prefix_len)?;
    if key.ends_with('/') && key.trim_end_matches('/').is_empty() {
        return Err("the key has no name".into());
    }
    check_lookalikes(key)
}

/// A list or completion prefix (already in NFC): may be empty or end in `/`.
pub fn check_prefix(prefix: &str, prefix_len: usize) -> Result<(), String> {
    if prefix.is_empty() {
        return Ok(());
    }
    check_text(prefix, prefix_len)?;
    check_lookalikes(prefix)
}

/// A list delimiter: one to eight characters, no control characters.
pub fn check_delimiter(d: &str) -> Result<(), String> {
    if d.is_empty() || d.chars().count() > 8 || d.chars().any(char::is_control) {
        return Err("the delimiter must be 1 to 8 printable characters".into());
    }
    Ok(())
}

/// Length with the prefix; no control characters, leading `/` or `\`, or `.`/`..` segment, in
/// the text and once percent-decoded (up to three rounds, catching `%2e%2e` and `%252e`).
fn check_text(p: &str, prefix_len: usize) -> Result<(), String> {
    if p.len().saturating_add(prefix_len) > MAX_R2_KEY_BYTES {
        return Err(format!("it is {} bytes; keys may be at most {} bytes", p.len(), MAX_R2_KEY_BYTES.saturating_sub(prefix_len)));
    }
    let mut text = p.to_owned();
    for _ in 0..4 {
        if text.chars().any(|c| c.is_control()) {
            return Err("it contains control characters".into());
        }
        if text.starts_with('/') || text.starts_with('\\') {
            return Err("it must not start with / or \\".into());
        }
        if text.split(['/', '\\']).any(|seg| seg == "." || seg == "..") {
            return Err("it must not contain . or .. path segments".into());
        }
        match percent_decode(&text) {
            Some(d) if d != text => text = d,
            _ => break,
        }
    }
    Ok(())
}

/// Percent-decodes; `None` when there is no `%`. Bytes that are not UTF-8 become U+FFFD rather
/// than ending the check: one undecodable escape (`%ff`) must not hide an encoded `..` or control
/// character elsewhere in the key (found by the `object_keys` fuzz target).
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    Some(String::from_utf8_lossy(&percent_decode_bytes(s.as_bytes())).into_owned())
}

/// Characters that render like `.`.
const DOT_LOOKALIKES: &[char] = &['\u{2024}', '\u{FE52}', '\u{FF0E}', '\u{3002}', '\u{FF61}'];
/// Characters that render like `/` or `\`.
const SLASH_LOOKALIKES: &[char] =
    &['\u{2215}', '\u{2044}', '\u{29F8}', '\u{FF0F}', '\u{2571}', '\u{FE68}', '\u{FF3C}', '\u{29F5}', '\u{2216}'];

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
        if folded.split(['/', '\\']).any(|seg| seg == "." || seg == "..") {
            return Err("it must not contain . or .. segments spelled with look-alike characters".into());
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
    r2_mcp_wire::url::decode_lenient(b)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;
    use crate::storage::namespace::PREFIX_LEN;

    /// NFC as the runtime's `String.prototype.normalize("NFC")` does it.
    fn nfc(s: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        s.nfc().collect()
    }

    #[test]
    fn keys_escaping_the_namespace_are_refused_in_every_spelling() {
        for k in [
            "/etc",
            "\\x",
            "..",
            "a/../b",
            "a/./b",
            "%2e%2e/x",
            "%2E%2E",
            "a/%2e%2e",
            "%252e%252e/x",
            "%2fetc",
            "a\\..\\b",
            "a\u{0}b",
            "a\nb",
            "\u{85}",
        ] {
            assert!(check_key(k, 10).is_err(), "{k:?}");
        }
    }

    #[test]
    fn ordinary_keys_pass() {
        for k in ["a", "docs/readme.md", "x..y", ".hidden", "a/b/", "100% sure", "é/ü"] {
            assert!(check_key(k, 10).is_ok(), "{k:?}");
        }
    }

    #[test]
    fn key_length_counts_the_namespace_prefix() {
        let k = "k".repeat(1000);
        assert!(check_key(&k, 24).is_ok());
        assert!(check_key(&k, 25).is_err());
        assert!(check_key("", 0).is_err());
    }

    #[test]
    fn undecodable_escape_does_not_hide_dot_segments_or_control_characters() {
        // Found by fuzzing (object_keys): `%d0a` decodes to bytes that are not UTF-8, which used to
        // stop the percent-decoding rounds, so the encoded DEL and `..` after it went unchecked.
        for k in ["n/%d0ab/%7F", "a/%ff/%2e%2e/b", "%2e%2e/%c3", "%ff/%2e%2e", "x/%80/%0a", "%252e%252e/%ff"] {
            assert!(check_key(k, 10).is_err(), "{k:?}");
            assert!(check_prefix(k, 10).is_err(), "{k:?}");
        }
        // Undecodable escapes alone are still ordinary (if odd) key text.
        for k in ["caf%e9", "%ff", "a/%d0ab/c"] {
            assert!(check_key(k, 10).is_ok(), "{k:?}");
        }
    }

    #[test]
    fn rules_give_keys_and_prefixes_back_in_nfc() {
        let rules = KeyRules { prefix_len: PREFIX_LEN, nfc };
        assert_eq!(rules.key("cafe\u{301}/x".into()).unwrap(), "caf\u{e9}/x");
        assert_eq!(rules.prefix("A\u{30a}/".into()).unwrap(), "\u{c5}/");
        assert_eq!(rules.prefix(String::new()).unwrap(), "");
        assert!(rules.key("\u{FF0E}\u{FF0E}/x".into()).is_err());
        assert!(rules.prefix("../".into()).is_err());
    }

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
        for k in ["a", "docs/readme.md", "x..y", ".env", "日本/語.txt", "a\u{FF0E}b", "100% sure", "a/b/"] {
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
        assert!(check_delimiter("").is_err() && check_delimiter("\n").is_err() && check_delimiter("123456789").is_err());
    }
}
