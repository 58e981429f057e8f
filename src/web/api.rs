//! The JavaScript API of [`Connection`]: every argument is checked here, at
//! the boundary, before the Rust API in `mod.rs` runs. A wrong type throws a
//! `TypeError`, a wrong value a `RangeError`, at once (also for the methods
//! that return a promise), with a message that names the method, the
//! argument, what was expected and what was given (see `check.rs`).

use super::{check, js, Connection, LogLevel, Status, Waiting};
use crate::connection::{OptionKind, Options, OPTION_KINDS};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

const SECONDS: &str = "a non-negative integer number of seconds";
const MS: &str = "a non-negative number of milliseconds";
const SMALL: &str = "an integer from 0 to 65535";
const JID: &str = "a JID (node@domain or node@domain/resource)";

/// `options` of `new Connection`, checked against [`OPTION_KINDS`]
/// (`undefined` and `null` values mean the default).
pub(super) fn options(v: &JsValue) -> Result<Options, JsValue> {
    let Some(obj) = check::opt_object(v, "new Connection: options")? else {
        return Ok(Options::default());
    };
    let given = Object::new();
    for key in Object::keys(&obj).iter() {
        let name = key.as_string().unwrap_or_default();
        let value = Reflect::get(&obj, &key)?;
        let Some((_, kind)) = OPTION_KINDS.iter().find(|(k, _)| *k == name) else {
            let known = check::list(
                " is not an option (the options are ",
                OPTION_KINDS.iter().map(|(k, _)| *k),
            );
            let message = check::cat(&["new Connection: options.", &name, &known, ")"]);
            return Err(js_sys::RangeError::new(&message).into());
        };
        if check::absent(&value) {
            continue;
        }
        let what = check::cat(&["new Connection: options.", &name]);
        match kind {
            OptionKind::Bool if value.as_bool().is_none() => {
                return Err(check::bad(&what, "a boolean", &value, false))
            }
            OptionKind::String => {
                check::string(&value, &what)?;
            }
            OptionKind::Seconds
            | OptionKind::Milliseconds
            | OptionKind::Bytes
            | OptionKind::Count => {
                let expected = match kind {
                    OptionKind::Seconds => SECONDS,
                    OptionKind::Milliseconds => "a non-negative integer number of milliseconds",
                    OptionKind::Bytes => "a non-negative integer number of bytes",
                    _ => "a non-negative integer",
                };
                check::opt_uint(&value, &what, expected, u32::MAX as f64)?;
            }
            OptionKind::Iterations => {
                const ITERATIONS: &str = "an integer from 4096 (the least SCRAM allows)";
                let n = check::opt_uint(&value, &what, ITERATIONS, u32::MAX as f64)?;
                if n.is_some_and(|n| n < f64::from(crate::sasl::MIN_ITERATIONS)) {
                    return Err(check::bad(&what, ITERATIONS, &value, true));
                }
            }
            OptionKind::Mechanisms => mechanisms(&value, &what)?,
            OptionKind::Headers => {
                let headers = check::opt_object(&value, &what)?.unwrap_or_default();
                for k in Object::keys(&headers).iter() {
                    let v = Reflect::get(&headers, &k)?;
                    check::string(&v, &check::cat(&[&what, "[", &check::quote(&k), "]"]))?;
                }
            }
            _ => {}
        }
        Reflect::set(&given, &key, &value)?;
    }
    let text = js_sys::JSON::stringify(&given)?
        .as_string()
        .unwrap_or_default();
    Options::from_json(&text).map_err(|e| {
        js_sys::TypeError::new(&check::cat(&["new Connection: options: ", e.what()])).into()
    })
}

/// `options.mechanisms`: a non-empty array of the mechanism names this
/// library implements.
fn mechanisms(value: &JsValue, what: &str) -> Result<(), JsValue> {
    const ARRAY: &str = "a non-empty array of SASL mechanism names";
    if !js_sys::Array::is_array(value) {
        return Err(check::bad(what, ARRAY, value, false));
    }
    let list: js_sys::Array = value.clone().into();
    if list.length() == 0 {
        return Err(check::bad(what, ARRAY, value, true));
    }
    for (i, m) in list.iter().enumerate() {
        let item = check::cat(&[what, "[", &i.to_string(), "]"]);
        let name = check::string(&m, &item)?;
        if !crate::sasl::DEFAULT_PREFERENCE.contains(&name.as_str()) {
            let known = check::list("one of ", crate::sasl::DEFAULT_PREFERENCE.iter().copied());
            return Err(check::bad(&item, &known, &m, true));
        }
    }
    Ok(())
}

