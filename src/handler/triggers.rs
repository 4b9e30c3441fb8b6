//! The `apply` half of each envelope function.
//!
//! Status: `ScheduledRun` starts runs, `AgentEvents` archives agents' events and `Tick` compacts the
//! active run's ledger. `Work` validates its input, logs, and answers success: advancing runs and
//! executing work units (orchestrator issue) are not wired in yet, and nothing here claims to do them.

use serde::Deserialize;
use serde_json::json;

use super::error::TriggerError;
use super::invocation::{QueueInvocation, ServiceBusInvocation, TimerInvocation};
use super::response::InvocationResponse;
use super::AppState;
use crate::events::{self, IngestOutcome};
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
    let outcome = run::start_run(&state.store, &request, now)
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

/// `AgentEvents`: one message from the `agent-logs` topic, archived idempotently by message id.
/// Invalid JSON or an invalid event is completed (2xx) with the reason logged; a store failure is
/// retried by the host.
pub async fn agent_events(
    state: &AppState,
    msg: ServiceBusInvocation,
) -> Result<InvocationResponse, TriggerError> {
    let id = msg.message_id.as_str();
    let raw: serde_json::Value = msg.body.parse().map_err(|e| {
        TriggerError::Permanent(format!(
            "message {id} is not JSON ({e}); completed without retry"
        ))
    })?;
    let event = events::parse_event(&raw).map_err(|e| {
        TriggerError::Permanent(format!(
            "message {id} is not a valid event: {e}; completed without retry"
        ))
    })?;
    if let Some(run_id) = event.run_id() {
        crate::telemetry::record_run_id(&run_id);
    }
    let outcome = events::ingest_delivery(&state.store, id, &event, &raw, chrono::Utc::now())
        .await
        .map_err(|e| store_failure(&format!("archiving message {id}"), e))?;
    let (label, detail) = match &outcome {
        IngestOutcome::Recorded { run_id } => ("recorded", run_id.to_string()),
        IngestOutcome::Duplicate { run_id } => ("duplicate", run_id.to_string()),
        IngestOutcome::Ignored { reason } => ("ignored", reason.clone()),
        IngestOutcome::Skipped { event_type } => {
            ("skipped", format!("unknown event type {event_type}"))
        }
    };
    tracing::info!(message_id = %id, event_type = event.event_type(), outcome = label, %detail, delivery_count = msg.delivery_count, "agent event");
    Ok(InvocationResponse::new().returning(json!({
        "outcome": label,
        "message_id": id,
        "event_type": event.event_type(),
        "detail": detail,
    })))
}
