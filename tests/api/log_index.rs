//! The log index (`api::log_index`): events archived after the first request are served by the next
//! one (single and batch deliveries, a blob whose journal slot was lost and came with the
//! redelivery, archive blobs written before the journal existed), and a warm process — or a second
//! process over the same store — answers exactly what a process that reads everything afresh does;
//! so do `/metrics` from the runs' cached facts after a run's documents changed.

use crate::api_support::{self, deliver, log_event};
use crate::common::*;
use chrono::{Duration, Utc};
use haymaker::events::archive::ArchivedEvent;
use haymaker::events::{self, parse_event, IngestOutcome};
use haymaker::handler::{app, AppState};
use haymaker::store::{BlobKey, Container, StateStore};
use serde_json::Value;
use uuid::Uuid;

/// The queries compared: pages, single filters, combinations, searches and time ranges.
fn queries(run: Uuid, since: &str) -> Vec<String> {
    [
        "",
        "?page_size=3",
        "?page=2&page_size=3",
        "?severity=error",
        "?event_type=operation",
        "?scenario_name=ai-ml-01-vision",
        "?scenario_name=ai-ml-01-vision&event_type=operation",
        "?search=KEY",
        "?search=late&severity=info",
        "?event_type=resource_created&page_size=2&page=2",
    ]
    .iter()
    .map(|q| format!("/api/v1/runs/{run}/logs{q}"))
    .chain([format!(
        "/api/v1/runs/{run}/logs?start_time={since}&scenario_name=ai-ml-01-vision"
    )])
    .collect()
}

async fn answers(router: &axum::Router, queries: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for q in queries {
        let a = get(router, q).await;
        assert_eq!(a.status, axum::http::StatusCode::OK, "{q}: {}", a.text);
        out.push(a.body);
    }
    out
}

/// What a process that has not seen the run before answers.
async fn fresh(store: &StateStore, queries: &[String]) -> Vec<Value> {
    answers(
        &app(AppState::with_store(settings(&[]), store.clone())),
        queries,
    )
    .await
}

