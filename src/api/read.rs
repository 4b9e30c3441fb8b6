//! The queries behind the monitoring API, shared by the HTTP handlers and the CLI (`haymaker status`,
//! `runs`, `resources`): loading a run's documents and turning them into the contract's shapes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use uuid::Uuid;

use super::index::{IndexCache, ResourceIndex};
use super::model::*;
use super::params::{run_not_found, Paging};
use super::ApiError;
use crate::cleanup::CleanupReport;
use crate::run::{keys, Phase, RunState, ScenarioStatus};
use crate::store::{Container, StateStore};

/// The store and the in-memory indexes every query uses. Cheap to clone.
#[derive(Clone)]
pub struct Monitor {
    pub store: StateStore,
    pub cache: Arc<IndexCache>,
}

/// A run's documents as stored.
pub struct RunDocs {
    pub state: RunState,
    pub report: Option<RunDetails>,
    pub cleanup: Option<CleanupReport>,
}

/// Filters of `GET /runs`.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub status: Option<RunStatus>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
}

pub fn run_status(phase: Phase) -> RunStatus {
    match phase {
        Phase::Completed => RunStatus::Completed,
        Phase::Failed | Phase::Cancelled => RunStatus::Failed,
        _ => RunStatus::InProgress,
    }
}

fn details_phase(phase: Phase) -> DetailsPhase {
    match phase {
        Phase::Validation => DetailsPhase::Validation,
        Phase::Selection => DetailsPhase::Selection,
        Phase::Provisioning => DetailsPhase::Provisioning,
        Phase::Monitoring => DetailsPhase::Monitoring,
        Phase::Cleanup => DetailsPhase::Cleanup,
        Phase::Reporting => DetailsPhase::Reporting,
        Phase::Completed | Phase::Failed | Phase::Cancelled => DetailsPhase::Completed,
    }
}

fn cleanup_status(cleanup: Option<&CleanupReport>) -> RunCleanupStatus {
    use crate::cleanup::CleanupStatus as S;
    match cleanup.map(|c| c.status) {
        Some(S::Verified) => RunCleanupStatus::Verified,
        Some(S::Partial) => RunCleanupStatus::Partial,
        Some(S::Failed) => RunCleanupStatus::Failed,
        None => RunCleanupStatus::Pending,
    }
}

impl Monitor {
    pub fn new(store: StateStore) -> Self {
        Self {
            store,
            cache: Arc::new(IndexCache::default()),
        }
    }

    /// The run document, or 404 `RUN_NOT_FOUND`.
    pub async fn state(&self, run_id: Uuid) -> Result<RunState, ApiError> {
        self.store
            .read_json::<RunState>(&keys::run_state(run_id))
            .await?
            .map(|(s, _)| s)
            .ok_or_else(|| run_not_found(run_id))
    }

    pub async fn docs(&self, run_id: Uuid) -> Result<RunDocs, ApiError> {
        let state = self.state(run_id).await?;
        let (report_key, cleanup_key) = (keys::report(run_id), keys::cleanup_report(run_id));
        let (report, cleanup) = futures::try_join!(
            self.store.read_json::<RunDetails>(&report_key),
            self.store.read_json::<CleanupReport>(&cleanup_key),
        )?;
        Ok(RunDocs {
            state,
            report: report.map(|(r, _)| r),
            cleanup: cleanup.map(|(c, _)| c),
        })
    }

    pub async fn index(&self, run_id: Uuid) -> Result<Arc<ResourceIndex>, ApiError> {
        Ok(self.cache.get(&self.store, run_id).await?)
    }

