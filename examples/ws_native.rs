//! Drives the sans-IO core over a real WebSocket (RFC 6455 client written
//! here with std only, `ws://` only) against a real server, and prints
//! figures: login round trips and time, IQ round trip, echo rate with
//! stream management, and a "reload" (drop the socket, restore from the
//! keepalive snapshot without the password) to the first IQ answer.
//!
//! ```text
//! PROSODY_WS=sasl2 scripts/prosody.sh start /tmp/p && . /tmp/p/env
//! cargo run --release --example ws_native -- $WS_URL alice@localhost alice-pass
//! scripts/prosody.sh stop /tmp/p
//! ```
//!
//! `WS_MECHS` (default `PLAIN,SCRAM-SHA-1`) lists the mechanisms to log in
//! with, one login each; the last one (a SCRAM) is used for the rest.
//! `WS_BOB=JID:PASSWORD` adds the loss test: that user sends 200 numbered
//! messages to us over a second WebSocket while we "reload" 4 times, and
//! the messages received are checked: none lost, none twice.
//!
//! It is also the smallest complete WebSocket driver of the core: the loop
//! in [`Driver::step`] is what a shell does (drain events, then
//! `poll_ws_transmit`, then wait for a frame or `poll_timeout`).

use sha1::{Digest, Sha1};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use xmpp_wasm::b64;
use xmpp_wasm::connection::{Connection, Event, Options, Status, WsSnapshot};
use xmpp_wasm::rand::RandomSource;
use xmpp_wasm::websocket::Transmit;
use xmpp_wasm::xml::{self, Element};

struct Urandom(File);

impl RandomSource for Urandom {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        self.0.read_exact(buf).expect("/dev/urandom");
    }
}

fn rng() -> Box<dyn RandomSource> {
    Box::new(Urandom(File::open("/dev/urandom").expect("/dev/urandom")))
}

/// One client WebSocket.
struct Socket {
    write: TcpStream,
    read: BufReader<TcpStream>,
    rng: Urandom,
}

impl Socket {
    fn open(url: &str) -> io::Result<Socket> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| io::Error::other("ws:// only"))?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let stream = TcpStream::connect(host)?;
        stream.set_nodelay(true)?;
        let mut rng = Urandom(File::open("/dev/urandom")?);
        let mut key = [0u8; 16];
        rng.fill_bytes(&mut key);
        let key = b64::encode(key);
        let mut write = stream.try_clone()?;
        write!(
            write,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"
        )?;
        let mut read = BufReader::new(stream);
        let mut status = String::new();
        read.read_line(&mut status)?;
        if !status.starts_with("HTTP/1.1 101") {
            return Err(io::Error::other(format!("handshake: {}", status.trim())));
        }
        let mut accept = None;
        let mut protocol = None;
        loop {
            let mut line = String::new();
            read.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "sec-websocket-accept" => accept = Some(v.trim().to_owned()),
                    "sec-websocket-protocol" => protocol = Some(v.trim().to_owned()),
                    _ => {}
                }
            }
        }
        let expected = b64::encode(Sha1::digest(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes(),
        ));
        if accept.as_deref() != Some(expected.as_str()) || protocol.as_deref() != Some("xmpp") {
            return Err(io::Error::other("bad handshake answer"));
        }
        Ok(Socket { write, read, rng })
    }

    fn send(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        let mut frame = vec![0x80 | opcode];
        let len = payload.len();
        if len < 126 {
            frame.push(0x80 | len as u8);
        } else if len <= 0xffff {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
        let mut mask = [0u8; 4];
        self.rng.fill_bytes(&mut mask);
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.write.write_all(&frame)
    }

    /// The next text message; `Ok(None)` on a timeout, an error when closed.
    fn recv(&mut self, timeout: Duration) -> io::Result<Option<String>> {
        self.read
            .get_ref()
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            match self.read.read_exact(&mut head) {
                Ok(()) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            }
            self.read.get_ref().set_read_timeout(None)?;
            let len = match head[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.read.read_exact(&mut b)?;
                    u64::from(u16::from_be_bytes(b))
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.read.read_exact(&mut b)?;
                    u64::from_be_bytes(b)
                }
                n => u64::from(n),
            };
            let mut payload = vec![0u8; usize::try_from(len).map_err(io::Error::other)?];
            self.read.read_exact(&mut payload)?;
            match head[0] & 0x0f {
                0 | 1 => message.extend(payload),
                8 => return Err(io::Error::other("closed")),
                9 => self.send(10, &payload)?,
                _ => {}
            }
            if head[0] & 0x80 != 0 && !message.is_empty() {
                return String::from_utf8(message)
                    .map(Some)
                    .map_err(io::Error::other);
            }
        }
    }
}

