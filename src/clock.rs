//! The orchestrator's clock. In Azure it is the system clock; the sandbox runs a scaled one so that
//! a run's hours pass in about a minute while every timestamp still looks like a real run.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

/// System time, or a clock that started at `origin` and runs `factor` times faster.
#[derive(Debug, Clone)]
pub struct Clock {
    scaled: Option<Arc<Scaled>>,
}

#[derive(Debug)]
struct Scaled {
    origin: DateTime<Utc>,
    started: Instant,
    factor: f64,
}

impl Clock {
    pub fn system() -> Self {
        Self { scaled: None }
    }

    /// A clock that starts at the current time and runs `factor` (> 0) times faster.
    pub fn scaled(factor: f64) -> Self {
        Self {
            scaled: Some(Arc::new(Scaled {
                origin: Utc::now(),
                started: Instant::now(),
                factor: factor.max(f64::MIN_POSITIVE),
            })),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.scaled {
            None => Utc::now(),
            Some(s) => {
                let real = s.started.elapsed().as_secs_f64();
                s.origin + Duration::microseconds((real * s.factor * 1e6) as i64)
            }
        }
    }

    /// How many times faster than real time this clock runs (1 for the system clock).
    pub fn factor(&self) -> f64 {
        self.scaled.as_ref().map_or(1.0, |s| s.factor)
    }

    /// The real wall time that `clock_time` of this clock takes.
    pub fn to_real(&self, clock_time: Duration) -> std::time::Duration {
        let secs = clock_time.num_milliseconds() as f64 / 1000.0 / self.factor();
        std::time::Duration::from_secs_f64(secs.max(0.0))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_clock_runs_faster_and_converts_back() {
        let clock = Clock::scaled(3600.0);
        let a = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = clock.now();
        assert!(b - a >= Duration::seconds(60), "{a} → {b}");
        assert_eq!(
            clock.to_real(Duration::hours(1)),
            std::time::Duration::from_secs(1)
        );
        assert_eq!(Clock::system().factor(), 1.0);
    }
}
