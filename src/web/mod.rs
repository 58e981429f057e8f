//! The web shell: the only code that touches the browser.
//!
//! It owns the sans-IO [`crate::connection::Connection`] behind
//! `Rc<RefCell<…>>`, performs its HTTP requests with `fetch` +
//! `AbortController`, arms one timer for its next deadline, converts stanzas
//! to DOM elements and calls JavaScript callbacks. Rules:
//!
//! * after every command or input, [`drive`] drains the core: events first
//!   (callbacks may queue stanzas), then requests, then the timer;
//! * no borrow of the core or of the handler table is held while JavaScript
//!   runs (a callback may call back into the connection);
//! * `send()` does not transmit at once: it schedules one drain in a
//!   microtask, so every stanza sent in the same JavaScript task leaves in one
//!   `<body/>` at the end of that task.

mod api;
mod builder;
mod check;
mod errors;
mod js;
mod keepalive;

use crate::connection::handlers::{unhandled_iq_reply, HandlerId, Handlers, Matcher};
use crate::connection::{self as core, Event, Status as CoreStatus};
use crate::rand::RandomSource;
use crate::xml::Element;
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub use builder::*;
pub use errors::{
    ConnectionError, DisconnectedError, PrebindError, SessionError, StanzaError, TimeoutError,
};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `new Connection(service, options)`. Unknown keys throw. */
export interface ConnectionOptions {
  /** SASL mechanisms to use, in order of preference (default: strongest first). */
  mechanisms?: string[];
  /** BOSH `wait` in seconds (default 60). */
  wait?: number;
  /** BOSH `hold` (default 1). */
  hold?: number;
  /** BOSH `route` (`xmpp:host:port`). */
  route?: string;
  /** Content-Type of requests (default `text/xml; charset=utf-8`; `text/plain` avoids a CORS preflight). */
  contentType?: string;
  /** Largest response body accepted, in bytes (default 4 MiB). */
  maxBodySize?: number;
  /** Resends of one request before the session counts as lost (default 5). */
  maxRetries?: number;
  /** Milliseconds to coalesce stanzas before a body leaves (default 0: end of the current task). */
  idleInterval?: number;
  /** `xml:lang` of the session (default `en`). */
  lang?: string;
  /** Send cookies with cross-origin requests. */
  withCredentials?: boolean;
  /** Stop at BINDREQUIRED after authentication; then call `bind()`. */
  explicitResourceBinding?: boolean;
  /** Keep the session in sessionStorage so a reloaded page can `restore()` it. */
  keepalive?: boolean;
  /** Extra HTTP headers on every request. */
  customHeaders?: Record<string, string>;
  /** Highest SCRAM iteration count accepted from the server (default 100000, at least 4096); above it, AUTHFAIL `iteration-count-too-high`. */
  maxScramIterations?: number;
}

/** `callback(status, condition)` of connect/attach/restore/prebind. */
export type StatusCallback = (status: Status, condition?: string) => void;

/** A stanza handler: gets the stanza as a DOM Element; return `true` to stay registered. */
export type StanzaHandler = (stanza: Element) => boolean;

/** Options of `addHandler`. */
export interface HandlerOptions {
  /** Compare only the bare JID of `from`. */
  matchBareFromJid?: boolean;
  /** Ignore a `#fragment` of namespaces. */
  ignoreNamespaceFragment?: boolean;
}

/** Options of `prebind(url, callback, options)`. */
export interface PrebindOptions {
  /** Ask the service for JSON `{jid, sid, rid}` instead of a BOSH-like XML body. */
  json?: boolean;
  /** The XMPP domain to send in the request. */
  to?: string;
  /** BOSH `wait` for the session. */
  wait?: number;
  /** BOSH `hold` for the session. */
  hold?: number;
}

/** What `send` and friends take: a DOM Element, a Builder, or a string of exactly one well-formed element. */
export type Stanza = Element | Builder | string;

/** Attribute values for `$build`, `c`, `attrs`: `null`/`undefined` removes the attribute. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;

/**
 * Rejection of connect/attach/restore (and `bind`): the failed `status`, its
 * `condition` (`item-not-found`, `remote-connection-failed`, `not-authorized`…)
 * and the service `url`. When the transport failed, also the last HTTP status
 * (`httpStatus`) or network error (`networkError`: the browser's message, or
 * `timeout`), named in the message too.
 */
export class ConnectionError extends Error {
  private constructor();
  name: 'ConnectionError';
  status: Status;
  condition: string;
  url: string;
  httpStatus?: number;
  networkError?: string;
}

/** Thrown by `restore()` when there is no session this page may continue. */
export class SessionError extends Error {
  private constructor();
  name: 'SessionError';
  reason: 'no-storage' | 'no-session' | 'bad-snapshot' | 'jid-mismatch' | 'session-in-use' | 'not-bosh';
  condition: string;
}

/** Rejection of sendIQAsync/sendPresenceAsync for an error answer. */
export class StanzaError extends Error {
  private constructor();
  name: 'StanzaError';
  condition: string;
  stanza: Element | null;
}

/** Rejection of `prebind` (the service failed, or its answer is unusable). */
export class PrebindError extends Error {
  private constructor();
  name: 'PrebindError';
  condition: 'prebind-failed' | 'prebind-unreachable' | 'bad-format' | string;
}

/** Rejection of sendIQAsync/sendPresenceAsync when no answer came within `timeout`. */
export class TimeoutError extends Error {
  private constructor();
  name: 'TimeoutError';
  condition: 'timeout';
}

/** Rejection of sendIQAsync/sendPresenceAsync when the session ended first. */
export class DisconnectedError extends Error {
  private constructor();
  name: 'DisconnectedError';
  condition: 'disconnected';
}

/** Rejection of sendIQAsync/sendPresenceAsync without an answer. */
export type NoAnswerError = TimeoutError | DisconnectedError;
"#;

/// Connection status, with the numbers of Strophe.js's `Strophe.Status`.
#[wasm_bindgen]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// An error occurred.
    ERROR = 0,
    /// The connection is being established.
    CONNECTING = 1,
    /// The connection attempt failed.
    CONNFAIL = 2,
    /// Authentication is in progress.
    AUTHENTICATING = 3,
    /// Authentication failed.
    AUTHFAIL = 4,
    /// Logged in.
    CONNECTED = 5,
    /// Closed.
    DISCONNECTED = 6,
    /// Closing.
    DISCONNECTING = 7,
    /// Attached to an existing session.
    ATTACHED = 8,
    /// Redirected.
    REDIRECT = 9,
    /// Timed out.
    CONNTIMEOUT = 10,
    /// The application must bind a resource.
    BINDREQUIRED = 11,
    /// Attaching failed.
    ATTACHFAIL = 12,
    /// Reconnecting.
    RECONNECTING = 13,
}

/// Log levels, with Strophe.js's numbers (`Strophe.LogLevel`).
#[wasm_bindgen]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// Everything.
    DEBUG = 0,
    /// Informational.
    INFO = 1,
    /// Something went wrong but the connection goes on (default threshold).
    WARN = 2,
    /// An exception in application code, a failed conversion.
    ERROR = 3,
    /// Unrecoverable.
    FATAL = 4,
}

/// The browser's CSPRNG.
struct CryptoRandom;

