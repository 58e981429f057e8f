//! A native benchmark of the BOSH core: per-call time (median of many runs)
//! and heap allocations per call, for
//!
//! * reading a 64 KB response body carrying 100 stanzas, through
//!   `bosh::parse_body` and through the session's response path
//!   (`handle_response` + draining the events),
//! * building a request body of 100 stanzas (`send` × 100 + `poll_transmit`),
//! * hostile 4 MB bodies through `Connection::handle_response`: the one with
//!   120,000 namespace declarations on `<body/>` and 520,000 children (once
//!   quadratic, about 177 s), and the worst shapes still within the parser's
//!   limits, and a stanza with 342,589 attributes (median of 5 runs; time is
//!   what matters there).
//!
//! Run: `cargo run --release --example bench_bosh`. It prints figures and
//! asserts nothing about time. Note the release profile is tuned for wasm size
//! (`opt-level = "z"`), so these are conservative native numbers.
//!
//! The allocation counter is a `#[global_allocator]` that forwards to the
//! system allocator and counts calls; implementing `GlobalAlloc` is the only
//! `unsafe` in the repository, and it lives here, outside the library.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use xmpp_wasm::bosh::{parse_body, Config, Event, Session, SessionParams};
use xmpp_wasm::connection::{self, Connection, Options};
use xmpp_wasm::rand::XorShift;
use xmpp_wasm::xml::{MAX_DECLS_PER_ELEMENT, MAX_DEPTH};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees carry over; the counters are atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: forwarded as is (see above).
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is (see above).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        // SAFETY: forwarded as is (see above).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RUNS: usize = 301;

/// Brackets the measured part of one run.
struct Probe {
    t0: Instant,
    a0: u64,
    b0: u64,
    result: (Duration, u64, u64),
}

impl Probe {
    fn start(&mut self) {
        self.a0 = ALLOCS.load(Relaxed);
        self.b0 = BYTES.load(Relaxed);
        self.t0 = Instant::now();
    }

    fn stop(&mut self) {
        let dt = self.t0.elapsed();
        self.result = (
            dt,
            ALLOCS.load(Relaxed) - self.a0,
            BYTES.load(Relaxed) - self.b0,
        );
    }
}

/// Medians over `RUNS` runs of (elapsed, allocations, bytes allocated)
/// between `start()` and `stop()`.
fn measure(mut run: impl FnMut(&mut Probe)) -> (Duration, u64, u64) {
    let mut times = Vec::with_capacity(RUNS);
    let mut allocs = Vec::with_capacity(RUNS);
    let mut bytes = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let mut p = Probe {
            t0: Instant::now(),
            a0: 0,
            b0: 0,
            result: (Duration::ZERO, 0, 0),
        };
        run(&mut p);
        times.push(p.result.0);
        allocs.push(p.result.1);
        bytes.push(p.result.2);
    }
    times.sort();
    allocs.sort();
    bytes.sort();
    (times[RUNS / 2], allocs[RUNS / 2], bytes[RUNS / 2])
}

fn report(name: &str, (t, a, b): (Duration, u64, u64)) {
    println!(
        "{name:<58} {:>9.1} µs  {a:>6} allocs  {:>8.1} KiB allocated",
        t.as_secs_f64() * 1e6,
        b as f64 / 1024.0
    );
}

