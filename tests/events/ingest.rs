//! Agent events through the `AgentEvents` envelope into the archive and the ledger: idempotent by
//! message id, exact under redelivery, shuffling and concurrency — on the local store and on Azurite.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use haymaker::events::archive::event_time;
use haymaker::events::{compact, run_events, ResourceStatus};
use haymaker::handler::{app, AppState};
use haymaker::run::{start_run, RunRequest, StartOutcome, StartTrigger};
use haymaker::store::{Container, StateStore, StoreLocation};
use serde_json::{json, Value};
use uuid::Uuid;

const SUB: &str = "11111111-2222-3333-4444-555555555555";

/// A Service Bus envelope shaped like the host's (double-encoded metadata, JSON text body).
fn envelope(message_id: &str, delivery: u32, event: &Value) -> String {
    json!({
        "Data": {"msg": event.to_string()},
        "Metadata": {
            "MessageId": format!("\"{message_id}\""),
            "DeliveryCount": delivery.to_string(),
            "ContentType": "\"application/json\"",
            "EnqueuedTimeUtc": "2026-11-23T18:05:00",
            "sys": {"MethodName": "AgentEvents", "UtcNow": "2026-11-23T18:05:00.3312009Z", "RandGuid": "x"}
        }
    })
    .to_string()
}

/// A batch envelope (`"cardinality": "many"`): an array of JSON texts and the `…Array` metadata,
/// double-encoded as the host does its primitives.
fn batch_envelope(messages: &[(String, Value, u32)]) -> String {
    json!({
        "Data": {"msg": messages.iter().map(|(_, e, _)| e.to_string()).collect::<Vec<_>>()},
        "Metadata": {
            "MessageIdArray": messages.iter().map(|(id, _, _)| format!("\"{id}\"")).collect::<Vec<_>>(),
            "DeliveryCountArray": messages.iter().map(|(_, _, d)| d.to_string()).collect::<Vec<_>>(),
            "ContentTypeArray": messages.iter().map(|_| "\"application/json\"").collect::<Vec<_>>(),
            "EnqueuedTimeUtcArray": messages.iter().map(|_| "2026-11-23T18:05:00").collect::<Vec<_>>(),
            "sys": {"MethodName": "AgentEvents", "UtcNow": "2026-11-23T18:05:00.3312009Z", "RandGuid": "x"}
        }
    })
    .to_string()
}

