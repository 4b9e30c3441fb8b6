//! `Work`: one queued unit, carried out. Units are idempotent; a retriable failure makes the host
//! deliver the unit again, a permanent one is recorded on the run by the step itself.

use crate::run::WorkUnit;

use super::{cleanup, monitor, provision, Orchestrator, OrchestratorError};

/// Carries out `unit`; the string says what came of it (for the log and the invocation's answer).
/// Carries out `unit` and adds the pipeline's retries for it to the run document.
pub async fn execute(o: &Orchestrator, unit: &WorkUnit) -> Result<String, OrchestratorError> {
    let (result, retries) = crate::azure::retry::counting(execute_unit(o, unit)).await;
    o.record_retries(unit.run_id(), retries).await;
    result
}

async fn execute_unit(o: &Orchestrator, unit: &WorkUnit) -> Result<String, OrchestratorError> {
    match unit {
        WorkUnit::Provision { run_id, scenario } => {
            Ok(match provision::provision(o, *run_id, scenario).await? {
                provision::ProvisionOutcome::Running => "running".to_string(),
                provision::ProvisionOutcome::Failed(reason) => format!("failed: {reason}"),
                provision::ProvisionOutcome::Skipped(why) => format!("skipped: {why}"),
            })
        }
        WorkUnit::CheckAgents { run_id, scenarios } => {
            let failed = monitor::check_agents(o, *run_id, scenarios).await?;
            Ok(format!(
                "checked {} agent(s), {failed} failed",
                scenarios.len()
            ))
        }
        WorkUnit::CleanupSubscription {
            run_id,
            subscription,
        } => cleanup::subscription(o, *run_id, subscription).await,
        WorkUnit::CleanupIdentities { run_id } => cleanup::identities(o, *run_id).await,
    }
}
