//! A scripted BOSH connection manager (the server side of XEP-0124 as the
//! specification describes it), and a driver that runs a bare
//! [`xmpp_wasm::bosh::Session`] against it on a fake clock: no sockets, no
//! sleeps. Used by the `tests/bosh_*.rs` files, one per XEP section.
//!
//! The connection manager is strict where the specification lets a server be
//! strict: it forwards payloads in rid order, holds at most `hold` requests,
//! answers a repeated rid from its buffer (§14.3; the answer to a pause
//! request is never buffered), answers a rid it is still holding with a
//! recoverable error (§14.3), checks the key sequence (§15), drops a session
//! that stays silent past `inactivity` (§10), and records every rule the
//! client breaks in `violations` (too many simultaneous requests §11, polling
//! too often §11/§12 — with `requests` = 1, any empty request within
//! `polling` of the previous request —, a pause without `maxpause` §10, a rid
//! outside the window §14.2, a rid neither held nor buffered §14.3, a request
//! after the client's terminate was answered §13) — answering it with the
//! terminal condition a real server would send. Tests assert that
//! `violations` stays empty.
#![allow(dead_code)]

use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;
use xmpp_wasm::bosh::{Config, Event, Session, Transmit};
use xmpp_wasm::xml::{self, Element};

pub const HTTPBIND: &str = "http://jabber.org/protocol/httpbind";
pub const URL: &str = "https://cm.example/http-bind";

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

/// What the connection manager advertises and how it behaves.
#[derive(Clone, Debug)]
pub struct CmConfig {
    pub sid: String,
    /// `wait` answered (`None`: echo the client's). A value above the
    /// client's is answered as it is, like a misbehaving server would (§7.2:
    /// it MUST be less than or equal), and the server then holds that long.
    pub wait: Option<u32>,
    /// `requests` answered (`None`: attribute omitted).
    pub requests: Option<u32>,
    /// `hold` answered (`None`: echo the client's).
    pub hold: Option<u32>,
    pub polling: Option<u32>,
    pub inactivity: Option<u32>,
    pub maxpause: Option<u32>,
    /// `ver` answered (`None`: a legacy connection manager).
    pub ver: Option<String>,
    /// Acknowledge requests (§9.1): `ack` on the creation response and on
    /// responses where it differs from the request's rid.
    pub acks: bool,
    pub restartlogic: bool,
    /// Put `<stream:features/>` in the creation response (else in the next).
    pub features_in_creation: bool,
    /// Extra attributes for the creation response, verbatim.
    pub extra: String,
    /// Prosody 0.12's `mod_bosh` rid handling: a held request whose HTTP
    /// connection closes is forgotten, unanswered and unbuffered
    /// ([`Cm::connection_closed`]); a repeat of the current rid that is
    /// neither held nor buffered is held again; a rid below it, neither
    /// held nor buffered, gets `item-not-found` for that request alone (the
    /// session lives on: recorded in [`Cm::not_found`], not a violation).
    /// Otherwise (the specification, and ejabberd 23.01, which does not
    /// notice a closed connection) the request stays held, and the answer
    /// written into it is buffered.
    pub prosody: bool,
    /// Like ejabberd 23.01 (`ejabberd_bosh:active1/3`, `reply/4`): a request
    /// that arrived ahead of a gap in the rids is processed only once the
    /// request that fills the gap is answered *with payloads*, not when the
    /// gap fills; while that one is held empty (a long poll), the early one
    /// waits — up to `wait`, and an answer at `wait` (or one forced by
    /// `hold`) does not release it either.
    pub ahead_waits_for_payload: bool,
}

impl CmConfig {
    /// A full-featured XEP-0124 1.11 connection manager.
    pub fn full() -> Self {
        CmConfig {
            sid: "sid-1".into(),
            wait: None,
            requests: Some(2),
            hold: None,
            polling: Some(2),
            inactivity: Some(30),
            maxpause: Some(120),
            ver: Some("1.11".into()),
            acks: true,
            restartlogic: true,
            features_in_creation: true,
            extra: String::new(),
            prosody: false,
            ahead_waits_for_payload: false,
        }
    }

