//! SASL authentication (RFC 4422, as profiled for XMPP by RFC 6120 §6).
//!
//! This module is sans-IO: a [`Mechanism`] only turns server data into client
//! data. The caller wraps the bytes in `<auth/>`, `<response/>`, … and handles
//! the base64 transport encoding of RFC 6120 §6.4.2; every method here takes
//! and returns already-decoded bytes.
//!
//! Supported mechanisms:
//!
//! * [`Scram`]: SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802,
//!   RFC 7677), without channel binding;
//! * [`Plain`] (RFC 4616);
//! * [`OAuthBearer`] (RFC 7628);
//! * [`External`] (RFC 4422 appendix A, XEP-0178);
//! * [`Anonymous`] (RFC 4505).
//!
//! [`select`] picks one from what the server offered, the caller's order of
//! preference and the available [`Credentials`]. Nothing here uses a clock or
//! randomness: the SCRAM client nonce is passed in.
//!
//! A hostile server cannot make any of these mechanisms panic: malformed data
//! is reported as a [`SaslError`].

use core::fmt;

mod anonymous;
mod external;
pub(crate) mod mac;
mod oauthbearer;
mod plain;
mod scram;
pub(crate) mod sha;

pub use anonymous::Anonymous;
pub use external::External;
pub use oauthbearer::OAuthBearer;
pub use plain::Plain;
pub use scram::{Scram, ScramHash, ScramKeys, DEFAULT_MAX_ITERATIONS, MIN_ITERATIONS};

/// One client side of a SASL mechanism, driven by the connection.
///
/// The expected sequence is [`initial_response`](Mechanism::initial_response),
/// then [`respond`](Mechanism::respond) for each `<challenge/>`, then
/// [`success`](Mechanism::success) when `<success/>` arrives. A method called
/// out of that order returns an error rather than panicking.
pub trait Mechanism {
    /// IANA name, e.g. "SCRAM-SHA-1".
    fn name(&self) -> &'static str;
    /// Initial response for `<auth/>`. None = no initial response; Some(vec![]) = empty response (sent as "=").
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError>;
    /// Answer to a server `<challenge/>` (already base64-decoded).
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError>;
    /// Verify the additional data of `<success/>` (already base64-decoded; empty if none).
    /// SCRAM: verifies the server signature `v=`; it is an error if the signature is missing or wrong.
    fn success(&mut self, additional: &[u8]) -> Result<(), SaslError>;
    /// SCRAM: the keys derived in this exchange ([`ScramKeys`]), once the
    /// server-first message was answered; `None` for other mechanisms.
    fn scram_keys(&self) -> Option<ScramKeys> {
        None
    }
}

