//! Settings of a BOSH session.

use super::{BoshError, KeySeed};
use std::time::Duration;

/// The default `Content-Type` of requests, and the default `content`
/// attribute (the `Content-Type` asked for responses): XEP-0124 §5, §7.1.
pub const DEFAULT_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// Settings of a BOSH session, fixed when it is created.
#[derive(Clone, Debug)]
pub struct Config {
    /// The connection manager's URL.
    pub url: String,
    /// The domain of the XMPP service (`to`), whichever node `url` is.
    pub to: String,
    /// `xml:lang` of the session.
    pub lang: String,
    /// The longest time (seconds) the server may hold a request (`wait`).
    pub wait: u32,
    /// How many requests the server may hold at once (`hold`); 1 is right
    /// for a browser, 0 asks for a polling session.
    pub hold: u32,
    /// Optional `route` attribute (`xmpp:host:port`) for a proxy connection
    /// manager. Sent as given: it is not a URI (XEP-0124 §7.1).
    pub route: Option<String>,
    /// Optional `from` attribute (the user's bare JID).
    pub from: Option<String>,
    /// `Content-Type` header of the requests (default
    /// `text/xml; charset=utf-8`; `text/plain` avoids the CORS preflight).
    pub content_type: String,
    /// The `content` attribute of the creation request: the `Content-Type`
    /// the connection manager must put on its responses (default
    /// `text/xml; charset=utf-8`).
    pub response_content_type: String,
    /// Largest response body accepted, in bytes; a larger one ends the session
    /// with the condition `response-too-large`. The shell should compare the
    /// `Content-Length` header with it before reading the body, and call
    /// [`super::Session::handle_oversized_response`] instead.
    pub max_body_size: usize,
    /// How many times one request is resent after a network error, HTTP 5xx or
    /// timeout before the session is declared lost.
    pub max_retries: u32,
    /// Optional delay to coalesce stanzas before a body leaves. `None` (the
    /// default) sends as soon as the caller drains the outputs.
    pub idle_interval: Option<Duration>,
    /// How long to wait for the answer to the terminate request, counted from
    /// the first [`super::Session::poll_transmit`] after `terminate()`.
    pub terminate_timeout: Duration,
    /// How long a new request waits after the previous one left while that
    /// one is unanswered, so that it reaches the server first. Two requests
    /// on the wire travel on two HTTP connections and can arrive in either
    /// order; ejabberd (23.01) then processes the early one only once the
    /// other is answered with payloads — not while that is a long poll held
    /// empty (nor when it answers it empty at `wait`), so its stanzas wait
    /// until something arrives for the client. Default 100 ms; zero
    /// sends at once. Applies to the request after
    /// [`super::Session::space_next_request`] only (the connection calls it
    /// when it reports CONNECTED, together with
    /// [`super::Session::defer_long_poll`]: what the application sends in
    /// its reaction, in the same task, leaves at once and alone, so only a
    /// reaction in a later task, after the poll left, can wait). Only queued
    /// stanzas wait: resends, the pause request (it leaves from a page that
    /// is going away) and the terminate request do not; the long poll and a
    /// restart leave only when nothing is unanswered.
    pub request_spacing: Duration,
    /// Send credentials (cookies, HTTP authentication) with cross-origin
    /// requests (`fetch(..., {credentials: 'include'})`).
    pub with_credentials: bool,
    /// Extra HTTP request headers, sent with every request. Checked by
    /// [`Config::validate`]: names must be HTTP tokens and not ones the
    /// browser forbids or the session sets itself (`Content-Type`).
    pub custom_headers: Vec<(String, String)>,
    /// Use response acknowledgements (XEP-0124 §9.2): `ack='1'` in the
    /// creation request, and `ack` on later requests while an earlier one is
    /// unanswered, so the connection manager can `report` a lost response.
    /// Default on.
    pub ack: bool,
    /// While [`super::Session::pause`]d, and nothing is held by the
    /// connection manager, send one empty request before the `inactivity`
    /// period (or the requested pause) runs out, so that the server does not
    /// drop the session (XEP-0124 §10, a MUST). The queue stays held. Default
    /// on; off means the application accepts that a long pause ends the
    /// session.
    pub keepalive_while_paused: bool,
    /// Allow [`super::Session::redirected`] to continue at a `see-other-uri`
    /// target (within the rules of [`super::check_redirect`]). Default on.
    pub follow_redirects: bool,
    /// Use the optional key sequencing of XEP-0124 §15 (for plain `http:`
    /// connection managers). Default off.
    pub keys: Option<KeySeed>,
}

