//! One BOSH session (XEP-0124 1.11, XEP-0206), client side, sans-IO.
//!
//! [`Session`] owns the request ids, the session id, the request window, the
//! queue of outgoing stanzas, the retry bookkeeping, acknowledgements, pauses
//! and the optional key sequence. It performs no I/O and reads no clock: time
//! comes in as `now` (a [`Duration`] since an origin the caller picks) and
//! randomness as arguments (the initial rid, the key seed).
//!
//! * **getters** (`&self`): [`Session::is_open`], [`Session::is_paused`],
//!   [`Session::params`], [`Session::next_rid`], [`Session::in_flight`], ...
//! * **commands**: [`Session::start`], [`Session::send`], [`Session::restart`],
//!   [`Session::pause`], [`Session::resume`], [`Session::pause_session`],
//!   [`Session::flush`], [`Session::terminate`];
//! * **inputs**: [`Session::handle_response`],
//!   [`Session::handle_oversized_response`],
//!   [`Session::handle_transport_error`], [`Session::handle_timeout`];
//! * **outputs**: [`Session::poll_event`], [`Session::poll_transmit`] (an
//!   HTTP request to perform) and [`Session::poll_timeout`] (when to call
//!   `handle_timeout` next).
//!
//! After every command or input, drain the outputs: call `poll_event` until
//! it returns `None`, then `poll_transmit` until it returns `None`, then arm
//! one timer for `poll_timeout`. An extra call to `handle_timeout` is
//! harmless.
//!
//! Invariants:
//! * a request id (rid) is used for exactly one body; a resend carries the
//!   same rid and byte-identical body; rids are consecutive, with no gap;
//! * responses are processed strictly in rid order, whatever order they
//!   arrive in; the answer to the terminate request ends the session at once
//!   (§13), after the responses already received, even if an earlier rid is
//!   still unanswered;
//! * never more than the server's `requests` requests whose response is not
//!   yet processed (a response received ahead of a lost one keeps its slot, so
//!   the lost one stays in the server's replay buffer), plus one for a
//!   terminate or a pause request;
//! * nothing new leaves while a restart request is unanswered;
//! * no server input panics: a malformed, oversized or unexpected response is
//!   a condition that closes the session;
//! * a closed session stays closed: every later command is ignored.
//!
//! Decisions where the specification leaves room (see `docs/conformance.md`):
//! * [`Session::pause`] holds back every *new* body: queued stanzas, the long
//!   poll, restarts. A resend of a rid already sent is not new (same rid, same
//!   bytes, no new data) and still leaves: holding it back would stall the
//!   rid-ordered pipeline and let the server's inactivity timer run. While
//!   paused and nothing is held by the server, one empty request leaves
//!   before `inactivity` runs out ([`Config::keepalive_while_paused`]).
//! * A `see-other-uri` condition closes the session (the condition is
//!   terminal); [`Session::redirected`] builds the session that continues at
//!   the new URL when [`check_redirect`] allows it.
//! * HTTP 400/403/404 end the session whatever the server's version.

mod body;
mod cluster;
mod config;
mod keys;
mod redirect;
mod snapshot;
mod version;

pub use body::{parse_body, ParsedBody};
pub use cluster::{Nodes, MAX_NODES, NODE_COOLDOWN};
pub use config::{timeout_for_wait, Config, DEFAULT_CONTENT_TYPE};
pub use keys::{KeySeed, KeyState, MAX_KEYS, MIN_KEYS};
pub use redirect::{check_redirect, MAX_REDIRECTS};
pub use snapshot::{
    SessionSnapshot, Unanswered, MAX_SNAPSHOT_SECONDS, MAX_SNAPSHOT_STRING, MAX_SNAPSHOT_WINDOW,
};
pub use version::Version;

use crate::json::write_u64;
use crate::xml::Element;
use keys::KeyChain;
use std::collections::VecDeque;
use std::time::Duration;

/// The highest BOSH protocol version implemented (XEP-0124 1.11).
pub const VERSION: &str = "1.11";

/// The largest initial rid: 2^53 − 2^32, so a session can never push the rid
/// past 2^53 − 1 (the largest integer JavaScript represents exactly).
pub const MAX_INITIAL_RID: u64 = (1 << 53) - (1 << 32);

/// The largest rid ever sent: 2^53 − 1 (XEP-0124 §14.1).
pub const MAX_RID: u64 = (1 << 53) - 1;

/// The shortest interval between two consecutive empty requests when the
/// first one's answer was empty and the server advertised no `polling`
/// interval: a guard against a hot loop with a server that answers at once.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The largest body a `fetch(..., {keepalive: true})` may carry (browsers
/// limit in-flight keepalive bodies to 64 KiB).
pub const KEEPALIVE_BODY_LIMIT: usize = 64 * 1024;

/// The wait before the first resend of a rid after a quick failure (a
/// network error or HTTP 5xx); it doubles with each consecutive failure of
/// that rid, up to [`BACKOFF_MAX`].
pub const BACKOFF_FIRST: Duration = Duration::from_millis(250);

/// The deadline of an attempt of a rid whose later rid was already answered
/// (`hold` ≤ 1): the server answered this rid first and replays that answer
/// at once (XEP-0124 §14.3), so an attempt still unanswered after this long
/// was lost on the way (a connection left open and silent) and is resent,
/// instead of waiting out 1.1 × `wait` + 2 s with the session stuck behind it.
pub const REPLAY_TIMEOUT: Duration = Duration::from_secs(8);

/// The longest wait before a resend. Also: a failed attempt that had been on
/// the wire at least this long starts the backoff over (the server had
/// taken it).
pub const BACKOFF_MAX: Duration = Duration::from_secs(8);

/// What the server told us when the session was created (XEP-0124 §7.2,
/// XEP-0206 §4). `from`, `authid` and `xmpp_version` may also arrive later;
/// [`Session::params`] then shows the latest values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionParams {
    /// Session id.
    pub sid: String,
    /// Longest time the server holds a request (seconds): the server's
    /// `wait`, or ours if it answered more (§7.2 forbids that).
    pub wait: u32,
    /// Most requests the client may have unanswered at once.
    pub requests: u32,
    /// Requests the server may hold.
    pub hold: u32,
    /// Shortest allowed interval between empty polls (seconds).
    pub polling: Option<u32>,
    /// Longest allowed silence from the client (seconds).
    pub inactivity: Option<u32>,
    /// Longest pause the server allows (seconds); `None`: pausing unsupported.
    pub maxpause: Option<u32>,
    /// Protocol version of the server (`None`: a legacy server, §17.1).
    pub ver: Option<String>,
    /// Whether the server advertised `xmpp:restartlogic='true'` (XEP-0206).
    pub restart_logic: bool,
    /// The server's `ack` on the creation response (the creation rid): it
    /// acknowledges requests throughout the session (§9.1).
    pub ack: Option<u64>,
    /// Content encodings the server can decompress (`accept`).
    pub accept: Option<String>,
    /// The identity of the server (`from`).
    pub from: Option<String>,
    /// The XMPP stream id (`authid`, deprecated, XEP-0206 §4).
    pub authid: Option<String>,
    /// `xmpp:version` of the stream (XEP-0206 §4).
    pub xmpp_version: Option<String>,
}

impl SessionParams {
    /// The server's protocol version, if it sent a readable one.
    pub fn version(&self) -> Option<Version> {
        self.ver.as_deref().and_then(Version::parse)
    }

