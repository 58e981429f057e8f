//! The driver behind the narrow wasm ↔ JavaScript boundary: the sans-IO
//! [`Connection`](crate::connection::Connection) plus the handler table, taking and giving only strings and
//! numbers. It compiles on every target (its encoding is tested natively);
//! `src/web/mod.rs` exports it to JavaScript, where the hand-written layer in
//! `js/` does the I/O (fetch, timers, storage, DOM) and owns the public API.
//!
//! Outputs are JSON arrays, one per [`Driver::poll`] call, read with
//! `JSON.parse`:
//!
//! | array | meaning |
//! |---|---|
//! | `[0, status, condition?]` | the status changed |
//! | `[1, [handler ids], tree]` | a stanza and the handlers it matches now (none: an unhandled IQ get/set was answered `service-unavailable` already) |
//! | `[2, id, isError, condition, tree]` | the answer to a tracked stanza |
//! | `[3, id, reason]` | a tracked stanza got no answer (`timeout`, `disconnected`, `session-moved`) |
//! | `[4, timerId]` | a timed handler is due |
//! | `[5, attemptId, rid, url, body, contentType, [[name, value]…], withCredentials, keepalive]` | an HTTP request to make (BOSH) |
//! | `[6, 0, url]` / `[6, 1, text]` / `[6, 2]` | WebSocket: open a socket (subprotocol `xmpp`) / send one text frame / close the socket |
//! | `[7, condition, [tree…]]` | XEP-0198 `<failed/>`: stanzas sent but never acknowledged, which may be lost |
//! | `[8]` | a reconnect of an attached session wants a new prebound session: `ATTACH` with `n = 1`, or `PREBIND_FAILED` |
//!
//! The service may be a list (one URL a line, in order of preference): a
//! `connect` whose service fails before stream features arrived (a
//! WebSocket that cannot be opened or closes first) starts again on the
//! next one; the CONNFAIL and DISCONNECTED of the failed one are not
//! reported.
//!
//! A `tree` is an element as `[name, [attribute name, value, …], [child…]]`, a child being a
//! tree or a string of text: the JavaScript layer builds DOM nodes from it directly, which is
//! several times faster than a `DOMParser` per stanza. Command errors come back as
//! `!condition\tmessage`.

use crate::connection::handlers::{unhandled_iq_reply, HandlerId, Handlers, Matcher};
use crate::connection::{
    self as core, stanza_error_condition, CommandError, Event, Options, Snapshot, Status,
    WsSnapshot, OPTION_KINDS,
};
use crate::json::{self, Value};
use crate::rand::RandomSource;
use crate::websocket::Transmit as WsTransmit;
use crate::xml::Element;
use std::time::Duration;

/// The commands of [`Driver::command`], by number (the JavaScript layer uses
/// the same numbers).
pub mod op {
    /// `connect(jid = a, password = b if n = 1)`.
    pub const CONNECT: u32 = 1;
    /// `attach(jid = a, b = "sid\nrid\nwait\nhold\nwind\nurl")` (empty:
    /// absent; `url`: the cluster node that bound the session); `n = 1`:
    /// only as the answer to `[8]` (a reconnect waiting for a prebind).
    pub const ATTACH: u32 = 2;
    /// `restore(snapshot JSON = a)`: a BOSH [`Snapshot`](crate::connection::Snapshot) or, with
    /// `"transport":"websocket"`, a [`WsSnapshot`](crate::connection::WsSnapshot) (refused with
    /// `no-scram-keys` when it has none); the service of the list it
    /// belongs to is chosen.
    pub const RESTORE: u32 = 3;
    /// `adopt(snapshot JSON = a, queued stanzas to keep from = n)`.
    pub const ADOPT: u32 = 4;
    /// `relinquish(condition = a)`.
    pub const RELINQUISH: u32 = 5;
    /// `send(xml = a)`.
    pub const SEND: u32 = 6;
    /// Parses `a`, which must be an `<b/>` stanza (`iq`/`presence`), and keeps
    /// it for [`TRACK`]; returns `=` followed by its `id` attribute, or `-`.
    pub const PREPARE: u32 = 7;
    /// Sends the stanza [`PREPARE`] kept, tracked, with a timeout of `n` ms
    /// (negative: none); returns its id.
    pub const TRACK: u32 = 8;
    /// Adds a timer of period `n` ms; returns its id.
    pub const ADD_TIMER: u32 = 9;
    /// Removes timer `n`; returns `1` or `0`.
    pub const REMOVE_TIMER: u32 = 10;
    /// `bind(resource = a if n = 1)`.
    pub const BIND: u32 = 11;
    /// Pauses sending.
    pub const PAUSE: u32 = 12;
    /// Resumes sending.
    pub const RESUME: u32 = 13;
    /// Sends queued stanzas now.
    pub const FLUSH: u32 = 14;
    /// `disconnect(reason = a if n = 1)`.
    pub const DISCONNECT: u32 = 15;
    /// Adds a handler: `a` = JSON `[ns, name, types, id, from, bareFrom,
    /// ignoreFragment]`; returns its id.
    pub const ADD_HANDLER: u32 = 16;
    /// Removes handler `n`; returns `1` or `0`.
    pub const DELETE_HANDLER: u32 = 17;
    /// The prebind `[8]` asked for failed (condition = a).
    pub const PREBIND_FAILED: u32 = 18;
}

