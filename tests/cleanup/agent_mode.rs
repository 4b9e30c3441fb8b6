//! The agent mode end to end through the sandbox: with `HAYMAKER_AGENT_MODE=assisted` (and the model
//! key `anthropic-api-key` listed and stored in the simulated Key Vault) every Container App the run
//! creates, read back through the simulated ARM, runs its agent in assisted mode with the model
//! settings and the key as a Key Vault reference; by default they run deterministically with no key;
//! assisted mode without the key listed does not start a run at all.

use std::collections::HashMap;

use haymaker::azure::arm::ResourceId;
use haymaker::azure::container_apps::{ContainerApp, ContainerAppsClient};
use haymaker::azure::identity::AzureConnection;
use haymaker::config::Secret;
use haymaker::run::Phase;
use haymaker::sandbox::{Sandbox, SandboxError, SandboxOptions};
use haymaker::scenarios::Size;

const MODEL_KEY_ENV: &str = "HAYMAKER_SECRET_ANTHROPIC_API_KEY";
const MODEL_KEY_VALUE: &str = "sk-ant-sandbox-3f9c1e7a";

fn assisted(dir: &tempfile::TempDir, seed: u64) -> SandboxOptions {
    SandboxOptions {
        settings_env: HashMap::from([
            ("HAYMAKER_AGENT_MODE".to_string(), "assisted".to_string()),
            (
                "HAYMAKER_AGENT_SECRET_NAMES".to_string(),
                "anthropic-api-key".to_string(),
            ),
            (
                "HAYMAKER_AGENT_MODEL".to_string(),
                "claude-test".to_string(),
            ),
        ]),
        vault_secrets: vec![("anthropic-api-key".into(), Secret::new(MODEL_KEY_VALUE))],
        ..crate::sandbox::options(dir, Size::Small, seed)
    }
}

/// Steps the run to monitoring, reads every scenario's Container App back through ARM, then lets
/// the run finish and checks it passed. Returns the apps.
async fn apps_of_a_run(options: SandboxOptions) -> Vec<ContainerApp> {
    let mut sandbox = Sandbox::start(options).await.expect("the sandbox starts");
    let state = loop {
        let state = sandbox.step().await.unwrap().unwrap();
        if state.phase == Phase::Monitoring {
            break state;
        }
        assert!(!state.phase.is_terminal(), "{:?}", state.errors);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let client = ContainerAppsClient::new(
        AzureConnection::from_settings(sandbox.settings())
            .unwrap()
            .pipeline(),
    );
    let mut apps = vec![];
    for scenario in &state.scenarios {
        let id = scenario
            .container_app_id
            .as_deref()
            .unwrap_or_else(|| panic!("{} has no container app", scenario.name));
        let id = ResourceId::parse(id).unwrap();
        let app = client
            .get(
                id.subscription.as_deref().unwrap(),
                id.resource_group.as_deref().unwrap(),
                &id.name,
            )
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{} is not in the simulator", id.id));
        apps.push(app);
    }
    assert_eq!(apps.len(), Size::Small.count());
    let end = sandbox.run_to_end().await.unwrap().unwrap();
    assert_eq!(end.phase, Phase::Completed, "{:?}", end.errors);
    let summary = sandbox.finish().await.unwrap();
    assert!(summary.passed(), "{}", summary.render());
    apps
}

/// The agent container's variable `name`: (value, secretRef), `None` when it is not set.
fn var(app: &ContainerApp, name: &str) -> Option<(Option<String>, Option<String>)> {
    app.properties.template.as_ref().unwrap().containers[0]
        .env
        .iter()
        .find(|e| e.name == name)
        .map(|e| (e.value.clone(), e.secret_ref.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn assisted_mode_reaches_every_agent_app_with_the_model_key_by_reference() {
    let dir = tempfile::tempdir().unwrap();
    let apps = apps_of_a_run(assisted(&dir, 21)).await;
    for app in &apps {
        let name = app.name.clone().unwrap_or_default();
        assert_eq!(
            var(app, "HAYMAKER_AGENT_MODE"),
            Some((Some("assisted".into()), None)),
            "{name}"
        );
        assert_eq!(
            var(app, "HAYMAKER_AGENT_MODEL"),
            Some((Some("claude-test".into()), None)),
            "{name}"
        );
        let (value, secret_ref) =
            var(app, MODEL_KEY_ENV).unwrap_or_else(|| panic!("{name} lacks {MODEL_KEY_ENV}"));
        assert_eq!(value, None, "{name}: the key is never a plain value");
        let secret_ref = secret_ref.expect("a secretRef");
        let secrets = &app.properties.configuration.as_ref().unwrap().secrets;
        let secret = secrets
            .iter()
            .find(|s| s.name == secret_ref)
            .unwrap_or_else(|| panic!("{name}: no app secret {secret_ref}"));
        let url = secret
            .key_vault_url
            .as_deref()
            .expect("a Key Vault reference");
        assert!(url.ends_with("/secrets/anthropic-api-key"), "{url}");
        assert!(secret.value.is_none(), "{name}: an inline secret");
        let body = serde_json::to_string(app).unwrap();
        assert!(!body.contains(MODEL_KEY_VALUE), "{name} holds the key");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn by_default_agent_apps_run_deterministically_without_a_model_key() {
    let dir = tempfile::tempdir().unwrap();
    let apps = apps_of_a_run(crate::sandbox::options(&dir, Size::Small, 22)).await;
    for app in &apps {
        let name = app.name.clone().unwrap_or_default();
        assert_eq!(
            var(app, "HAYMAKER_AGENT_MODE"),
            Some((Some("deterministic".into()), None)),
            "{name}"
        );
        assert_eq!(var(app, MODEL_KEY_ENV), None, "{name}");
        assert_eq!(var(app, "HAYMAKER_AGENT_MODEL"), None, "{name}");
    }
}

#[tokio::test]
async fn assisted_mode_without_the_model_key_listed_does_not_start_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = assisted(&dir, 23);
    options.settings_env.insert(
        "HAYMAKER_AGENT_SECRET_NAMES".to_string(),
        "openai-key".to_string(),
    );
    let err = match Sandbox::start(options).await {
        Ok(_) => panic!("a run started in assisted mode without the model key"),
        Err(e) => e,
    };
    assert!(matches!(err, SandboxError::Settings(_)), "{err}");
    let text = err.to_string();
    for needle in [
        "HAYMAKER_AGENT_MODE",
        "HAYMAKER_AGENT_SECRET_NAMES",
        "anthropic-api-key",
    ] {
        assert!(text.contains(needle), "{needle} missing from: {text}");
    }
}
