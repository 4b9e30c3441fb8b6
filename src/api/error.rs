//! The one error shape every HTTP answer uses: `{"error":{"code","message","trace_id","details"}}`,
//! with the trace id also in the `X-Trace-Id` header (added by the invocation middleware).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use crate::telemetry::current_trace_id;

/// An error answer. Build it with the constructors; the trace id is filled in from the request scope.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    trace_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// A 500 that says nothing internal: the detail goes to the log under the trace id only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(detail = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "An unexpected error occurred while processing your request",
        )
    }
}

impl From<crate::store::StoreError> for ApiError {
    /// Storage trouble: 503 when a retry may help, 500 otherwise; never the internal detail.
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "state store error");
        if e.is_retriable() {
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "STORAGE_ERROR",
                "The state store is temporarily unavailable; retry shortly",
            )
            .with_details(serde_json::json!({"retryable": true}))
        } else {
            Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "STORAGE_ERROR",
                "The state store could not serve this request",
            )
            .with_details(serde_json::json!({"retryable": false}))
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                trace_id: current_trace_id(),
                details: self.details.as_ref(),
            },
        };
        (self.status, Json(body)).into_response()
    }
}
