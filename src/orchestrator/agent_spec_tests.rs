use std::collections::HashMap;

use super::*;
use crate::run::ProvisionStep;

fn settings(extra: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = [
        ("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ("KEY_VAULT_URL", "https://hm-kv.vault.azure.net/"),
        (
            "CONTAINER_APPS_ENVIRONMENT_ID",
            "/subscriptions/s/resourceGroups/infra/providers/Microsoft.App/managedEnvironments/env",
        ),
        ("HAYMAKER_AGENT_IMAGE", "acr.azurecr.io/haymaker:1"),
        ("HAYMAKER_AGENT_SECRET_NAMES", "openai-key,Other_Token"),
        (
            "ServiceBusConnection__fullyQualifiedNamespace",
            "hm.servicebus.windows.net",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    Settings::from_lookup(&|name| vars.get(name).cloned()).expect("valid settings")
}

fn record() -> ScenarioRecord {
    let mut r = ScenarioRecord::pending(
        "compute-01-linux-vm",
        "compute",
        "11111111-1111-1111-1111-111111111111",
        "haymaker-00000000-compute-01-linux-vm".into(),
        "haymaker-secret".into(),
        "hm-00000000-abcdef".into(),
    );
    r.step = ProvisionStep::RolesEffective;
    r
}

fn env_of(app: &ContainerApp) -> Vec<(String, Option<String>, Option<String>)> {
    app.properties.template.as_ref().unwrap().containers[0]
        .env
        .iter()
        .map(|e| (e.name.clone(), e.value.clone(), e.secret_ref.clone()))
        .collect()
}

#[test]
fn the_agent_gets_its_scenario_principal_and_secrets_by_reference_only() {
    let s = settings(&[]);
    let r = record();
    let run_id = Uuid::nil();
    let app = build(&AgentInputs {
        settings: &s,
        run_id,
        scheduled_end_at: "2026-11-26T08:00:00Z".parse().unwrap(),
        record: &r,
        app_id: "app-123",
        document: "# doc",
    })
    .unwrap();

    let body = serde_json::to_value(&app).unwrap();
    assert_eq!(body["properties"]["workloadProfileName"], "haymaker-agents");
    let container = &body["properties"]["template"]["containers"][0];
    assert_eq!(container["resources"]["cpu"], 2.0);
    assert_eq!(container["resources"]["memory"], "64Gi");
    assert_eq!(container["image"], "acr.azurecr.io/haymaker:1");
    assert_eq!(body["tags"]["haymaker-run-id"], run_id.to_string());
    assert_eq!(body["identity"]["type"], "SystemAssigned");

    let env = env_of(&app);
    let get = |n: &str| env.iter().find(|(k, _, _)| k == n).cloned().unwrap();
    assert_eq!(
        get("HAYMAKER_SCENARIO").1.as_deref(),
        Some("compute-01-linux-vm")
    );
    assert_eq!(get("AZURE_CLIENT_ID").1.as_deref(), Some("app-123"));
    assert_eq!(
        get("AZURE_CLIENT_SECRET").2.as_deref(),
        Some(CLIENT_SECRET_REF)
    );
    assert_eq!(
        get("HAYMAKER_SECRET_OTHER_TOKEN").2.as_deref(),
        Some("kv-other-token")
    );
    assert_eq!(
        get("ServiceBusConnection__fullyQualifiedNamespace")
            .1
            .as_deref(),
        Some("hm.servicebus.windows.net")
    );

    let secrets = &body["properties"]["configuration"]["secrets"];
    assert_eq!(
        secrets[0]["keyVaultUrl"],
        "https://hm-kv.vault.azure.net/secrets/haymaker-secret"
    );
    assert_eq!(secrets[0]["identity"], "system");
    assert!(secrets
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.get("value").is_none()));
}

#[test]
fn a_user_assigned_identity_reads_the_secrets_when_configured() {
    let id = "/subscriptions/s/resourceGroups/infra/providers/Microsoft.ManagedIdentity/userAssignedIdentities/agents";
    let s = settings(&[("HAYMAKER_AGENT_IDENTITY_ID", id)]);
    let r = record();
    let app = build(&AgentInputs {
        settings: &s,
        run_id: Uuid::nil(),
        scheduled_end_at: "2026-11-26T08:00:00Z".parse().unwrap(),
        record: &r,
        app_id: "a",
        document: "",
    })
    .unwrap();
    let body = serde_json::to_value(&app).unwrap();
    assert_eq!(body["identity"]["type"], "UserAssigned");
    assert!(body["identity"]["userAssignedIdentities"].get(id).is_some());
    assert_eq!(
        body["properties"]["configuration"]["secrets"][0]["identity"],
        id
    );
    let env = env_of(&app);
    assert!(
        env.contains(&("HAYMAKER_AGENT_IDENTITY_ID".into(), Some(id.into()), None)),
        "the agent learns the identity it publishes with: {env:?}"
    );
}

/// Every variable the agent requires is one the spec sets (the agent reads exactly these names).
#[test]
fn the_spec_sets_every_variable_the_agent_requires() {
    let s = settings(&[]);
    let r = record();
    let doc = crate::scenarios::Library::embedded()
        .get("compute-01-linux-vm-nginx")
        .expect("shipped scenario")
        .document
        .clone();
    let app = build(&AgentInputs {
        settings: &s,
        run_id: Uuid::new_v4(),
        scheduled_end_at: "2026-11-26T08:00:00Z".parse().unwrap(),
        record: &r,
        app_id: "app-123",
        document: &doc,
    })
    .unwrap();
    let env = env_of(&app);
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, secret)| {
                v.clone()
                    .unwrap_or_else(|| format!("value-of-{}", secret.clone().unwrap_or_default()))
            })
    };
    let inputs = crate::agent::AgentInputs::from_lookup(&lookup);
    let inputs = inputs.expect("the agent starts from the spec's environment");
    assert_eq!(inputs.client_id, "app-123");
    assert_eq!(inputs.scenario, "compute-01-linux-vm");
    assert_eq!(
        inputs.service_bus.namespace.as_deref(),
        Some("hm.servicebus.windows.net")
    );
}

