//! attach (prebind) and restore (keepalive), against the scripted server on a
//! fake clock, including the reload that Strophe.js loses messages in.

mod common;

use common::*;
use xmpp_wasm::connection::{Connection, Event, Options, Snapshot, Status};
use xmpp_wasm::rand::XorShift;
use xmpp_wasm::xml::parse;

/// Moves the server of `h` to a fresh connection (a new page).
fn new_page(h: Harness) -> Harness {
    Harness {
        conn: Connection::new(
            "http://cm.example/http-bind",
            Options::default(),
            Box::new(XorShift::new(7)),
        ),
        server: h.server,
        now: h.now,
        events: Vec::new(),
        transmits: Vec::new(),
    }
}

#[test]
fn attach_is_attached_at_once_and_the_first_stanza_rides_the_first_request() {
    // A prebind service logs in and stops before the long poll.
    let mut pre = Harness::new(Server::new(), options_with(&["PLAIN"]));
    pre.conn
        .connect("alice@localhost/web", Some("alice-pass"))
        .unwrap();
    while let Some(t) = pre.conn.poll_transmit(pre.now) {
        for (id, st, body) in pre.server.handle(&t) {
            pre.conn.handle_response(pre.now, id, st, &body);
        }
        if pre.conn.status() == Status::Connected {
            break;
        }
    }
    assert_eq!(pre.conn.status(), Status::Connected);
    let sid = pre.server.sid.clone();
    let rid = pre.conn.session().unwrap().next_rid();
    let before = pre.server.requests.len();

    let mut h = new_page(pre);
    h.conn
        .attach("alice@localhost/web", &sid, rid, None, None, None)
        .unwrap();
    assert_eq!(
        h.conn.poll_event(),
        Some(Event::Status {
            status: Status::Attached,
            condition: None
        })
    );
    let ping = parse("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>").unwrap();
    let id = h.conn.send_tracked(h.now, ping, None).unwrap();
    h.run();
    assert_eq!(
        h.server.requests.len(),
        before + 2,
        "the ping, then the long poll"
    );
    assert!(h.server.requests[before].contains("urn:xmpp:ping"));
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::Answer { id: a, .. } if *a == id)));
    assert!(h.conn.authenticated());
}

#[test]
fn attach_to_an_unknown_session_is_attachfail() {
    let mut h = connected();
    h.server.terminated = true; // the server forgot the session: 404 from now on
    let sid = h.server.sid.clone();
    let mut p = new_page(h);
    p.conn
        .attach("alice@localhost/web", &sid, 12345, None, None, None)
        .unwrap();
    p.run();
    let st = p.statuses();
    assert_eq!(st[0].0, Status::Attached);
    assert!(
        st.contains(&(Status::AttachFail, Some("item-not-found".into()))),
        "{st:?}"
    );
    assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
}

#[test]
fn bad_attach_arguments_are_errors() {
    let mut c = Connection::new("u", Options::default(), Box::new(XorShift::new(1)));
    assert!(c.attach("", "sid", 5, None, None, None).is_err());
    assert!(c.attach("a@b/c", "", 5, None, None, None).is_err());
    assert!(c.attach("a@b/c", "sid", 0, None, None, None).is_err());
    assert!(c
        .attach("a@b/c", "sid", u64::MAX, None, None, None)
        .is_err());
    assert!(c.poll_event().is_none(), "nothing happened");
}

#[test]
fn restore_replays_the_poll_the_old_page_never_processed() {
    let mut h = connected();
    // The long poll is held at the server. A message arrives for alice and is
    // written to that poll's response... which the unloading page never
    // processes.
    let snap: Snapshot = h.conn.snapshot().expect("live session");
    assert_eq!(snap.session.unanswered.len(), 1, "the long poll");
    let lost = h.server.push("<message xmlns='jabber:client' from='bob@localhost/x' to='alice@localhost/web' id='n1'><body>1</body></message>");
    assert_eq!(lost.len(), 1, "the server answered the poll");
    // (dropped on the floor: the page is gone)

    // Through JSON, as sessionStorage holds it.
    let json = snap.to_json();
    let snap = Snapshot::from_json(&json).unwrap();
    let mut p = new_page(h);
    p.conn.restore(&snap).unwrap();
    p.run();
    let got: Vec<String> = p
        .stanzas()
        .iter()
        .filter_map(|s| s.attr("id").map(str::to_owned))
        .collect();
    assert_eq!(
        got,
        vec!["n1".to_string()],
        "the message arrives exactly once"
    );
    assert_eq!(p.statuses()[0].0, Status::Attached);
    // The same rid went out again, byte for byte.
    assert_eq!(p.transmits[0].rid, snap.session.unanswered[0].rid);
    assert_eq!(p.transmits[0].body, snap.session.unanswered[0].body);
}

