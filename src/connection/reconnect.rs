//! The reconnect policy (opt-in, option `reconnect`): when a live session
//! is lost to the network or the server, wait, then start a fresh session
//! (or resume the WebSocket stream), again and again with growing waits.
//!
//! The wait before attempt `n` (0, 1, …) is drawn uniformly ("full
//! jitter") from `[0, cap(n)]`, `cap(n) = min(maxDelay, initialDelay ·
//! 2^n)`, with the connection's [`RandomSource`]. Whatever the draw, an
//! attempt never starts within [`MIN_ATTEMPT_GAP`] of the previous one, and
//! attempts never overlap (the next is scheduled only when one has failed).
//! The attempt count starts over only after a session stayed up for
//! [`STABLE_AFTER`]: a server that accepts the login and drops it at once
//! still sees the waits grow.
//!
//! Rate ceiling: at most one session creation per [`MIN_ATTEMPT_GAP`]
//! (1 s). An attempt is one login: over BOSH, the session creation request
//! (resent on network errors with the session's own backoff, 250 ms
//! upwards) and the login's 3–4 requests, each sent only on the answer to
//! the previous one; over WebSocket, one socket. `tests/reconnect.rs`
//! measures the ceiling on the fake clock.

use crate::rand::RandomSource;
use std::time::Duration;

/// The least time between the starts of two attempts, whatever the jitter.
pub const MIN_ATTEMPT_GAP: Duration = Duration::from_secs(1);

/// A session that stayed connected this long resets the attempt count.
pub const STABLE_AFTER: Duration = Duration::from_secs(60);

/// The limits of reconnecting (JavaScript: `reconnect: true` or
/// `{initialDelay, maxDelay, maxAttempts}`, milliseconds and a count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The cap of the first wait (default 1 s); each attempt doubles it.
    pub initial_delay: Duration,
    /// The largest cap (default 30 s).
    pub max_delay: Duration,
    /// Attempts before giving up with CONNFAIL then DISCONNECTED; 0 (the
    /// default) never gives up.
    pub max_attempts: u32,
    /// The application can prebind a new session (JavaScript:
    /// `reconnect.prebind`, a callback or a prebind URL): a session that
    /// came from `attach` (no credentials to log in with) is reconnected by
    /// asking for one ([`crate::connection::Connection::poll_prebind_wanted`])
    /// and attaching to it.
    pub prebind: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_attempts: 0,
            prebind: false,
        }
    }
}

/// Whether a session lost with `condition` is worth reconnecting: the
/// network or the server failed (not a refusal of this client: `conflict`,
/// `policy-violation`, `not-authorized`, a bad request…).
pub fn recoverable(condition: &str) -> bool {
    matches!(
        condition,
        "remote-connection-failed"
            | "item-not-found"
            | "internal-server-error"
            | "system-shutdown"
            | "connection-timeout"
            | "host-gone"
            | "remote-stream-error"
            | "undefined-condition"
            | "reset"
            | "service-unavailable"
            | "other-request"
    )
}

/// The attempt counter and the due time of the next attempt.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: Policy,
    attempts: u32,
    due: Option<Duration>,
    last_start: Option<Duration>,
    connected_at: Option<Duration>,
}

impl Backoff {
    /// A backoff with no attempt made.
    pub fn new(policy: Policy) -> Self {
        Backoff {
            policy,
            attempts: 0,
            due: None,
            last_start: None,
            connected_at: None,
        }
    }

