//! The scenario document as the agent carries it out: the phases' steps (the fenced `bash` blocks,
//! parsed by [`crate::scenarios`]'s safe shell subset) with every `$HAYMAKER_*` variable expanded into
//! an argument vector for `az`, and what each command does to resources.

use crate::scenarios::{parse_document, Command, PhaseKind, Scenario};

use super::inputs::AgentInputs;

/// What a command does to resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `az … create` (and `az deployment group create`): ids in its output are created.
    Create,
    /// `az … delete`: the resource it names is deleted.
    Delete,
    /// Anything else (reads, updates, actions).
    Other,
}

/// One command ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentCommand {
    /// 1-based line in the document.
    pub line: usize,
    /// `az` and its arguments, variables expanded (may hold `$HAYMAKER_PASSWORD`'s value: redact
    /// before showing).
    pub argv: Vec<String>,
    /// The command group and verb, e.g. `vm create`.
    pub path: String,
    pub effect: Effect,
    /// The command as written, with variables as `$NAME` (safe to log).
    pub written: String,
}

impl AgentCommand {
    /// The values following `flag` (or its short form), up to the next option.
    pub fn value_of(&self, flags: &[&str]) -> Option<&str> {
        let at = self.argv.iter().position(|a| flags.contains(&a.as_str()))?;
        self.argv
            .get(at + 1)
            .filter(|v| !v.starts_with('-'))
            .map(String::as_str)
    }
}

/// One step: one fenced block of a phase.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStep {
    pub phase: PhaseKind,
    /// 1-based line of the block's opening fence.
    pub line: usize,
    pub commands: Vec<AgentCommand>,
}

/// The three phases' steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub deployment: Vec<AgentStep>,
    pub operations: Vec<AgentStep>,
    pub cleanup: Vec<AgentStep>,
}

/// Why the document cannot be carried out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlanError {
    #[error("scenario document `{name}` does not parse:\n{}", .problems.join("\n"))]
    Invalid { name: String, problems: Vec<String> },
    #[error("scenario document `{name}` has no {phase} steps")]
    EmptyPhase { name: String, phase: &'static str },
}

/// The effect of a parsed command.
pub fn effect(cmd: &Command) -> Effect {
    match cmd.path().last().map(String::as_str) {
        Some("create") => Effect::Create,
        Some("delete") => Effect::Delete,
        _ => Effect::Other,
    }
}

fn expand(cmd: &Command, lookup: &dyn Fn(&str) -> Option<String>) -> AgentCommand {
    AgentCommand {
        line: cmd.line,
        argv: cmd.words.iter().map(|w| w.expand(lookup)).collect(),
        path: cmd.path().join(" "),
        effect: effect(cmd),
        written: cmd.render(),
    }
}

fn phase_steps(
    scenario: &Scenario,
    phase: PhaseKind,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<AgentStep> {
    scenario
        .steps(phase)
        .iter()
        .map(|s| AgentStep {
            phase,
            line: s.line,
            commands: s.commands.iter().map(|c| expand(c, lookup)).collect(),
        })
        .collect()
}

/// The plan of a parsed scenario, variables expanded through `lookup`. Phases 1 and 3 must not be
/// empty (Phase 2 may be: the agent then waits for the end time).
pub fn plan_scenario(
    scenario: &Scenario,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan, PlanError> {
    let plan = Plan {
        deployment: phase_steps(scenario, PhaseKind::Deployment, lookup),
        operations: phase_steps(scenario, PhaseKind::Operations, lookup),
        cleanup: phase_steps(scenario, PhaseKind::Cleanup, lookup),
    };
    for (steps, phase) in [
        (&plan.deployment, "Phase 1 (deployment)"),
        (&plan.cleanup, "Phase 3 (cleanup)"),
    ] {
        if steps.is_empty() {
            return Err(PlanError::EmptyPhase {
                name: scenario.name.clone(),
                phase,
            });
        }
    }
    Ok(plan)
}

/// Parses the agent's scenario document (with the scenario parser and validator) into its plan.
pub fn plan(inputs: &AgentInputs) -> Result<Plan, PlanError> {
    let file = format!("{}.md", inputs.scenario);
    let scenario = parse_document(&file, &inputs.document).map_err(|diags| PlanError::Invalid {
        name: inputs.scenario.clone(),
        problems: diags.iter().map(ToString::to_string).collect(),
    })?;
    plan_scenario(&scenario, &|v| inputs.var(v))
}
