//! The XMPP connection over one transport ([`crate::transport`]: a BOSH
//! session or a WebSocket stream): login (SASL or SASL2, restart, bind or
//! Bind2, session), stream management (XEP-0198, over WebSocket), status
//! changes with Strophe.js's numbers, and application stanzas. Sans-IO,
//! with the same shape as [`crate::bosh::Session`]:
//!
//! * getters on `&self` ([`Connection::status`], [`Connection::jid`], ...);
//! * commands ([`Connection::connect`], [`Connection::send`],
//!   [`Connection::disconnect`], [`Connection::pause`], ...);
//! * inputs named `handle_*`, which forward to the BOSH session and then run
//!   the login state machine on what arrived;
//! * outputs named `poll_*`: drain [`Connection::poll_event`] first (the
//!   application may queue stanzas from its callbacks), then
//!   [`Connection::poll_transmit`] (BOSH: HTTP requests) or
//!   [`Connection::poll_ws_transmit`] (WebSocket: open, frame, close) until
//!   `None`, then arm a timer for [`Connection::poll_timeout`].
//!
//! The transport follows the service URL: `ws://`/`wss://` is a WebSocket
//! (RFC 7395; inputs [`Connection::handle_ws_open`],
//! [`Connection::handle_ws_frame`], [`Connection::handle_ws_closed`]),
//! anything else BOSH (inputs [`Connection::handle_response`],
//! [`Connection::handle_transport_error`], ...).
//!
//! A BOSH service may be a cluster: the URLs of one domain's connection
//! managers joined by single spaces ([`bosh::Nodes`]). Each new session
//! (connect, reconnect) picks a node at random, the others being the
//! creation request's fallbacks; nodes it left, and the node of a lost
//! session, cool down; a restore goes back to the snapshot's node.
//!
//! Every login step is queued while the previous response is processed, so it
//! leaves in the very next `poll_transmit`: a login takes the minimum number of
//! HTTP round trips and never waits for a timer.

pub mod handlers;
pub mod prebind;
pub mod reconnect;
pub mod tracker;

use crate::b64;
use crate::bosh::{self, Session, Transmit};
use crate::jid::Jid;
use crate::json::{self, JsonError, Value};
use crate::ns;
use crate::rand::RandomSource;
use crate::sasl::ScramKeys;
use crate::sasl::{self, Credentials, Mechanism};
use crate::sm::{self, SmSnapshot, StreamManagement};
use crate::transport::{self, Kind, Transport};
use crate::websocket;
use crate::xml::{self, Element};
use std::collections::VecDeque;
use std::time::Duration;

/// Connection status, numbered as in Strophe.js so existing code ports as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// An error occurred.
    Error = 0,
    /// The connection is being established.
    Connecting = 1,
    /// The connection attempt failed (see the condition).
    ConnFail = 2,
    /// Authentication is in progress.
    Authenticating = 3,
    /// Authentication failed (see the condition).
    AuthFail = 4,
    /// Logged in and bound.
    Connected = 5,
    /// The connection is closed.
    Disconnected = 6,
    /// The connection is closing.
    Disconnecting = 7,
    /// Attached to an existing session.
    Attached = 8,
    /// Redirected to another service.
    Redirect = 9,
    /// The connection timed out.
    ConnTimeout = 10,
    /// Authenticated; the application must call bind.
    BindRequired = 11,
    /// Attaching to an existing session failed.
    AttachFail = 12,
    /// Reconnecting.
    Reconnecting = 13,
}

impl Status {
    /// The Strophe.js name (`CONNECTED`, `AUTHFAIL`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Status::Error => "ERROR",
            Status::Connecting => "CONNECTING",
            Status::ConnFail => "CONNFAIL",
            Status::Authenticating => "AUTHENTICATING",
            Status::AuthFail => "AUTHFAIL",
            Status::Connected => "CONNECTED",
            Status::Disconnected => "DISCONNECTED",
            Status::Disconnecting => "DISCONNECTING",
            Status::Attached => "ATTACHED",
            Status::Redirect => "REDIRECT",
            Status::ConnTimeout => "CONNTIMEOUT",
            Status::BindRequired => "BINDREQUIRED",
            Status::AttachFail => "ATTACHFAIL",
            Status::Reconnecting => "RECONNECTING",
        }
    }
}

/// Options of a connection, as given from JavaScript (camelCase keys).
/// Unknown keys are an error, so a typo is reported instead of ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// SASL mechanisms to use, in order of preference (default: strongest first).
    pub mechanisms: Option<Vec<String>>,
    /// BOSH `wait` (seconds).
    pub wait: u32,
    /// BOSH `hold`.
    pub hold: u32,
    /// BOSH `route`.
    pub route: Option<String>,
    /// `Content-Type` of requests (`text/plain` avoids a CORS preflight).
    pub content_type: String,
    /// Largest accepted response body in bytes.
    pub max_body_size: usize,
    /// Resends of one request before the session counts as lost.
    pub max_retries: u32,
    /// Milliseconds to coalesce stanzas before a body leaves (default 0:
    /// stanzas sent in one JavaScript task leave together at its end).
    pub idle_interval: u32,
    /// `xml:lang` of the session.
    pub lang: String,
    /// Send credentials (cookies) with cross-origin requests.
    pub with_credentials: bool,
    /// After authentication, stop at BINDREQUIRED and let the application
    /// call [`Connection::bind`].
    pub explicit_resource_binding: bool,
    /// Keep a snapshot of the session in `sessionStorage` so that a reloaded
    /// page can `restore()` it.
    pub keepalive: bool,
    /// Extra HTTP headers on every request (`{name: value}`, as (name, value)
    /// pairs in the order given). Note that a
    /// cross-origin service must allow them in its CORS preflight.
    pub custom_headers: Vec<(String, String)>,
    /// The highest SCRAM iteration count accepted from the server (default
    /// [`sasl::DEFAULT_MAX_ITERATIONS`], at least [`sasl::MIN_ITERATIONS`]):
    /// above it the login ends with AUTHFAIL `iteration-count-too-high`
    /// instead of computing PBKDF2 for as long as a hostile server asks.
    pub max_scram_iterations: u32,
    /// Not a JavaScript option: [`bosh::Config::request_spacing`] (default
    /// 100 ms), how long a new request waits for the previous unanswered one
    /// to reach the server first.
    pub request_spacing: Duration,
    /// Over WebSocket, enable XEP-0198 stream management (with resumption)
    /// when the server offers it (default `true`).
    pub stream_management: bool,
    /// Reconnect a lost live session ([`reconnect`]); `None` (the default)
    /// leaves it to the application.
    pub reconnect: Option<reconnect::Policy>,
}

/// What JavaScript must give for an option of [`Options`]: the web shell
/// checks `new Connection(service, options)` against [`OPTION_KINDS`] before
/// deserialising, so that a mistake is reported in JavaScript terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// `true` or `false`.
    Bool,
    /// A string.
    String,
    /// An array of SASL mechanism names.
    Mechanisms,
    /// A whole number of seconds, 0 to 2^32 - 1.
    Seconds,
    /// A whole number of milliseconds, 0 to 2^32 - 1.
    Milliseconds,
    /// A whole number of bytes, 0 to 2^32 - 1.
    Bytes,
    /// A whole number, 0 to 2^32 - 1.
    Count,
    /// An object whose values are strings.
    Headers,
    /// A SASL SCRAM iteration count: a whole number from
    /// [`sasl::MIN_ITERATIONS`] to 2^32 - 1.
    Iterations,
    /// `true`, `false`, or an object with the whole numbers
    /// `initialDelay`, `maxDelay` (milliseconds) and `maxAttempts`.
    Reconnect,
}

/// Every option of [`Options`] by its JavaScript (camelCase) name, with the
/// kind of value it takes.
pub const OPTION_KINDS: &[(&str, OptionKind)] = &[
    ("mechanisms", OptionKind::Mechanisms),
    ("wait", OptionKind::Seconds),
    ("hold", OptionKind::Count),
    ("route", OptionKind::String),
    ("contentType", OptionKind::String),
    ("maxBodySize", OptionKind::Bytes),
    ("maxRetries", OptionKind::Count),
    ("idleInterval", OptionKind::Milliseconds),
    ("lang", OptionKind::String),
    ("withCredentials", OptionKind::Bool),
    ("explicitResourceBinding", OptionKind::Bool),
    ("keepalive", OptionKind::Bool),
    ("customHeaders", OptionKind::Headers),
    ("maxScramIterations", OptionKind::Iterations),
    ("streamManagement", OptionKind::Bool),
    ("reconnect", OptionKind::Reconnect),
];

/// The version of [`Snapshot`]'s stored format.
pub const SNAPSHOT_VERSION: u32 = 1;

/// What a reloaded page needs to continue the connection: the JID and the
/// BOSH session snapshot. Stored as versioned JSON ([`Snapshot::to_json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Format version ([`SNAPSHOT_VERSION`]).
    pub v: u32,
    /// The bound full JID.
    pub jid: String,
    /// The BOSH session.
    pub session: bosh::SessionSnapshot,
}

impl Snapshot {
    /// Writes the members of the snapshot's JSON object (`v`, `jid`,
    /// `session`) into `o`; the caller may add its own and ends the object.
    pub fn write_json(&self, o: &mut json::Obj<'_>) {
        o.u64("v", u64::from(self.v));
        o.str("jid", &self.jid);
        self.session.write_json(o.key("session"));
    }

    /// The snapshot as JSON text: `{"v":1,"jid":…,"session":{…}}`.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let mut o = json::Obj::new(&mut out);
        self.write_json(&mut o);
        o.end();
        out
    }

    /// Reads a snapshot from a parsed JSON object (members it does not know
    /// are ignored). [`Connection::restore`] checks the values.
    pub fn from_json_value(v: &Value) -> Result<Snapshot, JsonError> {
        Ok(Snapshot {
            v: json::field_u32(v, "v")?,
            jid: json::field_str(v, "jid")?,
            session: bosh::SessionSnapshot::from_json(
                v.get("session").ok_or(JsonError::Field("session"))?,
            )?,
        })
    }

    /// Reads a snapshot from the JSON text [`Snapshot::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Snapshot, JsonError> {
        Self::from_json_value(&json::parse(text)?)
    }
}

impl Options {
    /// Reads options from a JSON object with the members of
    /// [`OPTION_KINDS`] (camelCase; `null` means the default). A member that
    /// is not an option, or of the wrong type, is an error.
    pub fn from_json(text: &str) -> Result<Options, JsonError> {
        let Value::Obj(members) = json::parse(text)? else {
            return Err(JsonError::Field("options"));
        };
        let mut o = Options::default();
        for (name, v) in &members {
            let Some(&(key, _)) = OPTION_KINDS.iter().find(|(k, _)| k == name) else {
                return Err(JsonError::Unknown(name.clone()));
            };
            if *v == Value::Null {
                continue;
            }
            let num = || {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or(JsonError::Field(key))
            };
            let text = || v.as_str().map(str::to_owned).ok_or(JsonError::Field(key));
            let flag = || v.as_bool().ok_or(JsonError::Field(key));
            match key {
                "mechanisms" => {
                    let list = v.as_array().ok_or(JsonError::Field(key))?;
                    let mut names = Vec::with_capacity(list.len());
                    for m in list {
                        names.push(m.as_str().ok_or(JsonError::Field(key))?.to_owned());
                    }
                    o.mechanisms = Some(names);
                }
                "wait" => o.wait = num()?,
                "hold" => o.hold = num()?,
                "route" => o.route = Some(text()?),
                "contentType" => o.content_type = text()?,
                "maxBodySize" => {
                    o.max_body_size = v
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or(JsonError::Field(key))?
                }
                "maxRetries" => o.max_retries = num()?,
                "idleInterval" => o.idle_interval = num()?,
                "lang" => o.lang = text()?,
                "withCredentials" => o.with_credentials = flag()?,
                "explicitResourceBinding" => o.explicit_resource_binding = flag()?,
                "keepalive" => o.keepalive = flag()?,
                "customHeaders" => {
                    let Value::Obj(headers) = v else {
                        return Err(JsonError::Field(key));
                    };
                    for (h, value) in headers {
                        let value = value.as_str().ok_or(JsonError::Field(key))?;
                        o.custom_headers.push((h.clone(), value.to_owned()));
                    }
                }
                "maxScramIterations" => o.max_scram_iterations = num()?,
                "streamManagement" => o.stream_management = flag()?,
                "reconnect" => o.reconnect = reconnect_policy(v)?,
                _ => return Err(JsonError::Unknown(name.clone())),
            }
        }
        Ok(o)
    }
}

