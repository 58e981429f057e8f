//! One XMPP stream over a WebSocket (RFC 7395), client side, sans-IO.
//!
//! [`Stream`] frames the stream: it asks its driver to open a socket
//! ([`Transmit::Open`], subprotocol `xmpp`), sends `<open/>` in
//! `urn:ietf:params:xml:ns:xmpp-framing` once the socket is open, checks the
//! server's `<open/>`, turns every incoming frame into exactly one element,
//! restarts the stream with a new `<open/>` after SASL, and closes it with
//! `<close/>` (answering the server's, following its `see-other-uri`).
//!
//! * **commands**: [`Stream::start`], [`Stream::send`], [`Stream::restart`],
//!   [`Stream::terminate`];
//! * **inputs**: [`Stream::handle_open`] (the socket opened),
//!   [`Stream::handle_frame`] (one text message), [`Stream::handle_closed`]
//!   (the socket closed or failed), [`Stream::handle_timeout`];
//! * **outputs**: [`Stream::poll_event`], [`Stream::poll_transmit`],
//!   [`Stream::poll_timeout`].
//!
//! Rules (RFC 7395 §3.3.3, RFC 6120 §11): a frame holds exactly one complete
//! element with its namespace declarations; no XML declaration, comment,
//! processing instruction or text beside it (so no whitespace keepalive).
//! A frame that breaks them, a frame above [`Config::max_frame_size`] (checked
//! before parsing), an element nested deeper or declaring more namespaces
//! than `src/xml` allows, or a top-level element outside any namespace ends
//! the stream: we send `<stream:error>` with the condition and `<close/>`,
//! ask the driver to close the socket, and report [`Event::Closed`] with that
//! condition. Nothing a server sends panics, and the work is linear in the
//! frame.

use crate::ns;
use crate::xml::{self, Element, XmlError};
use std::time::Duration;

/// The WebSocket subprotocol of RFC 7395 (`Sec-WebSocket-Protocol`).
pub const PROTOCOL: &str = "xmpp";

/// Settings of a [`Stream`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The `ws://` or `wss://` URL.
    pub url: String,
    /// The server's domain (`to` of `<open/>`).
    pub domain: String,
    /// `xml:lang` of the stream.
    pub lang: String,
    /// The largest frame accepted, in bytes (UTF-8 length).
    pub max_frame_size: usize,
    /// How long opening the socket and receiving the server's `<open/>` may
    /// take before the stream fails with `remote-connection-failed`.
    pub open_timeout: Duration,
    /// How long to wait for the server's `<close/>` after ours before the
    /// socket is closed anyway.
    pub close_timeout: Duration,
}

impl Config {
    /// Defaults for `url` and `domain`: frames up to 4 MiB, 30 s to open,
    /// 2 s to close.
    pub fn new(url: impl Into<String>, domain: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            domain: domain.into(),
            lang: "en".into(),
            max_frame_size: 4 * 1024 * 1024,
            open_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(2),
        }
    }
}

/// Whether `url` is a WebSocket URL (`ws://` or `wss://`, any case).
pub fn is_ws_url(url: &str) -> bool {
    let lower = |n: usize| url.get(..n).map(str::to_ascii_lowercase);
    lower(5).as_deref() == Some("ws://") || lower(6).as_deref() == Some("wss://")
}

/// What the driver must do with the socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Open a WebSocket to `url` with the subprotocol [`PROTOCOL`]; call
    /// [`Stream::handle_open`] when it opens, [`Stream::handle_closed`] if it
    /// fails or closes.
    Open {
        /// Where to connect.
        url: String,
    },
    /// Send one text message.
    Frame(String),
    /// Close the socket (normal closure, code 1000). No
    /// [`Stream::handle_closed`] is needed afterwards (it is harmless).
    Close,
}

/// Something the connection learns from the stream.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The server's `<open/>` arrived (after the first one or a restart);
    /// `id` is its stream id.
    Opened {
        /// The stream id (`id` of `<open/>`), possibly empty.
        id: String,
    },
    /// A top-level element other than `<open/>`/`<close/>`.
    Stanza(Element),
    /// The stream is over: `None` after our own close was answered (or the
    /// socket closed while we were closing), otherwise why.
    Closed {
        /// `see-other-uri`, `remote-connection-failed`, `not-well-formed`,
        /// `policy-violation`, `invalid-namespace`, `unsupported-version`,
        /// `bad-format`, `closed-by-server`, ...
        condition: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    New,
    /// The driver is opening the socket.
    Connecting,
    /// Our `<open/>` is sent; waiting for the server's.
    Opening,
    Open,
    /// Our `<close/>` is sent.
    Closing,
    Closed,
}

