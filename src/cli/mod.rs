//! The `haymaker` command line: thin commands over the library.

mod agent;
mod cleanup;
mod cleanup_render;
mod logs;
pub mod logs_archive;
mod monitor;
mod sandbox;
mod scenarios;
pub mod settings;
mod sim;

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::handler::{self, AppState, ServeOptions};
use crate::telemetry;

/// haymaker — scheduled, self-cleaning activity for a test Azure tenant.
///
/// It runs as an Azure Functions custom handler (`haymaker serve`), and the same binary lists, validates
/// and selects scenarios and builds the deployment package. Settings come from the environment (the
/// Function App's app settings); see the README for every one.
#[derive(Debug, Parser)]
#[command(name = "haymaker", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the custom handler the Functions host talks to (also serves the API without the host).
    ///
    /// Listens on --port, else FUNCTIONS_CUSTOMHANDLER_PORT, else 7071; prints `listening on …` once
    /// ready and stops gracefully on SIGTERM or Ctrl-C. Use --port 0 for any free port.
    Serve {
        /// Port to listen on [default: FUNCTIONS_CUSTOMHANDLER_PORT, else 7071].
        #[arg(long)]
        port: Option<u16>,
        /// Address to bind; the host always connects to 127.0.0.1.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// The sandbox's handler process: its scaled clock (FACTOR@ORIGIN), its timing, events
        /// delivered by the sandbox's host. Set by `haymaker sandbox`, not by hand.
        #[arg(long, hide = true, value_name = "FACTOR@ORIGIN")]
        sandbox_clock: Option<crate::sandbox::SandboxClock>,
    },
    /// Build the zip a Function App is deployed from (host.json, function folders, the binary).
    ///
    /// Run it from a release build: `cargo run --release -- package`. Deploy the zip with
    /// `az functionapp deployment source config-zip --src dist/haymaker.zip …`.
    Package {
        /// Where to write the zip.
        #[arg(long, default_value = "dist/haymaker.zip")]
        out: PathBuf,
        /// The Linux executable to ship [default: this binary, which must be a release build].
        #[arg(long)]
        binary: Option<PathBuf>,
    },
    /// Run a whole simulated run on this machine and check that cleanup left nothing behind.
    ///
    /// Starts the simulator in-process, plays the Functions host (timers, the work queue, agent
    /// event deliveries — at least once, with duplicates on purpose) and one simulated agent per
    /// Container App, through the real handler. The run's hours pass in about a minute. Exit 0 only
    /// when cleanup is verified and the simulator holds nothing of the run. State goes to the
    /// configured store (HAYMAKER_STATE, else .haymaker/state), so `haymaker serve` shows the run.
    Sandbox(sandbox::SandboxArgs),
    /// Run the scenario agent: what each scenario's Container App runs (see docs/AGENT.md).
    ///
    /// Reads the environment the orchestrator sets (HAYMAKER_RUN_ID, HAYMAKER_SCENARIO_DOCUMENT,
    /// AZURE_CLIENT_ID/SECRET, HAYMAKER_RUN_END, the Service Bus namespace or connection string, …),
    /// signs in with `az login --service-principal`, runs Phase 1, repeats Phase 2 at a seeded
    /// cadence until the run's end, runs Phase 3 and reports every step on the topic. SIGTERM
    /// finishes the current command, runs Phase 3 and exits 0. Exit 2: bad environment.
    Agent,
    /// List, show, validate and select scenario documents.
    #[command(subcommand)]
    Scenarios(scenarios::ScenariosCommand),
    /// Start a run now in the configured state store (what ScheduledRun and POST /api/v1/runs do).
    ///
    /// Refuses, exit code 1, when a run is already active.
    Start {
        /// small (5), medium (15), large (30) or a number [default: SIMULATION_SIZE].
        #[arg(long)]
        size: Option<crate::scenarios::Size>,
        /// How long agents operate before cleanup [default: HAYMAKER_RUN_DURATION_HOURS].
        #[arg(long)]
        duration_hours: Option<f64>,
    },
    /// Serve an in-memory Azure (Entra tokens, ARM with RBAC and throttling, Graph, Key Vault) over
    /// HTTPS on 127.0.0.1 for local runs and tests.
    ///
    /// Prints `simulator listening on https://127.0.0.1:PORT` once ready and stops on SIGTERM or
    /// Ctrl-C. `--print-env` prints the settings (AZURE_*, HAYMAKER_*) that point haymaker at it.
    /// The orchestrator's principal is Owner of every subscription; ARM applies Azure's rate limits
    /// (x-ms-ratelimit-remaining-* headers, 429 with Retry-After). `--faults` injects failures,
    /// `--speed` runs the world faster.
    Sim(sim::SimArgs),
    /// Show a run's events: from the archive in the state store, in time order (--follow keeps
    /// polling until the run finishes), or with --live from the Service Bus topic as they arrive.
    ///
    /// --live reads the subscription HAYMAKER_EVENTS_TAIL_SUBSCRIPTION of HAYMAKER_EVENTS_TOPIC and
    /// prints one line per event of the run (time, event type, scenario, message or resource) until
    /// Ctrl-C.
    Logs {
        /// The run whose events to show.
        #[arg(long = "run", value_name = "ID")]
        run_id: String,
        /// Follow the topic as events arrive, instead of reading the archive.
        #[arg(long)]
        live: bool,
        /// Keep polling the archive for new events until the run finishes (or Ctrl-C).
        #[arg(long, conflicts_with = "live")]
        follow: bool,
        /// One JSON document per event and line (archive view).
        #[arg(long, conflicts_with = "live")]
        json: bool,
        /// Stop after this many events.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Delete everything a run left in Azure — verifiably, in dependency order, and nothing else.
    ///
    /// Finds the run's resources by their haymaker-run-id tag in every target subscription,
    /// re-reads each to make sure it is the run's, deletes them in order, then the run's role
    /// assignments, principals and secrets, and verifies that nothing is left. Works for any run id,
    /// also one the state store does not know. Try --dry-run first.
    Cleanup(cleanup::CleanupArgs),
    /// List what haymaker left in Azure: everything tagged haymaker-managed=true by run, or one run.
    Discover(cleanup::DiscoverArgs),
    /// The orchestrator's status (what GET /api/v1/status shows), from the state store.
    Status {
        /// Print the API's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List runs or show one (GET /api/v1/runs, /runs/{id}), from the state store.
    #[command(subcommand)]
    Runs(monitor::RunsCommand),
    /// A page of a run's resources (GET /api/v1/runs/{id}/resources), from the state store.
    Resources(monitor::ResourcesArgs),
    /// Print every setting haymaker reads (a Markdown table), or the local.settings.json template.
    Settings {
        /// Print `local.settings.example.json` instead of the table.
        #[arg(long)]
        example_json: bool,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            port,
            host,
            sandbox_clock,
        } => serve(port, host, sandbox_clock),
        Command::Package { out, binary } => package(out, binary),
        Command::Scenarios(cmd) => scenarios::run(cmd),
        Command::Settings { example_json } => settings::run(example_json),
        Command::Sim(args) => sim::run(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Agent => agent::run(),
        Command::Cleanup(args) => cleanup::cleanup(args),
        Command::Discover(args) => cleanup::discover(args),
        Command::Status { json } => monitor::status(json),
        Command::Runs(cmd) => monitor::runs(cmd),
        Command::Resources(args) => monitor::resources(args),
        Command::Logs {
            run_id,
            live: false,
            follow,
            json,
            ..
        } => logs_archive::run(&run_id, follow, json),
        Command::Logs { run_id, count, .. } => logs::run(run_id, count),
        Command::Start {
            size,
            duration_hours,
        } => start(size, duration_hours),
    }
}

/// The settings, or exit code 2 after printing every problem.
fn load_settings() -> Result<Settings, ExitCode> {
    Settings::from_env().map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}

/// How a command runs its async work.
#[derive(Clone, Copy)]
enum Threads {
    /// Servers: a worker per core.
    Many,
    /// One-shot commands.
    One,
}

/// The async runtime, or a failure exit after saying why.
fn runtime(threads: Threads) -> Result<tokio::runtime::Runtime, ExitCode> {
    let built = match threads {
        Threads::Many => tokio::runtime::Runtime::new(),
        Threads::One => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    built.map_err(|e| {
        eprintln!("error: cannot start the async runtime: {e}");
        ExitCode::FAILURE
    })
}

fn serve(
    port: Option<u16>,
    host: IpAddr,
    sandbox_clock: Option<crate::sandbox::SandboxClock>,
) -> ExitCode {
    let settings = match load_settings() {
        Ok(s) => s,
        Err(code) => return code,
    };
    telemetry::init(settings.log_format, &settings.log_filter);
    let options = ServeOptions {
        host,
        port: port.unwrap_or(settings.port),
    };
    let runtime = match runtime(Threads::Many) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let state = match sandbox_clock {
        None => AppState::new(settings),
        Some(clock) => crate::store::StateStore::from_settings(&settings).map(|store| {
            crate::sandbox::handler_state(std::sync::Arc::new(settings), store, clock.clock())
        }),
    };
    let state = match state {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot open the state store: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(store = state.store.describe(), "state store");
    match runtime.block_on(handler::serve(state, options.clone())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "error: cannot serve on {}:{}: {e}",
                options.host, options.port
            );
            ExitCode::FAILURE
        }
    }
}

fn package(out: PathBuf, binary: Option<PathBuf>) -> ExitCode {
    let binary = match binary {
        Some(b) => b,
        None if cfg!(debug_assertions) => {
            eprintln!("error: this haymaker is a debug build; run `cargo run --release -- package`, or pass --binary target/release/haymaker");
            return ExitCode::from(2);
        }
        None => match std::env::current_exe() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: cannot find this executable ({e}); pass --binary PATH");
                return ExitCode::from(2);
            }
        },
    };
    match crate::package::build(&binary, &out) {
        Ok(summary) => {
            println!(
                "wrote {} ({} bytes): {}",
                summary.path.display(),
                summary.bytes,
                summary.entries.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn start(size: Option<crate::scenarios::Size>, duration_hours: Option<f64>) -> ExitCode {
    use crate::run::{RunRequest, StartOutcome, StartTrigger};
    let settings = match load_settings() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let request = RunRequest {
        size: size.unwrap_or(settings.simulation_size),
        duration_hours: duration_hours.unwrap_or(settings.run_duration_hours),
        trigger: StartTrigger::Cli,
    };
    if let Err(e) = crate::run::check_duration_hours(request.duration_hours) {
        eprintln!("error: --duration-hours {e}");
        return ExitCode::from(2);
    }
    let state = match AppState::new(settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot open the state store: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime(Threads::One) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(crate::run::start_run_with(
        &state.store,
        &request,
        chrono::Utc::now(),
        &state.lifecycle,
    )) {
        Ok(StartOutcome::Started {
            run_id,
            scheduled_end_at,
        }) => {
            println!(
                "started run {run_id} (size {}, ends {scheduled_end_at})",
                request.size
            );
            ExitCode::SUCCESS
        }
        Ok(StartOutcome::AlreadyActive { run_id }) => {
            eprintln!("run {run_id} is already active; not starting another");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {} ({})", e, state.store.describe());
            ExitCode::FAILURE
        }
    }
}
