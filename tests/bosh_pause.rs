//! `pause()` / `resume()` (the client's own pause, not a spec section): what
//! leaves and what waits.

mod bosh_cm;

use bosh_cm::*;

#[test]
fn paused_the_queue_keeps_filling_and_nothing_new_leaves() {
    let mut n = Net::open(config(), CmConfig::full());
    n.s.pause();
    assert!(n.s.is_paused());
    let before = n.sent.len();
    for i in 0..10 {
        n.s.send(n.now, format!("<message xmlns='jabber:client' id='{i}'/>"));
    }
    n.push("<presence xmlns='jabber:client'/>"); // frees the held poll
    assert_eq!(n.sent.len(), before, "no body, not even the long poll");
    assert_eq!(n.s.queued().len(), 10);
}

#[test]
fn ten_stanzas_sent_while_paused_leave_in_one_request_after_resume() {
    let mut n = Net::open(config(), CmConfig::full());
    n.s.pause();
    for i in 0..10 {
        n.s.send(n.now, format!("<message xmlns='jabber:client' id='{i}'/>"));
    }
    n.run();
    let before = n.sent.len();
    n.s.resume();
    assert!(!n.s.is_paused());
    n.run();
    let with_payload: Vec<_> = n.sent[before..]
        .iter()
        .filter(|t| t.body.contains("<message"))
        .collect();
    assert_eq!(with_payload.len(), 1);
    assert_eq!(parse(&with_payload[0].body).elements().count(), 10);
    n.assert_clean();
}

#[test]
fn a_resend_of_a_rid_already_sent_still_leaves_while_paused_and_carries_nothing_new() {
    let mut n = Net::open(config(), CmConfig::full());
    n.faults.push_back(Fault::Network);
    n.send("<message xmlns='jabber:client' id='sent'/>");
    let first = n.sent.last().unwrap().clone();
    n.s.pause();
    n.s.send(n.now, "<message xmlns='jabber:client' id='queued'/>".into());
    n.advance(); // the backoff runs out
    let resend = n.sent.last().unwrap();
    assert_eq!(
        (resend.rid, &resend.body),
        (first.rid, &first.body),
        "same rid, same bytes"
    );
    assert!(!resend.body.contains("queued"));
    assert!(
        n.sent.iter().all(|t| t.rid <= first.rid),
        "no new rid while paused"
    );
    assert_eq!(n.s.queued().len(), 1);
    n.assert_clean();
}

#[test]
fn resume_without_a_queue_restarts_the_long_poll() {
    let mut n = Net::open(config(), CmConfig::full());
    n.s.pause();
    n.push("<presence xmlns='jabber:client'/>");
    assert!(n.cm.held_rids().is_empty());
    n.s.resume();
    n.run();
    assert_eq!(n.cm.held_rids().len(), 1);
    n.assert_clean();
}
