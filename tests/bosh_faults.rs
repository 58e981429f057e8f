//! Recovery from lost responses (XEP-0124 §14.3): how soon a failed request
//! is resent, and how long the session holds on.
//!
//! The backoff before a resend counts the *consecutive* failures of one rid:
//! failures with no sign of life in between. It starts over when the server
//! answered anything (a 200 to any request) since that rid last failed, or
//! when the failed attempt had stayed on the wire at least as long as the
//! longest backoff step (the server had taken it: a held long poll cut by a
//! proxy's idle timeout). Only an unbroken run of failures — a server or
//! network that is down — grows it (250 ms, 500 ms, 1 s, 2 s, 4 s) and ends
//! the session after `max_retries` resends.

mod bosh_cm;

use bosh_cm::*;
use std::time::Duration;
use xmpp_wasm::bosh::{Event, Session, SessionParams, Transmit, REPLAY_TIMEOUT};

fn params() -> SessionParams {
    SessionParams {
        sid: "s".into(),
        wait: 60,
        requests: 2,
        hold: 1,
        ..Default::default()
    }
}

fn msg(i: usize) -> String {
    format!("<message xmlns='jabber:client' id='m{i}'><body>{i}</body></message>")
}

/// The next transmit of `rid` at or after `from`, stepping the session's
/// own timer (nothing else happens meanwhile).
fn next_attempt(s: &mut Session, from: Duration, rid: u64) -> (Duration, Transmit) {
    let mut now = from;
    for _ in 0..100 {
        if let Some(t) = s.poll_transmit(now) {
            assert_eq!(t.rid, rid, "only the resend leaves");
            return (now, t);
        }
        now = s.poll_timeout().expect("a timer for the resend");
        s.handle_timeout(now);
    }
    panic!("rid {rid} was not resent");
}

/// A rid whose response is dropped twice, with the server answering the next
/// rid in between: the second failure is a separate one (the server is
/// there), so its resend waits the first backoff step again, not twice it.
#[test]
fn s14_3_a_second_separate_failure_of_one_rid_waits_the_first_backoff_step_again() {
    let mut s = Session::attached(config(), params(), 10);
    let poll = s.poll_transmit(ms(0)).expect("long poll");
    s.send(ms(0), msg(1));
    let message = s.poll_transmit(ms(0)).expect("the message's request");
    assert_eq!((poll.rid, message.rid), (10, 11));
    // The server answered rid 10 (the message released it); the answer is
    // dropped on its way.
    s.handle_transport_error(ms(10), poll.id);
    // Rid 11's answer arrives: the server is alive.
    s.handle_response(ms(20), message.id, 200, &resp("", ""));
    let (at, resend) = next_attempt(&mut s, ms(20), 10);
    assert_eq!(at, ms(260), "first failure: 250 ms");
    // The resend's answer is dropped too (a separate fault).
    s.handle_transport_error(ms(270), resend.id);
    let (at, resend) = next_attempt(&mut s, ms(270), 10);
    assert_eq!(
        at - ms(270),
        ms(250),
        "a separate failure starts the backoff over"
    );
    s.handle_response(at, resend.id, 200, &resp("", ""));
    let processed: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(
        processed,
        [Event::Processed { rid: 10 }, Event::Processed { rid: 11 }]
    );
}

/// A long poll held by the server is cut again and again by something in
/// between (a proxy or NAT with an idle timeout below `wait`); each resend
/// reaches the server, which holds it again. Each cut is a failure of its
/// own: the resend leaves after the first backoff step every time, and the
/// session lives on — `max_retries` counts consecutive failures, not the
/// cuts of a whole idle hour.
#[test]
fn s14_3_a_held_long_poll_cut_every_9_s_is_resent_after_250_ms_each_time_and_lives_on() {
    let mut n = Net::open(config(), CmConfig::full());
    let mut delays = Vec::new();
    for _ in 0..10 {
        n.advance_to(n.now + secs(9));
        let held = n.cm.held_rids();
        assert_eq!(held.len(), 1, "the long poll is held");
        let attempt = n
            .sent
            .iter()
            .rev()
            .find(|t| t.rid == held[0])
            .unwrap()
            .clone();
        // The connection is cut; the server does not notice (ejabberd).
        n.s.handle_transport_error(n.now, attempt.id);
        let cut = n.now;
        let before = n.sent.len();
        while n.sent.len() == before {
            assert!(n.advance(), "nothing left to do");
        }
        assert_eq!(n.sent[before].rid, attempt.rid, "the same rid is resent");
        delays.push(n.now - cut);
    }
    assert_eq!(delays, vec![ms(250); 10]);
    assert_eq!(n.closed(), None, "the session lives on");
    n.push(&msg(1));
    let got = n.stanzas();
    assert!(got.last().is_some_and(|m| m.attr("id") == Some("m1")));
    n.assert_clean();
}

