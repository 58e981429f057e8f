//! The parser: one pass over the input that splits it into markup and text
//! and folds them into an [`Element`] tree with an explicit stack (no
//! recursion), checking names, entity and character references, characters,
//! attributes, namespace prefixes and document structure on the way.

use super::tree::Map;
use super::{Element, Node, XmlError};

/// Maximum nesting depth of elements; the root element counts as depth 1.
pub const MAX_DEPTH: usize = 128;

/// Maximum number of namespace declarations (`xmlns`, `xmlns:p`) on one
/// element. XMPP elements declare one or two (a BOSH `<body/>` three); XML
/// vocabularies carried in stanzas (Atom, RDF, SVG) a few dozen at most.
pub const MAX_DECLS_PER_ELEMENT: usize = 128;

/// Maximum number of namespace declarations in one document. A declaration
/// costs constant work, so this is a sanity bound, not what keeps parsing
/// linear: one per 32 bytes of the default 4 MiB BOSH body cap. Real bodies
/// carry one every 60 bytes or more (a presence flood of a large room,
/// five declarations per presence).
pub const MAX_DECLS: usize = 131_072;

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Parses exactly one root element.
///
/// Allowed around it: an XML declaration (first thing in the input), whitespace,
/// comments, processing instructions. A leading byte order mark is skipped.
/// Everything else is an error: text or a second element after the root
/// ([`XmlError::TrailingContent`]), no element at all ([`XmlError::Empty`]),
/// unclosed elements, mismatched end tags, unknown entities, invalid character
/// references or characters, undeclared namespace prefixes, a DOCTYPE, nesting
/// deeper than [`MAX_DEPTH`], more than [`MAX_DECLS_PER_ELEMENT`] namespace
/// declarations on one element or [`MAX_DECLS`] in the document.
///
/// Linear in the input (up to the logarithm of a map lookup): a prefix is
/// looked up in a map of the bindings in scope (never by scanning the open
/// declarations), and duplicate attributes are found by comparing names up
/// to 32 attributes and in a map above.
///
/// Text is unescaped, CDATA sections become text, adjacent text is merged into
/// one [`Node::Text`]; line ends are normalised (`\r\n` and `\r` become `\n`)
/// and attribute values are normalised as XML requires (tab, newline and
/// carriage return become a space; character references are kept).
///
/// Namespaces: every direct child of the root that relies on a namespace
/// declared on the root (the default `xmlns`, or a prefix used in its own name,
/// in an attribute name, or anywhere in its subtree) gets that declaration
/// copied onto itself, in front of its own attributes, so that each child (a
/// stanza inside a BOSH `<body/>`) serialises on its own as namespace-correct XML.
pub fn parse(input: &str) -> Result<Element, XmlError> {
    parse_impl(input, true)
}

/// Like [`parse`], but without copying the root's namespace declarations onto
/// its children: for a document used whole, e.g. a single stanza, whose
/// children should stay as written.
pub fn parse_standalone(input: &str) -> Result<Element, XmlError> {
    parse_impl(input, false)
}

fn parse_impl(input: &str, copy_namespaces: bool) -> Result<Element, XmlError> {
    let mut rest = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut builder = Builder {
        copy_namespaces,
        ..Builder::default()
    };
    let mut first = true;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        if lt > 0 {
            builder.text_run(rest.get(..lt).unwrap_or(""))?;
            first = false;
        }
        rest = rest.get(lt..).unwrap_or("");
        if !rest.is_empty() {
            rest = builder.markup(rest, first)?;
            first = false;
        }
    }
    builder.finish()
}

/// Where `pat` (two or three bytes) first occurs in `s`: a plain scan, which
/// is linear for such short patterns and smaller than the standard library's
/// two-way searcher (1.4 KB of wasm).
fn find(s: &str, pat: &str) -> Option<usize> {
    s.as_bytes()
        .windows(pat.len())
        .position(|w| w == pat.as_bytes())
}

fn syntax(what: &str) -> XmlError {
    XmlError::Syntax(what.into())
}

/// XML's white space.
fn is_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where the first byte of `s` that `stop` accepts is (or its length):
/// a byte scan, which is faster and smaller than a `char` pattern.
fn until(s: &str, stop: impl Fn(&u8) -> bool) -> usize {
    s.as_bytes().iter().position(stop).unwrap_or(s.len())
}

/// `s` without its leading white space.
fn skip_space(s: &str) -> &str {
    s.get(until(s, |b| !is_space(b))..).unwrap_or("")
}

/// The first attribute of `s` (the inside of a tag after its name, or of an
/// XML declaration after `xml`): its name, its raw value and what follows.
/// Every attribute must be preceded by white space.
fn next_attr(s: &str) -> Result<Option<(&str, &str, &str)>, XmlError> {
    let t = skip_space(s);
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() == s.len() {
        return Err(syntax("bad attribute: white space expected before it"));
    }
    let key_end = until(t, |b| *b == b'=' || is_space(b));
    let key = t.get(..key_end).unwrap_or("");
    let r = skip_space(t.get(key_end..).unwrap_or(""));
    let Some(r) = r.strip_prefix('=') else {
        return Err(syntax("bad attribute: '=' expected after its name"));
    };
    let r = skip_space(r);
    let quote = match r.chars().next() {
        None => return Err(syntax("bad attribute: value expected after '='")),
        Some(q @ ('\'' | '"')) => q,
        Some(_) => return Err(syntax("bad attribute: value not quoted")),
    };
    let r = r.get(1..).unwrap_or("");
    let Some(end) = r.find(quote) else {
        return Err(syntax("attribute value not closed"));
    };
    Ok(Some((
        key,
        r.get(..end).unwrap_or(""),
        r.get(end + 1..).unwrap_or(""),
    )))
}

/// Checks the inside of an XML declaration after `xml`: its first
/// pseudo-attribute is the version, `1.` and digits.
fn check_decl(s: &str) -> Result<(), XmlError> {
    match next_attr(s)? {
        Some(("version", v, _))
            if v.strip_prefix("1.")
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) =>
        {
            Ok(())
        }
        _ => Err(syntax("XML declaration without version 1.0 or 1.1")),
    }
}

/// Where a prefix is bound: on the open element at `depth`, its attribute
/// number `attr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Binding {
    pub(super) depth: usize,
    pub(super) attr: usize,
}

/// A declaration made by an open element, and the binding of its prefix
/// that it hides (restored when the element closes).
struct Shadow {
    depth: usize,
    prefix: String,
    hidden: Option<Binding>,
}

