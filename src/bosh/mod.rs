//! One BOSH session (XEP-0124, XEP-0206), client side, sans-IO.
//!
//! [`Session`] owns the request ids, the session id, the request window, the
//! queue of outgoing stanzas and the retry bookkeeping. It performs no I/O:
//!
//! * **commands**: [`Session::start`], [`Session::send`], [`Session::restart`],
//!   [`Session::pause`], [`Session::resume`], [`Session::flush`],
//!   [`Session::terminate`];
//! * **inputs**: [`Session::handle_response`],
//!   [`Session::handle_transport_error`], [`Session::handle_timeout`];
//! * **outputs**: [`Session::poll_transmit`] (an HTTP request to perform),
//!   [`Session::poll_timeout`] (when to call `handle_timeout` next) and
//!   [`Session::poll_event`].
//!
//! After every command or input, drain the outputs: call `poll_event` and
//! `poll_transmit` until they return `None`, then arm a timer for
//! `poll_timeout`. An extra call to `handle_timeout` is harmless.
//!
//! Invariants:
//! * a request id (rid) is used for exactly one body; a resend carries the same
//!   rid and byte-identical body;
//! * responses are processed strictly in rid order, whatever order they arrive in;
//! * never more than the server's `requests` in flight, plus one for terminate;
//! * a closed session stays closed: every later command is ignored.

mod body;
mod snapshot;

pub use body::{parse_body, ParsedBody};
pub use snapshot::{SessionSnapshot, Unanswered};

use crate::xml::Element;
use std::collections::VecDeque;
use std::time::Duration;

/// The highest BOSH protocol version implemented (XEP-0124 1.11).
pub const VERSION: &str = "1.11";

/// The largest initial rid: 2^53 − 2^32, so a session can never push the rid
/// past 2^53 − 1 (the largest integer JavaScript represents exactly).
pub const MAX_INITIAL_RID: u64 = (1 << 53) - (1 << 32);

/// Settings of a BOSH session, fixed when it is created.
#[derive(Clone, Debug)]
pub struct Config {
    /// The connection manager's URL.
    pub url: String,
    /// The domain of the XMPP service (`to`).
    pub to: String,
    /// `xml:lang` of the session.
    pub lang: String,
    /// The longest time (seconds) the server may hold a request.
    pub wait: u32,
    /// How many requests the server may hold at once.
    pub hold: u32,
    /// Optional `route` attribute (`xmpp:host:port`).
    pub route: Option<String>,
    /// Optional `from` attribute (the user's bare JID).
    pub from: Option<String>,
    /// `Content-Type` of the requests.
    pub content_type: String,
    /// Largest response body accepted, in bytes; a larger one ends the session
    /// with the condition `response-too-large`.
    pub max_body_size: usize,
    /// How many times one request is resent after a network error, HTTP 5xx or
    /// timeout before the session is declared lost.
    pub max_retries: u32,
    /// Optional delay to coalesce stanzas before a body leaves. `None` (the
    /// default) sends as soon as the caller drains the outputs.
    pub idle_interval: Option<Duration>,
    /// How long to wait for the answer to the terminate request.
    pub terminate_timeout: Duration,
}

impl Config {
    /// A configuration with the defaults: `wait` 60, `hold` 1, `xml:lang` en,
    /// `text/xml; charset=utf-8`, 4 MiB bodies, 5 retries.
    pub fn new(url: impl Into<String>, to: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            to: to.into(),
            lang: "en".into(),
            wait: 60,
            hold: 1,
            route: None,
            from: None,
            content_type: "text/xml; charset=utf-8".into(),
            max_body_size: 4 * 1024 * 1024,
            max_retries: 5,
            idle_interval: None,
            terminate_timeout: Duration::from_secs(5),
        }
    }

    /// Time after which an unanswered request counts as lost: 1.1 × `wait`
    /// plus a little slack for the network.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(u64::from(self.wait) * 1100 + 2000)
    }
}

