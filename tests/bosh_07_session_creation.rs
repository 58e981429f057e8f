//! XEP-0124 §7 (Initiating a BOSH Session) and the creation parts of
//! XEP-0206 §3–§4, against the scripted connection manager.

mod bosh_cm;

use bosh_cm::*;
use xmpp_wasm::bosh::{Config, Event, Session, Version, DEFAULT_CONTENT_TYPE};

fn creation(config: Config) -> xmpp_wasm::xml::Element {
    let mut n = Net::new(config, CmConfig::full());
    n.run();
    n.cm.creation.clone().expect("a creation request")
}

#[test]
fn s7_1_creation_request_carries_to_lang_ver_wait_hold_content() {
    let mut c = config();
    c.wait = 45;
    c.lang = "de".into();
    let b = creation(c);
    assert_eq!(b.attr("to"), Some("example.com"));
    assert_eq!(b.attr("xml:lang"), Some("de"));
    assert_eq!(
        b.attr("ver"),
        Some("1.11"),
        "the highest version we implement"
    );
    assert_eq!(
        Version::parse(b.attr("ver").unwrap()),
        Some(Version::IMPLEMENTED)
    );
    assert_eq!(b.attr("wait"), Some("45"));
    assert_eq!(
        b.attr("hold"),
        Some("1"),
        "hold SHOULD be 1 for a client that reuses connections"
    );
    assert_eq!(b.attr("content"), Some(DEFAULT_CONTENT_TYPE));
    assert_eq!(b.ns(), Some(HTTPBIND));
}

#[test]
fn s7_1_creation_request_has_no_sid_and_a_rid() {
    let b = creation(config());
    assert_eq!(
        b.attr("sid"),
        None,
        "the creation request MUST NOT possess a sid"
    );
    assert_eq!(b.attr("rid"), Some(RID.to_string().as_str()));
}

#[test]
fn s7_1_route_and_from_only_when_configured() {
    let b = creation(config());
    assert_eq!((b.attr("route"), b.attr("from")), (None, None));
    let mut c = config();
    c.route = Some("xmpp:example.com:9999".into());
    c.from = Some("user@example.com".into());
    let b = creation(c);
    assert_eq!(
        b.attr("route"),
        Some("xmpp:example.com:9999"),
        "sent as is, not as a URI"
    );
    assert_eq!(b.attr("from"), Some("user@example.com"));
}

#[test]
fn s7_1_ack_1_announces_response_acknowledgements() {
    assert_eq!(creation(config()).attr("ack"), Some("1"));
    let mut c = config();
    c.ack = false;
    assert_eq!(creation(c).attr("ack"), None);
}

#[test]
fn s7_1_content_attribute_is_separate_from_the_request_content_type() {
    let mut c = config();
    c.content_type = "text/plain".into();
    let mut n = Net::new(c, CmConfig::full());
    n.run();
    assert_eq!(n.sent[0].content_type, "text/plain");
    let b = n.cm.creation.clone().unwrap();
    assert_eq!(b.attr("content"), Some(DEFAULT_CONTENT_TYPE));
    let mut c = config();
    c.response_content_type = "text/html".into();
    assert_eq!(creation(c).attr("content"), Some("text/html"));
}

#[test]
fn s7_1_creation_attributes_are_not_repeated_in_later_requests() {
    let mut n = Net::open(config(), CmConfig::full());
    n.send("<message xmlns='jabber:client'/>");
    n.s.restart();
    n.advance_until(secs(200));
    // The scripted CM flags to/ver/wait/hold/content/route after creation
    // (a restart may carry `to`, XEP-0206 §5).
    n.assert_clean();
    for b in n.bodies().iter().skip(1) {
        assert!(
            b.attr("sid").is_some(),
            "every later request MUST carry the sid"
        );
        assert_eq!(b.attr("ver"), None);
    }
}

#[test]
fn s7_2_reads_every_creation_attribute() {
    let mut cm = CmConfig::full();
    cm.extra = "accept='deflate,gzip' charsets='ISO_8859-1' secure='true'".into();
    let n = Net::open(config(), cm);
    let p = n.s.params().expect("created").clone();
    assert_eq!(p.sid, "sid-1");
    assert_eq!(p.wait, 60);
    assert_eq!(p.requests, 2);
    assert_eq!(p.hold, 1);
    assert_eq!(p.polling, Some(2));
    assert_eq!(p.inactivity, Some(30));
    assert_eq!(p.maxpause, Some(120));
    assert_eq!(p.ver.as_deref(), Some("1.11"));
    assert_eq!(p.ack, Some(RID));
    assert_eq!(p.accept.as_deref(), Some("deflate,gzip"));
    assert_eq!(p.from.as_deref(), Some("example.com"));
    assert_eq!(p.authid.as_deref(), Some("stream-1"));
    assert_eq!(p.xmpp_version.as_deref(), Some("1.0"));
    assert!(p.restart_logic);
    assert!(matches!(n.events[0], Event::Created(ref q) if *q == p));
}

