//! A small owned XML tree: enough for BOSH `<body/>` wrappers and XMPP stanzas.
//!
//! [`parse`] reads one document (its own one-pass tokenizer, iteratively,
//! in linear time, with limits on depth and namespace declarations) and [`Element::write_to`] serialises a tree back. Element
//! and attribute names are kept as written (qualified, e.g. `stream:features`);
//! namespace declarations are ordinary attributes (`xmlns`, `xmlns:p`). The parser
//! copies root-level declarations onto the root's direct children that rely on
//! them, so that a stanza taken out of a BOSH `<body/>` serialises on its own as
//! namespace-correct XML.

mod parse;
mod tree;
mod write;

pub use parse::{parse, parse_standalone, MAX_DECLS, MAX_DECLS_PER_ELEMENT, MAX_DEPTH};
pub use write::{escape_attr, escape_text};

use std::fmt;

/// A child node of an [`Element`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data, unescaped (CDATA sections are text too).
    Text(String),
}

impl Node {
    /// The element, if this node is one.
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        }
    }

    /// The text, if this node is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Node::Text(t) => Some(t),
            Node::Element(_) => None,
        }
    }
}

impl From<Element> for Node {
    fn from(e: Element) -> Self {
        Node::Element(e)
    }
}

/// An XML element with its attributes and children.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Element {
    /// Qualified name as written, e.g. `message` or `stream:features`.
    pub name: String,
    /// Attributes in document order, values unescaped; namespace declarations
    /// (`xmlns`, `xmlns:p`) are included.
    pub attrs: Vec<(String, String)>,
    /// Child nodes in document order; text is unescaped.
    pub children: Vec<Node>,
}

impl Element {
    /// A new element with no attributes and no children.
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Builder form of [`Element::set_attr`]: sets (or replaces) an attribute.
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder form of [`Element::push_child`].
    pub fn with_child(mut self, child: Element) -> Self {
        self.push_child(child);
        self
    }

    /// Builder form of [`Element::push_text`].
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.push_text(text);
        self
    }

    /// The value of the attribute with this (qualified) name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets an attribute: replaces the value in place if the attribute exists,
    /// appends it otherwise.
    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.set_attr_owned(name.into(), value.into());
    }

    /// [`Element::set_attr`] without the generic conversions (one copy of
    /// the code in the wasm, whatever the argument types).
    fn set_attr_owned(&mut self, name: String, value: String) {
        match self.attrs.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name, value)),
        }
    }

    /// Removes an attribute, returning its value if it was there.
    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let pos = self.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.attrs.remove(pos).1)
    }

    /// The value of this element's own `xmlns` attribute (its default namespace
    /// declaration), if it has one.
    pub fn ns(&self) -> Option<&str> {
        self.attr("xmlns")
    }

    /// The prefix of the name (`stream` for `stream:features`), if any.
    pub fn prefix(&self) -> Option<&str> {
        split_colon(&self.name).map(|(p, _)| p)
    }

    /// The name without its prefix (`features` for `stream:features`).
    pub fn local_name(&self) -> &str {
        match split_colon(&self.name) {
            Some((_, local)) => local,
            None => &self.name,
        }
    }

    /// Appends a child element.
    pub fn push_child(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    /// Appends text (merged into a directly preceding text node, if any).
    /// Empty text is ignored.
    pub fn push_text(&mut self, text: impl Into<String>) {
        self.push_text_owned(text.into());
    }

    /// [`Element::push_text`] without the generic conversion.
    fn push_text_owned(&mut self, text: String) {
        if text.is_empty() {
            return;
        }
        match self.children.last_mut() {
            Some(Node::Text(t)) => t.push_str(&text),
            _ => self.children.push(Node::Text(text)),
        }
    }

    /// The child elements, in order (text nodes skipped).
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(Node::as_element)
    }

    /// The first child element with this local name (any prefix, any namespace).
    pub fn child(&self, local_name: &str) -> Option<&Element> {
        self.elements().find(|e| e.local_name() == local_name)
    }

    /// The first child element with this local name whose own `xmlns`
    /// attribute is `ns`.
    pub fn child_ns(&self, local_name: &str, ns: &str) -> Option<&Element> {
        self.elements()
            .find(|e| e.local_name() == local_name && e.ns() == Some(ns))
    }

    /// The concatenation of the direct text children.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for t in self.children.iter().filter_map(Node::as_text) {
            out.push_str(t);
        }
        out
    }

    /// Serialises the element onto `out`: attributes quoted with `'`, `& < > " '`
    /// escaped in attribute values (and tab, newline and carriage return as
    /// character references so that they survive a re-parse), `& < >` escaped in
    /// text (and carriage return), an element without children written as `<a/>`.
    /// Names are written as they are, unchecked. Iterative: any depth is fine.
    pub fn write_to(&self, out: &mut String) {
        write::write_element(self, out);
    }

    /// The serialised element as a new string (see [`Element::write_to`]).
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }
}

/// Splits a qualified name at its first colon (cheaper than `split_once` on
/// short strings).
fn split_colon(name: &str) -> Option<(&str, &str)> {
    let pos = name.bytes().position(|b| b == b':')?;
    // A colon is ASCII, so both positions are char boundaries.
    Some((name.get(..pos)?, name.get(pos + 1..)?))
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xml())
    }
}

