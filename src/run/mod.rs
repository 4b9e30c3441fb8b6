//! The run: its documents in the state store and the decisions over them. Decisions are pure functions
//! of (state, observations); the `apply` functions do the I/O.
//!
//! | module | what it is for |
//! |---|---|
//! | [`start`] | starting a run: exactly one active, by a compare-and-swap of the status document |
//! | [`state`] | the run document: phase, scenarios, principals, agents, cleanup, errors, leases |
//! | [`plan`] | the pure tick decision: inline step, phase move, units to dispatch |
//! | [`work`] | the queue's units of fan-out work |
//! | [`names`] | deterministic names and the three tags of everything a run creates |
//! | [`schedule`] | the next scheduled start |
//!
//! The I/O that carries the decisions out is in [`crate::orchestrator`].

pub mod names;
pub mod plan;
mod schedule;
mod start;
pub mod state;
pub mod work;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::store::{BlobKey, Container, StoreError};

pub use plan::{apply_plan, plan_tick, Inline, Policy, TickPlan};
pub use schedule::next_scheduled_run;
pub use start::{
    check_duration_hours, decide_start, start_run, start_run_with, RunRequest, StartOutcome,
    StartTrigger, MAX_RUN_HOURS,
};
pub use state::{
    CheckResult, CleanupState, PrincipalRecord, ProvisionStep, RunError, RunState, ScenarioRecord,
    ScenarioStatus,
};
pub use work::WorkUnit;

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Validation,
    Selection,
    Provisioning,
    Monitoring,
    Cleanup,
    Reporting,
    Completed,
    Failed,
    Cancelled,
}

impl Phase {
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Completed | Phase::Failed | Phase::Cancelled)
    }
}

/// `idle` between runs, `running` while one is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrchestratorState {
    Idle,
    Running,
    Error,
}

/// `execution-state/current_status.json`: what `GET /api/v1/status` shows, and the single-active-run
/// guard (a run starts only by a compare-and-swap of this document from idle to running).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentStatus {
    pub status: OrchestratorState,
    pub current_run_id: Option<Uuid>,
    pub started_at: Option<DateTime<Utc>>,
    pub scheduled_end_at: Option<DateTime<Utc>>,
    pub phase: Option<Phase>,
    pub scenarios_count: Option<u32>,
    pub scenarios_completed: Option<u32>,
    pub scenarios_running: Option<u32>,
    pub scenarios_failed: Option<u32>,
    /// The most recent run, active or not.
    pub last_run_id: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

impl CurrentStatus {
    pub fn idle(now: DateTime<Utc>) -> Self {
        Self {
            status: OrchestratorState::Idle,
            current_run_id: None,
            started_at: None,
            scheduled_end_at: None,
            phase: None,
            scenarios_count: None,
            scenarios_completed: None,
            scenarios_running: None,
            scenarios_failed: None,
            last_run_id: None,
            updated_at: now,
        }
    }

    /// The active run, if any.
    pub fn active_run(&self) -> Option<Uuid> {
        match (self.status, self.current_run_id, self.phase) {
            (OrchestratorState::Running, Some(id), Some(p)) if !p.is_terminal() => Some(id),
            (OrchestratorState::Running, Some(id), None) => Some(id),
            _ => None,
        }
    }
}

/// Where each document lives (see docs/STATE.md).
pub mod keys {
    use super::*;

    pub fn current_status() -> BlobKey {
        BlobKey::new(Container::State, "current_status.json").expect("static key")
    }

    pub fn run_state(run_id: Uuid) -> BlobKey {
        BlobKey::new(Container::State, format!("runs/{run_id}/state.json")).expect("uuid key")
    }

    pub fn report(run_id: Uuid) -> BlobKey {
        BlobKey::new(Container::Reports, format!("{run_id}/report.json")).expect("uuid key")
    }

    pub fn cleanup_report(run_id: Uuid) -> BlobKey {
        BlobKey::new(Container::Reports, format!("{run_id}/cleanup-report.json")).expect("uuid key")
    }

    pub fn resources(run_id: Uuid) -> BlobKey {
        BlobKey::new(Container::Reports, format!("{run_id}/resources.json")).expect("uuid key")
    }
}

/// Reads the orchestrator status; idle when nothing was ever written.
pub async fn read_status(
    store: &crate::store::StateStore,
    now: DateTime<Utc>,
) -> Result<CurrentStatus, StoreError> {
    Ok(store
        .read_json::<CurrentStatus>(&keys::current_status())
        .await?
        .map(|(s, _)| s)
        .unwrap_or_else(|| CurrentStatus::idle(now)))
}