    /// Every run id in the store (a paged listing of `execution-state/runs/`).
    pub async fn run_ids(&self) -> Result<Vec<Uuid>, ApiError> {
        let mut ids = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let page = self
                .store
                .list(Container::State, "runs/", continuation.as_deref(), 1000)
                .await?;
            ids.extend(page.names.iter().filter_map(|n| {
                n.strip_prefix("runs/")
                    .and_then(|r| r.strip_suffix("/state.json"))
                    .and_then(|id| Uuid::parse_str(id).ok())
            }));
            match page.continuation {
                Some(c) => continuation = Some(c),
                None => break,
            }
        }
        Ok(ids)
    }

    pub async fn summary(&self, run_id: Uuid) -> Result<RunSummary, ApiError> {
        let docs = self.docs(run_id).await?;
        let resources = match &docs.report {
            Some(r) if docs.state.phase.is_terminal() => r.total_resources,
            _ => self.index(run_id).await?.resources.len() as u64,
        };
        let s = &docs.state;
        Ok(RunSummary {
            run_id,
            started_at: s.started_at,
            ended_at: s.ended_at,
            status: run_status(s.phase),
            scenarios_count: s.scenarios.len() as u32,
            scenarios_completed: s.count(ScenarioStatus::Completed)
                + s.count(ScenarioStatus::CleanupComplete),
            scenarios_failed: s.count(ScenarioStatus::Failed),
            resources_created: resources,
            cleanup_status: cleanup_status(docs.cleanup.as_ref()),
        })
    }

    /// Every run's summary, newest first.
    pub async fn summaries(&self) -> Result<Vec<RunSummary>, ApiError> {
        let ids = self.run_ids().await?;
        let mut all: Vec<RunSummary> = stream::iter(ids)
            .map(|id| async move {
                match self.summary(id).await {
                    // Listed but gone (deleted in between): not an error.
                    Err(e) if e.code == "RUN_NOT_FOUND" => Ok(None),
                    other => other.map(Some),
                }
            })
            .buffer_unordered(16)
            .try_filter_map(|x| async move { Ok(x) })
            .try_collect()
            .await?;
        all.sort_by(|a, b| {
            b.started_at
                .cmp(&a.started_at)
                .then(b.run_id.cmp(&a.run_id))
        });
        Ok(all)
    }

    pub async fn list_runs(
        &self,
        filter: &RunFilter,
        paging: Paging,
    ) -> Result<RunsListResponse, ApiError> {
        let runs: Vec<RunSummary> = self
            .summaries()
            .await?
            .into_iter()
            .filter(|r| filter.status.is_none_or(|s| s == r.status))
            .filter(|r| filter.start_date.is_none_or(|t| r.started_at >= t))
            .filter(|r| filter.end_date.is_none_or(|t| r.started_at <= t))
            .collect();
        let (range, pagination) = paging.window(runs.len())?;
        Ok(RunsListResponse {
            runs: runs[range].to_vec(),
            pagination,
        })
    }

    /// The run's details: the final report once the run has ended, else built from the run document,
    /// the ledger and the cleanup report.
    pub async fn details(&self, run_id: Uuid) -> Result<RunDetails, ApiError> {
        let docs = self.docs(run_id).await?;
        if let Some(report) = docs.report.filter(|_| docs.state.phase.is_terminal()) {
            let mut report = report;
            report.phase_started_at = docs.state.phase_started_at;
            report.scheduled_end_at = Some(docs.state.scheduled_end_at);
            return Ok(report);
        }
        let index = self.index(run_id).await?;
        let s = &docs.state;
        Ok(RunDetails {
            run_id,
            started_at: s.started_at,
            ended_at: s.ended_at,
            status: run_status(s.phase),
            phase: Some(details_phase(s.phase)),
            simulation_size: matches!(s.size.as_str(), "small" | "medium" | "large")
                .then(|| s.size.clone()),
            scenarios: scenario_summaries(s, &index, docs.cleanup.as_ref()),
            total_resources: index.resources.len() as u64,
            total_service_principals: s.scenarios.iter().filter(|x| x.principal.is_some()).count()
                as u64,
            cleanup_verification: docs
                .cleanup
                .as_ref()
                .map(|c| CleanupVerification {
                    expected_deleted: c.verification.expected_deleted,
                    actually_deleted: c.verification.actually_deleted,
                    forced_deletions: c.verification.forced_deletions,
                    deletion_failures: c.verification.deletion_failures,
                })
                .unwrap_or_default(),
            errors: s.errors.iter().map(execution_error).collect(),
            phase_started_at: s.phase_started_at,
            scheduled_end_at: Some(s.scheduled_end_at),
        })
    }
}

pub fn execution_error(e: &crate::run::RunError) -> ExecutionError {
    ExecutionError {
        timestamp: e.timestamp,
        error_code: e.error_code.clone(),
        message: e.message.clone(),
        scenario_name: e.scenario_name.clone(),
        phase: e
            .phase
            .and_then(|p| serde_json::to_value(p).ok())
            .and_then(|v| v.as_str().map(str::to_string)),
        details: None,
    }
}

/// A scenario's cleanup as the contract names it.
pub fn scenario_cleanup(
    state: &RunState,
    scenario: &crate::run::ScenarioRecord,
    cleanup: Option<&CleanupReport>,
) -> ScenarioCleanupStatus {
    use crate::cleanup::CleanupStatus as S;
    if scenario.status == ScenarioStatus::CleanupComplete {
        return ScenarioCleanupStatus::Complete;
    }
    match (state.phase, cleanup.map(|c| c.status)) {
        (_, Some(S::Verified)) => ScenarioCleanupStatus::Complete,
        (Phase::Cleanup, _) => ScenarioCleanupStatus::InProgress,
        (_, Some(_)) => ScenarioCleanupStatus::Failed,
        _ => ScenarioCleanupStatus::Pending,
    }
}

pub fn scenario_summaries(
    state: &RunState,
    index: &ResourceIndex,
    cleanup: Option<&CleanupReport>,
) -> Vec<ScenarioSummary> {
    state
        .scenarios
        .iter()
        .map(|s| ScenarioSummary {
            scenario_name: s.name.clone(),
            technology_area: Some(s.area.clone()),
            agent_id: Some(s.container_app_name.clone()),
            sp_name: s.principal.as_ref().map(|p| p.display_name.clone()),
            status: s.status,
            started_at: s.started_at,
            ended_at: s.ended_at,
            resources_created: index.scenario_count(&s.name) as u64,
            cleanup_status: Some(scenario_cleanup(state, s, cleanup)),
        })
        .collect()
}
