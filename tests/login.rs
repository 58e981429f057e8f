//! The login, end to end, against the scripted server on a fake clock.

mod common;

use common::*;
use xmpp_wasm::connection::{Options, Status};

fn login(mechs: &[&str], quirks: Quirks) -> Harness {
    let mut server = Server::new();
    server.quirks = quirks;
    let mut h = Harness::new(server, options_with(mechs));
    h.conn
        .connect("alice@localhost/web", Some("alice-pass"))
        .expect("valid jid");
    h.run();
    h
}

fn status_names(h: &Harness) -> Vec<&'static str> {
    h.statuses().iter().map(|(s, _)| s.name()).collect()
}

#[test]
fn plain_login_takes_four_requests_and_binds_the_resource() {
    let h = login(&["PLAIN"], Quirks::default());
    assert_eq!(
        status_names(&h),
        ["CONNECTING", "AUTHENTICATING", "CONNECTED"]
    );
    assert_eq!(
        h.conn.jid().map(|j| j.to_string()).as_deref(),
        Some("alice@localhost/web")
    );
    assert_eq!(h.conn.mechanism(), Some("PLAIN"));
    // create, auth, restart, bind — then the long poll that keeps the session.
    let login: Vec<&String> = h.server.requests.iter().take(4).collect();
    assert!(login[0].contains("ver='1.11'"));
    assert!(login[1].contains("mechanism='PLAIN'"));
    assert!(login[2].contains("xmpp:restart='true'"));
    assert!(login[3].contains("urn:ietf:params:xml:ns:xmpp-bind"));
    assert_eq!(h.server.requests.len(), 5, "4 login requests + 1 long poll");
    assert!(!h.server.requests[4].contains('<') || h.server.requests[4].ends_with("/>"));
    // The clock never moved: no step waited for a timer.
    assert_eq!(h.now, std::time::Duration::ZERO);
}

#[test]
fn scram_sha1_login_takes_five_requests() {
    let h = login(&["SCRAM-SHA-1"], Quirks::default());
    assert_eq!(
        status_names(&h),
        ["CONNECTING", "AUTHENTICATING", "CONNECTED"]
    );
    assert_eq!(h.conn.mechanism(), Some("SCRAM-SHA-1"));
    assert_eq!(h.server.requests.len(), 6, "5 login requests + 1 long poll");
    assert!(h.server.requests[2].contains("<response"));
}

#[test]
fn default_preference_picks_scram_over_plain() {
    let h = login_default();
    assert_eq!(h.conn.mechanism(), Some("SCRAM-SHA-1"));
    assert_eq!(h.conn.status(), Status::Connected);
}

fn login_default() -> Harness {
    let mut h = Harness::new(Server::new(), Options::default());
    h.conn
        .connect("alice@localhost", Some("alice-pass"))
        .unwrap();
    h.run();
    h
}

#[test]
fn server_assigned_resource_when_the_jid_has_none() {
    let h = login_default();
    assert_eq!(
        h.conn.jid().map(|j| j.to_string()).as_deref(),
        Some("alice@localhost/srv-res")
    );
}

#[test]
fn session_iq_only_when_required() {
    let h = login(
        &["PLAIN"],
        Quirks {
            session_required: true,
            ..Default::default()
        },
    );
    assert_eq!(h.conn.status(), Status::Connected);
    assert!(h.server.requests[4].contains("urn:ietf:params:xml:ns:xmpp-session"));
    assert_eq!(h.server.requests.len(), 6);
    let optional = login(&["PLAIN"], Quirks::default());
    assert!(optional
        .server
        .requests
        .iter()
        .all(|r| !r.contains("xmpp-session'/>")));
}

