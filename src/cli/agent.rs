//! `haymaker agent`: run the scenario agent (inside its Container App) until the run's end or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use crate::agent::{self, report::BusSink, AgentInputs, Outcome};
use crate::config::LogFormat;
use crate::telemetry;

pub fn run() -> ExitCode {
    let filter = std::env::var(crate::config::catalog::RUST_LOG).unwrap_or_else(|_| "info".into());
    telemetry::init(LogFormat::Auto, &filter);
    let inputs = match AgentInputs::from_env() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // One thread: the AMQP crate loses fast outcomes on a busy multi-threaded runtime.
    let runtime = match super::runtime(super::Threads::One) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let publisher = match agent::publisher(&inputs) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let sink = Arc::new(BusSink {
            publisher: publisher.clone(),
            run_id: inputs.run_id,
        });
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let agent = match agent::build(inputs, sink, stop_rx) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        tokio::spawn(async move {
            wait_for_stop().await;
            tracing::info!("stop requested: finishing the current command, then Phase 3");
            let _ = stop_tx.send(true);
        });
        let outcome = agent.run().await;
        publisher.close().await;
        match outcome {
            Outcome::Completed(_) | Outcome::AlreadyOver => ExitCode::SUCCESS,
            Outcome::LoginFailed(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// SIGTERM (how Container Apps stops a replica) or Ctrl-C.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