/// The `reconnect` option: `true`/`false`, or `{initialDelay, maxDelay,
/// maxAttempts, prebind}` (each optional; `prebind` a boolean).
fn reconnect_policy(v: &Value) -> Result<Option<reconnect::Policy>, JsonError> {
    const KEY: &str = "reconnect";
    if let Some(on) = v.as_bool() {
        return Ok(on.then(reconnect::Policy::default));
    }
    let Value::Obj(members) = v else {
        return Err(JsonError::Field(KEY));
    };
    let mut p = reconnect::Policy::default();
    for (name, value) in members {
        if *value == Value::Null {
            continue;
        }
        if name == "prebind" {
            p.prebind = value.as_bool().ok_or(JsonError::Field(KEY))?;
            continue;
        }
        let n = value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(JsonError::Field(KEY))?;
        match name.as_str() {
            "initialDelay" => p.initial_delay = Duration::from_millis(n.into()),
            "maxDelay" => p.max_delay = Duration::from_millis(n.into()),
            "maxAttempts" => p.max_attempts = n,
            _ => return Err(JsonError::Unknown(name.clone())),
        }
    }
    Ok(Some(p))
}

impl Default for Options {
    fn default() -> Self {
        let c = bosh::Config::new("", "");
        Options {
            mechanisms: None,
            wait: c.wait,
            hold: c.hold,
            route: None,
            content_type: c.content_type,
            max_body_size: c.max_body_size,
            max_retries: c.max_retries,
            idle_interval: 0,
            lang: c.lang,
            with_credentials: false,
            explicit_resource_binding: false,
            keepalive: false,
            custom_headers: Default::default(),
            max_scram_iterations: sasl::DEFAULT_MAX_ITERATIONS,
            request_spacing: c.request_spacing,
            stream_management: true,
            reconnect: None,
        }
    }
}

/// Something the application learns.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The status changed; `condition` says why for failures.
    Status {
        /// The new status.
        status: Status,
        /// The error condition (`not-authorized`, `no-auth-mech`, ...).
        condition: Option<String>,
    },
    /// An application stanza arrived (only once connected).
    Stanza(Element),
    /// The answer to a stanza sent with [`Connection::send_tracked`]: an IQ
    /// `result`/`error`, or a presence with the same id.
    Answer {
        /// The id of the request.
        id: String,
        /// The answer.
        stanza: Element,
    },
    /// A tracked stanza got no answer: `reason` is `timeout` or
    /// `disconnected`.
    NoAnswer {
        /// The id of the request.
        id: String,
        /// Why: `timeout` or `disconnected`.
        reason: &'static str,
    },
    /// A periodic timer added with [`Connection::add_timer`] is due.
    Timer {
        /// The timer.
        id: u64,
    },
}

/// Stream management could not resume the stream (`<failed/>`): these
/// stanzas were sent but the server never acknowledged them, so they may
/// not have arrived. A new session follows (status CONNECTED). Drained with
/// [`Connection::poll_unacknowledged`] (not an [`Event`], so that the
/// event match of an existing shell stays exhaustive).
#[derive(Clone, Debug, PartialEq)]
pub struct Unacknowledged {
    /// The `<failed/>` condition (`item-not-found`, ...).
    pub condition: String,
    /// The stanzas, oldest first.
    pub stanzas: Vec<Element>,
}

/// An error of a command given by the application.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The JID could not be parsed.
    #[error("invalid JID: {0}")]
    InvalidJid(String),
    /// The command needs a state the connection is not in.
    #[error("not allowed now: {0}")]
    InvalidState(&'static str),
    /// The stanza is not exactly one well-formed element.
    #[error("not one well-formed element: {0}")]
    BadStanza(String),
    /// An option is unusable (a malformed URL, header or content type).
    #[error("bad option: {0}")]
    BadOption(String),
}

impl CommandError {
    /// A short condition string for JavaScript errors.
    pub fn condition(&self) -> &'static str {
        match self {
            CommandError::InvalidJid(_) => "jid-malformed",
            CommandError::InvalidState(_) => "invalid-state",
            CommandError::BadStanza(_) => "bad-format",
            CommandError::BadOption(_) => "bad-options",
        }
    }
}

#[derive(Debug)]
enum Phase {
    Idle,
    /// Waiting for stream features; `authenticated` after SASL success.
    Features {
        authenticated: bool,
    },
    Sasl,
    /// SASL2 succeeded with a resource bound inline (Bind2): waiting for
    /// the stream features that follow `<success/>`.
    Bound,
    /// `<resume/>` sent (XEP-0198).
    Resume,
    /// Authenticated, waiting for the application to call `bind`.
    BindRequired,
    Bind {
        id: String,
    },
    Session {
        id: String,
    },
    Connected,
    /// A live session was lost; the next attempt waits for its backoff.
    Reconnecting,
    Disconnecting,
    Disconnected,
}

