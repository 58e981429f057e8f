//! XEP-0198 stream management, client side, sans-IO: the counters, the
//! queue of unacknowledged stanzas and the acknowledgement policy. The
//! connection feeds it what it sends and receives and sends the elements it
//! builds; it knows nothing of transports.
//!
//! Counters are `u32` and wrap at 2^32 (XEP-0198 §4): every comparison is a
//! wrapping difference. An `<a h/>` or `<resumed h/>`/`<failed h/>`
//! acknowledging more stanzas than were sent is a protocol error
//! ([`SmError::HandledCountTooHigh`]), never a panic.
//!
//! Acknowledgement policy: an `<r/>` is requested when [`REQUEST_AFTER`]
//! stanzas are unacknowledged and not yet covered by a request, or
//! [`REQUEST_DELAY`] after the first stanza no request covers: a burst of
//! stanzas costs one request, not one per stanza. A server's `<r/>` is
//! answered at once.

use crate::json::{self, JsonError, Value};
use crate::ns;
use crate::xml::Element;
use std::time::Duration;

/// Unacknowledged stanzas not yet covered by an `<r/>` that trigger one at
/// once.
pub const REQUEST_AFTER: usize = 16;

/// How long an unacknowledged stanza waits for an `<r/>` at most.
pub const REQUEST_DELAY: Duration = Duration::from_millis(500);

/// The most unacknowledged stanzas kept (and stored in a snapshot); above
/// it the oldest are dropped from the queue and reported lost on a
/// failed resumption.
pub const MAX_UNACKED: usize = 10_000;

/// A protocol error of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmError {
    /// The server acknowledged more stanzas than we sent.
    #[error("the server acknowledged more stanzas than were sent")]
    HandledCountTooHigh,
    /// `h` is missing or not a number in 0..2^32.
    #[error("bad or missing h")]
    BadH,
}

impl SmError {
    /// The condition: `handled-count-too-high` or `bad-format`.
    pub fn condition(self) -> &'static str {
        match self {
            SmError::HandledCountTooHigh => "handled-count-too-high",
            SmError::BadH => "bad-format",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Off,
    /// `<enable/>` sent; outbound counting has begun.
    Enabling,
    Enabled,
}

/// What an SM element from the server means for the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing more to do.
    Handled,
    /// Send this element (an `<a/>` answering `<r/>`).
    Reply(Element),
    /// `<enabled/>`.
    Enabled,
    /// `<resumed/>`: send these stanzas again, in order (the ones above the
    /// server's `h`); they stay unacknowledged.
    Resumed(Vec<String>),
    /// `<failed/>`: SM is off; these stanzas may not have arrived (those
    /// above `h` when the server gave one, else every unacknowledged one).
    Failed {
        /// The condition child (`item-not-found`, `unexpected-request`, ...).
        condition: String,
        /// The stanzas that may be lost.
        unacked: Vec<String>,
    },
    /// Not an SM element of ours.
    NotSm,
}

/// The state of XEP-0198 on one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamManagement {
    state: State,
    id: Option<String>,
    location: Option<String>,
    max: Option<u32>,
    /// Stanzas handled (received) since `<enabled/>`: our `h`.
    inbound: u32,
    /// The server's last `h`: our stanzas it has handled.
    acked: u32,
    unacked: Vec<String>,
    /// How many of `unacked` (the oldest) an outstanding `<r/>` covers.
    requested: usize,
    request_at: Option<Duration>,
    /// Stanzas dropped from a full queue since the last acknowledgement.
    overflow: u32,
}

impl Default for StreamManagement {
    fn default() -> Self {
        StreamManagement {
            state: State::Off,
            id: None,
            location: None,
            max: None,
            inbound: 0,
            acked: 0,
            unacked: Vec::new(),
            requested: 0,
            request_at: None,
            overflow: 0,
        }
    }
}

