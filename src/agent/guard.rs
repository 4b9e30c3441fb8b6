//! The guard a model's suggested command must pass before assisted mode runs it: exactly one `az`
//! command in the scenarios' safe shell subset (no pipes, `;`, redirections, substitutions or
//! unknown variables), acting only inside the scenario's resource group (every `--resource-group`,
//! every ARM id in its arguments), never on groups, accounts, logins or directory objects, not in
//! another subscription, and — when it creates something — carrying the three haymaker tags.

use crate::scenarios::shell;

use super::steps::{effect, AgentCommand, Effect};

/// Longest suggestion considered.
pub const MAX_SUGGESTION_CHARS: usize = 4000;

/// What the command may touch.
#[derive(Clone)]
pub struct Scope<'a> {
    pub subscription_id: &'a str,
    pub resource_group: &'a str,
    pub run_id: &'a str,
    pub scenario: &'a str,
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
}

/// Why a suggestion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the suggestion is empty")]
    Empty,
    #[error("the suggestion is longer than {MAX_SUGGESTION_CHARS} characters")]
    TooLong,
    #[error("the suggestion is not in the safe shell subset: {0}")]
    Syntax(String),
    #[error("the suggestion holds {0} commands; exactly one is allowed")]
    NotOne(usize),
    #[error("`az {0}` is not allowed: the agent acts only on resources in its resource group")]
    Forbidden(String),
    #[error("`{0}` is outside the scenario's resource group")]
    OutOfScope(String),
    #[error("it names no resource group; every command must say --resource-group")]
    NoResourceGroup,
    #[error("it creates a resource without the haymaker tags (missing {0})")]
    Untagged(String),
}

/// Command groups that act on something other than resources in a group.
const FORBIDDEN_GROUPS: [&str; 8] = [
    "group", "account", "login", "logout", "ad", "role", "lock", "config",
];

fn within(scope: &Scope<'_>, id: &str) -> bool {
    let prefix = format!(
        "/subscriptions/{}/resourcegroups/{}",
        scope.subscription_id, scope.resource_group
    )
    .to_ascii_lowercase();
    let lower = id.to_ascii_lowercase();
    lower == prefix || lower.starts_with(&format!("{prefix}/"))
}

/// Checks `text` (the model's command) and returns it ready to run.
pub fn check(text: &str, scope: &Scope<'_>) -> Result<AgentCommand, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::Empty);
    }
    if text.chars().count() > MAX_SUGGESTION_CHARS {
        return Err(Refusal::TooLong);
    }
    let commands = shell::parse_block(text, 1).map_err(|e| Refusal::Syntax(e.message))?;
    let [cmd] = commands.as_slice() else {
        return Err(if commands.is_empty() {
            Refusal::Empty
        } else {
            Refusal::NotOne(commands.len())
        });
    };
    let path = cmd.path();
    if path.is_empty()
        || FORBIDDEN_GROUPS.contains(&path[0].as_str())
        || path.iter().any(|p| p == "rest")
    {
        return Err(Refusal::Forbidden(path.join(" ")));
    }
    let argv: Vec<String> = cmd.words.iter().map(|w| w.expand(scope.lookup)).collect();
    let mut saw_group = false;
    for (i, a) in argv.iter().enumerate() {
        let value = argv.get(i + 1).map(String::as_str).unwrap_or("");
        match a.as_str() {
            "--resource-group" | "-g" | "--resource-group-name" => {
                if !value.eq_ignore_ascii_case(scope.resource_group) {
                    return Err(Refusal::OutOfScope(format!("{a} {value}")));
                }
                saw_group = true;
            }
            "--subscription" if !value.eq_ignore_ascii_case(scope.subscription_id) => {
                return Err(Refusal::OutOfScope(format!("{a} {value}")));
            }
            _ => {}
        }
        // Any ARM id anywhere in the arguments (`--ids`, `--scope`, `--vnet`, `key=/subscriptions/…`).
        let lower = a.to_ascii_lowercase();
        if let Some(at) = lower.find("/subscriptions/") {
            let id = a[at..].split([' ', ',', '"']).next().unwrap_or("");
            if !within(scope, id) {
                return Err(Refusal::OutOfScope(id.to_string()));
            }
            saw_group = true;
        }
    }
    if !saw_group {
        return Err(Refusal::NoResourceGroup);
    }
    let effect = effect(cmd);
    if effect == Effect::Create {
        let tags: Vec<String> = cmd
            .values_of("--tags")
            .unwrap_or_default()
            .iter()
            .map(|w| w.expand(scope.lookup))
            .collect();
        let wanted = [
            "haymaker-managed=true".to_string(),
            format!("haymaker-run-id={}", scope.run_id),
            format!("haymaker-scenario={}", scope.scenario),
        ];
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|w| !tags.contains(w))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::Untagged(missing.join(", ")));
        }
    }
    Ok(AgentCommand {
        line: 0,
        argv,
        path: path.join(" "),
        effect,
        written: cmd.render(),
    })
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
