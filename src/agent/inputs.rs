//! The agent's inputs: the environment the orchestrator sets on its Container App
//! (`orchestrator::agent_spec`), read once, every missing or unusable variable reported together.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// `deterministic` (default) or `assisted`; the model and its URL. The orchestrator's settings of
/// the same names (`config::catalog`) are passed on to the agents.
pub use crate::config::catalog::{
    HAYMAKER_AGENT_MODE, HAYMAKER_AGENT_MODEL, HAYMAKER_AGENT_MODEL_URL,
};
use crate::config::catalog::{
    HAYMAKER_EVENTS_TOPIC, SERVICE_BUS_CONNECTION, SERVICE_BUS_NAMESPACE,
};
/// How the agent handles a failed step (the orchestrator's `HAYMAKER_AGENT_MODE`).
pub use crate::config::AgentMode as Mode;
use crate::config::{Secret, ServiceBusSettings, SettingProblem};

pub const HAYMAKER_RUN_ID: &str = "HAYMAKER_RUN_ID";
pub const HAYMAKER_SCENARIO: &str = "HAYMAKER_SCENARIO";
pub const HAYMAKER_SCENARIO_DOCUMENT: &str = "HAYMAKER_SCENARIO_DOCUMENT";
pub const HAYMAKER_SUBSCRIPTION_ID: &str = "HAYMAKER_SUBSCRIPTION_ID";
pub const HAYMAKER_RESOURCE_GROUP: &str = "HAYMAKER_RESOURCE_GROUP";
pub const HAYMAKER_LOCATION: &str = "HAYMAKER_LOCATION";
pub const HAYMAKER_SUFFIX: &str = "HAYMAKER_SUFFIX";
pub const HAYMAKER_RUN_END: &str = "HAYMAKER_RUN_END";
pub const HAYMAKER_PASSWORD: &str = "HAYMAKER_PASSWORD";
pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// The agents' user-assigned identity (resource id), which may send to the topic.
pub const HAYMAKER_AGENT_IDENTITY_ID: &str = "HAYMAKER_AGENT_IDENTITY_ID";
/// The model API key of assisted mode: the Key Vault secret `anthropic-api-key` in
/// `HAYMAKER_AGENT_SECRET_NAMES`, exposed as `HAYMAKER_SECRET_<NAME>`.
pub const MODEL_API_KEY: &str = "HAYMAKER_SECRET_ANTHROPIC_API_KEY";
/// Seed of the operations' order and cadence (default: derived from run id and scenario).
pub const HAYMAKER_AGENT_SEED: &str = "HAYMAKER_AGENT_SEED";
/// Factor on every pause (cadence and retry backoff): 1 is real time, 0.001 a thousand times faster.
pub const HAYMAKER_AGENT_TIME_SCALE: &str = "HAYMAKER_AGENT_TIME_SCALE";
pub const HAYMAKER_AGENT_STEP_TIMEOUT_SECS: &str = "HAYMAKER_AGENT_STEP_TIMEOUT_SECS";
pub const HAYMAKER_AGENT_RETRIES: &str = "HAYMAKER_AGENT_RETRIES";
/// The Azure CLI executable (default `az` on PATH).
pub const HAYMAKER_AGENT_AZ: &str = "HAYMAKER_AGENT_AZ";

pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
pub const DEFAULT_MODEL_URL: &str = "https://api.anthropic.com";

/// The model assisted mode asks.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    pub api_key: Secret,
    pub model: String,
    pub base_url: url::Url,
}

/// Everything the agent runs with.
#[derive(Debug, Clone)]
pub struct AgentInputs {
    pub run_id: Uuid,
    pub scenario: String,
    pub document: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub location: String,
    pub suffix: String,
    pub run_end: DateTime<Utc>,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// `$HAYMAKER_PASSWORD` of the scenario steps: given, or generated for this agent.
    pub password: Secret,
    pub service_bus: ServiceBusSettings,
    pub agent_identity_id: Option<String>,
    pub mode: Mode,
    pub model: Option<ModelSettings>,
    pub seed: u64,
    pub time_scale: f64,
    pub step_timeout: Duration,
    pub retries: u32,
    pub az: String,
}

/// Every variable that is missing or unusable.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the agent cannot start; {} environment problem(s):\n{}", .problems.len(), render(.problems))]
pub struct InputError {
    pub problems: Vec<SettingProblem>,
}

