//! Reading the answer of a prebind service: the tokens of an authenticated
//! BOSH session opened on the page's behalf.
//!
//! Two formats are in use: a BOSH-like `<body sid=… rid=…>` carrying the bind
//! result `<jid>` (where `rid` is the last rid the service used, so the page
//! continues at `rid + 1`), and JSON `{"jid", "sid", "rid"}` (where `rid` is
//! the next rid to use). On a cluster, the JSON form may name the node that
//! bound the session: `"url"` (the XML form cannot).

use crate::json::{self, Value};
use crate::xml;

/// The tokens needed by [`super::Connection::attach`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrebindTokens {
    /// The bound full JID.
    pub jid: String,
    /// The BOSH session id.
    pub sid: String,
    /// The next rid to use.
    pub rid: u64,
    /// The BOSH URL of the node that bound the session (JSON `"url"`), when
    /// the answer names it.
    pub url: Option<String>,
}

/// Parses a prebind service's answer, JSON or XML (told apart by the first
/// non-blank character). The error says what is wrong.
pub fn parse_prebind_response(text: &str) -> Result<PrebindTokens, String> {
    let t = text.trim_start();
    let tokens = if t.starts_with('{') {
        let j = json::parse(t).map_err(|e| String::from("invalid JSON: ") + e.what())?;
        let field = |k: &'static str| {
            json::field_str(&j, k).map_err(|_| String::from("no string ") + k + " in the JSON")
        };
        let rid = match j.get("rid") {
            Some(Value::Int(n)) => Some(*n),
            Some(Value::Str(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or("rid is not a positive integer")?;
        let url = match j.get("url") {
            None | Some(Value::Null) => None,
            Some(Value::Str(u)) if !u.is_empty() => Some(u.clone()),
            Some(_) => return Err("url is not a non-empty string".into()),
        };
        PrebindTokens {
            jid: field("jid")?,
            sid: field("sid")?,
            rid,
            url,
        }
    } else {
        let body = xml::parse(t).map_err(|e| format!("not XML: {e}"))?;
        if body.local_name() != "body" {
            return Err("expected a <body/>".into());
        }
        let sid = body.attr("sid").ok_or("no sid attribute")?.to_owned();
        let last: u64 = body
            .attr("rid")
            .and_then(|r| r.trim().parse().ok())
            .ok_or("no numeric rid attribute")?;
        let jid = find_jid(&body).ok_or("no <jid/> in the bind result")?;
        PrebindTokens {
            jid,
            sid,
            rid: last.checked_add(1).ok_or("rid out of range")?,
            url: None,
        }
    };
    if tokens.sid.is_empty() || tokens.jid.is_empty() {
        return Err("empty jid or sid".into());
    }
    if tokens.rid == 0 || tokens.rid > crate::bosh::MAX_RID {
        return Err("rid out of range".into());
    }
    Ok(tokens)
}

fn find_jid(el: &xml::Element) -> Option<String> {
    let mut stack = vec![el];
    while let Some(e) = stack.pop() {
        if e.local_name() == "jid" {
            return Some(e.text().trim().to_owned());
        }
        stack.extend(e.elements());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_form_continues_at_rid_plus_one() {
        let t = parse_prebind_response(
            "<body xmlns='http://jabber.org/protocol/httpbind' sid='892e' rid='2219367495'>\
             <iq xmlns='jabber:client' id='_bind_auth_2' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
             <jid>2272@guest.example.com/3743</jid></bind></iq></body>",
        )
        .unwrap();
        assert_eq!(
            t,
            PrebindTokens {
                jid: "2272@guest.example.com/3743".into(),
                sid: "892e".into(),
                rid: 2219367496,
                url: None,
            }
        );
    }

    #[test]
    fn json_form_takes_rid_as_given() {
        let t = parse_prebind_response(r#"{"jid":"alice@localhost/web","sid":"a1","rid":1048576}"#)
            .unwrap();
        assert_eq!(t.rid, 1048576);
        let s = parse_prebind_response(r#"{"jid":"a@b/c","sid":"a1","rid":"77"}"#).unwrap();
        assert_eq!((s.rid, s.url), (77, None));
        let n =
            parse_prebind_response(r#"{"jid":"a@b/c","sid":"a1","rid":7,"url":"https://n2/b"}"#)
                .unwrap();
        assert_eq!(n.url.as_deref(), Some("https://n2/b"));
    }

    #[test]
    fn invalid_answers_are_errors() {
        for bad in [
            "",
            "<html>502</html>",
            "<body sid='x'/>",
            "<body sid='x' rid='5'/>",
            r#"{"jid":"a@b/c","sid":"s"}"#,
            r#"{"jid":"a@b/c","sid":"s","rid":-1}"#,
            r#"{"jid":"","sid":"s","rid":5}"#,
            r#"{"jid":"a@b/c","sid":"s","rid":9007199254740993}"#,
            r#"{"jid":"a@b/c","sid":"s","rid":5,"url":5}"#,
            r#"{"jid":"a@b/c","sid":"s","rid":5,"url":""}"#,
        ] {
            assert!(parse_prebind_response(bad).is_err(), "{bad:?}");
        }
    }
}