/// What the server told us when the session was created.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionParams {
    /// Session id.
    pub sid: String,
    /// Longest time the server holds a request (seconds).
    pub wait: u32,
    /// Most requests the client may have in flight.
    pub requests: u32,
    /// Requests the server may hold.
    pub hold: u32,
    /// Shortest allowed interval between polls when `hold` is 0 (seconds).
    pub polling: Option<u32>,
    /// Longest allowed silence from the client (seconds).
    pub inactivity: Option<u32>,
    /// Longest pause the server allows (seconds); `None`: pausing unsupported.
    pub maxpause: Option<u32>,
    /// Protocol version of the server.
    pub ver: Option<String>,
    /// Whether the server supports `xmpp:restart` (XEP-0206).
    pub restart_logic: bool,
}

/// Something the application learns from the session.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The session-creation response was processed.
    Created(SessionParams),
    /// A stanza (or stream element) arrived, in rid order.
    Stanza(Element),
    /// The response to the request with this rid has been fully processed.
    Processed {
        /// The rid whose response was processed.
        rid: u64,
    },
    /// The session is over. `condition` is `None` after a clean terminate.
    Closed {
        /// Why the session ended (`remote-connection-failed`, `item-not-found`,
        /// `bad-format`, a server terminate condition, ...), or `None` when
        /// the client's own terminate was answered.
        condition: Option<String>,
    },
}

/// An HTTP request to perform: `POST url` with `body`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Identifies this attempt; give it back to `handle_response` or
    /// `handle_transport_error`. A resend of the same rid gets a new id, and
    /// answers to a superseded id are ignored: abort its request.
    pub id: u64,
    /// The request id carried by the body.
    pub rid: u64,
    /// Where to POST.
    pub url: String,
    /// The exact bytes to send.
    pub body: String,
    /// `Content-Type` header.
    pub content_type: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Create,
    Normal,
    Terminate,
}

#[derive(Debug)]
struct Request {
    rid: u64,
    kind: Kind,
    body: String,
    /// The current attempt on the wire: its id and deadline.
    attempt: Option<(u64, Duration)>,
    /// Earliest time of the next (re)send, when not on the wire.
    resend_at: Option<Duration>,
    failures: u32,
    /// A 200 body received out of order, waiting for earlier rids.
    response: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    New,
    Creating,
    Open,
    Closed,
}

/// One BOSH session. See the module documentation for the driving rules.
#[derive(Debug)]
pub struct Session {
    config: Config,
    state: State,
    params: Option<SessionParams>,
    next_rid: u64,
    in_flight: VecDeque<Request>,
    queue: Vec<String>,
    queued_since: Option<Duration>,
    flush_now: bool,
    restart_pending: bool,
    terminate_pending: Option<Vec<String>>,
    terminating: bool,
    paused: bool,
    long_poll: bool,
    next_id: u64,
    events: VecDeque<Event>,
}

impl Session {
    /// Creates an idle session. `initial_rid` should come from a CSPRNG; it is
    /// reduced to at most [`MAX_INITIAL_RID`].
    pub fn new(config: Config, initial_rid: u64) -> Self {
        Session {
            config,
            state: State::New,
            params: None,
            next_rid: (initial_rid % MAX_INITIAL_RID).max(1),
            in_flight: VecDeque::new(),
            queue: Vec::new(),
            queued_since: None,
            flush_now: false,
            restart_pending: false,
            terminate_pending: None,
            terminating: false,
            paused: false,
            long_poll: true,
            next_id: 1,
            events: VecDeque::new(),
        }
    }

