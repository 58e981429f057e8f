//! XEP-0198 stream management over WebSocket against the scripted server:
//! enable, the acknowledgement policy, `<r/>`/`<a/>` both ways, resumption
//! after a dropped socket (stanzas above `h` resent exactly once, both
//! ways), `<failed/>`, counters wrapping at 2^32, and restore from a
//! keepalive snapshot without the password.

mod ws_server;

use std::time::Duration;
use ws_server::*;
use xmpp_wasm::connection::{Status, WsSnapshot};
use xmpp_wasm::sm::{ACK_TIMEOUT, REQUEST_AFTER, REQUEST_DELAY};

fn connected(mechs: &[&str]) -> WsHarness {
    let mut h = WsHarness::new(WsServer::default(), options_with(mechs));
    h.connect();
    assert!(h.conn.stream_management().resumable(), "{:?}", h.statuses());
    h
}

fn count(h: &WsHarness, name: &str) -> usize {
    h.server
        .frames
        .iter()
        .filter(|(_, f)| f.starts_with(&format!("<{name} ")))
        .count()
}

fn server_msg(h: &mut WsHarness, id: &str) {
    h.server.push(&format!(
        "<message xmlns='jabber:client' from='bob@example.com' id='{id}'><body>{id}</body></message>"
    ));
}

#[test]
fn one_ack_request_per_burst() {
    let mut h = connected(&["PLAIN"]);
    for i in 0..5 {
        h.send_message(&format!("m{i}"));
    }
    h.run();
    assert_eq!(count(&h, "r"), 0, "no <r/> per stanza");
    assert_eq!(h.conn.stream_management().unacked().count(), 5);
    assert_eq!(h.conn.poll_timeout(), Some(h.now + REQUEST_DELAY));
    h.advance(REQUEST_DELAY);
    assert_eq!(count(&h, "r"), 1);
    // The server's <a h='5'/> emptied the queue.
    assert_eq!(h.conn.stream_management().unacked().count(), 0);
    assert_eq!(h.conn.stream_management().acked(), 5);
    for i in 0..REQUEST_AFTER {
        h.send_message(&format!("b{i}"));
    }
    h.run();
    assert_eq!(count(&h, "r"), 2, "a full burst asks at once");
    assert_eq!(h.conn.stream_management().unacked().count(), 0);
}

#[test]
fn server_requests_are_answered_with_our_h() {
    let mut h = connected(&["PLAIN"]);
    server_msg(&mut h, "s1");
    server_msg(&mut h, "s2");
    h.server.outbox.push(format!("<r xmlns='{SM}'/>"));
    h.run();
    let a = h
        .server
        .frames
        .iter()
        .rev()
        .find(|(_, f)| f.starts_with("<a "))
        .map(|(_, f)| f.clone())
        .expect("an <a/>");
    assert!(a.contains("h=\"2\"") || a.contains("h='2'"), "{a}");
    assert_eq!(h.conn.stream_management().inbound(), 2);
}

#[test]
fn a_dropped_socket_resumes_without_loss_or_duplicates() {
    let mut h = connected(&["SCRAM-SHA-1"]);
    h.send_message("m1");
    h.run();
    server_msg(&mut h, "s1");
    h.run();
    // m2 is sent but never reaches the server: the socket drops first.
    h.send_message("m2");
    h.server.socket_gone();
    // Meanwhile the server has s2 for us.
    server_msg(&mut h, "s2");
    h.drop_socket();
    // While reconnecting the application sends m3: it waits.
    h.send_message("m3");
    h.run();
    let st = h.statuses();
    assert!(
        st.contains(&(
            Status::Reconnecting,
            Some("remote-connection-failed".into())
        )),
        "{st:?}"
    );
    assert_eq!(st.last(), Some(&(Status::Attached, Some("resumed".into()))));
    assert_eq!(h.server.sockets, 2);
    assert_eq!(h.server.received_ids(), ["m1", "m2", "m3"]);
    assert_eq!(h.delivered_ids(), ["s1", "s2"]);
    // The second socket: open, SASL2 without Bind2, resume.
    let second = h.frames_on(2);
    let names: Vec<_> = second.iter().map(|e| e.local_name().to_owned()).collect();
    assert_eq!(&names[..4], ["open", "authenticate", "response", "resume"]);
    assert!(second[1].child_ns("bind", BIND2).is_none());
    assert_eq!(second[3].attr("h"), Some("1"));
}

