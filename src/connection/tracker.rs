//! Stanzas waiting for their answer (sendIQ, sendPresence) and periodic
//! timers (timed handlers): one small table each, whose earliest deadline
//! feeds [`super::Connection::poll_timeout`].

use crate::jid::get_bare_jid_from_jid;
use crate::xml::Element;
use std::time::Duration;

/// A stanza sent with `sendIQ`/`sendPresence`, waiting for its answer.
#[derive(Clone, Debug)]
struct Pending {
    id: String,
    name: String,
    to: Option<String>,
    deadline: Option<Duration>,
}

/// The answers being waited for.
#[derive(Debug, Default)]
pub struct Tracker {
    pending: Vec<Pending>,
}

impl Tracker {
    /// Waits for the answer to a stanza `name` with `id` sent to `to`.
    pub fn track(
        &mut self,
        id: String,
        name: &str,
        to: Option<String>,
        deadline: Option<Duration>,
    ) {
        self.pending.push(Pending {
            id,
            name: name.to_owned(),
            to,
            deadline,
        });
    }

    /// If `stanza` answers a tracked stanza, stops tracking it and returns
    /// its id. `own` is the connection's full JID.
    ///
    /// The sender must be the addressee: exactly `to`, or, when the request
    /// had no `to` or was sent to our own account, no `from`, our bare JID,
    /// our full JID or our domain (RFC 6120 §8.1.2.1).
    pub fn answer(&mut self, stanza: &Element, own: Option<&str>) -> Option<String> {
        let id = stanza.attr("id")?;
        let kind = stanza.attr("type");
        let from = stanza.attr("from");
        let pos = self.pending.iter().position(|p| {
            if p.id != id || p.name != stanza.local_name() {
                return false;
            }
            if p.name == "iq" && !matches!(kind, Some("result" | "error")) {
                return false;
            }
            let own_bare = own.map(get_bare_jid_from_jid);
            let to_self = match &p.to {
                None => true,
                Some(t) => own_bare.as_deref() == Some(get_bare_jid_from_jid(t).as_str()),
            };
            match (from, &p.to) {
                (Some(f), Some(t)) if f == t => true,
                (None, _) => to_self,
                (Some(f), _) if to_self => {
                    let bare = get_bare_jid_from_jid(f);
                    Some(f) == own
                        || own_bare.as_deref() == Some(f)
                        || (own_bare.as_deref() == Some(bare.as_str()) && !f.contains('/'))
                        || own.map(crate::jid::get_domain_from_jid).as_deref() == Some(f)
                }
                _ => false,
            }
        })?;
        Some(self.pending.remove(pos).id)
    }

    /// Removes and returns the ids whose deadline has passed.
    pub fn expire(&mut self, now: Duration) -> Vec<String> {
        let mut out = Vec::new();
        self.pending.retain(|p| {
            if p.deadline.is_some_and(|d| d <= now) {
                out.push(p.id.clone());
                false
            } else {
                true
            }
        });
        out
    }

    /// Removes and returns every id (the connection is gone).
    pub fn drain(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pending)
            .into_iter()
            .map(|p| p.id)
            .collect()
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.pending.iter().filter_map(|p| p.deadline).min()
    }
}

/// Periodic timers, identified by number.
#[derive(Debug, Default)]
pub struct Timers {
    next: u64,
    list: Vec<(u64, Duration, Duration)>, // id, next deadline, period
}

impl Timers {
    /// Adds a timer firing every `period` from `now`.
    pub fn add(&mut self, now: Duration, period: Duration) -> u64 {
        self.next += 1;
        self.list
            .push((self.next, now.saturating_add(period), period));
        self.next
    }

    /// Removes a timer; `false` if it was not there.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.list.len();
        self.list.retain(|t| t.0 != id);
        before != self.list.len()
    }

    /// The ids due at `now`; each is re-armed one period later.
    pub fn due(&mut self, now: Duration) -> Vec<u64> {
        let mut out = Vec::new();
        for t in &mut self.list {
            if t.1 <= now {
                out.push(t.0);
                // A zero period would spin: fire at most once per millisecond.
                t.1 = now.saturating_add(t.2.max(Duration::from_millis(1)));
            }
        }
        out
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.list.iter().map(|t| t.1).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn timers_with_the_longest_period_saturate_instead_of_panicking() {
        let mut t = Timers::default();
        let now = Duration::from_secs(5);
        let id = t.add(now, Duration::MAX);
        assert_eq!(t.next_deadline(), Some(Duration::MAX));
        assert_eq!(t.due(now), Vec::<u64>::new());
        assert_eq!(t.due(Duration::MAX), vec![id]);
        assert_eq!(t.next_deadline(), Some(Duration::MAX));
    }

    #[test]
    fn iq_answer_matches_id_type_and_sender() {
        let mut t = Tracker::default();
        t.track("a".into(), "iq", Some("pubsub.localhost".into()), None);
        t.track("b".into(), "iq", None, None);
        let own = Some("alice@localhost/web");
        let spoofed = parse("<iq type='result' id='a' from='mallory@localhost'/>").unwrap();
        assert_eq!(t.answer(&spoofed, own), None);
        let get = parse("<iq type='get' id='a' from='pubsub.localhost'/>").unwrap();
        assert_eq!(t.answer(&get, own), None);
        let ok = parse("<iq type='error' id='a' from='pubsub.localhost'/>").unwrap();
        assert_eq!(t.answer(&ok, own).as_deref(), Some("a"));
        assert_eq!(t.answer(&ok, own), None, "answered once");
        for from in [
            "",
            "from='alice@localhost'",
            "from='localhost'",
            "from='alice@localhost/web'",
        ] {
            t.track("b".into(), "iq", None, None);
            let r = parse(&format!("<iq type='result' id='b' {from}/>")).unwrap();
            assert_eq!(t.answer(&r, own).as_deref(), Some("b"), "{from}");
        }
        t.track("b".into(), "iq", None, None);
        let other = parse("<iq type='result' id='b' from='bob@localhost'/>").unwrap();
        assert_eq!(t.answer(&other, own), None);
    }

    #[test]
    fn deadlines_expire_in_order() {
        let mut t = Tracker::default();
        t.track("x".into(), "iq", None, Some(Duration::from_secs(5)));
        t.track("y".into(), "iq", None, None);
        assert_eq!(t.next_deadline(), Some(Duration::from_secs(5)));
        assert!(t.expire(Duration::from_secs(4)).is_empty());
        assert_eq!(t.expire(Duration::from_secs(5)), vec!["x".to_string()]);
        assert_eq!(t.drain(), vec!["y".to_string()]);
    }

    #[test]
    fn timers_rearm_each_period() {
        let mut tm = Timers::default();
        let a = tm.add(Duration::ZERO, Duration::from_millis(100));
        assert!(tm.due(Duration::from_millis(99)).is_empty());
        assert_eq!(tm.due(Duration::from_millis(100)), vec![a]);
        assert_eq!(tm.next_deadline(), Some(Duration::from_millis(200)));
        assert!(tm.remove(a));
        assert_eq!(tm.next_deadline(), None);
    }
}
