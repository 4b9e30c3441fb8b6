//! `GET /api/v1/status`: the contract's `OrchestratorStatus`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::ApiError;
use crate::handler::AppState;
use crate::run::{self, OrchestratorState, Phase};

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct OrchestratorStatus {
    pub status: OrchestratorState,
    pub health: String,
    pub current_run_id: Option<Uuid>,
    pub started_at: Option<DateTime<Utc>>,
    pub scheduled_end_at: Option<DateTime<Utc>>,
    pub phase: Option<Phase>,
    pub scenarios_count: Option<u32>,
    pub scenarios_completed: Option<u32>,
    pub scenarios_running: Option<u32>,
    pub scenarios_failed: Option<u32>,
    pub next_scheduled_run: Option<DateTime<Utc>>,
}

pub async fn get_status(State(state): State<AppState>) -> Result<Response, ApiError> {
    let body = state.monitor().status(Utc::now()).await?;
    Ok(([(header::CACHE_CONTROL, "max-age=10")], Json(body)).into_response())
}

impl super::Monitor {
    /// The orchestrator's status at `now`.
    pub async fn status(&self, now: DateTime<Utc>) -> Result<OrchestratorStatus, ApiError> {
        let current = run::read_status(&self.store, now).await?;
        let active = current.active_run();
        let body = OrchestratorStatus {
            status: if active.is_some() {
                OrchestratorState::Running
            } else if current.status == OrchestratorState::Error {
                OrchestratorState::Error
            } else {
                OrchestratorState::Idle
            },
            // The store answered; deeper checks are `/health`'s.
            health: "healthy".into(),
            current_run_id: active,
            started_at: active.and(current.started_at),
            scheduled_end_at: active.and(current.scheduled_end_at),
            phase: active.and(current.phase.filter(|p| !p.is_terminal())),
            scenarios_count: active.and(current.scenarios_count),
            scenarios_completed: active.and(current.scenarios_completed),
            scenarios_running: active.and(current.scenarios_running),
            scenarios_failed: active.and(current.scenarios_failed),
            next_scheduled_run: Some(run::next_scheduled_run(now)),
        };
        Ok(body)
    }
}