#[test]
fn restore_resends_an_unanswered_message_exactly_once() {
    // Case 1: the server never saw the request. Case 2: it did, and its
    // answer was lost with the page.
    for server_saw_it in [false, true] {
        let mut h = connected();
        h.conn
            .send_xml(
                h.now,
                "<message to='bob@localhost' id='out-1'><body>hi</body></message>",
            )
            .unwrap();
        let t = h.conn.poll_transmit(h.now).expect("the message leaves");
        let snap = h.conn.snapshot().unwrap();
        assert!(snap.session.unanswered.iter().any(|u| u.body == t.body));
        if server_saw_it {
            let _dropped = h.server.handle(&t);
        }
        let mut p = new_page(h);
        p.conn.restore(&snap).unwrap();
        p.run();
        let n = p
            .server
            .received_ids
            .iter()
            .filter(|i| *i == "out-1")
            .count();
        assert_eq!(n, 1, "server saw it before the reload: {server_saw_it}");
        assert_eq!(p.conn.status(), Status::Attached);
    }
}

#[test]
fn an_attached_session_is_confirmed_at_once_even_when_the_app_sends_nothing() {
    let mut h = connected();
    let snap = h.conn.snapshot().unwrap();
    // The old page's long poll is answered (say, the wait expired) and processed.
    let replies = h.server.release_held();
    h.deliver(replies);
    // (The next empty poll waits `polling` seconds: nothing is in flight.)
    let snap_after = h.conn.snapshot().unwrap();
    assert!(snap_after.session.unanswered.is_empty());
    assert_eq!(snap_after.session.next_rid, snap.session.next_rid);
    let mut p = new_page(h);
    p.conn.restore(&snap_after).unwrap();
    assert!(p.conn.attaching());
    p.run();
    // The confirming ping rode in the first new request and was answered:
    // no timer, no `wait` seconds.
    assert!(!p.conn.attaching(), "confirmed");
    assert_eq!(p.now, std::time::Duration::ZERO);
    let first_new = p
        .transmits
        .iter()
        .find(|t| t.rid >= snap_after.session.next_rid)
        .expect("a new request");
    assert!(
        first_new.body.contains("urn:xmpp:ping"),
        "{}",
        first_new.body
    );
    // It is the library's own ping: the application sees no answer for it.
    assert!(!p.events.iter().any(|e| matches!(e, Event::Answer { .. })));
}