#[test]
fn message_to_self_comes_back_and_disconnect_ends_the_session() {
    let mut h = login(&["PLAIN"], Quirks::default());
    h.conn
        .send_xml(
            h.now,
            "<message to='alice@localhost/web' type='chat'><body>hello &amp; bye</body></message>",
        )
        .unwrap();
    h.run();
    let got = h.stanzas();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].child("body").map(|b| b.text()).as_deref(),
        Some("hello & bye")
    );
    assert_eq!(got[0].attr("from"), Some("alice@localhost/web"));
    h.conn.disconnect(None);
    h.run();
    let names = status_names(&h);
    assert_eq!(&names[names.len() - 2..], ["DISCONNECTING", "DISCONNECTED"]);
    let last = h.server.requests.last().unwrap();
    assert!(last.contains("type='terminate'") && last.contains("unavailable"));
    assert!(!h.advance(), "no timer left after the session ended");
}

#[test]
fn stanzas_sent_together_leave_in_one_body() {
    let mut h = login(&["PLAIN"], Quirks::default());
    let before = h.server.requests.len();
    for i in 0..3 {
        h.conn
            .send_xml(h.now, &format!("<presence id='p{i}'/>"))
            .unwrap();
    }
    h.run();
    assert_eq!(h.server.requests.len(), before + 1);
    let body = h.server.requests.last().unwrap();
    assert!(body.contains("p0") && body.contains("p1") && body.contains("p2"));
    assert!(body.contains("xmlns='jabber:client'"));
}

#[test]
fn wrong_password_is_authfail_not_authorized() {
    for mech in ["PLAIN", "SCRAM-SHA-1"] {
        let mut server = Server::new();
        server.users = vec![("alice".into(), "other".into())];
        let mut h = Harness::new(server, options_with(&[mech]));
        h.conn
            .connect("alice@localhost", Some("alice-pass"))
            .unwrap();
        h.run();
        let st = h.statuses();
        assert!(
            st.contains(&(Status::AuthFail, Some("not-authorized".into()))),
            "{mech}: {st:?}"
        );
        assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
        assert!(!h.conn.authenticated());
    }
}

#[test]
fn scram_server_signature_mismatch_is_authfail() {
    let h = login(
        &["SCRAM-SHA-1"],
        Quirks {
            bad_server_signature: true,
            ..Default::default()
        },
    );
    let st = h.statuses();
    assert_eq!(st[2].0, Status::AuthFail);
    assert!(
        st[2].1.as_deref().unwrap_or("").contains("signature"),
        "{st:?}"
    );
    assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
}

/// A server offering more SCRAM iterations than `maxScramIterations`
/// (default 100,000): AUTHFAIL `iteration-count-too-high`, and the client
/// never computes nor sends its proof.
#[test]
fn scram_iterations_above_the_limit_are_authfail() {
    for iterations in [100_001, 10_000_000, u32::MAX] {
        let h = login(
            &["SCRAM-SHA-1"],
            Quirks {
                scram_iterations: Some(iterations),
                ..Default::default()
            },
        );
        assert_eq!(
            h.statuses(),
            [
                (Status::Connecting, None),
                (Status::Authenticating, None),
                (Status::AuthFail, Some("iteration-count-too-high".into())),
                (Status::Disconnected, None),
            ],
            "{iterations}"
        );
        assert!(
            !h.server.requests.iter().any(|r| r.contains("<response")),
            "{iterations}: no client-final"
        );
    }
}

/// The limit itself is accepted: the default (100,000), and a lowered
/// `max_scram_iterations` (5000 accepted, 5001 refused).
#[test]
fn scram_iterations_at_the_limit_are_accepted() {
    let h = login(
        &["SCRAM-SHA-1"],
        Quirks {
            scram_iterations: Some(100_000),
            ..Default::default()
        },
    );
    assert_eq!(h.conn.status(), Status::Connected);
    for (iterations, expected) in [(5000, Status::Connected), (5001, Status::AuthFail)] {
        let mut server = Server::new();
        server.quirks.scram_iterations = Some(iterations);
        let options = Options {
            max_scram_iterations: 5000,
            ..options_with(&["SCRAM-SHA-1"])
        };
        let mut h = Harness::new(server, options);
        h.conn
            .connect("alice@localhost/web", Some("alice-pass"))
            .unwrap();
        h.run();
        assert_eq!(h.statuses()[2].0, expected, "{iterations}");
    }
}

