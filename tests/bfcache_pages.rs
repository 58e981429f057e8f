//! Two pages of one tab and the back-forward cache, at the connection level:
//! page A is frozen, page B restores the session and uses it, then A comes
//! back. A continues from B's newer state ([`Connection::adopt`]), or, when
//! another page holds the session, gives it up without a word to the server
//! ([`Connection::relinquish`]).

mod common;

use common::*;
use xmpp_wasm::connection::{Connection, Event, Options, Status};
use xmpp_wasm::rand::XorShift;
use xmpp_wasm::xml::parse;

fn ids(h: &Harness) -> Vec<String> {
    h.stanzas()
        .iter()
        .filter_map(|s| s.attr("id").map(str::to_owned))
        .collect()
}

fn msg(id: &str) -> String {
    format!("<message xmlns='jabber:client' from='bob@localhost/x' to='alice@localhost/web' id='{id}'><body>{id}</body></message>")
}

/// Swaps the page in `h`: the connection it drives is now `page`; returns the
/// one it drove, and forgets what that one saw.
fn switch_to(h: &mut Harness, page: Connection) -> Connection {
    h.events.clear();
    h.transmits.clear();
    std::mem::replace(&mut h.conn, page)
}

#[test]
fn back_from_the_cache_a_page_adopts_the_newer_state_another_page_left() {
    let mut h = connected();
    let count = |h: &Harness, id: &str| h.server.received_ids.iter().filter(|i| *i == id).count();
    // Page A goes into the cache: it releases its snapshot (the long poll is
    // held at the server) and is frozen.
    let snap_a = h.conn.snapshot().expect("live session");
    let page_b = Connection::new(
        "http://cm.example/http-bind",
        Options::default(),
        Box::new(XorShift::new(7)),
    );
    let page_a = switch_to(&mut h, page_b);

    // Page B restores it and uses it: bob writes, B writes.
    h.conn.restore(&snap_a).unwrap();
    h.run();
    let replies = h.server.push(&msg("m1"));
    h.deliver(replies);
    h.conn
        .send_xml(
            h.now,
            "<message to='bob@localhost' id='b-out'><body>b</body></message>",
        )
        .unwrap();
    h.run();
    let replies = h.server.push(&msg("m2"));
    h.deliver(replies);
    assert_eq!(ids(&h), ["m1", "m2"], "B got what bob sent");
    // Back: B releases its newer snapshot; bob writes once more, and the
    // answer to B's held poll is dropped with B.
    let snap_b = h.conn.snapshot().expect("B's session is live");
    assert!(
        snap_b.session.next_rid > snap_a.session.next_rid,
        "B used rids"
    );
    let first_of_b = snap_b.session.unanswered[0].rid;
    let dropped = h.server.push(&msg("m3"));
    assert_eq!(dropped.len(), 1, "the server answered B's held poll");

    // A is shown again; the app sends at once, before A knows what happened.
    let _b = switch_to(&mut h, page_a);
    h.conn
        .send_xml(
            h.now,
            "<message to='bob@localhost' id='a-out'><body>a</body></message>",
        )
        .unwrap();
    let queued_at_release = snap_a.session.queued.len();
    h.conn
        .adopt(&snap_b, queued_at_release)
        .expect("same session");
    h.run();
    h.advance();
    let replies = h.server.push(&msg("m4"));
    h.deliver(replies);

    assert!(
        h.transmits.iter().all(|t| t.rid >= first_of_b),
        "A never resends its own stale rids: {:?}",
        h.transmits.iter().map(|t| t.rid).collect::<Vec<_>>()
    );
    assert_eq!(h.transmits[0].body, snap_b.session.unanswered[0].body);
    assert_eq!(ids(&h), ["m3", "m4"], "A gets the rest, each once");
    assert_eq!((count(&h, "a-out"), count(&h, "b-out")), (1, 1));
    assert!(
        h.statuses().is_empty(),
        "no status change: {:?}",
        h.statuses()
    );
    assert_eq!(h.conn.status(), Status::Connected);
    assert!(!h.server.terminated);
    // And A's snapshot from now on is the continued one.
    assert!(h.conn.snapshot().unwrap().session.next_rid > snap_b.session.next_rid);
}

#[test]
fn adopt_answers_what_the_page_was_waiting_for_as_moved() {
    let mut h = connected();
    let iq = parse(
        "<iq type='get' to='bob@localhost/x' id='q1'><query xmlns='jabber:iq:version'/></iq>",
    )
    .unwrap();
    let id = h.conn.send_tracked(h.now, iq, None).unwrap();
    let snap = h.conn.snapshot().unwrap();
    h.conn.adopt(&snap, snap.session.queued.len()).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| h.conn.poll_event()).collect();
    assert_eq!(
        events,
        [Event::NoAnswer {
            id,
            reason: "session-moved"
        }]
    );
}

#[test]
fn adopt_refuses_another_session_and_changes_nothing() {
    let mut h = connected();
    let snap = h.conn.snapshot().unwrap();
    let before = h.conn.snapshot();
    let mut other = snap.clone();
    other.session.sid = "another-sid".into();
    assert!(h.conn.adopt(&other, 0).is_err());
    let mut other = snap.clone();
    other.jid = "alice@localhost/other".into();
    assert!(h.conn.adopt(&other, 0).is_err());
    let mut other = snap.clone();
    other.session.next_rid = 0; // tampered
    assert!(h.conn.adopt(&other, 0).is_err());
    assert_eq!(h.conn.snapshot(), before, "nothing changed");
    assert!(h.conn.poll_event().is_none());
    let mut idle = Connection::new(
        "http://cm.example/http-bind",
        Options::default(),
        Box::new(XorShift::new(3)),
    );
    assert!(idle.adopt(&snap, 0).is_err(), "no live session to continue");
}

#[test]
fn relinquish_ends_the_session_locally_without_a_request() {
    let mut h = connected();
    h.events.clear();
    h.transmits.clear();
    let held = h.server.requests.len();
    let iq = parse("<iq type='get' to='bob@localhost/x'><query xmlns='jabber:iq:version'/></iq>")
        .unwrap();
    let id = h.conn.send_tracked(h.now, iq, None).unwrap();
    h.conn
        .send_xml(h.now, "<message to='bob@localhost' id='never'/>")
        .unwrap();

    h.conn.relinquish("session-taken");
    h.run();
    h.advance();

    assert_eq!(
        h.server.requests.len(),
        held,
        "not one request: {:?}",
        &h.server.requests[held..]
    );
    assert!(h.transmits.is_empty());
    assert!(!h.server.terminated);
    assert_eq!(
        h.events,
        [
            Event::NoAnswer {
                id,
                reason: "disconnected"
            },
            Event::Status {
                status: Status::Disconnected,
                condition: Some("session-taken".into())
            }
        ]
    );
    assert_eq!(h.conn.status(), Status::Disconnected);
    assert!(h.conn.snapshot().is_none());
    assert!(h.conn.poll_timeout().is_none(), "no timer left");
    // A late answer to the old long poll changes nothing.
    let late = h.server.push(&msg("late"));
    h.deliver(late);
    assert!(h.stanzas().is_empty());
    // Once is enough.
    h.conn.relinquish("session-taken");
    assert!(h.conn.poll_event().is_none());
}