/// One XMPP connection. See the module documentation for the driving rules.
pub struct Connection {
    /// The service, or the node in use of a cluster.
    url: String,
    /// The cluster's nodes, when the service is one; its error when the
    /// list is not a valid one (reported by `connect`).
    nodes: Result<Option<bosh::Nodes>, bosh::BoshError>,
    kind: Kind,
    options: Options,
    rng: Box<dyn RandomSource>,
    transport: Option<Transport>,
    phase: Phase,
    status: Status,
    jid: Option<Jid>,
    credentials: Credentials,
    mechanism: Option<Box<dyn Mechanism>>,
    mechanism_name: Option<&'static str>,
    session_required: bool,
    failed: bool,
    /// Attached or restored, and no response processed yet: a failure now
    /// is ATTACHFAIL.
    attaching: bool,
    /// The id of the ping that confirms an attached session (its answer is
    /// not the application's).
    confirm_ping: Option<String>,
    events: VecDeque<Event>,
    tracker: tracker::Tracker,
    timers: tracker::Timers,
    /// The last `now` given to a command or input.
    now: Duration,
    /// The login uses SASL2 (XEP-0388).
    sasl2: bool,
    /// Bind2 (XEP-0386) was requested inside the SASL2 `<authenticate/>`.
    bind2: bool,
    /// The server offered XEP-0198 in the features after authentication.
    sm_offered: bool,
    sm: StreamManagement,
    /// The SCRAM keys of this login (or of the restored one): a re-login
    /// (resumption) without the password.
    scram_keys: Option<ScramKeys>,
    /// Authenticating to resume the stream (restore, or a dropped socket),
    /// not to bind a new session.
    resuming: bool,
    /// A live stream is being resumed after its socket dropped (status
    /// RECONNECTING was reported).
    reconnecting: bool,
    /// Application stanzas held while a WebSocket login or resumption is
    /// under way: they leave once the session is bound or resumed.
    held: Vec<Element>,
    unacknowledged: Vec<Unacknowledged>,
    /// Stream features arrived since the last `connect`.
    features_seen: bool,
    /// What a replaced WebSocket stream still had for its socket (the
    /// `Close` of a redirect or a failed stream), delivered before anything
    /// of the new one.
    retired: Vec<websocket::Transmit>,
    /// The reconnect policy's state, when the option is on.
    backoff: Option<reconnect::Backoff>,
    /// A recoverable stream error of a live session: the transport's close
    /// that follows is a loss to reconnect from.
    stream_error: Option<String>,
    /// A reconnect of an attached session waits for the application's
    /// prebind ([`Connection::poll_prebind_wanted`] not yet polled: `1`,
    /// polled: `2`; `0`: none).
    prebind_wait: u8,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.url)
            .field("status", &self.status)
            .field("jid", &self.jid)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A new, idle connection to the service at `url`: a BOSH or WebSocket
    /// URL, or a BOSH cluster (node URLs joined by single spaces; an invalid
    /// list makes `connect` fail with `bad-options`).
    pub fn new(url: impl Into<String>, options: Options, rng: Box<dyn RandomSource>) -> Self {
        let (url, nodes) = parse_service(url.into());
        let backoff = options.reconnect.map(reconnect::Backoff::new);
        Connection {
            kind: Kind::of_url(&url),
            url,
            nodes,
            options,
            rng,
            transport: None,
            phase: Phase::Idle,
            status: Status::Disconnected,
            jid: None,
            credentials: Credentials::default(),
            mechanism: None,
            mechanism_name: None,
            session_required: false,
            failed: false,
            attaching: false,
            confirm_ping: None,
            events: VecDeque::new(),
            tracker: tracker::Tracker::default(),
            timers: tracker::Timers::default(),
            now: Duration::ZERO,
            sasl2: false,
            bind2: false,
            sm_offered: false,
            sm: StreamManagement::default(),
            scram_keys: None,
            resuming: false,
            reconnecting: false,
            held: Vec::new(),
            prebind_wait: 0,
            unacknowledged: Vec::new(),
            features_seen: false,
            retired: Vec::new(),
            backoff,
            stream_error: None,
        }
    }

    /// Output: stanzas a failed resumption may have lost (XEP-0198
    /// `<failed/>`), to drain with the events.
    pub fn poll_unacknowledged(&mut self) -> Option<Unacknowledged> {
        // Rare (one per failed resumption): no queue type for it.
        (!self.unacknowledged.is_empty()).then(|| self.unacknowledged.remove(0))
    }

    /// The transport this connection speaks (from the service URL).
    pub fn transport_kind(&self) -> Kind {
        self.kind
    }

    /// Stream management (XEP-0198) state: counters, unacknowledged
    /// stanzas, resumption id.
    pub fn stream_management(&self) -> &StreamManagement {
        &self.sm
    }

    /// Whether stream features arrived since the last `connect` or
    /// `restore_ws`: a CONNFAIL without them means the service could not be
    /// reached or closed first (a shell with a list of services falls back
    /// to the next one then).
    pub fn features_seen(&self) -> bool {
        self.features_seen
    }

    /// Whether the login used SASL2 (XEP-0388).
    pub fn used_sasl2(&self) -> bool {
        self.sasl2
    }

    /// The WebSocket stream, if the transport is one.
    pub fn ws_stream(&self) -> Option<&websocket::Stream> {
        self.transport.as_ref().and_then(Transport::ws)
    }

    fn bosh(&self) -> Option<&Session> {
        self.transport.as_ref().and_then(Transport::bosh)
    }

    fn bosh_mut(&mut self) -> Option<&mut Session> {
        self.transport.as_mut().and_then(Transport::bosh_mut)
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The JID: the one given to `connect`, then the bound full JID.
    pub fn jid(&self) -> Option<&Jid> {
        self.jid.as_ref()
    }

    /// The SASL mechanism used for the login, once chosen.
    pub fn mechanism(&self) -> Option<&'static str> {
        self.mechanism_name
    }

    /// Whether the login completed (CONNECTED or ATTACHED).
    pub fn authenticated(&self) -> bool {
        matches!(self.phase, Phase::Connected)
    }

    /// Attached or restored, and the server has not yet answered: the
    /// session is not confirmed.
    pub fn attaching(&self) -> bool {
        self.attaching
    }

    /// Whether a transport (BOSH session, WebSocket stream) is open.
    pub fn connected(&self) -> bool {
        self.transport.as_ref().is_some_and(|s| !s.is_closed())
            && !matches!(self.phase, Phase::Idle | Phase::Disconnected)
    }

    /// Whether sending is paused (BOSH).
    pub fn paused(&self) -> bool {
        self.bosh().is_some_and(Session::is_paused)
    }

    /// The BOSH session, if the transport is one.
    pub fn session(&self) -> Option<&Session> {
        self.bosh()
    }

    /// The service URL (BOSH or WebSocket); of a cluster, the node of the
    /// session (or of the last one).
    pub fn service(&self) -> &str {
        match self.bosh() {
            Some(s) if self.cluster().is_some() => &s.config().url,
            _ => &self.url,
        }
    }

    /// The cluster's nodes, when the service is one.
    pub fn cluster(&self) -> Option<&bosh::Nodes> {
        self.nodes.as_ref().ok().and_then(Option::as_ref)
    }

    /// Changes the service (as in [`new`]: a URL or a cluster) while no
    /// session is active: a shell with a list of services falls back to the
    /// next one with it. Handlers, timers and options stay; so do a
    /// cluster's cool-downs when it is the same cluster.
    ///
    /// [`new`]: Connection::new
    pub fn set_service(&mut self, url: &str) -> Result<(), CommandError> {
        if !matches!(self.phase, Phase::Idle | Phase::Disconnected) {
            return Err(CommandError::InvalidState(
                "service changed while a session is active",
            ));
        }
        let (url, nodes) = parse_service(url.to_owned());
        if let Err(e) = &nodes {
            return Err(CommandError::BadOption(e.to_string()));
        }
        let same =
            matches!((&nodes, self.cluster()), (Ok(Some(n)), Some(o)) if n.urls() == o.urls());
        if !same {
            self.nodes = nodes;
        }
        self.kind = Kind::of_url(&url);
        self.url = url;
        Ok(())
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Starts a login as `jid` (a bare domain for anonymous login).
    pub fn connect(&mut self, jid: &str, password: Option<&str>) -> Result<(), CommandError> {
        if !matches!(self.phase, Phase::Idle | Phase::Disconnected) {
            return Err(CommandError::InvalidState(
                "connect while a session is active",
            ));
        }
        let jid = Jid::parse(jid).map_err(|e| CommandError::InvalidJid(e.to_string()))?;
        if self.options.max_scram_iterations < sasl::MIN_ITERATIONS {
            return Err(CommandError::BadOption(
                "maxScramIterations below 4096, the lowest count SCRAM allows".into(),
            ));
        }
        let mut transport = self.new_transport(jid.domain(), None)?;
        transport.start();
        self.reset_login();
        self.scram_keys = None;
        self.sm.reset();
        self.backoff = self.options.reconnect.map(reconnect::Backoff::new);
        self.stream_error = None;
        self.credentials = Credentials {
            username: jid.node().map(str::to_owned),
            password: password.map(str::to_owned),
            authzid: None,
            domain: jid.domain().to_owned(),
            oauth_token: None,
        };
        self.replace_transport(transport);
        self.jid = Some(jid);
        self.expect_features();
        self.set_status(Status::Connecting, None);
        Ok(())
    }

    /// Takes over an authenticated session opened elsewhere (prebind):
    /// `rid` is the next rid to use. Status ATTACHED at once, with no
    /// handshake; if the server rejects the first request, ATTACHFAIL.
    /// `wind` is the request window (default `hold` + 1).
    pub fn attach(
        &mut self,
        jid: &str,
        sid: &str,
        rid: u64,
        wait: Option<u32>,
        hold: Option<u32>,
        wind: Option<u32>,
    ) -> Result<(), CommandError> {
        self.attach_at(None, jid, sid, rid, wait, hold, wind)
    }

    /// [`Connection::attach`] to a session bound on `node`: one of the
    /// cluster's node URLs (or the service's one URL). A cluster of several
    /// nodes needs it — the session lives on one node only, the one that
    /// bound it — and a node that is not the service's is refused
    /// (`bad-options`): the connection's headers and cookies go nowhere
    /// else. The node is the session's URL, so the keepalive snapshot
    /// carries it and `restore()` returns to it.
    ///
    /// While a reconnect of an attached session waits for the application's
    /// prebind ([`Connection::poll_prebind_wanted`]), this attaches the new
    /// session instead: the status stays RECONNECTING until the server
    /// answered its first request, then ATTACHED, and the stanzas held
    /// meanwhile leave; a session the server refuses is a failed attempt
    /// (the next one follows the backoff).
    #[allow(clippy::too_many_arguments)]
    pub fn attach_at(
        &mut self,
        node: Option<&str>,
        jid: &str,
        sid: &str,
        rid: u64,
        wait: Option<u32>,
        hold: Option<u32>,
        wind: Option<u32>,
    ) -> Result<(), CommandError> {
        let again = self.prebind_wait != 0;
        if !again && !matches!(self.phase, Phase::Idle | Phase::Disconnected) {
            return Err(CommandError::InvalidState(
                "attach while a session is active",
            ));
        }
        if self.kind != Kind::Bosh {
            return Err(CommandError::InvalidState("attach needs a BOSH service"));
        }
        let jid = Jid::parse(jid).map_err(|e| CommandError::InvalidJid(e.to_string()))?;
        if sid.is_empty() {
            return Err(CommandError::InvalidState("attach needs a sid"));
        }
        if rid == 0 || rid > bosh::MAX_RID {
            return Err(CommandError::InvalidState("rid out of range"));
        }
        let url = match (node, self.cluster()) {
            (Some(n), Some(nodes)) if nodes.position(n).is_some() => n.to_owned(),
            (Some(n), None) if n == self.url => n.to_owned(),
            (Some(_), _) => {
                return Err(CommandError::BadOption(
                    "the attach url is not a node of the service".into(),
                ))
            }
            (None, Some(nodes)) if nodes.urls().len() > 1 => {
                return Err(CommandError::BadOption(
                    "attach to a cluster needs the url of the node that bound the session".into(),
                ))
            }
            (None, _) => self.url.clone(),
        };
        let mut config = self.bosh_config(jid.domain());
        config.url.clone_from(&url);
        config
            .validate()
            .map_err(|e| CommandError::BadOption(e.to_string()))?;
        self.url = url;
        config.wait = wait.unwrap_or(config.wait);
        config.hold = hold.unwrap_or(config.hold);
        let params = bosh::SessionParams {
            sid: sid.to_owned(),
            wait: config.wait,
            requests: wind.unwrap_or(config.hold.saturating_add(1)).max(1),
            hold: config.hold,
            ..Default::default()
        };
        let mut session = Session::attached(config, params, rid);
        if again {
            if let Some(old) = self.bosh() {
                session.continue_ids_from(old);
            }
            self.prebind_wait = 0;
            self.transport = Some(Transport::Bosh(session));
            self.jid = Some(jid);
            self.attaching = true;
            self.phase = Phase::Connected;
            // Confirmed by a ping (as `begin_attached`), ahead of the held
            // stanzas: they leave once the server took the session.
            let ping = self.confirm_ping_stanza();
            let now = self.now;
            self.reconnecting = false;
            self.confirm_ping = self.send_tracked(now, ping, None).ok();
            self.reconnecting = true;
            self.flush();
            return Ok(());
        }
        self.transport = Some(Transport::Bosh(session));
        self.begin_attached(jid);
        Ok(())
    }

    /// Whether a reconnect waits for the application's prebind.
    pub fn awaiting_prebind(&self) -> bool {
        self.prebind_wait != 0
    }

    /// Output: `true` (once) when a reconnect of an attached session needs a
    /// new prebound session from the application (`reconnect.prebind`); it
    /// answers with [`Connection::attach_at`], or with
    /// [`Connection::prebind_failed`].
    pub fn poll_prebind_wanted(&mut self) -> bool {
        if self.prebind_wait == 1 {
            self.prebind_wait = 2;
            return true;
        }
        false
    }

    /// The application could not prebind a session for the reconnect
    /// (its callback failed or answered garbage: `condition` says why): the
    /// attempt failed, the next follows the backoff; after `maxAttempts`,
    /// CONNFAIL(`condition`) then DISCONNECTED. Nothing happens unless a
    /// prebind was wanted.
    pub fn prebind_failed(&mut self, now: Duration, condition: &str) {
        if self.prebind_wait == 0 || !matches!(self.phase, Phase::Reconnecting) {
            return;
        }
        self.now = now;
        self.prebind_wait = 0;
        let rng = &mut *self.rng;
        if self
            .backoff
            .as_mut()
            .and_then(|b| b.schedule(now, rng))
            .is_none()
        {
            self.on_closed(Some(condition.to_owned()));
        }
    }

    /// Continues the session of a [`Snapshot`] (keepalive): the requests it
    /// had not seen answered are resent first with their own rids and bytes.
    /// Status ATTACHED at once; ATTACHFAIL if the server no longer knows it.
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<(), CommandError> {
        if !matches!(self.phase, Phase::Idle | Phase::Disconnected) {
            return Err(CommandError::InvalidState(
                "restore while a session is active",
            ));
        }
        if snapshot.v != SNAPSHOT_VERSION {
            return Err(CommandError::InvalidState("snapshot of another version"));
        }
        if self.kind != Kind::Bosh {
            return Err(CommandError::InvalidState(
                "a BOSH snapshot needs a BOSH service",
            ));
        }
        let service = snapshot.session.service();
        let ours = match self.cluster() {
            Some(nodes) => nodes.position(service).is_some(),
            None => service == self.url,
        };
        if !ours {
            // Never send this connection's headers and cookies elsewhere
            // because stored data says so: the snapshot belongs to this
            // service, and a redirected `url` must be a redirect the service
            // could make (`SessionSnapshot::validate`).
            return Err(CommandError::InvalidState("snapshot of another service"));
        }
        let jid = Jid::parse(&snapshot.jid).map_err(|e| CommandError::InvalidJid(e.to_string()))?;
        let config = self.bosh_config(jid.domain());
        let session = Session::restore(config, &snapshot.session).map_err(|e| match e {
            bosh::BoshError::BadSnapshot(why) => CommandError::InvalidState(why),
            _ => CommandError::InvalidState("unusable snapshot"),
        })?;
        // After a `see-other-uri` redirect the session lives elsewhere, as it
        // did on the old page (`service()` shows it).
        self.url = snapshot.session.url.clone();
        self.transport = Some(Transport::Bosh(session));
        self.begin_attached(jid);
        Ok(())
    }

    /// Continues this live session from a newer [`Snapshot`] of it that
    /// another page wrote meanwhile (keepalive and the back-forward cache:
    /// this page was frozen while another page of the tab restored the
    /// session and used it, then released it). The BOSH session goes on
    /// from the snapshot ([`Session::adopted`]): its unanswered requests are
    /// resent first with their own rids and bytes, new requests continue at
    /// its `next_rid`, and stanzas this page queued after it released its
    /// own snapshot (our queue from index `keep_queued_from` on) follow.
    ///
    /// The status does not change — no event: it is the same XMPP session
    /// (same sid, same JID) the application already set up, and an ATTACHED
    /// would have it set up again. Stanzas this page was still waiting an
    /// answer for ([`Connection::send_tracked`]) get
    /// [`Event::NoAnswer`] with reason `session-moved`: the other page may
    /// have received their answers.
    ///
    /// Errors (nothing changes): not connected, a snapshot of another
    /// version, JID or session, or one that fails the checks of
    /// [`Connection::restore`].
    pub fn adopt(
        &mut self,
        snapshot: &Snapshot,
        keep_queued_from: usize,
    ) -> Result<(), CommandError> {
        if !matches!(self.phase, Phase::Connected) {
            return Err(CommandError::InvalidState("adopt needs a live session"));
        }
        if snapshot.v != SNAPSHOT_VERSION {
            return Err(CommandError::InvalidState("snapshot of another version"));
        }
        if self.jid.as_ref().map(Jid::to_string).as_deref() != Some(snapshot.jid.as_str()) {
            return Err(CommandError::InvalidState("snapshot of another JID"));
        }
        let Some(current) = self.bosh() else {
            return Err(CommandError::InvalidState("adopt needs a live session"));
        };
        let next = current
            .adopted(&snapshot.session, keep_queued_from)
            .map_err(|e| match e {
                bosh::BoshError::BadSnapshot(why) => CommandError::InvalidState(why),
                _ => CommandError::InvalidState("unusable snapshot"),
            })?;
        self.transport = Some(Transport::Bosh(next));
        // The other page confirmed the session by using it.
        self.attaching = false;
        self.drain_tracker("session-moved");
        self.pump();
        Ok(())
    }

    /// Ends the session on this side only, without sending anything: no
    /// terminate, no request at all — the session belongs to someone else
    /// now (another page of the tab took it over), or is gone. The BOSH
    /// session is dropped with everything queued or on the wire, stanzas
    /// waiting for an answer get [`Event::NoAnswer`] (`disconnected`), and
    /// the status becomes DISCONNECTED with `condition` (no CONNFAIL:
    /// nothing failed, and an application that reconnects on failures must
    /// not fight the page that has the session). Nothing happens without a
    /// session.
    pub fn relinquish(&mut self, condition: &str) {
        if matches!(self.phase, Phase::Idle | Phase::Disconnected) {
            return;
        }
        self.transport = None;
        self.attaching = false;
        self.held.clear();
        self.phase = Phase::Disconnected;
        self.drain_tracker("disconnected");
        self.set_status(Status::Disconnected, Some(condition.to_owned()));
    }

    /// Every stanza still waiting for an answer gets [`Event::NoAnswer`]
    /// with `reason` (`disconnected`, or `session-moved` when another page
    /// took the session over), except the internal ping.
    fn drain_tracker(&mut self, reason: &'static str) {
        let internal = self.confirm_ping.take();
        for id in self.tracker.drain() {
            if Some(&id) != internal.as_ref() {
                self.events.push_back(Event::NoAnswer { id, reason });
            }
        }
    }

    /// The snapshot to store for keepalive, while a session is live.
    pub fn snapshot(&self) -> Option<Snapshot> {
        if !matches!(self.phase, Phase::Connected) {
            return None;
        }
        Some(Snapshot {
            v: SNAPSHOT_VERSION,
            jid: self.jid.as_ref()?.to_string(),
            session: self.bosh()?.snapshot()?,
        })
    }

    fn begin_attached(&mut self, jid: Jid) {
        self.jid = Some(jid);
        self.credentials = Credentials::default();
        self.mechanism = None;
        self.mechanism_name = None;
        self.failed = false;
        self.attaching = true;
        self.phase = Phase::Connected;
        self.set_status(Status::Attached, None);
        // Confirm the session at once: a ping to our server rides in the
        // first request (with whatever the application sends in reaction),
        // and its answer comes back without waiting for `wait` seconds the
        // way an empty long poll would.
        let ping = self.confirm_ping_stanza();
        self.confirm_ping = self.send_tracked(Duration::ZERO, ping, None).ok();
        if let Some(s) = self.transport.as_mut() {
            s.flush();
        }
    }

    fn confirm_ping_stanza(&self) -> Element {
        Element::new("iq")
            .with_attr("type", "get")
            .with_attr("to", self.jid.as_ref().map(Jid::domain).unwrap_or_default())
            .with_child(Element::new("ping").with_attr("xmlns", ns::PING))
    }

    fn bosh_config(&self, domain: &str) -> bosh::Config {
        let o = &self.options;
        let mut config = bosh::Config::new(self.url.clone(), domain);
        config.wait = o.wait;
        config.hold = o.hold;
        config.route = o.route.clone();
        config.content_type = o.content_type.clone();
        config.max_body_size = o.max_body_size;
        config.max_retries = o.max_retries;
        config.lang = o.lang.clone();
        config.idle_interval =
            (o.idle_interval > 0).then(|| Duration::from_millis(o.idle_interval.into()));
        config.with_credentials = o.with_credentials;
        config.request_spacing = o.request_spacing;
        config.custom_headers = o.custom_headers.clone();
        config
    }

    /// Asks the server to keep the session for `seconds` without requests
    /// (XEP-0124 §10), for a page that is going away; only when it
    /// advertised `maxpause`. The pause request is a [`Transmit`] with
    /// `keepalive` set.
    pub fn pause_session(&mut self, now: Duration, seconds: u32) -> Result<(), CommandError> {
        match self.bosh_mut() {
            Some(s) => s
                .pause_session(now, seconds)
                .map_err(|_| CommandError::InvalidState("the server does not allow pausing")),
            None => Err(CommandError::InvalidState("no session")),
        }
    }

    /// The largest response body accepted; check `Content-Length` against it
    /// and call [`Connection::handle_oversized_response`] instead of reading
    /// a larger one.
    pub fn max_response_size(&self) -> usize {
        self.bosh()
            .map_or(self.options.max_body_size, Session::max_response_size)
    }

    /// Input: the response to `id` announced a body larger than
    /// [`Connection::max_response_size`]; it was not read.
    pub fn handle_oversized_response(&mut self, now: Duration, id: u64) {
        self.now = now;
        if let Some(s) = self.bosh_mut() {
            s.handle_oversized_response(now, id);
        }
        self.pump();
    }

    /// Queues a stanza. Top-level `message`, `presence` and `iq` without a
    /// namespace get `jabber:client`.
    pub fn send(&mut self, now: Duration, mut stanza: Element) -> Result<(), CommandError> {
        if stanza.ns().is_none() && matches!(stanza.name.as_str(), "message" | "presence" | "iq") {
            stanza.set_attr("xmlns", ns::CLIENT);
        }
        if self.reconnecting && !matches!(self.phase, Phase::Disconnecting) {
            // Reconnecting: held for the new (or resumed) session, sent
            // once it is up, in order.
            self.held.push(stanza);
            return Ok(());
        }
        let Some(transport) = self.transport.as_mut().filter(|s| !s.is_closed()) else {
            return Err(CommandError::InvalidState("send without a session"));
        };
        if transport.kind() == Kind::WebSocket && !matches!(self.phase, Phase::Connected) {
            // Not before the stream is bound or resumed (over BOSH the
            // stanza waits in the session's queue instead).
            self.held.push(stanza);
            return Ok(());
        }
        let xml = stanza.to_xml();
        if self.sm.counting() && sm::is_stanza(&stanza) {
            transport.send(now, xml.clone());
            self.sm.on_sent(now, xml);
        } else {
            transport.send(now, xml);
        }
        Ok(())
    }

    /// Parses `xml` (exactly one well-formed element) and queues it. On
    /// error nothing is queued.
    pub fn send_xml(&mut self, now: Duration, xml: &str) -> Result<(), CommandError> {
        let el = xml::parse_standalone(xml).map_err(|e| CommandError::BadStanza(e.to_string()))?;
        self.send(now, el)
    }

    /// Sends `stanza` and waits for its answer: an IQ `get`/`set` (answered
    /// by `result`/`error` from its addressee) or a presence (answered by a
    /// presence with the same id). An id is generated when missing; it is
    /// returned. [`Event::Answer`] or [`Event::NoAnswer`] follows.
    pub fn send_tracked(
        &mut self,
        now: Duration,
        mut stanza: Element,
        timeout: Option<Duration>,
    ) -> Result<String, CommandError> {
        match (stanza.local_name(), stanza.attr("type")) {
            ("iq", Some("get" | "set")) | ("presence", _) => {}
            ("iq", _) => {
                return Err(CommandError::BadStanza(
                    "an IQ to track must be of type get or set".into(),
                ))
            }
            _ => {
                return Err(CommandError::BadStanza(
                    "only iq and presence stanzas get answers".into(),
                ))
            }
        }
        let id = match stanza.attr("id") {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => {
                let id = self.unique_id("");
                stanza.set_attr("id", id.as_str());
                id
            }
        };
        let name = stanza.local_name().to_owned();
        let to = stanza.attr("to").map(str::to_owned);
        self.send(now, stanza)?;
        self.tracker.track(
            id.clone(),
            &name,
            to,
            timeout.map(|t| now.saturating_add(t)),
        );
        Ok(id)
    }

    /// Adds a periodic timer: [`Event::Timer`] every `period` until
    /// [`Connection::remove_timer`].
    pub fn add_timer(&mut self, now: Duration, period: Duration) -> u64 {
        self.timers.add(now, period)
    }

    /// Removes a periodic timer.
    pub fn remove_timer(&mut self, id: u64) -> bool {
        self.timers.remove(id)
    }

    /// Binds a resource after BINDREQUIRED (`explicitResourceBinding`);
    /// `None` keeps the resource of the JID given to `connect`, or lets the
    /// server choose one.
    pub fn bind(&mut self, resource: Option<&str>) -> Result<(), CommandError> {
        if !matches!(self.phase, Phase::BindRequired) {
            return Err(CommandError::InvalidState(
                "bind is only allowed after BINDREQUIRED",
            ));
        }
        if let Some(r) = resource {
            let jid = self.jid.as_ref().map(|j| j.with_resource(r));
            match jid {
                Some(Ok(j)) => self.jid = Some(j),
                _ => {
                    return Err(CommandError::InvalidJid(
                        String::from("bad resource '") + r + "'",
                    ))
                }
            }
        }
        self.send_bind();
        Ok(())
    }

    /// A fresh id for a stanza.
    pub fn unique_id(&mut self, prefix: &str) -> String {
        String::from(prefix) + &self.rng.token(10)
    }

    /// Stops sending new bodies until [`Connection::resume`].
    pub fn pause(&mut self) {
        if let Some(s) = self.bosh_mut() {
            s.pause();
        }
    }

    /// Sends what queued while paused.
    pub fn resume(&mut self) {
        if let Some(s) = self.bosh_mut() {
            s.resume();
        }
    }

    /// Sends queued stanzas now, without waiting for the idle interval.
    pub fn flush(&mut self) {
        if let Some(s) = self.transport.as_mut() {
            s.flush();
        }
    }

    /// Ends the session: DISCONNECTING, an unavailable presence in the
    /// terminate body, then DISCONNECTED when it is answered or times out.
    pub fn disconnect(&mut self, reason: Option<&str>) {
        match self.phase {
            Phase::Idle | Phase::Disconnected | Phase::Disconnecting => return,
            Phase::Reconnecting => {
                // Waiting for the next attempt: nothing is on the wire, the
                // loop ends here.
                if let Some(b) = self.backoff.as_mut() {
                    b.cancel();
                }
                self.reconnecting = false;
                self.prebind_wait = 0;
                self.held.clear();
                self.phase = Phase::Disconnected;
                self.set_status(Status::Disconnecting, reason.map(str::to_owned));
                self.drain_tracker("disconnected");
                self.set_status(Status::Disconnected, None);
                return;
            }
            _ => {}
        }
        self.phase = Phase::Disconnecting;
        self.set_status(Status::Disconnecting, reason.map(str::to_owned));
        let mut presence = Element::new("presence")
            .with_attr("xmlns", ns::CLIENT)
            .with_attr("type", "unavailable");
        if let Some(r) = reason {
            presence.push_child(Element::new("status").with_text(r));
        }
        self.held.clear();
        let now = self.now;
        match self.transport.as_mut() {
            Some(s) if s.is_open() => s.terminate(now, vec![presence.to_xml()]),
            Some(s) => s.terminate(now, Vec::new()),
            None => {}
        }
        self.pump();
    }

    /// Input: the HTTP response to transmit `id`.
    pub fn handle_response(&mut self, now: Duration, id: u64, status: u16, body: &str) {
        self.now = now;
        if let Some(s) = self.bosh_mut() {
            s.handle_response(now, id, status, body);
        }
        self.pump();
    }

    /// Input: transmit `id` failed at the network level.
    pub fn handle_transport_error(&mut self, now: Duration, id: u64) {
        self.now = now;
        if let Some(s) = self.bosh_mut() {
            s.handle_transport_error(now, id);
        }
        self.pump();
    }

    /// Input: every transmit on the wire is lost, its answer unread (the page
    /// comes back from the back-forward cache). See
    /// [`Session::handle_all_lost`].
    pub fn handle_all_lost(&mut self, now: Duration) {
        self.now = now;
        if let Some(s) = self.bosh_mut() {
            s.handle_all_lost(now);
        }
        self.pump();
    }

    /// Input: the time is now `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.now = now;
        if let Some(s) = self.transport.as_mut() {
            s.handle_timeout(now);
        }
        if self.sm.ack_overdue(now) && matches!(self.phase, Phase::Connected) {
            // An <r/> unanswered for sm::ACK_TIMEOUT: a half-open socket.
            // Give it up; the loss is resumed like any other (pump).
            if let Some(s) = self.transport.as_mut().and_then(Transport::ws_mut) {
                s.abandon();
            }
        }
        for id in self.tracker.expire(now) {
            self.events.push_back(Event::NoAnswer {
                id,
                reason: "timeout",
            });
        }
        for id in self.timers.due(now) {
            self.events.push_back(Event::Timer { id });
        }
        if matches!(self.phase, Phase::Reconnecting)
            && self.backoff.as_mut().is_some_and(|b| b.take_due(now))
        {
            self.start_attempt();
        }
        self.pump();
    }

    /// Output: the next HTTP request to perform (BOSH; always `None` over
    /// WebSocket).
    pub fn poll_transmit(&mut self, now: Duration) -> Option<Transmit> {
        let t = self.bosh_mut()?.poll_transmit(now);
        // The session may close while building a request (rid exhausted,
        // bad configuration): report it now.
        self.pump();
        t
    }

    /// Output: when to call [`Connection::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Duration> {
        [
            self.transport.as_ref().and_then(Transport::poll_timeout),
            // Its deadlines act only on a live stream (pump, handle_timeout):
            // while reconnecting a past one would spin the timer.
            self.sm
                .poll_timeout()
                .filter(|_| matches!(self.phase, Phase::Connected) && !self.resuming),
            self.tracker.next_deadline(),
            self.timers.next_deadline(),
            self.backoff
                .as_ref()
                .filter(|_| matches!(self.phase, Phase::Reconnecting))
                .and_then(reconnect::Backoff::due),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Output: the next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn set_status(&mut self, status: Status, condition: Option<String>) {
        if status == Status::Connected {
            // The application reacts to this status from a promise reaction,
            // later in this task: the long poll waits for the next task, so
            // what the reaction sends is the only request on the wire
            // (Session::defer_long_poll). A reaction in a later task, after
            // the poll left, must not overtake it: the request after it is
            // spaced (bosh::Config::request_spacing). Not at ATTACHED: after
            // attach() nothing is on the wire yet, and after restore() the
            // first new request leaves with the resends on purpose (one round
            // trip; see Session::never_answered).
            let now = self.now;
            if let Some(s) = self.bosh_mut() {
                s.defer_long_poll(now);
                s.space_next_request();
            }
        }
        self.status = status;
        self.events.push_back(Event::Status { status, condition });
    }

    /// Runs the login machine on everything the transport produced, then
    /// asks for an acknowledgement if stream management wants one.
    fn pump(&mut self) {
        if let (Ok(Some(nodes)), Some(s)) = (
            &mut self.nodes,
            self.transport.as_mut().and_then(Transport::bosh_mut),
        ) {
            while let Some(url) = s.poll_failed_node() {
                nodes.mark_failed(&url, self.now);
            }
        }
        while let Some(ev) = self.transport.as_mut().and_then(Transport::poll_event) {
            match ev {
                transport::Event::Confirmed => {
                    if std::mem::take(&mut self.attaching) && self.reconnecting {
                        // A reconnect's attached session is up.
                        self.reconnecting = false;
                        let now = self.now;
                        if let Some(b) = self.backoff.as_mut() {
                            b.on_connected(now);
                        }
                        self.set_status(Status::Attached, None);
                        self.release_held();
                    }
                }
                transport::Event::Opened => {}
                transport::Event::Stanza(el) => self.on_stanza(el),
                transport::Event::Closed { condition } => self.on_closed(condition),
            }
        }
        if matches!(self.phase, Phase::Connected) && !self.resuming {
            if let Some(r) = self.sm.poll_request(self.now) {
                self.queue(r);
            }
        }
    }

    fn on_closed(&mut self, condition: Option<String>) {
        if matches!(self.phase, Phase::Disconnected) {
            return;
        }
        let was_disconnecting = matches!(self.phase, Phase::Disconnecting);
        let condition = condition.or_else(|| self.stream_error.take());
        self.stream_error = None;
        // The reconnect option: a live session lost to the network or the
        // server, or a failed attempt, waits for the next attempt.
        let live = matches!(self.phase, Phase::Connected) && !self.attaching;
        if self.backoff.is_some()
            && !was_disconnecting
            && !self.failed
            && (live || self.reconnecting)
            && (self.can_log_in_again() || self.can_prebind_again())
            && condition.as_deref().is_some_and(reconnect::recoverable)
        {
            if live {
                self.on_lost(condition.clone());
            }
            let now = self.now;
            let rng = &mut *self.rng;
            if self
                .backoff
                .as_mut()
                .and_then(|b| b.schedule(now, rng))
                .is_some()
            {
                self.phase = Phase::Reconnecting;
                return;
            }
            // maxAttempts reached: CONNFAIL and DISCONNECTED below.
        }
        // Only a lost socket is resumed: not a stream the server closed or
        // ended with an error, nor one we closed over a protocol error.
        if condition.as_deref() == Some("remote-connection-failed")
            && self.backoff.is_none()
            && !was_disconnecting
            && !self.failed
            && matches!(self.phase, Phase::Connected)
            && self.kind == Kind::WebSocket
            && self.sm.resumable()
            && self.start_resume()
        {
            self.reconnecting = true;
            self.set_status(Status::Reconnecting, condition);
            return;
        }
        if condition.as_deref() == Some("see-other-uri")
            && !was_disconnecting
            && self.follow_redirect()
        {
            return;
        }
        if self.reconnecting && !self.held.is_empty() {
            // Sent while reconnecting and never on the wire.
            self.unacknowledged.push(Unacknowledged {
                condition: condition.clone().unwrap_or_else(|| "disconnected".into()),
                stanzas: std::mem::take(&mut self.held),
            });
        }
        if let (Some(c), false) = (condition, was_disconnecting || self.failed) {
            let status = if self.attaching {
                Status::AttachFail
            } else {
                Status::ConnFail
            };
            self.set_status(status, Some(c));
        }
        self.attaching = false;
        self.resuming = false;
        self.reconnecting = false;
        self.prebind_wait = 0;
        self.held.clear();
        self.phase = Phase::Disconnected;
        self.drain_tracker("disconnected");
        self.set_status(Status::Disconnected, None);
    }

    /// `see-other-uri`: when the login can be replayed (we have the
    /// credentials: a `connect`, not an attached session), continue at the
    /// new URL from scratch, with status REDIRECT(url). `false` when the
    /// session cannot follow.
    fn follow_redirect(&mut self) -> bool {
        if self.attaching || self.credentials.domain.is_empty() {
            return false;
        }
        let rid = self.rng.next_u64();
        let next = match self.transport.as_ref() {
            Some(Transport::Bosh(s)) => s.redirected(rid).map(Transport::Bosh),
            Some(Transport::Ws(s)) => s.redirect().map(|url| {
                let mut config = s.config().clone();
                config.url = url.to_owned();
                Transport::Ws(websocket::Stream::new(config))
            }),
            None => None,
        };
        let Some(mut next) = next else {
            return false;
        };
        let url = match &next {
            Transport::Bosh(s) => s.config().url.clone(),
            Transport::Ws(s) => s.config().url.clone(),
        };
        next.start();
        self.url = url.clone();
        self.replace_transport(next);
        self.sasl2 = false;
        self.bind2 = false;
        self.expect_features();
        if let Some(bare) = self.jid.as_ref().map(Jid::bare) {
            // Keep the requested resource: it was not bound yet, or it will
            // be bound again.
            let requested = self.jid.as_ref().and_then(Jid::resource).map(str::to_owned);
            self.jid = match requested {
                Some(r) => bare.with_resource(&r).ok().or(Some(bare)),
                None => Some(bare),
            };
        }
        self.set_status(Status::Redirect, Some(url));
        true
    }

    /// A login failure: report `status`, then end the session.
    fn fail(&mut self, status: Status, condition: &str) {
        // A restored stream that cannot be resumed failed to attach.
        let status = if self.attaching && self.resuming {
            Status::AttachFail
        } else {
            status
        };
        self.failed = true;
        self.set_status(status, Some(condition.to_owned()));
        self.phase = Phase::Disconnecting;
        self.held.clear();
        let now = self.now;
        if let Some(s) = self.transport.as_mut() {
            s.terminate(now, Vec::new());
        }
    }

    fn queue(&mut self, el: Element) {
        if let Some(s) = self.transport.as_mut() {
            // Login steps leave immediately: no idle interval applies.
            s.send(Duration::ZERO, el.to_xml());
            s.flush();
        }
    }

    fn on_stanza(&mut self, el: Element) {
        if el.local_name() == "error" && el.name.starts_with("stream:")
            || el.name == "error" && el.ns() == Some(ns::STREAM)
        {
            let cond = el
                .elements()
                .find(|c| c.ns() == Some(ns::STREAMS))
                .map(|c| c.local_name().to_owned())
                .unwrap_or_else(|| "undefined-condition".into());
            if !matches!(self.phase, Phase::Connected) {
                self.fail(Status::ConnFail, &cond);
                return;
            }
            if self.backoff.is_some() && reconnect::recoverable(&cond) {
                // The close that follows is a loss to reconnect from.
                self.stream_error = Some(cond);
                return;
            }
            self.set_status(Status::ConnFail, Some(cond));
            self.failed = true;
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Features { authenticated } => {
                self.phase = Phase::Features { authenticated };
                if el.local_name() == "features" {
                    if !authenticated {
                        self.on_features_sasl(&el);
                    } else if self.resuming {
                        self.on_features_resume(&el);
                    } else {
                        self.on_features_bind(&el);
                    }
                }
            }
            Phase::Bound => {
                self.phase = Phase::Bound;
                if el.local_name() == "features" {
                    self.sm_offered = el.child_ns("sm", ns::SM).is_some();
                    self.become_connected();
                }
            }
            Phase::Resume => {
                self.phase = Phase::Resume;
                self.on_resume_answer(&el);
            }
            Phase::Sasl => {
                self.phase = Phase::Sasl;
                self.on_sasl(&el);
            }
            Phase::Bind { id } => {
                if el.local_name() == "iq" && el.attr("id") == Some(id.as_str()) {
                    self.on_bind_result(&el);
                } else {
                    self.phase = Phase::Bind { id };
                }
            }
            Phase::Session { id } => {
                if el.local_name() == "iq" && el.attr("id") == Some(id.as_str()) {
                    if el.attr("type") == Some("result") {
                        self.become_connected();
                    } else {
                        self.fail(Status::AuthFail, &stanza_error_condition(&el));
                    }
                } else {
                    self.phase = Phase::Session { id };
                }
            }
            Phase::Connected => {
                self.phase = Phase::Connected;
                if el.ns() == Some(ns::SM) {
                    self.on_sm(&el);
                    return;
                }
                if sm::is_stanza(&el) {
                    self.sm.on_received();
                }
                let own = self.jid.as_ref().map(Jid::to_string);
                match self.tracker.answer(&el, own.as_deref()) {
                    Some(id) if self.confirm_ping.as_ref() == Some(&id) => self.confirm_ping = None,
                    Some(id) => self.events.push_back(Event::Answer { id, stanza: el }),
                    None => self.events.push_back(Event::Stanza(el)),
                }
            }
            other => self.phase = other,
        }
    }

    fn on_features_sasl(&mut self, features: &Element) {
        self.features_seen = true;
        // SASL2 only over WebSocket: Prosody 0.12's mod_sasl2 fails on BOSH.
        let sasl2 = features
            .child_ns("authentication", ns::SASL2)
            .filter(|_| self.kind == Kind::WebSocket);
        self.sasl2 = sasl2.is_some();
        let bind2_offered = sasl2
            .and_then(|a| a.child("inline"))
            .is_some_and(|i| i.child_ns("bind", ns::BIND2).is_some());
        let mut offered: Vec<String> = Vec::new();
        if let Some(m) = sasl2.or_else(|| features.child_ns("mechanisms", ns::SASL)) {
            for e in m.elements() {
                if e.local_name() == "mechanism" {
                    offered.push(e.text());
                }
            }
        }
        let preference: Vec<&str> = match &self.options.mechanisms {
            Some(list) => {
                let mut names = Vec::with_capacity(list.len());
                for name in list {
                    names.push(name.as_str());
                }
                names
            }
            None => sasl::DEFAULT_PREFERENCE.to_vec(),
        };
        let rng = &mut self.rng;
        let mut nonce = || rng.token(24);
        let keys_only = self.resuming || self.credentials.password.is_none();
        let selected = match (&self.scram_keys, keys_only) {
            // A resumption authenticates with the keys of the login it
            // continues (no PBKDF2; after a restore, no password exists).
            (Some(keys), true) => {
                let name = keys.hash.mechanism_name();
                match (
                    offered.iter().any(|o| o == name),
                    &self.credentials.username,
                ) {
                    (true, Some(user)) => {
                        Ok(
                            // Under another salt (another node behind the same
                            // URL), the password in memory, if any, derives new keys.
                            Box::new(
                                sasl::Scram::with_keys(keys.clone(), user, None, nonce())
                                    .or_password(self.credentials.password.as_deref())
                                    .with_max_iterations(self.options.max_scram_iterations),
                            ) as Box<dyn Mechanism>,
                        )
                    }
                    _ => Err(sasl::SaslError::NoMechanism),
                }
            }
            _ => sasl::select_with_limit(
                &offered,
                &preference,
                &self.credentials,
                self.options.max_scram_iterations,
                &mut nonce,
            ),
        };
        let mut mech = match selected {
            Ok(m) => m,
            Err(e) => {
                self.fail(Status::ConnFail, e.condition());
                return;
            }
        };
        self.mechanism_name = Some(mech.name());
        if !self.resuming && !self.reconnecting {
            // A resumption is not a login: ATTACHED or RECONNECTING says
            // what happens.
            self.set_status(Status::Authenticating, None);
        }
        let initial = match mech.initial_response() {
            Ok(i) => i,
            Err(e) => {
                self.fail(Status::AuthFail, e.condition());
                return;
            }
        };
        let initial = initial.map(|bytes| {
            if bytes.is_empty() {
                "=".to_owned()
            } else {
                b64::encode(bytes)
            }
        });
        let auth = if self.sasl2 {
            let mut auth = Element::new("authenticate")
                .with_attr("xmlns", ns::SASL2)
                .with_attr("mechanism", mech.name());
            if let Some(text) = initial {
                auth.push_child(Element::new("initial-response").with_text(text));
            }
            // Bind2 binds a resource of the server's choosing: not when the
            // application named one, wants to bind itself, or resumes.
            self.bind2 = bind2_offered
                && !self.resuming
                && !self.options.explicit_resource_binding
                && self.jid.as_ref().and_then(Jid::resource).is_none();
            if self.bind2 {
                auth.push_child(
                    Element::new("bind")
                        .with_attr("xmlns", ns::BIND2)
                        .with_child(Element::new("tag").with_text(BIND2_TAG)),
                );
            }
            auth
        } else {
            let mut auth = Element::new("auth")
                .with_attr("xmlns", ns::SASL)
                .with_attr("mechanism", mech.name());
            if let Some(text) = initial {
                auth.push_text(text);
            }
            auth
        };
        self.mechanism = Some(mech);
        self.phase = Phase::Sasl;
        self.queue(auth);
    }

    /// A SASL (RFC 6120 §6) or SASL2 (XEP-0388) element: the same
    /// exchange, in another namespace; SASL2's `<success/>` carries the
    /// server's final data in `<additional-data/>` and needs no restart.
    fn on_sasl(&mut self, el: &Element) {
        let sasl_ns = if self.sasl2 { ns::SASL2 } else { ns::SASL };
        if el.ns() != Some(sasl_ns) {
            return;
        }
        let name = el.local_name();
        let text = match (name, self.sasl2) {
            ("success", true) => el.child("additional-data").map(Element::text),
            ("challenge" | "success", _) => Some(el.text()),
            _ => None,
        };
        let Ok(data) = decode_b64(text.as_deref().unwrap_or_default()) else {
            return self.fail(Status::AuthFail, "malformed-challenge");
        };
        let Some(mech) = self.mechanism.as_mut() else {
            return self.fail(Status::AuthFail, "undefined-condition");
        };
        match name {
            "challenge" => match mech.respond(&data) {
                Ok(resp) => {
                    let mut r = Element::new("response").with_attr("xmlns", sasl_ns);
                    if !resp.is_empty() {
                        r.push_text(b64::encode(resp));
                    }
                    self.queue(r);
                }
                Err(e) => self.fail(Status::AuthFail, e.condition()),
            },
            "success" => {
                if let Err(e) = mech.success(&data) {
                    return self.fail(Status::AuthFail, e.condition());
                }
                self.scram_keys = mech.scram_keys().or(self.scram_keys.take());
                self.mechanism = None;
                self.phase = Phase::Features {
                    authenticated: true,
                };
                if self.sasl2 {
                    self.on_sasl2_success(el);
                    return;
                }
                // XEP-0206 §5: after SASL EXTERNAL the restart names the
                // user (the credentials were the HTTP level's).
                let external_from = (self.mechanism_name == Some("EXTERNAL"))
                    .then(|| self.jid.as_ref().filter(|j| j.node().is_some()))
                    .flatten()
                    .map(|j| j.bare().to_string());
                if let Some(s) = self.transport.as_mut() {
                    s.restart(external_from.as_deref());
                }
            }
            "failure" => {
                // SASL2 puts the SASL condition in the SASL namespace
                // beside `<text/>` and application elements.
                let cond = el
                    .elements()
                    .find(|c| c.local_name() != "text" && (!self.sasl2 || c.ns() == Some(ns::SASL)))
                    .map(|c| c.local_name().to_owned())
                    .unwrap_or_else(|| "not-authorized".into());
                self.fail(Status::AuthFail, &cond);
            }
            // Tasks (`<continue/>`) are not supported.
            "continue" if self.sasl2 => self.fail(Status::AuthFail, "unsupported-task"),
            _ => {}
        }
    }

    fn on_features_bind(&mut self, features: &Element) {
        self.sm_offered = features.child_ns("sm", ns::SM).is_some();
        if features.child_ns("bind", ns::BIND).is_none() {
            self.fail(Status::ConnFail, "missing-bind-feature");
            return;
        }
        self.session_required = features
            .child_ns("session", ns::SESSION)
            .is_some_and(|s| s.child("optional").is_none());
        if self.options.explicit_resource_binding {
            self.phase = Phase::BindRequired;
            self.set_status(Status::BindRequired, None);
            return;
        }
        self.send_bind();
    }

    fn send_bind(&mut self) {
        let id = self.unique_id("bind_");
        let mut bind = Element::new("bind").with_attr("xmlns", ns::BIND);
        if let Some(res) = self.jid.as_ref().and_then(Jid::resource) {
            bind.push_child(Element::new("resource").with_text(res));
        }
        let iq = Element::new("iq")
            .with_attr("xmlns", ns::CLIENT)
            .with_attr("type", "set")
            .with_attr("id", id.as_str())
            .with_child(bind);
        self.phase = Phase::Bind { id };
        self.queue(iq);
    }

    fn on_bind_result(&mut self, iq: &Element) {
        if iq.attr("type") != Some("result") {
            let cond = stanza_error_condition(iq);
            self.fail(Status::AuthFail, &cond);
            return;
        }
        let bound = iq
            .child_ns("bind", ns::BIND)
            .and_then(|b| b.child("jid"))
            .map(Element::text)
            .and_then(|t| Jid::parse(t.trim()).ok());
        let Some(bound) = bound else {
            self.fail(Status::AuthFail, "bad-format");
            return;
        };
        self.jid = Some(bound);
        if self.session_required {
            let id = self.unique_id("sess_");
            let iq = Element::new("iq")
                .with_attr("xmlns", ns::CLIENT)
                .with_attr("type", "set")
                .with_attr("id", id.as_str())
                .with_child(Element::new("session").with_attr("xmlns", ns::SESSION));
            self.phase = Phase::Session { id };
            self.queue(iq);
        } else {
            self.become_connected();
        }
    }
}

