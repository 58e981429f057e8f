//! The `reconnect` option (src/connection/reconnect.rs) against the scripted
//! servers on the fake clock: a live session lost to the network or the
//! server → RECONNECTING → a fresh login (BOSH) or a resumption (WebSocket)
//! → CONNECTED, with the waits jittered within their doubling cap, stanzas
//! sent meanwhile delivered once, the stanzas that may not have arrived
//! told, `disconnect()` ending the loop at once, `maxAttempts`, no
//! reconnect without the option or after AUTHFAIL, and the request-rate
//! ceiling under a dead server and under a server that drops every session
//! at once.

mod common;
mod ws_server;

use common::{Harness, Server};
use std::time::Duration;
use xmpp_wasm::connection::reconnect::{Policy, MIN_ATTEMPT_GAP};
use xmpp_wasm::connection::{Options, Status};
use xmpp_wasm::xml::{self, Element};

const MS: Duration = Duration::from_millis(1);

fn options(initial_ms: u64, max_ms: u64, attempts: u32, max_retries: u32) -> Options {
    Options {
        reconnect: Some(Policy {
            initial_delay: Duration::from_millis(initial_ms),
            max_delay: Duration::from_millis(max_ms),
            max_attempts: attempts,
            ..Policy::default()
        }),
        max_retries,
        ..common::options_with(&["PLAIN"])
    }
}

fn connected_with(o: Options) -> Harness {
    let mut h = Harness::new(Server::new(), o);
    h.conn
        .connect("alice@localhost/web", Some("alice-pass"))
        .unwrap();
    h.run();
    assert_eq!(h.conn.status(), Status::Connected);
    h
}

/// The ids of the application's messages the server received.
fn messages(h: &Harness) -> Vec<&str> {
    h.server
        .received_ids
        .iter()
        .map(String::as_str)
        .filter(|i| !i.starts_with("bind_") && !i.starts_with("sess_"))
        .collect()
}

fn message(id: &str) -> Element {
    Element::new("message")
        .with_attr("to", "bob@localhost")
        .with_attr("id", id)
        .with_child(Element::new("body").with_text(id))
}

/// The server process dies: its held requests' connections reset.
fn kill(h: &mut Harness) {
    for id in h.server.kill() {
        h.conn.handle_transport_error(h.now, id);
    }
    h.run();
}

/// Every request the client made, with the time it left.
struct Log {
    seen: usize,
    sent: Vec<(Duration, String)>,
}

impl Log {
    fn new(h: &Harness) -> Self {
        Log {
            seen: h.transmits.len(),
            sent: Vec::new(),
        }
    }
    fn take(&mut self, h: &Harness) {
        for t in &h.transmits[self.seen..] {
            self.sent.push((h.now, t.body.clone()));
        }
        self.seen = h.transmits.len();
    }
    /// Session creations (no sid), as (time, rid), one per rid.
    fn creations(&self) -> Vec<(Duration, String)> {
        let mut out: Vec<(Duration, String)> = Vec::new();
        for (t, body) in &self.sent {
            let b = xml::parse(body).unwrap();
            if b.attr("sid").is_none() {
                let rid = b.attr("rid").unwrap().to_owned();
                if !out.iter().any(|(_, r)| *r == rid) {
                    out.push((*t, rid));
                }
            }
        }
        out
    }
    /// The most requests that left within any window of `w`.
    fn max_in_window(&self, w: Duration, only_creations: bool) -> usize {
        let times: Vec<Duration> = if only_creations {
            self.creations().into_iter().map(|(t, _)| t).collect()
        } else {
            self.sent.iter().map(|(t, _)| *t).collect()
        };
        (0..times.len())
            .map(|i| times[i..].iter().take_while(|&&t| t < times[i] + w).count())
            .max()
            .unwrap_or(0)
    }
}

/// Advances the fake clock deadline by deadline until `until`, logging.
fn run_until(h: &mut Harness, log: &mut Log, until: Duration, stop: impl Fn(&Harness) -> bool) {
    log.take(h);
    let mut same_instant = 0;
    while h.now < until && !stop(h) {
        match h.conn.poll_timeout() {
            Some(t) if t <= until => {
                same_instant = if t <= h.now { same_instant + 1 } else { 0 };
                assert!(
                    same_instant < 1_000,
                    "a storm: the clock stands still at {:?}",
                    h.now
                );
                h.now = h.now.max(t);
                h.conn.handle_timeout(h.now);
                h.run();
                log.take(h);
            }
            _ => {
                h.now = until;
                break;
            }
        }
    }
}

