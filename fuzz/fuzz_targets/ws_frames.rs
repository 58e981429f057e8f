//! The WebSocket path (RFC 7395, SASL2/Bind2, XEP-0198): a connection
//! logging in over a WebSocket is driven by operations chosen by the input:
//! frames (the fuzzer's own text, canned server frames, an answer to the
//! last IQ), socket closes, timeouts, sends, disconnects, and reloads
//! through a WebSocket snapshot (restore_ws). Nothing may panic or spin;
//! every drain must end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Duration;
use xmpp_wasm::connection::{Connection, Options, WsSnapshot};
use xmpp_wasm::rand::XorShift;
use xmpp_wasm::websocket::Transmit;
use xmpp_wasm_fuzz::Input;

const URL: &str = "wss://example.com/ws";
const FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";

const CANNED: &[&str] = &[
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='s' version='1.0'/>",
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
     <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>\
     <mechanism>SCRAM-SHA-1</mechanism></mechanisms><authentication xmlns='urn:xmpp:sasl:2'>\
     <mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism><inline>\
     <bind xmlns='urn:xmpp:bind:0'/></inline></authentication></stream:features>",
    "<success xmlns='urn:xmpp:sasl:2'><authorization-identifier>alice@example.com/r\
     </authorization-identifier><bound xmlns='urn:xmpp:bind:0'/></success>",
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
     <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>",
    "<enabled xmlns='urn:xmpp:sm:3' id='sm1' resume='true' max='300'/>",
    "<r xmlns='urn:xmpp:sm:3'/>",
    "<a xmlns='urn:xmpp:sm:3' h='1'/>",
    "<resumed xmlns='urn:xmpp:sm:3' previd='sm1' h='0'/>",
    "<failed xmlns='urn:xmpp:sm:3' h='0'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
    "<message xmlns='jabber:client' from='bob@example.com' id='m'><body>x</body></message>",
    "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
    "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='wss://b.example.com/ws'/>",
    "<challenge xmlns='urn:xmpp:sasl:2'>cj1hYmMscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==</challenge>",
    "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>\
     <conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
];

fn drain(conn: &mut Connection, socket_open: &mut bool, last_iq: &mut Option<String>) {
    let mut n = 0u32;
    while conn.poll_event().is_some() {
        n += 1;
        assert!(n < 1_000_000, "poll_event never drains");
    }
    let mut n = 0u32;
    while let Some(t) = conn.poll_ws_transmit() {
        n += 1;
        assert!(n < 100_000, "poll_ws_transmit never drains");
        match t {
            Transmit::Open { .. } => *socket_open = true,
            Transmit::Close => *socket_open = false,
            Transmit::Frame(f) => {
                if let Some(i) = f.find(" id='") {
                    let rest = &f[i + 5..];
                    if f.starts_with("<iq") {
                        *last_iq = rest.find('\'').map(|e| rest[..e].to_owned());
                    }
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mechanisms = if input.byte() % 2 == 0 { "PLAIN" } else { "SCRAM-SHA-1" };
    let options = Options {
        mechanisms: Some(vec![mechanisms.to_owned()]),
        max_body_size: 65536,
        ..Options::default()
    };
    let mut conn = Connection::new(URL, options, Box::new(XorShift::new(1)));
    conn.connect("alice@example.com", Some("fuzz-secret-pw")).expect("a valid login");
    let mut now = Duration::ZERO;
    let mut socket_open = false;
    let mut last_iq = None;
    drain(&mut conn, &mut socket_open, &mut last_iq);
    while !input.is_empty() {
        match input.byte() % 10 {
            0 => conn.handle_ws_frame(now, &input.text()),
            1..=3 => {
                let f = CANNED[usize::from(input.byte()) % CANNED.len()];
                conn.handle_ws_frame(now, f);
            }
            4 => {
                let id = last_iq.clone().unwrap_or_default();
                conn.handle_ws_frame(
                    now,
                    &format!(
                        "<iq xmlns='jabber:client' type='result' id='{id}'>\
                         <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                         <jid>alice@example.com/r</jid></bind></iq>"
                    ),
                );
            }
            5 => {
                if socket_open {
                    conn.handle_ws_open(now);
                } else {
                    conn.handle_ws_closed(now);
                }
            }
            6 => {
                let step = input.u16();
                now = match (step, conn.poll_timeout()) {
                    (0, Some(t)) if t > now => t,
                    _ => now + Duration::from_millis(u64::from(step) * 10),
                };
                conn.handle_timeout(now);
            }
            7 => {
                let _ = conn.send_xml(now, "<message to='bob@example.com'><body>x</body></message>");
            }
            8 => conn.disconnect(None),
            _ => {
                // A reload through the WebSocket snapshot.
                if let Some(snap) = conn.ws_snapshot() {
                    let json = snap.to_json();
                    assert!(!json.contains("fuzz-secret-pw"), "a password in the snapshot");
                    let back = WsSnapshot::from_json(&json).expect("a snapshot reads back");
                    assert_eq!(back, snap, "the snapshot survives JSON");
                    let mut next =
                        Connection::new(URL, Options::default(), Box::new(XorShift::new(2)));
                    if next.restore_ws(&back).is_ok() {
                        conn = next;
                        socket_open = false;
                    }
                }
            }
        }
        drain(&mut conn, &mut socket_open, &mut last_iq);
    }
    let _ = FRAMING;
});
