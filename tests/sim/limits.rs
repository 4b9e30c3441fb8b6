//! ARM's rate limits and injected faults in the simulator, over HTTPS and through haymaker's own
//! pipeline: the remaining-requests headers, 429 with `Retry-After` from an empty bucket, the
//! pipeline backing off until it gets through; `--faults` answers and the pipeline's retries.

use crate::sim_support;

use std::time::Duration;

use haymaker::azure::{ApiRequest, AzureError, RetryOptions, Service};
use haymaker::sim::faults::FaultTally;
use haymaker::sim::throttle::{Limit, ThrottleLimits};
use haymaker::sim::SimConfig;
use serde_json::{json, Value};
use sim_support::{quick, TestSim};

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn an_empty_write_bucket_answers_429_and_the_pipeline_backs_off_until_it_succeeds() {
    let sim = TestSim::start(SimConfig {
        throttle: ThrottleLimits {
            writes: Limit {
                capacity: 3.0,
                refill_per_sec: 0.5,
            },
            ..ThrottleLimits::default()
        },
        ..quick()
    })
    .await;
    let sub = sim.sub(0);
    let http = sim.http();
    let token = sim.arm_token().await;
    let group = |name: &str| {
        format!(
            "{}/subscriptions/{sub}/resourcegroups/{name}?api-version=2025-04-01",
            sim.base()
        )
    };
    for (i, left) in ["2", "1", "0"].into_iter().enumerate() {
        let resp = http
            .put(group(&format!("rg{i}")))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"location":"eastus"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        assert_eq!(
            header(&resp, "x-ms-ratelimit-remaining-subscription-writes"),
            Some(left)
        );
        assert!(header(&resp, "x-ms-ratelimit-remaining-subscription-global-writes").is_some());
        assert!(header(&resp, "x-ms-ratelimit-remaining-subscription-reads").is_none());
    }
    let refused = http
        .put(group("rg3"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"location":"eastus"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let retry: u64 = header(&refused, "retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "a token every 2 s: {retry}");
    assert_eq!(
        header(&refused, "x-ms-ratelimit-remaining-subscription-writes"),
        Some("0")
    );
    let body: Value = serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "SubscriptionRequestsThrottled");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "Number of 'write' requests for subscription '{sub}' actor '{}' exceeded.",
            sim.server.identity().principal_object_id
        )),
        "{message}"
    );
    assert!(
        sim.server.sim.world().group(&sub, "rg3").is_err(),
        "not created"
    );

    // Reads have their own bucket.
    let read = http
        .get(group("rg0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(
        header(&read, "x-ms-ratelimit-remaining-subscription-reads"),
        Some("249")
    );

    // haymaker's pipeline: honours Retry-After, lowers its own bucket from the headers, gets through.
    let pipeline = sim.pipeline_as(
        None,
        RetryOptions {
            max_retries: 6,
            initial_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
        },
    );
    for name in ["rg3", "rg4"] {
        let created = pipeline
            .send(&ApiRequest::put(
                haymaker::azure::Service::Arm,
                url::Url::parse(&group(name)).unwrap(),
                json!({"location": "eastus"}),
            ))
            .await
            .unwrap();
        assert_eq!(created.status, 201);
    }
    let stats = pipeline.stats();
    assert!(
        stats.throttled.load(std::sync::atomic::Ordering::Relaxed) >= 1,
        "the pipeline met the empty bucket"
    );
    assert!(sim.server.sim.world().group(&sub, "rg4").is_ok());
    sim.stop().await;
}

async fn subscriptions(sim: &TestSim, retries: u32) -> Result<Value, AzureError> {
    let pipeline = sim.pipeline_as(
        None,
        RetryOptions {
            max_retries: retries,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    );
    let mut url = sim.url(&format!("/subscriptions/{}", sim.sub(0)));
    url.set_query(Some("api-version=2022-12-01"));
    let result = pipeline.send(&ApiRequest::get(Service::Arm, url)).await;
    assert_eq!(
        pipeline
            .stats()
            .retries
            .load(std::sync::atomic::Ordering::Relaxed),
        if result.is_ok() {
            0
        } else {
            u64::from(retries)
        },
        "retried every time it failed"
    );
    match result {
        Ok(response) => response.json(),
        Err(e) => Err(e),
    }
}

fn faults(spec: &str) -> SimConfig {
    SimConfig {
        faults: Some(spec.parse().unwrap()),
        ..quick()
    }
}

#[tokio::test]
async fn injected_500s_are_retried_by_the_pipeline_and_counted() {
    let sim = TestSim::start(faults("rate=1,kinds=500,seed=3")).await;
    // The token endpoint is never faulted: the pipeline gets its token and reaches ARM.
    let e = subscriptions(&sim, 2).await.unwrap_err();
    assert_eq!(
        (e.status(), e.code()),
        (Some(500), Some("InternalServerError")),
        "{e}"
    );
    assert_eq!(
        sim.server.sim.faults.tally(),
        FaultTally {
            internal_errors: 3,
            ..FaultTally::default()
        }
    );
    sim.stop().await;

    let sim = TestSim::start(faults("rate=0,latency=5ms")).await;
    let got = subscriptions(&sim, 0).await.unwrap();
    assert_eq!(got["subscriptionId"], sim.sub(0));
    assert_eq!(sim.server.sim.faults.tally().delayed, 1);
    sim.stop().await;
}

#[tokio::test]
async fn injected_throttles_and_resets_look_like_the_real_thing() {
    let sim = TestSim::start(faults("rate=1,kinds=429")).await;
    let token = sim.arm_token().await;
    let resp = sim
        .http()
        .get(format!(
            "{}/subscriptions?api-version=2022-12-01",
            sim.base()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(header(&resp, "retry-after"), Some("1"));
    sim.stop().await;

    let sim = TestSim::start(faults("rate=1,kinds=reset")).await;
    let token = sim.arm_token().await;
    let broken = async {
        let resp = sim
            .http()
            .get(format!(
                "{}/subscriptions?api-version=2022-12-01",
                sim.base()
            ))
            .bearer_auth(&token)
            .send()
            .await?;
        resp.bytes().await
    }
    .await;
    assert!(broken.is_err(), "the response is cut off: {broken:?}");
    let e = subscriptions(&sim, 1).await.unwrap_err();
    assert!(matches!(e, AzureError::Transport { .. }), "{e}");
    assert_eq!(sim.server.sim.faults.tally().resets, 3);
    sim.stop().await;
}