impl RandomSource for CryptoRandom {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        // getRandomValues takes at most 65536 bytes per call.
        for chunk in buf.chunks_mut(65536) {
            let arr = js_sys::Uint8Array::new_with_length(chunk.len() as u32);
            js::get_random_values(&arr);
            arr.copy_to(chunk);
        }
    }
}

/// What to call when a tracked stanza is answered (or not).
#[derive(Default)]
struct Waiting {
    callback: Option<Function>,
    errback: Option<Function>,
    promise: Option<(Function, Function)>,
}

#[derive(Default)]
struct Callbacks {
    connect: Option<Function>,
    raw_input: Option<Function>,
    raw_output: Option<Function>,
    xml_input: Option<Function>,
    xml_output: Option<Function>,
    log: Option<Function>,
    connect_promise: Option<(Function, Function)>,
    disconnect_promise: Vec<Function>,
}

struct Inner {
    core: RefCell<core::Connection>,
    handlers: RefCell<Handlers<Function>>,
    callbacks: RefCell<Callbacks>,
    /// Tracked stanzas (sendIQ, sendPresence) by id.
    waiting: RefCell<HashMap<String, Waiting>>,
    /// Timed handlers by timer id.
    timed: RefCell<HashMap<u64, Function>>,
    /// Abort controllers of the requests on the wire, by rid.
    requests: RefCell<HashMap<u64, web_sys::AbortController>>,
    origin: f64,
    drain_scheduled: Cell<bool>,
    timer: Cell<Option<i32>>,
    timer_cb: RefCell<Option<Closure<dyn FnMut()>>>,
    /// Write snapshots to sessionStorage.
    keepalive: bool,
    /// `pagehide` happened: the snapshot is released, write no more.
    released: Cell<bool>,
    /// What `pagehide` wrote (when the write succeeded), and how many
    /// stanzas were queued in it: back from the back-forward cache, the
    /// page compares storage with it.
    released_text: RefCell<Option<(String, usize)>>,
    /// Back from the back-forward cache, waiting for the page that holds
    /// the session to release it.
    returning: Cell<bool>,
    /// The last snapshot text written, to skip identical writes.
    last_written: RefCell<Option<String>>,
    /// A storage error was reported already.
    storage_warned: Cell<bool>,
    /// Messages below this level are not logged.
    log_level: Cell<u8>,
    /// The message of the last failed `fetch` (for `ConnectionError`).
    last_network_error: RefCell<Option<String>>,
    /// The connect/attach/restore promise resolves when the server has
    /// confirmed an attached session.
    confirm_attach: Cell<bool>,
    /// `pagehide`/`pageshow` listeners, removed on drop.
    page_listeners: RefCell<Vec<(&'static str, EventListener)>>,
}

type EventListener = Closure<dyn FnMut(web_sys::Event)>;

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            for (name, cb) in self.page_listeners.borrow().iter() {
                let _ = w.remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            }
        }
        if let Some(t) = self.timer.take() {
            js::clear_timeout(t);
        }
    }
}

impl Inner {
    fn now(&self) -> Duration {
        let ms = (js::performance_now() - self.origin).max(0.0);
        Duration::from_micros((ms * 1000.0) as u64)
    }
}

/// An XMPP connection over BOSH. `new Connection(service, options)`.
#[wasm_bindgen]
pub struct Connection {
    inner: Rc<Inner>,
}

/// An error of the class `name` (`TypeError`, or one of [`errors::Kind`]),
/// with a `condition`.
fn error(name: &str, message: &str, condition: &str) -> JsValue {
    use errors::Kind;
    let kind = match name {
        "ConnectionError" => Kind::Connection,
        "SessionError" => Kind::Session,
        "StanzaError" => Kind::Stanza,
        "PrebindError" => Kind::Prebind,
        "TimeoutError" => Kind::Timeout,
        "DisconnectedError" => Kind::Disconnected,
        _ => {
            let e: JsValue = js_sys::TypeError::new(message).into();
            let _ = js_sys::Reflect::set(&e, &"condition".into(), &condition.into());
            return e;
        }
    };
    errors::make(kind, message, condition)
}

/// A whole number from 0 to 65535 given by JavaScript (NaN, negative,
/// fractional or huge values are refused, not wrapped).
fn small_uint(v: Option<f64>) -> Result<Option<u32>, ()> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && (0.0..=65535.0).contains(&x) && x.fract() == 0.0 => {
            Ok(Some(x as u32))
        }
        Some(_) => Err(()),
    }
}

/// The `ConnectionError` of a failed status: its `status`, `condition` and
/// the service `url`; when the transport failed, also the last HTTP status
/// (`httpStatus`) or network error (`networkError`, `timeout` when no
/// answer came in time), named in the message too.
fn status_error(inner: &Inner, status: CoreStatus, condition: Option<&str>) -> JsValue {
    use crate::bosh::Failure;
    let cond = condition.unwrap_or("");
    let (url, failure) = {
        let core = inner.core.borrow();
        let failure = core.session().and_then(|s| s.last_failure());
        (core.service().to_owned(), failure)
    };
    let network = match failure {
        Some(Failure::Network) => Some(
            inner
                .last_network_error
                .borrow()
                .clone()
                .unwrap_or_else(|| "network error".into()),
        ),
        Some(Failure::Timeout) => Some("timeout".into()),
        _ => None,
    };
    let mut message = String::from(status.name());
    if !cond.is_empty() {
        message.push_str(": ");
        message.push_str(cond);
    }
    match (failure, &network) {
        (Some(Failure::Http(code)), _) => {
            message.push_str(&format!(" (HTTP {code} from {url})"));
        }
        (_, Some(n)) => message.push_str(&format!(" ({n}: {url})")),
        _ => {}
    }
    let e = error("ConnectionError", &message, cond);
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&e, &k.into(), &v);
    };
    set("status", (status as u8).into());
    set("url", url.into());
    if let Some(Failure::Http(code)) = failure {
        set("httpStatus", code.into());
    }
    if let Some(n) = network {
        set("networkError", n.into());
    }
    e
}