/// What a page stores to resume the stream after a reload: the SM id and
/// location, both counters and the unacknowledged stanzas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmSnapshot {
    /// The resumption id (`previd`).
    pub id: String,
    /// Where to reconnect to resume (`location` of `<enabled/>`), if given.
    pub location: Option<String>,
    /// The server's `max` (seconds it keeps the session after the socket
    /// is gone), if given: a shell that stores the time of its last write
    /// can skip a resumption that cannot succeed any more.
    pub max: Option<u32>,
    /// Our `h`: stanzas handled from the server.
    pub inbound: u32,
    /// The server's last `h`.
    pub acked: u32,
    /// The stanzas above `acked`, oldest first.
    pub unacked: Vec<String>,
}

impl SmSnapshot {
    /// Writes the members of the snapshot's JSON object.
    pub fn write_json(&self, o: &mut json::Obj<'_>) {
        o.str("id", &self.id);
        if let Some(l) = &self.location {
            o.str("location", l);
        }
        if let Some(m) = self.max {
            o.u64("max", u64::from(m));
        }
        o.u64("h", u64::from(self.inbound));
        o.u64("acked", u64::from(self.acked));
        let list = o.key("unacked");
        list.push('[');
        for (i, s) in self.unacked.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            json::write_str(list, s);
        }
        list.push(']');
    }

    /// Reads what [`SmSnapshot::write_json`] wrote; checks ranges.
    pub fn from_json(v: &Value) -> Result<SmSnapshot, JsonError> {
        let unacked = v
            .get("unacked")
            .and_then(Value::as_array)
            .ok_or(JsonError::Field("unacked"))?;
        if unacked.len() > MAX_UNACKED {
            return Err(JsonError::Field("unacked"));
        }
        let mut list = Vec::with_capacity(unacked.len());
        for s in unacked {
            list.push(s.as_str().ok_or(JsonError::Field("unacked"))?.to_owned());
        }
        let id = json::field_str(v, "id")?;
        if id.is_empty() {
            return Err(JsonError::Field("id"));
        }
        Ok(SmSnapshot {
            id,
            location: match v.get("location") {
                None | Some(Value::Null) => None,
                Some(l) => Some(l.as_str().ok_or(JsonError::Field("location"))?.to_owned()),
            },
            max: json::field_opt_u32(v, "max")?,
            inbound: json::field_u32(v, "h")?,
            acked: json::field_u32(v, "acked")?,
            unacked: list,
        })
    }
}

fn parse_h(el: &Element) -> Result<u32, SmError> {
    let h = el.attr("h").ok_or(SmError::BadH)?;
    if h.is_empty() || h.len() > 10 || !h.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SmError::BadH);
    }
    h.parse::<u32>().map_err(|_| SmError::BadH)
}

/// Whether `el` is a stanza that XEP-0198 counts.
pub fn is_stanza(el: &Element) -> bool {
    matches!(el.local_name(), "message" | "presence" | "iq")
        && matches!(el.ns(), None | Some(ns::CLIENT))
}

impl StreamManagement {
    /// Whether `<enable/>` was sent or SM is on: outbound stanzas count.
    pub fn counting(&self) -> bool {
        self.state != State::Off
    }

    /// Whether the server enabled SM.
    pub fn enabled(&self) -> bool {
        self.state == State::Enabled
    }

    /// Whether the stream can be resumed (enabled with an id).
    pub fn resumable(&self) -> bool {
        self.enabled() && self.id.is_some()
    }

    /// The resumption id.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The server's preferred location for resuming.
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The server's `max` resumption time in seconds.
    pub fn max(&self) -> Option<u32> {
        self.max
    }

    /// Our `h` (stanzas handled).
    pub fn inbound(&self) -> u32 {
        self.inbound
    }

    /// The server's last `h`.
    pub fn acked(&self) -> u32 {
        self.acked
    }

    /// The unacknowledged stanzas, oldest first.
    pub fn unacked(&self) -> impl Iterator<Item = &str> {
        self.unacked.iter().map(String::as_str)
    }

    /// The `<enable/>` element; outbound counting starts now.
    pub fn enable(&mut self, resume: bool) -> Element {
        *self = StreamManagement {
            state: State::Enabling,
            ..Default::default()
        };
        let mut e = Element::new("enable").with_attr("xmlns", ns::SM);
        if resume {
            e.set_attr("resume", "true");
        }
        e
    }