struct Driver {
    conn: Connection,
    socket: Option<Socket>,
    origin: Instant,
    events: Vec<Event>,
    frames_out: usize,
    /// Longest wait for a frame in one `step`.
    max_wait: Duration,
    /// Print frames (`WS_TRACE=1`).
    trace: bool,
}

impl Driver {
    fn new(url: &str, options: Options) -> Driver {
        Driver {
            conn: Connection::new(url, options, rng()),
            socket: None,
            origin: Instant::now(),
            events: Vec::new(),
            frames_out: 0,
            max_wait: Duration::from_millis(50),
            trace: std::env::var_os("WS_TRACE").is_some(),
        }
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// One turn of the shell's loop: drain (events, transmits), one input
    /// (a frame or a timeout), drain again: after every input, the events
    /// first, so that what the core counted as delivered is delivered.
    fn step(&mut self) {
        self.drain();
        self.input();
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(e) = self.conn.poll_event() {
            self.events.push(e);
        }
        while let Some(t) = self.conn.poll_ws_transmit() {
            match t {
                Transmit::Open { url } => match Socket::open(&url) {
                    Ok(s) => {
                        self.socket = Some(s);
                        let now = self.now();
                        self.conn.handle_ws_open(now);
                    }
                    Err(_) => {
                        let now = self.now();
                        self.conn.handle_ws_closed(now);
                    }
                },
                Transmit::Frame(f) => {
                    self.frames_out += 1;
                    if self.trace {
                        eprintln!("{:8.2} ms > {}", ms(self.now()), &f[..f.len().min(60)]);
                    }
                    if let Some(s) = self.socket.as_mut() {
                        if s.send(1, f.as_bytes()).is_err() {
                            self.socket = None;
                            let now = self.now();
                            self.conn.handle_ws_closed(now);
                        }
                    }
                }
                Transmit::Close => {
                    if let Some(mut s) = self.socket.take() {
                        let _ = s.send(8, &1000u16.to_be_bytes());
                    }
                }
            }
        }
        while let Some(e) = self.conn.poll_event() {
            self.events.push(e);
        }
    }

    fn input(&mut self) {
        let wait = self
            .conn
            .poll_timeout()
            .map_or(Duration::from_millis(50), |t| t.saturating_sub(self.now()))
            .min(self.max_wait);
        let Some(s) = self.socket.as_mut() else {
            let now = self.now();
            self.conn.handle_timeout(now);
            return;
        };
        match s.recv(wait) {
            Ok(Some(text)) => {
                let now = self.now();
                if self.trace {
                    eprintln!("{:8.2} ms < {}", ms(now), &text[..text.len().min(60)]);
                }
                self.conn.handle_ws_frame(now, &text);
            }
            Ok(None) => {
                let now = self.now();
                self.conn.handle_timeout(now);
            }
            Err(_) => {
                self.socket = None;
                let now = self.now();
                self.conn.handle_ws_closed(now);
            }
        }
    }

    fn until(&mut self, what: &str, mut done: impl FnMut(&[Event]) -> bool) {
        let start = Instant::now();
        while !done(&self.events) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out: {what}"
            );
            self.step();
        }
    }

    fn status_seen(&self, status: Status) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::Status { status: s, .. } if *s == status))
    }

    fn ping(&mut self) -> Duration {
        let start = Instant::now();
        let domain = self.conn.jid().unwrap().domain().to_owned();
        let iq = Element::new("iq")
            .with_attr("type", "get")
            .with_attr("to", domain)
            .with_child(Element::new("ping").with_attr("xmlns", "urn:xmpp:ping"));
        let now = self.now();
        let id = self.conn.send_tracked(now, iq, None).unwrap();
        self.until("ping", |ev| {
            ev.iter()
                .any(|e| matches!(e, Event::Answer { id: a, .. } if *a == id))
        });
        start.elapsed()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn login(url: &str, jid: &str, password: &str, mech: &str) -> (Driver, Duration) {
    let mut d = Driver::new(
        url,
        Options {
            mechanisms: Some(vec![mech.to_owned()]),
            ..Options::default()
        },
    );
    let start = Instant::now();
    d.conn.connect(jid, Some(password)).unwrap();
    d.until("login", |ev| {
        ev.iter().any(|e| {
            matches!(
                e,
                Event::Status {
                    status: Status::Connected | Status::ConnFail | Status::AuthFail,
                    ..
                }
            )
        })
    });
    assert!(d.status_seen(Status::Connected), "{:?}", d.events);
    (d, start.elapsed())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, jid, password] = &args[..] else {
        eprintln!("usage: ws_native WS_URL JID PASSWORD");
        std::process::exit(2);
    };
    let mechs = std::env::var("WS_MECHS").unwrap_or_else(|_| "PLAIN,SCRAM-SHA-1".into());
    let mechs: Vec<&str> = mechs.split(',').collect();
    for mech in &mechs {
        let (mut d, took) = login(url, jid, password, mech);
        d.ping(); // <enabled/> is back by then
        println!(
            "login {mech}: {:.1} ms, {} frames out before CONNECTED, SASL2: {}, SM: {}, jid {}",
            ms(took),
            d.frames_out,
            d.conn.used_sasl2(),
            d.conn.stream_management().resumable(),
            d.conn.jid().unwrap()
        );
        d.conn.disconnect(None);
        for _ in 0..5 {
            d.step();
        }
    }

    let (mut d, _) = login(url, jid, password, mechs[mechs.len() - 1]);
    let rtts: Vec<f64> = (0..20).map(|_| ms(d.ping())).collect();
    println!("IQ round trip: median {:.2} ms", median(rtts));

    // Echo: messages to our own full JID, stream management on.
    let me = d.conn.jid().unwrap().to_string();
    let n = 2000;
    let start = Instant::now();
    for i in 0..n {
        let m = Element::new("message")
            .with_attr("to", me.as_str())
            .with_attr("id", format!("e{i}"))
            .with_child(Element::new("body").with_text(format!("{i}")));
        let now = d.now();
        d.conn.send(now, m).unwrap();
        if i % 50 == 49 {
            d.step();
        }
    }
    let count = |ev: &[Event]| {
        ev.iter()
            .filter(|e| matches!(e, Event::Stanza(s) if s.local_name() == "message"))
            .count()
    };
    d.until("echo", |ev| count(ev) >= n);
    let took = start.elapsed();
    println!(
        "echo {n} messages with SM: {:.0} msg/s ({:.1} ms), unacked after: {}",
        n as f64 / took.as_secs_f64(),
        ms(took),
        d.conn.stream_management().unacked().count()
    );

    // Reload: the snapshot a page would store, then the socket dies.
    let mut restores = Vec::new();
    for round in 0..5 {
        let json = d.conn.ws_snapshot().expect("resumable").to_json();
        assert!(!json.contains(password.as_str()), "the password is stored");
        d.socket = None; // TCP closed without <close/>: the server hibernates the session
        drop(d);
        let snap = WsSnapshot::from_json(&json).unwrap();
        let mut next = Driver::new(url, Options::default());
        let start = Instant::now();
        next.conn.restore_ws(&snap).unwrap();
        let rtt = next.ping();
        let took = start.elapsed();
        assert!(!next.status_seen(Status::AttachFail), "{:?}", next.events);
        restores.push(ms(took));
        println!(
            "restore {round}: {:.1} ms to the first IQ answer, {} frames out",
            ms(took),
            next.frames_out
        );
        let _ = rtt;
        d = next;
    }
    println!("restore to first IQ: median {:.1} ms", median(restores));
    if let Ok(bob) = std::env::var("WS_BOB") {
        d = reloads_under_load(d, url, &bob, password);
    }
    d.conn.disconnect(None);
    for _ in 0..5 {
        d.step();
    }
    let _ = xml::parse_standalone("<x/>");
}

