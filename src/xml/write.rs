//! Serialisation of an [`Element`] tree (iterative, so any depth is fine).

use super::{Element, Node};

/// Appends `s` to `out` escaped for text content: `&`, `<`, `>` become entity
/// references, and a carriage return becomes `&#xD;` (a parser would otherwise
/// turn it into a line feed).
pub fn escape_text(s: &str, out: &mut String) {
    escape::<false>(s, out);
}

/// Appends `s` to `out` escaped for an attribute value (quoted with either
/// quote): `&`, `<`, `>`, `"`, `'` become entity references, and tab, line feed
/// and carriage return become character references (a parser would otherwise
/// normalise them to spaces).
pub fn escape_attr(s: &str, out: &mut String) {
    escape::<true>(s, out);
}

#[inline(always)]
fn needs_escape<const ATTR: bool>(b: u8) -> bool {
    if ATTR {
        matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\t' | b'\n' | b'\r')
    } else {
        matches!(b, b'&' | b'<' | b'>' | b'\r')
    }
}

/// Only ASCII bytes are replaced, and those are always char boundaries in
/// UTF-8, so the slices below cannot land inside a character.
fn escape<const ATTR: bool>(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    // Fast path, one branch-free pass: nothing to escape.
    if !bytes
        .iter()
        .fold(false, |acc, &b| acc | needs_escape::<ATTR>(b))
    {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape::<ATTR>(b) {
            continue;
        }
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            b'\t' => "&#x9;",
            b'\n' => "&#xA;",
            _ => "&#xD;",
        };
        out.push_str(s.get(start..i).unwrap_or(""));
        out.push_str(rep);
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
}

fn write_start(e: &Element, out: &mut String, empty: bool) {
    out.push('<');
    out.push_str(&e.name);
    for (k, v) in &e.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("='");
        escape_attr(v, out);
        out.push('\'');
    }
    out.push_str(if empty { "/>" } else { ">" });
}

fn write_end(e: &Element, out: &mut String) {
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
}

/// Writes `root` with an explicit stack of (element, index of the next child).
pub(super) fn write_element(root: &Element, out: &mut String) {
    if root.children.is_empty() {
        write_start(root, out, true);
        return;
    }
    write_start(root, out, false);
    let mut stack: Vec<(&Element, usize)> = vec![(root, 0)];
    while let Some(top) = stack.last_mut() {
        let el = top.0;
        match el.children.get(top.1) {
            None => {
                write_end(el, out);
                stack.pop();
            }
            Some(Node::Text(t)) => {
                top.1 += 1;
                escape_text(t, out);
            }
            Some(Node::Element(child)) => {
                top.1 += 1;
                if child.children.is_empty() {
                    write_start(child, out, true);
                } else {
                    write_start(child, out, false);
                    stack.push((child, 0));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        let mut out = String::new();
        escape_text("a & b < c > d \"e\" 'f'\r\n", &mut out);
        assert_eq!(out, "a &amp; b &lt; c &gt; d \"e\" 'f'&#xD;\n");
    }

    #[test]
    fn escapes_attr() {
        let mut out = String::new();
        escape_attr("<'\"&>\t\n\r é", &mut out);
        assert_eq!(out, "&lt;&apos;&quot;&amp;&gt;&#x9;&#xA;&#xD; é");
    }

    #[test]
    fn no_escape_needed_is_copied() {
        let mut out = String::from("x");
        escape_text("héllo wörld", &mut out);
        escape_attr("", &mut out);
        assert_eq!(out, "xhéllo wörld");
    }

    #[test]
    fn writes_nested() {
        let e = Element::new("message")
            .with_attr("to", "a@b")
            .with_attr("xmlns", "jabber:client")
            .with_child(Element::new("body").with_text("hi <3"))
            .with_child(
                Element::new("active").with_attr("xmlns", "http://jabber.org/protocol/chatstates"),
            );
        assert_eq!(
            e.to_xml(),
            "<message to='a@b' xmlns='jabber:client'><body>hi &lt;3</body>\
             <active xmlns='http://jabber.org/protocol/chatstates'/></message>"
        );
        assert_eq!(Element::new("a").to_xml(), "<a/>");
    }

    #[test]
    fn writes_very_deep_tree_iteratively() {
        // Far deeper than the parser allows; built iteratively.
        let mut e = Element::new("x");
        for _ in 0..10_000 {
            e = Element::new("x").with_child(e);
        }
        let s = e.to_xml();
        assert_eq!(s.len(), 10_000 * 7 + 4);
        // Dismantle iteratively so that the default recursive Drop is not stressed.
        let mut cur = Some(e);
        while let Some(mut el) = cur {
            cur = match el.children.pop() {
                Some(Node::Element(c)) => Some(c),
                _ => None,
            };
        }
    }
}