/// What the browser suite (tests/js/faults.test.mjs) does, on the fake
/// clock: messages both ways at 30/s while every 15th response is dropped
/// after the server processed the request: nothing lost, nothing twice, no
/// rule of the connection manager broken.
#[test]
fn s14_3_messages_both_ways_at_30_per_s_with_dropped_responses_lose_nothing() {
    for cm in [CmConfig::prosody_012(), CmConfig::full()] {
        let mut n = Net::open(config(), cm);
        let start = n.now;
        for i in 0..300usize {
            n.advance_until(start + ms(33 * i as u64));
            if i % 15 == 7 {
                n.faults.push_back(Fault::ResponseDropped);
            }
            n.send(&msg(i));
            n.push(&msg(1000 + i));
        }
        n.advance_until(n.now + secs(5));
        let got = n
            .stanzas()
            .iter()
            .filter(|s| s.local_name() == "message")
            .count();
        assert_eq!(got, 300, "every message pushed arrived once");
        assert_eq!(
            n.cm.forwarded.len(),
            300,
            "every message sent was forwarded once"
        );
        assert_eq!(n.closed(), None);
        n.assert_clean();
    }
}

/// An answer lost without a trace (no error: the connection just never
/// delivers it). With `hold` = 1 the server answers its requests in rid
/// order, so once the answer to a later rid arrives, the earlier one was
/// sent too: if it is still missing a backoff step later, it is lost, and
/// the rid is resent then (the server replays it from its buffer) — not at
/// its deadline, 1.1 × `wait` + 2 s after it left.
#[test]
fn s14_3_a_silently_lost_answer_is_resent_one_backoff_step_after_a_later_answer() {
    for cm in [CmConfig::prosody_012(), CmConfig::full()] {
        let mut n = Net::open(config(), cm);
        let held = n.cm.held_rids()[0];
        let poll = n.sent.iter().rev().find(|t| t.rid == held).unwrap().clone();
        n.lost.push(poll.id);
        // The message's request makes the server answer the poll (lost) and
        // hold the message's request.
        n.send(&msg(1));
        // Something for the client: the server answers the newer request.
        n.push(&msg(2));
        let answered = n.now;
        let before = n.sent.len();
        while n.sent.len() == before {
            assert!(n.advance(), "nothing left to do");
        }
        assert_eq!(n.sent[before].rid, held, "the lost rid is resent");
        assert_eq!(
            n.now - answered,
            ms(250),
            "one backoff step after the later answer"
        );
        let got: Vec<_> = n
            .stanzas()
            .iter()
            .filter_map(|s| s.attr("id").map(str::to_owned))
            .collect();
        assert_eq!(got, ["m2"], "delivered once, in order");
        assert_eq!(n.cm.forwarded.len(), 1);
        n.assert_clean();
    }
}

/// Every answer to one rid lost, while the server answered the next rid
/// with a stanza: the session runs out of resends and is lost, and the
/// stanza in the later answer — received, held back only to keep rid order
/// — is delivered before `Closed`, not thrown away with the session (only
/// what was in the lost answers is gone: the server counts it delivered).
#[test]
fn s14_3_a_session_lost_to_one_rid_still_delivers_the_stanzas_of_later_answers_it_received() {
    let mut s = Session::attached(config(), params(), 10);
    let poll = s.poll_transmit(ms(0)).expect("long poll");
    s.send(ms(0), msg(1));
    let message = s.poll_transmit(ms(0)).expect("the message's request");
    assert_eq!((poll.rid, message.rid), (10, 11));
    s.handle_transport_error(ms(10), poll.id);
    s.handle_response(ms(20), message.id, 200, &resp("", &msg(7)));
    for _ in 0..10 {
        let Some(now) = s.poll_timeout() else { break };
        s.handle_timeout(now);
        while let Some(t) = s.poll_transmit(now) {
            assert_eq!(t.rid, 10, "only rid 10 is resent");
            s.handle_transport_error(now, t.id);
        }
        if s.is_closed() {
            break;
        }
    }
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    let closed = events
        .iter()
        .position(|e| matches!(e, Event::Closed { .. }))
        .expect("the session is lost");
    assert_eq!(
        events[closed],
        Event::Closed {
            condition: Some("remote-connection-failed".into())
        }
    );
    let delivered = events[..closed]
        .iter()
        .position(|e| matches!(e, Event::Stanza(el) if el.attr("id") == Some("m7")));
    assert!(
        delivered.is_some(),
        "rid 11's stanza is delivered before Closed: {events:?}"
    );
}

/// The resend of a rid whose later rid is already answered is lost too,
/// without an error (a connection left open, silent). No later answer can
/// come to show it (the window is full: the held answer of rid 11 waits for
/// rid 10), so only its deadline can: the server replays a rid it answered
/// at once (§14.3), so that deadline is [`REPLAY_TIMEOUT`], not 1.1 × `wait`
/// + 2 s (68 s, during which the session is stuck).
#[test]
fn s14_3_a_silently_lost_resend_of_a_rid_overtaken_by_a_later_answer_is_resent_after_the_replay_timeout(
) {
    let mut s = Session::attached(config(), params(), 10);
    let poll = s.poll_transmit(ms(0)).expect("long poll");
    s.send(ms(0), msg(1));
    let message = s.poll_transmit(ms(0)).expect("the message's request");
    assert_eq!((poll.rid, message.rid), (10, 11));
    s.handle_transport_error(ms(10), poll.id);
    s.handle_response(ms(20), message.id, 200, &resp("", &msg(7)));
    let (at, _) = next_attempt(&mut s, ms(20), 10);
    assert_eq!(at, ms(260));
    // The resend's answer never comes, and nothing else can leave.
    let (again, _) = next_attempt(&mut s, at, 10);
    assert_eq!(
        again - at,
        REPLAY_TIMEOUT,
        "resent when the replay is overdue, not at its 68 s deadline"
    );
}
