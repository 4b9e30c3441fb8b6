//! Retry decisions, as pure functions: which answers are worth another try, whether a call may be
//! repeated safely, how long to wait.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

/// How hard to retry.
#[derive(Debug, Clone)]
pub struct RetryOptions {
    /// Retries after the first try.
    pub max_retries: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        Self {
            max_retries: 6,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
        }
    }
}

tokio::task_local! {
    /// The retries of the invocation running on this task ([`counting`]).
    static RETRIES: Arc<AtomicU64>;
}

/// Runs `work`, counting the retries the pipeline makes for it (on this task: work spawned onto
/// other tasks is not counted). Returns its output and the count.
pub async fn counting<F: Future>(work: F) -> (F::Output, u64) {
    let counter = Arc::new(AtomicU64::new(0));
    let output = RETRIES.scope(counter.clone(), work).await;
    (output, counter.load(Ordering::Relaxed))
}

/// Counts one retry for the [`counting`] scope this task is in, if any.
pub fn count_retry() {
    let _ = RETRIES.try_with(|c| c.fetch_add(1, Ordering::Relaxed));
}

/// The retries counted so far in the [`counting`] scope this task is in (0 outside one).
pub fn retries_so_far() -> u64 {
    RETRIES.try_with(|c| c.load(Ordering::Relaxed)).unwrap_or(0)
}

/// 408, 429 and 5xx except 501/505 are worth another try.
pub fn is_retriable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether a call may be repeated after this outcome. An idempotent call may always be; a
/// non-idempotent one (POST that creates) only when the service cannot have acted on it: a 429 or 503
/// (refused before processing) or a connection that was never established.
pub fn safe_to_retry(idempotent: bool, status: Option<u16>, never_sent: bool) -> bool {
    match status {
        Some(s) if !is_retriable_status(s) => false,
        Some(s) => idempotent || s == 429 || s == 503,
        None => idempotent || never_sent,
    }
}

/// The delay a response asks for: `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds), or
/// `Retry-After` (seconds, or an HTTP date).
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = text(name).and_then(|v| v.parse::<f64>().ok()) {
            if ms >= 0.0 {
                return Some(Duration::from_millis(ms as u64));
            }
        }
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs >= 0.0).then(|| Duration::from_millis((secs * 1000.0) as u64));
    }
    let date = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((date - now).to_std().unwrap_or(Duration::ZERO))
}

/// Exponential backoff with "equal jitter": half the exponential delay plus a random part of the
/// other half (`jitter` in 0..1).
pub fn backoff(options: &RetryOptions, attempt: u32, jitter: f64) -> Duration {
    let exp = options
        .initial_delay
        .saturating_mul(2u32.saturating_pow(attempt.min(20)));
    let capped = exp.min(options.max_delay);
    capped / 2 + capped.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_in_every_form() {
        let now: DateTime<Utc> = "2015-10-21T07:27:50Z".parse().unwrap();
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]),
                now
            ),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ms-retry-after-ms", "1500")]), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
        // A date in the past means "now".
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]),
                now
            ),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn which_outcomes_are_retried() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retriable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409, 412, 501] {
            assert!(!is_retriable_status(s), "{s}");
        }
        // Idempotent: every retriable outcome.
        assert!(safe_to_retry(true, Some(500), false));
        assert!(safe_to_retry(true, None, false));
        // A POST that creates: only when the service cannot have acted.
        assert!(safe_to_retry(false, Some(429), false));
        assert!(safe_to_retry(false, Some(503), false));
        assert!(!safe_to_retry(false, Some(500), false));
        assert!(!safe_to_retry(false, Some(504), false));
        assert!(
            !safe_to_retry(false, None, false),
            "a reset after sending may have been processed"
        );
        assert!(
            safe_to_retry(false, None, true),
            "a refused connection was never sent"
        );
        assert!(!safe_to_retry(true, Some(404), false));
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let o = RetryOptions::default();
        assert_eq!(backoff(&o, 0, 0.0), Duration::from_millis(400));
        assert_eq!(backoff(&o, 0, 1.0), Duration::from_millis(800));
        assert_eq!(backoff(&o, 3, 0.0), Duration::from_millis(3200));
        assert_eq!(backoff(&o, 30, 1.0), Duration::from_secs(60));
        assert!(backoff(&o, 2, 0.3) > backoff(&o, 2, 0.1));
    }
}
