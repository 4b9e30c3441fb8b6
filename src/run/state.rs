//! The run's own document, `execution-state/runs/{run_id}/state.json`: its phase, what validation
//! found, each scenario's progress (principal, secret, roles, agent), the cleanup checkpoint summary,
//! errors, and the leases of dispatched work. Every field added after the first release has a serde
//! default, so older documents still read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Phase, StartTrigger};

/// A scenario's state as the monitoring contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioStatus {
    Pending,
    Running,
    Completed,
    Failed,
    CleanupComplete,
}

impl ScenarioStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioStatus::Pending => "pending",
            ScenarioStatus::Running => "running",
            ScenarioStatus::Completed => "completed",
            ScenarioStatus::Failed => "failed",
            ScenarioStatus::CleanupComplete => "cleanup_complete",
        }
    }
}

/// How far provisioning of one scenario got; each step is recorded once it is done, so a retry
/// resumes after it. Ordered: a later step implies the earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionStep {
    #[default]
    NotStarted,
    ResourceGroup,
    Application,
    ServicePrincipal,
    Secret,
    Roles,
    RolesEffective,
    ContainerApp,
}

/// The scenario's service principal (ids only; the password lives in Key Vault alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalRecord {
    pub display_name: String,
    /// The application's object id (what Graph deletes).
    pub application_object_id: String,
    /// The application (client) id.
    pub app_id: String,
    /// The service principal's object id (what role assignments name).
    #[serde(default)]
    pub principal_object_id: Option<String>,
}

/// One selected scenario and everything made for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRecord {
    pub name: String,
    pub area: String,
    pub subscription: String,
    pub resource_group: String,
    pub status: ScenarioStatus,
    #[serde(default)]
    pub step: ProvisionStep,
    #[serde(default)]
    pub principal: Option<PrincipalRecord>,
    /// Key Vault secret holding the principal's password.
    pub secret_name: String,
    #[serde(default)]
    pub role_assignment_ids: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    pub container_app_name: String,
    #[serde(default)]
    pub container_app_id: Option<String>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why the scenario failed, or the last transient problem.
    #[serde(default)]
    pub error: Option<String>,
    /// Provisioning attempts that ended in an error.
    #[serde(default)]
    pub attempts: u32,
    /// The agent's last observed state (`Running`, `Stopped`, …) and when it was read.
    #[serde(default)]
    pub agent_state: Option<String>,
    #[serde(default)]
    pub checked_at: Option<DateTime<Utc>>,
}

impl ScenarioRecord {
    /// A scenario as selection records it: pending, nothing made yet.
    pub fn pending(
        name: &str,
        area: &str,
        subscription: &str,
        resource_group: String,
        secret_name: String,
        container_app_name: String,
    ) -> Self {
        Self {
            name: name.to_string(),
            area: area.to_string(),
            subscription: subscription.to_string(),
            resource_group,
            status: ScenarioStatus::Pending,
            step: ProvisionStep::NotStarted,
            principal: None,
            secret_name,
            role_assignment_ids: vec![],
            roles: vec![],
            container_app_name,
            container_app_id: None,
            started_at: None,
            ended_at: None,
            error: None,
            attempts: 0,
            agent_state: None,
            checked_at: None,
        }
    }
}

/// The outcome of one validation check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: String,
    pub passed: bool,
    pub detail: String,
}

/// An error recorded against the run (the contract's `ExecutionError`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    pub timestamp: DateTime<Utc>,
    pub error_code: String,
    pub message: String,
    #[serde(default)]
    pub scenario_name: Option<String>,
    #[serde(default)]
    pub phase: Option<Phase>,
}

/// Cleanup progress as the run document keeps it (the engine's own checkpoint holds the detail).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CleanupState {
    /// Subscriptions whose resources are verified gone.
    #[serde(default)]
    pub subscriptions_done: Vec<String>,
    /// Subscription → the last failure, while it is being retried.
    #[serde(default)]
    pub subscription_errors: BTreeMap<String, String>,
    /// Principals, applications, role assignments and secrets verified gone.
    #[serde(default)]
    pub identities_done: bool,
    #[serde(default)]
    pub identities_error: Option<String>,
    /// Identity cleanup + verification attempts so far.
    #[serde(default)]
    pub identity_attempts: u32,
}

/// `execution-state/runs/{run_id}/state.json`: the run's phase machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub run_id: Uuid,
    pub phase: Phase,
    pub trigger: StartTrigger,
    /// Scenarios to select (`small`, `medium`, `large` or a number).
    pub size: String,
    pub duration_hours: f64,
    pub started_at: DateTime<Utc>,
    pub scheduled_end_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub phase_started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub validation: Vec<CheckResult>,
    /// Target subscriptions at selection: where scenarios run and cleanup sweeps.
    #[serde(default)]
    pub subscriptions: Vec<String>,
    #[serde(default)]
    pub scenarios: Vec<ScenarioRecord>,
    #[serde(default)]
    pub cleanup: CleanupState,
    #[serde(default)]
    pub errors: Vec<RunError>,
    /// Work unit key → when it was last handed to the queue (see `plan::LEASE`).
    #[serde(default)]
    pub leases: BTreeMap<String, DateTime<Utc>>,
    /// Azure calls the pipeline retried for this run's invocations (throttling, 5xx, broken
    /// connections), summed as each invocation ends; an invocation that dies takes its count along.
    #[serde(default)]
    pub azure_retries: u64,
}

impl RunState {
    /// A fresh run in validation.
    pub fn new(
        run_id: Uuid,
        trigger: StartTrigger,
        size: String,
        duration_hours: f64,
        started_at: DateTime<Utc>,
        scheduled_end_at: DateTime<Utc>,
    ) -> Self {
        Self {
            run_id,
            phase: Phase::Validation,
            trigger,
            size,
            duration_hours,
            started_at,
            scheduled_end_at,
            updated_at: started_at,
            phase_started_at: Some(started_at),
            ended_at: None,
            validation: Vec::new(),
            subscriptions: Vec::new(),
            scenarios: Vec::new(),
            cleanup: CleanupState::default(),
            errors: Vec::new(),
            leases: BTreeMap::new(),
            azure_retries: 0,
        }
    }

    pub fn scenario(&self, name: &str) -> Option<&ScenarioRecord> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    pub fn scenario_mut(&mut self, name: &str) -> Option<&mut ScenarioRecord> {
        self.scenarios.iter_mut().find(|s| s.name == name)
    }

    /// How many scenarios are in `status`.
    pub fn count(&self, status: ScenarioStatus) -> u32 {
        self.scenarios.iter().filter(|s| s.status == status).count() as u32
    }

    /// Moves to `phase`, stamping the time; the lease table is cleared (leases are per phase).
    pub fn enter(&mut self, phase: Phase, now: DateTime<Utc>) {
        self.phase = phase;
        self.phase_started_at = Some(now);
        self.updated_at = now;
        self.leases.clear();
        if phase.is_terminal() {
            self.ended_at.get_or_insert(now);
        }
    }

    /// Records an error against the run.
    pub fn record_error(
        &mut self,
        now: DateTime<Utc>,
        code: &str,
        message: impl Into<String>,
        scenario: Option<&str>,
    ) {
        self.errors.push(RunError {
            timestamp: now,
            error_code: code.to_string(),
            message: message.into(),
            scenario_name: scenario.map(str::to_string),
            phase: Some(self.phase),
        });
    }
}
