//! A scripted XMPP-over-WebSocket server (RFC 7395) with SASL, SASL2
//! (XEP-0388), Bind2 (XEP-0386) and stream management (XEP-0198), in
//! memory, and a driver that runs a [`Connection`] against it on a fake
//! clock: no sockets, no sleeps.
//!
//! The server is as strict as the specifications: every client frame must
//! be exactly one element with its namespace, the first frame of a stream
//! an `<open/>` in the framing namespace to our domain with version 1.0, a
//! restart after classic SASL success a new `<open/>` before anything else,
//! no stanza before a resource is bound (or the stream resumed), `<enable/>`
//! only after binding, `<resume/>` only after authentication and before
//! binding, `h` never above what the server sent. A violation panics, so it
//! fails the test that caused it. The SCRAM-SHA-1 server side is computed
//! here with the `hmac`/`pbkdf2` crates, independently of the client's.
#![allow(dead_code)]

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use xmpp_wasm::connection::{Connection, Event, Options, Status};
use xmpp_wasm::rand::XorShift;
use xmpp_wasm::websocket::Transmit;
use xmpp_wasm::xml::{self, Element};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
pub const FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";
pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
pub const SASL2: &str = "urn:xmpp:sasl:2";
pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
pub const BIND2: &str = "urn:xmpp:bind:0";
pub const SM: &str = "urn:xmpp:sm:3";
pub const URL: &str = "wss://example.com/xmpp-websocket";
pub const SALT: &[u8] = b"QSXCR+Q6sek8bf92";
pub const ITERATIONS: u32 = 4096;

/// What the server offers.
#[derive(Clone, Debug)]
pub struct Offer {
    pub mechanisms: Vec<String>,
    /// XEP-0388 `<authentication/>` in the pre-auth features.
    pub sasl2: bool,
    /// XEP-0386 inline `<bind/>` in SASL2.
    pub bind2: bool,
    /// XEP-0198 after authentication.
    pub sm: bool,
    /// `location` of `<enabled/>`.
    pub sm_location: Option<String>,
}

impl Default for Offer {
    fn default() -> Self {
        Offer {
            mechanisms: vec!["SCRAM-SHA-1".into(), "PLAIN".into()],
            sasl2: true,
            bind2: true,
            sm: true,
            sm_location: None,
        }
    }
}

struct Scram {
    user: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    sasl2: bool,
}

/// One socket's stream state.
#[derive(Default)]
struct Sock {
    /// The client's `<open/>` was received (reset by a restart).
    open: bool,
    authed: Option<String>,
    /// After classic SASL success: the next frame must be `<open/>`.
    restart_expected: bool,
    bound: Option<String>,
    scram: Option<Scram>,
    /// A Bind2 request of the pending SASL2 exchange.
    bind2_requested: bool,
    sasl2_exchange: bool,
    /// The SM session of this stream (enabled or resumed).
    sm: Option<String>,
}

/// A stream management session on the server, surviving its socket.
#[derive(Clone, Debug, Default)]
pub struct SmSession {
    pub jid: String,
    /// Stanzas handled from the client (the server's `h`).
    pub h_in: u32,
    /// The client's last `h`.
    pub acked: u32,
    /// Stanzas sent to the client and not acknowledged.
    pub queue: VecDeque<String>,
}

pub struct WsServer {
    pub domain: String,
    pub users: Vec<(String, String)>,
    pub offer: Offer,
    /// Refuse to open sockets (the driver reports a closed socket).
    pub refuse: bool,
    /// Every frame received, in order, with the socket number.
    pub frames: Vec<(usize, String)>,
    pub sockets: usize,
    /// The URL of every socket opened.
    pub urls: Vec<String>,
    sock: Option<Sock>,
    /// Frames to deliver to the client.
    pub outbox: Vec<String>,
    /// The server closed the socket (after its `<close/>`).
    pub closed: bool,
    pub sm_sessions: HashMap<String, SmSession>,
    /// Stanzas received from the client (application stanzas).
    pub received: Vec<Element>,
    next_id: u32,
    /// Override of the SCRAM salt (a changed password).
    pub salt: Vec<u8>,
}

impl Default for WsServer {
    fn default() -> Self {
        Self::new(Offer::default())
    }
}

