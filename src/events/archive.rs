//! The run's event archive in the state store, and compaction into the ledger.
//!
//! Layout (container `execution-logs`):
//! - `{run_id}/events/{message_id}.json`: one delivery (`ArchivedEvent`), written create-only, so a
//!   redelivery of the message has no second effect;
//! - `{run_id}/batches/{hash}.json`: the run's events of one batch delivery (`ArchivedBatch`), named by
//!   the SHA-256 of the batch's sorted message ids, so a redelivered batch has no second effect; a
//!   message that comes again in another batch is archived twice and counted once (by message id) by
//!   compaction and by [`run_events`];
//! - `{run_id}/journal/{n}.json`: which of the above exist, in the order they were written
//!   ([`super::journal`]), so a reader finds what is new without listing the run's archive;
//! - `ignored/{message_id}.json`: events of unknown or finished runs.
//!
//! The ledger is `execution-reports/{run_id}/resources.json`; it records the message ids and batch
//! names it has folded in, so compaction reads only what is new.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ledger::{Ledger, ResourceStatus};
use super::schema::{parse_event, AgentEvent};
use crate::run::keys;
use crate::store::{BlobKey, Container, Decision, StateStore, StoreError};

/// An archived delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchivedEvent {
    pub message_id: String,
    pub event_type: String,
    pub received_at: DateTime<Utc>,
    pub event: Value,
}

/// One run's events of a batch delivery (the store adds `schema_version`, as to every document).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedBatch {
    pub events: Vec<ArchivedEvent>,
}

/// A message id as a blob name: itself when it is plain, else its SHA-256.
pub fn blob_name(message_id: &str) -> String {
    let plain = !message_id.is_empty()
        && message_id.len() <= 128
        && !message_id.starts_with('.')
        && message_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        message_id.to_string()
    } else {
        hex_sha256(message_id.as_bytes())
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The name of a batch: SHA-256 over its message ids, sorted (the order of a redelivery may differ).
pub fn batch_name<'a>(message_ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut ids: Vec<&str> = message_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    hex_sha256(ids.join("\n").as_bytes())
}

pub(super) fn event_key(run_id: Uuid, message_id: &str) -> BlobKey {
    event_key_of_name(run_id, &blob_name(message_id))
}

/// The key of a single delivery by its blob name (see [`blob_name`]).
pub(super) fn event_key_of_name(run_id: Uuid, name: &str) -> BlobKey {
    BlobKey::new(Container::Logs, format!("{run_id}/events/{name}.json")).expect("safe name")
}

pub(super) fn batch_key(run_id: Uuid, name: &str) -> BlobKey {
    BlobKey::new(Container::Logs, format!("{run_id}/batches/{name}.json")).expect("hex name")
}

pub(super) fn ignored_key(message_id: &str) -> BlobKey {
    BlobKey::new(
        Container::Logs,
        format!("ignored/{}.json", blob_name(message_id)),
    )
    .expect("safe name")
}

/// What [`read_archive`] found: events keyed by blob name of their message id (duplicates across
/// batches possible), and the names of the batch documents read.
#[derive(Debug, Default)]
pub struct ArchiveRead {
    pub events: Vec<(String, ArchivedEvent)>,
    pub batches: Vec<String>,
}