/// One stream over one WebSocket. See the module documentation.
#[derive(Debug)]
pub struct Stream {
    config: Config,
    state: State,
    /// Transmits in order (control, and stanza frames once open).
    out: Vec<Transmit>,
    /// `out` taken and reversed: popped from the end (plain `Vec`s cost
    /// less download than a `VecDeque` per item type).
    ready: Vec<Transmit>,
    /// Stanza frames, sent while the stream is open.
    pending: Vec<String>,
    /// Events, newest last; `ready_events` as `ready`.
    events: Vec<Event>,
    ready_events: Vec<Event>,
    deadline: Option<Duration>,
    /// The deadline starts at the first input or timeout after `start`.
    arm_open_deadline: bool,
    stream_id: Option<String>,
    redirect: Option<String>,
    condition: Option<String>,
    frames_in: u64,
    frames_out: u64,
}

impl Stream {
    /// A stream to `config.url`; nothing happens before [`Stream::start`].
    pub fn new(config: Config) -> Self {
        Stream {
            config,
            state: State::New,
            out: Vec::new(),
            ready: Vec::new(),
            pending: Vec::new(),
            events: Vec::new(),
            ready_events: Vec::new(),
            deadline: None,
            arm_open_deadline: false,
            stream_id: None,
            redirect: None,
            condition: None,
            frames_in: 0,
            frames_out: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the stream is open (the server's `<open/>` arrived and no
    /// close began).
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the stream is over.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Why the stream ended (the condition of [`Event::Closed`]).
    pub fn condition(&self) -> Option<&str> {
        self.condition.as_deref()
    }

    /// The stream id of the server's last `<open/>`.
    pub fn stream_id(&self) -> Option<&str> {
        self.stream_id.as_deref()
    }

    /// Where a `see-other-uri` close sent us, when [`check_redirect`]
    /// allowed it.
    pub fn redirect(&self) -> Option<&str> {
        self.redirect.as_deref()
    }

    /// Frames received and sent so far (stanzas and framing elements).
    pub fn frame_counts(&self) -> (u64, u64) {
        (self.frames_in, self.frames_out)
    }

    /// Asks the driver to open the socket.
    pub fn start(&mut self) {
        if self.state != State::New {
            return;
        }
        self.state = State::Connecting;
        self.arm_open_deadline = true;
        self.out.push(Transmit::Open {
            url: self.config.url.clone(),
        });
    }

    /// Queues one element (its serialisation) as one frame. Ignored once the
    /// stream is closing.
    pub fn send(&mut self, frame: String) {
        if matches!(self.state, State::Closing | State::Closed) {
            return;
        }
        self.pending.push(frame);
    }

    /// Restarts the stream (after SASL success): a new `<open/>`; queued
    /// frames wait for the server's answering `<open/>`.
    pub fn restart(&mut self) {
        if matches!(self.state, State::Open | State::Opening) {
            self.state = State::Opening;
            self.out.push(Transmit::Frame(self.open_frame()));
        }
    }

    /// Closes the stream: `frames` (say, an unavailable presence) then
    /// `<close/>`; [`Event::Closed`] (`None`) follows the server's
    /// `<close/>`, the socket's end, or [`Config::close_timeout`].
    pub fn terminate(&mut self, now: Duration, frames: Vec<String>) {
        match self.state {
            State::Closing | State::Closed => {}
            State::New | State::Connecting => {
                self.out.push(Transmit::Close);
                self.close(None);
            }
            State::Opening | State::Open => {
                if self.state == State::Open {
                    self.pending.extend(frames);
                    self.flush_pending();
                }
                self.out.push(Transmit::Frame(close_frame(None)));
                self.state = State::Closing;
                self.deadline = Some(now.saturating_add(self.config.close_timeout));
            }
        }
    }

    /// Input: the socket opened; our `<open/>` leaves.
    pub fn handle_open(&mut self, now: Duration) {
        self.arm(now);
        if self.state != State::Connecting {
            return;
        }
        self.state = State::Opening;
        self.out.push(Transmit::Frame(self.open_frame()));
    }

    /// Input: one text message from the socket.
    pub fn handle_frame(&mut self, now: Duration, text: &str) {
        self.arm(now);
        if matches!(self.state, State::Closed | State::New | State::Connecting) {
            return;
        }
        self.frames_in = self.frames_in.saturating_add(1);
        if text.len() > self.config.max_frame_size {
            self.stream_error("policy-violation");
            return;
        }
        let el = match parse_frame(text) {
            Ok(el) => el,
            Err(condition) => {
                self.stream_error(condition);
                return;
            }
        };
        let el_ns = root_ns(&el);
        if el_ns == Some(ns::FRAMING) {
            match el.local_name() {
                "open" => self.on_open(&el),
                "close" => self.on_close(&el),
                _ => self.stream_error("bad-format"),
            }
            return;
        }
        if el_ns.is_none() || matches!(el.local_name(), "open" | "close") {
            // Outside any namespace, or a framing element in another one.
            self.stream_error("invalid-namespace");
            return;
        }
        match self.state {
            // A stream error may come instead of the server's `<open/>`.
            State::Opening if !is_stream_error(&el) => self.stream_error("bad-format"),
            _ => self.events.push(Event::Stanza(el)),
        }
    }

    /// Input: the socket closed or failed (the browser's `close` event).
    pub fn handle_closed(&mut self, _now: Duration) {
        match self.state {
            State::Closed => {}
            State::Closing => self.close(None),
            _ => self.close(Some("remote-connection-failed".into())),
        }
    }

    /// Input: the time is now `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.arm(now);
        if self.deadline.is_some_and(|d| now >= d) {
            self.deadline = None;
            match self.state {
                State::Closing => {
                    self.out.push(Transmit::Close);
                    self.close(None);
                }
                State::Connecting | State::Opening => {
                    self.out.push(Transmit::Close);
                    self.close(Some("remote-connection-failed".into()));
                }
                _ => {}
            }
        }
    }

    /// Output: the next thing to do with the socket.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if self.ready.is_empty() {
            if self.state == State::Open {
                self.flush_pending();
            }
            self.ready = std::mem::take(&mut self.out);
            self.ready.reverse();
        }
        let t = self.ready.pop()?;
        if matches!(t, Transmit::Frame(_)) {
            self.frames_out = self.frames_out.saturating_add(1);
        }
        Some(t)
    }

