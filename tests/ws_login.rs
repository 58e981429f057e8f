//! Login over WebSocket (RFC 7395) against the scripted server: SASL2 with
//! Bind2 where offered (XEP-0388, XEP-0386), classic SASL → restart → bind
//! otherwise, round trips counted; framing checked by the server's asserts.

mod ws_server;

use ws_server::*;
use xmpp_wasm::connection::Status;
use xmpp_wasm::transport::Kind;

fn login(offer: Offer, mechs: &[&str]) -> WsHarness {
    let mut h = WsHarness::new(WsServer::new(offer), options_with(mechs));
    assert_eq!(h.conn.transport_kind(), Kind::WebSocket);
    h.connect();
    assert!(
        h.statuses().iter().any(|(s, _)| *s == Status::Connected),
        "{:?}",
        h.statuses()
    );
    h
}

#[test]
fn plain_with_sasl2_and_bind2_takes_two_round_trips() {
    let h = login(Offer::default(), &["PLAIN"]);
    assert_eq!(h.flights_at_connected, Some(2));
    assert!(h.conn.used_sasl2());
    assert!(h.conn.features_seen());
    let jid = h.conn.jid().unwrap().to_string();
    assert!(jid.starts_with("alice@example.com/xmpp-wasm~"), "{jid}");
    // Socket 1 saw: <open/>, <authenticate/> with <bind/>, then <enable/>.
    let frames = h.frames_on(1);
    assert_eq!(frames[0].local_name(), "open");
    assert_eq!(frames[1].local_name(), "authenticate");
    assert!(frames[1].child_ns("bind", BIND2).is_some());
    assert_eq!(frames[2].local_name(), "enable");
    assert!(h.conn.stream_management().enabled());
}

#[test]
fn scram_with_sasl2_takes_three_round_trips_and_keeps_keys() {
    let h = login(Offer::default(), &["SCRAM-SHA-1"]);
    assert_eq!(h.flights_at_connected, Some(3));
    assert_eq!(h.conn.mechanism(), Some("SCRAM-SHA-1"));
    let snap = h.conn.ws_snapshot().expect("a resumable snapshot");
    let keys = snap.scram.expect("SCRAM keys");
    assert_eq!(keys.iterations, ITERATIONS);
    let json = h.conn.ws_snapshot().unwrap().to_json();
    assert!(!json.contains("secret"), "{json}");
}

#[test]
fn classic_plain_takes_four_round_trips() {
    let offer = Offer {
        sasl2: false,
        bind2: false,
        ..Offer::default()
    };
    let h = login(offer, &["PLAIN"]);
    assert_eq!(h.flights_at_connected, Some(4));
    assert!(!h.conn.used_sasl2());
    assert_eq!(
        h.conn.jid().unwrap().to_string(),
        "alice@example.com/generated"
    );
    // The restart is a new <open/> on the same socket.
    let opens = h
        .frames_on(1)
        .iter()
        .filter(|f| f.local_name() == "open")
        .count();
    assert_eq!(opens, 2);
    assert_eq!(h.server.sockets, 1);
}

#[test]
fn classic_scram_takes_five_round_trips() {
    let offer = Offer {
        sasl2: false,
        bind2: false,
        ..Offer::default()
    };
    let h = login(offer, &["SCRAM-SHA-1"]);
    assert_eq!(h.flights_at_connected, Some(5));
    assert!(h.conn.ws_snapshot().unwrap().scram.is_some());
}

#[test]
fn sasl2_without_bind2_binds_classically() {
    let offer = Offer {
        bind2: false,
        ..Offer::default()
    };
    let h = login(offer, &["PLAIN"]);
    // open, authenticate (success + features, no restart), bind.
    assert_eq!(h.flights_at_connected, Some(3));
    assert!(h.conn.used_sasl2());
    assert!(
        h.frames_on(1)
            .iter()
            .filter(|f| f.local_name() == "open")
            .count()
            == 1
    );
}