fn resource_event(kind: &str, run_id: Uuid, n: usize, minute: u32) -> Value {
    let mut e = json!({
        "event_type": kind,
        "resource_id": format!("/subscriptions/{SUB}/resourceGroups/rg-{}/providers/Microsoft.Storage/storageAccounts/st{n}", n % 7),
        "resource_type": "Microsoft.Storage/storageAccounts",
        "resource_name": format!("st{n}"),
        "scenario_name": format!("compute-0{}-x", n % 5 + 1),
        "run_id": run_id,
        "timestamp": format!("2026-11-23T{:02}:{:02}:00Z", 10 + minute / 60, minute % 60),
        "tags": {"haymaker-run-id": run_id.to_string()}
    });
    if kind == "resource_deletion_failed" {
        e["deletion_error"] = json!("InUseSubnetCannotBeDeleted");
        e["deletion_attempts"] = json!(1);
    }
    e
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

#[tokio::test]
async fn a_redelivered_event_is_recorded_once() {
    let app = test_app();
    let run_id = started_run(&app.store).await;
    let event = resource_event("resource_created", run_id, 1, 0);
    let first = post_envelope(&app.router, "AgentEvents", &envelope("m-1", 1, &event)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["ReturnValue"]["outcome"], "recorded");
    let again = post_envelope(&app.router, "AgentEvents", &envelope("m-1", 2, &event)).await;
    assert_eq!(again.body["ReturnValue"]["outcome"], "duplicate");
    let ledger = compact(&app.store, run_id, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(ledger.resources.len(), 1);
    assert_eq!(ledger.count(ResourceStatus::Created), 1);
    let archived = app
        .store
        .list_all(Container::Logs, &format!("{run_id}/events/"))
        .await
        .unwrap();
    assert_eq!(
        archived,
        vec![
            format!("{run_id}/events/m-1.json"),
            format!("{run_id}/events/run-{run_id}-started.json"),
        ],
        "the message once, beside the orchestrator's run_started"
    );
}

#[tokio::test]
async fn events_of_unknown_runs_are_kept_aside_and_invalid_ones_completed() {
    let app = test_app();
    let stranger = Uuid::new_v4();
    let answer = post_envelope(
        &app.router,
        "AgentEvents",
        &envelope(
            "m-x",
            1,
            &resource_event("resource_created", stranger, 1, 0),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["ReturnValue"]["outcome"], "ignored");
    assert!(answer.body["ReturnValue"]["detail"]
        .as_str()
        .unwrap()
        .contains("unknown"));
    assert_eq!(
        app.store
            .list_all(Container::Logs, "ignored/")
            .await
            .unwrap(),
        vec!["ignored/m-x.json".to_string()]
    );

    let mut bad = resource_event("resource_created", stranger, 1, 0);
    bad["resource_id"] = json!("not-an-id");
    let answer = post_envelope(&app.router, "AgentEvents", &envelope("m-bad", 1, &bad)).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "completed, not retried forever"
    );
    assert_eq!(answer.body["ReturnValue"]["outcome"], "rejected");
    assert!(
        answer.text.contains("m-bad") && answer.text.contains("not an ARM id"),
        "{}",
        answer.text
    );

    let unknown = json!({"event_type": "quota_warning", "run_id": stranger});
    let answer = post_envelope(&app.router, "AgentEvents", &envelope("m-new", 1, &unknown)).await;
    assert_eq!(answer.body["ReturnValue"]["outcome"], "skipped");
}

type Expected = BTreeMap<String, (ResourceStatus, u32)>;

/// 2,000 events of one run, 30 % of them twice (delivery count 2), in a fixed shuffle; and the ledger
/// they must make.
fn workload(run_id: Uuid) -> (Vec<(String, Value, u32)>, Expected) {
    // Resources: every one created; 40 % then fail a deletion; half of all then deleted; cut at 2,000.
    let mut deliveries = Vec::new();
    let mut expected = Expected::new();
    let mut count = 0;
    for n in 0..1100usize {
        let mut kinds = vec!["resource_created"];
        if n % 5 < 2 {
            kinds.push("resource_deletion_failed");
        }
        if n % 2 == 0 {
            kinds.push("resource_deleted");
        }
        let mut attempts = 0;
        let mut last = None;
        for (step, kind) in kinds.iter().enumerate() {
            if count == 2000 {
                break;
            }
            count += 1;
            deliveries.push((
                format!("msg-{n}-{step}"),
                resource_event(kind, run_id, n, step as u32 * 10),
            ));
            last = Some(match *kind {
                "resource_created" => ResourceStatus::Created,
                "resource_deletion_failed" => {
                    attempts += 1;
                    ResourceStatus::DeletionFailed
                }
                _ => {
                    attempts += 1;
                    ResourceStatus::Deleted
                }
            });
        }
        let Some(last) = last else { break };
        let id = format!("/subscriptions/{SUB}/resourceGroups/rg-{}/providers/Microsoft.Storage/storageAccounts/st{n}", n % 7).to_ascii_lowercase();
        expected.insert(id, (last, attempts));
    }
    assert_eq!(deliveries.len(), 2000);
    // 30 % redelivered; then a fixed shuffle.
    let redelivered: Vec<_> = deliveries
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 < 3)
        .map(|(_, d)| d.clone())
        .collect();
    let mut all: Vec<(String, Value, u32)> = deliveries
        .into_iter()
        .map(|(i, e)| (i, e, 1))
        .chain(redelivered.into_iter().map(|(i, e)| (i, e, 2)))
        .collect();
    let mut seed = 0x2545F4914F6CDD1Du64;
    for i in (1..all.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        all.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    assert_eq!(all.len(), 2600, "30 % redelivered");
    (all, expected)
}

/// 2,000 events, 30 % delivered twice, shuffled, 16 deliveries at a time, compacted while they
/// arrive and once at the end: the ledger must equal the model exactly.
async fn many_events_make_an_exact_ledger(store: StateStore) {
    let run_id = started_run(&store).await;
    let router = app(AppState::with_store(settings(&[]), store.clone()));
    let (all, expected) = workload(run_id);
    let total = all.len();
    let queue = Arc::new(tokio::sync::Mutex::new(all));
    let mut workers = Vec::new();
    for w in 0..16 {
        let (queue, router, store) = (queue.clone(), router.clone(), store.clone());
        workers.push(tokio::spawn(async move {
            let mut outcomes = BTreeMap::<String, usize>::new();
            loop {
                let Some((id, event, delivery)) = queue.lock().await.pop() else {
                    break;
                };
                let answer =
                    post_envelope(&router, "AgentEvents", &envelope(&id, delivery, &event)).await;
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
                *outcomes
                    .entry(
                        answer.body["ReturnValue"]["outcome"]
                            .as_str()
                            .unwrap()
                            .to_string(),
                    )
                    .or_default() += 1;
                // Two workers also compact now and then, racing the others.
                if w < 2 && outcomes.values().sum::<usize>() % 97 == 0 {
                    compact(&store, run_id, chrono::Utc::now()).await.unwrap();
                }
            }
            outcomes
        }));
    }
    let mut outcomes = BTreeMap::<String, usize>::new();
    for w in workers {
        for (k, v) in w.await.unwrap() {
            *outcomes.entry(k).or_default() += v;
        }
    }
    assert_eq!(outcomes.get("recorded"), Some(&2000), "{outcomes:?}");
    assert_eq!(
        outcomes.get("duplicate"),
        Some(&(total - 2000)),
        "{outcomes:?}"
    );

    let ledger = compact(&store, run_id, chrono::Utc::now()).await.unwrap();
    assert_eq!(ledger.applied.len(), 2001, "2,000 events and run_started");
    let got: BTreeMap<String, (ResourceStatus, u32)> = ledger
        .resources
        .iter()
        .map(|(k, r)| (k.clone(), (r.status, r.deletion_attempts)))
        .collect();
    assert_eq!(got, expected);
    // Compacting again changes nothing.
    assert_eq!(
        compact(&store, run_id, chrono::Utc::now())
            .await
            .unwrap()
            .resources,
        ledger.resources
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_events_local_store() {
    let dir = tempfile::tempdir().unwrap();
    many_events_make_an_exact_ledger(
        StateStore::open(&StoreLocation::Local(dir.path().to_path_buf())).unwrap(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_events_azurite() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    let store = StateStore::open(&StoreLocation::Blob(az.connection("events"))).unwrap();
    many_events_make_an_exact_ledger(store).await;
}

/// The same 2,000 events in batch deliveries of 1 to 40 messages, 16 at a time: the 600 repeated
/// messages come again inside other batches, and every fifth batch is also redelivered whole. The
/// ledger and the archive (read back in time order, once per message) must be exact.
async fn batches_make_an_exact_ledger(store: StateStore) {
    let run_id = started_run(&store).await;
    let router = app(AppState::with_store(settings(&[]), store.clone()));
    let (all, expected) = workload(run_id);
    let mut batches: Vec<Vec<(String, Value, u32)>> = Vec::new();
    let mut rest = all.as_slice();
    let mut size = 1;
    while !rest.is_empty() {
        let n = size.min(rest.len());
        batches.push(rest[..n].to_vec());
        rest = &rest[n..];
        size = size % 40 + 7;
    }
    let whole_again: Vec<_> = batches.iter().step_by(5).cloned().collect();
    let redelivered_batches = whole_again.len();
    batches.extend(whole_again);
    let queue = Arc::new(tokio::sync::Mutex::new(batches));
    let mut workers = Vec::new();
    for w in 0..16 {
        let (queue, router, store) = (queue.clone(), router.clone(), store.clone());
        workers.push(tokio::spawn(async move {
            let (mut recorded_batches, mut duplicate_batches, mut n) = (0, 0, 0);
            loop {
                let Some(batch) = queue.lock().await.pop() else {
                    break;
                };
                let answer = post_envelope(&router, "AgentEvents", &batch_envelope(&batch)).await;
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
                let r = &answer.body["ReturnValue"];
                assert_eq!(r["outcome"], "batch", "{}", answer.text);
                assert_eq!(r["messages"], batch.len());
                let counts = &r["counts"];
                if counts["recorded"] == batch.len() {
                    recorded_batches += 1;
                } else if counts["duplicate"] == batch.len() {
                    duplicate_batches += 1;
                } else {
                    panic!(
                        "a batch is recorded or duplicate as a whole: {}",
                        answer.text
                    );
                }
                n += 1;
                if w < 2 && n % 7 == 0 {
                    compact(&store, run_id, chrono::Utc::now()).await.unwrap();
                }
            }
            (recorded_batches, duplicate_batches)
        }));
    }
    let mut duplicates = 0;
    for w in workers {
        duplicates += w.await.unwrap().1;
    }
    assert_eq!(
        duplicates, redelivered_batches,
        "a redelivered batch has no second effect"
    );

    let ledger = compact(&store, run_id, chrono::Utc::now()).await.unwrap();
    assert_eq!(ledger.applied.len(), 2001, "2,000 events and run_started");
    let got: Expected = ledger
        .resources
        .iter()
        .map(|(k, r)| (k.clone(), (r.status, r.deletion_attempts)))
        .collect();
    assert_eq!(got, expected);
    let archived = run_events(&store, run_id).await.unwrap();
    assert_eq!(archived.len(), 2001, "each message once, and run_started");
    assert_eq!(
        archived
            .iter()
            .filter(|e| e.event_type == "run_started")
            .count(),
        1
    );
    assert!(archived
        .windows(2)
        .all(|w| event_time(&w[0]) <= event_time(&w[1])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_events_in_batches_local_store() {
    let dir = tempfile::tempdir().unwrap();
    batches_make_an_exact_ledger(
        StateStore::open(&StoreLocation::Local(dir.path().to_path_buf())).unwrap(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_events_in_batches_azurite() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    let store = StateStore::open(&StoreLocation::Blob(az.connection("batches"))).unwrap();
    batches_make_an_exact_ledger(store).await;
}

#[tokio::test]
async fn a_batch_with_a_bad_message_archives_the_others() {
    let app = test_app();
    let run_id = started_run(&app.store).await;
    let good = resource_event("resource_created", run_id, 1, 0);
    let mut bad = resource_event("resource_created", run_id, 2, 0);
    bad["resource_id"] = json!("not-an-id");
    let batch = vec![("b-1".to_string(), good, 1), ("b-2".to_string(), bad, 1)];
    let answer = post_envelope(&app.router, "AgentEvents", &batch_envelope(&batch)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let r = &answer.body["ReturnValue"];
    assert_eq!(r["counts"]["recorded"], 1, "{}", answer.text);
    assert_eq!(r["counts"]["rejected"], 1, "{}", answer.text);
    assert!(answer.text.contains("not an ARM id"), "{}", answer.text);
    let events = run_events(&app.store, run_id).await.unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.message_id.as_str()).collect();
    assert!(ids.contains(&"b-1") && !ids.contains(&"b-2"), "{ids:?}");
    // Metadata that does not match the bodies is a malformed envelope.
    let mut broken: Value = serde_json::from_str(&batch_envelope(&batch)).unwrap();
    broken["Metadata"]["MessageIdArray"] = json!(["\"only-one\""]);
    let answer = post_envelope(&app.router, "AgentEvents", &broken.to_string()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    assert!(answer.text.contains("MessageIdArray"), "{}", answer.text);
}