#[test]
fn a_server_close_is_not_resumed() {
    let mut h = connected(&["PLAIN"]);
    h.inject("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    let st = h.statuses();
    assert_eq!(
        st[st.len() - 2..],
        [
            (Status::ConnFail, Some("closed-by-server".into())),
            (Status::Disconnected, None)
        ]
    );
    assert_eq!(h.server.sockets, 1, "no second socket");
}

#[test]
fn resumption_goes_to_the_sm_location() {
    let offer = Offer {
        sm_location: Some("wss://node2.example.com/ws".into()),
        ..Offer::default()
    };
    let mut h = WsHarness::new(WsServer::new(offer), options_with(&["SCRAM-SHA-1"]));
    h.connect();
    h.drop_socket();
    assert_eq!(h.server.urls, [URL, "wss://node2.example.com/ws"]);
    assert_eq!(
        h.statuses().last(),
        Some(&(Status::Attached, Some("resumed".into())))
    );
    // A location that would leave TLS is not followed.
    let offer = Offer {
        sm_location: Some("ws://node2.example.com/ws".into()),
        ..Offer::default()
    };
    let mut h = WsHarness::new(WsServer::new(offer), options_with(&["SCRAM-SHA-1"]));
    h.connect();
    h.drop_socket();
    assert_eq!(h.server.urls, [URL, URL]);
}

#[test]
fn snapshots_belong_to_their_transport() {
    let h = connected(&["SCRAM-SHA-1"]);
    let snap = h.conn.ws_snapshot().unwrap();
    let mut bosh = xmpp_wasm::connection::Connection::new(
        "https://example.com/http-bind",
        options_with(&["SCRAM-SHA-1"]),
        Box::new(xmpp_wasm::rand::XorShift::new(1)),
    );
    assert!(bosh.restore_ws(&snap).is_err());
    let mut other = WsHarness::new(WsServer::default(), options_with(&["SCRAM-SHA-1"]));
    let mut moved = snap.clone();
    moved.service = "wss://elsewhere.example/ws".into();
    assert!(other.conn.restore_ws(&moved).is_err());
    assert!(
        h.conn.snapshot().is_none(),
        "no BOSH snapshot of a WebSocket"
    );
}

#[test]
fn an_unanswered_ack_request_gives_up_a_half_open_socket() {
    let mut h = connected(&["SCRAM-SHA-1"]);
    h.server.blackhole = true;
    h.send_message("m1");
    h.advance(REQUEST_DELAY);
    // The <r/> left; nothing comes back.
    assert_eq!(h.conn.poll_timeout(), Some(h.now + ACK_TIMEOUT));
    assert_eq!(h.server.sockets, 1);
    h.advance(ACK_TIMEOUT);
    let st = h.statuses();
    assert!(
        st.contains(&(
            Status::Reconnecting,
            Some("remote-connection-failed".into())
        )),
        "{st:?}"
    );
    assert_eq!(st.last(), Some(&(Status::Attached, Some("resumed".into()))));
    assert_eq!(h.server.sockets, 2);
    // m1 never reached the server on the dead socket: resent once.
    assert_eq!(h.server.received_ids(), ["m1"]);
}

#[test]
fn failed_with_h_reports_only_what_the_server_did_not_handle() {
    let mut h = connected(&["SCRAM-SHA-1"]);
    h.send_message("m1");
    h.run();
    // m2 leaves but the socket dies before it arrives; the session expires.
    h.send_message("m2");
    h.server.socket_gone();
    h.server.expire_sessions();
    h.drop_socket();
    let lost = h
        .conn
        .poll_unacknowledged()
        .expect("unacknowledged stanzas");
    let ids: Vec<_> = lost.stanzas.iter().map(|s| s.attr("id").unwrap()).collect();
    assert_eq!(ids, ["m2"], "m1 was handled (h='1')");
    assert_eq!(h.statuses().last(), Some(&(Status::Connected, None)));
}

#[test]
fn failed_resumption_reports_unacknowledged_stanzas_and_binds_anew() {
    let mut h = connected(&["SCRAM-SHA-1"]);
    let before = h.conn.jid().unwrap().to_string();
    h.send_message("m1");
    h.server.socket_gone();
    h.server.sm_sessions.clear();
    h.drop_socket();
    let lost = h
        .conn
        .poll_unacknowledged()
        .expect("unacknowledged stanzas");
    assert_eq!(lost.condition, "item-not-found");
    // The new binding asks for the old resource: peers keep the full JID,
    // and the server replaces the session that waited for a resumption.
    assert_eq!(h.conn.jid().unwrap().to_string(), before);
    let ids: Vec<_> = lost.stanzas.iter().map(|s| s.attr("id").unwrap()).collect();
    assert_eq!(ids, ["m1"]);
    let st = h.statuses();
    assert_eq!(st.last(), Some(&(Status::Connected, None)), "{st:?}");
    assert!(h.conn.jid().unwrap().resource().is_some());
    // A new SM session is enabled on the new binding.
    assert!(h.conn.stream_management().resumable());
    assert!(h.server.received_ids().is_empty());
}

#[test]
fn acknowledging_more_than_was_sent_ends_the_stream() {
    let mut h = connected(&["PLAIN"]);
    h.send_message("m1");
    h.run();
    h.inject(&format!("<a xmlns='{SM}' h='7'/>"));
    let st = h.statuses();
    assert!(
        st.contains(&(Status::ConnFail, Some("handled-count-too-high".into()))),
        "{st:?}"
    );
    assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
    let err = &h.server.frames.iter().rev().nth(1).unwrap().1;
    assert!(err.contains("handled-count-too-high"), "{err}");
}

/// The old page: logged in with SCRAM, got s1, sent m1 (acknowledged) and
/// m2 (lost with the socket); its last snapshot is taken after s1.
fn reloaded() -> (WsServer, String) {
    let mut h = connected(&["SCRAM-SHA-1"]);
    h.send_message("m1");
    h.advance(REQUEST_DELAY);
    server_msg(&mut h, "s1");
    h.run();
    assert_eq!(h.delivered_ids(), ["s1"]);
    h.send_message("m2");
    let json = h.conn.ws_snapshot().unwrap().to_json();
    // The page goes away; the server has s2 for the next one.
    h.server.socket_gone();
    server_msg(&mut h, "s2");
    (h.server, json)
}

#[test]
fn restore_resumes_without_the_password_and_loses_nothing() {
    let (server, json) = reloaded();
    assert!(!json.contains("secret"), "{json}");
    let snap = WsSnapshot::from_json(&json).unwrap();
    assert_eq!(snap.sm.unacked.len(), 1);
    let mut h = WsHarness::new(server, options_with(&["SCRAM-SHA-1"]));
    h.conn.restore_ws(&snap).unwrap();
    // The application reacts to ATTACHED at once: its IQ waits for the
    // resumption.
    let ping = xmpp_wasm::xml::parse_standalone(
        "<iq type='get' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
    )
    .unwrap();
    let id = h.conn.send_tracked(h.now, ping, None).unwrap();
    h.run();
    assert_eq!(h.statuses(), vec![(Status::Attached, None)]);
    assert_eq!(h.server.received_ids(), ["m1", "m2"]);
    assert_eq!(h.delivered_ids(), ["s2"]);
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, xmpp_wasm::connection::Event::Answer { id: a, .. } if *a == id)));
    // socket 2: open, authenticate, response, resume, m2 resent, then the ping.
    let names: Vec<_> = h
        .frames_on(2)
        .iter()
        .map(|e| e.local_name().to_owned())
        .collect();
    assert_eq!(
        &names[..6],
        [
            "open",
            "authenticate",
            "response",
            "resume",
            "message",
            "iq"
        ]
    );
    // Five round trips to the first IQ answer: open, SCRAM (2), resume, IQ
    // (held until <resumed/>: if the resumption failed, a stanza before a
    // new binding would be a protocol error).
    assert_eq!(h.flights, 5);
}

