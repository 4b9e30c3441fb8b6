//! `Tick`: advance the active run. Folds new agent events into the ledger, decides with
//! [`plan_tick`], writes the phase move and the leases of the units it dispatches under the run
//! document's precondition (two ticks at once cannot both dispatch a unit), carries out the inline
//! steps, and refreshes the status document that `GET /status` shows.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::run::{
    self, apply_plan, keys, names, plan_tick, CurrentStatus, Inline, OrchestratorState, Phase,
    RunState, ScenarioRecord, ScenarioStatus, WorkUnit,
};
use crate::scenarios::{self, Size};
use crate::store::Decision;

use super::{report, validate, Orchestrator, OrchestratorError};

/// What a tick did.
#[derive(Debug, Clone, PartialEq)]
pub struct TickOutcome {
    pub run_id: Option<Uuid>,
    pub phase: Option<Phase>,
    /// Units to put on the queue.
    pub dispatch: Vec<WorkUnit>,
}

/// One tick; the pipeline's retries during it are added to the run document.
pub async fn tick(o: &Orchestrator) -> Result<TickOutcome, OrchestratorError> {
    let (outcome, retries) = crate::azure::retry::counting(tick_once(o)).await;
    if let Ok(TickOutcome {
        run_id: Some(run_id),
        ..
    }) = &outcome
    {
        o.record_retries(*run_id, retries).await;
    }
    outcome
}

async fn tick_once(o: &Orchestrator) -> Result<TickOutcome, OrchestratorError> {
    let now = o.now();
    let status = run::read_status(&o.store, now).await?;
    let Some(run_id) = status.active_run() else {
        return Ok(TickOutcome {
            run_id: None,
            phase: None,
            dispatch: vec![],
        });
    };
    crate::events::compact(&o.store, run_id, now).await?;
    let state = match o.load_run(run_id).await? {
        Some(s) => s,
        None => recreate(o, &status, run_id, now).await?,
    };
    let plan = plan_tick(&state, now, &o.policy);
    let mut dispatch = Vec::new();
    if plan.writes() {
        let policy = o.policy;
        let updated = o
            .store
            .update_json(&keys::run_state(run_id), |current: Option<&RunState>| {
                let Some(current) = current else {
                    return Decision::Keep(Vec::new());
                };
                let plan = plan_tick(current, now, &policy);
                if !plan.writes() {
                    return Decision::Keep(Vec::new());
                }
                let mut next = current.clone();
                apply_plan(&mut next, &plan, now);
                Decision::Write(next, plan.dispatch)
            })
            .await?;
        dispatch = updated.outcome;
    }
    match plan.inline {
        Some(Inline::Validate) => validate_step(o, &state).await?,
        Some(Inline::Select) => select_step(o, &state).await?,
        Some(Inline::Report) => report::report(o, run_id).await?,
        None => {}
    }
    let before = state.phase;
    let state = o.load_run(run_id).await?;
    if let Some(state) = &state {
        refresh_status(o, state).await?;
        if state.phase != before {
            let to = state.phase;
            o.lifecycle_event(run_id, "phase_changed", |l| async move {
                l.phase_changed(run_id, before, to, now).await
            })
            .await;
        }
    }
    Ok(TickOutcome {
        run_id: Some(run_id),
        phase: state.map(|s| s.phase),
        dispatch,
    })
}

/// The status names a run whose document is missing (a crash right after the start): write it.
async fn recreate(
    o: &Orchestrator,
    status: &CurrentStatus,
    run_id: Uuid,
    now: DateTime<Utc>,
) -> Result<RunState, OrchestratorError> {
    let started = status.started_at.unwrap_or(now);
    let end = status
        .scheduled_end_at
        .unwrap_or(started + chrono::Duration::hours(8));
    let state = RunState::new(
        run_id,
        run::StartTrigger::Schedule,
        status
            .scenarios_count
            .map_or_else(|| "small".into(), |n| n.to_string()),
        (end - started).num_minutes() as f64 / 60.0,
        started,
        end,
    );
    match o.store.create_json(&keys::run_state(run_id), &state).await {
        Ok(_) => Ok(state),
        Err(crate::store::StoreError::AlreadyExists(_)) => o
            .load_run(run_id)
            .await?
            .ok_or_else(|| OrchestratorError::NotYet("run document vanished".into())),
        Err(e) => Err(e.into()),
    }
}

