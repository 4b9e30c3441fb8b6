//! The HTTP API under `/api/v1` (forwarded by the Functions host from the `Api` and `Health` functions).
//! This holds `/health`; the monitoring issue fills in the rest of the contract.

pub mod error;
mod health;

use axum::routing::get;
use axum::Router;

use crate::handler::AppState;

pub use error::ApiError;

/// Routes mounted under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health::get_health))
}
