//! ARM's request limits, as Azure applies them since 2024: token buckets per (subscription,
//! principal, reads | writes | deletes) — 250 tokens refilled at 25/s for reads, 200 at 10/s for
//! writes and deletes — and a global bucket per (subscription, kind) shared by every principal,
//! fifteen times larger. A request outside a subscription (`/subscriptions`, `/tenants`) draws from
//! the principal's tenant bucket of the same size.
//!
//! Every ARM answer to an authenticated call carries what is left:
//! `x-ms-ratelimit-remaining-subscription-{reads|writes|deletes}` (this principal) and
//! `x-ms-ratelimit-remaining-subscription-global-{…}` (everyone), or
//! `x-ms-ratelimit-remaining-tenant-{…}`. When a bucket is empty the answer is `429` with
//! `SubscriptionRequestsThrottled` (`TenantRequestsThrottled`), ARM's message, and `Retry-After`
//! in whole seconds until a token is back. haymaker's client side (`azure::throttle`) reads the
//! same headers.
//!
//! Time is passed in (`now`), so tests drive the buckets with a fake clock. Refill runs
//! [`SimConfig::speed`](super::SimConfig) times faster than Azure's.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::Response;

use super::speed::set_retry_after;
use super::{arm_error, Failure};

/// A bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub capacity: f64,
    pub refill_per_sec: f64,
}

/// The limits of the three kinds of request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleLimits {
    pub reads: Limit,
    pub writes: Limit,
    pub deletes: Limit,
    /// The global bucket of a subscription is this many times a principal's (Azure: 15).
    pub global_factor: f64,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            reads: Limit {
                capacity: 250.0,
                refill_per_sec: 25.0,
            },
            writes: Limit {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            deletes: Limit {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            global_factor: 15.0,
        }
    }
}

impl ThrottleLimits {
    fn of(&self, class: RequestClass) -> Limit {
        match class {
            RequestClass::Read => self.reads,
            RequestClass::Write => self.writes,
            RequestClass::Delete => self.deletes,
        }
    }
}

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestClass {
    Read,
    Write,
    Delete,
}

impl RequestClass {
    /// GET and HEAD read, DELETE deletes, everything else writes (POST actions included).
    pub fn of(method: &Method) -> Self {
        if method == Method::GET || method == Method::HEAD {
            Self::Read
        } else if method == Method::DELETE {
            Self::Delete
        } else {
            Self::Write
        }
    }

    /// `read`, `write`, `delete` (ARM's message).
    pub fn word(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Delete => "delete",
        }
    }

    /// `reads`, `writes`, `deletes` (the headers).
    pub fn plural(self) -> &'static str {
        match self {
            Self::Read => "reads",
            Self::Write => "writes",
            Self::Delete => "deletes",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(limit: Limit, now: Instant) -> Self {
        Self {
            tokens: limit.capacity,
            last: now,
        }
    }

    fn refill(&mut self, limit: Limit, speed: f64, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limit.refill_per_sec * speed).min(limit.capacity);
        self.last = self.last.max(now);
    }

    /// Time until one token is back.
    fn wait(&self, limit: Limit, speed: f64) -> Duration {
        let rate = limit.refill_per_sec * speed;
        if self.tokens >= 1.0 || rate <= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64((1.0 - self.tokens) / rate)
    }
}

/// What the buckets decided about one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    pub class: RequestClass,
    /// Lower-case subscription id; `None`: a tenant-level request.
    pub subscription: Option<String>,
    /// Whole tokens left in the principal's bucket.
    pub remaining: u64,
    /// Whole tokens left in the subscription's global bucket.
    pub global_remaining: Option<u64>,
    /// Set when the request was refused: how long until it may succeed.
    pub throttled: Option<Duration>,
}

/// All buckets of the world.
#[derive(Debug, Default)]
pub struct Throttle {
    principals: HashMap<(String, String, RequestClass), Bucket>,
    global: HashMap<(String, RequestClass), Bucket>,
}

