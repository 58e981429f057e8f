//! Injected randomness.
//!
//! The core never reaches for global randomness: whoever drives it passes a
//! [`RandomSource`]. The web shell uses the browser's CSPRNG
//! (`crypto.getRandomValues`); native tests use the seedable [`XorShift`].

/// A source of random bytes.
///
/// Production code must back this with a cryptographically secure generator:
/// BOSH request ids and SCRAM nonces are drawn from it.
pub trait RandomSource {
    /// Fills `buf` with random bytes.
    fn fill_bytes(&mut self, buf: &mut [u8]);

    /// Returns a random `u64`.
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    /// Returns `len` random characters from the URL-safe alphabet
    /// `[A-Za-z0-9_-]` (for nonces and stanza ids).
    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bytes = vec![0u8; len];
        self.fill_bytes(&mut bytes);
        let mut out = String::with_capacity(len);
        for b in bytes {
            out.push(char::from(ALPHABET[usize::from(b & 63)]));
        }
        out
    }
}

/// A small deterministic generator (xorshift64*), for tests and examples.
///
/// **Not cryptographically secure**: never use it for a real session.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// Creates the generator from a seed (zero is replaced by a fixed constant).
    pub fn new(seed: u64) -> Self {
        XorShift(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }
}

impl RandomSource for XorShift {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift_is_deterministic_and_tokens_use_the_alphabet() {
        let mut a = XorShift::new(7);
        let mut b = XorShift::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let t = a.token(32);
        assert_eq!(t.len(), 32);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a.token(16), b.token(17)[..16]);
    }
}
