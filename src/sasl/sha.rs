//! SHA-1, SHA-256 and SHA-512 (FIPS 180-4), the three hashes of SCRAM, as
//! one hasher that picks its compression function at run time. One copy of
//! the buffering, padding, HMAC and PBKDF2 code serves all three (the
//! RustCrypto crates this replaces gave each hash its own copy of all of it,
//! and unrolled rounds: 18 KB of wasm against about 4 KB here). Checked
//! against the FIPS examples and, for every length up to a few blocks,
//! against the `sha1`/`sha2` crates (dev-dependencies).

use super::scram::ScramHash;

/// SHA-512's round constants (FIPS 180-4 §4.2.3). SHA-256's (§4.2.2) are the
/// upper 32 bits of the first 64 of them (both are the cube roots of the
/// first primes), so they are not stored twice.
const K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

/// SHA-512's initial hash value (§5.3.5); SHA-256's (§5.3.3) is its upper
/// 32 bits (square roots of the first primes).
const H512: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// SHA-1's initial hash value (§5.3.1).
const H1: [u64; 5] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

/// A finished hash: up to 64 bytes, as a slice.
#[derive(Clone, Copy)]
pub struct Digest {
    bytes: [u8; 64],
    len: usize,
}

impl core::ops::Deref for Digest {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl core::ops::DerefMut for Digest {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.bytes.get_mut(..self.len).unwrap_or_default()
    }
}

/// An incremental SHA-1, SHA-256 or SHA-512.
#[derive(Clone)]
pub struct Sha {
    alg: ScramHash,
    /// The hash state: 32-bit words (SHA-1, SHA-256) widened to 64.
    h: [u64; 8],
    buf: [u8; 128],
    /// Bytes in `buf`, always less than a block.
    used: usize,
    /// Bytes hashed so far (the length field; wraps like the standard's).
    total: u64,
}

impl Sha {
    /// A hasher of `alg` with nothing hashed yet.
    pub fn new(alg: ScramHash) -> Self {
        let mut h = [0u64; 8];
        match alg {
            ScramHash::Sha1 => h[..5].copy_from_slice(&H1),
            ScramHash::Sha256 => {
                for (h, v) in h.iter_mut().zip(H512) {
                    *h = v >> 32;
                }
            }
            ScramHash::Sha512 => h = H512,
        }
        Sha {
            alg,
            h,
            buf: [0; 128],
            used: 0,
            total: 0,
        }
    }

    /// The hash of `data` in one call.
    pub fn digest(alg: ScramHash, data: &[u8]) -> Digest {
        let mut s = Sha::new(alg);
        s.update(data);
        s.finalize()
    }

    /// Bytes per block: 64, or 128 for SHA-512.
    pub fn block_len(alg: ScramHash) -> usize {
        if alg == ScramHash::Sha512 {
            128
        } else {
            64
        }
    }

