//! BOSH in a cluster without a load balancer (Tigase's advice): the
//! application knows the nodes' URLs for one XMPP domain; each new session
//! picks a node at random and stays on it for its whole life; only while the
//! session is being created, a node that fails at the network level (a
//! network error, a timeout, an HTTP 5xx) is left for another random node
//! among the rest, and it is skipped by later sessions for a cool-down. `to`
//! is always the XMPP domain, whichever node ([`super::Config::to`]).
//!
//! [`Nodes`] keeps the list and the cool-downs; the caller draws the order of
//! a new session with [`Nodes::configure`] (randomness comes in as a
//! [`RandomSource`], as everywhere in the core), and reports the nodes the
//! session left behind ([`super::Session::poll_failed_node`]) with
//! [`Nodes::mark_failed`]. The node a session lives on is its
//! [`super::Config::url`], so a keepalive snapshot carries it and a restore
//! goes back to it; [`Nodes::position`] tells whether a stored node is one of
//! this service's.

use super::{BoshError, Config};
use crate::rand::RandomSource;
use std::time::Duration;

/// The most nodes one service may list.
pub const MAX_NODES: usize = 16;

/// How long a node that failed while a session was being created is skipped
/// by later sessions (unless every node is cooling down).
pub const NODE_COOLDOWN: Duration = Duration::from_secs(60);

/// The connection-manager nodes of one XMPP domain, with their cool-downs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nodes {
    urls: Vec<String>,
    down_until: Vec<Option<Duration>>,
    cooldown: Duration,
}

impl Nodes {
    /// A list of 1..=[`MAX_NODES`] distinct URLs, each non-empty and without
    /// whitespace or control characters (the shell resolves relative URLs
    /// first). Anything else is `InvalidConfig("service")`.
    pub fn new(urls: Vec<String>) -> Result<Nodes, BoshError> {
        if urls.is_empty() || urls.len() > MAX_NODES {
            return Err(BoshError::InvalidConfig("service"));
        }
        for (i, u) in urls.iter().enumerate() {
            let bad = u.is_empty() || u.chars().any(|c| c.is_whitespace() || c.is_control());
            if bad || urls[..i].contains(u) {
                return Err(BoshError::InvalidConfig("service"));
            }
        }
        let n = urls.len();
        Ok(Nodes {
            urls,
            down_until: vec![None; n],
            cooldown: NODE_COOLDOWN,
        })
    }

    /// The same nodes with another cool-down (default [`NODE_COOLDOWN`]).
    pub fn with_cooldown(mut self, cooldown: Duration) -> Nodes {
        self.cooldown = cooldown;
        self
    }

    /// The node URLs, as given.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The index of `url` among the nodes (a restored snapshot's node must
    /// be one of them).
    pub fn position(&self, url: &str) -> Option<usize> {
        self.urls.iter().position(|u| u == url)
    }

    /// Whether node `url` is cooling down at `now`.
    pub fn is_cooling(&self, url: &str, now: Duration) -> bool {
        self.position(url)
            .and_then(|i| self.down_until[i])
            .is_some_and(|t| t > now)
    }

    /// Node `url` failed at the network level while a session was being
    /// created: skip it until `now` + the cool-down. Unknown URLs are ignored.
    pub fn mark_failed(&mut self, url: &str, now: Duration) {
        if let Some(i) = self.position(url) {
            self.down_until[i] = Some(now.saturating_add(self.cooldown));
        }
    }

    /// The order in which a new session tries the nodes: those not cooling
    /// down in a uniformly random order, then those cooling down, the one
    /// whose cool-down ends first first (so a session is still attempted when
    /// every node failed recently).
    pub fn order(&self, now: Duration, rng: &mut dyn RandomSource) -> Vec<String> {
        // When each node may be used again: now for those not cooling down.
        let key = |i: usize| match self.down_until[i] {
            Some(t) if t > now => t,
            _ => Duration::ZERO,
        };
        let mut idx: Vec<usize> = (0..self.urls.len()).collect();
        // Fisher–Yates; at most 16 nodes, so the modulo bias of a u64 is nil.
        for i in (1..idx.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
        // Then a stable sort by that time: the nodes not cooling down stay
        // in their uniformly random order, before the cooling ones, the
        // soonest back first. An insertion sort: at most 16 nodes, and far
        // less code in the wasm than the standard library's sort.
        for i in 1..idx.len() {
            let mut j = i;
            while j > 0 && key(idx[j - 1]) > key(idx[j]) {
                idx.swap(j - 1, j);
                j -= 1;
            }
        }
        let mut out = Vec::with_capacity(idx.len());
        for i in idx {
            out.push(self.urls[i].clone());
        }
        out
    }

    /// Sets up a new session: `config`'s [`Config::url`] is the first node
    /// of [`Nodes::order`]; the session made from it gets the rest with
    /// [`super::Session::set_fallback_urls`] (returned here), before
    /// [`super::Session::start`].
    pub fn configure(
        &self,
        config: &mut Config,
        now: Duration,
        rng: &mut dyn RandomSource,
    ) -> Vec<String> {
        let mut order = self.order(now, rng);
        if !order.is_empty() {
            config.url = order.remove(0);
        }
        order
    }
}
