//! Reading a BOSH `<body/>` response (XEP-0124 §6, XEP-0206 §2).

use super::{Config, SessionParams};
use crate::ns;
use crate::xml::{self, Element};

/// A response `<body/>`, read but not yet acted upon.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedBody {
    /// The whole `<body/>` element, without its children.
    pub body: Element,
    /// `type` attribute (`terminate`, `error`), if any.
    pub kind: Option<String>,
    /// `sid` attribute, if any.
    pub sid: Option<String>,
    /// The payloads it carries, each namespace-complete. `<message/>`,
    /// `<presence/>` and `<iq/>` left in the BOSH namespace (XEP-0206 §2 notes
    /// that many connection managers do not qualify them) are moved to
    /// `jabber:client`.
    pub stanzas: Vec<Element>,
}

/// Parses a response body. The error is a condition string: `bad-format`
/// when the text is not one well-formed `<body/>` of the BOSH namespace.
/// Character data between the payloads (pretty-printing) is ignored.
pub fn parse_body(text: &str) -> Result<ParsedBody, &'static str> {
    let mut body = xml::parse(text).map_err(|_| "bad-format")?;
    if body.local_name() != "body" || body.ns() != Some(ns::HTTPBIND) {
        return Err("bad-format");
    }
    let children = std::mem::take(&mut body.children);
    let mut stanzas = Vec::with_capacity(children.len());
    for node in children {
        if let xml::Node::Element(mut e) = node {
            if e.ns() == Some(ns::HTTPBIND)
                && matches!(e.name.as_str(), "message" | "presence" | "iq")
            {
                e.set_attr("xmlns", ns::CLIENT);
            }
            stanzas.push(e);
        }
    }
    Ok(ParsedBody {
        kind: body.attr("type").map(str::to_owned),
        sid: body.attr("sid").map(str::to_owned),
        body,
        stanzas,
    })
}

/// A numeric attribute: `None` when absent or not a plain decimal number
/// (surrounding whitespace allowed).
fn number<T: TryFrom<u64>>(b: &Element, name: &str) -> Option<T> {
    T::try_from(number_u64(b, name)?).ok()
}