/// The Rust API of the shell (the JavaScript API, with its argument checks,
/// is in `api.rs`).
impl Connection {
    /// Creates a connection to the BOSH service at `service` (for example
    /// `/http-bind`). `options` is an object of [`Options`] in camelCase;
    /// an unknown key or a wrong type throws a `TypeError`.
    pub fn new(service: &str, options: JsValue) -> Result<Connection, JsValue> {
        let opts = api::options(&options)?;
        let keepalive = opts.keepalive;
        // An absolute URL, so that redirect rules see the scheme and host.
        let service = api::service_url(&JsValue::from_str(service), "new Connection: service")?;
        let service = service.as_str();
        let inner = Rc::new(Inner {
            core: RefCell::new(core::Connection::new(service, opts, Box::new(CryptoRandom))),
            handlers: RefCell::new(Handlers::default()),
            waiting: RefCell::new(HashMap::new()),
            timed: RefCell::new(HashMap::new()),
            callbacks: RefCell::new(Callbacks::default()),
            requests: RefCell::new(HashMap::new()),
            origin: js::performance_now(),
            drain_scheduled: Cell::new(false),
            timer: Cell::new(None),
            timer_cb: RefCell::new(None),
            keepalive,
            released: Cell::new(false),
            released_text: RefCell::new(None),
            returning: Cell::new(false),
            last_written: RefCell::new(None),
            storage_warned: Cell::new(false),
            log_level: Cell::new(LogLevel::WARN as u8),
            last_network_error: RefCell::new(None),
            confirm_attach: Cell::new(false),
            page_listeners: RefCell::new(Vec::new()),
        });
        if keepalive {
            listen_page_lifecycle(&inner);
        }
        let weak: Weak<Inner> = Rc::downgrade(&inner);
        let cb = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.timer.set(None);
                let now = inner.now();
                inner.core.borrow_mut().handle_timeout(now);
                drive(&inner);
            }
        });
        *inner.timer_cb.borrow_mut() = Some(cb);
        Ok(Connection { inner })
    }

    /// Logs in as `jid` with `password` (a bare domain JID logs in
    /// anonymously). `callback(status, condition)` sees every status change.
    /// The promise resolves on CONNECTED and rejects with an error carrying
    /// `status` and `condition` on failure.
    pub fn connect(
        &self,
        jid: &str,
        password: Option<String>,
        callback: Option<Function>,
    ) -> Promise {
        let inner = self.inner.clone();
        flush_events(&inner);
        let result = inner.core.borrow_mut().connect(jid, password.as_deref());
        if let Err(e) = result {
            return Promise::reject(&error("ConnectionError", &e.to_string(), e.condition()));
        }
        let promise = Promise::new(&mut |resolve, reject| {
            let mut cbs = inner.callbacks.borrow_mut();
            cbs.connect = callback.clone();
            cbs.connect_promise = Some((resolve, reject));
        });
        drive(&inner);
        promise
    }

    /// Takes over an authenticated session opened elsewhere (prebind):
    /// `rid` is the next rid to use (a number or a numeric string).
    /// `callback(status, condition)` sees ATTACHED at once; stanzas sent in
    /// that callback or right after this call ride in the very first request.
    /// The promise resolves when the server has answered that request, and
    /// rejects with ATTACHFAIL if it rejected it (fall back to `connect`).
    #[allow(clippy::too_many_arguments)] // Strophe.js's signature, kept for porting
    pub fn attach(
        &self,
        jid: &str,
        sid: &str,
        rid: JsValue,
        callback: Option<Function>,
        wait: Option<f64>,
        hold: Option<f64>,
        wind: Option<f64>,
    ) -> Promise {
        let rid = rid
            .as_f64()
            .filter(|r| r.fract() == 0.0 && *r > 0.0)
            .map(|r| r as u64)
            .or_else(|| rid.as_string().and_then(|s| s.trim().parse().ok()));
        let Some(rid) = rid else {
            return Promise::reject(&error(
                "TypeError",
                "rid must be a positive integer",
                "bad-options",
            ));
        };
        let (wait, hold, wind) = match (small_uint(wait), small_uint(hold), small_uint(wind)) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            _ => {
                return Promise::reject(&error(
                    "TypeError",
                    "wait, hold and wind must be whole numbers from 0 to 65535",
                    "bad-options",
                ))
            }
        };
        flush_events(&self.inner);
        let result = self
            .inner
            .core
            .borrow_mut()
            .attach(jid, sid, rid, wait, hold, wind);
        self.begin_attached(result, callback)
    }

    /// Continues the session a previous page of this tab kept in
    /// `sessionStorage` (`keepalive: true`). Throws a `SessionError` (with a
    /// `reason`) when there is no sessionStorage, no stored session, one for
    /// another bare JID than `jid`, one still used by a live page (a
    /// duplicated tab), or the service is not BOSH. Otherwise like `attach`:
    /// ATTACHED at once, and the promise settles when the server answered
    /// (ATTACHFAIL if it no longer knows the session). The requests the old
    /// page had not seen answered are resent first with their own rids and
    /// bytes, so nothing is lost or duplicated. `wait`, `hold` and `wind`
    /// are accepted for Strophe.js compatibility; the stored, negotiated
    /// values are used.
    pub fn restore(
        &self,
        jid: Option<String>,
        callback: Option<Function>,
        wait: Option<f64>,
        hold: Option<f64>,
        wind: Option<f64>,
    ) -> Result<Promise, JsValue> {
        // Accepted for Strophe.js compatibility; the stored values are used.
        let _ = (wait, hold, wind);
        let service = self.inner.core.borrow().service().to_owned();
        if service.starts_with("ws:") || service.starts_with("wss:") {
            return Err(session_error(&keepalive::Refusal::NotBosh));
        }
        let snapshot = keepalive::read(jid.as_deref()).map_err(|r| session_error(&r))?;
        flush_events(&self.inner);
        if self.inner.core.borrow_mut().restore(&snapshot).is_err() {
            // Unusable (another service, a tampered snapshot): drop it.
            let _ = keepalive::remove();
            return Err(session_error(&keepalive::Refusal::BadSnapshot));
        }
        // Claim it at once: a second restore (another call, a tab
        // duplicated right now) must see a session in use. A page without
        // `keepalive` will not keep it up to date: it takes it away.
        if self.inner.keepalive {
            let _ = keepalive::write(&keepalive::encode(snapshot, false));
        } else {
            let _ = keepalive::remove();
        }
        Ok(self.begin_attached(Ok(()), callback))
    }

    /// Gets a session from a prebind service at `url` and attaches to it.
    /// The service may answer JSON `{jid, sid, rid}` (rid: the next one) or a
    /// BOSH-like `<body sid rid>` with the bound `<jid>` (rid: the last one
    /// used). `options`: `{ to?, wait?, hold?, json?: boolean }` sent as a
    /// BOSH-like `<body/>` POST (or asking for JSON). Any failure rejects with
    /// a `PrebindError` and reports ATTACHFAIL to `callback`; nothing is left
    /// half open.
    pub fn prebind(&self, url: String, callback: Option<Function>, options: JsValue) -> Promise {
        let this = Connection {
            inner: self.inner.clone(),
        };
        let get = |k: &str| -> Option<JsValue> {
            if options.is_object() {
                js_sys::Reflect::get(&options, &k.into())
                    .ok()
                    .filter(|v| !v.is_undefined() && !v.is_null())
            } else {
                None
            }
        };
        let wait = small_uint(get("wait").and_then(|v| v.as_f64()));
        let hold = small_uint(get("hold").and_then(|v| v.as_f64()));
        let (Ok(wait), Ok(hold)) = (wait, hold) else {
            return Promise::reject(&error(
                "TypeError",
                "wait and hold must be whole numbers from 0 to 65535",
                "bad-options",
            ));
        };
        let to = get("to").and_then(|v| v.as_string());
        let json = get("json").is_some_and(|v| v.is_truthy());
        let mut body = String::from("<body xmlns='http://jabber.org/protocol/httpbind'");
        for (k, v) in [
            ("to", to),
            ("wait", wait.map(|w| w.to_string())),
            ("hold", hold.map(|h| h.to_string())),
        ] {
            if let Some(v) = v {
                body.push_str(&format!(" {k}='"));
                crate::xml::escape_attr(&v, &mut body);
                body.push('\'');
            }
        }
        body.push_str("/>");
        wasm_bindgen_futures::future_to_promise(async move {
            let accept = if json { "application/json" } else { "text/xml" };
            let fail = |cb: &Option<Function>, condition: &str, message: String| -> JsValue {
                if let Some(cb) = cb {
                    if let Err(e) = call(
                        cb,
                        &[
                            JsValue::from(CoreStatus::AttachFail as u8),
                            condition.into(),
                        ],
                    ) {
                        report(&this.inner, "the prebind callback", &e);
                    }
                }
                error("PrebindError", &message, condition)
            };
            // The same fetch path as BOSH requests, size limit included.
            let request = crate::bosh::Transmit {
                id: 0,
                rid: 0,
                url,
                body,
                content_type: "text/xml; charset=utf-8".into(),
                headers: vec![("Accept".into(), accept.into())],
                with_credentials: false,
                keepalive: false,
                attempt: 0,
            };
            let max = this.inner.core.borrow().max_response_size();
            let answer = js::post(&request, None, max).await;
            let text = match answer {
                Ok(js::Answer::Body(200, text)) => text,
                Ok(js::Answer::Oversized) => {
                    return Err(fail(
                        &callback,
                        "prebind-failed",
                        "prebind answer too large".into(),
                    ));
                }
                Ok(js::Answer::Body(status, _)) => {
                    return Err(fail(
                        &callback,
                        "prebind-failed",
                        format!("prebind service answered HTTP {status}"),
                    ));
                }
                Err(_) => {
                    return Err(fail(
                        &callback,
                        "prebind-unreachable",
                        "prebind service unreachable".into(),
                    ))
                }
            };
            let tokens = crate::connection::prebind::parse_prebind_response(&text)
                .map_err(|m| fail(&callback, "bad-format", format!("prebind answer: {m}")))?;
            flush_events(&this.inner);
            let result = this.inner.core.borrow_mut().attach(
                &tokens.jid,
                &tokens.sid,
                tokens.rid,
                wait,
                hold,
                None,
            );
            JsFuture::from(this.begin_attached(result, callback)).await
        })
    }

    /// Sends a stanza: a DOM `Element` or a string holding exactly one
    /// well-formed element. Anything else throws and nothing is sent.
    pub fn send(&self, stanza: JsValue) -> Result<(), JsValue> {
        let text = stanza_text(&stanza, "Connection.send: stanza")?;
        let now = self.inner.now();
        self.inner
            .core
            .borrow_mut()
            .send_xml(now, &text)
            .map_err(|e| error("TypeError", &format!("Connection.send: {e}"), e.condition()))?;
        schedule_drive(&self.inner);
        Ok(())
    }

    /// Adds a stanza handler: `handler(element)` is called for each matching
    /// stanza once connected; it stays while it returns `true`. Returns a
    /// reference for `deleteHandler`.
    #[allow(clippy::too_many_arguments)] // Strophe.js's signature, kept for porting
    pub fn add_handler(
        &self,
        handler: Function,
        ns: Option<String>,
        name: Option<String>,
        r#type: JsValue,
        id: Option<String>,
        from: Option<String>,
        options: JsValue,
    ) -> Result<f64, JsValue> {
        let types = if r#type.is_undefined() || r#type.is_null() {
            None
        } else if let Some(t) = r#type.as_string() {
            Some(vec![t])
        } else if js_sys::Array::is_array(&r#type) {
            let arr: js_sys::Array = r#type.unchecked_into();
            let mut v = Vec::new();
            for x in arr.iter() {
                v.push(x.as_string().ok_or_else(|| {
                    error(
                        "TypeError",
                        "type must be a string or an array of strings",
                        "bad-options",
                    )
                })?);
            }
            Some(v)
        } else {
            return Err(error(
                "TypeError",
                "type must be a string or an array of strings",
                "bad-options",
            ));
        };
        let flag = |key: &str| -> bool {
            if options.is_object() {
                js_sys::Reflect::get(&options, &key.into())
                    .map(|v| v.is_truthy())
                    .unwrap_or(false)
            } else {
                false
            }
        };
        let matcher = Matcher {
            ns,
            name,
            types,
            id,
            from,
            match_bare_from_jid: flag("matchBareFromJid"),
            ignore_namespace_fragment: flag("ignoreNamespaceFragment"),
        };
        let id = self.inner.handlers.borrow_mut().add(matcher, handler);
        Ok(id.0 as f64)
    }

    /// Sends an IQ `get`/`set` and waits for its `result` (→ `callback(element)`)
    /// or `error` (→ `errback(element)`); after `timeout` milliseconds, or if
    /// the connection ends first, `errback(null)`. Returns the stanza id
    /// (generated when missing).
    pub fn send_iq(
        &self,
        stanza: JsValue,
        callback: Option<Function>,
        errback: Option<Function>,
        timeout: Option<f64>,
    ) -> Result<String, JsValue> {
        let waiting = Waiting {
            callback,
            errback,
            promise: None,
        };
        self.track("iq", "Connection.sendIQ", &stanza, timeout, waiting)
    }

    /// Promise form of `sendIQ`: resolves with the `result` element; rejects
    /// with a `StanzaError` (its `condition`, and the `stanza` element) on an
    /// `error` answer, a `TimeoutError` after `timeout` milliseconds, or a
    /// `DisconnectedError`.
    pub fn send_iq_async(&self, stanza: JsValue, timeout: Option<f64>) -> Promise {
        self.track_promise("iq", "Connection.sendIQAsync", stanza, timeout)
    }

    /// Sends a presence and waits for the presence answering it (same id):
    /// `callback(element)`, or `errback(element)` for `type='error'`, or
    /// `errback(null)` after `timeout` milliseconds. Returns the id.
    pub fn send_presence(
        &self,
        stanza: JsValue,
        callback: Option<Function>,
        errback: Option<Function>,
        timeout: Option<f64>,
    ) -> Result<String, JsValue> {
        let waiting = Waiting {
            callback,
            errback,
            promise: None,
        };
        self.track(
            "presence",
            "Connection.sendPresence",
            &stanza,
            timeout,
            waiting,
        )
    }

    /// Promise form of `sendPresence`, settled like `sendIQAsync`.
    pub fn send_presence_async(&self, stanza: JsValue, timeout: Option<f64>) -> Promise {
        self.track_promise("presence", "Connection.sendPresenceAsync", stanza, timeout)
    }

    /// Calls `handler()` every `period` milliseconds while it returns `true`.
    /// Returns a reference for `deleteTimedHandler`.
    pub fn add_timed_handler(&self, period: f64, handler: Function) -> Result<f64, JsValue> {
        if !(period.is_finite() && period >= 0.0) {
            return Err(error(
                "TypeError",
                "period must be a number of milliseconds",
                "bad-options",
            ));
        }
        let now = self.inner.now();
        let id = self
            .inner
            .core
            .borrow_mut()
            .add_timer(now, Duration::from_millis(period as u64));
        self.inner.timed.borrow_mut().insert(id, handler);
        drive(&self.inner);
        Ok(id as f64)
    }

    /// Removes a timed handler.
    pub fn delete_timed_handler(&self, handler_ref: f64) -> bool {
        let id = handler_ref as u64;
        self.inner.timed.borrow_mut().remove(&id);
        self.inner.core.borrow_mut().remove_timer(id)
    }

    /// Binds a resource after the status BINDREQUIRED (with the option
    /// `explicitResourceBinding`); without `resource`, the one of the JID
    /// given to `connect`, or the server's choice.
    pub fn bind(&self, resource: Option<String>) -> Result<(), JsValue> {
        self.inner
            .core
            .borrow_mut()
            .bind(resource.as_deref())
            .map_err(|e| error("ConnectionError", &e.to_string(), e.condition()))?;
        drive(&self.inner);
        Ok(())
    }

    /// Removes a handler added with `addHandler`.
    pub fn delete_handler(&self, handler_ref: f64) -> bool {
        self.inner
            .handlers
            .borrow_mut()
            .remove(HandlerId(handler_ref as u64))
    }

    /// Ends the session (an unavailable presence rides in the terminate
    /// body). Resolves once DISCONNECTED.
    pub fn disconnect(&self, reason: Option<String>) -> Promise {
        let inner = self.inner.clone();
        if matches!(inner.core.borrow().status(), CoreStatus::Disconnected) {
            return Promise::resolve(&JsValue::UNDEFINED);
        }
        let promise = Promise::new(&mut |resolve, _reject| {
            inner
                .callbacks
                .borrow_mut()
                .disconnect_promise
                .push(resolve);
        });
        inner.core.borrow_mut().disconnect(reason.as_deref());
        drive(&inner);
        promise
    }

    /// Stops sending new bodies; stanzas keep queueing.
    pub fn pause(&self) {
        self.inner.core.borrow_mut().pause();
    }

    /// Sends what queued while paused.
    pub fn resume(&self) {
        self.inner.core.borrow_mut().resume();
        schedule_drive(&self.inner);
    }

    /// Sends queued stanzas now.
    pub fn flush(&self) {
        self.inner.core.borrow_mut().flush();
        drive(&self.inner);
    }

    /// The BOSH service URL (absolute; it changes after a `see-other-uri`
    /// redirect).
    pub fn service(&self) -> String {
        self.inner.core.borrow().service().to_owned()
    }

    /// The JID: as given to `connect`, then the bound full JID.
    pub fn jid(&self) -> Option<String> {
        self.inner.core.borrow().jid().map(|j| j.to_string())
    }

    /// Whether the login completed.
    pub fn authenticated(&self) -> bool {
        self.inner.core.borrow().authenticated()
    }

    /// Whether a session is open.
    pub fn connected(&self) -> bool {
        self.inner.core.borrow().connected()
    }

    /// Whether sending is paused.
    pub fn paused(&self) -> bool {
        self.inner.core.borrow().paused()
    }

    /// The SASL mechanism used by the login.
    pub fn mechanism(&self) -> Option<String> {
        self.inner.core.borrow().mechanism().map(str::to_owned)
    }

    /// The current status.
    pub fn status(&self) -> Status {
        to_js_status(self.inner.core.borrow().status())
    }

    /// Called with the text of every response body received.
    pub fn set_raw_input(&self, f: Option<Function>) {
        self.inner.callbacks.borrow_mut().raw_input = f;
    }

    /// Called with the text of every request body sent.
    pub fn set_raw_output(&self, f: Option<Function>) {
        self.inner.callbacks.borrow_mut().raw_output = f;
    }

    /// The `rawInput` hook.
    pub fn raw_input(&self) -> Option<Function> {
        self.inner.callbacks.borrow().raw_input.clone()
    }

    /// The `rawOutput` hook.
    pub fn raw_output(&self) -> Option<Function> {
        self.inner.callbacks.borrow().raw_output.clone()
    }

    /// Called with every response `<body/>` received, as a DOM element (it
    /// costs a parse per body: set it only when needed).
    pub fn set_xml_input(&self, f: Option<Function>) {
        self.inner.callbacks.borrow_mut().xml_input = f;
    }

    /// Called with every request `<body/>` sent, as a DOM element.
    pub fn set_xml_output(&self, f: Option<Function>) {
        self.inner.callbacks.borrow_mut().xml_output = f;
    }

    /// The `xmlInput` hook.
    pub fn xml_input(&self) -> Option<Function> {
        self.inner.callbacks.borrow().xml_input.clone()
    }

    /// The `xmlOutput` hook.
    pub fn xml_output(&self) -> Option<Function> {
        self.inner.callbacks.borrow().xml_output.clone()
    }

    /// Replaces the console as the destination of the library's messages:
    /// `log(level, message)`.
    pub fn set_log(&self, f: Option<Function>) {
        self.inner.callbacks.borrow_mut().log = f;
    }

    /// Messages below this level are not logged (default `LogLevel.WARN`).
    pub fn log_level(&self) -> LogLevel {
        match self.inner.log_level.get() {
            0 => LogLevel::DEBUG,
            1 => LogLevel::INFO,
            2 => LogLevel::WARN,
            3 => LogLevel::ERROR,
            _ => LogLevel::FATAL,
        }
    }

    /// Sets the threshold of `logLevel`.
    pub fn set_log_level(&self, level: LogLevel) {
        self.inner.log_level.set(level as u8);
    }
}

