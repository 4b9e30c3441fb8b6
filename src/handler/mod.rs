//! The Azure Functions custom handler: one axum router that serves envelope invocations
//! (`POST /{FunctionName}`), the forwarded HTTP API (`/api/v1/…`) and the readiness page (`/`).

pub mod envelope;
pub mod error;
pub mod functions;
mod http_envelope;
pub mod invocation;
pub mod limits;
pub mod response;
mod server;
pub mod triggers;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};

use crate::api::{self, ApiError};
use crate::config::Settings;
use crate::orchestrator::Orchestrator;
use crate::store::StateStore;
use crate::telemetry;

pub use error::{InvocationError, TriggerError};
pub use functions::FunctionName;
pub use server::{serve, shutdown_signal, ServeOptions};

pub use limits::MAX_BODY_BYTES;

/// Shared, read-only context of every invocation.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: StateStore,
    /// Carries out the run's steps (tick, work units).
    pub orchestrator: Arc<Orchestrator>,
    /// Which runs take agent events (a short-lived cache shared by every invocation).
    pub runs: Arc<crate::events::RunGate>,
    /// Records the orchestrator's lifecycle events (archive, and topic when configured).
    pub lifecycle: Arc<crate::events::LifecycleRecorder>,
    /// The monitoring API's in-memory resource indexes.
    pub api_cache: Arc<api::IndexCache>,
    /// Forwards accepted agent events to Log Analytics, when configured.
    pub log_forwarder: Option<Arc<crate::events::LogForwarder>>,
}

impl AppState {
    /// Opens the state store the settings name.
    pub fn new(settings: Settings) -> Result<Self, String> {
        let store = StateStore::from_settings(&settings)?;
        Ok(Self::with_store(settings, store))
    }

    pub fn with_store(settings: Settings, store: StateStore) -> Self {
        let lifecycle = crate::events::LifecycleRecorder::from_settings(&settings, store.clone());
        let orchestrator = Orchestrator::new(Arc::new(settings), store.clone())
            .with_lifecycle(Arc::new(lifecycle));
        Self::with_orchestrator(orchestrator)
    }

    /// Around an orchestrator set up by the caller (the sandbox's clock and policy).
    pub fn with_orchestrator(orchestrator: Orchestrator) -> Self {
        let log_forwarder = crate::events::LogForwarder::from_settings(&orchestrator.settings)
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "Log Analytics forwarding is configured but cannot start; events are archived only");
                None
            });
        Self {
            log_forwarder,
            settings: orchestrator.settings.clone(),
            store: orchestrator.store.clone(),
            runs: Arc::new(crate::events::RunGate::default()),
            lifecycle: orchestrator.lifecycle.clone(),
            orchestrator: Arc::new(orchestrator),
            api_cache: Arc::default(),
        }
    }

    /// The monitoring queries over this state's store.
    pub fn monitor(&self) -> api::Monitor {
        api::Monitor {
            store: self.store.clone(),
            cache: self.api_cache.clone(),
        }
    }
}

/// The whole router.
pub fn app(state: AppState) -> Router {
    http_routes(state.clone())
        .route("/{function}", post(invoke_function))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(limits::json_rejections))
        .layer(middleware::from_fn(telemetry::invocation_span))
        .with_state(state)
}

/// The HTTP routes: what a forwarded request, or an HTTP request that arrives as an envelope, may
/// reach. (The envelope's own invocation span and body limit already surround the latter.)
fn http_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(api::dashboard::page))
        .nest("/api/v1", api::router(state))
        .fallback(not_found)
}

/// `POST /{FunctionName}`: decode the envelope, dispatch, answer.
async fn invoke_function(
    State(state): State<AppState>,
    Path(function): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = limits::require_json(&headers) {
        return e.into_response();
    }
    let answer = async {
        let function: FunctionName = function.parse()?;
        let envelope = envelope::Envelope::from_slice(&body)?;
        tracing::debug!(%function, "invocation");
        functions::invoke(&state, function, &envelope)
            .await
            .map(Json)
    };
    let answer: Result<Json<response::InvocationResponse>, InvocationError> = answer.await;
    answer.into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    let path: String = uri.path().chars().take(200).collect();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("no such path `{path}`; envelopes go to POST /{{FunctionName}}, the API lives under /api/v1"),
    )
    .with_details(serde_json::json!({"path": path}))
    .into_response()
}
