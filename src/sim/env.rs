//! Who the simulator is, derived from its port alone: tenant, the orchestrator's principal (client id
//! and a throwaway secret), subscriptions, and the endpoints haymaker's settings point at. The same
//! port always gives the same values, so `haymaker sim --print-env` can be evaluated before or after
//! the simulator starts, and a restart keeps every credential valid.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::catalog::{
    AZURE_AUTHORITY_HOST, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID,
    CONTAINER_APPS_ENVIRONMENT_ID, HAYMAKER_AGENT_WORKLOAD_PROFILE, HAYMAKER_ARM_ENDPOINT,
    HAYMAKER_EXTRA_CA_FILE, HAYMAKER_GRAPH_ENDPOINT, HAYMAKER_LOCATION,
    HAYMAKER_TARGET_SUBSCRIPTIONS, KEY_VAULT_URL,
};
use crate::config::Secret;

/// The port `haymaker sim` listens on when none is given.
pub const DEFAULT_PORT: u16 = 7443;

/// How many subscriptions the simulated tenant has unless told otherwise
/// ([`SimConfig::subscriptions`](super::SimConfig), `haymaker sim --subscriptions`).
pub const SUBSCRIPTION_COUNT: usize = 2;

/// The path under the simulator's address where Microsoft Graph is served. A path rather than a
/// host so that Graph tokens have an audience of their own, as in Azure.
pub const GRAPH_PATH: &str = "graph";

/// The path prefix of the one simulated Key Vault.
pub const KEY_VAULT_PATH: &str = "vaults/haymaker";

/// One subscription of the simulated tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSeed {
    /// Lower-case GUID.
    pub id: String,
    pub display_name: String,
}

/// The identities and ids of a simulator on one port.
#[derive(Debug, Clone)]
pub struct SimIdentity {
    pub port: u16,
    pub tenant_id: String,
    /// The orchestrator's app registration.
    pub client_id: String,
    pub client_secret: Secret,
    /// The object id of the orchestrator's service principal (role assignments name it).
    pub principal_object_id: String,
    pub subscriptions: Vec<SubscriptionSeed>,
}

fn digest(port: u16, label: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(format!("haymaker-sim/{port}/{label}").as_bytes());
    h.finalize().into()
}

/// A version-4-shaped GUID from the hash of `label`.
fn guid(port: u16, label: &str) -> String {
    let bytes = digest(port, label);
    let mut first = [0u8; 16];
    first.copy_from_slice(&bytes[..16]);
    uuid::Builder::from_random_bytes(first)
        .into_uuid()
        .to_string()
}

impl SimIdentity {
    /// With [`SUBSCRIPTION_COUNT`] subscriptions.
    pub fn for_port(port: u16) -> Self {
        Self::with_subscriptions(port, SUBSCRIPTION_COUNT)
    }

    /// With `count` subscriptions; the id of the i-th depends on the port and i only, so the
    /// first ones are the same whatever the count.
    pub fn with_subscriptions(port: u16, count: usize) -> Self {
        use base64::Engine as _;
        let secret_bytes = digest(port, "client-secret");
        // Entra secrets are 40 characters with a `~` at the fourth; the shape is kept.
        let tail = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret_bytes);
        let client_secret = Secret::new(format!("sim~{}", &tail[..36]));
        let subscriptions = (0..count)
            .map(|i| SubscriptionSeed {
                id: guid(port, &format!("subscription/{i}")),
                display_name: format!("haymaker-sim-{}", i + 1),
            })
            .collect();
        Self {
            port,
            tenant_id: guid(port, "tenant"),
            client_id: guid(port, "orchestrator/client-id"),
            client_secret,
            principal_object_id: guid(port, "orchestrator/object-id"),
            subscriptions,
        }
    }
}

