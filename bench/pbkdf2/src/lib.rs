//! `bench(hash, rounds)`: PBKDF2-HMAC of a fixed password and salt with the
//! library's own `src/sasl/sha.rs` and `src/sasl/mac.rs` (`hash`: 1, 256 or
//! 512); gives the first output byte so the work cannot be skipped.

mod scram {
    /// The library's hash selector, as `sha.rs` and `mac.rs` name it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ScramHash {
        Sha1,
        Sha256,
        Sha512,
    }
}
#[path = "../../../src/sasl/sha.rs"]
mod sha;
#[path = "../../../src/sasl/mac.rs"]
mod mac;

use scram::ScramHash;

/// PBKDF2 of `hash` with `rounds` rounds.
#[no_mangle]
pub extern "C" fn bench(hash: u32, rounds: u32) -> u32 {
    let alg = match hash {
        1 => ScramHash::Sha1,
        256 => ScramHash::Sha256,
        _ => ScramHash::Sha512,
    };
    u32::from(mac::pbkdf2(alg, b"pencil", b"QSXCR+Q6sek8bf92", rounds)[0])
}
