//! The rules for following a `see-other-uri` terminal condition
//! (XEP-0124 §17.2) — the specification leaves them to the client:
//!
//! * the target is an absolute `http:` or `https:` URL (scheme
//!   case-insensitive), at most [`MAX_URL_LEN`] bytes, with a host, no user
//!   information (`user@`), no whitespace or control characters;
//! * never from `https:` to `http:`: once the session started encrypted, every
//!   request stays encrypted (§19.1, a MUST);
//! * an `https:` target may be on any host (the specification's own example
//!   moves from `http://jabber.org` to `https://secure.jabber.org`);
//! * an `http:` target is accepted only on the same host and port as the
//!   current `http:` URL (a path change), so a plain-text answer cannot send
//!   the client's credentials to another host in clear;
//! * at most [`MAX_REDIRECTS`] redirects in a row.

use super::BoshError;

/// The longest redirect target accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// How many `see-other-uri` redirects are followed in a row.
pub const MAX_REDIRECTS: u32 = 3;

/// Splits `url` into (is_https, authority) if it is an absolute http(s) URL.
fn split(url: &str) -> Option<(bool, &str)> {
    // `get` rather than indexing: a multi-byte character may straddle the
    // boundary; an ASCII prefix that matched ends on a character boundary.
    let has = |p: &str| {
        url.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    let (https, rest) = if has("https://") {
        (true, url.get(8..)?)
    } else if has("http://") {
        (false, url.get(7..)?)
    } else {
        return None;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((https, rest.get(..end)?))
}

/// Checks a `see-other-uri` target against the rules above, from the
/// session's `current` URL. Returns the target, trimmed.
pub fn check_redirect(current: &str, target: &str) -> Result<String, BoshError> {
    let target = target.trim();
    if target.is_empty() || target.len() > MAX_URL_LEN {
        return Err(BoshError::BadRedirect("empty or too long"));
    }
    if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(BoshError::BadRedirect("whitespace or control character"));
    }
    let (to_https, authority) =
        split(target).ok_or(BoshError::BadRedirect("not an absolute http(s) URL"))?;
    if authority.is_empty() || authority.starts_with(':') {
        return Err(BoshError::BadRedirect("no host"));
    }
    if authority.contains('@') {
        return Err(BoshError::BadRedirect("user information in the URL"));
    }
    let from = split(current.trim());
    let from_https = from.is_some_and(|(h, _)| h);
    if from_https && !to_https {
        return Err(BoshError::BadRedirect("from https to http"));
    }
    if !to_https {
        let same = from.is_some_and(|(_, a)| a.eq_ignore_ascii_case(authority));
        if !same {
            return Err(BoshError::BadRedirect("plain http to another host"));
        }
    }
    Ok(target.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted() {
        let ok = |c, t| check_redirect(c, t).unwrap();
        assert_eq!(
            ok(
                "http://jabber.org/http-bind",
                " https://secure.jabber.org/xmppcm "
            ),
            "https://secure.jabber.org/xmppcm"
        );
        ok("https://a.example/bosh", "https://b.example:5443/bosh");
        ok("http://a.example:5280/bosh", "HTTP://A.example:5280/other");
    }

    #[test]
    fn refused() {
        let bad = |c, t| check_redirect(c, t).unwrap_err();
        assert_eq!(
            bad("https://a.example/", "http://a.example/"),
            BoshError::BadRedirect("from https to http")
        );
        bad("http://a.example/", "http://b.example/");
        bad("http://a.example/", "/relative");
        bad("http://a.example/", "javascript:alert(1)");
        bad("http://a.example/", "https://user:pw@evil.example/");
        bad("http://a.example/", "https://");
        bad("http://a.example/", "https://:443/");
        bad("http://a.example/", "https://a.example/\nx");
        bad("http://a.example/", "httpé://a.example/");
        bad("http://a.example/", "ht");
        bad(
            "http://a.example/",
            &format!("https://a.example/{}", "x".repeat(3000)),
        );
    }
}