    /// What Prosody 0.12 answers: ver 1.6, requests 2, hold 1, polling 5,
    /// inactivity 60, no maxpause, no acks, no xmpp:restartlogic.
    pub fn prosody_012() -> Self {
        CmConfig {
            sid: "prosody-sid".into(),
            wait: None,
            requests: Some(2),
            hold: Some(1),
            polling: Some(5),
            inactivity: Some(60),
            maxpause: None,
            ver: Some("1.6".into()),
            acks: false,
            restartlogic: false,
            features_in_creation: true,
            extra: String::new(),
            prosody: true,
            ahead_waits_for_payload: false,
        }
    }
}

#[derive(Clone, Debug)]
struct Held {
    id: u64,
    rid: u64,
    empty: bool,
    arrived: Duration,
    /// A pause request: its answer is not buffered (§14.3).
    pause: bool,
}

#[derive(Clone, Copy, Debug)]
struct LastEmpty {
    rid: u64,
    arrived: Duration,
    answered_empty: Option<bool>,
}

/// The scripted connection manager.
pub struct Cm {
    pub cfg: CmConfig,
    /// Every request body received, with its arrival time.
    pub received: Vec<(Duration, String)>,
    /// Payloads forwarded to the application server, in forwarding order.
    pub forwarded: Vec<String>,
    /// Rules the client broke.
    pub violations: Vec<String>,
    /// The creation request, parsed.
    pub creation: Option<Element>,
    /// Payloads waiting for a response to carry them.
    pub outbox: Vec<String>,
    pub terminated: bool,
    /// The client's own terminate request was processed (§13): any later
    /// request is a violation (the client must consider the session over).
    pub client_terminated: bool,
    /// The inactivity timer expired: the session is gone.
    pub expired: bool,
    /// How many restarts were asked for.
    pub restarts: u32,
    /// Pause requests received (seconds).
    pub pauses: Vec<u32>,
    /// Rids answered `item-not-found` alone, the session kept (Prosody: a
    /// resend below the current rid that was never answered).
    pub not_found: Vec<u64>,
    wait: u32,
    hold: u32,
    requests: u32,
    client_ack: bool,
    /// The rid the next in-order request must carry.
    expected: Option<u64>,
    /// Requests that arrived ahead of a gap: rid -> (id, body, arrived).
    ahead: BTreeMap<u64, (u64, Element, bool)>,
    /// With `ahead_waits_for_payload`: rids of `ahead` that arrived before
    /// the gap filled, waiting for the previous rid's answer with payloads.
    parked: BTreeSet<u64>,
    held: VecDeque<Held>,
    /// Responses sent, by rid (§14.3 buffer).
    answered: BTreeMap<u64, String>,
    last_empty: Option<LastEmpty>,
    /// When the previous request after creation (of any kind) arrived: with
    /// `requests` = 1, an empty request within `polling` of it is a policy
    /// violation (§11).
    last_arrival: Option<(u64, Duration)>,
    /// The key the next request's key must hash to (§15).
    key: Option<String>,
    /// Idle since (no request held); and the current inactivity limit.
    idle_since: Option<Duration>,
    pause_limit: Option<u32>,
    features_sent: bool,
}

impl Cm {
    pub fn new(cfg: CmConfig) -> Self {
        Cm {
            cfg,
            received: Vec::new(),
            forwarded: Vec::new(),
            violations: Vec::new(),
            creation: None,
            outbox: Vec::new(),
            terminated: false,
            client_terminated: false,
            expired: false,
            restarts: 0,
            pauses: Vec::new(),
            not_found: Vec::new(),
            wait: 60,
            hold: 1,
            requests: 2,
            client_ack: false,
            expected: None,
            ahead: BTreeMap::new(),
            parked: BTreeSet::new(),
            held: VecDeque::new(),
            answered: BTreeMap::new(),
            last_empty: None,
            last_arrival: None,
            key: None,
            idle_since: None,
            pause_limit: None,
            features_sent: false,
        }
    }

    pub fn sid(&self) -> &str {
        &self.cfg.sid
    }

