//! Logging: JSON lines under the Functions host (Application Insights reads them), pretty text in a
//! terminal. Every request runs in an `invocation` span carrying `invocation_id` (and `run_id` once
//! known); the same id is the trace id of error answers.

use std::io::IsTerminal;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

tokio::task_local! {
    static TRACE_ID: String;
}

/// Header the host puts on every invocation.
pub const INVOCATION_ID_HEADER: &str = "x-azure-functions-invocationid";
/// Header every answer carries with the id its logs are filed under.
pub const TRACE_ID_HEADER: &str = "x-trace-id";

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => under_functions_host() || !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.with_target(false).try_init()
    };
    // Already installed (tests, or a second call): keep the first.
    let _ = result;
}

/// The Functions host sets this for the worker process it starts.
pub fn under_functions_host() -> bool {
    std::env::var_os("FUNCTIONS_CUSTOMHANDLER_PORT").is_some()
}

/// The trace id of the request being served, or `"-"` outside one.
pub fn current_trace_id() -> String {
    TRACE_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| "-".to_string())
}

/// Middleware: opens the invocation span, scopes the trace id, and echoes it in `X-Trace-Id`.
pub async fn invocation_span(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(INVOCATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_safe_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "invocation",
        invocation_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        run_id = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let mut response = TRACE_ID
        .scope(id.clone(), next.run(req).instrument(span.clone()))
        .await;
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(TRACE_ID_HEADER, value);
    }
    response
}

/// Records the run id on the current invocation span once a handler knows it.
pub fn record_run_id(run_id: &impl std::fmt::Display) {
    tracing::Span::current().record("run_id", tracing::field::display(run_id));
}

/// Invocation ids are GUIDs; anything else odd (too long, control characters) is replaced.
fn is_safe_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