/// Bob sends 200 numbered messages to our full JID, one every 2 ms, while
/// our page "reloads" after every 50 (the socket dies, a new driver
/// restores the snapshot of the old one): every number must arrive once.
fn reloads_under_load(mut alice: Driver, url: &str, bob: &str, password: &str) -> Driver {
    let (bob_jid, bob_pass) = bob.split_once(':').expect("WS_BOB=JID:PASSWORD");
    let (mut bob, _) = login(url, bob_jid, bob_pass, "PLAIN");
    bob.max_wait = Duration::from_millis(1);
    alice.max_wait = Duration::from_millis(1);
    let to = alice.conn.jid().unwrap().to_string();
    let mut received: Vec<String> = Vec::new();
    let take = |d: &mut Driver, received: &mut Vec<String>| {
        for e in d.events.drain(..) {
            if let Event::Stanza(s) = e {
                if let Some(id) = s.attr("id").filter(|i| i.starts_with("n")) {
                    received.push(id.to_owned());
                }
            }
        }
    };
    let n = 200;
    let mut reload_ms = Vec::new();
    for i in 0..n {
        let m = Element::new("message")
            .with_attr("to", to.as_str())
            .with_attr("id", format!("n{i}"))
            .with_child(Element::new("body").with_text(format!("{i}")));
        let now = bob.now();
        bob.conn.send(now, m).unwrap();
        bob.step();
        alice.step();
        take(&mut alice, &mut received);
        if i % 50 == 25 {
            let json = alice.conn.ws_snapshot().expect("resumable").to_json();
            assert!(!json.contains(password), "the password is stored");
            alice.socket = None;
            let mut next = Driver::new(url, Options::default());
            next.max_wait = Duration::from_millis(1);
            let start = Instant::now();
            next.conn
                .restore_ws(&WsSnapshot::from_json(&json).unwrap())
                .unwrap();
            alice = next;
            // Only Alice meanwhile: a 1 ms socket timeout takes up to a
            // scheduler tick, and Bob's would delay hers.
            while alice.conn.attaching() {
                alice.step();
            }
            reload_ms.push(ms(start.elapsed()));
            take(&mut alice, &mut received);
        }
    }
    let start = Instant::now();
    while received.len() < n && start.elapsed() < Duration::from_secs(10) {
        alice.step();
        bob.step();
        take(&mut alice, &mut received);
    }
    let mut unique = received.clone();
    unique.sort();
    unique.dedup();
    println!(
        "reloads under load: {} reloads ({:?} ms to resumed), {n} sent, {} received, {} lost, {} duplicated",
        reload_ms.len(),
        reload_ms.iter().map(|m| m.round()).collect::<Vec<_>>(),
        received.len(),
        n - unique.len(),
        received.len() - unique.len()
    );
    bob.conn.disconnect(None);
    for _ in 0..5 {
        bob.step();
    }
    alice
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