#[test]
fn restore_that_the_server_cannot_resume_binds_anew() {
    let (mut server, json) = reloaded();
    server.sm_sessions.clear();
    let mut h = WsHarness::new(server, options_with(&["SCRAM-SHA-1"]));
    h.conn
        .restore_ws(&WsSnapshot::from_json(&json).unwrap())
        .unwrap();
    h.send_message("m3");
    h.run();
    let lost = h.conn.poll_unacknowledged().expect("m2 reported");
    let ids: Vec<_> = lost.stanzas.iter().map(|s| s.attr("id").unwrap()).collect();
    assert_eq!(ids, ["m2"]);
    assert_eq!(
        h.statuses(),
        vec![(Status::Attached, None), (Status::Connected, None)]
    );
    // m3 waited for the new binding; m2 was not resent.
    assert_eq!(h.server.received_ids(), ["m1", "m3"]);
    assert!(h.conn.stream_management().resumable());
}

#[test]
fn restore_refuses_stored_stanzas_that_are_not_one_stanza() {
    let (_, json) = reloaded();
    for bad in [
        "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
        "<message xmlns='jabber:client'/><message xmlns='jabber:client'/>",
        "<message xmlns='jabber:client'>",
        "<enable xmlns='urn:xmpp:sm:3'/>",
    ] {
        let mut snap = WsSnapshot::from_json(&json).unwrap();
        snap.sm.unacked = vec![bad.to_owned()];
        let mut h = WsHarness::new(WsServer::default(), options_with(&["SCRAM-SHA-1"]));
        assert!(h.conn.restore_ws(&snap).is_err(), "{bad}");
        assert_eq!(h.conn.poll_event(), None);
    }
}

