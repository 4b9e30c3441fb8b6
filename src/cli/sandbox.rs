//! `haymaker sandbox`: one whole run against the in-process simulator, with a verdict.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::config::{catalog, LogFormat};
use crate::sandbox::{self, SandboxOptions};
use crate::scenarios::Size;
use crate::telemetry;

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Scenarios to run: small (5), medium (15), large (30) or a number.
    #[arg(long, default_value = "small")]
    size: Size,
    /// Seeds the simulated agents' choices (which resources they delete themselves, when).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many times faster than real time the run's clock goes [default: the run's hours in
    /// about a minute].
    #[arg(long)]
    speed: Option<f64>,
    /// The run's length in simulated hours [default: HAYMAKER_RUN_DURATION_HOURS, else 8].
    #[arg(long)]
    duration_hours: Option<f64>,
    /// Print the final report (the API's `RunDetails`) as JSON on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// Give up after this many real seconds.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    /// Where the simulator keeps its CA.
    #[arg(long, default_value = ".haymaker/sandbox/sim")]
    sim_dir: PathBuf,
    /// Inject failures into the simulator's ARM, Graph and Key Vault answers, as `haymaker sim
    /// --faults` does, e.g. --faults rate=0.1,kinds=500|429|reset,latency=20ms..200ms,seed=7.
    /// The summary counts the retries they caused.
    #[arg(long, value_name = "SPEC", value_parser = super::sim::parse_faults)]
    faults: Option<crate::sim::faults::FaultSpec>,
    /// Polls a long-running operation answers "still running" before it completes (slow LROs)
    /// [default: the simulator's, 1].
    #[arg(long, value_name = "N")]
    lro_polls: Option<u32>,
    /// Run the handler as a process of its own (this binary's `serve`), reached over HTTP as the
    /// Functions host reaches it, instead of in this process.
    #[arg(long)]
    handler_process: bool,
}

pub fn run(args: SandboxArgs) -> ExitCode {
    let filter = std::env::var(catalog::RUST_LOG).unwrap_or_else(|_| "warn".into());
    telemetry::init(LogFormat::Auto, &filter);
    let duration_hours = match args.duration_hours.map(Ok).unwrap_or_else(|| {
        std::env::var(catalog::HAYMAKER_RUN_DURATION_HOURS)
            .ok()
            .map(|v| v.trim().parse::<f64>().map_err(|e| format!("{v:?}: {e}")))
            .unwrap_or(Ok(8.0))
    }) {
        Ok(h) => match crate::run::check_duration_hours(h) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("error: --duration-hours {e}");
                return ExitCode::from(2);
            }
        },
        Err(e) => {
            eprintln!("error: {}: {e}", catalog::HAYMAKER_RUN_DURATION_HOURS);
            return ExitCode::from(2);
        }
    };
    if let Some(speed) = args.speed {
        if !(speed.is_finite() && speed >= 1.0) {
            eprintln!("error: --speed {speed} must be a number >= 1 (times faster than real time)");
            return ExitCode::from(2);
        }
    }
    let storage_env: HashMap<String, String> = [
        catalog::HAYMAKER_STATE,
        catalog::AZURE_WEBJOBS_STORAGE,
        catalog::AZURE_WEBJOBS_STORAGE_ACCOUNT,
        catalog::AZURE_WEBJOBS_STORAGE_BLOB_URI,
    ]
    .iter()
    .filter_map(|n| std::env::var(n).ok().map(|v| (n.to_string(), v)))
    .collect();
    let handler = if args.handler_process {
        match std::env::current_exe() {
            Ok(binary) => sandbox::HandlerMode::Process { binary },
            Err(e) => {
                eprintln!("error: --handler-process: cannot find this executable ({e})");
                return ExitCode::FAILURE;
            }
        }
    } else {
        sandbox::HandlerMode::InProcess
    };
    let options = SandboxOptions {
        size: args.size,
        seed: args.seed,
        speed: args.speed,
        duration_hours,
        storage_env,
        sim_dir: args.sim_dir,
        progress: !args.json || std::io::stderr().is_terminal(),
        timeout: Duration::from_secs(args.timeout_secs),
        handler,
        faults: args.faults,
        lro_polls: args.lro_polls,
        ..SandboxOptions::default()
    };
    let runtime = match super::runtime(super::Threads::Many) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let summary = match runtime.block_on(sandbox::run(options)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary.report).unwrap_or_default()
        );
        eprint!("{}", summary.render());
    } else {
        print!("{}", summary.render());
    }
    if summary.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
