//! The agent's events, in the event schema ([`crate::events::schema`], version
//! [`EVENT_SCHEMA_VERSION`]): `agent_started`, `operation`, `error`, `cleanup_complete` (log events)
//! and `resource_created` / `resource_deleted` / `resource_deletion_failed` (resource events).
//! Each gets its own message id, so a redelivered or re-sent copy is recognisable. Published on the
//! topic through [`EventPublisher`]; a failed publish is logged (never with a secret) and the run
//! goes on.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::events::bus::EventPublisher;
use crate::events::schema::{Severity, EVENT_SCHEMA_VERSION};
use crate::run::names;

use super::exec::Redactor;
use super::resources::ResourceRef;

/// How long one publish may take before it is given up (and logged).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(15);

/// Where events go.
#[async_trait]
pub trait EventSink: Send + Sync {
    /// Sends one event; an error is a sentence (already free of secrets).
    async fn send(&self, message_id: &str, event_type: &str, body: &Value) -> Result<(), String>;
}

/// The Service Bus topic.
pub struct BusSink {
    pub publisher: Arc<EventPublisher>,
    pub run_id: Uuid,
}

#[async_trait]
impl EventSink for BusSink {
    async fn send(&self, message_id: &str, event_type: &str, body: &Value) -> Result<(), String> {
        let run = self.run_id.to_string();
        let props = [("run_id", run.as_str()), ("event_type", event_type)];
        match tokio::time::timeout(
            PUBLISH_TIMEOUT,
            self.publisher.publish(message_id, body, &props),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {}s", PUBLISH_TIMEOUT.as_secs())),
        }
    }
}

/// A resource event's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceEventKind {
    Created,
    Deleted,
    DeletionFailed,
}

impl ResourceEventKind {
    fn event_type(self) -> &'static str {
        match self {
            Self::Created => "resource_created",
            Self::Deleted => "resource_deleted",
            Self::DeletionFailed => "resource_deletion_failed",
        }
    }
}

/// A log event's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogEventKind {
    AgentStarted,
    Operation,
    Error,
    CleanupComplete,
}

impl LogEventKind {
    fn event_type(self) -> &'static str {
        match self {
            Self::AgentStarted => "agent_started",
            Self::Operation => "operation",
            Self::Error => "error",
            Self::CleanupComplete => "cleanup_complete",
        }
    }
}

/// Builds and sends this agent's events.
pub struct Reporter {
    sink: Arc<dyn EventSink>,
    run_id: Uuid,
    scenario: String,
    agent_id: String,
    redactor: Redactor,
    sent: std::sync::atomic::AtomicU64,
}

impl Reporter {
    pub fn new(sink: Arc<dyn EventSink>, run_id: Uuid, scenario: &str, redactor: Redactor) -> Self {
        Self {
            sink,
            run_id,
            scenario: scenario.to_string(),
            agent_id: format!("agent-{}-{scenario}", names::short_run(run_id)),
            redactor,
            sent: Default::default(),
        }
    }

    fn base(&self, event_type: &str) -> Value {
        json!({
            "event_type": event_type,
            "schema_version": EVENT_SCHEMA_VERSION,
            "run_id": self.run_id,
            "scenario_name": self.scenario,
            "timestamp": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        })
    }

    async fn send(&self, event_type: &str, body: Value) {
        // Unique per event; the publisher re-sends a lost message under the same id.
        let message_id = format!("agent-{}", Uuid::new_v4());
        let body: Value = match serde_json::to_string(&body) {
            Ok(text) => serde_json::from_str(&self.redactor.text(&text)).unwrap_or(body),
            Err(_) => body,
        };
        match self.sink.send(&message_id, event_type, &body).await {
            Ok(()) => {
                self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(%message_id, event_type, "event published");
            }
            Err(e) => tracing::warn!(%message_id, event_type, error = %e, "event not published"),
        }
    }

    /// How many events were published.
    pub fn published(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn log(
        &self,
        kind: LogEventKind,
        severity: Severity,
        message: &str,
        details: Option<Value>,
    ) {
        let mut body = self.base(kind.event_type());
        body["severity"] = json!(severity);
        body["message"] = json!(message);
        body["agent_id"] = json!(self.agent_id);
        if let Some(d) = details {
            body["details"] = d;
        }
        self.send(kind.event_type(), body).await;
    }

    pub async fn resource(
        &self,
        kind: ResourceEventKind,
        r: &ResourceRef,
        deletion: Option<(u32, Option<String>)>,
    ) {
        let mut body = self.base(kind.event_type());
        body["resource_id"] = json!(r.id);
        body["resource_type"] = json!(r.resource_type);
        body["resource_name"] = json!(r.name);
        if kind == ResourceEventKind::Created {
            body["tags"] = json!(names::tags(self.run_id, &self.scenario));
        }
        if let Some((attempts, error)) = deletion {
            body["deletion_attempts"] = json!(attempts);
            if let Some(e) = error {
                body["deletion_error"] = json!(e);
            }
        }
        self.send(kind.event_type(), body).await;
    }
}
