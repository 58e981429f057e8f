//! Cluster nodes without a load balancer (Tigase's advice; issue 12): a
//! service of several connection-manager URLs for one XMPP domain. Each new
//! session picks a node at random and stays on it; a node that fails at the
//! network level while the session is being created is left for another
//! random node, and skipped by later sessions for a cool-down; `to` is always
//! the domain; the node is the snapshot's `url`, so a restore goes back to it.
//! Several scripted connection managers, one per node URL, on a fake clock.

mod bosh_cm;

use bosh_cm::*;
use std::collections::HashMap;
use std::time::Duration;
use xmpp_wasm::bosh::{Config, Nodes, Session, SessionSnapshot, Transmit, NODE_COOLDOWN};
use xmpp_wasm::rand::XorShift;

const A: &str = "https://a.example/http-bind";
const B: &str = "https://b.example/http-bind";
const C: &str = "https://c.example/http-bind";

/// How a node behaves.
#[derive(Clone, Copy, PartialEq)]
enum Node {
    Up,
    /// Connection refused: a network error at once.
    Refused,
    /// Answers every request 503.
    Unavailable,
    /// Never answers (the client times out).
    BlackHole,
}

struct Cluster {
    cms: HashMap<String, Cm>,
    nodes: HashMap<String, Node>,
    /// (url, rid) of every transmit, in order.
    log: Vec<(String, u64)>,
}

impl Cluster {
    fn new(behaviour: &[(&str, Node)]) -> Self {
        let mut cms = HashMap::new();
        let mut nodes = HashMap::new();
        for (i, (url, b)) in behaviour.iter().enumerate() {
            let mut cfg = CmConfig::prosody_012();
            cfg.sid = format!("sid-{i}");
            cms.insert(url.to_string(), Cm::new(cfg));
            nodes.insert(url.to_string(), *b);
        }
        Cluster {
            cms,
            nodes,
            log: Vec::new(),
        }
    }

    /// Drives `s` until nothing moves, jumping the clock to each deadline,
    /// up to `until`.
    fn run(&mut self, s: &mut Session, now: &mut Duration, until: Duration) {
        for _ in 0..10_000 {
            let mut ts: Vec<Transmit> = Vec::new();
            while let Some(t) = s.poll_transmit(*now) {
                ts.push(t);
            }
            for t in ts {
                self.log.push((t.url.clone(), t.rid));
                match self.nodes[&t.url] {
                    Node::Refused => s.handle_transport_error(*now, t.id),
                    Node::Unavailable => s.handle_response(*now, t.id, 503, ""),
                    Node::BlackHole => {}
                    Node::Up => {
                        let replies = self.cms.get_mut(&t.url).unwrap().handle(&t, *now);
                        for (id, status, body) in replies {
                            s.handle_response(*now, id, status, &body);
                        }
                    }
                }
            }
            if s.is_open() && s.outstanding() > 0 && s.poll_transmit(*now).is_none() {
                // Settled: the long poll is held.
                if self.cms.values().any(|c| !c.held_rids().is_empty()) {
                    return;
                }
            }
            match s.poll_timeout() {
                Some(t) if t <= until => {
                    *now = (*now).max(t);
                    s.handle_timeout(*now);
                }
                _ => return,
            }
        }
        panic!("did not settle");
    }
}

fn config() -> Config {
    let mut c = Config::new(A, "example.com");
    c.request_spacing = Duration::ZERO;
    c
}

fn nodes() -> Nodes {
    Nodes::new(vec![A.into(), B.into(), C.into()]).unwrap()
}

/// A new session for `nodes`, started.
fn session(nodes: &Nodes, now: Duration, rng: &mut XorShift, cfg: Config) -> Session {
    let mut cfg = cfg;
    let fallbacks = nodes.configure(&mut cfg, now, rng);
    let mut s = Session::new(cfg, RID);
    s.set_fallback_urls(fallbacks);
    s.start();
    s
}

#[test]
fn sessions_spread_over_the_nodes_and_each_stays_on_its_node() {
    let nodes = nodes();
    let mut rng = XorShift::new(42);
    let mut count: HashMap<String, usize> = HashMap::new();
    for _ in 0..30 {
        let mut cl = Cluster::new(&[(A, Node::Up), (B, Node::Up), (C, Node::Up)]);
        let mut now = Duration::ZERO;
        let mut s = session(&nodes, now, &mut rng, config());
        cl.run(&mut s, &mut now, secs(1));
        assert!(s.is_open());
        let first = cl.log[0].0.clone();
        // Messages and a network error later: still the same node.
        s.send(now, "<message xmlns='jabber:client'/>".into());
        let t = s.poll_transmit(now).unwrap();
        s.handle_transport_error(now, t.id);
        let until = now + secs(5);
        cl.run(&mut s, &mut now, until);
        assert!(cl.log.iter().all(|(u, _)| *u == first), "{:?}", cl.log);
        assert_eq!(s.service(), first);
        *count.entry(first).or_default() += 1;
    }
    // 30 uniform picks over 3 nodes: every node gets some, none nearly all.
    for u in [A, B, C] {
        let n = count.get(u).copied().unwrap_or(0);
        assert!((3..=20).contains(&n), "{u}: {n} of 30 ({count:?})");
    }
}

