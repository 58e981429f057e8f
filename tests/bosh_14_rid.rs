//! XEP-0124 §14 (Request IDs): generation, in-order processing, broken
//! connections; and the retry policy built on them.

mod bosh_cm;

use bosh_cm::*;
use std::time::Duration;
use xmpp_wasm::bosh::{Event, Session, SessionParams, MAX_INITIAL_RID, MAX_RID};

fn params() -> SessionParams {
    SessionParams {
        sid: "s".into(),
        wait: 60,
        requests: 2,
        hold: 1,
        ..Default::default()
    }
}

#[test]
fn s14_1_initial_rid_comes_from_the_caller_and_stays_below_2_53_minus_2_32() {
    assert_eq!(
        Session::new(config(), 12345).next_rid(),
        12345,
        "the caller's CSPRNG value"
    );
    for r in [u64::MAX, MAX_INITIAL_RID, MAX_INITIAL_RID + 7, 1 << 60] {
        let s = Session::new(config(), r);
        assert!(s.next_rid() >= 1 && s.next_rid() <= MAX_INITIAL_RID, "{r}");
    }
    assert!(Session::new(config(), 0).next_rid() >= 1, "positive");
    // Even 2^32 requests later the rid is a safe JavaScript integer.
    const { assert!(MAX_INITIAL_RID + (1 << 32) - 1 <= MAX_RID) };
}

#[test]
fn s14_1_rid_plus_one_per_new_request_no_gaps() {
    let mut n = Net::open(config(), CmConfig::full());
    for i in 0..10 {
        n.send(&format!("<message xmlns='jabber:client' id='{i}'/>"));
        if i % 3 == 0 {
            n.advance();
        }
    }
    let mut rids: Vec<u64> = n.sent.iter().map(|t| t.rid).collect();
    rids.dedup();
    for w in rids.windows(2) {
        assert_eq!(w[1], w[0] + 1, "consecutive: {rids:?}");
    }
    n.assert_clean();
}

#[test]
fn s14_1_never_past_2_53_minus_1() {
    let mut s = Session::attached(config(), params(), MAX_RID);
    let t = s
        .poll_transmit(secs(0))
        .expect("the last safe rid is usable");
    assert_eq!(t.rid, MAX_RID);
    s.handle_response(
        secs(0),
        t.id,
        200,
        &resp("", "<message xmlns='jabber:client'/>"),
    );
    assert_eq!(s.poll_transmit(secs(0)), None, "no rid above 2^53-1");
    assert!(s.is_closed());
}

