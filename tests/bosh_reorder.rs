//! Two requests on the wire at once travel on two HTTP connections and can
//! reach the server in either order (a browser opens a new connection for
//! one while the other reuses an idle one; a loaded server schedules the two
//! readers as it likes). XEP-0124 §14 asks the connection manager to process
//! them in rid order, and ejabberd 23.01 does — but it processes a request
//! that arrived ahead of the gap only once the request filling the gap is
//! answered *with payloads*. If that one is an empty long poll, the early
//! request (say, a ping sent right after the session opened) waits up to
//! `wait`, and its stanzas with it. So the request that follows
//! `Session::space_next_request` (called by the connection when it reports
//! CONNECTED: the application reacts from a promise, after the
//! long poll left) does not leave within [`Config::request_spacing`] of the
//! previous one while that is unanswered: by then the previous one has
//! reached the server. Later requests are not spaced (see the last test).

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::Config;

/// The ejabberd 23.01 connection manager of the test run (requests 2, hold 1).
/// The product's default configuration (with its request spacing).
fn default_config() -> Config {
    Config::new(URL, "example.com")
}

fn ejabberd() -> CmConfig {
    let mut cm = CmConfig::full();
    cm.hold = Some(1);
    cm.ahead_waits_for_payload = true;
    cm
}

const PING: &str =
    "<iq xmlns='jabber:client' type='get' id='ping-1'><ping xmlns='urn:xmpp:ping'/></iq>";

/// The server answers the held long poll with a stanza; the session sends its
/// next long poll at once, and the application reacts to the stanza at once
/// (a ping here; a receipt, a reply). The network: a request needs up to
/// `transit` to reach the server, and one that leaves before an earlier one
/// arrived may overtake it.
fn react_at_once(n: &mut Net, transit: std::time::Duration) {
    n.park = true;
    n.push("<message xmlns='jabber:client' id='m1'><body>hi</body></message>");
    n.park = false;
    for (id, status, body) in std::mem::take(&mut n.parked) {
        n.s.handle_response(n.now, id, status, &body);
    }
    let poll = n.drain();
    assert_eq!(poll.len(), 1, "the next long poll leaves at once");
    let poll_left = n.now;
    // What the connection does when it reports CONNECTED / ATTACHED: the
    // application reacts from a promise, after the poll left.
    n.s.space_next_request();
    n.s.send(n.now, PING.into());
    let second = n.drain();
    if let Some(t) = second.first() {
        // Both on the wire: the second overtakes the first.
        n.deliver(t);
        n.deliver(&poll[0]);
    } else {
        // The poll arrives; the ping's request leaves later.
        n.now += transit;
        n.deliver(&poll[0]);
        let wake =
            n.s.poll_timeout()
                .expect("a wake-up for the held-back request");
        assert!(wake > poll_left, "{wake:?}");
        n.advance_to(wake);
    }
}

#[test]
fn s14_a_request_right_after_the_long_poll_does_not_overtake_it_on_ejabberd() {
    let mut n = Net::open(default_config(), ejabberd());
    react_at_once(&mut n, ms(100));
    n.advance_until(n.now + secs(10));
    assert!(
        n.cm.forwarded.iter().any(|f| f.contains("ping-1")),
        "the ping reached the XMPP server within 10 s (forwarded: {:?})",
        n.cm.forwarded
    );
    // The request that carried it left `request_spacing` after the poll.
    let times: Vec<_> =
        n.cm.received
            .iter()
            .rev()
            .take(2)
            .map(|(t, _)| *t)
            .collect();
    assert!(times[0] >= times[1], "{times:?}");
    assert!(n.cm.violations.is_empty(), "{:?}", n.cm.violations);
}

#[test]
fn s14_a_stanza_next_to_a_long_poll_held_for_a_while_leaves_at_once() {
    let mut n = Net::open(default_config(), ejabberd());
    n.advance_until(n.now + secs(1));
    n.s.space_next_request();
    n.s.send(n.now, PING.into());
    let t = n.drain();
    assert_eq!(t.len(), 1, "the ping's request left at once");
    n.deliver(&t[0]);
    n.run();
    assert!(
        n.cm.forwarded.iter().any(|f| f.contains("ping-1")),
        "{:?}",
        n.cm.received
    );
}

#[test]
fn s10_a_pause_request_right_after_the_long_poll_leaves_at_once() {
    // It leaves from a page that is going away: it cannot wait.
    let mut n = Net::open(default_config(), ejabberd());
    n.s.pause_session(n.now, 60).unwrap();
    let t = n.drain();
    assert_eq!(t.len(), 1, "the pause request left at once");
    assert!(
        t[0].keepalive && t[0].body.contains("pause='60'"),
        "{}",
        t[0].body
    );
}

