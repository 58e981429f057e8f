//! BOSH protocol versions (`ver`, XEP-0124 §7.1): `<major>.<minor>`, where
//! the minor number is a separate integer (1.11 is newer than 1.6).

use std::fmt;

/// A BOSH protocol version. Ordered numerically, major first, then minor:
/// `1.6 < 1.10 < 1.11 < 2.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major number.
    pub major: u32,
    /// The minor number (an integer of its own, not a decimal fraction).
    pub minor: u32,
}

impl Version {
    /// The version this crate implements (XEP-0124 1.11).
    pub const IMPLEMENTED: Version = Version::new(1, 11);
    /// The version that introduced session pauses, `maxpause` and `ver` itself
    /// (XEP-0124 1.6).
    pub const PAUSE: Version = Version::new(1, 6);

    /// A version from its two numbers.
    pub const fn new(major: u32, minor: u32) -> Self {
        Version { major, minor }
    }

    /// Reads `"<major>.<minor>"` (surrounding whitespace allowed; a missing
    /// minor number reads as 0). `None` for anything else: signs, empty
    /// parts, more than two parts, numbers beyond `u32`.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let (major, minor) = match s.split_once('.') {
            Some((a, b)) => (a, b),
            None => (s, "0"),
        };
        let num = |p: &str| -> Option<u32> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        Some(Version::new(num(major)?, num(minor)?))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_numbers_compare_as_integers() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("1.11") > v("1.6"));
        assert!(v("1.10") > v("1.9"));
        assert!(v("2.0") > v("1.99"));
        assert_eq!(v(" 1.6 "), Version::new(1, 6));
        assert_eq!(v("1"), Version::new(1, 0));
        assert_eq!(Version::IMPLEMENTED.to_string(), "1.11");
    }

    #[test]
    fn garbage_is_none() {
        for s in [
            "",
            ".",
            "1.",
            ".1",
            "1.2.3",
            "-1.2",
            "1.+2",
            "a.b",
            "99999999999.1",
        ] {
            assert_eq!(Version::parse(s), None, "{s:?}");
        }
    }
}