/// The getters of [`Driver::get`].
pub mod get {
    /// The status number.
    pub const STATUS: u32 = 0;
    /// The JID (empty: none).
    pub const JID: u32 = 1;
    /// The SASL mechanism (empty: none).
    pub const MECHANISM: u32 = 2;
    /// `1` when authenticated.
    pub const AUTHENTICATED: u32 = 3;
    /// `1` when connected.
    pub const CONNECTED: u32 = 4;
    /// `1` when paused.
    pub const PAUSED: u32 = 5;
    /// The service URL.
    pub const SERVICE: u32 = 6;
    /// The snapshot JSON (empty: no session to keep).
    pub const SNAPSHOT: u32 = 7;
    /// Milliseconds until the next deadline (empty: none).
    pub const TIMEOUT: u32 = 8;
    /// The largest response accepted, in bytes.
    pub const MAX_RESPONSE: u32 = 9;
    /// How the last attempt failed: `H<status>`, `N` (network), `T`
    /// (timeout), or empty.
    pub const FAILURE: u32 = 10;
    /// `1` when an attached session is not confirmed yet.
    pub const ATTACHING: u32 = 11;
    /// `1` when the options ask for ANONYMOUS or EXTERNAL.
    pub const ANONYMOUS_OK: u32 = 12;
    /// The number of stanzas queued in the snapshot (for `adopt`).
    pub const QUEUED: u32 = 13;
    /// The transport: `websocket` or `bosh`.
    pub const TRANSPORT: u32 = 14;
}

/// Inputs of [`Driver::input`] that are not an HTTP status.
pub mod input {
    /// The request failed (network error).
    pub const TRANSPORT_ERROR: i32 = -1;
    /// The response was larger than allowed and not read.
    pub const OVERSIZED: i32 = -2;
    /// Every request on the wire is lost (back from the back-forward cache).
    pub const ALL_LOST: i32 = -3;
    /// The timer fired.
    pub const TIMEOUT: i32 = -4;
    /// The WebSocket opened.
    pub const WS_OPEN: i32 = -5;
    /// A WebSocket text frame arrived (the text).
    pub const WS_FRAME: i32 = -6;
    /// The WebSocket closed or could not be opened.
    pub const WS_CLOSED: i32 = -7;
}

/// The statuses that end a login or session (the JavaScript layer's
/// `FAILED`): a `connect` that reaches one is over.
const FAILED: [Status; 6] = [
    Status::Error,
    Status::ConnFail,
    Status::AuthFail,
    Status::Disconnected,
    Status::ConnTimeout,
    Status::AttachFail,
];

/// The core and the handler table behind the JavaScript boundary.
pub struct Driver {
    conn: core::Connection,
    handlers: Handlers<()>,
    prepared: Option<Element>,
    /// The services in order of preference (the first is the core's).
    services: Vec<String>,
    /// The index of the service in use.
    current: usize,
    /// The JID and password of the `connect` in progress, for a fallback
    /// to the next service; dropped once connected or failed for good.
    login: Option<(String, Option<String>)>,
    /// A fallback is under way: the failed service's DISCONNECTED starts it.
    falling_back: bool,
}

/// Milliseconds (a JavaScript number) as a `Duration`; negative or NaN is 0.
pub fn ms(x: f64) -> Duration {
    if x > 0.0 {
        Duration::from_micros((x * 1000.0) as u64)
    } else {
        Duration::ZERO
    }
}

fn err(e: &CommandError) -> String {
    let mut s = String::from("!");
    s.push_str(e.condition());
    s.push('\t');
    s.push_str(&e.to_string());
    s
}

fn bad(condition: &str, message: &str) -> String {
    let mut s = String::from("!");
    s.push_str(condition);
    s.push('\t');
    s.push_str(message);
    s
}

fn done(r: Result<(), CommandError>) -> String {
    match r {
        Ok(()) => String::new(),
        Err(e) => err(&e),
    }
}

fn flag(b: bool) -> String {
    String::from(if b { "1" } else { "0" })
}

fn num(n: u64) -> String {
    let mut s = String::new();
    json::write_u64(&mut s, n);
    s
}

/// An optional field of a command: absent when empty.
fn opt(s: &str) -> Option<u32> {
    if s.is_empty() {
        None
    } else {
        s.parse().ok()
    }
}