impl Connection {
    fn begin_attached(
        &self,
        result: Result<(), crate::connection::CommandError>,
        callback: Option<Function>,
    ) -> Promise {
        if let Err(e) = result {
            return Promise::reject(&error("ConnectionError", &e.to_string(), e.condition()));
        }
        let inner = self.inner.clone();
        let promise = Promise::new(&mut |resolve, reject| {
            let mut cbs = inner.callbacks.borrow_mut();
            cbs.connect = callback.clone();
            cbs.connect_promise = Some((resolve, reject));
        });
        drive_events_then_defer(&inner);
        promise
    }

    /// Sends a stanza of `kind` (`iq` or `presence`) and waits for its
    /// answer; another kind throws.
    fn track(
        &self,
        kind: &'static str,
        method: &str,
        stanza: &JsValue,
        timeout: Option<f64>,
        waiting: Waiting,
    ) -> Result<String, JsValue> {
        let text = stanza_text(stanza, &format!("{method}: stanza"))?;
        let el = crate::xml::parse_standalone(&text).map_err(|e| {
            error(
                "TypeError",
                &format!("{method}: stanza is not one well-formed element: {e}"),
                e.condition(),
            )
        })?;
        if el.local_name() != kind {
            return Err(error(
                "TypeError",
                &format!(
                    "{method}: stanza must be an <{kind}/> stanza, got <{}/>",
                    el.name
                ),
                "bad-format",
            ));
        }
        let timeout = match timeout {
            None => None,
            Some(ms) if ms.is_finite() && ms >= 0.0 => Some(Duration::from_millis(ms as u64)),
            Some(ms) => {
                return Err(check::bad(
                    &format!("{method}: timeout"),
                    "a non-negative number of milliseconds",
                    &JsValue::from(ms),
                    true,
                ))
            }
        };
        if let Some(id) = el.attr("id") {
            if self.inner.waiting.borrow().contains_key(id) {
                return Err(error(
                    "TypeError",
                    &format!("{method}: a stanza with id {id:?} is already waiting for its answer"),
                    "conflict",
                ));
            }
        }
        let now = self.inner.now();
        let id = self
            .inner
            .core
            .borrow_mut()
            .send_tracked(now, el, timeout)
            .map_err(|e| error("TypeError", &format!("{method}: {e}"), e.condition()))?;
        self.inner.waiting.borrow_mut().insert(id.clone(), waiting);
        schedule_drive(&self.inner);
        Ok(id)
    }