#[test]
fn s14_2_responses_are_processed_in_rid_order_even_when_they_complete_out_of_order() {
    let mut s = Session::attached(config(), params(), 500);
    let now = secs(0);
    let poll = s.poll_transmit(now).unwrap(); // rid 500, empty
    s.send(now, "<message xmlns='jabber:client' id='x'/>".into());
    let msg = s.poll_transmit(now).unwrap(); // rid 501
    assert_eq!((poll.rid, msg.rid), (500, 501));
    // 501 completes first.
    s.handle_response(
        now,
        msg.id,
        200,
        &resp("", "<message xmlns='jabber:client' id='second'/>"),
    );
    assert_eq!(s.poll_event(), None, "held until 500 is processed");
    assert_eq!(s.in_flight(), 2);
    assert_eq!(s.outstanding(), 1);
    s.handle_response(
        now,
        poll.id,
        200,
        &resp("", "<message xmlns='jabber:client' id='first'/>"),
    );
    let evs: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    let order: Vec<String> = evs
        .iter()
        .map(|e| match e {
            Event::Stanza(s) => s.attr("id").unwrap().to_owned(),
            Event::Processed { rid } => rid.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(order, ["first", "500", "second", "501"]);
}

#[test]
fn s14_3_network_error_resends_the_same_rid_and_bytes() {
    let mut n = Net::open(config(), CmConfig::full());
    n.faults.push_back(Fault::Network);
    n.send("<message xmlns='jabber:client' id='m'/>");
    let first = n.sent.last().unwrap().clone();
    assert_eq!(first.attempt, 0);
    n.advance();
    let again: Vec<_> = n.sent.iter().filter(|t| t.rid == first.rid).collect();
    assert_eq!(again.len(), 2);
    assert_eq!(again[1].body, first.body, "byte-identical");
    assert_eq!(again[1].attempt, 1);
    assert_ne!(again[1].id, first.id, "a new attempt id");
    assert_eq!(
        n.cm.forwarded
            .iter()
            .filter(|p| p.contains("id='m'"))
            .count(),
        1
    );
    n.assert_clean();
}

#[test]
fn s14_3_http_5xx_resends_the_same_rid_and_bytes() {
    for code in [500, 502, 503, 504] {
        let mut n = Net::open(config(), CmConfig::full());
        n.faults.push_back(Fault::Status(code));
        n.send("<message xmlns='jabber:client' id='m'/>");
        let first = n.sent.last().unwrap().clone();
        n.advance();
        let resent = n.sent.iter().rev().find(|t| t.rid == first.rid).unwrap();
        assert_eq!((resent.attempt, &resent.body), (1, &first.body), "{code}");
        assert!(n.s.is_open());
        n.assert_clean();
    }
}

#[test]
fn s14_3_no_answer_within_1_1_wait_resends_and_the_server_replays_its_buffer() {
    let mut n = Net::open(config(), CmConfig::full());
    n.faults.push_back(Fault::ResponseLost);
    n.send("<message xmlns='jabber:client' id='m'/>"); // held by the server
    let t0 = n.sent.last().unwrap().clone();
    assert_eq!(t0.rid, RID + 2);
    // The server answers it when `wait` runs out (60 s), but that answer is
    // lost; 1.1 × 60 s + 2 s after it left, the client resends.
    n.advance_until(secs(67));
    assert_eq!(n.sent.iter().filter(|t| t.rid == t0.rid).count(), 1);
    n.advance_until(secs(68));
    let resent = n
        .sent
        .iter()
        .filter(|t| t.rid == t0.rid)
        .nth(1)
        .expect("resent");
    assert_eq!(resent.body, t0.body, "byte-identical");
    assert_eq!(
        n.s.outstanding(),
        1,
        "answered from the server's buffer; a new poll is held"
    );
    assert_eq!(
        n.cm.forwarded
            .iter()
            .filter(|p| p.contains("id='m'"))
            .count(),
        1
    );
    n.assert_clean();
}

#[test]
fn retries_are_bounded_with_exponential_backoff_then_remote_connection_failed() {
    let mut n = Net::open(config(), CmConfig::full());
    for _ in 0..10 {
        n.faults.push_back(Fault::Network);
    }
    n.send("<message xmlns='jabber:client'/>");
    let start = n.now;
    let mut times = vec![];
    while n.closed().is_none() && n.advance() {
        times.push(n.now - start);
    }
    assert_eq!(n.closed(), Some(Some("remote-connection-failed".into())));
    let attempts: Vec<_> = n
        .sent
        .iter()
        .filter(|t| t.body.contains("<message"))
        .collect();
    assert_eq!(attempts.len(), 1 + 5, "max_retries = 5 resends");
    assert!(attempts.iter().all(|t| t.body == attempts[0].body));
    // 250 ms, 500 ms, 1 s, 2 s, 4 s between attempts.
    assert_eq!(times[..5], [ms(250), ms(750), ms(1750), ms(3750), ms(7750)]);
    assert!(n.now < secs(10));
    assert_eq!(n.s.poll_timeout(), None, "closed: no timer");
}

#[test]
fn an_answer_to_a_superseded_attempt_is_ignored() {
    let mut s = Session::attached(config(), params(), 10);
    let a = s.poll_transmit(secs(0)).unwrap();
    s.handle_transport_error(secs(0), a.id);
    let b = s.poll_transmit(secs(1)).unwrap();
    assert_eq!((b.rid, b.attempt), (a.rid, 1));
    s.handle_response(
        secs(1),
        a.id,
        200,
        &resp("", "<message xmlns='jabber:client'/>"),
    );
    assert_eq!(s.poll_event(), None);
    s.handle_response(secs(1), b.id, 200, &resp("", ""));
    assert_eq!(s.poll_event(), Some(Event::Processed { rid: 10 }));
}

#[test]
fn resends_keep_flowing_while_the_clock_jumps() {
    // A long network outage: every resend is within the bound, then the
    // session gives up; nothing panics, no timer is left behind.
    let mut n = Net::open(config(), CmConfig::full());
    for _ in 0..100 {
        n.faults.push_back(Fault::Lost);
    }
    n.send("<message xmlns='jabber:client'/>");
    n.advance_until(Duration::from_secs(3600));
    assert_eq!(n.closed(), Some(Some("remote-connection-failed".into())));
}

/// A snapshot from storage a page can tamper with: rid 0 among the
/// unanswered requests (or as the next rid) is refused by `Session::restore`
/// itself, instead of panicking later when the ack of a new request is
/// computed (`rid - 1`).
#[test]
fn s14_restore_refuses_rid_0_instead_of_panicking_later() {
    let mut n = Net::open(config(), CmConfig::full());
    n.send("<message xmlns='jabber:client' id='a'/>");
    let good = n.s.snapshot().expect("open");
    let mut snap = good.clone();
    snap.unanswered = vec![xmpp_wasm::bosh::Unanswered {
        rid: 0,
        body: "<body rid='0' sid='sid-1' xmlns='http://jabber.org/protocol/httpbind'/>".into(),
    }];
    let err = Session::restore(config(), &snap).expect_err("rid 0 is refused");
    assert_eq!(err.condition(), "bad-snapshot");
    let mut snap = good.clone();
    snap.next_rid = 0;
    assert!(Session::restore(config(), &snap).is_err(), "next rid 0");
    let mut s = Session::restore(config(), &good).expect("the untouched snapshot");
    s.send(secs(0), "<message xmlns='jabber:client' id='b'/>".into());
    s.flush();
    for t in [secs(0), secs(1)] {
        s.handle_timeout(t);
        while s.poll_transmit(t).is_some() {}
    }
    assert!(s.is_open());
}
