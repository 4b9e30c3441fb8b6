//! The events agents publish (schema version 1). Resource events carry what the seed describes
//! (`resource_id, resource_type, resource_name, scenario_name, run_id, timestamp, tags,
//! deletion_error, deletion_attempts`); log events carry a severity and a message.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The newest event schema this build understands.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Error,
}

/// `resource_created`, `resource_deleted`, `resource_deletion_failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceEvent {
    #[serde(default)]
    pub schema_version: Option<u32>,
    pub run_id: Uuid,
    pub scenario_name: String,
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub deletion_error: Option<String>,
    #[serde(default)]
    pub deletion_attempts: Option<u32>,
}

/// `agent_started`, `operation`, `cleanup_complete`, `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEvent {
    #[serde(default)]
    pub schema_version: Option<u32>,
    pub run_id: Uuid,
    pub scenario_name: String,
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    pub severity: Option<Severity>,
    pub message: String,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub details: Option<Value>,
}

/// The orchestrator's own lifecycle events: `run_started`, `phase_changed` (`from`, `to`),
/// `scenario_provisioned` and `scenario_failed` (`scenario_name`, `reason`). (The orchestrator's
/// `cleanup_complete` is a [`LogEvent`], as the agents' is.) Built by [`super::lifecycle`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleEvent {
    #[serde(default)]
    pub schema_version: Option<u32>,
    pub run_id: Uuid,
    pub timestamp: DateTime<Utc>,
    /// Always `orchestrator`.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub scenario_name: Option<String>,
    #[serde(default)]
    pub from: Option<crate::run::Phase>,
    #[serde(default)]
    pub to: Option<crate::run::Phase>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub details: Option<Value>,
}

/// One parsed event.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    ResourceCreated(ResourceEvent),
    ResourceDeleted(ResourceEvent),
    ResourceDeletionFailed(ResourceEvent),
    AgentStarted(LogEvent),
    Operation(LogEvent),
    CleanupComplete(LogEvent),
    Error(LogEvent),
    RunStarted(LifecycleEvent),
    PhaseChanged(LifecycleEvent),
    ScenarioProvisioned(LifecycleEvent),
    ScenarioFailed(LifecycleEvent),
    /// A type this build does not know (a newer agent); skipped, not an error.
    Unknown(String),
}

impl AgentEvent {
    pub fn event_type(&self) -> &str {
        match self {
            AgentEvent::ResourceCreated(_) => "resource_created",
            AgentEvent::ResourceDeleted(_) => "resource_deleted",
            AgentEvent::ResourceDeletionFailed(_) => "resource_deletion_failed",
            AgentEvent::AgentStarted(_) => "agent_started",
            AgentEvent::Operation(_) => "operation",
            AgentEvent::CleanupComplete(_) => "cleanup_complete",
            AgentEvent::Error(_) => "error",
            AgentEvent::RunStarted(_) => "run_started",
            AgentEvent::PhaseChanged(_) => "phase_changed",
            AgentEvent::ScenarioProvisioned(_) => "scenario_provisioned",
            AgentEvent::ScenarioFailed(_) => "scenario_failed",
            AgentEvent::Unknown(t) => t,
        }
    }

    /// The run the event belongs to (none for unknown types).
    pub fn run_id(&self) -> Option<Uuid> {
        self.resource()
            .map(|r| r.run_id)
            .or_else(|| self.log().map(|l| l.run_id))
            .or_else(|| self.lifecycle().map(|l| l.run_id))
    }

    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.resource()
            .map(|r| r.timestamp)
            .or_else(|| self.log().map(|l| l.timestamp))
            .or_else(|| self.lifecycle().map(|l| l.timestamp))
    }

    pub fn resource(&self) -> Option<&ResourceEvent> {
        match self {
            AgentEvent::ResourceCreated(r)
            | AgentEvent::ResourceDeleted(r)
            | AgentEvent::ResourceDeletionFailed(r) => Some(r),
            _ => None,
        }
    }

    pub fn log(&self) -> Option<&LogEvent> {
        match self {
            AgentEvent::AgentStarted(l)
            | AgentEvent::Operation(l)
            | AgentEvent::CleanupComplete(l)
            | AgentEvent::Error(l) => Some(l),
            _ => None,
        }
    }

    pub fn lifecycle(&self) -> Option<&LifecycleEvent> {
        match self {
            AgentEvent::RunStarted(l)
            | AgentEvent::PhaseChanged(l)
            | AgentEvent::ScenarioProvisioned(l)
            | AgentEvent::ScenarioFailed(l) => Some(l),
            _ => None,
        }
    }
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the event is not a JSON object")]
    NotAnObject,
    #[error("the event has no `event_type`")]
    MissingType,
    #[error("`{event_type}` event: {problem}")]
    Invalid { event_type: String, problem: String },
}

