//! Session snapshots: what a page needs to continue a BOSH session after a
//! reload (keepalive/restore) without losing or duplicating anything.
//!
//! A snapshot records the next rid to use and **every request sent whose
//! response has not been processed**, with its rid and exact bytes. A rid
//! counts as used only once its response has been processed, so a restored
//! session first resends those requests: the connection manager answers a
//! rid it already answered from its cache (XEP-0124 §14.3) and processes the
//! others once. Stanzas queued but not yet sent are kept too.
//!
//! The exception is a **pause request** (§10): servers do not buffer its
//! answer (§14.3), so it is never resent; its rid counts as used as soon as
//! it left (a page asks for the pause as it goes away, with `fetch`
//! keepalive, and the server received it), and the restored session
//! continues after it.

use super::keys::{KeyChain, KeyState};
use super::{BoshError, Config, Kind, Request, Session, SessionParams, State};
use crate::json::{self, JsonError, Value};
use std::time::Duration;

/// A request sent but not yet answered, as it went on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unanswered {
    /// Its rid.
    pub rid: u64,
    /// Its exact body.
    pub body: String,
}

/// Everything needed to continue a BOSH session elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSnapshot {
    /// The connection manager's URL.
    pub url: String,
    /// The service domain (`to`).
    pub to: String,
    /// Session id.
    pub sid: String,
    /// The rid the next new request carries.
    pub next_rid: u64,
    /// Negotiated `wait` (seconds).
    pub wait: u32,
    /// Negotiated `hold`.
    pub hold: u32,
    /// Negotiated `requests` (the window).
    pub requests: u32,
    /// Negotiated `polling`, if any.
    pub polling: Option<u32>,
    /// Negotiated `inactivity`, if any.
    pub inactivity: Option<u32>,
    /// Negotiated `maxpause`, if any.
    pub maxpause: Option<u32>,
    /// Requests sent and not yet answered, lowest rid first (pause requests
    /// left out: they are never resent).
    pub unanswered: Vec<Unanswered>,
    /// Stanzas queued and not yet sent.
    pub queued: Vec<String>,
    /// The server's protocol version (`ver`), if it sent one.
    pub ver: Option<String>,
    /// The server's `ack` on the creation response, when it acknowledges
    /// requests (XEP-0124 §9.1).
    pub ack: Option<u64>,
    /// The key sequence (XEP-0124 §15), when one is in use: as secret as the
    /// session itself.
    pub keys: Option<KeyState>,
    /// After a `see-other-uri` redirect: the service URL the application
    /// gave (the session now lives at `url`). A reloaded page, built on that
    /// service, compares it with [`SessionSnapshot::service`].
    pub service: Option<String>,
}

/// The largest `wait`, `polling`, `inactivity` and `maxpause` (seconds) a
/// snapshot may carry: a day. Servers negotiate minutes; a larger value comes
/// from tampered storage.
pub const MAX_SNAPSHOT_SECONDS: u32 = 86_400;

/// The largest `requests` and `hold` a snapshot may carry.
pub const MAX_SNAPSHOT_WINDOW: u32 = 64;

/// The longest `url`, `to` or `sid` a snapshot may carry, in bytes.
pub const MAX_SNAPSHOT_STRING: usize = 2048;

impl SessionSnapshot {
    /// The service URL the session belongs to: `service` after a redirect,
    /// else `url`. A restoring page compares its own service URL with it.
    pub fn service(&self) -> &str {
        self.service.as_deref().unwrap_or(&self.url)
    }