/// What the user can authenticate with.
///
/// The [`Debug`] output redacts the password and the OAuth token.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Authentication identity: the node (local part) of the JID; `None` for
    /// anonymous login.
    pub username: Option<String>,
    /// Password, for SCRAM and PLAIN.
    pub password: Option<String>,
    /// Authorization identity (a JID). It is only sent when it differs from
    /// `username@domain` (compared ASCII-case-insensitively), since servers
    /// derive that one themselves.
    pub authzid: Option<String>,
    /// Domain of the server (the domain part of the JID); also the `host` of
    /// OAUTHBEARER.
    pub domain: String,
    /// OAuth 2.0 bearer token, for OAUTHBEARER.
    pub oauth_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("authzid", &self.authzid)
            .field("domain", &self.domain)
            .field(
                "oauth_token",
                &self.oauth_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Default order of preference for [`select`], strongest first.
pub const DEFAULT_PREFERENCE: &[&str] = &[
    "SCRAM-SHA-512",
    "SCRAM-SHA-256",
    "SCRAM-SHA-1",
    "PLAIN",
    "OAUTHBEARER",
    "EXTERNAL",
    "ANONYMOUS",
];

/// Picks the first name in `preference` that the server offered AND that the credentials can use
/// (SCRAM/PLAIN need username+password; OAUTHBEARER needs oauth_token; ANONYMOUS only when username is None;
/// EXTERNAL only when it is in `preference` explicitly — i.e. it is usable always, it is just last by default).
/// `client_nonce` is called only if a SCRAM mechanism is chosen. Matching of names is exact (case-sensitive, as IANA).
/// No usable mechanism -> Err(SaslError::NoMechanism).
///
/// Names in `preference` that this module does not implement are skipped.
/// The authorization identity is passed to the mechanism only when it differs
/// from `username@domain` (see [`Credentials::authzid`]). OAUTHBEARER uses
/// [`Credentials::domain`] as its `host`.
pub fn select(
    offered: &[String],
    preference: &[&str],
    creds: &Credentials,
    client_nonce: &mut dyn FnMut() -> String,
) -> Result<Box<dyn Mechanism>, SaslError> {
    select_with_limit(
        offered,
        preference,
        creds,
        DEFAULT_MAX_ITERATIONS,
        client_nonce,
    )
}

/// [`select`], with the highest SCRAM iteration count accepted from the
/// server (see [`Scram::with_max_iterations`]).
pub fn select_with_limit(
    offered: &[String],
    preference: &[&str],
    creds: &Credentials,
    max_scram_iterations: u32,
    client_nonce: &mut dyn FnMut() -> String,
) -> Result<Box<dyn Mechanism>, SaslError> {
    let authzid = effective_authzid(creds);
    let user_pass = match (&creds.username, &creds.password) {
        (Some(u), Some(p)) => Some((u.as_str(), p.as_str())),
        _ => None,
    };
    for &name in preference {
        if !offered.iter().any(|o| o == name) {
            continue;
        }
        let scram_hash = match name {
            "SCRAM-SHA-512" => Some(ScramHash::Sha512),
            "SCRAM-SHA-256" => Some(ScramHash::Sha256),
            "SCRAM-SHA-1" => Some(ScramHash::Sha1),
            _ => None,
        };
        if let Some(hash) = scram_hash {
            if let Some((u, p)) = user_pass {
                let scram = Scram::new(hash, u, p, authzid, client_nonce())
                    .with_max_iterations(max_scram_iterations);
                return Ok(Box::new(scram));
            }
            continue;
        }
        match (name, user_pass, &creds.oauth_token) {
            ("PLAIN", Some((u, p)), _) => return Ok(Box::new(Plain::new(authzid, u, p))),
            ("OAUTHBEARER", _, Some(token)) => {
                return Ok(Box::new(OAuthBearer::new(authzid, &creds.domain, token)));
            }
            ("EXTERNAL", _, _) => return Ok(Box::new(External::new(authzid))),
            ("ANONYMOUS", _, _) if creds.username.is_none() => {
                return Ok(Box::new(Anonymous::new()));
            }
            _ => {}
        }
    }
    Err(SaslError::NoMechanism)
}

/// The authzid worth sending: none when it equals `username@domain`.
fn effective_authzid(creds: &Credentials) -> Option<&str> {
    let authzid = creds.authzid.as_deref()?;
    if let Some(user) = &creds.username {
        let implied = format!("{}@{}", user, creds.domain);
        if authzid.eq_ignore_ascii_case(&implied) {
            return None;
        }
    }
    Some(authzid)
}

/// Escapes a `saslname` of RFC 5802 §5.1 / RFC 5801 (also used by the GS2
/// header of RFC 7628): `,` becomes `=2C` and `=` becomes `=3D`.
pub(crate) fn escape_saslname(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            _ => out.push(c),
        }
    }
    out
}

/// The GS2 header of RFC 5801 without channel binding: `n,,` or
/// `n,a=AUTHZID,` (escaped).
pub(crate) fn gs2_header(authzid: Option<&str>) -> String {
    match authzid {
        Some(a) => format!("n,a={},", escape_saslname(a)),
        None => "n,,".to_owned(),
    }
}

