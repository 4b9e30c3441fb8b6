//! `cargo bench --bench api_logs`: latency of `GET /api/v1/runs/{id}/logs` pages and of the
//! `/logs/stream` history for a run with 100,000 archived events (batch deliveries of 100 through
//! the real ingestion path, journal included) in the local store, through the whole router in
//! process. Reports the cold first request (lists and reads the whole archive once), p50/p99/max of
//! warm requests per case, the first request after a new batch arrived (reads only the new journal
//! slot and its blob), and the stream's history since a time. Result in docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use futures::StreamExt;
use haymaker::events::{ingest, parse_event, Delivery, RunGate};
use haymaker::handler::{app, AppState};
use haymaker::run::{keys, RunState, StartTrigger};
use haymaker::store::{StateStore, StoreLocation};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use uuid::Uuid;

/// `cargo bench` passes `--bench`; under `cargo test` the benchmark only runs a small smoke.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

const SCENARIOS: usize = 12;

/// The query string of the i-th request of a case.
type QueryFor = Box<dyn Fn(usize) -> String>;
const BATCH: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The i-th event: one second apart, every tenth an error, every seventh mentions a quota.
fn event(run_id: Uuid, base: chrono::DateTime<Utc>, i: usize) -> Value {
    let (kind, severity) = if i.is_multiple_of(10) {
        ("error", "error")
    } else {
        ("operation", "info")
    };
    let what = if i.is_multiple_of(7) {
        "quota check"
    } else {
        "listed blobs"
    };
    json!({"event_type": kind, "run_id": run_id, "scenario_name": format!("scenario-{:02}", i % SCENARIOS),
           "timestamp": base + chrono::Duration::seconds(i as i64), "severity": severity,
           "message": format!("{what} step {i}"), "agent_id": format!("agent-{:02}", i % SCENARIOS)})
}

