//! Client-side rate limits, so haymaker stays inside Azure's instead of learning them from 429s.
//!
//! - ARM: a token bucket per (subscription, principal, reads|writes|deletes), seeded with ARM's
//!   limits (250 burst, 25/s for reads; 200 burst, 10/s for writes and deletes) and corrected from
//!   `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}` (and the `-global-` variants).
//! - Resource Graph: 15 queries per 5 s per principal, corrected from `x-ms-user-quota-remaining`
//!   and `x-ms-user-quota-resets-after` (`hh:mm:ss`).
//!
//! Time is `tokio::time`, so tests run it paused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::pipeline::OpKind;

/// Which bucket a call draws from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BucketKey {
    Arm {
        subscription: String,
        principal: String,
        kind: OpKind,
    },
    ResourceGraph {
        principal: String,
    },
}

/// Burst and refill rate of a bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketLimits {
    pub burst: f64,
    pub per_second: f64,
}

impl BucketLimits {
    pub const ARM_READS: BucketLimits = BucketLimits {
        burst: 250.0,
        per_second: 25.0,
    };
    pub const ARM_WRITES: BucketLimits = BucketLimits {
        burst: 200.0,
        per_second: 10.0,
    };
    pub const ARM_DELETES: BucketLimits = BucketLimits {
        burst: 200.0,
        per_second: 10.0,
    };
    pub const RESOURCE_GRAPH: BucketLimits = BucketLimits {
        burst: 15.0,
        per_second: 3.0,
    };

    pub fn for_key(key: &BucketKey) -> Self {
        match key {
            BucketKey::Arm {
                kind: OpKind::Read, ..
            } => Self::ARM_READS,
            BucketKey::Arm {
                kind: OpKind::Write,
                ..
            } => Self::ARM_WRITES,
            BucketKey::Arm {
                kind: OpKind::Delete,
                ..
            } => Self::ARM_DELETES,
            BucketKey::ResourceGraph { .. } => Self::RESOURCE_GRAPH,
        }
    }
}

#[derive(Debug)]
struct Bucket {
    limits: BucketLimits,
    tokens: f64,
    last: Instant,
    /// No tokens before this instant (the service said the quota resets then).
    blocked_until: Option<Instant>,
}

impl Bucket {
    fn new(limits: BucketLimits, now: Instant) -> Self {
        Self {
            limits,
            tokens: limits.burst,
            last: now,
            blocked_until: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.limits.per_second).min(self.limits.burst);
        self.last = now;
        if self.blocked_until.is_some_and(|b| now >= b) {
            self.blocked_until = None;
            self.tokens = self.tokens.max(self.limits.burst.min(1.0));
        }
    }

    /// Takes a token, or says how long to wait for one.
    fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if let Some(until) = self.blocked_until {
            return Err(until - now);
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.limits.per_second,
            ))
        }
    }
}

/// All buckets of one pipeline.
#[derive(Debug, Default)]
pub struct Buckets {
    inner: Mutex<HashMap<BucketKey, Bucket>>,
}

