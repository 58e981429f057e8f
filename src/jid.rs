//! Jabber IDs: the RFC 7622 shape `node@domain/resource`, checked leniently
//! like Strophe.js (no PRECIS/stringprep), and Strophe.js' string helpers,
//! including XEP-0106 node escaping.

use std::fmt;
use std::str::FromStr;

/// Maximum length in bytes of each part of a JID (RFC 7622).
pub const MAX_PART_LEN: usize = 1023;

/// A parsed JID. Each part is non-empty and at most [`MAX_PART_LEN`] bytes; the
/// node and the domain contain neither `@` nor `/`; the domain has no final dot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Jid {
    node: Option<String>,
    domain: String,
    resource: Option<String>,
}

/// Why a string or parts are not a JID.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum JidError {
    /// The string is empty.
    #[error("empty JID")]
    Empty,
    /// An `@` with nothing before it.
    #[error("empty node part in JID")]
    EmptyNode,
    /// No domain part (or only a dot).
    #[error("empty domain part in JID")]
    EmptyDomain,
    /// A `/` with nothing after it.
    #[error("empty resource part in JID")]
    EmptyResource,
    /// A part is longer than 1023 bytes.
    #[error("JID part longer than 1023 bytes")]
    TooLong,
    /// The node or the domain contains `@` or `/` (e.g. `a@b@c`).
    #[error("'@' or '/' in the node or domain part of a JID")]
    InvalidChar,
}

impl Jid {
    /// Parses `node@domain/resource`: the first `/` starts the resource (which
    /// may contain `@` and `/`); an `@` before it ends the node. A final dot of
    /// the domain is removed; nothing else is normalised.
    pub fn parse(s: &str) -> Result<Jid, JidError> {
        if s.is_empty() {
            return Err(JidError::Empty);
        }
        let (bare, resource) = match s.split_once('/') {
            Some((bare, resource)) => (bare, Some(resource)),
            None => (s, None),
        };
        let (node, domain) = match bare.split_once('@') {
            Some((node, domain)) => (Some(node), domain),
            None => (None, bare),
        };
        Jid::new(node, domain, resource)
    }

    /// A JID from its parts, checked as by [`Jid::parse`] (a final dot of the
    /// domain is removed).
    pub fn new(node: Option<&str>, domain: &str, resource: Option<&str>) -> Result<Jid, JidError> {
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        if let Some(node) = node {
            check_part(node, JidError::EmptyNode)?;
            if node.contains(['@', '/']) {
                return Err(JidError::InvalidChar);
            }
        }
        check_part(domain, JidError::EmptyDomain)?;
        if domain.contains(['@', '/']) {
            return Err(JidError::InvalidChar);
        }
        if let Some(resource) = resource {
            check_part(resource, JidError::EmptyResource)?;
        }
        Ok(Jid {
            node: node.map(str::to_owned),
            domain: domain.to_owned(),
            resource: resource.map(str::to_owned),
        })
    }

    /// The node (localpart), if any.
    pub fn node(&self) -> Option<&str> {
        self.node.as_deref()
    }

    /// The domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The resource, if any.
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// The JID without its resource.
    pub fn bare(&self) -> Jid {
        Jid {
            node: self.node.clone(),
            domain: self.domain.clone(),
            resource: None,
        }
    }

    /// Whether the JID has no resource.
    pub fn is_bare(&self) -> bool {
        self.resource.is_none()
    }

    /// The same node and domain with this resource.
    pub fn with_resource(&self, resource: &str) -> Result<Jid, JidError> {
        check_part(resource, JidError::EmptyResource)?;
        Ok(Jid {
            node: self.node.clone(),
            domain: self.domain.clone(),
            resource: Some(resource.to_owned()),
        })
    }
}

fn check_part(part: &str, empty: JidError) -> Result<(), JidError> {
    if part.is_empty() {
        Err(empty)
    } else if part.len() > MAX_PART_LEN {
        Err(JidError::TooLong)
    } else {
        Ok(())
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(node) = &self.node {
            f.write_str(node)?;
            f.write_str("@")?;
        }
        f.write_str(&self.domain)?;
        if let Some(resource) = &self.resource {
            f.write_str("/")?;
            f.write_str(resource)?;
        }
        Ok(())
    }
}

