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
        max_attempts: 0,
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