    /// Checks every field a tampered or corrupted snapshot could use to break
    /// the session: a sid, URL and domain that are short and have no control
    /// characters; the next rid in 1..=`MAX_RID`; `requests` in
    /// 1..=[`MAX_SNAPSHOT_WINDOW`], `hold` at most that; `wait`, `polling`,
    /// `inactivity` and `maxpause` at most [`MAX_SNAPSHOT_SECONDS`]
    /// (`inactivity` and `maxpause` at least 1); `ack` below the next rid; at
    /// most `requests` + 1 unanswered requests (a window's worth, plus a
    /// terminate or pause), their rids at least 1, increasing and below the
    /// next one, each body a BOSH `<body/>` carrying that rid and the sid;
    /// key-sequence lengths and index in range. [`Session::restore`] runs it.
    pub fn validate(&self) -> Result<(), &'static str> {
        let text_ok = |t: &str| t.len() <= MAX_SNAPSHOT_STRING && !t.chars().any(char::is_control);
        if self.sid.trim().is_empty() || !text_ok(&self.sid) {
            return Err("bad sid");
        }
        if self.url.is_empty() || !text_ok(&self.url) || !text_ok(&self.to) {
            return Err("bad url or domain");
        }
        if let Some(service) = &self.service {
            // The redirect chain from the service to `url` must be one the
            // session could have followed (a valid chain passes this check
            // from its first URL to its last: https anywhere, http only on
            // the same host, never https to http).
            if !text_ok(service) || super::check_redirect(service, &self.url).is_err() {
                return Err("url is not a redirect the service could make");
            }
        }
        if self.next_rid == 0 || self.next_rid > super::MAX_RID {
            return Err("next rid out of range");
        }
        if self.requests == 0
            || self.requests > MAX_SNAPSHOT_WINDOW
            || self.hold > MAX_SNAPSHOT_WINDOW
        {
            return Err("requests/hold out of range");
        }
        if self.wait > MAX_SNAPSHOT_SECONDS
            || self.polling.is_some_and(|p| p > MAX_SNAPSHOT_SECONDS)
        {
            return Err("wait/polling out of range");
        }
        let period_ok =
            |v: Option<u32>| v.map_or(true, |v| (1..=MAX_SNAPSHOT_SECONDS).contains(&v));
        if !period_ok(self.inactivity) || !period_ok(self.maxpause) {
            return Err("inactivity/maxpause out of range");
        }
        if self.ack.is_some_and(|a| a >= self.next_rid) {
            return Err("ack out of range");
        }
        if self.unanswered.len() > (self.requests as usize).saturating_add(1) {
            return Err("more unanswered requests than the window holds");
        }
        let mut last = 0;
        for u in &self.unanswered {
            if u.rid <= last || u.rid >= self.next_rid {
                return Err("unanswered rids out of order");
            }
            last = u.rid;
            if !body_matches(&u.body, u.rid, &self.sid) {
                return Err("an unanswered body does not match its rid and sid");
            }
        }
        if let Some(k) = &self.keys {
            if KeyChain::restore(k).is_none() {
                return Err("bad key sequence");
            }
        }
        Ok(())
    }
}

/// Whether a stored request is a pause request (`pause` attribute).
fn is_pause_request(body: &str) -> bool {
    crate::xml::parse(body).is_ok_and(|el| el.attr("pause").is_some())
}

/// Whether `body` is a BOSH `<body/>` with this `rid` and `sid`: a stored
/// request is resent as it is, so it must be the request it claims to be.
fn body_matches(body: &str, rid: u64, sid: &str) -> bool {
    let Ok(el) = crate::xml::parse(body) else {
        return false;
    };
    el.local_name() == "body"
        && el.ns() == Some(crate::ns::HTTPBIND)
        && el.attr("rid").and_then(|r| r.parse::<u64>().ok()) == Some(rid)
        && el.attr("sid") == Some(sid)
}

impl Session {
    /// The snapshot of an open session; `None` before it is created or after
    /// it closed, and while a terminate is on its way (nothing to continue).
    pub fn snapshot(&self) -> Option<SessionSnapshot> {
        if self.state != State::Open || self.terminating {
            return None;
        }
        let p = self.params.as_ref()?;
        // A pause request is left out: the server does not buffer its
        // answer (§14.3), so a resend would end the session with
        // `item-not-found`. Its rid stays used (`next_rid` is past it):
        // the server received it, and the next page continues after it.
        let mut unanswered = Vec::with_capacity(self.in_flight.len());
        for r in &self.in_flight {
            if r.kind != Kind::Pause {
                unanswered.push(Unanswered {
                    rid: r.rid,
                    body: r.body.clone(),
                });
            }
        }
        Some(SessionSnapshot {
            url: self.config.url.clone(),
            to: self.config.to.clone(),
            sid: p.sid.clone(),
            next_rid: self.next_rid,
            wait: p.wait,
            hold: p.hold,
            requests: p.requests,
            polling: p.polling,
            inactivity: p.inactivity,
            maxpause: p.maxpause,
            unanswered,
            queued: self.queue.clone(),
            ver: p.ver.clone(),
            ack: p.ack,
            keys: self.keys.as_ref().map(KeyChain::state),
            service: self.origin.clone(),
        })
    }

