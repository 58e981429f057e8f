//! SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677),
//! client side, without channel binding (GS2 flag `n`).

use super::mac::{pbkdf2, Hmac};
use super::sha::Sha;
use crate::b64;

use super::{escape_saslname, gs2_header, Mechanism, SaslError};

/// Lowest iteration count accepted (RFC 7677 §4 recommends at least 4096).
pub const MIN_ITERATIONS: u32 = 4096;

/// Default of the highest iteration count accepted (the connection option
/// `maxScramIterations`): a hostile server can make the client compute at
/// most this much PBKDF2 per login. 100,000 iterations of PBKDF2-HMAC-SHA-512,
/// the costliest, take about 0.16–0.2 s natively (release build, this
/// crate's size-tuned profile), so 0.25–0.6 s in WebAssembly, which runs
/// them 1.5–3 times slower; SHA-256 takes about 60 %, SHA-1 about 25 % of
/// that. Servers use 4096–10,000 by default.
pub const DEFAULT_MAX_ITERATIONS: u32 = 100_000;

/// Hash function of a SCRAM mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScramHash {
    /// SHA-1: SCRAM-SHA-1.
    Sha1,
    /// SHA-256: SCRAM-SHA-256.
    Sha256,
    /// SHA-512: SCRAM-SHA-512.
    Sha512,
}

impl ScramHash {
    /// IANA name of the mechanism using this hash, e.g. "SCRAM-SHA-256".
    pub fn mechanism_name(self) -> &'static str {
        match self {
            ScramHash::Sha1 => "SCRAM-SHA-1",
            ScramHash::Sha256 => "SCRAM-SHA-256",
            ScramHash::Sha512 => "SCRAM-SHA-512",
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        Sha::digest(self, data).to_vec()
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        Hmac::new(self, key).mac(&[data]).to_vec()
    }

    /// `Hi()` of RFC 5802: PBKDF2 with HMAC of this hash, output one hash long.
    fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        pbkdf2(self, password, salt, iterations)
    }
}

/// What a [`Scram`] client proves its identity with.
enum Secret {
    Password(String),
    Keys(ScramKeys),
}

/// The keys of a SCRAM login (RFC 5802 §3): `ClientKey` and `ServerKey`
/// with the salt and iteration count they were derived with. Enough to log
/// in again while the server keeps the same salt and count
/// ([`Scram::with_keys`]), without the password, which cannot be recovered
/// from them. The [`Debug`] output redacts the keys.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramKeys {
    /// The hash of the mechanism.
    pub hash: ScramHash,
    /// The salt (decoded).
    pub salt: Vec<u8>,
    /// The iteration count.
    pub iterations: u32,
    /// `ClientKey = HMAC(SaltedPassword, "Client Key")`.
    pub client_key: Vec<u8>,
    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Vec<u8>,
}

impl std::fmt::Debug for ScramKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramKeys")
            .field("hash", &self.hash)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

enum State {
    /// Nothing sent yet.
    Initial,
    /// client-first sent, waiting for server-first.
    ClientFirstSent,
    /// client-final sent, waiting for server-final (in `<success/>` or in a
    /// challenge).
    ClientFinalSent { server_signature: Vec<u8> },
    /// server-final came in a challenge and was verified; `<success/>` may
    /// carry it again or nothing.
    Verified { server_signature: Vec<u8> },
    /// Authentication succeeded, or an error occurred.
    Done,
}

/// SCRAM client (RFC 5802), SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512.
///
/// The password is used as given: no SASLprep (RFC 4013) normalisation is
/// applied beyond passing the UTF-8 bytes through, which is exact for ASCII
/// passwords and for passwords already in normalised form.
///
/// Channel binding is not supported: the GS2 header is `n,,` (or
/// `n,a=AUTHZID,`), so the `-PLUS` variants are never used.
pub struct Scram {
    hash: ScramHash,
    max_iterations: u32,
    username: String,
    secret: Secret,
    /// With [`Secret::Keys`]: the password to derive new keys from when the
    /// server's salt or count is not theirs ([`Scram::or_password`]).
    fallback: Option<String>,
    /// The keys of this exchange, once server-first was answered.
    derived: Option<ScramKeys>,
    authzid: Option<String>,
    client_nonce: String,
    state: State,
}