impl FromStr for Jid {
    type Err = JidError;

    fn from_str(s: &str) -> Result<Jid, JidError> {
        Jid::parse(s)
    }
}

/// Strophe.js `getBareJidFromJid`: everything before the first `/`.
pub fn get_bare_jid_from_jid(s: &str) -> String {
    match s.split_once('/') {
        Some((bare, _)) => bare.to_owned(),
        None => s.to_owned(),
    }
}

/// Strophe.js `getNodeFromJid`: everything before the first `@` of the whole
/// string, or `None` if there is no `@`.
pub fn get_node_from_jid(s: &str) -> Option<String> {
    s.split_once('@').map(|(node, _)| node.to_owned())
}

/// Strophe.js `getDomainFromJid`: the bare JID after its first `@`.
pub fn get_domain_from_jid(s: &str) -> String {
    let bare = get_bare_jid_from_jid(s);
    match bare.split_once('@') {
        Some((_, domain)) => domain.to_owned(),
        None => bare,
    }
}

/// Strophe.js `getResourceFromJid`: everything after the first `/` (possibly
/// empty), or `None` if there is no `/`.
pub fn get_resource_from_jid(s: &str) -> Option<String> {
    s.split_once('/').map(|(_, resource)| resource.to_owned())
}

/// The XEP-0106 escape code of a character.
fn escape_code(c: char) -> Option<&'static str> {
    Some(match c {
        ' ' => "20",
        '"' => "22",
        '&' => "26",
        '\'' => "27",
        '/' => "2f",
        ':' => "3a",
        '<' => "3c",
        '>' => "3e",
        '@' => "40",
        '\\' => "5c",
        _ => return None,
    })
}

/// The character an XEP-0106 escape code (the two characters after `\`)
/// stands for; lowercase hex only, as the XEP writes them.
fn unescape_code(code: &str) -> Option<char> {
    Some(match code {
        "20" => ' ',
        "22" => '"',
        "26" => '&',
        "27" => '\'',
        "2f" => '/',
        "3a" => ':',
        "3c" => '<',
        "3e" => '>',
        "40" => '@',
        "5c" => '\\',
        _ => return None,
    })
}

/// Whether `s` starts with an XEP-0106 escape code.
fn starts_with_code(s: &str) -> bool {
    s.get(..2).and_then(unescape_code).is_some()
}

/// JavaScript's `\s`, which Strophe.js trims with.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// XEP-0106 escaping of a node: leading and trailing white space is trimmed
/// (as Strophe.js does), then space `"` `&` `'` `/` `:` `<` `>` `@` become
/// `\20` ... `\40`; a backslash becomes `\5c` only where it would otherwise
/// start an escape sequence (so `c:\net` gives `c\3a\net`, `c:\5commas` gives
/// `c\3a\5c5commas`).
pub fn escape_node(s: &str) -> String {
    let s = s.trim_matches(is_js_space);
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        let escape = match c {
            '\\' => starts_with_code(s.get(i + 1..).unwrap_or("")),
            _ => escape_code(c).is_some(),
        };
        match escape_code(c) {
            Some(code) if escape => {
                out.push('\\');
                out.push_str(code);
            }
            _ => out.push(c),
        }
    }
    out
}

