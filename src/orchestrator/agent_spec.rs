//! The Container App an agent runs as: image, size and workload profile from the settings; the
//! scenario, run and principal in its environment, and the agent mode (with the model settings when
//! set); the principal's password and the agent secrets (assisted mode's model key among them) as
//! Key Vault references (never values); tags on the app. Pure, so it is tested as data.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::azure::container_apps::{
    AppSecret, Configuration, Container, ContainerApp, EnvVar, IdentityType, ManagedIdentity,
    Resources, Scale, Template, UserAssignedIdentity,
};
use crate::config::{catalog, Settings};
use crate::run::{names, ScenarioRecord};

/// The container app's secret holding the principal's password.
pub const CLIENT_SECRET_REF: &str = "agent-client-secret";

/// Everything the spec is built from.
pub struct AgentInputs<'a> {
    pub settings: &'a Settings,
    pub run_id: Uuid,
    pub scheduled_end_at: DateTime<Utc>,
    pub record: &'a ScenarioRecord,
    pub app_id: &'a str,
    /// The scenario document the agent acts out.
    pub document: &'a str,
}

fn secret_url(vault: &url::Url, name: &str) -> String {
    format!("{}/secrets/{name}", vault.as_str().trim_end_matches('/'))
}

/// A Key Vault secret name as a Container Apps secret name (lower case letters, digits, `-`).
fn app_secret_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.truncate(60);
    format!("kv-{}", s.trim_matches('-'))
}

/// The environment variable an agent secret is exposed as: `HAYMAKER_SECRET_<NAME>`.
pub fn secret_env_name(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("HAYMAKER_SECRET_{upper}")
}

/// Builds the app. `Err` when a setting it needs is missing (validation reports these first).
pub fn build(inputs: &AgentInputs<'_>) -> Result<ContainerApp, String> {
    let s = inputs.settings;
    let r = inputs.record;
    let environment = s
        .agent
        .environment_id
        .as_deref()
        .ok_or("CONTAINER_APPS_ENVIRONMENT_ID is not set")?;
    let image = s
        .agent
        .image
        .as_deref()
        .ok_or("HAYMAKER_AGENT_IMAGE is not set")?;
    let vault = s
        .azure
        .key_vault_url
        .as_ref()
        .ok_or("KEY_VAULT_URL is not set")?;
    let identity_ref = s
        .agent
        .identity_id
        .clone()
        .unwrap_or_else(|| "system".into());

    let mut secrets = vec![AppSecret::key_vault(
        CLIENT_SECRET_REF,
        &secret_url(vault, &r.secret_name),
        &identity_ref,
    )];
    let mut env = vec![
        EnvVar::value("HAYMAKER_RUN_ID", &inputs.run_id.to_string()),
        EnvVar::value("HAYMAKER_SCENARIO", &r.name),
        EnvVar::value("HAYMAKER_SCENARIO_DOCUMENT", inputs.document),
        EnvVar::value("HAYMAKER_SUBSCRIPTION_ID", &r.subscription),
        EnvVar::value("HAYMAKER_RESOURCE_GROUP", &r.resource_group),
        EnvVar::value("HAYMAKER_LOCATION", &s.azure.location),
        EnvVar::value("HAYMAKER_SUFFIX", &names::suffix(inputs.run_id, &r.name)),
        EnvVar::value("HAYMAKER_RUN_END", &inputs.scheduled_end_at.to_rfc3339()),
        EnvVar::value("HAYMAKER_EVENTS_TOPIC", &s.service_bus.topic),
        EnvVar::value(
            "AZURE_TENANT_ID",
            s.azure.tenant_id.as_deref().unwrap_or(""),
        ),
        EnvVar::value("AZURE_CLIENT_ID", inputs.app_id),
        EnvVar::secret("AZURE_CLIENT_SECRET", CLIENT_SECRET_REF),
    ];
    if let Some(ns) = &s.service_bus.namespace {
        env.push(EnvVar::value(
            "ServiceBusConnection__fullyQualifiedNamespace",
            ns,
        ));
    }
    if let Some(id) = &s.agent.identity_id {
        // The identity the agent sends its events with (Azure Service Bus Data Sender on the topic).
        env.push(EnvVar::value("HAYMAKER_AGENT_IDENTITY_ID", id));
    }
    env.push(EnvVar::value(
        catalog::HAYMAKER_AGENT_MODE,
        s.agent.mode.as_str(),
    ));
    if let Some(model) = &s.agent.model {
        env.push(EnvVar::value(catalog::HAYMAKER_AGENT_MODEL, model));
    }
    if let Some(url) = &s.agent.model_url {
        env.push(EnvVar::value(
            catalog::HAYMAKER_AGENT_MODEL_URL,
            url.as_str(),
        ));
    }
    // The model key of assisted mode is one of these (`catalog::AGENT_MODEL_KEY_SECRET`, checked
    // when the settings load): a Key Vault reference like the others.
    for name in &s.azure.agent_secret_names {
        let secret = app_secret_name(name);
        secrets.push(AppSecret::key_vault(
            &secret,
            &secret_url(vault, name),
            &identity_ref,
        ));
        env.push(EnvVar::secret(&secret_env_name(name), &secret));
    }

    let mut app = ContainerApp::new(&s.azure.location, environment);
    app.tags = names::tags(inputs.run_id, &r.name);
    app.identity = Some(match &s.agent.identity_id {
        Some(id) => ManagedIdentity {
            identity_type: IdentityType::UserAssigned,
            principal_id: None,
            tenant_id: None,
            user_assigned_identities: [(id.clone(), UserAssignedIdentity::default())].into(),
        },
        None => ManagedIdentity {
            identity_type: IdentityType::SystemAssigned,
            principal_id: None,
            tenant_id: None,
            user_assigned_identities: Default::default(),
        },
    });
    app.properties.workload_profile_name = Some(s.agent.workload_profile.clone());
    app.properties.configuration = Some(Configuration {
        secrets,
        ..Default::default()
    });
    app.properties.template = Some(Template {
        containers: vec![Container {
            name: "agent".into(),
            image: image.to_string(),
            command: vec![],
            args: vec!["agent".into()],
            env,
            resources: Some(Resources {
                cpu: s.agent.cpu,
                memory: format!("{}Gi", s.agent.memory_gib),
            }),
        }],
        scale: Some(Scale {
            min_replicas: Some(1),
            max_replicas: Some(1),
        }),
    });
    Ok(app)
}

#[cfg(test)]
#[path = "agent_spec_tests.rs"]
mod tests;