    fn track_promise(
        &self,
        kind: &'static str,
        method: &str,
        stanza: JsValue,
        timeout: Option<f64>,
    ) -> Promise {
        let mut slot = None;
        let promise = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
        let waiting = Waiting {
            callback: None,
            errback: None,
            promise: slot.clone(),
        };
        if let Err(e) = self.track(kind, method, &stanza, timeout, waiting) {
            if let Some((_, reject)) = slot {
                let _ = reject.call1(&JsValue::NULL, &e);
            }
        }
        promise
    }
}

/// Whether `v` is one of our `Builder` objects (it has `tree` and `up`).
fn is_builder(v: &JsValue) -> bool {
    v.is_object()
        && ["tree", "up", "cnode"]
            .iter()
            .all(|k| js_sys::Reflect::get(v, &(*k).into()).is_ok_and(|f| f.is_function()))
}

/// The XML text of what `send` and friends accept: a DOM `Element` or a
/// string (checked later to be exactly one well-formed element).
fn stanza_text(stanza: &JsValue, what: &str) -> Result<String, JsValue> {
    if let Some(s) = stanza.as_string() {
        Ok(s)
    } else if let Some(el) = stanza.dyn_ref::<web_sys::Element>() {
        js::serialize(el)
    } else if is_builder(stanza) {
        let to_string = js_sys::Reflect::get(stanza, &"toString".into())?;
        let f: Function = to_string.dyn_into()?;
        Ok(f.call0(stanza)?.as_string().unwrap_or_default())
    } else {
        Err(check::bad(
            what,
            "an Element, a Builder or a string of XML",
            stanza,
            false,
        ))
    }
}

