//! Typed settings, loaded once from the environment (the Function App's app settings) and validated
//! with one error that lists every problem at once.

mod agent_mode;
pub mod catalog;
mod logs;
mod secret;

use std::path::PathBuf;
use std::str::FromStr;

pub use agent_mode::AgentMode;
pub use catalog::{spec, SettingSpec, SETTINGS};
pub use logs::LogsIngestionSettings;
pub use secret::Secret;

use crate::scenarios::Size;
use catalog::*;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// JSON under the Functions host or when stdout is not a terminal, pretty otherwise.
    Auto,
    Json,
    Pretty,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "json" => Ok(Self::Json),
            "pretty" | "text" => Ok(Self::Pretty),
            _ => Err("expected one of auto, json, pretty".into()),
        }
    }
}

/// The orchestrator's own identity and the endpoints of the cloud it talks to.
#[derive(Debug, Clone)]
pub struct AzureSettings {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub authority_host: url::Url,
    pub arm_endpoint: url::Url,
    pub graph_endpoint: url::Url,
    pub extra_ca_file: Option<PathBuf>,
    pub target_subscriptions: Vec<uuid::Uuid>,
    pub location: String,
    pub key_vault_url: Option<url::Url>,
    pub agent_secret_names: Vec<String>,
}

/// Where and how agents run.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    pub environment_id: Option<String>,
    pub image: Option<String>,
    pub cpu: f64,
    pub memory_gib: f64,
    pub workload_profile: String,
    /// User-assigned identity the agents read their Key Vault secrets with; `None`: system-assigned.
    pub identity_id: Option<String>,
    pub mode: AgentMode,
    /// Assisted mode's model; `None`: the agent's default.
    pub model: Option<String>,
    /// Assisted mode's Messages API base URL; `None`: the agent's default.
    pub model_url: Option<url::Url>,
}

/// Storage settings as the Functions app has them.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    /// `HAYMAKER_STATE`, verbatim (may be a connection string, hence secret).
    pub state: Option<Secret>,
    pub connection_string: Option<Secret>,
    pub account_name: Option<String>,
    pub blob_service_uri: Option<url::Url>,
    pub queue_service_uri: Option<url::Url>,
}

/// Service Bus settings.
#[derive(Debug, Clone)]
pub struct ServiceBusSettings {
    pub connection_string: Option<Secret>,
    pub namespace: Option<String>,
    pub topic: String,
    pub subscription: String,
    /// The subscription `haymaker logs --live` reads.
    pub tail_subscription: String,
}

/// Everything haymaker reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub port: u16,
    pub storage: StorageSettings,
    pub scenarios_dir: Option<PathBuf>,
    pub simulation_size: Size,
    pub run_duration_hours: f64,
    pub azure: AzureSettings,
    pub agent: AgentSettings,
    pub service_bus: ServiceBusSettings,
    pub api_key: Option<Secret>,
    /// Log Analytics forwarding of accepted agent events; `None`: not configured.
    pub logs_ingestion: Option<LogsIngestionSettings>,
    pub log_format: LogFormat,
    pub log_filter: String,
}

/// One bad or missing setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingProblem {
    pub name: &'static str,
    pub problem: String,
}

/// Every problem found while loading or checking settings.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} setting problem(s):\n{}", .problems.len(), render(.problems))]
pub struct SettingsError {
    pub problems: Vec<SettingProblem>,
}

