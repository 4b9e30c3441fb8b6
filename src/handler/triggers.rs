//! The `apply` half of each envelope function.
//!
//! Status: these validate their input, log, and answer success. Starting and advancing runs (state
//! store and orchestrator issues), executing work units and ingesting agent events (events issue) are
//! not wired in yet; until they are, nothing here claims to do them.

use serde::Deserialize;
use serde_json::json;

use super::error::TriggerError;
use super::invocation::{QueueInvocation, ServiceBusInvocation, TimerInvocation};
use super::response::InvocationResponse;
use super::AppState;

/// `ScheduledRun`: the four-times-a-day timer.
pub async fn scheduled_run(
    state: &AppState,
    timer: TimerInvocation,
) -> Result<InvocationResponse, TriggerError> {
    let size = state.settings.simulation_size;
    tracing::info!(
        past_due = timer.is_past_due,
        next = ?timer.next,
        %size,
        "scheduled run trigger received (run start not wired yet)"
    );
    Ok(InvocationResponse::new()
        .log(format!("scheduled run trigger received (size {size})"))
        .returning(json!({"outcome": "accepted", "size": size.to_string()})))
}

/// `Tick`: the every-minute timer.
pub async fn tick(
    _state: &AppState,
    timer: TimerInvocation,
) -> Result<InvocationResponse, TriggerError> {
    tracing::debug!(past_due = timer.is_past_due, "tick received");
    Ok(InvocationResponse::new().returning(json!({"outcome": "accepted"})))
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

/// `AgentEvents`: one message from the `agent-logs` topic.
pub async fn agent_events(
    _state: &AppState,
    msg: ServiceBusInvocation,
) -> Result<InvocationResponse, TriggerError> {
    let event: serde_json::Value = msg.body.parse().map_err(|e| {
        TriggerError::Permanent(format!(
            "message {} is not JSON ({e}); completed without retry",
            msg.message_id
        ))
    })?;
    let event_type = event
        .get("event_type")
        .and_then(|v| v.as_str())
        .unwrap_or("(none)");
    tracing::info!(message_id = %msg.message_id, %event_type, delivery_count = msg.delivery_count, "agent event received");
    Ok(InvocationResponse::new().returning(json!({
        "outcome": "accepted",
        "message_id": msg.message_id,
        "event_type": event_type,
    })))
}
