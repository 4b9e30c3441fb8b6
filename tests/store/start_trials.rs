//! Many independent trials of the one-active-run race: each trial is a fresh, empty state store with
//! several starters released at once by a barrier; every trial must make exactly one run (see
//! `common::store_suite::concurrent_run_starts` for what is checked). The local directory takes
//! 1,000 trials; Azurite, where each trial is a fresh set of containers, a smaller number so the
//! whole costs seconds, not minutes.

use crate::common;

use std::collections::HashSet;
use std::future::Future;

use common::azurite;
use common::store_suite::concurrent_run_starts;
use futures::StreamExt;
use haymaker::store::{StateStore, StoreLocation};

/// Starters per trial.
const STARTERS: usize = 8;

/// Runs `trials` trials, `at_once` of them at a time (each on its own store, so they are
/// independent); returns the winners, which must all differ.
async fn run_trials<F, Fut>(trials: usize, at_once: usize, trial: F) -> HashSet<uuid::Uuid>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = uuid::Uuid>,
{
    let winners: HashSet<_> = futures::stream::iter((0..trials).map(trial))
        .buffer_unordered(at_once)
        .collect()
        .await;
    assert_eq!(winners.len(), trials, "every trial made its own run");
    winners
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_trials_of_concurrent_starts_on_the_local_store_each_make_exactly_one_run() {
    const TRIALS: usize = 1_000;
    run_trials(TRIALS, 8, |_| async {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(&StoreLocation::Local(dir.path().to_path_buf())).unwrap();
        concurrent_run_starts(&store, STARTERS).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trials_of_concurrent_starts_on_blob_storage_each_make_exactly_one_run() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    const TRIALS: usize = 40;
    run_trials(TRIALS, 8, |i| async move {
        let conn = az.connection(&format!("trial-{i}"));
        let store = StateStore::open(&StoreLocation::Blob(conn)).unwrap();
        concurrent_run_starts(&store, STARTERS).await
    })
    .await;
}
