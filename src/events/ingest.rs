//! Ingestion: one create-only archive blob per delivered message, named by its message id, so a
//! redelivery has no second effect and concurrent deliveries never contend; then compaction folds the
//! archive into the run's ledger under If-Match.
//!
//! Layout (container `execution-logs`): `{run_id}/events/{message_id}.json` holds
//! `{"message_id","event_type","received_at","event":{…}}`; `ignored/{message_id}.json` holds events for
//! unknown or finished runs. The ledger is `execution-reports/{run_id}/resources.json`.

use chrono::{DateTime, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ledger::{Ledger, ResourceStatus};
use super::schema::{parse_event, AgentEvent};
use crate::run::{keys, RunState};
use crate::store::{BlobKey, Container, Decision, StateStore, StoreError};

/// What happened to a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Recorded {
        run_id: Uuid,
    },
    /// Already archived under this message id: nothing changed.
    Duplicate {
        run_id: Uuid,
    },
    /// Kept aside, not part of any run.
    Ignored {
        reason: String,
    },
    /// An event type this build does not know.
    Skipped {
        event_type: String,
    },
}

/// An archived delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedEvent {
    pub message_id: String,
    pub event_type: String,
    pub received_at: DateTime<Utc>,
    pub event: Value,
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
        Sha256::digest(message_id.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn event_key(run_id: Uuid, message_id: &str) -> BlobKey {
    BlobKey::new(
        Container::Logs,
        format!("{run_id}/events/{}.json", blob_name(message_id)),
    )
    .expect("safe name")
}

/// Archives one delivered event (already parsed) with its message id.
pub async fn ingest_delivery(
    store: &StateStore,
    message_id: &str,
    event: &AgentEvent,
    raw: &Value,
    now: DateTime<Utc>,
) -> Result<IngestOutcome, StoreError> {
    let Some(run_id) = event.run_id() else {
        return Ok(IngestOutcome::Skipped {
            event_type: event.event_type().to_string(),
        });
    };
    let record = ArchivedEvent {
        message_id: message_id.to_string(),
        event_type: event.event_type().to_string(),
        received_at: now,
        event: raw.clone(),
    };
    let reason = match store
        .read_json::<RunState>(&keys::run_state(run_id))
        .await?
    {
        None => Some(format!("run {run_id} is unknown")),
        Some((state, _)) if state.phase.is_terminal() => {
            Some(format!("run {run_id} has finished ({:?})", state.phase))
        }
        Some(_) => None,
    };
    if let Some(reason) = reason {
        let key = BlobKey::new(
            Container::Logs,
            format!("ignored/{}.json", blob_name(message_id)),
        )
        .expect("safe name");
        match store.create_json(&key, &record).await {
            Ok(_) | Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        return Ok(IngestOutcome::Ignored { reason });
    }
    match store
        .create_json(&event_key(run_id, message_id), &record)
        .await
    {
        Ok(_) => Ok(IngestOutcome::Recorded { run_id }),
        Err(StoreError::AlreadyExists(_)) => Ok(IngestOutcome::Duplicate { run_id }),
        Err(e) => Err(e),
    }
}

/// Reads every archived event of a run (any order).
pub async fn read_archive(
    store: &StateStore,
    run_id: Uuid,
    skip: impl Fn(&str) -> bool,
) -> Result<Vec<(String, ArchivedEvent)>, StoreError> {
    let prefix = format!("{run_id}/events/");
    let names = store.list_all(Container::Logs, &prefix).await?;
    let wanted: Vec<String> = names
        .into_iter()
        .filter_map(|n| {
            n.strip_prefix(&prefix)
                .and_then(|f| f.strip_suffix(".json"))
                .map(str::to_string)
        })
        .filter(|id| !skip(id))
        .collect();
    stream::iter(wanted)
        .map(|id| {
            let key = BlobKey::new(Container::Logs, format!("{prefix}{id}.json"));
            async move {
                let key = key.map_err(|e| StoreError::Corrupt {
                    key: id.clone(),
                    reason: e.to_string(),
                })?;
                let doc = store.read_json::<ArchivedEvent>(&key).await?;
                Ok::<_, StoreError>(doc.map(|(e, _)| (id, e)))
            }
        })
        .buffer_unordered(16)
        .try_filter_map(|x| async move { Ok(x) })
        .try_collect()
        .await
}

/// Folds the archive into the run's ledger (only events not applied yet are read) and writes it under
/// If-Match. Safe to run concurrently and repeatedly; returns the ledger as stored.
pub async fn compact(
    store: &StateStore,
    run_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Ledger, StoreError> {
    let key = keys::resources(run_id);
    let current = store.read_json::<Ledger>(&key).await?.map(|(l, _)| l);
    let fresh = read_archive(store, run_id, |id| {
        current.as_ref().is_some_and(|l| l.applied.contains(id))
    })
    .await?;
    let mut parsed = Vec::with_capacity(fresh.len());
    for (id, archived) in fresh {
        match parse_event(&archived.event) {
            Ok(event) => parsed.push((id, event)),
            Err(e) => {
                tracing::warn!(message_id = %archived.message_id, error = %e, "archived event no longer parses; left out of the ledger")
            }
        }
    }
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
