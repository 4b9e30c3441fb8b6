//! The end-to-end test's setup: the installed Azure CLI (or a loud skip), running it, and the
//! scenario principal made as the orchestrator makes one.

use std::path::PathBuf;
use std::time::Duration;

use haymaker::azure::authorization::NewRoleAssignment;
use haymaker::azure::graph::{NewApplication, NewPassword, NewServicePrincipal};
use haymaker::azure::resources::ResourceGroupSpec;
use haymaker::orchestrator::Cloud;
use haymaker::run::names;

use super::SCENARIO;

const SKIP_VAR: &str = "HAYMAKER_SKIP_AZ_CLI";

/// The Azure CLI tests/run.sh installs; `None` (said loudly) when skipped on purpose.
pub fn installed_az() -> Option<PathBuf> {
    if std::env::var(SKIP_VAR).as_deref() == Ok("1") {
        eprintln!("SKIPPED: {SKIP_VAR}=1 — the end-to-end run with the real Azure CLI did not run");
        return None;
    }
    let az = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/az-venv/bin/az");
    let config = tempfile::tempdir().unwrap();
    let works = std::process::Command::new(&az)
        .args(["version", "--output", "none"])
        .env("AZURE_CONFIG_DIR", config.path())
        .env("AZURE_CORE_COLLECT_TELEMETRY", "false")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        works,
        "the Azure CLI is not installed at {} (or does not run): run tests/run.sh, which installs it \
         (pip azure-cli into target/tools/az-venv), or set {SKIP_VAR}=1 to skip this test",
        az.display()
    );
    Some(az)
}

/// Runs `az` with the test's config dir and the simulator's CA; panics with its output on failure.
/// Asynchronous: the simulator answers it from this test's own runtime.
pub async fn az(az: &PathBuf, env: &[(&str, String)], args: &[&str]) -> String {
    let out = tokio::process::Command::new(az)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .kill_on_drop(true)
        .output()
        .await
        .expect("az runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "az {args:?}: {}{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The scenario's principal as the orchestrator provisions it: (client id, password).
pub async fn provision(cloud: &Cloud, sub: &str, rg: &str, run_id: uuid::Uuid) -> (String, String) {
    cloud
        .resources
        .create_or_update_resource_group(
            sub,
            rg,
            &ResourceGroupSpec {
                location: "eastus".into(),
                tags: names::tags(run_id, SCENARIO),
            },
        )
        .await
        .expect("resource group");
    let display_name = names::principal_name(run_id, SCENARIO);
    let app = cloud
        .graph
        .create_application(&NewApplication {
            display_name,
            notes: None,
            tags: vec![format!("haymaker-run-id:{run_id}")],
        })
        .await
        .expect("application");
    let sp = cloud
        .graph
        .create_service_principal(&NewServicePrincipal {
            app_id: app.app_id.clone(),
            tags: vec![],
        })
        .await
        .expect("service principal");
    let password = cloud
        .graph
        .add_password(
            &app.id,
            &NewPassword {
                display_name: "haymaker agent".into(),
                end_date_time: None,
            },
        )
        .await
        .expect("password");
    let scope = format!("/subscriptions/{sub}/resourceGroups/{rg}");
    let contributor = cloud
        .authorization
        .role_definition_id(&scope, "Contributor")
        .await
        .expect("role definitions")
        .expect("Contributor exists");
    cloud
        .authorization
        .assign_role(
            &scope,
            &NewRoleAssignment::service_principal(&contributor, &sp.id),
        )
        .await
        .expect("role assignment");
    let secret = password.secret_text.expose().to_string();
    // As the orchestrator does: wait until the assignment has taken effect for the principal.
    let as_agent = cloud
        .as_principal(&app.app_id, password.secret_text.clone())
        .unwrap();
    for _ in 0..200 {
        if matches!(as_agent.get_resource_group(sub, rg).await, Ok(Some(_))) {
            return (app.app_id, secret);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the scenario principal's Contributor role never took effect");
}
