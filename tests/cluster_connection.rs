//! Cluster nodes through `connection::Connection` (issue 12): a service of
//! several BOSH node URLs of one domain (joined by spaces, the shell's form).
//! A connect picks a node at random and lands on another when it refuses;
//! the refused node cools down for the next session; sessions spread over
//! the nodes; a restore goes back to the snapshot's node; a reconnect after
//! the node died lands on another one. Scripted servers, one per node URL,
//! on the fake clock.

mod common;

use common::Server;
use std::collections::HashMap;
use std::time::Duration;
use xmpp_wasm::bosh::Transmit;
use xmpp_wasm::connection::reconnect::Policy;
use xmpp_wasm::connection::{check_service, CommandError, Connection, Event, Options, Status};
use xmpp_wasm::rand::XorShift;

const A: &str = "https://a.example/http-bind";
const B: &str = "https://b.example/http-bind";
const C: &str = "https://c.example/http-bind";

fn service() -> String {
    [A, B, C].join(" ")
}

fn options() -> Options {
    let mut o = common::options_with(&["PLAIN"]);
    o.request_spacing = Duration::ZERO;
    o
}

struct Cluster {
    conn: Connection,
    servers: HashMap<String, Server>,
    now: Duration,
    statuses: Vec<Status>,
    /// The URL of every request, in order.
    urls: Vec<String>,
}

impl Cluster {
    fn new(seed: u64, o: Options) -> Self {
        let mut c = Cluster {
            conn: Connection::new(service(), o, Box::new(XorShift::new(seed))),
            servers: HashMap::new(),
            now: Duration::ZERO,
            statuses: Vec::new(),
            urls: Vec::new(),
        };
        c.fresh_servers();
        c
    }

    /// A new scripted server on every node (its own sid).
    fn fresh_servers(&mut self) {
        for (i, u) in [A, B, C].iter().enumerate() {
            let mut s = Server::new();
            s.sid = format!("sid-{i}");
            self.servers.insert(u.to_string(), s);
        }
    }

    fn refuse(&mut self, url: &str) {
        self.servers.get_mut(url).unwrap().quirks.unreachable = true;
    }