    /// Continues a session from a snapshot. The unanswered requests are
    /// resent with their own rids and bytes; new requests continue at
    /// `next_rid` in the same round, without waiting for those resends (the
    /// window permitting), so the first new request carries what the page
    /// queued and its answers come back one round trip later.
    ///
    /// They travel on separate HTTP connections, so the server may see the
    /// new rid before the resend of an older one. The old page's request
    /// was either answered (then the answer is in the server's §14.3 buffer
    /// and the resend replays it, in either order: our window keeps it
    /// among the last `requests` answers) or still held when the page went
    /// away, with nothing written into it. Prosody 0.12 forgets such a
    /// request when its connection closes; its resend, if the new rid was
    /// processed first, is then below the server's rid and gets
    /// `item-not-found` — for that request only, the session lives on.
    /// Such an answer to a resend, while a later rid is on its way, is read
    /// as the empty answer it stands for (nothing was lost); if the session
    /// is really gone, the later rid's answer ends it. ejabberd 23.01 keeps
    /// the held request until the next rid answers it empty, and replays
    /// that. `config.url`/`to` are taken from the snapshot (after a
    /// redirect, `url` is where the session lives; [`Session::service`]
    /// stays the snapshot's `service`).
    ///
    /// Errors: [`BoshError::BadSnapshot`] when the snapshot fails
    /// [`SessionSnapshot::validate`] (storage is not trusted).
    pub fn restore(mut config: Config, snap: &SessionSnapshot) -> Result<Session, BoshError> {
        snap.validate().map_err(BoshError::BadSnapshot)?;
        config.url = snap.url.clone();
        config.to = snap.to.clone();
        config.wait = snap.wait;
        config.hold = snap.hold;
        let params = SessionParams {
            sid: snap.sid.clone(),
            wait: snap.wait,
            requests: snap.requests.max(1),
            hold: snap.hold,
            polling: snap.polling,
            inactivity: snap.inactivity,
            maxpause: snap.maxpause,
            ver: snap.ver.clone(),
            ack: snap.ack,
            ..Default::default()
        };
        let mut s = Session::attached(config, params, snap.next_rid);
        s.keys = snap.keys.as_ref().and_then(KeyChain::restore);
        s.origin = snap.service.clone();
        for u in &snap.unanswered {
            // Snapshots written before pause requests were left out may hold
            // one: it is never resent either (see the module documentation).
            if is_pause_request(&u.body) {
                continue;
            }
            s.in_flight.push(Request {
                rid: u.rid,
                kind: Kind::Normal,
                body: u.body.clone(),
                attempt: None,
                resend_at: Some(Duration::ZERO),
                failures: 0,
                answers_at_failure: 0,
                attempts: 0,
                response: None,
                recovering: true,
            });
        }
        s.queue = snap.queued.clone();
        if !s.queue.is_empty() {
            s.queued_since = Some(Duration::ZERO);
            s.flush_now = true;
        }
        Ok(s)
    }
}

impl Session {
    /// Continues this session from a newer snapshot of it that another page
    /// wrote (the back-forward cache: this page was frozen while another
    /// page of the tab restored the session and used it). Like
    /// [`Session::restore`] with this session's configuration: the
    /// snapshot's unanswered requests are resent first, new requests go on
    /// at its `next_rid`. Attempt ids go on from ours, so a late answer to
    /// one of this session's old attempts cannot match a new one. Stanzas
    /// of our queue from index `keep_queued_from` on (queued after this page
    /// released its own snapshot, so no other page has them) follow the
    /// snapshot's queued ones.
    ///
    /// Errors: [`BoshError::BadSnapshot`] when the snapshot fails
    /// [`SessionSnapshot::validate`] or is not of this session (another
    /// sid, URL or service).
    pub fn adopted(
        &self,
        snap: &SessionSnapshot,
        keep_queued_from: usize,
    ) -> Result<Session, BoshError> {
        let same = self.params.as_ref().is_some_and(|p| p.sid == snap.sid)
            && self.config.url == snap.url
            && self.origin == snap.service;
        if !same {
            return Err(BoshError::BadSnapshot("snapshot of another session"));
        }
        let mut s = Session::restore(self.config.clone(), snap)?;
        s.next_id = self.next_id;
        s.long_poll = self.long_poll;
        let mine = self.queue.get(keep_queued_from..).unwrap_or_default();
        if !mine.is_empty() {
            s.queue.extend_from_slice(mine);
            s.queued_since = Some(Duration::ZERO);
            s.flush_now = true;
        }
        Ok(s)
    }
}