impl Scram {
    /// Creates a SCRAM client.
    ///
    /// `username` is the authentication identity (the JID node), `authzid`
    /// an optional authorization identity. `client_nonce` must be
    /// unpredictable, non-empty printable ASCII without `,` (e.g. base64 of
    /// 18+ random bytes); otherwise [`Mechanism::initial_response`] returns
    /// [`SaslError::InvalidClientNonce`].
    pub fn new(
        hash: ScramHash,
        username: &str,
        password: &str,
        authzid: Option<&str>,
        client_nonce: String,
    ) -> Self {
        Scram {
            hash,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            username: username.to_owned(),
            secret: Secret::Password(password.to_owned()),
            fallback: None,
            derived: None,
            authzid: authzid.map(str::to_owned),
            client_nonce,
            state: State::Initial,
        }
    }

    /// A SCRAM client that authenticates with the keys of an earlier login
    /// instead of a password ([`ScramKeys`]): it works as long as the server
    /// offers the same salt and iteration count; otherwise server-first is
    /// answered with [`SaslError::KeysOutdated`]. No PBKDF2 runs.
    pub fn with_keys(
        keys: ScramKeys,
        username: &str,
        authzid: Option<&str>,
        client_nonce: String,
    ) -> Self {
        Scram {
            hash: keys.hash,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            username: username.to_owned(),
            secret: Secret::Keys(keys),
            fallback: None,
            derived: None,
            authzid: authzid.map(str::to_owned),
            client_nonce,
            state: State::Initial,
        }
    }

    /// With keys ([`Scram::with_keys`]): when the server offers another salt
    /// or iteration count (another node of the domain, an account re-hashed),
    /// derive the keys from `password` instead of failing with
    /// [`SaslError::KeysOutdated`]. `None` changes nothing.
    pub fn or_password(mut self, password: Option<&str>) -> Self {
        self.fallback = password.map(str::to_owned);
        self
    }

    /// Sets the highest iteration count accepted from the server (default
    /// [`DEFAULT_MAX_ITERATIONS`]); above it, the server-first message is
    /// answered with [`SaslError::IterationCountTooHigh`] and no PBKDF2 runs.
    pub fn with_max_iterations(mut self, max: u32) -> Self {
        self.max_iterations = max;
        self
    }

    fn gs2_header(&self) -> String {
        gs2_header(self.authzid.as_deref())
    }

    fn client_first_bare(&self) -> String {
        String::from("n=") + &escape_saslname(&self.username) + ",r=" + &self.client_nonce
    }

    fn client_first(&mut self) -> Result<Vec<u8>, SaslError> {
        let valid = !self.client_nonce.is_empty()
            && self
                .client_nonce
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b',');
        if !valid {
            self.state = State::Done;
            return Err(SaslError::InvalidClientNonce);
        }
        self.state = State::ClientFirstSent;
        Ok((self.gs2_header() + &self.client_first_bare()).into_bytes())
    }

    /// Handles server-first; returns client-final and the expected server
    /// signature.
    fn client_final(
        &self,
        server_first: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>, ScramKeys), SaslError> {
        let server_first = std::str::from_utf8(server_first)
            .map_err(|_| malformed("server-first-message is not UTF-8"))?;
        let attrs = parse_attributes(server_first)?;
        if let Some(e) = attrs.get('e') {
            return Err(SaslError::ServerError(e.to_owned()));
        }
        if attrs.get('m').is_some() {
            return Err(malformed("unsupported mandatory extension"));
        }
        let nonce = attrs.get('r').ok_or_else(|| malformed("missing nonce"))?;
        if nonce.len() <= self.client_nonce.len() || !nonce.starts_with(&self.client_nonce) {
            return Err(SaslError::NonceMismatch);
        }
        if !nonce.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(malformed("invalid characters in nonce"));
        }
        let salt = match attrs.get('s') {
            None | Some("") => return Err(SaslError::MissingSalt),
            Some(s) => b64::decode(s).ok_or_else(|| malformed("salt is not base64"))?,
        };
        if salt.is_empty() {
            return Err(SaslError::MissingSalt);
        }
        let iterations = attrs
            .get('i')
            .ok_or_else(|| malformed("missing iteration count"))?;
        if iterations.is_empty() || !iterations.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed("iteration count is not a number"));
        }
        // All digits: a parse failure is an overflow, so too high.
        let Ok(iterations) = iterations.parse::<u32>() else {
            return Err(SaslError::IterationCountTooHigh(self.max_iterations));
        };
        if iterations < MIN_ITERATIONS {
            return Err(SaslError::IterationCountTooLow(iterations));
        }
        if iterations > self.max_iterations {
            return Err(SaslError::IterationCountTooHigh(self.max_iterations));
        }

        let h = self.hash;
        let keys = match (&self.secret, &self.fallback) {
            (Secret::Keys(k), _) if k.salt == salt && k.iterations == iterations => k.clone(),
            (Secret::Keys(_), None) => return Err(SaslError::KeysOutdated),
            (Secret::Password(password), _) | (Secret::Keys(_), Some(password)) => {
                let salted_password = h.salted_password(password.as_bytes(), &salt, iterations);
                ScramKeys {
                    hash: h,
                    client_key: h.hmac(&salted_password, b"Client Key"),
                    server_key: h.hmac(&salted_password, b"Server Key"),
                    salt,
                    iterations,
                }
            }
        };
        let client_key = &keys.client_key;
        let stored_key = h.hash(client_key);
        // Concatenation, not `format!`: the nonce and `server_first` are the server's.
        let without_proof = String::from("c=") + &b64::encode(self.gs2_header()) + ",r=" + nonce;
        let auth_message = self.client_first_bare() + "," + server_first + "," + &without_proof;
        let client_signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_signature = h.hmac(&keys.server_key, auth_message.as_bytes());
        let client_final = without_proof + ",p=" + &b64::encode(proof);
        Ok((client_final.into_bytes(), server_signature, keys))
    }
}

