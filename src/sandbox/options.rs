//! How a sandbox is set up: its options, its errors, the settings that point the handler at the
//! in-process simulator, and the sandbox's timing and handler state (shared with the handler
//! process, `haymaker serve --sandbox-clock`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::config::{catalog, Secret, Settings};
use crate::handler::AppState;
use crate::orchestrator::Orchestrator;
use crate::run::Policy;
use crate::scenarios::Size;
use crate::sim::faults::FaultSpec;
use crate::sim::SimServer;
use crate::store::StateStore;

/// Where the handler runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HandlerMode {
    /// The real router in this process (a crash is simulated by aborting its invocations).
    #[default]
    InProcess,
    /// `binary serve` as a process of its own, over HTTP, as the Functions host runs it; a crash is
    /// `kill -9`.
    Process { binary: PathBuf },
}

/// How to run the sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub size: Size,
    /// Seeds the simulated agents' choices.
    pub seed: u64,
    /// How many times faster than real time the run's clock goes; `None`: the run's hours in
    /// about a minute.
    pub speed: Option<f64>,
    /// The run's length in (simulated) hours.
    pub duration_hours: f64,
    /// Environment lookups for the state store settings (`HAYMAKER_STATE`, `AzureWebJobsStorage…`).
    pub storage_env: HashMap<String, String>,
    /// Where the simulator keeps its CA.
    pub sim_dir: PathBuf,
    /// Print phase-by-phase progress on stderr.
    pub progress: bool,
    /// Give up after this much real time.
    pub timeout: Duration,
    /// Where the handler runs.
    pub handler: HandlerMode,
    /// The simulator's injected failures (`haymaker sim --faults`).
    pub faults: Option<FaultSpec>,
    /// Polls a long-running operation answers "still running" before it completes [default: the
    /// simulator's].
    pub lro_polls: Option<u32>,
    /// Settings (catalogue names) laid over the ones pointing at the simulator, e.g.
    /// `HAYMAKER_AGENT_MODE` and `HAYMAKER_AGENT_SECRET_NAMES`.
    pub settings_env: HashMap<String, String>,
    /// Secrets stored in the simulated Key Vault before the run starts (name, value): the agents'
    /// secrets `HAYMAKER_AGENT_SECRET_NAMES` lists, which validation looks for.
    pub vault_secrets: Vec<(String, Secret)>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            size: Size::Small,
            seed: 1,
            speed: None,
            duration_hours: 8.0,
            storage_env: HashMap::new(),
            sim_dir: PathBuf::from(".haymaker/sandbox/sim"),
            progress: false,
            timeout: Duration::from_secs(600),
            handler: HandlerMode::InProcess,
            faults: None,
            lro_polls: None,
            settings_env: HashMap::new(),
            vault_secrets: Vec::new(),
        }
    }
}

/// The sandbox failed to run at all (a failed *run* is a [`super::Summary`] with a failed verdict).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("simulator: {0}")]
    Sim(#[from] crate::sim::SimError),
    #[error("settings: {0}")]
    Settings(String),
    #[error("state store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the run did not start: {0}")]
    NotStarted(String),
    #[error("handler process: {0}")]
    Process(#[from] super::process::ProcessError),
}

/// The settings (as environment variables) that point haymaker at the in-process simulator, plus
/// the storage ones given.
pub(super) fn settings_vars(sim: &SimServer, options: &SandboxOptions) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = sim
        .env_vars()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for name in [
        catalog::HAYMAKER_STATE,
        catalog::AZURE_WEBJOBS_STORAGE,
        catalog::AZURE_WEBJOBS_STORAGE_ACCOUNT,
        catalog::AZURE_WEBJOBS_STORAGE_BLOB_URI,
    ] {
        if let Some(v) = options.storage_env.get(name) {
            vars.insert(name.to_string(), v.clone());
        }
    }
    vars.extend(options.settings_env.clone());
    vars.insert(catalog::SIMULATION_SIZE.into(), options.size.to_string());
    vars.insert(
        catalog::HAYMAKER_RUN_DURATION_HOURS.into(),
        options.duration_hours.to_string(),
    );
    vars.entry(catalog::HAYMAKER_AGENT_IMAGE.into())
        .or_insert_with(|| "haymaker-sandbox/agent:simulated".into());
    vars
}

/// Stores the options' agent secrets in the simulated Key Vault.
pub(super) fn seed_vault(sim: &SimServer, options: &SandboxOptions) -> Result<(), SandboxError> {
    let mut world = sim.sim.world();
    for (name, value) in &options.vault_secrets {
        let new = crate::sim::keyvault::vault::NewVersion {
            value: value.clone(),
            content_type: None,
            tags: Default::default(),
            enabled: true,
            not_before: None,
            expires: None,
        };
        world
            .set_secret(name, new, chrono::Utc::now())
            .map_err(|e| SandboxError::Settings(format!("vault secret {name}: {e}")))?;
    }
    Ok(())
}

pub(super) fn settings_of(vars: &HashMap<String, String>) -> Result<Settings, SandboxError> {
    Settings::from_lookup(&|name| vars.get(name).cloned())
        .map_err(|e| SandboxError::Settings(e.to_string()))
}

/// The orchestrator's timing in the sandbox: leases and check intervals in clock time that amount
/// to a few real seconds.
pub fn policy(factor: f64) -> Policy {
    let real = |secs: f64| chrono::Duration::milliseconds((secs * factor * 1000.0) as i64);
    Policy {
        lease: real(20.0),
        check_every: real(2.0),
        ..Policy::default()
    }
}

/// The handler's state in the sandbox (in-process, or `haymaker serve --sandbox-clock`): the
/// sandbox's clock and policy, events delivered by the emulated host.
pub fn handler_state(settings: Arc<Settings>, store: StateStore, clock: Clock) -> AppState {
    let policy = policy(clock.factor());
    AppState::with_orchestrator(Orchestrator::new(settings, store).for_sandbox(clock, policy))
}

/// The clock factor: `--speed`, else the run's hours in about a minute.
pub fn clock_factor(options: &SandboxOptions) -> f64 {
    options
        .speed
        .unwrap_or(options.duration_hours * 3600.0 / 60.0)
        .max(1.0)
}
