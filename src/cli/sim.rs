//! `haymaker sim`: run the simulator, or print the settings that point haymaker at it.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::LogFormat;
use crate::sim::{env, tls, SimOptions, SimServer, DEFAULT_PORT};
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
}

pub fn run(args: SimArgs) -> ExitCode {
    if args.print_env {
        return print_env(args.port, args.data_dir);
    }
    let filter = std::env::var(crate::config::catalog::RUST_LOG).unwrap_or_else(|_| "info".into());
    telemetry::init(LogFormat::Auto, &filter);
    let runtime = match super::runtime(super::Threads::Many) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(serve(args))
}

fn print_env(port: u16, data_dir: Option<PathBuf>) -> ExitCode {
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
    let identity = env::SimIdentity::for_port(port);
    let text = env::render_exports(&env::env_vars(&identity, &ca.cert_file));
    print!("{text}");
    ExitCode::SUCCESS
}

async fn serve(args: SimArgs) -> ExitCode {
    let options = SimOptions {
        port: args.port,
        data_dir: args.data_dir,
        ..SimOptions::default()
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
    server.stop().await;
    tracing::info!("simulator stopped");
    ExitCode::SUCCESS
}