#[test]
fn restore_after_plain_is_refused() {
    let h = connected(&["PLAIN"]);
    let snap = h.conn.ws_snapshot().unwrap();
    assert!(snap.scram.is_none());
    let mut next = WsHarness::new(WsServer::default(), options_with(&["PLAIN"]));
    let err = next.conn.restore_ws(&snap).unwrap_err();
    assert!(err.to_string().contains("no-scram-keys"), "{err}");
    assert_eq!(next.conn.poll_event(), None);
}

#[test]
fn restore_with_outdated_keys_is_attachfail() {
    let (mut server, json) = reloaded();
    server.salt = b"another salt".to_vec();
    let mut h = WsHarness::new(server, options_with(&["SCRAM-SHA-1"]));
    h.conn
        .restore_ws(&WsSnapshot::from_json(&json).unwrap())
        .unwrap();
    h.run();
    assert_eq!(
        h.statuses(),
        vec![
            (Status::Attached, None),
            (Status::AttachFail, Some("scram-keys-outdated".into())),
            (Status::Disconnected, None)
        ]
    );
}

#[test]
fn counters_wrap_at_two_to_the_32() {
    let (mut server, json) = reloaded();
    let mut snap = WsSnapshot::from_json(&json).unwrap();
    // Both sides near 2^32: the client handled 2^32 - 2 stanzas and the
    // server acknowledged 2^32 - 3 (m2 above it).
    snap.sm.inbound = u32::MAX - 1;
    snap.sm.acked = u32::MAX - 2;
    for s in server.sm_sessions.values_mut() {
        s.h_in = u32::MAX - 2;
        s.acked = u32::MAX - 2; // s2 is above it
    }
    let mut h = WsHarness::new(server, options_with(&["SCRAM-SHA-1"]));
    h.conn.restore_ws(&snap).unwrap();
    h.run();
    assert_eq!(h.delivered_ids(), ["s1", "s2"][1..]);
    for i in 0..3 {
        h.send_message(&format!("w{i}"));
        server_msg(&mut h, &format!("t{i}"));
    }
    h.run();
    h.advance(Duration::from_secs(1));
    h.server.outbox.push(format!("<r xmlns='{SM}'/>"));
    h.run();
    let sm = h.conn.stream_management();
    // Acknowledged: m2 (resent) and w0..w2, 4 stanzas above 2^32 - 3:
    // 2^32 + 1, so 1.
    assert_eq!(sm.acked(), 1);
    assert_eq!(sm.unacked().count(), 0);
    // Handled: s2 and t0..t2, 4 stanzas above 2^32 - 2: 2^32 + 2, so 2.
    assert_eq!(sm.inbound(), 2);
    assert_eq!(h.server.received_ids(), ["m1", "m2", "w0", "w1", "w2"]);
}

#[test]
fn snapshot_json_round_trips_and_rejects_garbage() {
    let (_, json) = reloaded();
    let snap = WsSnapshot::from_json(&json).unwrap();
    assert_eq!(WsSnapshot::from_json(&snap.to_json()).unwrap(), snap);
    assert_eq!(snap.sm.max, Some(300), "the server's max is kept");
    for bad in [
        json.replace("\"websocket\"", "\"bosh\""),
        json.replace("\"h\":1", "\"h\":4294967296"),
        json.replace("\"id\":\"sm-", "\"idx\":\"sm-"),
        json.replace("\"clientKey\":\"", "\"clientKey\":\"!"),
    ] {
        assert!(WsSnapshot::from_json(&bad).is_err(), "{bad}");
    }
}