#[test]
fn the_creation_moves_to_another_node_when_one_is_down_and_later_sessions_skip_it() {
    for down in [Node::Refused, Node::Unavailable, Node::BlackHole] {
        let mut nodes = nodes();
        let mut landed = Vec::new();
        for seed in 1..=12u64 {
            let mut rng = XorShift::new(seed);
            let mut cl = Cluster::new(&[(A, down), (B, Node::Up), (C, Node::Up)]);
            let mut now = Duration::ZERO;
            let mut s = session(&nodes, now, &mut rng, config());
            cl.run(&mut s, &mut now, secs(120));
            assert!(s.is_open(), "the session landed on a live node");
            assert_ne!(s.service(), A);
            let body = parse(&cl.cms[s.service()].received[0].1);
            assert_eq!(body.attr("to"), Some("example.com"), "to is the domain");
            while let Some(u) = s.poll_failed_node() {
                assert_eq!(u, A);
                nodes.mark_failed(&u, now);
            }
            // The creation request went to A at most once per session.
            landed.push(cl.log.iter().filter(|(u, _)| u == A).count());
            // Every attempt carried the same rid (the creation request).
            let rids: Vec<u64> = cl.log.iter().map(|(_, r)| *r).take(1).collect();
            assert_eq!(rids, [RID]);
        }
        assert!(landed.iter().all(|n| *n <= 1), "{landed:?}");
        // Once A failed it cooled down: later sessions did not try it.
        let first_failure = landed
            .iter()
            .position(|n| *n == 1)
            .expect("A was picked once");
        assert!(
            landed[first_failure + 1..].iter().all(|n| *n == 0),
            "{landed:?}"
        );
    }
}

#[test]
fn a_cooled_down_node_is_tried_again_after_the_cool_down() {
    let mut nodes = nodes();
    nodes.mark_failed(A, secs(0));
    assert!(nodes.is_cooling(A, secs(1)));
    let mut rng = XorShift::new(7);
    for _ in 0..20 {
        let order = nodes.order(secs(1), &mut rng);
        assert_eq!(order.last().map(String::as_str), Some(A), "{order:?}");
    }
    let after = NODE_COOLDOWN + secs(1);
    assert!(!nodes.is_cooling(A, after));
    let firsts: Vec<String> = (0..30)
        .map(|_| nodes.order(after, &mut rng).remove(0))
        .collect();
    assert!(firsts.iter().any(|u| u == A), "A is picked again");
}

#[test]
fn every_node_down_ends_in_remote_connection_failed_after_each_was_tried_once() {
    let nodes = nodes();
    let mut rng = XorShift::new(3);
    let mut cl = Cluster::new(&[(A, Node::Refused), (B, Node::Refused), (C, Node::Refused)]);
    let mut now = Duration::ZERO;
    let mut s = session(&nodes, now, &mut rng, config());
    cl.run(&mut s, &mut now, secs(600));
    assert!(s.is_closed());
    assert_eq!(s.condition(), Some("remote-connection-failed"));
    let mut urls: Vec<&str> = cl.log.iter().take(3).map(|(u, _)| u.as_str()).collect();
    urls.sort();
    assert_eq!(urls, [A, B, C], "each node once first");
    // Then the last node's own retries: 5 resends, 7.75 s.
    assert_eq!(cl.log.len(), 3 + 5);
    assert_eq!(now, ms(7750));
}

#[test]
fn the_snapshot_keeps_the_node_and_a_restore_goes_back_to_it() {
    let nodes = nodes();
    let mut rng = XorShift::new(11);
    let mut cl = Cluster::new(&[(A, Node::Up), (B, Node::Up), (C, Node::Up)]);
    let mut now = Duration::ZERO;
    let mut s = session(&nodes, now, &mut rng, config());
    cl.run(&mut s, &mut now, secs(1));
    let node = s.service().to_owned();
    let snap = s.snapshot().expect("a snapshot");
    assert_eq!(snap.url, node);
    let mut json = String::new();
    snap.write_json(&mut json);
    let value = xmpp_wasm::json::parse(&json).expect("JSON");
    let back = SessionSnapshot::from_json(&value).expect("reads back");
    assert!(
        nodes.position(&back.url).is_some(),
        "a node of this service"
    );
    // The restoring page configured the service with its own random order:
    // the snapshot's node wins.
    let mut cfg = config();
    let _ = nodes.configure(&mut cfg, now, &mut XorShift::new(999));
    let mut r = Session::restore(cfg, &back).expect("restores");
    let t = r.poll_transmit(now).expect("the held rid is resent");
    assert_eq!(t.url, node);
}

#[test]
fn route_is_sent_on_creation_only_and_to_stays_the_domain() {
    let nodes = nodes();
    let mut rng = XorShift::new(5);
    let mut cl = Cluster::new(&[(A, Node::Refused), (B, Node::Up), (C, Node::Up)]);
    let mut cfg = config();
    cfg.route = Some("xmpp:internal.example:5222".into());
    let mut now = Duration::ZERO;
    let mut s = session(&nodes, now, &mut rng, cfg);
    cl.run(&mut s, &mut now, secs(5));
    let first = parse(&cl.cms[s.service()].received[0].1);
    assert_eq!(first.attr("route"), Some("xmpp:internal.example:5222"));
    assert_eq!(first.attr("to"), Some("example.com"));
    assert!(cl.cms[s.service()].violations.is_empty());
}

#[test]
fn a_bad_node_list_is_a_clear_error() {
    for urls in [
        vec![],
        vec![A.to_string(), A.to_string()],
        vec![String::new()],
        vec!["https://a b/".to_string()],
        (0..17).map(|i| format!("https://n{i}.example/")).collect(),
    ] {
        assert!(Nodes::new(urls.clone()).is_err(), "{urls:?}");
    }
    let mut s = Session::new(config(), RID);
    s.set_fallback_urls(vec!["x y".into()]);
    s.start();
    assert_eq!(s.condition(), Some("bad-config"));
}
