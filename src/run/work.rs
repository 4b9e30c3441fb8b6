//! Units of fan-out work: what `Tick` hands to the `haymaker-work` queue and `Work` carries out.
//! Each unit names its run and is idempotent, so the host may deliver it twice or retry it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One queue message (`{"kind": "provision", "run_id": …, …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkUnit {
    /// Provision one scenario: resource group, principal, secret, roles, agent.
    Provision { run_id: Uuid, scenario: String },
    /// Read the agents of a batch of scenarios and record what they are doing.
    CheckAgents {
        run_id: Uuid,
        scenarios: Vec<String>,
    },
    /// Delete everything of the run in one subscription, then verify.
    CleanupSubscription { run_id: Uuid, subscription: String },
    /// Delete the run's role assignments, principals, applications and secrets, then verify.
    CleanupIdentities { run_id: Uuid },
}

impl WorkUnit {
    pub fn run_id(&self) -> Uuid {
        match self {
            WorkUnit::Provision { run_id, .. }
            | WorkUnit::CheckAgents { run_id, .. }
            | WorkUnit::CleanupSubscription { run_id, .. }
            | WorkUnit::CleanupIdentities { run_id } => *run_id,
        }
    }

    /// The lease key in the run document: one outstanding dispatch per key.
    pub fn lease_key(&self) -> String {
        match self {
            WorkUnit::Provision { scenario, .. } => format!("provision:{scenario}"),
            WorkUnit::CheckAgents { scenarios, .. } => {
                format!(
                    "check:{}",
                    scenarios.first().map(String::as_str).unwrap_or("")
                )
            }
            WorkUnit::CleanupSubscription { subscription, .. } => {
                format!("cleanup:{subscription}")
            }
            WorkUnit::CleanupIdentities { .. } => "cleanup-identities".to_string(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            WorkUnit::Provision { .. } => "provision",
            WorkUnit::CheckAgents { .. } => "check_agents",
            WorkUnit::CleanupSubscription { .. } => "cleanup_subscription",
            WorkUnit::CleanupIdentities { .. } => "cleanup_identities",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn units_round_trip_in_the_queue_shape() {
        let run_id = Uuid::nil();
        let unit = WorkUnit::Provision {
            run_id,
            scenario: "compute-01".into(),
        };
        let value = serde_json::to_value(&unit).unwrap();
        assert_eq!(
            value,
            json!({"kind": "provision", "run_id": run_id, "scenario": "compute-01"})
        );
        assert_eq!(serde_json::from_value::<WorkUnit>(value).unwrap(), unit);
        assert!(serde_json::from_value::<WorkUnit>(json!({"kind": "nope"})).is_err());
        assert_eq!(unit.lease_key(), "provision:compute-01");
    }
}