fn parse_one(frame: &str) -> Element {
    assert!(
        frame.starts_with('<') && frame.ends_with('>'),
        "RFC 7395 §3.3.3: a frame is one element, nothing around it: {frame:?}"
    );
    let el = xml::parse_standalone(frame)
        .unwrap_or_else(|e| panic!("client frame is not one well-formed element ({e}): {frame}"));
    assert!(
        xmpp_wasm::websocket::root_ns(&el).is_some(),
        "element without a namespace: {frame}"
    );
    el
}

impl WsServer {
    pub fn new(offer: Offer) -> Self {
        WsServer {
            domain: "example.com".into(),
            users: vec![("alice".into(), "secret".into())],
            offer,
            refuse: false,
            frames: Vec::new(),
            sockets: 0,
            urls: Vec::new(),
            sock: None,
            outbox: Vec::new(),
            closed: false,
            sm_sessions: HashMap::new(),
            received: Vec::new(),
            next_id: 0,
            salt: SALT.to_vec(),
        }
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    /// The client opens a socket; `false` if refused.
    pub fn open_socket(&mut self, url: &str) -> bool {
        assert!(
            url.starts_with("wss://") || url.starts_with("ws://"),
            "{url}"
        );
        if self.refuse {
            return false;
        }
        assert!(self.sock.is_none(), "a second socket while one is open");
        self.sockets += 1;
        self.urls.push(url.to_owned());
        self.sock = Some(Sock::default());
        self.closed = false;
        true
    }

    /// The socket is gone (closed by the client, or dropped).
    pub fn socket_gone(&mut self) {
        self.sock = None;
    }

    /// Whether a socket is open.
    pub fn has_socket(&self) -> bool {
        self.sock.is_some()
    }

    fn sock(&mut self) -> &mut Sock {
        self.sock.as_mut().expect("a frame without a socket")
    }

    fn features_pre_auth(&self) -> String {
        let mut f = String::from(
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>",
        );
        for m in &self.offer.mechanisms {
            f += &format!("<mechanism>{m}</mechanism>");
        }
        f += "</mechanisms>";
        if self.offer.sasl2 {
            f += "<authentication xmlns='urn:xmpp:sasl:2'>";
            for m in &self.offer.mechanisms {
                f += &format!("<mechanism>{m}</mechanism>");
            }
            f += "<inline>";
            if self.offer.bind2 {
                f += "<bind xmlns='urn:xmpp:bind:0'><inline/></bind>";
            }
            f += "</inline></authentication>";
        }
        f + "</stream:features>"
    }

    fn features_post_auth(&self, bound: bool) -> String {
        let mut f =
            String::from("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>");
        if !bound {
            f += "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>";
        }
        if self.offer.sm {
            f += "<sm xmlns='urn:xmpp:sm:3'><optional/></sm>";
        }
        f + "</stream:features>"
    }

    /// One frame from the client.
    pub fn handle(&mut self, frame: &str) {
        self.frames.push((self.sockets, frame.to_owned()));
        let el = parse_one(frame);
        let restart_expected = self.sock().restart_expected;
        if !self.sock().open || restart_expected {
            assert!(
                el.local_name() == "open" && el.ns() == Some(FRAMING),
                "RFC 7395 §3.4/§3.5: the stream starts with <open/>: {frame}"
            );
        }
        if el.ns() == Some(FRAMING) {
            match el.local_name() {
                "open" => {
                    assert_eq!(el.attr("to"), Some(self.domain.as_str()), "{frame}");
                    assert_eq!(el.attr("version"), Some("1.0"), "{frame}");
                    let s = self.sock();
                    assert!(
                        !s.open || s.restart_expected,
                        "an <open/> mid-stream: {frame}"
                    );
                    s.open = true;
                    s.restart_expected = false;
                    let id = self.id("stream-");
                    self.outbox.push(format!(
                        "<open xmlns='{FRAMING}' from='{}' id='{id}' version='1.0' xml:lang='en'/>",
                        self.domain
                    ));
                    let authed = self.sock().authed.is_some();
                    let features = if authed {
                        self.features_post_auth(false)
                    } else {
                        self.features_pre_auth()
                    };
                    self.outbox.push(features);
                }
                "close" => {
                    self.outbox.push(format!("<close xmlns='{FRAMING}'/>"));
                    self.closed = true;
                }
                other => panic!("unknown framing element {other}"),
            }
            return;
        }
        match (el.local_name(), el.ns()) {
            ("auth", Some(SASL)) => self.on_auth(&el, false),
            ("authenticate", Some(SASL2)) => {
                assert!(self.offer.sasl2, "SASL2 not offered: {frame}");
                let bind = el.child_ns("bind", BIND2).is_some();
                assert!(!bind || self.offer.bind2, "Bind2 not offered: {frame}");
                self.sock().bind2_requested = bind;
                self.on_auth(&el, true)
            }
            ("response", Some(SASL)) | ("response", Some(SASL2)) => {
                let sasl2 = el.ns() == Some(SASL2);
                let data = B64.decode(el.text().trim()).expect("base64 response");
                self.scram_final(&data, sasl2);
            }
            ("enable", Some(SM)) => self.on_enable(&el),
            ("resume", Some(SM)) => self.on_resume(&el),
            ("r", Some(SM)) => {
                let id = self.sock().sm.clone().expect("<r/> without SM");
                let h = self.sm_sessions[&id].h_in;
                self.outbox.push(format!("<a xmlns='{SM}' h='{h}'/>"));
            }
            ("a", Some(SM)) => {
                let id = self.sock().sm.clone().expect("<a/> without SM");
                let h: u32 = el.attr("h").expect("h").parse().expect("h is a u32");
                let s = self.sm_sessions.get_mut(&id).unwrap();
                let n = h.wrapping_sub(s.acked) as usize;
                assert!(n <= s.queue.len(), "client h={h} above what was sent");
                s.queue.drain(..n);
                s.acked = h;
            }
            ("stream:error", _) | ("error", _) => {}
            (_, Some("jabber:client")) => self.on_stanza(el),
            _ => panic!("unexpected top-level element: {frame}"),
        }
    }

    fn on_auth(&mut self, el: &Element, sasl2: bool) {
        let s = self.sock();
        assert!(s.authed.is_none(), "SASL twice");
        s.sasl2_exchange = sasl2;
        let mech = el.attr("mechanism").expect("mechanism").to_owned();
        assert!(self.offer.mechanisms.contains(&mech), "not offered: {mech}");
        let initial = if sasl2 {
            el.child("initial-response").map(Element::text)
        } else {
            Some(el.text())
        };
        let data = B64
            .decode(initial.unwrap_or_default().trim())
            .expect("base64 initial response");
        match mech.as_str() {
            "PLAIN" => {
                let parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
                let (user, pass) = (
                    String::from_utf8_lossy(parts[1]).into_owned(),
                    String::from_utf8_lossy(parts[2]).into_owned(),
                );
                if self.users.iter().any(|(u, p)| *u == user && *p == pass) {
                    self.success(user, None, sasl2);
                } else {
                    self.failure(sasl2);
                }
            }
            "SCRAM-SHA-1" => self.scram_first(&data, sasl2),
            other => panic!("mechanism {other} not scripted"),
        }
    }

    fn failure(&mut self, sasl2: bool) {
        let ns = if sasl2 { SASL2 } else { SASL };
        self.outbox.push(format!(
            "<failure xmlns='{ns}'><not-authorized xmlns='{SASL}'/></failure>"
        ));
    }

    fn success(&mut self, user: String, additional: Option<String>, sasl2: bool) {
        let domain = self.domain.clone();
        if !sasl2 {
            let s = self.sock();
            s.authed = Some(user);
            s.restart_expected = true;
            self.outbox.push(format!(
                "<success xmlns='{SASL}'>{}</success>",
                additional.map(|a| B64.encode(a)).unwrap_or_default()
            ));
            return;
        }
        let bind = self.sock().bind2_requested;
        let mut out = format!("<success xmlns='{SASL2}'>");
        if let Some(a) = additional {
            out += &format!("<additional-data>{}</additional-data>", B64.encode(a));
        }
        let jid = if bind {
            let res = self.id("xmpp-wasm~");
            let jid = format!("{user}@{domain}/{res}");
            self.sock().bound = Some(jid.clone());
            jid
        } else {
            format!("{user}@{domain}")
        };
        out += &format!("<authorization-identifier>{jid}</authorization-identifier>");
        if bind {
            out += &format!("<bound xmlns='{BIND2}'/>");
        }
        out += "</success>";
        self.sock().authed = Some(user);
        self.outbox.push(out);
        // XEP-0388: no restart; the features of the new stream follow.
        self.outbox.push(self.features_post_auth(bind));
    }

    fn scram_first(&mut self, data: &[u8], sasl2: bool) {
        let text = String::from_utf8(data.to_vec()).unwrap();
        let bare = text.strip_prefix("n,,").expect("gs2 header n,,").to_owned();
        let mut user = String::new();
        let mut cnonce = String::new();
        for kv in bare.split(',') {
            if let Some(v) = kv.strip_prefix("n=") {
                user = v.to_owned();
            }
            if let Some(v) = kv.strip_prefix("r=") {
                cnonce = v.to_owned();
            }
        }
        let nonce = format!("{cnonce}{}", self.id("srv"));
        let server_first = format!("r={nonce},s={},i={ITERATIONS}", B64.encode(&self.salt));
        let ns = if sasl2 { SASL2 } else { SASL };
        self.outbox.push(format!(
            "<challenge xmlns='{ns}'>{}</challenge>",
            B64.encode(&server_first)
        ));
        self.sock().scram = Some(Scram {
            user,
            client_first_bare: bare,
            server_first,
            nonce,
            sasl2,
        });
    }

    fn scram_final(&mut self, data: &[u8], sasl2: bool) {
        let st = self.sock().scram.take().expect("a response without SCRAM");
        assert_eq!(st.sasl2, sasl2, "response in the other SASL namespace");
        let text = String::from_utf8(data.to_vec()).unwrap();
        let (without_proof, proof) = text.rsplit_once(",p=").expect("client-final has a proof");
        assert!(without_proof.contains(&format!("r={}", st.nonce)));
        let Some(password) = self
            .users
            .iter()
            .find(|(u, _)| *u == st.user)
            .map(|(_, p)| p.clone())
        else {
            return self.failure(sasl2);
        };
        // The server's stored salt is `SALT`: a changed `self.salt` means
        // the client sees another salt, as after a password change.
        let mut salted = [0u8; 20];
        pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), &self.salt, ITERATIONS, &mut salted);
        let hmac = |key: &[u8], msg: &[u8]| -> Vec<u8> {
            let mut m = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("any key length");
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        };
        let client_key = hmac(&salted, b"Client Key");
        let stored_key = Sha1::digest(&client_key);
        let auth_message = format!(
            "{},{},{}",
            st.client_first_bare, st.server_first, without_proof
        );
        let client_sig = hmac(&stored_key, auth_message.as_bytes());
        let expected: Vec<u8> = client_key
            .iter()
            .zip(&client_sig)
            .map(|(a, b)| a ^ b)
            .collect();
        if B64.decode(proof).unwrap_or_default() != expected {
            return self.failure(sasl2);
        }
        let server_key = hmac(&salted, b"Server Key");
        let server_sig = hmac(&server_key, auth_message.as_bytes());
        self.success(
            st.user,
            Some(format!("v={}", B64.encode(server_sig))),
            sasl2,
        );
    }

    fn on_enable(&mut self, el: &Element) {
        assert!(self.offer.sm, "SM not offered");
        let Some(jid) = self.sock().bound.clone() else {
            // XEP-0198 §3: enable only after binding.
            self.outbox.push(format!(
                "<failed xmlns='{SM}'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"
            ));
            return;
        };
        assert!(self.sock().sm.is_none(), "SM enabled twice");
        let id = self.id("sm-");
        self.sm_sessions.insert(
            id.clone(),
            SmSession {
                jid,
                ..Default::default()
            },
        );
        self.sock().sm = Some(id.clone());
        let resume = matches!(el.attr("resume"), Some("true" | "1"));
        let location = self
            .offer
            .sm_location
            .as_ref()
            .map(|l| format!(" location='{l}'"))
            .unwrap_or_default();
        if resume {
            self.outbox.push(format!(
                "<enabled xmlns='{SM}' id='{id}' resume='true' max='300'{location}/>"
            ));
        } else {
            self.outbox.push(format!("<enabled xmlns='{SM}'/>"));
        }
    }

    fn on_resume(&mut self, el: &Element) {
        let s = self.sock();
        assert!(
            s.authed.is_some(),
            "XEP-0198 §5: resume before authentication"
        );
        assert!(s.bound.is_none(), "XEP-0198 §5: resume after binding");
        let previd = el.attr("previd").expect("previd").to_owned();
        let h: u32 = el.attr("h").expect("h").parse().expect("h is a u32");
        let Some(sess) = self.sm_sessions.get_mut(&previd) else {
            self.outbox.push(format!(
                "<failed xmlns='{SM}'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"
            ));
            return;
        };
        let n = h.wrapping_sub(sess.acked) as usize;
        assert!(n <= sess.queue.len(), "resume h={h} above what was sent");
        sess.queue.drain(..n);
        sess.acked = h;
        let h_in = sess.h_in;
        let jid = sess.jid.clone();
        let resend: Vec<String> = sess.queue.iter().cloned().collect();
        self.outbox.push(format!(
            "<resumed xmlns='{SM}' h='{h_in}' previd='{previd}'/>"
        ));
        self.outbox.extend(resend);
        let s = self.sock();
        s.bound = Some(jid);
        s.sm = Some(previd);
    }

    fn on_stanza(&mut self, el: Element) {
        // A classic bind IQ.
        if el.local_name() == "iq" && el.child_ns("bind", BIND).is_some() {
            let s = self.sock();
            assert!(s.authed.is_some(), "bind before authentication");
            assert!(s.bound.is_none(), "bind twice");
            let user = s.authed.clone().unwrap();
            let res = el
                .child_ns("bind", BIND)
                .and_then(|b| b.child("resource"))
                .map(Element::text)
                .unwrap_or_else(|| "generated".into());
            let jid = format!("{user}@{}/{res}", self.domain);
            self.sock().bound = Some(jid.clone());
            let id = el.attr("id").unwrap_or_default();
            self.outbox.push(format!(
                "<iq xmlns='jabber:client' type='result' id='{id}'><bind xmlns='{BIND}'><jid>{jid}</jid></bind></iq>"
            ));
            return;
        }
        let s = self.sock();
        assert!(s.bound.is_some(), "a stanza before binding: {el}");
        if let Some(id) = s.sm.clone() {
            let sess = self.sm_sessions.get_mut(&id).unwrap();
            sess.h_in = sess.h_in.wrapping_add(1);
        }
        let ping = el.local_name() == "iq"
            && el.attr("type") == Some("get")
            && el.child_ns("ping", "urn:xmpp:ping").is_some();
        if ping {
            let id = el.attr("id").unwrap_or_default().to_owned();
            self.push(&format!(
                "<iq xmlns='jabber:client' type='result' id='{id}' from='{}'/>",
                self.domain
            ));
        }
        self.received.push(el);
    }

    /// The server sends a stanza to the client: on the socket when one is
    /// bound, and into the SM queue when SM is on (held while the socket is
    /// gone).
    pub fn push(&mut self, stanza: &str) {
        let live = self.sock.as_ref().and_then(|s| s.bound.as_ref()).is_some();
        let sm_id = self
            .sock
            .as_ref()
            .and_then(|s| s.sm.clone())
            .or_else(|| self.sm_sessions.keys().next().cloned());
        if let Some(id) = sm_id {
            if let Some(sess) = self.sm_sessions.get_mut(&id) {
                sess.queue.push_back(stanza.to_owned());
            }
        }
        if live {
            self.outbox.push(stanza.to_owned());
        }
    }

    /// Set the counters of the SM session (to test wraparound).
    pub fn set_counters(&mut self, h_in: u32, acked: u32) {
        for s in self.sm_sessions.values_mut() {
            s.h_in = h_in;
            s.acked = acked;
        }
    }

    /// The client's application stanzas by id (excluding pings), in order.
    pub fn received_ids(&self) -> Vec<String> {
        self.received
            .iter()
            .filter(|e| e.local_name() == "message")
            .filter_map(|e| e.attr("id").map(str::to_owned))
            .collect()
    }
}