fn to_js_status(s: CoreStatus) -> Status {
    match s {
        CoreStatus::Error => Status::ERROR,
        CoreStatus::Connecting => Status::CONNECTING,
        CoreStatus::ConnFail => Status::CONNFAIL,
        CoreStatus::Authenticating => Status::AUTHENTICATING,
        CoreStatus::AuthFail => Status::AUTHFAIL,
        CoreStatus::Connected => Status::CONNECTED,
        CoreStatus::Disconnected => Status::DISCONNECTED,
        CoreStatus::Disconnecting => Status::DISCONNECTING,
        CoreStatus::Attached => Status::ATTACHED,
        CoreStatus::Redirect => Status::REDIRECT,
        CoreStatus::ConnTimeout => Status::CONNTIMEOUT,
        CoreStatus::BindRequired => Status::BINDREQUIRED,
        CoreStatus::AttachFail => Status::ATTACHFAIL,
        CoreStatus::Reconnecting => Status::RECONNECTING,
    }
}

fn schedule_drive(inner: &Rc<Inner>) {
    if inner.drain_scheduled.replace(true) {
        return;
    }
    let inner = inner.clone();
    wasm_bindgen_futures::spawn_local(async move {
        inner.drain_scheduled.set(false);
        drive(&inner);
    });
}

/// Drains the core: events (callbacks run with no borrow held), then
/// requests, then re-arms the timer.
fn drive(inner: &Rc<Inner>) {
    loop {
        flush_events(inner);
        if inner.released.get() {
            // After pagehide the rids belong to the next page (the released
            // snapshot): nothing leaves until this page takes the session
            // back. Stanzas sent meanwhile wait in the queue.
            break;
        }
        let now = inner.now();
        let transmit = inner.core.borrow_mut().poll_transmit(now);
        match transmit {
            Some(t) => start_request(inner, t),
            None => break,
        }
    }
    confirm_attached(inner);
    persist(inner);
    if let Some(t) = inner.timer.take() {
        js::clear_timeout(t);
    }
    let deadline = inner.core.borrow().poll_timeout();
    if let Some(deadline) = deadline {
        let delay = deadline
            .saturating_sub(inner.now())
            .as_millis()
            .min(i32::MAX as u128) as i32;
        if let Some(cb) = inner.timer_cb.borrow().as_ref() {
            inner
                .timer
                .set(Some(js::set_timeout(cb.as_ref().unchecked_ref(), delay)));
        }
    }
}

/// Resolves the attach/restore promise once the server answered the
/// attached session's first request.
fn confirm_attached(inner: &Rc<Inner>) {
    if !inner.confirm_attach.get() {
        return;
    }
    let confirmed = {
        let core = inner.core.borrow();
        core.status() == CoreStatus::Attached && !core.attaching()
    };
    if confirmed {
        inner.confirm_attach.set(false);
        let pending = inner.callbacks.borrow_mut().connect_promise.take();
        if let Some((resolve, _)) = pending {
            let _ = resolve.call1(&JsValue::NULL, &JsValue::from(CoreStatus::Attached as u8));
        }
    }
}

/// keepalive: writes the snapshot when it changed; removes it once the
/// session is over. Storage errors are reported once and never break the
/// connection.
fn persist(inner: &Rc<Inner>) {
    if !inner.keepalive {
        return;
    }
    let snapshot = inner.core.borrow().snapshot();
    let result = match snapshot {
        // After pagehide the stored snapshot is the next page's: no more
        // writes (but a session that ended is still removed, below).
        Some(_) if inner.released.get() => return,
        Some(snap) => {
            let text = keepalive::encode(snap, false);
            if inner.last_written.borrow().as_deref() == Some(text.as_str()) {
                return;
            }
            let r = keepalive::write(&text);
            *inner.last_written.borrow_mut() = Some(text);
            r
        }
        None => {
            if inner.last_written.borrow_mut().take().is_none() {
                return;
            }
            keepalive::remove()
        }
    };
    if let Err(e) = result {
        if !inner.storage_warned.replace(true) {
            log(
                inner,
                LogLevel::WARN,
                "cannot write the keepalive snapshot to sessionStorage; restore() will not work",
                &e,
            );
        }
    }
}

/// On `pagehide`, writes the snapshot one last time, released, and stops
/// writing; never terminates the session (a reload continues it). On
/// `pageshow` from the back-forward cache, takes it back.
fn listen_page_lifecycle(inner: &Rc<Inner>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let weak = Rc::downgrade(inner);
    let hide = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
        let Some(inner) = weak.upgrade() else { return };
        if inner.released.get() {
            return;
        }
        // No pause request (XEP-0124 §10) here, even where `maxpause` is
        // advertised: the server would answer every held request at once,
        // to a page that is going away, and §14.3 does not buffer the
        // answer to the pause itself, so the next page could not resend it.
        // (ejabberd never answers it: each such `keepalive` fetch kept one
        // of the browser's six connections to the host until every request
        // of the next pages queued behind them.) A reload takes well under
        // `inactivity`; the next page resends what is unanswered.
        let snapshot = inner.core.borrow().snapshot();
        let written = snapshot.and_then(|snap| {
            let queued = snap.session.queued.len();
            let text = keepalive::encode(snap, true);
            keepalive::write(&text).ok().map(|()| (text, queued))
        });
        *inner.released_text.borrow_mut() = written;
        inner.released.set(true);
    });
    let weak = Rc::downgrade(inner);
    let show = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let persisted = e
            .dyn_ref::<web_sys::PageTransitionEvent>()
            .is_some_and(|p| p.persisted());
        let Some(inner) = weak.upgrade() else { return };
        if persisted && inner.released.get() && !inner.returning.replace(true) {
            let deadline = js::performance_now() + CLAIM_WAIT_MS;
            if !try_return(&inner, deadline) {
                wasm_bindgen_futures::spawn_local(async move {
                    loop {
                        sleep_ms(50).await;
                        if try_return(&inner, deadline) {
                            break;
                        }
                    }
                });
            }
        }
    });
    for (name, cb) in [("pagehide", hide), ("pageshow", show)] {
        let _ = window.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        inner.page_listeners.borrow_mut().push((name, cb));
    }
}