impl Driver {
    /// A driver for `service`: entries one a line, in order of preference,
    /// each an absolute URL (`ws(s)://` WebSocket, else BOSH) or a BOSH
    /// cluster (its node URLs joined by single spaces; the core refuses an
    /// invalid one at `connect`), with options as the JSON the JavaScript
    /// layer checked ([`Options::from_json`]).
    pub fn new(service: &str, options: &str, rng: Box<dyn RandomSource>) -> Result<Driver, String> {
        let options = Options::from_json(options).map_err(|e| String::from(e.what()))?;
        let services: Vec<String> = service.split('\n').map(str::to_owned).collect();
        Ok(Driver {
            conn: core::Connection::new(services[0].as_str(), options, rng),
            handlers: Handlers::default(),
            prepared: None,
            services,
            current: 0,
            login: None,
            falling_back: false,
        })
    }

    /// Back to the first service for a new `connect` or `restore`.
    fn first_service(&mut self, url: Option<&str>) {
        // A cluster entry holds the snapshot's node among its nodes.
        let i = url
            .and_then(|u| {
                self.services
                    .iter()
                    .position(|s| s == u || s.split(' ').any(|n| n == u))
            })
            .unwrap_or(0);
        if self.conn.set_service(&self.services[i]).is_ok() {
            self.current = i;
        }
        self.falling_back = false;
    }

    /// The core (for tests).
    pub fn connection(&self) -> &core::Connection {
        &self.conn
    }

    /// A command (see [`op`]): empty or a value on success, `!condition\tmessage`
    /// on error.
    pub fn command(&mut self, now: f64, op: u32, a: &str, b: &str, n: f64) -> String {
        let now = ms(now);
        let c = &mut self.conn;
        match op {
            op::CONNECT => {
                let password = (n == 1.0).then_some(b);
                self.first_service(None);
                let r = self.conn.connect(a, password);
                self.login = r
                    .is_ok()
                    .then(|| (a.to_owned(), password.map(str::to_owned)));
                done(r)
            }
            op::ATTACH => {
                let mut f = b.split('\n');
                let sid = f.next().unwrap_or("");
                let rid = f.next().and_then(|r| r.trim().parse::<u64>().ok());
                let (wait, hold, wind) = (
                    opt(f.next().unwrap_or("")),
                    opt(f.next().unwrap_or("")),
                    opt(f.next().unwrap_or("")),
                );
                let url = f.next().filter(|u| !u.is_empty());
                if (n == 1.0) != c.awaiting_prebind() {
                    return bad("invalid-state", "no reconnect waits for this prebind");
                }
                let Some(rid) = rid else {
                    return bad("bad-options", "rid must be a positive integer");
                };
                if n != 1.0 && url.is_some() {
                    // The list entry (a cluster) that holds the node.
                    self.first_service(url);
                }
                done(self.conn.attach_at(url, a, sid, rid, wait, hold, wind))
            }
            op::RESTORE | op::ADOPT => {
                let Ok(v) = json::parse(a) else {
                    return bad("bad-snapshot", "unreadable snapshot");
                };
                if op == op::RESTORE && WsSnapshot::is_ws(&v) {
                    return match WsSnapshot::from_json_value(&v) {
                        Err(_) => bad("bad-snapshot", "unreadable snapshot"),
                        Ok(s) if s.scram.is_none() => bad(
                            "no-scram-keys",
                            "the login (PLAIN or ANONYMOUS) left no SCRAM keys to resume with: log in again",
                        ),
                        Ok(s) => {
                            self.login = None;
                            self.first_service(Some(&s.service));
                            done(self.conn.restore_ws(&s))
                        }
                    };
                }
                match Snapshot::from_json_value(&v) {
                    Err(_) => bad("bad-snapshot", "unreadable snapshot"),
                    Ok(s) if op == op::RESTORE => {
                        self.login = None;
                        self.first_service(Some(s.session.service()));
                        done(self.conn.restore(&s))
                    }
                    Ok(s) => done(self.conn.adopt(&s, n as usize)),
                }
            }
            op::RELINQUISH => {
                c.relinquish(a);
                String::new()
            }
            op::SEND => done(c.send_xml(now, a)),
            op::PREPARE => {
                let el = match crate::xml::parse_standalone(a) {
                    Ok(el) => el,
                    Err(e) => {
                        let mut m = String::from("stanza is not one well-formed element: ");
                        m.push_str(&e.to_string());
                        return bad(e.condition(), &m);
                    }
                };
                if el.local_name() != b {
                    let mut m = String::from("stanza must be an <");
                    for p in [b, "/> stanza, got <", &el.name, "/>"] {
                        m.push_str(p);
                    }
                    return bad("bad-format", &m);
                }
                let out = match el.attr("id") {
                    Some(id) => String::from("=") + id,
                    None => String::from("-"),
                };
                self.prepared = Some(el);
                out
            }
            op::TRACK => {
                let Some(el) = self.prepared.take() else {
                    return bad("invalid-state", "nothing prepared");
                };
                let timeout = (n >= 0.0).then(|| Duration::from_millis(n as u64));
                match c.send_tracked(now, el, timeout) {
                    Ok(id) => String::from("=") + &id,
                    Err(e) => err(&e),
                }
            }
            op::ADD_TIMER => num(c.add_timer(now, Duration::from_millis(n as u64))),
            op::REMOVE_TIMER => flag(c.remove_timer(n as u64)),
            op::BIND => done(c.bind((n == 1.0).then_some(a))),
            op::PAUSE => {
                c.pause();
                String::new()
            }
            op::RESUME => {
                c.resume();
                String::new()
            }
            op::FLUSH => {
                c.flush();
                String::new()
            }
            op::DISCONNECT => {
                c.disconnect((n == 1.0).then_some(a));
                String::new()
            }
            op::ADD_HANDLER => match matcher(a) {
                Some(m) => num(self.handlers.add(m, ()).0),
                None => bad("bad-options", "unreadable handler"),
            },
            op::DELETE_HANDLER => flag(self.handlers.remove(HandlerId(n as u64))),
            op::PREBIND_FAILED => {
                c.prebind_failed(now, a);
                String::new()
            }
            _ => bad("bad-options", "unknown command"),
        }
    }

