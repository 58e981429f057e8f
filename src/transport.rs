//! The transport seam: what [`crate::connection::Connection`] (its login
//! machine, handlers, trackers, stream management and snapshots) needs from
//! whatever carries the XMPP stream, BOSH ([`crate::bosh::Session`]) or a
//! WebSocket ([`crate::websocket::Stream`]).
//!
//! The connection speaks to [`Transport`] only through these commands
//! (`start`, `send`, `flush`, `restart`, `terminate`), inputs
//! (`handle_timeout`; each transport's own I/O inputs are forwarded by the
//! connection's `handle_response`/`handle_ws_*` methods) and outputs
//! (`poll_event`, `poll_timeout`). Each transport's I/O output stays its
//! own: BOSH yields HTTP requests ([`crate::bosh::Transmit`]), a WebSocket
//! socket actions ([`crate::websocket::Transmit`]); the connection exposes
//! both, and a driver drains the one its transport uses.

use crate::bosh;
use crate::websocket;
use crate::xml::Element;
use std::time::Duration;

/// Which transport a connection uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// BOSH (XEP-0124/0206): an `http://` or `https://` service.
    Bosh,
    /// WebSocket (RFC 7395): a `ws://` or `wss://` service.
    WebSocket,
}

impl Kind {
    /// The transport a service URL asks for: `ws://`/`wss://` is a
    /// WebSocket, anything else BOSH.
    pub fn of_url(url: &str) -> Kind {
        if websocket::is_ws_url(url) {
            Kind::WebSocket
        } else {
            Kind::Bosh
        }
    }

    /// `"websocket"` or `"bosh"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bosh => "bosh",
            Kind::WebSocket => "websocket",
        }
    }
}

/// What the connection learns from its transport.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A top-level element of the stream (stanza, features, SASL, SM ...).
    Stanza(Element),
    /// BOSH: a response was processed (an attached or restored session is
    /// confirmed).
    Confirmed,
    /// WebSocket: the server's `<open/>` arrived (first or after a restart).
    Opened,
    /// The transport is closed: `None` after our own clean close.
    Closed {
        /// Why.
        condition: Option<String>,
    },
}

/// The transport under a connection (one per connection: the size of the
/// larger variant costs nothing worth a box).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Transport {
    /// A BOSH session.
    Bosh(bosh::Session),
    /// A WebSocket stream.
    Ws(websocket::Stream),
}

impl Transport {
    /// Which kind this is.
    pub fn kind(&self) -> Kind {
        match self {
            Transport::Bosh(_) => Kind::Bosh,
            Transport::Ws(_) => Kind::WebSocket,
        }
    }

    /// Command: begin (session creation request; open the socket).
    pub fn start(&mut self) {
        match self {
            Transport::Bosh(s) => s.start(),
            Transport::Ws(s) => s.start(),
        }
    }

    /// Command: queue one serialised top-level element.
    pub fn send(&mut self, now: Duration, element: String) {
        match self {
            Transport::Bosh(s) => s.send(now, element),
            Transport::Ws(s) => s.send(element),
        }
    }

    /// Command: send what is queued without waiting (BOSH idle interval).
    pub fn flush(&mut self) {
        if let Transport::Bosh(s) = self {
            s.flush();
        }
    }

    /// Command: restart the stream after SASL success; `from` is the
    /// authenticated bare JID after SASL EXTERNAL (XEP-0206 §5; BOSH only).
    pub fn restart(&mut self, from: Option<&str>) {
        match (self, from) {
            (Transport::Bosh(s), Some(from)) => s.restart_as(from),
            (Transport::Bosh(s), None) => s.restart(),
            (Transport::Ws(s), _) => s.restart(),
        }
    }

    /// Command: close, after sending `elements`.
    pub fn terminate(&mut self, now: Duration, elements: Vec<String>) {
        match self {
            Transport::Bosh(s) => s.terminate(elements),
            Transport::Ws(s) => s.terminate(now, elements),
        }
    }

    /// Whether the stream is established (BOSH: session created).
    pub fn is_open(&self) -> bool {
        match self {
            Transport::Bosh(s) => s.is_open(),
            Transport::Ws(s) => s.is_open(),
        }
    }

    /// Whether the transport is closed for good.
    pub fn is_closed(&self) -> bool {
        match self {
            Transport::Bosh(s) => s.is_closed(),
            Transport::Ws(s) => s.is_closed(),
        }
    }

    /// Input: the time is now `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        match self {
            Transport::Bosh(s) => s.handle_timeout(now),
            Transport::Ws(s) => s.handle_timeout(now),
        }
    }

    /// Output: when to call [`Transport::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Duration> {
        match self {
            Transport::Bosh(s) => s.poll_timeout(),
            Transport::Ws(s) => s.poll_timeout(),
        }
    }

    /// Output: the next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        match self {
            Transport::Bosh(s) => loop {
                return Some(match s.poll_event()? {
                    bosh::Event::Created(_) => continue,
                    bosh::Event::Processed { .. } => Event::Confirmed,
                    bosh::Event::Stanza(el) => Event::Stanza(el),
                    bosh::Event::Closed { condition } => Event::Closed { condition },
                });
            },
            Transport::Ws(s) => Some(match s.poll_event()? {
                websocket::Event::Opened { .. } => Event::Opened,
                websocket::Event::Stanza(el) => Event::Stanza(el),
                websocket::Event::Closed { condition } => Event::Closed { condition },
            }),
        }
    }

    /// The BOSH session, if this is one.
    pub fn bosh(&self) -> Option<&bosh::Session> {
        match self {
            Transport::Bosh(s) => Some(s),
            Transport::Ws(_) => None,
        }
    }

    /// The BOSH session, if this is one.
    pub fn bosh_mut(&mut self) -> Option<&mut bosh::Session> {
        match self {
            Transport::Bosh(s) => Some(s),
            Transport::Ws(_) => None,
        }
    }

    /// The WebSocket stream, if this is one.
    pub fn ws(&self) -> Option<&websocket::Stream> {
        match self {
            Transport::Ws(s) => Some(s),
            Transport::Bosh(_) => None,
        }
    }

    /// The WebSocket stream, if this is one.
    pub fn ws_mut(&mut self) -> Option<&mut websocket::Stream> {
        match self {
            Transport::Ws(s) => Some(s),
            Transport::Bosh(_) => None,
        }
    }
}