#[derive(Default)]
struct Builder {
    /// Open elements; `stack[0]` is the root.
    stack: Vec<Element>,
    /// Text not yet added to the top of the stack (merges text, CDATA, references).
    text: String,
    /// The binding in scope of each declared prefix ("" for the default
    /// namespace): one lookup per name, however many declarations are open.
    /// A prefix whose declarations have all closed keeps its entry as `None`
    /// (at most one per prefix declared in the document): nothing is ever
    /// removed, which spares the wasm the map's removal code.
    scope: Map,
    /// Declarations of the open elements, innermost last, to undo them as
    /// their elements close.
    shadows: Vec<Shadow>,
    /// The names of the element's attributes, once it has more than 32
    /// (fewer are compared with each other).
    names: Map,
    /// Namespace declarations seen so far in the document.
    decl_count: usize,
    /// Attributes of the root (declarations) used by the open direct child.
    child_needs: Vec<usize>,
    /// For each root attribute, the serial number of the last direct child
    /// noted in `child_needs` for it (so each is noted once per child).
    noted_for: Vec<usize>,
    /// Serial number of the open direct child of the root (from 1).
    child_serial: usize,
    /// The root, once closed.
    root: Option<Element>,
    /// Whether root declarations are copied onto the root's children.
    copy_namespaces: bool,
}

impl Builder {
    fn outside_root(&self) -> XmlError {
        if self.root.is_some() {
            XmlError::TrailingContent
        } else {
            XmlError::Syntax("content before the root element".into())
        }
    }

