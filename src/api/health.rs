//! `GET /api/v1/health` (anonymous): the contract's `HealthCheck`.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use crate::handler::AppState;

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Every check that runs passed. (`degraded` and `unhealthy` arrive with the checks that can fail.)
    Healthy,
}

#[derive(Debug, Serialize)]
pub struct HealthCheck {
    pub status: HealthStatus,
    pub version: &'static str,
    /// Checks that were run; a check appears here only once the subsystem it probes exists.
    pub checks: serde_json::Map<String, serde_json::Value>,
}

pub async fn get_health(State(_state): State<AppState>) -> Json<HealthCheck> {
    Json(HealthCheck {
        status: HealthStatus::Healthy,
        version: env!("CARGO_PKG_VERSION"),
        checks: serde_json::Map::new(),
    })
}
