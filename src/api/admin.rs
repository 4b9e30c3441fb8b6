//! Admin: `POST /api/v1/runs` starts a run (409 while one is active); `POST /runs/{id}/cancel` moves an
//! active run to cleanup; `POST /runs/{id}/cleanup?dry_run=` plans the run's cleanup (dry run, through
//! the cleanup engine) or starts it (the phase machine then cleans up).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::params::{self, Params};
use super::ApiError;
use crate::cleanup::{
    run_cleanup, CleanupOptions, CleanupRequest, Mode, NoProgress, RunIdentities,
};
use crate::config::catalog::{AZURE_CLIENT_ID, AZURE_TENANT_ID, HAYMAKER_TARGET_SUBSCRIPTIONS};
use crate::handler::AppState;
use crate::run::{
    self, apply_plan, keys, Phase, RunRequest, RunState, StartOutcome, StartTrigger, TickPlan,
};
use crate::scenarios::Size;
use crate::store::Decision;

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

pub async fn post_run(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    crate::handler::limits::require_json(&headers)?;
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

/// What a request to end a run found.
#[derive(Debug, Clone, Copy)]
enum Cancel {
    Moved(Phase),
    Already(Phase),
    Ended(Phase),
    Missing,
}

/// Moves an active run to cleanup under the run document's precondition. Scenarios still running
/// are completed and pending ones failed, exactly as the end of monitoring does ([`apply_plan`]).
async fn move_to_cleanup(state: &AppState, run_id: uuid::Uuid) -> Result<Response, ApiError> {
    let now = state.orchestrator.now();
    let updated = state
        .store
        .update_json(&keys::run_state(run_id), |current: Option<&RunState>| {
            let Some(run) = current else {
                return Decision::Keep(Cancel::Missing);
            };
            match run.phase {
                p if p.is_terminal() => Decision::Keep(Cancel::Ended(p)),
                p @ (Phase::Cleanup | Phase::Reporting) => Decision::Keep(Cancel::Already(p)),
                p => {
                    let mut next = run.clone();
                    let plan = TickPlan {
                        advance: Some(Phase::Cleanup),
                        ..TickPlan::default()
                    };
                    next.record_error(
                        now,
                        "RUN_CANCELLED",
                        "cancelled through the API; cleaning up",
                        None,
                    );
                    apply_plan(&mut next, &plan, now);
                    Decision::Write(next, Cancel::Moved(p))
                }
            }
        })
        .await?;
    crate::telemetry::record_run_id(&run_id);
    let phase_name = |p: Phase| serde_json::to_value(p).unwrap_or_default();
    match updated.outcome {
        Cancel::Missing => Err(params::run_not_found(run_id)),
        Cancel::Ended(p) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "RUN_NOT_ACTIVE",
            format!("run {run_id} has already ended ({}); clean its leftovers with `haymaker cleanup --run {run_id}`", phase_name(p)),
        )
        .with_details(json!({"run_id": run_id, "phase": phase_name(p)}))),
        Cancel::Already(p) => Ok((
            StatusCode::OK,
            Json(json!({"run_id": run_id, "phase": phase_name(p), "previous_phase": phase_name(p)})),
        )
            .into_response()),
        Cancel::Moved(from) => {
            tracing::info!(%run_id, from = ?from, "run moved to cleanup through the API");
            Ok((
                StatusCode::ACCEPTED,
                Json(json!({"run_id": run_id, "phase": "cleanup", "previous_phase": phase_name(from)})),
            )
                .into_response())
        }
    }
}

/// `POST /runs/{run_id}/cancel`.
pub async fn post_cancel(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    move_to_cleanup(&state, params::run_id(&raw)?).await
}

/// `POST /runs/{run_id}/cleanup?dry_run=true|false` (default `true`: nothing is deleted unless asked).
pub async fn post_cleanup(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let run_id = params::run_id(&raw)?;
    let q = Params::parse(query.as_deref());
    let dry_run = match q.text("dry_run") {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(params::invalid(
                "dry_run",
                other,
                format!("invalid dry_run `{other}`: must be true or false"),
            ))
        }
    };
    if !dry_run {
        return move_to_cleanup(&state, run_id).await;
    }
    let run = state.monitor().state(run_id).await?;
    let settings = &state.settings;
    let mut subscriptions = run.subscriptions.clone();
    if subscriptions.is_empty() {
        subscriptions = settings
            .azure
            .target_subscriptions
            .iter()
            .map(ToString::to_string)
            .collect();
    }
    let not_configured = |why: String| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "AZURE_NOT_CONFIGURED",
            format!("a dry-run cleanup searches Azure, which is not configured here: {why}"),
        )
        .with_details(
            json!({"settings": [AZURE_TENANT_ID, AZURE_CLIENT_ID, HAYMAKER_TARGET_SUBSCRIPTIONS]}),
        )
    };
    if settings.azure.tenant_id.is_none() || settings.azure.client_id.is_none() {
        return Err(not_configured(format!(
            "set {AZURE_TENANT_ID} and {AZURE_CLIENT_ID} (and a credential)"
        )));
    }
    if subscriptions.is_empty() {
        return Err(not_configured(format!(
            "the run has no subscriptions and {HAYMAKER_TARGET_SUBSCRIPTIONS} is empty"
        )));
    }
    let connection =
        crate::azure::identity::AzureConnection::from_settings(settings).map_err(not_configured)?;
    let ports = crate::cleanup::azure_ports::AzurePorts::from_connection(
        &connection,
        settings.azure.key_vault_url.as_ref(),
    )
    .map_err(|e| not_configured(e.to_string()))?;
    let request = CleanupRequest {
        run_id,
        subscriptions,
        identities: RunIdentities::default(),
        discover_identities: true,
        mode: Mode::DryRun,
    };
    // The engine's future is not provably `Send` for every lifetime (a compiler limit with its
    // borrowed ports), so it runs on a blocking thread of the same runtime.
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::spawn_blocking(move || {
        handle.block_on(run_cleanup(
            &ports.ports(),
            None,
            &NoProgress,
            &CleanupOptions::default(),
            &request,
        ))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok((StatusCode::OK, Json(outcome)).into_response())
}