    /// Adds `data` to the message.
    pub fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        let block = Sha::block_len(self.alg);
        while !data.is_empty() {
            let take = (block - self.used).min(data.len());
            let (now, rest) = data.split_at(take);
            if let Some(dst) = self.buf.get_mut(self.used..self.used + take) {
                dst.copy_from_slice(now);
            }
            self.used += take;
            data = rest;
            if self.used == block {
                self.compress();
                self.used = 0;
            }
        }
    }

    /// Pads the message, and gives its hash.
    pub fn finalize(mut self) -> Digest {
        let block = Sha::block_len(self.alg);
        let bits = self.total.wrapping_mul(8);
        // The length field: 64 bits, or 128 for SHA-512 (its upper half is
        // the bits of the byte count that a 64-bit bit count loses).
        let mut len = [0u8; 16];
        len[..8].copy_from_slice(&(self.total >> 61).to_be_bytes());
        len[8..].copy_from_slice(&bits.to_be_bytes());
        let field = block / 8;
        let zeros = (2 * block - self.used - 1 - field) % block;
        let mut pad = [0u8; 128 + 16];
        pad[0] = 0x80;
        let n = 1 + zeros;
        pad[n..n + field].copy_from_slice(&len[16 - field..]);
        self.update(&pad[..n + field]);
        let mut d = Digest {
            bytes: [0; 64],
            len: 0,
        };
        d.len = output(self.alg, &self.h, &mut d.bytes);
        d
    }

    fn compress(&mut self) {
        compress(self.alg, &mut self.h, &self.buf);
    }

    /// PBKDF2's rounds after the first (RFC 8018 §5.2: `U_i = PRF(P, U_{i-1})`,
    /// `T ^= U_i`), with `inner` and `outer` the HMAC states after its padded
    /// keys (one block each) and `u` holding `U_1`, `t` the sum so far. Each
    /// round's inner and outer messages are one key block plus one hash, so
    /// both are the single padded block built here once, with the hash in
    /// front: two compressions a round and no buffering.
    pub(super) fn pbkdf2_rounds(inner: &Sha, outer: &Sha, u: &Digest, t: &mut Digest, rounds: u32) {
        let alg = inner.alg;
        let block = Sha::block_len(alg);
        let mut b = [0u8; 128];
        let n = u.len;
        b[..n].copy_from_slice(u);
        b[n] = 0x80;
        let bits = ((block + n) as u64) * 8;
        b[block - 8..block].copy_from_slice(&bits.to_be_bytes());
        for _ in 0..rounds {
            let mut h = inner.h;
            compress(alg, &mut h, &b);
            output(alg, &h, &mut b);
            h = outer.h;
            compress(alg, &mut h, &b);
            output(alg, &h, &mut b);
            for (t, u) in t.iter_mut().zip(&b) {
                *t ^= u;
            }
        }
    }
}

/// One compression of `alg` on the first block of `block`.
fn compress(alg: ScramHash, h: &mut [u64; 8], block: &[u8; 128]) {
    match alg {
        ScramHash::Sha1 => sha1(h, block),
        ScramHash::Sha256 => sha256(h, block),
        ScramHash::Sha512 => sha512(h, block),
    }
}

/// Writes the hash of state `h` to the front of `out`; gives its length.
fn output(alg: ScramHash, h: &[u64; 8], out: &mut [u8]) -> usize {
    let (words, size) = match alg {
        ScramHash::Sha1 => (5, 4),
        ScramHash::Sha256 => (8, 4),
        ScramHash::Sha512 => (8, 8),
    };
    for (out, h) in out.chunks_exact_mut(size).zip(&h[..words]) {
        out.copy_from_slice(&h.to_be_bytes()[8 - size..]);
    }
    words * size
}

fn be32(b: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(b);
    u32::from_be_bytes(w)
}

/// SHA-1's compression function (§6.1.2) on the first 64 bytes of `block`.
fn sha1(h: &mut [u64; 8], block: &[u8; 128]) {
    let mut w = [0u32; 80];
    for (w, b) in w.iter_mut().zip(block.chunks_exact(4)) {
        *w = be32(b);
    }
    for t in 16..80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = [h[0], h[1], h[2], h[3], h[4]].map(|v| v as u32);
    for (t, w) in w.iter().enumerate() {
        let (f, k) = match t / 20 {
            0 => ((b & c) | (!b & d), 0x5a827999),
            1 => (b ^ c ^ d, 0x6ed9eba1),
            2 => ((b & c) | (b & d) | (c & d), 0x8f1bbcdc),
            _ => (b ^ c ^ d, 0xca62c1d6),
        };
        let tmp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*w);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = tmp;
    }
    for (h, v) in h.iter_mut().zip([a, b, c, d, e]) {
        *h = u64::from((*h as u32).wrapping_add(v));
    }
}

