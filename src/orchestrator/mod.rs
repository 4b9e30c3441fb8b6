//! The I/O half of the run: carries out what [`crate::run::plan`] decides. `Tick` calls
//! [`tick::tick`]; `Work` calls [`work::execute`] for each queued unit. Every step reads the run
//! document, acts, and records its result under a precondition, so it may run twice, concurrently,
//! or after a crash.
//!
//! | module | what it is for |
//! |---|---|
//! | [`cloud`] | the Azure clients a run uses, built once from the settings |
//! | [`tick`] | the tick: plan, inline steps (validation, selection, reporting), status counters |
//! | [`validate`] | the checks before anything is created |
//! | [`provision`] | one scenario: resource group, principal, secret, roles, agent |
//! | [`agent_spec`] | the Container App an agent runs as (pure) |
//! | [`monitor`] | reading the agents |
//! | [`cleanup`] | the cleanup phase's units |
//! | [`report`] | the run report and the return to idle |
//! | [`work`] | dispatch of queued units |

pub mod agent_spec;
pub mod cleanup;
pub mod cloud;
pub mod monitor;
pub mod provision;
pub mod report;
pub mod tick;
pub mod validate;
pub mod work;

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::azure::AzureError;
use crate::clock::Clock;
use crate::config::Settings;
use crate::events::LifecycleRecorder;
use crate::run::{keys, Policy, RunState, ScenarioRecord};
use crate::scenarios::Library;
use crate::store::{Decision, StateStore, StoreError};

pub use cloud::Cloud;

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum OrchestratorError {
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    #[error("Azure: {0}")]
    Azure(Box<AzureError>),
    /// The settings cannot reach Azure at all (named settings and the fix).
    #[error("not configured for Azure: {0}")]
    NotConfigured(String),
    /// Waiting for something that will come (role propagation, an agent starting).
    #[error("{0}")]
    NotYet(String),
    /// A fault that retrying cannot fix.
    #[error("{0}")]
    Permanent(String),
    /// The work was overtaken (the run moved on): stop, nothing to retry.
    #[error("{0}")]
    Stopped(String),
}

impl From<AzureError> for OrchestratorError {
    fn from(e: AzureError) -> Self {
        OrchestratorError::Azure(Box::new(e))
    }
}

impl OrchestratorError {
    /// Whether the host should retry the invocation.
    pub fn is_retriable(&self) -> bool {
        match self {
            OrchestratorError::Store(e) => e.is_retriable(),
            OrchestratorError::Azure(e) => e.is_retriable(),
            OrchestratorError::NotYet(_) => true,
            OrchestratorError::NotConfigured(_)
            | OrchestratorError::Permanent(_)
            | OrchestratorError::Stopped(_) => false,
        }
    }
}

/// How agents' events reach the orchestrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsDelivery {
    /// The `agent-logs` topic, read by the `AgentEvents` function (Azure).
    ServiceBus,
    /// Posted to the handler by the sandbox, which plays the Functions host.
    InProcess,
}

/// Everything a step needs: settings, store, clock, timing policy, scenario library, Azure clients.
pub struct Orchestrator {
    pub settings: Arc<Settings>,
    pub store: StateStore,
    pub clock: Clock,
    pub policy: Policy,
    pub events: EventsDelivery,
    /// The run's own lifecycle events (archive, and the topic when configured).
    pub lifecycle: Arc<LifecycleRecorder>,
    library: OnceLock<Result<Arc<Library>, String>>,
    cloud: OnceLock<Result<Arc<Cloud>, String>>,
}

impl Orchestrator {
    pub fn new(settings: Arc<Settings>, store: StateStore) -> Self {
        Self {
            store: store.clone(),
            settings,
            clock: Clock::system(),
            policy: Policy::default(),
            events: EventsDelivery::ServiceBus,
            lifecycle: Arc::new(LifecycleRecorder::archive_only(store.clone())),
            library: OnceLock::new(),
            cloud: OnceLock::new(),
        }
    }

