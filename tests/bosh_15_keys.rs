//! XEP-0124 §15 (Protecting Insecure Sessions): the optional key sequence.

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{Config, KeySeed, Session};
use xmpp_wasm::rand::XorShift;

fn keyed(n: u32) -> Config {
    let mut c = config();
    c.keys = Some(KeySeed::new([42; 20], n));
    c
}

#[test]
fn s15_no_keys_unless_configured() {
    let mut n = Net::open(config(), CmConfig::full());
    n.send("<message xmlns='jabber:client'/>");
    assert!(n.sent.iter().all(|t| !t.body.contains("key=")));
}

#[test]
fn s15_4_newkey_on_creation_then_each_key_hashes_to_the_previous_one() {
    let mut n = Net::open(keyed(50), CmConfig::full());
    let create = parse(&n.sent[0].body);
    let newkey = create
        .attr("newkey")
        .expect("K(n) on the creation request")
        .to_owned();
    assert_eq!(newkey.len(), 40);
    assert!(create.attr("key").is_none());
    for i in 0..10 {
        n.send(&format!("<message xmlns='jabber:client' id='{i}'/>"));
    }
    // The scripted server checks SHA-1(key) == previous key on every request.
    n.assert_clean();
    assert_eq!(n.cm.forwarded.len(), 10);
    let k1 = parse(&n.sent[1].body);
    assert_eq!(hex_sha1(k1.attr("key").unwrap().as_bytes()), newkey);
}

#[test]
fn s15_5_a_new_sequence_starts_when_k1_is_used() {
    let mut n = Net::open(keyed(3), CmConfig::full());
    for i in 0..12 {
        n.send(&format!("<message xmlns='jabber:client' id='{i}'/>"));
    }
    n.assert_clean();
    let switches: Vec<_> = n.sent[1..]
        .iter()
        .filter(|t| t.body.contains("newkey="))
        .collect();
    assert!(switches.len() >= 4, "{}", switches.len());
    for t in switches {
        let b = parse(&t.body);
        assert!(
            b.attr("key").is_some(),
            "K(1) of the old sequence rides with the new K(n)"
        );
    }
    assert_eq!(n.cm.forwarded.len(), 12);
}

#[test]
fn s15_keys_are_part_of_the_bytes_a_resend_repeats() {
    let mut n = Net::open(keyed(20), CmConfig::full());
    n.faults.push_back(Fault::Network);
    n.send("<message xmlns='jabber:client' id='m'/>");
    n.advance();
    let m: Vec<_> = n
        .sent
        .iter()
        .filter(|t| t.body.contains("id='m'"))
        .collect();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].body, m[1].body);
    n.send("<message xmlns='jabber:client' id='after'/>");
    n.assert_clean();
}

#[test]
fn s15_keys_continue_after_a_snapshot_restore() {
    let mut n = Net::open(keyed(20), CmConfig::full());
    n.send("<message xmlns='jabber:client' id='a'/>");
    let snap = n.s.snapshot().expect("open");
    let mut json = String::new();
    snap.write_json(&mut json);
    let back = xmpp_wasm::bosh::SessionSnapshot::from_json(&xmpp_wasm::json::parse(&json).unwrap())
        .unwrap();
    assert_eq!(back, snap, "{json}");
    // Valid JSON to another reader, in the format serde wrote before.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["next_rid"].as_u64(), Some(snap.next_rid));
    assert_eq!(v["keys"]["seed"]["seed"].as_array().map(Vec::len), Some(20));
    assert!(v["keys"]["seed"]["n"].as_u64().is_some(), "{json}");
    n.s = Session::restore(keyed(20), &back).expect("a valid snapshot");
    n.run();
    n.send("<message xmlns='jabber:client' id='b'/>");
    n.assert_clean();
}

#[test]
fn s15_3_seed_and_length_from_the_random_source() {
    let a = KeySeed::from_random(&mut XorShift::new(1));
    let b = KeySeed::from_random(&mut XorShift::new(2));
    assert_ne!(a, b);
    assert!((512..1024).contains(&a.len()));
    assert!(!format!("{a:?}").contains("42"), "Debug hides the seed");
}
