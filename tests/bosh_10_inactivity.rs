//! XEP-0124 §10 (Inactivity): keeping the session alive, and session pauses
//! (`maxpause`, `pause`).

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{BoshError, Session, SessionParams};

#[test]
fn s10_a_new_request_as_soon_as_nothing_is_held() {
    let mut n = Net::open(config(), CmConfig::full());
    for _ in 0..3 {
        n.push("<message xmlns='jabber:client'/>");
        assert_eq!(n.cm.held_rids().len(), 1, "a poll is held again at once");
    }
    n.advance_until(secs(600));
    assert!(!n.cm.expired);
    n.assert_clean();
}

#[test]
fn s10_while_paused_an_empty_request_leaves_before_inactivity_runs_out() {
    let mut n = Net::open(config(), CmConfig::full()); // inactivity 30
    n.s.pause();
    n.s.send(
        n.now,
        "<message xmlns='jabber:client' id='held-back'/>".into(),
    );
    n.push("<message xmlns='jabber:client'/>"); // answers the held poll
    assert!(n.cm.held_rids().is_empty());
    let before = n.sent.len();
    n.advance_until(secs(600));
    assert!(!n.cm.expired, "the session survived ten minutes of pause");
    let keepalives = &n.sent[before..];
    assert!(keepalives.len() >= 2);
    for t in keepalives {
        assert!(
            parse(&t.body).elements().next().is_none(),
            "no queued stanza leaks"
        );
    }
    assert!(n.cm.forwarded.iter().all(|p| !p.contains("held-back")));
    assert_eq!(n.s.queued().len(), 1);
    n.assert_clean();
}

#[test]
fn s10_keepalive_while_paused_can_be_turned_off() {
    let mut c = config();
    c.keepalive_while_paused = false;
    let mut n = Net::open(c, CmConfig::full());
    n.s.pause();
    n.push("<message xmlns='jabber:client'/>");
    let before = n.sent.len();
    n.advance_until(secs(600));
    assert_eq!(n.sent.len(), before, "nothing at all leaves");
    assert!(n.cm.expired, "the server dropped the silent session");
}

#[test]
fn s10_keepalive_when_the_long_poll_is_off() {
    let mut n = Net::new(config(), CmConfig::full());
    n.s.set_long_poll(false);
    n.run();
    n.advance_until(secs(300));
    assert!(!n.cm.expired);
    // Creation, then one empty request 22.5 s after each answer (the server
    // holds it for `wait`, 60 s).
    assert!(n.sent.len() >= 4, "{}", n.sent.len());
    n.assert_clean();
}

#[test]
fn s10_pause_is_refused_without_maxpause() {
    let mut n = Net::open(config(), CmConfig::prosody_012());
    let before = n.sent.len();
    assert_eq!(
        n.s.pause_session(n.now, 60),
        Err(BoshError::PauseNotSupported)
    );
    n.run();
    assert_eq!(n.sent.len(), before);
    assert!(!n.s.is_paused());
    assert!(n.sent.iter().all(|t| !t.body.contains("pause=")));
}

#[test]
fn s10_pause_is_refused_by_a_server_older_than_1_6() {
    let mut cm = CmConfig::full();
    cm.ver = Some("1.5".into());
    let mut n = Net::open(config(), cm);
    assert_eq!(
        n.s.pause_session(n.now, 60),
        Err(BoshError::PauseNotSupported)
    );
    let mut cm = CmConfig::full();
    cm.ver = Some("1.10".into());
    let mut n = Net::open(config(), cm);
    assert_eq!(n.s.pause_session(n.now, 60), Ok(()), "1.10 > 1.6");
}

#[test]
fn s10_pause_request_is_capped_to_maxpause_and_marked_keepalive() {
    let mut n = Net::open(config(), CmConfig::full()); // maxpause 120
    n.s.send(n.now, "<message xmlns='jabber:client' id='q'/>".into());
    n.s.pause_session(n.now, 600).unwrap();
    assert!(n.s.is_paused());
    n.run();
    let t = n.sent.iter().find(|t| t.body.contains("pause=")).unwrap();
    let b = parse(&t.body);
    assert_eq!(b.attr("pause"), Some("120"));
    assert!(t.keepalive, "the shell sends it with fetch keepalive");
    assert!(
        b.elements().next().is_none(),
        "no payload in the pause request"
    );
    assert_eq!(n.cm.pauses, [120]);
    assert!(
        n.cm.held_rids().is_empty(),
        "the server answered everything"
    );
    assert_eq!(n.s.paused_for(), Some(120));
    // Nothing new leaves: the queued stanza waits.
    assert!(n.cm.forwarded.iter().all(|p| !p.contains("id='q'")));
    n.assert_clean();
}

#[test]
fn s10_a_server_pause_is_kept_alive_with_its_own_length() {
    let mut n = Net::open(config(), CmConfig::full()); // inactivity 30
    n.s.pause_session(n.now, 90).unwrap();
    n.run();
    let before = n.sent.len();
    n.advance_until(secs(60));
    assert_eq!(
        n.sent.len(),
        before,
        "no keepalive at inactivity (30 s): the pause is 90 s"
    );
    n.advance_until(secs(600));
    assert!(!n.cm.expired);
    n.assert_clean();
}