/// Appends each of `texts` that parses as one element to `out` (a stanza
/// that does not is dropped: it was never sent as such).
fn parse_each(texts: &[String], out: &mut Vec<Element>) {
    for t in texts {
        if let Ok(el) = xml::parse_standalone(t) {
            out.push(el);
        }
    }
}

/// The Bind2 `<tag/>`: the server builds the resource from it.
pub const BIND2_TAG: &str = "xmpp-wasm";

/// The version of [`WsSnapshot`]'s stored format.
pub const WS_SNAPSHOT_VERSION: u32 = 1;

/// What a reloaded page needs to resume a WebSocket stream (XEP-0198): the
/// JID, the service, the stream management state with the unacknowledged
/// stanzas, and the SCRAM keys of the login (never the password). Stored as
/// versioned JSON with `"transport":"websocket"` ([`WsSnapshot::to_json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsSnapshot {
    /// Format version ([`WS_SNAPSHOT_VERSION`]).
    pub v: u32,
    /// The bound full JID.
    pub jid: String,
    /// The WebSocket service URL the connection was made for.
    pub service: String,
    /// The URL the stream lives at (after a `see-other-uri`, or the SM
    /// `location`), resumed there.
    pub url: String,
    /// Stream management: id, location, counters, unacknowledged stanzas.
    pub sm: SmSnapshot,
    /// The SCRAM keys of the login; `None` after PLAIN or ANONYMOUS, and
    /// then [`Connection::restore_ws`] refuses the snapshot.
    pub scram: Option<ScramKeys>,
}

