//! The state-store semantics every backend must have, written once and run against each.

use std::sync::Arc;

use haymaker::store::{BlobKey, Container, Decision, StateStore, StoreError};
use serde::{Deserialize, Serialize};

fn key(name: &str) -> BlobKey {
    BlobKey::new(Container::State, name).unwrap()
}

pub async fn round_trip_and_preconditions(store: &StateStore) {
    let k = key("suite/doc.json");
    assert!(store.read(&k).await.unwrap().is_none());
    let e1 = store.create(&k, b"one".to_vec()).await.unwrap();
    let read = store.read(&k).await.unwrap().unwrap();
    assert_eq!(read.bytes, b"one");
    assert_eq!(read.etag, e1);

    let again = store.create(&k, b"two".to_vec()).await.unwrap_err();
    assert!(matches!(again, StoreError::AlreadyExists(_)), "{again:?}");
    assert!(again.is_conflict());

    let e2 = store.replace(&k, b"two".to_vec(), &e1).await.unwrap();
    assert_ne!(e1, e2);
    let stale = store.replace(&k, b"three".to_vec(), &e1).await.unwrap_err();
    assert!(
        matches!(stale, StoreError::PreconditionFailed(_)),
        "{stale:?}"
    );
    assert_eq!(store.read(&k).await.unwrap().unwrap().bytes, b"two");

    let stale_delete = store.delete(&k, Some(&e1)).await.unwrap_err();
    assert!(matches!(stale_delete, StoreError::PreconditionFailed(_)));
    assert!(store.delete(&k, Some(&e2)).await.unwrap());
    assert!(!store.delete(&k, None).await.unwrap());
    assert!(
        !store.delete(&k, Some(&e2)).await.unwrap(),
        "a conditional delete of nothing is no error"
    );
    let gone = store.replace(&k, b"x".to_vec(), &e2).await.unwrap_err();
    assert!(
        matches!(gone, StoreError::PreconditionFailed(_)),
        "{gone:?}"
    );
    assert!(
        store.read(&k).await.unwrap().is_none(),
        "a failed replace must not create"
    );

    // A conditional delete with the current version deletes.
    let k2 = BlobKey::new(Container::Reports, "suite/report.json").unwrap();
    let v = store.create(&k2, b"report".to_vec()).await.unwrap();
    assert!(store.delete(&k2, Some(&v)).await.unwrap());
    assert!(store.read(&k2).await.unwrap().is_none());
}

/// `n` concurrent starts: exactly one run, every loser names the winner, no orphan run document,
/// the status document names the winner and its `run_started` is archived once. Returns the winner.
pub async fn concurrent_run_starts(store: &StateStore, n: usize) -> uuid::Uuid {
    use haymaker::run::{start_run, RunRequest, StartOutcome, StartTrigger};
    let request = RunRequest {
        size: haymaker::scenarios::Size::Small,
        duration_hours: 8.0,
        trigger: StartTrigger::Api,
    };
    // Every starter waits at the barrier, so they all read "no active run" at about the same time.
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (store, request, barrier) = (store.clone(), request.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            start_run(&store, &request, chrono::Utc::now())
                .await
                .unwrap()
        }));
    }
    let mut started = Vec::new();
    let mut refused = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            StartOutcome::Started { run_id, .. } => started.push(run_id),
            StartOutcome::AlreadyActive { run_id } => refused.push(run_id),
        }
    }
    assert_eq!(started.len(), 1, "exactly one start wins");
    assert_eq!(refused.len(), n - 1);
    assert!(
        refused.iter().all(|id| *id == started[0]),
        "every loser names the winner"
    );
    let runs = store.list_all(Container::State, "runs/").await.unwrap();
    assert_eq!(
        runs,
        vec![format!("runs/{}/state.json", started[0])],
        "no orphan run documents"
    );
    let status: serde_json::Value = store
        .read_json(&haymaker::run::keys::current_status())
        .await
        .unwrap()
        .expect("the status document exists")
        .0;
    assert_eq!(status["current_run_id"], started[0].to_string());
    // The store may hold other tests' events (the Azurite suites share an account): only
    // run_started events count here.
    let events = store.list_all(Container::Logs, "").await.unwrap();
    let starts: Vec<&String> = events
        .iter()
        .filter(|e| e.ends_with("-started.json"))
        .collect();
    assert_eq!(
        starts,
        [&format!("{0}/events/run-{0}-started.json", started[0])],
        "one run_started, of the winner"
    );
    started[0]
}

pub async fn listing_pages_in_order(store: &StateStore) {
    for i in 0..25 {
        let k = BlobKey::new(Container::Logs, format!("run-a/events/{i:03}.json")).unwrap();
        store.create(&k, b"{}".to_vec()).await.unwrap();
    }
    store
        .create(
            &BlobKey::new(Container::Logs, "run-b/events/000.json").unwrap(),
            b"{}".to_vec(),
        )
        .await
        .unwrap();
    let mut pages = 0;
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = store
            .list(Container::Logs, "run-a/", next.as_deref(), 10)
            .await
            .unwrap();
        pages += 1;
        names.extend(page.names);
        match page.continuation {
            Some(c) => next = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..25)
        .map(|i| format!("run-a/events/{i:03}.json"))
        .collect();
    assert_eq!(names, expected);
    assert_eq!(
        store.list_all(Container::Logs, "run-").await.unwrap().len(),
        26
    );
    assert!(store
        .list(Container::Reports, "nothing/", None, 10)
        .await
        .unwrap()
        .names
        .is_empty());
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Counter {
    value: u64,
}

/// `writers` tasks each add 1 `times` times through `update_json`: no update may be lost.
pub async fn concurrent_counter(store: &StateStore, writers: usize, times: usize) {
    let k = key("suite/counter.json");
    let store = Arc::new(store.clone());
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (store, k) = (store.clone(), k.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..times {
                store
                    .update_json(&k, |c: Option<&Counter>| {
                        let value = c.map_or(0, |c| c.value) + 1;
                        Decision::Write(Counter { value }, ())
                    })
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (c, _) = store.read_json::<Counter>(&k).await.unwrap().unwrap();
    assert_eq!(c.value, (writers * times) as u64);
    let raw = store.read(&k).await.unwrap().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&raw.bytes).unwrap();
    assert_eq!(
        doc["schema_version"], 1,
        "every document carries its schema version"
    );
}

/// `version` is a cheap change token: absent for a missing document, stable while it is unchanged,
/// different after every write (also one writing the same bytes back), absent again after a delete.
pub async fn version_tracks_changes(store: &StateStore) {
    let k = key("version/doc.json");
    assert_eq!(store.version(&k).await.unwrap(), None);
    let etag = store.create(&k, b"{\"n\":1}".to_vec()).await.unwrap();
    let v1 = store
        .version(&k)
        .await
        .unwrap()
        .expect("a version once written");
    assert_eq!(
        store.version(&k).await.unwrap().as_ref(),
        Some(&v1),
        "stable"
    );
    let etag = store
        .replace(&k, b"{\"n\":2}".to_vec(), &etag)
        .await
        .unwrap();
    let v2 = store.version(&k).await.unwrap().unwrap();
    assert_ne!(v1, v2, "changed by a write");
    store
        .replace(&k, b"{\"n\":2}".to_vec(), &etag)
        .await
        .unwrap();
    let v3 = store.version(&k).await.unwrap().unwrap();
    assert_ne!(v2, v3, "changed by a write of the same bytes");
    assert!(store.delete(&k, None).await.unwrap());
    assert_eq!(store.version(&k).await.unwrap(), None);
}