/// SHA-256's compression function (§6.2.2) on the first 64 bytes of `block`.
fn sha256(h: &mut [u64; 8], block: &[u8; 128]) {
    let mut w = [0u32; 64];
    for (w, b) in w.iter_mut().zip(block.chunks_exact(4)) {
        *w = be32(b);
    }
    for t in 16..64 {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16]
            .wrapping_add(s0)
            .wrapping_add(w[t - 7])
            .wrapping_add(s1);
    }
    let mut v = h.map(|v| v as u32);
    for (w, k) in w.iter().zip(K) {
        let [a, b, c, d, e, f, g, hh] = v;
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = hh
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add((k >> 32) as u32)
            .wrapping_add(*w);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        v = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
    }
    for (h, v) in h.iter_mut().zip(v) {
        *h = u64::from((*h as u32).wrapping_add(v));
    }
}

/// SHA-512's compression function (§6.4.2) on the 128 bytes of `block`.
fn sha512(h: &mut [u64; 8], block: &[u8; 128]) {
    let mut w = [0u64; 80];
    for (w, b) in w.iter_mut().zip(block.chunks_exact(8)) {
        let mut x = [0u8; 8];
        x.copy_from_slice(b);
        *w = u64::from_be_bytes(x);
    }
    for t in 16..80 {
        let s0 = w[t - 15].rotate_right(1) ^ w[t - 15].rotate_right(8) ^ (w[t - 15] >> 7);
        let s1 = w[t - 2].rotate_right(19) ^ w[t - 2].rotate_right(61) ^ (w[t - 2] >> 6);
        w[t] = w[t - 16]
            .wrapping_add(s0)
            .wrapping_add(w[t - 7])
            .wrapping_add(s1);
    }
    let mut v = *h;
    for (w, k) in w.iter().zip(K) {
        let [a, b, c, d, e, f, g, hh] = v;
        let s1 = e.rotate_right(14) ^ e.rotate_right(18) ^ e.rotate_right(41);
        let ch = (e & f) ^ (!e & g);
        let t1 = hh
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(k)
            .wrapping_add(*w);
        let s0 = a.rotate_right(28) ^ a.rotate_right(34) ^ a.rotate_right(39);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        v = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
    }
    for (h, v) in h.iter_mut().zip(v) {
        *h = h.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// FIPS 180-4's one-block and two-block examples ("abc" and the 56-byte
    /// "abcdbcdecdefdefg…" message) and the empty message.
    #[test]
    fn fips_examples() {
        let two = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hex(&Sha::digest(ScramHash::Sha1, b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&Sha::digest(ScramHash::Sha1, two)),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&Sha::digest(ScramHash::Sha1, b"")),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            hex(&Sha::digest(ScramHash::Sha256, b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&Sha::digest(ScramHash::Sha256, two)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&Sha::digest(ScramHash::Sha512, b"abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }

    /// Every message length from 0 to 300 bytes (all the padding cases of
    /// both block sizes), hashed whole and fed in pieces of 1 to 7 bytes,
    /// against the `sha1`/`sha2` crates.
    #[test]
    fn same_as_rustcrypto() {
        let msg: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(131) >> 2) as u8)
            .collect();
        for n in 0..=msg.len() {
            let m = &msg[..n];
            let want: [Vec<u8>; 3] = [
                sha1::Sha1::digest(m).to_vec(),
                sha2::Sha256::digest(m).to_vec(),
                sha2::Sha512::digest(m).to_vec(),
            ];
            for (alg, want) in [ScramHash::Sha1, ScramHash::Sha256, ScramHash::Sha512]
                .into_iter()
                .zip(want)
            {
                assert_eq!(&*Sha::digest(alg, m), &want[..], "{alg:?} of {n} bytes");
                let mut s = Sha::new(alg);
                for piece in m.chunks(n % 7 + 1) {
                    s.update(piece);
                }
                assert_eq!(&*s.finalize(), &want[..], "{alg:?} of {n} bytes in pieces");
            }
        }
    }
}
