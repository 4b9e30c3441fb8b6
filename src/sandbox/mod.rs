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
//! | [`transport`] | how the host reaches the handler: the router in-process, or HTTP to a handler process |
//! | [`process`] | the handler as a process (`haymaker serve --sandbox-clock …`), killed with SIGKILL on demand |
//! | [`agents`] | simulated agents: create the scenario's resource types, publish events, delete some |
//! | [`leftovers`] | what the simulator still holds of a run |
//! | [`options`] | the sandbox's options and errors, its settings, timing and handler state |
//! | [`summary`] | the printed summary and the exit verdict |

pub mod agents;
pub mod host;
pub mod leftovers;
pub mod options;
pub mod process;
pub mod summary;
pub mod transport;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::clock::Clock;
use crate::config::Settings;
use crate::handler::{self, AppState};
use crate::orchestrator::Orchestrator;
use crate::run::{keys, Policy, RunState};
use crate::sim::{SimConfig, SimOptions, SimServer};
use crate::store::StateStore;

pub use options::{clock_factor, handler_state, policy, HandlerMode, SandboxError, SandboxOptions};
use options::{seed_vault, settings_of, settings_vars};
pub use process::{HandlerCommand, HandlerProcess, SandboxClock};
pub use summary::Summary;

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
    /// The handler process and how to start another (handler mode `Process`).
    process: Option<(HandlerProcess, HandlerCommand)>,
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
            config: Self::sim_config(&options, factor),
        })
        .await?;
        seed_vault(&sim, &options)?;
        let vars = settings_vars(&sim, &options);
        let settings = Arc::new(settings_of(&vars)?);
        let store = StateStore::from_settings(&settings).map_err(SandboxError::Settings)?;
        let clock = Clock::scaled(factor);
        let policy = policy(factor);
        let orchestrator = Self::orchestrator(&settings, &store, &clock, policy);
        let library = orchestrator
            .library()
            .map_err(|e| SandboxError::Settings(e.to_string()))?;
        let (transport, process) = match &options.handler {
            HandlerMode::InProcess => (
                handler::app(AppState::with_orchestrator(orchestrator)).into(),
                None,
            ),
            HandlerMode::Process { binary } => {
                let command = HandlerCommand {
                    binary: binary.clone(),
                    env: vars,
                    clock: SandboxClock::of(&clock).expect("the sandbox's clock is scaled"),
                    log: sim_dir.join("handler.log"),
                };
                let child = HandlerProcess::spawn(&command).await?;
                (child.transport(), Some((child, command)))
            }
        };
        let host = Arc::new(host::Host::new(transport, 11));
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
            process,
            supervisor,
            workers: Vec::new(),
            run_id,
            started,
            last_phase: None,
        };
        sandbox.start_workers();
        Ok(sandbox)
    }

    fn sim_config(options: &SandboxOptions, factor: f64) -> SimConfig {
        let defaults = SimConfig::default();
        SimConfig {
            speed: factor,
            faults: options.faults.clone(),
            lro_polls: options.lro_polls.unwrap_or(defaults.lro_polls),
            ..defaults
        }
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

    /// The emulated Functions host (its counters, its queue; tests fire extra timers or deliver
    /// units twice through it).
    pub fn host(&self) -> &Arc<host::Host> {
        &self.host
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

    /// The in-process handler "dies" (every invocation in flight is cut off where it stands) and a
    /// new one starts on the same state; the host redelivers what was in flight. For a handler
    /// process, [`Sandbox::kill_and_restart`] is the real thing.
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

    /// The handler dies and comes back on the same state: a handler process is killed with SIGKILL
    /// and a new one started (the host redelivers the messages the old one held); the in-process
    /// handler is crashed as [`Sandbox::crash_and_restart`] does. Returns the new process id.
    pub async fn kill_and_restart(&mut self) -> Result<Option<u32>, SandboxError> {
        let Some((child, command)) = self.process.take() else {
            self.crash_and_restart();
            return Ok(None);
        };
        child.kill().await;
        let child = HandlerProcess::spawn(&command).await?;
        let pid = child.id();
        self.host.restart(child.transport());
        self.process = Some((child, command));
        Ok(pid)
    }

    /// The process id of the handler process (handler mode `Process`).
    pub fn handler_pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(|(p, _)| p.id())
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
        if let Some((child, _)) = self.process.take() {
            child.kill().await;
        }
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
        let mut summary = Summary::new(
            self.run_id,
            state,
            report,
            cleanup,
            left,
            self.supervisor.stats(),
            &self.host.stats,
            self.started.elapsed(),
        );
        let faults = self.sim.sim.faults.tally();
        if faults != crate::sim::faults::FaultTally::default() {
            summary.faults = Some(faults.into());
        }
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
