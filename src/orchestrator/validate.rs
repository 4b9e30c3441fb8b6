//! Validation: every check reported with its reason; any failure ends the run as failed before
//! anything is created.

use crate::azure::{AccessTokens, AzureError};
use crate::config::catalog;
use crate::run::CheckResult;
use crate::scenarios::Size;

use super::{Cloud, EventsDelivery, Orchestrator};

fn check(name: &str, result: Result<String, String>) -> CheckResult {
    match result {
        Ok(detail) => CheckResult {
            check: name.to_string(),
            passed: true,
            detail,
        },
        Err(detail) => CheckResult {
            check: name.to_string(),
            passed: false,
            detail,
        },
    }
}

fn azure(e: AzureError) -> String {
    e.to_string()
}

/// Runs every check (all of them, even after a failure, so the report is complete).
pub async fn validate(o: &Orchestrator, size: Size) -> Vec<CheckResult> {
    let mut results = Vec::new();
    let settings = &o.settings;

    let mut problems = match settings.check_complete_for_azure() {
        Ok(()) => Vec::new(),
        Err(e) => e.problems,
    };
    if o.events == EventsDelivery::InProcess {
        problems.retain(|p| p.name != catalog::SERVICE_BUS_NAMESPACE);
    }
    results.push(check(
        "settings",
        if problems.is_empty() {
            Ok("every setting a run needs is present".into())
        } else {
            Err(problems
                .iter()
                .map(|p| format!("{}: {}", p.name, p.problem))
                .collect::<Vec<_>>()
                .join("; "))
        },
    ));

    results.push(check(
        "scenarios",
        o.library().map_err(|e| e.to_string()).and_then(|lib| {
            let available = lib.scenarios().len();
            if available >= size.count() {
                Ok(format!(
                    "{available} scenarios from {}; {} to select",
                    lib.origin,
                    size.count()
                ))
            } else {
                Err(format!(
                    "size {size} needs {} scenarios but {} has {available}",
                    size.count(),
                    lib.origin
                ))
            }
        }),
    ));

    results.push(check(
        "service_bus",
        match o.events {
            EventsDelivery::InProcess => Ok("events are delivered in-process (sandbox)".into()),
            EventsDelivery::ServiceBus => {
                let sb = &settings.service_bus;
                if sb.connection_string.is_some() || sb.namespace.is_some() {
                    Ok(format!(
                        "topic {} subscription {}",
                        sb.topic, sb.subscription
                    ))
                } else {
                    Err(format!(
                        "set {} or {}",
                        catalog::SERVICE_BUS_NAMESPACE,
                        catalog::SERVICE_BUS_CONNECTION
                    ))
                }
            }
        },
    ));

    let cloud = match o.cloud() {
        Ok(c) => c,
        Err(e) => {
            results.push(check("credential", Err(e.to_string())));
            return results;
        }
    };
    results.push(check("credential", credential(&cloud).await));
    for sub in &settings.azure.target_subscriptions {
        let sub = sub.to_string();
        let name = format!("subscription {sub}");
        let result = cloud
            .resources
            .list_resource_groups_by_tag(&sub, crate::run::names::TAG_MANAGED, "true")
            .await
            .map(|groups| format!("readable; {} haymaker resource groups", groups.len()))
            .map_err(azure);
        results.push(check(&name, result));
    }
    results.push(check("key_vault", key_vault(o, &cloud).await));
    results.push(check(
        "container_apps_environment",
        environment(o, &cloud).await,
    ));
    results
}

/// The identity obtains ARM and Graph tokens (a read on each proves it).
async fn credential(cloud: &Cloud) -> Result<String, String> {
    cloud
        .graph
        .find_applications("haymaker-")
        .await
        .map_err(|e| format!("Microsoft Graph: {e}"))?;
    Ok(format!(
        "ARM and Graph tokens for {}",
        cloud.connection.tokens.principal()
    ))
}

async fn key_vault(o: &Orchestrator, cloud: &Cloud) -> Result<String, String> {
    let secrets = cloud
        .secrets
        .as_ref()
        .ok_or_else(|| format!("{} is not set", catalog::KEY_VAULT_URL))?;
    let names = &o.settings.azure.agent_secret_names;
    let mut missing = Vec::new();
    for name in names {
        if secrets.get(name, None).await.map_err(azure)?.is_none() {
            missing.push(name.as_str());
        }
    }
    if names.is_empty() {
        // Reachability: reading a name that need not exist answers 404, not an error.
        secrets
            .get("haymaker-validation-probe", None)
            .await
            .map_err(azure)?;
    }
    if missing.is_empty() {
        Ok(format!(
            "reachable; {} agent secret(s) present",
            names.len()
        ))
    } else {
        Err(format!(
            "agent secret(s) missing from the vault: {} (listed in {})",
            missing.join(", "),
            catalog::HAYMAKER_AGENT_SECRET_NAMES
        ))
    }
}

async fn environment(o: &Orchestrator, cloud: &Cloud) -> Result<String, String> {
    let agent = &o.settings.agent;
    let id = agent
        .environment_id
        .as_deref()
        .ok_or_else(|| format!("{} is not set", catalog::CONTAINER_APPS_ENVIRONMENT_ID))?;
    let env = cloud
        .container_apps
        .get_managed_environment_by_id(id)
        .await
        .map_err(azure)?
        .ok_or_else(|| {
            format!(
                "{id} does not exist; check {}",
                catalog::CONTAINER_APPS_ENVIRONMENT_ID
            )
        })?;
    let profile = env
        .workload_profile(&agent.workload_profile)
        .ok_or_else(|| {
            format!(
                "the environment has no workload profile `{}` ({}); it has: {}",
                agent.workload_profile,
                catalog::HAYMAKER_AGENT_WORKLOAD_PROFILE,
                env.properties
                    .workload_profiles
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    profile.fits(agent.cpu, &format!("{}Gi", agent.memory_gib))?;
    Ok(format!(
        "profile {} fits {} vCPU / {} GiB",
        profile.name, agent.cpu, agent.memory_gib
    ))
}
