//! The local-directory backend (the default store) has the Blob semantics.

use crate::common;

use common::store_suite;
use haymaker::store::{BlobKey, Container, StateStore, StoreError, StoreLocation};

fn store(dir: &std::path::Path) -> StateStore {
    StateStore::open(&StoreLocation::Local(dir.to_path_buf())).unwrap()
}

#[tokio::test]
async fn round_trip_and_preconditions() {
    let dir = tempfile::tempdir().unwrap();
    store_suite::round_trip_and_preconditions(&store(dir.path())).await;
}

#[tokio::test]
async fn version_tracks_changes() {
    let dir = tempfile::tempdir().unwrap();
    store_suite::version_tracks_changes(&store(dir.path())).await;
}

#[tokio::test]
async fn listing_pages_in_order() {
    let dir = tempfile::tempdir().unwrap();
    store_suite::listing_pages_in_order(&store(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_writers_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    store_suite::concurrent_counter(&store(dir.path()), 32, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn separate_store_instances_on_one_directory_lose_no_update() {
    // Each instance opens its own lock files, as separate processes would.
    let dir = tempfile::tempdir().unwrap();
    // Eight instances (as eight processes would have), 25 increments each.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = store(dir.path());
        tasks.push(tokio::spawn(async move {
            let k = BlobKey::new(Container::State, "suite/counter.json").unwrap();
            for _ in 0..25 {
                s.update_json(&k, |c: Option<&serde_json::Value>| {
                    let v = c.and_then(|c| c["value"].as_u64()).unwrap_or(0) + 1;
                    haymaker::store::Decision::Write(serde_json::json!({"value": v}), ())
                })
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (v, _) = store(dir.path())
        .read_json::<serde_json::Value>(
            &BlobKey::new(Container::State, "suite/counter.json").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v["value"], 200);
}

#[tokio::test]
async fn documents_from_a_newer_schema_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let k = BlobKey::new(Container::State, "future.json").unwrap();
    s.create(&k, br#"{"schema_version": 99, "value": 1}"#.to_vec())
        .await
        .unwrap();
    let err = s.read_json::<serde_json::Value>(&k).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }));
    assert!(err.to_string().contains("upgrade haymaker"), "{err}");
}

#[test]
fn keys_refuse_traversal_and_odd_names() {
    for bad in [
        "", "../x", "a/../b", "a//b", "/abs", ".hidden", "a/.tmp", "sp ace", "a\\b",
    ] {
        assert!(BlobKey::new(Container::State, bad).is_err(), "{bad:?}");
    }
    assert!(BlobKey::new(Container::Reports, "0b6f6d2e-9a34/report.json").is_ok());
}
