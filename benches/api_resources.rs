//! `cargo bench --bench api_resources`: latency of `GET /api/v1/runs/{id}/resources` pages for a run
//! with 100,000 resources in the local store, through the whole router in process (auth layer, JSON
//! encoding). Reports the first (cold) request, which reads and indexes the ledger, and p50/p99/max of
//! warm requests for unfiltered pages, single filters and a combined filter. Result in
//! docs/PERFORMANCE.md.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use haymaker::events::{Ledger, ResourceEvent, ResourceStatus};
use haymaker::handler::{app, AppState};
use haymaker::run::{keys, RunState, StartTrigger};
use haymaker::store::{StateStore, StoreLocation};
use http_body_util::BodyExt;
use tower::ServiceExt;
use uuid::Uuid;

/// `cargo bench` passes `--bench`; under `cargo test` the benchmark only runs a small smoke.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}
const TYPES: [&str; 8] = [
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Network/virtualNetworks",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Compute/virtualMachines",
    "Microsoft.Compute/disks",
    "Microsoft.KeyVault/vaults",
    "Microsoft.Web/sites",
    "Microsoft.Sql/servers",
];

/// The request URI of the i-th request of a case.
type UriFor<'a> = Box<dyn Fn(usize) -> String + 'a>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

async fn timed(router: &axum::Router, uri: &str) -> Duration {
    let started = Instant::now();
    let response = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{uri}: {}",
        response.status()
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let elapsed = started.elapsed();
    assert!(bytes.len() > 2);
    elapsed
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (resources, requests) = if measuring() {
        (100_000, 2_000)
    } else {
        (1_000, 20)
    };
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(&StoreLocation::Local(dir.path().to_path_buf())).unwrap();
        let run_id = Uuid::new_v4();
        let now = Utc::now();
        let state = RunState::new(run_id, StartTrigger::Api, "large".into(), 8.0, now, now);
        store.create_json(&keys::run_state(run_id), &state).await.unwrap();
        let mut ledger = Ledger::new(run_id);
        let sub = Uuid::new_v4();
        for i in 0..resources {
            let ty = TYPES[i % TYPES.len()];
            let scenario = format!("scenario-{:02}", i % 30);
            let event = ResourceEvent {
                schema_version: None,
                run_id,
                scenario_name: scenario.clone(),
                resource_id: format!("/subscriptions/{sub}/resourceGroups/rg-{scenario}/providers/{ty}/r{i:06}"),
                resource_type: ty.into(),
                resource_name: format!("r{i:06}"),
                timestamp: now,
                tags: BTreeMap::from([("haymaker-run-id".to_string(), run_id.to_string())]),
                deletion_error: None,
                deletion_attempts: None,
            };
            let status = if i % 10 == 0 { ResourceStatus::Deleted } else { ResourceStatus::Created };
            ledger.apply(&format!("m{i}"), status, &event);
        }
        store.create_json(&keys::resources(run_id), &ledger).await.unwrap();
        let size = std::fs::metadata(dir.path().join("execution-reports").join(run_id.to_string()).join("resources.json")).unwrap().len();
        let router = app(AppState::with_store(haymaker::config::Settings::from_lookup(&|_| None).unwrap(), store));

        let base = format!("/api/v1/runs/{run_id}/resources");
        let cold = timed(&router, &format!("{base}?page=1&page_size=100")).await;
        println!("api_resources: {resources} resources, ledger {:.1} MB, local store", size as f64 / 1e6);
        println!("  cold first request (read + index the ledger): {:.1} ms", cold.as_secs_f64() * 1e3);
        // Pages that exist at this size (the smoke run is small).
        let (p100, p500, per_scenario) = (
            (resources / 100).max(1),
            (resources / 500).max(1),
            (resources / 30 / 100).max(1),
        );
        let cases: Vec<(&str, UriFor<'_>)> = vec![
            ("unfiltered, page_size=100", Box::new(|i| format!("{base}?page={}&page_size=100", 1 + (i * 7919) % p100))),
            ("unfiltered, page_size=500", Box::new(|i| format!("{base}?page={}&page_size=500", 1 + (i * 7919) % p500))),
            ("scenario_name, page_size=100", Box::new(|i| format!("{base}?scenario_name=scenario-{:02}&page={}&page_size=100", i % 30, 1 + i % per_scenario))),
            ("scenario_name+resource_type+status", Box::new(|i| format!("{base}?scenario_name=scenario-{:02}&resource_type={}&status=created&page=1&page_size=100", (i % 30) / 2 * 2, TYPES[0]))),
        ];
        for (name, uri) in cases {
            let mut times = Vec::with_capacity(requests);
            for i in 0..requests {
                times.push(timed(&router, &uri(i)).await);
            }
            times.sort();
            println!(
                "  {name:<38} p50 {:>6.3} ms  p99 {:>6.3} ms  max {:>6.3} ms  ({requests} requests)",
                percentile(&times, 0.50).as_secs_f64() * 1e3,
                percentile(&times, 0.99).as_secs_f64() * 1e3,
                times.last().unwrap().as_secs_f64() * 1e3,
            );
        }
    });
}