    /// Rids held now.
    pub fn held_rids(&self) -> Vec<u64> {
        self.held.iter().map(|h| h.rid).collect()
    }

    fn body(&self, attrs: &str, payload: &[String]) -> String {
        let mut s = format!(
            "<body xmlns='{HTTPBIND}' xmlns:stream='http://etherx.jabber.org/streams'{}{attrs}",
            if attrs.is_empty() { "" } else { " " }
        );
        if payload.is_empty() {
            s.push_str("/>");
        } else {
            s.push('>');
            for p in payload {
                s.push_str(p);
            }
            s.push_str("</body>");
        }
        s
    }

    fn terminal(&mut self, condition: &str) -> String {
        self.terminated = true;
        self.body(&format!("type='terminate' condition='{condition}'"), &[])
    }

    fn violation(&mut self, what: String) {
        self.violations.push(what);
    }

    /// The contiguous-received `ack` for a response to `rid` (§9.1), if it
    /// differs from `rid`.
    fn ack_attr(&self, rid: u64) -> String {
        if !self.cfg.acks {
            return String::new();
        }
        match self.expected {
            Some(e) if e - 1 != rid => format!("ack='{}'", e - 1),
            _ => String::new(),
        }
    }

    /// Answers the oldest held request with the outbox (or nothing).
    fn answer_oldest(&mut self) -> Option<(u64, u16, String)> {
        let h = self.held.pop_front()?;
        let out = std::mem::take(&mut self.outbox);
        let attrs = self.ack_attr(h.rid);
        let body = self.body(&attrs, &out);
        if let Some(l) = self.last_empty.as_mut() {
            if l.rid == h.rid {
                l.answered_empty = Some(out.is_empty());
            }
        }
        // §14.3: "the connection manager SHOULD NOT buffer" the response to
        // a pause request (XEP-0124 §10): a resend of its rid finds nothing.
        if !h.pause {
            self.answered.insert(h.rid, body.clone());
        }
        if !out.is_empty() {
            // ejabberd: an answer with payloads releases the next rid.
            self.parked.remove(&(h.rid + 1));
        }
        // §14.3: the buffer holds as many responses as `requests`.
        while self.answered.len() > self.requests.max(1) as usize {
            self.answered.pop_first();
        }
        Some((h.id, 200, body))
    }

    fn note_idle(&mut self, now: Duration) {
        if self.held.is_empty() && self.idle_since.is_none() {
            self.idle_since = Some(now);
        }
    }

