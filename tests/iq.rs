//! IQs, tracked presences, timers and explicit resource binding, against the
//! scripted server on a fake clock.

mod common;

use common::*;
use std::time::Duration;
use xmpp_wasm::connection::{Event, Options, Status};
use xmpp_wasm::xml::parse;

fn answers(h: &Harness) -> Vec<(String, String)> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::Answer { id, stanza } => {
                Some((id.clone(), stanza.attr("type").unwrap_or("").to_owned()))
            }
            Event::NoAnswer { id, reason } => Some((id.clone(), reason.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn iq_result_error_and_timeout() {
    let mut h = connected();
    let ping = parse("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>").unwrap();
    let ok = h
        .conn
        .send_tracked(h.now, ping, Some(Duration::from_secs(10)))
        .unwrap();
    let bad = parse("<iq type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>").unwrap();
    let err = h
        .conn
        .send_tracked(h.now, bad, Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(err, "v1", "an existing id is kept");
    let lost =
        parse("<iq type='get' to='void@localhost'><ping xmlns='urn:xmpp:ping'/></iq>").unwrap();
    let lost = h
        .conn
        .send_tracked(h.now, lost, Some(Duration::from_secs(3)))
        .unwrap();
    h.run();
    assert!(!ok.is_empty() && ok != lost);
    assert_eq!(
        answers(&h),
        vec![(ok.clone(), "result".into()), (err.clone(), "error".into())]
    );
    // The long poll stays at the server; the only deadline before it is the IQ's.
    assert_eq!(h.conn.poll_timeout(), Some(Duration::from_secs(3)));
    assert!(h.advance());
    assert_eq!(answers(&h).last(), Some(&(lost, "timeout".to_string())));
    // Answers are consumed: none reached the application as a plain stanza.
    assert!(h.stanzas().is_empty());
}

#[test]
fn the_longest_iq_timeout_and_timer_period_saturate_instead_of_panicking() {
    let mut h = connected();
    h.now += Duration::from_secs(1);
    let iq =
        parse("<iq type='get' to='void@localhost'><ping xmlns='urn:xmpp:ping'/></iq>").unwrap();
    let id = h.conn.send_tracked(h.now, iq, Some(Duration::MAX)).unwrap();
    h.conn.add_timer(h.now, Duration::MAX);
    h.run();
    assert!(answers(&h).is_empty());
    h.conn.disconnect(None);
    h.run();
    assert_eq!(answers(&h), vec![(id, "disconnected".into())]);
}

#[test]
fn pending_iqs_fail_on_disconnect() {
    let mut h = connected();
    let lost = parse("<iq type='set' to='void@localhost'><x xmlns='urn:test'/></iq>").unwrap();
    let id = h.conn.send_tracked(h.now, lost, None).unwrap();
    h.run();
    h.conn.disconnect(None);
    h.run();
    assert_eq!(answers(&h), vec![(id, "disconnected".into())]);
}

#[test]
fn only_get_set_iqs_and_presences_are_tracked() {
    let mut h = connected();
    let result = parse("<iq type='result' id='r'/>").unwrap();
    assert!(h.conn.send_tracked(h.now, result, None).is_err());
    let msg = parse("<message to='bob@localhost'/>").unwrap();
    assert!(h.conn.send_tracked(h.now, msg, None).is_err());
    let pres = parse("<presence to='room@muc.localhost/alice'/>").unwrap();
    assert!(h.conn.send_tracked(h.now, pres, None).is_ok());
}

#[test]
fn timers_fire_every_period_until_removed() {
    let mut h = connected();
    let t = h.conn.add_timer(h.now, Duration::from_millis(500));
    for _ in 0..3 {
        assert!(h.advance());
    }
    let fired = h
        .events
        .iter()
        .filter(|e| matches!(e, Event::Timer { id } if *id == t))
        .count();
    assert_eq!(fired, 3);
    assert_eq!(h.now, Duration::from_millis(1500));
    assert!(h.conn.remove_timer(t));
}

#[test]
fn explicit_resource_binding_waits_for_bind() {
    let opts = Options {
        explicit_resource_binding: true,
        ..options_with(&["PLAIN"])
    };
    let mut h = Harness::new(Server::new(), opts);
    h.conn
        .connect("alice@localhost", Some("alice-pass"))
        .unwrap();
    h.run();
    assert_eq!(h.conn.status(), Status::BindRequired);
    // create, auth, restart; then only the empty long poll that keeps the
    // session alive until the application binds.
    assert_eq!(h.server.requests.len(), 4);
    assert!(
        h.server.requests[3].ends_with("/>"),
        "{}",
        h.server.requests[3]
    );
    h.conn.bind(Some("chosen")).unwrap();
    h.run();
    assert_eq!(h.conn.status(), Status::Connected);
    assert_eq!(
        h.conn.jid().map(|j| j.to_string()).as_deref(),
        Some("alice@localhost/chosen")
    );
    assert!(
        h.conn.bind(None).is_err(),
        "bind only once, after BINDREQUIRED"
    );
}
