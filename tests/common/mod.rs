//! A scripted BOSH connection manager + XMPP server, in memory, and a driver
//! that runs a [`Connection`] against it on a fake clock: no sockets, no sleeps.
//!
//! The server is real enough to be honest: it checks rids and sids, holds
//! empty requests like a connection manager, verifies PLAIN passwords and runs
//! the server side of SCRAM-SHA-1 (RFC 5802) itself.
#![allow(dead_code)]

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use std::collections::VecDeque;
use std::time::Duration;
use xmpp_wasm::bosh::Transmit;
use xmpp_wasm::connection::{Connection, Event, Options, Status};
use xmpp_wasm::rand::XorShift;
use xmpp_wasm::xml::{self, Element};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
pub const HTTPBIND: &str = "http://jabber.org/protocol/httpbind";

/// How the server misbehaves, if at all.
#[derive(Clone, Debug, Default)]
pub struct Quirks {
    /// Answer this many requests (counting from 1) with this raw text.
    pub raw_reply: Option<(usize, String)>,
    /// Refuse every request at the network level.
    pub unreachable: bool,
    /// Send a wrong SCRAM server signature.
    pub bad_server_signature: bool,
    /// Offer this SCRAM iteration count instead of 4096.
    pub scram_iterations: Option<u32>,
    /// Answer bind with a conflict error.
    pub bind_conflict: bool,
    /// Require the legacy session IQ.
    pub session_required: bool,
    /// Answer the first SASL `<auth/>` with a `see-other-uri` terminate to
    /// this URL, then accept a fresh session (as the other node would).
    pub redirect_on_auth: Option<String>,
    /// The user the HTTP level authenticated (say, a TLS client
    /// certificate): SASL EXTERNAL is offered and succeeds for this user,
    /// and the restart request must then carry `from` (XEP-0206 §5).
    pub external_user: Option<String>,
}

pub struct Server {
    pub sid: String,
    pub domain: String,
    pub users: Vec<(String, String)>,
    pub mechanisms: Vec<String>,
    pub quirks: Quirks,
    /// Every request body received, in order.
    pub requests: Vec<String>,
    next_rid: Option<u64>,
    authed_user: Option<String>,
    /// The login used SASL EXTERNAL.
    external_auth: bool,
    scram: Option<ScramState>,
    bound: Option<String>,
    outbox: Vec<String>,
    held: VecDeque<(u64, u64)>, // (transmit id, rid)
    /// Every response given, by rid, replayed when a rid is resent
    /// (XEP-0124 §14.3; Prosody keeps recent ones too).
    pub cache: std::collections::HashMap<u64, String>,
    /// Ids of stanzas received from the client, to count duplicates.
    pub received_ids: Vec<String>,
    pub terminated: bool,
    /// Where the server sent the client with `see-other-uri`.
    pub redirected_to: Option<String>,
}

struct ScramState {
    user: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

const SALT: &[u8] = b"QSXCR+Q6sek8bf92";
const ITERATIONS: u32 = 4096;

impl Server {
    pub fn new() -> Self {
        Server {
            sid: "sid-1234".into(),
            domain: "localhost".into(),
            users: vec![("alice".into(), "alice-pass".into())],
            mechanisms: vec!["SCRAM-SHA-1".into(), "PLAIN".into()],
            quirks: Quirks::default(),
            requests: Vec::new(),
            next_rid: None,
            authed_user: None,
            external_auth: false,
            scram: None,
            bound: None,
            outbox: Vec::new(),
            held: VecDeque::new(),
            cache: std::collections::HashMap::new(),
            received_ids: Vec::new(),
            terminated: false,
            redirected_to: None,
        }
    }

    fn body(&self, attrs: &str, payload: &[String]) -> String {
        let mut s = format!(
            "<body xmlns='{HTTPBIND}' xmlns:stream='http://etherx.jabber.org/streams' {attrs}>"
        );
        for p in payload {
            s.push_str(p);
        }
        s.push_str("</body>");
        s
    }

