//! The `apply` half of each envelope function.
//!
//! Status: `ScheduledRun` starts runs, `AgentEvents` archives agents' events and `Tick` compacts the
//! active run's ledger. `Work` validates its input, logs, and answers success: advancing runs and
//! executing work units (orchestrator issue) are not wired in yet, and nothing here claims to do them.

use serde::Deserialize;
use serde_json::json;

use super::error::TriggerError;
use super::invocation::{QueueInvocation, ServiceBusDelivery, TimerInvocation};
use super::response::InvocationResponse;
use super::AppState;
use crate::events::{self, Delivery, IngestOutcome};
use crate::run::{self, RunRequest, StartOutcome, StartTrigger};
use crate::store::StoreError;

/// `ScheduledRun`: the four-times-a-day timer starts a run of `SIMULATION_SIZE`, unless one is active
/// (then it logs why and does nothing).
pub async fn scheduled_run(
    state: &AppState,
    timer: TimerInvocation,
) -> Result<InvocationResponse, TriggerError> {
    let request = RunRequest {
        size: state.settings.simulation_size,
        duration_hours: state.settings.run_duration_hours,
        trigger: StartTrigger::Schedule,
    };
    let now = timer.utc_now.unwrap_or_else(chrono::Utc::now);
    let outcome = run::start_run_with(&state.store, &request, now, &state.lifecycle)
        .await
        .map_err(|e| store_failure("starting a scheduled run", e))?;
    Ok(match outcome {
        StartOutcome::Started { run_id, .. } => {
            crate::telemetry::record_run_id(&run_id);
            InvocationResponse::new()
                .log(format!("started run {run_id} (size {})", request.size))
                .returning(json!({"outcome": "started", "run_id": run_id}))
        }
        StartOutcome::AlreadyActive { run_id } => {
            tracing::info!(active_run_id = %run_id, "a run is already active; not starting another");
            InvocationResponse::new()
                .log(format!("run {run_id} is active; not starting another"))
                .returning(json!({"outcome": "skipped", "active_run_id": run_id}))
        }
    })
}

/// A store failure at the trigger edge: retriable ones make the host retry, the rest are permanent.
fn store_failure(what: &str, e: StoreError) -> TriggerError {
    if e.is_retriable() {
        TriggerError::Retriable(format!("{what}: {e}"))
    } else {
        TriggerError::Permanent(format!("{what}: {e}"))
    }
}

/// `Tick`: the every-minute timer.
/// Today it folds the active run's new events into its resource ledger; advancing the run's phases
/// arrives with the orchestrator.
pub async fn tick(
    state: &AppState,
    timer: TimerInvocation,
) -> Result<InvocationResponse, TriggerError> {
    tracing::debug!(past_due = timer.is_past_due, "tick received");
    let now = timer.utc_now.unwrap_or_else(chrono::Utc::now);
    let status = run::read_status(&state.store, now)
        .await
        .map_err(|e| store_failure("reading the status", e))?;
    let Some(run_id) = status.active_run() else {
        return Ok(InvocationResponse::new().returning(json!({"outcome": "idle"})));
    };
    crate::telemetry::record_run_id(&run_id);
    let ledger = events::compact(&state.store, run_id, now)
        .await
        .map_err(|e| store_failure("compacting the resource ledger", e))?;
    Ok(InvocationResponse::new().returning(json!({
        "outcome": "compacted",
        "run_id": run_id,
        "resources": ledger.resources.len(),
        "events": ledger.applied.len(),
    })))
}

/// The shape every `Work` queue message has.
#[derive(Debug, Deserialize)]
pub struct WorkMessage {
    pub kind: String,
}

/// `Work`: one unit of fan-out work from the `haymaker-work` queue.
pub async fn work(
    _state: &AppState,
    msg: QueueInvocation,
) -> Result<InvocationResponse, TriggerError> {
    let unit: WorkMessage = msg.body.parse().map_err(|e| {
        TriggerError::Permanent(format!(
            "queue message {} is not a work unit ({e}); expected a JSON object with a `kind`",
            msg.id.as_deref().unwrap_or("(no id)")
        ))
    })?;
    tracing::info!(kind = %unit.kind, dequeue_count = msg.dequeue_count, "work unit received");
    Ok(InvocationResponse::new()
        .log(format!("work unit `{}` received", unit.kind))
        .returning(json!({"outcome": "accepted", "kind": unit.kind})))
}