    /// The version the session speaks: the lower of the server's and ours
    /// (a server should not answer higher, but if it does we stay at ours).
    /// `None` for a legacy server (no `ver`).
    pub fn negotiated_version(&self) -> Option<Version> {
        self.version().map(|v| v.min(Version::IMPLEMENTED))
    }

    /// Whether the server is a legacy one (no `ver`, XEP-0124 §17.1): it may
    /// answer with HTTP error codes instead of terminal conditions.
    pub fn is_legacy(&self) -> bool {
        self.ver.is_none()
    }

    /// Whether this is a polling session (the server holds no request).
    pub fn is_polling(&self) -> bool {
        self.hold == 0
    }
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

/// How the last failed attempt failed ([`Session::last_failure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// An HTTP status other than 200.
    Http(u16),
    /// A network error or an abort ([`Session::handle_transport_error`]).
    Network,
    /// No answer before the request's deadline.
    Timeout,
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
    /// Extra headers ([`Config::custom_headers`]).
    pub headers: Vec<(String, String)>,
    /// Send credentials with a cross-origin request ([`Config::with_credentials`]).
    pub with_credentials: bool,
    /// A pause request ([`Session::pause_session`]): send it with
    /// `fetch(..., {keepalive: true})` so that it survives the page being
    /// unloaded (its body is tiny, well under [`KEEPALIVE_BODY_LIMIT`]).
    pub keepalive: bool,
    /// 0 for the first attempt of this rid, then 1, 2, ... for resends.
    pub attempt: u32,
}

