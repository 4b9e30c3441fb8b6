//! `GET /runs/{run_id}/cleanup-report` (the cleanup engine's `CleanupReport`) and `GET /metrics`
//! (aggregates over the runs started within the period, from each run's cached facts).

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::{Duration, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::model::*;
use super::params::{self, Params};
use super::read::Monitor;
use super::run_facts::RunFacts;
use super::ApiError;
use crate::handler::AppState;
use crate::run::keys;

pub const PERIODS: &[&str] = &["hour", "day", "week", "month"];

/// The report as the contract has it: a deletion without a known type leaves the field out, and
/// `attempts` is at least 1 (a resource removed by its group's delete took that one attempt).
fn contract_report(mut report: Value) -> Value {
    if let Some(deletions) = report["deletions"].as_array_mut() {
        for d in deletions {
            if let Some(obj) = d.as_object_mut() {
                if obj.get("resource_type").is_some_and(Value::is_null) {
                    obj.remove("resource_type");
                }
                let attempts = obj.get("attempts").and_then(Value::as_u64).unwrap_or(1);
                obj.insert("attempts".into(), json!(attempts.max(1)));
            }
        }
    }
    report
}

pub async fn get_cleanup_report(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let run_id = params::run_id(&raw)?;
    let monitor = state.monitor();
    match monitor
        .store
        .read_json::<Value>(&keys::cleanup_report(run_id))
        .await?
    {
        Some((report, _)) => Ok(Json(contract_report(report))),
        None => {
            monitor.state(run_id).await?;
            Err(ApiError::not_found(
                "CLEANUP_REPORT_NOT_FOUND",
                format!("run {run_id} has no cleanup report yet: it is written when the run's cleanup finishes"),
            )
            .with_details(json!({"run_id": run_id})))
        }
    }
}

impl Monitor {
    /// Aggregates over the runs started within `period` (hour, day, week or month before now): a
    /// listing of the runs, then each run's facts through [`super::run_facts`] (change tokens of the
    /// runs in the period; documents re-read only when they changed).
    pub async fn metrics(&self, period: &str) -> Result<Metrics, ApiError> {
        let span = match period {
            "hour" => Duration::hours(1),
            "week" => Duration::weeks(1),
            "month" => Duration::days(30),
            _ => Duration::days(1),
        };
        let since = Utc::now() - span;
        let ids = self.run_ids().await?;
        let runs: Vec<RunFacts> = stream::iter(ids)
            .map(|id| self.run_facts(id, since))
            .buffer_unordered(16)
            .try_filter_map(|x| async move { Ok(x) })
            .try_collect()
            .await?;
        let mut m = Metrics {
            period: period.to_string(),
            total_runs: runs.len() as u64,
            successful_runs: 0,
            failed_runs: 0,
            total_scenarios_executed: 0,
            total_resources_created: 0,
            total_resources_deleted: 0,
            cleanup_success_rate: 0.0,
            average_execution_duration_seconds: 0,
            average_resources_per_scenario: 0.0,
        };
        let (mut cleaned, mut verified, mut durations, mut ended) = (0u64, 0u64, 0i64, 0i64);
        for facts in &runs {
            let r = &facts.summary;
            match r.status {
                RunStatus::Completed => m.successful_runs += 1,
                RunStatus::Failed => m.failed_runs += 1,
                RunStatus::InProgress => {}
            }
            m.total_scenarios_executed += u64::from(r.scenarios_count);
            m.total_resources_created += r.resources_created;
            if r.cleanup_status != RunCleanupStatus::Pending {
                cleaned += 1;
                if r.cleanup_status == RunCleanupStatus::Verified {
                    verified += 1;
                }
                m.total_resources_deleted += facts.deleted;
            }
            if let Some(end) = r.ended_at {
                durations += (end - r.started_at).num_seconds().max(0);
                ended += 1;
            }
        }
        if cleaned > 0 {
            m.cleanup_success_rate = verified as f64 / cleaned as f64;
        }
        if ended > 0 {
            m.average_execution_duration_seconds = (durations / ended) as u64;
        }
        if m.total_scenarios_executed > 0 {
            m.average_resources_per_scenario =
                m.total_resources_created as f64 / m.total_scenarios_executed as f64;
        }
        Ok(m)
    }
}

pub async fn get_metrics(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Metrics>, ApiError> {
    let q = Params::parse(query.as_deref());
    let period = q.text("period").unwrap_or("day");
    if !PERIODS.contains(&period) {
        return Err(params::invalid(
            "period",
            period,
            format!(
                "invalid period `{period}`: must be one of {}",
                PERIODS.join(", ")
            ),
        ));
    }
    Ok(Json(state.monitor().metrics(period).await?))
}