/// How long a page back from the back-forward cache waits for the page that
/// holds the session to release it (the page being left may write its
/// release after this page is shown, from another process), in ms.
const CLAIM_WAIT_MS: f64 = 1000.0;

/// A page back from the back-forward cache: compares storage with what it
/// wrote at `pagehide` and takes the session back, continues from another
/// page's newer snapshot of it, or gives it up. `false` while the session is
/// claimed by another page and `deadline` (`performance.now()`) has not
/// passed: call again later.
fn try_return(inner: &Rc<Inner>, deadline: f64) -> bool {
    let (found, queued) = match inner.released_text.borrow().as_ref() {
        Some((text, queued)) => (keepalive::on_return(Some(text)), *queued),
        None => (keepalive::on_return(None), 0),
    };
    let found = match found {
        keepalive::Return::Claimed if js::performance_now() < deadline => return false,
        keepalive::Return::Claimed => keepalive::Return::Taken,
        other => other,
    };
    inner.released_text.borrow_mut().take();
    inner.returning.set(false);
    inner.released.set(false);
    // Answers that came while the page was hidden were dropped, and the
    // requests still pending are stale: abort them.
    for ctl in take_requests(inner) {
        ctl.abort();
    }
    let now = inner.now();
    *inner.last_written.borrow_mut() = None;
    let adopted = match found {
        // Still ours: every attempt on the wire is lost; the core resends
        // them at once with their own rids and bytes (the server replays its
        // answers), and new rids leave with them.
        keepalive::Return::Unchanged => {
            inner.core.borrow_mut().handle_all_lost(now);
            true
        }
        // Another page restored the session, used it and released it: go on
        // from its newer state (its unanswered requests first), keeping the
        // stanzas sent since pagehide.
        keepalive::Return::Adopt(snap) => inner.core.borrow_mut().adopt(&snap, queued).is_ok(),
        keepalive::Return::Claimed | keepalive::Return::Taken => false,
    };
    if !adopted {
        // Not ours any more: end it here without a word to the server (it
        // belongs to another page, or is gone), and never write our stale
        // snapshot over what storage holds.
        inner.core.borrow_mut().relinquish(keepalive::SESSION_TAKEN);
    }
    persist(inner);
    drive(inner);
    true
}