    fn features_sasl(&self) -> String {
        let mut s =
            String::from("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>");
        for m in &self.mechanisms {
            s.push_str(&format!("<mechanism>{m}</mechanism>"));
        }
        if self.quirks.external_user.is_some() {
            s.push_str("<mechanism>EXTERNAL</mechanism>");
        }
        s.push_str("</mechanisms></stream:features>");
        s
    }

    fn features_bind(&self) -> String {
        let session = if self.quirks.session_required {
            "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"
        } else {
            "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"
        };
        format!("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>{session}</stream:features>")
    }

    /// Handles one request; returns the responses now due, as
    /// (transmit id, status, body). An empty request with nothing to say is held.
    pub fn handle(&mut self, t: &Transmit) -> Vec<(u64, u16, String)> {
        self.requests.push(t.body.clone());
        let n = self.requests.len();
        if let Some((k, raw)) = &self.quirks.raw_reply {
            if *k == n {
                return vec![(t.id, 200, raw.clone())];
            }
        }
        let body = match xml::parse(&t.body) {
            Ok(b) => b,
            Err(_) => return vec![(t.id, 400, String::new())],
        };
        let rid: u64 = match body.attr("rid").and_then(|r| r.parse().ok()) {
            Some(r) => r,
            None => return vec![(t.id, 400, String::new())],
        };
        if self.terminated {
            return vec![(t.id, 404, String::new())];
        }
        match self.next_rid {
            None => {
                // Session creation.
                assert!(
                    body.attr("sid").is_none(),
                    "creation request carries no sid"
                );
                assert_eq!(body.attr("to"), Some(self.domain.as_str()));
                assert_eq!(body.attr("xmpp:version"), Some("1.0"));
                self.next_rid = Some(rid + 1);
                let features = self.features_sasl();
                let attrs = format!(
                    "sid='{}' wait='60' requests='2' hold='1' inactivity='60' polling='5' maxpause='120' ver='1.11' from='{}' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' xmpp:restartlogic='true'",
                    self.sid, self.domain
                );
                let reply = self.body(&attrs, &[features]);
                self.cache.insert(rid, reply.clone());
                return vec![(t.id, 200, reply)];
            }
            Some(expected) if rid < expected => {
                // A resend: replay the answer, or take over the held request.
                if let Some(reply) = self.cache.get(&rid) {
                    return vec![(t.id, 200, reply.clone())];
                }
                if let Some(h) = self.held.iter_mut().find(|h| h.1 == rid) {
                    h.0 = t.id;
                    return Vec::new();
                }
                return vec![(t.id, 404, String::new())];
            }
            Some(expected) => {
                assert_eq!(rid, expected, "rids must be consecutive");
                assert_eq!(
                    body.attr("sid"),
                    Some(self.sid.as_str()),
                    "sid must be ours"
                );
                self.next_rid = Some(rid + 1);
            }
        }
        let mut replies = Vec::new();
        if body.attr("type") == Some("terminate") {
            let held: Vec<(u64, u64)> = self.held.drain(..).collect();
            for (id, hrid) in held {
                let reply = self.body("", &[]);
                self.cache.insert(hrid, reply.clone());
                replies.push((id, 200, reply));
            }
            self.terminated = true;
            replies.push((t.id, 200, self.body("type='terminate'", &[])));
            return replies;
        }
        if body
            .attrs
            .iter()
            .any(|(k, v)| k.ends_with(":restart") && v == "true")
        {
            assert!(
                self.authed_user.is_some(),
                "restart only after SASL success"
            );
            assert!(
                self.held.is_empty(),
                "no other request in flight at restart"
            );
            assert!(
                body.elements().next().is_none(),
                "a restart body carries nothing else"
            );
            if self.external_auth {
                // XEP-0206 §5: "When SASL-EXTERNAL is used in combination
                // with BOSH the BOSH <body/> element SHOULD include the
                // 'from' attribute upon stream restart."
                let user = self.authed_user.clone().unwrap_or_default();
                assert_eq!(
                    body.attr("from"),
                    Some(format!("{user}@{}", self.domain).as_str()),
                    "SASL EXTERNAL: the restart carries the bare JID in 'from'"
                );
            }
            self.outbox.push(self.features_bind());
        }
        if body.elements().any(|s| s.local_name() == "auth") {
            if let Some(uri) = self.quirks.redirect_on_auth.take() {
                let held: Vec<(u64, u64)> = self.held.drain(..).collect();
                for (id, _) in held {
                    replies.push((id, 200, self.body("", &[])));
                }
                replies.push((
                    t.id,
                    200,
                    self.body(
                        "type='terminate' condition='see-other-uri'",
                        &[format!("<uri>{uri}</uri>")],
                    ),
                ));
                self.next_rid = None;
                self.sid = format!("{}-2", self.sid);
                self.redirected_to = Some(uri);
                return replies;
            }
        }
        for stanza in body.elements() {
            if let Some(id) = stanza.attr("id") {
                self.received_ids.push(id.to_owned());
            }
            self.stanza(stanza);
        }
        self.held.push_back((t.id, rid));
        while self.held.len() > 1 {
            let (id, hrid) = self.held.pop_front().expect("len > 1");
            let out = std::mem::take(&mut self.outbox);
            let reply = self.body("", &out);
            self.cache.insert(hrid, reply.clone());
            replies.push((id, 200, reply));
        }
        if !self.outbox.is_empty() {
            let (id, hrid) = self.held.pop_front().expect("one held");
            let out = std::mem::take(&mut self.outbox);
            let reply = self.body("", &out);
            self.cache.insert(hrid, reply.clone());
            replies.push((id, 200, reply));
        }
        replies
    }