/// Runs a connection against a [`WsServer`] on a fake clock.
pub struct WsHarness {
    pub conn: Connection,
    pub server: WsServer,
    pub now: Duration,
    pub events: Vec<Event>,
    /// Client flights: times the client sent frames and the server
    /// answered.
    pub flights: usize,
    /// `flights` when CONNECTED (or ATTACHED after a resumption) was seen.
    pub flights_at_connected: Option<usize>,
    /// Socket opens refused so far, from the first (for fallback tests).
    socket_open: bool,
}

pub fn options() -> Options {
    Options::default()
}

impl WsHarness {
    pub fn new(server: WsServer, options: Options) -> Self {
        WsHarness {
            conn: Connection::new(URL, options, Box::new(XorShift::new(42))),
            server,
            now: Duration::ZERO,
            events: Vec::new(),
            flights: 0,
            flights_at_connected: None,
            socket_open: false,
        }
    }

    /// Runs until nothing moves.
    pub fn run(&mut self) {
        for _ in 0..10_000 {
            while let Some(e) = self.conn.poll_event() {
                if matches!(
                    e,
                    Event::Status {
                        status: Status::Connected,
                        ..
                    }
                ) && self.flights_at_connected.is_none()
                {
                    self.flights_at_connected = Some(self.flights);
                }
                self.events.push(e);
            }
            // Transmits in order: frames reach the server as they leave.
            let mut sent = false;
            let mut opened = false;
            let mut closed_by_client = false;
            let mut refused = false;
            while let Some(t) = self.conn.poll_ws_transmit() {
                match t {
                    Transmit::Open { url } => {
                        if self.server.open_socket(&url) {
                            opened = true;
                            self.socket_open = true;
                        } else {
                            refused = true;
                        }
                    }
                    Transmit::Frame(f) => {
                        if self.server.has_socket() {
                            self.server.handle(&f);
                            sent = true;
                        }
                    }
                    Transmit::Close => {
                        closed_by_client = true;
                        self.server.socket_gone();
                        self.socket_open = false;
                    }
                }
            }
            if opened {
                self.conn.handle_ws_open(self.now);
                continue;
            }
            if refused {
                self.conn.handle_ws_closed(self.now);
                continue;
            }
            let replies = std::mem::take(&mut self.server.outbox);
            if sent && !replies.is_empty() {
                self.flights += 1;
            }
            let moved = sent || !replies.is_empty() || closed_by_client;
            for r in replies {
                self.conn.handle_ws_frame(self.now, &r);
            }
            if self.server.closed && self.socket_open {
                self.server.socket_gone();
                self.socket_open = false;
                self.conn.handle_ws_closed(self.now);
                continue;
            }
            if !moved {
                return;
            }
        }
        panic!("the harness did not settle");
    }

