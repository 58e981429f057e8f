//! XEP-0124 §17 (Error and Status Codes), and the rule that no server input
//! can panic the session.

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{Config, Event, Failure, Session, SessionParams, MAX_REDIRECTS};
use xmpp_wasm::rand::{RandomSource, XorShift};

fn open_manual() -> Session {
    let params = SessionParams {
        sid: "s".into(),
        wait: 60,
        requests: 2,
        hold: 1,
        ver: Some("1.11".into()),
        ..Default::default()
    };
    Session::attached(config(), params, 100)
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

#[test]
fn s17_1_http_400_403_404_end_the_session() {
    for (code, cond) in [
        (400, "bad-request"),
        (403, "policy-violation"),
        (404, "item-not-found"),
    ] {
        for legacy in [true, false] {
            let mut cm = CmConfig::full();
            if legacy {
                cm.ver = None;
            }
            let mut n = Net::open(config(), cm);
            assert_eq!(n.s.params().unwrap().is_legacy(), legacy);
            n.faults.push_back(Fault::Status(code));
            n.send("<message xmlns='jabber:client'/>");
            assert_eq!(n.closed(), Some(Some(cond.into())), "{code}");
            let before = n.sent.len();
            n.advance_until(secs(100));
            assert_eq!(n.sent.len(), before, "null and void: nothing more is sent");
        }
    }
}

#[test]
fn a_lost_session_tells_the_last_http_status_or_transport_failure() {
    // A 404 keeps its condition and tells the status.
    let mut n = Net::open(config(), CmConfig::full());
    assert_eq!(n.s.last_failure(), None);
    n.faults.push_back(Fault::Status(404));
    n.send("<message xmlns='jabber:client'/>");
    assert_eq!(n.closed(), Some(Some("item-not-found".into())));
    assert_eq!(n.s.last_failure(), Some(Failure::Http(404)));
    // Retried 5xx, then network errors: the last one is told.
    let mut n = Net::open(config(), CmConfig::full());
    let retries = n.s.config().max_retries as usize;
    n.faults.push_back(Fault::Status(503));
    n.send("<message xmlns='jabber:client'/>");
    assert_eq!(
        n.s.last_failure(),
        Some(Failure::Http(503)),
        "recorded while retrying"
    );
    n.faults
        .extend(std::iter::repeat(Fault::Network).take(retries + 1));
    n.advance_until(secs(120));
    assert_eq!(n.closed(), Some(Some("remote-connection-failed".into())));
    assert_eq!(n.s.last_failure(), Some(Failure::Network));
    // Requests that are never answered: a timeout.
    let mut n = Net::open(config(), CmConfig::full());
    n.faults
        .extend(std::iter::repeat(Fault::Lost).take(retries + 3));
    n.send("<message xmlns='jabber:client'/>");
    n.advance_until(secs(3600));
    assert_eq!(n.closed(), Some(Some("remote-connection-failed".into())));
    assert_eq!(n.s.last_failure(), Some(Failure::Timeout));
    // A 200 answer clears it.
    let mut n = Net::open(config(), CmConfig::full());
    n.faults.push_back(Fault::Network);
    n.send("<message xmlns='jabber:client'/>");
    assert_eq!(n.s.last_failure(), Some(Failure::Network));
    n.advance_until(n.now + secs(10));
    assert!(n.s.is_open());
    assert_eq!(n.s.last_failure(), None, "cleared by the answered resend");
}

#[test]
fn s17_2_terminal_conditions_end_the_session_with_their_condition() {
    for cond in [
        "bad-request",
        "host-gone",
        "host-unknown",
        "improper-addressing",
        "internal-server-error",
        "item-not-found",
        "other-request",
        "policy-violation",
        "remote-connection-failed",
        "remote-stream-error",
        "system-shutdown",
        "undefined-condition",
    ] {
        let mut s = open_manual();
        let t = s.poll_transmit(secs(0)).unwrap();
        s.handle_response(
            secs(0),
            t.id,
            200,
            &resp(&format!("type='terminate' condition='{cond}'"), ""),
        );
        assert_eq!(
            events(&mut s),
            [Event::Closed {
                condition: Some(cond.into())
            }]
        );
        assert!(s.is_closed());
        assert_eq!(s.condition(), Some(cond));
        assert_eq!(s.poll_transmit(secs(0)), None);
    }
}

#[test]
fn s17_2_terminate_without_condition_is_unknown() {
    let mut s = open_manual();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(secs(0), t.id, 200, &resp("type='terminate'", ""));
    assert_eq!(
        events(&mut s),
        [Event::Closed {
            condition: Some("unknown".into())
        }]
    );
}

#[test]
fn s17_2_remote_stream_error_delivers_its_stanzas_and_conflict_is_named() {
    let mut s = open_manual();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(
        secs(0),
        t.id,
        200,
        &resp(
            "type='terminate' condition='remote-stream-error'",
            "<message xmlns='jabber:client' id='before'/><stream:error>\
             <conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
        ),
    );
    let evs = events(&mut s);
    assert!(matches!(&evs[0], Event::Stanza(e) if e.attr("id") == Some("before")));
    assert!(matches!(&evs[1], Event::Stanza(e) if e.name == "stream:error"));
    assert_eq!(
        evs[2],
        Event::Closed {
            condition: Some("conflict".into())
        }
    );
}

#[test]
fn s17_2_see_other_uri_gives_a_session_at_the_new_url() {
    let mut c = config();
    c.url = "http://jabber.org/http-bind".into();
    let mut s = Session::new(c, 7);
    s.start();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(
        secs(0),
        t.id,
        200,
        &resp(
            "condition='see-other-uri' type='terminate'",
            "<uri>https://secure.jabber.org/xmppcm</uri>",
        ),
    );
    assert_eq!(
        events(&mut s),
        [Event::Closed {
            condition: Some("see-other-uri".into())
        }]
    );
    assert_eq!(s.redirect(), Some("https://secure.jabber.org/xmppcm"));
    let mut next = s.redirected(99).expect("allowed");
    assert_eq!(next.config().url, "https://secure.jabber.org/xmppcm");
    next.start();
    let t = next.poll_transmit(secs(0)).unwrap();
    assert_eq!(
        (t.url.as_str(), t.rid),
        ("https://secure.jabber.org/xmppcm", 99)
    );
}

#[test]
fn s17_2_see_other_uri_targets_are_checked_and_bounded() {
    let redirect = |from: &str, to: &str| {
        let mut c = config();
        c.url = from.into();
        let mut s = Session::new(c, 7);
        s.start();
        let t = s.poll_transmit(secs(0)).unwrap();
        s.handle_response(
            secs(0),
            t.id,
            200,
            &resp(
                "condition='see-other-uri' type='terminate'",
                &format!("<uri>{to}</uri>"),
            ),
        );
        assert_eq!(s.condition(), Some("see-other-uri"));
        s
    };
    assert!(
        redirect("https://a.example/b", "http://a.example/b")
            .redirected(1)
            .is_none(),
        "downgrade"
    );
    assert!(redirect("http://a.example/b", "http://evil.example/b")
        .redirected(1)
        .is_none());
    assert!(redirect("http://a.example/b", "javascript:alert(1)")
        .redirected(1)
        .is_none());
    assert!(redirect("http://a.example/b", "").redirected(1).is_none());
    // At most MAX_REDIRECTS in a row.
    let mut s = redirect("https://a.example/0", "https://a.example/1");
    for hop in 1..=MAX_REDIRECTS {
        let mut next = s.redirected(hop.into()).expect("within the bound");
        next.start();
        let t = next.poll_transmit(secs(0)).unwrap();
        next.handle_response(
            secs(0),
            t.id,
            200,
            &resp(
                "condition='see-other-uri' type='terminate'",
                "<uri>https://a.example/n</uri>",
            ),
        );
        s = next;
    }
    assert!(s.redirected(9).is_none(), "the bound is reached");
    let mut c = config();
    c.follow_redirects = false;
    let mut s = Session::new(c, 7);
    s.start();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(
        secs(0),
        t.id,
        200,
        &resp(
            "condition='see-other-uri' type='terminate'",
            "<uri>https://b.example/</uri>",
        ),
    );
    assert!(s.redirected(1).is_none(), "redirects disabled");
}

#[test]
fn s17_3_recoverable_error_resends_this_and_every_earlier_unanswered_request() {
    let mut s = open_manual();
    let now = secs(0);
    let poll = s.poll_transmit(now).unwrap(); // 100
    s.send(now, "<message xmlns='jabber:client' id='m'/>".into());
    let msg = s.poll_transmit(now).unwrap(); // 101
    s.handle_response(now, msg.id, 200, &resp("type='error'", ""));
    let a = s.poll_transmit(now).expect("100 again");
    let b = s.poll_transmit(now).expect("101 again");
    assert_eq!((a.rid, a.attempt, &a.body), (100, 1, &poll.body));
    assert_eq!((b.rid, b.attempt, &b.body), (101, 1, &msg.body));
    assert_eq!(s.poll_transmit(now), None);
    // The old attempts are superseded: their answers are ignored.
    s.handle_response(
        now,
        poll.id,
        200,
        &resp("", "<message xmlns='jabber:client' id='stale'/>"),
    );
    assert_eq!(s.poll_event(), None);
    s.handle_response(now, a.id, 200, &resp("", ""));
    s.handle_response(now, b.id, 200, &resp("", ""));
    assert_eq!(
        events(&mut s),
        [Event::Processed { rid: 100 }, Event::Processed { rid: 101 }]
    );
    assert!(s.is_open());
}

#[test]
fn s17_3_later_requests_are_not_repeated() {
    let mut s = open_manual();
    let now = secs(0);
    let poll = s.poll_transmit(now).unwrap(); // 100
    s.send(now, "<message xmlns='jabber:client'/>".into());
    let _msg = s.poll_transmit(now).unwrap(); // 101
    s.handle_response(now, poll.id, 200, &resp("type='error'", ""));
    assert_eq!(s.poll_transmit(now).map(|t| t.rid), Some(100));
    assert_eq!(s.poll_transmit(now), None, "101 is still on its way");
}

#[test]
fn s17_3_repeated_recoverable_errors_are_bounded() {
    let mut s = open_manual();
    let mut t = s.poll_transmit(secs(0)).unwrap();
    for _ in 0..5 {
        s.handle_response(secs(0), t.id, 200, &resp("type='error'", ""));
        t = s.poll_transmit(secs(0)).unwrap();
    }
    s.handle_response(secs(0), t.id, 200, &resp("type='error'", ""));
    assert_eq!(
        events(&mut s),
        [Event::Closed {
            condition: Some("remote-connection-failed".into())
        }]
    );
}

#[test]
fn s14_3_a_rid_the_server_still_holds_is_resent_harmlessly() {
    // The connection broke after the request reached the server: the server
    // answers the old request with a recoverable error (ignored: superseded)
    // and holds the resend.
    let mut n = Net::open(config(), CmConfig::full());
    let poll = n.sent.last().unwrap().clone();
    n.s.handle_transport_error(n.now, poll.id);
    n.advance();
    assert_eq!(n.sent.last().unwrap().rid, poll.rid);
    assert_eq!(n.cm.held_rids(), vec![poll.rid]);
    n.push("<message xmlns='jabber:client' id='x'/>");
    assert_eq!(
        n.stanzas()
            .iter()
            .filter(|e| e.attr("id") == Some("x"))
            .count(),
        1
    );
    n.assert_clean();
}

#[test]
fn oversized_responses_are_an_error_not_an_allocation() {
    let mut c = config();
    c.max_body_size = 1000;
    let params = SessionParams {
        sid: "s".into(),
        wait: 60,
        requests: 2,
        hold: 1,
        ..Default::default()
    };
    let mut s = Session::attached(c.clone(), params.clone(), 5);
    assert_eq!(s.max_response_size(), 1000);
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(secs(0), t.id, 200, &"x".repeat(1001));
    assert_eq!(
        events(&mut s),
        [Event::Closed {
            condition: Some("response-too-large".into())
        }]
    );
    // The shell saw Content-Length first and never read the body.
    let mut s = Session::attached(c, params, 5);
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_oversized_response(secs(0), t.id);
    assert_eq!(
        events(&mut s),
        [Event::Closed {
            condition: Some("response-too-large".into())
        }]
    );
}

#[test]
fn a_response_for_another_sid_ends_the_session() {
    let mut s = open_manual();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(secs(0), t.id, 200, &resp("sid='other'", ""));
    assert_eq!(
        events(&mut s),
        [Event::Closed {
            condition: Some("sid-mismatch".into())
        }]
    );
}

#[test]
fn no_server_input_panics() {
    let valid = [
        resp(
            "",
            "<message xmlns='jabber:client' id='1'><body>x</body></message>",
        ),
        resp(
            "type='terminate' condition='see-other-uri'",
            "<uri>https://x/</uri>",
        ),
        resp("report='1' time='99999999999999999999'", ""),
        resp("ack='18446744073709551615' type='error'", ""),
        resp(
            "sid='x' wait='99999999999' requests='0' hold='4294967296'",
            "",
        ),
    ];
    let mut rng = XorShift::new(7);
    for round in 0..3000 {
        let mut s = if round % 2 == 0 {
            let mut s = Session::new(Config::new(URL, "example.com"), rng.next_u64());
            s.start();
            s
        } else {
            open_manual()
        };
        for step in 0..4 {
            let Some(t) = s.poll_transmit(secs(step)) else {
                break;
            };
            let base = &valid[(rng.next_u64() % valid.len() as u64) as usize];
            let mut bytes = base.clone().into_bytes();
            for _ in 0..(rng.next_u64() % 4) {
                if bytes.is_empty() {
                    break;
                }
                let i = (rng.next_u64() % bytes.len() as u64) as usize;
                match rng.next_u64() % 3 {
                    0 => {
                        bytes.remove(i);
                    }
                    1 => bytes.insert(i, b"<>&'\"/=x\0"[(rng.next_u64() % 9) as usize]),
                    _ => bytes.truncate(i),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let status = [200, 200, 200, 0, 301, 400, 500, 999][(rng.next_u64() % 8) as usize];
            s.handle_response(secs(step), t.id, status, &text);
            s.handle_timeout(secs(step * 1000));
            while s.poll_event().is_some() {}
        }
    }
}
