//! `haymaker serve`: bind, announce, serve until SIGTERM / Ctrl-C, then drain.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

use super::{app, AppState};

/// Where to listen.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub host: IpAddr,
    pub port: u16,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 7071,
        }
    }
}

/// Serves until a shutdown signal arrives. Prints `listening on http://ADDR` on stdout once bound,
/// so a caller that asked for port 0 learns the port.
pub async fn serve(state: AppState, options: ServeOptions) -> std::io::Result<()> {
    let listener = TcpListener::bind(SocketAddr::new(options.host, options.port)).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    tracing::info!(%addr, "custom handler listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("custom handler stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (what the Functions host and Container Apps send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received; stopping"),
        _ = terminate => tracing::info!("SIGTERM received; stopping"),
    }
}
