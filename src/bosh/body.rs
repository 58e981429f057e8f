//! Reading a BOSH `<body/>` response.

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
    /// The stanzas it carries, each namespace-complete.
    pub stanzas: Vec<Element>,
}

/// Parses a response body. The error is a condition string: `bad-format`
/// when the text is not one well-formed `<body/>` of the BOSH namespace.
pub fn parse_body(text: &str) -> Result<ParsedBody, &'static str> {
    let mut body = xml::parse(text).map_err(|_| "bad-format")?;
    if body.local_name() != "body" || body.ns() != Some(ns::HTTPBIND) {
        return Err("bad-format");
    }
    let stanzas = std::mem::take(&mut body.children)
        .into_iter()
        .filter_map(|n| match n {
            xml::Node::Element(e) => Some(e),
            xml::Node::Text(_) => None,
        })
        .collect();
    Ok(ParsedBody {
        kind: body.attr("type").map(str::to_owned),
        sid: body.attr("sid").map(str::to_owned),
        body,
        stanzas,
    })
}

impl ParsedBody {
    /// The condition of a `type='terminate'` body: its `condition` attribute,
    /// `conflict` for a `remote-stream-error` carrying `<conflict/>`, or
    /// `unknown` when the server gave none.
    pub fn terminate_condition(&self) -> String {
        let cond = self.body.attr("condition").unwrap_or("unknown");
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

    /// Reads the session-creation attributes (XEP-0124 §7.1, XEP-0206 §5).
    pub fn session_params(&self, config: &Config) -> Result<SessionParams, &'static str> {
        let b = &self.body;
        let sid = b
            .attr("sid")
            .filter(|s| !s.is_empty())
            .ok_or("bad-format")?;
        let num = |name: &str| -> Result<Option<u32>, &'static str> {
            match b.attr(name) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u32>().map(Some).map_err(|_| "bad-format"),
            }
        };
        let restart_logic = b
            .attrs
            .iter()
            .any(|(k, v)| k.ends_with(":restartlogic") && v == "true");
        Ok(SessionParams {
            sid: sid.to_owned(),
            wait: num("wait")?.unwrap_or(config.wait),
            // A server that omits `requests` allows hold + 1 (XEP-0124 §7.1).
            requests: num("requests")?.unwrap_or(config.hold + 1).max(1),
            hold: num("hold")?.unwrap_or(config.hold),
            polling: num("polling")?,
            inactivity: num("inactivity")?,
            maxpause: num("maxpause")?,
            ver: b.attr("ver").map(str::to_owned),
            restart_logic,
        })
    }
}