/// Resolves after `ms` milliseconds.
async fn sleep_ms(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        js::set_timeout(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// Takes the abort controllers of every request on the wire (the borrow is
/// released before any of them is aborted: an abort may run JavaScript).
fn take_requests(inner: &Inner) -> Vec<web_sys::AbortController> {
    inner
        .requests
        .borrow_mut()
        .drain()
        .map(|(_, c)| c)
        .collect()
}

fn session_error(refusal: &keepalive::Refusal) -> JsValue {
    let e = error(
        "SessionError",
        &format!("cannot restore the session: {}", refusal.reason()),
        refusal.reason(),
    );
    let _ = js_sys::Reflect::set(&e, &"reason".into(), &refusal.reason().into());
    e
}

/// Delivers what the core has already queued (to the callbacks it was meant
/// for) before a new connect/attach/restore replaces them: called from a
/// status callback, the old session's last events must not reach the new
/// session's callback or promise.
fn flush_events(inner: &Rc<Inner>) {
    loop {
        let event = inner.core.borrow_mut().poll_event();
        match event {
            Some(ev) => deliver(inner, ev),
            None => break,
        }
    }
}

/// Drains events now, and the requests in a later task: after attach or
/// restore, stanzas the application sends in reaction (in the callback, or
/// after `attach()` returns) join the very first request.
fn drive_events_then_defer(inner: &Rc<Inner>) {
    flush_events(inner);
    let inner = inner.clone();
    let cb = Closure::once_into_js(move || drive(&inner));
    js::set_timeout(cb.unchecked_ref(), 0);
}

fn call(f: &Function, args: &[JsValue]) -> Result<JsValue, JsValue> {
    match args {
        [] => f.call0(&JsValue::NULL),
        [a] => f.call1(&JsValue::NULL, a),
        [a, b, ..] => f.call2(&JsValue::NULL, a, b),
    }
}

/// An exception thrown by application code we called: logged at ERROR.
fn report(inner: &Inner, context: &str, err: &JsValue) {
    log(
        inner,
        LogLevel::ERROR,
        &format!("exception in {context}"),
        err,
    );
}

/// Logs through the `log` hook, or the console, if `level` is at least the
/// connection's `logLevel`.
fn log(inner: &Inner, level: LogLevel, message: &str, detail: &JsValue) {
    if (level as u8) < inner.log_level.get() {
        return;
    }
    let hook = inner.callbacks.borrow().log.clone();
    if let Some(f) = hook {
        let text = if detail.is_undefined() {
            message.to_owned()
        } else {
            let d: String = js_sys::JSON::stringify(detail)
                .ok()
                .and_then(|s| s.as_string())
                .filter(|s| s != "{}")
                .or_else(|| detail.as_string())
                .unwrap_or_else(|| format!("{detail:?}"));
            format!("{message}: {d}")
        };
        // A throwing log hook is ignored: there is nowhere left to report it.
        let _ = f.call2(
            &JsValue::NULL,
            &JsValue::from(level as u8),
            &JsValue::from_str(&text),
        );
        return;
    }
    let msg = JsValue::from_str(&format!("xmpp-wasm: {message}"));
    match level {
        LogLevel::DEBUG | LogLevel::INFO => web_sys::console::log_2(&msg, detail),
        LogLevel::WARN => web_sys::console::warn_2(&msg, detail),
        LogLevel::ERROR | LogLevel::FATAL => web_sys::console::error_2(&msg, detail),
    }
}

fn deliver(inner: &Rc<Inner>, ev: Event) {
    match ev {
        Event::Status { status, condition } => {
            // Take everything this status settles *before* calling the
            // application: its callback may start a new session (connect in
            // the DISCONNECTED or ATTACHFAIL callback), whose promise and
            // requests must not be settled or aborted here.
            let settle = match status {
                CoreStatus::Connected => Some(true),
                CoreStatus::Attached => {
                    inner.confirm_attach.set(true);
                    None
                }
                CoreStatus::ConnFail
                | CoreStatus::AuthFail
                | CoreStatus::Error
                | CoreStatus::ConnTimeout
                | CoreStatus::AttachFail
                | CoreStatus::Disconnected => Some(false),
                _ => None,
            };
            let pending = if settle.is_some() {
                inner.callbacks.borrow_mut().connect_promise.take()
            } else {
                None
            };
            let (waiting, aborts) = if status == CoreStatus::Disconnected {
                let waiting = std::mem::take(&mut inner.callbacks.borrow_mut().disconnect_promise);
                (waiting, take_requests(inner))
            } else {
                (Vec::new(), Vec::new())
            };
            for ctl in aborts {
                ctl.abort();
            }
            let cb = inner.callbacks.borrow().connect.clone();
            if let Some(cb) = cb {
                let cond = condition
                    .as_deref()
                    .map(JsValue::from)
                    .unwrap_or(JsValue::UNDEFINED);
                if let Err(e) = call(&cb, &[JsValue::from(status as u8), cond]) {
                    report(inner, "the connect callback", &e);
                }
            }
            if let (Some(ok), Some((resolve, reject))) = (settle, pending) {
                let _ = if ok {
                    resolve.call1(&JsValue::NULL, &JsValue::from(status as u8))
                } else {
                    reject.call1(
                        &JsValue::NULL,
                        &status_error(inner, status, condition.as_deref()),
                    )
                };
            }
            for resolve in waiting {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
        Event::Stanza(el) => dispatch(inner, el),
        Event::Answer { id, stanza } => {
            let Some(w) = inner.waiting.borrow_mut().remove(&id) else {
                return;
            };
            let is_error = stanza.attr("type") == Some("error");
            let condition = crate::connection::stanza_error_condition(&stanza);
            let dom: JsValue = match js::to_dom(&stanza.to_xml()) {
                Ok(d) => d.into(),
                Err(e) => {
                    report(inner, "converting a stanza to DOM", &e);
                    JsValue::NULL
                }
            };
            let f = if is_error { &w.errback } else { &w.callback };
            if let Some(f) = f {
                if let Err(e) = f.call1(&JsValue::NULL, &dom) {
                    report(inner, "a sendIQ/sendPresence callback", &e);
                }
            }
            if let Some((resolve, reject)) = w.promise {
                let _ = if is_error {
                    let err = error(
                        "StanzaError",
                        &format!("stanza error: {condition}"),
                        &condition,
                    );
                    let _ = js_sys::Reflect::set(&err, &"stanza".into(), &dom);
                    reject.call1(&JsValue::NULL, &err)
                } else {
                    resolve.call1(&JsValue::NULL, &dom)
                };
            }
        }
        Event::NoAnswer { id, reason } => {
            let Some(w) = inner.waiting.borrow_mut().remove(&id) else {
                return;
            };
            if let Some(f) = &w.errback {
                if let Err(e) = f.call1(&JsValue::NULL, &JsValue::NULL) {
                    report(inner, "a sendIQ/sendPresence errback", &e);
                }
            }
            if let Some((_, reject)) = w.promise {
                let name = if reason == "timeout" {
                    "TimeoutError"
                } else {
                    "DisconnectedError"
                };
                let _ = reject.call1(
                    &JsValue::NULL,
                    &error(name, &format!("no answer to {id}: {reason}"), reason),
                );
            }
        }
        Event::Timer { id } => {
            let f = inner.timed.borrow().get(&id).cloned();
            let Some(f) = f else {
                inner.core.borrow_mut().remove_timer(id);
                return;
            };
            let keep = match f.call0(&JsValue::NULL) {
                Ok(v) => v.is_truthy(),
                Err(e) => {
                    report(inner, "a timed handler", &e);
                    false
                }
            };
            if !keep {
                inner.timed.borrow_mut().remove(&id);
                inner.core.borrow_mut().remove_timer(id);
            }
        }
    }
}

fn dispatch(inner: &Rc<Inner>, el: Element) {
    let matching = inner.handlers.borrow().matching(&el);
    if matching.is_empty() {
        if let Some(reply) = unhandled_iq_reply(&el) {
            let now = inner.now();
            let _ = inner.core.borrow_mut().send(now, reply);
        }
        return;
    }
    let dom = match js::to_dom(&el.to_xml()) {
        Ok(d) => d,
        Err(e) => {
            report(inner, "converting a stanza to DOM", &e);
            return;
        }
    };
    for (id, f) in matching {
        // An earlier handler may have deleted this one.
        if !inner.handlers.borrow().contains(id) {
            continue;
        }
        match f.call1(&JsValue::NULL, &dom) {
            Ok(keep) if keep.is_truthy() => {}
            Ok(_) => {
                inner.handlers.borrow_mut().remove(id);
            }
            Err(e) => {
                // A throwing handler is reported and removed, like Strophe.js;
                // the other handlers still run.
                report(inner, "a stanza handler", &e);
                inner.handlers.borrow_mut().remove(id);
            }
        }
    }
}

fn start_request(inner: &Rc<Inner>, t: crate::bosh::Transmit) {
    let xml_output = inner.callbacks.borrow().xml_output.clone();
    if let Some(f) = xml_output {
        match js::to_dom(&t.body) {
            Ok(el) => {
                if let Err(e) = f.call1(&JsValue::NULL, &el) {
                    report(inner, "xmlOutput", &e);
                }
            }
            Err(e) => report(inner, "converting a body to DOM", &e),
        }
    }
    let raw_output = inner.callbacks.borrow().raw_output.clone();
    if let Some(f) = raw_output {
        if let Err(e) = f.call1(&JsValue::NULL, &JsValue::from_str(&t.body)) {
            report(inner, "rawOutput", &e);
        }
    }
    let controller = web_sys::AbortController::new().ok();
    let superseded = inner.requests.borrow_mut().remove(&t.rid);
    if let Some(old) = superseded {
        old.abort();
    }
    if let Some(c) = &controller {
        inner.requests.borrow_mut().insert(t.rid, c.clone());
    }
    let inner = inner.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let signal = controller.as_ref().map(|c| c.signal());
        let max = inner.core.borrow().max_response_size();
        let outcome = js::post(&t, signal.as_ref(), max).await;
        {
            let mut reqs = inner.requests.borrow_mut();
            if let (Some(mine), Some(cur)) = (&controller, reqs.get(&t.rid)) {
                if JsValue::from(mine.clone()) == JsValue::from(cur.clone()) {
                    reqs.remove(&t.rid);
                }
            }
        }
        if inner.released.get() {
            // After pagehide the page no longer consumes answers: the stored
            // snapshot still lists this rid, and the next page gets the
            // server's copy. (Back from the bfcache, `pageshow` reports the
            // attempt lost: it is resent and the server replays it.)
            return;
        }
        let now = inner.now();
        match outcome {
            Ok(js::Answer::Oversized) => {
                inner.core.borrow_mut().handle_oversized_response(now, t.id)
            }
            Ok(js::Answer::Body(status, text)) => {
                if status == 200 {
                    let raw_input = inner.callbacks.borrow().raw_input.clone();
                    if let Some(f) = raw_input {
                        if let Err(e) = f.call1(&JsValue::NULL, &JsValue::from_str(&text)) {
                            report(&inner, "rawInput", &e);
                        }
                    }
                    let xml_input = inner.callbacks.borrow().xml_input.clone();
                    if let Some(f) = xml_input {
                        // A body that is not XML reaches the core as is and
                        // becomes a condition there; the hook just skips it.
                        if let Ok(el) = js::to_dom(&text) {
                            if let Err(e) = f.call1(&JsValue::NULL, &el) {
                                report(&inner, "xmlInput", &e);
                            }
                        }
                    }
                }
                inner
                    .core
                    .borrow_mut()
                    .handle_response(now, t.id, status, &text);
            }
            Err(e) => {
                let reason = e
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()));
                *inner.last_network_error.borrow_mut() = reason;
                inner.core.borrow_mut().handle_transport_error(now, t.id)
            }
        }
        drive(&inner);
    });
}
