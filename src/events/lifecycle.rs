//! The orchestrator's own lifecycle events: `run_started`, `phase_changed`, `scenario_provisioned`,
//! `scenario_failed` and `cleanup_complete`, in the event schema (version
//! [`EVENT_SCHEMA_VERSION`]). Each is archived under its run, so `haymaker logs` shows it, and
//! published to the topic when Service Bus is configured; a publish failure is logged, never fatal.
//!
//! Message ids are deterministic (`run-{run_id}-…`), so recording the same step twice — a retried
//! invocation — has no second effect in the archive, and ingesting the published copy back from the
//! topic is a duplicate.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::archive::{blob_name, event_key, ArchivedEvent};
use super::bus::{BusConfig, EventPublisher};
use super::journal::ArchiveBlob;
use super::schema::EVENT_SCHEMA_VERSION;
use crate::config::Settings;
use crate::run::Phase;
use crate::store::{StateStore, StoreError};

/// How long a publish may take before it is given up (and logged).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// One lifecycle step of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Lifecycle {
    RunStarted {
        size: String,
        duration_hours: f64,
        trigger: String,
    },
    PhaseChanged {
        from: Phase,
        to: Phase,
    },
    ScenarioProvisioned {
        scenario: String,
    },
    ScenarioFailed {
        scenario: String,
        reason: String,
    },
    /// The run's cleanup finished; `summary` says what it did (e.g. "41 deleted, 0 failed").
    CleanupComplete {
        summary: String,
    },
}

impl Lifecycle {
    pub fn event_type(&self) -> &'static str {
        match self {
            Lifecycle::RunStarted { .. } => "run_started",
            Lifecycle::PhaseChanged { .. } => "phase_changed",
            Lifecycle::ScenarioProvisioned { .. } => "scenario_provisioned",
            Lifecycle::ScenarioFailed { .. } => "scenario_failed",
            Lifecycle::CleanupComplete { .. } => "cleanup_complete",
        }
    }

    /// The message id: one per run and step.
    pub fn message_id(&self, run_id: Uuid) -> String {
        let step = match self {
            Lifecycle::RunStarted { .. } => "started".to_string(),
            Lifecycle::PhaseChanged { from, to } => {
                format!("phase-{}-{}", phase_name(*from), phase_name(*to))
            }
            Lifecycle::ScenarioProvisioned { scenario } => format!("provisioned-{scenario}"),
            Lifecycle::ScenarioFailed { scenario, .. } => format!("failed-{scenario}"),
            Lifecycle::CleanupComplete { .. } => "cleanup-complete".to_string(),
        };
        // Service Bus message ids are at most 128 characters; blob_name hashes anything unusual.
        blob_name(&format!("run-{run_id}-{step}"))
    }

    /// The event as published and archived.
    pub fn body(&self, run_id: Uuid, now: DateTime<Utc>) -> Value {
        let mut body = json!({
            "event_type": self.event_type(),
            "schema_version": EVENT_SCHEMA_VERSION,
            "run_id": run_id,
            "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        let fields = match self {
            Lifecycle::RunStarted {
                size,
                duration_hours,
                trigger,
            } => json!({"source": "orchestrator",
                        "message": format!("run started (size {size}, {duration_hours} h, by {trigger})"),
                        "details": {"size": size, "duration_hours": duration_hours, "trigger": trigger}}),
            Lifecycle::PhaseChanged { from, to } => json!({"source": "orchestrator",
                        "from": from, "to": to,
                        "message": format!("phase {} → {}", phase_name(*from), phase_name(*to))}),
            Lifecycle::ScenarioProvisioned { scenario } => json!({"source": "orchestrator",
                        "scenario_name": scenario, "message": "scenario provisioned"}),
            Lifecycle::ScenarioFailed { scenario, reason } => json!({"source": "orchestrator",
                        "scenario_name": scenario, "reason": reason,
                        "message": format!("scenario failed: {reason}")}),
            // The agents' `cleanup_complete` shape (a log event), for the whole run.
            Lifecycle::CleanupComplete { summary } => json!({"scenario_name": "orchestrator",
                        "severity": "info", "message": summary}),
        };
        if let (Some(b), Value::Object(f)) = (body.as_object_mut(), fields) {
            b.extend(f);
        }
        body
    }
}