    /// One markup construct at the start of `s` (which starts with `<`):
    /// a tag, comment, CDATA section, processing instruction or XML
    /// declaration (`first`: nothing came before it). Gives what follows it.
    fn markup<'a>(&mut self, s: &'a str, first: bool) -> Result<&'a str, XmlError> {
        let bytes = s.as_bytes();
        match bytes.get(1) {
            Some(b'?') => {
                let body = s.get(2..).unwrap_or("");
                let target_end = until(body, is_space);
                let decl = body.get(..target_end) == Some("xml");
                let Some(end) = find(body, "?>") else {
                    return Err(syntax(if decl {
                        "XML declaration not closed"
                    } else {
                        "processing instruction not closed"
                    }));
                };
                let target = body.get(..end.min(target_end)).unwrap_or("");
                if target == "xml" {
                    if !first {
                        return Err(syntax("XML declaration not at the start of the input"));
                    }
                    check_decl(body.get(target.len()..end).unwrap_or(""))?;
                }
                Ok(body.get(end + 2..).unwrap_or(""))
            }
            Some(b'!') => {
                if let Some(r) = s.strip_prefix("<!--") {
                    // "--" only as the start of "-->".
                    return match find(r, "--") {
                        None => Err(syntax("comment not closed")),
                        Some(i) => match r.as_bytes().get(i + 2) {
                            Some(b'>') => Ok(r.get(i + 3..).unwrap_or("")),
                            Some(_) => Err(syntax("'--' in a comment")),
                            None => Err(syntax("comment not closed")),
                        },
                    };
                }
                if let Some(r) = s.strip_prefix("<![CDATA[") {
                    let Some(end) = find(r, "]]>") else {
                        return Err(syntax("CDATA section not closed"));
                    };
                    self.text(r.get(..end).unwrap_or(""), false)?;
                    return Ok(r.get(end + 3..).unwrap_or(""));
                }
                if s.starts_with("<!DOCTYPE") {
                    return Err(XmlError::Doctype);
                }
                Err(syntax("unknown markup after '<!'"))
            }
            Some(b'/') => {
                let Some(gt) = s.find('>') else {
                    return Err(syntax("tag not closed"));
                };
                let inner = s.get(2..gt).unwrap_or("");
                let n = until(inner, is_space);
                let name = inner.get(..n).unwrap_or("");
                if !skip_space(inner.get(n..).unwrap_or("")).is_empty() {
                    return Err(syntax("end tag with more than a name"));
                }
                self.end(name)?;
                Ok(s.get(gt + 1..).unwrap_or(""))
            }
            _ => {
                // The end of the tag: the first '>' outside a quoted value.
                let mut quote = 0u8;
                let mut end = None;
                for (i, &b) in bytes.iter().enumerate().skip(1) {
                    if quote != 0 {
                        if b == quote {
                            quote = 0;
                        }
                    } else if b == b'\'' || b == b'"' {
                        quote = b;
                    } else if b == b'>' {
                        end = Some(i);
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err(syntax(if quote != 0 {
                        "attribute value not closed"
                    } else {
                        "tag not closed"
                    }));
                };
                let inner = s.get(1..end).unwrap_or("");
                let (inner, empty) = match inner.strip_suffix('/') {
                    Some(i) => (i, true),
                    None => (inner, false),
                };
                let name_end = until(inner, is_space);
                self.start(
                    inner.get(..name_end).unwrap_or(""),
                    inner.get(name_end..).unwrap_or(""),
                    empty,
                )?;
                Ok(s.get(end + 1..).unwrap_or(""))
            }
        }
    }

    /// Text up to the next markup: character data and references.
    fn text_run(&mut self, mut s: &str) -> Result<(), XmlError> {
        while let Some(amp) = s.find('&') {
            if amp > 0 {
                self.text(s.get(..amp).unwrap_or(""), true)?;
            }
            let after = s.get(amp + 1..).unwrap_or("");
            // A reference's name ends at ';' and holds no '&' (so each byte
            // is looked at once).
            match after.find([';', '&']) {
                Some(semi) if after.as_bytes().get(semi) == Some(&b';') => {
                    self.reference(after.get(..semi).unwrap_or(""))?;
                    s = after.get(semi + 1..).unwrap_or("");
                }
                _ => return Err(syntax("unterminated reference")),
            }
        }
        if s.is_empty() {
            Ok(())
        } else {
            self.text(s, true)
        }
    }

    /// A start tag: its name, the rest of its inside (attributes) and
    /// whether it is an empty-element tag.
    fn start(&mut self, name: &str, mut attrs: &str, empty: bool) -> Result<(), XmlError> {
        if self.root.is_some() {
            return Err(XmlError::TrailingContent);
        }
        let depth = self.stack.len();
        if depth >= MAX_DEPTH {
            return Err(XmlError::TooDeep);
        }
        self.flush_text();
        if depth == 1 {
            self.child_serial = self.child_serial.saturating_add(1);
        }
        check_qname(name)?;
        let mut el = Element::new(name);
        let mut own_decls = 0usize;
        self.names.clear();
        while let Some((key, raw, rest)) = next_attr(attrs)? {
            attrs = rest;
            self.check_duplicate(&el, key)?;
            check_qname(key)?;
            let mut value = String::with_capacity(raw.len());
            push_chars::<true>(raw, &mut value)?;
            if let Some(prefix) = declared_prefix(key) {
                check_declaration(prefix, &value)?;
                own_decls += 1;
                if own_decls > MAX_DECLS_PER_ELEMENT {
                    return Err(XmlError::TooManyDeclarationsOnElement);
                }
                self.decl_count += 1;
                if self.decl_count > MAX_DECLS {
                    return Err(XmlError::TooManyDeclarations);
                }
                // Duplicate declarations were refused above, so each prefix
                // is bound once per element.
                let binding = Binding {
                    depth,
                    attr: el.attrs.len(),
                };
                let hidden = self.scope.insert(prefix, Some(binding)).flatten();
                self.shadows.push(Shadow {
                    depth,
                    prefix: prefix.to_owned(),
                    hidden,
                });
            }
            el.attrs.push((key.to_owned(), value));
        }
        if depth == 0 {
            self.noted_for = vec![0; el.attrs.len()];
        }
        self.resolve(el.prefix().unwrap_or(""), depth)?;
        for (key, _) in &el.attrs {
            if declared_prefix(key).is_none() {
                if let Some((prefix, _)) = super::split_colon(key) {
                    self.resolve(prefix, depth)?;
                }
            }
        }
        if empty {
            self.close(el);
        } else {
            self.stack.push(el);
        }
        Ok(())
    }

    /// Refuses an attribute name `el` already has: compared with each
    /// earlier one up to 32 attributes, looked up in a map above.
    fn check_duplicate(&mut self, el: &Element, key: &str) -> Result<(), XmlError> {
        const DIRECT: usize = 32;
        let n = el.attrs.len();
        let dup = if n < DIRECT {
            el.attrs.iter().any(|(k, _)| k == key)
        } else {
            if n == DIRECT {
                for (k, _) in &el.attrs {
                    self.names.insert(k, None);
                }
            }
            self.names.insert(key, None).is_some()
        };
        if dup {
            Err(syntax("duplicate attribute"))
        } else {
            Ok(())
        }
    }

    /// Checks that `prefix` ("" for the default namespace) is usable here, and
    /// notes root declarations that the current direct child of the root uses.
    fn resolve(&mut self, prefix: &str, depth: usize) -> Result<(), XmlError> {
        match prefix {
            "xml" => return Ok(()),
            "xmlns" => return Err(XmlError::BadPrefix(prefix.into())),
            _ => {}
        }
        match self.scope.get(prefix).flatten() {
            Some(Binding { depth: 0, attr }) if self.copy_namespaces && depth > 0 => {
                if let Some(noted) = self.noted_for.get_mut(attr) {
                    if *noted != self.child_serial {
                        *noted = self.child_serial;
                        self.child_needs.push(attr);
                    }
                }
                Ok(())
            }
            Some(_) => Ok(()),
            None if prefix.is_empty() => Ok(()),
            None => Err(XmlError::BadPrefix(clip(prefix))),
        }
    }

    fn end(&mut self, name: &str) -> Result<(), XmlError> {
        let Some(mut el) = self.stack.pop() else {
            return Err(match self.root {
                Some(_) => XmlError::TrailingContent,
                None => XmlError::Syntax(
                    String::from("end tag </") + &clip(name) + "> without start tag",
                ),
            });
        };
        if el.name != name {
            return Err(XmlError::MismatchedEnd {
                expected: el.name,
                found: clip(name),
            });
        }
        if !self.text.is_empty() {
            el.children.push(Node::Text(std::mem::take(&mut self.text)));
        }
        self.close(el);
        Ok(())
    }

    /// Attaches a finished element (whose depth is the stack's length) to its
    /// parent, or makes it the root.
    fn close(&mut self, mut el: Element) {
        let depth = self.stack.len();
        while self.shadows.last().is_some_and(|s| s.depth >= depth) {
            let Some(shadow) = self.shadows.pop() else {
                break;
            };
            self.scope.insert(&shadow.prefix, shadow.hidden);
        }
        match self.stack.last_mut() {
            None => self.root = Some(el),
            Some(parent) => {
                if depth == 1 && !self.child_needs.is_empty() {
                    // A root declaration was found by a lookup inside this
                    // child, so the child does not declare that prefix itself.
                    // In document order. An insertion sort: the list holds
                    // root declarations only (at most MAX_DECLS_PER_ELEMENT),
                    // each used inside this child, and `sort_unstable` costs
                    // the wasm about 5 KB.
                    let needs = &mut self.child_needs;
                    for i in 1..needs.len() {
                        let mut j = i;
                        while j > 0 && needs[j - 1] > needs[j] {
                            needs.swap(j - 1, j);
                            j -= 1;
                        }
                    }
                    let copies: Vec<(String, String)> = self
                        .child_needs
                        .iter()
                        .filter_map(|&i| parent.attrs.get(i))
                        .filter(|(_, v)| !v.is_empty())
                        .cloned()
                        .collect();
                    el.attrs.splice(0..0, copies);
                    self.child_needs.clear();
                }
                parent.children.push(Node::Element(el));
            }
        }
    }

    fn flush_text(&mut self) {
        if !self.text.is_empty() {
            if let Some(top) = self.stack.last_mut() {
                top.children
                    .push(Node::Text(std::mem::take(&mut self.text)));
            }
        }
    }

    /// Raw text (`escaped`, from a text event) or CDATA content.
    fn text(&mut self, raw: &str, escaped: bool) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            if escaped
                && raw
                    .bytes()
                    .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                return Ok(());
            }
            return Err(self.outside_root());
        }
        if escaped && find(raw, "]]>").is_some() {
            return Err(XmlError::Syntax("']]>' in text".into()));
        }
        push_chars::<false>(raw, &mut self.text)
    }

    fn reference(&mut self, name: &str) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            return Err(self.outside_root());
        }
        resolve_reference(name, &mut self.text)
    }

    fn finish(self) -> Result<Element, XmlError> {
        if !self.stack.is_empty() {
            return Err(XmlError::Unclosed);
        }
        self.root.ok_or(XmlError::Empty)
    }
}

/// The prefix an attribute name declares: `Some("")` for `xmlns`, `Some("p")`
/// for `xmlns:p`, `None` for other attributes.
fn declared_prefix(key: &str) -> Option<&str> {
    if key == "xmlns" {
        Some("")
    } else {
        key.strip_prefix("xmlns:")
    }
}

/// Namespaces in XML 1.0 constraints on a declaration.
fn check_declaration(prefix: &str, value: &str) -> Result<(), XmlError> {
    let ok = match prefix {
        "xmlns" => false,
        "xml" => value == XML_NS,
        _ => value != XML_NS && value != XMLNS_NS && (prefix.is_empty() || !value.is_empty()),
    };
    if ok {
        Ok(())
    } else {
        Err(XmlError::BadPrefix(clip(prefix)))
    }
}

