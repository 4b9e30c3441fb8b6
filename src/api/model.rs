//! The contract's answer schemas (`../shared/contracts/monitoring-api.openapi.yaml`) as types. A field
//! the contract does not mark nullable is left out rather than sent as `null`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::events::ResourceStatus;
use crate::run::ScenarioStatus;

/// `RunSummary.status` / `RunDetails.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Completed,
    InProgress,
    Failed,
}

/// `RunSummary.cleanup_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunCleanupStatus {
    Verified,
    Partial,
    Failed,
    Pending,
}

/// `ScenarioSummary.cleanup_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioCleanupStatus {
    Pending,
    InProgress,
    Complete,
    Failed,
}

/// `ScenarioDetails.phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioPhase {
    Deployment,
    Operations,
    Cleanup,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pagination {
    pub page: u32,
    pub page_size: u32,
    pub total_items: u64,
    pub total_pages: u64,
    pub has_next: bool,
    pub has_previous: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    pub scenarios_count: u32,
    pub scenarios_completed: u32,
    pub scenarios_failed: u32,
    pub resources_created: u64,
    pub cleanup_status: RunCleanupStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunsListResponse {
    pub runs: Vec<RunSummary>,
    pub pagination: Pagination,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CleanupVerification {
    pub expected_deleted: u64,
    pub actually_deleted: u64,
    pub forced_deletions: u64,
    #[serde(default)]
    pub deletion_failures: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionError {
    pub timestamp: DateTime<Utc>,
    pub error_code: String,
    pub message: String,
    #[serde(default)]
    pub scenario_name: Option<String>,
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub details: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    pub scenario_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technology_area: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_name: Option<String>,
    pub status: ScenarioStatus,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resources_created: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_status: Option<ScenarioCleanupStatus>,
}

/// `RunDetails.phase`: the run's phases, with every end shown as `completed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetailsPhase {
    Validation,
    Selection,
    Provisioning,
    Monitoring,
    Cleanup,
    Reporting,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetails {
    pub run_id: Uuid,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<DetailsPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation_size: Option<String>,
    pub scenarios: Vec<ScenarioSummary>,
    #[serde(default)]
    pub total_resources: u64,
    #[serde(default)]
    pub total_service_principals: u64,
    pub cleanup_verification: CleanupVerification,
    #[serde(default)]
    pub errors: Vec<ExecutionError>,
    /// When each phase began, as far as the run document knows (not in the contract; the
    /// dashboard's timeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_end_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenariosListResponse {
    pub run_id: Uuid,
    pub scenarios: Vec<ScenarioSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    pub scenario_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub status: ResourceStatus,
    pub deletion_attempts: u32,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioDetails {
    pub scenario_name: String,
    pub run_id: Uuid,
    pub technology_area: String,
    pub agent_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_app_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_id: Option<Uuid>,
    pub status: ScenarioStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<u64>,
    pub phase: Option<ScenarioPhase>,
    pub resources: Vec<Resource>,
    pub errors: Vec<ExecutionError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourcesListResponse {
    pub run_id: Uuid,
    pub resources: Vec<Resource>,
    pub pagination: Pagination,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePrincipal {
    pub sp_name: String,
    pub sp_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    pub scenario_name: String,
    pub deleted_at: Option<DateTime<Utc>>,
    pub status: ResourceStatus,
    pub roles_assigned: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePrincipalsListResponse {
    pub run_id: Uuid,
    pub service_principals: Vec<ServicePrincipal>,
}

/// `LogEntry.event_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogEventType {
    AgentStarted,
    ResourceCreated,
    Operation,
    CleanupComplete,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub timestamp: DateTime<Utc>,
    pub event_type: LogEventType,
    pub scenario_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    pub message: String,
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    pub severity: crate::events::Severity,
    pub details: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogsListResponse {
    pub run_id: Uuid,
    pub logs: Vec<LogEntry>,
    pub pagination: Pagination,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub period: String,
    pub total_runs: u64,
    pub successful_runs: u64,
    pub failed_runs: u64,
    pub total_scenarios_executed: u64,
    pub total_resources_created: u64,
    pub total_resources_deleted: u64,
    pub cleanup_success_rate: f64,
    pub average_execution_duration_seconds: u64,
    pub average_resources_per_scenario: f64,
}
