//! Admin: `POST /api/v1/runs` starts a run (409 while one is active).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use crate::handler::AppState;
use crate::run::{self, RunRequest, StartOutcome, StartTrigger};
use crate::scenarios::Size;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    size: Option<String>,
    duration_hours: Option<f64>,
}

fn invalid(parameter: &str, message: String, value: serde_json::Value) -> ApiError {
    ApiError::bad_request("INVALID_PARAMETER", message)
        .with_details(json!({"parameter": parameter, "value": value}))
}

/// Parses and validates the optional body against the settings' defaults.
fn request_from(body: &[u8], state: &AppState) -> Result<RunRequest, ApiError> {
    let parsed: StartBody = if body.iter().all(u8::is_ascii_whitespace) {
        StartBody {
            size: None,
            duration_hours: None,
        }
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(
                "INVALID_BODY",
                format!(
                    "the body must be JSON like {{\"size\":\"small\",\"duration_hours\":8}}: {e}"
                ),
            )
        })?
    };
    let size = match parsed.size.as_deref() {
        None => state.settings.simulation_size,
        Some(s @ ("small" | "medium" | "large")) => s
            .parse::<Size>()
            .map_err(|e| invalid("size", e, json!(s)))?,
        Some(other) => {
            return Err(invalid(
                "size",
                format!("size `{other}` is not one of small, medium, large"),
                json!(other),
            ))
        }
    };
    let duration_hours = parsed
        .duration_hours
        .unwrap_or(state.settings.run_duration_hours);
    run::check_duration_hours(duration_hours).map_err(|e| {
        invalid(
            "duration_hours",
            format!("duration_hours {e}"),
            json!(duration_hours),
        )
    })?;
    Ok(RunRequest {
        size,
        duration_hours,
        trigger: StartTrigger::Api,
    })
}

pub async fn post_run(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request = request_from(&body, &state)?;
    match run::start_run_with(&state.store, &request, chrono::Utc::now(), &state.lifecycle).await? {
        StartOutcome::Started { run_id, scheduled_end_at } => {
            crate::telemetry::record_run_id(&run_id);
            let location = format!("/api/v1/runs/{run_id}");
            Ok((
                StatusCode::ACCEPTED,
                [(header::LOCATION, location)],
                Json(json!({
                    "run_id": run_id,
                    "status": "running",
                    "size": request.size.to_string(),
                    "scheduled_end_at": scheduled_end_at,
                })),
            )
                .into_response())
        }
        StartOutcome::AlreadyActive { run_id } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "RUN_ALREADY_ACTIVE",
            format!("run {run_id} is active; only one run at a time (cancel it or wait for it to finish)"),
        )
        .with_details(json!({"run_id": run_id}))),
    }
}