    /// Handles one request at `now`; returns the responses now due, as
    /// (transmit id, HTTP status, body).
    pub fn handle(&mut self, t: &Transmit, now: Duration) -> Vec<(u64, u16, String)> {
        self.received.push((now, t.body.clone()));
        let mut out = Vec::new();
        let body = match xml::parse(&t.body) {
            Ok(b) if b.local_name() == "body" && b.ns() == Some(HTTPBIND) => b,
            _ => {
                self.violation(format!("not a BOSH body: {}", t.body));
                return vec![(t.id, 200, self.terminal("bad-request"))];
            }
        };
        if body.children.iter().any(|n| n.as_text().is_some()) {
            self.violation("character data in <body/>".into());
        }
        let Some(rid) = body.attr("rid").and_then(|r| r.parse::<u64>().ok()) else {
            self.violation("request without rid".into());
            return vec![(t.id, 200, self.terminal("bad-request"))];
        };
        if rid > (1 << 53) - 1 {
            self.violation(format!("rid {rid} above 2^53-1"));
        }
        if self.expired {
            return vec![(t.id, 200, self.terminal("item-not-found"))];
        }
        // Session creation.
        let Some(expected) = self.expected else {
            if body.attr("sid").is_some() {
                self.violation("creation request with a sid".into());
            }
            return vec![self.create(t.id, rid, &body, now)];
        };
        if body.attr("sid") != Some(self.cfg.sid.as_str()) {
            self.violation(format!("wrong or missing sid in {}", t.body));
            return vec![(t.id, 200, self.terminal("item-not-found"))];
        }
        if self.terminated {
            if self.client_terminated {
                self.violation(format!(
                    "rid {rid} after the client's terminate was answered"
                ));
            }
            return vec![(t.id, 200, self.terminal("item-not-found"))];
        }
        // §14.3: a rid already answered: the buffered copy.
        if rid < expected {
            if let Some(b) = self.answered.get(&rid) {
                return vec![(t.id, 200, b.clone())];
            }
            if let Some(h) = self.held.iter_mut().find(|h| h.rid == rid) {
                // Still held: answer the old request with a recoverable error
                // and keep the new one.
                let old = h.id;
                h.id = t.id;
                return vec![(old, 200, self.body("type='error'", &[]))];
            }
            if self.cfg.prosody && rid + 1 == expected {
                // mod_bosh: "current rid repeated, ignoring stanzas".
                self.held.push_back(Held {
                    id: t.id,
                    rid,
                    empty: true,
                    arrived: now,
                    pause: false,
                });
                let mut out = Vec::new();
                while self.held.len() > self.hold as usize {
                    out.extend(self.answer_oldest());
                }
                return out;
            }
            if self.cfg.prosody {
                // mod_bosh: "rid out of range", answered on this request
                // only; the session object stays.
                self.not_found.push(rid);
                let b = self.body("type='terminate' condition='item-not-found'", &[]);
                return vec![(t.id, 200, b)];
            }
            self.violation(format!("rid {rid} is neither held nor buffered"));
            return vec![(t.id, 200, self.terminal("item-not-found"))];
        }
        // §14.2: the window.
        if rid > expected + u64::from(self.requests) {
            self.violation(format!("rid {rid} beyond the window (expected {expected})"));
            return vec![(t.id, 200, self.terminal("item-not-found"))];
        }
        if let Some(e) = self.ahead.get_mut(&rid) {
            e.0 = t.id;
            return out;
        }
        if self.cfg.ahead_waits_for_payload && self.expected != Some(rid) {
            self.parked.insert(rid);
        }
        self.ahead.insert(rid, (t.id, body, false));
        self.in_order(now, &mut out);
        out
    }

    /// Processes what is now in order (with `ahead_waits_for_payload`, up
    /// to a parked request).
    fn in_order(&mut self, now: Duration, out: &mut Vec<(u64, u16, String)>) {
        while let Some(e) = self.expected.filter(|e| !self.parked.contains(e)) {
            let Some((id, body, _)) = self.ahead.remove(&e) else {
                break;
            };
            self.expected = Some(e + 1);
            self.process(id, e, &body, now, out);
            if self.terminated {
                break;
            }
        }
    }

    fn create(&mut self, id: u64, rid: u64, body: &Element, now: Duration) -> (u64, u16, String) {
        self.creation = Some(body.clone());
        self.expected = Some(rid + 1);
        let asked_wait: u32 = body.attr("wait").and_then(|v| v.parse().ok()).unwrap_or(60);
        let asked_hold: u32 = body.attr("hold").and_then(|v| v.parse().ok()).unwrap_or(1);
        self.wait = self.cfg.wait.unwrap_or(asked_wait);
        self.hold = self.cfg.hold.unwrap_or(asked_hold).min(asked_hold);
        self.requests = self.cfg.requests.unwrap_or(self.hold + 1);
        self.client_ack = body.attr("ack") == Some("1");
        self.key = body.attr("newkey").map(str::to_owned);
        let c = &self.cfg;
        let mut attrs = format!(
            "sid='{}' wait='{}' hold='{}' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' from='example.com' authid='stream-1'",
            c.sid, self.wait, self.hold
        );
        if let Some(r) = c.requests {
            attrs.push_str(&format!(" requests='{r}'"));
        }
        for (name, v) in [
            ("polling", c.polling),
            ("inactivity", c.inactivity),
            ("maxpause", c.maxpause),
        ] {
            if let Some(v) = v {
                attrs.push_str(&format!(" {name}='{v}'"));
            }
        }
        if let Some(v) = &c.ver {
            attrs.push_str(&format!(" ver='{v}'"));
        }
        if c.acks {
            attrs.push_str(&format!(" ack='{rid}'"));
        }
        if c.restartlogic {
            attrs.push_str(" xmpp:restartlogic='true'");
        }
        if !c.extra.is_empty() {
            attrs.push(' ');
            attrs.push_str(&c.extra);
        }
        let payload = if c.features_in_creation {
            self.features_sent = true;
            vec![features()]
        } else {
            Vec::new()
        };
        let b = self.body(&attrs, &payload);
        self.answered.insert(rid, b.clone());
        self.idle_since = Some(now);
        (id, 200, b)
    }