/// A command the session refused, or a bad setting. Never a server input:
/// those become [`Event::Closed`] conditions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BoshError {
    /// The session is not open (not yet created, or closed).
    #[error("the BOSH session is not open")]
    NotOpen,
    /// The session is being terminated.
    #[error("the BOSH session is being terminated")]
    Terminating,
    /// The server did not advertise `maxpause` (or speaks a version before
    /// session pauses existed): XEP-0124 §10 forbids the `pause` attribute.
    #[error("the connection manager does not support session pauses")]
    PauseNotSupported,
    /// A custom header with an invalid or forbidden name, or a value with a
    /// line break.
    #[error("invalid or forbidden HTTP header: {0}")]
    InvalidHeader(String),
    /// Another invalid setting.
    #[error("invalid BOSH setting: {0}")]
    InvalidConfig(&'static str),
    /// A `see-other-uri` target outside the rules of [`check_redirect`].
    #[error("refused see-other-uri target: {0}")]
    BadRedirect(&'static str),
    /// A snapshot that fails [`SessionSnapshot::validate`] (tampered or
    /// corrupted storage): nothing is restored.
    #[error("unusable session snapshot: {0}")]
    BadSnapshot(&'static str),
}

impl BoshError {
    /// A short stable condition name for the error.
    pub fn condition(&self) -> &'static str {
        match self {
            BoshError::NotOpen => "not-open",
            BoshError::Terminating => "terminating",
            BoshError::PauseNotSupported => "pause-not-supported",
            BoshError::InvalidHeader(_) | BoshError::InvalidConfig(_) => "bad-config",
            BoshError::BadRedirect(_) => "bad-redirect",
            BoshError::BadSnapshot(_) => "bad-snapshot",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Create,
    Normal,
    Restart,
    Pause,
    Terminate,
}

#[derive(Clone, Copy, Debug)]
struct Attempt {
    id: u64,
    sent_at: Duration,
    deadline: Duration,
}

#[derive(Debug)]
struct Request {
    rid: u64,
    kind: Kind,
    body: String,
    /// The current attempt on the wire.
    attempt: Option<Attempt>,
    /// Earliest time of the next (re)send, when not on the wire.
    resend_at: Option<Duration>,
    /// Consecutive failures: since the last sign of life (see
    /// [`Session::failed`]). Sets the backoff and the retry limit.
    failures: u32,
    /// [`Session::answers`] when this request last failed.
    answers_at_failure: u64,
    /// Attempts made so far.
    attempts: u32,
    /// A 200 body received, waiting for earlier rids to be processed.
    response: Option<ParsedBody>,
    /// Resent because the page that sent it went away (restore, adopt) or
    /// was frozen (the back-forward cache) before its answer was read.
    recovering: bool,
}

impl Request {
    fn unanswered(&self) -> bool {
        self.response.is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    New,
    Creating,
    Open,
    Closed,
}

/// The last new request that carried no payload: two such requests in a
/// row, the first answered empty, must be `polling` seconds apart (§11, §12).
#[derive(Clone, Copy, Debug)]
struct LastEmpty {
    rid: u64,
    sent_at: Duration,
    answered_empty: Option<bool>,
}

/// One BOSH session. See the module documentation for the driving rules.
#[derive(Debug)]
pub struct Session {
    config: Config,
    state: State,
    params: Option<SessionParams>,
    next_rid: u64,
    in_flight: Vec<Request>,
    queue: Vec<String>,
    queued_since: Option<Duration>,
    flush_now: bool,
    restart_pending: bool,
    /// `from` for the restart request (XEP-0206 §5, SASL EXTERNAL).
    restart_from: Option<String>,
    terminate_pending: Option<Vec<String>>,
    terminate_requested: bool,
    terminate_deadline: Option<Duration>,
    terminating: bool,
    paused: bool,
    pause_pending: Option<u32>,
    server_pause: Option<u32>,
    long_poll: bool,
    next_id: u64,
    events: VecDeque<Event>,
    idle_since: Option<Duration>,
    last_empty: Option<LastEmpty>,
    /// When the last new request (after creation) left.
    last_sent: Option<Duration>,
    server_ack: Option<u64>,
    keys: Option<KeyChain>,
    redirect: Option<String>,
    redirects: u32,
    /// After `see-other-uri` redirects: the URL the first session of the
    /// chain was created for (the application's service).
    origin: Option<String>,
    condition: Option<String>,
    last_failure: Option<Failure>,
    /// While a new request waits for the previous one to reach the server
    /// ([`Config::request_spacing`]): when it may leave.
    spacing_until: Option<Duration>,
    /// [`Session::space_next_request`] was called and no request with
    /// stanzas has left since.
    spacing_armed: bool,
    /// [`Session::defer_long_poll`]: the long poll waits for a
    /// [`Session::handle_timeout`] at or after this time.
    poll_deferred: Option<Duration>,
    /// HTTP 200 answers received so far (to any request): a failure of a
    /// rid after the server answered something since its previous failure
    /// is a separate one (see [`Session::failed`]).
    answers: u64,
    /// Other nodes for the creation request ([`Session::set_fallback_urls`]).
    fallback_urls: Vec<String>,
    /// How many of them the creation request moved to.
    fallbacks_used: usize,
    /// Nodes the creation request left after a failure, not yet polled.
    failed_nodes: Vec<String>,
    /// What the session held when it closed: the bodies of requests whose
    /// answer never came, and the stanzas still queued
    /// ([`Session::take_lost`]).
    lost: (Vec<String>, Vec<String>),
}

impl Session {
    /// Creates an idle session. `initial_rid` must come from a CSPRNG; it is
    /// reduced to 1..=[`MAX_INITIAL_RID`].
    pub fn new(config: Config, initial_rid: u64) -> Self {
        Session {
            config,
            state: State::New,
            params: None,
            next_rid: (initial_rid % MAX_INITIAL_RID).max(1),
            in_flight: Vec::new(),
            queue: Vec::new(),
            queued_since: None,
            flush_now: false,
            restart_pending: false,
            restart_from: None,
            terminate_pending: None,
            terminate_requested: false,
            terminate_deadline: None,
            terminating: false,
            paused: false,
            pause_pending: None,
            server_pause: None,
            long_poll: true,
            next_id: 1,
            events: VecDeque::new(),
            idle_since: None,
            last_empty: None,
            last_sent: None,
            server_ack: None,
            keys: None,
            redirect: None,
            redirects: 0,
            origin: None,
            condition: None,
            last_failure: None,
            spacing_until: None,
            spacing_armed: false,
            poll_deferred: None,
            answers: 0,
            fallback_urls: Vec::new(),
            fallbacks_used: 0,
            failed_nodes: Vec::new(),
            lost: (Vec::new(), Vec::new()),
        }
    }

    /// Creates a session that continues an existing one (attach): `rid` is the
    /// next rid to use (1..=[`MAX_RID`]; anything else closes the session at
    /// the first transmit with `bad-config`). The key sequence of
    /// [`Config::keys`] is not used: the session's keys belong to whoever
    /// created it.
    pub fn attached(config: Config, params: SessionParams, rid: u64) -> Self {
        let mut s = Session::new(config, 1);
        s.next_rid = rid;
        s.params = Some(params);
        s.state = State::Open;
        s
    }

    // ----- getters -------------------------------------------------------

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The negotiated parameters, once the session exists.
    pub fn params(&self) -> Option<&SessionParams> {
        self.params.as_ref()
    }

    /// The version the session speaks (see [`SessionParams::negotiated_version`]).
    pub fn negotiated_version(&self) -> Option<Version> {
        self.params.as_ref()?.negotiated_version()
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

    /// Why the session ended (the condition of [`Event::Closed`]); sticky.
    pub fn condition(&self) -> Option<&str> {
        self.condition.as_deref()
    }

    /// How the last failed attempt failed, cleared by a 200 answer; kept
    /// after the session closed, to tell why it was lost.
    pub fn last_failure(&self) -> Option<Failure> {
        self.last_failure
    }

    /// Whether new bodies are held back by [`Session::pause`] or
    /// [`Session::pause_session`].
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// The pause the connection manager was asked for (seconds), from the
    /// moment the pause request leaves until [`Session::resume`].
    pub fn paused_for(&self) -> Option<u32> {
        self.server_pause
    }

    /// Number of requests sent whose response has not been processed (this
    /// includes responses received out of order, waiting for earlier rids).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Number of requests sent and not yet answered: what the server's
    /// `requests` window limits.
    pub fn outstanding(&self) -> usize {
        self.in_flight.iter().filter(|r| r.unanswered()).count()
    }

    /// Stanzas queued and not yet sent.
    pub fn queued(&self) -> &[String] {
        &self.queue
    }

    /// Transmit ids continue after `previous`'s (a new session replacing a
    /// lost one): a late answer or error for one of the old session's
    /// requests matches nothing here.
    pub fn continue_ids_from(&mut self, previous: &Session) {
        self.next_id = self.next_id.max(previous.next_id);
    }

    /// After the session closed: the bodies of the requests whose answer
    /// never came (their stanzas may or may not have reached the server)
    /// and the stanzas that were still queued (never sent). Taken once.
    pub fn take_lost(&mut self) -> (Vec<String>, Vec<String>) {
        std::mem::take(&mut self.lost)
    }

    /// The highest rid the server acknowledged (XEP-0124 §9.1), when it uses
    /// acknowledgements: it received every request up to this one. A value
    /// below the rids sent long ago is an early warning of a lost request.
    pub fn server_ack(&self) -> Option<u64> {
        self.server_ack
    }

    /// The largest response body accepted ([`Config::max_body_size`]): the
    /// shell compares `Content-Length` with it before reading a body.
    pub fn max_response_size(&self) -> usize {
        self.config.max_body_size
    }

    /// How long a request may stay unanswered before it is resent:
    /// [`timeout_for_wait`] of the negotiated `wait` (of ours before then).
    pub fn request_timeout(&self) -> Duration {
        timeout_for_wait(self.params.as_ref().map_or(self.config.wait, |p| p.wait))
    }

    /// The service URL the application gave: [`Config::url`], or, after
    /// `see-other-uri` redirects ([`Session::redirected`]), the URL the first
    /// session of the chain was created for. A restored session keeps it
    /// ([`SessionSnapshot::service`]).
    pub fn service(&self) -> &str {
        self.origin.as_deref().unwrap_or(&self.config.url)
    }

    /// The validated `see-other-uri` target, once the server sent one.
    pub fn redirect(&self) -> Option<&str> {
        self.redirect.as_deref()
    }

    /// After the session closed with `see-other-uri`: a new, unstarted session
    /// with the same configuration at the redirect target, or `None` (no
    /// valid target, redirects disabled, or [`MAX_REDIRECTS`] reached).
    /// `initial_rid` must come from a CSPRNG, like for [`Session::new`]. The
    /// caller then calls [`Session::start`] and logs in again.
    pub fn redirected(&self, initial_rid: u64) -> Option<Session> {
        if !self.config.follow_redirects || self.redirects >= MAX_REDIRECTS {
            return None;
        }
        let url = self.redirect.clone()?;
        let mut config = self.config.clone();
        config.url = url;
        if let Some(seed) = &config.keys {
            config.keys = Some(seed.derive(self.redirects.saturating_add(1)));
        }
        let mut s = Session::new(config, initial_rid);
        // Attempt ids go on from ours: a late answer to an old request must
        // not match a new one.
        s.next_id = self.next_id;
        s.redirects = self.redirects.saturating_add(1);
        s.origin = Some(self.service().to_owned());
        s.long_poll = self.long_poll;
        Some(s)
    }

    // ----- commands ------------------------------------------------------

    /// Whether to keep an empty request at the server while nothing else is
    /// outstanding (on by default; an application that only wants to send
    /// may turn it off: the session then still sends an empty request before
    /// `inactivity` runs out).
    pub fn set_long_poll(&mut self, on: bool) {
        self.long_poll = on;
    }

    /// Input: the application is about to react to something it learned
    /// from a promise (the session is now usable): the next request with
    /// stanzas waits [`Config::request_spacing`] after the newest request
    /// left while that one is unanswered, so it cannot overtake it — that
    /// one is typically the long poll, sent at once from the response
    /// handler. Only the next such request: a spaced send that happened to
    /// leave while the page unloads would reach the server after the next
    /// page resent the same rid, and ejabberd would then answer the next
    /// page's copy empty and hold the dead one.
    pub fn space_next_request(&mut self) {
        self.spacing_armed = true;
    }

    /// Input: the long poll (the empty request kept at the server) does not
    /// leave before the next [`Session::handle_timeout`] at or after `now`;
    /// [`Session::poll_timeout`] asks for it at `now` (a zero-length timer,
    /// which the shell runs in its next task). The connection calls it when
    /// the response completing a login was processed: the application
    /// reacts to CONNECTED from a promise, in the same task, so what it
    /// sends then leaves in the first request after the login, alone on the
    /// wire — no poll ahead of it that it could overtake on another HTTP
    /// connection (see [`Config::request_spacing`]). Without a reaction the
    /// poll leaves one task later. Any new request ends the deferral.
    pub fn defer_long_poll(&mut self, now: Duration) {
        self.poll_deferred = Some(now);
    }

    /// Other nodes of the same service (cluster nodes without a load
    /// balancer, see [`Nodes`]), for a session not yet started: when the
    /// creation request fails at the network level (a network error, a
    /// timeout, an HTTP status that is retried, such as 5xx), it moves at
    /// once, same rid and bytes, to the next of these, and the session then
    /// lives there. Once the session exists it never changes node. More
    /// than [`MAX_NODES`] − 1, or a URL that [`Config::validate`] would
    /// refuse, closes the session at [`Session::start`] with `bad-config`.
    pub fn set_fallback_urls(&mut self, urls: Vec<String>) {
        if self.state == State::New {
            self.fallback_urls = urls;
        }
    }

    /// Queues the session-creation request (XEP-0124 §7.1, XEP-0206 §3).
    /// Closes the session with `bad-config` if [`Config::validate`] fails.
    pub fn start(&mut self) {
        if self.state != State::New {
            return;
        }
        let bad_fallback = self.fallback_urls.len() >= MAX_NODES
            || self.fallback_urls.iter().any(|u| config::bad_url(u));
        if self.config.validate().is_err() || bad_fallback {
            self.close(Some("bad-config".into()));
            return;
        }
        self.state = State::Creating;
        let Some(rid) = self.take_rid() else { return };
        let c = &self.config;
        let mut body = String::with_capacity(320);
        body.push_str("<body ");
        if c.ack {
            body.push_str("ack='1' ");
        }
        body.push_str("content='");
        crate::xml::escape_attr(&c.response_content_type, &mut body);
        body.push_str("' hold='");
        write_u64(&mut body, c.hold.into());
        body.push_str("' ");
        if let Some(seed) = &c.keys {
            let mut chain = KeyChain::new(seed.clone(), 0);
            chain.write_initial(&mut body);
            self.keys = Some(chain);
        }
        let c = &self.config;
        body.push_str("rid='");
        write_u64(&mut body, rid);
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
        write_u64(&mut body, c.wait.into());
        body.push_str("' xml:lang='");
        crate::xml::escape_attr(&c.lang, &mut body);
        body.push_str("' xmpp:version='1.0' xmlns='");
        body.push_str(crate::ns::HTTPBIND);
        body.push_str("' xmlns:xmpp='");
        body.push_str(crate::ns::XBOSH);
        body.push_str("'/>");
        self.in_flight.push(Request {
            rid,
            kind: Kind::Create,
            body,
            attempt: None,
            resend_at: Some(Duration::ZERO),
            failures: 0,
            answers_at_failure: 0,
            attempts: 0,
            response: None,
            recovering: false,
        });
    }

    /// Queues one serialised stanza (exactly one well-formed element) for the
    /// next body. Ignored once the session is closed or its terminate left.
    pub fn send(&mut self, now: Duration, stanza: String) {
        if self.state == State::Closed || self.terminating {
            return;
        }
        if self.queue.is_empty() {
            self.queued_since = Some(now);
        }
        self.queue.push(stanza);
    }

    /// Asks for a stream restart (`xmpp:restart='true'`, XEP-0206 §5) in the
    /// next body, which carries nothing else and leaves when no other request
    /// is outstanding.
    pub fn restart(&mut self) {
        if self.state != State::Closed {
            self.restart_pending = true;
            self.restart_from = None;
        }
    }

    /// Like [`Session::restart`], with a `from` attribute on the restart
    /// request: XEP-0206 §5 asks for it (the user's bare JID) after SASL
    /// EXTERNAL, since the credentials were given at the HTTP level.
    pub fn restart_as(&mut self, from: &str) {
        if self.state != State::Closed {
            self.restart_pending = true;
            self.restart_from = Some(from.to_owned());
        }
    }

    /// Stops sending new bodies; the queue keeps filling. See the module
    /// documentation for what still leaves.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Sends what queued while paused (in one body, window permitting) and
    /// ends a [`Session::pause_session`]: the next request restores the
    /// server's normal inactivity period.
    pub fn resume(&mut self) {
        self.paused = false;
        self.pause_pending = None;
        self.server_pause = None;
        self.flush_now = true;
    }

    /// Asks the connection manager to pause the session for `seconds`
    /// (XEP-0124 §10), e.g. when the page is hidden or being left: a request
    /// with `pause='N'` (capped to the advertised `maxpause`, at least 1) that
    /// may go one over the window and is marked [`Transmit::keepalive`]. The
    /// session is then [`Session::pause`]d until [`Session::resume`].
    ///
    /// Errors: [`BoshError::PauseNotSupported`] when the server did not
    /// advertise `maxpause` (or its `ver` predates 1.6), [`BoshError::NotOpen`],
    /// [`BoshError::Terminating`].
    pub fn pause_session(&mut self, _now: Duration, seconds: u32) -> Result<(), BoshError> {
        if self.state != State::Open {
            return Err(BoshError::NotOpen);
        }
        if self.terminate_requested {
            return Err(BoshError::Terminating);
        }
        let params = self.params.as_ref().ok_or(BoshError::NotOpen)?;
        let max = params.maxpause.ok_or(BoshError::PauseNotSupported)?;
        if params.version().is_some_and(|v| v < Version::PAUSE) || max == 0 {
            return Err(BoshError::PauseNotSupported);
        }
        self.paused = true;
        self.pause_pending = Some(seconds.clamp(1, max));
        Ok(())
    }

    /// Sends the queue now, without waiting for the idle interval.
    pub fn flush(&mut self) {
        self.flush_now = true;
    }

    /// Ends the session (XEP-0124 §13): the next body has `type='terminate'`
    /// and carries the queued stanzas plus `stanzas` (typically an unavailable
    /// presence); it may go one over the window and leaves even while paused.
    /// [`Event::Closed`] follows its answer, or [`Config::terminate_timeout`].
    pub fn terminate(&mut self, stanzas: Vec<String>) {
        match self.state {
            State::Closed => {}
            State::New => self.close(None),
            _ => {
                if !self.terminate_requested {
                    self.terminate_requested = true;
                    self.terminate_pending = Some(stanzas);
                }
            }
        }
    }

    // ----- inputs --------------------------------------------------------

    /// Input: the HTTP response to attempt `id`, with its status and text.
    ///
    /// 200: the body is read at once (a `type='error'` body or a `report`
    /// triggers resends now) and processed in rid order. 400, 403 and 404 end
    /// the session (`bad-request`, `policy-violation`, `item-not-found`).
    /// Any other status is a failure: the request is resent.
    pub fn handle_response(&mut self, now: Duration, id: u64, status: u16, body: &str) {
        let Some(idx) = self.position_of(id) else {
            return;
        };
        let lived = self.in_flight[idx]
            .attempt
            .map(|a| now.saturating_sub(a.sent_at));
        self.in_flight[idx].attempt = None;
        self.last_failure = (status != 200).then_some(Failure::Http(status));
        match status {
            200 => {
                self.answers = self.answers.saturating_add(1);
                if body.len() > self.config.max_body_size {
                    self.fail("response-too-large");
                    return;
                }
                match parse_body(body) {
                    Ok(parsed) => self.on_body(now, idx, parsed),
                    Err(condition) => self.fail(condition),
                }
            }
            400 => self.fail("bad-request"),
            403 => self.fail("policy-violation"),
            404 if self.never_answered(idx) => self.on_body(now, idx, ParsedBody::empty()),
            404 => self.fail("item-not-found"),
            _ => self.failed(now, idx, lived),
        }
    }

    /// Input: the response to attempt `id` announced a body larger than
    /// [`Session::max_response_size`] (`Content-Length`), so the shell did
    /// not read it. Ends the session with `response-too-large`.
    pub fn handle_oversized_response(&mut self, _now: Duration, id: u64) {
        if self.position_of(id).is_some() {
            self.fail("response-too-large");
        }
    }

    /// Input: attempt `id` failed at the network level (or was aborted).
    pub fn handle_transport_error(&mut self, now: Duration, id: u64) {
        if let Some(idx) = self.position_of(id) {
            let lived = self.in_flight[idx]
                .attempt
                .map(|a| now.saturating_sub(a.sent_at));
            self.in_flight[idx].attempt = None;
            self.last_failure = Some(Failure::Network);
            self.failed(now, idx, lived);
        }
    }

    /// Input: every attempt on the wire is lost at once, its answer unread —
    /// the page was frozen (the back-forward cache) and is running again.
    ///
    /// Each unanswered request is resent now, lowest rid first, with its own
    /// rid and bytes (the server replays what it answered meanwhile, or holds
    /// the request again); this is not a network failure, so no backoff and
    /// no retry is counted. New rids do not wait for those resends: see
    /// [`Session::restore`] for why either order is safe. A pause request is
    /// not resent: its answer is not buffered (XEP-0124 §14.3), so the server
    /// could only refuse it; it is dropped, as answered.
    pub fn handle_all_lost(&mut self, now: Duration) {
        if self.state == State::Closed {
            return;
        }
        self.in_flight
            .retain(|r| !(r.kind == Kind::Pause && r.unanswered()));
        for r in self.in_flight.iter_mut().filter(|r| r.unanswered()) {
            r.attempt = None;
            r.resend_at = Some(now);
            r.recovering = true;
        }
        // Responses that were waiting only for a dropped pause go on.
        self.process_in_order();
    }

    /// Input: the time is now `now`; expire what is due.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.state == State::Closed {
            return;
        }
        if self.terminate_deadline.is_some_and(|d| d <= now) {
            self.close(None);
            return;
        }
        if self.poll_deferred.is_some_and(|t| t <= now) {
            self.poll_deferred = None;
        }
        let mut i = 0;
        while i < self.in_flight.len() {
            if let Some(a) = self.in_flight[i].attempt {
                if a.deadline <= now {
                    // A timeout already waited 1.1 × wait: resend at once.
                    self.in_flight[i].attempt = None;
                    self.last_failure = Some(Failure::Timeout);
                    self.failed(now, i, None);
                    if self.state == State::Closed {
                        return;
                    }
                }
            }
            i += 1;
        }
    }

    // ----- outputs -------------------------------------------------------

    /// Output: the next HTTP request to perform, if any may leave now. In
    /// order: resends (lowest rid first), the terminate, a pause request, then
    /// — unless paused — a restart, the queued stanzas, the long poll; while
    /// paused, only the inactivity keepalive.
    pub fn poll_transmit(&mut self, now: Duration) -> Option<Transmit> {
        if self.state == State::Closed {
            return None;
        }
        // Set again below if a new request waits for the previous one.
        self.spacing_until = None;
        if self.terminate_requested && self.terminate_deadline.is_none() {
            self.terminate_deadline = Some(now.saturating_add(self.config.terminate_timeout));
        }
        // 1. (Re)sends of requests that already own a rid, lowest rid first.
        if let Some(idx) = self.in_flight.iter().position(|r| {
            r.attempt.is_none() && r.unanswered() && r.resend_at.is_some_and(|t| t <= now)
        }) {
            return Some(self.launch(now, idx));
        }
        if self.state != State::Open || self.terminating {
            return None;
        }
        if self.next_rid > MAX_RID {
            self.close(Some("bad-config".into()));
            return None;
        }
        let outstanding = self.outstanding();
        if outstanding == 0 && self.idle_since.is_none() {
            self.idle_since = Some(now);
        }
        // The window counts every request whose response is not processed:
        // a response received ahead of a lost one still occupies a slot, so
        // that the lost one stays within the server's replay buffer, which
        // only has to hold `requests` responses (§14.3).
        let window = self.window();
        let pending = self.in_flight.len();
        // 2. Terminate: one over the window, even while paused.
        if self.terminate_pending.is_some() {
            if pending > window {
                return None;
            }
            let mut payload = std::mem::take(&mut self.queue);
            payload.extend(self.terminate_pending.take().unwrap_or_default());
            self.terminating = true;
            return self.new_request(now, Kind::Terminate, "type='terminate' ", &payload);
        }
        if self.terminate_requested {
            return None;
        }
        // 3. A pause request: one over the window, no payload.
        if let Some(secs) = self.pause_pending {
            if pending > window {
                return None;
            }
            self.pause_pending = None;
            let mut attrs = String::from("pause='");
            write_u64(&mut attrs, secs.into());
            attrs.push_str("' ");
            let t = self.new_request(now, Kind::Pause, &attrs, &[]);
            self.server_pause = Some(secs);
            return t;
        }
        if self.paused {
            // 4. Paused: only the keepalive that §10 requires.
            if self.config.keepalive_while_paused && outstanding == 0 && self.keepalive_due(now) {
                self.server_pause = None;
                return self.new_request(now, Kind::Normal, "", &[]);
            }
            return None;
        }
        if pending >= window {
            return None;
        }
        // 5. A restart leaves alone, and nothing follows it until its answer
        //    (the new stream's features) is processed.
        if self.in_flight.iter().any(|r| r.kind == Kind::Restart) {
            return None;
        }
        if self.restart_pending {
            // The restart is an empty request: the polling rules apply.
            if !self.in_flight.is_empty() || self.empty_poll_allowed_at().is_some_and(|t| t > now) {
                return None;
            }
            self.restart_pending = false;
            let mut extra = String::new();
            if let Some(from) = self.restart_from.take() {
                extra.push_str("from='");
                crate::xml::escape_attr(&from, &mut extra);
                extra.push_str("' ");
            }
            extra.push_str("xml:lang='");
            crate::xml::escape_attr(&self.config.lang, &mut extra);
            extra.push_str("' to='");
            crate::xml::escape_attr(&self.config.to, &mut extra);
            extra.push_str("' xmpp:restart='true' xmlns:xmpp='");
            extra.push_str(crate::ns::XBOSH);
            extra.push_str("' ");
            return self.new_request(now, Kind::Restart, &extra, &[]);
        }
        // 6. Queued stanzas, once the idle interval (if any) has passed (or
        //    at once if the inactivity keepalive is due anyway).
        if !self.queue.is_empty()
            && (self.flush_now
                || self.idle_due(now)
                || (outstanding == 0 && self.inactivity_deadline().is_some_and(|t| t <= now)))
        {
            if self.spaced(now) {
                return None;
            }
            self.spacing_armed = false;
            self.flush_now = false;
            self.queued_since = None;
            let payload = std::mem::take(&mut self.queue);
            let t = self.new_request(now, Kind::Normal, "", &payload);
            // The payload moved into the body; give the queue its buffer back.
            self.queue = payload;
            self.queue.clear();
            return t;
        }
        // 7. The long poll (or, without it, the inactivity keepalive), unless
        //    deferred to the next task (Session::defer_long_poll).
        if outstanding == 0 && self.queue.is_empty() && self.poll_deferred.is_none() {
            let due = if self.long_poll {
                self.empty_poll_allowed_at().map_or(true, |t| t <= now) || self.keepalive_due(now)
            } else {
                self.keepalive_due(now)
            };
            if due {
                return self.new_request(now, Kind::Normal, "", &[]);
            }
        }
        None
    }

    /// Output: when `handle_timeout` (and then `poll_transmit`) should be
    /// called next.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.state == State::Closed {
            return None;
        }
        let mut next: Option<Duration> = None;
        let mut consider = |t: Duration| next = Some(next.map_or(t, |n: Duration| n.min(t)));
        for r in &self.in_flight {
            if let Some(a) = r.attempt {
                consider(a.deadline);
            }
            if r.unanswered() {
                if let Some(t) = r.resend_at {
                    consider(t);
                }
            }
        }
        if let Some(d) = self.terminate_deadline {
            consider(d);
        }
        let open = self.state == State::Open && !self.terminating && !self.terminate_requested;
        if open {
            if let Some(until) = self.spacing_until {
                consider(until);
            }
            if let Some(t) = self.poll_deferred {
                consider(t);
            }
            if let (Some(since), Some(iv)) = (self.queued_since, self.config.idle_interval) {
                if !self.queue.is_empty() && !self.paused && !self.flush_now {
                    consider(since.saturating_add(iv));
                }
            }
            if !self.queue.is_empty() && !self.paused && self.outstanding() == 0 {
                if let Some(t) = self.inactivity_deadline() {
                    consider(t);
                }
            }
            if self.outstanding() == 0 && self.pause_pending.is_none() {
                let keepalive = if self.paused {
                    self.config.keepalive_while_paused
                } else {
                    true
                };
                if keepalive {
                    if let Some(t) = self.keepalive_at() {
                        consider(t);
                    }
                }
                let empty_next = self.queue.is_empty() && (self.long_poll || self.restart_pending);
                if !self.paused && empty_next {
                    if let Some(t) = self.empty_poll_allowed_at() {
                        consider(t);
                    }
                }
            }
        }
        next
    }

    /// Output: the next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Output: a node (URL) the creation request failed on and left for the
    /// next of [`Session::set_fallback_urls`]; give it to
    /// [`Nodes::mark_failed`] so later sessions skip it for a while.
    pub fn poll_failed_node(&mut self) -> Option<String> {
        (!self.failed_nodes.is_empty()).then(|| self.failed_nodes.remove(0))
    }

    // ----- internals -----------------------------------------------------

    /// Whether a new request must wait for the previous one to reach the
    /// server: armed by [`Session::space_next_request`], the newest request
    /// is unanswered and left less than [`Config::request_spacing`] ago (see
    /// there). Records the time it may leave for [`Session::poll_timeout`].
    fn spaced(&mut self, now: Duration) -> bool {
        if !self.spacing_armed {
            return false;
        }
        self.spacing_until = self
            .in_flight
            .last()
            .filter(|r| r.unanswered())
            .and_then(|r| r.attempt)
            .map(|a| a.sent_at.saturating_add(self.config.request_spacing))
            .filter(|until| *until > now);
        self.spacing_until.is_some()
    }

    /// The server's `requests` window (1 before the session exists).
    fn window(&self) -> usize {
        self.params.as_ref().map_or(1, |p| p.requests.max(1)) as usize
    }

    fn idle_due(&self, now: Duration) -> bool {
        match (self.config.idle_interval, self.queued_since) {
            (None, _) => true,
            (Some(iv), Some(since)) => now >= since.saturating_add(iv),
            (Some(_), None) => true,
        }
    }

    /// When the inactivity period calls for a request: `inactivity` (or the
    /// requested pause) minus a margin (a quarter of it, at most 10 s) after
    /// the server last answered and held nothing. Queued stanzas leave by
    /// then whatever the idle interval.
    fn inactivity_deadline(&self) -> Option<Duration> {
        let limit = self
            .server_pause
            .or_else(|| self.params.as_ref()?.inactivity)?;
        let limit = Duration::from_secs(limit.into());
        let margin = (limit / 4).min(Duration::from_secs(10));
        Some(
            self.idle_since?
                .saturating_add(limit.saturating_sub(margin)),
        )
    }

    /// When the inactivity keepalive (an empty request) is due: the later of
    /// [`Session::inactivity_deadline`] and the time an empty request may
    /// leave at all (`polling`, §11/§12): an early keepalive would be a
    /// policy violation.
    fn keepalive_at(&self) -> Option<Duration> {
        let t = self.inactivity_deadline()?;
        Some(self.empty_poll_allowed_at().map_or(t, |p| t.max(p)))
    }

    fn keepalive_due(&self, now: Duration) -> bool {
        self.keepalive_at().is_some_and(|t| t <= now)
    }

    /// When the next empty request may leave, if it must wait: after an
    /// empty request answered empty, `polling` seconds (or
    /// [`MIN_POLL_INTERVAL`]) after that request left (XEP-0124 §11, §12);
    /// and with `requests` = 1, `polling` seconds after the previous request
    /// of any kind left (§11: "the last two requests arrived within a period
    /// shorter than … 'polling'").
    fn empty_poll_allowed_at(&self) -> Option<Duration> {
        let params = self.params.as_ref();
        let polling = params
            .and_then(|p| p.polling)
            .map(|s| Duration::from_secs(s.into()));
        let after_empty = self
            .last_empty
            .filter(|l| l.answered_empty == Some(true))
            .map(|l| {
                l.sent_at
                    .saturating_add(polling.unwrap_or(MIN_POLL_INTERVAL))
            });
        let one_request = match (params.map(|p| p.requests), polling, self.last_sent) {
            (Some(1), Some(p), Some(at)) => Some(at.saturating_add(p)),
            _ => None,
        };
        match (after_empty, one_request) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    fn take_rid(&mut self) -> Option<u64> {
        if self.next_rid == 0 || self.next_rid > MAX_RID {
            self.close(Some("bad-config".into()));
            return None;
        }
        let rid = self.next_rid;
        self.next_rid = rid.saturating_add(1);
        Some(rid)
    }

    /// Starts (or restarts) the attempt of `in_flight[idx]`.
    fn launch(&mut self, now: Duration, idx: usize) -> Transmit {
        let id = self.next_id;
        self.next_id = id.saturating_add(1);
        let mut deadline = now.saturating_add(self.request_timeout());
        if let Some(d) = self.terminate_deadline {
            deadline = deadline.min(d);
        }
        if self.replay_expected(idx) {
            deadline = deadline.min(now.saturating_add(REPLAY_TIMEOUT));
        }
        let req = &mut self.in_flight[idx];
        req.attempt = Some(Attempt {
            id,
            sent_at: now,
            deadline,
        });
        req.resend_at = None;
        let attempt = req.attempts;
        req.attempts = attempt.saturating_add(1);
        Transmit {
            id,
            rid: req.rid,
            url: self.config.url.clone(),
            body: req.body.clone(),
            content_type: self.config.content_type.clone(),
            headers: self.config.custom_headers.clone(),
            with_credentials: self.config.with_credentials,
            keepalive: req.kind == Kind::Pause,
            attempt,
        }
    }

    /// Builds, records and launches a new request with the next rid.
    fn new_request(
        &mut self,
        now: Duration,
        kind: Kind,
        attrs: &str,
        payload: &[String],
    ) -> Option<Transmit> {
        // §9.2: acknowledge the responses received so far, while an earlier
        // request is unanswered.
        let ack = if self.config.ack {
            self.in_flight
                .iter()
                .find(|r| r.unanswered())
                .and_then(|r| r.rid.checked_sub(1))
                .filter(|a| *a > 0)
        } else {
            None
        };
        let rid = self.take_rid()?;
        // Something is on the wire: nothing left for a deferred poll to wait for.
        self.poll_deferred = None;
        let sid = self.params.as_ref().map(|p| p.sid.as_str()).unwrap_or("");
        let size = payload
            .iter()
            .fold(0usize, |n, s| n.saturating_add(s.len()));
        let mut body = String::with_capacity(size.saturating_add(attrs.len()).saturating_add(160));
        body.push_str("<body ");
        if let Some(a) = ack {
            body.push_str("ack='");
            write_u64(&mut body, a);
            body.push_str("' ");
        }
        if let Some(keys) = self.keys.as_mut() {
            keys.write_next(&mut body);
        }
        body.push_str("rid='");
        write_u64(&mut body, rid);
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
        let empty = payload.is_empty();
        self.last_sent = Some(now);
        if empty && matches!(kind, Kind::Normal | Kind::Restart) {
            self.last_empty = Some(LastEmpty {
                rid,
                sent_at: now,
                answered_empty: None,
            });
        } else {
            // §11 is about *consecutive* empty requests: a request with a
            // payload in between (say, a message that made the server answer
            // the held poll empty) means the next poll may leave at once.
            self.last_empty = None;
        }
        if kind != Kind::Pause {
            // Any request but a pause restores the normal inactivity period.
            self.server_pause = None;
        }
        self.in_flight.push(Request {
            rid,
            kind,
            body,
            attempt: None,
            resend_at: None,
            failures: 0,
            answers_at_failure: 0,
            attempts: 0,
            response: None,
            recovering: false,
        });
        let idx = self.in_flight.len() - 1;
        Some(self.launch(now, idx))
    }

    fn position_of(&self, id: u64) -> Option<usize> {
        self.in_flight
            .iter()
            .position(|r| r.attempt.is_some_and(|a| a.id == id))
    }

    fn backoff(failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(6);
        (BACKOFF_FIRST * (1u32 << shift)).min(BACKOFF_MAX)
    }

    /// A request failed (network, 5xx, timeout): schedule a resend of the
    /// same rid and bytes — after a bounded exponential backoff when the
    /// failure was quick (`lived`: how long the failed attempt was on the
    /// wire), at once after a timeout (`lived` = `None`: it already waited
    /// 1.1 × `wait`) — or give up after [`Config::max_retries`] consecutive
    /// resends.
    ///
    /// Consecutive means with no sign of life in between. The count (and so
    /// the backoff, 250 ms doubling up to 8 s) starts over when the server
    /// answered any request since this rid last failed, or when the failed
    /// attempt had stayed on the wire at least [`BACKOFF_MAX`]: the server
    /// had it, held it, and something on the way cut it (a proxy's idle
    /// timeout below `wait`). So one lost response costs the first backoff
    /// step, however many faults the session met before; only a server or
    /// network that stays down grows the backoff and ends the session, after
    /// 0.25 + 0.5 + 1 + 2 + 4 = 7.75 s with the default five resends. A
    /// timeout never starts over: an attempt that nobody answers is no sign
    /// of life. A rid fails again at most once per [`BACKOFF_FIRST`] after a
    /// sign of life or per [`BACKOFF_MAX`] after a long attempt, so the
    /// resends of a window of `requests` rids stay within `requests` per
    /// 250 ms.
    ///
    /// Before the session exists, a failed creation request moves to the
    /// next of [`Session::set_fallback_urls`] at once instead (cluster nodes: the
    /// failed node is reported by [`Session::poll_failed_node`]); once they
    /// are all tried, the rules above apply on the last one.
    fn failed(&mut self, now: Duration, idx: usize, lived: Option<Duration>) {
        let max = self.config.max_retries;
        let deadline = self.terminate_deadline;
        let answers = self.answers;
        if self.in_flight[idx].kind == Kind::Create {
            if let Some(next) = self.fallback_urls.get(self.fallbacks_used).cloned() {
                // Cluster nodes: the session does not exist yet; another node
                // gets the creation request at once, same rid and bytes.
                self.fallbacks_used = self.fallbacks_used.saturating_add(1);
                let failed = std::mem::replace(&mut self.config.url, next);
                self.failed_nodes.push(failed);
                let req = &mut self.in_flight[idx];
                req.failures = 0;
                req.resend_at = Some(now);
                return;
            }
        }
        let req = &mut self.in_flight[idx];
        let answered_since = req.failures > 0 && answers > req.answers_at_failure;
        let long_attempt = lived.is_some_and(|l| l >= BACKOFF_MAX);
        if answered_since || long_attempt {
            req.failures = 0;
        }
        req.answers_at_failure = answers;
        req.failures = req.failures.saturating_add(1);
        if req.failures > max {
            if req.kind == Kind::Terminate {
                self.close(None);
            } else {
                self.lose();
            }
            return;
        }
        let mut at = if lived.is_some() {
            now.saturating_add(Self::backoff(req.failures))
        } else {
            now
        };
        if let Some(d) = deadline {
            at = at.min(d);
        }
        req.resend_at = Some(at);
    }

    /// A 200 response to `in_flight[idx]` was read: act on what cannot wait
    /// (acks, reports, recoverable errors), then process in rid order.
    fn on_body(&mut self, now: Duration, idx: usize, mut parsed: ParsedBody) {
        let rid = self.in_flight[idx].rid;
        if parsed.kind.as_deref() == Some("terminate")
            && parsed.condition() == Some("item-not-found")
            && self.never_answered(idx)
        {
            parsed = ParsedBody::empty();
        }
        // §9.1: the server's acknowledgement (absent means "this rid").
        if self.params.as_ref().is_some_and(|p| p.ack.is_some()) {
            let ack = parsed.ack().unwrap_or(rid);
            if ack < self.next_rid {
                self.server_ack = Some(self.server_ack.map_or(ack, |a| a.max(ack)));
            }
        }
        // §9.2: the server reports a response we never received: resend that
        // request now, unless our current attempt left after that response.
        if let (Some(report), Some(time)) = (parsed.report(), parsed.time_ms()) {
            let answered_at = now.saturating_sub(Duration::from_millis(time));
            if let Some(r) = self
                .in_flight
                .iter_mut()
                .find(|r| r.rid == report && r.unanswered())
            {
                if r.attempt.map_or(true, |a| a.sent_at <= answered_at) {
                    r.attempt = None;
                    r.resend_at = Some(now);
                }
            }
        }
        if parsed.kind.as_deref() == Some("error") {
            // §17.3: repeat this request and every earlier unanswered one,
            // byte for byte.
            let f = &mut self.in_flight[idx].failures;
            *f = f.saturating_add(1);
            if self.in_flight[idx].failures > self.config.max_retries {
                self.lose();
                return;
            }
            for r in self.in_flight.iter_mut().take(idx + 1) {
                if r.unanswered() {
                    r.attempt = None;
                    r.resend_at = Some(now);
                }
            }
            return;
        }
        self.in_flight[idx].response = Some(parsed);
        self.suspect_earlier(now, idx);
        if self.in_flight[idx].kind == Kind::Terminate {
            // §13: the answer to our terminate ends the session at once, even
            // while an earlier rid is unanswered (the server has forgotten it:
            // waiting or resending is pointless). What was already received
            // is still delivered, in rid order.
            self.end_on_terminate_answer();
            return;
        }
        self.process_in_order();
        if self.state != State::Closed && self.outstanding() == 0 {
            self.idle_since = Some(now);
        }
    }

    /// The answer to `in_flight[idx]` arrived while earlier rids are still
    /// on the wire. A server that holds one request at most (`hold` ≤ 1)
    /// answers in rid order — a newer request makes it answer the held one
    /// first — so their answers were sent before this one: if one has not
    /// arrived [`BACKOFF_FIRST`] from now, it was lost on the way (a
    /// connection that failed without an error), and the rid times out then
    /// and is resent at once (the server replays it from its buffer, §14.3),
    /// instead of waiting out its deadline (1.1 × `wait` + 2 s). Not for a
    /// pause request, whose answer is not buffered.
    fn suspect_earlier(&mut self, now: Duration, idx: usize) {
        if self.params.as_ref().map_or(true, |p| p.hold > 1) {
            return;
        }
        let soon = now.saturating_add(BACKOFF_FIRST);
        for r in self.in_flight.iter_mut().take(idx) {
            if r.kind == Kind::Pause || !r.unanswered() {
                continue;
            }
            // Not a resend of a rid an earlier page (or this page before the
            // back-forward cache) had on the wire: the server may still hold
            // that page's copy and write the answer there, and a third copy
            // draws item-not-found from Prosody. Those keep their deadline.
            if r.recovering {
                continue;
            }
            if let Some(a) = r.attempt.as_mut() {
                a.deadline = a.deadline.min(soon);
            }
        }
    }

    /// Whether the server has already answered `in_flight[idx]` and will
    /// replay it at once (see [`REPLAY_TIMEOUT`]): a later rid's answer is
    /// in and the server answers in rid order (`hold` ≤ 1). The same
    /// exceptions as [`Session::suspect_earlier`]: not a pause request, not
    /// a resend of a rid an earlier page had on the wire.
    fn replay_expected(&self, idx: usize) -> bool {
        let req = &self.in_flight[idx];
        self.params.as_ref().is_some_and(|p| p.hold <= 1)
            && req.kind != Kind::Pause
            && !req.recovering
            && self
                .in_flight
                .iter()
                .any(|r| r.rid > req.rid && !r.unanswered())
    }

    /// Whether an `item-not-found` answer to `in_flight[idx]` means only
    /// that the server never answered that rid, so nothing was lost: the
    /// request is a resend after the page that first sent it went away (or
    /// was frozen), and a later rid is on its way to the server.
    ///
    /// The page went away while the server held the request; the server
    /// wrote nothing into it (else the answer would be in its §14.3 buffer,
    /// which holds `requests` answers, and our window keeps this rid within
    /// the last `requests`). If the later rid reached the server first, the
    /// resend is now below the server's rid: Prosody 0.12 answers
    /// `item-not-found` to that request alone and keeps the session. If the
    /// session itself is gone, the later rid's answer says so and ends it.
    fn never_answered(&self, idx: usize) -> bool {
        let req = &self.in_flight[idx];
        req.recovering && self.in_flight.iter().any(|r| r.rid > req.rid)
    }

    fn process_in_order(&mut self) {
        while self.state != State::Closed {
            if self.in_flight.first().map_or(true, Request::unanswered) {
                break;
            }
            let mut req = self.in_flight.remove(0);
            let Some(parsed) = req.response.take() else {
                break;
            };
            self.process(&req, parsed);
        }
    }

    /// Processes every response already received, in rid order, skipping
    /// the unanswered rids, then closes cleanly.
    fn end_on_terminate_answer(&mut self) {
        let requests = std::mem::take(&mut self.in_flight);
        for mut req in requests {
            if self.state == State::Closed {
                break;
            }
            if let Some(parsed) = req.response.take() {
                self.process(&req, parsed);
            }
        }
        self.close(None);
    }

    fn process(&mut self, req: &Request, parsed: ParsedBody) {
        if let (Some(sid), Some(params)) = (&parsed.sid, &self.params) {
            if req.kind != Kind::Create && sid.trim() != params.sid {
                self.close(Some("sid-mismatch".into()));
                return;
            }
        }
        if let Some(last) = self.last_empty.as_mut() {
            if last.rid == req.rid {
                last.answered_empty = Some(parsed.stanzas.is_empty());
            }
        }
        if parsed.kind.as_deref() == Some("terminate") {
            let condition = parsed.terminate_condition();
            let mut stanzas = parsed.stanzas;
            if condition == "see-other-uri" {
                let target = stanzas
                    .iter()
                    .position(|e| e.local_name() == "uri")
                    .map(|i| stanzas.remove(i).text());
                self.redirect = target.and_then(|t| check_redirect(&self.config.url, &t).ok());
            }
            for s in stanzas {
                self.events.push_back(Event::Stanza(s));
            }
            self.close((!self.terminating).then_some(condition));
            return;
        }
        if req.kind == Kind::Create {
            match parsed.session_params(&self.config) {
                Ok(params) => {
                    self.server_ack = params.ack.filter(|a| *a == req.rid);
                    self.params = Some(params.clone());
                    self.state = State::Open;
                    self.events.push_back(Event::Created(params));
                }
                Err(condition) => {
                    self.close(Some(condition.into()));
                    return;
                }
            }
        } else if let Some(params) = self.params.as_mut() {
            // §7.2, XEP-0206 §4: these may come in any later response.
            let b = &parsed.body;
            if let Some(v) = b.attr("from") {
                params.from = Some(v.to_owned());
            }
            if let Some(v) = b.attr("authid") {
                params.authid = Some(v.to_owned());
            }
            if let Some(v) = parsed.xbosh_attr("version") {
                params.xmpp_version = Some(v.to_owned());
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

    /// Ends the session on a fatal input: with `condition`, or cleanly if our
    /// own terminate already left (the session is over either way).
    fn fail(&mut self, condition: &str) {
        let condition = (!self.terminating).then(|| condition.to_owned());
        self.close(condition);
    }

    /// Ends the session after `max_retries` resends of one request failed
    /// (`remote-connection-failed`). The answers of later rids that did
    /// arrive, held back only to keep rid order, have their stanzas
    /// delivered first: the server counts them delivered, and only what
    /// was in the lost answers is gone.
    fn lose(&mut self) {
        for req in &mut self.in_flight {
            if let Some(p) = req.response.as_mut() {
                if p.kind.as_deref() != Some("terminate") {
                    for st in p.stanzas.drain(..) {
                        self.events.push_back(Event::Stanza(st));
                    }
                }
            }
        }
        self.close(Some("remote-connection-failed".into()));
    }

    fn close(&mut self, condition: Option<String>) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        let mut sent = Vec::new();
        for r in std::mem::take(&mut self.in_flight) {
            if r.response.is_none() {
                sent.push(r.body);
            }
        }
        self.lost = (sent, std::mem::take(&mut self.queue));
        self.condition.clone_from(&condition);
        self.events.push_back(Event::Closed { condition });
    }
}