fn phase_name(p: Phase) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{p:?}"))
}

/// Records lifecycle events: into the run's archive, and onto the topic when a publisher is set.
#[derive(Debug, Clone)]
pub struct LifecycleRecorder {
    store: StateStore,
    publisher: Option<Arc<EventPublisher>>,
}

impl LifecycleRecorder {
    /// Archive only (no Service Bus).
    pub fn archive_only(store: StateStore) -> Self {
        Self {
            store,
            publisher: None,
        }
    }

    pub fn new(store: StateStore, publisher: Option<Arc<EventPublisher>>) -> Self {
        Self { store, publisher }
    }

    /// Publishes when Service Bus is configured (`ServiceBusConnection` or its namespace); a
    /// configuration that does not load is logged and publishing left off.
    pub fn from_settings(settings: &Settings, store: StateStore) -> Self {
        let sb = &settings.service_bus;
        let publisher = if sb.connection_string.is_some() || sb.namespace.is_some() {
            match BusConfig::from_settings(settings) {
                Ok(config) => Some(Arc::new(EventPublisher::new(config))),
                Err(e) => {
                    tracing::warn!(error = %e, "Service Bus settings do not load; lifecycle events are archived only");
                    None
                }
            }
        } else {
            None
        };
        Self { store, publisher }
    }

    /// Archives `step` of `run_id` (create-only; a second record of the same step changes nothing)
    /// and publishes it. Returns the message id. Only the archive can fail the call.
    pub async fn record(
        &self,
        run_id: Uuid,
        step: Lifecycle,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let message_id = step.message_id(run_id);
        let body = step.body(run_id, now);
        let archived = ArchivedEvent {
            message_id: message_id.clone(),
            event_type: step.event_type().to_string(),
            received_at: now,
            event: body.clone(),
        };
        match self
            .store
            .create_json(&event_key(run_id, &message_id), &archived)
            .await
        {
            Ok(_) | Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        // Also when it was there: an earlier record may have stopped between the two writes.
        let blob = ArchiveBlob::Event(blob_name(&message_id));
        super::journal::append(&self.store, run_id, blob).await?;
        if let Some(publisher) = &self.publisher {
            let run = run_id.to_string();
            let props = [("run_id", run.as_str()), ("event_type", step.event_type())];
            let sent = tokio::time::timeout(
                PUBLISH_TIMEOUT,
                publisher.publish(&message_id, &body, &props),
            )
            .await;
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(%message_id, error = %e, "lifecycle event not published (archived)")
                }
                Err(_) => {
                    tracing::warn!(%message_id, "lifecycle event not published within {PUBLISH_TIMEOUT:?} (archived)")
                }
            }
        }
        tracing::info!(%run_id, event_type = step.event_type(), "lifecycle event");
        Ok(message_id)
    }

    pub async fn run_started(
        &self,
        run_id: Uuid,
        size: &str,
        duration_hours: f64,
        trigger: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let step = Lifecycle::RunStarted {
            size: size.into(),
            duration_hours,
            trigger: trigger.into(),
        };
        self.record(run_id, step, now).await
    }

    pub async fn phase_changed(
        &self,
        run_id: Uuid,
        from: Phase,
        to: Phase,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        self.record(run_id, Lifecycle::PhaseChanged { from, to }, now)
            .await
    }

    pub async fn scenario_provisioned(
        &self,
        run_id: Uuid,
        scenario: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let step = Lifecycle::ScenarioProvisioned {
            scenario: scenario.into(),
        };
        self.record(run_id, step, now).await
    }

    pub async fn scenario_failed(
        &self,
        run_id: Uuid,
        scenario: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let step = Lifecycle::ScenarioFailed {
            scenario: scenario.into(),
            reason: reason.into(),
        };
        self.record(run_id, step, now).await
    }

    pub async fn cleanup_complete(
        &self,
        run_id: Uuid,
        summary: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let step = Lifecycle::CleanupComplete {
            summary: summary.into(),
        };
        self.record(run_id, step, now).await
    }
}