/// At most 40 characters of `s`, for error messages.
fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Checks a qualified name: an NCName, or two joined by one colon.
fn check_qname(name: &str) -> Result<(), XmlError> {
    let ok = match super::split_colon(name) {
        Some((prefix, local)) => is_ncname(prefix) && is_ncname(local),
        None => is_ncname(name),
    };
    if ok {
        Ok(())
    } else {
        Err(XmlError::Syntax(
            String::from("invalid name '") + &clip(name) + "'",
        ))
    }
}

fn is_ncname(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.is_ascii() {
        return match bytes.split_first() {
            Some((first, rest)) => {
                (first.is_ascii_alphabetic() || *first == b'_')
                    && rest
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            }
            None => false,
        };
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_name_start(c) => chars.all(is_name_char),
        _ => false,
    }
}

/// XML 1.0 NameStartChar, without ':'.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 NameChar, without ':'.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// XML 1.0 Char.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Appends the character an entity or character reference (`name` is what is
/// between `&` and `;`) stands for.
fn resolve_reference(name: &str, out: &mut String) -> Result<(), XmlError> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                parse_digits(hex, 16)
            } else if let Some(dec) = name.strip_prefix('#') {
                parse_digits(dec, 10)
            } else {
                None
            };
            code.and_then(char::from_u32)
                .filter(|&c| is_xml_char(c))
                .ok_or_else(|| XmlError::BadReference(clip(name)))?
        }
    };
    out.push(c);
    Ok(())
}

fn parse_digits(s: &str, radix: u32) -> Option<u32> {
    if s.is_empty() || !s.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(s, radix).ok()
}

