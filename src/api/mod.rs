//! The HTTP API under `/api/v1` (forwarded by the Functions host from the `Api` and `Health` functions):
//! the monitoring contract (`../shared/contracts/monitoring-api.openapi.yaml`), the admin endpoints,
//! the OpenAPI document built from [`openapi::operations`], API-key auth, and the dashboard at `/`.
//!
//! | module | what it is for |
//! |---|---|
//! | [`error`] | the one error shape, with the trace id |
//! | [`params`] | run ids, paging, enum and time parameters with the contract's error codes |
//! | [`model`] | the contract's answer schemas as types |
//! | [`read`] | the queries ([`Monitor`]) the handlers and the CLI share |
//! | [`index`] | the in-memory resource index that makes a resources page O(page) |
//! | [`log_index`] | the in-memory log index, kept up to date from the archive's journal, that makes a logs page O(page) |
//! | [`run_facts`] | each run's summary for `/metrics`, re-read only when its documents change |
//! | `runs`, `resources`, `logs`, `reports`, `status`, `health`, `admin` | one route group each |
//! | [`auth`] | `X-API-Key` when `HAYMAKER_API_KEY` is set outside the Functions host |
//! | [`openapi`] | `/api/v1/openapi.json` |
//! | [`dashboard`] | the single-file dashboard page |

pub mod admin;
pub mod auth;
pub mod dashboard;
pub mod error;
mod health;
pub mod index;
pub mod log_index;
pub mod logs;
pub mod model;
pub mod openapi;
mod openapi_operations;
mod openapi_schemas;
mod openapi_service_schemas;
pub mod params;
pub mod read;
pub mod reports;
pub mod resources;
pub mod run_facts;
pub mod runs;
pub mod status;

use axum::routing::{get, post};
use axum::{middleware, Router};

use crate::handler::AppState;

pub use error::ApiError;
pub use index::IndexCache;
pub use read::Monitor;

/// Routes mounted under `/api/v1`. Every one of them is described in [`openapi::operations`] (a
/// test requests each described operation and checks it is routed).
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/status", get(status::get_status))
        .route("/runs", get(runs::list_runs).post(admin::post_run))
        .route("/runs/{run_id}", get(runs::get_run))
        .route("/runs/{run_id}/scenarios", get(runs::list_scenarios))
        .route(
            "/runs/{run_id}/scenarios/{scenario_name}",
            get(runs::get_scenario),
        )
        .route("/runs/{run_id}/resources", get(resources::list_resources))
        .route(
            "/runs/{run_id}/service-principals",
            get(resources::list_principals),
        )
        .route("/runs/{run_id}/logs", get(logs::list_logs))
        .route("/runs/{run_id}/logs/stream", get(logs::stream_logs))
        .route(
            "/runs/{run_id}/cleanup-report",
            get(reports::get_cleanup_report),
        )
        .route("/runs/{run_id}/cancel", post(admin::post_cancel))
        .route("/runs/{run_id}/cleanup", post(admin::post_cleanup))
        .route("/metrics", get(reports::get_metrics))
        .route("/openapi.json", get(openapi::get_openapi))
        .layer(middleware::from_fn_with_state(state, auth::require_key))
        // Anonymous: added after the auth layer, so it is outside it.
        .route("/health", get(health::get_health))
}
