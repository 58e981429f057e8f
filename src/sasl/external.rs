//! EXTERNAL (RFC 4422 appendix A; XEP-0178 for TLS client certificates).

use super::{Mechanism, SaslError};

/// EXTERNAL client: the identity was established outside SASL (e.g. a TLS
/// client certificate). The initial response is the authzid, or empty
/// (sent as `=`) to let the server derive it.
#[derive(Debug)]
pub struct External {
    authzid: Vec<u8>,
    sent: bool,
}

impl External {
    /// Creates an EXTERNAL client.
    pub fn new(authzid: Option<&str>) -> Self {
        External {
            authzid: authzid.unwrap_or("").as_bytes().to_vec(),
            sent: false,
        }
    }
}

impl Mechanism for External {
    fn name(&self) -> &'static str {
        "EXTERNAL"
    }

    /// The authzid bytes, or an empty response.
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError> {
        if self.sent {
            return Err(SaslError::InvalidState);
        }
        self.sent = true;
        Ok(Some(self.authzid.clone()))
    }

    /// Only an empty challenge before anything was sent is expected (no
    /// initial response); it is answered with the authzid.
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if challenge.is_empty() && !self.sent {
            self.sent = true;
            Ok(self.authzid.clone())
        } else {
            Err(SaslError::UnexpectedChallenge)
        }
    }

    /// No additional data is expected; any is ignored.
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
        let mut m = External::new(None);
        assert_eq!(m.name(), "EXTERNAL");
        assert_eq!(m.initial_response().unwrap(), Some(Vec::new()));
        m.success(b"").unwrap();
    }

    #[test]
    fn with_authzid() {
        let mut m = External::new(Some("juliet@capulet.lit"));
        assert_eq!(
            m.initial_response().unwrap(),
            Some(b"juliet@capulet.lit".to_vec())
        );
        m.success(b"").unwrap();
    }

    #[test]
    fn invalid() {
        let mut m = External::new(None);
        m.initial_response().unwrap();
        assert_eq!(m.respond(b"").unwrap_err(), SaslError::UnexpectedChallenge);
        assert_eq!(m.initial_response().unwrap_err(), SaslError::InvalidState);
        let mut m = External::new(None);
        assert_eq!(m.success(b"").unwrap_err(), SaslError::UnexpectedSuccess);
    }
}
