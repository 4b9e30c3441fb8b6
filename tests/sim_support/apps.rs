//! An agent-shaped container app and quick LRO polling, for the Container Apps tests.

use std::time::Duration;

use haymaker::azure::container_apps::{
    AppSecret, Configuration, Container, ContainerApp, EnvVar, IdentityType, ManagedIdentity,
    Resources, Template,
};
use haymaker::azure::lro::LroOptions;
use haymaker::config::Secret;

/// Polls every 10 ms when the service gives no `Retry-After`.
pub fn fast() -> LroOptions {
    LroOptions {
        default_interval: Duration::from_millis(10),
        ..LroOptions::default()
    }
}

pub fn agent(env: &str, profile: &str, cpu: f64, memory: &str) -> ContainerApp {
    let mut app = ContainerApp::new("eastus", env);
    app.tags.insert("haymaker-run".into(), "r1".into());
    app.identity = Some(ManagedIdentity {
        identity_type: IdentityType::SystemAssigned,
        principal_id: None,
        tenant_id: None,
        user_assigned_identities: Default::default(),
    });
    app.properties.workload_profile_name = Some(profile.into());
    app.properties.configuration = Some(Configuration {
        secrets: vec![
            AppSecret::inline("api-key", Secret::new("s3cret-value")),
            AppSecret::key_vault("sp-secret", "https://vault/secrets/sp", "system"),
        ],
        registries: vec![],
    });
    app.properties.template = Some(Template {
        containers: vec![Container {
            name: "agent".into(),
            image: "haymaker:latest".into(),
            command: vec!["haymaker".into(), "agent".into()],
            args: vec![],
            env: vec![
                EnvVar::value("RUN_ID", "r1"),
                EnvVar::secret("API_KEY", "api-key"),
            ],
            resources: Some(Resources {
                cpu,
                memory: memory.into(),
            }),
        }],
        scale: None,
    });
    app
}