/// The immutable id of the simulator's one data collection rule (`dcr-` and 32 hex digits).
pub fn logs_dcr_id(port: u16) -> String {
    let bytes = digest(port, "logs/dcr");
    let hex: String = bytes[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("dcr-{hex}")
}

/// The settings that forward agent events to the simulator's Logs Ingestion endpoint (not part of
/// `--print-env`'s default set: forwarding is optional).
pub fn logs_ingestion_vars(port: u16) -> Vec<(&'static str, String)> {
    use crate::config::catalog::{
        HAYMAKER_LOGS_DCE_ENDPOINT, HAYMAKER_LOGS_DCR_ID, HAYMAKER_LOGS_STREAM,
    };
    vec![
        (HAYMAKER_LOGS_DCE_ENDPOINT, base_url(port)),
        (HAYMAKER_LOGS_DCR_ID, logs_dcr_id(port)),
        (
            HAYMAKER_LOGS_STREAM,
            super::logs_ingestion::STREAM.to_string(),
        ),
    ]
}

/// The simulator's own address: `https://127.0.0.1:PORT` (no trailing slash).
pub fn base_url(port: u16) -> String {
    format!("https://127.0.0.1:{port}")
}

/// Where the CA of a simulator on `port` is kept when no `--data-dir` is given.
pub fn default_data_dir(port: u16) -> PathBuf {
    PathBuf::from(".haymaker")
        .join("sim")
        .join(port.to_string())
}

/// The settings that point haymaker at the simulator, in the order `--print-env` prints them.
pub fn env_vars(identity: &SimIdentity, ca_file: &Path) -> Vec<(&'static str, String)> {
    let base = base_url(identity.port);
    let subscriptions: Vec<&str> = identity
        .subscriptions
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    vec![
        (AZURE_AUTHORITY_HOST, base.clone()),
        (AZURE_TENANT_ID, identity.tenant_id.clone()),
        (AZURE_CLIENT_ID, identity.client_id.clone()),
        (
            AZURE_CLIENT_SECRET,
            identity.client_secret.expose().to_string(),
        ),
        (HAYMAKER_ARM_ENDPOINT, base.clone()),
        (HAYMAKER_GRAPH_ENDPOINT, format!("{base}/{GRAPH_PATH}/")),
        (KEY_VAULT_URL, format!("{base}/{KEY_VAULT_PATH}/")),
        (
            HAYMAKER_EXTRA_CA_FILE,
            ca_file.to_string_lossy().into_owned(),
        ),
        (HAYMAKER_TARGET_SUBSCRIPTIONS, subscriptions.join(",")),
        (
            CONTAINER_APPS_ENVIRONMENT_ID,
            super::container_apps::default_environment_id(identity),
        ),
        (
            HAYMAKER_AGENT_WORKLOAD_PROFILE,
            super::container_apps::AGENT_WORKLOAD_PROFILE.to_string(),
        ),
        (
            HAYMAKER_LOCATION,
            super::container_apps::DEFAULT_ENVIRONMENT_LOCATION.to_string(),
        ),
    ]
}

/// `export NAME=value` lines, values quoted for a POSIX shell when they need it.
pub fn render_exports(vars: &[(&'static str, String)]) -> String {
    let mut out = String::new();
    for (name, value) in vars {
        out.push_str("export ");
        out.push_str(name);
        out.push('=');
        out.push_str(&shell_quote(value));
        out.push('\n');
    }
    out
}

fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | ',' | '~' | '=')
        });
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_port_gives_the_same_identity_and_another_port_another() {
        let a = SimIdentity::for_port(7443);
        let b = SimIdentity::for_port(7443);
        let c = SimIdentity::for_port(7444);
        assert_eq!(a.tenant_id, b.tenant_id);
        assert_eq!(a.client_secret, b.client_secret);
        assert_eq!(a.subscriptions, b.subscriptions);
        assert_ne!(a.tenant_id, c.tenant_id);
        assert_ne!(a.subscriptions[0].id, a.subscriptions[1].id);
        assert_eq!(a.client_secret.expose().len(), 40);
        assert!(uuid::Uuid::parse_str(&a.tenant_id).is_ok());
        assert_eq!(a.tenant_id, a.tenant_id.to_ascii_lowercase());
    }

    #[test]
    fn more_subscriptions_keep_the_first_ones() {
        let two = SimIdentity::for_port(7443);
        let four = SimIdentity::with_subscriptions(7443, 4);
        assert_eq!(two.subscriptions.len(), SUBSCRIPTION_COUNT);
        assert_eq!(four.subscriptions.len(), 4);
        assert_eq!(four.subscriptions[..2], two.subscriptions[..]);
        let ids: std::collections::BTreeSet<&str> =
            four.subscriptions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(four.subscriptions[3].display_name, "haymaker-sim-4");
    }

    #[test]
    fn exports_quote_only_what_needs_it() {
        let text = render_exports(&[
            ("A", "https://127.0.0.1:1/graph/".into()),
            ("B", "/tmp/with space/ca.pem".into()),
            ("C", "it's".into()),
        ]);
        assert_eq!(
            text,
            "export A=https://127.0.0.1:1/graph/\nexport B='/tmp/with space/ca.pem'\nexport C='it'\\''s'\n"
        );
    }
}
