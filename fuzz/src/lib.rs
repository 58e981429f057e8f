//! Helpers shared by the fuzz targets: reading a structured input from the
//! fuzzer's bytes, and driving a [`Connection`] with a sequence of operations
//! (responses, transport errors, timeouts, commands) chosen by those bytes.

use std::time::Duration;
use xmpp_wasm::bosh::Transmit;
use xmpp_wasm::connection::{Connection, Options, Snapshot, Status};
use xmpp_wasm::rand::XorShift;

/// Reads numbers and byte strings off the front of the input; past the end,
/// everything reads as zero or empty.
pub struct Input<'a>(pub &'a [u8]);

impl<'a> Input<'a> {
    /// Whether the input is used up.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.byte()) | (u16::from(self.byte()) << 8)
    }

    /// A byte string: a two-byte length, then that many bytes (fewer at the end).
    pub fn bytes(&mut self) -> &'a [u8] {
        let len = usize::from(self.u16()).min(self.0.len());
        let (head, tail) = self.0.split_at(len);
        self.0 = tail;
        head
    }

    /// [`Input::bytes`] as text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }
}

pub const SERVICE: &str = "https://cm.example/http-bind";
const HTTPBIND: &str = "http://jabber.org/protocol/httpbind";

/// Server answers that take the login forward, or break it in known ways;
/// the fuzzer also sends its own bytes and mutates these through the corpus.
pub const CANNED: &[&str] = &[
    // 0: session creation with SASL features
    "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' \
     xmlns:stream='http://etherx.jabber.org/streams' sid='s1' wait='60' requests='2' hold='1' \
     inactivity='30' maxpause='120' polling='2' ver='1.11' from='localhost' ack='1' \
     xmpp:version='1.0' xmpp:restartlogic='true'><stream:features>\
     <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>\
     <mechanism>SCRAM-SHA-1</mechanism><mechanism>ANONYMOUS</mechanism></mechanisms>\
     </stream:features></body>",
    // 1: SASL success
    "<body xmlns='http://jabber.org/protocol/httpbind'>\
     <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></body>",
    // 2: features after the restart
    "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'>\
     <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
     <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session></stream:features></body>",
    // 3: empty
    "<body xmlns='http://jabber.org/protocol/httpbind'/>",
    // 4: terminate
    "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='remote-stream-error'/>",
    // 5: see-other-uri
    "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='see-other-uri'>\
     <uri>https://cm.example/other-bind</uri></body>",
    // 6: recoverable error
    "<body xmlns='http://jabber.org/protocol/httpbind' type='error'/>",
    // 7: stanzas
    "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' \
     from='bob@localhost/x' to='alice@localhost/web' id='m1'><body>hi</body></message>\
     <presence from='bob@localhost/x'/><iq type='get' id='q1' from='localhost'>\
     <ping xmlns='urn:xmpp:ping'/></iq></body>",
    // 8: SASL failure
    "<body xmlns='http://jabber.org/protocol/httpbind'>\
     <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure></body>",
    // 9: report of a lost response
    "<body xmlns='http://jabber.org/protocol/httpbind' report='1' time='100' ack='1'/>",
];

/// The first `id='...'` of an `<iq` in `body`, to answer it.
fn iq_id(body: &str) -> Option<&str> {
    let iq = body.find("<iq")?;
    let rest = body.get(iq..)?;
    let start = rest.find("id='")? + 4;
    let len = rest.get(start..)?.find('\'')?;
    rest.get(start..start + len)
}

/// Drives a connection with operations read from the input, checking that
/// every drain ends.
pub struct Driver {
    pub conn: Connection,
    pub now: Duration,
    /// Attempts sent and not yet answered.
    pub in_flight: Vec<Transmit>,
    /// The last body sent, to answer its IQ.
    last_body: String,
}

impl Driver {
    pub fn new(conn: Connection) -> Self {
        Driver {
            conn,
            now: Duration::ZERO,
            in_flight: Vec::new(),
            last_body: String::new(),
        }
    }