    /// Continues from a snapshot (SM enabled, waiting to resume).
    pub fn restored(s: &SmSnapshot) -> StreamManagement {
        StreamManagement {
            state: State::Enabled,
            id: Some(s.id.clone()),
            location: s.location.clone(),
            max: s.max,
            inbound: s.inbound,
            acked: s.acked,
            unacked: s.unacked.clone(),
            requested: 0,
            request_at: None,
            overflow: 0,
        }
    }

    /// What a page stores to resume, when resumable.
    pub fn snapshot(&self) -> Option<SmSnapshot> {
        if !self.resumable() {
            return None;
        }
        Some(SmSnapshot {
            id: self.id.clone()?,
            location: self.location.clone(),
            max: self.max,
            inbound: self.inbound,
            acked: self.acked,
            unacked: self.unacked.clone(),
        })
    }

    /// The `<resume/>` element.
    pub fn resume_request(&self) -> Option<Element> {
        Some(
            Element::new("resume")
                .with_attr("xmlns", ns::SM)
                .with_attr("previd", self.id.as_deref()?)
                .with_attr("h", self.inbound.to_string()),
        )
    }

    /// A stanza was sent: it joins the unacknowledged queue.
    pub fn on_sent(&mut self, now: Duration, stanza: String) {
        if !self.counting() {
            return;
        }
        if self.unacked.len() >= MAX_UNACKED {
            self.unacked.remove(0);
            self.requested = self.requested.saturating_sub(1);
            self.overflow = self.overflow.saturating_add(1);
            // The dropped stanza still counts: `acked` moves past it.
            self.acked = self.acked.wrapping_add(1);
        }
        self.unacked.push(stanza);
        if self.request_at.is_none() {
            self.request_at = Some(now.saturating_add(REQUEST_DELAY));
        }
    }

    /// A stanza was received (after `<enabled/>`): our `h` goes up.
    pub fn on_received(&mut self) {
        if self.enabled() {
            self.inbound = self.inbound.wrapping_add(1);
        }
    }

    /// Whether an `<r/>` should leave now; if so, it is counted as sent.
    pub fn poll_request(&mut self, now: Duration) -> Option<Element> {
        if !self.enabled() {
            return None;
        }
        let uncovered = self.unacked.len().saturating_sub(self.requested);
        if uncovered == 0 {
            self.request_at = None;
            return None;
        }
        if uncovered < REQUEST_AFTER {
            // Stanzas no request covers (after `<enabled/>` or a resumption,
            // the ones sent before) wait at most REQUEST_DELAY from now.
            let at = *self
                .request_at
                .get_or_insert(now.saturating_add(REQUEST_DELAY));
            if now < at {
                return None;
            }
        }
        self.requested = self.unacked.len();
        self.request_at = None;
        Some(Element::new("r").with_attr("xmlns", ns::SM))
    }

