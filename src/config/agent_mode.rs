//! The agents' mode (`HAYMAKER_AGENT_MODE`): deterministic by default, or assisted by a model, and
//! the check that assisted mode has its model key among the agents' Key Vault secrets.

use std::fmt;
use std::str::FromStr;

use super::catalog::{AGENT_MODEL_KEY_SECRET, HAYMAKER_AGENT_MODE, HAYMAKER_AGENT_SECRET_NAMES};

/// How an agent handles a step that failed its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgentMode {
    /// Record the failure and skip the step.
    #[default]
    Deterministic,
    /// As deterministic, then ask the model for a corrected command and run it if the guard passes.
    Assisted,
}

impl AgentMode {
    pub const ALL: [AgentMode; 2] = [AgentMode::Deterministic, AgentMode::Assisted];

    /// The setting's value for this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deterministic => "deterministic",
            Self::Assisted => "assisted",
        }
    }
}

impl fmt::Display for AgentMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgentMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| "use deterministic or assisted".to_string())
    }
}

/// `Err` (the problem, naming the fix) when `mode` is assisted and the model key secret is not among
/// `secret_names` (Key Vault names are case-insensitive).
pub(super) fn check_model_key(mode: AgentMode, secret_names: &[String]) -> Result<(), String> {
    if mode != AgentMode::Assisted
        || secret_names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(AGENT_MODEL_KEY_SECRET))
    {
        return Ok(());
    }
    Err(format!(
        "`assisted` needs the model API key, but {HAYMAKER_AGENT_SECRET_NAMES} does not list \
         `{AGENT_MODEL_KEY_SECRET}`; add `{AGENT_MODEL_KEY_SECRET}` to {HAYMAKER_AGENT_SECRET_NAMES} \
         (and store the key in the Key Vault under that name), or set {HAYMAKER_AGENT_MODE}=deterministic"
    ))
}