/// Names under `prefix` ending in `.json`, without either, that `skip` does not rule out.
async fn names(
    store: &StateStore,
    prefix: &str,
    skip: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Vec<String>, StoreError> {
    Ok(store
        .list_all(Container::Logs, prefix)
        .await?
        .into_iter()
        .filter_map(|n| {
            n.strip_prefix(prefix)
                .and_then(|f| f.strip_suffix(".json"))
                .map(str::to_string)
        })
        .filter(|id| !skip(id))
        .collect())
}

async fn read_doc<T: serde::de::DeserializeOwned>(
    store: &StateStore,
    name: String,
) -> Result<Option<T>, StoreError> {
    let key = BlobKey::new(Container::Logs, name)?;
    Ok(store.read_json::<T>(&key).await?.map(|(d, _)| d))
}

/// Reads a run's archive: single deliveries `skip_event` does not rule out, batches `skip_batch`
/// does not rule out (any order).
pub async fn read_archive(
    store: &StateStore,
    run_id: Uuid,
    skip_event: &(dyn Fn(&str) -> bool + Sync),
    skip_batch: &(dyn Fn(&str) -> bool + Sync),
) -> Result<ArchiveRead, StoreError> {
    let events_prefix = format!("{run_id}/events/");
    let batches_prefix = format!("{run_id}/batches/");
    let singles = names(store, &events_prefix, skip_event).await?;
    let batches = names(store, &batches_prefix, skip_batch).await?;
    let mut out = ArchiveRead::default();
    let single_docs: Vec<ArchivedEvent> = stream::iter(singles)
        .map(|id| read_doc(store, format!("{events_prefix}{id}.json")))
        .buffer_unordered(16)
        .try_filter_map(|x| async move { Ok(x) })
        .try_collect()
        .await?;
    for e in single_docs {
        out.events.push((blob_name(&e.message_id), e));
    }
    let batch_docs: Vec<(String, ArchivedBatch)> = stream::iter(batches)
        .map(|name| {
            let path = format!("{batches_prefix}{name}.json");
            async move {
                let doc = read_doc(store, path).await?;
                Ok::<_, StoreError>(doc.map(|d| (name, d)))
            }
        })
        .buffer_unordered(16)
        .try_filter_map(|x| async move { Ok(x) })
        .try_collect()
        .await?;
    for (name, b) in batch_docs {
        out.batches.push(name);
        out.events
            .extend(b.events.into_iter().map(|e| (blob_name(&e.message_id), e)));
    }
    Ok(out)
}

/// Every archived event of a run, once per message id, in time order (the event's own `timestamp`,
/// else when it was received; ties by message id).
pub async fn run_events(
    store: &StateStore,
    run_id: Uuid,
) -> Result<Vec<ArchivedEvent>, StoreError> {
    let read = read_archive(store, run_id, &|_| false, &|_| false).await?;
    let mut seen = BTreeSet::new();
    let mut events: Vec<ArchivedEvent> = read
        .events
        .into_iter()
        .filter(|(id, _)| seen.insert(id.clone()))
        .map(|(_, e)| e)
        .collect();
    events.sort_by(|a, b| (event_time(a), &a.message_id).cmp(&(event_time(b), &b.message_id)));
    Ok(events)
}

/// When an archived event happened: its `timestamp`, else when it was received.
pub fn event_time(e: &ArchivedEvent) -> DateTime<Utc> {
    e.event
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(e.received_at, |t| t.with_timezone(&Utc))
}

/// Folds the archive into the run's ledger (only what is not applied yet is read) and writes it under
/// If-Match. Safe to run concurrently and repeatedly; returns the ledger as stored.
pub async fn compact(
    store: &StateStore,
    run_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Ledger, StoreError> {
    let key = keys::resources(run_id);
    let current = store.read_json::<Ledger>(&key).await?.map(|(l, _)| l);
    let applied = |id: &str| current.as_ref().is_some_and(|l| l.applied.contains(id));
    let folded = |name: &str| current.as_ref().is_some_and(|l| l.batches.contains(name));
    let fresh = read_archive(store, run_id, &applied, &folded).await?;
    let mut parsed = Vec::with_capacity(fresh.events.len());
    for (id, archived) in fresh.events {
        match parse_event(&archived.event) {
            Ok(event) => parsed.push((id, event)),
            Err(e) => {
                tracing::warn!(message_id = %archived.message_id, error = %e, "archived event no longer parses; left out of the ledger")
            }
        }
    }
    let batches = fresh.batches;
    let updated = store
        .update_json(&key, |existing: Option<&Ledger>| {
            let mut ledger = existing.cloned().unwrap_or_else(|| Ledger::new(run_id));
            let mut changed = false;
            for (id, event) in &parsed {
                changed |= match event {
                    AgentEvent::ResourceCreated(r) => ledger.apply(id, ResourceStatus::Created, r),
                    AgentEvent::ResourceDeleted(r) => ledger.apply(id, ResourceStatus::Deleted, r),
                    AgentEvent::ResourceDeletionFailed(r) => {
                        ledger.apply(id, ResourceStatus::DeletionFailed, r)
                    }
                    _ => ledger.mark(id),
                };
            }
            for name in &batches {
                changed |= ledger.batches.insert(name.clone());
            }
            if changed || existing.is_none() {
                ledger.updated_at = Some(now);
                Decision::Write(ledger, ())
            } else {
                Decision::Keep(())
            }
        })
        .await?;
    Ok(updated.current.unwrap_or_else(|| Ledger::new(run_id)))
}
