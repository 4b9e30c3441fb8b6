//! Ingestion throughput (a measurement, not a test): events per second through the `AgentEvents`
//! envelope endpoint of the running router, over real HTTP, into an Azurite-backed store, 16
//! deliveries at a time — for single deliveries, for batch deliveries, and for a naive layout that
//! read-modify-writes one `resources.json` per event (If-Match, retried on 412).
//!
//! Run: `cargo bench --bench ingest` (Azurite as for the tests). Options after `--`:
//! `--events N` (default 4000), `--naive-events N` (default 400), `--batch N` (default 50).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use haymaker::events::{compact, parse_event, AgentEvent, Ledger, ResourceStatus};
use haymaker::handler::envelope::Envelope;
use haymaker::handler::invocation::ServiceBusDelivery;
use haymaker::handler::{app, AppState};
use haymaker::run::{keys, start_run, RunRequest, StartOutcome, StartTrigger};
use haymaker::store::{Decision, StateStore, StoreLocation};
use serde_json::{json, Value};
use uuid::Uuid;

const CONCURRENCY: usize = 16;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn event(run_id: Uuid, n: usize) -> Value {
    let kind = [
        "resource_created",
        "resource_deletion_failed",
        "resource_deleted",
    ][n % 3];
    json!({
        "event_type": kind,
        "resource_id": format!("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-{}/providers/Microsoft.Storage/storageAccounts/st{}", n % 11, n / 3),
        "resource_type": "Microsoft.Storage/storageAccounts",
        "resource_name": format!("st{}", n / 3),
        "scenario_name": "storage-01-blob-lifecycle",
        "run_id": run_id,
        "timestamp": format!("2026-11-23T10:{:02}:{:02}Z", (n / 60) % 60, n % 60),
        "deletion_error": "InUse",
        "deletion_attempts": 1,
        "tags": {"haymaker-run-id": run_id.to_string()}
    })
}

fn single(id: &str, e: &Value) -> String {
    json!({"Data": {"msg": e.to_string()},
           "Metadata": {"MessageId": format!("\"{id}\""), "DeliveryCount": "1"}})
    .to_string()
}

fn batch(items: &[(String, Value)]) -> String {
    json!({"Data": {"msg": items.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>()},
           "Metadata": {"MessageIdArray": items.iter().map(|(id, _)| format!("\"{id}\"")).collect::<Vec<_>>()}})
    .to_string()
}

async fn started_run(store: &StateStore) -> Uuid {
    let request = RunRequest {
        size: haymaker::scenarios::Size::Small,
        duration_hours: 8.0,
        trigger: StartTrigger::Api,
    };
    match start_run(store, &request, chrono::Utc::now())
        .await
        .unwrap()
    {
        StartOutcome::Started { run_id, .. } => run_id,
        other => panic!("{other:?}"),
    }
}

/// Serves `router` on a free port; its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// Posts `bodies` to `{base}/AgentEvents`, 16 at a time; seconds taken.
async fn post_all(base: &str, bodies: Vec<String>) -> f64 {
    let client = reqwest::Client::new();
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, queue, url) = (client.clone(), queue.clone(), format!("{base}/AgentEvents"));
        workers.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    break;
                };
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(
                    r.status().is_success(),
                    "{}",
                    r.text().await.unwrap_or_default()
                );
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    started.elapsed().as_secs_f64()
}

