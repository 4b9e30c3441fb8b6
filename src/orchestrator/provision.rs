//! Provisioning one scenario, step by step; each step is recorded in the run document when done, so
//! a retry (or a second delivery of the same unit) resumes after it, and every name is
//! deterministic, so a step repeated after a crash finds what the first attempt made.
//!
//! Steps: resource group (tagged) → application → service principal → password, straight into Key
//! Vault → role assignments (resource-group scope unless the scenario asks for the subscription) →
//! wait until they take effect, by polling as the principal → the agent's Container App.

use std::time::Duration;

use uuid::Uuid;

use crate::azure::resources::ResourceGroupSpec;
use crate::azure::AzureError;
use crate::run::{names, Phase, ProvisionStep, ScenarioRecord, ScenarioStatus};
use crate::scenarios::{RoleScope, Scenario};

use super::agent_spec::{self, AgentInputs};

#[path = "provision_identity.rs"]
mod identity;
use super::{Cloud, Orchestrator, OrchestratorError};

/// What one `provision` unit came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvisionOutcome {
    Running,
    Failed(String),
    /// Nothing to do: the scenario is past provisioning, or the run moved on / is unknown.
    Skipped(String),
}

/// Carries out (or resumes) provisioning of `scenario` in run `run_id`.
pub async fn provision(
    o: &Orchestrator,
    run_id: Uuid,
    scenario: &str,
) -> Result<ProvisionOutcome, OrchestratorError> {
    let Some(state) = o.load_run(run_id).await? else {
        return Ok(ProvisionOutcome::Skipped(format!(
            "run {run_id} is unknown"
        )));
    };
    if state.phase != Phase::Provisioning {
        return Ok(ProvisionOutcome::Skipped(format!(
            "run is in {:?}",
            state.phase
        )));
    }
    let Some(record) = state.scenario(scenario).cloned() else {
        return Ok(ProvisionOutcome::Skipped(format!(
            "scenario {scenario} is not part of the run"
        )));
    };
    if record.status != ScenarioStatus::Pending {
        return Ok(ProvisionOutcome::Skipped(format!(
            "scenario is {}",
            record.status.as_str()
        )));
    }
    let library = o.library()?;
    let Some(doc) = library.get(scenario) else {
        return fail(
            o,
            run_id,
            scenario,
            "the scenario document is no longer in the library",
        )
        .await;
    };
    let cloud = o.cloud()?;
    match steps(o, &cloud, run_id, state.scheduled_end_at, record, doc).await {
        Ok(()) => {
            let now = o.now();
            o.lifecycle_event(run_id, "scenario_provisioned", |l| async move {
                l.scenario_provisioned(run_id, scenario, now).await
            })
            .await;
            Ok(ProvisionOutcome::Running)
        }
        Err(OrchestratorError::Stopped(why)) => {
            tracing::warn!(%run_id, scenario, %why, "provisioning stopped");
            Ok(ProvisionOutcome::Skipped(why))
        }
        Err(e) => {
            let message = e.to_string();
            let attempts = o
                .update_scenario(run_id, scenario, |r| {
                    r.attempts += 1;
                    r.error = Some(message.clone());
                    true
                })
                .await?
                .map_or(0, |r| r.attempts);
            if e.is_retriable() && attempts < o.policy.max_provision_attempts {
                tracing::warn!(%run_id, scenario, attempts, error = %message, "provisioning will be retried");
                Err(e)
            } else {
                fail(o, run_id, scenario, &message).await
            }
        }
    }
}

async fn fail(
    o: &Orchestrator,
    run_id: Uuid,
    scenario: &str,
    reason: &str,
) -> Result<ProvisionOutcome, OrchestratorError> {
    let now = o.now();
    o.update_run(run_id, |run| {
        let Some(r) = run.scenario_mut(scenario) else {
            return false;
        };
        if r.status != ScenarioStatus::Pending {
            return false;
        }
        r.status = ScenarioStatus::Failed;
        r.error = Some(reason.to_string());
        r.ended_at = Some(now);
        run.record_error(now, "SCENARIO_PROVISIONING_FAILED", reason, Some(scenario));
        true
    })
    .await?;
    tracing::error!(%run_id, scenario, reason, "scenario provisioning failed");
    o.lifecycle_event(run_id, "scenario_failed", |l| async move {
        l.scenario_failed(run_id, scenario, reason, now).await
    })
    .await;
    Ok(ProvisionOutcome::Failed(reason.to_string()))
}

/// Records that `step` is done (and whatever `also` sets) — the fence of every step: once the run
/// has left provisioning (its end came, it was cancelled) or the scenario is no longer pending, the
/// unit stops here instead of creating more for a cleanup that may already have looked.
async fn done(
    o: &Orchestrator,
    run_id: Uuid,
    record: &mut ScenarioRecord,
    step: ProvisionStep,
    also: impl Fn(&mut ScenarioRecord),
) -> Result<(), OrchestratorError> {
    let mut stopped = None;
    let updated = o
        .update_run(run_id, |run| {
            if run.phase != Phase::Provisioning {
                stopped = Some(format!("the run moved on to {:?}", run.phase));
                return false;
            }
            match run.scenario_mut(&record.name) {
                Some(r) if r.status == ScenarioStatus::Pending => {
                    stopped = None;
                    also(r);
                    r.step = r.step.max(step);
                    true
                }
                Some(r) => {
                    stopped = Some(format!("the scenario is {}", r.status.as_str()));
                    false
                }
                None => false,
            }
        })
        .await?;
    if let Some(why) = stopped {
        return Err(OrchestratorError::Stopped(format!(
            "provisioning of {} stopped after {step:?}: {why}",
            record.name
        )));
    }
    if let Some(r) = updated.and_then(|s| s.scenario(&record.name).cloned()) {
        *record = r;
    }
    Ok(())
}

