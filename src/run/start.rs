//! Starting a run: exactly one active at a time, decided by a compare-and-swap of the status document.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{keys, CurrentStatus, OrchestratorState, Phase, RunState};
use crate::events::LifecycleRecorder;
use crate::scenarios::Size;
use crate::store::{Decision, StateStore, StoreError};

/// What asked for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartTrigger {
    Schedule,
    Api,
    Cli,
}

/// A request to start a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    pub size: Size,
    pub duration_hours: f64,
    pub trigger: StartTrigger,
}

/// What a start request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    Started {
        run_id: Uuid,
        scheduled_end_at: DateTime<Utc>,
    },
    /// Another run is active; nothing was started.
    AlreadyActive { run_id: Uuid },
}

/// The longest run allowed, in hours.
pub const MAX_RUN_HOURS: f64 = 72.0;

/// Checks a run length (setting, API body or CLI flag); the error states the allowed range.
pub fn check_duration_hours(hours: f64) -> Result<f64, String> {
    if hours > 0.0 && hours <= MAX_RUN_HOURS {
        Ok(hours)
    } else {
        Err(format!(
            "{hours} is out of range; use 0 < hours <= {MAX_RUN_HOURS}"
        ))
    }
}

fn end_time(now: DateTime<Utc>, hours: f64) -> DateTime<Utc> {
    now + Duration::milliseconds((hours * 3_600_000.0).round() as i64)
}

/// The pure decision: start `run_id` unless a run is active.
pub fn decide_start(
    current: Option<&CurrentStatus>,
    request: &RunRequest,
    run_id: Uuid,
    now: DateTime<Utc>,
) -> Decision<CurrentStatus, StartOutcome> {
    if let Some(active) = current.and_then(CurrentStatus::active_run) {
        return Decision::Keep(StartOutcome::AlreadyActive { run_id: active });
    }
    let scheduled_end_at = end_time(now, request.duration_hours);
    let status = CurrentStatus {
        status: OrchestratorState::Running,
        current_run_id: Some(run_id),
        started_at: Some(now),
        scheduled_end_at: Some(scheduled_end_at),
        phase: Some(Phase::Validation),
        scenarios_count: Some(request.size.count() as u32),
        scenarios_completed: Some(0),
        scenarios_running: Some(0),
        scenarios_failed: Some(0),
        last_run_id: Some(run_id),
        updated_at: now,
    };
    Decision::Write(
        status,
        StartOutcome::Started {
            run_id,
            scheduled_end_at,
        },
    )
}

/// Starts a run if none is active, recording `run_started` in the run's archive only (see
/// [`start_run_with`]).
pub async fn start_run(
    store: &StateStore,
    request: &RunRequest,
    now: DateTime<Utc>,
) -> Result<StartOutcome, StoreError> {
    let recorder = LifecycleRecorder::archive_only(store.clone());
    start_run_with(store, request, now, &recorder).await
}

/// Starts a run if none is active. The status document is switched first (that is the guard); the
/// run's own state document follows, create-only, so a retry after a crash in between finishes it;
/// then `run_started` goes to `lifecycle` (archived, and published when Service Bus is configured —
/// a failure there is logged: the run has started either way).
pub async fn start_run_with(
    store: &StateStore,
    request: &RunRequest,
    now: DateTime<Utc>,
    lifecycle: &LifecycleRecorder,
) -> Result<StartOutcome, StoreError> {
    let run_id = Uuid::new_v4();
    let updated = store
        .update_json(&keys::current_status(), |current| {
            decide_start(current, request, run_id, now)
        })
        .await?;
    if let StartOutcome::Started {
        run_id,
        scheduled_end_at,
    } = &updated.outcome
    {
        let state = RunState::new(
            *run_id,
            request.trigger,
            request.size.to_string(),
            request.duration_hours,
            now,
            *scheduled_end_at,
        );
        match store.create_json(&keys::run_state(*run_id), &state).await {
            Ok(_) | Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        tracing::info!(run_id = %run_id, size = %request.size, trigger = ?request.trigger, "run started");
        let trigger = serde_json::to_value(request.trigger)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let size = request.size.to_string();
        if let Err(e) = lifecycle
            .run_started(*run_id, &size, request.duration_hours, &trigger, now)
            .await
        {
            tracing::warn!(run_id = %run_id, error = %e, "run_started not archived");
        }
    }
    Ok(updated.outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> RunRequest {
        RunRequest {
            size: Size::Small,
            duration_hours: 8.0,
            trigger: StartTrigger::Api,
        }
    }

    #[test]
    fn starts_from_nothing_or_idle_and_refuses_while_active() {
        let now: DateTime<Utc> = "2026-11-23T18:00:00Z".parse().unwrap();
        let id = Uuid::new_v4();
        let Decision::Write(
            status,
            StartOutcome::Started {
                run_id,
                scheduled_end_at,
            },
        ) = decide_start(None, &request(), id, now)
        else {
            panic!("must start")
        };
        assert_eq!(run_id, id);
        assert_eq!(
            scheduled_end_at,
            "2026-11-24T02:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(status.active_run(), Some(id));
        assert_eq!(status.scenarios_count, Some(5));

        let other = Uuid::new_v4();
        match decide_start(Some(&status), &request(), other, now) {
            Decision::Keep(StartOutcome::AlreadyActive { run_id }) => assert_eq!(run_id, id),
            _ => panic!("must refuse"),
        }

        let mut finished = status.clone();
        finished.phase = Some(Phase::Completed);
        assert!(matches!(
            decide_start(Some(&finished), &request(), other, now),
            Decision::Write(_, StartOutcome::Started { .. })
        ));
        assert!(matches!(
            decide_start(Some(&CurrentStatus::idle(now)), &request(), other, now),
            Decision::Write(_, StartOutcome::Started { .. })
        ));
    }
}
