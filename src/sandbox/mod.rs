//! `haymaker sandbox`: a whole run, end to end, on this machine. The simulator runs in-process and
//! the real handler router serves it; [`host`] plays the Functions host (timers, the `Work` queue,
//! `AgentEvents` deliveries — at least once, duplicates on purpose); [`agents`] plays one agent per
//! Container App the run creates, acting with that agent's own service principal. The orchestrator's
//! clock runs fast so a run's hours pass in about a minute; the verdict checks the simulator itself
//! for anything of the run that is left ([`leftovers`]).
//!
//! | module | what it is for |
//! |---|---|
//! | [`host`] | the Functions host's part: envelopes, queue with retries and poison, redelivery |
//! | [`agents`] | simulated agents: create the scenario's resource types, publish events, delete some |
//! | [`leftovers`] | what the simulator still holds of a run |
//! | [`summary`] | the printed summary and the exit verdict |

pub mod agents;
pub mod host;
pub mod leftovers;
pub mod summary;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::clock::Clock;
use crate::config::{catalog, Settings};
use crate::handler::{self, AppState};
use crate::orchestrator::Orchestrator;
use crate::run::{keys, Policy, RunState};
use crate::scenarios::Size;
use crate::sim::{SimConfig, SimOptions, SimServer};
use crate::store::StateStore;

pub use summary::Summary;

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
        }
    }
}

/// The sandbox failed to run at all (a failed *run* is a [`Summary`] with a failed verdict).
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
}

/// The settings that point haymaker at the in-process simulator, plus the storage ones given.
fn settings_for(sim: &SimServer, options: &SandboxOptions) -> Result<Settings, SandboxError> {
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
    vars.insert(catalog::SIMULATION_SIZE.into(), options.size.to_string());
    vars.insert(
        catalog::HAYMAKER_RUN_DURATION_HOURS.into(),
        options.duration_hours.to_string(),
    );
    vars.entry(catalog::HAYMAKER_AGENT_IMAGE.into())
        .or_insert_with(|| "haymaker-sandbox/agent:simulated".into());
    Settings::from_lookup(&|name| vars.get(name).cloned())
        .map_err(|e| SandboxError::Settings(e.to_string()))
}

/// The clock factor: `--speed`, else the run's hours in about a minute.
pub fn clock_factor(options: &SandboxOptions) -> f64 {
    options
        .speed
        .unwrap_or(options.duration_hours * 3600.0 / 60.0)
        .max(1.0)
}

/// A sandbox in progress: the simulator, the state store, the emulated host around the handler, the
/// agents, and the run. [`run`] drives one to the end; tests drive it step by step (and restart the
/// handler in between, as a crashed process comes back on the same state).
pub struct Sandbox {
    options: SandboxOptions,
    sim: SimServer,
    sim_dir: PathBuf,
    settings: Arc<Settings>,
    store: StateStore,
    clock: Clock,
    policy: Policy,
    host: Arc<host::Host>,
    supervisor: agents::Supervisor,
    workers: Vec<tokio::task::JoinHandle<()>>,
    run_id: Uuid,
    started: Instant,
    last_phase: Option<crate::run::Phase>,
}

