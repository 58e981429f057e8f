//! PLAIN (RFC 4616).

use super::{Mechanism, SaslError};

/// PLAIN client (RFC 4616): sends `authzid NUL authcid NUL password` in the
/// initial response.
///
/// The password travels in clear inside the TLS-protected stream; prefer
/// SCRAM when the server offers it.
pub struct Plain {
    message: Result<Vec<u8>, SaslError>,
    sent: bool,
}

impl Plain {
    /// Creates a PLAIN client. `authzid` is omitted (empty) when `None`.
    ///
    /// A NUL character in any of the three strings makes
    /// [`Mechanism::initial_response`] return
    /// [`SaslError::InvalidCredentials`].
    pub fn new(authzid: Option<&str>, username: &str, password: &str) -> Self {
        let authzid = authzid.unwrap_or("");
        let message = if [authzid, username, password]
            .iter()
            .any(|s| s.contains('\0'))
        {
            Err(SaslError::InvalidCredentials(
                "NUL character in PLAIN credentials",
            ))
        } else {
            Ok(format!("{authzid}\0{username}\0{password}").into_bytes())
        };
        Plain {
            message,
            sent: false,
        }
    }

    fn message(&mut self) -> Result<Vec<u8>, SaslError> {
        if self.sent {
            return Err(SaslError::InvalidState);
        }
        self.sent = true;
        self.message.clone()
    }
}

impl Mechanism for Plain {
    fn name(&self) -> &'static str {
        "PLAIN"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError> {
        self.message().map(Some)
    }

    /// Only an empty challenge before the message was sent (no initial
    /// response, RFC 6120 §6.4.2) is expected: it is answered with the
    /// message.
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if challenge.is_empty() && !self.sent {
            self.message()
        } else {
            Err(SaslError::UnexpectedChallenge)
        }
    }

    /// PLAIN has no additional data on success; any is ignored.
    fn success(&mut self, _additional: &[u8]) -> Result<(), SaslError> {
        if self.sent {
            Ok(())
        } else {
            Err(SaslError::UnexpectedSuccess)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_authzid() {
        let mut m = Plain::new(None, "juliet", "r0m30myr0m30");
        assert_eq!(m.name(), "PLAIN");
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"\0juliet\0r0m30myr0m30"
        );
        m.success(b"").unwrap();
    }

    #[test]
    fn with_authzid() {
        let mut m = Plain::new(Some("romeo@montague.lit"), "juliet", "pass");
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"romeo@montague.lit\0juliet\0pass"
        );
        m.success(b"").unwrap();
    }

    #[test]
    fn utf8() {
        let mut m = Plain::new(None, "jüliet", "pässwörd");
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            "\0jüliet\0pässwörd".as_bytes()
        );
    }

    #[test]
    fn no_initial_response() {
        let mut m = Plain::new(None, "juliet", "pass");
        assert_eq!(m.respond(b"").unwrap(), b"\0juliet\0pass");
        assert_eq!(m.respond(b"").unwrap_err(), SaslError::UnexpectedChallenge);
        m.success(b"").unwrap();
    }

    #[test]
    fn invalid() {
        let mut m = Plain::new(None, "jul\0iet", "pass");
        assert_eq!(
            m.initial_response().unwrap_err(),
            SaslError::InvalidCredentials("NUL character in PLAIN credentials")
        );
        let mut m = Plain::new(None, "juliet", "pass");
        assert_eq!(m.success(b"").unwrap_err(), SaslError::UnexpectedSuccess);
        m.initial_response().unwrap();
        assert_eq!(m.initial_response().unwrap_err(), SaslError::InvalidState);
        assert_eq!(
            m.respond(b"\xff garbage").unwrap_err(),
            SaslError::UnexpectedChallenge
        );
    }
}
