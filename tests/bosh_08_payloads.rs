//! XEP-0124 §4 and §8 (sending and receiving payloads): the request queue,
//! the idle loop and the long poll.

mod bosh_cm;

use bosh_cm::*;
use std::time::Duration;

#[test]
fn s8_stanzas_queued_together_leave_in_one_body() {
    let mut n = Net::open(config(), CmConfig::full());
    let before = n.sent.len();
    for i in 0..5 {
        n.s.send(
            n.now,
            format!("<presence xmlns='jabber:client' id='p{i}'/>"),
        );
    }
    n.run();
    let new: Vec<_> = n.sent[before..]
        .iter()
        .filter(|t| t.body.contains("<presence"))
        .collect();
    assert_eq!(new.len(), 1, "one body");
    let b = parse(&new[0].body);
    let ids: Vec<_> = b
        .elements()
        .map(|e| e.attr("id").unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["p0", "p1", "p2", "p3", "p4"], "in order");
    n.assert_clean();
}

#[test]
fn s8_idle_interval_coalesces_then_flush_sends_now() {
    let mut c = config();
    c.idle_interval = Some(ms(100));
    let mut n = Net::open(c, CmConfig::full());
    let before = n.sent.len();
    n.send("<presence xmlns='jabber:client' id='a'/>");
    assert_eq!(n.sent.len(), before, "waits for the idle interval");
    n.now += ms(50);
    n.send("<presence xmlns='jabber:client' id='b'/>");
    assert_eq!(n.sent.len(), before);
    assert_eq!(n.s.poll_timeout(), Some(ms(100)));
    n.advance_to(ms(100));
    assert_eq!(n.sent.len(), before + 1);
    let last = &n.sent[before].body;
    assert!(last.contains("id='a'") && last.contains("id='b'"));
    n.send("<presence xmlns='jabber:client' id='c'/>");
    n.s.flush();
    n.run();
    assert!(
        n.sent.last().unwrap().body.contains("id='c'"),
        "flush skips the interval"
    );
}

#[test]
fn s4_s8_the_long_poll_leaves_from_the_response_handler() {
    // After creation, and after every response that leaves nothing held, the
    // next empty request leaves in the same drain: the clock never moves.
    let mut n = Net::open(config(), CmConfig::full());
    assert_eq!(n.now, Duration::ZERO);
    assert_eq!(
        n.cm.held_rids(),
        vec![RID + 1],
        "one empty request held after creation"
    );
    n.push("<message xmlns='jabber:client'/>");
    assert_eq!(
        n.cm.held_rids(),
        vec![RID + 2],
        "the answered poll was replaced at once"
    );
    assert_eq!(n.now, Duration::ZERO);
    assert!(parse(&n.sent.last().unwrap().body)
        .elements()
        .next()
        .is_none());
    n.assert_clean();
}

#[test]
fn s8_the_long_poll_follows_wait_expiry_immediately() {
    let mut n = Net::open(config(), CmConfig::full());
    n.advance(); // wait (60 s) runs out: the server answers empty
    assert_eq!(n.now, secs(60));
    assert_eq!(n.cm.held_rids(), vec![RID + 2]);
    n.assert_clean();
}

#[test]
fn s8_payloads_are_delivered_in_order_across_responses() {
    let mut n = Net::open(config(), CmConfig::full());
    for i in 0..20 {
        n.push(&format!("<message xmlns='jabber:client' id='m{i}'/>"));
    }
    let ids: Vec<_> = n
        .stanzas()
        .iter()
        .filter_map(|e| e.attr("id").map(str::to_owned))
        .collect();
    assert_eq!(ids, (0..20).map(|i| format!("m{i}")).collect::<Vec<_>>());
}

#[test]
fn s8_long_poll_can_be_turned_off() {
    let mut n = Net::new(config(), CmConfig::full());
    n.s.set_long_poll(false);
    n.run();
    assert_eq!(n.cm.held_rids(), Vec::<u64>::new());
    assert_eq!(n.sent.len(), 1);
}
