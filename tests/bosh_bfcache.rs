//! A page frozen in the back-forward cache and shown again: every attempt
//! that was on the wire is lost at once, its answer unread
//! ([`Session::handle_all_lost`]). The session resends what is unanswered,
//! byte for byte, at once; new rids leave with them, without waiting; a pause
//! request is not resent (XEP-0124 §14.3: its answer is not buffered).

mod bosh_cm;

use bosh_cm::*;

/// The page is frozen: answers the server sends meanwhile never reach the
/// session (the shell drops them).
fn freeze(n: &mut Net) {
    n.park = true;
}

/// The page runs again: what was answered while frozen is gone.
fn thaw(n: &mut Net) {
    n.parked.clear();
    n.park = false;
}

#[test]
fn answered_while_frozen_the_long_poll_is_resent_at_once_and_replayed() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    let held = n.cm.held_rids();
    assert_eq!(held.len(), 1, "the long poll is held");
    let poll = n.sent.last().unwrap().clone();
    assert_eq!(poll.rid, held[0]);
    freeze(&mut n);
    n.push("<message xmlns='jabber:client' id='while-frozen'/>");
    assert_eq!(n.parked.len(), 1, "the server answered the long poll");
    n.advance_until(n.now + secs(3));
    thaw(&mut n);
    let before = n.sent.len();

    n.s.handle_all_lost(n.now);
    n.s.send(
        n.now,
        "<message xmlns='jabber:client' id='at-once'/>".into(),
    );
    n.run();

    let after = &n.sent[before..];
    assert!(!after.is_empty());
    assert_eq!(
        (after[0].rid, &after[0].body),
        (poll.rid, &poll.body),
        "the lost long poll leaves first, same rid, same bytes, no backoff"
    );
    assert!(
        n.cm.forwarded.iter().any(|f| f.contains("at-once")),
        "the new message reached the server without any time passing"
    );
    let ids: Vec<_> = n
        .stanzas()
        .iter()
        .filter_map(|s| s.attr("id").map(str::to_owned))
        .collect();
    assert_eq!(
        ids.iter().filter(|i| *i == "while-frozen").count(),
        1,
        "the answer dropped while frozen is replayed and delivered once: {ids:?}"
    );
    n.assert_clean();
    // The session goes on: one long poll held again.
    assert_eq!(n.cm.held_rids().len(), 1);
    assert!(n.s.is_open());
}

#[test]
fn held_while_frozen_the_new_rid_leaves_with_the_resend() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    let poll = n.sent.last().unwrap().clone();
    freeze(&mut n);
    n.advance_until(n.now + secs(2));
    thaw(&mut n);
    let before = n.sent.len();

    n.s.handle_all_lost(n.now);
    n.s.send(
        n.now,
        "<message xmlns='jabber:client' id='at-once'/>".into(),
    );
    let round = n.drain();
    assert_eq!(round.len(), 2, "the resend and the message: {round:?}");
    assert_eq!((round[0].rid, &round[0].body), (poll.rid, &poll.body));
    assert_eq!(round[1].rid, poll.rid + 1);
    assert!(round[1].body.contains("at-once"));
    // The server still holds the rid: the resend takes its place, and the
    // message's rid answers it.
    for t in &round {
        n.deliver(t);
    }
    n.run();
    assert_eq!(
        n.sent.len(),
        before + 2,
        "nothing more: the message's request stays held as the long poll"
    );
    assert!(n.cm.forwarded.iter().any(|f| f.contains("at-once")));
    n.assert_clean();
    assert!(n.s.is_open());
}

#[test]
fn a_lost_pause_request_is_not_resent() {
    let mut n = Net::open(config(), CmConfig::full());
    let poll = n.sent.last().unwrap().clone();
    n.s.pause_session(n.now, 60).expect("maxpause advertised");
    freeze(&mut n);
    n.run();
    let pause = n.sent.last().unwrap().clone();
    assert!(pause.body.contains("pause='60'"));
    assert_eq!(pause.rid, poll.rid + 1);
    assert_eq!(n.cm.pauses, vec![60]);
    thaw(&mut n);
    let before = n.sent.len();

    n.s.handle_all_lost(n.now);
    n.s.resume();
    n.s.send(n.now, "<message xmlns='jabber:client' id='after'/>".into());
    n.run();

    let after = &n.sent[before..];
    assert!(
        after.iter().all(|t| t.rid != pause.rid),
        "the pause request is not resent: {after:?}"
    );
    assert!(
        after
            .iter()
            .any(|t| t.rid == poll.rid && t.body == poll.body),
        "the long poll answered by the pause is resent and replayed"
    );
    assert!(n.cm.forwarded.iter().any(|f| f.contains("after")));
    assert_eq!(
        n.sent.iter().filter(|t| t.rid == pause.rid + 1).count(),
        1,
        "new rids go on after the pause rid"
    );
    n.assert_clean();
    assert!(n.s.is_open());
}

#[test]
fn nothing_on_the_wire_nothing_resent() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    n.s.set_long_poll(false);
    // Let the held poll come back empty after `wait`; nothing follows.
    n.advance_until(n.now + secs(70));
    assert_eq!(n.s.outstanding(), 0);
    let before = n.sent.len();
    n.s.handle_all_lost(n.now);
    n.run();
    assert_eq!(n.sent.len(), before);
    n.s.send(n.now, "<message xmlns='jabber:client' id='m'/>".into());
    n.run();
    assert_eq!(n.sent.len(), before + 1, "no gate without resends");
    n.assert_clean();
}