#[test]
fn max_scram_iterations_below_the_scram_minimum_is_a_bad_option() {
    let options = Options {
        max_scram_iterations: 4095,
        ..Options::default()
    };
    let mut h = Harness::new(Server::new(), options);
    let err = h
        .conn
        .connect("alice@localhost/web", Some("alice-pass"))
        .unwrap_err();
    assert_eq!(err.condition(), "bad-options");
    assert!(err.to_string().contains("maxScramIterations"), "{err}");
    assert!(h.conn.poll_transmit(h.now).is_none(), "nothing sent");
}

#[test]
fn no_common_mechanism_is_connfail_no_auth_mech() {
    let h = login(&["SCRAM-SHA-512"], Quirks::default());
    let st = h.statuses();
    assert!(
        st.contains(&(Status::ConnFail, Some("no-auth-mech".into()))),
        "{st:?}"
    );
    assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
}

#[test]
fn bind_conflict_is_authfail_conflict() {
    let h = login(
        &["PLAIN"],
        Quirks {
            bind_conflict: true,
            ..Default::default()
        },
    );
    let st = h.statuses();
    assert!(
        st.contains(&(Status::AuthFail, Some("conflict".into()))),
        "{st:?}"
    );
}

#[test]
fn a_response_that_is_not_xml_is_connfail_bad_format() {
    for garbage in [
        "this is not xml",
        "<html><body>502 Bad Gateway</body></html>",
        "<body xmlns='wrong'/>",
        "",
        "<body",
    ] {
        let h = login(
            &["PLAIN"],
            Quirks {
                raw_reply: Some((2, garbage.to_string())),
                ..Default::default()
            },
        );
        let st = h.statuses();
        assert!(
            st.contains(&(Status::ConnFail, Some("bad-format".into()))),
            "{garbage:?}: {st:?}"
        );
        assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
    }
}

#[test]
fn an_unreachable_service_is_connfail_after_bounded_retries() {
    let mut h = login(
        &["PLAIN"],
        Quirks {
            unreachable: true,
            ..Default::default()
        },
    );
    let mut jumps = 0;
    while h.advance() {
        jumps += 1;
        assert!(jumps < 50, "retries must be bounded");
    }
    let st = h.statuses();
    assert!(
        st.contains(&(Status::ConnFail, Some("remote-connection-failed".into()))),
        "{st:?}"
    );
    assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
    // The first request and its resends all carry the same rid and bytes.
    let first = &h.server.requests[0];
    assert!(h.server.requests.iter().all(|r| r == first));
    assert_eq!(
        h.server.requests.len(),
        1 + Options::default().max_retries as usize
    );
    // Backoff is bounded: the whole attempt takes seconds, not minutes.
    assert!(h.now.as_secs() < 30, "gave up after {:?}", h.now);
}

#[test]
fn invalid_jid_is_an_error_and_nothing_is_sent() {
    let mut h = Harness::new(Server::new(), Options::default());
    assert!(h.conn.connect("@localhost", Some("x")).is_err());
    assert!(h.conn.connect("", Some("x")).is_err());
    h.run();
    assert!(h.server.requests.is_empty());
}

#[test]
fn a_message_between_two_empty_polls_does_not_delay_the_next_poll() {
    // Prosody advertises polling='5'; the scripted server does too. The held
    // poll is answered empty when a message request arrives; once that is
    // answered, the next poll must leave at once (the polls are not
    // consecutive), or incoming stanzas would wait for seconds.
    let mut h = login(&["PLAIN"], Quirks::default());
    h.conn
        .send_xml(
            h.now,
            "<message to='bob@localhost' id='x1'><body>hi</body></message>",
        )
        .unwrap();
    h.run();
    // The message request is now the one held; the poll before it was
    // answered empty. A stanza for us answers the held message request...
    let replies = h.server.push(
        "<message xmlns='jabber:client' from='bob@localhost/b' id='r1'><body>re</body></message>",
    );
    let sent = h.transmits.len();
    h.deliver(replies);
    assert_eq!(h.stanzas().len(), 1);
    // ...and the next poll leaves at once, with no timer.
    assert_eq!(h.transmits.len(), sent + 1, "one new request");
    assert!(
        h.transmits[sent].body.ends_with("/>"),
        "an empty long poll: {}",
        h.transmits[sent].body
    );
    assert_eq!(h.now, std::time::Duration::ZERO);
}