/// A response body of 64 KiB carrying 100 chat messages (the message text is
/// sized to fill it), with entities to unescape in every message.
fn response_body() -> String {
    const TARGET: usize = 64 * 1024;
    let build = |text: &str| {
        let mut body = String::from(
            "<body xmlns='http://jabber.org/protocol/httpbind' \
             xmlns:stream='http://etherx.jabber.org/streams'>",
        );
        for i in 0..100 {
            body.push_str(&format!(
                "<message xmlns='jabber:client' from='friend{i}@example.com/phone' \
                 to='me@example.com/web' type='chat' id='msg-{i:04}'><body>{text}</body>\
                 <active xmlns='http://jabber.org/protocol/chatstates'/>\
                 <stanza-id xmlns='urn:xmpp:sid:0' id='{i:08x}-aaaa-bbbb' by='me@example.com'/>\
                 </message>"
            ));
        }
        body.push_str("</body>");
        body
    };
    let overhead = build("").len();
    let words = "Lorem ipsum dolor sit amet &amp; consectetur &lt;adipiscing&gt; elit. ";
    let text: String = words
        .chars()
        .cycle()
        .take((TARGET - overhead) / 100)
        .collect();
    // Do not cut an entity in half.
    let text = match text.rfind('&') {
        Some(i) if !text[i..].contains(';') => text[..i].to_owned() + &" ".repeat(text.len() - i),
        _ => text,
    };
    build(&text)
}

fn stanza(i: usize) -> String {
    format!(
        "<message xmlns='jabber:client' to='friend{i}@example.com' type='chat' \
         id='out-{i:04}'><body>Hello there, this is message number {i}.</body></message>"
    )
}

fn open_session() -> Session {
    let params = SessionParams {
        sid: "bench-sid".into(),
        wait: 60,
        requests: 2,
        hold: 1,
        ver: Some("1.11".into()),
        ..Default::default()
    };
    let mut config = Config::new("https://cm.example/http-bind", "example.com");
    config.max_body_size = 1 << 20;
    Session::attached(config, params, 1_000_000)
}

/// `<body/>` with `decls` namespace declarations (the BOSH one and `decls - 1`
/// prefixes) and `children` empty children `<a/>`.
fn declarations_body(decls: usize, children: usize) -> String {
    let mut body = String::from("<body xmlns='http://jabber.org/protocol/httpbind'");
    for i in 1..decls {
        body.push_str(&format!(" xmlns:p{i}='u'"));
    }
    body.push('>');
    body.push_str(&"<a/>".repeat(children));
    body.push_str("</body>");
    body
}

/// The deepest nesting the parser takes, every level declaring as many
/// prefixes as it may (16,128 declarations in scope at the bottom), and the
/// innermost element filled with children that use, in their name and an
/// attribute, prefixes declared by the outermost level, up to `size` bytes.
fn nested_declarations_body(size: usize) -> String {
    let mut body = String::from("<body xmlns='http://jabber.org/protocol/httpbind'>");
    // `<body/>` is depth 1 and the children are at MAX_DEPTH.
    let levels = MAX_DEPTH - 2;
    for level in 0..levels {
        body.push_str("<e");
        for i in 0..MAX_DECLS_PER_ELEMENT {
            body.push_str(&format!(" xmlns:p{level}_{i}='u'"));
        }
        body.push('>');
    }
    // Bound by the outermost level only: a scan of the open declarations
    // from the innermost would pass all of them.
    let child = "<p0_0:a p0_1:b='1'/>";
    let closing = "</e>".len() * levels + "</body>".len();
    let n = size.saturating_sub(body.len() + closing) / child.len();
    body.push_str(&child.repeat(n));
    body.push_str(&"</e>".repeat(levels));
    body.push_str("</body>");
    body
}

/// An attached connection whose first request (with its confirming ping) is
/// in flight: returns it and the request's id.
fn attached_connection() -> (Connection, u64) {
    let mut c = Connection::new(
        "https://cm.example/http-bind",
        Options::default(),
        Box::new(XorShift::new(7)),
    );
    c.attach(
        "alice@example.com/web",
        "bench-sid",
        1_000_000,
        None,
        None,
        None,
    )
    .expect("attach");
    let t = c.poll_transmit(Duration::ZERO).expect("the first request");
    (c, t.id)
}