    fn stanza(&mut self, s: &Element) {
        let sasl = Some("urn:ietf:params:xml:ns:xmpp-sasl");
        match s.local_name() {
            "auth" if s.ns() == sasl => {
                let data = B64.decode(s.text().trim()).unwrap_or_default();
                match s.attr("mechanism") {
                    Some("PLAIN") => {
                        let parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
                        let ok = parts.len() == 3
                            && self.users.iter().any(|(u, p)| u.as_bytes() == parts[1] && p.as_bytes() == parts[2]);
                        if ok {
                            self.authed_user = Some(String::from_utf8_lossy(parts[1]).into_owned());
                            self.outbox.push("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>".into());
                        } else {
                            self.outbox.push("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>".into());
                        }
                    }
                    Some("SCRAM-SHA-1") => self.scram_first(&data),
                    Some("EXTERNAL") if self.quirks.external_user.is_some() => {
                        self.authed_user = self.quirks.external_user.clone();
                        self.external_auth = true;
                        self.outbox.push("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>".into());
                    }
                    _ => self.outbox.push("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>".into()),
                }
            }
            "response" if s.ns() == sasl => {
                let data = B64.decode(s.text().trim()).unwrap_or_default();
                self.scram_final(&data);
            }
            "iq" => {
                let id = s.attr("id").unwrap_or("").to_owned();
                if let Some(bind) = s.child("bind") {
                    if self.quirks.bind_conflict {
                        self.outbox.push(format!("<iq xmlns='jabber:client' type='error' id='{id}'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"));
                        return;
                    }
                    let res = bind
                        .child("resource")
                        .map(|r| r.text())
                        .unwrap_or_else(|| "srv-res".into());
                    let user = self.authed_user.clone().expect("bind after auth");
                    let jid = format!("{user}@{}/{res}", self.domain);
                    self.bound = Some(jid.clone());
                    self.outbox.push(format!("<iq xmlns='jabber:client' type='result' id='{id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>{jid}</jid></bind></iq>"));
                } else if s.child("session").is_some() {
                    self.outbox.push(format!(
                        "<iq xmlns='jabber:client' type='result' id='{id}'/>"
                    ));
                } else if s.attr("to") == Some("void@localhost") {
                    // A black hole: never answers.
                } else if s.child("ping").is_some() {
                    let from = s.attr("to").unwrap_or(&self.domain).to_owned();
                    self.outbox.push(format!(
                        "<iq xmlns='jabber:client' type='result' id='{id}' from='{from}'/>"
                    ));
                } else if matches!(s.attr("type"), Some("get" | "set")) {
                    let from = s.attr("to").unwrap_or(&self.domain).to_owned();
                    self.outbox.push(format!("<iq xmlns='jabber:client' type='error' id='{id}' from='{from}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"));
                }
            }
            "message" => {
                // Route a message addressed to the user back to them.
                let to = s.attr("to").unwrap_or("");
                if let Some(bound) = &self.bound {
                    if bound.starts_with(to) {
                        let mut m = s.clone();
                        m.set_attr("from", bound.as_str());
                        self.outbox.push(m.to_xml());
                    }
                }
            }
            _ => {}
        }
    }