fn run_for(h: &mut Harness, log: &mut Log, span: Duration, stop: impl Fn(&Harness) -> bool) {
    let until = h.now + span;
    run_until(h, log, until, stop);
}

fn count(statuses: &[(Status, Option<String>)], s: Status) -> usize {
    statuses.iter().filter(|(x, _)| *x == s).count()
}

#[test]
fn the_option_is_true_or_limits() {
    use xmpp_wasm::json::JsonError;
    assert_eq!(Options::default().reconnect, None);
    assert_eq!(
        Options::from_json(r#"{"reconnect":true}"#)
            .unwrap()
            .reconnect,
        Some(Policy::default())
    );
    assert_eq!(
        Options::from_json(r#"{"reconnect":false}"#)
            .unwrap()
            .reconnect,
        None
    );
    assert_eq!(
        Options::from_json(r#"{"reconnect":{"maxDelay":5000,"maxAttempts":3}}"#)
            .unwrap()
            .reconnect,
        Some(Policy {
            max_delay: Duration::from_secs(5),
            max_attempts: 3,
            ..Policy::default()
        })
    );
    assert_eq!(
        Options::from_json(r#"{"reconnect":{"tries":3}}"#),
        Err(JsonError::Unknown("tries".into()))
    );
    assert_eq!(
        Options::from_json(r#"{"reconnect":{"maxDelay":-1}}"#),
        Err(JsonError::Field("reconnect"))
    );
    assert_eq!(
        Options::from_json(r#"{"reconnect":"yes"}"#),
        Err(JsonError::Field("reconnect"))
    );
}

#[test]
fn a_dead_server_is_reconnected_to_after_jittered_doubling_waits() {
    // maxRetries 0: an attempt fails the moment its request does, so the
    // wait before each attempt is exactly the gap between creations.
    let mut h = connected_with(options(1_000, 8_000, 0, 0));
    h.conn.send(h.now, message("m1")).unwrap();
    h.run();
    assert_eq!(messages(&h), ["m1"]);
    let before = h.statuses().len();
    let mut log = Log::new(&h);
    kill(&mut h);
    let lost_at = h.now;
    assert_eq!(
        h.statuses()[before..],
        [(
            Status::Reconnecting,
            Some("remote-connection-failed".into())
        )]
    );
    // Sent while reconnecting: held, not refused, not lost.
    h.conn.send(h.now, message("m2")).unwrap();
    run_until(&mut h, &mut log, lost_at + Duration::from_secs(120), |_| {
        false
    });
    let starts: Vec<Duration> = log.creations().iter().map(|(t, _)| *t).collect();
    assert!(starts.len() >= 10, "{starts:?}");
    assert!(starts[0] - lost_at <= Duration::from_millis(1_000));
    let mut below_cap = 0;
    for k in 1..starts.len() {
        let cap = Duration::from_millis(1_000u64 << k.min(20)).min(Duration::from_millis(8_000));
        let gap = starts[k] - starts[k - 1];
        assert!(gap >= MIN_ATTEMPT_GAP, "attempt {k}: {gap:?}");
        assert!(
            gap <= cap.max(MIN_ATTEMPT_GAP),
            "attempt {k}: {gap:?} > {cap:?}"
        );
        if gap + Duration::from_millis(500) < cap {
            below_cap += 1;
        }
    }
    // Full jitter: the waits are spread below their cap, not the cap itself.
    assert!(below_cap >= starts.len() / 3, "{starts:?}");
    let s = h.statuses();
    assert_eq!(
        s.last().unwrap().0,
        Status::Reconnecting,
        "no give-up: {s:?}"
    );

    // The server comes back (a new process: no session, no rids).
    h.server = Server::new();
    let back = h.now;
    let mut log = Log::new(&h);
    run_until(&mut h, &mut log, back + Duration::from_secs(60), |h| {
        h.conn.status() == Status::Connected
    });
    assert_eq!(h.conn.status(), Status::Connected);
    assert!(
        h.now - back <= Duration::from_millis(8_000),
        "{:?}",
        h.now - back
    );
    let s = h.statuses();
    assert_eq!(
        s[before..].iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [Status::Reconnecting, Status::Connected],
        "no CONNECTING/AUTHENTICATING/CONNFAIL in between: {s:?}"
    );
    assert_eq!(h.conn.jid().unwrap().to_string(), "alice@localhost/web");
    // m2 went once, on the new session; m1 (answered) was not resent.
    h.run();
    assert_eq!(messages(&h), ["m2"]);
    // The request that carried m1 was the one the server held when it
    // died: its answer never came, so m1 is told (the client cannot know
    // that it arrived), once.
    let u = h
        .conn
        .poll_unacknowledged()
        .expect("m1's request was unanswered");
    assert_eq!(u.stanzas.len(), 1);
    assert_eq!(u.stanzas[0].attr("id"), Some("m1"));
    assert!(h.conn.poll_unacknowledged().is_none());
}

#[test]
fn stanzas_of_unanswered_requests_are_told_not_resent() {
    let mut h = connected_with(options(1_000, 8_000, 0, 0));
    // The server dies silently; the next send's request fails.
    h.server.quirks.unreachable = true;
    h.conn.send(h.now, message("m3")).unwrap();
    h.run();
    assert_eq!(h.conn.status(), Status::Reconnecting);
    let u = h
        .conn
        .poll_unacknowledged()
        .expect("m3 may not have arrived");
    assert_eq!(u.condition, "remote-connection-failed");
    let ids: Vec<_> = u.stanzas.iter().filter_map(|s| s.attr("id")).collect();
    assert_eq!(ids, ["m3"]);
    assert!(h.conn.poll_unacknowledged().is_none());
    h.server = Server::new();
    let mut log = Log::new(&h);
    run_for(&mut h, &mut log, Duration::from_secs(30), |h| {
        h.conn.status() == Status::Connected
    });
    assert_eq!(h.conn.status(), Status::Connected);
    h.run();
    assert!(messages(&h).is_empty(), "the app decides: not resent");
}

#[test]
fn a_session_the_server_forgot_is_replaced() {
    let mut h = connected_with(options(500, 4_000, 0, 5));
    let up = h.now;
    let replies = h.server.forget_session();
    h.deliver(replies);
    assert_eq!(h.conn.status(), Status::Reconnecting);
    assert_eq!(
        h.statuses().last().unwrap().1.as_deref(),
        Some("item-not-found")
    );
    h.server = Server::new();
    let mut log = Log::new(&h);
    run_for(&mut h, &mut log, Duration::from_secs(10), |h| {
        h.conn.status() == Status::Connected
    });
    assert_eq!(h.conn.status(), Status::Connected);
    // The first wait (≤ 500 ms), held to a second after the lost session
    // came up (MIN_ATTEMPT_GAP: it counts as the previous start).
    assert!(h.now <= up + MIN_ATTEMPT_GAP, "{:?} after {up:?}", h.now);
}

#[test]
fn disconnect_during_the_backoff_ends_the_loop_at_once() {
    let mut h = connected_with(options(10_000, 30_000, 0, 0));
    h.conn.send(h.now, message("kept")).unwrap();
    h.run();
    kill(&mut h);
    assert_eq!(h.conn.status(), Status::Reconnecting);
    h.conn.send(h.now, message("held")).unwrap();
    let before = h.statuses().len();
    h.conn.disconnect(None);
    h.run();
    assert_eq!(
        h.statuses()[before..]
            .iter()
            .map(|(s, _)| *s)
            .collect::<Vec<_>>(),
        [Status::Disconnecting, Status::Disconnected]
    );
    assert_eq!(h.conn.poll_timeout(), None, "no attempt scheduled");
    h.server = Server::new();
    let n = h.transmits.len();
    h.now += Duration::from_secs(600);
    h.conn.handle_timeout(h.now);
    h.run();
    assert_eq!(h.transmits.len(), n, "nothing sent after disconnect()");
    // A new connect() works and starts from a fresh count.
    h.conn
        .connect("alice@localhost/web", Some("alice-pass"))
        .unwrap();
    h.run();
    assert_eq!(h.conn.status(), Status::Connected);
}

#[test]
fn disconnect_during_an_attempt_wins_too() {
    let mut h = connected_with(options(0, 0, 0, 5));
    kill(&mut h);
    let mut log = Log::new(&h);
    // The lost poll's resends run out (250 ms … 4 s), then the attempt's
    // creation request is failing and being resent.
    run_for(&mut h, &mut log, Duration::from_secs(20), |h| {
        h.conn.status() == Status::Reconnecting
    });
    run_for(&mut h, &mut log, Duration::from_secs(2), |_| false);
    assert_eq!(h.conn.status(), Status::Reconnecting);
    assert!(!log.creations().is_empty());
    h.conn.disconnect(None);
    run_for(&mut h, &mut log, Duration::from_secs(600), |_| false);
    let s = h.statuses();
    assert_eq!(s.last().unwrap().0, Status::Disconnected, "{s:?}");
    let n = log.sent.len();
    run_for(&mut h, &mut log, Duration::from_secs(600), |_| false);
    assert_eq!(log.sent.len(), n);
    assert_eq!(h.conn.poll_timeout(), None);
}

#[test]
fn max_attempts_then_connfail_and_disconnected() {
    let mut h = connected_with(options(100, 1_000, 3, 0));
    kill(&mut h);
    h.conn.send(h.now, message("never")).unwrap();
    let mut log = Log::new(&h);
    run_for(&mut h, &mut log, Duration::from_secs(600), |_| false);
    assert_eq!(log.creations().len(), 3);
    let s = h.statuses();
    let n = s.len();
    assert_eq!(
        s[n - 3..],
        [
            (
                Status::Reconnecting,
                Some("remote-connection-failed".into())
            ),
            (Status::ConnFail, Some("remote-connection-failed".into())),
            (Status::Disconnected, None)
        ]
    );
    let u = h
        .conn
        .poll_unacknowledged()
        .expect("the held stanza is told");
    assert_eq!(u.stanzas[0].attr("id"), Some("never"));
    assert_eq!(h.conn.poll_timeout(), None);
}

#[test]
fn no_reconnect_without_the_option() {
    let mut h = connected_with(Options {
        max_retries: 0,
        ..common::options_with(&["PLAIN"])
    });
    kill(&mut h);
    let s = h.statuses();
    assert_eq!(count(&s, Status::Reconnecting), 0);
    assert_eq!(s.last().unwrap().0, Status::Disconnected);
    h.server = Server::new();
    let mut log = Log::new(&h);
    run_for(&mut h, &mut log, Duration::from_secs(600), |_| false);
    assert!(log.sent.is_empty());
}

#[test]
fn no_reconnect_after_authfail() {
    // The password changed while the server was down.
    let mut h = connected_with(options(100, 1_000, 0, 0));
    kill(&mut h);
    let mut server = Server::new();
    server.users = vec![("alice".into(), "new-pass".into())];
    h.server = server;
    let mut log = Log::new(&h);
    run_for(&mut h, &mut log, Duration::from_secs(600), |_| false);
    let s = h.statuses();
    assert_eq!(count(&s, Status::AuthFail), 1, "{s:?}");
    assert_eq!(s.last().unwrap().0, Status::Disconnected);
    assert_eq!(log.creations().len(), 1, "one attempt, then no more");
    // A failed first login is not a lost session either.
    let mut h = Harness::new(Server::new(), options(100, 1_000, 0, 0));
    h.conn.connect("alice@localhost", Some("wrong")).unwrap();
    h.run();
    let mut log = Log::new(&h);
    run_for(&mut h, &mut log, Duration::from_secs(600), |_| false);
    assert_eq!(count(&h.statuses(), Status::Reconnecting), 0);
    assert!(log.sent.is_empty());
}

/// The stated ceiling (ARCHITECTURE.md, reconnect): whatever the fault and
/// the options (here the worst: no wait at all, `initialDelay` 0), at most
/// one session creation starts per second, and no second holds more than
/// [`REQUEST_CEILING`] requests.
const REQUEST_CEILING: usize = 6;

#[test]
fn rate_ceiling_with_a_dead_server() {
    let mut h = connected_with(options(0, 0, 0, 5));
    kill(&mut h);
    let mut log = Log::new(&h);
    run_until(&mut h, &mut log, Duration::from_secs(600), |_| false);
    let per_s = log.max_in_window(Duration::from_secs(1), false);
    let creations = log.max_in_window(Duration::from_secs(1), true);
    println!(
        "dead server, 10 min: {} requests, {} session creations; at most {per_s} requests and {creations} creations in any 1 s",
        log.sent.len(),
        log.creations().len()
    );
    assert!(creations <= 1);
    assert!(per_s <= REQUEST_CEILING, "{per_s}");
    assert!(log.creations().len() >= 10, "it keeps trying");
}

#[test]
fn rate_ceiling_with_a_server_that_drops_every_session() {
    let mut h = connected_with(options(0, 0, 0, 5));
    let mut log = Log::new(&h);
    let mut cycles = 0;
    while h.now < Duration::from_secs(600) {
        if h.conn.status() == Status::Connected && !h.server.terminated {
            cycles += 1;
            assert!(
                cycles <= h.now.as_secs() + 2,
                "a storm: {cycles} sessions by {:?}",
                h.now
            );
            let replies = h.server.forget_session();
            h.deliver(replies);
            log.take(&h);
        }
        if h.server.terminated && h.conn.status() == Status::Reconnecting {
            h.server = Server::new();
        }
        let until = h.now + Duration::from_secs(1);
        run_until(&mut h, &mut log, until, |h| {
            h.conn.status() == Status::Connected && !h.server.terminated
        });
    }
    let per_s = log.max_in_window(Duration::from_secs(1), false);
    let creations = log.max_in_window(Duration::from_secs(1), true);
    println!(
        "flapping server, 10 min: {cycles} sessions, {} requests; at most {per_s} requests and {creations} creations in any 1 s",
        log.sent.len()
    );
    assert!(cycles >= 100, "{cycles}");
    assert!(creations <= 1);
    assert!(per_s <= REQUEST_CEILING, "{per_s}");
}

#[test]
fn the_attempt_count_starts_over_only_after_a_stable_session() {
    let mut h = connected_with(options(1_000, 64_000, 0, 0));
    for round in 0..3 {
        h.server.quirks.unreachable = true;
        let replies = h.server.forget_session();
        h.deliver(replies);
        assert_eq!(h.conn.status(), Status::Reconnecting, "round {round}");
        h.server = Server::new();
        let mut log = Log::new(&h);
        let t0 = h.now;
        run_until(&mut h, &mut log, t0 + Duration::from_secs(200), |h| {
            h.conn.status() == Status::Connected
        });
        let wait = log.creations()[0].0 - t0;
        // Dropped again at once: the cap doubles (1 s, 2 s, 4 s: the
        // draw stays within it and above the 1 s gap after the first).
        assert!(wait <= Duration::from_millis(1_000 << round).max(MIN_ATTEMPT_GAP) + MS);
    }
}

mod ws {
    use super::*;
    use ws_server::{WsHarness, WsServer};

    fn connected(o: Options) -> WsHarness {
        let mut h = WsHarness::new(WsServer::default(), o);
        h.connect();
        assert_eq!(h.conn.status(), Status::Connected);
        assert!(h.conn.stream_management().resumable());
        h
    }

    fn advance_until(h: &mut WsHarness, limit: Duration, stop: impl Fn(&WsHarness) -> bool) {
        while h.now < limit && !stop(h) {
            match h.conn.poll_timeout() {
                Some(t) if t <= limit => {
                    let d = t.saturating_sub(h.now);
                    h.advance(d);
                }
                _ => break,
            }
        }
    }

    fn advance_for(h: &mut WsHarness, span: Duration, stop: impl Fn(&WsHarness) -> bool) {
        let limit = h.now + span;
        advance_until(h, limit, stop);
    }

    #[test]
    fn a_dropped_socket_is_resumed_after_the_backoff_and_retried() {
        let mut h = connected(options(1_000, 8_000, 0, 5));
        h.send_message("w1");
        h.run();
        h.server.refuse = true;
        h.drop_socket();
        assert_eq!(h.conn.status(), Status::Reconnecting);
        h.send_message("w2");
        let sockets = h.server.sockets;
        advance_for(&mut h, Duration::from_secs(20), |_| false);
        assert_eq!(h.conn.status(), Status::Reconnecting, "{:?}", h.statuses());
        h.server.refuse = false;
        advance_for(&mut h, Duration::from_secs(20), |h| {
            h.conn.status() == Status::Attached
        });
        assert_eq!(
            h.statuses().last().unwrap(),
            &(Status::Attached, Some("resumed".into()))
        );
        assert_eq!(h.server.sockets, sockets + 1);
        h.run();
        assert_eq!(h.server.received_ids(), ["w1", "w2"], "each once");
        assert!(h.conn.poll_unacknowledged().is_none());
    }

    #[test]
    fn a_restarted_server_gets_a_new_session_and_the_unacked_are_told() {
        let mut h = connected(options(500, 4_000, 0, 5));
        h.send_message("u1"); // not acknowledged yet when the server dies
        h.run();
        h.server = WsServer::default();
        h.drop_socket();
        assert_eq!(h.conn.status(), Status::Reconnecting);
        h.send_message("u2");
        advance_for(&mut h, Duration::from_secs(10), |h| {
            h.conn.status() == Status::Connected
        });
        assert_eq!(h.conn.status(), Status::Connected, "{:?}", h.statuses());
        let u = h.conn.poll_unacknowledged().expect("u1 is told");
        assert_eq!(u.stanzas[0].attr("id"), Some("u1"));
        h.run();
        assert_eq!(h.server.received_ids(), ["u2"]);
    }

    #[test]
    fn without_the_option_one_immediate_resumption_as_before() {
        let mut h = connected(ws_server::options_with(&["PLAIN"]));
        h.server.refuse = true;
        h.drop_socket();
        let s = h.statuses();
        assert_eq!(s.last().unwrap().0, Status::Disconnected, "{s:?}");
    }
}
