//! Assisted mode inside the agent's run: after a command failed its retries, ask the model for a
//! corrected command, run it only when [`super::guard`] passes it, and log and report every call
//! and decision.

use serde_json::json;

use crate::events::Severity;

use super::assist::FailedStep;
use super::exec::CommandResult;
use super::guard::{self, Scope};
use super::report::LogEventKind as Log;
use super::runner::Agent;
use super::steps::AgentCommand;

impl Agent {
    /// Assisted mode: asks the model for a corrected command and runs it when the guard passes.
    /// Every call and decision is logged and reported.
    pub(super) async fn assist(
        &mut self,
        cmd: &AgentCommand,
        failed: &CommandResult,
    ) -> Option<(AgentCommand, CommandResult)> {
        let model = self.model.as_ref()?;
        let error = failed.error_text();
        let ask = FailedStep {
            scenario: &self.inputs.scenario,
            resource_group: &self.inputs.resource_group,
            location: &self.inputs.location,
            command: &cmd.written,
            error: &error,
        };
        tracing::info!(command = %cmd.written, "asking the model for a corrected command");
        let suggestion = match model.suggest(&ask).await {
            Ok(s) => s,
            Err(e) => {
                let msg = format!("assisted mode: no suggestion for `az {}`: {e}", cmd.path);
                tracing::warn!("{msg}");
                self.reporter
                    .log(Log::Error, Severity::Warning, &msg, None)
                    .await;
                return None;
            }
        };
        let shown = self.az.redactor.text(&suggestion);
        let inputs = &self.inputs;
        let run_id = inputs.run_id.to_string();
        let lookup = |v: &str| inputs.var(v);
        let scope = Scope {
            subscription_id: &inputs.subscription_id,
            resource_group: &inputs.resource_group,
            run_id: &run_id,
            scenario: &inputs.scenario,
            lookup: &lookup,
        };
        match guard::check(&suggestion, &scope) {
            Err(refusal) => {
                let msg = format!("assisted mode: suggestion refused ({refusal}): {shown}");
                tracing::warn!("{msg}");
                self.reporter
                    .log(
                        Log::Operation,
                        Severity::Warning,
                        &msg,
                        Some(json!({"assisted": "refused"})),
                    )
                    .await;
                None
            }
            Ok(fixed) => {
                let msg = format!("assisted mode: running the suggestion: {shown}");
                tracing::info!("{msg}");
                self.reporter
                    .log(
                        Log::Operation,
                        Severity::Info,
                        &msg,
                        Some(json!({"assisted": "accepted"})),
                    )
                    .await;
                self.summary.assisted_runs += 1;
                let result = self.execute(&fixed).await;
                Some((fixed, result))
            }
        }
    }
}
