//! OAUTHBEARER (RFC 7628).

use super::{gs2_header, Mechanism, SaslError};

/// OAUTHBEARER client (RFC 7628) with an OAuth 2.0 bearer token (RFC 6750).
///
/// The initial response is
/// `n,a=AUTHZID,\x01host=HOST\x01auth=Bearer TOKEN\x01\x01` (`n,,` without an
/// authzid). If the server rejects the token it sends a challenge with a JSON
/// error; that is answered with a single `0x01` byte, after which the server
/// sends `<failure/>`.
pub struct OAuthBearer {
    message: Result<Vec<u8>, SaslError>,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Initial,
    Sent,
    ErrorAcknowledged,
}

impl OAuthBearer {
    /// Creates an OAUTHBEARER client. `host` is the server's domain.
    ///
    /// A control character (such as `0x01`, the field separator) in `host`
    /// or `token` makes [`Mechanism::initial_response`] return
    /// [`SaslError::InvalidCredentials`].
    pub fn new(authzid: Option<&str>, host: &str, token: &str) -> Self {
        let message = if host.chars().any(char::is_control) {
            Err(SaslError::InvalidCredentials(
                "control character in OAUTHBEARER host",
            ))
        } else if token.is_empty() || token.chars().any(|c| c.is_control() || c == ' ') {
            Err(SaslError::InvalidCredentials("invalid OAUTHBEARER token"))
        } else if authzid.is_some_and(|a| a.chars().any(char::is_control)) {
            Err(SaslError::InvalidCredentials(
                "control character in OAUTHBEARER authzid",
            ))
        } else {
            Ok(format!(
                "{}\x01host={host}\x01auth=Bearer {token}\x01\x01",
                gs2_header(authzid)
            )
            .into_bytes())
        };
        OAuthBearer {
            message,
            state: State::Initial,
        }
    }

    fn message(&mut self) -> Result<Vec<u8>, SaslError> {
        self.state = State::Sent;
        self.message.clone()
    }
}

impl Mechanism for OAuthBearer {
    fn name(&self) -> &'static str {
        "OAUTHBEARER"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError> {
        if self.state != State::Initial {
            return Err(SaslError::InvalidState);
        }
        self.message().map(Some)
    }

    /// An empty challenge before anything was sent (no initial response) is
    /// answered with the message. After it, a challenge is the server's JSON
    /// error, answered with `0x01` (RFC 7628 §3.2.3).
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        match self.state {
            State::Initial if challenge.is_empty() => self.message(),
            State::Initial => Err(SaslError::UnexpectedChallenge),
            State::Sent => {
                self.state = State::ErrorAcknowledged;
                Ok(vec![0x01])
            }
            State::ErrorAcknowledged => Err(SaslError::UnexpectedChallenge),
        }
    }

    /// No additional data is expected; any is ignored. Success after an
    /// error challenge is refused.
    fn success(&mut self, _additional: &[u8]) -> Result<(), SaslError> {
        match self.state {
            State::Sent => Ok(()),
            State::Initial | State::ErrorAcknowledged => Err(SaslError::UnexpectedSuccess),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_authzid() {
        let mut m = OAuthBearer::new(
            None,
            "capulet.lit",
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
        );
        assert_eq!(m.name(), "OAUTHBEARER");
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"n,,\x01host=capulet.lit\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        m.success(b"").unwrap();
    }

    #[test]
    fn with_authzid() {
        let mut m = OAuthBearer::new(Some("user@example.com"), "server.example.com", "tok");
        assert_eq!(
            m.initial_response().unwrap().unwrap(),
            b"n,a=user@example.com,\x01host=server.example.com\x01auth=Bearer tok\x01\x01"
        );
        m.success(b"").unwrap();
    }

    #[test]
    fn error_challenge() {
        let mut m = OAuthBearer::new(None, "capulet.lit", "tok");
        m.initial_response().unwrap();
        let json = br#"{"status":"invalid_token","scope":"example_scope"}"#;
        assert_eq!(m.respond(json).unwrap(), vec![0x01]);
        assert_eq!(m.respond(json).unwrap_err(), SaslError::UnexpectedChallenge);
        assert_eq!(m.success(b"").unwrap_err(), SaslError::UnexpectedSuccess);
        // Non-JSON, non-UTF-8 is acknowledged the same way.
        let mut m = OAuthBearer::new(None, "capulet.lit", "tok");
        m.initial_response().unwrap();
        assert_eq!(m.respond(b"\xff\xfe").unwrap(), vec![0x01]);
    }

    #[test]
    fn invalid() {
        for (host, token) in [
            ("a\x01b", "tok"),
            ("host", "t\x01ok"),
            ("host", ""),
            ("host", "a b"),
        ] {
            let mut m = OAuthBearer::new(None, host, token);
            assert!(matches!(
                m.initial_response().unwrap_err(),
                SaslError::InvalidCredentials(_)
            ));
        }
        let mut m = OAuthBearer::new(None, "host", "tok");
        assert_eq!(m.respond(b"x").unwrap_err(), SaslError::UnexpectedChallenge);
        assert_eq!(m.success(b"").unwrap_err(), SaslError::UnexpectedSuccess);
        assert!(m.respond(b"").is_ok());
        assert_eq!(m.initial_response().unwrap_err(), SaslError::InvalidState);
    }
}