    /// Drains the connection and lets the nodes answer until nothing moves.
    fn run(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(ev) = self.conn.poll_event() {
                if let Event::Status { status, .. } = ev {
                    self.statuses.push(status);
                }
                moved = true;
            }
            let mut pending: Vec<Transmit> = Vec::new();
            while let Some(t) = self.conn.poll_transmit(self.now) {
                pending.push(t);
                moved = true;
            }
            for t in pending {
                self.urls.push(t.url.clone());
                let server = self.servers.get_mut(&t.url).expect("a node of the cluster");
                if server.quirks.unreachable {
                    self.conn.handle_transport_error(self.now, t.id);
                    continue;
                }
                for (id, status, body) in server.handle(&t) {
                    self.conn.handle_response(self.now, id, status, &body);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the exchange did not settle");
    }

    /// Runs deadline by deadline until `stop` or `span` has passed.
    fn run_for(&mut self, span: Duration, stop: impl Fn(&Cluster) -> bool) {
        let until = self.now + span;
        while self.now < until && !stop(self) {
            match self.conn.poll_timeout() {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    self.conn.handle_timeout(self.now);
                    self.run();
                }
                _ => break,
            }
        }
    }

    fn connect(&mut self) {
        self.conn
            .connect("alice@localhost/web", Some("alice-pass"))
            .unwrap();
        self.run();
    }

    /// The node of the live session.
    fn node(&self) -> String {
        self.conn.session().unwrap().config().url.clone()
    }
}

#[test]
fn a_refused_node_is_left_for_another_and_cools_down() {
    let mut seen_fallback = false;
    for seed in 1..=12 {
        let mut c = Cluster::new(seed, options());
        c.refuse(A);
        c.refuse(B);
        c.connect();
        assert_eq!(c.conn.status(), Status::Connected, "seed {seed}");
        assert_eq!(c.node(), C);
        assert_eq!(c.conn.service(), C);
        // `to` is the domain on whichever node.
        assert_eq!(c.conn.session().unwrap().config().to, "localhost");
        let first = c.urls[0].clone();
        seen_fallback |= first != C;
        // The nodes the creation left cool down: the next session starts on C.
        let cooling: Vec<&str> = [A, B]
            .into_iter()
            .filter(|u| c.urls.iter().any(|x| x == u))
            .collect();
        for u in &cooling {
            assert!(c.conn.cluster().unwrap().is_cooling(u, c.now));
        }
        c.conn.disconnect(None);
        c.run();
        c.fresh_servers();
        c.refuse(A);
        c.refuse(B);
        let before = c.urls.len();
        c.connect();
        assert_eq!(c.conn.status(), Status::Connected);
        if cooling.len() == 2 {
            assert_eq!(c.urls[before], C, "seed {seed}: a cooling node first");
        }
        for u in &cooling {
            assert!(!c.urls[before..].iter().any(|x| x == u), "seed {seed}: {u}");
        }
    }
    assert!(seen_fallback, "no seed started on a refused node");
}

#[test]
fn sessions_spread_over_the_nodes() {
    let mut split: HashMap<String, usize> = HashMap::new();
    for seed in 1..=90 {
        let mut c = Cluster::new(seed, options());
        c.connect();
        assert_eq!(c.conn.status(), Status::Connected);
        // The whole login went to the one node.
        let node = c.node();
        assert!(c.urls.iter().all(|u| *u == node));
        *split.entry(node).or_default() += 1;
    }
    println!(
        "90 connects: A {:?} B {:?} C {:?}",
        split.get(A),
        split.get(B),
        split.get(C)
    );
    for u in [A, B, C] {
        let n = split.get(u).copied().unwrap_or(0);
        assert!((15..=45).contains(&n), "{u}: {n} of 90");
    }
}

#[test]
fn restore_goes_back_to_the_snapshots_node() {
    let mut c = Cluster::new(5, options());
    c.connect();
    let node = c.node();
    let snap = c.conn.snapshot().unwrap();
    for seed in 1..=8 {
        // Another page: another random source; the snapshot's node decides.
        let mut page = Connection::new(service(), options(), Box::new(XorShift::new(seed)));
        page.restore(&snap).unwrap();
        assert_eq!(page.service(), node);
        let t = page.poll_transmit(Duration::ZERO).unwrap();
        assert_eq!(t.url, node, "seed {seed}");
    }
    // A node outside the cluster is refused.
    let other = "https://a.example/http-bind https://d.example/http-bind";
    let mut page = Connection::new(other, options(), Box::new(XorShift::new(1)));
    if node != A {
        assert_eq!(
            page.restore(&snap),
            Err(CommandError::InvalidState("snapshot of another service"))
        );
    }
    let mut single = Connection::new(C, options(), Box::new(XorShift::new(1)));
    if node != C {
        assert!(single.restore(&snap).is_err());
    }
}

#[test]
fn a_reconnect_after_the_node_died_lands_on_another_node() {
    let mut o = options();
    o.reconnect = Some(Policy {
        initial_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(4),
        ..Policy::default()
    });
    for seed in 1..=6 {
        let mut c = Cluster::new(seed, o.clone());
        c.connect();
        assert_eq!(c.conn.status(), Status::Connected);
        let dead = c.node();
        for id in c.servers.get_mut(&dead).unwrap().kill() {
            c.conn.handle_transport_error(c.now, id);
        }
        c.run();
        c.run_for(Duration::from_secs(60), |c| {
            c.conn.status() == Status::Reconnecting
        });
        assert_eq!(c.conn.status(), Status::Reconnecting, "seed {seed}");
        let before = c.urls.len();
        c.run_for(Duration::from_secs(60), |c| {
            c.conn.status() == Status::Connected
        });
        assert_eq!(c.conn.status(), Status::Connected, "seed {seed}");
        assert_ne!(c.node(), dead);
        // The new session did not even try the dead node: it cools down.
        assert!(
            c.urls[before..].iter().all(|u| *u != dead),
            "seed {seed}: {:?}",
            &c.urls[before..]
        );
    }
}

#[test]
fn an_invalid_cluster_is_refused_with_a_condition() {
    let bad = [
        format!("{A} {A}"),
        format!("{A} wss://b.example/xmpp-websocket"),
        format!("{A}  {B}"),
        format!("{A} "),
        (0..17)
            .map(|i| format!("https://n{i}.example/http-bind"))
            .collect::<Vec<_>>()
            .join(" "),
    ];
    for s in &bad {
        assert!(check_service(s).is_err(), "{s}");
        let mut c = Connection::new(s.as_str(), options(), Box::new(XorShift::new(1)));
        let e = c.connect("alice@localhost", Some("x")).unwrap_err();
        assert_eq!(e.condition(), "bad-options", "{s}");
        assert!(c.set_service(s).is_err());
    }
    assert!(check_service(&service()).is_ok());
    assert!(check_service(A).is_ok());
}

#[test]
fn set_service_keeps_the_cool_downs_of_the_same_cluster_only() {
    let mut tested = 0;
    for seed in 1..=12 {
        let mut c = Cluster::new(seed, options());
        c.refuse(A);
        c.refuse(B);
        c.connect();
        let Some(cooling) = [A, B].into_iter().find(|u| c.urls.iter().any(|x| x == u)) else {
            continue;
        };
        c.conn.disconnect(None);
        c.run();
        // The shell sets the first entry again before every connect.
        c.conn.set_service(&service()).unwrap();
        assert!(c.conn.cluster().unwrap().is_cooling(cooling, c.now));
        // Another cluster starts afresh.
        c.conn.set_service(&[A, B].join(" ")).unwrap();
        assert!(!c.conn.cluster().unwrap().is_cooling(cooling, c.now));
        c.conn.set_service(C).unwrap();
        assert!(c.conn.cluster().is_none());
        tested += 1;
    }
    assert!(tested > 0);
}

/// A prebind service logs in on `url` (the node `server` stands for) and
/// stops before the long poll: the JID, sid and next rid it hands over.
fn prebind(server: &mut Server, url: &str) -> (String, String, u64) {
    let mut pre = Connection::new(url, options(), Box::new(XorShift::new(99)));
    pre.connect("alice@localhost/web", Some("alice-pass"))
        .unwrap();
    let mut now_ok = false;
    for _ in 0..100 {
        let Some(t) = pre.poll_transmit(Duration::ZERO) else {
            break;
        };
        for (id, st, body) in server.handle(&t) {
            pre.handle_response(Duration::ZERO, id, st, &body);
        }
        if pre.status() == Status::Connected {
            now_ok = true;
            break;
        }
    }
    assert!(now_ok, "the prebind logged in");
    let rid = pre.session().unwrap().next_rid();
    (pre.jid().unwrap().to_string(), server.sid.clone(), rid)
}

fn message(id: &str) -> xmpp_wasm::xml::Element {
    xmpp_wasm::xml::Element::new("message")
        .with_attr("to", "bob@localhost")
        .with_attr("id", id)
        .with_child(xmpp_wasm::xml::Element::new("body").with_text(id))
}

/// The ids of the application's messages `node` received.
fn received(c: &Cluster, node: &str) -> Vec<String> {
    c.servers[node]
        .received_ids
        .iter()
        .filter(|i| i.starts_with('m'))
        .cloned()
        .collect()
}

#[test]
fn attach_on_a_cluster_goes_to_the_node_that_bound_the_session() {
    for seed in 1..=4 {
        let mut c = Cluster::new(seed, options());
        let (jid, sid, rid) = prebind(c.servers.get_mut(B).unwrap(), B);
        // Several nodes and no node named: which one has the session is
        // unknown, so it is an error with a condition (not ATTACHFAIL later
        // from whichever node was guessed).
        let e = c
            .conn
            .attach(&jid, &sid, rid, None, None, None)
            .unwrap_err();
        assert_eq!(e.condition(), "bad-options");
        // A URL that is not one of the cluster's nodes is refused.
        let e = c
            .conn
            .attach_at(
                Some("https://evil.example/http-bind"),
                &jid,
                &sid,
                rid,
                None,
                None,
                None,
            )
            .unwrap_err();
        assert_eq!(e.condition(), "bad-options");
        assert!(c.conn.poll_event().is_none(), "nothing happened");
        c.conn
            .attach_at(Some(B), &jid, &sid, rid, None, None, None)
            .unwrap();
        c.conn.send(c.now, message("m1")).unwrap();
        c.run();
        assert_eq!(c.statuses, [Status::Attached], "seed {seed}");
        assert!(!c.conn.attaching(), "confirmed by node B");
        assert!(c.urls.iter().all(|u| u == B), "{:?}", c.urls);
        assert_eq!(received(&c, B), ["m1"]);
        assert_eq!(c.conn.service(), B);
        // The node is the snapshot's: restore returns to it.
        let snap = c.conn.snapshot().unwrap();
        assert_eq!(snap.session.service(), B);
        let mut next = Connection::new(service(), options(), Box::new(XorShift::new(seed)));
        next.restore(&snap).unwrap();
        assert_eq!(next.session().unwrap().config().url, B);
    }
    // A one-node service needs no node; naming it is fine, another is not.
    let mut one = Connection::new(A, options(), Box::new(XorShift::new(1)));
    assert_eq!(
        one.attach_at(Some(B), "alice@localhost/web", "s", 5, None, None, None)
            .unwrap_err()
            .condition(),
        "bad-options"
    );
    one.attach_at(Some(A), "alice@localhost/web", "s", 5, None, None, None)
        .unwrap();
}

fn prebind_options(max_attempts: u32) -> Options {
    let mut o = options();
    o.reconnect = Some(Policy {
        initial_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(4),
        max_attempts,
        prebind: true,
    });
    o
}

/// An attached session on node B, with `m1` delivered; then B dies with
/// `m2` on the wire, RECONNECTING, and `m3` sent meanwhile.
fn attached_then_lost(o: Options) -> Cluster {
    let mut c = Cluster::new(3, o);
    let (jid, sid, rid) = prebind(c.servers.get_mut(B).unwrap(), B);
    c.conn
        .attach_at(Some(B), &jid, &sid, rid, None, None, None)
        .unwrap();
    c.conn.send(c.now, message("m1")).unwrap();
    c.run();
    assert_eq!(received(&c, B), ["m1"]);
    for id in c.servers.get_mut(B).unwrap().kill() {
        c.conn.handle_transport_error(c.now, id);
    }
    c.conn.send(c.now, message("m2")).unwrap();
    c.run();
    c.run_for(Duration::from_secs(60), |c| {
        c.conn.status() == Status::Reconnecting
    });
    assert_eq!(c.conn.status(), Status::Reconnecting);
    c.conn.send(c.now, message("m3")).unwrap();
    c
}

fn until_prebind_wanted(c: &mut Cluster) -> Duration {
    c.run_for(Duration::from_secs(60), |c| c.conn.awaiting_prebind());
    assert!(c.conn.poll_prebind_wanted(), "a prebind is asked for");
    assert!(!c.conn.poll_prebind_wanted(), "once");
    c.now
}

#[test]
fn an_attached_session_reconnects_through_the_apps_prebind() {
    let mut c = attached_then_lost(prebind_options(0));
    let lost = c
        .conn
        .poll_unacknowledged()
        .expect("m2 may not have arrived");
    let ids: Vec<_> = lost.stanzas.iter().filter_map(|s| s.attr("id")).collect();
    assert_eq!(ids, ["m2"]);
    let first = until_prebind_wanted(&mut c);
    let sent = c.urls.len();
    // The app's prebind failed: the backoff goes on (≥ 1 s later), nothing
    // was sent meanwhile.
    c.conn.prebind_failed(c.now, "bad-format");
    assert_eq!(c.conn.status(), Status::Reconnecting);
    let second = until_prebind_wanted(&mut c);
    assert!(
        second >= first + Duration::from_secs(1),
        "{first:?} {second:?}"
    );
    assert_eq!(c.urls.len(), sent, "no request without a session");
    // Now it answers: a session bound on node C.
    let (jid, sid, rid) = prebind(c.servers.get_mut(C).unwrap(), C);
    let before = c.urls.len();
    c.conn
        .attach_at(Some(C), &jid, &sid, rid, None, None, None)
        .unwrap();
    assert_eq!(
        c.conn.status(),
        Status::Reconnecting,
        "until the server took it"
    );
    c.run();
    assert_eq!(
        c.statuses,
        [Status::Attached, Status::Reconnecting, Status::Attached]
    );
    assert!(c.urls[before..].iter().all(|u| u == C));
    // m3, held, went once to the new session; m2 was not resent.
    assert_eq!(received(&c, C), ["m3"]);
    c.conn.send(c.now, message("m4")).unwrap();
    c.run();
    assert_eq!(received(&c, C), ["m3", "m4"]);
    assert!(c.conn.poll_unacknowledged().is_none());
}

#[test]
fn a_refused_prebound_session_is_a_failed_attempt() {
    let mut c = attached_then_lost(prebind_options(0));
    until_prebind_wanted(&mut c);
    // Garbage that parses: a sid no node knows (404 item-not-found).
    c.servers.get_mut(C).unwrap().terminated = true;
    c.conn
        .attach_at(Some(C), "alice@localhost/web", "nope", 77, None, None, None)
        .unwrap();
    c.run();
    assert_eq!(c.conn.status(), Status::Reconnecting);
    assert!(
        !c.statuses.contains(&Status::AttachFail),
        "{:?}",
        c.statuses
    );
    until_prebind_wanted(&mut c);
    let (jid, sid, rid) = prebind(c.servers.get_mut(A).unwrap(), A);
    c.conn
        .attach_at(Some(A), &jid, &sid, rid, None, None, None)
        .unwrap();
    c.run();
    assert_eq!(c.conn.status(), Status::Attached);
    assert_eq!(received(&c, A), ["m3"]);
}

#[test]
fn a_prebind_reconnect_gives_up_after_max_attempts_and_disconnect_wins() {
    let mut c = attached_then_lost(prebind_options(2));
    c.conn.poll_unacknowledged();
    for _ in 0..2 {
        until_prebind_wanted(&mut c);
        c.conn.prebind_failed(c.now, "bad-format");
        c.run();
    }
    assert_eq!(
        &c.statuses[c.statuses.len() - 2..],
        [Status::ConnFail, Status::Disconnected]
    );
    let held = c.conn.poll_unacknowledged().expect("m3 never left");
    assert_eq!(held.stanzas[0].attr("id"), Some("m3"));
    assert_eq!(held.condition, "bad-format");
    assert!(!c.conn.awaiting_prebind());

    let mut c = attached_then_lost(prebind_options(0));
    until_prebind_wanted(&mut c);
    c.conn.disconnect(None);
    c.run();
    assert_eq!(c.conn.status(), Status::Disconnected);
    assert!(!c.conn.awaiting_prebind());
    // A late answer of the app's callback changes nothing.
    c.conn.prebind_failed(c.now, "bad-format");
    assert_eq!(c.conn.status(), Status::Disconnected);
    assert!(c.conn.poll_timeout().is_none());
}

#[test]
fn an_attached_session_without_a_prebind_is_not_reconnected() {
    let mut o = prebind_options(0);
    o.reconnect.as_mut().unwrap().prebind = false;
    let mut c = Cluster::new(5, o);
    let (jid, sid, rid) = prebind(c.servers.get_mut(B).unwrap(), B);
    c.conn
        .attach_at(Some(B), &jid, &sid, rid, None, None, None)
        .unwrap();
    c.run();
    for id in c.servers.get_mut(B).unwrap().kill() {
        c.conn.handle_transport_error(c.now, id);
    }
    c.run_for(Duration::from_secs(60), |c| {
        c.conn.status() == Status::Disconnected
    });
    assert!(!c.statuses.contains(&Status::Reconnecting));
    assert!(c.statuses.contains(&Status::ConnFail));
}

#[test]
fn the_driver_attaches_on_the_named_node_and_a_late_prebind_changes_nothing() {
    use xmpp_wasm::web::driver::{get, op, util, Driver};
    let mixed = format!("wss://w.example/xmpp-websocket\n{}", service());
    let opts = r#"{"reconnect":{"prebind":true}}"#;
    // Without the node, on a cluster of several: refused with a condition.
    let mut only = Driver::new(&service(), opts, Box::new(XorShift::new(4))).unwrap();
    let r = only.command(0.0, op::ATTACH, "alice@localhost/web", "s1\n5\n\n\n\n", 0.0);
    assert!(r.starts_with("!bad-options\t"), "{r}");
    let mut d = Driver::new(&mixed, opts, Box::new(XorShift::new(4))).unwrap();
    // An answer to a prebind nobody asked for (disconnect() won): refused.
    let r = d.command(
        0.0,
        op::ATTACH,
        "alice@localhost/web",
        &format!("s1\n5\n\n\n\n{B}"),
        1.0,
    );
    assert!(r.starts_with("!invalid-state\t"), "{r}");
    // With the node: the cluster entry of the list is chosen, the session is on B.
    let r = d.command(
        0.0,
        op::ATTACH,
        "alice@localhost/web",
        &format!("s1\n5\n\n\n\n{B}"),
        0.0,
    );
    assert_eq!(r, "");
    assert_eq!(d.get(0.0, get::SERVICE), B);
    // The prebind answer's node reaches the shell.
    assert_eq!(
        util(
            1,
            r#"{"jid":"a@b/c","sid":"s","rid":5,"url":"https://b.example/http-bind"}"#
        ),
        r#"{"jid":"a@b/c","sid":"s","rid":5,"url":"https://b.example/http-bind"}"#
    );
}

#[test]
fn a_restored_session_reconnects_through_the_prebind_too() {
    let mut c = Cluster::new(6, prebind_options(0));
    let (jid, sid, rid) = prebind(c.servers.get_mut(B).unwrap(), B);
    c.conn
        .attach_at(Some(B), &jid, &sid, rid, None, None, None)
        .unwrap();
    c.run();
    // The next page restores it (no credentials there either).
    let snap = c.conn.snapshot().unwrap();
    c.conn = Connection::new(service(), prebind_options(0), Box::new(XorShift::new(6)));
    c.conn.restore(&snap).unwrap();
    c.run();
    assert!(!c.conn.attaching());
    for id in c.servers.get_mut(B).unwrap().kill() {
        c.conn.handle_transport_error(c.now, id);
    }
    c.run();
    until_prebind_wanted(&mut c);
    assert_eq!(c.conn.status(), Status::Reconnecting);
    let (jid, sid, rid) = prebind(c.servers.get_mut(A).unwrap(), A);
    c.conn
        .attach_at(Some(A), &jid, &sid, rid, None, None, None)
        .unwrap();
    c.run();
    assert_eq!(c.conn.status(), Status::Attached);
    assert_eq!(c.conn.service(), A);
}
