//! `GET /runs`, `/runs/{run_id}`, `/runs/{run_id}/scenarios` and `/runs/{run_id}/scenarios/{name}`.

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::json;

use super::model::*;
use super::params::{self, Params};
use super::read::{execution_error, scenario_summaries, RunFilter};
use super::ApiError;
use crate::handler::AppState;
use crate::run::{Phase, ProvisionStep, ScenarioStatus};

pub const RUN_STATUSES: &[&str] = &["completed", "in_progress", "failed"];
pub const SCENARIO_STATUSES: &[&str] = &[
    "pending",
    "running",
    "completed",
    "failed",
    "cleanup_complete",
];

/// Parses `GET /runs`' query.
pub fn run_filter(q: &Params) -> Result<RunFilter, ApiError> {
    Ok(RunFilter {
        status: q.one_of("status", RUN_STATUSES)?,
        start_date: q.time("start_date")?,
        end_date: q.time("end_date")?,
    })
}

pub async fn list_runs(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<RunsListResponse>, ApiError> {
    let q = Params::parse(query.as_deref());
    let (filter, paging) = (run_filter(&q)?, q.paging()?);
    Ok(Json(state.monitor().list_runs(&filter, paging).await?))
}

pub async fn get_run(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let run_id = params::run_id(&raw)?;
    crate::telemetry::record_run_id(&run_id);
    let details = state.monitor().details(run_id).await?;
    let cache = if details.status == RunStatus::InProgress {
        "max-age=30"
    } else {
        "max-age=60"
    };
    Ok(([(header::CACHE_CONTROL, cache)], Json(details)).into_response())
}

pub async fn list_scenarios(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<ScenariosListResponse>, ApiError> {
    let run_id = params::run_id(&raw)?;
    let q = Params::parse(query.as_deref());
    let status: Option<ScenarioStatus> = q.one_of("status", SCENARIO_STATUSES)?;
    let monitor = state.monitor();
    let docs = monitor.docs(run_id).await?;
    let index = monitor.index(run_id).await?;
    let scenarios = scenario_summaries(&docs.state, &index, docs.cleanup.as_ref())
        .into_iter()
        .filter(|s| status.is_none_or(|w| w == s.status))
        .collect();
    Ok(Json(ScenariosListResponse { run_id, scenarios }))
}

pub async fn get_scenario(
    State(state): State<AppState>,
    Path((raw, name)): Path<(String, String)>,
) -> Result<Json<ScenarioDetails>, ApiError> {
    let run_id = params::run_id(&raw)?;
    let monitor = state.monitor();
    let docs = monitor.docs(run_id).await?;
    let s = docs.state.scenario(&name).ok_or_else(|| {
        ApiError::not_found(
            "SCENARIO_NOT_FOUND",
            format!("run {run_id} has no scenario `{name}`; GET /api/v1/runs/{run_id}/scenarios lists them"),
        )
        .with_details(json!({"run_id": run_id, "scenario_name": name}))
    })?;
    let index = monitor.index(run_id).await?;
    let filter = super::index::ResourceFilter {
        scenario_name: Some(name.clone()),
        ..Default::default()
    };
    let selection = index.select(&filter);
    let resources = selection
        .page(&index, 0..selection.len())
        .into_iter()
        .cloned()
        .collect();
    let run = &docs.state;
    let phase = match s.status {
        ScenarioStatus::Pending if s.step < ProvisionStep::ContainerApp => {
            ScenarioPhase::Deployment
        }
        _ if run.phase == Phase::Cleanup => ScenarioPhase::Cleanup,
        ScenarioStatus::Pending | ScenarioStatus::Running => ScenarioPhase::Operations,
        _ => ScenarioPhase::Completed,
    };
    let duration = s.started_at.map(|start| {
        let end = s.ended_at.unwrap_or_else(Utc::now);
        (end - start).num_seconds().max(0) as u64
    });
    Ok(Json(ScenarioDetails {
        scenario_name: s.name.clone(),
        run_id,
        technology_area: s.area.clone(),
        agent_id: s.container_app_name.clone(),
        container_app_resource_id: s.container_app_id.clone(),
        sp_name: s.principal.as_ref().map(|p| p.display_name.clone()),
        sp_id: s
            .principal
            .as_ref()
            .and_then(|p| uuid::Uuid::parse_str(&p.app_id).ok()),
        status: s.status,
        started_at: s.started_at,
        ended_at: s.ended_at,
        duration_seconds: duration,
        phase: Some(phase),
        resources,
        errors: run
            .errors
            .iter()
            .filter(|e| e.scenario_name.as_deref() == Some(name.as_str()))
            .map(execution_error)
            .collect(),
    }))
}