    fn scram_first(&mut self, data: &[u8]) {
        let text = String::from_utf8_lossy(data).into_owned();
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
        let nonce = format!("{cnonce}3rfcNHYJY1ZVvWVs7j");
        let iterations = self.quirks.scram_iterations.unwrap_or(ITERATIONS);
        let server_first = format!("r={nonce},s={},i={iterations}", B64.encode(SALT));
        self.outbox.push(format!(
            "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</challenge>",
            B64.encode(&server_first)
        ));
        self.scram = Some(ScramState {
            user,
            client_first_bare: bare,
            server_first,
            nonce,
        });
    }

    fn scram_final(&mut self, data: &[u8]) {
        let Some(st) = self.scram.take() else { return };
        let text = String::from_utf8_lossy(data).into_owned();
        let (without_proof, proof) = text.rsplit_once(",p=").expect("client-final has a proof");
        assert!(without_proof.contains(&format!("r={}", st.nonce)));
        let password = self
            .users
            .iter()
            .find(|(u, _)| *u == st.user)
            .map(|(_, p)| p.clone());
        let failure =
            "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"
                .to_string();
        let Some(password) = password else {
            self.outbox.push(failure);
            return;
        };
        let mut salted = [0u8; 20];
        let iterations = self.quirks.scram_iterations.unwrap_or(ITERATIONS);
        pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), SALT, iterations, &mut salted);
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
            self.outbox.push(failure);
            return;
        }
        let server_key = hmac(&salted, b"Server Key");
        let mut server_sig = hmac(&server_key, auth_message.as_bytes());
        if self.quirks.bad_server_signature {
            server_sig[0] ^= 1;
        }
        self.authed_user = Some(st.user);
        self.outbox.push(format!(
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</success>",
            B64.encode(format!("v={}", B64.encode(server_sig)))
        ));
    }

    /// Answers every held request with an empty body (like a `wait` expiry).
    pub fn release_held(&mut self) -> Vec<(u64, u16, String)> {
        let out = std::mem::take(&mut self.outbox);
        let mut v = Vec::new();
        let mut first = true;
        for (id, rid) in self.held.drain(..).collect::<Vec<_>>() {
            let payload = if first { out.clone() } else { Vec::new() };
            first = false;
            let reply = self.body("", &payload);
            self.cache.insert(rid, reply.clone());
            v.push((id, 200, reply));
        }
        v
    }

    /// The server process dies: the requests it held are never answered
    /// (their transmit ids are returned: their connections reset), and
    /// nothing answers from now on (`quirks.unreachable`).
    pub fn kill(&mut self) -> Vec<u64> {
        self.quirks.unreachable = true;
        self.held.drain(..).map(|(id, _)| id).collect()
    }

    /// The session ends on the server side (its node restarted, or it timed
    /// out): the held requests and every later one get HTTP 404, as
    /// Prosody answers an unknown sid. Returns the answers to deliver.
    pub fn forget_session(&mut self) -> Vec<(u64, u16, String)> {
        self.terminated = true;
        self.held
            .drain(..)
            .map(|(id, _)| (id, 404, String::new()))
            .collect()
    }

    /// Queues a stanza for the client and answers a held request with it.
    pub fn push(&mut self, stanza: &str) -> Vec<(u64, u16, String)> {
        self.outbox.push(stanza.to_owned());
        if self.held.is_empty() {
            return Vec::new();
        }
        self.release_held()
    }
}

