//! XEP-0206 (XMPP Over BOSH): the XMPP-specific parts of the session.

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{Event, Session};

#[test]
fn xep0206_s3_creation_carries_xmpp_version_in_its_namespace() {
    let mut n = Net::new(config(), CmConfig::full());
    n.run();
    let b = n.cm.creation.clone().unwrap();
    assert_eq!(b.attr("xmpp:version"), Some("1.0"));
    assert_eq!(b.attr("xmlns:xmpp"), Some("urn:xmpp:xbosh"));
}

#[test]
fn xep0206_s4_empty_requests_until_stream_features_arrive() {
    let mut cm = CmConfig::full();
    cm.features_in_creation = false;
    let mut n = Net::new(config(), cm);
    n.run();
    let features = n
        .stanzas()
        .into_iter()
        .find(|e| e.name == "stream:features");
    assert!(features.is_some(), "the next response brought them");
    let second = parse(&n.sent[1].body);
    assert!(
        second.elements().next().is_none(),
        "an empty request asked for them"
    );
    n.assert_clean();
}

#[test]
fn xep0206_s4_restartlogic_and_version_are_read() {
    let n = Net::open(config(), CmConfig::full());
    assert!(n.s.params().unwrap().restart_logic);
    let n = Net::open(config(), CmConfig::prosody_012());
    assert!(!n.s.params().unwrap().restart_logic, "absent is false");
}

#[test]
fn xep0206_s5_nothing_leaves_while_a_restart_is_unanswered() {
    let mut n = Net::open(config(), CmConfig::full());
    // As the login does: the restart is asked while the success is processed.
    let r =
        n.cm.push("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", n.now);
    n.respond(r);
    n.s.restart();
    n.park = true;
    n.run();
    assert!(n.sent.last().unwrap().body.contains("xmpp:restart"));
    n.send("<iq xmlns='jabber:client' type='set' id='early'/>");
    assert!(
        !n.sent.last().unwrap().body.contains("early"),
        "waits for the restart's answer"
    );
    n.park = false;
    let parked = std::mem::take(&mut n.parked);
    n.respond(parked);
    n.run();
    assert!(n.sent.last().unwrap().body.contains("early"));
    n.assert_clean();
}

#[test]
fn xep0206_s5_restart_is_an_empty_body_with_to_lang_and_leaves_alone() {
    let mut n = Net::open(config(), CmConfig::full());
    // A long poll is held: the restart waits for it.
    n.s.restart();
    n.s.send(
        n.now,
        "<iq xmlns='jabber:client' type='set' id='bind'/>".into(),
    );
    n.run();
    assert_eq!(n.cm.restarts, 0, "waits while a request is outstanding");
    n.push("<message xmlns='jabber:client'/>"); // the held poll returns
    assert_eq!(n.cm.restarts, 1);
    let t = n
        .sent
        .iter()
        .find(|t| t.body.contains("xmpp:restart"))
        .unwrap();
    let b = parse(&t.body);
    assert_eq!(b.attr("xmpp:restart"), Some("true"));
    assert_eq!(b.attr("xmlns:xmpp"), Some("urn:xmpp:xbosh"));
    assert_eq!(b.attr("to"), Some("example.com"));
    assert_eq!(b.attr("xml:lang"), Some("en"));
    assert!(
        b.elements().next().is_none(),
        "the restart body MUST be empty"
    );
    // Nothing rode along or followed before the restart was answered (the
    // scripted server answers it with the new features at once).
    let restart_at = n
        .sent
        .iter()
        .position(|t| t.body.contains("xmpp:restart"))
        .unwrap();
    let iq_at = n
        .sent
        .iter()
        .position(|t| t.body.contains("id='bind'"))
        .unwrap();
    assert!(iq_at > restart_at);
    assert!(
        n.stanzas()
            .iter()
            .filter(|e| e.name == "stream:features")
            .count()
            >= 2
    );
    assert!(n.cm.forwarded.iter().any(|p| p.contains("id='bind'")));
    n.assert_clean();
}

#[test]
fn xep0206_s6_remote_stream_error_stanzas_come_before_the_close() {
    let mut n = Net::open(config(), CmConfig::full());
    let id = n.cm.take_held(RID + 1).unwrap();
    n.respond(vec![(
        id,
        200,
        resp(
            "type='terminate' condition='remote-stream-error'",
            "<message xmlns='jabber:client' id='hi'/><stream:error><system-shutdown \
             xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
        ),
    )]);
    n.run();
    let tail: Vec<_> = n.events.iter().rev().take(3).rev().cloned().collect();
    assert!(matches!(&tail[0], Event::Stanza(e) if e.attr("id") == Some("hi")));
    assert!(matches!(&tail[1], Event::Stanza(e) if e.name == "stream:error"));
    assert_eq!(
        tail[2],
        Event::Closed {
            condition: Some("remote-stream-error".into())
        }
    );
}

#[test]
fn xep0206_restart_without_restartlogic_still_works() {
    // Prosody 0.12 supports xmpp:restart without advertising restartlogic.
    let mut n = Net::open(config(), CmConfig::prosody_012());
    n.push("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    n.s.restart();
    n.advance_until(secs(61));
    assert_eq!(n.cm.restarts, 1);
    n.assert_clean();
    let _ = Session::new(config(), 1);
}

#[test]
fn xep0206_s2_s4_tls_and_compression_features_are_ignored() {
    use std::time::Duration;
    use xmpp_wasm::connection::{Connection, Options};
    use xmpp_wasm::rand::XorShift;
    let options = Options {
        mechanisms: Some(vec!["PLAIN".into()]),
        ..Options::default()
    };
    let mut c = Connection::new(URL, options, Box::new(XorShift::new(1)));
    c.connect("alice@example.com", Some("pw")).unwrap();
    let now = Duration::ZERO;
    let create = c.poll_transmit(now).expect("creation");
    c.handle_response(
        now,
        create.id,
        200,
        &resp(
            "sid='s' wait='60' requests='2' hold='1' ver='1.11'",
            "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
             <compression xmlns='http://jabber.org/features/compress'><method>zlib</method></compression>\
             <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>\
             </stream:features>",
        ),
    );
    while c.poll_event().is_some() {}
    let next = c.poll_transmit(now).expect("the login goes on");
    assert!(next.body.contains("mechanism='PLAIN'"), "{}", next.body);
    assert!(!next.body.contains("starttls") && !next.body.contains("compress"));
}