    /// Output: when to call [`Stream::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.deadline
    }

    /// Output: the next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.ready_events.is_empty() {
            self.ready_events = std::mem::take(&mut self.events);
            self.ready_events.reverse();
        }
        self.ready_events.pop()
    }

    fn arm(&mut self, now: Duration) {
        if self.arm_open_deadline {
            self.arm_open_deadline = false;
            self.deadline = Some(now.saturating_add(self.config.open_timeout));
        }
    }

    fn flush_pending(&mut self) {
        self.out.extend(self.pending.drain(..).map(Transmit::Frame));
    }

    fn open_frame(&self) -> String {
        Element::new("open")
            .with_attr("xmlns", ns::FRAMING)
            .with_attr("to", self.config.domain.as_str())
            .with_attr("version", "1.0")
            .with_attr("xml:lang", self.config.lang.as_str())
            .to_xml()
    }

    fn on_open(&mut self, el: &Element) {
        if self.state != State::Opening {
            // An `<open/>` we did not ask for.
            self.stream_error("bad-format");
            return;
        }
        if el.attr("version") != Some("1.0") {
            self.stream_error("unsupported-version");
            return;
        }
        self.state = State::Open;
        self.deadline = None;
        let id = el.attr("id").unwrap_or_default().to_owned();
        self.stream_id = Some(id.clone());
        self.events.push(Event::Opened { id });
    }

    fn on_close(&mut self, el: &Element) {
        if let Some(uri) = el.attr("see-other-uri") {
            if self.state != State::Closing {
                match check_redirect(&self.config.url, uri) {
                    Ok(()) => self.redirect = Some(uri.to_owned()),
                    Err(_) => {
                        self.stream_error("policy-violation");
                        return;
                    }
                }
                self.out.push(Transmit::Close);
                self.close(Some("see-other-uri".into()));
                return;
            }
        }
        if self.state == State::Closing {
            self.out.push(Transmit::Close);
            self.close(None);
            return;
        }
        // RFC 7395 §3.6: answer the server's `<close/>` with ours.
        self.pending.clear();
        self.out.push(Transmit::Frame(close_frame(None)));
        self.out.push(Transmit::Close);
        self.close(Some("closed-by-server".into()));
    }

    /// Ends the stream on a fatal input: `<stream:error>` with `condition`,
    /// `<close/>`, socket closed.
    fn stream_error(&mut self, condition: &str) {
        if self.state == State::Closed {
            return;
        }
        self.pending.clear();
        if matches!(self.state, State::Opening | State::Open | State::Closing) {
            let err = Element::new("stream:error")
                .with_attr("xmlns:stream", ns::STREAM)
                .with_child(Element::new(condition).with_attr("xmlns", ns::STREAMS));
            self.out.push(Transmit::Frame(err.to_xml()));
            self.out.push(Transmit::Frame(close_frame(None)));
        }
        self.out.push(Transmit::Close);
        self.close(Some(condition.to_owned()));
    }

    fn close(&mut self, condition: Option<String>) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.deadline = None;
        self.arm_open_deadline = false;
        self.condition.clone_from(&condition);
        self.events.push(Event::Closed { condition });
    }
}

