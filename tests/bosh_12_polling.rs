//! XEP-0124 §12 (Polling Sessions) and the polling rule of §11.

mod bosh_cm;

use bosh_cm::*;

fn polling_cm() -> CmConfig {
    let mut cm = CmConfig::full();
    cm.hold = Some(0);
    cm.requests = Some(1);
    cm.polling = Some(5);
    cm.inactivity = Some(60);
    cm
}

fn empty_poll_times(n: &Net) -> Vec<std::time::Duration> {
    n.cm.received
        .iter()
        .skip(1)
        .filter(|(_, b)| !b.contains("</body>"))
        .map(|(t, _)| *t)
        .collect()
}

#[test]
fn s12_client_asks_for_a_polling_session_with_hold_0() {
    let mut c = config();
    c.hold = 0;
    let mut n = Net::open(c, CmConfig::full());
    assert_eq!(n.cm.creation.as_ref().unwrap().attr("hold"), Some("0"));
    assert!(n.s.params().unwrap().is_polling());
    n.advance_until(secs(30));
    let times = empty_poll_times(&n);
    assert!(times.len() >= 10, "{times:?}");
    for w in times.windows(2) {
        assert!(w[1] - w[0] >= secs(2), "polling = 2: {times:?}");
    }
    n.assert_clean();
}

#[test]
fn s12_empty_polls_answered_empty_are_polling_seconds_apart() {
    let mut n = Net::open(config(), polling_cm());
    n.advance_until(secs(60));
    let times = empty_poll_times(&n);
    assert_eq!(times[..4], [secs(0), secs(5), secs(10), secs(15)]);
    assert!(!n.cm.expired);
    n.assert_clean();
}

#[test]
fn s12_a_poll_answered_with_payloads_may_be_followed_at_once() {
    // With a window of 2: with `requests` = 1, §11 forbids any empty request
    // within `polling` of the previous one (`bosh_11_overactivity`).
    let mut cm = polling_cm();
    cm.requests = Some(2);
    let mut n = Net::open(config(), cm);
    n.advance_to(secs(5));
    let before = n.cm.received.len();
    n.cm.outbox
        .push("<message xmlns='jabber:client' id='x'/>".into());
    n.advance_to(secs(10)); // this poll is answered with the message
    n.run();
    let after: Vec<_> = n.cm.received[before..].iter().map(|(t, _)| *t).collect();
    assert_eq!(after, [secs(10), secs(10)], "the next poll left at once");
    n.assert_clean();
}

#[test]
fn s12_stanzas_do_not_wait_for_the_polling_interval() {
    let mut n = Net::open(config(), polling_cm());
    n.now = secs(1);
    n.send("<message xmlns='jabber:client' id='now'/>");
    assert_eq!(n.cm.received.last().unwrap().0, secs(1));
    assert!(n.cm.forwarded.iter().any(|p| p.contains("id='now'")));
    n.advance_until(secs(30));
    n.assert_clean();
}

#[test]
fn s12_without_a_polling_attribute_a_one_second_floor_prevents_a_hot_loop() {
    let mut cm = polling_cm();
    cm.polling = None;
    let mut n = Net::open(config(), cm);
    n.advance_until(secs(10));
    let times = empty_poll_times(&n);
    assert_eq!(times.len(), 11, "{times:?}");
}

#[test]
fn s11_a_server_that_answers_a_long_poll_at_once_is_not_hammered() {
    // A misbehaving server (hold=1 advertised, but answers immediately).
    let mut cm = CmConfig::full();
    cm.hold = Some(0);
    cm.extra.clear();
    let mut n = Net::open(config(), cm);
    n.advance_until(secs(20));
    assert!(n.cm.received.len() < 15, "{}", n.cm.received.len());
    n.assert_clean();
}

/// §12 with the inactivity keepalive (§10): polling=5, inactivity=6. The
/// keepalive would be due 4.5 s after the last answer, but an empty request
/// within `polling` of the previous empty one (answered empty) is a policy
/// violation: the keepalive waits for the later of its time and the polling
/// deadline, which is still inside the inactivity period.
#[test]
fn s12_the_inactivity_keepalive_respects_polling() {
    let mut cm = polling_cm();
    cm.inactivity = Some(6);
    let mut n = Net::open(config(), cm);
    n.advance_until(secs(60));
    let times = empty_poll_times(&n);
    assert!(times.len() >= 10, "{times:?}");
    for w in times.windows(2) {
        assert!(w[1] - w[0] >= secs(5), "polling = 5: {times:?}");
    }
    assert!(!n.cm.expired, "nor past inactivity");
    n.assert_clean();
}

/// The same with the long poll turned off (only the keepalive sends empty
/// requests) and with the session paused (only the paused keepalive does).
#[test]
fn s12_the_keepalive_respects_polling_without_long_poll_and_while_paused() {
    for paused in [false, true] {
        let mut cm = polling_cm();
        cm.inactivity = Some(6);
        let mut n = Net::open(config(), cm);
        if paused {
            n.s.pause();
        } else {
            n.s.set_long_poll(false);
        }
        n.advance_until(secs(60));
        let times = empty_poll_times(&n);
        assert!(times.len() >= 8, "paused {paused}: {times:?}");
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= secs(5), "paused {paused}: {times:?}");
        }
        assert!(!n.cm.expired, "paused {paused}");
        n.assert_clean();
    }
}
