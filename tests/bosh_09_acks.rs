//! XEP-0124 §9 (Acknowledgements): request acknowledgements from the server
//! (§9.1) and response acknowledgements from the client with the server's
//! `report`/`time` (§9.2).

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{Event, Session, SessionParams};

fn acked_params() -> SessionParams {
    SessionParams {
        sid: "s".into(),
        wait: 60,
        requests: 2,
        hold: 1,
        ver: Some("1.11".into()),
        ack: Some(1),
        ..Default::default()
    }
}

#[test]
fn s9_2_no_ack_while_every_response_was_received() {
    let n = Net::open(config(), CmConfig::full());
    let poll = parse(&n.sent[1].body);
    assert_eq!(poll.attr("ack"), None, "all previous responses received");
}

#[test]
fn s9_2_ack_is_the_highest_rid_with_all_lower_responses_received() {
    let mut n = Net::open(config(), CmConfig::full());
    n.send("<message xmlns='jabber:client'/>");
    let msg = parse(&n.sent.last().unwrap().body);
    assert_eq!(msg.attr("rid"), Some((RID + 2).to_string().as_str()));
    assert_eq!(
        msg.attr("ack"),
        Some(RID.to_string().as_str()),
        "rid+1 is unanswered"
    );
    n.assert_clean();
}

#[test]
fn s9_2_ack_counts_received_not_processed_responses() {
    let params = SessionParams {
        requests: 3,
        ..acked_params()
    };
    let mut s = Session::attached(config(), params, 500);
    let now = secs(0);
    let poll = s.poll_transmit(now).unwrap();
    s.send(now, "<message xmlns='jabber:client'/>".into());
    let m = s.poll_transmit(now).unwrap();
    // 501 answered first; 500 still out.
    s.handle_response(now, m.id, 200, &resp("", ""));
    s.send(now, "<presence xmlns='jabber:client'/>".into());
    let p = s.poll_transmit(now).expect("window of 3: two pending");
    assert_eq!(parse(&p.body).attr("ack"), Some("499"));
    s.handle_response(now, poll.id, 200, &resp("", ""));
    s.send(now, "<presence xmlns='jabber:client'/>".into());
    let q = s.poll_transmit(now).unwrap();
    assert_eq!(parse(&q.body).attr("ack"), Some("501"), "502 unanswered");
}

#[test]
fn s9_2_acks_off_means_no_ack_attributes_at_all() {
    let mut c = config();
    c.ack = false;
    let mut n = Net::open(c, CmConfig::full());
    n.send("<message xmlns='jabber:client'/>");
    assert!(n.sent.iter().all(|t| parse(&t.body).attr("ack").is_none()));
}

#[test]
fn s9_1_server_ack_is_recorded() {
    let mut n = Net::open(config(), CmConfig::full());
    assert_eq!(n.s.server_ack(), Some(RID), "the creation response's ack");
    n.send("<message xmlns='jabber:client'/>");
    // The server answered the held poll (rid+1) with ack = rid+2.
    assert_eq!(n.s.server_ack(), Some(RID + 2));
}

#[test]
fn s9_1_a_missing_ack_means_the_rid_of_the_request() {
    let mut s = Session::attached(config(), acked_params(), 700);
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(secs(0), t.id, 200, &resp("", ""));
    assert_eq!(s.server_ack(), Some(700));
}

#[test]
fn s9_1_acks_are_ignored_when_the_server_does_not_use_them() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    n.send("<message xmlns='jabber:client'/>");
    assert_eq!(n.s.server_ack(), None);
}

#[test]
fn s9_1_an_ack_beyond_what_was_sent_is_ignored() {
    let mut s = Session::attached(config(), acked_params(), 700);
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(secs(0), t.id, 200, &resp("ack='999999'", ""));
    assert_eq!(s.server_ack(), None);
}

/// 500 (poll) answered; 501 (message) answered by the server but the answer
/// was lost; 502 carries ack=500 and the server reports 501.
fn lost_501() -> (Session, u64) {
    let mut s = Session::attached(config(), acked_params(), 500);
    let t0 = secs(0);
    let poll = s.poll_transmit(t0).unwrap();
    s.send(t0, "<message xmlns='jabber:client' id='m'/>".into());
    let m = s.poll_transmit(t0).unwrap();
    assert_eq!(m.rid, 501);
    s.handle_response(t0, poll.id, 200, &resp("", ""));
    while s.poll_event().is_some() {}
    (s, m.id)
}

#[test]
fn s9_2_report_resends_the_reported_request_byte_identical() {
    let (mut s, _) = lost_501();
    let now = secs(10);
    s.send(now, "<presence xmlns='jabber:client'/>".into());
    let p = s.poll_transmit(now).unwrap();
    assert_eq!((p.rid, parse(&p.body).attr("ack")), (502, Some("500")));
    // The server answered 501 852 ms ago.
    s.handle_response(now, p.id, 200, &resp("report='501' time='852'", ""));
    let again = s.poll_transmit(now).expect("501 resent at once");
    assert_eq!((again.rid, again.attempt), (501, 1));
    assert!(again.body.contains("id='m'"));
    assert_eq!(s.poll_event(), None, "502's answer waits for 501");
    s.handle_response(
        now,
        again.id,
        200,
        &resp("", "<message xmlns='jabber:client' id='late'/>"),
    );
    let evs: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(matches!(&evs[0], Event::Stanza(e) if e.attr("id") == Some("late")));
    assert_eq!(
        evs[1..],
        [Event::Processed { rid: 501 }, Event::Processed { rid: 502 }]
    );
}

#[test]
fn s9_2_report_for_a_response_already_received_is_ignored() {
    let mut s = Session::attached(config(), acked_params(), 500);
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(secs(0), t.id, 200, &resp("report='500' time='10'", ""));
    assert_eq!(s.poll_transmit(secs(0)), None, "no resend");
    // (The next empty poll waits: the last one was answered empty at once.)
    let next = s.poll_transmit(secs(1)).unwrap();
    assert_eq!(
        (next.rid, next.attempt),
        (501, 0),
        "a new poll, not a resend"
    );
}

#[test]
fn s9_2_report_older_than_our_current_attempt_is_ignored() {
    let (mut s, first) = lost_501();
    // We resent 501 ourselves at 5 s (a network error on the first attempt).
    s.handle_transport_error(secs(5), first);
    let r = s.poll_transmit(secs(6)).unwrap();
    assert_eq!((r.rid, r.attempt), (501, 1));
    s.send(secs(10), "<presence xmlns='jabber:client'/>".into());
    let p = s.poll_transmit(secs(10)).unwrap();
    // The report says the server answered 501 9 s ago: before our resend.
    s.handle_response(secs(10), p.id, 200, &resp("report='501' time='9000'", ""));
    assert_eq!(
        s.poll_transmit(secs(10)),
        None,
        "the resend in flight will get the answer"
    );
}