#[test]
fn s10_resume_ends_the_pause() {
    let mut n = Net::open(config(), CmConfig::full());
    n.s.send(n.now, "<message xmlns='jabber:client' id='q'/>".into());
    n.s.pause_session(n.now, 60).unwrap();
    n.run();
    n.now += secs(20);
    n.s.resume();
    n.run();
    assert!(!n.s.is_paused());
    assert_eq!(n.s.paused_for(), None);
    let last = parse(&n.sent.last().unwrap().body);
    assert_eq!(last.attr("pause"), None);
    assert!(n.cm.forwarded.iter().any(|p| p.contains("id='q'")));
    assert_eq!(n.cm.held_rids().len(), 1, "long polling again");
    n.assert_clean();
}

#[test]
fn s10_s11_pause_may_go_one_over_the_window() {
    let params = SessionParams {
        sid: "s".into(),
        wait: 60,
        requests: 2,
        hold: 1,
        maxpause: Some(100),
        ver: Some("1.11".into()),
        ..Default::default()
    };
    let mut s = Session::attached(config(), params, 10);
    let now = secs(0);
    s.poll_transmit(now).unwrap(); // poll
    s.send(now, "<message xmlns='jabber:client'/>".into());
    s.poll_transmit(now).unwrap(); // message: window full
    s.send(now, "<presence xmlns='jabber:client'/>".into());
    assert_eq!(s.poll_transmit(now), None);
    s.pause_session(now, 30).unwrap();
    let p = s.poll_transmit(now).expect("the pause goes one over");
    assert!(p.body.contains("pause='30'") && p.keepalive);
    assert_eq!(s.outstanding(), 3);
    s.terminate(vec![]);
    assert_eq!(s.poll_transmit(now), None, "only one extra request");
}

#[test]
fn s10_pause_errors_before_open_and_while_terminating() {
    let mut s = Session::new(config(), 1);
    assert_eq!(s.pause_session(secs(0), 10), Err(BoshError::NotOpen));
    let mut n = Net::open(config(), CmConfig::full());
    n.s.terminate(vec![]);
    assert_eq!(n.s.pause_session(n.now, 10), Err(BoshError::Terminating));
}

#[test]
fn s10_a_due_keepalive_takes_the_queue_along() {
    let mut c = config();
    c.idle_interval = Some(secs(30));
    let mut n = Net::new(c, CmConfig::full()); // inactivity 30: keepalive at 22.5 s
    n.s.set_long_poll(false);
    n.run();
    n.now = secs(20);
    n.send("<message xmlns='jabber:client' id='late'/>");
    assert_eq!(n.sent.len(), 1, "waits for the idle interval");
    n.advance_until(secs(23));
    let t = n.sent.last().unwrap();
    assert!(
        t.body.contains("id='late'"),
        "left with the keepalive at 22.5 s"
    );
    assert_eq!(n.cm.received.last().unwrap().0, ms(22_500));
    n.assert_clean();
}

/// §10 + §14.3: a page that goes away asks for a pause and dies before the
/// answers arrive; the next page restores the session. The server does not
/// buffer the answer to a pause request (§14.3: only "requests which were
/// not session pause requests"), so resending the pause rid would end the
/// session with `item-not-found`. The pause request never enters the
/// snapshot; the server received it, so new requests continue after its rid
/// and the rids stay contiguous on the server's side.
#[test]
fn s10_s14_3_a_restore_after_a_pause_request_does_not_resend_it() {
    let mut n = Net::open(config(), CmConfig::full()); // maxpause 120
    let poll = n.cm.held_rids()[0];
    n.park = true; // the page is going away: it never sees the answers
    n.s.pause_session(n.now, 60).unwrap();
    n.run();
    let pause = n.sent.last().unwrap().clone();
    assert!(pause.body.contains("pause='60'"));
    assert_eq!(n.cm.pauses, [60]);
    let snap = n.s.snapshot().expect("open");
    let mut json = String::new();
    snap.write_json(&mut json);
    let snap = xmpp_wasm::bosh::SessionSnapshot::from_json(&xmpp_wasm::json::parse(&json).unwrap())
        .unwrap();
    // The next page.
    n.parked.clear();
    n.park = false;
    n.now += secs(2);
    n.s = Session::restore(config(), &snap).expect("a valid snapshot");
    let before = n.sent.len();
    n.run();
    n.send("<message xmlns='jabber:client' id='after-reload'/>");
    n.advance_until(n.now + secs(30));
    let resent: Vec<u64> = n.sent[before..].iter().map(|t| t.rid).collect();
    assert!(
        resent.contains(&poll),
        "the held poll is resent: {resent:?}"
    );
    assert!(!resent.contains(&pause.rid), "never the pause: {resent:?}");
    assert_eq!(
        resent.iter().filter(|r| **r > poll).min(),
        Some(&(pause.rid + 1)),
        "new requests continue after the pause rid"
    );
    assert!(n.s.is_open(), "{:?}", n.closed());
    assert!(n.cm.forwarded.iter().any(|p| p.contains("after-reload")));
    n.assert_clean();
}
