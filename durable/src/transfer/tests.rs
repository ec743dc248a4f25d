use super::*;
use crate::grants::token::{parse, routing_ok, routing_tag};

const UK: &str = "0123456789abcdef0123456789abcdef";
const OTHER: &str = "fedcba9876543210fedcba9876543210";
const ROUTING: RoutingKey = [7; 32];
const PREVIOUS: RoutingKey = [9; 32];
const MIB: u64 = 1024 * 1024;

fn link_under(routing: &RoutingKey, user: &str) -> String {
    mint(&link_key(routing, user), user, &[1; 16], &[2; 32]).unwrap().1
}

#[test]
fn a_link_minted_with_the_objects_key_is_accepted_by_the_workers_routing_key() {
    let t = link_under(&ROUTING, UK);
    let p = parse(&t).unwrap();
    assert_eq!(p.user_key, UK);
    assert!(link_ok(&[ROUTING], &p));
    assert!(link_ok(&[PREVIOUS, ROUTING], &p), "during a rotation the previous key is tried too");
    assert!(!link_ok(&[PREVIOUS], &p));
    assert!(!link_ok(&[], &p));
}

#[test]
fn a_link_is_not_a_bearer_token_and_a_bearer_token_is_not_a_link() {
    let link = link_under(&ROUTING, UK);
    assert!(!routing_ok(&[ROUTING], &parse(&link).unwrap()));
    let gid = token::new_grant_id(&[1; 16]);
    let tag = routing_tag(&ROUTING, UK, &gid);
    let bearer = token::mint(token::Routing { user_key: UK, grant_id: &gid, tag: &tag }, &[2; 32]).unwrap();
    assert!(!link_ok(&[ROUTING], &parse(&bearer).unwrap()));
}

#[test]
fn a_tag_routes_only_to_its_own_user_and_link() {
    let t = link_under(&ROUTING, UK);
    let p = parse(&t).unwrap();
    // Another user's key in front of this link's tag: refused.
    let moved = t.replacen(UK, OTHER, 1);
    assert!(!link_ok(&[ROUTING], &parse(&moved).unwrap()));
    // Another link id with this tag: refused.
    let other_id = format!("{UK}:{}:{}:{}", token::new_grant_id(&[3; 16]), p.tag, p.secret);
    assert!(!link_ok(&[ROUTING], &parse(&other_id).unwrap()));
    // A tag made with another user's link key, even for this user: refused.
    let wrong_key = mint(&link_key(&ROUTING, OTHER), UK, &[1; 16], &[2; 32]).unwrap().1;
    assert!(!link_ok(&[ROUTING], &parse(&wrong_key).unwrap()));
}

#[test]
fn link_keys_travel_as_base64url() {
    let k = link_key(&ROUTING, UK);
    assert_eq!(decode_link_key(&encode_link_key(&k)), Some(k));
    assert_eq!(decode_link_key("short"), None);
    assert_ne!(link_key(&ROUTING, UK), link_key(&ROUTING, OTHER));
}

fn link(kind: Kind) -> Link {
    Link { link_id: "id".into(), grant_id: "g".into(), kind, key: "a/b.bin".into(), expires_ms: 10_000, record: LinkRecord::default() }
}

#[test]
fn a_link_is_usable_only_for_its_kind_before_its_expiry_while_its_grant_stands() {
    let l = link(Kind::Download);
    assert_eq!(check_use(&l, Kind::Download, 9_999, true), Ok(()));
    assert_eq!(check_use(&l, Kind::Download, 10_000, true).unwrap_err().status(), 410);
    assert_eq!(check_use(&l, Kind::Download, 5, false).unwrap_err().status(), 410, "its grant ended");
    assert_eq!(check_use(&l, Kind::Upload, 5, true), Err(LinkError::WrongMethod { kind: Kind::Download }));
    let mut u = link(Kind::Upload);
    u.record.used = true;
    assert_eq!(check_use(&u, Kind::Upload, 5, true), Err(LinkError::Used));
}

#[test]
fn every_refusal_says_what_to_do() {
    for e in [
        LinkError::Unknown,
        LinkError::Expired { at_ms: 0, kind: Kind::Upload },
        LinkError::Used,
        LinkError::WrongMethod { kind: Kind::Upload },
        LinkError::WrongMethod { kind: Kind::Download },
    ] {
        let m = e.message();
        assert!(m.contains("create_") || m.contains("curl"), "{m}");
        assert!((400..500).contains(&e.status()));
    }
}

#[test]
fn expiry_defaults_to_15_minutes_and_stays_within_a_day() {
    assert_eq!(expires_in(None, "t"), Ok(900));
    assert_eq!(expires_in(Some(86_400), "t"), Ok(86_400));
    assert!(expires_in(Some(86_401), "t").is_err());
    assert!(expires_in(Some(0), "t").is_err());
}

#[test]
fn downloads_are_recorded_first_then_at_most_once_a_minute() {
    let mut r = LinkRecord::default();
    assert!(download_audit_due(&r, 1_000));
    r.last_audit_ms = 1_000;
    assert!(!download_audit_due(&r, 60_999));
    assert!(download_audit_due(&r, 61_000));
}

fn parts(sizes: &[u64]) -> Vec<Part> {
    sizes.iter().enumerate().map(|(i, s)| Part { number: i as u16 + 1, etag: format!("e{i}"), size: *s }).collect()
}

#[test]
fn parts_make_an_object_when_numbered_without_gaps_and_uniform_but_the_last() {
    assert_eq!(plan(&parts(&[95 * MIB, 95 * MIB, 60 * MIB]), None), Ok(250 * MIB));
    assert_eq!(plan(&parts(&[3]), None), Ok(3), "one small part is a whole object");
    assert_eq!(plan(&parts(&[0]), None), Ok(0));
    assert!(plan(&[], None).unwrap_err().contains("No part"));
    let mut gap = parts(&[6 * MIB, 6 * MIB, 1]);
    gap.remove(1);
    assert!(plan(&gap, None).unwrap_err().contains("Part 2 is missing"));
    assert!(plan(&parts(&[6 * MIB, 7 * MIB, 1]), None).unwrap_err().contains("same size"));
    assert!(plan(&parts(&[MIB, MIB]), None).unwrap_err().contains("at least"));
    assert!(plan(&parts(&[6 * MIB, 7 * MIB]), None).unwrap_err().contains("larger"));
    assert!(plan(&parts(&[6 * MIB, MIB]), Some(6 * MIB)).unwrap_err().contains("at most"));
}

#[test]
fn a_part_is_refused_past_the_links_size_limit_or_outside_1_to_10000() {
    let mut l = link(Kind::Upload);
    l.record.max_size = Some(10 * MIB);
    assert!(check_part(&l, 1, 10 * MIB, 0).is_ok());
    assert_eq!(check_part(&l, 2, 6 * MIB, 5 * MIB).unwrap_err().status(), 413);
    assert_eq!(check_part(&l, 0, 1, 0).unwrap_err().status(), 400);
    assert_eq!(check_part(&l, 10_001, 1, 0).unwrap_err().status(), 400);
}

#[test]
fn commands_quote_what_the_shell_would_split() {
    assert_eq!(download_command("a/b.bin", "https://h/transfer/t"), "curl -fLo b.bin 'https://h/transfer/t'");
    assert_eq!(download_command("a/it's here.txt", "u"), "curl -fLo 'it'\\''s here.txt' 'u'");
    assert_eq!(file_name("dir/"), "dir");
    assert_eq!(file_name("x/.."), "download");
    assert!(parts_commands("u").contains("?complete"));
}