fn render(problems: &[SettingProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {}: {}", p.name, p.problem))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads settings through a lookup function and collects problems instead of stopping at the first.
struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<SettingProblem>,
}

impl Reader<'_> {
    /// The trimmed value, or the catalogue default; `None` when both are empty.
    fn raw(&self, name: &'static str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .or_else(|| spec(name).and_then(|s| s.default).map(str::to_string))
            .filter(|v| !v.is_empty())
    }

    fn problem(&mut self, name: &'static str, problem: impl Into<String>) {
        self.problems.push(SettingProblem {
            name,
            problem: problem.into(),
        });
    }

    fn parse<T: FromStr>(&mut self, name: &'static str, expected: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        let raw = self.raw(name)?;
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(name, format!("`{raw}` is not {expected} ({e})"));
                None
            }
        }
    }

    fn url(&mut self, name: &'static str) -> Option<url::Url> {
        let raw = self.raw(name)?;
        match url::Url::parse(&raw) {
            Ok(u) if u.scheme() == "https" || u.scheme() == "http" => Some(u),
            Ok(u) => {
                self.problem(
                    name,
                    format!("`{raw}` has scheme `{}`; use https://…", u.scheme()),
                );
                None
            }
            Err(e) => {
                self.problem(
                    name,
                    format!("`{raw}` is not a URL ({e}); use https://host"),
                );
                None
            }
        }
    }

    fn secret(&self, name: &'static str) -> Option<Secret> {
        self.raw(name).map(Secret::new)
    }

    fn list(&self, name: &'static str) -> Vec<String> {
        self.raw(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Settings {
    /// Loads from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Loads through `lookup` (tests pass a map). Every malformed value is reported, not just the first.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mut r = Reader {
            lookup,
            problems: Vec::new(),
        };
        let port = r
            .parse::<u16>(FUNCTIONS_CUSTOMHANDLER_PORT, "a port number (1-65535)")
            .unwrap_or(7071);
        let storage = StorageSettings {
            state: r.secret(HAYMAKER_STATE),
            connection_string: r.secret(AZURE_WEBJOBS_STORAGE),
            account_name: r.raw(AZURE_WEBJOBS_STORAGE_ACCOUNT),
            blob_service_uri: r.url(AZURE_WEBJOBS_STORAGE_BLOB_URI),
            queue_service_uri: r.url(AZURE_WEBJOBS_STORAGE_QUEUE_URI),
        };
        let simulation_size = r
            .parse::<Size>(SIMULATION_SIZE, "a simulation size")
            .unwrap_or(Size::Small);
        let run_duration_hours = r
            .parse::<f64>(HAYMAKER_RUN_DURATION_HOURS, "a number of hours")
            .unwrap_or(8.0);
        if let Err(e) = crate::run::check_duration_hours(run_duration_hours) {
            r.problem(HAYMAKER_RUN_DURATION_HOURS, e);
        }
        let mut target_subscriptions = Vec::new();
        for raw in r.list(HAYMAKER_TARGET_SUBSCRIPTIONS) {
            match uuid::Uuid::parse_str(&raw) {
                Ok(id) => target_subscriptions.push(id),
                Err(_) => r.problem(
                    HAYMAKER_TARGET_SUBSCRIPTIONS,
                    format!("`{raw}` is not a subscription id (a GUID)"),
                ),
            }
        }
        let azure = AzureSettings {
            tenant_id: r.raw(AZURE_TENANT_ID),
            client_id: r.raw(AZURE_CLIENT_ID),
            client_secret: r.secret(AZURE_CLIENT_SECRET),
            authority_host: r.url(AZURE_AUTHORITY_HOST).unwrap_or_else(default_url),
            arm_endpoint: r.url(HAYMAKER_ARM_ENDPOINT).unwrap_or_else(default_url),
            graph_endpoint: r.url(HAYMAKER_GRAPH_ENDPOINT).unwrap_or_else(default_url),
            extra_ca_file: r.raw(HAYMAKER_EXTRA_CA_FILE).map(PathBuf::from),
            target_subscriptions,
            location: r.raw(HAYMAKER_LOCATION).unwrap_or_default(),
            key_vault_url: r.url(KEY_VAULT_URL),
            agent_secret_names: r.list(HAYMAKER_AGENT_SECRET_NAMES),
        };
        let cpu = r
            .parse::<f64>(HAYMAKER_AGENT_CPU, "a number of vCPUs")
            .unwrap_or(2.0);
        if !(cpu > 0.0 && cpu <= 64.0) {
            r.problem(
                HAYMAKER_AGENT_CPU,
                format!("{cpu} is out of range; use 0 < vCPUs <= 64"),
            );
        }
        let memory_gib = r
            .parse::<f64>(HAYMAKER_AGENT_MEMORY_GIB, "a number of GiB")
            .unwrap_or(64.0);
        if !(memory_gib > 0.0 && memory_gib <= 512.0) {
            r.problem(
                HAYMAKER_AGENT_MEMORY_GIB,
                format!("{memory_gib} is out of range; use 0 < GiB <= 512"),
            );
        }
        let agent = AgentSettings {
            environment_id: r.raw(CONTAINER_APPS_ENVIRONMENT_ID),
            image: r.raw(HAYMAKER_AGENT_IMAGE),
            cpu,
            memory_gib,
            workload_profile: r.raw(HAYMAKER_AGENT_WORKLOAD_PROFILE).unwrap_or_default(),
            identity_id: r.raw(HAYMAKER_AGENT_IDENTITY_ID),
            mode: r
                .parse::<AgentMode>(HAYMAKER_AGENT_MODE, "an agent mode")
                .unwrap_or_default(),
            model: r.raw(HAYMAKER_AGENT_MODEL),
            model_url: r.url(HAYMAKER_AGENT_MODEL_URL),
        };
        if let Err(e) = agent_mode::check_model_key(agent.mode, &azure.agent_secret_names) {
            r.problem(HAYMAKER_AGENT_MODE, e);
        }
        let service_bus = ServiceBusSettings {
            connection_string: r.secret(SERVICE_BUS_CONNECTION),
            namespace: r.raw(SERVICE_BUS_NAMESPACE),
            topic: r.raw(HAYMAKER_EVENTS_TOPIC).unwrap_or_default(),
            subscription: r.raw(HAYMAKER_EVENTS_SUBSCRIPTION).unwrap_or_default(),
            tail_subscription: r.raw(HAYMAKER_EVENTS_TAIL_SUBSCRIPTION).unwrap_or_default(),
        };
        let log_format = r
            .parse::<LogFormat>(HAYMAKER_LOG_FORMAT, "a log format")
            .unwrap_or(LogFormat::Auto);
        let logs_ingestion = logs::read(&mut r);
        let settings = Settings {
            port,
            storage,
            scenarios_dir: r.raw(HAYMAKER_SCENARIOS_DIR).map(PathBuf::from),
            simulation_size,
            run_duration_hours,
            azure,
            agent,
            service_bus,
            api_key: r.secret(HAYMAKER_API_KEY),
            logs_ingestion,
            log_format,
            log_filter: r.raw(RUST_LOG).unwrap_or_else(|| "info".into()),
        };
        if r.problems.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError {
                problems: r.problems,
            })
        }
    }

    /// The settings a run against Azure cannot do without, all reported at once when missing.
    pub fn check_complete_for_azure(&self) -> Result<(), SettingsError> {
        let mut problems = Vec::new();
        let mut missing = |name: &'static str, present: bool, fix: &str| {
            if !present {
                problems.push(SettingProblem {
                    name,
                    problem: format!("missing; {fix}"),
                });
            }
        };
        let a = &self.azure;
        missing(
            AZURE_TENANT_ID,
            a.tenant_id.is_some(),
            "set the Entra tenant id",
        );
        missing(
            AZURE_CLIENT_ID,
            a.client_id.is_some(),
            "set the client id of the orchestrator's identity",
        );
        missing(
            HAYMAKER_TARGET_SUBSCRIPTIONS,
            !a.target_subscriptions.is_empty(),
            "list at least one subscription id",
        );
        missing(
            KEY_VAULT_URL,
            a.key_vault_url.is_some(),
            "set the vault URL",
        );
        missing(
            CONTAINER_APPS_ENVIRONMENT_ID,
            self.agent.environment_id.is_some(),
            "set the managed environment's resource id",
        );
        missing(
            HAYMAKER_AGENT_IMAGE,
            self.agent.image.is_some(),
            "set the agent image",
        );
        missing(
            SERVICE_BUS_NAMESPACE,
            self.service_bus.namespace.is_some() || self.service_bus.connection_string.is_some(),
            "set the namespace (or ServiceBusConnection)",
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SettingsError { problems })
        }
    }
}

/// Placeholder used only when a URL setting failed to parse; loading then fails anyway.
fn default_url() -> url::Url {
    url::Url::parse("https://invalid.invalid").expect("static URL parses")
}

#[cfg(test)]
mod tests;