/// XEP-0106 unescaping of a node: each of the ten escape sequences `\20` ...
/// `\5c` becomes its character, in one left-to-right pass; any other backslash
/// is kept.
pub fn unescape_node(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some((before, after)) = rest.split_once('\\') {
        out.push_str(before);
        match after.get(..2).and_then(unescape_code) {
            Some(c) => {
                out.push(c);
                rest = after.get(2..).unwrap_or("");
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_full() {
        let jid = Jid::parse("juliet@capulet.lit/balcony").unwrap();
        assert_eq!(jid.node(), Some("juliet"));
        assert_eq!(jid.domain(), "capulet.lit");
        assert_eq!(jid.resource(), Some("balcony"));
        assert!(!jid.is_bare());
        assert_eq!(jid.bare(), Jid::parse("juliet@capulet.lit").unwrap());
        assert!(jid.bare().is_bare());
        assert_eq!(jid, "juliet@capulet.lit/balcony".parse().unwrap());

        let jid = Jid::parse("capulet.lit").unwrap();
        assert_eq!(
            (jid.node(), jid.domain(), jid.resource()),
            (None, "capulet.lit", None)
        );

        // The first '/' starts the resource, which may hold '@' and '/'.
        let jid = Jid::parse("a@b/c@d/e").unwrap();
        assert_eq!(
            (jid.node(), jid.domain(), jid.resource()),
            (Some("a"), "b", Some("c@d/e"))
        );
        let jid = Jid::parse("b/c@d").unwrap();
        assert_eq!(
            (jid.node(), jid.domain(), jid.resource()),
            (None, "b", Some("c@d"))
        );

        // Case is kept; a final dot is removed.
        let jid = Jid::parse("Juliet@Capulet.LIT./Balcony").unwrap();
        assert_eq!(jid.domain(), "Capulet.LIT");
        assert_eq!(jid.node(), Some("Juliet"));
    }

    #[test]
    fn display() {
        for s in [
            "juliet@capulet.lit/balcony",
            "capulet.lit",
            "a@b",
            "b/c@d/e",
            "[::1]/r",
        ] {
            assert_eq!(Jid::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Jid::parse("a@example.com./r").unwrap().to_string(),
            "a@example.com/r"
        );
        let jid = Jid::new(Some("romeo"), "montague.lit", None).unwrap();
        assert_eq!(jid.to_string(), "romeo@montague.lit");
        let full = jid.with_resource("orchard/1").unwrap();
        assert_eq!(full.to_string(), "romeo@montague.lit/orchard/1");
        assert_eq!(full.bare(), jid);
    }

    #[test]
    fn errors() {
        assert_eq!(Jid::parse(""), Err(JidError::Empty));
        assert_eq!(Jid::parse("@d"), Err(JidError::EmptyNode));
        assert_eq!(Jid::parse("@"), Err(JidError::EmptyNode));
        assert_eq!(Jid::parse("a@"), Err(JidError::EmptyDomain));
        assert_eq!(Jid::parse("a@/r"), Err(JidError::EmptyDomain));
        assert_eq!(Jid::parse("/r"), Err(JidError::EmptyDomain));
        assert_eq!(Jid::parse("."), Err(JidError::EmptyDomain));
        assert_eq!(Jid::parse("a@b/"), Err(JidError::EmptyResource));
        assert_eq!(Jid::parse("a@b@c"), Err(JidError::InvalidChar));
        let long = "x".repeat(MAX_PART_LEN + 1);
        let max = "x".repeat(MAX_PART_LEN);
        assert!(Jid::parse(&format!("{max}@{max}/{max}")).is_ok());
        assert_eq!(Jid::parse(&format!("{long}@d")), Err(JidError::TooLong));
        assert_eq!(Jid::parse(&long), Err(JidError::TooLong));
        assert_eq!(Jid::parse(&format!("d/{long}")), Err(JidError::TooLong));
        assert_eq!(Jid::new(Some(""), "d", None), Err(JidError::EmptyNode));
        assert_eq!(Jid::new(Some("a@b"), "d", None), Err(JidError::InvalidChar));
        assert_eq!(Jid::new(None, "d/x", None), Err(JidError::InvalidChar));
        assert_eq!(Jid::new(None, "d", Some("")), Err(JidError::EmptyResource));
        let jid = Jid::parse("a@b").unwrap();
        assert_eq!(jid.with_resource(""), Err(JidError::EmptyResource));
        assert_eq!(jid.with_resource(&long), Err(JidError::TooLong));
        assert_eq!("".parse::<Jid>(), Err(JidError::Empty));
        assert_eq!(
            JidError::TooLong.to_string(),
            "JID part longer than 1023 bytes"
        );
    }

    #[test]
    fn strophe_helpers() {
        let s = "darcy@pemberley.lit/library";
        assert_eq!(get_bare_jid_from_jid(s), "darcy@pemberley.lit");
        assert_eq!(get_node_from_jid(s).as_deref(), Some("darcy"));
        assert_eq!(get_domain_from_jid(s), "pemberley.lit");
        assert_eq!(get_resource_from_jid(s).as_deref(), Some("library"));

        let s = "pemberley.lit";
        assert_eq!(get_bare_jid_from_jid(s), "pemberley.lit");
        assert_eq!(get_node_from_jid(s), None);
        assert_eq!(get_domain_from_jid(s), "pemberley.lit");
        assert_eq!(get_resource_from_jid(s), None);

        // Strophe's quirks, kept: split on the first '/' and the first '@'.
        let s = "a@b/c/d@e";
        assert_eq!(get_resource_from_jid(s).as_deref(), Some("c/d@e"));
        assert_eq!(get_domain_from_jid(s), "b");
        assert_eq!(get_node_from_jid("b/c@d").as_deref(), Some("b/c"));
        assert_eq!(get_domain_from_jid("a@b@c/r"), "b@c");
        assert_eq!(get_resource_from_jid("a@b/").as_deref(), Some(""));
        assert_eq!(get_bare_jid_from_jid(""), "");
        assert_eq!(get_domain_from_jid(""), "");
        assert_eq!(get_node_from_jid(""), None);
        assert_eq!(get_resource_from_jid(""), None);
    }

    /// XEP-0106 §5 examples (the localparts), plus the §4.2 one.
    const XEP_0106: &[(&str, &str)] = &[
        ("space cadet", r"space\20cadet"),
        ("call me \"ishmael\"", r"call\20me\20\22ishmael\22"),
        ("at&t guy", r"at\26t\20guy"),
        ("d'artagnan", r"d\27artagnan"),
        ("/.fanboy", r"\2f.fanboy"),
        ("::foo::", r"\3a\3afoo\3a\3a"),
        ("<foo>", r"\3cfoo\3e"),
        ("user@host", r"user\40host"),
        (r"c:\net", r"c\3a\net"),
        (r"c:\\net", r"c\3a\\net"),
        (r"c:\cool stuff", r"c\3a\cool\20stuff"),
        (r"c:\5commas", r"c\3a\5c5commas"),
        (r"\3and\2is\5cool", r"\5c3and\2is\5c5cool"),
    ];

    #[test]
    fn xep_0106_escape() {
        for (raw, escaped) in XEP_0106 {
            assert_eq!(escape_node(raw), *escaped, "{raw}");
        }
        assert_eq!(escape_node(r"\5c"), r"\5c5c");
        assert_eq!(escape_node(r"call\20me"), r"call\5c20me");
        assert_eq!(escape_node(r"foo\bar"), r"foo\bar");
        assert_eq!(escape_node(r"foo\41r"), r"foo\41r");
        assert_eq!(escape_node(r"end\"), r"end\");
        assert_eq!(escape_node(r"\5C"), r"\5C");
        assert_eq!(escape_node("  space cadet \t\u{feff}"), r"space\20cadet");
        assert_eq!(escape_node("é\\é"), "é\\é");
        assert_eq!(escape_node(""), "");
    }

    #[test]
    fn xep_0106_unescape() {
        for (raw, escaped) in XEP_0106 {
            assert_eq!(unescape_node(escaped), *raw, "{escaped}");
            assert_eq!(unescape_node(&escape_node(raw)), *raw);
        }
        assert_eq!(unescape_node(r"\5c5c"), r"\5c");
        assert_eq!(unescape_node(r"call\5c20me"), r"call\20me");
        assert_eq!(unescape_node(r"\5C\2F\"), r"\5C\2F\");
        assert_eq!(unescape_node("\\é\\2"), "\\é\\2");
    }

    #[test]
    fn xep_0106_invalid_input_is_kept() {
        // Nothing fails: text that is not an escape sequence passes through.
        for s in ["\\", "\\\\", "\\x", "\\2", "\\é", "a\\b\\c"] {
            assert_eq!(unescape_node(s), s);
            assert_eq!(escape_node(s), s);
        }
        let jid = Jid::new(Some(&escape_node("user@host")), "gateway.example", None).unwrap();
        assert_eq!(jid.to_string(), r"user\40host@gateway.example");
        assert_eq!(unescape_node(jid.node().unwrap()), "user@host");
    }
}
