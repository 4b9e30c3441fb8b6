//! The archive journal: which archive blobs of a run exist, in the order they were written, so a
//! reader that has seen the archive up to slot `n` finds what is new by reading slots `n`, `n + 1`, …
//! until the first missing one — O(new), where listing the archive would be O(run) (blob names are
//! message ids and batch hashes, so a listing cannot start "after the last one read").
//!
//! Layout (container `execution-logs`): `{run_id}/journal/{n:012}.json` holds
//! `{"blob":{"kind":"event"|"batch","name":…}}`, naming `{run_id}/events/{name}.json` or
//! `{run_id}/batches/{name}.json`. Slots are written create-only and only at the first missing slot
//! (the writer has seen the one before it), so the slots that exist are always `0..head` with no
//! gap; nothing deletes them. Ingestion and the lifecycle recorder append a slot after creating an
//! archive blob — also when the blob was already there (a redelivery after a crash between the two
//! writes), so every archived blob is named by some slot; a blob named twice is read twice and its
//! events counted once by message id, as for any duplicate.
//!
//! Blobs archived by a haymaker without the journal (before it existed) are found by listing once,
//! when a reader first indexes the run (`api::log_index`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use futures::{stream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::archive::{batch_key, event_key_of_name, ArchivedBatch, ArchivedEvent};
use crate::store::{BlobKey, Container, StateStore, StoreError};

/// Slots read at once when catching up.
const WINDOW: u64 = 16;
/// Runs whose next slot a process remembers (a hint only: forgetting costs one search).
const MAX_CLAIMS: usize = 256;

/// An archive blob of a run, as a journal slot names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum ArchiveBlob {
    /// `{run_id}/events/{name}.json`: one delivery (`name` is the message id's blob name).
    Event(String),
    /// `{run_id}/batches/{name}.json`: the run's events of one batch delivery.
    Batch(String),
}

#[derive(Debug, Serialize, Deserialize)]
struct Slot {
    blob: ArchiveBlob,
}

pub fn slot_key(run_id: Uuid, n: u64) -> BlobKey {
    BlobKey::new(Container::Logs, format!("{run_id}/journal/{n:012}.json")).expect("digits")
}

async fn exists(store: &StateStore, run_id: Uuid, n: u64) -> Result<bool, StoreError> {
    Ok(store.version(&slot_key(run_id, n)).await?.is_some())
}

/// The first missing slot at or after `from`, where `from == 0` or slot `from - 1` exists: a
/// galloping then binary search, O(log(head − from)) probes of the slots' properties.
pub async fn first_missing(store: &StateStore, run_id: Uuid, from: u64) -> Result<u64, StoreError> {
    if !exists(store, run_id, from).await? {
        return Ok(from);
    }
    let (mut lo, mut step) = (from, 1u64);
    let mut hi = loop {
        let probe = lo + step;
        if exists(store, run_id, probe).await? {
            lo = probe;
            step *= 2;
        } else {
            break probe;
        }
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if exists(store, run_id, mid).await? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

type Claims = Mutex<HashMap<(String, Uuid), Arc<tokio::sync::Mutex<u64>>>>;

/// This process's guess of each run's next free slot (per store), and the lock that makes its own
/// appends to a run take turns (so they do not race each other for one slot).
fn claim(store: &StateStore, run_id: Uuid) -> Arc<tokio::sync::Mutex<u64>> {
    static CLAIMS: OnceLock<Claims> = OnceLock::new();
    let mut claims = CLAIMS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if claims.len() >= MAX_CLAIMS {
        claims.clear();
    }
    claims
        .entry((store.describe().to_string(), run_id))
        .or_default()
        .clone()
}

/// Names `blob` in the run's journal (at the first free slot); returns the slot.
pub async fn append(
    store: &StateStore,
    run_id: Uuid,
    blob: ArchiveBlob,
) -> Result<u64, StoreError> {
    let claim = claim(store, run_id);
    let mut next = claim.lock().await;
    let slot = Slot { blob };
    loop {
        match store.create_json(&slot_key(run_id, *next), &slot).await {
            Ok(_) => {
                *next += 1;
                return Ok(*next - 1);
            }
            // Another writer took it: slot `next` exists, so search from the one after.
            Err(StoreError::AlreadyExists(_)) => {
                *next = first_missing(store, run_id, *next + 1).await?
            }
            Err(e) => return Err(e),
        }
    }
}

/// The blobs named by slots `from`, `from + 1`, … up to the first missing slot.
pub async fn read_from(
    store: &StateStore,
    run_id: Uuid,
    from: u64,
) -> Result<Vec<ArchiveBlob>, StoreError> {
    let mut out = Vec::new();
    let mut start = from;
    loop {
        let window: Vec<Option<(Slot, _)>> = futures::future::try_join_all(
            (start..start + WINDOW)
                .map(|n| async move { store.read_json::<Slot>(&slot_key(run_id, n)).await }),
        )
        .await?;
        let full = window.iter().all(Option::is_some);
        out.extend(window.into_iter().map_while(|s| s.map(|(s, _)| s.blob)));
        if !full {
            return Ok(out);
        }
        start += WINDOW;
    }
}

/// The events of the blobs, with the blob name of each message id (any order; a missing blob is
/// skipped).
pub async fn read_blobs(
    store: &StateStore,
    run_id: Uuid,
    blobs: Vec<ArchiveBlob>,
) -> Result<Vec<ArchivedEvent>, StoreError> {
    let docs: Vec<Vec<ArchivedEvent>> = stream::iter(blobs)
        .map(|blob| async move {
            Ok::<_, StoreError>(match blob {
                ArchiveBlob::Event(name) => store
                    .read_json::<ArchivedEvent>(&event_key_of_name(run_id, &name))
                    .await?
                    .map(|(e, _)| vec![e])
                    .unwrap_or_default(),
                ArchiveBlob::Batch(name) => store
                    .read_json::<ArchivedBatch>(&batch_key(run_id, &name))
                    .await?
                    .map(|(b, _)| b.events)
                    .unwrap_or_default(),
            })
        })
        .buffered(16)
        .try_collect()
        .await?;
    Ok(docs.into_iter().flatten().collect())
}