fn hash_of(name: &str) -> Option<sasl::ScramHash> {
    [
        sasl::ScramHash::Sha1,
        sasl::ScramHash::Sha256,
        sasl::ScramHash::Sha512,
    ]
    .into_iter()
    .find(|h| h.mechanism_name() == name)
}

impl WsSnapshot {
    /// Writes the members of the snapshot's JSON object; the caller may add
    /// its own and ends the object.
    pub fn write_json(&self, o: &mut json::Obj<'_>) {
        o.u64("v", u64::from(self.v));
        o.str("transport", Kind::WebSocket.name());
        o.str("jid", &self.jid);
        o.str("service", &self.service);
        o.str("url", &self.url);
        let mut sm = json::Obj::new(o.key("sm"));
        self.sm.write_json(&mut sm);
        sm.end();
        if let Some(k) = &self.scram {
            let mut s = json::Obj::new(o.key("scram"));
            s.str("mechanism", k.hash.mechanism_name());
            s.str("salt", &b64::encode(&k.salt));
            s.u64("iterations", u64::from(k.iterations));
            s.str("clientKey", &b64::encode(&k.client_key));
            s.str("serverKey", &b64::encode(&k.server_key));
            s.end();
        }
    }

    /// The snapshot as JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let mut o = json::Obj::new(&mut out);
        self.write_json(&mut o);
        o.end();
        out
    }

    /// Whether a parsed stored snapshot is a WebSocket one.
    pub fn is_ws(v: &Value) -> bool {
        v.get("transport").and_then(Value::as_str) == Some(Kind::WebSocket.name())
    }

    /// Reads a snapshot from a parsed JSON object; [`Connection::restore_ws`]
    /// checks the values against the connection.
    pub fn from_json_value(v: &Value) -> Result<WsSnapshot, JsonError> {
        if !Self::is_ws(v) {
            return Err(JsonError::Field("transport"));
        }
        let scram = match v.get("scram") {
            None | Some(Value::Null) => None,
            Some(s) => {
                let bytes = |key: &'static str| {
                    b64::decode(&json::field_str(s, key)?)
                        .filter(|b| !b.is_empty() && b.len() <= 64)
                        .ok_or(JsonError::Field(key))
                };
                Some(ScramKeys {
                    hash: hash_of(&json::field_str(s, "mechanism")?)
                        .ok_or(JsonError::Field("mechanism"))?,
                    salt: bytes("salt")?,
                    iterations: json::field_u32(s, "iterations")?,
                    client_key: bytes("clientKey")?,
                    server_key: bytes("serverKey")?,
                })
            }
        };
        Ok(WsSnapshot {
            v: json::field_u32(v, "v")?,
            jid: json::field_str(v, "jid")?,
            service: json::field_str(v, "service")?,
            url: json::field_str(v, "url")?,
            sm: SmSnapshot::from_json(v.get("sm").ok_or(JsonError::Field("sm"))?)?,
            scram,
        })
    }

    /// Reads a snapshot from the JSON text [`WsSnapshot::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<WsSnapshot, JsonError> {
        Self::from_json_value(&json::parse(text)?)
    }
}

