//! Whole runs in the sandbox: the real handler, the simulator, the host played in-process, simulated
//! agents. Each test gets its own state directory and simulator; the clock runs fast (a run's eight
//! hours in a few seconds of monitoring).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use haymaker::azure::identity::AzureConnection;
use haymaker::azure::resources::{ArmClient, ResourceGroupSpec};
use haymaker::run::{names, Phase};
use haymaker::sandbox::{Sandbox, SandboxOptions};
use haymaker::scenarios::Size;
use serde_json::json;

/// A sandbox on its own state directory and simulator under `dir`, the clock ×3000.
pub(crate) fn options(dir: &tempfile::TempDir, size: Size, seed: u64) -> SandboxOptions {
    SandboxOptions {
        size,
        seed,
        speed: Some(3000.0),
        duration_hours: 8.0,
        storage_env: HashMap::from([(
            "HAYMAKER_STATE".to_string(),
            format!("file://{}", dir.path().join("state").display()),
        )]),
        sim_dir: dir.path().join("sim"),
        progress: false,
        timeout: Duration::from_secs(400),
        ..SandboxOptions::default()
    }
}

async fn whole_run(size: Size, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let summary = haymaker::sandbox::run(options(&dir, size, seed))
        .await
        .expect("the sandbox runs");
    assert!(summary.passed(), "{}", summary.render());
    assert_eq!(summary.scenarios, size.count());
    assert_eq!(
        summary.principals,
        size.count(),
        "one principal per scenario"
    );
    assert!(summary.agents.created > 0, "{}", summary.render());
    let report = summary.report.as_ref().expect("report.json is written");
    assert_eq!(report["status"], "completed");
    assert_eq!(report["scenarios"].as_array().unwrap().len(), size.count());
    assert!(
        report["cleanup_verification"]["actually_deleted"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_small_run_completes_with_cleanup_verified_and_nothing_left() {
    whole_run(Size::Small, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_medium_run_completes_with_cleanup_verified_and_nothing_left() {
    whole_run(Size::Medium, 2).await;
}

/// Applications per principal display name of the run, as the simulator holds them now.
fn applications_by_name(sandbox: &Sandbox) -> BTreeMap<String, usize> {
    let prefix = names::principal_prefix(sandbox.run_id());
    let world = sandbox.sim().world();
    let mut counts = BTreeMap::new();
    for a in world.applications() {
        if a.display_name.starts_with(&prefix) {
            *counts.entry(a.display_name.clone()).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_killed_between_phases_and_mid_provisioning_resumes_without_duplicates_or_orphans() {
    let dir = tempfile::tempdir().unwrap();
    // A slower clock: the crashes must not push provisioning past the run's end.
    let mut sandbox = Sandbox::start(SandboxOptions {
        speed: Some(800.0),
        ..options(&dir, Size::Small, 3)
    })
    .await
    .unwrap();
    let mut phases = vec![];
    let mut crashes = 0;
    let mut provisioning_steps = 0;
    let mut last = None;
    for _ in 0..4000 {
        let state = sandbox
            .step()
            .await
            .unwrap()
            .expect("the run document exists");
        let dupes: Vec<_> = applications_by_name(&sandbox)
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .collect();
        assert!(dupes.is_empty(), "duplicate principals: {dupes:?}");
        if last != Some(state.phase) {
            phases.push(state.phase);
            if !state.phase.is_terminal() {
                sandbox.crash_and_restart();
                crashes += 1;
            }
        } else if state.phase == Phase::Provisioning {
            provisioning_steps += 1;
            if provisioning_steps == 3 {
                sandbox.crash_and_restart();
                crashes += 1;
            }
        }
        last = Some(state.phase);
        if state.phase.is_terminal() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        phases.starts_with(&[Phase::Validation]) || phases.starts_with(&[Phase::Selection]),
        "{phases:?}"
    );
    for phase in [
        Phase::Provisioning,
        Phase::Monitoring,
        Phase::Cleanup,
        Phase::Reporting,
        Phase::Completed,
    ] {
        assert!(phases.contains(&phase), "never saw {phase:?}: {phases:?}");
    }
    assert!(crashes >= 6, "crashed {crashes} times");
    let state = sandbox.state().await.unwrap().unwrap();
    assert!(
        state
            .scenarios
            .iter()
            .all(|s| s.status == haymaker::run::ScenarioStatus::CleanupComplete),
        "{:?}",
        state
            .scenarios
            .iter()
            .map(|s| (&s.name, s.status, &s.error))
            .collect::<Vec<_>>()
    );
    let summary = sandbox.finish().await.unwrap();
    assert!(summary.passed(), "{}", summary.render());
    assert_eq!(summary.principals, Size::Small.count());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cleanup_never_touches_foreign_or_other_run_resources_with_the_same_names_or_similar_tags()
{
    let dir = tempfile::tempdir().unwrap();
    let mut sandbox = Sandbox::start(options(&dir, Size::Small, 4)).await.unwrap();
    // Run until the scenarios are provisioned and their groups exist.
    let state = loop {
        let state = sandbox.step().await.unwrap().unwrap();
        if state.phase == Phase::Monitoring {
            break state;
        }
        assert!(!state.phase.is_terminal(), "{:?}", state.errors);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let run_id = sandbox.run_id();
    let other_run = uuid::Uuid::new_v4().to_string();
    let arm = ArmClient::new(
        AzureConnection::from_settings(sandbox.settings())
            .unwrap()
            .pipeline(),
    );
    let subs: Vec<String> = sandbox
        .settings()
        .azure
        .target_subscriptions
        .iter()
        .map(|s| s.to_string())
        .collect();
    let first = &state.scenarios[0];
    let elsewhere = subs.iter().find(|s| **s != first.subscription).unwrap();
    let mut seeded = vec![];
    // 1. A group with the same name as a run group, in the other subscription, of another run.
    let twin_tags = BTreeMap::from([
        (names::TAG_MANAGED.to_string(), "true".to_string()),
        (names::TAG_RUN_ID.to_string(), other_run.clone()),
    ]);
    arm.create_or_update_resource_group(
        elsewhere,
        &first.resource_group,
        &ResourceGroupSpec {
            location: "eastus".into(),
            tags: twin_tags.clone(),
        },
    )
    .await
    .unwrap();
    let twin_vnet = format!(
        "/subscriptions/{elsewhere}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/vnet-{}",
        first.resource_group,
        names::suffix(run_id, &first.name)
    );
    arm.create_or_update_by_id(
        &twin_vnet,
        &json!({"location": "eastus", "tags": twin_tags, "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}),
    )
    .await
    .unwrap();
    seeded.push(twin_vnet);
    // 2. A foreign group holding resources with similar tags: this run's id but not managed, and
    //    managed but with a longer run id.
    arm.create_or_update_resource_group(
        &first.subscription,
        "team-networking",
        &ResourceGroupSpec {
            location: "eastus".into(),
            tags: BTreeMap::new(),
        },
    )
    .await
    .unwrap();
    let similar = [
        ("pip-a", json!({"haymaker-run-id": run_id.to_string()})),
        (
            "pip-b",
            json!({"haymaker-run-id": format!("{run_id}-2"), "haymaker-managed": "true"}),
        ),
        (
            "pip-c",
            json!({"haymaker-run-id": run_id.to_string(), "haymaker-managed": "false"}),
        ),
    ];
    for (name, tags) in similar {
        let id = format!(
            "/subscriptions/{}/resourceGroups/team-networking/providers/Microsoft.Network/publicIPAddresses/{name}",
            first.subscription
        );
        arm.create_or_update_by_id(&id, &json!({"location": "eastus", "tags": tags}))
            .await
            .unwrap();
        seeded.push(id);
    }
    sandbox.run_to_end().await.unwrap();
    let world_has = |id: &str| {
        sandbox
            .sim()
            .world()
            .resources
            .contains_key(&id.to_ascii_lowercase())
    };
    for id in &seeded {
        assert!(
            world_has(id),
            "cleanup deleted {id}, which is not the run's"
        );
    }
    let twin_group_left = sandbox.sim().world().groups.contains_key(&(
        elsewhere.to_ascii_lowercase(),
        first.resource_group.to_ascii_lowercase(),
    ));
    assert!(
        twin_group_left,
        "the other run's group of the same name was deleted"
    );
    let summary = sandbox.finish().await.unwrap();
    assert!(summary.passed(), "{}", summary.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resource_created_after_its_subscription_was_cleaned_is_swept_and_the_run_verified() {
    let dir = tempfile::tempdir().unwrap();
    let mut sandbox = Sandbox::start(options(&dir, Size::Small, 5)).await.unwrap();
    // Run until every subscription is cleaned, before the identities and the verification.
    let state = loop {
        let state = sandbox.step().await.unwrap().unwrap();
        if state.phase == Phase::Cleanup
            && state
                .subscriptions
                .iter()
                .all(|s| state.cleanup.subscriptions_done.contains(s))
            && !state.cleanup.identities_done
        {
            break state;
        }
        assert!(
            !state.phase.is_terminal() && state.phase != Phase::Reporting,
            "missed the moment: {:?}",
            state.phase
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // An agent still at work creates one more resource, tagged as the run's, in a group of its own.
    let run_id = sandbox.run_id();
    let arm = ArmClient::new(
        AzureConnection::from_settings(sandbox.settings())
            .unwrap()
            .pipeline(),
    );
    let sub = &state.subscriptions[0];
    arm.create_or_update_resource_group(
        sub,
        "late-work",
        &ResourceGroupSpec {
            location: "eastus".into(),
            tags: BTreeMap::new(),
        },
    )
    .await
    .unwrap();
    let late = format!(
        "/subscriptions/{sub}/resourceGroups/late-work/providers/Microsoft.Network/publicIPAddresses/late"
    );
    let tags = names::tags(run_id, &state.scenarios[0].name);
    arm.create_or_update_by_id(&late, &json!({"location": "eastus", "tags": tags}))
        .await
        .unwrap();
    let end = sandbox.run_to_end().await.unwrap().unwrap();
    assert!(
        !sandbox
            .sim()
            .world()
            .resources
            .contains_key(&late.to_ascii_lowercase()),
        "the late resource was left behind"
    );
    assert!(
        end.errors
            .iter()
            .any(|e| e.error_code == "CLEANUP_SWEPT_AGAIN"),
        "{:?}",
        end.errors
    );
    let summary = sandbox.finish().await.unwrap();
    assert!(summary.passed(), "{}", summary.render());
}