impl SessionSnapshot {
    /// Writes the snapshot as a JSON object, its members named as the fields
    /// (`ver`, `ack`, `keys` and `service` only when set).
    pub fn write_json(&self, out: &mut String) {
        let mut o = json::Obj::new(out);
        o.str("url", &self.url);
        o.str("to", &self.to);
        o.str("sid", &self.sid);
        o.u64("next_rid", self.next_rid);
        o.u64("wait", u64::from(self.wait));
        o.u64("hold", u64::from(self.hold));
        o.u64("requests", u64::from(self.requests));
        o.opt_u64("polling", self.polling.map(u64::from));
        o.opt_u64("inactivity", self.inactivity.map(u64::from));
        o.opt_u64("maxpause", self.maxpause.map(u64::from));
        let list = o.key("unanswered");
        list.push('[');
        for (i, u) in self.unanswered.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            let mut item = json::Obj::new(list);
            item.u64("rid", u.rid);
            item.str("body", &u.body);
            item.end();
        }
        list.push(']');
        let list = o.key("queued");
        list.push('[');
        for (i, q) in self.queued.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            json::write_str(list, q);
        }
        list.push(']');
        if let Some(ver) = &self.ver {
            o.str("ver", ver);
        }
        if let Some(ack) = self.ack {
            o.u64("ack", ack);
        }
        if let Some(keys) = &self.keys {
            keys.write_json(o.key("keys"));
        }
        if let Some(service) = &self.service {
            o.str("service", service);
        }
        o.end();
    }

    /// Reads what [`SessionSnapshot::write_json`] wrote (members it does not
    /// know are ignored). Only the types are checked here:
    /// [`SessionSnapshot::validate`] checks the values.
    pub fn from_json(v: &Value) -> Result<SessionSnapshot, JsonError> {
        let list = |key: &'static str| {
            v.get(key)
                .and_then(Value::as_array)
                .ok_or(JsonError::Field(key))
        };
        let opt_str = |key: &'static str| match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(s) => s
                .as_str()
                .map(|s| Some(s.to_owned()))
                .ok_or(JsonError::Field(key)),
        };
        let mut unanswered = Vec::new();
        for u in list("unanswered")? {
            unanswered.push(Unanswered {
                rid: json::field_u64(u, "rid")?,
                body: json::field_str(u, "body")?,
            });
        }
        let mut queued = Vec::new();
        for q in list("queued")? {
            queued.push(q.as_str().ok_or(JsonError::Field("queued"))?.to_owned());
        }
        Ok(SessionSnapshot {
            url: json::field_str(v, "url")?,
            to: json::field_str(v, "to")?,
            sid: json::field_str(v, "sid")?,
            next_rid: json::field_u64(v, "next_rid")?,
            wait: json::field_u32(v, "wait")?,
            hold: json::field_u32(v, "hold")?,
            requests: json::field_u32(v, "requests")?,
            polling: json::field_opt_u32(v, "polling")?,
            inactivity: json::field_opt_u32(v, "inactivity")?,
            maxpause: json::field_opt_u32(v, "maxpause")?,
            unanswered,
            queued,
            ver: opt_str("ver")?,
            ack: match v.get("ack") {
                None | Some(Value::Null) => None,
                Some(_) => Some(json::field_u64(v, "ack")?),
            },
            keys: match v.get("keys") {
                None | Some(Value::Null) => None,
                Some(k) => Some(KeyState::from_json(k)?),
            },
            service: opt_str("service")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> Session {
        let params = SessionParams {
            sid: "s1".into(),
            wait: 60,
            requests: 2,
            hold: 1,
            ..Default::default()
        };
        Session::attached(Config::new("http://cm/http-bind", "localhost"), params, 100)
    }

    #[test]
    fn unanswered_requests_survive_a_restore_byte_for_byte() {
        let mut s = open();
        let now = Duration::ZERO;
        s.send(now, "<message xmlns='jabber:client' id='m1'/>".into());
        s.flush();
        let a = s.poll_transmit(now).expect("the message leaves");
        let b = s.poll_transmit(now);
        assert!(b.is_none(), "the long poll waits: one request is in flight");
        s.send(now, "<presence xmlns='jabber:client'/>".into());
        let snap = s.snapshot().expect("open");
        assert_eq!(snap.next_rid, 101);
        assert_eq!(
            snap.unanswered,
            vec![Unanswered {
                rid: 100,
                body: a.body.clone()
            }]
        );
        assert_eq!(snap.queued.len(), 1);
        // Through JSON, as it is stored.
        let mut json = String::new();
        snap.write_json(&mut json);
        let back = SessionSnapshot::from_json(&crate::json::parse(&json).unwrap()).unwrap();
        let mut r = Session::restore(Config::new("", ""), &back).expect("valid");
        let first = r.poll_transmit(now).expect("resend");
        assert_eq!((first.rid, first.body.as_str()), (100, a.body.as_str()));
        // The queued presence leaves in the same round, without waiting for
        // the resend's answer.
        let second = r.poll_transmit(now).expect("the queued presence");
        assert_eq!(second.rid, 101);
        assert!(second.body.contains("<presence"));
        assert!(r.poll_transmit(now).is_none(), "window of 2 is full");
        assert_eq!(r.poll_timeout().map(|t| t > now), Some(true));
    }

    #[test]
    fn a_stored_pause_request_is_not_resent() {
        let s = open();
        let mut snap = s.snapshot().expect("open");
        snap.next_rid = 102;
        snap.unanswered = vec![
            Unanswered {
                rid: 100,
                body: "<body rid='100' sid='s1' xmlns='http://jabber.org/protocol/httpbind'/>"
                    .into(),
            },
            Unanswered {
                rid: 101,
                body: "<body pause='60' rid='101' sid='s1' \
                       xmlns='http://jabber.org/protocol/httpbind'/>"
                    .into(),
            },
        ];
        let mut r = Session::restore(Config::new("", ""), &snap).expect("valid");
        let t = r.poll_transmit(Duration::ZERO).expect("the resend of 100");
        assert_eq!(t.rid, 100);
        assert_eq!(r.in_flight(), 1, "the pause request is dropped");
        assert_eq!(r.next_rid(), 102, "and its rid stays used");
    }

    #[test]
    fn no_snapshot_before_creation_or_while_terminating() {
        let s = Session::new(Config::new("u", "d"), 5);
        assert!(s.snapshot().is_none());
        let mut o = open();
        o.terminate(vec![]);
        let _ = o.poll_transmit(Duration::ZERO);
        assert!(o.snapshot().is_none());
    }

    #[test]
    fn restore_checks_every_field_a_tampered_storage_could_hold() {
        let mut s = open();
        let now = Duration::ZERO;
        s.send(now, "<message xmlns='jabber:client' id='m1'/>".into());
        s.flush();
        let _ = s.poll_transmit(now).expect("the message leaves");
        let good = s.snapshot().expect("open");
        assert!(Session::restore(Config::new("", ""), &good).is_ok());
        type Tamper = fn(&mut SessionSnapshot);
        let cases: &[(&str, Tamper)] = &[
            ("empty sid", |s| s.sid = " ".into()),
            ("control in sid", |s| s.sid = "a\u{0}b".into()),
            ("empty url", |s| s.url.clear()),
            ("huge url", |s| s.url = "h".repeat(5000)),
            ("next rid 0", |s| s.next_rid = 0),
            ("next rid past 2^53-1", |s| s.next_rid = 1 << 53),
            ("requests 0", |s| s.requests = 0),
            ("requests 1000", |s| s.requests = 1000),
            ("hold 1000", |s| s.hold = 1000),
            ("wait u32::MAX", |s| s.wait = u32::MAX),
            ("polling u32::MAX", |s| s.polling = Some(u32::MAX)),
            ("inactivity 0", |s| s.inactivity = Some(0)),
            ("maxpause u32::MAX", |s| s.maxpause = Some(u32::MAX)),
            ("ack past the next rid", |s| s.ack = Some(u64::MAX)),
            ("unanswered rid 0", |s| s.unanswered[0].rid = 0),
            ("unanswered at the next rid", |s| {
                s.unanswered[0].rid = s.next_rid
            }),
            ("body of another rid", |s| s.unanswered[0].rid -= 1),
            ("body not XML", |s| s.unanswered[0].body = "<body".into()),
            ("body of another sid", |s| {
                s.unanswered[0].body = s.unanswered[0].body.replace("sid='s1'", "sid='s2'")
            }),
            ("rids not increasing", |s| {
                let u = s.unanswered[0].clone();
                s.unanswered.push(u);
            }),
            ("too many unanswered", |s| {
                let u = s.unanswered[0].clone();
                s.unanswered = vec![u; 4];
            }),
        ];
        for (what, tamper) in cases {
            let mut snap = good.clone();
            tamper(&mut snap);
            let err = Session::restore(Config::new("", ""), &snap).expect_err(what);
            assert_eq!(err.condition(), "bad-snapshot", "{what}");
        }
    }
}