/// Why SASL authentication could not proceed on the client side.
///
/// A `<failure/>` sent by the server is not a `SaslError`; it is handled by
/// the connection.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SaslError {
    /// No mechanism is both offered by the server, in the preference list and
    /// usable with the credentials.
    #[error("no usable SASL mechanism")]
    NoMechanism,
    /// The credentials needed by the mechanism are missing (not produced by
    /// [`select`], which reports [`SaslError::NoMechanism`] instead; available
    /// to callers that build mechanisms themselves).
    #[error("missing credentials for the SASL mechanism")]
    MissingCredentials,
    /// The credentials cannot be encoded by the mechanism (e.g. a NUL byte in
    /// a PLAIN username, a control character in an OAuth token).
    #[error("invalid credentials: {0}")]
    InvalidCredentials(&'static str),
    /// The SCRAM client nonce passed in is empty or contains a character other
    /// than printable ASCII without `,`.
    #[error("invalid SCRAM client nonce")]
    InvalidClientNonce,
    /// The SCRAM server signature (`v=`) is wrong: the server does not know
    /// the password, or is an impostor.
    #[error("SCRAM server signature mismatch")]
    ServerSignatureMismatch,
    /// The server reported success without the SCRAM server signature (`v=`).
    #[error("missing SCRAM server signature")]
    MissingServerSignature,
    /// The SCRAM iteration count (`i=`) is below 4096.
    #[error("SCRAM iteration count too low: {0}")]
    IterationCountTooLow(u32),
    /// The SCRAM iteration count (`i=`) is above the limit (the connection
    /// option `maxScramIterations`), which is given.
    #[error("SCRAM iteration count above the limit of {0} (maxScramIterations)")]
    IterationCountTooHigh(u32),
    /// The SCRAM salt (`s=`) is missing or empty.
    #[error("missing SCRAM salt")]
    MissingSalt,
    /// The SCRAM nonce (`r=`) does not extend our client nonce.
    #[error("SCRAM nonce mismatch")]
    NonceMismatch,
    /// The server sent data that cannot be parsed.
    #[error("malformed SASL challenge: {0}")]
    MalformedChallenge(String),
    /// The SCRAM server reported an error (`e=`).
    #[error("SCRAM server error: {0}")]
    ServerError(String),
    /// The server sent a challenge the mechanism does not expect.
    #[error("unexpected SASL challenge")]
    UnexpectedChallenge,
    /// The server reported success before the exchange was complete (e.g.
    /// SCRAM success before the server-first message).
    #[error("unexpected SASL success")]
    UnexpectedSuccess,
    /// A method of [`Mechanism`] was called out of order, or after an error.
    #[error("SASL mechanism used out of order")]
    InvalidState,
    /// SCRAM with stored keys ([`Scram::with_keys`]): the server offered
    /// another salt or iteration count (the password changed), so the keys
    /// no longer prove anything.
    #[error("stored SCRAM keys do not match the server's salt or iteration count")]
    KeysOutdated,
}

impl SaslError {
    /// Short kebab-case condition name, e.g. `"no-auth-mech"`.
    pub fn condition(&self) -> &'static str {
        match self {
            SaslError::NoMechanism => "no-auth-mech",
            SaslError::MissingCredentials => "missing-credentials",
            SaslError::InvalidCredentials(_) => "invalid-credentials",
            SaslError::InvalidClientNonce => "invalid-client-nonce",
            SaslError::ServerSignatureMismatch => "server-signature-mismatch",
            SaslError::MissingServerSignature => "missing-server-signature",
            SaslError::IterationCountTooLow(_) => "iteration-count-too-low",
            SaslError::IterationCountTooHigh(_) => "iteration-count-too-high",
            SaslError::MissingSalt => "missing-salt",
            SaslError::NonceMismatch => "nonce-mismatch",
            SaslError::MalformedChallenge(_) => "malformed-challenge",
            SaslError::ServerError(_) => "server-error",
            SaslError::UnexpectedChallenge => "unexpected-challenge",
            SaslError::UnexpectedSuccess => "unexpected-success",
            SaslError::InvalidState => "invalid-state",
            SaslError::KeysOutdated => "scram-keys-outdated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn user_creds() -> Credentials {
        Credentials {
            username: Some("juliet".to_owned()),
            password: Some("r0m30".to_owned()),
            domain: "capulet.lit".to_owned(),
            ..Default::default()
        }
    }