/// Parses one event. A missing required field or a malformed id is an error that names it; an
/// unknown `event_type` is [`AgentEvent::Unknown`].
pub fn parse_event(value: &Value) -> Result<AgentEvent, EventError> {
    let obj = value.as_object().ok_or(EventError::NotAnObject)?;
    let event_type = obj
        .get("event_type")
        .and_then(Value::as_str)
        .ok_or(EventError::MissingType)?
        .to_string();
    let mut body = obj.clone();
    body.remove("event_type");
    let body = Value::Object(body);
    let invalid = |problem: String| EventError::Invalid {
        event_type: event_type.clone(),
        problem,
    };
    let resource = || -> Result<ResourceEvent, EventError> {
        let r: ResourceEvent =
            serde_json::from_value(body.clone()).map_err(|e| invalid(e.to_string()))?;
        check_version(r.schema_version).map_err(invalid)?;
        check_resource_id(&r.resource_id).map_err(invalid)?;
        if !r.resource_type.contains('/') {
            return Err(invalid(format!(
                "resource_type `{}` is not Namespace/type",
                r.resource_type
            )));
        }
        if r.scenario_name.trim().is_empty() {
            return Err(invalid("scenario_name is empty".into()));
        }
        Ok(r)
    };
    let log = || -> Result<LogEvent, EventError> {
        let l: LogEvent =
            serde_json::from_value(body.clone()).map_err(|e| invalid(e.to_string()))?;
        check_version(l.schema_version).map_err(invalid)?;
        if let Some(id) = &l.resource_id {
            check_resource_id(id).map_err(invalid)?;
        }
        Ok(l)
    };
    let lifecycle = || -> Result<LifecycleEvent, EventError> {
        let l: LifecycleEvent =
            serde_json::from_value(body.clone()).map_err(|e| invalid(e.to_string()))?;
        check_version(l.schema_version).map_err(invalid)?;
        Ok(l)
    };
    Ok(match event_type.as_str() {
        "resource_created" => AgentEvent::ResourceCreated(resource()?),
        "resource_deleted" => AgentEvent::ResourceDeleted(resource()?),
        "resource_deletion_failed" => AgentEvent::ResourceDeletionFailed(resource()?),
        "agent_started" => AgentEvent::AgentStarted(log()?),
        "operation" => AgentEvent::Operation(log()?),
        "cleanup_complete" => AgentEvent::CleanupComplete(log()?),
        "error" => AgentEvent::Error(log()?),
        "run_started" => AgentEvent::RunStarted(lifecycle()?),
        "phase_changed" => {
            let l = lifecycle()?;
            if l.from.is_none() || l.to.is_none() {
                return Err(invalid("needs `from` and `to` phases".into()));
            }
            AgentEvent::PhaseChanged(l)
        }
        "scenario_provisioned" | "scenario_failed" => {
            let l = lifecycle()?;
            if l.scenario_name
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
            {
                return Err(invalid("needs `scenario_name`".into()));
            }
            if event_type == "scenario_failed" && l.reason.is_none() {
                return Err(invalid("needs `reason`".into()));
            }
            if event_type == "scenario_failed" {
                AgentEvent::ScenarioFailed(l)
            } else {
                AgentEvent::ScenarioProvisioned(l)
            }
        }
        _ => {
            tracing::debug!(%event_type, "unknown event type skipped");
            AgentEvent::Unknown(event_type)
        }
    })
}

fn check_version(v: Option<u32>) -> Result<(), String> {
    match v {
        Some(n) if n > EVENT_SCHEMA_VERSION => Err(format!(
            "schema_version {n} is newer than this haymaker's {EVENT_SCHEMA_VERSION}"
        )),
        _ => Ok(()),
    }
}

/// `/subscriptions/{guid}/resourceGroups/{name}[/providers/{Namespace}/{type}/{name}…]`.
pub fn check_resource_id(id: &str) -> Result<(), String> {
    let bad = || {
        format!("resource_id `{}` is not an ARM id (/subscriptions/{{id}}/resourceGroups/{{name}}/providers/…)", id.chars().take(200).collect::<String>())
    };
    let parts: Vec<&str> = id.split('/').collect();
    if parts.len() < 5
        || !parts[0].is_empty()
        || !parts[1].eq_ignore_ascii_case("subscriptions")
        || Uuid::parse_str(parts[2]).is_err()
        || !parts[3].eq_ignore_ascii_case("resourceGroups")
        || parts[4].is_empty()
    {
        return Err(bad());
    }
    if parts.len() > 5 {
        // providers/{Namespace}/{type}/{name}, then optional {childType}/{childName} pairs
        let rest = &parts[5..];
        let ok = rest.len() >= 4
            && rest[0].eq_ignore_ascii_case("providers")
            && rest[1].contains('.')
            && rest.len().is_multiple_of(2)
            && rest.iter().all(|s| !s.is_empty());
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
