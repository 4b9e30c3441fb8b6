//! Typed errors at the Azure boundary: status, service error code, message and request id.

use serde_json::Value;

/// An Azure call that failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AzureError {
    /// The service answered with an error status.
    #[error("{method} {path}: HTTP {status} {code}: {message} (request id {request_id})")]
    Http {
        method: String,
        /// Path only: never the query, which may carry a SAS or skip token.
        path: String,
        status: u16,
        /// ARM / Graph / Key Vault error code, e.g. `ResourceGroupNotFound`, `Request_ResourceNotFound`.
        code: String,
        message: String,
        request_id: String,
    },
    /// No answer: connection refused or reset, timeout, TLS.
    #[error("{method} {path}: {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
    },
    /// Too many recent failures at this endpoint; not tried.
    #[error("circuit open for {endpoint}; not calling it until it recovers")]
    CircuitOpen { endpoint: String },
    /// Getting a token failed.
    #[error("cannot get a token for {scope}: {message}")]
    Auth { scope: String, message: String },
    /// The answer did not have the expected shape.
    #[error("unexpected answer from {path}: {message}")]
    Decode { path: String, message: String },
    /// A long-running operation ended as Failed or Canceled.
    #[error("operation at {path} ended {status}: {code}: {message}")]
    OperationFailed {
        path: String,
        status: String,
        code: String,
        message: String,
    },
}

impl AzureError {
    pub fn status(&self) -> Option<u16> {
        match self {
            AzureError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            AzureError::Http { code, .. } | AzureError::OperationFailed { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 409 conflicts (a dependency still in use, a name being deleted).
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// Whether trying the whole step again later may succeed: no answer, an open circuit, a token
    /// failure, or 408 / 409 / 429 / 5xx. A 4xx about the request itself, an answer of the wrong
    /// shape or a failed operation will fail the same way again.
    pub fn is_retriable(&self) -> bool {
        match self {
            AzureError::Transport { .. } | AzureError::CircuitOpen { .. } => true,
            AzureError::Auth { .. } => true,
            AzureError::Http { status, .. } => matches!(*status, 408 | 409 | 429) || *status >= 500,
            AzureError::Decode { .. } | AzureError::OperationFailed { .. } => false,
        }
    }
}

/// Reads `{"error":{"code","message"}}` (ARM, Graph, Key Vault) or `{"code","message"}` (some ARM
/// LRO bodies). Returns empty strings when the body says nothing.
pub fn error_parts(body: &[u8]) -> (String, String) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        return (String::new(), text.chars().take(300).collect());
    };
    let inner = v.get("error").unwrap_or(&v);
    let text = |k: &str| {
        inner
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (text("code"), text("message"))
}
