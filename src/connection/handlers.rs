//! Stanza handlers: which stanzas a handler wants (Strophe.js semantics), and
//! a table of handlers generic over the callback type, so the web shell can
//! store JavaScript functions and native code can store closures.

use crate::jid::get_bare_jid_from_jid;
use crate::xml::Element;

/// What a handler matches. Every field that is `Some` must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matcher {
    /// Namespace of the stanza or of one of its children.
    pub ns: Option<String>,
    /// Element name (`message`, `iq`, `presence`, ...).
    pub name: Option<String>,
    /// Accepted values of the `type` attribute (any of them).
    pub types: Option<Vec<String>>,
    /// `id` attribute.
    pub id: Option<String>,
    /// `from` attribute (full JID, or bare with `match_bare_from_jid`).
    pub from: Option<String>,
    /// Compare only the bare JID of `from`.
    pub match_bare_from_jid: bool,
    /// Ignore a `#fragment` of namespaces when comparing.
    pub ignore_namespace_fragment: bool,
}

impl Matcher {
    /// Whether `stanza` satisfies every condition.
    pub fn matches(&self, stanza: &Element) -> bool {
        if let Some(ns) = &self.ns {
            let want = self.strip(ns);
            let own = stanza.ns().map(|n| self.strip(n) == want).unwrap_or(false);
            let child = stanza
                .elements()
                .any(|c| c.ns().map(|n| self.strip(n) == want).unwrap_or(false));
            if !own && !child {
                return false;
            }
        }
        if let Some(name) = &self.name {
            if stanza.name != *name && stanza.local_name() != name {
                return false;
            }
        }
        if let Some(types) = &self.types {
            match stanza.attr("type") {
                Some(t) if types.iter().any(|x| x == t) => {}
                _ => return false,
            }
        }
        if let Some(id) = &self.id {
            if stanza.attr("id") != Some(id.as_str()) {
                return false;
            }
        }
        if let Some(from) = &self.from {
            let got = stanza.attr("from").unwrap_or("");
            let ok = if self.match_bare_from_jid {
                get_bare_jid_from_jid(got) == get_bare_jid_from_jid(from)
            } else {
                got == from
            };
            if !ok {
                return false;
            }
        }
        true
    }

    fn strip<'a>(&self, ns: &'a str) -> &'a str {
        if self.ignore_namespace_fragment {
            ns.split('#').next().unwrap_or(ns)
        } else {
            ns
        }
    }
}

/// Identifies a handler in a [`Handlers`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerId(pub u64);

/// A table of handlers, in the order they were added.
#[derive(Debug)]
pub struct Handlers<F> {
    next: u64,
    list: Vec<(HandlerId, Matcher, F)>,
}

impl<F> Default for Handlers<F> {
    fn default() -> Self {
        Handlers {
            next: 1,
            list: Vec::new(),
        }
    }
}

impl<F: Clone> Handlers<F> {
    /// Adds a handler; it stays until removed.
    pub fn add(&mut self, matcher: Matcher, f: F) -> HandlerId {
        let id = HandlerId(self.next);
        self.next += 1;
        self.list.push((id, matcher, f));
        id
    }

    /// Whether the handler is still registered.
    pub fn contains(&self, id: HandlerId) -> bool {
        self.list.iter().any(|(h, _, _)| *h == id)
    }

    /// Removes a handler; `false` when it was not there.
    pub fn remove(&mut self, id: HandlerId) -> bool {
        let before = self.list.len();
        self.list.retain(|(h, _, _)| *h != id);
        self.list.len() != before
    }

    /// The handlers that match `stanza`, in order. The caller invokes them
    /// without holding any borrow of the table and removes those that ask
    /// to be removed.
    pub fn matching(&self, stanza: &Element) -> Vec<(HandlerId, F)> {
        let mut out = Vec::new();
        for (id, m, f) in &self.list {
            if m.matches(stanza) {
                out.push((*id, f.clone()));
            }
        }
        out
    }