async fn steps(
    o: &Orchestrator,
    cloud: &Cloud,
    run_id: Uuid,
    scheduled_end_at: chrono::DateTime<chrono::Utc>,
    mut r: ScenarioRecord,
    doc: &Scenario,
) -> Result<(), OrchestratorError> {
    let tags = names::tags(run_id, &r.name);
    if r.step < ProvisionStep::ResourceGroup {
        let spec = ResourceGroupSpec {
            location: o.settings.azure.location.clone(),
            tags: tags.clone(),
        };
        cloud
            .resources
            .create_or_update_resource_group(&r.subscription, &r.resource_group, &spec)
            .await?;
        done(o, run_id, &mut r, ProvisionStep::ResourceGroup, |_| {}).await?;
    }

    let secrets = cloud
        .secrets
        .as_ref()
        .ok_or_else(|| OrchestratorError::NotConfigured("KEY_VAULT_URL is not set".into()))?;
    let principal =
        identity::provision(o, cloud, secrets, run_id, scheduled_end_at, &mut r, &tags).await?;
    let sp_object_id = principal
        .principal_object_id
        .clone()
        .expect("recorded by identity::provision");

    let group_scope = format!(
        "/subscriptions/{}/resourceGroups/{}",
        r.subscription, r.resource_group
    );
    if r.step < ProvisionStep::Roles {
        let scope = match doc.metadata.role_scope {
            RoleScope::ResourceGroup => group_scope.clone(),
            RoleScope::Subscription => format!("/subscriptions/{}", r.subscription),
        };
        let roles = if doc.metadata.required_roles.is_empty() {
            vec!["Contributor".to_string()]
        } else {
            doc.metadata.required_roles.clone()
        };
        let mut ids = Vec::new();
        for role in &roles {
            let definition = cloud
                .authorization
                .role_definition_id(&scope, role)
                .await?
                .ok_or_else(|| {
                    OrchestratorError::Permanent(format!(
                        "role `{role}` (required by the scenario) does not exist at {scope}"
                    ))
                })?;
            let assignment = crate::azure::authorization::NewRoleAssignment::service_principal(
                &definition,
                &sp_object_id,
            );
            let name =
                crate::azure::authorization::assignment_name(&scope, &sp_object_id, &definition);
            cloud.authorization.assign_role(&scope, &assignment).await?;
            ids.push(format!(
                "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
            ));
        }
        done(o, run_id, &mut r, ProvisionStep::Roles, |rec| {
            rec.role_assignment_ids = ids.clone();
            rec.roles = roles.clone();
        })
        .await?;
    }

    if r.step < ProvisionStep::RolesEffective {
        let password = secrets
            .get(&r.secret_name, None)
            .await?
            .ok_or_else(|| {
                OrchestratorError::NotYet(format!("secret {} is not readable yet", r.secret_name))
            })?
            .value;
        let as_agent = cloud.as_principal(&principal.app_id, password)?;
        wait_for_roles(&as_agent, &r.subscription, &r.resource_group).await?;
        done(o, run_id, &mut r, ProvisionStep::RolesEffective, |_| {}).await?;
    }

    if r.step < ProvisionStep::ContainerApp {
        let app = agent_spec::build(&AgentInputs {
            settings: &o.settings,
            run_id,
            scheduled_end_at,
            record: &r,
            app_id: &principal.app_id,
            document: &doc.document,
        })
        .map_err(OrchestratorError::NotConfigured)?;
        let env_id = crate::azure::arm::ResourceId::parse(
            app.properties.environment_id.as_deref().unwrap_or_default(),
        )?;
        let (Some(sub), Some(rg)) = (env_id.subscription.clone(), env_id.resource_group.clone())
        else {
            return Err(OrchestratorError::NotConfigured(
                "CONTAINER_APPS_ENVIRONMENT_ID is not a resource id".into(),
            ));
        };
        let created = cloud
            .container_apps
            .create_or_update(&sub, &rg, &r.container_app_name, &app)
            .await?;
        let id = created.id.unwrap_or_else(|| {
            format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.App/containerApps/{}",
                r.container_app_name
            )
        });
        let now = o.now();
        done(o, run_id, &mut r, ProvisionStep::ContainerApp, |rec| {
            rec.container_app_id = Some(id.clone());
            if rec.status == ScenarioStatus::Pending {
                rec.status = ScenarioStatus::Running;
                rec.started_at.get_or_insert(now);
                rec.error = None;
            }
        })
        .await?;
    }
    tracing::info!(%run_id, scenario = %r.name, "scenario provisioned; agent running");
    Ok(())
}

/// Polls as the principal until it can read its resource group: role assignments take effect after
/// a replication delay, which a fixed sleep would either waste or miss.
async fn wait_for_roles(
    as_agent: &crate::azure::resources::ArmClient,
    subscription: &str,
    group: &str,
) -> Result<(), OrchestratorError> {
    let mut delay = Duration::from_millis(250);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        match as_agent.get_resource_group(subscription, group).await {
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {}
            Err(AzureError::Http { status: 403, .. }) | Err(AzureError::Auth { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(OrchestratorError::NotYet(format!(
                "the principal's roles on {group} have not taken effect after 5 minutes"
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