/// Request headers the browser does not let a page set (Fetch standard), and
/// the one the session sets itself.
const FORBIDDEN_HEADERS: &[&str] = &[
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "content-type",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl Config {
    /// A configuration with the defaults: `wait` 60, `hold` 1, `xml:lang` en,
    /// `text/xml; charset=utf-8`, 4 MiB bodies, 5 retries, acks on, no custom
    /// headers, no credentials, no keys.
    pub fn new(url: impl Into<String>, to: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            to: to.into(),
            lang: "en".into(),
            wait: 60,
            hold: 1,
            route: None,
            from: None,
            content_type: DEFAULT_CONTENT_TYPE.into(),
            response_content_type: DEFAULT_CONTENT_TYPE.into(),
            max_body_size: 4 * 1024 * 1024,
            max_retries: 5,
            idle_interval: None,
            terminate_timeout: Duration::from_secs(5),
            request_spacing: Duration::from_millis(100),
            with_credentials: false,
            custom_headers: Vec::new(),
            ack: true,
            keepalive_while_paused: true,
            follow_redirects: true,
            keys: None,
        }
    }

    /// Time after which an unanswered request counts as lost, for this
    /// configuration's `wait` (see [`timeout_for_wait`]).
    pub fn request_timeout(&self) -> Duration {
        timeout_for_wait(self.wait)
    }

    /// Checks what a bad option would otherwise break later: the URL is not
    /// empty and has no whitespace (a relative URL is fine for `fetch`, but
    /// the shell should resolve it first so that the `see-other-uri` rules see
    /// its scheme), `content_type` is one header value, and every
    /// custom header has a valid name (not forbidden) and a value without
    /// line breaks. [`super::Session::start`] runs it too and ends the session
    /// with `bad-config` on error; call it first to report the error at once.
    pub fn validate(&self) -> Result<(), BoshError> {
        let bad_url =
            |u: &str| u.is_empty() || u.chars().any(|c| c.is_whitespace() || c.is_control());
        if bad_url(&self.url) {
            return Err(BoshError::InvalidConfig("url"));
        }
        if !valid_value(&self.content_type) || self.content_type.trim().is_empty() {
            return Err(BoshError::InvalidConfig("content_type"));
        }
        for (name, value) in &self.custom_headers {
            let lname = name.to_ascii_lowercase();
            if name.is_empty()
                || !name.bytes().all(is_token_char)
                || FORBIDDEN_HEADERS.contains(&lname.as_str())
                || lname.starts_with("proxy-")
                || lname.starts_with("sec-")
                || !valid_value(value)
            {
                return Err(BoshError::InvalidHeader(name.clone()));
            }
        }
        Ok(())
    }
}

/// An unusable URL: empty, or with whitespace or control characters.
pub(super) fn bad_url(u: &str) -> bool {
    u.is_empty() || u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A header value: no NUL, CR or LF.
fn valid_value(v: &str) -> bool {
    !v.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n'))
}

/// Time after which an unanswered request counts as lost: 1.1 × `wait`
/// (XEP-0124 leaves the margin to the client) plus 2 s for the network.
pub fn timeout_for_wait(wait: u32) -> Duration {
    Duration::from_millis(u64::from(wait).saturating_mul(1100).saturating_add(2000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked() {
        let mut c = Config::new("https://cm.example/bosh", "example.com");
        assert_eq!(c.validate(), Ok(()));
        c.custom_headers = vec![("X-Token".into(), "abc".into())];
        assert_eq!(c.validate(), Ok(()));
        for (n, v) in [
            ("Content-Type", "text/plain"),
            ("Cookie", "a=b"),
            ("Sec-Fetch-Mode", "x"),
            ("Proxy-Authorization", "x"),
            ("Bad Name", "x"),
            ("", "x"),
            ("X-Inject", "a\r\nHost: evil"),
        ] {
            c.custom_headers = vec![(n.into(), v.into())];
            assert_eq!(c.validate(), Err(BoshError::InvalidHeader(n.into())), "{n}");
        }
        c.custom_headers.clear();
        c.url = "http://x y".into();
        assert!(c.validate().is_err());
    }
}
