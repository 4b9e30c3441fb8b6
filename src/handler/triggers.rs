//! The `apply` half of each envelope function.
//!
//! `ScheduledRun` starts runs, `Tick` advances the active one, `Work` carries out queued units and
//! `AgentEvents` archives agents' events; the run's logic is in [`crate::orchestrator`].

use serde_json::json;

use super::error::TriggerError;
use super::invocation::{QueueInvocation, ServiceBusDelivery, TimerInvocation};
use super::response::InvocationResponse;
use super::AppState;
use crate::events::{self, Delivery, IngestOutcome};
use crate::orchestrator::{self, OrchestratorError};
use crate::run::{self, RunRequest, StartOutcome, StartTrigger, WorkUnit};
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

/// `Tick`: the every-minute timer advances the active run: folds new events into the ledger, moves
/// the phase, carries out the short steps, and puts fan-out work on the queue (output `out`).
pub async fn tick(
    state: &AppState,
    timer: TimerInvocation,
) -> Result<InvocationResponse, TriggerError> {
    tracing::debug!(past_due = timer.is_past_due, "tick received");
    let outcome = orchestrator::tick::tick(&state.orchestrator)
        .await
        .map_err(|e| orchestrator_failure("advancing the run", e))?;
    let Some(run_id) = outcome.run_id else {
        return Ok(InvocationResponse::new().returning(json!({"outcome": "idle"})));
    };
    crate::telemetry::record_run_id(&run_id);
    let mut response = InvocationResponse::new();
    for unit in &outcome.dispatch {
        response = response
            .push_output(WORK_OUTPUT, unit)
            .map_err(TriggerError::Permanent)?;
    }
    Ok(response.returning(json!({
        "outcome": "advanced",
        "run_id": run_id,
        "phase": outcome.phase,
        "dispatched": outcome.dispatch.len(),
    })))
}

/// The output binding of `Tick` and `Work` that feeds the `haymaker-work` queue.
pub const WORK_OUTPUT: &str = "out";

/// An orchestrator failure at the trigger edge.
fn orchestrator_failure(what: &str, e: OrchestratorError) -> TriggerError {
    if e.is_retriable() {
        TriggerError::Retriable(format!("{what}: {e}"))
    } else {
        TriggerError::Permanent(format!("{what}: {e}"))
    }
}

/// `Work`: one unit of fan-out work from the `haymaker-work` queue. A unit that cannot be read is
/// completed with the reason; a retriable failure is answered so the host delivers it again.
pub async fn work(
    state: &AppState,
    msg: QueueInvocation,
) -> Result<InvocationResponse, TriggerError> {
    let id = msg.id.as_deref().unwrap_or("(no id)");
    let unit: WorkUnit = msg.body.parse().map_err(|e| {
        TriggerError::Permanent(format!(
            "queue message {id} is not a work unit ({e}); expected {{\"kind\": \"provision\"|\"check_agents\"|\"cleanup_subscription\"|\"cleanup_identities\", \"run_id\": …}}"
        ))
    })?;
    crate::telemetry::record_run_id(&unit.run_id());
    let result = orchestrator::work::execute(&state.orchestrator, &unit)
        .await
        .map_err(|e| orchestrator_failure(&format!("work unit {}", unit.kind()), e))?;
    tracing::info!(kind = unit.kind(), dequeue_count = msg.dequeue_count, %result, "work unit done");
    Ok(InvocationResponse::new()
        .log(format!("{}: {result}", unit.kind()))
        .returning(json!({"outcome": "done", "kind": unit.kind(), "result": result})))
}

/// `AgentEvents`: one message or a batch from the `agent-logs` topic, archived idempotently (see
/// [`events::ingest`]). Invalid JSON or an invalid event is completed (2xx) with the reason logged —
/// in a batch, the others are still archived; a store failure fails the invocation and the host
/// redelivers it (nothing is doubled). Newly archived events are then forwarded to Log Analytics
/// when configured (best effort: a failure is logged, the archive is the record).
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
    let now = chrono::Utc::now();
    let outcomes = events::ingest(&state.store, &state.runs, &deliveries, now)
        .await
        .map_err(|e| {
            let what = match &delivery {
                ServiceBusDelivery::One(m) => format!("archiving message {}", m.message_id),
                ServiceBusDelivery::Batch(ms) => format!("archiving a batch of {}", ms.len()),
            };
            store_failure(&what, e)
        })?;
    if let Some(forwarder) = &state.log_forwarder {
        forwarder
            .forward_accepted(&deliveries, &outcomes, now)
            .await;
    }
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