impl Throttle {
    /// Takes a token for one request of `principal` (object id) in `subscription` (`None`: tenant
    /// level) from its bucket and the subscription's global bucket, or refuses and says how long
    /// until both have one.
    pub fn take(
        &mut self,
        limits: &ThrottleLimits,
        speed: f64,
        subscription: Option<&str>,
        principal: &str,
        class: RequestClass,
        now: Instant,
    ) -> Quota {
        let limit = limits.of(class);
        let global_limit = Limit {
            capacity: limit.capacity * limits.global_factor,
            refill_per_sec: limit.refill_per_sec * limits.global_factor,
        };
        let scope = subscription.map_or_else(
            || "tenant".to_string(),
            |s| format!("subscription/{}", s.to_ascii_lowercase()),
        );
        let own = self
            .principals
            .entry((scope.clone(), principal.to_ascii_lowercase(), class))
            .or_insert_with(|| Bucket::full(limit, now));
        own.refill(limit, speed, now);
        let mut global = subscription.map(|_| {
            let bucket = self
                .global
                .entry((scope.clone(), class))
                .or_insert_with(|| Bucket::full(global_limit, now));
            bucket.refill(global_limit, speed, now);
            bucket
        });
        let wait = own.wait(limit, speed).max(
            global
                .as_ref()
                .map_or(Duration::ZERO, |g| g.wait(global_limit, speed)),
        );
        let allowed = own.tokens >= 1.0 && global.as_ref().is_none_or(|g| g.tokens >= 1.0);
        if allowed {
            own.tokens -= 1.0;
            if let Some(g) = global.as_mut() {
                g.tokens -= 1.0;
            }
        }
        Quota {
            class,
            subscription: subscription.map(str::to_ascii_lowercase),
            remaining: own.tokens.max(0.0).floor() as u64,
            global_remaining: global.map(|g| g.tokens.max(0.0).floor() as u64),
            throttled: (!allowed).then_some(wait),
        }
    }
}

impl Quota {
    /// Adds the `x-ms-ratelimit-remaining-*` headers.
    pub fn stamp(&self, headers: &mut HeaderMap) {
        let kind = self.class.plural();
        let mut put = |name: String, value: u64| {
            if let (Ok(n), Ok(v)) = (
                axum::http::HeaderName::try_from(name),
                HeaderValue::from_str(&value.to_string()),
            ) {
                headers.insert(n, v);
            }
        };
        match self.subscription {
            Some(_) => {
                put(
                    format!("x-ms-ratelimit-remaining-subscription-{kind}"),
                    self.remaining,
                );
                if let Some(g) = self.global_remaining {
                    put(
                        format!("x-ms-ratelimit-remaining-subscription-global-{kind}"),
                        g,
                    );
                }
            }
            None => put(
                format!("x-ms-ratelimit-remaining-tenant-{kind}"),
                self.remaining,
            ),
        }
    }

    /// The 429 answer for a refused request, with `Retry-After` and the remaining headers.
    pub fn refusal(&self, principal: &str, tenant: &str, speed: f64) -> Option<Response> {
        let wait = self.throttled?;
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        let (code, scope) = match &self.subscription {
            Some(s) => (
                "SubscriptionRequestsThrottled",
                format!("subscription '{s}'"),
            ),
            None => ("TenantRequestsThrottled", format!("tenant '{tenant}'")),
        };
        let mut response = arm_error(&Failure::new(
            429,
            code,
            format!(
                "Number of '{}' requests for {scope} actor '{principal}' exceeded. Please try again after '{seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.",
                self.class.word()
            ),
        ));
        let headers = response.headers_mut();
        self.stamp(headers);
        set_retry_after(headers, wait, speed);
        Some(response)
    }
}

#[cfg(test)]
#[path = "throttle_tests.rs"]
mod tests;