/// [`number`] as a `u64`: the one copy of the parsing in the wasm.
fn number_u64(b: &Element, name: &str) -> Option<u64> {
    let v = b.attr(name)?.trim();
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

impl ParsedBody {
    /// An empty answer: no attributes, no payload.
    pub fn empty() -> Self {
        ParsedBody {
            body: Element::new("body").with_attr("xmlns", ns::HTTPBIND),
            kind: None,
            sid: None,
            stanzas: Vec::new(),
        }
    }

    /// The value of an attribute qualified by the XEP-0206 namespace
    /// `urn:xmpp:xbosh` (`version`, `restartlogic`), whatever prefix the
    /// server bound to it.
    pub fn xbosh_attr(&self, local: &str) -> Option<&str> {
        let prefix = self
            .body
            .attrs
            .iter()
            .find_map(|(k, v)| k.strip_prefix("xmlns:").filter(|_| v == ns::XBOSH))?;
        self.body.attrs.iter().find_map(|(k, v)| {
            let (p, l) = k.split_once(':')?;
            (p == prefix && l == local).then_some(v.as_str())
        })
    }

    /// `ack`: the highest rid the connection manager received with all lower
    /// ones (XEP-0124 §9.1).
    pub fn ack(&self) -> Option<u64> {
        number(&self.body, "ack")
    }

    /// `report`: the rid whose response the connection manager believes we
    /// missed (XEP-0124 §9.2).
    pub fn report(&self) -> Option<u64> {
        number(&self.body, "report")
    }

    /// `time`: milliseconds since the connection manager sent the response
    /// to the `report` rid.
    pub fn time_ms(&self) -> Option<u64> {
        number(&self.body, "time")
    }

    /// The `condition` attribute, if any.
    pub fn condition(&self) -> Option<&str> {
        self.body.attr("condition")
    }

    /// The text of the `<uri/>` child of a `see-other-uri` body.
    pub fn uri(&self) -> Option<String> {
        self.stanzas
            .iter()
            .find(|e| e.local_name() == "uri" && matches!(e.ns(), None | Some(ns::HTTPBIND)))
            .map(|e| e.text().trim().to_owned())
    }

    /// The condition of a `type='terminate'` body: its `condition` attribute,
    /// `conflict` for a `remote-stream-error` carrying `<conflict/>`, or
    /// `unknown` when the server gave none.
    pub fn terminate_condition(&self) -> String {
        let cond = self.condition().unwrap_or("unknown");
        if cond == "remote-stream-error" {
            let conflict = self.stanzas.iter().any(|s| {
                s.local_name() == "error" && s.elements().any(|c| c.local_name() == "conflict")
            });
            if conflict {
                return "conflict".into();
            }
        }
        cond.to_owned()
    }

    /// Reads the session-creation attributes (XEP-0124 §7.2, XEP-0206 §4).
    ///
    /// `sid` is required (else `bad-format`). Numeric attributes that are
    /// missing or not plain numbers fall back: `wait` and `hold` to what we
    /// asked, `requests` to `hold + 1` (the recommended value; a server that
    /// omits it allows any number), the others to "not advertised".
    /// `secure` and `charsets` are ignored.
    pub fn session_params(&self, config: &Config) -> Result<SessionParams, &'static str> {
        let b = &self.body;
        let sid = b
            .attr("sid")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or("bad-format")?;
        let hold = number(b, "hold").unwrap_or(config.hold);
        Ok(SessionParams {
            sid: sid.to_owned(),
            // §7.2: the server's `wait` "MUST be less than or equal to" ours;
            // a higher one is not trusted (it would set the request timeout).
            wait: number(b, "wait").map_or(config.wait, |w: u32| w.min(config.wait)),
            requests: number(b, "requests")
                .unwrap_or(hold.saturating_add(1))
                .max(1),
            hold,
            polling: number(b, "polling"),
            inactivity: number(b, "inactivity"),
            maxpause: number(b, "maxpause"),
            ver: b.attr("ver").map(|v| v.trim().to_owned()),
            restart_logic: self.xbosh_attr("restartlogic") == Some("true"),
            ack: number(b, "ack"),
            accept: b.attr("accept").map(str::to_owned),
            from: b.attr("from").map(str::to_owned),
            authid: b.attr("authid").map(str::to_owned),
            xmpp_version: self.xbosh_attr("version").map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple() {
        let p = parse_body(
            "<body xmlns='http://jabber.org/protocol/httpbind' ack='7' report='5' time='852'>\n  \
             <message to='a@b'><body>hi</body></message>\n</body>",
        )
        .unwrap();
        assert_eq!(p.stanzas.len(), 1, "whitespace between payloads is ignored");
        assert_eq!(p.stanzas[0].ns(), Some(ns::CLIENT), "XEP-0206 §2 note");
        assert_eq!(
            (p.ack(), p.report(), p.time_ms()),
            (Some(7), Some(5), Some(852))
        );
    }

    #[test]
    fn serialise_keeps_other_namespaces() {
        let p = parse_body(
            "<body xmlns='http://jabber.org/protocol/httpbind' \
             xmlns:stream='http://etherx.jabber.org/streams'><stream:features/>\
             <json:json xmlns:json='http://json.org/'>[]</json:json></body>",
        )
        .unwrap();
        assert_eq!(
            p.stanzas[0].to_xml(),
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>"
        );
        assert_eq!(p.stanzas[1].ns(), None);
    }

    #[test]
    fn invalid() {
        for t in [
            "",
            "<body/>",
            "<body xmlns='x'/>",
            "<b xmlns='http://jabber.org/protocol/httpbind'/>",
        ] {
            assert_eq!(parse_body(t), Err("bad-format"), "{t:?}");
        }
    }

    #[test]
    fn xbosh_attributes_follow_the_declared_prefix() {
        let p = parse_body(
            "<body xmlns='http://jabber.org/protocol/httpbind' sid='s' \
             xmlns:x='urn:xmpp:xbosh' x:restartlogic='true' x:version='1.0'/>",
        )
        .unwrap();
        let params = p.session_params(&Config::new("u", "d")).unwrap();
        assert!(params.restart_logic);
        assert_eq!(params.xmpp_version.as_deref(), Some("1.0"));
    }
}
