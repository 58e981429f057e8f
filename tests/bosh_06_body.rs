//! XEP-0124 §6 (the `<body/>` wrapper) and XEP-0206 §2.

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{parse_body, Event};
use xmpp_wasm::xml;

#[test]
fn s6_every_request_is_one_body_in_the_httpbind_namespace_with_a_rid() {
    let mut n = Net::open(config(), CmConfig::full());
    n.send("<message xmlns='jabber:client' to='a@b'><body>x &amp; y</body></message>");
    n.s.terminate(vec![
        "<presence xmlns='jabber:client' type='unavailable'/>".into()
    ]);
    n.run();
    assert!(n.sent.len() >= 4);
    for t in &n.sent {
        // Well-formed XML 1.0, one root, no declaration, comment, PI or DTD.
        let b = xml::parse(&t.body).expect("well-formed");
        assert_eq!((b.local_name(), b.ns()), ("body", Some(HTTPBIND)));
        assert!(b.attr("rid").is_some(), "every request MUST carry a rid");
        assert!(
            !t.body.contains("<?") && !t.body.contains("<!"),
            "{}",
            t.body
        );
    }
    n.assert_clean();
}

#[test]
fn s6_no_character_data_in_the_wrapper() {
    let mut n = Net::open(config(), CmConfig::full());
    n.s.send(n.now, "<presence xmlns='jabber:client'/>".into());
    n.s.send(n.now, "<message xmlns='jabber:client'/>".into());
    n.run();
    let t = n
        .sent
        .iter()
        .find(|t| t.body.contains("<presence"))
        .unwrap();
    let b = xml::parse(&t.body).unwrap();
    assert!(
        b.children.iter().all(|c| c.as_element().is_some()),
        "{}",
        t.body
    );
    assert_eq!(b.elements().count(), 2);
    n.assert_clean();
}

#[test]
fn s6_payloads_of_any_namespace_arrive_intact() {
    let mut n = Net::open(config(), CmConfig::full());
    n.push("<json:json xmlns:json='http://json.org/'>[1,2]</json:json>");
    n.push("<message xmlns='jabber:client' from='a@b'><body>hi</body></message>");
    let got = n.stanzas();
    let json = got.iter().find(|e| e.local_name() == "json").unwrap();
    assert_eq!(json.attr("xmlns:json"), Some("http://json.org/"));
    assert_eq!(json.text(), "[1,2]");
    assert!(got.iter().any(|e| e.name == "message"));
}

#[test]
fn s6_whitespace_between_response_payloads_is_ignored() {
    let p = parse_body(&resp(
        "",
        "\n  <message xmlns='jabber:client'/>\n  <presence xmlns='jabber:client'/>\n",
    ))
    .unwrap();
    assert_eq!(p.stanzas.len(), 2);
}

#[test]
fn xep0206_s2_unqualified_stanzas_are_jabber_client() {
    // Many connection managers leave message/presence/iq in the body's
    // namespace (XEP-0206 §2 note).
    let mut n = Net::open(config(), CmConfig::full());
    n.push("<message from='a@b'><body>hi</body></message>");
    let m = n
        .stanzas()
        .into_iter()
        .find(|e| e.name == "message")
        .unwrap();
    assert_eq!(m.ns(), Some("jabber:client"));
    assert!(n
        .events
        .iter()
        .any(|e| matches!(e, Event::Processed { .. })));
}

#[test]
fn s7_2_bodies_are_utf8_both_ways() {
    let mut n = Net::open(config(), CmConfig::full());
    n.send("<message xmlns='jabber:client'><body>héllo ✓ 𝄞</body></message>");
    assert!(n.cm.forwarded.iter().any(|p| p.contains("héllo ✓ 𝄞")));
    n.push("<message xmlns='jabber:client'><body>çà ✓</body></message>");
    assert!(n
        .stanzas()
        .iter()
        .any(|e| e.child("body").is_some_and(|b| b.text() == "çà ✓")));
}
