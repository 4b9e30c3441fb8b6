use std::time::{Duration, Instant};

use super::*;

const SUB: Option<&str> = Some("SUB-1");

fn take(t: &mut Throttle, principal: &str, class: RequestClass, now: Instant) -> Quota {
    t.take(&ThrottleLimits::default(), 1.0, SUB, principal, class, now)
}

#[test]
fn writes_burst_to_200_then_refill_at_10_per_second() {
    let mut t = Throttle::default();
    let t0 = Instant::now();
    for i in 0..200u64 {
        let q = take(&mut t, "p", RequestClass::Write, t0);
        assert_eq!(q.throttled, None, "write {i}");
        assert_eq!(q.remaining, 199 - i);
    }
    let refused = take(&mut t, "p", RequestClass::Write, t0);
    assert_eq!(refused.remaining, 0);
    assert_eq!(refused.throttled, Some(Duration::from_millis(100)));
    // A tenth of a second later one token is back, and only one.
    let later = t0 + Duration::from_millis(100);
    assert_eq!(
        take(&mut t, "p", RequestClass::Write, later).throttled,
        None
    );
    assert!(take(&mut t, "p", RequestClass::Write, later)
        .throttled
        .is_some());
    // After 20 s the bucket is full again, never fuller.
    let q = take(
        &mut t,
        "p",
        RequestClass::Write,
        t0 + Duration::from_secs(60),
    );
    assert_eq!(q.remaining, 199);
}

#[test]
fn reads_have_250_at_25_per_second_and_kinds_principals_subscriptions_are_separate() {
    let mut t = Throttle::default();
    let t0 = Instant::now();
    for _ in 0..250 {
        assert_eq!(take(&mut t, "p", RequestClass::Read, t0).throttled, None);
    }
    let refused = take(&mut t, "p", RequestClass::Read, t0);
    assert_eq!(refused.throttled, Some(Duration::from_millis(40)));
    assert_eq!(take(&mut t, "p", RequestClass::Delete, t0).remaining, 199);
    assert_eq!(take(&mut t, "q", RequestClass::Read, t0).remaining, 249);
    let other = t.take(
        &ThrottleLimits::default(),
        1.0,
        Some("sub-2"),
        "p",
        RequestClass::Read,
        t0,
    );
    assert_eq!(other.remaining, 249);
    // Subscription ids compare case-insensitively.
    let same = t.take(
        &ThrottleLimits::default(),
        1.0,
        Some("sub-1"),
        "p",
        RequestClass::Read,
        t0,
    );
    assert!(same.throttled.is_some());
}

#[test]
fn the_global_bucket_is_shared_by_every_principal() {
    let limits = ThrottleLimits {
        writes: Limit {
            capacity: 2.0,
            refill_per_sec: 1.0,
        },
        global_factor: 2.0,
        ..ThrottleLimits::default()
    };
    let mut t = Throttle::default();
    let t0 = Instant::now();
    let mut w = |p: &str| t.take(&limits, 1.0, SUB, p, RequestClass::Write, t0);
    assert_eq!(w("a").global_remaining, Some(3));
    assert_eq!(w("a").global_remaining, Some(2));
    assert!(w("a").throttled.is_some(), "a's own bucket is empty");
    assert_eq!(w("b").global_remaining, Some(1));
    let q = w("b");
    assert_eq!((q.remaining, q.global_remaining), (0, Some(0)));
    let refused = w("c");
    assert_eq!(refused.remaining, 2, "c's own bucket is full");
    assert_eq!(
        refused.throttled,
        Some(Duration::from_millis(500)),
        "the global bucket refills at 2/s"
    );
}

#[test]
fn speed_makes_refill_faster_and_tenant_requests_have_their_own_bucket() {
    let limits = ThrottleLimits {
        deletes: Limit {
            capacity: 1.0,
            refill_per_sec: 1.0,
        },
        ..ThrottleLimits::default()
    };
    let mut t = Throttle::default();
    let t0 = Instant::now();
    assert!(t
        .take(&limits, 10.0, SUB, "p", RequestClass::Delete, t0)
        .throttled
        .is_none());
    let refused = t.take(&limits, 10.0, SUB, "p", RequestClass::Delete, t0);
    assert_eq!(refused.throttled, Some(Duration::from_millis(100)));
    let tenant = t.take(&limits, 1.0, None, "p", RequestClass::Delete, t0);
    assert_eq!((tenant.throttled, tenant.global_remaining), (None, None));
}

#[test]
fn headers_and_the_refusal_speak_arm() {
    let mut t = Throttle::default();
    let t0 = Instant::now();
    let q = take(&mut t, "p", RequestClass::Delete, t0);
    let mut h = HeaderMap::new();
    q.stamp(&mut h);
    assert_eq!(h["x-ms-ratelimit-remaining-subscription-deletes"], "199");
    assert_eq!(
        h["x-ms-ratelimit-remaining-subscription-global-deletes"],
        "2999"
    );
    assert!(q.refusal("p", "tenant", 1.0).is_none());

    let refused = Quota {
        throttled: Some(Duration::from_millis(2300)),
        remaining: 0,
        global_remaining: Some(5),
        ..q
    };
    let response = refused.refusal("oid-1", "tenant", 1.0).unwrap();
    assert_eq!(response.status(), 429);
    let h = response.headers();
    assert_eq!(h["retry-after"], "3");
    assert!(h.get("retry-after-ms").is_none());
    assert_eq!(h["x-ms-ratelimit-remaining-subscription-deletes"], "0");

    let mut tenant = HeaderMap::new();
    Quota {
        subscription: None,
        global_remaining: None,
        ..refused.clone()
    }
    .stamp(&mut tenant);
    assert_eq!(tenant["x-ms-ratelimit-remaining-tenant-deletes"], "0");
    let fast = refused.refusal("oid-1", "tenant", 10.0).unwrap();
    assert_eq!(fast.headers()["retry-after-ms"], "2300");
}

#[test]
fn request_classes_follow_the_method() {
    assert_eq!(RequestClass::of(&Method::GET), RequestClass::Read);
    assert_eq!(RequestClass::of(&Method::HEAD), RequestClass::Read);
    assert_eq!(RequestClass::of(&Method::PUT), RequestClass::Write);
    assert_eq!(RequestClass::of(&Method::PATCH), RequestClass::Write);
    assert_eq!(RequestClass::of(&Method::POST), RequestClass::Write);
    assert_eq!(RequestClass::of(&Method::DELETE), RequestClass::Delete);
}
