//! Errors at the trigger edge, and the policy that maps them to answers the host acts on.
//!
//! Policy:
//! - a **retriable** failure (storage or Azure unavailable, a lost race worth re-deciding) answers
//!   non-2xx: the host retries; queue messages go to `haymaker-work-poison` after `maxDequeueCount`,
//!   Service Bus messages are dead-lettered after the subscription's `MaxDeliveryCount`;
//! - a **permanent** failure (a message that can never succeed: invalid JSON, an unknown work kind) is
//!   logged with its message id, recorded where the run can show it, and answered 2xx so it is not
//!   retried forever;
//! - a malformed envelope answers 400 and an unknown function 404, each naming what is wrong.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::envelope::EnvelopeError;
use super::functions::FunctionName;
use super::response::InvocationResponse;
use crate::api::ApiError;

/// What a trigger handler reports when it cannot finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// Try again later: the host redelivers.
    #[error("retriable: {0}")]
    Retriable(String),
    /// Never going to work: logged, recorded, completed.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Everything that can go wrong serving one envelope.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    #[error("no function named `{0}`")]
    UnknownFunction(String),
    #[error("malformed envelope: {0}")]
    Envelope(#[from] EnvelopeError),
    #[error(transparent)]
    Trigger(#[from] TriggerError),
}

impl IntoResponse for InvocationError {
    fn into_response(self) -> Response {
        match self {
            InvocationError::UnknownFunction(name) => {
                ApiError::not_found("UNKNOWN_FUNCTION", format!("no function named `{name}`"))
                    .with_details(json!({
                        "function": name,
                        "known": FunctionName::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
                    }))
                    .into_response()
            }
            InvocationError::Envelope(e) => {
                tracing::warn!(error = %e, "malformed envelope");
                ApiError::bad_request("MALFORMED_ENVELOPE", e.to_string()).into_response()
            }
            InvocationError::Trigger(TriggerError::Retriable(reason)) => {
                tracing::error!(%reason, "invocation failed; the host will retry");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "RETRIABLE_FAILURE", reason)
                    .into_response()
            }
            InvocationError::Trigger(TriggerError::Permanent(reason)) => {
                tracing::warn!(%reason, "invocation rejected permanently; completing it");
                let body = InvocationResponse::new()
                    .log(format!("rejected: {reason}"))
                    .returning(json!({"outcome": "rejected", "reason": reason}));
                (StatusCode::OK, Json(body)).into_response()
            }
        }
    }
}
