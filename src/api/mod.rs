//! The HTTP API under `/api/v1` (forwarded by the Functions host from the `Api` and `Health` functions).
//! This holds `/health`, `/status` and `POST /runs`; the monitoring issue fills in the rest of the
//! contract.

pub mod error;
mod health;
mod runs;
mod status;

use axum::routing::{get, post};
use axum::Router;

use crate::handler::AppState;

pub use error::ApiError;

/// Routes mounted under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::get_health))
        .route("/status", get(status::get_status))
        .route("/runs", post(runs::post_run))
}