/// Why a document could not be parsed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// Malformed markup (tag, attribute, name, comment, declaration, character...).
    #[error("malformed XML: {0}")]
    Syntax(String),
    /// The input holds no root element.
    #[error("no root element")]
    Empty,
    /// Text or another element after the root element.
    #[error("content after the root element")]
    TrailingContent,
    /// An end tag that does not close the open element.
    #[error("mismatched end tag: expected </{expected}>, found </{found}>")]
    MismatchedEnd {
        /// Name of the open element.
        expected: String,
        /// Name in the end tag.
        found: String,
    },
    /// The input ended with elements still open.
    #[error("unclosed element at end of input")]
    Unclosed,
    /// Elements nested deeper than [`MAX_DEPTH`].
    #[error("elements nested deeper than {}", MAX_DEPTH)]
    TooDeep,
    /// More namespace declarations (`xmlns`, `xmlns:p`) on one element than
    /// [`MAX_DECLS_PER_ELEMENT`].
    #[error(
        "more than {} namespace declarations on one element",
        MAX_DECLS_PER_ELEMENT
    )]
    TooManyDeclarationsOnElement,
    /// More namespace declarations in the document than [`MAX_DECLS`].
    #[error("more than {} namespace declarations in the document", MAX_DECLS)]
    TooManyDeclarations,
    /// A document type declaration (not allowed in XMPP).
    #[error("DOCTYPE is not allowed")]
    Doctype,
    /// An unknown entity, or a malformed or invalid character reference.
    #[error("bad entity or character reference: &{0};")]
    BadReference(String),
    /// A namespace prefix that is not declared, or a misused `xml`/`xmlns` prefix.
    #[error("undeclared or misused namespace prefix: {0}")]
    BadPrefix(String),
}

impl XmlError {
    /// A stable short kebab-case name for the error class:
    /// `xml-not-well-formed` (syntax, trailing content, mismatched or unclosed
    /// tags, bad references), `xml-empty`, `xml-bad-namespace-prefix`,
    /// `xml-too-deep`, `xml-too-many-declarations` (over [`MAX_DECLS_PER_ELEMENT`]
    /// or [`MAX_DECLS`]), `xml-restricted` (DOCTYPE).
    pub fn condition(&self) -> &'static str {
        match self {
            XmlError::Syntax(_)
            | XmlError::TrailingContent
            | XmlError::MismatchedEnd { .. }
            | XmlError::Unclosed
            | XmlError::BadReference(_) => "xml-not-well-formed",
            XmlError::Empty => "xml-empty",
            XmlError::BadPrefix(_) => "xml-bad-namespace-prefix",
            XmlError::TooDeep => "xml-too-deep",
            XmlError::TooManyDeclarationsOnElement | XmlError::TooManyDeclarations => {
                "xml-too-many-declarations"
            }
            XmlError::Doctype => "xml-restricted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_accessors() {
        let e = Element::new("stream:features")
            .with_attr("xmlns:stream", "http://etherx.jabber.org/streams")
            .with_attr("a", "1")
            .with_attr("a", "2")
            .with_child(Element::new("bind").with_attr("xmlns", "urn:ietf:params:xml:ns:xmpp-bind"))
            .with_text("x")
            .with_text("y");
        assert_eq!(e.local_name(), "features");
        assert_eq!(e.prefix(), Some("stream"));
        assert_eq!(e.attr("a"), Some("2"));
        assert_eq!(e.attrs.len(), 2);
        assert_eq!(e.ns(), None);
        assert_eq!(e.text(), "xy");
        assert_eq!(e.children.len(), 2);
        assert!(e.child("bind").is_some());
        assert!(e
            .child_ns("bind", "urn:ietf:params:xml:ns:xmpp-bind")
            .is_some());
        assert!(e.child_ns("bind", "jabber:client").is_none());
        assert_eq!(e.elements().count(), 1);
    }

    #[test]
    fn attr_mutation() {
        let mut e = Element::new("iq");
        e.set_attr("type", "get");
        e.set_attr("id", "1");
        e.set_attr("type", "set");
        assert_eq!(
            e.attrs,
            vec![("type".into(), "set".into()), ("id".into(), "1".into())]
        );
        assert_eq!(e.remove_attr("type"), Some("set".to_string()));
        assert_eq!(e.remove_attr("type"), None);
        assert_eq!(e.local_name(), "iq");
        assert_eq!(e.prefix(), None);
    }

    #[test]
    fn display_is_to_xml() {
        let e = Element::new("a").with_attr("b", "c").with_text("d");
        assert_eq!(e.to_string(), e.to_xml());
        assert_eq!(e.to_string(), "<a b='c'>d</a>");
    }

    #[test]
    fn conditions_are_stable() {
        assert_eq!(XmlError::Unclosed.condition(), "xml-not-well-formed");
        assert_eq!(XmlError::Empty.condition(), "xml-empty");
        assert_eq!(XmlError::TooDeep.condition(), "xml-too-deep");
        assert_eq!(XmlError::Doctype.condition(), "xml-restricted");
        assert_eq!(
            XmlError::TooManyDeclarations.condition(),
            "xml-too-many-declarations"
        );
        assert_eq!(
            XmlError::TooManyDeclarationsOnElement.condition(),
            "xml-too-many-declarations"
        );
        assert_eq!(
            XmlError::BadPrefix("x".into()).condition(),
            "xml-bad-namespace-prefix"
        );
    }
}
