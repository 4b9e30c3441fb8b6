//! A circuit breaker per endpoint: closed → open after consecutive failures → half-open after a
//! cool-down, letting exactly one probe through → closed on its success, open again on its failure.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct BreakerOptions {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long it stays open before one probe is allowed.
    pub cool_down: Duration,
}

impl Default for BreakerOptions {
    fn default() -> Self {
        Self {
            failure_threshold: 8,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// Observable state (tests, health).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

#[derive(Debug, Default)]
pub struct Breakers {
    options: BreakerOptions,
    inner: Mutex<HashMap<String, State>>,
}

impl Breakers {
    pub fn new(options: BreakerOptions) -> Self {
        Self {
            options,
            inner: Mutex::new(HashMap::new()),
        }
    }

    /// May a call to `endpoint` go ahead? In half-open state only one caller gets `true`.
    pub fn allow(&self, endpoint: &str) -> bool {
        let now = Instant::now();
        let mut map = self.inner.lock().expect("breaker lock");
        let state = map
            .entry(endpoint.to_string())
            .or_insert(State::Closed { failures: 0 });
        match state {
            State::Closed { .. } => true,
            State::Open { until } if now >= *until => {
                *state = State::HalfOpen { probing: true };
                true
            }
            State::Open { .. } => false,
            State::HalfOpen { probing } if !*probing => {
                *probing = true;
                true
            }
            State::HalfOpen { .. } => false,
        }
    }

    /// Records the outcome of an allowed call.
    pub fn record(&self, endpoint: &str, success: bool) {
        let now = Instant::now();
        let mut map = self.inner.lock().expect("breaker lock");
        let state = map
            .entry(endpoint.to_string())
            .or_insert(State::Closed { failures: 0 });
        *state = match (&*state, success) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false)
                if failures + 1 < self.options.failure_threshold =>
            {
                State::Closed {
                    failures: failures + 1,
                }
            }
            (_, false) => State::Open {
                until: now + self.options.cool_down,
            },
        };
    }

    pub fn state(&self, endpoint: &str) -> BreakerState {
        match self.inner.lock().expect("breaker lock").get(endpoint) {
            None | Some(State::Closed { .. }) => BreakerState::Closed,
            Some(State::Open { .. }) => BreakerState::Open,
            Some(State::HalfOpen { .. }) => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_cools_down_probes_once_and_closes() {
        let b = Breakers::new(BreakerOptions {
            failure_threshold: 3,
            cool_down: Duration::from_secs(10),
        });
        let e = "arm";
        for _ in 0..2 {
            assert!(b.allow(e));
            b.record(e, false);
        }
        assert_eq!(b.state(e), BreakerState::Closed);
        assert!(b.allow(e));
        b.record(e, false);
        assert_eq!(b.state(e), BreakerState::Open);
        assert!(!b.allow(e), "open: fail fast");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(b.allow(e), "the first caller after the cool-down probes");
        assert!(!b.allow(e), "only one probe at a time");
        assert_eq!(b.state(e), BreakerState::HalfOpen);
        b.record(e, false);
        assert_eq!(
            b.state(e),
            BreakerState::Open,
            "a failed probe opens it again"
        );
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(b.allow(e));
        b.record(e, true);
        assert_eq!(b.state(e), BreakerState::Closed);
        assert!(b.allow(e) && b.allow(e));
        assert_eq!(b.state("other"), BreakerState::Closed, "per endpoint");
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_failure_count() {
        let b = Breakers::new(BreakerOptions {
            failure_threshold: 2,
            cool_down: Duration::from_secs(1),
        });
        b.record("x", false);
        b.record("x", true);
        b.record("x", false);
        assert_eq!(b.state("x"), BreakerState::Closed);
    }
}
