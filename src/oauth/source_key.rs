//! The key a request's source address is rate-limited under (registrations): an IPv4 address on
//! its own, an IPv6 address by its /64 (one subscriber usually holds a whole /64, so counting per
//! exact address would let one client register without limit).

use std::net::{Ipv4Addr, Ipv6Addr};

/// The key for `CF-Connecting-IP`: `a.b.c.d` for IPv4 (also when written IPv4-mapped, `::ffff:a.b.c.d`),
/// `h1:h2:h3:h4::/64` for IPv6, and `unknown` for anything else (no header, or not an address:
/// all such requests share one allowance).
pub fn rate_limit_key(source: Option<&str>) -> String {
    let Some(s) = source.map(str::trim) else { return "unknown".into() };
    if let Ok(v4) = s.parse::<Ipv4Addr>() {
        return v4.to_string();
    }
    match s.parse::<Ipv6Addr>() {
        Ok(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let h = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", h[0], h[1], h[2], h[3])
            }
        },
        Err(_) => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_addresses_are_counted_one_by_one() {
        assert_eq!(rate_limit_key(Some("203.0.113.7")), "203.0.113.7");
        assert_ne!(rate_limit_key(Some("203.0.113.7")), rate_limit_key(Some("203.0.113.8")));
        assert_eq!(rate_limit_key(Some("::ffff:203.0.113.7")), "203.0.113.7", "IPv4-mapped is the IPv4 address");
    }

    #[test]
    fn ipv6_addresses_are_counted_by_their_64() {
        let a = rate_limit_key(Some("2001:db8:1:2::1"));
        assert_eq!(a, "2001:db8:1:2::/64");
        for same in ["2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0DB8:0001:0002:0:0:0:abcd", "2001:db8:1:2:a:b:c:d"] {
            assert_eq!(rate_limit_key(Some(same)), a, "{same}");
        }
        assert_ne!(rate_limit_key(Some("2001:db8:1:3::1")), a, "the next /64 is another source");
        assert_eq!(rate_limit_key(Some("::1")), "0:0:0:0::/64");
    }

    #[test]
    fn anything_else_shares_one_key() {
        for bad in [None, Some(""), Some("local"), Some("1.2.3"), Some("2001:db8::1::2"), Some("[2001:db8::1]"), Some("1.2.3.4:80")] {
            assert_eq!(rate_limit_key(bad), "unknown", "{bad:?}");
        }
    }
}
