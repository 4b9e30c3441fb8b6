//! The cleanup phase's units: one subscription's resources, then the run's identities. The engine
//! that finds, orders, deletes and verifies is [`crate::cleanup`].

use uuid::Uuid;

use super::{Orchestrator, OrchestratorError};

/// Cleans one subscription.
pub async fn subscription(
    _o: &Orchestrator,
    run_id: Uuid,
    subscription: &str,
) -> Result<String, OrchestratorError> {
    Err(OrchestratorError::NotYet(format!(
        "cleanup of {subscription} for run {run_id}: engine not wired yet"
    )))
}

/// Cleans the run's identities.
pub async fn identities(_o: &Orchestrator, run_id: Uuid) -> Result<String, OrchestratorError> {
    Err(OrchestratorError::NotYet(format!(
        "identity cleanup for run {run_id}: engine not wired yet"
    )))
}