    /// An input (see [`input`]): the answer to attempt `id` with HTTP
    /// `status` ≥ 0 and body `text`, or one of the negative codes.
    pub fn input(&mut self, now: f64, id: f64, status: i32, text: &str) {
        let (now, id) = (ms(now), id as u64);
        let c = &mut self.conn;
        match status {
            input::TRANSPORT_ERROR => c.handle_transport_error(now, id),
            input::OVERSIZED => c.handle_oversized_response(now, id),
            input::ALL_LOST => c.handle_all_lost(now),
            input::TIMEOUT => c.handle_timeout(now),
            input::WS_OPEN => c.handle_ws_open(now),
            input::WS_FRAME => c.handle_ws_frame(now, text),
            input::WS_CLOSED => c.handle_ws_closed(now),
            s => c.handle_response(now, id, u16::try_from(s).unwrap_or(0), text),
        }
    }

    /// The next output: an event if there is one, else (when `transmit`) a
    /// request to make; empty when there is nothing. A stanza comes with the
    /// handlers matching it at this moment; one no handler wants is answered
    /// here if it is an IQ get/set.
    pub fn poll(&mut self, now: f64, transmit: bool) -> String {
        let mut out = String::from("[");
        let ev = loop {
            match self.conn.poll_event() {
                Some(Event::Status { status, .. }) if self.fall_back(status) => continue,
                ev => break ev,
            }
        };
        match ev {
            Some(Event::Status { status, condition }) => {
                if matches!(status, Status::Connected) || FAILED.contains(&status) {
                    self.login = None;
                }
                out.push_str("0,");
                json::write_u64(&mut out, status as u64);
                if let Some(c) = condition {
                    out.push(',');
                    json::write_str(&mut out, &c);
                }
            }
            Some(Event::Stanza(el)) => {
                let ids = self.handlers.matching(&el);
                if ids.is_empty() {
                    if let Some(reply) = unhandled_iq_reply(&el) {
                        let _ = self.conn.send(ms(now), reply);
                    }
                }
                out.push_str("1,[");
                for (i, (id, ())) in ids.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::write_u64(&mut out, id.0);
                }
                out.push_str("],");
                write_tree(&el, &mut out);
            }
            Some(Event::Answer { id, stanza }) => {
                out.push_str("2,");
                json::write_str(&mut out, &id);
                out.push_str(if stanza.attr("type") == Some("error") {
                    ",true,"
                } else {
                    ",false,"
                });
                json::write_str(&mut out, &stanza_error_condition(&stanza));
                out.push(',');
                write_tree(&stanza, &mut out);
            }
            Some(Event::NoAnswer { id, reason }) => {
                out.push_str("3,");
                json::write_str(&mut out, &id);
                out.push(',');
                json::write_str(&mut out, reason);
            }
            Some(Event::Timer { id }) => {
                out.push_str("4,");
                json::write_u64(&mut out, id);
            }
            None => {
                if self.conn.poll_prebind_wanted() {
                    out.push_str("8]");
                    return out;
                }
                if let Some(u) = self.conn.poll_unacknowledged() {
                    out.push_str("7,");
                    json::write_str(&mut out, &u.condition);
                    out.push_str(",[");
                    for (i, el) in u.stanzas.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        write_tree(el, &mut out);
                    }
                    out.push_str("]]");
                    return out;
                }
                if !transmit {
                    return String::new();
                }
                if let Some(t) = self.conn.poll_ws_transmit() {
                    match t {
                        WsTransmit::Open { url } => {
                            out.push_str("6,0,");
                            json::write_str(&mut out, &url);
                        }
                        WsTransmit::Frame(text) => {
                            out.push_str("6,1,");
                            json::write_str(&mut out, &text);
                        }
                        WsTransmit::Close => out.push_str("6,2"),
                    }
                    out.push(']');
                    return out;
                }
                let Some(t) = self.conn.poll_transmit(ms(now)) else {
                    return String::new();
                };
                out.push_str("5,");
                json::write_u64(&mut out, t.id);
                out.push(',');
                json::write_u64(&mut out, t.rid);
                for s in [&t.url, &t.body, &t.content_type] {
                    out.push(',');
                    json::write_str(&mut out, s);
                }
                out.push_str(",[");
                for (i, (k, v)) in t.headers.iter().enumerate() {
                    out.push_str(if i > 0 { ",[" } else { "[" });
                    json::write_str(&mut out, k);
                    out.push(',');
                    json::write_str(&mut out, v);
                    out.push(']');
                }
                out.push_str("],");
                out.push_str(if t.with_credentials {
                    "true,"
                } else {
                    "false,"
                });
                out.push_str(if t.keepalive { "true" } else { "false" });
            }
        }
        out.push(']');
        out
    }

    /// Whether the status event `status` is the failure of a service of the
    /// list before stream features, which is not reported: its CONNFAIL is
    /// dropped, and its DISCONNECTED starts the same login on the next
    /// service.
    fn fall_back(&mut self, status: Status) -> bool {
        match status {
            Status::ConnFail => {
                self.falling_back = self.login.is_some()
                    && !self.conn.features_seen()
                    && self.current + 1 < self.services.len();
                self.falling_back
            }
            Status::Disconnected if self.falling_back => {
                self.falling_back = false;
                let Some((jid, password)) = self.login.clone() else {
                    return false;
                };
                self.current += 1;
                let ok = self.conn.set_service(&self.services[self.current]).is_ok()
                    && self.conn.connect(&jid, password.as_deref()).is_ok();
                // A failed restart (it cannot, the JID connected before) is
                // reported as the DISCONNECTED it is.
                ok
            }
            _ => false,
        }
    }

    /// A getter (see [`get`]).
    pub fn get(&self, now: f64, what: u32) -> String {
        let c = &self.conn;
        match what {
            get::STATUS => num(c.status() as u64),
            get::JID => c.jid().map(|j| j.to_string()).unwrap_or_default(),
            get::MECHANISM => c.mechanism().unwrap_or("").into(),
            get::AUTHENTICATED => flag(c.authenticated()),
            get::CONNECTED => flag(c.connected()),
            get::PAUSED => flag(c.paused()),
            get::SERVICE => c.service().into(),
            get::SNAPSHOT => match c.snapshot() {
                Some(s) => s.to_json(),
                None => c.ws_snapshot().map(|s| s.to_json()).unwrap_or_default(),
            },
            get::TRANSPORT => c.transport_kind().name().into(),
            get::QUEUED => c
                .snapshot()
                .map(|s| num(s.session.queued.len() as u64))
                .unwrap_or_default(),
            get::TIMEOUT => match c.poll_timeout() {
                Some(d) => num(d.saturating_sub(ms(now)).as_millis() as u64),
                None => String::new(),
            },
            get::MAX_RESPONSE => num(c.max_response_size() as u64),
            get::FAILURE => {
                use crate::bosh::Failure;
                match c.session().and_then(|s| s.last_failure()) {
                    Some(Failure::Http(code)) => String::from("H") + &num(u64::from(code)),
                    Some(Failure::Network) => "N".into(),
                    Some(Failure::Timeout) => "T".into(),
                    _ => String::new(),
                }
            }
            get::ATTACHING => flag(c.status() == Status::Attached && c.attaching()),
            get::ANONYMOUS_OK => flag(
                c.options()
                    .mechanisms
                    .as_ref()
                    .is_some_and(|m| m.iter().any(|m| m == "ANONYMOUS" || m == "EXTERNAL")),
            ),
            _ => String::new(),
        }
    }
}