/// Appends raw character data to `out`, checking characters and normalising
/// line ends. In an attribute value (`ATTR`), references are resolved, `<` is
/// an error and tab, line feed and carriage return become spaces.
///
/// Every position the slices below start or end at is that of an ASCII byte
/// (or the end), so they are char boundaries; `get` keeps that panic-free.
fn push_chars<const ATTR: bool>(raw: &str, out: &mut String) -> Result<(), XmlError> {
    let bytes = raw.as_bytes();
    // Fast path, one branch-free pass: nothing to check or change.
    let special = bytes.iter().fold(false, |acc, &b| {
        let control = if ATTR {
            b < 0x20 || b == b'&' || b == b'<'
        } else {
            b < 0x20 && b != b'\t' && b != b'\n'
        };
        acc | control | (b == 0xEF)
    });
    if !special {
        out.push_str(raw);
        return Ok(());
    }
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\r' => {
                out.push_str(raw.get(start..i).unwrap_or(""));
                out.push(if ATTR { ' ' } else { '\n' });
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            b'\t' | b'\n' if ATTR => {
                out.push_str(raw.get(start..i).unwrap_or(""));
                out.push(' ');
                i += 1;
                start = i;
            }
            b'\t' | b'\n' => i += 1,
            b'&' if ATTR => {
                out.push_str(raw.get(start..i).unwrap_or(""));
                let rest = raw.get(i + 1..).unwrap_or("");
                let Some(semi) = rest.find(';') else {
                    return Err(XmlError::Syntax(
                        "unterminated reference in attribute".into(),
                    ));
                };
                resolve_reference(rest.get(..semi).unwrap_or(""), out)?;
                i += semi + 2;
                start = i;
            }
            b'<' if ATTR => return Err(XmlError::Syntax("'<' in attribute value".into())),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let mut what = String::from("invalid character U+00");
                what.push(char::from(HEX[usize::from(b >> 4)]));
                what.push(char::from(HEX[usize::from(b & 15)]));
                return Err(XmlError::Syntax(what));
            }
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                return Err(XmlError::Syntax("invalid character U+FFFE/U+FFFF".into()));
            }
            _ => i += 1,
        }
    }
    out.push_str(raw.get(start..).unwrap_or(""));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stanza gets the root's declarations it uses in the root's order,
    /// whatever order it uses them in.
    #[test]
    fn copied_declarations_keep_the_roots_order() {
        let body = parse(
            "<body xmlns='urn:body' xmlns:a='urn:a' xmlns:b='urn:b' xmlns:c='urn:c'>\
             <c:x b:y='1'><a:z/></c:x></body>",
        )
        .unwrap();
        let Some(Node::Element(x)) = body.children.first() else {
            panic!("{body:?}");
        };
        let names: Vec<&str> = x.attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["xmlns:a", "xmlns:b", "xmlns:c", "b:y"]);
    }

    /// Errors are described by fixed strings or plain concatenation, never
    /// by `core::fmt`'s formatting; each tokenizer error says what it is.
    #[test]
    fn syntax_errors_say_what_is_wrong() {
        let said = |input: &str| match parse(input) {
            Err(XmlError::Syntax(what)) => what,
            other => panic!("{input:?}: {other:?}"),
        };
        assert_eq!(said("<a>\u{1}</a>"), "invalid character U+0001");
        assert_eq!(said("<a>\u{1f}</a>"), "invalid character U+001F");
        assert_eq!(said("<a b='1' b='2'/>"), "duplicate attribute");
        assert_eq!(said("<a b=1/>"), "bad attribute: value not quoted");
        assert_eq!(said("<a><!-- x"), "comment not closed");
        assert_eq!(said("<a b='1"), "attribute value not closed");
        assert_eq!(said("<1a/>"), "invalid name '1a'");
        assert_eq!(
            said("<a b='1'c='2'/>"),
            "bad attribute: white space expected before it"
        );
        assert_eq!(
            said("<a b='1' c/>"),
            "bad attribute: '=' expected after its name"
        );
        assert_eq!(said("<a b= >"), "bad attribute: value expected after '='");
        assert_eq!(said("<a>&amp&amp;</a>"), "unterminated reference");
        assert_eq!(said("<a><!-- x ---></a>"), "'--' in a comment");
        assert_eq!(said("<a><!-- x --"), "comment not closed");
        assert_eq!(said("<a><!ELEMENT a></a>"), "unknown markup after '<!'");
        assert_eq!(said("<a><?pi x"), "processing instruction not closed");
        assert_eq!(said("<?xml version='1.0'"), "XML declaration not closed");
        assert_eq!(said("<a><![CDATA[x</a>"), "CDATA section not closed");
        assert_eq!(said("<a></a"), "tag not closed");
        assert_eq!(said("<a></a b>"), "end tag with more than a name");
        for decl in [
            "<?xml?>",
            "<?xml version='2.0'?>",
            "<?xml version='1.'?>",
            "<?xml encoding='UTF-8' version='1.0'?>",
        ] {
            assert_eq!(
                said(&format!("{decl}<a/>")),
                "XML declaration without version 1.0 or 1.1",
                "{decl}"
            );
        }
    }

    /// What the tokenizer accepts around the markup: white space inside
    /// tags and around `=`, both quotes, `>` in text and values, PIs whose
    /// target only starts with "xml", comments that end right away.
    #[test]
    fn tokens_as_xml_allows() {
        let e = parse(
            "<?xml version=\"1.1\" encoding='UTF-8'?><?xml-stylesheet href='x'?>\
             <a\n b = '1>2'\tc=\"'\" ><!----><b\r\n/>x > y</a \n>",
        )
        .unwrap();
        assert_eq!(e.attr("b"), Some("1>2"));
        assert_eq!(e.attr("c"), Some("'"));
        assert_eq!(e.to_xml(), "<a b='1&gt;2' c='&apos;'><b/>x &gt; y</a>");
    }

    const STREAM_NS: &str = "http://etherx.jabber.org/streams";

    /// A session creation response as Prosody's mod_bosh sends it.
    const PROSODY_SESSION: &str = "<body xmlns='http://jabber.org/protocol/httpbind' \
        xmlns:stream='http://etherx.jabber.org/streams' xmlns:xmpp='urn:xmpp:xbosh' \
        sid='6d3c4cf0-31a1-4b3e-9f4c-d4c5f2a9a001' wait='60' requests='2' inactivity='60' \
        maxpause='120' polling='5' ver='1.6' from='example.com' secure='true' hold='1' \
        authid='6d3c4cf0-31a1-4b3e-9f4c-d4c5f2a9a001' xmpp:restartlogic='true' xmpp:version='1.0'>\
        <stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
        <mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>\
        </stream:features></body>";

    fn err(input: &str) -> XmlError {
        match parse(input) {
            Ok(e) => panic!("{input:?} parsed as {e:?}"),
            Err(e) => e,
        }
    }

    fn syntax(input: &str) {
        assert!(
            matches!(err(input), XmlError::Syntax(_)),
            "{input:?}: {:?}",
            parse(input)
        );
    }

    #[test]
    fn prosody_session_creation() {
        let body = parse(PROSODY_SESSION).unwrap();
        assert_eq!(body.name, "body");
        assert_eq!(body.ns(), Some("http://jabber.org/protocol/httpbind"));
        assert_eq!(
            body.attr("sid"),
            Some("6d3c4cf0-31a1-4b3e-9f4c-d4c5f2a9a001")
        );
        assert_eq!(body.attr("wait"), Some("60"));
        assert_eq!(body.attr("xmpp:version"), Some("1.0"));
        assert_eq!(body.attrs.len(), 16);
        let features = body.child("features").unwrap();
        assert_eq!(features.name, "stream:features");
        assert_eq!(
            features.attrs,
            vec![("xmlns:stream".to_string(), STREAM_NS.to_string())]
        );
        let mechs: Vec<String> = features
            .child_ns("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl")
            .unwrap()
            .elements()
            .map(Element::text)
            .collect();
        assert_eq!(mechs, ["SCRAM-SHA-1", "PLAIN"]);
    }

    #[test]
    fn prosody_session_creation_serialise() {
        let body = parse(PROSODY_SESSION).unwrap();
        let features = body.child("features").unwrap();
        assert_eq!(
            features.to_xml(),
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
             <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
             <mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>\
             </stream:features>"
        );
        assert_eq!(&parse(&features.to_xml()).unwrap(), features);
        assert_eq!(parse(&body.to_xml()).unwrap(), body);
    }

    #[test]
    fn prosody_session_creation_invalid() {
        // Truncated response.
        assert_eq!(
            err(&PROSODY_SESSION[..PROSODY_SESSION.len() - 7]),
            XmlError::Unclosed
        );
        // The stream prefix not declared.
        let undeclared = PROSODY_SESSION.replace("xmlns:stream=", "xmlns:strem=");
        assert_eq!(err(&undeclared), XmlError::BadPrefix("stream".into()));
    }

    const MESSAGE_BODY: &str = "<body xmlns='http://jabber.org/protocol/httpbind' sid='s'>\
        <message xmlns='jabber:client' from='juliet@capulet.lit/balcony' to='romeo@montague.lit' \
        type='chat' id='m1'><body>I &lt;3 you &amp; &quot;you&quot; &apos;&gt; &#x1F600;&#233;\
        <![CDATA[ <b>&amp;</b>]]></body></message></body>";

    #[test]
    fn message_in_body() {
        let body = parse(MESSAGE_BODY).unwrap();
        let msg = body.child_ns("message", "jabber:client").unwrap();
        assert_eq!(msg.attr("from"), Some("juliet@capulet.lit/balcony"));
        assert_eq!(msg.attrs.len(), 5, "own xmlns kept, nothing copied");
        let text = msg.child("body").unwrap();
        assert_eq!(text.children.len(), 1, "text, references and CDATA merge");
        assert_eq!(text.text(), "I <3 you & \"you\" '> 😀é <b>&amp;</b>");
    }

    #[test]
    fn message_in_body_serialise() {
        let body = parse(MESSAGE_BODY).unwrap();
        let msg = body.child("message").unwrap();
        let xml = msg.to_xml();
        assert_eq!(
            xml,
            "<message xmlns='jabber:client' from='juliet@capulet.lit/balcony' \
             to='romeo@montague.lit' type='chat' id='m1'><body>I &lt;3 you &amp; \"you\" '&gt; \
             😀é &lt;b&gt;&amp;amp;&lt;/b&gt;</body></message>"
        );
        assert_eq!(&parse_standalone(&xml).unwrap(), msg);
        // As a root itself, the message's default namespace is copied onto its children.
        let reparsed = parse(&xml).unwrap();
        assert_eq!(reparsed.child("body").unwrap().ns(), Some("jabber:client"));
    }

    #[test]
    fn message_in_body_invalid() {
        let bad = MESSAGE_BODY.replace("&amp;", "&ampx;");
        assert_eq!(err(&bad), XmlError::BadReference("ampx".into()));
        let bad = MESSAGE_BODY.replace("</message>", "</mesage>");
        assert_eq!(
            err(&bad),
            XmlError::MismatchedEnd {
                expected: "message".into(),
                found: "mesage".into()
            }
        );
    }

    #[test]
    fn namespaces_copied_onto_children() {
        let body = parse(
            "<body xmlns='urn:b' xmlns:stream='urn:s' xmlns:x='urn:x' xmlns:unused='urn:u'>\
             <stream:error><x:y/></stream:error>\
             <plain a='1'/>\
             <message xmlns='jabber:client'><stream:features/></message>\
             <iq xmlns='jabber:client' x:attr='v'/>\
             <stream:features xmlns:stream='urn:other'/>\
             <other xmlns=''/>\
             </body>",
        )
        .unwrap();
        let kids: Vec<String> = body.elements().map(Element::to_xml).collect();
        assert_eq!(
            kids,
            [
                "<stream:error xmlns:stream='urn:s' xmlns:x='urn:x'><x:y/></stream:error>",
                "<plain xmlns='urn:b' a='1'/>",
                "<message xmlns:stream='urn:s' xmlns='jabber:client'><stream:features/></message>",
                "<iq xmlns:x='urn:x' xmlns='jabber:client' x:attr='v'/>",
                "<stream:features xmlns:stream='urn:other'/>",
                "<other xmlns=''/>",
            ]
        );
        // Grandchildren are left alone (their parent carries the declarations).
        assert_eq!(body.child("error").unwrap().child("y").unwrap().attrs, []);
    }

    #[test]
    fn attribute_quotes() {
        let e = parse(r#"<a b='x"y' c="x'y" d='&apos;&quot;&lt;&gt;&amp;'/>"#).unwrap();
        assert_eq!(e.attr("b"), Some("x\"y"));
        assert_eq!(e.attr("c"), Some("x'y"));
        assert_eq!(e.attr("d"), Some("'\"<>&"));
    }

    #[test]
    fn attribute_quotes_serialise() {
        let e = parse(r#"<a b='x"y' c="x'y" d='&apos;&quot;&lt;&gt;&amp;'/>"#).unwrap();
        let xml = e.to_xml();
        assert_eq!(
            xml,
            "<a b='x&quot;y' c='x&apos;y' d='&apos;&quot;&lt;&gt;&amp;'/>"
        );
        assert_eq!(parse(&xml).unwrap(), e);
    }

    #[test]
    fn attribute_quotes_invalid() {
        syntax(r#"<a b='x"/>"#);
        syntax(r#"<a b="x'/>"#);
        syntax("<a b=x/>");
        syntax("<a b/>");
        syntax("<a b='<'/>");
        syntax("<a b='1' b='2'/>");
        syntax("<a b='&amp'/>");
        assert_eq!(
            err("<a b='&nbsp;'/>"),
            XmlError::BadReference("nbsp".into())
        );
    }

    #[test]
    fn whitespace_normalisation() {
        let e = parse("<a b='1\t2\n3\r\n4&#10;5&#x9;'>x\r\ny\rz&#13;</a>").unwrap();
        assert_eq!(e.attr("b"), Some("1 2 3 4\n5\t"));
        assert_eq!(e.text(), "x\ny\nz\r");
        let xml = e.to_xml();
        assert_eq!(xml, "<a b='1 2 3 4&#xA;5&#x9;'>x\ny\nz&#xD;</a>");
        assert_eq!(parse(&xml).unwrap(), e);
    }

    #[test]
    fn prolog_and_epilog() {
        let e = parse(
            "\u{feff}<?xml version='1.0' encoding='UTF-8'?>\n<!-- hi --><?pi data?>\
             <a><!-- c --><?x y?>t<![CDATA[]]></a>\n<!-- bye --> <?end?>\r\n",
        )
        .unwrap();
        assert_eq!(e, Element::new("a").with_text("t"));
        assert_eq!(parse("<a></a>").unwrap().to_xml(), "<a/>");
    }

    #[test]
    fn error_empty() {
        for input in [
            "",
            "  \n",
            "<!-- only a comment -->",
            "<?xml version='1.0'?>",
        ] {
            assert_eq!(err(input), XmlError::Empty, "{input:?}");
        }
    }

    #[test]
    fn error_trailing_content() {
        for input in [
            "<a/><b/>",
            "<a/>text",
            "<a/>&amp;",
            "<a></a></a>",
            "<a/><![CDATA[x]]>",
        ] {
            assert_eq!(err(input), XmlError::TrailingContent, "{input:?}");
        }
    }

    #[test]
    fn error_mismatched_end() {
        assert_eq!(
            err("<a><b></a></b>"),
            XmlError::MismatchedEnd {
                expected: "b".into(),
                found: "a".into()
            }
        );
        assert_eq!(
            err("<p:a xmlns:p='u'></a>"),
            XmlError::MismatchedEnd {
                expected: "p:a".into(),
                found: "a".into()
            }
        );
    }

    #[test]
    fn error_unclosed() {
        assert_eq!(err("<a><b></b>"), XmlError::Unclosed);
        assert_eq!(err("<a>text"), XmlError::Unclosed);
    }

    #[test]
    fn error_doctype() {
        assert_eq!(err("<!DOCTYPE a><a/>"), XmlError::Doctype);
        assert_eq!(
            err("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"),
            XmlError::Doctype
        );
        assert_eq!(err("<!DOCTYPE>"), XmlError::Doctype);
        assert_eq!(err("<a/><!DOCTYPE a>"), XmlError::Doctype);
    }

    #[test]
    fn error_bad_reference() {
        assert_eq!(err("<a>&foo;</a>"), XmlError::BadReference("foo".into()));
        for r in [
            "#0",
            "#xD800",
            "#x110000",
            "#-1",
            "#+65",
            "#X41",
            "#x",
            "#",
            "#1",
            "#xFFFE",
            "#99999999999",
        ] {
            let input = format!("<a>&{r};</a>");
            assert_eq!(err(&input), XmlError::BadReference(r.into()), "{input}");
        }
        assert_eq!(err("<a b='&#1;'/>"), XmlError::BadReference("#1".into()));
        assert_eq!(
            parse("<a>&#65;&#x41;&#x10FFFF;</a>").unwrap().text(),
            "AA\u{10FFFF}"
        );
    }

    #[test]
    fn error_bad_prefix() {
        assert_eq!(err("<foo:bar/>"), XmlError::BadPrefix("foo".into()));
        assert_eq!(err("<a p:x='1'/>"), XmlError::BadPrefix("p".into()));
        assert_eq!(
            err("<a><b xmlns:p='u'/><p:c/></a>"),
            XmlError::BadPrefix("p".into())
        );
        assert_eq!(err("<a xmlns:p=''/>"), XmlError::BadPrefix("p".into()));
        assert_eq!(
            err("<a xmlns:xmlns='u'/>"),
            XmlError::BadPrefix("xmlns".into())
        );
        assert_eq!(err("<xmlns:a/>"), XmlError::BadPrefix("xmlns".into()));
        assert_eq!(err("<a xmlns:xml='u'/>"), XmlError::BadPrefix("xml".into()));
        assert!(
            parse("<a xml:lang='en' xmlns:xml='http://www.w3.org/XML/1998/namespace'/>").is_ok()
        );
    }

    #[test]
    fn error_syntax() {
        for input in [
            "<",
            "<a",
            "<a><",
            "<>",
            "< a/>",
            "<1a/>",
            "<a:b:c xmlns:a='u'/>",
            "<a/ >",
            "<a>&amp</a>",
            "<a>& b</a>",
            "<a>]]></a>",
            "<a>\u{1}</a>",
            "<a>\u{FFFE}</a>",
            "<a b='\u{0}'/>",
            "<a><!-- x -- y --></a>",
            "<a><![CDATA[x</a>",
            "</a>",
            "text<a/>",
            "&amp;<a/>",
            " <?xml version='1.0'?><a/>",
            "<a/><?xml version='1.0'?>",
            "<?xml encoding='UTF-8'?><a/>",
        ] {
            syntax(input);
        }
    }

    fn nested(depth: usize) -> String {
        let mut s = String::new();
        for _ in 0..depth {
            s.push_str("<d>");
        }
        for _ in 0..depth {
            s.push_str("</d>");
        }
        s
    }

    #[test]
    fn depth_limit() {
        let e = parse(&nested(MAX_DEPTH)).unwrap();
        let xml = e.to_xml();
        assert_eq!(parse(&xml).unwrap(), e);
        assert_eq!(err(&nested(MAX_DEPTH + 1)), XmlError::TooDeep);
        assert_eq!(err(&nested(100_000)), XmlError::TooDeep);
        // Empty elements count too.
        let mut s = nested(MAX_DEPTH - 1);
        s.insert_str((MAX_DEPTH - 1) * 3, "<e/>");
        assert!(parse(&s).is_ok());
        s.insert_str((MAX_DEPTH - 1) * 3, "<f>");
        assert_eq!(err(&s), XmlError::TooDeep);
    }

    #[test]
    fn depth_limit_on_small_stack() {
        // Parse, write and drop the deepest tree on a 128 KiB stack (the derived
        // Clone, PartialEq and Debug are recursive, fine on an ordinary stack).
        let handle = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(|| parse(&nested(MAX_DEPTH)).map(|e| e.to_xml().len()))
            .unwrap();
        assert_eq!(handle.join().unwrap(), Ok(MAX_DEPTH * 7 - 3));
    }

    #[test]
    fn standalone_keeps_children_as_written() {
        let input =
            "<message xmlns='jabber:client' xmlns:x='urn:x'><body>hi</body><x:y/></message>";
        let e = parse_standalone(input).unwrap();
        assert_eq!(e.to_xml(), input);
        let e = parse(input).unwrap();
        assert_eq!(
            e.to_xml(),
            "<message xmlns='jabber:client' xmlns:x='urn:x'><body xmlns='jabber:client'>hi</body>\
             <x:y xmlns:x='urn:x'/></message>"
        );
        assert_eq!(
            parse_standalone("<x:y/>"),
            Err(XmlError::BadPrefix("x".into()))
        );
    }

    /// A `<body/>` with `n` namespace declarations (the default one and
    /// `n - 1` prefixes), a child using the first and the last prefix, and a
    /// child in the default namespace.
    fn many_declarations(n: usize) -> String {
        let mut s = String::from("<body xmlns='urn:b'");
        for i in 1..n {
            s.push_str(&format!(" xmlns:p{i}='urn:{i}'"));
        }
        let last = n - 1;
        s.push_str(&format!("><p1:a p{last}:x='1'/><c/></body>"));
        s
    }

    #[test]
    fn declarations_at_the_limits() {
        let body = parse(&many_declarations(MAX_DECLS_PER_ELEMENT)).unwrap();
        assert_eq!(body.attrs.len(), MAX_DECLS_PER_ELEMENT);
        let last = MAX_DECLS_PER_ELEMENT - 1;
        let a = body.child("a").unwrap();
        assert_eq!(
            a.attrs,
            vec![
                ("xmlns:p1".to_string(), "urn:1".to_string()),
                (format!("xmlns:p{last}"), format!("urn:{last}")),
                (format!("p{last}:x"), "1".to_string()),
            ]
        );
        assert_eq!(body.child("c").unwrap().ns(), Some("urn:b"));
        // Exactly MAX_DECLS declarations in the document, one per child.
        let mut doc = String::from("<r>");
        doc.push_str(&"<a xmlns='u'/>".repeat(MAX_DECLS));
        doc.push_str("</r>");
        assert_eq!(parse(&doc).unwrap().children.len(), MAX_DECLS);
        // A prefix redeclared inside a child, used after the child closed:
        // the outer binding is in scope again (and copied).
        let body =
            parse("<body xmlns:p='urn:1'><b xmlns:p='urn:2'><p:c/></b><p:d/></body>").unwrap();
        let b = body.child("b").unwrap();
        assert_eq!(b.attrs, vec![("xmlns:p".to_string(), "urn:2".to_string())]);
        let d = body.child("d").unwrap();
        assert_eq!(d.attrs, vec![("xmlns:p".to_string(), "urn:1".to_string())]);
    }

    #[test]
    fn declarations_at_the_limits_serialise() {
        let body = parse(&many_declarations(MAX_DECLS_PER_ELEMENT)).unwrap();
        assert_eq!(parse(&body.to_xml()).unwrap(), body);
        let last = MAX_DECLS_PER_ELEMENT - 1;
        assert_eq!(
            body.child("a").unwrap().to_xml(),
            format!("<p1:a xmlns:p1='urn:1' xmlns:p{last}='urn:{last}' p{last}:x='1'/>")
        );
        assert_eq!(body.child("c").unwrap().to_xml(), "<c xmlns='urn:b'/>");
        for child in body.elements() {
            assert_eq!(&parse_standalone(&child.to_xml()).unwrap(), child);
        }
    }

    #[test]
    fn declarations_at_the_limits_invalid() {
        assert_eq!(
            err(&many_declarations(MAX_DECLS_PER_ELEMENT + 1)),
            XmlError::TooManyDeclarationsOnElement
        );
        // The shape of the hostile body: far more than the limit on `<body/>`.
        assert_eq!(
            err(&many_declarations(120_000)),
            XmlError::TooManyDeclarationsOnElement
        );
        assert_eq!(
            parse_standalone(&many_declarations(MAX_DECLS_PER_ELEMENT + 1)),
            Err(XmlError::TooManyDeclarationsOnElement)
        );
        let mut doc = String::from("<r>");
        doc.push_str(&"<a xmlns='u'/>".repeat(MAX_DECLS + 1));
        doc.push_str("</r>");
        assert_eq!(err(&doc), XmlError::TooManyDeclarations);
        // The same prefix declared twice on one element.
        syntax("<a xmlns:p='u' xmlns:p='v'/>");
    }

    #[test]
    fn long_attribute_lists() {
        // Duplicate detection stays O(n log n) (a balanced tree above 32
        // attributes); a duplicate at the very end is still found.
        let mut s = String::from("<a");
        for i in 0..20_000 {
            s.push_str(&format!(" x{i}='{i}'"));
        }
        let e = parse(&format!("{s}/>")).unwrap();
        assert_eq!(e.attrs.len(), 20_000);
        assert_eq!(e.attr("x19999"), Some("19999"));
        assert_eq!(parse(&e.to_xml()).unwrap(), e);
        syntax(&format!("{s} x0='again'/>"));
    }

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Any successful parse must survive a write and re-parse unchanged.
    fn check_round_trip(input: &str) {
        if let Ok(e) = parse(input) {
            let xml = e.to_xml();
            assert_eq!(parse(&xml).as_ref(), Ok(&e), "{input:?} -> {xml:?}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        const TOKENS: &[&str] = &[
            "<",
            ">",
            "/",
            "</",
            "/>",
            "<a",
            "<b:c",
            "</a>",
            "a",
            "b:c",
            "=",
            "'",
            "\"",
            " ",
            "\n",
            "\r",
            "&",
            ";",
            "&amp;",
            "&#",
            "&#x",
            "1F600",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<?",
            "?>",
            "<?xml version='1.0'?>",
            "<!DOCTYPE",
            "xmlns",
            "xmlns:b",
            "xmlns='u'",
            "xmlns:b='v'",
            "é",
            "\u{0}",
            "\u{FFFF}",
            "😀",
            "\t",
            ":",
            "x='1'",
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..rng.below(24) {
                s.push_str(TOKENS[rng.below(TOKENS.len())]);
            }
            check_round_trip(&s);
            let bytes: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
            check_round_trip(&String::from_utf8_lossy(&bytes));
        }
    }

    /// Writes a random, mostly well-formed document (undeclared prefixes and
    /// duplicate attributes happen) full of escapes, CDATA, comments and
    /// namespace declarations.
    fn gen_element(rng: &mut XorShift, depth: usize, out: &mut String) {
        const NAMES: &[&str] = &["a", "b:c", "p:q", "message", "stream:features"];
        const ATTRS: &[&str] = &[
            "x",
            "y",
            "b:z",
            "xmlns",
            "xmlns:b",
            "xmlns:p",
            "xmlns:stream",
            "xml:lang",
        ];
        const VALUES: &[&str] = &[
            "1", "&amp;", "&#x9;", "&quot;", "&apos;", "\t", "\n", "\r\n", "é", "&lt;", "&#10;",
            "urn:x", ">",
        ];
        const TEXTS: &[&str] = &[
            "hi",
            " ",
            "&amp;",
            "&#13;",
            "\r\n",
            "<![CDATA[<x>&amp;]]>",
            "<!--c-->",
            "<?pi x?>",
            "é😀",
            "&#x1F600;",
            "&gt;",
            ">",
            "\"'",
        ];
        let name = NAMES[rng.below(NAMES.len())];
        out.push('<');
        out.push_str(name);
        for _ in 0..rng.below(4) {
            let quote = if rng.below(2) == 0 { '\'' } else { '"' };
            out.push(' ');
            out.push_str(ATTRS[rng.below(ATTRS.len())]);
            out.push('=');
            out.push(quote);
            for _ in 0..1 + rng.below(3) {
                out.push_str(VALUES[rng.below(VALUES.len())]);
            }
            out.push(quote);
        }
        if depth == 0 || rng.below(4) == 0 {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for _ in 0..rng.below(5) {
            if rng.below(2) == 0 {
                out.push_str(TEXTS[rng.below(TEXTS.len())]);
            } else {
                gen_element(rng, depth - 1, out);
            }
        }
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }

    #[test]
    fn generated_documents_round_trip() {
        let mut rng = XorShift(7);
        let mut ok = 0;
        for _ in 0..3_000 {
            let mut s = String::new();
            // Half the time, inside a body declaring the prefixes (copies happen).
            let wrapped = rng.below(2) == 0;
            if wrapped {
                s.push_str(
                    "<body xmlns='urn:body' xmlns:b='urn:b' xmlns:p='urn:p' xmlns:stream='urn:s'>",
                );
                for _ in 0..rng.below(4) {
                    gen_element(&mut rng, 3, &mut s);
                }
                s.push_str("</body>");
            } else {
                gen_element(&mut rng, 4, &mut s);
            }
            for (parser, copies) in [(parse as fn(&str) -> _, true), (parse_standalone, false)] {
                if let Ok(e) = parser(&s) {
                    ok += 1;
                    let xml = e.to_xml();
                    assert_eq!(parser(&xml).as_ref(), Ok(&e), "{s:?} -> {xml:?}");
                    // With copies, each child of the root stands on its own.
                    for child in e.elements().filter(|_| copies) {
                        let alone = child.to_xml();
                        assert_eq!(
                            parse_standalone(&alone).as_ref(),
                            Ok(child),
                            "{s:?}: {alone:?}"
                        );
                    }
                }
            }
        }
        assert!(ok > 2_000, "{ok} of 6000 parsed");
    }

    #[test]
    fn mutated_responses_never_panic() {
        let mut rng = XorShift(42);
        let mut ok = 0;
        for sample in [PROSODY_SESSION, MESSAGE_BODY] {
            for _ in 0..5_000 {
                let mut bytes = sample.as_bytes().to_vec();
                for _ in 0..1 + rng.below(3) {
                    let pos = rng.below(bytes.len());
                    match rng.below(3) {
                        0 => {
                            let set = b"<>/='\"&;:x ";
                            bytes[pos] = set[rng.below(set.len())];
                        }
                        1 => {
                            bytes.remove(pos);
                        }
                        _ => bytes.insert(pos, rng.next() as u8),
                    }
                }
                let s = String::from_utf8_lossy(&bytes);
                if parse(&s).is_ok() {
                    ok += 1;
                }
                check_round_trip(&s);
            }
        }
        assert!(ok > 0, "some mutations are still well-formed");
    }

    #[test]
    fn big_body_with_100_stanzas() {
        let mut input = String::from(
            "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'>",
        );
        let filler =
            "Lorem ipsum dolor sit amet &amp; consectetur &lt;adipiscing&gt; elit. ".repeat(8);
        for i in 0..100 {
            input.push_str(&format!(
                "<message xmlns='jabber:client' from='room@muc.example.com/nick{i}' to='me@example.com/res' \
                 type='groupchat' id='id{i}'><body>{filler}</body>\
                 <stanza-id xmlns='urn:xmpp:sid:0' id='{i}' by='room@muc.example.com'/></message>"
            ));
        }
        input.push_str("</body>");
        assert!(input.len() > 60_000, "{}", input.len());
        let start = std::time::Instant::now();
        let body = parse(&input).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(body.elements().count(), 100);
        assert!(body
            .elements()
            .all(|m| m.ns() == Some("jabber:client") && m.attrs.len() == 5));
        eprintln!("parsed {} bytes in {elapsed:?}", input.len());
    }
}
