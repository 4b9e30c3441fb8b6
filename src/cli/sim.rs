//! `haymaker sim`: run the simulator, or print the settings that point haymaker at it.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::LogFormat;
use crate::sim::faults::FaultSpec;
use crate::sim::{env, tls, SimConfig, SimOptions, SimServer, DEFAULT_PORT};
use crate::telemetry;

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1; 0 picks a free one (printed on start).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Print `export NAME=value` lines for the settings that point haymaker at this simulator
    /// (creating its CA if needed) and exit. The same port gives the same output.
    #[arg(long)]
    print_env: bool,
    /// Where the simulator keeps its CA [default: .haymaker/sim/<port>].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Inject failures into ARM, Graph and Key Vault calls (never the token endpoint or
    /// discovery): a seeded share `rate` of requests is answered 500, 429 with Retry-After, or has
    /// its connection reset; `latency` delays every such call. Syntax:
    /// rate=<0..1>,kinds=<500|429|reset>,latency=<min>..<max>,seed=<n>, e.g.
    /// --faults rate=0.1,kinds=500|429|reset,latency=20ms..200ms,seed=7
    #[arg(long, value_name = "SPEC", value_parser = parse_faults)]
    faults: Option<FaultSpec>,
    /// Run the simulated world this many times faster than Azure: long-running operations,
    /// Retry-After values, rate-limit refills and the delay before a new role assignment takes
    /// effect (2 s at speed 1) are scaled by it.
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,
    /// How many subscriptions the simulated tenant has (1 to 64); the ids depend on the port and
    /// the index only, so the first ones are the same whatever the count. Give the same value to
    /// --print-env.
    #[arg(long, value_name = "N", default_value_t = env::SUBSCRIPTION_COUNT, value_parser = parse_subscriptions)]
    subscriptions: usize,
}

pub(super) fn parse_faults(text: &str) -> Result<FaultSpec, String> {
    text.parse::<FaultSpec>().map_err(|e| e.to_string())
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!(
            "--speed: '{text}' is not a positive number (e.g. 1 for Azure's pace, 10 for ten times faster)"
        )),
    }
}

fn parse_subscriptions(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err(format!(
            "--subscriptions: '{text}' is not a whole number from 1 to 64 (e.g. 4)"
        )),
    }
}

pub fn run(args: SimArgs) -> ExitCode {
    if args.print_env {
        return print_env(args.port, args.data_dir, args.subscriptions);
    }
    let filter = std::env::var(crate::config::catalog::RUST_LOG).unwrap_or_else(|_| "info".into());
    telemetry::init(LogFormat::Auto, &filter);
    let runtime = match super::runtime(super::Threads::Many) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(serve(args))
}

fn print_env(port: u16, data_dir: Option<PathBuf>, subscriptions: usize) -> ExitCode {
    if port == 0 {
        eprintln!(
            "error: --print-env needs a fixed --port (0 would name a port nothing listens on)"
        );
        return ExitCode::from(2);
    }
    let dir = data_dir.unwrap_or_else(|| env::default_data_dir(port));
    let ca = match tls::ensure_ca(&dir, port) {
        Ok(ca) => ca,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let identity = env::SimIdentity::with_subscriptions(port, subscriptions);
    let text = env::render_exports(&env::env_vars(&identity, &ca.cert_file));
    print!("{text}");
    ExitCode::SUCCESS
}

async fn serve(args: SimArgs) -> ExitCode {
    let options = SimOptions {
        port: args.port,
        data_dir: args.data_dir,
        config: SimConfig {
            speed: args.speed,
            faults: args.faults,
            subscriptions: args.subscriptions,
            ..SimConfig::default()
        },
    };
    let server = match SimServer::start(options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("simulator listening on {}", server.base_url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "CA: {}\nsettings: haymaker sim --port {} --print-env{}",
        server.ca_file.display(),
        server.port,
        if args.port == 0 {
            " (with this port and --data-dir of this run)"
        } else {
            ""
        }
    );
    crate::handler::shutdown_signal().await;
    let tally = server.sim.faults.tally();
    let answers = server.sim.tally.counts();
    server.stop().await;
    tracing::info!(
        answers = answers.answers,
        throttled = answers.throttled,
        "answers given (throttled: status 429)"
    );
    tracing::info!(
        internal_errors = tally.internal_errors,
        throttles = tally.throttles,
        resets = tally.resets,
        delayed = tally.delayed,
        "faults injected"
    );
    tracing::info!("simulator stopped");
    ExitCode::SUCCESS
}