async fn validate_step(o: &Orchestrator, state: &RunState) -> Result<(), OrchestratorError> {
    let size: Size = state.size.parse().unwrap_or(Size::Small);
    let checks = validate::validate(o, size).await;
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.check, c.detail))
        .collect();
    for c in &checks {
        tracing::info!(run_id = %state.run_id, check = %c.check, passed = c.passed, detail = %c.detail, "validation");
    }
    let now = o.now();
    o.update_run(state.run_id, |run| {
        if run.phase != Phase::Validation {
            return false;
        }
        run.validation = checks.clone();
        if failed.is_empty() {
            run.enter(Phase::Selection, now);
        } else {
            run.record_error(now, "VALIDATION_FAILED", failed.join("; "), None);
            run.enter(Phase::Reporting, now);
        }
        true
    })
    .await?;
    Ok(())
}

/// A stable seed from the run id, so a repeated selection picks the same scenarios.
fn seed(run_id: Uuid) -> u64 {
    let b = run_id.as_bytes();
    u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

async fn select_step(o: &Orchestrator, state: &RunState) -> Result<(), OrchestratorError> {
    let run_id = state.run_id;
    let now = o.now();
    let library = o.library()?;
    let subs: Vec<String> = o
        .settings
        .azure
        .target_subscriptions
        .iter()
        .map(|s| s.to_string())
        .collect();
    let size: Size = state.size.parse().unwrap_or(Size::Small);
    let chosen = scenarios::select(library.scenarios(), size, seed(run_id));
    let records: Result<Vec<ScenarioRecord>, String> = match (&chosen, subs.is_empty()) {
        (Err(e), _) => Err(e.to_string()),
        (_, true) => Err("no target subscriptions".into()),
        (Ok(list), false) => Ok(list
            .iter()
            .enumerate()
            .map(|(i, s)| {
                ScenarioRecord::pending(
                    &s.name,
                    s.area().slug(),
                    &subs[i % subs.len()],
                    names::resource_group(run_id, &s.name),
                    names::secret_name(run_id, &s.name),
                    names::container_app(run_id, &s.name),
                )
            })
            .collect()),
    };
    o.update_run(run_id, |run| {
        if run.phase != Phase::Selection {
            return false;
        }
        match &records {
            Ok(list) => {
                run.scenarios = list.clone();
                run.subscriptions = subs.clone();
                run.enter(Phase::Provisioning, now);
            }
            Err(reason) => {
                run.record_error(now, "SELECTION_FAILED", reason.clone(), None);
                run.enter(Phase::Reporting, now);
            }
        }
        true
    })
    .await?;
    Ok(())
}

/// Mirrors the run into `current_status.json` (phase and counters; idle once the run has ended).
pub async fn refresh_status(o: &Orchestrator, state: &RunState) -> Result<(), OrchestratorError> {
    let now = o.now();
    o.store
        .update_json(
            &keys::current_status(),
            |current: Option<&CurrentStatus>| {
                let mut next = current.cloned().unwrap_or_else(|| CurrentStatus::idle(now));
                if next.current_run_id != Some(state.run_id) {
                    return Decision::Keep(());
                }
                next.phase = Some(state.phase);
                next.scenarios_count = Some(state.scenarios.len() as u32);
                next.scenarios_completed = Some(
                    state.count(ScenarioStatus::Completed)
                        + state.count(ScenarioStatus::CleanupComplete),
                );
                next.scenarios_running = Some(state.count(ScenarioStatus::Running));
                next.scenarios_failed = Some(state.count(ScenarioStatus::Failed));
                if state.phase.is_terminal() {
                    next.status = OrchestratorState::Idle;
                    next.current_run_id = None;
                    next.last_run_id = Some(state.run_id);
                }
                if current == Some(&next) {
                    return Decision::Keep(());
                }
                next.updated_at = now;
                Decision::Write(next, ())
            },
        )
        .await?;
    Ok(())
}