    /// A connection that started a PLAIN login (or anonymous, or SCRAM).
    pub fn connecting(choice: u8) -> Self {
        let mechanisms = match choice % 3 {
            0 => vec!["PLAIN".to_string()],
            1 => vec!["ANONYMOUS".to_string()],
            _ => vec!["SCRAM-SHA-1".to_string(), "PLAIN".to_string()],
        };
        let options = Options {
            mechanisms: Some(mechanisms),
            ..Options::default()
        };
        let mut conn = Connection::new(SERVICE, options, Box::new(XorShift::new(1)));
        let jid = if choice % 3 == 1 {
            "localhost"
        } else {
            "alice@localhost/web"
        };
        let password = (choice % 3 != 1).then_some("pass");
        conn.connect(jid, password).expect("a valid login");
        Driver::new(conn)
    }

    /// Drains events and transmits; panics if either never ends.
    pub fn drain(&mut self) {
        let mut events = 0u32;
        while self.conn.poll_event().is_some() {
            events += 1;
            assert!(events < 1_000_000, "poll_event never drains");
        }
        let mut sent = 0u32;
        while let Some(t) = self.conn.poll_transmit(self.now) {
            sent += 1;
            assert!(sent <= 256, "poll_transmit never drains");
            self.last_body.clone_from(&t.body);
            self.in_flight.push(t);
        }
        if let Some(t) = self.conn.poll_timeout() {
            assert!(t >= Duration::ZERO);
        }
    }

    /// One operation chosen by the input.
    pub fn step(&mut self, input: &mut Input<'_>) {
        let op = input.byte();
        match op % 12 {
            // A response to one of the attempts in flight.
            0..=4 => {
                if self.in_flight.is_empty() {
                    return;
                }
                let i = usize::from(input.byte()) % self.in_flight.len();
                let t = self.in_flight.remove(i);
                let status = match input.byte() % 8 {
                    0 => 404,
                    1 => 500,
                    2 => 403,
                    3 => 400,
                    4 => u16::from(input.byte()) * 3,
                    _ => 200,
                };
                let body = match op % 12 {
                    0 => input.text(),
                    1 => {
                        let id = iq_id(&self.last_body).unwrap_or("x").to_string();
                        format!(
                            "<body xmlns='{HTTPBIND}'><iq xmlns='jabber:client' type='result' \
                             id='{id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                             <jid>alice@localhost/web</jid></bind></iq></body>"
                        )
                    }
                    _ => CANNED[usize::from(input.byte()) % CANNED.len()].to_string(),
                };
                self.conn.handle_response(self.now, t.id, status, &body);
            }
            5 => {
                if !self.in_flight.is_empty() {
                    let i = usize::from(input.byte()) % self.in_flight.len();
                    let t = self.in_flight.remove(i);
                    self.conn.handle_transport_error(self.now, t.id);
                }
            }
            6 => {
                // Time passes: a little, or up to the next deadline.
                let step = input.u16();
                self.now = match (step, self.conn.poll_timeout()) {
                    (0, Some(t)) if t > self.now => t,
                    _ => self.now + Duration::from_millis(u64::from(step) * 10),
                };
                self.conn.handle_timeout(self.now);
            }
            7 => {
                let _ = self.conn.send_xml(
                    self.now,
                    "<message to='bob@localhost' type='chat'><body>x</body></message>",
                );
            }
            8 => match input.byte() % 5 {
                0 => self.conn.pause(),
                1 => self.conn.resume(),
                2 => self.conn.flush(),
                3 => {
                    let _ = self.conn.pause_session(self.now, u32::from(input.byte()));
                }
                _ => {
                    let _ = self.conn.send_xml(self.now, &input.text());
                }
            },
            9 => self.conn.disconnect(None),
            10 => self.reload(),
            _ => {
                // An answer to an attempt no longer in flight (stale id).
                let id = u64::from(input.u16());
                self.conn.handle_response(self.now, id, 200, CANNED[3]);
            }
        }
    }

    /// The page reloads: the snapshot goes through JSON into a new connection.
    fn reload(&mut self) {
        let Some(snap) = self.conn.snapshot() else {
            return;
        };
        let json = snap.to_json();
        let back = Snapshot::from_json(&json).expect("a snapshot reads back");
        assert_eq!(back, snap, "the snapshot survives JSON");
        let mut conn = Connection::new(SERVICE, Options::default(), Box::new(XorShift::new(2)));
        if conn.restore(&back).is_ok() {
            assert_eq!(conn.status(), Status::Attached);
            self.conn = conn;
            self.in_flight.clear();
        }
    }

    /// Runs operations until the input is used up, draining after each.
    pub fn run(&mut self, input: &mut Input<'_>) {
        self.drain();
        while !input.is_empty() {
            self.step(input);
            self.drain();
        }
    }
}