/// `AgentEvents`: one message or a batch from the `agent-logs` topic, archived idempotently (see
/// [`events::ingest`]). Invalid JSON or an invalid event is completed (2xx) with the reason logged —
/// in a batch, the others are still archived; a store failure fails the invocation and the host
/// redelivers it (nothing is doubled).
pub async fn agent_events(
    state: &AppState,
    delivery: ServiceBusDelivery,
) -> Result<InvocationResponse, TriggerError> {
    let messages = delivery.messages();
    let mut parsed = Vec::with_capacity(messages.len());
    let mut rejected: Vec<(usize, String)> = Vec::new();
    for (i, msg) in messages.iter().enumerate() {
        let id = msg.message_id.as_str();
        let raw: serde_json::Value = match msg.body.parse() {
            Ok(v) => v,
            Err(e) => {
                rejected.push((
                    i,
                    format!("message {id} is not JSON ({e}); completed without retry"),
                ));
                continue;
            }
        };
        match events::parse_event(&raw) {
            Ok(event) => parsed.push((i, raw, event)),
            Err(e) => rejected.push((
                i,
                format!("message {id} is not a valid event: {e}; completed without retry"),
            )),
        }
    }
    if let ServiceBusDelivery::One(_) = delivery {
        if let Some((_, reason)) = rejected.pop() {
            return Err(TriggerError::Permanent(reason));
        }
    }
    for (_, reason) in &rejected {
        tracing::warn!(%reason, "agent event rejected");
    }
    if let Some(run_id) = parsed.first().and_then(|(_, _, e)| e.run_id()) {
        crate::telemetry::record_run_id(&run_id);
    }
    let deliveries: Vec<Delivery<'_>> = parsed
        .iter()
        .map(|(i, raw, event)| Delivery {
            message_id: &messages[*i].message_id,
            event,
            raw,
        })
        .collect();
    let outcomes = events::ingest(&state.store, &state.runs, &deliveries, chrono::Utc::now())
        .await
        .map_err(|e| {
            let what = match &delivery {
                ServiceBusDelivery::One(m) => format!("archiving message {}", m.message_id),
                ServiceBusDelivery::Batch(ms) => format!("archiving a batch of {}", ms.len()),
            };
            store_failure(&what, e)
        })?;
    let mut results = Vec::with_capacity(messages.len());
    for ((i, _, event), outcome) in parsed.iter().zip(&outcomes) {
        let (label, detail) = match outcome {
            IngestOutcome::Recorded { run_id } => ("recorded", run_id.to_string()),
            IngestOutcome::Duplicate { run_id } => ("duplicate", run_id.to_string()),
            IngestOutcome::Ignored { reason } => ("ignored", reason.clone()),
            IngestOutcome::Skipped { event_type } => {
                ("skipped", format!("unknown event type {event_type}"))
            }
        };
        let msg = &messages[*i];
        tracing::debug!(message_id = %msg.message_id, event_type = event.event_type(), outcome = label, %detail, delivery_count = msg.delivery_count, "agent event");
        results.push(json!({
            "outcome": label,
            "message_id": msg.message_id,
            "event_type": event.event_type(),
            "detail": detail,
        }));
    }
    if let ServiceBusDelivery::One(_) = delivery {
        let result = results.pop().expect("one outcome");
        tracing::info!(message_id = %result["message_id"], outcome = %result["outcome"], "agent event");
        return Ok(InvocationResponse::new().returning(result));
    }
    for (i, reason) in rejected {
        results.push(json!({
            "outcome": "rejected",
            "message_id": messages[i].message_id,
            "reason": reason,
        }));
    }
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for r in &results {
        *counts
            .entry(r["outcome"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    tracing::info!(messages = messages.len(), ?counts, "agent event batch");
    Ok(InvocationResponse::new().returning(json!({
        "outcome": "batch",
        "messages": messages.len(),
        "counts": counts,
        "results": results,
    })))
}