    fn process(
        &mut self,
        id: u64,
        rid: u64,
        body: &Element,
        now: Duration,
        out: &mut Vec<(u64, u16, String)>,
    ) {
        // §15: the key sequence.
        if let Some(prev) = self.key.clone() {
            let mut ok = false;
            if let Some(k) = body.attr("key") {
                ok = hex_sha1(k.as_bytes()).eq_ignore_ascii_case(&prev);
            }
            if !ok {
                self.violation(format!("bad key sequence at rid {rid}"));
                out.push((id, 200, self.terminal("item-not-found")));
                return;
            }
            self.key = body.attr("newkey").or(body.attr("key")).map(str::to_owned);
        }
        for creation_only in ["to", "ver", "wait", "hold", "content", "route"] {
            let restart = body
                .attrs
                .iter()
                .any(|(k, v)| k == "xmpp:restart" && v == "true");
            if body.attr(creation_only).is_some() && !(restart && creation_only == "to") {
                self.violation(format!("'{creation_only}' in a request after creation"));
            }
        }
        let pause: Option<u32> = body.attr("pause").and_then(|p| p.parse().ok());
        let terminate = body.attr("type") == Some("terminate");
        let restart = body
            .attrs
            .iter()
            .any(|(k, v)| k.ends_with(":restart") && v == "true");
        let empty = body.elements().next().is_none();
        for p in body.elements() {
            self.forwarded.push(p.to_xml());
        }
        self.idle_since = None;
        self.pause_limit = None;
        // §11: too many simultaneous requests.
        let unanswered = self.held.len() + 1;
        if unanswered > self.requests as usize && pause.is_none() && !terminate {
            self.violation(format!(
                "{unanswered} simultaneous requests, window {} (rid {rid})",
                self.requests
            ));
            out.push((id, 200, self.terminal("policy-violation")));
            return;
        }
        if unanswered > self.requests as usize + 1 {
            self.violation(format!(
                "{unanswered} simultaneous requests even counting the extra one"
            ));
        }
        // §11/§12: polling too frequently.
        if empty && pause.is_none() && !terminate {
            if let (Some(last), Some(polling)) = (self.last_empty, self.cfg.polling) {
                let quick = now < last.arrived + secs(polling.into());
                let first_empty = last.answered_empty == Some(true);
                let both_held =
                    last.answered_empty.is_none() && unanswered == self.requests as usize;
                if quick && (first_empty || both_held) {
                    self.violation(format!("empty requests {} and {rid} too close", last.rid));
                    out.push((id, 200, self.terminal("policy-violation")));
                    return;
                }
            }
            self.last_empty = Some(LastEmpty {
                rid,
                arrived: now,
                answered_empty: None,
            });
        } else if !empty {
            // §12 is about *consecutive* empty requests.
            self.last_empty = None;
        }
        // §11 with `requests` = 1: "the last two requests arrived within a
        // period shorter than … 'polling'" and the last one is empty (not a
        // pause or terminate) — whatever the previous one carried or was
        // answered with. (With a larger window the same sentence would also
        // catch an ordinary long poll following a message; the rule above
        // keeps to consecutive empty requests there.)
        let previous = self.last_arrival.replace((rid, now));
        if self.requests == 1 && empty && pause.is_none() && !terminate {
            if let (Some((prev, at)), Some(polling)) = (previous, self.cfg.polling) {
                if now < at + secs(polling.into()) {
                    self.violation(format!(
                        "requests=1: empty request {rid} within polling of request {prev}"
                    ));
                    out.push((id, 200, self.terminal("policy-violation")));
                    return;
                }
            }
        }
        if let Some(p) = pause {
            if self.cfg.maxpause.is_none() {
                self.violation("pause without maxpause".into());
            }
            if self.cfg.maxpause.is_some_and(|m| p > m) {
                self.violation(format!("pause {p} beyond maxpause"));
            }
            self.pauses.push(p);
            // Answer everything at once, the pause request included, with
            // no payload.
            let keep = std::mem::take(&mut self.outbox);
            while let Some(r) = self.answer_oldest() {
                out.push(r);
            }
            self.outbox = keep;
            self.held.push_back(Held {
                id,
                rid,
                empty,
                arrived: now,
                pause: true,
            });
            let keep = std::mem::take(&mut self.outbox);
            if let Some(r) = self.answer_oldest() {
                out.push(r);
            }
            self.outbox = keep;
            self.idle_since = Some(now);
            self.pause_limit = Some(p);
            return;
        }
        if terminate {
            // §13: the oldest held request gets type='terminate', the
            // others an empty body.
            let mut first = true;
            while let Some(h) = self.held.pop_front() {
                let b = if first {
                    self.body("type='terminate'", &[])
                } else {
                    self.body("", &[])
                };
                first = false;
                out.push((h.id, 200, b));
            }
            let b = if first {
                self.body("type='terminate'", &[])
            } else {
                self.body("", &[])
            };
            out.push((id, 200, b));
            self.terminated = true;
            self.client_terminated = true;
            return;
        }
        if restart {
            self.restarts += 1;
            if !self.held.is_empty() {
                self.violation("restart while another request is held".into());
            }
            if !empty {
                self.violation("restart body with payloads".into());
            }
            self.outbox.push(features());
        }
        if !self.features_sent {
            self.features_sent = true;
            self.outbox.push(features());
        }
        self.held.push_back(Held {
            id,
            rid,
            empty,
            arrived: now,
            pause: false,
        });
        while self.held.len() > self.hold as usize {
            if let Some(r) = self.answer_oldest() {
                out.push(r);
            }
        }
        if !self.outbox.is_empty() {
            if let Some(r) = self.answer_oldest() {
                out.push(r);
            }
        }
        self.note_idle(now);
    }