impl Sandbox {
    /// Starts the simulator and the handler, and the run (the `ScheduledRun` timer fires).
    pub async fn start(options: SandboxOptions) -> Result<Self, SandboxError> {
        let started = Instant::now();
        let factor = clock_factor(&options);
        // The simulator's CA is named for its port, so each sandbox gets a directory of its own.
        let sim_dir = options
            .sim_dir
            .join(format!("run-{}", Uuid::new_v4().simple()));
        let sim = SimServer::start(SimOptions {
            port: 0,
            data_dir: Some(sim_dir.clone()),
            config: SimConfig {
                speed: factor,
                ..SimConfig::default()
            },
        })
        .await?;
        let settings = Arc::new(settings_for(&sim, &options)?);
        let store = StateStore::from_settings(&settings).map_err(SandboxError::Settings)?;
        let clock = Clock::scaled(factor);
        // Leases and check intervals in clock time that amount to a few real seconds.
        let real = |secs: f64| chrono::Duration::milliseconds((secs * factor * 1000.0) as i64);
        let policy = Policy {
            lease: real(20.0),
            check_every: real(2.0),
            ..Policy::default()
        };
        let orchestrator = Self::orchestrator(&settings, &store, &clock, policy);
        let library = orchestrator
            .library()
            .map_err(|e| SandboxError::Settings(e.to_string()))?;
        let host = Arc::new(host::Host::new(
            handler::app(AppState::with_orchestrator(orchestrator)),
            11,
        ));
        let answer = host.fire_timer("ScheduledRun", clock.now()).await;
        let run_id: Uuid = answer.body["ReturnValue"]["run_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| SandboxError::NotStarted(answer.body.to_string()))?;
        if options.progress {
            eprintln!(
                "sandbox: run {run_id} started ({} scenarios, clock ×{factor:.0})",
                options.size.count()
            );
        }
        let supervisor = agents::Supervisor::new(
            sim.sim.clone(),
            run_id,
            host.clone(),
            clock.clone(),
            options.seed,
            settings.clone(),
            library,
        );
        let mut sandbox = Self {
            options,
            sim,
            sim_dir,
            settings,
            store,
            clock,
            policy,
            host,
            supervisor,
            workers: Vec::new(),
            run_id,
            started,
            last_phase: None,
        };
        sandbox.start_workers();
        Ok(sandbox)
    }

    fn orchestrator(
        settings: &Arc<Settings>,
        store: &StateStore,
        clock: &Clock,
        policy: Policy,
    ) -> Orchestrator {
        Orchestrator::new(settings.clone(), store.clone()).for_sandbox(clock.clone(), policy)
    }

    /// The host's queue workers (host.json `batchSize` runs 16 at once; 8 suffice here).
    fn start_workers(&mut self) {
        self.workers = (0..8)
            .map(|_| {
                let host = self.host.clone();
                let clock = self.clock.clone();
                tokio::spawn(async move {
                    loop {
                        if !host.work_one(clock.now(), Duration::from_millis(300)).await {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                })
            })
            .collect();
    }

    pub fn run_id(&self) -> Uuid {
        self.run_id
    }

    /// The simulated Azure (for checks and for seeding).
    pub fn sim(&self) -> &Arc<crate::sim::Sim> {
        &self.sim.sim
    }

    /// The settings the handler runs with (they point at the simulator).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn store(&self) -> &StateStore {
        &self.store
    }

    /// The emulated Functions host (tests fire extra timers or deliver units twice through it).
    pub fn host(&self) -> &Arc<host::Host> {
        &self.host
    }

    /// The run's (scaled) clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The run document now.
    pub async fn state(&self) -> Result<Option<RunState>, SandboxError> {
        Ok(self
            .store
            .read_json::<RunState>(&keys::run_state(self.run_id))
            .await?
            .map(|(s, _)| s))
    }

    /// One round of the host: deliver agent events, fire `Tick`, start agents for new apps.
    /// Returns the run document after it.
    pub async fn step(&mut self) -> Result<Option<RunState>, SandboxError> {
        self.host.deliver_events(self.clock.now()).await;
        self.host.fire_timer("Tick", self.clock.now()).await;
        self.supervisor.reconcile().await;
        let state = self.state().await?;
        if let Some(state) = &state {
            if self.options.progress && self.last_phase != Some(state.phase) {
                eprintln!(
                    "sandbox: [{:>5.1}s] {:?}{}",
                    self.started.elapsed().as_secs_f64(),
                    state.phase,
                    summary::phase_note(state)
                );
            }
            self.last_phase = Some(state.phase);
        }
        Ok(state)
    }

    /// The handler process dies (every invocation in flight is cut off where it stands) and a new
    /// one starts on the same state; the host redelivers what was in flight.
    pub fn crash_and_restart(&mut self) {
        for w in self.workers.drain(..) {
            w.abort();
        }
        let orchestrator =
            Self::orchestrator(&self.settings, &self.store, &self.clock, self.policy);
        self.host
            .restart(handler::app(AppState::with_orchestrator(orchestrator)));
        self.start_workers();
    }

    /// Steps until the run ends (or the time limit); returns its last document.
    pub async fn run_to_end(&mut self) -> Result<Option<RunState>, SandboxError> {
        let tick_every =
            Duration::from_secs_f64((60.0 / clock_factor(&self.options)).clamp(0.05, 1.0));
        let mut last = None;
        while self.started.elapsed() < self.options.timeout {
            last = self.step().await?;
            if last.as_ref().is_some_and(|s| s.phase.is_terminal()) {
                break;
            }
            tokio::time::sleep(tick_every).await;
        }
        Ok(last)
    }

    /// Stops everything and reports: the run's outcome and what the simulator still holds of it.
    pub async fn finish(mut self) -> Result<Summary, SandboxError> {
        for w in self.workers.drain(..) {
            w.abort();
        }
        self.supervisor.stop().await;
        let state = self.state().await?;
        let known: Vec<String> = state
            .iter()
            .flat_map(|s| &s.scenarios)
            .filter_map(|s| s.principal.as_ref()?.principal_object_id.clone())
            .collect();
        let left = leftovers::of_run(&self.sim.sim, self.run_id, &known);
        let read = |key| {
            let store = self.store.clone();
            async move {
                store
                    .read_json::<serde_json::Value>(&key)
                    .await
                    .map(|v| v.map(|(v, _)| v))
            }
        };
        let report = read(keys::report(self.run_id)).await?;
        let cleanup = read(keys::cleanup_report(self.run_id)).await?;
        let summary = Summary::new(
            self.run_id,
            state,
            report,
            cleanup,
            left,
            self.supervisor.stats(),
            &self.host.stats,
            self.started.elapsed(),
        );
        self.sim.stop().await;
        let _ = std::fs::remove_dir_all(&self.sim_dir);
        Ok(summary)
    }
}

/// Runs one whole simulated run and reports on it.
pub async fn run(options: SandboxOptions) -> Result<Summary, SandboxError> {
    let mut sandbox = Sandbox::start(options).await?;
    sandbox.run_to_end().await?;
    sandbox.finish().await
}