/// The naive layout: each delivery read-modify-writes the run's one `resources.json`.
async fn naive(State(store): State<StateStore>, body: Bytes) -> axum::http::StatusCode {
    let env = Envelope::from_slice(&body).unwrap();
    let ServiceBusDelivery::One(msg) = ServiceBusDelivery::decode(&env, "msg").unwrap() else {
        panic!("the naive layout takes single deliveries")
    };
    let raw: Value = msg.body.parse().unwrap();
    let event = parse_event(&raw).unwrap();
    let run_id = event.run_id().unwrap();
    store
        .update_json(&keys::resources(run_id), |l: Option<&Ledger>| {
            let mut l = l.cloned().unwrap_or_else(|| Ledger::new(run_id));
            match &event {
                AgentEvent::ResourceCreated(r) => {
                    l.apply(&msg.message_id, ResourceStatus::Created, r)
                }
                AgentEvent::ResourceDeleted(r) => {
                    l.apply(&msg.message_id, ResourceStatus::Deleted, r)
                }
                AgentEvent::ResourceDeletionFailed(r) => {
                    l.apply(&msg.message_id, ResourceStatus::DeletionFailed, r)
                }
                _ => l.mark(&msg.message_id),
            };
            Decision::Write(l, ())
        })
        .await
        .unwrap();
    axum::http::StatusCode::OK
}

fn report(name: &str, events: usize, secs: f64) -> f64 {
    let rate = events as f64 / secs;
    println!("{name:<44} {events:>6} events in {secs:>7.2} s = {rate:>8.0} events/s");
    rate
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; under `cargo test` only a small smoke runs.
    let measuring = std::env::args().any(|a| a == "--bench");
    let (events, naive_events, batch_size) = (
        arg("--events", if measuring { 4000 } else { 100 }),
        arg("--naive-events", if measuring { 400 } else { 20 }),
        arg("--batch", 50),
    );
    let Some(az) = common::azurite::Azurite::start() else {
        return;
    };
    let open = |label: &str| StateStore::open(&StoreLocation::Blob(az.connection(label))).unwrap();
    println!("ingestion into Azurite, {CONCURRENCY} concurrent deliveries over HTTP");

    let store = open("bench-single");
    let run_id = started_run(&store).await;
    let base = serve(app(AppState::with_store(
        common::settings(&[]),
        store.clone(),
    )))
    .await;
    let bodies = (0..events)
        .map(|n| single(&format!("s-{n}"), &event(run_id, n)))
        .collect();
    let single_rate = report(
        "single deliveries (one blob per message)",
        events,
        post_all(&base, bodies).await,
    );
    let t = Instant::now();
    let ledger = compact(&store, run_id, chrono::Utc::now()).await.unwrap();
    // Every event once, plus the run's own `run_started` lifecycle event.
    assert_eq!(ledger.applied.len(), events + 1);
    report(
        "  then compaction of that archive",
        events,
        t.elapsed().as_secs_f64(),
    );

    let store = open("bench-batch");
    let run_id = started_run(&store).await;
    let base = serve(app(AppState::with_store(
        common::settings(&[]),
        store.clone(),
    )))
    .await;
    let items: Vec<(String, Value)> = (0..events)
        .map(|n| (format!("b-{n}"), event(run_id, n)))
        .collect();
    let bodies = items.chunks(batch_size).map(batch).collect();
    let batch_rate = report(
        &format!("batches of {batch_size} (one blob per batch)"),
        events,
        post_all(&base, bodies).await,
    );
    let t = Instant::now();
    let ledger = compact(&store, run_id, chrono::Utc::now()).await.unwrap();
    assert_eq!(ledger.applied.len(), events + 1);
    report(
        "  then compaction of that archive",
        events,
        t.elapsed().as_secs_f64(),
    );

    let store = open("bench-naive");
    let run_id = started_run(&store).await;
    let base = serve(
        Router::new()
            .route("/AgentEvents", post(naive))
            .with_state(store.clone()),
    )
    .await;
    let bodies = (0..naive_events)
        .map(|n| single(&format!("n-{n}"), &event(run_id, n)))
        .collect();
    let naive_rate = report(
        "naive read-modify-write of resources.json",
        naive_events,
        post_all(&base, bodies).await,
    );
    let (ledger, _) = store
        .read_json::<Ledger>(&keys::resources(run_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ledger.applied.len(),
        naive_events,
        "the naive layout lost no update"
    );

    println!(
        "single / naive = {:.1}x, batches / naive = {:.1}x",
        single_rate / naive_rate,
        batch_rate / naive_rate
    );
}