#[test]
fn a_requested_resource_is_bound_classically_under_sasl2() {
    let mut h = WsHarness::new(WsServer::default(), options_with(&["PLAIN"]));
    h.conn
        .connect("alice@example.com/desk", Some("secret"))
        .unwrap();
    h.run();
    assert_eq!(h.conn.jid().unwrap().to_string(), "alice@example.com/desk");
    assert!(h.frames_on(1)[1].child_ns("bind", BIND2).is_none());
}

#[test]
fn wrong_password_is_authfail_over_sasl2() {
    let mut h = WsHarness::new(WsServer::default(), options_with(&["PLAIN"]));
    h.conn.connect("alice@example.com", Some("wrong")).unwrap();
    h.run();
    let st = h.statuses();
    assert!(
        st.contains(&(Status::AuthFail, Some("not-authorized".into()))),
        "{st:?}"
    );
    assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
    // The client closed the stream with <close/>.
    assert_eq!(h.frames_on(1).last().unwrap().local_name(), "close");
}

#[test]
fn stanzas_sent_during_login_wait_for_the_bound_stream() {
    let mut h = WsHarness::new(WsServer::default(), options_with(&["PLAIN"]));
    h.conn.connect("alice@example.com", Some("secret")).unwrap();
    h.send_message("early");
    h.run();
    // The server asserts that no stanza precedes binding; it got it after.
    assert_eq!(h.server.received_ids(), ["early"]);
    // And it is counted by SM (sent after <enable/>).
    let frames = h.frames_on(1);
    let enable = frames.iter().position(|f| f.local_name() == "enable");
    let msg = frames.iter().position(|f| f.local_name() == "message");
    assert!(enable < msg, "{frames:?}");
}

#[test]
fn echo_and_disconnect() {
    let mut h = login(Offer::default(), &["PLAIN"]);
    h.server.push(
        "<message xmlns='jabber:client' id='m1' from='bob@example.com'><body>hi</body></message>",
    );
    h.run();
    assert_eq!(h.delivered_ids(), ["m1"]);
    h.conn.disconnect(None);
    h.run();
    let last = h.frames_on(1);
    assert_eq!(last.last().unwrap().local_name(), "close");
    assert!(last[last.len() - 2].attr("type") == Some("unavailable"));
    assert_eq!(h.statuses().last(), Some(&(Status::Disconnected, None)));
}

#[test]
fn see_other_uri_moves_the_login() {
    let mut h = WsHarness::new(WsServer::default(), options_with(&["PLAIN"]));
    h.conn.connect("alice@example.com", Some("secret")).unwrap();
    // Let the socket open and our <open/> leave, then the server redirects.
    while let Some(t) = h.conn.poll_ws_transmit() {
        if let xmpp_wasm::websocket::Transmit::Open { url } = t {
            assert!(h.server.open_socket(&url));
        }
    }
    h.conn.handle_ws_open(h.now);
    let _ = std::iter::from_fn(|| h.conn.poll_ws_transmit()).count();
    h.conn.handle_ws_frame(
        h.now,
        "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='wss://other.example.com/ws'/>",
    );
    h.server.socket_gone();
    h.run();
    let st = h.statuses();
    assert!(
        st.contains(&(Status::Redirect, Some("wss://other.example.com/ws".into()))),
        "{st:?}"
    );
    assert!(st.iter().any(|(s, _)| *s == Status::Connected), "{st:?}");
    assert_eq!(h.conn.service(), "wss://other.example.com/ws");
}

#[test]
fn a_refused_socket_is_connfail() {
    let mut server = WsServer::default();
    server.refuse = true;
    let mut h = WsHarness::new(server, options_with(&["PLAIN"]));
    h.connect();
    assert_eq!(
        h.statuses(),
        vec![
            (Status::Connecting, None),
            (Status::ConnFail, Some("remote-connection-failed".into())),
            (Status::Disconnected, None)
        ]
    );
    assert!(!h.conn.features_seen(), "a shell may fall back to BOSH");
}