    /// Advances the clock by `d`, fires the timer, runs.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        self.conn.handle_timeout(self.now);
        self.run();
    }

    /// The server drops the socket without a word (TCP reset).
    pub fn drop_socket(&mut self) {
        self.server.socket_gone();
        self.socket_open = false;
        self.conn.handle_ws_closed(self.now);
        self.run();
    }

    /// Injects a raw frame from the server.
    pub fn inject(&mut self, frame: &str) {
        self.conn.handle_ws_frame(self.now, frame);
        self.run();
    }

    pub fn statuses(&self) -> Vec<(Status, Option<String>)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Status { status, condition } => Some((*status, condition.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn stanzas(&self) -> Vec<Element> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Stanza(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    /// Message ids delivered to the application, in order.
    pub fn delivered_ids(&self) -> Vec<String> {
        self.stanzas()
            .iter()
            .filter(|e| e.local_name() == "message")
            .filter_map(|e| e.attr("id").map(str::to_owned))
            .collect()
    }

    /// Client frames on socket `n` (1-based).
    pub fn frames_on(&self, n: usize) -> Vec<Element> {
        self.server
            .frames
            .iter()
            .filter(|(s, _)| *s == n)
            .map(|(_, f)| xml::parse_standalone(f).unwrap())
            .collect()
    }

    pub fn send_message(&mut self, id: &str) {
        let m = Element::new("message")
            .with_attr("to", "bob@example.com")
            .with_attr("id", id)
            .with_child(Element::new("body").with_text(id));
        self.conn.send(self.now, m).unwrap();
    }

    pub fn connect(&mut self) {
        self.conn
            .connect("alice@example.com", Some("secret"))
            .unwrap();
        self.run();
    }
}

/// Options with a mechanism list.
pub fn options_with(mechs: &[&str]) -> Options {
    Options {
        mechanisms: Some(mechs.iter().map(|s| (*s).to_owned()).collect()),
        ..Options::default()
    }
}