    /// When [`StreamManagement::poll_request`] may have something.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.enabled().then_some(self.request_at).flatten()
    }

    fn ack(&mut self, h: u32) -> Result<(), SmError> {
        let n = h.wrapping_sub(self.acked) as usize;
        if n > self.unacked.len() {
            return Err(SmError::HandledCountTooHigh);
        }
        self.unacked.drain(..n);
        self.requested = self.requested.saturating_sub(n);
        self.acked = h;
        Ok(())
    }

    /// Handles an element in the SM namespace from the server.
    pub fn handle(&mut self, el: &Element) -> Result<Outcome, SmError> {
        if el.ns() != Some(ns::SM) {
            return Ok(Outcome::NotSm);
        }
        match el.local_name() {
            "enabled" if self.state == State::Enabling => {
                self.state = State::Enabled;
                let resume = matches!(el.attr("resume"), Some("true" | "1"));
                self.id = el
                    .attr("id")
                    .filter(|id| resume && !id.is_empty() && id.len() <= 1024)
                    .map(str::to_owned);
                self.location = el
                    .attr("location")
                    .filter(|l| l.len() <= 2048)
                    .map(str::to_owned);
                self.max = el.attr("max").and_then(|m| m.parse().ok());
                Ok(Outcome::Enabled)
            }
            "r" if self.enabled() => Ok(Outcome::Reply(
                Element::new("a")
                    .with_attr("xmlns", ns::SM)
                    .with_attr("h", self.inbound.to_string()),
            )),
            "a" if self.enabled() => {
                self.ack(parse_h(el)?)?;
                Ok(Outcome::Handled)
            }
            "resumed" => {
                if el.attr("previd") != self.id.as_deref() {
                    return Err(SmError::BadH);
                }
                self.ack(parse_h(el)?)?;
                self.state = State::Enabled;
                self.requested = 0;
                self.request_at = None;
                Ok(Outcome::Resumed(self.unacked.clone()))
            }
            "failed" => {
                // With `h`, what the server handled is known; the rest may
                // be lost.
                if el.attr("h").is_some() {
                    self.ack(parse_h(el)?)?;
                }
                let condition = el
                    .elements()
                    .find(|c| c.ns() == Some(ns::STANZAS))
                    .map(|c| c.local_name().to_owned())
                    .unwrap_or_else(|| "undefined-condition".into());
                let unacked = std::mem::take(&mut self.unacked);
                *self = StreamManagement::default();
                Ok(Outcome::Failed { condition, unacked })
            }
            _ => Ok(Outcome::Handled),
        }
    }

    /// SM is off (a new session after a failed resumption).
    pub fn reset(&mut self) {
        *self = StreamManagement::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    fn el(s: &str) -> Element {
        xml::parse_standalone(s).unwrap()
    }

    fn enabled(resume: bool) -> StreamManagement {
        let mut sm = StreamManagement::default();
        sm.enable(resume);
        let outcome = sm
            .handle(&el(
                "<enabled xmlns='urn:xmpp:sm:3' id='x' resume='true' max='300'/>",
            ))
            .unwrap();
        assert_eq!(outcome, Outcome::Enabled);
        sm
    }

    #[test]
    fn acks_wrap_at_two_to_the_32() {
        let mut sm = enabled(true);
        sm.acked = u32::MAX - 1;
        for i in 0..4 {
            sm.on_sent(Duration::ZERO, format!("<message id='{i}'/>"));
        }
        // h = 2^32 - 1 + 2 wraps to 1: three acknowledged.
        sm.handle(&el("<a xmlns='urn:xmpp:sm:3' h='1'/>")).unwrap();
        assert_eq!(sm.unacked().collect::<Vec<_>>(), ["<message id='3'/>"]);
        assert_eq!(
            sm.handle(&el("<a xmlns='urn:xmpp:sm:3' h='3'/>")),
            Err(SmError::HandledCountTooHigh)
        );
        sm.inbound = u32::MAX;
        sm.on_received();
        assert_eq!(sm.inbound(), 0);
    }

    #[test]
    fn bad_h_is_an_error() {
        let mut sm = enabled(true);
        for h in ["", "-1", "4294967296", "1e3", " 1"] {
            let a = Element::new("a")
                .with_attr("xmlns", ns::SM)
                .with_attr("h", h);
            assert_eq!(sm.handle(&a), Err(SmError::BadH), "{h:?}");
        }
    }

    #[test]
    fn one_request_per_burst() {
        let mut sm = enabled(true);
        for i in 0..5 {
            sm.on_sent(Duration::ZERO, format!("<message id='{i}'/>"));
        }
        assert_eq!(sm.poll_request(Duration::from_millis(10)), None);
        assert!(sm.poll_request(REQUEST_DELAY).is_some());
        assert_eq!(sm.poll_request(REQUEST_DELAY), None);
        for i in 0..REQUEST_AFTER {
            sm.on_sent(REQUEST_DELAY, format!("<message id='b{i}'/>"));
        }
        assert!(sm.poll_request(REQUEST_DELAY).is_some());
    }

    #[test]
    fn failed_reports_what_may_be_lost() {
        let mut sm = enabled(true);
        for i in 0..3 {
            sm.on_sent(Duration::ZERO, format!("<message id='{i}'/>"));
        }
        let out = sm
            .handle(&el(
                "<failed xmlns='urn:xmpp:sm:3' h='1'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
            ))
            .unwrap();
        assert_eq!(
            out,
            Outcome::Failed {
                condition: "item-not-found".into(),
                unacked: vec!["<message id='1'/>".into(), "<message id='2'/>".into()]
            }
        );
        assert!(!sm.counting());
    }
}