    fn nonce_counter(calls: &mut u32) -> impl FnMut() -> String + '_ {
        move || {
            *calls += 1;
            "abcdefgh".to_owned()
        }
    }

    #[test]
    fn select_preference_order() {
        let all = offered(&[
            "ANONYMOUS",
            "PLAIN",
            "SCRAM-SHA-1",
            "SCRAM-SHA-256",
            "SCRAM-SHA-512",
            "EXTERNAL",
        ]);
        let mut calls = 0;
        let m = select(
            &all,
            DEFAULT_PREFERENCE,
            &user_creds(),
            &mut nonce_counter(&mut calls),
        )
        .unwrap();
        assert_eq!(m.name(), "SCRAM-SHA-512");
        assert_eq!(calls, 1);

        let some = offered(&["PLAIN", "SCRAM-SHA-1"]);
        let m = select(&some, DEFAULT_PREFERENCE, &user_creds(), &mut || {
            "abc".to_owned()
        })
        .unwrap();
        assert_eq!(m.name(), "SCRAM-SHA-1");

        let m = select(
            &offered(&["PLAIN", "X-UNKNOWN"]),
            DEFAULT_PREFERENCE,
            &user_creds(),
            &mut || "abc".to_owned(),
        )
        .unwrap();
        assert_eq!(m.name(), "PLAIN");
    }

    #[test]
    fn select_custom_list() {
        let all = offered(&["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"]);
        let m = select(&all, &["SCRAM-SHA-1"], &user_creds(), &mut || {
            "abc".to_owned()
        })
        .unwrap();
        assert_eq!(m.name(), "SCRAM-SHA-1");

        let err = select(
            &offered(&["PLAIN"]),
            &["SCRAM-SHA-1"],
            &user_creds(),
            &mut || "abc".to_owned(),
        )
        .err()
        .unwrap();
        assert_eq!(err, SaslError::NoMechanism);

        // Order is the preference list's, not the server's.
        let m = select(
            &all,
            &["PLAIN", "SCRAM-SHA-256"],
            &user_creds(),
            &mut || "abc".to_owned(),
        )
        .unwrap();
        assert_eq!(m.name(), "PLAIN");
    }

    #[test]
    fn select_nonce_only_for_scram() {
        let mut calls = 0;
        let m = select(
            &offered(&["PLAIN", "SCRAM-SHA-1"]),
            &["PLAIN", "SCRAM-SHA-1"],
            &user_creds(),
            &mut nonce_counter(&mut calls),
        )
        .unwrap();
        assert_eq!(m.name(), "PLAIN");
        assert_eq!(calls, 0);
    }

    #[test]
    fn select_case_sensitive() {
        let err = select(
            &offered(&["plain", "scram-sha-1"]),
            DEFAULT_PREFERENCE,
            &user_creds(),
            &mut || "abc".to_owned(),
        )
        .err()
        .unwrap();
        assert_eq!(err, SaslError::NoMechanism);
    }

    #[test]
    fn select_anonymous() {
        let anon = Credentials {
            domain: "capulet.lit".to_owned(),
            ..Default::default()
        };
        let all = offered(&["PLAIN", "SCRAM-SHA-1", "ANONYMOUS"]);
        let m = select(&all, DEFAULT_PREFERENCE, &anon, &mut || "abc".to_owned()).unwrap();
        assert_eq!(m.name(), "ANONYMOUS");

        // Never anonymous when a username is given.
        let no_password = Credentials {
            username: Some("juliet".to_owned()),
            domain: "capulet.lit".to_owned(),
            ..Default::default()
        };
        let err = select(
            &offered(&["ANONYMOUS", "PLAIN"]),
            DEFAULT_PREFERENCE,
            &no_password,
            &mut || "abc".to_owned(),
        )
        .err()
        .unwrap();
        assert_eq!(err, SaslError::NoMechanism);
    }

    #[test]
    fn select_oauth_and_external() {
        let creds = Credentials {
            username: Some("juliet".to_owned()),
            domain: "capulet.lit".to_owned(),
            oauth_token: Some("tok".to_owned()),
            ..Default::default()
        };
        let all = offered(&["PLAIN", "OAUTHBEARER", "EXTERNAL"]);
        let m = select(&all, DEFAULT_PREFERENCE, &creds, &mut || "abc".to_owned()).unwrap();
        assert_eq!(m.name(), "OAUTHBEARER");

        let m = select(
            &offered(&["PLAIN", "EXTERNAL"]),
            DEFAULT_PREFERENCE,
            &creds,
            &mut || "abc".to_owned(),
        )
        .unwrap();
        assert_eq!(m.name(), "EXTERNAL");

        let m = select(&all, &["EXTERNAL", "OAUTHBEARER"], &creds, &mut || {
            "abc".to_owned()
        })
        .unwrap();
        assert_eq!(m.name(), "EXTERNAL");
    }

    #[test]
    fn select_no_mechanism() {
        let err = select(
            &offered(&["X-FOO", "DIGEST-MD5"]),
            DEFAULT_PREFERENCE,
            &user_creds(),
            &mut || "abc".to_owned(),
        )
        .err()
        .unwrap();
        assert_eq!(err, SaslError::NoMechanism);
        assert_eq!(err.condition(), "no-auth-mech");

        let err = select(&[], DEFAULT_PREFERENCE, &user_creds(), &mut || {
            "abc".to_owned()
        })
        .err()
        .unwrap();
        assert_eq!(err, SaslError::NoMechanism);

        let err = select(&offered(&["PLAIN"]), &[], &user_creds(), &mut || {
            "abc".to_owned()
        })
        .err()
        .unwrap();
        assert_eq!(err, SaslError::NoMechanism);
    }

    #[test]
    fn select_authzid_only_when_different() {
        let mut creds = user_creds();
        creds.authzid = Some("juliet@capulet.lit".to_owned());
        let mut m = select(
            &offered(&["PLAIN"]),
            DEFAULT_PREFERENCE,
            &creds,
            &mut || "abc".to_owned(),
        )
        .unwrap();
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"\0juliet\0r0m30".to_vec()
        );

        creds.authzid = Some("romeo@montague.lit".to_owned());
        let mut m = select(
            &offered(&["PLAIN"]),
            DEFAULT_PREFERENCE,
            &creds,
            &mut || "abc".to_owned(),
        )
        .unwrap();
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"romeo@montague.lit\0juliet\0r0m30".to_vec()
        );

        let mut m = select(
            &offered(&["SCRAM-SHA-1"]),
            DEFAULT_PREFERENCE,
            &creds,
            &mut || "abc".to_owned(),
        )
        .unwrap();
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"n,a=romeo@montague.lit,n=juliet,r=abc".to_vec()
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_saslname("a,b=c"), "a=2Cb=3Dc");
        assert_eq!(escape_saslname(""), "");
        assert_eq!(gs2_header(None), "n,,");
        assert_eq!(gs2_header(Some("a=b")), "n,a=a=3Db,");
    }

    #[test]
    fn credentials_debug_redacts_secrets() {
        let mut creds = user_creds();
        creds.oauth_token = Some("s3cr3t-token".to_owned());
        let dbg = format!("{creds:?}");
        assert!(dbg.contains("juliet"));
        assert!(!dbg.contains("r0m30"));
        assert!(!dbg.contains("s3cr3t-token"));
    }

    #[test]
    fn conditions() {
        assert_eq!(
            SaslError::ServerSignatureMismatch.condition(),
            "server-signature-mismatch"
        );
        assert_eq!(
            SaslError::IterationCountTooLow(1).condition(),
            "iteration-count-too-low"
        );
        assert_eq!(
            SaslError::IterationCountTooHigh(1).condition(),
            "iteration-count-too-high"
        );
        assert_eq!(SaslError::MissingSalt.condition(), "missing-salt");
        assert_eq!(SaslError::NonceMismatch.condition(), "nonce-mismatch");
        assert_eq!(
            SaslError::MalformedChallenge(String::new()).condition(),
            "malformed-challenge"
        );
        assert_eq!(
            SaslError::ServerError(String::new()).condition(),
            "server-error"
        );
    }
}