impl Buckets {
    /// Waits until `key`'s bucket has a token, then takes it.
    pub async fn acquire(&self, key: &BucketKey) {
        loop {
            let wait = {
                let now = Instant::now();
                let mut map = self.inner.lock().expect("bucket lock");
                let bucket = map
                    .entry(key.clone())
                    .or_insert_with(|| Bucket::new(BucketLimits::for_key(key), now));
                match bucket.try_take(now) {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// Tokens left in `key`'s bucket now (tests, reports).
    pub fn available(&self, key: &BucketKey) -> f64 {
        let now = Instant::now();
        let mut map = self.inner.lock().expect("bucket lock");
        let bucket = map
            .entry(key.clone())
            .or_insert_with(|| Bucket::new(BucketLimits::for_key(key), now));
        bucket.refill(now);
        bucket.tokens
    }

    /// Corrects the bucket from what the service says is left.
    pub fn observe(&self, key: &BucketKey, headers: &HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        let (remaining, resets_after) = match key {
            BucketKey::Arm { kind, .. } => {
                let suffix = match kind {
                    OpKind::Read => "reads",
                    OpKind::Write => "writes",
                    OpKind::Delete => "deletes",
                };
                let remaining = number(&format!("x-ms-ratelimit-remaining-subscription-{suffix}"))
                    .or_else(|| {
                        number(&format!(
                            "x-ms-ratelimit-remaining-subscription-global-{suffix}"
                        ))
                    });
                (remaining, None)
            }
            BucketKey::ResourceGraph { .. } => {
                let resets = headers
                    .get("x-ms-user-quota-resets-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_hms);
                (number("x-ms-user-quota-remaining"), resets)
            }
        };
        let Some(remaining) = remaining else { return };
        let now = Instant::now();
        let mut map = self.inner.lock().expect("bucket lock");
        let bucket = map
            .entry(key.clone())
            .or_insert_with(|| Bucket::new(BucketLimits::for_key(key), now));
        bucket.refill(now);
        bucket.tokens = bucket.tokens.min(remaining.max(0.0));
        if remaining < 1.0 {
            if let Some(after) = resets_after {
                bucket.blocked_until = Some(now + after);
            }
        }
    }
}

/// `hh:mm:ss` (Resource Graph's reset header).
fn parse_hms(s: &str) -> Option<Duration> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    let [h, m, sec] = parts.as_slice() else {
        return None;
    };
    let secs = h.parse::<f64>().ok()? * 3600.0
        + m.parse::<f64>().ok()? * 60.0
        + sec.parse::<f64>().ok()?;
    Some(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn arm(kind: OpKind) -> BucketKey {
        BucketKey::Arm {
            subscription: "s".into(),
            principal: "p".into(),
            kind,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn burst_then_refill_rate() {
        let b = Buckets::default();
        let key = arm(OpKind::Delete);
        let start = Instant::now();
        for _ in 0..200 {
            b.acquire(&key).await;
        }
        assert_eq!(Instant::now(), start, "the burst is free");
        for _ in 0..50 {
            b.acquire(&key).await;
        }
        let waited = Instant::now() - start;
        // 50 more at 10/s take 5 s.
        assert!(
            waited >= Duration::from_millis(4900) && waited <= Duration::from_millis(5100),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn buckets_are_separate_per_key() {
        let b = Buckets::default();
        for _ in 0..200 {
            b.acquire(&arm(OpKind::Write)).await;
        }
        assert!(b.available(&arm(OpKind::Write)) < 1.0);
        assert_eq!(b.available(&arm(OpKind::Read)), 250.0);
        let other = BucketKey::Arm {
            subscription: "t".into(),
            principal: "p".into(),
            kind: OpKind::Write,
        };
        assert_eq!(b.available(&other), 200.0);
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_header_lowers_the_bucket() {
        let b = Buckets::default();
        let key = arm(OpKind::Read);
        let mut h = HeaderMap::new();
        h.insert(
            "x-ms-ratelimit-remaining-subscription-reads",
            HeaderValue::from_static("3"),
        );
        b.observe(&key, &h);
        assert_eq!(b.available(&key), 3.0);
        let mut g = HeaderMap::new();
        g.insert(
            "x-ms-ratelimit-remaining-subscription-global-reads",
            HeaderValue::from_static("1"),
        );
        b.observe(&key, &g);
        assert_eq!(b.available(&key), 1.0);
    }

    #[tokio::test(start_paused = true)]
    async fn resource_graph_quota_blocks_until_reset() {
        let b = Buckets::default();
        let key = BucketKey::ResourceGraph {
            principal: "p".into(),
        };
        let mut h = HeaderMap::new();
        h.insert("x-ms-user-quota-remaining", HeaderValue::from_static("0"));
        h.insert(
            "x-ms-user-quota-resets-after",
            HeaderValue::from_static("00:00:04"),
        );
        b.observe(&key, &h);
        let start = Instant::now();
        b.acquire(&key).await;
        assert!(Instant::now() - start >= Duration::from_secs(4));
        assert_eq!(parse_hms("01:02:03"), Some(Duration::from_secs(3723)));
    }
}
