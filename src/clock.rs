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

    /// A scaled clock that started at `origin` (a moment of real time, now or past) and runs
    /// `factor` times faster: another process reading it agrees with the one that started it
    /// (the sandbox's handler process).
    pub fn scaled_since(origin: DateTime<Utc>, factor: f64) -> Self {
        let ago = (Utc::now() - origin).to_std().unwrap_or_default();
        let started = Instant::now().checked_sub(ago).unwrap_or_else(Instant::now);
        Self {
            scaled: Some(Arc::new(Scaled {
                origin,
                started,
                factor: factor.max(f64::MIN_POSITIVE),
            })),
        }
    }

    /// Where a scaled clock started (`None` for the system clock).
    pub fn origin(&self) -> Option<DateTime<Utc>> {
        self.scaled.as_ref().map(|s| s.origin)
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

    #[test]
    fn a_clock_rebuilt_from_its_origin_agrees_with_the_original() {
        let clock = Clock::scaled(3600.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let twin = Clock::scaled_since(clock.origin().unwrap(), clock.factor());
        let (a, b) = (clock.now(), twin.now());
        // Within a few milliseconds of real time (× 3600).
        assert!((a - b).num_seconds().abs() <= 60, "{a} vs {b}");
        assert!(b - clock.origin().unwrap() >= Duration::seconds(60), "{b}");
    }
}
