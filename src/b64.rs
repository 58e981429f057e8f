//! Base64 (RFC 4648 §4, the standard alphabet with `=` padding) for SASL:
//! `<auth/>`/`<response/>` payloads, and the salt and server signature of
//! SCRAM. It replaces the `base64` crate, whose generic engines cost the
//! wasm about 6 KB for these two functions.
//!
//! Decoding is strict, as RFC 6120 §6.4.2 and RFC 5802 want: the length is a
//! multiple of 4, `=` only as the last one or two characters, no blanks, and
//! the bits a final `=` leaves over are zero (one text per byte string).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 text of `bytes`.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    encode_slice(bytes.as_ref())
}

/// [`encode`] without the generic conversion (one copy in the wasm).
fn encode_slice(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// The bytes of a base64 text, or `None` when it is not strict base64.
pub fn decode(text: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    let text = text.as_ref();
    if text.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    for (q, quad) in text.chunks(4).enumerate() {
        let pad = if q + 1 == quads {
            quad.iter().rev().take_while(|&&c| c == b'=').count()
        } else {
            0
        };
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pad as u32;
        let b = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // The bits after the last byte must be zero.
        if b[3 - pad..].iter().any(|&x| x != 0) {
            return None;
        }
        out.extend_from_slice(&b[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10.
    #[test]
    fn rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain), coded);
            assert_eq!(decode(coded).as_deref(), Some(plain.as_bytes()), "{coded}");
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(encode(&all)), Some(all));
        assert_eq!(encode([0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn only_strict_base64_decodes() {
        for bad in [
            "Zg", "Zg=", "Zm9v=", "Z===", "====", "Zg==Zg==", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n",
            "Zm-v", "Zm_v", "=Zm9",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