/// A service (or prebind) URL: http(s), absolute or relative to the page;
/// returned absolute.
pub(super) fn service_url(v: &JsValue, what: &str) -> Result<String, JsValue> {
    const WANT: &str = "an http(s) URL, absolute or relative to the page";
    let s = check::string(v, what)?;
    if s.trim().is_empty() {
        return Err(check::bad(what, WANT, v, true));
    }
    let url = match js::location_href() {
        Some(base) => web_sys::Url::new_with_base(&s, &base),
        None => web_sys::Url::new(&s),
    }
    .map_err(|_| check::bad(what, WANT, v, true))?;
    match url.protocol().as_str() {
        "http:" | "https:" if !url.host().is_empty() => Ok(url.href()),
        "ws:" | "wss:" => Err(check::bad(
            what,
            "a BOSH URL (http or https; WebSocket is not supported yet)",
            v,
            true,
        )),
        _ => Err(check::bad(what, WANT, v, true)),
    }
}

/// A handler reference (an integer of at least 0).
fn reference(v: &JsValue, what: &str) -> Result<f64, JsValue> {
    const WANT: &str = "a reference returned by addHandler or addTimedHandler";
    let x = v.as_f64().ok_or_else(|| check::bad(what, WANT, v, false))?;
    if x.is_finite() && x.fract() == 0.0 && x >= 0.0 {
        Ok(x)
    } else {
        Err(check::bad(what, WANT, v, true))
    }
}

#[wasm_bindgen]
impl Connection {
    /// Creates a connection to the BOSH service at `service`: an http(s) URL,
    /// absolute or relative to the page (for example `/http-bind`).
    /// `options` is an object of `ConnectionOptions`. A wrong type throws a
    /// `TypeError`; an unknown key, a bad value, an unknown mechanism or a
    /// service URL that is not http(s) a `RangeError`.
    #[wasm_bindgen(constructor)]
    pub fn js_new(
        #[wasm_bindgen(unchecked_param_type = "string")] service: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ConnectionOptions")] options: JsValue,
    ) -> Result<Connection, JsValue> {
        let service = check::string(&service, "new Connection: service")?;
        Connection::new(&service, options)
    }

