//! HMAC (RFC 2104) and PBKDF2 with one output block (RFC 8018 §5.2, as
//! SCRAM's `Hi()` uses it), over the hashes of [`super::sha`]. They replace
//! the `hmac` and `pbkdf2` crates, whose generic layers cost the wasm about
//! 5 KB for these few lines.

use super::scram::ScramHash;
use super::sha::{Digest, Sha};

/// HMAC keyed once: the hash states after the inner and the outer padded
/// key, cloned for each message (two compressions per short message).
#[derive(Clone)]
pub struct Hmac {
    inner: Sha,
    outer: Sha,
}

impl Hmac {
    /// Keys the HMAC of `alg` (any key length: a key longer than a block is
    /// hashed).
    pub fn new(alg: ScramHash, key: &[u8]) -> Self {
        let block = Sha::block_len(alg);
        let mut k = [0u8; 128];
        let hashed;
        let key = if key.len() > block {
            hashed = Sha::digest(alg, key);
            &hashed[..]
        } else {
            key
        };
        if let Some(dst) = k.get_mut(..key.len()) {
            dst.copy_from_slice(key);
        }
        let k = &mut k[..block];
        let mut inner = Sha::new(alg);
        let mut outer = Sha::new(alg);
        for b in k.iter_mut() {
            *b ^= 0x36;
        }
        inner.update(k);
        for b in k.iter_mut() {
            *b ^= 0x36 ^ 0x5c;
        }
        outer.update(k);
        Hmac { inner, outer }
    }

    /// The MAC of the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> Digest {
        let mut inner = self.inner.clone();
        for p in parts {
            inner.update(p);
        }
        let mut outer = self.outer.clone();
        outer.update(&inner.finalize());
        outer.finalize()
    }
}

/// PBKDF2-HMAC of `password` and `salt`, `iterations` rounds (at least one),
/// one hash long.
pub fn pbkdf2(alg: ScramHash, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    let prf = Hmac::new(alg, password);
    let u = prf.mac(&[salt, &1u32.to_be_bytes()]);
    let mut t = u;
    Sha::pbkdf2_rounds(
        &prf.inner,
        &prf.outer,
        &u,
        &mut t,
        iterations.saturating_sub(1),
    );
    t.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScramHash::{Sha1, Sha256, Sha512};

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block), and
    /// RFC 2202 test case 1 for SHA-1.
    #[test]
    fn hmac_vectors() {
        let key = [0x0b; 20];
        assert_eq!(
            hex(&Hmac::new(Sha256, &key).mac(&[b"Hi There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&Hmac::new(Sha512, b"Jefe").mac(&[b"what do ya want ", b"for nothing?"])),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
        assert_eq!(
            hex(&Hmac::new(Sha256, &[0xaa; 131])
                .mac(&[b"Test Using Larger Than Block-Size Key - Hash Key First"])),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert_eq!(
            hex(&Hmac::new(Sha1, &key).mac(&[b"Hi There"])),
            "b617318655057264e28bc0b6fb378c8ef146be00"
        );
    }

    /// The PBKDF2 fast path (one prepared block per round) gives what the
    /// `pbkdf2` crate gives, for each hash, for round counts around the
    /// first and many, with passwords shorter than, as long as and longer
    /// than a block.
    #[test]
    fn pbkdf2_same_as_crate() {
        for alg in [Sha1, Sha256, Sha512] {
            for password in [&b"pencil"[..], &[7u8; 64], &[9u8; 128], &[3u8; 200]] {
                for rounds in [1, 2, 3, 17, 4096] {
                    let salt = b"QSXCR+Q6sek8bf92";
                    let mut want = vec![0u8; Sha::digest(alg, b"").len()];
                    match alg {
                        Sha1 => {
                            ::pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, &mut want)
                        }
                        Sha256 => {
                            ::pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, &mut want)
                        }
                        Sha512 => {
                            ::pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, &mut want)
                        }
                    }
                    assert_eq!(
                        pbkdf2(alg, password, salt, rounds),
                        want,
                        "{alg:?}, {} byte password, {rounds} rounds",
                        password.len()
                    );
                }
            }
        }
    }

    /// RFC 6070 (PBKDF2-HMAC-SHA1), and RFC 7914 §11 (PBKDF2-HMAC-SHA256,
    /// first 32 bytes).
    #[test]
    fn pbkdf2_vectors() {
        assert_eq!(
            hex(&pbkdf2(Sha1, b"password", b"salt", 1)),
            "0c60c80f961f0e71f3a9b524af6012062fe037a6"
        );
        assert_eq!(
            hex(&pbkdf2(Sha1, b"password", b"salt", 4096)),
            "4b007901b765489abead49d926f721d065a429c1"
        );
        assert_eq!(
            hex(&pbkdf2(Sha256, b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }
}
