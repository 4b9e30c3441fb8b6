//! The archive journal (`events::journal`): concurrent writers — tasks of one process and two
//! stores that do not share a process's hint of the next slot, as two processes — leave slots
//! `0..head` without a gap, and every archive blob is named by some slot.

use std::collections::BTreeSet;

use chrono::Utc;
use futures::StreamExt;
use haymaker::events::journal::{self, ArchiveBlob};
use haymaker::events::{ingest, parse_event, Delivery, RunGate};
use haymaker::run::{keys, RunState, StartTrigger};
use haymaker::store::{Container, StateStore, StoreLocation};
use serde_json::json;
use uuid::Uuid;

fn event(run_id: Uuid, n: usize) -> serde_json::Value {
    json!({"event_type": "operation", "run_id": run_id, "scenario_name": "compute-01-x",
           "timestamp": Utc::now(), "message": format!("step {n}")})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_leave_a_gapless_journal_naming_every_blob() {
    let dir = tempfile::tempdir().unwrap();
    let a = StateStore::open(&StoreLocation::Local(dir.path().to_path_buf())).unwrap();
    // The same directory under another name: a store that does not share `a`'s slot hints.
    let b = StateStore::open(&StoreLocation::Local(dir.path().join("."))).unwrap();
    assert_ne!(a.describe(), b.describe(), "two stores, as two processes");
    let run_id = Uuid::new_v4();
    let now = Utc::now();
    let state = RunState::new(run_id, StartTrigger::Api, "small".into(), 8.0, now, now);
    a.create_json(&keys::run_state(run_id), &state)
        .await
        .unwrap();
    let gate = RunGate::default();
    // 60 singles (every fifth delivered twice) and 10 batches of 3, 16 at a time over both stores.
    let jobs: Vec<(StateStore, Vec<usize>)> = (0..60)
        .chain((0..60).step_by(5))
        .map(|n| vec![n])
        .chain((0..10).map(|k| vec![100 + 3 * k, 101 + 3 * k, 102 + 3 * k]))
        .enumerate()
        .map(|(i, ns)| (if i % 2 == 0 { a.clone() } else { b.clone() }, ns))
        .collect();
    let writes = jobs.len() as u64;
    futures::stream::iter(jobs)
        .map(|(store, ns)| {
            let gate = &gate;
            async move {
                let raws: Vec<_> = ns.iter().map(|n| event(run_id, *n)).collect();
                let parsed: Vec<_> = raws.iter().map(|r| parse_event(r).unwrap()).collect();
                let ids: Vec<String> = ns.iter().map(|n| format!("m-{n}")).collect();
                let deliveries: Vec<Delivery<'_>> = (0..ns.len())
                    .map(|i| Delivery {
                        message_id: &ids[i],
                        event: &parsed[i],
                        raw: &raws[i],
                    })
                    .collect();
                ingest(&store, gate, &deliveries, Utc::now()).await.unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let head = journal::first_missing(&a, run_id, 0).await.unwrap();
    assert_eq!(head, writes, "one slot per write, duplicates included");
    let slots = journal::read_from(&b, run_id, 0).await.unwrap();
    assert_eq!(slots.len() as u64, head, "no gap before the head");
    let named: BTreeSet<String> = slots
        .iter()
        .map(|s| match s {
            ArchiveBlob::Event(n) => format!("{run_id}/events/{n}.json"),
            ArchiveBlob::Batch(n) => format!("{run_id}/batches/{n}.json"),
        })
        .collect();
    let mut archived: BTreeSet<String> = a
        .list_all(Container::Logs, &format!("{run_id}/events/"))
        .await
        .unwrap()
        .into_iter()
        .collect();
    archived.extend(
        a.list_all(Container::Logs, &format!("{run_id}/batches/"))
            .await
            .unwrap(),
    );
    assert_eq!(archived.len(), 70);
    assert_eq!(named, archived, "every archive blob is named by a slot");
    let events = journal::read_blobs(&a, run_id, slots).await.unwrap();
    let ids: BTreeSet<String> = events.into_iter().map(|e| e.message_id).collect();
    assert_eq!(ids.len(), 90, "every message");
}
