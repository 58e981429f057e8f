//! Hostile frames from a WebSocket server (RFC 7395 §3.3.3): not exactly one
//! element, too large, too deep, outside any namespace, a framing element in
//! another namespace, an `<open/>` of another version. Each ends the stream
//! with a condition (CONNFAIL, then DISCONNECTED), our `<stream:error>` and
//! `<close/>` go out, and nothing panics.

mod ws_server;

use ws_server::*;
use xmpp_wasm::connection::{Options, Status};

fn connected(options: Options) -> WsHarness {
    let mut h = WsHarness::new(WsServer::default(), options);
    h.connect();
    assert!(h.conn.authenticated(), "{:?}", h.statuses());
    h
}

fn ends_with(h: &WsHarness, condition: &str) {
    let st = h.statuses();
    assert!(
        st.contains(&(Status::ConnFail, Some(condition.into()))),
        "{condition}: {st:?}"
    );
    assert_eq!(st.last(), Some(&(Status::Disconnected, None)), "{st:?}");
    let frames = &h.server.frames;
    let n = frames.len();
    assert!(
        frames[n - 2].1.starts_with("<stream:error") && frames[n - 2].1.contains(condition),
        "{:?}",
        &frames[n.saturating_sub(3)..]
    );
    assert!(
        frames[n - 1].1.starts_with("<close "),
        "{:?}",
        frames[n - 1]
    );
    assert!(!h.server.has_socket(), "the socket is closed");
}

#[test]
fn frames_that_are_not_one_element() {
    for (frame, condition) in [
        (
            "<message xmlns='jabber:client'/><message xmlns='jabber:client'/>",
            "not-well-formed",
        ),
        ("<message xmlns='jabber:client'>", "not-well-formed"),
        (" ", "not-well-formed"),
        ("", "not-well-formed"),
        (
            "<?xml version='1.0'?><iq xmlns='jabber:client'/>",
            "restricted-xml",
        ),
        ("<iq xmlns='jabber:client'/><!-- -->", "restricted-xml"),
        ("<!DOCTYPE x><iq xmlns='jabber:client'/>", "restricted-xml"),
    ] {
        let mut h = connected(options_with(&["PLAIN"]));
        h.inject(frame);
        ends_with(&h, condition);
    }
}

#[test]
fn wrong_namespaces() {
    for frame in [
        "<message><body>no namespace</body></message>",
        "<close xmlns='jabber:client'/>",
        "<stream:features/>",
    ] {
        let mut h = connected(options_with(&["PLAIN"]));
        if frame == "<stream:features/>" {
            // An undeclared prefix is not even well-formed XML.
            h.inject(frame);
            ends_with(&h, "not-well-formed");
            continue;
        }
        h.inject(frame);
        ends_with(&h, "invalid-namespace");
    }
}

#[test]
fn huge_and_deep_frames_are_policy_violations() {
    let mut h = connected(Options {
        max_body_size: 1000,
        ..options_with(&["PLAIN"])
    });
    let huge = format!(
        "<message xmlns='jabber:client'><body>{}</body></message>",
        "x".repeat(1000)
    );
    h.inject(&huge);
    ends_with(&h, "policy-violation");

    let mut h = connected(options_with(&["PLAIN"]));
    let deep = String::from("<message xmlns='jabber:client'>")
        + &"<x>".repeat(500)
        + &"</x>".repeat(500)
        + "</message>";
    h.inject(&deep);
    ends_with(&h, "policy-violation");
}

#[test]
fn a_second_open_or_another_version() {
    let mut h = connected(options_with(&["PLAIN"]));
    h.inject("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' version='1.0'/>");
    ends_with(&h, "bad-format");
}

#[test]
fn a_stream_error_then_close_is_connfail_with_its_condition() {
    let mut h = connected(options_with(&["PLAIN"]));
    h.inject(
        "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
    );
    h.inject("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    let st = h.statuses();
    assert!(
        st.contains(&(Status::ConnFail, Some("conflict".into()))),
        "{st:?}"
    );
    assert_eq!(st.last(), Some(&(Status::Disconnected, None)));
    // The server's <close/> was answered with ours.
    assert!(h.server.frames.last().unwrap().1.starts_with("<close "));
}

/// Linear time: a frame of many siblings parses in one pass (a quadratic
/// parser would take minutes here); no timing assertion, only completion.
#[test]
fn a_large_frame_of_many_children_is_handled() {
    let mut h = connected(options_with(&["PLAIN"]));
    let body = "<x/>".repeat(200_000);
    h.inject(&format!(
        "<message xmlns='jabber:client' id='big' from='bob@example.com'>{body}</message>"
    ));
    assert_eq!(h.delivered_ids(), ["big"]);
}