#[test]
fn see_other_uri_during_login_continues_at_the_new_url() {
    let target = "http://cm.example/other-node/http-bind";
    let h = login(
        &["PLAIN"],
        Quirks {
            redirect_on_auth: Some(target.into()),
            ..Default::default()
        },
    );
    let st = h.statuses();
    assert!(
        st.contains(&(Status::Redirect, Some(target.into()))),
        "{st:?}"
    );
    assert_eq!(h.conn.status(), Status::Connected, "{st:?}");
    assert_eq!(h.conn.service(), target);
    // Every request after the redirect went to the new URL, starting with a
    // fresh session creation.
    let i = h
        .transmits
        .iter()
        .position(|t| t.url == target)
        .expect("used the new URL");
    assert!(h.transmits[i].body.contains("ver='1.11'") && !h.transmits[i].body.contains("sid="));
    assert!(h.transmits[i..].iter().all(|t| t.url == target));
}

#[test]
fn see_other_uri_to_another_host_over_plain_http_is_refused() {
    let h = login(
        &["PLAIN"],
        Quirks {
            redirect_on_auth: Some("http://evil.example/http-bind".into()),
            ..Default::default()
        },
    );
    let st = h.statuses();
    assert!(
        st.contains(&(Status::ConnFail, Some("see-other-uri".into()))),
        "{st:?}"
    );
    assert_eq!(st.last().map(|s| s.0), Some(Status::Disconnected));
}

/// XEP-0206 §5: "When SASL-EXTERNAL is used in combination with BOSH the
/// BOSH <body/> element SHOULD include the 'from' attribute upon stream
/// restart" — the bare JID, since the client cannot always know which
/// credentials the HTTP level used. (The scripted server checks it.)
#[test]
fn xep0206_s5_sasl_external_restart_carries_from() {
    let h = login(
        &["EXTERNAL"],
        Quirks {
            external_user: Some("alice".into()),
            ..Default::default()
        },
    );
    assert_eq!(h.conn.status(), Status::Connected, "{:?}", h.statuses());
    assert_eq!(h.conn.mechanism(), Some("EXTERNAL"));
    let restart = h
        .transmits
        .iter()
        .find(|t| t.body.contains("xmpp:restart='true'"))
        .expect("a restart");
    assert_eq!(
        xmpp_wasm::xml::parse(&restart.body).unwrap().attr("from"),
        Some("alice@localhost")
    );
    // Other mechanisms do not add it.
    let plain = login(&["PLAIN"], Quirks::default());
    let restart = plain
        .transmits
        .iter()
        .find(|t| t.body.contains("xmpp:restart='true'"))
        .expect("a restart");
    assert!(!restart.body.contains(" from="), "{}", restart.body);
}

