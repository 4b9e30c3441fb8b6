//! `haymaker agent`: the scenario agent. The same binary, started in each scenario's Container App,
//! carries the scenario document out in the tenant as the scenario's own service principal and
//! reports what it does on the Service Bus topic.
//!
//! - [`inputs`]: the environment the orchestrator sets (`orchestrator::agent_spec`), all problems
//!   reported together;
//! - [`steps`]: the document's phases as argument vectors (the scenario parser's safe shell subset;
//!   no shell ever runs);
//! - [`exec`]: `az` as a child process with a timeout, retries with backoff, and the [`exec::Redactor`]
//!   that keeps the principal's secret and `$HAYMAKER_PASSWORD` out of every log and event;
//! - [`resources`]: ids from `az`'s JSON output, and which created resource a delete names;
//! - [`report`]: the events (`agent_started`, `operation`, `error`, `cleanup_complete`,
//!   `resource_created` / `resource_deleted` / `resource_deletion_failed`), one message id each;
//! - [`runner`]: the day — Phase 1, Phase 2 at a seeded cadence until the end, Phase 3 — and the
//!   graceful stop on SIGTERM;
//! - [`guard`] and [`assist`]: assisted mode (off by default), a model's corrected command run only
//!   when the guard passes it.

pub mod assist;
mod assisted;
pub mod exec;
pub mod guard;
pub mod inputs;
pub mod report;
pub mod resources;
pub mod runner;
pub mod steps;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::azure::identity::IdentityTokens;
use crate::azure::{AccessTokens, HttpTransport, Transport};
use crate::events::bus::{BusConfig, BusError, EventPublisher};

pub use inputs::{AgentInputs, InputError, Mode};
pub use runner::{Agent, Outcome, Summary};

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Inputs(#[from] InputError),
    #[error(transparent)]
    Plan(#[from] steps::PlanError),
    #[error("Service Bus: {0}")]
    Bus(#[from] BusError),
    #[error("assisted mode: {0}")]
    Model(#[from] assist::AssistError),
}

/// The topic publisher: the connection string when given, else the namespace with the agents'
/// managed identity (`HAYMAKER_AGENT_IDENTITY_ID`, else system-assigned).
pub fn publisher(inputs: &AgentInputs) -> Result<EventPublisher, BusError> {
    let tokens: Option<Arc<dyn AccessTokens>> = if inputs.service_bus.connection_string.is_none() {
        let transport: Arc<dyn Transport> = Arc::new(
            HttpTransport::new(None, Duration::from_secs(60)).map_err(BusError::Identity)?,
        );
        let tokens = IdentityTokens::managed(inputs.agent_identity_id.as_deref(), transport)
            .map_err(BusError::Identity)?;
        Some(Arc::new(tokens))
    } else {
        None
    };
    Ok(EventPublisher::new(BusConfig::new(
        &inputs.service_bus,
        tokens,
    )?))
}

/// Builds the agent from its inputs: the plan, the `az` runner, the reporter on `sink`.
pub fn build(
    inputs: AgentInputs,
    sink: Arc<dyn report::EventSink>,
    stop: watch::Receiver<bool>,
) -> Result<Agent, StartError> {
    let plan = steps::plan(&inputs)?;
    let redactor = exec::Redactor::new([inputs.client_secret.clone(), inputs.password.clone()]);
    let az = exec::AzRunner {
        program: inputs.az.clone(),
        timeout: inputs.step_timeout,
        retries: inputs.retries,
        backoff: runner::BACKOFF.mul_f64(inputs.time_scale),
        redactor: redactor.clone(),
    };
    let reporter = report::Reporter::new(sink, inputs.run_id, &inputs.scenario, redactor);
    let model = match &inputs.model {
        Some(m) => Some(assist::ModelClient::new(m.clone())?),
        None => None,
    };
    Ok(Agent::new(inputs, plan, az, reporter, stop, model))
}
