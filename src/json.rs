//! A small JSON reader and writer for the few documents the core reads and
//! writes: the keepalive [`Snapshot`](crate::connection::Snapshot), a
//! prebind service's answer and the connection [`Options`](crate::connection::Options).
//!
//! It replaces serde/serde_json, which cost the wasm about a fifth of its
//! size for these three documents. The reader takes any RFC 8259 text in
//! linear time, nested at most [`MAX_DEPTH`] deep; numbers other than
//! non-negative integers that fit a `u64` are read as [`Value::Num`] without
//! their value (no document here has one). Duplicate keys: the first wins.

use std::fmt;

/// The deepest nesting of arrays and objects the reader accepts.
pub const MAX_DEPTH: usize = 32;

/// A parsed JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer that fits a `u64`.
    Int(u64),
    /// Any other number (negative, fractional, with an exponent, or larger).
    Num,
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Value>),
    /// An object: its members in order.
    Obj(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object (the first one of that name).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is a non-negative one that fits a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Arr(items) => Some(items),
            _ => None,
        }
    }
}

/// Why a JSON document was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON: what was wrong, and the byte offset where.
    Syntax(&'static str, usize),
    /// JSON, but this field is missing or of the wrong type or range.
    Field(&'static str),
    /// JSON, but with a member that is not expected (its name).
    Unknown(String),
}

impl JsonError {
    /// A short description (the field or member name where there is one),
    /// without formatting.
    pub fn what(&self) -> &str {
        match self {
            JsonError::Syntax(what, _) => what,
            JsonError::Field(name) => name,
            JsonError::Unknown(name) => name,
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax(what, at) => write!(f, "invalid JSON at byte {at}: {what}"),
            JsonError::Field(name) => write!(f, "missing or invalid field `{name}`"),
            JsonError::Unknown(name) => write!(f, "unknown field `{name}`"),
        }
    }
}

impl std::error::Error for JsonError {}

/// Parses a whole JSON text (blanks around it allowed).
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let mut p = Parser { s: text, i: 0 };
    let v = p.value(0)?;
    p.blanks();
    if p.i != text.len() {
        return Err(p.err("text after the value"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> JsonError {
        JsonError::Syntax(what, self.i)
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let yes = self.peek() == Some(c);
        if yes {
            self.i += 1;
        }
        yes
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deep"));
        }
        self.blanks();
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.blanks();
                if self.eat(b'}') {
                    return Ok(Value::Obj(members));
                }
                loop {
                    self.blanks();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let key = self.string()?;
                    self.blanks();
                    if !self.eat(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    members.push((key, self.value(depth + 1)?));
                    self.blanks();
                    if self.eat(b'}') {
                        return Ok(Value::Obj(members));
                    }
                    if !self.eat(b',') {
                        return Err(self.err("expected ',' or '}'"));
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.blanks();
                if self.eat(b']') {
                    return Ok(Value::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.blanks();
                    if self.eat(b']') {
                        return Ok(Value::Arr(items));
                    }
                    if !self.eat(b',') {
                        return Err(self.err("expected ',' or ']'"));
                    }
                }
            }
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("expected a value")),
        }
    }

    fn word(&mut self, word: &str, v: Value) -> Result<Value, JsonError> {
        if self.s.get(self.i..).is_some_and(|r| r.starts_with(word)) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let negative = self.eat(b'-');
        let start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.s.as_bytes().get(start) == Some(&b'0')) {
            return Err(self.err("bad number"));
        }
        let end = self.i;
        let mut integer = !negative;
        if self.eat(b'.') {
            if self.digits() == 0 {
                return Err(self.err("bad number"));
            }
            integer = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("bad number"));
            }
            integer = false;
        }
        if !integer {
            return Ok(Value::Num);
        }
        let mut v: u64 = 0;
        for &d in self.s.as_bytes().get(start..end).unwrap_or_default() {
            match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
            {
                Some(next) => v = next,
                None => return Ok(Value::Num),
            }
        }
        Ok(Value::Int(v))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|c| char::from(c).to_digit(16))
                .ok_or_else(|| self.err("bad \\u escape"))?;
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }

    /// A string, at its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while matches!(self.peek(), Some(c) if c != b'"' && c != b'\\' && c >= 0x20) {
                self.i += 1;
            }
            // The loop stops only at ASCII bytes: a char boundary (`get`
            // keeps the standard library's slicing panic out of the wasm).
            out.push_str(self.s.get(start..self.i).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.i += 1,
                Some(_) => return Err(self.err("control character in a string")),
                None => return Err(self.err("unterminated string")),
            }
            let escape = self.peek().ok_or_else(|| self.err("unterminated string"))?;
            self.i += 1;
            let c = match escape {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let hi = self.hex4()?;
                    let code = if (0xD800..0xDC00).contains(&hi) {
                        if !(self.eat(b'\\') && self.eat(b'u')) {
                            return Err(self.err("lone surrogate"));
                        }
                        let lo = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return Err(self.err("lone surrogate"));
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        hi
                    };
                    char::from_u32(code).ok_or_else(|| self.err("lone surrogate"))?
                }
                _ => return Err(self.err("bad escape")),
            };
            out.push(c);
        }
    }
}