    /// The policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Attempts started since the count last started over.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The cap of the wait before attempt `n`: `min(maxDelay, initialDelay
    /// · 2^n)`, saturating.
    pub fn cap(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX);
        self.policy
            .initial_delay
            .saturating_mul(factor)
            .min(self.policy.max_delay)
    }

    /// Draws the wait before the next attempt and returns when it is due;
    /// `None` when `maxAttempts` attempts were made.
    pub fn schedule(&mut self, now: Duration, rng: &mut dyn RandomSource) -> Option<Duration> {
        if self.policy.max_attempts > 0 && self.attempts >= self.policy.max_attempts {
            self.due = None;
            return None;
        }
        let cap_ms = u64::try_from(self.cap(self.attempts).as_millis()).unwrap_or(u64::MAX);
        let jitter = match cap_ms.checked_add(1) {
            Some(span) => rng.next_u64() % span,
            None => rng.next_u64(),
        };
        let mut due = now.saturating_add(Duration::from_millis(jitter));
        if let Some(start) = self.last_start {
            due = due.max(start.saturating_add(MIN_ATTEMPT_GAP));
        }
        self.due = Some(due);
        Some(due)
    }

    /// When the next attempt is due, if one is scheduled.
    pub fn due(&self) -> Option<Duration> {
        self.due
    }

    /// `true` (once) when the scheduled attempt is due at `now`: it counts
    /// as started.
    pub fn take_due(&mut self, now: Duration) -> bool {
        match self.due {
            Some(d) if d <= now => {
                self.due = None;
                self.attempts = self.attempts.saturating_add(1);
                self.last_start = Some(now);
                true
            }
            _ => false,
        }
    }

    /// A session is up (CONNECTED, or a stream resumed) at `now`. The first
    /// one (connect, attach, restore: no attempt of ours) counts as a start,
    /// so the first attempt after it, too, keeps [`MIN_ATTEMPT_GAP`] from
    /// the socket or session that was opened for it.
    pub fn on_connected(&mut self, now: Duration) {
        self.connected_at = Some(now);
        self.last_start.get_or_insert(now);
    }

    /// The live session was lost at `now`: the count starts over if it had
    /// lasted [`STABLE_AFTER`].
    pub fn on_lost(&mut self, now: Duration) {
        if self
            .connected_at
            .take()
            .is_some_and(|c| now >= c.saturating_add(STABLE_AFTER))
        {
            self.attempts = 0;
        }
    }

    /// Drops the scheduled attempt (`disconnect()`).
    pub fn cancel(&mut self) {
        self.due = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rand::XorShift;

    #[test]
    fn waits_are_jittered_within_the_doubling_cap_and_spaced() {
        let mut b = Backoff::new(Policy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1_500),
            ..Policy::default()
        });
        let mut rng = XorShift::new(7);
        let mut now = Duration::ZERO;
        for n in 0..40u32 {
            let due = b.schedule(now, &mut rng).unwrap();
            let cap =
                Duration::from_millis(100 * (1u64 << n.min(20))).min(Duration::from_millis(1_500));
            assert_eq!(b.cap(n), cap);
            // The draw is in [0, cap]; the gap may push it to 1 s after the
            // previous start (which was `now`).
            assert!(due >= now && due <= now + cap.max(MIN_ATTEMPT_GAP));
            if n > 0 {
                assert!(due >= now + MIN_ATTEMPT_GAP);
                assert!(!b.take_due(due - Duration::from_millis(1)));
            }
            now = due;
            assert!(b.take_due(now));
        }
        assert_eq!(b.cap(u32::MAX), Duration::from_millis(1_500));
    }

    #[test]
    fn the_first_attempt_keeps_the_gap_from_the_first_session() {
        // A session connected (not by an attempt of ours) and lost 100 ms
        // later: whatever the draw, its first attempt waits until 1 s after.
        for seed in 1..200 {
            let mut b = Backoff::new(Policy::default());
            let mut rng = XorShift::new(seed);
            let up = Duration::from_secs(5);
            b.on_connected(up);
            b.on_lost(up + Duration::from_millis(100));
            let due = b
                .schedule(up + Duration::from_millis(100), &mut rng)
                .unwrap();
            assert!(due >= up + MIN_ATTEMPT_GAP, "seed {seed}: {due:?}");
        }
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let mut b = Backoff::new(Policy {
            max_attempts: 2,
            ..Policy::default()
        });
        let mut rng = XorShift::new(1);
        for _ in 0..2 {
            let due = b.schedule(Duration::ZERO, &mut rng).unwrap();
            assert!(b.take_due(due.max(Duration::from_secs(2))));
        }
        assert_eq!(b.schedule(Duration::from_secs(9), &mut rng), None);
    }
}