#[test]
fn s7_2_prosody_0_12_answer() {
    let n = Net::open(config(), CmConfig::prosody_012());
    let p = n.s.params().unwrap();
    assert_eq!(
        (p.requests, p.hold, p.polling, p.inactivity, p.maxpause),
        (2, 1, Some(5), Some(60), None)
    );
    assert_eq!(p.negotiated_version(), Some(Version::new(1, 6)));
    assert!(!p.restart_logic);
    assert_eq!(p.ack, None);
    n.assert_clean();
}

#[test]
fn s7_2_ver_minor_numbers_compare_as_integers() {
    for (server, negotiated) in [
        ("1.6", (1, 6)),
        ("1.10", (1, 10)),
        ("1.11", (1, 11)),
        ("1.20", (1, 11)),
    ] {
        let mut cm = CmConfig::full();
        cm.ver = Some(server.into());
        let n = Net::open(config(), cm);
        assert_eq!(
            n.s.negotiated_version(),
            Some(Version::new(negotiated.0, negotiated.1)),
            "server {server}"
        );
    }
    // A string comparison would get this one wrong.
    assert!(Version::parse("1.11") > Version::parse("1.6"));
}

#[test]
fn s7_2_missing_requests_means_hold_plus_one() {
    let mut cm = CmConfig::full();
    cm.requests = None;
    let n = Net::open(config(), cm);
    assert_eq!(n.s.params().unwrap().requests, 2);
}

#[test]
fn s7_2_missing_sid_is_bad_format() {
    let mut s = Session::new(config(), RID);
    s.start();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(secs(0), t.id, 200, &resp("wait='60' requests='2'", ""));
    let evs: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(
        evs,
        [Event::Closed {
            condition: Some("bad-format".into())
        }]
    );
}

#[test]
fn s7_2_unreadable_numbers_fall_back_instead_of_failing() {
    let mut s = Session::new(config(), RID);
    s.start();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(
        secs(0),
        t.id,
        200,
        &resp(
            "sid='x' wait='sixty' requests='-2' polling='5.5' inactivity='' hold='1'",
            "",
        ),
    );
    assert!(s.is_open());
    let p = s.params().unwrap();
    assert_eq!(
        (p.wait, p.requests, p.polling, p.inactivity),
        (60, 2, None, None)
    );
}

#[test]
fn s7_2_from_and_authid_may_arrive_in_a_later_response() {
    let mut s = Session::new(config(), RID);
    s.start();
    let t = s.poll_transmit(secs(0)).unwrap();
    s.handle_response(
        secs(0),
        t.id,
        200,
        &resp("sid='x' wait='60' requests='2' hold='1' ver='1.11'", ""),
    );
    assert_eq!(s.params().unwrap().from, None);
    let poll = s.poll_transmit(secs(0)).expect("the next empty request");
    s.handle_response(
        secs(0),
        poll.id,
        200,
        &resp(
            "from='example.com' authid='abc' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh'",
            "<stream:features/>",
        ),
    );
    let p = s.params().unwrap();
    assert_eq!(p.from.as_deref(), Some("example.com"));
    assert_eq!(p.authid.as_deref(), Some("abc"));
    assert_eq!(p.xmpp_version.as_deref(), Some("1.0"));
}

#[test]
fn s7_2_server_wait_lower_than_asked_sets_the_request_timeout() {
    let mut cm = CmConfig::full();
    cm.wait = Some(10);
    let n = Net::open(config(), cm);
    assert_eq!(n.s.params().unwrap().wait, 10);
    assert_eq!(n.s.request_timeout(), ms(10 * 1100 + 2000));
}

/// §7.2: the server's `wait` "MUST be less than or equal to the value
/// specified in the session request". One that answers more (asked 60,
/// answered 3600) is not trusted: the lower of the two times requests out,
/// so a request lost on its way is resent after about a minute, not an hour.
#[test]
fn s7_2_server_wait_higher_than_asked_is_not_trusted() {
    let mut cm = CmConfig::full();
    cm.wait = Some(3600);
    let mut n = Net::open(config(), cm);
    assert_eq!(n.s.params().unwrap().wait, 60, "the lower of the two");
    assert_eq!(n.s.request_timeout(), ms(60 * 1100 + 2000));
    let held = n.cm.held_rids();
    assert_eq!(held.len(), 1, "the long poll is held");
    n.advance_until(secs(120));
    let resends = n.sent.iter().filter(|t| t.rid == held[0]).count();
    assert!(
        resends >= 2,
        "the held poll is resent within 1.1 × 60 + 2 s"
    );
}
