//! ANONYMOUS (RFC 4505).

use super::{Mechanism, SaslError};

/// ANONYMOUS client (RFC 4505).
///
/// The optional trace information is never sent: there is no initial
/// response (`<auth mechanism='ANONYMOUS'/>` without text), and if the server
/// then sends an empty challenge it is answered with an empty response.
#[derive(Debug, Default)]
pub struct Anonymous {
    answered: bool,
}

impl Anonymous {
    /// Creates an ANONYMOUS client.
    pub fn new() -> Self {
        Anonymous { answered: false }
    }
}

impl Mechanism for Anonymous {
    fn name(&self) -> &'static str {
        "ANONYMOUS"
    }

    /// Always `None`: no trace information is sent.
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError> {
        Ok(None)
    }

    /// An empty challenge is answered once with an empty response.
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if challenge.is_empty() && !self.answered {
            self.answered = true;
            Ok(Vec::new())
        } else {
            Err(SaslError::UnexpectedChallenge)
        }
    }

    /// No additional data is expected; any is ignored.
    fn success(&mut self, _additional: &[u8]) -> Result<(), SaslError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple() {
        let mut m = Anonymous::new();
        assert_eq!(m.name(), "ANONYMOUS");
        assert_eq!(m.initial_response().unwrap(), None);
        m.success(b"").unwrap();
    }

    #[test]
    fn empty_challenge() {
        let mut m = Anonymous::new();
        assert_eq!(m.initial_response().unwrap(), None);
        assert_eq!(m.respond(b"").unwrap(), Vec::<u8>::new());
        assert_eq!(m.respond(b"").unwrap_err(), SaslError::UnexpectedChallenge);
        m.success(b"").unwrap();
    }

    #[test]
    fn invalid() {
        let mut m = Anonymous::new();
        assert_eq!(
            m.respond(b"\xffjunk").unwrap_err(),
            SaslError::UnexpectedChallenge
        );
    }
}