    /// Logs in as `jid` with `password`. A JID without `@` (a bare domain)
    /// means an anonymous login, which must be asked for with the option
    /// `mechanisms: ['ANONYMOUS']`; otherwise it throws a `RangeError`.
    /// `callback(status, condition)` sees every status change. The promise
    /// resolves on CONNECTED and rejects with a `ConnectionError` (`status`,
    /// `condition`, `url`, and `httpStatus` or `networkError` when the
    /// transport failed).
    #[wasm_bindgen(js_name = connect, unchecked_return_type = "Promise<Status>")]
    pub fn js_connect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] jid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] password: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StatusCallback | null")] callback: JsValue,
    ) -> Result<Promise, JsValue> {
        let jid_text = check::string(&jid, "Connection.connect: jid")?;
        let password = check::opt_string(&password, "Connection.connect: password")?;
        let callback = check::opt_function(&callback, "Connection.connect: callback")?;
        let parsed = crate::jid::Jid::parse(&jid_text)
            .map_err(|_| check::bad("Connection.connect: jid", JID, &jid, true))?;
        if parsed.node().is_none() {
            let asked = self
                .inner
                .core
                .borrow()
                .options()
                .mechanisms
                .as_ref()
                .is_some_and(|m| m.iter().any(|m| m == "ANONYMOUS" || m == "EXTERNAL"));
            if !asked {
                return Err(check::bad(
                    "Connection.connect: jid",
                    "a JID with \"@\" (a bare domain means an anonymous login: \
                     to ask for one, pass the option mechanisms: ['ANONYMOUS'])",
                    &jid,
                    true,
                ));
            }
        }
        Ok(self.connect(&jid_text, password, callback))
    }

    /// Takes over an authenticated session opened elsewhere (prebind):
    /// `rid` is the next rid to use (a number or a numeric string).
    /// `callback(status, condition)` sees ATTACHED at once; stanzas sent in
    /// that callback or right after this call ride in the very first request.
    /// The promise resolves when the server has answered that request, and
    /// rejects with ATTACHFAIL if it rejected it (fall back to `connect`).
    #[allow(clippy::too_many_arguments)] // Strophe.js's signature, kept for porting
    #[wasm_bindgen(js_name = attach, unchecked_return_type = "Promise<Status>")]
    pub fn js_attach(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] jid: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] sid: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | string")] rid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StatusCallback | null")] callback: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] wait: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] hold: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] wind: JsValue,
    ) -> Result<Promise, JsValue> {
        const RID: &str = "a positive integer (a number or a string of digits)";
        let jid_value = jid;
        let jid = check::string(&jid_value, "Connection.attach: jid")?;
        if crate::jid::Jid::parse(&jid).is_err() {
            return Err(check::bad("Connection.attach: jid", JID, &jid_value, true));
        }
        let sid = check::string(&sid, "Connection.attach: sid")?;
        let ok = if let Some(x) = rid.as_f64() {
            x.fract() == 0.0 && (1.0..=9_007_199_254_740_991.0).contains(&x)
        } else if let Some(s) = rid.as_string() {
            let s = s.trim();
            !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_digit())
        } else {
            return Err(check::bad("Connection.attach: rid", RID, &rid, false));
        };
        if !ok {
            return Err(check::bad("Connection.attach: rid", RID, &rid, true));
        }
        let callback = check::opt_function(&callback, "Connection.attach: callback")?;
        let wait = check::opt_uint(&wait, "Connection.attach: wait", SECONDS, 65535.0)?;
        let hold = check::opt_uint(&hold, "Connection.attach: hold", SMALL, 65535.0)?;
        let wind = check::opt_uint(&wind, "Connection.attach: wind", SMALL, 65535.0)?;
        Ok(self.attach(&jid, &sid, rid, callback, wait, hold, wind))
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
    #[wasm_bindgen(js_name = restore, unchecked_return_type = "Promise<Status>")]
    pub fn js_restore(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] jid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StatusCallback | null")] callback: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] wait: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] hold: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] wind: JsValue,
    ) -> Result<Promise, JsValue> {
        let jid = check::opt_string(&jid, "Connection.restore: jid")?;
        let callback = check::opt_function(&callback, "Connection.restore: callback")?;
        let wait = check::opt_uint(&wait, "Connection.restore: wait", SECONDS, 65535.0)?;
        let hold = check::opt_uint(&hold, "Connection.restore: hold", SMALL, 65535.0)?;
        let wind = check::opt_uint(&wind, "Connection.restore: wind", SMALL, 65535.0)?;
        self.restore(jid, callback, wait, hold, wind)
    }

    /// Gets a session from a prebind service at `url` (http(s), absolute or
    /// relative to the page) and attaches to it. The service may answer JSON
    /// `{jid, sid, rid}` (rid: the next one) or a BOSH-like `<body sid rid>`
    /// with the bound `<jid>` (rid: the last one used). `options`:
    /// `{ to?, wait?, hold?, json?: boolean }` sent as a BOSH-like `<body/>`
    /// POST (or asking for JSON). Any failure rejects with a `PrebindError`
    /// and reports ATTACHFAIL to `callback`; nothing is left half open.
    #[wasm_bindgen(js_name = prebind, unchecked_return_type = "Promise<Status>")]
    pub fn js_prebind(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StatusCallback | null")] callback: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PrebindOptions")] options: JsValue,
    ) -> Result<Promise, JsValue> {
        let url = service_url(&url, "Connection.prebind: url")?;
        let callback = check::opt_function(&callback, "Connection.prebind: callback")?;
        if let Some(o) = check::opt_object(&options, "Connection.prebind: options")? {
            let get = |k: &str| Reflect::get(&o, &k.into()).unwrap_or_default();
            check::opt_string(&get("to"), "Connection.prebind: options.to")?;
            check::opt_uint(
                &get("wait"),
                "Connection.prebind: options.wait",
                SECONDS,
                65535.0,
            )?;
            check::opt_uint(
                &get("hold"),
                "Connection.prebind: options.hold",
                SMALL,
                65535.0,
            )?;
        }
        Ok(self.prebind(url, callback, options))
    }

    /// Sends a stanza: a DOM `Element`, a `Builder`, or a string holding
    /// exactly one well-formed element. Anything else throws a `TypeError`
    /// (with a `condition`) and nothing is sent.
    #[wasm_bindgen(js_name = send)]
    pub fn js_send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Stanza")] stanza: JsValue,
    ) -> Result<(), JsValue> {
        self.send(stanza)
    }

    /// Adds a stanza handler: `handler(element)` is called for each matching
    /// stanza once connected; it stays while it returns `true`. Returns a
    /// reference for `deleteHandler`.
    #[allow(clippy::too_many_arguments)] // Strophe.js's signature, kept for porting
    #[wasm_bindgen(js_name = addHandler)]
    pub fn js_add_handler(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StanzaHandler")] handler: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] ns: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | string[] | null")] r#type: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] from: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "HandlerOptions")] options: JsValue,
    ) -> Result<f64, JsValue> {
        let handler = check::function(&handler, "Connection.addHandler: handler")?;
        let ns = check::opt_string(&ns, "Connection.addHandler: ns")?;
        let name = check::opt_string(&name, "Connection.addHandler: name")?;
        if !check::absent(&r#type) && r#type.as_string().is_none() {
            let ok = js_sys::Array::is_array(&r#type)
                && js_sys::Array::from(&r#type)
                    .iter()
                    .all(|t| t.as_string().is_some());
            if !ok {
                return Err(check::bad(
                    "Connection.addHandler: type",
                    "a string, an array of strings, null or undefined",
                    &r#type,
                    false,
                ));
            }
        }
        let id = check::opt_string(&id, "Connection.addHandler: id")?;
        let from = check::opt_string(&from, "Connection.addHandler: from")?;
        check::opt_object(&options, "Connection.addHandler: options")?;
        self.add_handler(handler, ns, name, r#type, id, from, options)
    }

    /// Removes a handler added with `addHandler`.
    #[wasm_bindgen(js_name = deleteHandler)]
    pub fn js_delete_handler(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] handler_ref: JsValue,
    ) -> Result<bool, JsValue> {
        let r = reference(&handler_ref, "Connection.deleteHandler: handlerRef")?;
        Ok(self.delete_handler(r))
    }

    /// Sends an IQ `get`/`set` and waits for its `result` (→ `callback(element)`)
    /// or `error` (→ `errback(element)`); after `timeout` milliseconds, or if
    /// the connection ends first, `errback(null)`. Returns the stanza id
    /// (generated when missing).
    #[wasm_bindgen(js_name = sendIQ)]
    pub fn js_send_iq(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Stanza")] stanza: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "((stanza: Element) => void) | null")]
        callback: JsValue,
        #[wasm_bindgen(
            unchecked_optional_param_type = "((stanza: Element | null) => void) | null"
        )]
        errback: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] timeout: JsValue,
    ) -> Result<String, JsValue> {
        self.tracked(
            "iq",
            "Connection.sendIQ",
            stanza,
            callback,
            errback,
            timeout,
        )
    }

    /// Promise form of `sendIQ`: resolves with the `result` element; rejects
    /// with a `StanzaError` (its `condition`, and the `stanza` element) on an
    /// `error` answer, a `TimeoutError` after `timeout` milliseconds, or a
    /// `DisconnectedError`. Throws what `sendIQ` throws.
    #[wasm_bindgen(js_name = sendIQAsync, unchecked_return_type = "Promise<Element>")]
    pub fn js_send_iq_async(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Stanza")] stanza: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] timeout: JsValue,
    ) -> Result<Promise, JsValue> {
        self.tracked_promise("iq", "Connection.sendIQAsync", stanza, timeout)
    }

    /// Sends a presence and waits for the presence answering it (same id):
    /// `callback(element)`, or `errback(element)` for `type='error'`, or
    /// `errback(null)` after `timeout` milliseconds. Returns the id.
    #[wasm_bindgen(js_name = sendPresence)]
    pub fn js_send_presence(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Stanza")] stanza: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "((stanza: Element) => void) | null")]
        callback: JsValue,
        #[wasm_bindgen(
            unchecked_optional_param_type = "((stanza: Element | null) => void) | null"
        )]
        errback: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] timeout: JsValue,
    ) -> Result<String, JsValue> {
        self.tracked(
            "presence",
            "Connection.sendPresence",
            stanza,
            callback,
            errback,
            timeout,
        )
    }

    /// Promise form of `sendPresence`, settled like `sendIQAsync`.
    #[wasm_bindgen(js_name = sendPresenceAsync, unchecked_return_type = "Promise<Element>")]
    pub fn js_send_presence_async(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Stanza")] stanza: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] timeout: JsValue,
    ) -> Result<Promise, JsValue> {
        self.tracked_promise("presence", "Connection.sendPresenceAsync", stanza, timeout)
    }

    /// Calls `handler()` every `period` milliseconds while it returns `true`.
    /// Returns a reference for `deleteTimedHandler`.
    #[wasm_bindgen(js_name = addTimedHandler)]
    pub fn js_add_timed_handler(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] period: JsValue,
        #[wasm_bindgen(unchecked_param_type = "() => boolean")] handler: JsValue,
    ) -> Result<f64, JsValue> {
        const WHAT: &str = "Connection.addTimedHandler: period";
        let period = check::opt_nonneg(&period, WHAT, MS)?
            .ok_or_else(|| check::bad(WHAT, MS, &period, false))?;
        let handler = check::function(&handler, "Connection.addTimedHandler: handler")?;
        self.add_timed_handler(period, handler)
    }

    /// Removes a timed handler.
    #[wasm_bindgen(js_name = deleteTimedHandler)]
    pub fn js_delete_timed_handler(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] handler_ref: JsValue,
    ) -> Result<bool, JsValue> {
        let r = reference(&handler_ref, "Connection.deleteTimedHandler: handlerRef")?;
        Ok(self.delete_timed_handler(r))
    }

    /// Binds a resource after the status BINDREQUIRED (with the option
    /// `explicitResourceBinding`); without `resource`, the one of the JID
    /// given to `connect`, or the server's choice.
    #[wasm_bindgen(js_name = bind)]
    pub fn js_bind(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] resource: JsValue,
    ) -> Result<(), JsValue> {
        self.bind(check::opt_string(&resource, "Connection.bind: resource")?)
    }

    /// Ends the session (an unavailable presence rides in the terminate
    /// body). Resolves once DISCONNECTED.
    #[wasm_bindgen(js_name = disconnect, unchecked_return_type = "Promise<void>")]
    pub fn js_disconnect(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] reason: JsValue,
    ) -> Result<Promise, JsValue> {
        let reason = check::opt_string(&reason, "Connection.disconnect: reason")?;
        Ok(self.disconnect(reason))
    }

    /// Stops sending new bodies; stanzas keep queueing.
    #[wasm_bindgen(js_name = pause)]
    pub fn js_pause(&self) {
        self.pause();
    }

    /// Sends what queued while paused.
    #[wasm_bindgen(js_name = resume)]
    pub fn js_resume(&self) {
        self.resume();
    }

    /// Sends queued stanzas now.
    #[wasm_bindgen(js_name = flush)]
    pub fn js_flush(&self) {
        self.flush();
    }

    /// The BOSH service URL (absolute; it changes after a `see-other-uri`
    /// redirect).
    #[wasm_bindgen(getter = service)]
    pub fn js_service(&self) -> String {
        self.service()
    }

    /// The JID: as given to `connect`, then the bound full JID.
    #[wasm_bindgen(getter = jid)]
    pub fn js_jid(&self) -> Option<String> {
        self.jid()
    }

    /// Whether the login completed.
    #[wasm_bindgen(getter = authenticated)]
    pub fn js_authenticated(&self) -> bool {
        self.authenticated()
    }

    /// Whether a session is open.
    #[wasm_bindgen(getter = connected)]
    pub fn js_connected(&self) -> bool {
        self.connected()
    }

    /// Whether sending is paused.
    #[wasm_bindgen(getter = paused)]
    pub fn js_paused(&self) -> bool {
        self.paused()
    }

    /// The SASL mechanism used by the login.
    #[wasm_bindgen(getter = mechanism)]
    pub fn js_mechanism(&self) -> Option<String> {
        self.mechanism()
    }

    /// The current status.
    #[wasm_bindgen(getter = status)]
    pub fn js_status(&self) -> Status {
        self.status()
    }

    /// Called with the text of every response body received.
    #[wasm_bindgen(getter = rawInput)]
    #[wasm_bindgen(unchecked_return_type = "((xml: string) => void) | undefined")]
    pub fn js_raw_input(&self) -> Option<Function> {
        self.raw_input()
    }

    /// Sets the `rawInput` hook (a function, or `null` to remove it).
    #[wasm_bindgen(setter = rawInput)]
    pub fn js_set_raw_input(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((xml: string) => void) | null")] f: JsValue,
    ) -> Result<(), JsValue> {
        self.set_raw_input(check::opt_function(&f, "Connection.rawInput")?);
        Ok(())
    }

    /// Called with the text of every request body sent.
    #[wasm_bindgen(getter = rawOutput)]
    #[wasm_bindgen(unchecked_return_type = "((xml: string) => void) | undefined")]
    pub fn js_raw_output(&self) -> Option<Function> {
        self.raw_output()
    }

    /// Sets the `rawOutput` hook (a function, or `null` to remove it).
    #[wasm_bindgen(setter = rawOutput)]
    pub fn js_set_raw_output(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((xml: string) => void) | null")] f: JsValue,
    ) -> Result<(), JsValue> {
        self.set_raw_output(check::opt_function(&f, "Connection.rawOutput")?);
        Ok(())
    }

    /// Called with every response `<body/>` received, as a DOM element (it
    /// costs a parse per body: set it only when needed).
    #[wasm_bindgen(getter = xmlInput)]
    #[wasm_bindgen(unchecked_return_type = "((body: Element) => void) | undefined")]
    pub fn js_xml_input(&self) -> Option<Function> {
        self.xml_input()
    }

    /// Sets the `xmlInput` hook (a function, or `null` to remove it).
    #[wasm_bindgen(setter = xmlInput)]
    pub fn js_set_xml_input(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((body: Element) => void) | null")] f: JsValue,
    ) -> Result<(), JsValue> {
        self.set_xml_input(check::opt_function(&f, "Connection.xmlInput")?);
        Ok(())
    }

    /// Called with every request `<body/>` sent, as a DOM element.
    #[wasm_bindgen(getter = xmlOutput)]
    #[wasm_bindgen(unchecked_return_type = "((body: Element) => void) | undefined")]
    pub fn js_xml_output(&self) -> Option<Function> {
        self.xml_output()
    }

    /// Sets the `xmlOutput` hook (a function, or `null` to remove it).
    #[wasm_bindgen(setter = xmlOutput)]
    pub fn js_set_xml_output(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((body: Element) => void) | null")] f: JsValue,
    ) -> Result<(), JsValue> {
        self.set_xml_output(check::opt_function(&f, "Connection.xmlOutput")?);
        Ok(())
    }

    /// Replaces the console as the destination of the library's messages:
    /// `log(level, message)` (`null` gives the console back).
    #[wasm_bindgen(setter = log)]
    pub fn js_set_log(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "((level: LogLevel, message: string) => void) | null"
        )]
        f: JsValue,
    ) -> Result<(), JsValue> {
        self.set_log(check::opt_function(&f, "Connection.log")?);
        Ok(())
    }

    /// Messages below this level are not logged (default `LogLevel.WARN`).
    #[wasm_bindgen(getter = logLevel)]
    pub fn js_log_level(&self) -> LogLevel {
        self.log_level()
    }

    /// Sets the threshold of `logLevel` (a `LogLevel`, 0 to 4).
    #[wasm_bindgen(setter = logLevel)]
    pub fn js_set_log_level(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LogLevel")] level: JsValue,
    ) -> Result<(), JsValue> {
        const WANT: &str = "a LogLevel (an integer from 0 to 4)";
        let level = check::opt_uint(&level, "Connection.logLevel", WANT, 4.0)?
            .ok_or_else(|| check::bad("Connection.logLevel", WANT, &level, false))?;
        self.set_log_level(match level as u8 {
            0 => LogLevel::DEBUG,
            1 => LogLevel::INFO,
            2 => LogLevel::WARN,
            3 => LogLevel::ERROR,
            _ => LogLevel::FATAL,
        });
        Ok(())
    }
}

