//! The optional key sequencing mechanism of XEP-0124 §15 ("Protecting
//! Insecure Sessions").
//!
//! From a secret `seed` and a count `n`: `K(1) = hex(SHA-1(seed))`,
//! `K(i) = hex(SHA-1(K(i-1)))` (lower-case hexadecimal, hashed as ASCII). The
//! session creation request carries `newkey = K(n)`; each later request
//! carries the next key down, `K(n-1)` … `K(1)`. The request that uses `K(1)`
//! also carries `newkey`, the top of a fresh sequence (§15.5). The fresh seed
//! and length are HMAC-SHA-1 of the previous seed and a generation counter,
//! so they stay unpredictable: an observer only ever sees hashes of seeds.
//! The new length lies between half and one and a half times the first one.
//!
//! Only worth enabling over plain `http:` (§15.1); over `https:` the session
//! is already protected.

use crate::json::{self, JsonError, Value};
use crate::rand::RandomSource;
use crate::sasl::mac::Hmac;
use crate::sasl::sha::Sha;
use crate::sasl::ScramHash;
use std::fmt;

/// Fewest keys in a sequence: the creation request and one more.
pub const MIN_KEYS: u32 = 2;
/// Most keys in a sequence (the whole sequence is kept: 40 bytes each).
pub const MAX_KEYS: u32 = 4096;

/// The secret a key sequence grows from: a seed and the sequence length.
/// Its `Debug` output hides the seed.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySeed {
    seed: [u8; 20],
    n: u32,
}

impl KeySeed {
    /// A seed from secret random bytes and a length `n` (clamped to
    /// [`MIN_KEYS`]..=[`MAX_KEYS`]). Both should be unpredictable (§15.3).
    pub fn new(seed: [u8; 20], n: u32) -> Self {
        KeySeed {
            seed,
            n: n.clamp(MIN_KEYS, MAX_KEYS),
        }
    }

    /// A seed and a length (512..1024) drawn from `rng`, which must be a
    /// CSPRNG in production.
    pub fn from_random(rng: &mut dyn RandomSource) -> Self {
        let mut seed = [0u8; 20];
        rng.fill_bytes(&mut seed);
        let n = 512 + (rng.next_u64() % 512) as u32;
        KeySeed::new(seed, n)
    }

    /// A different secret seed of the same length, derived from this one and
    /// `label` (used for the session that follows a `see-other-uri`).
    pub fn derive(&self, label: u32) -> KeySeed {
        KeySeed::new(derive_seed(&self.seed, b"redirect", label), self.n)
    }

    /// The sequence length.
    pub fn len(&self) -> u32 {
        self.n
    }

    /// Always false: a sequence has at least [`MIN_KEYS`] keys.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl fmt::Debug for KeySeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySeed")
            .field("seed", &"<secret>")
            .field("n", &self.n)
            .finish()
    }
}

/// HMAC-SHA-1 of `seed` over a fixed label, `context` and `counter`: a new
/// secret seed, unpredictable to anyone who does not know `seed`.
fn derive_seed(seed: &[u8; 20], context: &[u8], counter: u32) -> [u8; 20] {
    let mac = Hmac::new(ScramHash::Sha1, seed).mac(&[
        b"xmpp-wasm bosh key sequence ",
        context,
        &counter.to_be_bytes(),
    ]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&mac);
    out
}

/// `hex(SHA-1(input))`, lower case, appended to `out`.
pub fn sha1_hex(input: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in Sha::digest(ScramHash::Sha1, input).iter() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// A live key sequence: all its keys, and which one goes next.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct KeyChain {
    seed: KeySeed,
    /// The length of the first sequence, around which later ones vary.
    base: u32,
    generation: u32,
    /// `K(1)`..`K(n)`, 40 characters each, concatenated.
    keys: String,
    /// The index (1-based) of the key the next request carries.
    next: u32,
}

impl fmt::Debug for KeyChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyChain")
            .field("generation", &self.generation)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The state a snapshot needs to continue a key sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyState {
    /// The seed of the current sequence.
    pub seed: KeySeed,
    /// The length of the first sequence (0: the current one's).
    pub base: u32,
    /// How many sequences came before it.
    pub generation: u32,
    /// The index of the key the next request carries.
    pub next: u32,
}

impl KeyChain {
    /// Generates the whole sequence of `seed`; the first request uses `K(n)`.
    pub fn new(seed: KeySeed, generation: u32) -> Self {
        let base = seed.n;
        Self::with_base(seed, base, generation)
    }

    fn with_base(seed: KeySeed, base: u32, generation: u32) -> Self {
        let n = seed.n as usize;
        let mut keys = String::with_capacity(40 * n);
        sha1_hex(&seed.seed, &mut keys);
        let mut prev = [0u8; 40];
        for i in 1..n {
            prev.copy_from_slice(&keys.as_bytes()[40 * (i - 1)..40 * i]);
            sha1_hex(&prev, &mut keys);
        }
        KeyChain {
            next: seed.n,
            seed,
            base,
            generation,
            keys,
        }
    }

    /// Continues a sequence from a snapshot (`None` if the state is
    /// inconsistent).
    pub fn restore(state: &KeyState) -> Option<Self> {
        // A snapshot comes from storage a page can tamper with: only
        // lengths `KeySeed::new` could have made are taken.
        let n_ok = (MIN_KEYS..=MAX_KEYS).contains(&state.seed.n);
        let base_ok = state.base == 0 || (MIN_KEYS..=MAX_KEYS).contains(&state.base);
        if !n_ok || !base_ok || state.next == 0 || state.next > state.seed.n {
            return None;
        }
        let base = if state.base == 0 {
            state.seed.n
        } else {
            state.base
        };
        let mut chain = KeyChain::with_base(state.seed.clone(), base, state.generation);
        chain.next = state.next;
        Some(chain)
    }

