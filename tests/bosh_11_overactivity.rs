//! XEP-0124 §11 (Overactivity): the request window.

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{Session, SessionParams};
use xmpp_wasm::rand::{RandomSource, XorShift};

#[test]
fn s11_never_more_than_requests_pending_under_load() {
    for seed in 1..60 {
        let mut rng = XorShift::new(seed);
        let mut cm = CmConfig::full();
        cm.requests = Some(1 + (seed % 3) as u32);
        let mut n = Net::open(config(), cm);
        let window = n.s.params().unwrap().requests as usize;
        for step in 0..300 {
            match rng.next_u64() % 9 {
                0..=2 => n.s.send(
                    n.now,
                    format!("<message xmlns='jabber:client' id='{step}'/>"),
                ),
                3 => {
                    let r = n.cm.push(
                        &format!("<message xmlns='jabber:client' id='in{step}'/>"),
                        n.now,
                    );
                    n.respond(r);
                }
                4 => n.faults.push_back(match rng.next_u64() % 3 {
                    0 => Fault::Network,
                    1 => Fault::Status(503),
                    _ => Fault::ResponseLost,
                }),
                5 => {
                    n.advance();
                }
                6 => {
                    // Responses complete in reverse order.
                    n.park = true;
                    n.s.send(
                        n.now,
                        format!("<message xmlns='jabber:client' id='{step}'/>"),
                    );
                    n.run();
                    let r = n.cm.push("<presence xmlns='jabber:client'/>", n.now);
                    n.respond(r);
                    n.park = false;
                    let mut parked = std::mem::take(&mut n.parked);
                    parked.reverse();
                    n.respond(parked);
                }
                7 => {
                    // Requests arrive in reverse order.
                    n.s.send(
                        n.now,
                        format!("<message xmlns='jabber:client' id='{step}'/>"),
                    );
                    n.s.flush();
                    let ts = n.drain();
                    for t in ts.iter().rev() {
                        n.deliver(t);
                    }
                }
                _ => n.s.flush(),
            }
            n.run();
            assert!(n.s.in_flight() <= window, "seed {seed} step {step}");
            if n.s.is_closed() {
                break;
            }
        }
        n.advance_until(n.now + secs(300));
        n.assert_clean();
        // Every message left exactly once, in order.
        let ids: Vec<String> =
            n.cm.forwarded
                .iter()
                .filter_map(|p| parse(p).attr("id").map(str::to_owned))
                .collect();
        let mut sorted = ids.clone();
        sorted.sort_by_key(|s| s.parse::<u32>().unwrap_or(0));
        sorted.dedup();
        assert_eq!(ids, sorted, "seed {seed}: in order, no duplicate");
    }
}

#[test]
fn s11_requests_1_sends_one_at_a_time() {
    let mut cm = CmConfig::full();
    cm.requests = Some(1);
    cm.hold = Some(0);
    let mut n = Net::open(config(), cm);
    for i in 0..5 {
        n.s.send(n.now, format!("<message xmlns='jabber:client' id='{i}'/>"));
        n.run();
        n.advance();
    }
    n.advance_until(secs(60));
    assert_eq!(n.cm.forwarded.len(), 5);
    n.assert_clean();
}

/// §11 with `requests` = 1: an empty request must not arrive within
/// `polling` of the previous request of any kind — a message just sent
/// included, even though it was answered at once.
#[test]
fn s11_requests_1_no_empty_request_within_polling_of_any_request() {
    let mut cm = CmConfig::full();
    cm.requests = Some(1);
    cm.hold = Some(0);
    cm.polling = Some(5);
    cm.inactivity = Some(60);
    let mut n = Net::open(config(), cm);
    n.advance_to(secs(7));
    n.now += ms(100);
    n.send("<message xmlns='jabber:client' id='m'/>");
    n.advance_until(secs(40));
    let reqs: Vec<_> = n.cm.received.iter().skip(1).collect();
    let times: Vec<_> = reqs.iter().map(|(t, _)| *t).collect();
    let m = reqs.iter().position(|(_, b)| b.contains("id='m'")).unwrap();
    assert_eq!(times[m], secs(7) + ms(100), "the message did not wait");
    for (i, w) in reqs.windows(2).enumerate() {
        if !w[1].1.contains("</body>") {
            assert!(
                w[1].0 - w[0].0 >= secs(5),
                "empty request {}: {times:?}",
                i + 1
            );
        }
    }
    assert!(times.len() >= 7, "the session kept polling: {times:?}");
    n.assert_clean();
}

fn two_outstanding() -> Session {
    let params = SessionParams {
        sid: "s".into(),
        wait: 60,
        requests: 2,
        hold: 1,
        ver: Some("1.11".into()),
        maxpause: Some(60),
        ..Default::default()
    };
    let mut s = Session::attached(config(), params, 10);
    s.poll_transmit(secs(0)).unwrap();
    s.send(secs(0), "<message xmlns='jabber:client'/>".into());
    s.poll_transmit(secs(0)).unwrap();
    s.send(secs(0), "<presence xmlns='jabber:client'/>".into());
    assert_eq!(s.poll_transmit(secs(0)), None, "the window is full");
    s
}

#[test]
fn s11_terminate_may_go_one_over_the_window() {
    let mut s = two_outstanding();
    s.terminate(vec![
        "<presence xmlns='jabber:client' type='unavailable'/>".into()
    ]);
    let t = s.poll_transmit(secs(0)).expect("terminate goes one over");
    assert!(t.body.contains("type='terminate'"));
    assert!(
        t.body.contains("<presence xmlns='jabber:client'/>"),
        "the queue rides along"
    );
    assert_eq!(s.outstanding(), 3);
    assert_eq!(s.poll_transmit(secs(0)), None);
}

#[test]
fn s11_pause_and_terminate_share_the_one_extra_request() {
    let mut s = two_outstanding();
    s.pause_session(secs(0), 30).unwrap();
    assert!(s.poll_transmit(secs(0)).unwrap().keepalive);
    s.terminate(vec![]);
    assert_eq!(s.poll_transmit(secs(0)), None, "not a second extra one");
}

#[test]
fn s11_no_requests_attribute_means_hold_plus_one() {
    let mut cm = CmConfig::full();
    cm.requests = None;
    let mut n = Net::open(config(), cm);
    n.send("<message xmlns='jabber:client'/>");
    assert_eq!(n.s.outstanding(), 1);
    n.assert_clean();
}
