//! Reporting: the run report (`execution-reports/{run_id}/report.json`, the contract's `RunDetails`
//! with `cleanup_verification`), the scenarios' final states, and the run's end (completed when
//! validation passed and cleanup was verified, failed otherwise).

use serde_json::{json, Value};
use uuid::Uuid;

use crate::events::ResourceStatus;
use crate::run::{keys, Phase, RunState, ScenarioStatus};
use crate::store::Decision;

use super::{Orchestrator, OrchestratorError};

/// Whether the run's cleanup report says every resource, principal and secret is verified gone.
pub fn cleanup_verified(cleanup: Option<&Value>) -> bool {
    cleanup.and_then(|c| c["status"].as_str()) == Some("verified")
}

/// The contract's `RunDetails` of a run (pure).
pub fn run_details(
    state: &RunState,
    ledger: &crate::events::Ledger,
    cleanup: Option<&Value>,
    final_phase: Phase,
) -> Value {
    let verification = cleanup
        .map(|c| c["verification"].clone())
        .filter(|v| v.is_object())
        .unwrap_or_else(|| {
            json!({"expected_deleted": 0, "actually_deleted": 0, "forced_deletions": 0, "deletion_failures": 0})
        });
    let status = match final_phase {
        Phase::Completed => "completed",
        Phase::Failed | Phase::Cancelled => "failed",
        _ => "in_progress",
    };
    let scenarios: Vec<Value> = state
        .scenarios
        .iter()
        .map(|s| {
            let created = ledger
                .resources
                .values()
                .filter(|r| r.scenario_name == s.name)
                .count();
            let mut summary = json!({
                "scenario_name": s.name,
                "technology_area": s.area,
                "agent_id": s.container_app_name,
                "status": s.status.as_str(),
                "started_at": s.started_at,
                "ended_at": s.ended_at,
                "resources_created": created,
                "cleanup_status": if cleanup_verified(cleanup) { "complete" } else if cleanup.is_some() { "failed" } else { "pending" },
            });
            // `sp_name` is a string in the contract: absent until the principal exists.
            if let Some(p) = &s.principal {
                summary["sp_name"] = json!(p.display_name);
            }
            summary
        })
        .collect();
    let errors: Vec<Value> = state
        .errors
        .iter()
        .map(|e| {
            json!({
                "timestamp": e.timestamp,
                "error_code": e.error_code,
                "message": e.message,
                "scenario_name": e.scenario_name,
                "phase": e.phase,
            })
        })
        .collect();
    let size = match state.size.as_str() {
        s @ ("small" | "medium" | "large") => Value::from(s),
        _ => Value::Null,
    };
    let mut details = json!({
        "run_id": state.run_id,
        "started_at": state.started_at,
        "ended_at": state.ended_at,
        "status": status,
        "phase": if final_phase.is_terminal() { "completed" } else { "reporting" },
        "scenarios": scenarios,
        "total_resources": ledger.resources.len(),
        "total_service_principals": state.scenarios.iter().filter(|s| s.principal.is_some()).count(),
        "cleanup_verification": verification,
        "errors": errors,
        "validation": state.validation,
        "resources_deleted_by_agents": ledger.count(ResourceStatus::Deleted),
    });
    if !size.is_null() {
        details["simulation_size"] = size;
    }
    details
}

/// The reporting step: writes the report, settles the scenarios, ends the run.
pub async fn report(o: &Orchestrator, run_id: Uuid) -> Result<(), OrchestratorError> {
    let Some(state) = o.load_run(run_id).await? else {
        return Ok(());
    };
    if state.phase != Phase::Reporting {
        return Ok(());
    }
    let now = o.now();
    let ledger = crate::events::compact(&o.store, run_id, now).await?;
    let cleanup = o
        .store
        .read_json::<Value>(&keys::cleanup_report(run_id))
        .await?
        .map(|(v, _)| v);
    let validation_failed = state.validation.iter().any(|c| !c.passed)
        || state
            .errors
            .iter()
            .any(|e| e.error_code == "VALIDATION_FAILED" || e.error_code == "SELECTION_FAILED");
    let verified = cleanup_verified(cleanup.as_ref());
    // A run that created nothing (it failed before selection) has nothing to clean up.
    let nothing_created = state.scenarios.is_empty();
    let final_phase = if validation_failed || !(verified || nothing_created) {
        Phase::Failed
    } else {
        Phase::Completed
    };
    let mut finished = state.clone();
    for s in &mut finished.scenarios {
        if verified && s.status == ScenarioStatus::Completed {
            s.status = ScenarioStatus::CleanupComplete;
        }
    }
    finished.ended_at.get_or_insert(now);
    let details = run_details(&finished, &ledger, cleanup.as_ref(), final_phase);
    o.store
        .update_json(&keys::report(run_id), |_: Option<&Value>| {
            Decision::Write(details.clone(), ())
        })
        .await?;
    o.update_run(run_id, |run| {
        if run.phase != Phase::Reporting {
            return false;
        }
        run.scenarios = finished.scenarios.clone();
        if !verified && !nothing_created {
            run.record_error(
                now,
                "CLEANUP_NOT_VERIFIED",
                "cleanup did not verify that everything of the run is gone; see cleanup-report.json",
                None,
            );
        }
        run.enter(final_phase, now);
        true
    })
    .await?;
    tracing::info!(%run_id, phase = ?final_phase, "run ended");
    Ok(())
}
