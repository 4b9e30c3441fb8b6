//! Ingestion: deliveries are archived create-only, so a redelivery has no second effect and
//! concurrent deliveries never contend (layout in [`super::archive`]). A single delivery is one blob
//! named by its message id; a batch delivery is one blob per run in it, named by the batch's message
//! ids; then the blob is named in the run's journal ([`super::journal`]). Whether a run takes events
//! is read from its state document through [`RunGate`], a short-lived cache (a finished run is
//! remembered for good: finished runs never resurrect).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::archive::{
    batch_key, batch_name, blob_name, event_key, ignored_key, ArchivedBatch, ArchivedEvent,
};
use super::journal::{self, ArchiveBlob};
use super::schema::AgentEvent;
use crate::run::{keys, RunState};
use crate::store::{StateStore, StoreError};

/// What happened to a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Recorded {
        run_id: Uuid,
    },
    /// Already archived under this message id (or in this very batch): nothing changed.
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

/// One delivered, parsed event.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub message_id: &'a str,
    pub event: &'a AgentEvent,
    pub raw: &'a Value,
}

/// Whether a run takes events.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Gate {
    Open,
    /// Finished: remembered for good.
    Finished(String),
}

/// How long an active run's state is trusted without reading it again.
pub const RUN_STATE_TTL: Duration = Duration::from_secs(5);

/// A short-lived cache of whether runs take events. Unknown runs are not cached (a run may be
/// starting); active runs for [`RUN_STATE_TTL`]; finished runs for good.
#[derive(Debug)]
pub struct RunGate {
    ttl: Duration,
    runs: std::sync::Mutex<HashMap<Uuid, (Gate, Instant)>>,
}

impl Default for RunGate {
    fn default() -> Self {
        Self::new(RUN_STATE_TTL)
    }
}

impl RunGate {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            runs: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// `None` when the run takes events, else why not.
    async fn refusal(
        &self,
        store: &StateStore,
        run_id: Uuid,
    ) -> Result<Option<String>, StoreError> {
        {
            let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            match runs.get(&run_id) {
                Some((Gate::Finished(reason), _)) => return Ok(Some(reason.clone())),
                Some((Gate::Open, at)) if at.elapsed() < self.ttl => return Ok(None),
                _ => {}
            }
        }
        let gate = match store
            .read_json::<RunState>(&keys::run_state(run_id))
            .await?
        {
            None => return Ok(Some(format!("run {run_id} is unknown"))),
            Some((state, _)) if state.phase.is_terminal() => {
                Gate::Finished(format!("run {run_id} has finished ({:?})", state.phase))
            }
            Some(_) => Gate::Open,
        };
        let refusal = match &gate {
            Gate::Open => None,
            Gate::Finished(reason) => Some(reason.clone()),
        };
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(run_id, (gate, Instant::now()));
        Ok(refusal)
    }
}

fn record(d: &Delivery<'_>, now: DateTime<Utc>) -> ArchivedEvent {
    ArchivedEvent {
        message_id: d.message_id.to_string(),
        event_type: d.event.event_type().to_string(),
        received_at: now,
        event: d.raw.clone(),
    }
}

/// Archives one delivered event (already parsed) with its message id.
pub async fn ingest_delivery(
    store: &StateStore,
    message_id: &str,
    event: &AgentEvent,
    raw: &Value,
    now: DateTime<Utc>,
) -> Result<IngestOutcome, StoreError> {
    let d = Delivery {
        message_id,
        event,
        raw,
    };
    let mut out = ingest(store, &RunGate::default(), &[d], now).await?;
    Ok(out.pop().expect("one outcome per delivery"))
}

/// Archives the deliveries of one invocation (a single message or a batch); one outcome each, in
/// order. A store failure fails the whole invocation (the host redelivers it; nothing is doubled).
pub async fn ingest(
    store: &StateStore,
    gate: &RunGate,
    deliveries: &[Delivery<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<IngestOutcome>, StoreError> {
    let mut outcomes: Vec<Option<IngestOutcome>> = vec![None; deliveries.len()];
    let mut by_run: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
    for (i, d) in deliveries.iter().enumerate() {
        let Some(run_id) = d.event.run_id() else {
            outcomes[i] = Some(IngestOutcome::Skipped {
                event_type: d.event.event_type().to_string(),
            });
            continue;
        };
        match gate.refusal(store, run_id).await? {
            Some(reason) => {
                match store
                    .create_json(&ignored_key(d.message_id), &record(d, now))
                    .await
                {
                    Ok(_) | Err(StoreError::AlreadyExists(_)) => {}
                    Err(e) => return Err(e),
                }
                outcomes[i] = Some(IngestOutcome::Ignored { reason });
            }
            None => by_run.entry(run_id).or_default().push(i),
        }
    }
    let single = deliveries.len() == 1;
    let name = batch_name(deliveries.iter().map(|d| d.message_id));
    for (run_id, members) in by_run {
        let (created, blob) = if single {
            let d = &deliveries[members[0]];
            let created = store
                .create_json(&event_key(run_id, d.message_id), &record(d, now))
                .await;
            (created, ArchiveBlob::Event(blob_name(d.message_id)))
        } else {
            let batch = ArchivedBatch {
                events: members
                    .iter()
                    .map(|i| record(&deliveries[*i], now))
                    .collect(),
            };
            let created = store.create_json(&batch_key(run_id, &name), &batch).await;
            (created, ArchiveBlob::Batch(name.clone()))
        };
        let outcome = match created {
            Ok(_) => IngestOutcome::Recorded { run_id },
            Err(StoreError::AlreadyExists(_)) => IngestOutcome::Duplicate { run_id },
            Err(e) => return Err(e),
        };
        // Also for a duplicate: the first delivery may have stopped between the two writes.
        journal::append(store, run_id, blob).await?;
        for i in members {
            outcomes[i] = Some(outcome.clone());
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.expect("every delivery decided"))
        .collect())
}