fn messages(page: &Value) -> Vec<String> {
    page["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap().to_string())
        .collect()
}

async fn batch(store: &StateStore, events: &[(&str, Value)]) -> Vec<IngestOutcome> {
    ingest_delivery(store, events).await
}

#[tokio::test]
async fn events_archived_after_the_first_request_are_served_and_match_a_fresh_read() {
    let warm = test_app();
    let store = warm.store.clone();
    let seeded = api_support::seed(&store).await;
    let a = seeded.active;
    let now = Utc::now();
    // An event archived before the journal existed: a blob and no slot.
    let legacy = log_event(
        a,
        "ai-ml-01-vision",
        "operation",
        "legacy blob",
        now - Duration::hours(2),
    );
    let legacy = ArchivedEvent {
        message_id: "legacy-1".into(),
        event_type: "operation".into(),
        received_at: now,
        event: legacy,
    };
    let key = BlobKey::new(Container::Logs, format!("{a}/events/legacy-1.json")).unwrap();
    store.create_json(&key, &legacy).await.unwrap();
    let since = (now - Duration::minutes(90))
        .to_rfc3339()
        .replace('+', "%2B");
    let qs = queries(a, &since);
    let first = answers(&warm.router, &qs).await;
    assert_eq!(
        first,
        fresh(&store, &qs).await,
        "a cold index reads the whole archive"
    );
    assert!(messages(&first[0]).contains(&"legacy blob".to_string()));
    let total = first[0]["pagination"]["total_items"].as_u64().unwrap();

    // New events: a single delivery late in time, one out of order (earlier than everything), a
    // batch with a key search hit and an error, and the same message again in another batch.
    let late = log_event(a, "ai-ml-01-vision", "operation", "late rotated KEY", now);
    deliver(&store, "new-1", late, now).await;
    let early = log_event(
        a,
        "networking-02-vnet",
        "operation",
        "early late-comer",
        now - Duration::days(3),
    );
    deliver(&store, "new-2", early, now).await;
    let e3 = log_event(
        a,
        "ai-ml-01-vision",
        "error",
        "late quota error",
        now - Duration::minutes(5),
    );
    let e4 = log_event(
        a,
        "ai-ml-01-vision",
        "operation",
        "late key vault read",
        now - Duration::minutes(4),
    );
    let out = batch(&store, &[("new-3", e3.clone()), ("new-4", e4.clone())]).await;
    assert!(matches!(out[0], IngestOutcome::Recorded { .. }));
    batch(
        &store,
        &[
            ("new-3", e3),
            (
                "new-5",
                log_event(a, "ai-ml-01-vision", "operation", "late fifth", now),
            ),
        ],
    )
    .await;

    let second = answers(&warm.router, &qs).await;
    assert_eq!(
        second,
        fresh(&store, &qs).await,
        "the warm index answers as a fresh read"
    );
    assert_eq!(
        second[0]["pagination"]["total_items"].as_u64().unwrap(),
        total + 5,
        "five new messages, new-3 counted once"
    );
    let all = messages(&second[0]);
    assert_eq!(
        all[0], "early late-comer",
        "out-of-order events land in time order"
    );
    assert!(messages(&second[7]).contains(&"late rotated KEY".to_string()));
    assert_ne!(first[3], second[3], "the severity filter saw the new error");
    assert_ne!(first[8], second[8], "a cached search was extended");
}

#[tokio::test]
async fn a_second_process_and_a_lost_journal_slot_never_leave_stale_pages() {
    let one = test_app();
    let store = one.store.clone();
    let seeded = api_support::seed(&store).await;
    let a = seeded.active;
    let two = app(AppState::with_store(settings(&[]), store.clone()));
    let since = (Utc::now() - Duration::minutes(90))
        .to_rfc3339()
        .replace('+', "%2B");
    let qs = queries(a, &since);
    let before = answers(&one.router, &qs).await;
    assert_eq!(before, answers(&two, &qs).await);
    // The second process's ingestion: the first process sees it on its next request.
    let now = Utc::now();
    deliver(
        &store,
        "p2-1",
        log_event(a, "ai-ml-01-vision", "error", "from process two", now),
        now,
    )
    .await;
    let after = answers(&one.router, &qs).await;
    assert_eq!(after, answers(&two, &qs).await);
    assert_eq!(after, fresh(&store, &qs).await);
    assert!(messages(&after[3]).contains(&"from process two".to_string()));

    // A delivery that stopped between its archive blob and its journal slot: the blob is there,
    // no slot names it. The redelivery finds the blob (a duplicate) and writes the slot.
    let event = log_event(
        a,
        "ai-ml-01-vision",
        "operation",
        "slot came with the redelivery",
        now,
    );
    let archived = ArchivedEvent {
        message_id: "lost-slot".into(),
        event_type: "operation".into(),
        received_at: now,
        event: event.clone(),
    };
    let key = BlobKey::new(Container::Logs, format!("{a}/events/lost-slot.json")).unwrap();
    store.create_json(&key, &archived).await.unwrap();
    let parsed = parse_event(&event).unwrap();
    let redelivered = events::ingest_delivery(&store, "lost-slot", &parsed, &event, now)
        .await
        .unwrap();
    assert!(matches!(redelivered, IngestOutcome::Duplicate { .. }));
    let last = answers(&one.router, &qs).await;
    assert_eq!(last, fresh(&store, &qs).await);
    assert!(messages(&last[0]).contains(&"slot came with the redelivery".to_string()));
}

#[tokio::test]
async fn metrics_follow_a_run_whose_documents_changed() {
    let warm = test_app();
    let seeded = api_support::seed(&warm.store).await;
    let q = vec!["/api/v1/metrics?period=week".to_string()];
    let before = answers(&warm.router, &q).await;
    assert_eq!(before, fresh(&warm.store, &q).await);
    // The finished run's cleanup is redone and reports fewer deletions.
    let key = haymaker::run::keys::cleanup_report(seeded.finished);
    let (mut report, etag) = warm.store.read_json::<Value>(&key).await.unwrap().unwrap();
    let deleted = report["verification"]["actually_deleted"].as_u64().unwrap();
    report["verification"]["actually_deleted"] = (deleted - 1).into();
    warm.store.replace_json(&key, &report, &etag).await.unwrap();
    let after = answers(&warm.router, &q).await;
    assert_eq!(
        after,
        fresh(&warm.store, &q).await,
        "the cached facts were re-read"
    );
    assert_eq!(
        after[0]["total_resources_deleted"].as_u64().unwrap() + 1,
        before[0]["total_resources_deleted"].as_u64().unwrap()
    );
}
