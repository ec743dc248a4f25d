//! The per-user namespace: every R2 key of a user is `u/<user_key>/<key>`, where `user_key` is the
//! 32-hex key naming the user's Durable Object (derived from the upstream issuer and subject by
//! the front Worker, never from anything the MCP client sends). Keys going out are stripped of the
//! prefix; an R2 key outside the prefix is never shown.

use crate::grants::token::is_user_key;

/// One user's namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    prefix: String,
}

/// Byte length of every namespace prefix (`u/` + 32 hex + `/`), counted against R2's key limit.
pub const PREFIX_LEN: usize = 2 + 32 + 1;

impl Namespace {
    /// The namespace of the user with this object key; `None` unless it is 32 lowercase hex, so a
    /// malformed caller can never produce an empty or overlapping prefix.
    pub fn for_user(user_key: &str) -> Option<Namespace> {
        is_user_key(user_key).then(|| Namespace { prefix: format!("u/{user_key}/") })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn prefix_len(&self) -> usize {
        self.prefix.len()
    }

    /// The R2 key for a user key (or a list prefix, possibly empty).
    pub fn to_r2(&self, key: &str) -> String {
        let mut s = String::with_capacity(self.prefix.len() + key.len());
        s.push_str(&self.prefix);
        s.push_str(key);
        s
    }

    /// The user key of an R2 key; `None` for keys outside this namespace (never shown).
    pub fn from_r2<'a>(&self, r2_key: &'a str) -> Option<&'a str> {
        r2_key.strip_prefix(self.prefix.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn prefix_comes_only_from_a_well_formed_user_key() {
        let ns = Namespace::for_user(A).unwrap();
        assert_eq!(ns.prefix(), format!("u/{A}/"));
        assert_eq!(ns.prefix_len(), PREFIX_LEN);
        for bad in ["", "u", "../x", &A.to_uppercase(), &format!("{A}/"), &A[..31]] {
            assert!(Namespace::for_user(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn keys_map_in_and_out_and_foreign_keys_are_dropped() {
        let a = Namespace::for_user(A).unwrap();
        let b = Namespace::for_user(B).unwrap();
        let r2 = a.to_r2("notes/x.md");
        assert_eq!(a.from_r2(&r2), Some("notes/x.md"));
        assert_eq!(b.from_r2(&r2), None, "user B never sees user A's keys");
        assert_eq!(a.to_r2(""), a.prefix());
    }

    #[test]
    fn no_user_prefix_is_a_prefix_of_another() {
        // Fixed length and a trailing `/`: `u/<A>/` can never start `u/<B>/`.
        let a = Namespace::for_user(A).unwrap();
        let b = Namespace::for_user(B).unwrap();
        assert!(!a.prefix().starts_with(b.prefix()) && !b.prefix().starts_with(a.prefix()));
    }
}
