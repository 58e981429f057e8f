//! Prebinding: the server-side half of a BOSH session attach, on the same
//! sans-IO core as the browser client, with std only.
//!
//! ```text
//! cargo run --example prebind -- --listen 127.0.0.1:5290 \
//!     --bosh http://127.0.0.1:5280/http-bind --jid alice@localhost --password alice-pass
//! cargo run --example prebind -- --bosh http://127.0.0.1:5280/http-bind --domain anon.localhost
//! ```
//!
//! Options: `--listen ADDR` (default `127.0.0.1:5290`), `--bosh URL` (plain
//! `http://` only), either `--jid JID --password PASS` or `--domain DOMAIN`
//! (anonymous login), and `--allow-origin ORIGIN` (CORS, default `*`).
//!
//! `POST /prebind` (or `GET /prebind`) logs in over BOSH on the page's behalf
//! (SASL, restart, bind) and hands the live session over, so the page skips
//! the login round trips and never sees the password. A request body may be a
//! BOSH-like `<body to='…' wait='…' hold='…'/>` (the Strophe.js prebind
//! convention): `wait` and `hold` are used for the session, `to` must name the
//! configured domain, and `rid` is ignored (the core draws its own).
//!
//! The answer is, by default, the XML of the original prebind services:
//!
//! ```text
//! <body xmlns='http://jabber.org/protocol/httpbind' sid='SID' rid='LAST_USED_RID'>
//!   <iq xmlns='jabber:client' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>
//!     <jid>alice@localhost/res</jid></bind></iq></body>
//! ```
//!
//! or, with `Accept: application/json` or `?format=json`,
//! `{"jid": "alice@localhost/res", "sid": "SID", "rid": NEXT_RID}`.
//!
//! **The rid convention.** The XML form carries the *last rid used* by this
//! service, so the page attaches with `rid + 1` (as in Strophe's
//! `attach(jid, sid, rid + 1)`); the JSON form carries the *next rid to use*
//! directly. Either way, the page's first request uses a rid this service
//! never sent: driving stops as soon as the login reaches CONNECTED, before
//! the core would issue its long poll. The page must attach within the
//! server's `inactivity` (Prosody: 60 s).
//!
//! Failures (authentication, service unreachable, timeout) answer HTTP 502
//! with the status and condition (`{"status": "AUTHFAIL", "condition":
//! "not-authorized"}`, or `<body type='terminate' status='…' condition='…'/>`);
//! a malformed request answers 400. Every read is bounded by a timeout.

#[path = "prebind/http.rs"]
mod http;

use http::{HttpUrl, Request};
use std::fs::File;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};
use xmpp_wasm::connection::{Connection, Event, Options, Status};
use xmpp_wasm::jid::Jid;
use xmpp_wasm::{ns, rand::RandomSource, xml, xml::Element};

/// Longest time one prebind may take, login and failure cleanup included.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

struct Args {
    listen: String,
    bosh: HttpUrl,
    /// `(jid, password)`, or `(domain, None)` for an anonymous login.
    login: (String, Option<String>),
    domain: String,
    allow_origin: String,
}

