//! XEP-0124 §13 (Terminating the BOSH Session).

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{BoshError, Event, Session};

const UNAVAILABLE: &str = "<presence xmlns='jabber:client' type='unavailable'/>";

#[test]
fn s13_terminate_body_has_type_terminate_and_carries_the_payloads() {
    let mut n = Net::open(config(), CmConfig::full());
    n.s.send(n.now, "<message xmlns='jabber:client' id='last'/>".into());
    n.s.terminate(vec![UNAVAILABLE.into()]);
    n.run();
    let t = n
        .sent
        .iter()
        .find(|t| t.body.contains("type='terminate'"))
        .unwrap();
    let b = parse(&t.body);
    let names: Vec<_> = b.elements().map(|e| e.name.clone()).collect();
    assert_eq!(
        names,
        ["message", "presence"],
        "queued stanzas first, then the presence"
    );
    assert!(n.cm.terminated);
    assert_eq!(n.closed(), Some(None), "a clean terminate has no condition");
    assert_eq!(n.cm.forwarded.len(), 2, "the server forwarded them");
    n.assert_clean();
}

#[test]
fn s13_any_response_to_the_terminate_request_ends_the_session() {
    let mut n = Net::open(config(), CmConfig::full());
    n.park = true;
    n.s.terminate(vec![UNAVAILABLE.into()]);
    n.run();
    let term = n.sent.last().unwrap().clone();
    // The held poll gets type='terminate', the terminate request an empty
    // body (§13): whichever is processed first, the session is over.
    let parked = std::mem::take(&mut n.parked);
    assert_eq!(parked.len(), 2);
    let (poll_answer, term_answer): (Vec<_>, Vec<_>) =
        parked.into_iter().partition(|r| r.0 != term.id);
    n.park = false;
    n.respond(term_answer);
    n.respond(poll_answer);
    n.run();
    assert_eq!(n.closed(), Some(None));
    assert!(n.s.is_closed());
}

#[test]
fn s13_disconnected_after_terminate_timeout_without_an_answer() {
    let mut n = Net::open(config(), CmConfig::full());
    n.faults.push_back(Fault::Lost);
    n.s.terminate(vec![UNAVAILABLE.into()]);
    let at = n.now;
    n.run();
    assert_eq!(n.s.poll_timeout(), Some(at + secs(5)));
    n.advance_to(at + secs(5));
    assert_eq!(n.closed(), Some(None));
    assert_eq!(n.s.poll_timeout(), None);
}

#[test]
fn s13_a_failed_terminate_is_resent_within_its_deadline() {
    let mut n = Net::open(config(), CmConfig::full());
    n.faults.push_back(Fault::Network);
    n.s.terminate(vec![UNAVAILABLE.into()]);
    n.run();
    n.advance();
    let terms: Vec<_> = n
        .sent
        .iter()
        .filter(|t| t.body.contains("type='terminate'"))
        .collect();
    assert_eq!(terms.len(), 2);
    assert_eq!(terms[0].body, terms[1].body);
    assert_eq!(n.closed(), Some(None));
    assert!(n.cm.terminated);
}

#[test]
fn s13_terminate_leaves_even_while_paused() {
    let mut n = Net::open(config(), CmConfig::full());
    n.s.pause();
    n.s.terminate(vec![UNAVAILABLE.into()]);
    n.run();
    assert!(n.cm.terminated);
    assert_eq!(n.closed(), Some(None));
}

#[test]
fn s13_terminate_during_creation_waits_for_the_sid() {
    let mut n = Net::new(config(), CmConfig::full());
    n.park = true;
    n.run(); // creation sent, answer parked
    n.s.terminate(vec![UNAVAILABLE.into()]);
    n.run();
    assert_eq!(n.sent.len(), 1, "no sid yet: nothing to terminate with");
    n.park = false;
    let parked = std::mem::take(&mut n.parked);
    n.respond(parked);
    n.run();
    assert!(n.cm.terminated);
    assert_eq!(n.closed(), Some(None));
    assert!(n
        .sent
        .iter()
        .all(|t| parse(&t.body).elements().count() <= 1));
}

#[test]
fn s13_terminate_before_start_closes_at_once() {
    let mut s = Session::new(config(), 1);
    s.terminate(vec![]);
    assert_eq!(s.poll_event(), Some(Event::Closed { condition: None }));
    assert_eq!(s.poll_transmit(secs(0)), None);
}

#[test]
fn s13_a_closed_session_stays_closed() {
    let mut n = Net::open(config(), CmConfig::full());
    n.s.terminate(vec![]);
    n.run();
    assert!(n.s.is_closed());
    let sent = n.sent.len();
    n.s.send(n.now, "<message xmlns='jabber:client'/>".into());
    n.s.restart();
    n.s.flush();
    n.s.resume();
    n.s.start();
    n.s.terminate(vec![]);
    assert_eq!(n.s.pause_session(n.now, 10), Err(BoshError::NotOpen));
    n.s.handle_timeout(secs(1000));
    n.s.handle_response(n.now, 1, 200, &resp("", ""));
    n.run();
    assert_eq!(n.sent.len(), sent);
    assert_eq!(n.s.poll_timeout(), None);
    assert_eq!(
        n.events
            .iter()
            .filter(|e| matches!(e, Event::Closed { .. }))
            .count(),
        1
    );
}

#[test]
fn s13_server_terminate_while_we_terminate_is_not_a_failure() {
    let mut n = Net::open(config(), CmConfig::full());
    n.park = true;
    n.s.terminate(vec![]);
    n.run();
    let parked = std::mem::take(&mut n.parked);
    // The server ends the session with a condition at the same time.
    let (id, _, _) = parked
        .iter()
        .find(|r| r.0 != n.sent.last().unwrap().id)
        .unwrap()
        .clone();
    n.s.handle_response(
        n.now,
        id,
        200,
        &resp("type='terminate' condition='system-shutdown'", ""),
    );
    n.drain();
    assert_eq!(n.closed(), Some(None));
}

/// §13: "Upon receiving the response, the client MUST consider the HTTP
/// session to have been terminated" — at once, even while an earlier rid is
/// still unanswered: nothing waits for it, and it is never resent (the
/// server no longer knows the session).
#[test]
fn s13_the_terminate_answer_ends_the_session_before_an_earlier_rid_is_answered() {
    let mut n = Net::open(config(), CmConfig::full());
    n.park = true;
    n.s.terminate(vec![UNAVAILABLE.into()]);
    n.run();
    let term = n.sent.last().unwrap().clone();
    assert!(term.body.contains("type='terminate'"));
    let parked = std::mem::take(&mut n.parked);
    let term_answer: Vec<_> = parked.into_iter().filter(|r| r.0 == term.id).collect();
    assert_eq!(term_answer.len(), 1);
    // The terminate answer arrives first; the held poll's answer never does.
    n.park = false;
    n.respond(term_answer);
    while let Some(e) = n.s.poll_event() {
        n.events.push(e);
    }
    assert!(n.s.is_closed(), "closed on the terminate answer alone");
    assert_eq!(n.closed(), Some(None), "a clean end");
    assert_eq!(n.s.poll_transmit(n.now), None);
    let sent = n.sent.len();
    n.advance_until(secs(600));
    assert_eq!(n.sent.len(), sent, "no earlier rid is resent");
    n.assert_clean();
}