    /// Creates a session that continues an existing one (attach): `rid` is the
    /// next rid to use.
    pub fn attached(config: Config, params: SessionParams, rid: u64) -> Self {
        let mut s = Session::new(config, 1);
        s.next_rid = rid;
        s.params = Some(params);
        s.state = State::Open;
        s
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The negotiated parameters, once the session exists.
    pub fn params(&self) -> Option<&SessionParams> {
        self.params.as_ref()
    }

    /// The rid the next new request will carry.
    pub fn next_rid(&self) -> u64 {
        self.next_rid
    }

    /// Whether the session is open (created and not closed).
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether new bodies are held back by [`Session::pause`].
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Number of requests sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether to keep an empty request at the server while nothing else is
    /// outstanding (on by default; the login flow never needs it off, but an
    /// application that only polls may want it).
    pub fn set_long_poll(&mut self, on: bool) {
        self.long_poll = on;
    }

    /// Queues the session-creation request.
    pub fn start(&mut self) {
        if self.state != State::New {
            return;
        }
        self.state = State::Creating;
        let rid = self.take_rid();
        let c = &self.config;
        let mut body = String::with_capacity(256);
        body.push_str("<body content='");
        crate::xml::escape_attr(&c.content_type, &mut body);
        body.push_str("' hold='");
        body.push_str(&c.hold.to_string());
        body.push_str("' rid='");
        body.push_str(&rid.to_string());
        body.push_str("' to='");
        crate::xml::escape_attr(&c.to, &mut body);
        if let Some(route) = &c.route {
            body.push_str("' route='");
            crate::xml::escape_attr(route, &mut body);
        }
        if let Some(from) = &c.from {
            body.push_str("' from='");
            crate::xml::escape_attr(from, &mut body);
        }
        body.push_str("' ver='");
        body.push_str(VERSION);
        body.push_str("' wait='");
        body.push_str(&c.wait.to_string());
        body.push_str("' xml:lang='");
        crate::xml::escape_attr(&c.lang, &mut body);
        body.push_str("' xmpp:version='1.0' xmlns='");
        body.push_str(crate::ns::HTTPBIND);
        body.push_str("' xmlns:xmpp='");
        body.push_str(crate::ns::XBOSH);
        body.push_str("'/>");
        self.in_flight.push_back(Request {
            rid,
            kind: Kind::Create,
            body,
            attempt: None,
            resend_at: Some(Duration::ZERO),
            failures: 0,
            response: None,
        });
    }

    /// Queues one serialised stanza for the next body.
    pub fn send(&mut self, now: Duration, stanza: String) {
        if self.state == State::Closed || self.terminating {
            return;
        }
        if self.queue.is_empty() {
            self.queued_since = Some(now);
        }
        self.queue.push(stanza);
    }

    /// Asks for a stream restart (`xmpp:restart='true'`) in the next body,
    /// which carries nothing else.
    pub fn restart(&mut self) {
        if self.state != State::Closed {
            self.restart_pending = true;
        }
    }

    /// Stops sending new bodies; the queue keeps filling.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Sends what queued while paused.
    pub fn resume(&mut self) {
        self.paused = false;
        self.flush_now = true;
    }

    /// Sends the queue now, without waiting for the idle interval.
    pub fn flush(&mut self) {
        self.flush_now = true;
    }

    /// Ends the session: the next body has `type='terminate'` and carries the
    /// queued stanzas plus `stanzas` (typically an unavailable presence).
    /// [`Event::Closed`] follows its answer, or `terminate_timeout`.
    pub fn terminate(&mut self, stanzas: Vec<String>) {
        match self.state {
            State::Closed => {}
            State::New => self.close(None),
            _ => {
                if !self.terminating && self.terminate_pending.is_none() {
                    self.terminate_pending = Some(stanzas);
                }
            }
        }
    }

    /// Input: the HTTP response to attempt `id`.
    pub fn handle_response(&mut self, now: Duration, id: u64, status: u16, body: &str) {
        let Some(idx) = self.position_of(id) else {
            return;
        };
        self.in_flight[idx].attempt = None;
        match status {
            200 => {
                if body.len() > self.config.max_body_size {
                    self.close(Some("response-too-large".into()));
                    return;
                }
                self.in_flight[idx].response = Some(body.to_owned());
                self.process_in_order(now);
            }
            400 => self.close(Some("bad-request".into())),
            403 => self.close(Some("policy-violation".into())),
            404 => self.close(Some("item-not-found".into())),
            _ => self.failed(now, idx),
        }
    }

    /// Input: attempt `id` failed at the network level (or was aborted).
    pub fn handle_transport_error(&mut self, now: Duration, id: u64) {
        if let Some(idx) = self.position_of(id) {
            self.in_flight[idx].attempt = None;
            self.failed(now, idx);
        }
    }

    /// Input: the time is now `now`; expire what is due.
    pub fn handle_timeout(&mut self, now: Duration) {
        let mut i = 0;
        while i < self.in_flight.len() {
            if let Some((_, deadline)) = self.in_flight[i].attempt {
                if deadline <= now {
                    self.in_flight[i].attempt = None;
                    if self.in_flight[i].kind == Kind::Terminate {
                        self.close(None);
                        return;
                    }
                    self.failed(now, i);
                    if self.state == State::Closed {
                        return;
                    }
                }
            }
            i += 1;
        }
    }

    /// Output: the next HTTP request to perform, if any may leave now.
    pub fn poll_transmit(&mut self, now: Duration) -> Option<Transmit> {
        if self.state == State::Closed {
            return None;
        }
        // 1. (Re)sends of requests that already own a rid, lowest rid first.
        let timeout = self.config.request_timeout();
        if let Some(req) = self.in_flight.iter_mut().find(|r| {
            r.attempt.is_none() && r.response.is_none() && r.resend_at.is_some_and(|t| t <= now)
        }) {
            let id = self.next_id;
            self.next_id += 1;
            let deadline = if req.kind == Kind::Terminate {
                now + self.config.terminate_timeout
            } else {
                now + timeout
            };
            req.attempt = Some((id, deadline));
            req.resend_at = None;
            return Some(Transmit {
                id,
                rid: req.rid,
                url: self.config.url.clone(),
                body: req.body.clone(),
                content_type: self.config.content_type.clone(),
            });
        }
        if self.state != State::Open || self.terminating {
            return None;
        }
        let window = self.params.as_ref().map_or(1, |p| p.requests.max(1)) as usize;
        // 2. Terminate: allowed one over the window, even while paused.
        if let Some(extra) = self.terminate_pending.take() {
            if self.in_flight.len() <= window {
                let mut payload = std::mem::take(&mut self.queue);
                payload.extend(extra);
                self.terminating = true;
                return Some(self.new_request(now, Kind::Terminate, "type='terminate' ", &payload));
            }
            self.terminate_pending = Some(extra);
            return None;
        }
        if self.paused || self.in_flight.len() >= window {
            return None;
        }
        // 3. A restart leaves alone.
        if self.restart_pending {
            if !self.in_flight.is_empty() {
                return None;
            }
            self.restart_pending = false;
            let mut extra = String::from("xml:lang='");
            crate::xml::escape_attr(&self.config.lang, &mut extra);
            extra.push_str("' to='");
            crate::xml::escape_attr(&self.config.to, &mut extra);
            extra.push_str("' xmpp:restart='true' xmlns:xmpp='");
            extra.push_str(crate::ns::XBOSH);
            extra.push_str("' ");
            return Some(self.new_request(now, Kind::Normal, &extra, &[]));
        }
        // 4. Queued stanzas, once the idle interval (if any) has passed.
        if !self.queue.is_empty() && (self.flush_now || self.idle_due(now)) {
            self.flush_now = false;
            self.queued_since = None;
            let payload = std::mem::take(&mut self.queue);
            return Some(self.new_request(now, Kind::Normal, "", &payload));
        }
        // 5. The long poll: keep one request at the server.
        if self.long_poll && self.in_flight.is_empty() && self.queue.is_empty() {
            return Some(self.new_request(now, Kind::Normal, "", &[]));
        }
        None
    }

    /// Output: when `handle_timeout` should be called next.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.state == State::Closed {
            return None;
        }
        let mut next: Option<Duration> = None;
        let mut consider = |t: Duration| next = Some(next.map_or(t, |n: Duration| n.min(t)));
        for r in &self.in_flight {
            if let Some((_, d)) = r.attempt {
                consider(d);
            }
            if let Some(t) = r.resend_at {
                consider(t);
            }
        }
        if let (Some(since), Some(iv)) = (self.queued_since, self.config.idle_interval) {
            if !self.queue.is_empty() && !self.paused {
                consider(since + iv);
            }
        }
        next
    }

    /// Output: the next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn idle_due(&self, now: Duration) -> bool {
        match (self.config.idle_interval, self.queued_since) {
            (None, _) => true,
            (Some(iv), Some(since)) => now >= since + iv,
            (Some(_), None) => true,
        }
    }

    fn take_rid(&mut self) -> u64 {
        let rid = self.next_rid;
        self.next_rid += 1;
        rid
    }

    fn new_request(
        &mut self,
        now: Duration,
        kind: Kind,
        attrs: &str,
        payload: &[String],
    ) -> Transmit {
        let rid = self.take_rid();
        let sid = self.params.as_ref().map(|p| p.sid.as_str()).unwrap_or("");
        let mut body = String::with_capacity(96 + payload.iter().map(String::len).sum::<usize>());
        body.push_str("<body rid='");
        body.push_str(&rid.to_string());
        body.push_str("' sid='");
        crate::xml::escape_attr(sid, &mut body);
        body.push_str("' ");
        body.push_str(attrs);
        body.push_str("xmlns='");
        body.push_str(crate::ns::HTTPBIND);
        if payload.is_empty() {
            body.push_str("'/>");
        } else {
            body.push_str("'>");
            for s in payload {
                body.push_str(s);
            }
            body.push_str("</body>");
        }
        let id = self.next_id;
        self.next_id += 1;
        let deadline = if kind == Kind::Terminate {
            now + self.config.terminate_timeout
        } else {
            now + self.config.request_timeout()
        };
        self.in_flight.push_back(Request {
            rid,
            kind,
            body: body.clone(),
            attempt: Some((id, deadline)),
            resend_at: None,
            failures: 0,
            response: None,
        });
        Transmit {
            id,
            rid,
            url: self.config.url.clone(),
            body,
            content_type: self.config.content_type.clone(),
        }
    }

    fn position_of(&self, id: u64) -> Option<usize> {
        self.in_flight
            .iter()
            .position(|r| matches!(r.attempt, Some((a, _)) if a == id))
    }

    /// A request failed (network, 5xx, timeout): schedule a resend of the
    /// same rid and bytes with bounded exponential backoff, or give up.
    fn failed(&mut self, now: Duration, idx: usize) {
        let max = self.config.max_retries;
        let req = &mut self.in_flight[idx];
        if req.kind == Kind::Terminate {
            self.close(None);
            return;
        }
        req.failures += 1;
        if req.failures > max {
            self.close(Some("remote-connection-failed".into()));
            return;
        }
        let backoff_ms = 250u64 << (req.failures - 1).min(5);
        req.resend_at = Some(now + Duration::from_millis(backoff_ms.min(8000)));
    }

    fn process_in_order(&mut self, now: Duration) {
        while self.state != State::Closed {
            let Some(front) = self.in_flight.front() else {
                break;
            };
            if front.response.is_none() {
                break;
            }
            let Some(req) = self.in_flight.pop_front() else {
                break;
            };
            let text = req.response.as_deref().unwrap_or_default();
            self.process(now, &req, text);
        }
    }

    fn process(&mut self, now: Duration, req: &Request, text: &str) {
        let parsed = match parse_body(text) {
            Ok(p) => p,
            Err(condition) => {
                self.close(Some(condition.into()));
                return;
            }
        };
        if let (Some(sid), Some(params)) = (&parsed.sid, &self.params) {
            if *sid != params.sid {
                self.close(Some("sid-mismatch".into()));
                return;
            }
        }
        match parsed.kind.as_deref() {
            Some("terminate") => {
                let condition = if self.terminating {
                    None
                } else {
                    Some(parsed.terminate_condition())
                };
                for s in parsed.stanzas {
                    self.events.push_back(Event::Stanza(s));
                }
                self.close(condition);
                return;
            }
            Some("error") => {
                // Recoverable binding error (XEP-0124 §17.2): resend every
                // request the server has not answered, this one included.
                let mut again = Request {
                    rid: req.rid,
                    kind: req.kind,
                    body: req.body.clone(),
                    attempt: None,
                    resend_at: None,
                    failures: req.failures,
                    response: None,
                };
                again.failures += 1;
                if again.failures > self.config.max_retries {
                    self.close(Some("remote-connection-failed".into()));
                    return;
                }
                self.in_flight.push_front(again);
                for r in self.in_flight.iter_mut() {
                    r.attempt = None;
                    r.response = None;
                    r.resend_at = Some(now);
                }
                return;
            }
            _ => {}
        }
        if req.kind == Kind::Create {
            match parsed.session_params(&self.config) {
                Ok(params) => {
                    self.params = Some(params.clone());
                    self.state = State::Open;
                    self.events.push_back(Event::Created(params));
                }
                Err(condition) => {
                    self.close(Some(condition.into()));
                    return;
                }
            }
        }
        for s in parsed.stanzas {
            self.events.push_back(Event::Stanza(s));
        }
        self.events.push_back(Event::Processed { rid: req.rid });
        if req.kind == Kind::Terminate {
            self.close(None);
        }
    }

    fn close(&mut self, condition: Option<String>) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.in_flight.clear();
        self.queue.clear();
        self.events.push_back(Event::Closed { condition });
    }
}