    /// Number of handlers.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The `service-unavailable` error reply an unhandled IQ `get`/`set` deserves
/// (RFC 6120 §8.4); `None` for anything else.
pub fn unhandled_iq_reply(stanza: &Element) -> Option<Element> {
    if stanza.local_name() != "iq" || !matches!(stanza.attr("type"), Some("get" | "set")) {
        return None;
    }
    let mut reply = Element::new("iq")
        .with_attr("xmlns", crate::ns::CLIENT)
        .with_attr("type", "error")
        .with_attr("id", stanza.attr("id").unwrap_or(""));
    if let Some(from) = stanza.attr("from") {
        reply.set_attr("to", from);
    }
    Some(
        reply.with_child(
            Element::new("error")
                .with_attr("type", "cancel")
                .with_child(
                    Element::new("service-unavailable").with_attr("xmlns", crate::ns::STANZAS),
                ),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    fn msg() -> Element {
        parse("<message xmlns='jabber:client' from='bob@localhost/res' type='chat' id='m1'><body>hi</body><x xmlns='jabber:x:data#frag'/></message>").unwrap()
    }

    #[test]
    fn matches_each_field() {
        let m = msg();
        assert!(Matcher::default().matches(&m));
        let by_name = Matcher {
            name: Some("message".into()),
            ..Default::default()
        };
        assert!(by_name.matches(&m));
        let wrong_name = Matcher {
            name: Some("iq".into()),
            ..Default::default()
        };
        assert!(!wrong_name.matches(&m));
        let types = Matcher {
            types: Some(vec!["normal".into(), "chat".into()]),
            ..Default::default()
        };
        assert!(types.matches(&m));
        let child_ns = Matcher {
            ns: Some("jabber:x:data".into()),
            ignore_namespace_fragment: true,
            ..Default::default()
        };
        assert!(child_ns.matches(&m));
        let child_ns_strict = Matcher {
            ns: Some("jabber:x:data".into()),
            ..Default::default()
        };
        assert!(!child_ns_strict.matches(&m));
        let bare = Matcher {
            from: Some("bob@localhost".into()),
            match_bare_from_jid: true,
            ..Default::default()
        };
        assert!(bare.matches(&m));
        let full = Matcher {
            from: Some("bob@localhost".into()),
            ..Default::default()
        };
        assert!(!full.matches(&m));
        let id = Matcher {
            id: Some("m1".into()),
            ..Default::default()
        };
        assert!(id.matches(&m));
    }

    #[test]
    fn table_add_match_remove() {
        let mut t: Handlers<&str> = Handlers::default();
        let a = t.add(
            Matcher {
                name: Some("message".into()),
                ..Default::default()
            },
            "a",
        );
        let _b = t.add(
            Matcher {
                name: Some("iq".into()),
                ..Default::default()
            },
            "b",
        );
        assert_eq!(t.matching(&msg()), vec![(a, "a")]);
        assert!(t.remove(a));
        assert!(!t.remove(a));
        assert!(t.matching(&msg()).is_empty());
    }

    #[test]
    fn unhandled_get_gets_service_unavailable() {
        let iq = parse("<iq xmlns='jabber:client' type='get' id='q1' from='bob@localhost/r'><query xmlns='jabber:iq:version'/></iq>").unwrap();
        let r = unhandled_iq_reply(&iq).unwrap();
        assert_eq!(r.attr("type"), Some("error"));
        assert_eq!(r.attr("to"), Some("bob@localhost/r"));
        assert_eq!(r.attr("id"), Some("q1"));
        assert!(r
            .child("error")
            .and_then(|e| e.child("service-unavailable"))
            .is_some());
        let result = parse("<iq xmlns='jabber:client' type='result' id='q1'/>").unwrap();
        assert!(unhandled_iq_reply(&result).is_none());
        assert!(unhandled_iq_reply(&msg()).is_none());
    }
}