fn is_stream_error(el: &Element) -> bool {
    el.local_name() == "error" && root_ns(el) == Some(ns::STREAM)
}

/// The namespace of a frame's root element: a frame stands alone (RFC 7395
/// §3.3.3), so it is declared on the root itself: `xmlns` for an
/// unprefixed name, `xmlns:p` for `p:name`.
pub fn root_ns(el: &Element) -> Option<&str> {
    match el.prefix() {
        Some(p) => el
            .attrs
            .iter()
            .find(|(k, _)| k.strip_prefix("xmlns:") == Some(p))
            .map(|(_, v)| v.as_str()),
        None => el.ns(),
    }
}

fn close_frame(see_other_uri: Option<&str>) -> String {
    let mut c = Element::new("close").with_attr("xmlns", ns::FRAMING);
    if let Some(u) = see_other_uri {
        c.set_attr("see-other-uri", u);
    }
    c.to_xml()
}

/// Parses one frame: exactly one element and nothing else around it (no XML
/// declaration, comment, processing instruction, whitespace or text; RFC
/// 7395 §3.3.3). The error is an RFC 6120 stream error condition:
/// `policy-violation` for nesting or declarations over the `src/xml`
/// limits, `restricted-xml` for a DOCTYPE, comment or processing
/// instruction, `not-well-formed` otherwise.
pub fn parse_frame(text: &str) -> Result<Element, &'static str> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'<') || bytes.last() != Some(&b'>') {
        // Text or whitespace around the element, or no element at all.
        return Err("not-well-formed");
    }
    if matches!(bytes.get(1), Some(b'?' | b'!')) {
        return Err("restricted-xml");
    }
    let el = xml::parse_standalone(text).map_err(|e| match e {
        XmlError::TooDeep
        | XmlError::TooManyDeclarationsOnElement
        | XmlError::TooManyDeclarations => "policy-violation",
        XmlError::Doctype => "restricted-xml",
        _ => "not-well-formed",
    })?;
    // Comments or processing instructions after the element (the parser
    // allows them around the root): the frame would end with `-->` or `?>`.
    if text.ends_with("-->") || text.ends_with("?>") {
        return Err("restricted-xml");
    }
    Ok(el)
}

/// Why a `see-other-uri` target is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    /// Not a `ws://` or `wss://` URL.
    #[error("not a WebSocket URL")]
    NotWebSocket,
    /// From `wss://` to `ws://`: the redirect would drop TLS.
    #[error("redirect from wss to ws")]
    Downgrade,
}