impl Connection {
    /// sendIQ/sendPresence with checked callbacks and timeout.
    fn tracked(
        &self,
        kind: &'static str,
        method: &str,
        stanza: JsValue,
        callback: JsValue,
        errback: JsValue,
        timeout: JsValue,
    ) -> Result<String, JsValue> {
        let waiting = Waiting {
            callback: check::opt_function(&callback, &check::cat(&[method, ": callback"]))?,
            errback: check::opt_function(&errback, &check::cat(&[method, ": errback"]))?,
            promise: None,
        };
        let timeout = check::opt_nonneg(&timeout, &check::cat(&[method, ": timeout"]), MS)?;
        self.track(kind, method, &stanza, timeout, waiting)
    }

    /// sendIQAsync/sendPresenceAsync: what sendIQ would throw is thrown.
    fn tracked_promise(
        &self,
        kind: &'static str,
        method: &str,
        stanza: JsValue,
        timeout: JsValue,
    ) -> Result<Promise, JsValue> {
        let timeout = check::opt_nonneg(&timeout, &check::cat(&[method, ": timeout"]), MS)?;
        let mut slot = None;
        let promise = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
        let waiting = Waiting {
            callback: None,
            errback: None,
            promise: slot,
        };
        self.track(kind, method, &stanza, timeout, waiting)?;
        Ok(promise)
    }
}