#[test]
fn s14_only_the_request_after_space_next_request_waits() {
    // Later sends leave at once, as before: a spaced send could leave while
    // the page unloads and reach the server after the next page resent it.
    let mut n = Net::open(default_config(), ejabberd());
    react_at_once(&mut n, ms(100));
    n.advance_until(n.now + secs(1));
    n.park = true;
    n.push("<message xmlns='jabber:client' id='m2'><body>again</body></message>");
    n.park = false;
    for (id, status, body) in std::mem::take(&mut n.parked) {
        n.s.handle_response(n.now, id, status, &body);
    }
    let poll = n.drain();
    assert_eq!(poll.len(), 1, "the next long poll leaves at once");
    n.s.send(
        n.now,
        "<message xmlns='jabber:client' to='bob@example.com' id='r2'/>".into(),
    );
    assert_eq!(n.drain().len(), 1, "the reply left at once, not spaced");
}

/// The response that completes the login arrives (here: a stanza on the
/// held poll), and the connection defers the next long poll to the next
/// task, as it does when it reports CONNECTED.
fn login_completes(n: &mut Net) {
    n.park = true;
    n.push("<iq xmlns='jabber:client' type='result' id='bind-1'/>");
    n.park = false;
    for (id, status, body) in std::mem::take(&mut n.parked) {
        n.s.handle_response(n.now, id, status, &body);
    }
    n.s.defer_long_poll(n.now);
    n.s.space_next_request();
}

#[test]
fn s14_the_reaction_to_connected_is_alone_on_the_wire_and_leaves_at_once() {
    let mut n = Net::open(default_config(), ejabberd());
    login_completes(&mut n);
    // The shell's drain in the response handler: no long poll yet.
    assert!(
        n.drain().is_empty(),
        "the long poll waits for the next task"
    );
    // The application's reaction, a promise reaction in the same task.
    n.s.send(n.now, PING.into());
    let t = n.drain();
    assert_eq!(t.len(), 1, "one request, with the ping, at once");
    assert!(t[0].body.contains("ping-1"), "{}", t[0].body);
    let sent_at = n.now;
    // The next task: the zero-length timer finds a request on the wire, and
    // no poll leaves beside it (nothing it could overtake, or be overtaken by).
    assert_eq!(n.s.poll_timeout().filter(|w| *w <= n.now), None);
    n.s.handle_timeout(n.now);
    assert!(n.drain().is_empty(), "nothing beside the ping's request");
    n.deliver(&t[0]);
    assert!(
        n.cm.forwarded.iter().any(|f| f.contains("ping-1")),
        "the strict CM forwarded the ping at once: {:?}",
        n.cm.received
    );
    assert_eq!(n.cm.received.last().map(|(at, _)| *at), Some(sent_at));
    n.run();
    assert!(n.cm.violations.is_empty(), "{:?}", n.cm.violations);
}

#[test]
fn s14_without_a_reaction_the_long_poll_leaves_one_task_after_connected() {
    let mut n = Net::open(default_config(), ejabberd());
    login_completes(&mut n);
    assert!(
        n.drain().is_empty(),
        "the long poll waits for the next task"
    );
    assert_eq!(
        n.s.poll_timeout(),
        Some(n.now),
        "a zero-length timer for it"
    );
    n.s.handle_timeout(n.now);
    let t = n.drain();
    assert_eq!(t.len(), 1, "the long poll left, at the same time");
    assert!(t[0].body.ends_with("/>"), "{}", t[0].body);
    // Nothing due any more: the timer does not spin.
    assert!(n.s.poll_timeout().is_none_or(|w| w > n.now));
}

#[test]
fn s14_a_reaction_in_a_later_task_after_the_deferred_poll_is_still_spaced() {
    // The poll left one task after CONNECTED; the application reacts later
    // (say, after a fetch): its request must not overtake the poll.
    let mut n = Net::open(default_config(), ejabberd());
    login_completes(&mut n);
    n.s.handle_timeout(n.now);
    let poll = n.drain();
    assert_eq!(poll.len(), 1);
    n.now += ms(5);
    n.s.send(n.now, PING.into());
    assert!(n.drain().is_empty(), "spaced behind the poll in transit");
    n.now += ms(100);
    n.deliver(&poll[0]);
    let wake = n.s.poll_timeout().expect("a wake-up for the ping");
    n.advance_to(wake);
    assert!(
        n.cm.forwarded.iter().any(|f| f.contains("ping-1")),
        "{:?}",
        n.cm.received
    );
    assert!(n.cm.violations.is_empty(), "{:?}", n.cm.violations);
}