/// A service as given: one URL, or a BOSH cluster (node URLs joined by
/// single spaces) whose first node stands for it until a session picks one.
/// A list that is not valid ([`bosh::Nodes::new`], or a WebSocket node) is
/// `InvalidConfig("service")`.
fn parse_service(service: String) -> (String, Result<Option<bosh::Nodes>, bosh::BoshError>) {
    if !service.contains(' ') {
        return (service, Ok(None));
    }
    let mut urls = Vec::new();
    for u in service.split(' ') {
        if Kind::of_url(u) != Kind::Bosh {
            return (service, Err(bosh::BoshError::InvalidConfig("service")));
        }
        urls.push(u.to_owned());
    }
    match bosh::Nodes::new(urls) {
        Ok(n) => (n.urls()[0].clone(), Ok(Some(n))),
        Err(e) => (service, Err(e)),
    }
}

/// Checks a service as [`Connection::new`] takes it: a cluster must be
/// 1..=[`bosh::MAX_NODES`] distinct BOSH URLs joined by single spaces
/// (`InvalidConfig("service")` otherwise).
pub fn check_service(service: &str) -> Result<(), bosh::BoshError> {
    parse_service(service.to_owned()).1.map(|_| ())
}

impl Connection {
    fn new_transport(
        &mut self,
        domain: &str,
        url: Option<&str>,
    ) -> Result<Transport, CommandError> {
        match self.kind {
            Kind::Bosh => {
                let mut config = self.bosh_config(domain);
                let nodes = self
                    .nodes
                    .as_ref()
                    .map_err(|e| CommandError::BadOption(e.to_string()))?;
                // A cluster: this session's node at random, the rest its
                // creation request's fallbacks (nodes cooling down last).
                let fallbacks = match nodes {
                    Some(n) => n.configure(&mut config, self.now, &mut *self.rng),
                    None => Vec::new(),
                };
                config
                    .validate()
                    .map_err(|e| CommandError::BadOption(e.to_string()))?;
                self.url.clone_from(&config.url);
                let mut session = Session::new(config, self.rng.next_u64());
                session.set_fallback_urls(fallbacks);
                Ok(Transport::Bosh(session))
            }
            Kind::WebSocket => {
                let mut config =
                    websocket::Config::new(url.unwrap_or(&self.url).to_owned(), domain);
                config.lang.clone_from(&self.options.lang);
                config.max_frame_size = self.options.max_body_size;
                Ok(Transport::Ws(websocket::Stream::new(config)))
            }
        }
    }