/// Whether a stream at `from` may follow a `see-other-uri` to `to`: a
/// WebSocket URL, and no downgrade from `wss://` to `ws://` (RFC 7395 §3.6.1
/// asks for the same level of security).
pub fn check_redirect(from: &str, to: &str) -> Result<(), RedirectError> {
    if !is_ws_url(to) || to.len() > 2048 {
        return Err(RedirectError::NotWebSocket);
    }
    let secure = |u: &str| u.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("wss://"));
    if secure(from) && !secure(to) {
        return Err(RedirectError::Downgrade);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_stream() -> Stream {
        let mut s = Stream::new(Config::new("wss://example.com/ws", "example.com"));
        s.start();
        assert_eq!(
            s.poll_transmit(),
            Some(Transmit::Open {
                url: "wss://example.com/ws".into()
            })
        );
        s.handle_open(Duration::ZERO);
        let Some(Transmit::Frame(open)) = s.poll_transmit() else {
            panic!("no <open/>");
        };
        let open = xml::parse_standalone(&open).unwrap();
        assert_eq!((open.local_name(), open.ns()), ("open", Some(ns::FRAMING)));
        assert_eq!(open.attr("to"), Some("example.com"));
        s.handle_frame(
            Duration::ZERO,
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='s1' version='1.0' from='example.com'/>",
        );
        assert_eq!(s.poll_event(), Some(Event::Opened { id: "s1".into() }));
        s
    }

    fn closed_with(s: &mut Stream) -> Option<String> {
        while let Some(e) = s.poll_event() {
            if let Event::Closed { condition } = e {
                return condition;
            }
        }
        panic!("not closed");
    }

    #[test]
    fn frames_that_are_not_one_element_end_the_stream() {
        for (frame, cond) in [
            ("<a xmlns='x'/><b xmlns='x'/>", "not-well-formed"),
            (" <a xmlns='x'/>", "not-well-formed"),
            ("<a xmlns='x'/>\n", "not-well-formed"),
            ("", "not-well-formed"),
            ("text", "not-well-formed"),
            ("<?xml version='1.0'?><a xmlns='x'/>", "restricted-xml"),
            ("<!-- c --><a xmlns='x'/>", "restricted-xml"),
            ("<a xmlns='x'/><!-- c -->", "restricted-xml"),
            ("<a xmlns='x'>", "not-well-formed"),
            ("<message>hi</message>", "invalid-namespace"),
            ("<open xmlns='wrong' version='1.0'/>", "invalid-namespace"),
            (
                "<nope xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
                "bad-format",
            ),
        ] {
            let mut s = open_stream();
            s.handle_frame(Duration::ZERO, frame);
            assert_eq!(closed_with(&mut s).as_deref(), Some(cond), "{frame:?}");
            let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
            assert!(
                matches!(&out[0], Transmit::Frame(f) if f.contains(cond)),
                "{frame:?}: {out:?}"
            );
            assert_eq!(out.last(), Some(&Transmit::Close));
        }
    }

    #[test]
    fn deep_and_huge_frames_are_policy_violations() {
        let mut s = open_stream();
        let deep = "<a xmlns='x'>".repeat(200) + &"</a>".repeat(200);
        s.handle_frame(Duration::ZERO, &deep);
        assert_eq!(closed_with(&mut s).as_deref(), Some("policy-violation"));
        let mut s = open_stream();
        s.config.max_frame_size = 100;
        let big = String::from("<a xmlns='x'>") + &"x".repeat(100) + "</a>";
        s.handle_frame(Duration::ZERO, &big);
        assert_eq!(closed_with(&mut s).as_deref(), Some("policy-violation"));
    }

    #[test]
    fn server_close_is_answered() {
        let mut s = open_stream();
        s.send("<message xmlns='jabber:client'/>".into());
        s.handle_frame(
            Duration::ZERO,
            "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
        );
        assert_eq!(closed_with(&mut s).as_deref(), Some("closed-by-server"));
        let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
        assert_eq!(
            out,
            vec![Transmit::Frame(close_frame(None)), Transmit::Close]
        );
    }

    #[test]
    fn redirects_must_stay_websocket_and_secure() {
        assert_eq!(check_redirect("wss://a/x", "wss://b/y"), Ok(()));
        assert_eq!(check_redirect("ws://a/x", "wss://b/y"), Ok(()));
        assert_eq!(
            check_redirect("wss://a/x", "ws://b/y"),
            Err(RedirectError::Downgrade)
        );
        assert_eq!(
            check_redirect("wss://a/x", "https://b/y"),
            Err(RedirectError::NotWebSocket)
        );
        let mut s = open_stream();
        s.handle_frame(
            Duration::ZERO,
            "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='ws://evil/'/>",
        );
        assert_eq!(closed_with(&mut s).as_deref(), Some("policy-violation"));
        let mut s = open_stream();
        s.handle_frame(
            Duration::ZERO,
            "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='wss://b/y'/>",
        );
        assert_eq!(closed_with(&mut s).as_deref(), Some("see-other-uri"));
        assert_eq!(s.redirect(), Some("wss://b/y"));
    }

    #[test]
    fn restart_holds_frames_until_the_new_open() {
        let mut s = open_stream();
        s.restart();
        s.send("<iq xmlns='jabber:client' id='1' type='get'/>".into());
        let Some(Transmit::Frame(open)) = s.poll_transmit() else {
            panic!()
        };
        assert!(open.starts_with("<open "));
        assert_eq!(s.poll_transmit(), None);
        s.handle_frame(
            Duration::ZERO,
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='s2' version='1.0'/>",
        );
        assert!(matches!(s.poll_transmit(), Some(Transmit::Frame(f)) if f.starts_with("<iq")));
    }

    #[test]
    fn open_times_out() {
        let mut s = Stream::new(Config::new("ws://h/", "h"));
        s.start();
        s.handle_timeout(Duration::from_secs(1));
        assert_eq!(s.poll_timeout(), Some(Duration::from_secs(31)));
        s.handle_timeout(Duration::from_secs(31));
        assert_eq!(
            closed_with(&mut s).as_deref(),
            Some("remote-connection-failed")
        );
    }
}