fn render(problems: &[SettingProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {}: {}", p.name, p.problem))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A password Azure accepts for VM administrators and the like (upper, lower, digit, symbol).
fn generated_password() -> Secret {
    let a = Uuid::new_v4().simple().to_string();
    Secret::new(format!("Hm!{}Z9{}", &a[..16], &a[16..24]))
}

impl AgentInputs {
    /// From the process environment.
    pub fn from_env() -> Result<Self, InputError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// From `env`, a variable lookup. Blank values count as missing.
    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, InputError> {
        let mut p = Vec::new();
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let run_id_text = required(
            &mut p,
            get(HAYMAKER_RUN_ID),
            HAYMAKER_RUN_ID,
            "the run's id",
        );
        let scenario = required(
            &mut p,
            get(HAYMAKER_SCENARIO),
            HAYMAKER_SCENARIO,
            "the scenario's name",
        );
        let document = required(
            &mut p,
            get(HAYMAKER_SCENARIO_DOCUMENT),
            HAYMAKER_SCENARIO_DOCUMENT,
            "the scenario document",
        );
        let subscription_id = required(
            &mut p,
            get(HAYMAKER_SUBSCRIPTION_ID),
            HAYMAKER_SUBSCRIPTION_ID,
            "the target subscription id",
        );
        let resource_group = required(
            &mut p,
            get(HAYMAKER_RESOURCE_GROUP),
            HAYMAKER_RESOURCE_GROUP,
            "the scenario's resource group",
        );
        let location = required(
            &mut p,
            get(HAYMAKER_LOCATION),
            HAYMAKER_LOCATION,
            "the Azure region",
        );
        let suffix = required(
            &mut p,
            get(HAYMAKER_SUFFIX),
            HAYMAKER_SUFFIX,
            "the scenario's name suffix",
        );
        let run_end_text = required(
            &mut p,
            get(HAYMAKER_RUN_END),
            HAYMAKER_RUN_END,
            "the run's end time (RFC 3339)",
        );
        let tenant_id = required(
            &mut p,
            get(AZURE_TENANT_ID),
            AZURE_TENANT_ID,
            "the tenant id",
        );
        let client_id = required(
            &mut p,
            get(AZURE_CLIENT_ID),
            AZURE_CLIENT_ID,
            "the scenario principal's client id",
        );
        let client_secret = required(
            &mut p,
            get(AZURE_CLIENT_SECRET),
            AZURE_CLIENT_SECRET,
            "the scenario principal's password (a Key Vault reference)",
        );
        let run_id = match Uuid::parse_str(run_id_text.trim()) {
            Ok(id) => id,
            Err(_) => {
                if !run_id_text.is_empty() {
                    bad(
                        &mut p,
                        HAYMAKER_RUN_ID,
                        format!("`{run_id_text}` is not a UUID"),
                    );
                }
                Uuid::nil()
            }
        };
        let run_end = match DateTime::parse_from_rfc3339(run_end_text.trim()) {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => {
                if !run_end_text.is_empty() {
                    bad(&mut p, HAYMAKER_RUN_END, format!("`{run_end_text}` is not an RFC 3339 time ({e}), e.g. 2026-11-26T08:00:00Z"));
                }
                DateTime::<Utc>::MIN_UTC
            }
        };
        if !subscription_id.is_empty() && Uuid::parse_str(&subscription_id).is_err() {
            bad(
                &mut p,
                HAYMAKER_SUBSCRIPTION_ID,
                format!("`{subscription_id}` is not a subscription id (a UUID)"),
            );
        }
        let connection_string = get(SERVICE_BUS_CONNECTION).map(Secret::new);
        let namespace = get(SERVICE_BUS_NAMESPACE);
        if connection_string.is_none() && namespace.is_none() {
            bad(&mut p, SERVICE_BUS_NAMESPACE, format!("missing; set the Service Bus namespace (identity-based) or {SERVICE_BUS_CONNECTION} (a connection string)"));
        }
        let topic = get(HAYMAKER_EVENTS_TOPIC).unwrap_or_else(|| "agent-logs".into());
        let mode = match get(HAYMAKER_AGENT_MODE).map(|m| m.trim().to_string()) {
            None => Mode::Deterministic,
            Some(m) => m.parse::<Mode>().unwrap_or_else(|fix| {
                bad(
                    &mut p,
                    HAYMAKER_AGENT_MODE,
                    format!("`{m}` is not a mode; {fix}"),
                );
                Mode::Deterministic
            }),
        };
        let model = if mode == Mode::Assisted {
            model_settings(&mut p, &get)
        } else {
            None
        };
        let time_scale = number(
            &mut p,
            get(HAYMAKER_AGENT_TIME_SCALE),
            HAYMAKER_AGENT_TIME_SCALE,
            1.0,
            |x| x > 0.0,
            "a positive number (1 = real time)",
        );
        let timeout = number(
            &mut p,
            get(HAYMAKER_AGENT_STEP_TIMEOUT_SECS),
            HAYMAKER_AGENT_STEP_TIMEOUT_SECS,
            1800.0,
            |x| x >= 1.0,
            "a number of seconds (at least 1)",
        );
        let retries = number(
            &mut p,
            get(HAYMAKER_AGENT_RETRIES),
            HAYMAKER_AGENT_RETRIES,
            2.0,
            |x| (0.0..=10.0).contains(&x) && x.fract() == 0.0,
            "a whole number from 0 to 10",
        );
        let seed = match get(HAYMAKER_AGENT_SEED) {
            None => fnv1a(&format!("{run_id}/{scenario}")),
            Some(t) => t.trim().parse::<u64>().unwrap_or_else(|_| {
                bad(
                    &mut p,
                    HAYMAKER_AGENT_SEED,
                    format!("`{t}` is not a whole number"),
                );
                0
            }),
        };
        if !p.is_empty() {
            return Err(InputError { problems: p });
        }
        Ok(Self {
            run_id,
            scenario,
            document,
            subscription_id,
            resource_group,
            location,
            suffix,
            run_end,
            tenant_id,
            client_id,
            client_secret: Secret::new(client_secret),
            password: get(HAYMAKER_PASSWORD)
                .map(Secret::new)
                .unwrap_or_else(generated_password),
            service_bus: ServiceBusSettings {
                connection_string,
                namespace,
                topic,
                subscription: "orchestrator".into(),
                tail_subscription: "cli-tail".into(),
            },
            agent_identity_id: get(HAYMAKER_AGENT_IDENTITY_ID),
            mode,
            model,
            seed,
            time_scale,
            step_timeout: Duration::from_secs_f64(timeout),
            retries: retries as u32,
            az: get(HAYMAKER_AGENT_AZ).unwrap_or_else(|| "az".into()),
        })
    }

    /// The value of a `$HAYMAKER_*` variable a step may use.
    pub fn var(&self, name: &str) -> Option<String> {
        Some(match name {
            "HAYMAKER_RUN_ID" => self.run_id.to_string(),
            "HAYMAKER_SCENARIO" => self.scenario.clone(),
            "HAYMAKER_RESOURCE_GROUP" => self.resource_group.clone(),
            "HAYMAKER_LOCATION" => self.location.clone(),
            "HAYMAKER_SUFFIX" => self.suffix.clone(),
            "HAYMAKER_PASSWORD" => self.password.expose().to_string(),
            _ => return None,
        })
    }
}

fn bad(p: &mut Vec<SettingProblem>, name: &'static str, problem: String) {
    p.push(SettingProblem { name, problem });
}

fn required(
    p: &mut Vec<SettingProblem>,
    value: Option<String>,
    name: &'static str,
    what: &str,
) -> String {
    value.unwrap_or_else(|| {
        bad(
            p,
            name,
            format!("missing; the orchestrator sets it to {what}"),
        );
        String::new()
    })
}

fn number(
    p: &mut Vec<SettingProblem>,
    value: Option<String>,
    name: &'static str,
    default: f64,
    ok: impl Fn(f64) -> bool,
    what: &str,
) -> f64 {
    let Some(t) = value else { return default };
    match t.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && ok(x) => x,
        _ => {
            bad(p, name, format!("`{t}` is not {what}"));
            default
        }
    }
}

fn model_settings(
    p: &mut Vec<SettingProblem>,
    get: &dyn Fn(&str) -> Option<String>,
) -> Option<ModelSettings> {
    let base = get(HAYMAKER_AGENT_MODEL_URL).unwrap_or_else(|| DEFAULT_MODEL_URL.into());
    let base_url = match url::Url::parse(&base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        _ => {
            bad(
                p,
                HAYMAKER_AGENT_MODEL_URL,
                format!("`{base}` is not an http(s) URL"),
            );
            None
        }
    };
    let key = get(MODEL_API_KEY);
    if key.is_none() {
        bad(p, MODEL_API_KEY, "missing; assisted mode needs the model API key (Key Vault secret `anthropic-api-key` listed in HAYMAKER_AGENT_SECRET_NAMES)".into());
    }
    Some(ModelSettings {
        api_key: Secret::new(key?),
        model: get(HAYMAKER_AGENT_MODEL).unwrap_or_else(|| DEFAULT_MODEL.into()),
        base_url: base_url?,
    })
}

/// FNV-1a: a stable 64-bit hash (the default seed).
pub(crate) fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
#[path = "inputs_tests.rs"]
mod tests;
