//! XEP-0156 discovery of the connection endpoints of a domain, sans-IO: the
//! shell fetches `https://DOMAIN/.well-known/host-meta.json` (or
//! `host-meta`, XRD XML) and hands the text here; out come the WebSocket
//! and BOSH URLs the document lists, in its order.
//!
//! The document is untrusted input: it is parsed with the bounded parsers
//! of `src/json.rs` and `src/xml`, at most [`MAX_DOCUMENT`] bytes are read,
//! at most [`MAX_LINKS`] URLs of each kind are kept, each at most
//! [`MAX_HREF`] bytes, and a URL of the wrong scheme for its relation is
//! skipped (a WebSocket link must be `ws://`/`wss://`, a BOSH link
//! `http://`/`https://`).

use crate::json::{self, Value};
use crate::websocket;
use crate::xml;

/// XEP-0156 link relation of a WebSocket endpoint (RFC 7395).
pub const REL_WEBSOCKET: &str = "urn:xmpp:alt-connections:websocket";
/// XEP-0156 link relation of a BOSH endpoint (XEP-0206).
pub const REL_BOSH: &str = "urn:xmpp:alt-connections:xbosh";
/// The XRD namespace of the XML form (RFC 6415).
pub const XRD: &str = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

/// The largest document read, in bytes.
pub const MAX_DOCUMENT: usize = 64 * 1024;
/// The most URLs kept per transport.
pub const MAX_LINKS: usize = 16;
/// The longest URL kept, in bytes.
pub const MAX_HREF: usize = 2048;

/// The endpoints a host-meta document lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// WebSocket URLs, in the document's order.
    pub websocket: Vec<String>,
    /// BOSH URLs, in the document's order.
    pub bosh: Vec<String>,
}

/// Why a document could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// Larger than [`MAX_DOCUMENT`].
    #[error("host-meta document too large")]
    TooLarge,
    /// Not JSON with a `links` array / not an XRD document.
    #[error("not a host-meta document")]
    Malformed,
}

impl DiscoveryError {
    /// `policy-violation` or `bad-format`.
    pub fn condition(self) -> &'static str {
        match self {
            DiscoveryError::TooLarge => "policy-violation",
            DiscoveryError::Malformed => "bad-format",
        }
    }
}

impl Endpoints {
    fn add(&mut self, rel: &str, href: &str) {
        let href = href.trim();
        if href.is_empty() || href.len() > MAX_HREF {
            return;
        }
        let lower = |n: usize| href.get(..n).map(str::to_ascii_lowercase);
        let http =
            lower(7).as_deref() == Some("http://") || lower(8).as_deref() == Some("https://");
        let list = match rel {
            REL_WEBSOCKET if websocket::is_ws_url(href) => &mut self.websocket,
            REL_BOSH if http => &mut self.bosh,
            _ => return,
        };
        if list.len() < MAX_LINKS && !list.iter().any(|h| h == href) {
            list.push(href.to_owned());
        }
    }

    /// Reads `host-meta.json` (RFC 6415 JRD: `{"links": [{"rel", "href"}]}`).
    pub fn from_json(text: &str) -> Result<Endpoints, DiscoveryError> {
        if text.len() > MAX_DOCUMENT {
            return Err(DiscoveryError::TooLarge);
        }
        let doc = json::parse(text).map_err(|_| DiscoveryError::Malformed)?;
        let links = doc
            .get("links")
            .and_then(Value::as_array)
            .ok_or(DiscoveryError::Malformed)?;
        let mut out = Endpoints::default();
        for link in links {
            if let (Some(rel), Some(href)) = (
                link.get("rel").and_then(Value::as_str),
                link.get("href").and_then(Value::as_str),
            ) {
                out.add(rel, href);
            }
        }
        Ok(out)
    }

    /// Reads `host-meta` (XRD: `<XRD><Link rel href/></XRD>`).
    pub fn from_xml(text: &str) -> Result<Endpoints, DiscoveryError> {
        if text.len() > MAX_DOCUMENT {
            return Err(DiscoveryError::TooLarge);
        }
        let root = xml::parse_standalone(text).map_err(|_| DiscoveryError::Malformed)?;
        if root.local_name() != "XRD" || root.ns() != Some(XRD) {
            return Err(DiscoveryError::Malformed);
        }
        let mut out = Endpoints::default();
        for link in root.elements().filter(|e| e.local_name() == "Link") {
            if let (Some(rel), Some(href)) = (link.attr("rel"), link.attr("href")) {
                out.add(rel, href);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_xml_forms() {
        let j = r#"{"links":[
            {"rel":"urn:xmpp:alt-connections:xbosh","href":"https://example.com/http-bind"},
            {"rel":"urn:xmpp:alt-connections:websocket","href":"wss://example.com/xmpp-websocket"},
            {"rel":"urn:xmpp:alt-connections:websocket","href":"https://wrong.example/"},
            {"rel":"urn:xmpp:alt-connections:xbosh","href":"wss://wrong.example/"},
            {"rel":"lrdd","template":"https://example.com/webfinger?r={uri}"}]}"#;
        let e = Endpoints::from_json(j).unwrap();
        assert_eq!(e.websocket, ["wss://example.com/xmpp-websocket"]);
        assert_eq!(e.bosh, ["https://example.com/http-bind"]);
        let x = "<?xml version='1.0'?><XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\
                 <Link rel='urn:xmpp:alt-connections:websocket' href='wss://example.com/ws'/>\
                 <Link rel='urn:xmpp:alt-connections:xbosh' href='https://example.com/bosh'/>\
                 </XRD>";
        let e = Endpoints::from_xml(x).unwrap();
        assert_eq!(e.websocket, ["wss://example.com/ws"]);
        assert_eq!(e.bosh, ["https://example.com/bosh"]);
    }

    #[test]
    fn hostile_documents() {
        assert_eq!(Endpoints::from_json("[]"), Err(DiscoveryError::Malformed));
        assert_eq!(Endpoints::from_json("{"), Err(DiscoveryError::Malformed));
        assert_eq!(
            Endpoints::from_xml("<XRD xmlns='other'/>"),
            Err(DiscoveryError::Malformed)
        );
        let big = " ".repeat(MAX_DOCUMENT + 1);
        assert_eq!(Endpoints::from_json(&big), Err(DiscoveryError::TooLarge));
        let many: Vec<String> = (0..100)
            .map(|i| {
                format!(r#"{{"rel":"urn:xmpp:alt-connections:websocket","href":"wss://h{i}/"}}"#)
            })
            .collect();
        let e = Endpoints::from_json(&format!(r#"{{"links":[{}]}}"#, many.join(","))).unwrap();
        assert_eq!(e.websocket.len(), MAX_LINKS);
        let long = format!(
            r#"{{"links":[{{"rel":"urn:xmpp:alt-connections:websocket","href":"wss://{}"}}]}}"#,
            "a".repeat(MAX_HREF)
        );
        assert!(Endpoints::from_json(&long).unwrap().websocket.is_empty());
    }
}