/// The web shell checks JavaScript options against `OPTION_KINDS` and then
/// reads them with `Options::from_json`: every listed option must be read
/// (a value of its kind changes the result) and anything else refused, or an
/// option would be refused or go unchecked.
#[test]
fn option_kinds_list_every_option() {
    use xmpp_wasm::connection::OptionKind;
    use xmpp_wasm::json::JsonError;
    let default = Options::default();
    for &(name, kind) in xmpp_wasm::connection::OPTION_KINDS {
        let value = match kind {
            OptionKind::Bool => "true",
            OptionKind::String => "\"x\"",
            OptionKind::Mechanisms => "[\"PLAIN\"]",
            OptionKind::Seconds
            | OptionKind::Milliseconds
            | OptionKind::Bytes
            | OptionKind::Count
            | OptionKind::Iterations => "4242",
            OptionKind::Headers => "{\"X-A\":\"b\"}",
            OptionKind::Reconnect => "{\"initialDelay\":5,\"maxDelay\":9,\"maxAttempts\":2}",
        };
        // A flag that defaults to true (streamManagement) is read when
        // false changes it.
        let value = match (kind, &name) {
            (OptionKind::Bool, &"streamManagement") => "false",
            _ => value,
        };
        let json = format!("{{\"{name}\":{value}}}");
        let read = Options::from_json(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_ne!(read, default, "{json} was not read");
        let null = format!("{{\"{name}\":null}}");
        assert_eq!(Options::from_json(&null), Ok(default.clone()), "{null}");
        let wrong = format!("{{\"{name}\":-1}}");
        assert_eq!(Options::from_json(&wrong), Err(JsonError::Field(name)));
    }
    assert_eq!(
        Options::from_json(r#"{"notAnOption": 1}"#),
        Err(JsonError::Unknown("notAnOption".into()))
    );
    assert!(Options::from_json("[]").is_err());
}

/// What a page does: the application reacts to CONNECTED in the same task
/// (a promise reaction, before the shell's next task), here with a ping.
/// Requests that leave in one task are on the wire together (in
/// `h.transmits`); the scripted server then gets them in order.
fn login_and_react_in_the_same_task(spacing: std::time::Duration) -> Harness {
    let mut options = options_with(&["PLAIN"]);
    options.request_spacing = spacing;
    let mut h = Harness {
        conn: xmpp_wasm::connection::Connection::new(
            "http://cm.example/http-bind",
            options,
            Box::new(xmpp_wasm::rand::XorShift::new(42)),
        ),
        server: Server::new(),
        now: std::time::Duration::ZERO,
        events: Vec::new(),
        transmits: Vec::new(),
    };
    h.conn
        .connect("alice@localhost/web", Some("alice-pass"))
        .unwrap();
    let mut reacted = false;
    for _ in 0..100 {
        while let Some(ev) = h.conn.poll_event() {
            h.events.push(ev);
        }
        // The shell's drain: events, then requests (the promise reactions
        // run after it, in the same task).
        let mut pending = Vec::new();
        while let Some(t) = h.conn.poll_transmit(h.now) {
            pending.push(t);
        }
        if !reacted && h.conn.status() == Status::Connected {
            reacted = true;
            h.conn
                .send_xml(
                    h.now,
                    "<iq type='get' id='ping-1'><ping xmlns='urn:xmpp:ping'/></iq>",
                )
                .unwrap();
            // send() drains again from a microtask, still in this task.
            while let Some(t) = h.conn.poll_transmit(h.now) {
                pending.push(t);
            }
        }
        if pending.is_empty() {
            break;
        }
        for t in pending {
            h.transmits.push(t.clone());
            for (id, status, body) in h.server.handle(&t) {
                h.conn.handle_response(h.now, id, status, &body);
            }
        }
    }
    assert!(reacted, "{:?}", h.statuses());
    h
}

#[test]
fn the_reaction_to_connected_rides_in_the_first_request_after_the_login() {
    // With the product's request spacing (100 ms): the reaction does not
    // wait for it, because nothing else is on the wire when it leaves.
    let mut h = login_and_react_in_the_same_task(std::time::Duration::from_millis(100));
    // create, auth, restart, bind, then the request with the ping — not an
    // empty long poll that the ping's request could overtake on another
    // HTTP connection (ejabberd 23.01 would then hold the ping for `wait`).
    assert!(h.server.requests.len() >= 5, "{:#?}", h.server.requests);
    assert!(
        h.server.requests[4].contains("ping-1"),
        "the fifth request carries the reaction: {:#?}",
        h.server.requests
    );
    // It left at once: the clock never moved.
    assert_eq!(h.now, std::time::Duration::ZERO);
    h.run();
    assert!(
        h.stanzas().iter().any(|s| s.attr("id") == Some("ping-1")),
        "the ping was answered: {:?}",
        h.stanzas()
    );
}
