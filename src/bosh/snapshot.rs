//! Session snapshots: what a page needs to continue a BOSH session after a
//! reload (keepalive/restore) without losing or duplicating anything.
//!
//! A snapshot records the next rid to use and **every request sent whose
//! response has not been processed**, with its rid and exact bytes. A rid
//! counts as used only once its response has been processed, so a restored
//! session first resends those requests: the connection manager answers a
//! rid it already answered from its cache (XEP-0124 §14.3) and processes the
//! others once. Stanzas queued but not yet sent are kept too.

use super::keys::{KeyChain, KeyState};
use super::{Config, Kind, Request, Session, SessionParams, State};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A request sent but not yet answered, as it went on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unanswered {
    /// Its rid.
    pub rid: u64,
    /// Its exact body.
    pub body: String,
}

/// Everything needed to continue a BOSH session elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Requests sent and not yet answered, lowest rid first.
    pub unanswered: Vec<Unanswered>,
    /// Stanzas queued and not yet sent.
    pub queued: Vec<String>,
    /// The server's protocol version (`ver`), if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<String>,
    /// The server's `ack` on the creation response, when it acknowledges
    /// requests (XEP-0124 §9.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<u64>,
    /// The key sequence (XEP-0124 §15), when one is in use: as secret as the
    /// session itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<KeyState>,
}

impl SessionSnapshot {
    /// Checks what a tampered or corrupted snapshot could use to break the
    /// session: the next rid in range, at most `requests` + 1 unanswered
    /// requests (a window's worth, plus a terminate or pause), their rids
    /// increasing and below the next one, and key-sequence lengths in range.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.sid.is_empty() {
            return Err("no sid");
        }
        if self.next_rid == 0 || self.next_rid > super::MAX_RID {
            return Err("next rid out of range");
        }
        if self.requests == 0 || self.requests > 64 || self.hold > 64 {
            return Err("requests/hold out of range");
        }
        if self.unanswered.len() > self.requests as usize + 1 {
            return Err("more unanswered requests than the window holds");
        }
        let mut last = 0;
        for u in &self.unanswered {
            if u.rid <= last || u.rid >= self.next_rid {
                return Err("unanswered rids out of order");
            }
            last = u.rid;
        }
        if let Some(k) = &self.keys {
            if KeyChain::restore(k).is_none() {
                return Err("bad key sequence");
            }
        }
        Ok(())
    }
}

impl Session {
    /// The snapshot of an open session; `None` before it is created or after
    /// it closed, and while a terminate is on its way (nothing to continue).
    pub fn snapshot(&self) -> Option<SessionSnapshot> {
        if self.state != State::Open || self.terminating {
            return None;
        }
        let p = self.params.as_ref()?;
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
            unanswered: self
                .in_flight
                .iter()
                .map(|r| Unanswered {
                    rid: r.rid,
                    body: r.body.clone(),
                })
                .collect(),
            queued: self.queue.clone(),
            ver: p.ver.clone(),
            ack: p.ack,
            keys: self.keys.as_ref().map(KeyChain::state),
        })
    }

    /// Continues a session from a snapshot. The unanswered requests are
    /// resent first, with their own rids and bytes; new requests continue at
    /// `next_rid`. `config.url`/`to` are taken from the snapshot.
    pub fn restore(mut config: Config, snap: &SessionSnapshot) -> Session {
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
        for u in &snap.unanswered {
            // Rids must increase and stay below `next_rid`; a request that
            // breaks this comes from a corrupt snapshot and is dropped.
            let fits = u.rid < snap.next_rid && s.in_flight.back().map_or(true, |b| b.rid < u.rid);
            if !fits {
                continue;
            }
            s.in_flight.push_back(Request {
                rid: u.rid,
                kind: Kind::Normal,
                body: u.body.clone(),
                attempt: None,
                resend_at: Some(Duration::ZERO),
                failures: 0,
                attempts: 0,
                response: None,
            });
        }
        if !snap.unanswered.is_empty() {
            s.restore_gate = Some((snap.next_rid, None));
        }
        s.queue = snap.queued.clone();
        if !s.queue.is_empty() {
            s.queued_since = Some(Duration::ZERO);
            s.flush_now = true;
        }
        s
    }
}

impl Session {
    /// Whether new requests must still wait after a restore.
    ///
    /// The resent requests leave first, but on separate HTTP connections, so
    /// a new request could overtake them. If the server processes rid N+1
    /// before the resend of rid N, and N was held when the old page died
    /// (so no answer to N is buffered), the resend of N is out of its window
    /// and the session is lost (Prosody answers `item-not-found`). So new
    /// requests wait until the resends are answered or, at most,
    /// [`Config::restore_settle`] after they left.
    pub(super) fn restore_gated(&mut self, now: Duration) -> bool {
        let Some((first_new, until)) = self.restore_gate else {
            return false;
        };
        let old_pending = self
            .in_flight
            .iter()
            .any(|r| r.rid < first_new && r.unanswered());
        if !old_pending {
            self.restore_gate = None;
            return false;
        }
        let until = until.unwrap_or(now + self.config.restore_settle);
        if now >= until {
            self.restore_gate = None;
            return false;
        }
        self.restore_gate = Some((first_new, Some(until)));
        true
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
        let json = serde_json::to_string(&snap).unwrap();
        let back: SessionSnapshot = serde_json::from_str(&json).unwrap();
        let mut r = Session::restore(Config::new("", ""), &back);
        let first = r.poll_transmit(now).expect("resend");
        assert_eq!((first.rid, first.body.as_str()), (100, a.body.as_str()));
        // New requests wait for the resend to reach the server first...
        assert!(r.poll_transmit(now).is_none());
        let settle = Config::new("", "").restore_settle;
        assert_eq!(r.poll_timeout().map(|t| t <= now + settle), Some(true));
        // ...at most `restore_settle`.
        let later = now + settle;
        r.handle_timeout(later);
        let second = r.poll_transmit(later).expect("the queued presence");
        assert_eq!(second.rid, 101);
        assert!(second.body.contains("<presence"));
        assert!(r.poll_transmit(later).is_none(), "window of 2 is full");

        // Or until the resend is answered, whichever comes first.
        let mut q = Session::restore(Config::new("", ""), &back);
        let resend = q.poll_transmit(now).expect("resend");
        assert!(q.poll_transmit(now).is_none());
        let body = "<body xmlns='http://jabber.org/protocol/httpbind'/>";
        q.handle_response(now, resend.id, 200, body);
        let next = q.poll_transmit(now).expect("the presence, at once");
        assert_eq!(next.rid, 101);
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
}