/// Times one hostile body through `Connection::handle_response` and the event
/// drain, on a fresh attached connection per run; prints the median and what
/// the connection made of the body.
fn hostile(name: &str, body: &str) {
    const RUNS: usize = 5;
    let mut times = Vec::with_capacity(RUNS);
    let mut outcome = String::new();
    for _ in 0..RUNS {
        let (mut c, id) = attached_connection();
        let t0 = Instant::now();
        c.handle_response(Duration::ZERO, id, 200, black_box(body));
        let (mut stanzas, mut condition) = (0usize, None);
        while let Some(e) = c.poll_event() {
            match e {
                connection::Event::Stanza(_) => stanzas += 1,
                connection::Event::Status {
                    condition: Some(cond),
                    ..
                } => condition = Some(cond),
                _ => {}
            }
        }
        times.push(t0.elapsed());
        outcome = match condition {
            Some(cond) => format!("failed: {cond}"),
            None => format!("{stanzas} stanzas"),
        };
    }
    times.sort();
    println!(
        "{name:<58} {:>9.1} ms  ({:.2} MB, {outcome})",
        times[RUNS / 2].as_secs_f64() * 1e3,
        body.len() as f64 / 1e6
    );
}

fn main() {
    let body = response_body();
    let parsed = parse_body(&body).expect("valid body");
    assert_eq!(parsed.stanzas.len(), 100);
    println!(
        "response: {} bytes, {} stanzas; request: 100 stanzas of {} bytes; median of {RUNS} runs\n",
        body.len(),
        parsed.stanzas.len(),
        stanza(0).len()
    );

    report(
        "bosh::parse_body (64 KB, 100 stanzas)",
        measure(|p| {
            p.start();
            black_box(parse_body(black_box(&body)).ok());
            p.stop();
        }),
    );

    // The session's response path: the 64 KB answer to the long poll, read,
    // processed in rid order and drained as events.
    let mut s = open_session();
    let now = Duration::ZERO;
    let mut stanzas = 0;
    report(
        "Session::handle_response + poll_event drain (64 KB)",
        measure(|p| {
            let t = s.poll_transmit(now).expect("the long poll");
            p.start();
            s.handle_response(now, t.id, 200, black_box(&body));
            while let Some(e) = s.poll_event() {
                if matches!(e, Event::Stanza(_)) {
                    stanzas += 1;
                }
                black_box(e);
            }
            p.stop();
        }),
    );
    assert_eq!(stanzas, 100 * RUNS, "every stanza came out");

    // Building one body of 100 stanzas (the stanzas themselves are made
    // outside the measured part: they are the caller's).
    let mut s = open_session();
    s.set_long_poll(false);
    let empty = "<body xmlns='http://jabber.org/protocol/httpbind'/>";
    report(
        "Session::send x100 + poll_transmit (build the body)",
        measure(|p| {
            let batch: Vec<String> = (0..100).map(stanza).collect();
            p.start();
            for st in batch {
                s.send(now, st);
            }
            let t = s.poll_transmit(now).expect("the body leaves");
            p.stop();
            assert!(t.body.len() > 100 * 100);
            s.handle_response(now, t.id, 200, empty);
            while s.poll_event().is_some() {}
        }),
    );

    println!();
    hostile(
        "hostile: 120,000 xmlns:pN on <body/>, 520,000 children",
        &declarations_body(120_000, 520_000),
    );
    hostile(
        "within limits: 128 declarations on <body/>, 1M children",
        &declarations_body(MAX_DECLS_PER_ELEMENT, 1_030_000),
    );
    let mut attrs = String::from("<body xmlns='http://jabber.org/protocol/httpbind'><a");
    let mut i = 0;
    while attrs.len() < 4_000_000 {
        attrs.push_str(&format!(" a{i}='1'"));
        i += 1;
    }
    attrs.push_str("/></body>");
    hostile(
        "one stanza with 342,589 attributes (duplicate check)",
        &attrs,
    );
    hostile(
        "within limits: 126 levels x 128 declarations, prefixed kids",
        &nested_declarations_body(4_000_000),
    );
}