/// A connection, a server and a fake clock.
pub struct Harness {
    pub conn: Connection,
    pub server: Server,
    pub now: Duration,
    pub events: Vec<Event>,
    pub transmits: Vec<Transmit>,
}

impl Harness {
    pub fn new(server: Server, mut options: Options) -> Self {
        // This fake network delivers every request at once and in order, so
        // nothing can overtake anything: requests leave without the spacing
        // (tests/bosh_reorder.rs tests it, on a network that reorders).
        options.request_spacing = Duration::ZERO;
        Harness {
            conn: Connection::new(
                "http://cm.example/http-bind",
                options,
                Box::new(XorShift::new(42)),
            ),
            server,
            now: Duration::ZERO,
            events: Vec::new(),
            transmits: Vec::new(),
        }
    }

    /// Drains the connection and lets the server answer, until nothing moves.
    /// A deadline already due (a zero-length timer: the long poll deferred
    /// to the next task after CONNECTED) fires, as the shell's timer would;
    /// one that stays due after firing is a spin, and fails.
    pub fn run(&mut self) {
        let mut stuck = 0;
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(ev) = self.conn.poll_event() {
                self.events.push(ev);
                moved = true;
            }
            let mut pending = Vec::new();
            while let Some(t) = self.conn.poll_transmit(self.now) {
                self.transmits.push(t.clone());
                pending.push(t);
                moved = true;
            }
            for t in pending {
                if self.server.quirks.unreachable {
                    self.server.requests.push(t.body.clone());
                    self.conn.handle_transport_error(self.now, t.id);
                    continue;
                }
                for (id, status, body) in self.server.handle(&t) {
                    self.conn.handle_response(self.now, id, status, &body);
                }
            }
            if !moved {
                match self.conn.poll_timeout() {
                    Some(t) if t <= self.now => {
                        stuck += 1;
                        assert!(stuck < 3, "poll_timeout {t:?} stays due at {:?}", self.now);
                        self.conn.handle_timeout(self.now);
                        continue;
                    }
                    _ => return,
                }
            }
            stuck = 0;
        }
        panic!("the exchange did not settle");
    }

    /// Jumps the clock to the next deadline and runs; false when there is none.
    pub fn advance(&mut self) -> bool {
        match self.conn.poll_timeout() {
            Some(t) => {
                self.now = self.now.max(t);
                self.conn.handle_timeout(self.now);
                self.run();
                true
            }
            None => false,
        }
    }

    pub fn deliver(&mut self, replies: Vec<(u64, u16, String)>) {
        for (id, status, body) in replies {
            self.conn.handle_response(self.now, id, status, &body);
        }
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
}

/// A harness logged in with PLAIN as alice@localhost/web (the long poll
/// held at the server).
pub fn connected() -> Harness {
    let mut h = Harness::new(Server::new(), options_with(&["PLAIN"]));
    h.conn
        .connect("alice@localhost/web", Some("alice-pass"))
        .unwrap();
    h.run();
    assert_eq!(h.conn.status(), Status::Connected);
    h
}

pub fn options_with(mechs: &[&str]) -> Options {
    Options {
        mechanisms: Some(mechs.iter().map(|s| s.to_string()).collect()),
        ..Options::default()
    }
}
