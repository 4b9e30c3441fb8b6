//! Key Vault helpers for the simulator tests: haymaker's `SecretsClient` on the simulator's vault
//! with quick conflict waits, and raw calls for wire checks.

use std::time::Duration;

use haymaker::azure::keyvault::{ConflictRetry, NewSecret, SecretsClient, SecretsOptions};
use haymaker::config::Secret;
use haymaker::sim::SimConfig;
use serde_json::Value;

use super::{json_of, TestSim};

pub const API: &str = "7.5";

pub fn config(transition_ms: u64) -> SimConfig {
    SimConfig {
        key_vault_transition_ms: transition_ms,
        ..SimConfig::default()
    }
}

pub fn vault_url(sim: &TestSim) -> url::Url {
    sim.url("/vaults/haymaker/")
}

/// Our client as the orchestrator, with quick conflict waits; `audience` overrides the token
/// audience the connection derives from the vault URL.
pub fn secrets(sim: &TestSim, audience: Option<String>) -> SecretsClient {
    let connection = sim.connection(None);
    let options = SecretsOptions {
        audience: audience.unwrap_or_else(|| connection.options.key_vault_audience.clone()),
        conflict_retry: ConflictRetry {
            attempts: 40,
            delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        },
        ..SecretsOptions::default()
    };
    SecretsClient::new(
        &vault_url(sim),
        connection.transport.clone(),
        connection.tokens.clone(),
        options,
    )
    .unwrap()
}

pub fn value(v: &str) -> NewSecret {
    NewSecret::new(Secret::new(v))
}

pub async fn vault_token(sim: &TestSim) -> String {
    sim.token("https://vault.azure.net/.default").await
}

/// A raw call to the vault: `(status, body)`.
pub async fn raw(
    sim: &TestSim,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = sim.url(&format!("/vaults/haymaker{path}{sep}api-version={API}"));
    let mut r = sim.http().request(method.parse().unwrap(), url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, json_of(resp).await)
}