async fn archive(
    store: &StateStore,
    run_id: Uuid,
    base: chrono::DateTime<Utc>,
    range: std::ops::Range<usize>,
) {
    let gate = RunGate::default();
    let batches: Vec<Vec<usize>> = range
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(<[usize]>::to_vec)
        .collect();
    futures::stream::iter(batches)
        .map(|ns| {
            let gate = &gate;
            async move {
                let raws: Vec<Value> = ns.iter().map(|&i| event(run_id, base, i)).collect();
                let parsed: Vec<_> = raws.iter().map(|r| parse_event(r).unwrap()).collect();
                let ids: Vec<String> = ns.iter().map(|i| format!("m-{i}")).collect();
                let d: Vec<Delivery<'_>> = (0..ns.len())
                    .map(|k| Delivery {
                        message_id: &ids[k],
                        event: &parsed[k],
                        raw: &raws[k],
                    })
                    .collect();
                ingest(store, gate, &d, Utc::now()).await.unwrap();
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
}

async fn timed(router: &axum::Router, uri: &str) -> (Duration, Value) {
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
    (elapsed, serde_json::from_slice(&bytes).unwrap())
}

/// Opens the stream and reads until `expected` log events arrived.
async fn history(router: &axum::Router, uri: &str, expected: usize) -> Duration {
    let started = Instant::now();
    let response = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let mut body = response.into_body();
    let (mut seen, mut text) = (0, String::new());
    while seen < expected {
        let frame = body.frame().await.expect("the stream stays open").unwrap();
        if let Some(data) = frame.data_ref() {
            text.push_str(&String::from_utf8_lossy(data));
            seen += text.matches("event: log").count();
            text = text
                .rsplit("event: log")
                .next()
                .unwrap_or_default()
                .to_string();
        }
    }
    assert_eq!(seen, expected, "exactly the history");
    started.elapsed()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (events, requests) = if measuring() {
        (100_000, 500)
    } else {
        (1_000, 10)
    };
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(&StoreLocation::Local(dir.path().to_path_buf())).unwrap();
        let run_id = Uuid::new_v4();
        let now = Utc::now();
        let base = now - chrono::Duration::days(3);
        let state = RunState::new(run_id, StartTrigger::Api, "large".into(), 8.0, now, now);
        store.create_json(&keys::run_state(run_id), &state).await.unwrap();
        let started = Instant::now();
        archive(&store, run_id, base, 0..events).await;
        println!("api_logs: {events} events in {} batch blobs, archived in {:.1} s, local store", events / BATCH, started.elapsed().as_secs_f64());
        let settings = haymaker::config::Settings::from_lookup(&|_| None).unwrap();
        let router = app(AppState::with_store(settings, store.clone()));
        let logs = format!("/api/v1/runs/{run_id}/logs");
        let (cold, page) = timed(&router, &format!("{logs}?page_size=100")).await;
        assert_eq!(page["pagination"]["total_items"], events);
        println!("  cold first request (list + read the archive, index): {:.1} ms", ms(cold));
        let (p100, p500) = ((events / 100).max(1), (events / 500).max(1));
        let (per_scenario, quota100, quota500) =
            ((events / SCENARIOS / 100).max(1), (events / 700).max(1), (events / 3500).max(1));
        let cases: Vec<(&str, QueryFor)> = vec![
            ("unfiltered, page_size=100", Box::new(move |i| format!("?page={}&page_size=100", 1 + (i * 7919) % p100))),
            ("unfiltered, page_size=500", Box::new(move |i| format!("?page={}&page_size=500", 1 + (i * 7919) % p500))),
            ("scenario_name, page_size=100", Box::new(move |i| format!("?scenario_name=scenario-{:02}&page={}&page_size=100", i % SCENARIOS, 1 + i % per_scenario))),
            ("scenario_name, page_size=500", Box::new(|i| format!("?scenario_name=scenario-{:02}&page=1&page_size=500", i % SCENARIOS))),
            ("search=quota, page_size=100", Box::new(move |i| format!("?search=quota&page={}&page_size=100", 1 + i % quota100))),
            ("search=quota, page_size=500", Box::new(move |i| format!("?search=quota&page={}&page_size=500", 1 + i % quota500))),
            ("severity+scenario+time range, 100", Box::new(move |i| format!("?severity=error&scenario_name=scenario-{:02}&start_time={}&page_size=100", (i % 6) * 2, (base + chrono::Duration::seconds((events / 2) as i64)).to_rfc3339().replace('+', "%2B")))),
        ];
        for (name, query) in &cases {
            for i in 0..20 {
                timed(&router, &format!("{logs}{}", query(i))).await;
            }
            let mut times = Vec::with_capacity(requests);
            for i in 0..requests {
                times.push(timed(&router, &format!("{logs}{}", query(i))).await.0);
            }
            times.sort();
            println!("  {name:<36} p50 {:>6.3} ms  p99 {:>6.3} ms  max {:>6.3} ms  ({requests} requests)",
                ms(percentile(&times, 0.50)), ms(percentile(&times, 0.99)), ms(*times.last().unwrap()));
        }
        // A new batch: the next request reads one journal slot and one blob.
        archive(&store, run_id, base, events..events + BATCH).await;
        let (after, page) = timed(&router, &format!("{logs}?search=quota&page_size=100")).await;
        assert_eq!(page["pagination"]["total_items"], (0..events + BATCH).filter(|i| i % 7 == 0).count());
        println!("  first request after a new batch of {BATCH} (search=quota): {:.3} ms", ms(after));
        // The stream's history: one scenario since the last tenth of the run.
        let from = events + BATCH - events / 10;
        let since = (base + chrono::Duration::seconds(from as i64 - 1)).to_rfc3339().replace('+', "%2B");
        let expected = (from..events + BATCH).filter(|i| i % SCENARIOS == 3).count();
        let uri = format!("/api/v1/runs/{run_id}/logs/stream?scenario_name=scenario-03&since={since}");
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..(requests / 10).max(3) {
            times.push(history(&router, &uri, expected).await);
        }
        times.sort();
        println!("  stream history, {expected} events of one scenario since a time: p50 {:.3} ms  max {:.3} ms ({} streams)",
            ms(percentile(&times, 0.5)), ms(*times.last().unwrap()), times.len());
    });
}