/// Appends `s` as a JSON string.
pub fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `n` in decimal (without `core::fmt`).
pub fn write_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

/// Writes a JSON object member by member: `{` on creation, `}` at [`Obj::end`].
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    /// Starts an object at the end of `out`.
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    /// Writes the key of the next member and returns the text to write its
    /// value into.
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(':');
        self.out
    }

    /// A string member.
    pub fn str(&mut self, key: &str, v: &str) {
        write_str(self.key(key), v);
    }

    /// An integer member.
    pub fn u64(&mut self, key: &str, v: u64) {
        write_u64(self.key(key), v);
    }

    /// An integer member, `null` when `None`.
    pub fn opt_u64(&mut self, key: &str, v: Option<u64>) {
        match v {
            Some(v) => self.u64(key, v),
            None => self.key(key).push_str("null"),
        }
    }

    /// A boolean member.
    pub fn bool(&mut self, key: &str, v: bool) {
        self.key(key).push_str(if v { "true" } else { "false" });
    }

    /// Ends the object.
    pub fn end(self) {
        self.out.push('}');
    }
}

/// The member `key` of object `v`, as a string.
pub fn field_str(v: &Value, key: &'static str) -> Result<String, JsonError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(JsonError::Field(key))
}

/// The member `key` of object `v`, as an integer.
pub fn field_u64(v: &Value, key: &'static str) -> Result<u64, JsonError> {
    v.get(key)
        .and_then(Value::as_u64)
        .ok_or(JsonError::Field(key))
}

/// The member `key` of object `v`, as an integer that fits a `u32`.
pub fn field_u32(v: &Value, key: &'static str) -> Result<u32, JsonError> {
    u32::try_from(field_u64(v, key)?).map_err(|_| JsonError::Field(key))
}

/// The member `key` of object `v`, as an integer that fits a `u32`; `None`
/// when it is missing or `null`.
pub fn field_opt_u32(v: &Value, key: &'static str) -> Result<Option<u32>, JsonError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => field_u32(v, key).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_value() {
        let v = parse(
            " {\"a\": [1, -2, 3.5, 1e3, 18446744073709551616, true, false, null],\
             \"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00é\", \"o\": {}} ",
        )
        .unwrap();
        assert_eq!(
            v.get("a").and_then(Value::as_array).unwrap(),
            &[
                Value::Int(1),
                Value::Num,
                Value::Num,
                Value::Num,
                Value::Num,
                Value::Bool(true),
                Value::Bool(false),
                Value::Null
            ]
        );
        assert_eq!(
            v.get("s").and_then(Value::as_str),
            Some("x\"\\/\u{8}\u{c}\n\r\té😀é")
        );
        assert_eq!(v.get("o"), Some(&Value::Obj(vec![])));
        assert_eq!(parse("18446744073709551615"), Ok(Value::Int(u64::MAX)));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"a\nb\"",
            "\"abc",
            "tru",
            "nul",
            "1 2",
            "{1:2}",
            "[1 2]",
            "\"\\u12g4\"",
        ] {
            assert!(
                matches!(parse(bad), Err(JsonError::Syntax(..))),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse(&deep),
            Err(JsonError::Syntax("nested too deep", _))
        ));
    }

    #[test]
    fn writes_what_it_reads() {
        let mut out = String::new();
        let mut o = Obj::new(&mut out);
        o.str("s", "a\"b\\c\n\u{1}\u{1f}é😀</x>");
        o.u64("n", u64::MAX);
        o.u64("z", 0);
        o.opt_u64("none", None);
        o.bool("t", true);
        o.end();
        assert_eq!(
            out,
            "{\"s\":\"a\\\"b\\\\c\\n\\u0001\\u001fé😀</x>\",\"n\":18446744073709551615,\
             \"z\":0,\"none\":null,\"t\":true}"
        );
        let v = parse(&out).unwrap();
        assert_eq!(field_str(&v, "s").unwrap(), "a\"b\\c\n\u{1}\u{1f}é😀</x>");
        assert_eq!(field_u64(&v, "n"), Ok(u64::MAX));
        assert_eq!(field_u32(&v, "n"), Err(JsonError::Field("n")));
        assert_eq!(field_opt_u32(&v, "none"), Ok(None));
        assert_eq!(field_opt_u32(&v, "z"), Ok(Some(0)));
        assert_eq!(v.get("t").and_then(Value::as_bool), Some(true));
    }
}