impl Mechanism for Scram {
    fn name(&self) -> &'static str {
        self.hash.mechanism_name()
    }

    fn scram_keys(&self) -> Option<ScramKeys> {
        self.derived.clone()
    }

    /// Returns the client-first message.
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError> {
        match self.state {
            State::Initial => self.client_first().map(Some),
            _ => Err(SaslError::InvalidState),
        }
    }

    /// Answers server-first with client-final. If the server sends
    /// server-final as a challenge, verifies it and returns an empty
    /// response. An empty challenge before anything was sent (RFC 6120
    /// §6.4.2, no initial response) is answered with client-first.
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Initial if challenge.is_empty() => self.client_first(),
            State::Initial => Err(SaslError::UnexpectedChallenge),
            State::ClientFirstSent => {
                let (client_final, server_signature, keys) = self.client_final(challenge)?;
                self.derived = Some(keys);
                self.state = State::ClientFinalSent { server_signature };
                Ok(client_final)
            }
            State::ClientFinalSent { server_signature } => {
                verify_server_final(challenge, &server_signature)?;
                self.state = State::Verified { server_signature };
                Ok(Vec::new())
            }
            State::Verified { .. } => Err(SaslError::UnexpectedChallenge),
            State::Done => Err(SaslError::InvalidState),
        }
    }

    /// Verifies server-final (`v=`). Empty data is accepted only when the
    /// server already sent server-final as a challenge.
    fn success(&mut self, additional: &[u8]) -> Result<(), SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::ClientFinalSent { server_signature } => {
                verify_server_final(additional, &server_signature)
            }
            State::Verified { server_signature } => {
                if additional.is_empty() {
                    Ok(())
                } else {
                    verify_server_final(additional, &server_signature)
                }
            }
            State::Initial | State::ClientFirstSent => Err(SaslError::UnexpectedSuccess),
            State::Done => Err(SaslError::InvalidState),
        }
    }
}

fn malformed(what: &str) -> SaslError {
    SaslError::MalformedChallenge(what.to_owned())
}

/// Attributes `x=value` of a SCRAM message, in order.
struct Attributes<'a>(Vec<(char, &'a str)>);

impl<'a> Attributes<'a> {
    fn get(&self, name: char) -> Option<&'a str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// Splits a SCRAM message into its attributes. Each must be a single ASCII
/// letter, `=`, and a value; an attribute may appear only once.
fn parse_attributes(message: &str) -> Result<Attributes<'_>, SaslError> {
    if message.is_empty() {
        return Err(malformed("empty message"));
    }
    let mut attrs = Vec::new();
    for part in message.split(',') {
        let mut chars = part.chars();
        let (name, eq) = (chars.next(), chars.next());
        let name = match (name, eq) {
            (Some(n), Some('=')) if n.is_ascii_alphabetic() => n,
            _ => return Err(malformed("invalid attribute")),
        };
        if attrs.iter().any(|(n, _)| *n == name) {
            return Err(malformed("duplicate attribute"));
        }
        attrs.push((name, chars.as_str()));
    }
    Ok(Attributes(attrs))
}

