//! `GET /api/v1/health` (anonymous): the contract's `HealthCheck`, with a real probe of the state
//! store (503 when it does not answer).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;

use super::ApiError;
use crate::handler::AppState;

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Every check passed (a failed check answers 503 with the error shape instead).
    Healthy,
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    Pass,
}

#[derive(Debug, Serialize)]
pub struct Checks {
    pub storage: Check,
}

#[derive(Debug, Serialize)]
pub struct HealthCheck {
    pub status: HealthStatus,
    pub version: &'static str,
    pub checks: Checks,
}

pub async fn get_health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(HealthCheck {
            status: HealthStatus::Healthy,
            version: env!("CARGO_PKG_VERSION"),
            checks: Checks {
                storage: Check::Pass,
            },
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health: state store unreachable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "The state store does not answer; retry shortly",
            )
            .with_details(
                json!({"status": "unhealthy", "checks": {"storage": "fail"}, "retryable": true}),
            )
            .into_response()
        }
    }
}