    /// The snapshot state.
    pub fn state(&self) -> KeyState {
        KeyState {
            seed: self.seed.clone(),
            base: self.base,
            generation: self.generation,
            next: self.next,
        }
    }

    fn key(&self, i: u32) -> &str {
        let i = i as usize;
        let start = i.saturating_sub(1).saturating_mul(40);
        self.keys
            .get(start..start.saturating_add(40))
            .unwrap_or_default()
    }

    /// Appends `newkey='K(n)'` for the session creation request.
    pub fn write_initial(&mut self, out: &mut String) {
        out.push_str("newkey='");
        out.push_str(self.key(self.next));
        out.push_str("' ");
        self.next = self.next.saturating_sub(1);
    }

    /// Appends `key='K(i)'` for the next request (and `newkey` from a fresh
    /// sequence when `K(1)` is used).
    pub fn write_next(&mut self, out: &mut String) {
        out.push_str("key='");
        out.push_str(self.key(self.next));
        out.push_str("' ");
        if self.next > 1 {
            self.next = self.next.saturating_sub(1);
            return;
        }
        // §15.5: new values for both the seed and n.
        let seed = derive_seed(&self.seed.seed, b"next", self.generation);
        let x = derive_seed(&self.seed.seed, b"length", self.generation);
        let r = u32::from_be_bytes([x[0], x[1], x[2], x[3]]);
        let n = (self.base / 2).saturating_add(r % self.base.saturating_add(1).max(1));
        let mut fresh = KeyChain::with_base(
            KeySeed::new(seed, n),
            self.base,
            self.generation.saturating_add(1),
        );
        fresh.write_initial(out);
        *self = fresh;
    }
}

impl KeyState {
    /// Writes the state as a JSON object:
    /// `{"seed":{"seed":[20 bytes],"n":…},"base":…,"generation":…,"next":…}`.
    pub fn write_json(&self, out: &mut String) {
        let mut o = json::Obj::new(out);
        let seed = o.key("seed");
        seed.push_str("{\"seed\":[");
        for (i, b) in self.seed.seed.iter().enumerate() {
            if i > 0 {
                seed.push(',');
            }
            json::write_u64(seed, u64::from(*b));
        }
        seed.push_str("],\"n\":");
        json::write_u64(seed, u64::from(self.seed.n));
        seed.push('}');
        o.u64("base", u64::from(self.base));
        o.u64("generation", u64::from(self.generation));
        o.u64("next", u64::from(self.next));
        o.end();
    }

    /// Reads what [`KeyState::write_json`] wrote (`base` may be missing: 0).
    /// Only the types are checked here; `SessionSnapshot::validate` checks
    /// the ranges.
    pub fn from_json(v: &Value) -> Result<KeyState, JsonError> {
        let s = v.get("seed").ok_or(JsonError::Field("seed"))?;
        let bytes = s
            .get("seed")
            .and_then(Value::as_array)
            .filter(|b| b.len() == 20)
            .ok_or(JsonError::Field("seed"))?;
        let mut seed = [0u8; 20];
        for (d, b) in seed.iter_mut().zip(bytes) {
            *d = b
                .as_u64()
                .and_then(|b| u8::try_from(b).ok())
                .ok_or(JsonError::Field("seed"))?;
        }
        Ok(KeyState {
            seed: KeySeed {
                seed,
                n: json::field_u32(s, "n")?,
            },
            base: json::field_opt_u32(v, "base")?.unwrap_or(0),
            generation: json::field_u32(v, "generation")?,
            next: json::field_u32(v, "next")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_matches_the_specification_examples() {
        // XEP-0124 §15.4/§15.5: SHA-1 of each key (as hex text) is the key sent
        // before it.
        let mut out = String::new();
        sha1_hex(b"bfb06a6f113cd6fd3838ab9d300fdb4fe3da2f7d", &mut out);
        assert_eq!(out, "ca393b51b682f61f98e7877d61146407f3d0a770");
        let chain = KeyChain::new(KeySeed::new([7; 20], 5), 0);
        for i in 2..=5 {
            let mut h = String::new();
            sha1_hex(chain.key(i - 1).as_bytes(), &mut h);
            assert_eq!(h, chain.key(i));
        }
    }

    #[test]
    fn a_new_sequence_has_a_new_seed_and_length() {
        let mut chain = KeyChain::new(KeySeed::new([1; 20], 40), 0);
        let mut out = String::new();
        chain.write_initial(&mut out);
        let mut lengths = vec![];
        for _ in 0..400 {
            let before = chain.generation;
            chain.write_next(&mut out);
            if chain.generation != before {
                lengths.push(chain.seed.n);
                assert_ne!(chain.seed.seed, [1; 20]);
            }
        }
        assert!(lengths.len() >= 5);
        assert!(lengths.iter().all(|n| (20..=60).contains(n)), "{lengths:?}");
        assert!(lengths.windows(2).any(|w| w[0] != w[1]), "{lengths:?}");
    }

    #[test]
    fn debug_hides_the_seed() {
        let s = format!("{:?}", KeySeed::new([0xAB; 20], 3));
        assert!(
            !s.contains("171") && !s.to_lowercase().contains("ab,"),
            "{s}"
        );
    }
}