    /// Puts `next` in place of the transport; a WebSocket stream's last
    /// transmits (its `Close`) still reach the driver, before the new
    /// stream's `Open`.
    fn replace_transport(&mut self, next: Transport) {
        if let Some(old) = self.transport.as_mut().and_then(Transport::ws_mut) {
            self.retired
                .extend(std::iter::from_fn(|| old.poll_transmit()));
        }
        self.transport = Some(next);
    }

    /// A login that starts again from the stream features: no mechanism
    /// chosen, no session required, nothing failed.
    fn expect_features(&mut self) {
        self.mechanism = None;
        self.mechanism_name = None;
        self.session_required = false;
        self.failed = false;
        self.phase = Phase::Features {
            authenticated: false,
        };
    }

    fn reset_login(&mut self) {
        self.features_seen = false;
        self.sasl2 = false;
        self.bind2 = false;
        self.sm_offered = false;
        self.resuming = false;
        self.reconnecting = false;
        self.prebind_wait = 0;
        self.held.clear();
    }

    /// The largest WebSocket frame accepted (`maxBodySize`); the core checks
    /// it too, before parsing.
    pub fn max_frame_size(&self) -> usize {
        self.options.max_body_size
    }

    /// Input (WebSocket): the socket asked for by [`websocket::Transmit::Open`]
    /// opened (with the `xmpp` subprotocol).
    pub fn handle_ws_open(&mut self, now: Duration) {
        self.now = now;
        if let Some(s) = self.transport.as_mut().and_then(Transport::ws_mut) {
            s.handle_open(now);
        }
        self.pump();
    }

    /// Input (WebSocket): one text message arrived.
    pub fn handle_ws_frame(&mut self, now: Duration, text: &str) {
        self.now = now;
        if let Some(s) = self.transport.as_mut().and_then(Transport::ws_mut) {
            s.handle_frame(now, text);
        }
        self.pump();
    }

    /// Input (WebSocket): the socket closed or failed to open (the browser's
    /// `close` event; an `error` event is always followed by it).
    pub fn handle_ws_closed(&mut self, now: Duration) {
        self.now = now;
        if let Some(s) = self.transport.as_mut().and_then(Transport::ws_mut) {
            s.handle_closed(now);
        }
        self.pump();
    }

    /// Output (WebSocket): the next socket action: open a socket, send one
    /// text frame, or close the socket. Always `None` over BOSH.
    pub fn poll_ws_transmit(&mut self) -> Option<websocket::Transmit> {
        if !self.retired.is_empty() {
            return Some(self.retired.remove(0));
        }
        let t = self.transport.as_mut()?.ws_mut()?.poll_transmit();
        self.pump();
        t
    }

    /// The snapshot to store for keepalive over WebSocket, while the stream
    /// is live and resumable (stream management enabled with an id).
    /// Written after every drain that changed it, it holds the inbound count
    /// `h` of every stanza delivered so far.
    pub fn ws_snapshot(&self) -> Option<WsSnapshot> {
        if !matches!(self.phase, Phase::Connected) || self.resuming {
            return None;
        }
        let ws = self.transport.as_ref()?.ws()?;
        Some(WsSnapshot {
            v: WS_SNAPSHOT_VERSION,
            jid: self.jid.as_ref()?.to_string(),
            service: self.url.clone(),
            url: ws.config().url.clone(),
            sm: self.sm.snapshot()?,
            scram: self.scram_keys.clone(),
        })
    }