    /// Queues payloads for the client; answers a held request with them.
    pub fn push(&mut self, stanza: &str, now: Duration) -> Vec<(u64, u16, String)> {
        self.outbox.push(stanza.to_owned());
        let mut out = Vec::new();
        if let Some(r) = self.answer_oldest() {
            out.push(r);
        }
        self.in_order(now, &mut out);
        self.note_idle(now);
        out
    }

    /// When a held request's `wait` runs out, or the inactivity timer.
    pub fn next_deadline(&self) -> Option<Duration> {
        if self.terminated || self.expired {
            return None;
        }
        let wait = self
            .held
            .front()
            .map(|h| h.arrived + secs(self.wait.into()));
        let idle = self.idle_deadline();
        match (wait, idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn idle_deadline(&self) -> Option<Duration> {
        let limit = self.pause_limit.or(self.cfg.inactivity)?;
        // "longer than" the period: the first instant past it.
        Some(self.idle_since? + secs(limit.into()) + ms(1))
    }

    /// Lets time pass: answers held requests whose `wait` ran out; drops the
    /// session if the client stayed silent past the inactivity period.
    pub fn tick(&mut self, now: Duration) -> Vec<(u64, u16, String)> {
        let mut out = Vec::new();
        if self.idle_deadline().is_some_and(|d| d <= now) && self.held.is_empty() {
            self.expired = true;
            return out;
        }
        while self
            .held
            .front()
            .is_some_and(|h| h.arrived + secs(self.wait.into()) <= now)
        {
            if let Some(r) = self.answer_oldest() {
                out.push(r);
            }
        }
        self.in_order(now, &mut out);
        self.note_idle(now);
        out
    }

    /// The HTTP connection of the held request with this rid closed (the
    /// page that sent it went away). Prosody forgets the request: nothing
    /// is answered or buffered, and what arrives next waits in the outbox.
    /// Other servers do not notice; the page's shell drops whatever answer
    /// comes (see `Net::park`).
    pub fn connection_closed(&mut self, rid: u64) {
        if self.cfg.prosody {
            if let Some(pos) = self.held.iter().position(|h| h.rid == rid) {
                self.held.remove(pos);
            }
        }
    }

    /// Answers a request from `hold` at once with `body` (to script odd
    /// responses): the held request with this rid.
    pub fn take_held(&mut self, rid: u64) -> Option<u64> {
        let pos = self.held.iter().position(|h| h.rid == rid)?;
        self.held.remove(pos).map(|h| h.id)
    }
}

pub fn features() -> String {
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>".into()
}

pub fn hex_sha1(data: &[u8]) -> String {
    Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What happens to the next transmits on their way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The request never reaches the server; the client sees a network error.
    Network,
    /// An intermediary answers with this HTTP status; the server never sees it.
    Status(u16),
    /// The request vanishes: no answer at all (the client times out).
    Lost,
    /// The server processes it, but its response is lost.
    ResponseLost,
    /// The server processes it; when it answers, the connection is reset
    /// instead (a proxy that drops the response): the client sees a
    /// network error then.
    ResponseDropped,
}

/// A session, a connection manager and a fake clock.
pub struct Net {
    pub s: Session,
    pub cm: Cm,
    pub now: Duration,
    pub events: Vec<Event>,
    /// Every transmit, in order.
    pub sent: Vec<Transmit>,
    /// Faults applied to the next transmits, in order.
    pub faults: VecDeque<Fault>,
    /// Responses held back by the test (id, status, body), not delivered.
    pub parked: Vec<(u64, u16, String)>,
    /// Park responses instead of delivering them.
    pub park: bool,
    /// Attempts whose response is lost whenever the server sends it.
    pub lost: Vec<u64>,
    /// Attempts whose response becomes a network error when the server
    /// sends it.
    pub dropped: Vec<u64>,
}

/// The session's configuration for these tests. The fake network delivers
/// every request at once and in order, so nothing can overtake anything:
/// requests leave without [`Config::request_spacing`] (tests/bosh_reorder.rs
/// tests it with its default, on a network that reorders).
pub fn config() -> Config {
    let mut c = Config::new(URL, "example.com");
    c.request_spacing = Duration::ZERO;
    c
}

/// An initial rid that is easy to read in failures.
pub const RID: u64 = 1_000_000;

impl Net {
    /// A started session against `cm`, not yet run.
    pub fn new(config: Config, cm: CmConfig) -> Self {
        let mut s = Session::new(config, RID);
        s.start();
        Net {
            s,
            cm: Cm::new(cm),
            now: Duration::ZERO,
            events: Vec::new(),
            sent: Vec::new(),
            faults: VecDeque::new(),
            parked: Vec::new(),
            park: false,
            lost: Vec::new(),
            dropped: Vec::new(),
        }
    }

    /// A session created and settled (its long poll held).
    pub fn open(config: Config, cm: CmConfig) -> Self {
        let mut n = Net::new(config, cm);
        n.run();
        assert!(n.s.is_open(), "session not open: {:?}", n.events);
        n
    }

    /// Drains events, then transmits (recorded, not delivered).
    pub fn drain(&mut self) -> Vec<Transmit> {
        while let Some(e) = self.s.poll_event() {
            self.events.push(e);
        }
        let mut v = Vec::new();
        while let Some(t) = self.s.poll_transmit(self.now) {
            self.sent.push(t.clone());
            v.push(t);
            assert!(v.len() < 1000, "transmit loop");
        }
        while let Some(e) = self.s.poll_event() {
            self.events.push(e);
        }
        v
    }

    /// Gives one transmit to the server (through the faults) and delivers
    /// (or parks) the responses.
    pub fn deliver(&mut self, t: &Transmit) {
        match self.faults.pop_front() {
            Some(Fault::Network) => self.s.handle_transport_error(self.now, t.id),
            Some(Fault::Status(code)) => self.s.handle_response(self.now, t.id, code, ""),
            Some(Fault::Lost) => {}
            Some(Fault::ResponseLost) => {
                self.lost.push(t.id);
                let replies = self.cm.handle(t, self.now);
                self.respond(replies);
            }
            Some(Fault::ResponseDropped) => {
                self.dropped.push(t.id);
                let replies = self.cm.handle(t, self.now);
                self.respond(replies);
            }
            None => {
                let replies = self.cm.handle(t, self.now);
                self.respond(replies);
            }
        }
    }

    pub fn respond(&mut self, replies: Vec<(u64, u16, String)>) {
        for (id, status, body) in replies {
            if self.lost.contains(&id) {
                continue;
            }
            if self.dropped.contains(&id) {
                self.s.handle_transport_error(self.now, id);
                continue;
            }
            if self.park {
                self.parked.push((id, status, body));
            } else {
                self.s.handle_response(self.now, id, status, &body);
            }
        }
    }

    /// Runs until nothing moves at the current time. Also checks that the
    /// session never asks to be woken up at a time already past without
    /// doing something then (a shell would spin on `setTimeout(0)`).
    pub fn run(&mut self) {
        let mut stuck = 0;
        for _ in 0..10_000 {
            let ts = self.drain();
            if ts.is_empty() {
                match self.s.poll_timeout() {
                    Some(t) if t <= self.now => {
                        stuck += 1;
                        assert!(stuck < 3, "poll_timeout {t:?} stays due at {:?}", self.now);
                        self.s.handle_timeout(self.now);
                        continue;
                    }
                    _ => return,
                }
            }
            stuck = 0;
            for t in &ts {
                self.deliver(t);
            }
        }
        panic!("the exchange did not settle");
    }

    /// The next time something happens, client or server side.
    pub fn next_deadline(&self) -> Option<Duration> {
        match (self.s.poll_timeout(), self.cm.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Jumps the clock to `t` (if later), ticks both sides, runs.
    pub fn advance_to(&mut self, t: Duration) {
        self.now = self.now.max(t);
        self.s.handle_timeout(self.now);
        let replies = self.cm.tick(self.now);
        self.respond(replies);
        self.run();
    }

    /// Jumps to the next deadline; false when there is none.
    pub fn advance(&mut self) -> bool {
        match self.next_deadline() {
            Some(t) => {
                self.advance_to(t);
                true
            }
            None => false,
        }
    }

    /// Advances, deadline after deadline, until `t` (or nothing is left).
    pub fn advance_until(&mut self, t: Duration) {
        for _ in 0..100_000 {
            match self.next_deadline() {
                Some(d) if d <= t => self.advance_to(d),
                _ => {
                    self.advance_to(t);
                    return;
                }
            }
        }
        panic!("too many deadlines before {t:?}");
    }

    /// Queues a stanza and runs.
    pub fn send(&mut self, stanza: &str) {
        self.s.send(self.now, stanza.to_owned());
        self.run();
    }

    /// Server pushes a payload; runs.
    pub fn push(&mut self, stanza: &str) {
        let r = self.cm.push(stanza, self.now);
        self.respond(r);
        self.run();
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

    pub fn closed(&self) -> Option<Option<String>> {
        self.events.iter().find_map(|e| match e {
            Event::Closed { condition } => Some(condition.clone()),
            _ => None,
        })
    }

    /// Bodies the server received after creation.
    pub fn bodies(&self) -> Vec<Element> {
        self.cm
            .received
            .iter()
            .map(|(_, b)| xml::parse(b).expect("well-formed request"))
            .collect()
    }

    pub fn assert_clean(&self) {
        assert!(
            self.cm.violations.is_empty(),
            "violations: {:?}",
            self.cm.violations
        );
    }
}

/// A parsed request body.
pub fn parse(body: &str) -> Element {
    xml::parse(body).expect("well-formed body")
}

/// The rid of a request body.
pub fn rid_of(body: &str) -> u64 {
    parse(body)
        .attr("rid")
        .and_then(|r| r.parse().ok())
        .expect("rid")
}

/// A response body with these attributes and payloads.
pub fn resp(attrs: &str, payload: &str) -> String {
    if payload.is_empty() {
        format!("<body xmlns='{HTTPBIND}' {attrs}/>")
    } else {
        format!("<body xmlns='{HTTPBIND}' xmlns:stream='http://etherx.jabber.org/streams' {attrs}>{payload}</body>")
    }
}
