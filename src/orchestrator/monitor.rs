//! Monitoring: read each agent's Container App and record what it is doing. An agent whose app is
//! gone, failed to provision, or stopped before the run's end is a failed scenario, with the reason.

use uuid::Uuid;

use crate::azure::container_apps::{ContainerApp, ContainerAppProvisioningState, RunningStatus};
use crate::run::{Phase, ScenarioStatus};

use super::{Orchestrator, OrchestratorError};

/// What an agent's app says, as a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentHealth {
    Running(String),
    Failed(String),
}

/// Pure: the health of an agent from its app (or its absence).
pub fn judge(app: Option<&ContainerApp>) -> AgentHealth {
    let Some(app) = app else {
        return AgentHealth::Failed("the agent's container app no longer exists".into());
    };
    let p = &app.properties;
    if matches!(
        p.provisioning_state,
        Some(ContainerAppProvisioningState::Failed) | Some(ContainerAppProvisioningState::Canceled)
    ) {
        return AgentHealth::Failed(format!(
            "the agent's container app provisioning ended {}",
            p.provisioning_state
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default()
        ));
    }
    match &p.running_status {
        Some(RunningStatus::Stopped) | Some(RunningStatus::Suspended) => {
            AgentHealth::Failed(format!(
                "the agent stopped before the run ended (runningStatus {})",
                p.running_status
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            ))
        }
        Some(other) => AgentHealth::Running(other.to_string()),
        None => AgentHealth::Running("Unknown".into()),
    }
}

/// Checks the agents of `scenarios`; returns how many were found failed.
pub async fn check_agents(
    o: &Orchestrator,
    run_id: Uuid,
    scenarios: &[String],
) -> Result<usize, OrchestratorError> {
    let Some(state) = o.load_run(run_id).await? else {
        return Ok(0);
    };
    if state.phase != Phase::Monitoring {
        return Ok(0);
    }
    let cloud = o.cloud()?;
    let mut failed = 0;
    for name in scenarios {
        let Some(record) = state.scenario(name) else {
            continue;
        };
        if record.status != ScenarioStatus::Running {
            continue;
        }
        let Some(id) = record.container_app_id.as_deref() else {
            continue;
        };
        let parsed = crate::azure::arm::ResourceId::parse(id)?;
        let (Some(sub), Some(rg)) = (
            parsed.subscription.as_deref(),
            parsed.resource_group.as_deref(),
        ) else {
            continue;
        };
        let app = cloud.container_apps.get(sub, rg, &parsed.name).await?;
        let health = judge(app.as_ref());
        let now = o.now();
        if matches!(health, AgentHealth::Failed(_)) {
            failed += 1;
        }
        o.update_run(run_id, |run| {
            if run.phase != Phase::Monitoring {
                return false;
            }
            let mut error = None;
            let Some(r) = run.scenario_mut(name) else {
                return false;
            };
            if r.status != ScenarioStatus::Running {
                return false;
            }
            r.checked_at = Some(now);
            match &health {
                AgentHealth::Running(state) => r.agent_state = Some(state.clone()),
                AgentHealth::Failed(reason) => {
                    r.status = ScenarioStatus::Failed;
                    r.ended_at = Some(now);
                    r.error = Some(reason.clone());
                    r.agent_state = Some("Failed".into());
                    error = Some(reason.clone());
                }
            }
            if let Some(reason) = error {
                run.record_error(now, "AGENT_FAILED", reason, Some(name));
            }
            true
        })
        .await?;
    }
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(provisioning: &str, running: Option<&str>) -> ContainerApp {
        let mut body = serde_json::json!({
            "location": "eastus",
            "properties": {"provisioningState": provisioning}
        });
        if let Some(r) = running {
            body["properties"]["runningStatus"] = r.into();
        }
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn health_follows_the_app() {
        assert_eq!(
            judge(Some(&app("Succeeded", Some("Running")))),
            AgentHealth::Running("Running".into())
        );
        assert!(matches!(judge(None), AgentHealth::Failed(r) if r.contains("no longer exists")));
        assert!(
            matches!(judge(Some(&app("Failed", Some("Running")))), AgentHealth::Failed(r) if r.contains("Failed"))
        );
        assert!(
            matches!(judge(Some(&app("Succeeded", Some("Stopped")))), AgentHealth::Failed(r) if r.contains("Stopped"))
        );
    }
}