#[test]
fn missing_settings_are_named() {
    let s = Settings::from_lookup(&|_| None).unwrap();
    let r = record();
    let err = build(&AgentInputs {
        settings: &s,
        run_id: Uuid::nil(),
        scheduled_end_at: "2026-11-26T08:00:00Z".parse().unwrap(),
        record: &r,
        app_id: "a",
        document: "",
    })
    .unwrap_err();
    assert!(err.contains("CONTAINER_APPS_ENVIRONMENT_ID"), "{err}");
}

fn build_with(s: &Settings) -> ContainerApp {
    build(&AgentInputs {
        settings: s,
        run_id: Uuid::nil(),
        scheduled_end_at: "2026-11-26T08:00:00Z".parse().unwrap(),
        record: &record(),
        app_id: "app-123",
        document: "# doc",
    })
    .unwrap()
}

/// The environment as the agent reads it: values as given, secret references as a made-up value.
fn agent_view(app: &ContainerApp) -> impl Fn(&str) -> Option<String> {
    let env = env_of(app);
    move |name: &str| {
        env.iter()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, secret)| {
                v.clone()
                    .unwrap_or_else(|| format!("value-of-{}", secret.clone().unwrap_or_default()))
            })
    }
}

#[test]
fn agents_run_deterministically_unless_the_settings_say_otherwise() {
    let app = build_with(&settings(&[]));
    let env = env_of(&app);
    assert!(
        env.contains(&(
            "HAYMAKER_AGENT_MODE".into(),
            Some("deterministic".into()),
            None
        )),
        "{env:?}"
    );
    for absent in [
        "HAYMAKER_AGENT_MODEL",
        "HAYMAKER_AGENT_MODEL_URL",
        crate::agent::inputs::MODEL_API_KEY,
    ] {
        assert!(
            env.iter().all(|(k, _, _)| k != absent),
            "{absent} is set: {env:?}"
        );
    }
    let inputs = crate::agent::AgentInputs::from_lookup(&agent_view(&app)).unwrap();
    assert_eq!(inputs.mode, crate::agent::Mode::Deterministic);
    assert!(inputs.model.is_none());
}

#[test]
fn assisted_mode_reaches_the_agent_with_the_model_key_as_a_key_vault_reference() {
    let s = settings(&[
        ("HAYMAKER_AGENT_MODE", "assisted"),
        (
            "HAYMAKER_AGENT_SECRET_NAMES",
            "openai-key,anthropic-api-key",
        ),
        ("HAYMAKER_AGENT_MODEL", "claude-test"),
        ("HAYMAKER_AGENT_MODEL_URL", "https://models.example.com/"),
    ]);
    let app = build_with(&s);
    let env = env_of(&app);
    let get = |n: &str| {
        env.iter()
            .find(|(k, _, _)| k == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} is not set: {env:?}"))
    };
    assert_eq!(get("HAYMAKER_AGENT_MODE").1.as_deref(), Some("assisted"));
    assert_eq!(
        get("HAYMAKER_AGENT_MODEL").1.as_deref(),
        Some("claude-test")
    );
    assert_eq!(
        get("HAYMAKER_AGENT_MODEL_URL").1.as_deref(),
        Some("https://models.example.com/")
    );
    let key = get(crate::agent::inputs::MODEL_API_KEY);
    assert_eq!(key.1, None, "the key is never a plain value");
    assert_eq!(key.2.as_deref(), Some("kv-anthropic-api-key"));

    let body = serde_json::to_value(&app).unwrap();
    let secrets = body["properties"]["configuration"]["secrets"]
        .as_array()
        .unwrap();
    let secret = secrets
        .iter()
        .find(|x| x["name"] == "kv-anthropic-api-key")
        .expect("the referenced secret is the app's");
    assert_eq!(
        secret["keyVaultUrl"],
        "https://hm-kv.vault.azure.net/secrets/anthropic-api-key"
    );
    assert_eq!(secret["identity"], "system");
    assert!(secret.get("value").is_none());

    // The agent starts in assisted mode from exactly this environment.
    let inputs = crate::agent::AgentInputs::from_lookup(&agent_view(&app))
        .expect("the agent starts from the spec's environment");
    assert_eq!(inputs.mode, crate::agent::Mode::Assisted);
    let model = inputs.model.expect("model settings in assisted mode");
    assert_eq!(model.model, "claude-test");
    assert_eq!(model.base_url.as_str(), "https://models.example.com/");
    assert_eq!(model.api_key.expose(), "value-of-kv-anthropic-api-key");
}

#[test]
fn the_model_key_secret_is_exposed_under_the_name_the_agent_reads() {
    assert_eq!(
        secret_env_name(crate::config::catalog::AGENT_MODEL_KEY_SECRET),
        crate::agent::inputs::MODEL_API_KEY
    );
}