/// `el` as `[name, [attribute name, value, …], [child…]]` (depth is capped by the parser).
fn write_tree(el: &Element, out: &mut String) {
    out.push('[');
    json::write_str(out, &el.name);
    out.push_str(",[");
    for (i, (k, v)) in el.attrs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json::write_str(out, k);
        out.push(',');
        json::write_str(out, v);
    }
    out.push_str("],[");
    for (i, child) in el.children.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match child {
            crate::xml::Node::Element(e) => write_tree(e, out),
            crate::xml::Node::Text(t) => json::write_str(out, t),
        }
    }
    out.push_str("]]");
}

/// A handler's matcher from `[ns, name, types, id, from, bareFrom,
/// ignoreFragment]` (`null` for absent fields).
fn matcher(a: &str) -> Option<Matcher> {
    let v = json::parse(a).ok()?;
    let f = v.as_array()?;
    let s = |i: usize| f.get(i).and_then(Value::as_str).map(str::to_owned);
    let types = match f.get(2)? {
        Value::Null => None,
        Value::Arr(items) => Some(
            items
                .iter()
                .map(|t| t.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?,
        ),
        _ => return None,
    };
    Some(Matcher {
        ns: s(0),
        name: s(1),
        types,
        id: s(3),
        from: s(4),
        match_bare_from_jid: f.get(5)?.as_bool()?,
        ignore_namespace_fragment: f.get(6)?.as_bool()?,
    })
}

/// Helpers without a connection (see the numbers): `0` checks a JID (empty:
/// invalid, `n`: with a node, `d`: a bare domain); `1` reads a prebind answer
/// (JSON `{"jid","sid","rid"}` or `!message`); `2` says whether a snapshot is
/// readable, BOSH or WebSocket (`1`/`0`); `3` lists the options as `name:kind,…` and the SASL
/// mechanisms, `|`-separated, then the least SCRAM iteration count.
pub fn util(what: u32, a: &str) -> String {
    match what {
        0 => match crate::jid::Jid::parse(a) {
            Ok(j) if j.node().is_some() => "n".into(),
            Ok(_) => "d".into(),
            Err(_) => String::new(),
        },
        1 => match core::prebind::parse_prebind_response(a) {
            Ok(t) => {
                let mut out = String::new();
                let mut o = json::Obj::new(&mut out);
                o.str("jid", &t.jid);
                o.str("sid", &t.sid);
                o.u64("rid", t.rid);
                if let Some(u) = &t.url {
                    o.str("url", u);
                }
                o.end();
                out
            }
            Err(m) => String::from("!") + &m,
        },
        2 => flag(Snapshot::from_json(a).is_ok() || WsSnapshot::from_json(a).is_ok()),
        3 => {
            let mut out = String::new();
            for (i, (name, kind)) in OPTION_KINDS.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(name);
                out.push(':');
                out.push_str(&num(*kind as u64));
            }
            out.push('|');
            out.push_str(&crate::sasl::DEFAULT_PREFERENCE.join(","));
            out.push('|');
            out.push_str(&num(u64::from(crate::sasl::MIN_ITERATIONS)));
            out
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rand::XorShift;

    fn driver(options: &str) -> Driver {
        Driver::new(
            "http://example.org/http-bind",
            options,
            Box::new(XorShift::new(7)),
        )
        .unwrap()
    }

    fn json(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
    }

    #[test]
    fn options_are_read_and_refused_with_the_readers_message() {
        assert!(
            Driver::new("http://x/", "{\"wiat\":1}", Box::new(XorShift::new(1)))
                .err()
                .unwrap()
                .contains("wiat")
        );
        let d = driver("{\"mechanisms\":[\"ANONYMOUS\"]}");
        assert_eq!(d.get(0.0, get::ANONYMOUS_OK), "1");
        assert_eq!(driver("{}").get(0.0, get::ANONYMOUS_OK), "0");
    }

    #[test]
    fn a_connect_polls_a_status_then_a_request_as_json() {
        let mut d = driver("{\"customHeaders\":{\"X-A\":\"b\\\"c\"}}");
        assert_eq!(
            d.command(0.0, op::CONNECT, "alice@example.org", "pw", 1.0),
            ""
        );
        let ev = json(&d.poll(0.0, true));
        assert_eq!(ev, serde_json::json!([0, 1]));
        // Nothing leaves while transmitting is not allowed (after pagehide).
        assert_eq!(d.poll(0.0, false), "");
        let t = json(&d.poll(0.0, true));
        assert_eq!(t[0], 5);
        assert_eq!(t[3], "http://example.org/http-bind");
        assert!(t[4].as_str().unwrap().starts_with("<body "));
        assert_eq!(t[6], serde_json::json!([["X-A", "b\"c"]]));
        assert_eq!((t[7].clone(), t[8].clone()), (false.into(), false.into()));
        assert_eq!(d.poll(0.0, true), "");
        // The request's deadline is the next timeout, in ms from now.
        let ms: u64 = d.get(1000.0, get::TIMEOUT).parse().unwrap();
        assert!(ms > 0 && ms < 70_000, "{ms}");
        // A transport error of that attempt is an input; nothing breaks.
        d.input(10.0, t[1].as_f64().unwrap(), input::TRANSPORT_ERROR, "");
        assert_eq!(d.get(10.0, get::FAILURE), "N");
    }

    #[test]
    fn command_errors_carry_a_condition_and_a_message() {
        let mut d = driver("{}");
        let r = d.command(0.0, op::SEND, "<a/><b/>", "", 0.0);
        assert!(r.starts_with("!bad-format\t"), "{r}");
        let r = d.command(0.0, op::CONNECT, "not a jid@", "", 0.0);
        assert!(r.starts_with("!jid-malformed\t"), "{r}");
        let r = d.command(0.0, op::PREPARE, "<message/>", "iq", 0.0);
        assert_eq!(
            r,
            "!bad-format\tstanza must be an <iq/> stanza, got <message/>"
        );
        assert_eq!(d.command(0.0, op::PREPARE, "<iq id='x'/>", "iq", 0.0), "=x");
        assert_eq!(d.command(0.0, op::PREPARE, "<iq/>", "iq", 0.0), "-");
        let r = d.command(0.0, op::ATTACH, "a@b/c", "sid\nx", 0.0);
        assert!(r.starts_with("!bad-options\t"), "{r}");
        assert!(d
            .command(0.0, op::RESTORE, "{", "", 0.0)
            .starts_with("!bad-snapshot"));
        assert!(d.command(0.0, 99, "", "", 0.0).starts_with("!bad-options"));
    }

    #[test]
    fn handlers_are_added_matched_and_removed() {
        let mut d = driver("{}");
        let a = d.command(
            0.0,
            op::ADD_HANDLER,
            "[null,\"message\",[\"chat\"],null,null,false,false]",
            "",
            0.0,
        );
        let b = d.command(
            0.0,
            op::ADD_HANDLER,
            "[\"urn:x\",null,null,null,null,false,true]",
            "",
            0.0,
        );
        assert_eq!((a.as_str(), b.as_str()), ("1", "2"));
        let el =
            crate::xml::parse_standalone("<message type='chat'><x xmlns='urn:x#f'/></message>")
                .unwrap();
        let ids: Vec<u64> = d.handlers.matching(&el).iter().map(|(h, ())| h.0).collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(d.command(0.0, op::DELETE_HANDLER, "", "", 1.0), "1");
        assert_eq!(d.command(0.0, op::DELETE_HANDLER, "", "", 1.0), "0");
        assert!(d
            .command(0.0, op::ADD_HANDLER, "[1]", "", 0.0)
            .starts_with("!bad-options"));
    }

    #[test]
    fn util_checks_jids_reads_prebind_answers_and_lists_the_options() {
        assert_eq!(util(0, "a@b/c"), "n");
        assert_eq!(util(0, "b"), "d");
        assert_eq!(util(0, "a@"), "");
        assert_eq!(
            json(&util(1, "{\"jid\":\"a@b/c\",\"sid\":\"s\",\"rid\":\"5\"}")),
            serde_json::json!({"jid": "a@b/c", "sid": "s", "rid": 5})
        );
        assert!(util(1, "nonsense").starts_with('!'));
        assert_eq!(util(2, "{"), "0");
        let ws = "{\"v\":1,\"transport\":\"websocket\",\"jid\":\"a@b/c\",\"service\":\"ws://b/ws\",\"url\":\"ws://b/ws\",\"sm\":{\"id\":\"x\",\"h\":0,\"acked\":0,\"unacked\":[]}}";
        assert_eq!(util(2, ws), "1");
        let list = util(3, "");
        let parts: Vec<&str> = list.split('|').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].split(',').count(), OPTION_KINDS.len());
        assert!(parts[0].starts_with("mechanisms:2,wait:3,"));
        assert!(parts[1].contains("SCRAM-SHA-512") && parts[1].contains("ANONYMOUS"));
        assert_eq!(parts[2], "4096");
    }

    /// Every output until there is none, parsed.
    fn drain(d: &mut Driver) -> Vec<serde_json::Value> {
        let mut v = Vec::new();
        loop {
            let out = d.poll(0.0, true);
            if out.is_empty() {
                return v;
            }
            v.push(json(&out));
        }
    }

    #[test]
    fn a_websocket_service_asks_for_a_socket_then_frames() {
        let mut d = Driver::new("ws://example.org/ws", "{}", Box::new(XorShift::new(3))).unwrap();
        assert_eq!(d.get(0.0, get::TRANSPORT), "websocket");
        assert_eq!(
            d.command(0.0, op::CONNECT, "alice@example.org", "pw", 1.0),
            ""
        );
        let out = drain(&mut d);
        assert_eq!(
            out,
            [
                serde_json::json!([0, 1]),
                serde_json::json!([6, 0, "ws://example.org/ws"])
            ]
        );
        d.input(1.0, 0.0, input::WS_OPEN, "");
        let out = drain(&mut d);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!((out[0][0].clone(), out[0][1].clone()), (6.into(), 1.into()));
        assert!(out[0][2].as_str().unwrap().starts_with("<open "), "{out:?}");
        // The server's features offer nothing usable: a frame is an input.
        d.input(2.0, 0.0, input::WS_FRAME, "<b/><c/>");
        let out = drain(&mut d);
        assert!(
            out.iter().any(|e| e[0] == 0 && e[1] == 2),
            "CONNFAIL: {out:?}"
        );
        assert!(
            out.iter().any(|e| *e == serde_json::json!([6, 2])),
            "{out:?}"
        );
    }

    #[test]
    fn a_list_falls_back_when_the_websocket_closes_before_features() {
        let mut d = Driver::new(
            "ws://example.org/ws\nhttp://example.org/http-bind",
            "{}",
            Box::new(XorShift::new(3)),
        )
        .unwrap();
        d.command(0.0, op::CONNECT, "alice@example.org", "pw", 1.0);
        drain(&mut d);
        d.input(1.0, 0.0, input::WS_CLOSED, "");
        let out = drain(&mut d);
        // Neither CONNFAIL nor DISCONNECTED: CONNECTING again, then the
        // first BOSH request with the next service.
        assert_eq!(out[0], serde_json::json!([0, 1]), "{out:?}");
        assert_eq!(out[1][0], 5, "{out:?}");
        assert_eq!(out[1][3], "http://example.org/http-bind");
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(d.get(0.0, get::TRANSPORT), "bosh");
        assert_eq!(d.get(0.0, get::SERVICE), "http://example.org/http-bind");
        // The last service failing is reported (nothing after it).
        let id = out[1][1].as_f64().unwrap();
        d.input(2.0, id, 404, "");
        let out = drain(&mut d);
        assert!(
            out.iter().any(|e| e[0] == 0 && e[1] == 2),
            "CONNFAIL: {out:?}"
        );
        // A new connect starts with the first service again.
        d.command(3.0, op::CONNECT, "alice@example.org", "pw", 1.0);
        assert_eq!(d.get(0.0, get::TRANSPORT), "websocket");
    }

    #[test]
    fn a_cluster_entry_falls_back_picks_a_node_and_restores_on_the_snapshots() {
        const LIST: &str = "ws://example.org/ws\nhttp://n1.example/h http://n2.example/h";
        let mut d = Driver::new(LIST, "{}", Box::new(XorShift::new(3))).unwrap();
        d.command(0.0, op::CONNECT, "alice@example.org", "pw", 1.0);
        drain(&mut d);
        d.input(1.0, 0.0, input::WS_CLOSED, "");
        let out = drain(&mut d);
        // The cluster entry: the session's first request goes to a node,
        // the one `service` reports.
        let url = out[1][3].as_str().unwrap().to_owned();
        assert!(url == "http://n1.example/h" || url == "http://n2.example/h");
        assert_eq!(d.get(0.0, get::SERVICE), url);
        // A session on n2 (made elsewhere), restored from its snapshot by a
        // driver of the list: the entry that holds n2, and n2 itself.
        let mut c = core::Connection::new(
            "http://n2.example/h",
            Options::default(),
            Box::new(XorShift::new(1)),
        );
        c.attach("alice@example.org/r", "s1", 100, None, None, None)
            .unwrap();
        let snap = c.snapshot().unwrap().to_json();
        for seed in 1..=4 {
            let mut d = Driver::new(LIST, "{}", Box::new(XorShift::new(seed))).unwrap();
            assert_eq!(d.command(0.0, op::RESTORE, &snap, "", 0.0), "");
            assert_eq!(d.get(0.0, get::SERVICE), "http://n2.example/h");
            let out = drain(&mut d);
            let t = out.iter().find(|e| e[0] == 5).unwrap();
            assert_eq!(t[3], "http://n2.example/h");
        }
    }

    #[test]
    fn a_websocket_failure_after_features_is_not_a_fallback() {
        let mut d = Driver::new(
            "ws://example.org/ws\nhttp://example.org/http-bind",
            "{}",
            Box::new(XorShift::new(3)),
        )
        .unwrap();
        d.command(0.0, op::CONNECT, "alice@example.org", "pw", 1.0);
        drain(&mut d);
        d.input(1.0, 0.0, input::WS_OPEN, "");
        drain(&mut d);
        d.input(
            2.0,
            0.0,
            input::WS_FRAME,
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.org' id='s' version='1.0'/>",
        );
        d.input(
            3.0,
            0.0,
            input::WS_FRAME,
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
        );
        drain(&mut d);
        d.input(4.0, 0.0, input::WS_CLOSED, "");
        let out = drain(&mut d);
        assert!(
            out.iter().any(|e| e[0] == 0 && e[1] == 2),
            "CONNFAIL: {out:?}"
        );
        assert!(
            out.iter().any(|e| e[0] == 0 && e[1] == 6),
            "DISCONNECTED: {out:?}"
        );
        assert_eq!(d.get(0.0, get::TRANSPORT), "websocket");
    }

    #[test]
    fn a_websocket_snapshot_without_scram_keys_is_refused_with_its_reason() {
        let mut d = Driver::new("ws://example.org/ws", "{}", Box::new(XorShift::new(3))).unwrap();
        let snap = "{\"v\":1,\"transport\":\"websocket\",\"jid\":\"a@example.org/r\",\"service\":\"ws://example.org/ws\",\"url\":\"ws://example.org/ws\",\"sm\":{\"id\":\"x\",\"h\":0,\"acked\":0,\"unacked\":[]}}";
        let r = d.command(0.0, op::RESTORE, snap, "", 0.0);
        assert!(r.starts_with("!no-scram-keys\t"), "{r}");
        assert_eq!(d.get(0.0, get::STATUS), "6");
    }
}