#[test]
fn a_tampered_snapshot_is_refused() {
    let h = connected();
    let good = h.conn.snapshot().unwrap();
    let mut cases = Vec::new();
    let mut s = good.clone();
    s.session.next_rid = 0;
    cases.push(("next rid 0", s));
    let mut s = good.clone();
    s.session.next_rid = 1 << 53;
    cases.push(("next rid past 2^53 - 1", s));
    let mut s = good.clone();
    s.session.unanswered = (1..5000)
        .map(|i| xmpp_wasm::bosh::Unanswered {
            rid: s.session.next_rid - 5000 + i,
            body: "<body/>".into(),
        })
        .collect();
    cases.push(("thousands of unanswered requests", s));
    let mut s = good.clone();
    s.session.unanswered = vec![xmpp_wasm::bosh::Unanswered {
        rid: 0,
        body: "<body/>".into(),
    }];
    cases.push(("rid 0", s));
    let mut s = good.clone();
    s.session.url = "http://elsewhere.example/http-bind".into();
    cases.push(("another service", s));
    let mut s = good.clone();
    s.session.requests = 0;
    cases.push(("no window", s));
    let mut s = good.clone();
    s.session.service = Some(s.session.url.clone());
    s.session.url = "http://evil.example/http-bind".into();
    cases.push(("a plain-http 'redirect' to another host", s));
    let mut s = good.clone();
    s.session.service = Some("http://elsewhere.example/http-bind".into());
    s.session.url = "https://cm2.example/http-bind".into();
    cases.push(("another service, redirected", s));
    for (what, snap) in cases {
        let mut c = Connection::new(
            "http://cm.example/http-bind",
            Options::default(),
            Box::new(XorShift::new(9)),
        );
        assert!(c.restore(&snap).is_err(), "{what}");
        assert!(
            c.poll_transmit(std::time::Duration::ZERO).is_none(),
            "{what}: nothing sent"
        );
    }
    let mut c = Connection::new(
        "http://cm.example/http-bind",
        Options::default(),
        Box::new(XorShift::new(9)),
    );
    assert!(c.restore(&good).is_ok(), "the untouched snapshot is fine");
}

#[test]
fn running_out_of_rids_ends_the_session_instead_of_hanging() {
    let mut c = Connection::new(
        "http://cm.example/http-bind",
        Options::default(),
        Box::new(XorShift::new(9)),
    );
    assert!(c
        .attach("alice@localhost/web", "sid", 1 << 53, None, None, None)
        .is_err());
    c.attach(
        "alice@localhost/web",
        "sid",
        xmpp_wasm::bosh::MAX_RID,
        None,
        None,
        None,
    )
    .unwrap();
    let now = std::time::Duration::ZERO;
    let first = c.poll_transmit(now).expect("the last rid is usable");
    assert_eq!(first.rid, xmpp_wasm::bosh::MAX_RID);
    c.handle_response(
        now,
        first.id,
        200,
        "<body xmlns='http://jabber.org/protocol/httpbind'/>",
    );
    while c.poll_transmit(now).is_some() {}
    let mut statuses = Vec::new();
    while let Some(e) = c.poll_event() {
        if let Event::Status { status, .. } = e {
            statuses.push(status);
        }
    }
    assert_eq!(statuses.last(), Some(&Status::Disconnected), "{statuses:?}");
}

/// A session that followed a `see-other-uri` redirect is still restorable
/// by the reloaded page, which is built on the original service URL: the
/// snapshot records that service, and the restored session keeps talking to
/// the redirected URL.
#[test]
fn restore_after_a_see_other_uri_redirect_keeps_the_redirected_url() {
    let target = "https://cm2.example/http-bind";
    let mut server = Server::new();
    server.quirks = Quirks {
        redirect_on_auth: Some(target.into()),
        ..Default::default()
    };
    let mut h = Harness::new(server, options_with(&["PLAIN"]));
    h.conn
        .connect("alice@localhost/web", Some("alice-pass"))
        .unwrap();
    h.run();
    assert_eq!(h.conn.status(), Status::Connected);
    assert_eq!(h.conn.service(), target);
    let snap = h.conn.snapshot().expect("live session");
    let json = snap.to_json();
    let snap = Snapshot::from_json(&json).unwrap();
    let mut p = new_page(h); // on http://cm.example/http-bind
    p.conn.restore(&snap).expect("the same service, redirected");
    p.conn
        .send_xml(
            p.now,
            "<message xmlns='jabber:client' to='bob@localhost' id='r1'/>",
        )
        .unwrap();
    p.run();
    assert!(!p.transmits.is_empty());
    assert!(
        p.transmits.iter().all(|t| t.url == target),
        "every request goes to the redirected URL"
    );
    assert_eq!(p.conn.status(), Status::Attached);
    assert!(p.conn.connected() && !p.conn.attaching(), "confirmed");
    assert!(
        p.server.requests.iter().any(|b| b.contains("id='r1'")),
        "the message reached the server"
    );
    // And the snapshot the restored page keeps still names the service.
    let again = p.conn.snapshot().expect("live");
    let mut q = new_page(p);
    q.conn.restore(&again).expect("a second reload works too");
}
