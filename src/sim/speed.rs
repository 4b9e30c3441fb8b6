//! The speed factor (`haymaker sim --speed X`): the simulated world runs X times faster than Azure.
//! Durations the world waits out (LROs, RBAC propagation) are divided by it, and so are the
//! `Retry-After` values it asks clients to wait. [`World::delay_operation`] is the hook a service
//! uses to give its long-running operation a realistic duration.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};

use super::state::{SimConfig, World};

impl SimConfig {
    /// `nominal` (how long it takes in Azure) at this speed.
    pub fn scaled(&self, nominal: Duration) -> Duration {
        if self.speed.is_finite() && self.speed > 0.0 {
            nominal.div_f64(self.speed)
        } else {
            nominal
        }
    }
}

/// `chrono` from `std`, saturating.
pub fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl World {
    /// When something that takes `nominal` in Azure and starts now is done here.
    pub fn done_at(&self, nominal: Duration) -> DateTime<Utc> {
        self.now + chrono_of(self.config.scaled(nominal))
    }

    /// Keeps operation `id` running for `nominal` (scaled) from now, however often it is polled.
    pub fn delay_operation(&mut self, id: &str, nominal: Duration) {
        let at = self.done_at(nominal);
        self.operation_ready_at.insert(id.to_string(), at);
    }

    /// Whether operation `id` may complete now (its delay, if any, has passed).
    pub fn operation_due(&self, id: &str) -> bool {
        self.operation_ready_at
            .get(id)
            .is_none_or(|at| *at <= self.now)
    }

    /// The `Retry-After` of accepted operations and their polls, scaled.
    pub fn poll_interval(&self) -> Duration {
        self.config
            .scaled(Duration::from_secs(self.config.retry_after_secs))
    }
}

/// Sets `Retry-After` to `wait` in whole seconds, rounded up; when the world runs faster than Azure
/// (`speed` ≠ 1) also `retry-after-ms` with the exact value, which clients that know it (haymaker's
/// own, the Azure SDKs) prefer.
pub fn set_retry_after(headers: &mut HeaderMap, wait: Duration, speed: f64) {
    let seconds = wait.as_secs_f64().ceil() as u64;
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        headers.insert("retry-after", v);
    }
    if speed != 1.0 {
        if let Ok(v) = HeaderValue::from_str(&wait.as_millis().to_string()) {
            headers.insert("retry-after-ms", v);
        }
    }
}