fn parse_args() -> Result<Args, String> {
    let (mut listen, mut bosh, mut jid, mut password, mut domain) =
        ("127.0.0.1:5290".to_owned(), None, None, None, None);
    let mut allow_origin = "*".to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = value()?,
            "--bosh" => bosh = Some(HttpUrl::parse(&value()?)?),
            "--jid" => jid = Some(value()?),
            "--password" => password = Some(value()?),
            "--domain" => domain = Some(value()?),
            "--allow-origin" => allow_origin = value()?,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    let bosh = bosh.ok_or("--bosh is required")?;
    let login = match (jid, password, domain) {
        (Some(jid), Some(pass), None) => (jid, Some(pass)),
        (None, None, Some(domain)) => (domain, None),
        _ => return Err("give either --jid and --password, or --domain".into()),
    };
    let parsed = Jid::parse(&login.0).map_err(|e| format!("{}: {e}", login.0))?;
    let domain = parsed.domain().to_owned();
    Ok(Args {
        listen,
        bosh,
        login,
        domain,
        allow_origin,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("prebind: {e}\nusage: prebind [--listen ADDR] --bosh URL (--jid JID --password PASS | --domain DOMAIN) [--allow-origin ORIGIN]");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(&args.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("prebind: cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    let addr = listener
        .local_addr()
        .map_or(args.listen.clone(), |a| a.to_string());
    println!("prebind: listening on http://{addr}/prebind");
    for stream in listener.incoming().flatten() {
        let args = Arc::clone(&args);
        thread::spawn(move || serve(stream, &args));
    }
}

fn wants_json(req: &Request) -> bool {
    match req.query_param("format") {
        Some(format) => format == "json",
        None => req
            .header("accept")
            .is_some_and(|a| a.contains("application/json")),
    }
}

/// A failed prebind (or a bad request): HTTP status, Strophe status name, condition.
struct Failure {
    http: u16,
    status: &'static str,
    condition: String,
}

impl Failure {
    fn new(http: u16, status: &'static str, condition: impl Into<String>) -> Self {
        Failure {
            http,
            status,
            condition: condition.into(),
        }
    }
}

/// A session ready for the page: bound JID, sid, next rid to use.
struct Prebound {
    jid: String,
    sid: String,
    rid: u64,
}

fn serve(mut stream: TcpStream, args: &Args) {
    let peer = stream
        .peer_addr()
        .map_or("?".into(), |a: SocketAddr| a.to_string());
    let origin = args.allow_origin.as_str();
    let req = match http::read_request(&mut stream) {
        Ok(r) => r,
        Err(e) => {
            let body = format!("bad request: {e}\n");
            return http::respond(&mut stream, origin, 400, "text/plain", &body);
        }
    };
    if req.path != "/prebind" {
        return http::respond(&mut stream, origin, 404, "text/plain", "not found\n");
    }
    let json = wants_json(&req);
    let started = Instant::now();
    let result = match req.method.as_str() {
        "OPTIONS" => return http::respond(&mut stream, origin, 204, "text/plain", ""),
        "GET" | "POST" => options_from(&req.body, &args.domain).and_then(|o| prebind(args, o)),
        _ => Err(Failure::new(405, "ERROR", "method-not-allowed")),
    };
    let ms = started.elapsed().as_millis();
    match &result {
        Ok(p) => println!(
            "prebind: {peer} -> {} sid={} next-rid={} ({ms} ms)",
            p.jid, p.sid, p.rid
        ),
        Err(f) => println!(
            "prebind: {peer} -> failed: {} {} ({ms} ms)",
            f.status, f.condition
        ),
    }
    let (code, body) = match (&result, json) {
        (Ok(p), true) => (200, prebound_json(p)),
        (Ok(p), false) => (200, prebound_xml(p)),
        (Err(f), true) => (f.http, failure_json(f)),
        (Err(f), false) => (f.http, failure_xml(f)),
    };
    let ctype = if json {
        "application/json"
    } else {
        "text/xml; charset=utf-8"
    };
    http::respond(&mut stream, origin, code, ctype, &body);
}

fn failure_json(f: &Failure) -> String {
    serde_json::json!({"status": f.status, "condition": f.condition}).to_string()
}

fn failure_xml(f: &Failure) -> String {
    Element::new("body")
        .with_attr("xmlns", ns::HTTPBIND)
        .with_attr("type", "terminate")
        .with_attr("status", f.status)
        .with_attr("condition", f.condition.as_str())
        .to_xml()
}

fn prebound_json(p: &Prebound) -> String {
    serde_json::json!({"jid": p.jid, "sid": p.sid, "rid": p.rid}).to_string()
}

fn prebound_xml(p: &Prebound) -> String {
    let bind = Element::new("bind")
        .with_attr("xmlns", ns::BIND)
        .with_child(Element::new("jid").with_text(p.jid.as_str()));
    let iq = Element::new("iq")
        .with_attr("xmlns", ns::CLIENT)
        .with_attr("type", "result")
        .with_child(bind);
    Element::new("body")
        .with_attr("xmlns", ns::HTTPBIND)
        .with_attr("sid", p.sid.as_str())
        .with_attr("rid", p.rid.saturating_sub(1).to_string())
        .with_child(iq)
        .to_xml()
}

/// Connection options from an optional BOSH-like `<body to wait hold/>`.
fn options_from(body: &[u8], domain: &str) -> Result<Options, Failure> {
    let bad = |why: &str| Failure::new(400, "ERROR", why);
    // Fail fast when the service is unreachable: 3 attempts, about 1 s.
    let mut options = Options {
        max_retries: 2,
        ..Options::default()
    };
    let text = std::str::from_utf8(body)
        .map_err(|_| bad("bad-request"))?
        .trim();
    if text.is_empty() {
        return Ok(options);
    }
    let el = xml::parse(text).map_err(|e| bad(e.condition()))?;
    if el.local_name() != "body" {
        return Err(bad("bad-request"));
    }
    if el
        .attr("to")
        .is_some_and(|to| !to.eq_ignore_ascii_case(domain))
    {
        return Err(bad("host-unknown"));
    }
    let number = |name: &str, max: u32| match el.attr(name).map(str::parse::<u32>) {
        None => Ok(None),
        Some(Ok(n)) if n <= max => Ok(Some(n)),
        Some(_) => Err(bad("bad-request")),
    };
    if let Some(wait) = number("wait", 300)? {
        options.wait = wait.max(1);
    }
    if let Some(hold) = number("hold", 10)? {
        options.hold = hold;
    }
    Ok(options)
}

/// Logs in with the core and drives it by hand until CONNECTED.
fn prebind(args: &Args, options: Options) -> Result<Prebound, Failure> {
    let rng = Urandom::open().map_err(|_| Failure::new(500, "ERROR", "no-randomness"))?;
    // The core's deadline is 1.1 × wait + 2 s; let the socket outlive it a bit.
    let read_timeout = Duration::from_millis(u64::from(options.wait) * 1100 + 3000);
    let mut conn = Connection::new(args.bosh.text.clone(), options, Box::new(rng));
    let (jid, password) = &args.login;
    conn.connect(jid, password.as_deref())
        .map_err(|e| Failure::new(500, "ERROR", e.condition()))?;
    let origin = Instant::now();
    let (tx, rx) = mpsc::channel::<(u64, io::Result<(u16, String)>)>();
    let mut failure: Option<Failure> = None;
    loop {
        while let Some(event) = conn.poll_event() {
            if let Event::Status { status, condition } = event {
                let failed = matches!(
                    status,
                    Status::Error | Status::ConnFail | Status::AuthFail | Status::ConnTimeout
                );
                if failed && failure.is_none() {
                    let condition = condition.unwrap_or_else(|| "undefined-condition".into());
                    failure = Some(Failure::new(502, status.name(), condition));
                }
            }
        }
        match conn.status() {
            // Stop here: one more poll_transmit would send the long poll and
            // use up the rid the page is about to take.
            Status::Connected => {
                let (Some(jid), Some(session)) = (conn.jid(), conn.session()) else {
                    return Err(Failure::new(502, "ERROR", "undefined-condition"));
                };
                let sid = session.params().map(|p| p.sid.clone()).unwrap_or_default();
                let rid = session.next_rid();
                return Ok(Prebound {
                    jid: jid.to_string(),
                    sid,
                    rid,
                });
            }
            Status::Disconnected => {
                let lost = || Failure::new(502, "DISCONNECTED", "undefined-condition");
                return Err(failure.unwrap_or_else(lost));
            }
            _ => {}
        }
        let Some(left) = LOGIN_TIMEOUT.checked_sub(origin.elapsed()) else {
            let late = || Failure::new(502, "CONNTIMEOUT", "remote-connection-failed");
            return Err(failure.unwrap_or_else(late));
        };
        // Each request runs on its own thread, so one the server holds never
        // blocks the next; results come back over the channel as inputs.
        // After a failure keep driving: the core sends its terminate body.
        while let Some(t) = conn.poll_transmit(origin.elapsed()) {
            let (tx, url) = (tx.clone(), args.bosh.clone());
            thread::spawn(move || {
                let result = http::post(&url, &t.content_type, &t.body, read_timeout);
                let _ = tx.send((t.id, result));
            });
        }
        let due = conn
            .poll_timeout()
            .map(|d| d.saturating_sub(origin.elapsed()));
        let now = || origin.elapsed();
        match rx.recv_timeout(due.unwrap_or(left).min(left)) {
            Ok((id, Ok((status, body)))) => conn.handle_response(now(), id, status, &body),
            Ok((id, Err(_))) => conn.handle_transport_error(now(), id),
            Err(_) => conn.handle_timeout(now()),
        }
    }
}

/// Randomness for rids and SCRAM nonces, straight from the kernel's CSPRNG.
struct Urandom(File);

impl Urandom {
    fn open() -> io::Result<Self> {
        let mut f = File::open("/dev/urandom")?;
        f.read_exact(&mut [0u8; 8])?; // fail here, not inside the core
        Ok(Urandom(f))
    }
}

impl RandomSource for Urandom {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        self.0.read_exact(buf).expect("reading /dev/urandom");
    }
}