    /// Resumes the stream of a [`WsSnapshot`] (keepalive over WebSocket): a
    /// new socket, SASL with the stored SCRAM keys (no password), then
    /// `<resume/>`; the server's `<resumed/>` acknowledges what arrived, and
    /// the stored stanzas above its `h` are sent again, once, before anything
    /// the application sends meanwhile. Status ATTACHED at once (stanzas sent
    /// in reaction wait for the resumption); ATTACHFAIL if the server refuses
    /// the keys; `<failed/>` gives [`Unacknowledged`] and a new session
    /// (CONNECTED).
    ///
    /// Refused (nothing changes): another version, service or transport, a
    /// JID without a node or resource, or no SCRAM keys (`no-scram-keys`:
    /// after PLAIN or ANONYMOUS the application must log in again).
    pub fn restore_ws(&mut self, snapshot: &WsSnapshot) -> Result<(), CommandError> {
        if !matches!(self.phase, Phase::Idle | Phase::Disconnected) {
            return Err(CommandError::InvalidState(
                "restore while a session is active",
            ));
        }
        if snapshot.v != WS_SNAPSHOT_VERSION {
            return Err(CommandError::InvalidState("snapshot of another version"));
        }
        if self.kind != Kind::WebSocket || snapshot.service != self.url {
            return Err(CommandError::InvalidState("snapshot of another service"));
        }
        if websocket::check_redirect(&snapshot.service, &snapshot.url).is_err() {
            return Err(CommandError::InvalidState(
                "snapshot url is not a WebSocket URL",
            ));
        }
        let jid = Jid::parse(&snapshot.jid).map_err(|e| CommandError::InvalidJid(e.to_string()))?;
        if jid.node().is_none() || jid.resource().is_none() {
            return Err(CommandError::InvalidJid("not a full JID".into()));
        }
        let Some(keys) = snapshot.scram.clone() else {
            return Err(CommandError::InvalidState(
                "no-scram-keys: the login left nothing to authenticate a resumption with",
            ));
        };
        if keys.iterations < sasl::MIN_ITERATIONS {
            return Err(CommandError::InvalidState("snapshot SCRAM iteration count"));
        }
        // Stored stanzas are resent as they are: each must be one stanza
        // (storage is not trusted).
        let stanzas_ok = snapshot.sm.unacked.iter().all(|s| {
            websocket::parse_frame(s).is_ok_and(|el| sm::is_stanza(&el) && el.ns().is_some())
        });
        if !stanzas_ok {
            return Err(CommandError::InvalidState(
                "snapshot holds something other than stanzas",
            ));
        }
        let mut transport = self.new_transport(jid.domain(), Some(&snapshot.url))?;
        transport.start();
        self.reset_login();
        self.credentials = Credentials {
            username: jid.node().map(str::to_owned),
            domain: jid.domain().to_owned(),
            ..Credentials::default()
        };
        self.scram_keys = Some(keys);
        self.sm = StreamManagement::restored(&snapshot.sm);
        self.replace_transport(transport);
        self.jid = Some(jid);
        self.expect_features();
        self.resuming = true;
        self.attaching = true;
        self.set_status(Status::Attached, None);
        Ok(())
    }

    /// A live WebSocket stream lost its socket: authenticate on a new one
    /// and resume. `false` when it cannot (no URL).
    fn start_resume(&mut self) -> bool {
        let current = self.transport.as_ref().and_then(Transport::ws);
        let Some(current) = current else {
            return false;
        };
        // XEP-0198 `location`: honoured when it is a WebSocket URL this
        // stream may move to.
        let url = self
            .sm
            .location()
            .filter(|l| websocket::check_redirect(&current.config().url, l).is_ok())
            .unwrap_or(&current.config().url)
            .to_owned();
        let mut config = current.config().clone();
        config.url = url;
        let mut next = websocket::Stream::new(config);
        next.start();
        self.replace_transport(Transport::Ws(next));
        self.sasl2 = false;
        self.bind2 = false;
        self.sm_offered = false;
        self.resuming = true;
        self.mechanism = None;
        self.phase = Phase::Features {
            authenticated: false,
        };
        true
    }

    /// After SASL2 `<success/>`: the JID, and the inline Bind2 result.
    /// No restart (XEP-0388): the features of the authenticated stream
    /// follow, and the phase is already waiting for them.
    fn on_sasl2_success(&mut self, el: &Element) {
        if let Some(failed) = el.child_ns("failed", ns::BIND2).filter(|_| self.bind2) {
            return self.fail(Status::AuthFail, &stanza_error_condition(failed));
        }
        if !(self.bind2 && el.child_ns("bound", ns::BIND2).is_some()) {
            return;
        }
        let authzid = el
            .child("authorization-identifier")
            .map(Element::text)
            .and_then(|t| Jid::parse(t.trim()).ok())
            .filter(|j| j.resource().is_some());
        match authzid {
            Some(j) => {
                self.jid = Some(j);
                self.phase = Phase::Bound;
            }
            None => self.fail(Status::AuthFail, "bad-format"),
        }
    }

    fn on_features_resume(&mut self, features: &Element) {
        self.sm_offered = features.child_ns("sm", ns::SM).is_some();
        let request = self.sm.resume_request();
        match request {
            Some(r) if features.child_ns("sm", ns::SM).is_some() => {
                self.phase = Phase::Resume;
                self.queue(r);
            }
            _ => self.fail(Status::ConnFail, "sm-not-offered"),
        }
    }

    fn on_resume_answer(&mut self, el: &Element) {
        match self.sm.handle(el) {
            Ok(sm::Outcome::Resumed(resend)) => {
                self.resuming = false;
                self.attaching = false;
                self.phase = Phase::Connected;
                for stanza in resend {
                    self.queue_raw(stanza);
                }
                if std::mem::take(&mut self.reconnecting) {
                    let now = self.now;
                    if let Some(b) = self.backoff.as_mut() {
                        b.on_connected(now);
                    }
                    self.set_status(Status::Attached, Some("resumed".into()));
                }
                self.release_held();
            }
            Ok(sm::Outcome::Failed { condition, unacked }) => {
                self.resuming = false;
                self.reconnecting = false;
                self.attaching = false;
                let mut stanzas = Vec::new();
                parse_each(&unacked, &mut stanzas);
                self.unacknowledged
                    .push(Unacknowledged { condition, stanzas });
                // A new session on the authenticated stream. The tracked
                // stanzas of the old one will get no answer. It asks for
                // the resource the old one had: peers keep the full JID,
                // and the server replaces the old session (still waiting
                // for a resumption) instead of sharing the bare JID's
                // traffic with it.
                self.drain_tracker("disconnected");
                self.send_bind();
            }
            Ok(_) => {}
            Err(e) => self.fail(Status::ConnFail, e.condition()),
        }
    }

    fn on_sm(&mut self, el: &Element) {
        match self.sm.handle(el) {
            Ok(sm::Outcome::Reply(a)) => self.queue(a),
            Ok(_) => {}
            Err(e) => {
                let count_error = Element::new("stream:error")
                    .with_attr("xmlns:stream", ns::STREAM)
                    .with_child(Element::new("undefined-condition").with_attr("xmlns", ns::STREAMS))
                    .with_child(Element::new(e.condition()).with_attr("xmlns", ns::SM));
                self.queue(count_error);
                self.fail(Status::ConnFail, e.condition());
            }
        }
    }

    /// Sends an already serialised element as is (a resend after
    /// `<resumed/>`: not counted again, it is still in the SM queue).
    fn queue_raw(&mut self, xml: String) {
        if let Some(s) = self.transport.as_mut() {
            s.send(Duration::ZERO, xml);
        }
    }

    /// Whether a new login needs nothing the application must give again:
    /// the password in memory, the SCRAM keys, or an anonymous login.
    fn can_log_in_again(&self) -> bool {
        let c = &self.credentials;
        !c.domain.is_empty()
            && (c.password.is_some() || self.scram_keys.is_some() || c.username.is_none())
    }

    /// Whether a session from `attach` can be reconnected: the application
    /// prebinds a new one (`reconnect.prebind`).
    fn can_prebind_again(&self) -> bool {
        self.kind == Kind::Bosh
            && self.credentials.domain.is_empty()
            && self.backoff.as_ref().is_some_and(|b| b.policy().prebind)
    }

    /// A live session was lost and will be reconnected: RECONNECTING, and
    /// what may not have arrived is told ([`Connection::poll_unacknowledged`]).
    fn on_lost(&mut self, condition: Option<String>) {
        let now = self.now;
        if let Some(b) = self.backoff.as_mut() {
            b.on_lost(now);
        }
        if let (Ok(Some(nodes)), Some(s)) = (&mut self.nodes, self.transport.as_ref()) {
            // The next session prefers the other nodes.
            if let Some(s) = s.bosh() {
                nodes.mark_failed(&s.config().url, now);
            }
        }
        let mut lost = Vec::new();
        let mut unsent = Vec::new();
        if let Some(s) = self.bosh_mut() {
            // The stanzas of requests whose answer never came may or may not
            // have reached the server; those still queued were never sent
            // and go with the new session.
            let (bodies, queued) = s.take_lost();
            for body in &bodies {
                if let Ok(b) = xml::parse(body) {
                    lost.extend(b.elements().filter(|e| sm::is_stanza(e)).cloned());
                }
            }
            parse_each(&queued, &mut unsent);
        }
        let resumable = self.kind == Kind::WebSocket && self.sm.resumable();
        if self.kind == Kind::WebSocket && !resumable {
            for s in self.sm.unacked() {
                if let Ok(el) = xml::parse_standalone(s) {
                    lost.push(el);
                }
            }
        }
        if !resumable {
            // A new session: the answers awaited will not come.
            self.drain_tracker("disconnected");
        }
        if !lost.is_empty() {
            self.unacknowledged.push(Unacknowledged {
                condition: condition
                    .clone()
                    .unwrap_or_else(|| "remote-connection-failed".into()),
                stanzas: lost,
            });
        }
        unsent.append(&mut self.held);
        self.held = unsent;
        self.reconnecting = true;
        self.set_status(Status::Reconnecting, condition);
    }

    /// The backoff is over: resume the WebSocket stream when stream
    /// management allows it, else start a fresh session and log in again.
    fn start_attempt(&mut self) {
        if self.kind == Kind::WebSocket && self.sm.resumable() && self.start_resume() {
            return;
        }
        if !self.can_log_in_again() {
            // An attached session: the application prebinds the next one.
            self.prebind_wait = 1;
            return;
        }
        let domain = self.credentials.domain.clone();
        // A fresh session creation: where the service is a list of cluster
        // nodes, this is where the new session's node is picked.
        let mut next = match self.new_transport(&domain, None) {
            Ok(t) => t,
            Err(e) => {
                self.phase = Phase::Features {
                    authenticated: false,
                };
                self.on_closed(Some(e.condition().to_owned()));
                return;
            }
        };
        if let (Transport::Bosh(n), Some(old)) = (&mut next, self.bosh()) {
            n.continue_ids_from(old);
        }
        next.start();
        self.replace_transport(next);
        self.sm.reset();
        self.sasl2 = false;
        self.bind2 = false;
        self.sm_offered = false;
        self.resuming = false;
        self.expect_features();
    }

    fn become_connected(&mut self) {
        self.phase = Phase::Connected;
        if self.kind == Kind::WebSocket && self.options.stream_management && self.sm_offered {
            // Before CONNECTED: what the application sends in reaction is
            // counted and kept until acknowledged.
            let enable = self.sm.enable(true);
            self.queue(enable);
        } else {
            self.sm.reset();
        }
        self.reconnecting = false;
        let now = self.now;
        if let Some(b) = self.backoff.as_mut() {
            b.on_connected(now);
        }
        self.set_status(Status::Connected, None);
        self.release_held();
    }

    /// Sends the stanzas held during the login or resumption.
    fn release_held(&mut self) {
        let now = self.now;
        for el in std::mem::take(&mut self.held) {
            // Cannot fail: the transport is open and the phase CONNECTED.
            let _ = self.send(now, el);
        }
    }
}

/// The condition element of a stanza error (`conflict`, `not-allowed`, ...).
pub fn stanza_error_condition(stanza: &Element) -> String {
    stanza
        .child("error")
        .and_then(|e| {
            e.elements()
                .find(|c| c.ns() == Some(ns::STANZAS) && c.local_name() != "text")
        })
        .map(|c| c.local_name().to_owned())
        .unwrap_or_else(|| "undefined-condition".into())
}

fn decode_b64(text: &str) -> Result<Vec<u8>, ()> {
    let t = text.trim();
    if t.is_empty() || t == "=" {
        return Ok(Vec::new());
    }
    b64::decode(t).ok_or(())
}