/// Checks server-final (`v=` or `e=`) against the expected signature.
fn verify_server_final(data: &[u8], expected: &[u8]) -> Result<(), SaslError> {
    if data.is_empty() {
        return Err(SaslError::MissingServerSignature);
    }
    let message =
        std::str::from_utf8(data).map_err(|_| malformed("server-final-message is not UTF-8"))?;
    let attrs = parse_attributes(message)?;
    if let Some(e) = attrs.get('e') {
        return Err(SaslError::ServerError(e.to_owned()));
    }
    let v = attrs.get('v').ok_or(SaslError::MissingServerSignature)?;
    let signature = b64::decode(v).ok_or_else(|| malformed("server signature is not base64"))?;
    if constant_time_eq(&signature, expected) {
        Ok(())
    } else {
        Err(SaslError::ServerSignatureMismatch)
    }
}

/// Compares without stopping at the first difference (the length is not
/// secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a full exchange and checks each message.
    fn exchange(
        hash: ScramHash,
        nonce: &str,
        server_first: &str,
        client_first: &str,
        client_final: &str,
        server_final: &str,
    ) {
        let mut m = Scram::new(hash, "user", "pencil", None, nonce.to_owned());
        assert_eq!(m.name(), hash.mechanism_name());
        let first = m.initial_response().unwrap().unwrap();
        assert_eq!(String::from_utf8(first).unwrap(), client_first);
        let fin = m.respond(server_first.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(fin).unwrap(), client_final);
        m.success(server_final.as_bytes()).unwrap();
    }

    /// Scram after client-final, ready for server-final.
    fn after_final(hash: ScramHash) -> Scram {
        let mut m = Scram::new(hash, "user", "pencil", None, RFC5802_NONCE.to_owned());
        m.initial_response().unwrap();
        m.respond(RFC5802_SERVER_FIRST.as_bytes()).unwrap();
        m
    }

    /// Error of respond() to `server_first` after the RFC 5802 client-first.
    fn first_error(server_first: &[u8]) -> SaslError {
        let mut m = Scram::new(
            ScramHash::Sha1,
            "user",
            "pencil",
            None,
            RFC5802_NONCE.to_owned(),
        );
        m.initial_response().unwrap();
        m.respond(server_first).unwrap_err()
    }

    const RFC5802_NONCE: &str = "fyko+d2lbbFgONRv9qkxdawL";
    const RFC5802_SERVER_FIRST: &str =
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
    const RFC5802_SERVER_FINAL: &str = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";
    const RFC7677_SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

    /// The keys of a login log in again without the password (RFC 5802's
    /// vector, same client-final), and only with the same salt and count.
    #[test]
    fn stored_keys_replace_the_password() {
        let mut m = after_final(ScramHash::Sha1);
        m.success(RFC5802_SERVER_FINAL.as_bytes()).unwrap();
        let keys = m.scram_keys().expect("keys after the exchange");
        assert_eq!(keys.iterations, 4096);
        assert_eq!(b64::encode(&keys.salt), "QSXCR+Q6sek8bf92");
        assert!(!format!("{keys:?}").contains("client_key"));
        let mut k = Scram::with_keys(keys.clone(), "user", None, RFC5802_NONCE.to_owned());
        k.initial_response().unwrap();
        let fin = k.respond(RFC5802_SERVER_FIRST.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(fin).unwrap(),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
        );
        k.success(RFC5802_SERVER_FINAL.as_bytes()).unwrap();
        for other in [
            RFC5802_SERVER_FIRST.replace("i=4096", "i=4097"),
            RFC5802_SERVER_FIRST.replace("s=QSXCR", "s=ASXCR"),
        ] {
            let mut k = Scram::with_keys(keys.clone(), "user", None, RFC5802_NONCE.to_owned());
            k.initial_response().unwrap();
            assert_eq!(k.respond(other.as_bytes()), Err(SaslError::KeysOutdated));
        }
    }

    #[test]
    fn rfc5802_sha1() {
        exchange(
            ScramHash::Sha1,
            RFC5802_NONCE,
            RFC5802_SERVER_FIRST,
            "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
            RFC5802_SERVER_FINAL,
        );
    }

    #[test]
    fn rfc7677_sha256() {
        exchange(
            ScramHash::Sha256,
            "rOprNGfwEbeRWgbNEkqO",
            RFC7677_SERVER_FIRST,
            "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
        );
    }

    /// No RFC vector exists for SCRAM-SHA-512. The expected proof and server
    /// signature were computed from the RFC 7677 inputs (user "user", password
    /// "pencil", same nonces, salt and iteration count) with Python's
    /// `hashlib.pbkdf2_hmac("sha512", ...)`, `hmac.new(..., "sha512")` and
    /// `hashlib.sha512` following RFC 5802 §3; the same script reproduces the
    /// RFC 5802 and RFC 7677 vectors above.
    #[test]
    fn sha512_vector() {
        exchange(
            ScramHash::Sha512,
            "rOprNGfwEbeRWgbNEkqO",
            RFC7677_SERVER_FIRST,
            "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==",
            "v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==",
        );
    }

    /// With an authzid needing escaping; computed with the same Python script
    /// (gs2 header "n,a=admin=2Cx@example.com,").
    #[test]
    fn sha256_with_authzid() {
        let mut m = Scram::new(
            ScramHash::Sha256,
            "user",
            "pencil",
            Some("admin,x@example.com"),
            "rOprNGfwEbeRWgbNEkqO".to_owned(),
        );
        let first = m.initial_response().unwrap().unwrap();
        assert_eq!(
            first,
            b"n,a=admin=2Cx@example.com,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let fin = m.respond(RFC7677_SERVER_FIRST.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(fin).unwrap(),
            "c=bixhPWFkbWluPTJDeEBleGFtcGxlLmNvbSw=,\
             r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=SaUXA1/J6SUUhbRkafRlNRe9QBRuyQsXn7XZEgFs1qc="
        );
        m.success(b"v=SzJrF9cquAXJOyRyHZgyL0PgvsCdLoQV+T40r11x/fQ=")
            .unwrap();
    }

    #[test]
    fn username_escaping() {
        let mut m = Scram::new(ScramHash::Sha1, "us=er,x", "pencil", None, "abc".to_owned());
        let first = m.initial_response().unwrap().unwrap();
        assert_eq!(first, b"n,,n=us=3Der=2Cx,r=abc");
    }

    #[test]
    fn server_final_as_challenge() {
        let mut m = after_final(ScramHash::Sha1);
        assert_eq!(
            m.respond(RFC5802_SERVER_FINAL.as_bytes()).unwrap(),
            Vec::<u8>::new()
        );
        m.success(b"").unwrap();

        // Success may repeat server-final.
        let mut m = after_final(ScramHash::Sha1);
        m.respond(RFC5802_SERVER_FINAL.as_bytes()).unwrap();
        m.success(RFC5802_SERVER_FINAL.as_bytes()).unwrap();

        // A wrong one in the challenge is caught there.
        let mut m = after_final(ScramHash::Sha1);
        assert_eq!(
            m.respond(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap_err(),
            SaslError::ServerSignatureMismatch
        );
    }

    #[test]
    fn no_initial_response() {
        let mut m = Scram::new(
            ScramHash::Sha1,
            "user",
            "pencil",
            None,
            RFC5802_NONCE.to_owned(),
        );
        assert_eq!(
            m.respond(b"").unwrap(),
            b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
        );
        m.respond(RFC5802_SERVER_FIRST.as_bytes()).unwrap();
        m.success(RFC5802_SERVER_FINAL.as_bytes()).unwrap();
    }

    #[test]
    fn wrong_server_signature() {
        let mut m = after_final(ScramHash::Sha1);
        assert_eq!(
            m.success(b"v=rmF9pqV8S7suAoZWja4dJRkFsKM=").unwrap_err(),
            SaslError::ServerSignatureMismatch
        );
        // Wrong length.
        let mut m = after_final(ScramHash::Sha1);
        assert_eq!(
            m.success(b"v=AAAA").unwrap_err(),
            SaslError::ServerSignatureMismatch
        );
        // Signature of another hash.
        let mut m = after_final(ScramHash::Sha256);
        assert_eq!(
            m.success(RFC5802_SERVER_FINAL.as_bytes()).unwrap_err(),
            SaslError::ServerSignatureMismatch
        );
        let mut m = after_final(ScramHash::Sha1);
        assert!(matches!(
            m.success(b"v=not base64!").unwrap_err(),
            SaslError::MalformedChallenge(_)
        ));
    }

    #[test]
    fn missing_server_signature() {
        let mut m = after_final(ScramHash::Sha1);
        assert_eq!(
            m.success(b"").unwrap_err(),
            SaslError::MissingServerSignature
        );
        let mut m = after_final(ScramHash::Sha1);
        assert_eq!(
            m.success(b"x=foo").unwrap_err(),
            SaslError::MissingServerSignature
        );
        assert_eq!(
            SaslError::MissingServerSignature.condition(),
            "missing-server-signature"
        );
    }

    #[test]
    fn server_final_error() {
        let mut m = after_final(ScramHash::Sha1);
        assert_eq!(
            m.success(b"e=invalid-proof").unwrap_err(),
            SaslError::ServerError("invalid-proof".to_owned())
        );
        let mut m = after_final(ScramHash::Sha1);
        assert_eq!(
            m.respond(b"e=other-error").unwrap_err(),
            SaslError::ServerError("other-error".to_owned())
        );
    }

    #[test]
    fn iteration_count_too_low() {
        let err =
            first_error(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4095");
        assert_eq!(err, SaslError::IterationCountTooLow(4095));
        assert_eq!(err.condition(), "iteration-count-too-low");
        let err =
            first_error(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=0");
        assert_eq!(err, SaslError::IterationCountTooLow(0));
    }

    #[test]
    fn iteration_count_limit() {
        const FIRST: &str = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=";
        for i in ["100001", "10000000", "4294967295", "99999999999999999999"] {
            let err = first_error(format!("{FIRST}{i}").as_bytes());
            assert_eq!(err, SaslError::IterationCountTooHigh(100_000), "i={i}");
            assert_eq!(err.condition(), "iteration-count-too-high");
        }
        assert_eq!(
            SaslError::IterationCountTooHigh(100_000).to_string(),
            "SCRAM iteration count above the limit of 100000 (maxScramIterations)"
        );
        // At a lowered limit: the limit itself is accepted, one more is not.
        let scram = || {
            let mut m = Scram::new(
                ScramHash::Sha256,
                "user",
                "pencil",
                None,
                RFC5802_NONCE.to_owned(),
            )
            .with_max_iterations(5000);
            m.initial_response().unwrap();
            m
        };
        assert!(scram().respond(format!("{FIRST}5000").as_bytes()).is_ok());
        assert_eq!(
            scram().respond(format!("{FIRST}5001").as_bytes()),
            Err(SaslError::IterationCountTooHigh(5000))
        );
    }

    #[test]
    fn iteration_count_invalid() {
        for i in ["", "-5000", "+5000", "4096.0", "0x1000"] {
            let msg =
                format!("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i={i}");
            assert!(
                matches!(
                    first_error(msg.as_bytes()),
                    SaslError::MalformedChallenge(_)
                ),
                "i={i}"
            );
        }
        let err = first_error(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92");
        assert!(matches!(err, SaslError::MalformedChallenge(_)));
    }

    #[test]
    fn missing_salt() {
        let err = first_error(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,i=4096");
        assert_eq!(err, SaslError::MissingSalt);
        assert_eq!(err.condition(), "missing-salt");
        let err = first_error(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=,i=4096");
        assert_eq!(err, SaslError::MissingSalt);
        let err = first_error(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=!!!,i=4096");
        assert!(matches!(err, SaslError::MalformedChallenge(_)));
    }

    #[test]
    fn nonce_mismatch() {
        let err =
            first_error(b"r=XXXX+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
        assert_eq!(err, SaslError::NonceMismatch);
        assert_eq!(err.condition(), "nonce-mismatch");
        // The server must add its own part.
        let err = first_error(b"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096");
        assert_eq!(err, SaslError::NonceMismatch);
        // A prefix of ours is not ours.
        let err = first_error(b"r=fyko,s=QSXCR+Q6sek8bf92,i=4096");
        assert_eq!(err, SaslError::NonceMismatch);
        let err = first_error(b"s=QSXCR+Q6sek8bf92,i=4096");
        assert!(matches!(err, SaslError::MalformedChallenge(_)));
    }

    #[test]
    fn server_first_error_and_extensions() {
        assert_eq!(
            first_error(b"e=unknown-user"),
            SaslError::ServerError("unknown-user".to_owned())
        );
        assert!(matches!(
            first_error(b"m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rf,s=QSXCR+Q6sek8bf92,i=4096"),
            SaslError::MalformedChallenge(_)
        ));
        // Unknown optional extensions are ignored.
        let mut m = Scram::new(
            ScramHash::Sha1,
            "user",
            "pencil",
            None,
            RFC5802_NONCE.to_owned(),
        );
        m.initial_response().unwrap();
        assert!(m
            .respond(format!("{RFC5802_SERVER_FIRST},x=ext").as_bytes())
            .is_ok());
    }

    #[test]
    fn garbage() {
        let inputs: &[&[u8]] = &[
            b"",
            b",",
            b"=",
            b"r",
            b"r=",
            b"==,==",
            b"\xff\xfe\x00",
            b"r=fyko+d2lbbFgONRv9qkxdawL\xff,s=QSXCR+Q6sek8bf92,i=4096",
            b"r=fyko+d2lbbFgONRv9qkxdawL\xc3\xa9,s=QSXCR+Q6sek8bf92,i=4096",
            b"r=a,r=b",
            b"\0\0\0\0",
            "ré=x".as_bytes(),
            "é=x".as_bytes(),
        ];
        for input in inputs {
            let err = first_error(input);
            assert!(
                matches!(
                    err,
                    SaslError::MalformedChallenge(_) | SaslError::NonceMismatch
                ),
                "{input:?}: {err:?}"
            );
        }
        for input in inputs {
            let mut m = after_final(ScramHash::Sha1);
            assert!(m.success(input).is_err(), "{input:?}");
            let mut m = after_final(ScramHash::Sha1);
            assert!(m.respond(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn invalid_client_nonce() {
        for nonce in ["", "a,b", "a b", "é"] {
            let mut m = Scram::new(ScramHash::Sha1, "user", "pencil", None, nonce.to_owned());
            assert_eq!(
                m.initial_response().unwrap_err(),
                SaslError::InvalidClientNonce
            );
        }
    }

    #[test]
    fn out_of_order() {
        let mut m = Scram::new(ScramHash::Sha1, "user", "pencil", None, "abc".to_owned());
        assert_eq!(m.success(b"").unwrap_err(), SaslError::UnexpectedSuccess);
        let mut m = Scram::new(ScramHash::Sha1, "user", "pencil", None, "abc".to_owned());
        assert_eq!(
            m.respond(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=4096")
                .unwrap_err(),
            SaslError::UnexpectedChallenge
        );
        let mut m = Scram::new(ScramHash::Sha1, "user", "pencil", None, "abc".to_owned());
        m.initial_response().unwrap();
        assert_eq!(m.initial_response().unwrap_err(), SaslError::InvalidState);
        assert_eq!(
            m.success(RFC5802_SERVER_FINAL.as_bytes()).unwrap_err(),
            SaslError::UnexpectedSuccess
        );

        // After success, nothing more is accepted.
        let mut m = after_final(ScramHash::Sha1);
        m.success(RFC5802_SERVER_FINAL.as_bytes()).unwrap();
        assert_eq!(
            m.respond(RFC5802_SERVER_FINAL.as_bytes()).unwrap_err(),
            SaslError::InvalidState
        );
        assert_eq!(
            m.success(RFC5802_SERVER_FINAL.as_bytes()).unwrap_err(),
            SaslError::InvalidState
        );

        // After an error either.
        let mut m = Scram::new(
            ScramHash::Sha1,
            "user",
            "pencil",
            None,
            RFC5802_NONCE.to_owned(),
        );
        m.initial_response().unwrap();
        m.respond(b"garbage").unwrap_err();
        assert_eq!(
            m.respond(RFC5802_SERVER_FIRST.as_bytes()).unwrap_err(),
            SaslError::InvalidState
        );

        // A second challenge after server-final was verified.
        let mut m = after_final(ScramHash::Sha1);
        m.respond(RFC5802_SERVER_FINAL.as_bytes()).unwrap();
        assert_eq!(
            m.respond(RFC5802_SERVER_FINAL.as_bytes()).unwrap_err(),
            SaslError::UnexpectedChallenge
        );
    }
}
