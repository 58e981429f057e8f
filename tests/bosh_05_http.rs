//! XEP-0124 §5 (HTTP Overview): what each request looks like on the HTTP
//! level. The verb (always POST) and the transfer coding (a string body,
//! never chunked) are the shell's; the core decides the headers.

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{Config, Event, Session, DEFAULT_CONTENT_TYPE};

#[test]
fn s5_content_type_defaults_to_text_xml_utf8_on_every_request() {
    let mut n = Net::open(config(), CmConfig::full());
    n.send("<presence xmlns='jabber:client'/>");
    assert!(n.sent.len() >= 3);
    for t in &n.sent {
        assert_eq!(t.content_type, DEFAULT_CONTENT_TYPE);
        assert_eq!(t.url, URL);
    }
}

#[test]
fn s5_another_content_type_when_constrained() {
    let mut c = config();
    c.content_type = "text/plain".into();
    let n = Net::open(c, CmConfig::full());
    assert!(n.sent.iter().all(|t| t.content_type == "text/plain"));
}

#[test]
fn s5_custom_headers_and_credentials_ride_on_every_transmit() {
    let mut c = config();
    c.custom_headers = vec![("X-Token".into(), "t0k".into())];
    c.with_credentials = true;
    let mut n = Net::open(c, CmConfig::full());
    n.faults.push_back(Fault::Network);
    n.send("<presence xmlns='jabber:client'/>");
    n.advance();
    assert!(n.sent.iter().any(|t| t.attempt > 0), "a resend happened");
    for t in &n.sent {
        assert_eq!(t.headers, vec![("X-Token".to_string(), "t0k".to_string())]);
        assert!(t.with_credentials);
    }
}

#[test]
fn s5_forbidden_or_malformed_headers_refuse_to_start() {
    let mut c = config();
    c.custom_headers = vec![("Content-Length".into(), "1".into())];
    assert!(c.validate().is_err());
    let mut s = Session::new(c, RID);
    s.start();
    assert_eq!(s.poll_transmit(secs(0)), None, "nothing leaves");
    assert_eq!(
        s.poll_event(),
        Some(Event::Closed {
            condition: Some("bad-config".into())
        })
    );
}

#[test]
fn s5_response_headers_are_not_needed() {
    // The session reads only the status and the text: the Content-Type of
    // responses is ignored, as §5 asks.
    let mut s = Session::new(Config::new(URL, "example.com"), RID);
    s.start();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(
        secs(0),
        t.id,
        200,
        &resp("sid='s' wait='60' requests='2' hold='1'", ""),
    );
    assert!(s.is_open());
}