    pub fn with_lifecycle(mut self, lifecycle: Arc<LifecycleRecorder>) -> Self {
        self.lifecycle = lifecycle;
        self
    }

    /// The sandbox's variant: a scaled clock, its policy, events delivered in-process.
    pub fn for_sandbox(mut self, clock: Clock, policy: Policy) -> Self {
        self.clock = clock;
        self.policy = policy;
        self.events = EventsDelivery::InProcess;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Records a lifecycle event; a failure is logged, never fatal to the step that reports it.
    pub async fn lifecycle_event<F, Fut>(&self, run_id: Uuid, what: &str, record: F)
    where
        F: FnOnce(Arc<LifecycleRecorder>) -> Fut,
        Fut: std::future::Future<Output = Result<String, StoreError>>,
    {
        if let Err(e) = record(self.lifecycle.clone()).await {
            tracing::warn!(%run_id, event = what, error = %e, "lifecycle event not recorded");
        }
    }

    /// Adds an invocation's pipeline retries to the run document (nothing when there were none);
    /// a failure is logged: the count is a report, not a decision.
    pub async fn record_retries(&self, run_id: Uuid, retries: u64) {
        if retries == 0 {
            return;
        }
        let added = self
            .update_run(run_id, |run| {
                run.azure_retries += retries;
                true
            })
            .await;
        if let Err(e) = added {
            tracing::warn!(%run_id, retries, error = %e, "retry count not recorded");
        }
    }

    /// The scenario library (`HAYMAKER_SCENARIOS_DIR`, else the embedded one), loaded once.
    pub fn library(&self) -> Result<Arc<Library>, OrchestratorError> {
        self.library
            .get_or_init(|| {
                Library::load(self.settings.scenarios_dir.as_deref())
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(OrchestratorError::Permanent)
    }

    /// The Azure clients, built once; the error names the settings to fix.
    pub fn cloud(&self) -> Result<Arc<Cloud>, OrchestratorError> {
        self.cloud
            .get_or_init(|| Cloud::from_settings(&self.settings).map(Arc::new))
            .clone()
            .map_err(OrchestratorError::NotConfigured)
    }

    /// The run document; `None` when the run is unknown.
    pub async fn load_run(&self, run_id: Uuid) -> Result<Option<RunState>, OrchestratorError> {
        Ok(self
            .store
            .read_json::<RunState>(&keys::run_state(run_id))
            .await?
            .map(|(s, _)| s))
    }

    /// Changes the run document under its precondition; `change` may run several times and returns
    /// `false` to leave the document alone. Returns the document as it then stands.
    pub async fn update_run<F>(
        &self,
        run_id: Uuid,
        mut change: F,
    ) -> Result<Option<RunState>, OrchestratorError>
    where
        F: FnMut(&mut RunState) -> bool,
    {
        let now = self.now();
        let updated = self
            .store
            .update_json(&keys::run_state(run_id), |current: Option<&RunState>| {
                let Some(current) = current else {
                    return Decision::Keep(());
                };
                let mut next = current.clone();
                if change(&mut next) {
                    next.updated_at = now;
                    Decision::Write(next, ())
                } else {
                    Decision::Keep(())
                }
            })
            .await?;
        Ok(updated.current)
    }

    /// Changes one scenario's record (see [`Self::update_run`]).
    pub async fn update_scenario<F>(
        &self,
        run_id: Uuid,
        scenario: &str,
        mut change: F,
    ) -> Result<Option<ScenarioRecord>, OrchestratorError>
    where
        F: FnMut(&mut ScenarioRecord) -> bool,
    {
        let state = self
            .update_run(run_id, |run| match run.scenario_mut(scenario) {
                Some(record) => change(record),
                None => false,
            })
            .await?;
        Ok(state.and_then(|s| s.scenario(scenario).cloned()))
    }
}
