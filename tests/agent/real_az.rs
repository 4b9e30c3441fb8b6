//! One shipped scenario end to end with the real Azure CLI: `haymaker agent` runs
//! `networking-01-hub-spoke-peering` with pip's `azure-cli` (installed by tests/run.sh into
//! target/tools/az-venv) pointed at the in-process simulator as a custom cloud, publishing to the
//! AMQP test broker (127.0.0.34).
//!
//! The scenario principal is made as the orchestrator makes one (haymaker's own Graph, ARM and
//! authorization clients): application, service principal, password, Contributor on the scenario's
//! tagged resource group. Phase 2 runs until every one of its commands has succeeded once, then the
//! agent is stopped with SIGTERM (as Container Apps stops it) so that Phase 3 runs — whatever the
//! machine's speed, every command of the document has met the simulator.
//!
//! `HAYMAKER_SKIP_AZ_CLI=1` skips the test, loudly; without it a missing `az` fails it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use haymaker::agent::steps::plan_scenario;
use haymaker::orchestrator::Cloud;
use haymaker::run::names;
use haymaker::scenarios::Library;
use haymaker::sim::{SimConfig, SimOptions, SimServer};
use serde_json::Value;

use crate::amqp_broker::Broker;

#[path = "real_az_setup.rs"]
mod setup;
use crate::harness::{
    event_types, events, finish_within, of_type, wait_for_cleanup_complete, TOPIC,
};
use setup::{az, installed_az, provision};

const SCENARIO: &str = "networking-01-hub-spoke-peering";

fn ids_of(events: &[(String, Value)], t: &str) -> BTreeSet<String> {
    of_type(events, t)
        .iter()
        .map(|e| e["resource_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_networking_scenario_runs_end_to_end_with_the_real_azure_cli_against_the_simulator() {
    let Some(az_bin) = installed_az() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = SimServer::start(SimOptions {
        port: 0,
        data_dir: Some(dir.path().join("sim")),
        config: SimConfig::default(),
    })
    .await
    .expect("the simulator starts");
    let vars = server.env_vars();
    let settings = haymaker::config::Settings::from_lookup(&|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let cloud = Cloud::from_settings(&settings).unwrap();
    let sub = server.identity().subscriptions[0].id.clone();
    let tenant = server.identity().tenant_id.clone();
    let run_id = uuid::Uuid::new_v4();
    let rg = names::resource_group(run_id, SCENARIO);
    let suffix = names::suffix(run_id, SCENARIO);
    let (client_id, secret) = provision(&cloud, &sub, &rg, run_id).await;

    // The simulator as a custom cloud in a config dir of the test's own.
    let env = vec![
        (
            "AZURE_CONFIG_DIR",
            dir.path().join("az").display().to_string(),
        ),
        ("AZURE_CORE_COLLECT_TELEMETRY", "false".to_string()),
        ("AZURE_CORE_INSTANCE_DISCOVERY", "false".to_string()),
        ("REQUESTS_CA_BUNDLE", server.ca_file.display().to_string()),
        ("HOME", dir.path().display().to_string()),
    ];
    let endpoint = format!("{}/", server.base_url());
    az(
        &az_bin,
        &env,
        &[
            "cloud",
            "register",
            "--name",
            "HaymakerSim",
            "--endpoint-resource-manager",
            &endpoint,
        ],
    )
    .await;
    az(&az_bin, &env, &["cloud", "set", "--name", "HaymakerSim"]).await;

    // Which commands each phase has (the agent's own plan of the document).
    let library = Library::embedded();
    let scenario = library.get(SCENARIO).expect("shipped scenario");
    let run = run_id.to_string();
    let lookup = |name: &str| match name {
        "HAYMAKER_RUN_ID" => Some(run.clone()),
        "HAYMAKER_RESOURCE_GROUP" => Some(rg.clone()),
        "HAYMAKER_LOCATION" => Some("eastus".to_string()),
        "HAYMAKER_SUFFIX" => Some(suffix.clone()),
        _ => None,
    };
    let plan = plan_scenario(scenario, &lookup).expect("plan");
    let lines = |steps: &[haymaker::agent::steps::AgentStep]| -> BTreeSet<u64> {
        steps
            .iter()
            .flat_map(|s| &s.commands)
            .map(|c| c.line as u64)
            .collect()
    };
    let (phase1, phase2, phase3) = (
        lines(&plan.deployment),
        lines(&plan.operations),
        lines(&plan.cleanup),
    );

    let broker = Broker::start(34, TOPIC, &["orchestrator"]).await;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_haymaker"));
    cmd.arg("agent")
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("HAYMAKER_AGENT_AZ", &az_bin)
        .env("HAYMAKER_RUN_ID", &run)
        .env("HAYMAKER_SCENARIO", SCENARIO)
        .env("HAYMAKER_SCENARIO_DOCUMENT", &scenario.document)
        .env("HAYMAKER_SUBSCRIPTION_ID", &sub)
        .env("HAYMAKER_RESOURCE_GROUP", &rg)
        .env("HAYMAKER_LOCATION", "eastus")
        .env("HAYMAKER_SUFFIX", &suffix)
        // Far enough that Phase 2 is ended by the stop below, not by the clock.
        .env(
            "HAYMAKER_RUN_END",
            (chrono::Utc::now() + chrono::Duration::minutes(20)).to_rfc3339(),
        )
        .env("HAYMAKER_EVENTS_TOPIC", TOPIC)
        .env("AZURE_TENANT_ID", &tenant)
        .env("AZURE_CLIENT_ID", &client_id)
        .env("AZURE_CLIENT_SECRET", &secret)
        .env("ServiceBusConnection", broker.connection_string())
        .env("HAYMAKER_AGENT_TIME_SCALE", "0.0005")
        .env("HAYMAKER_AGENT_SEED", "7")
        .env("HAYMAKER_AGENT_STEP_TIMEOUT_SECS", "120")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("agent starts");

    // Phase 1 done and every Phase 2 command run once (or any failure, to fail fast with it).
    let ran = |q: &crate::amqp_broker::Queue, phase: &str| -> BTreeSet<u64> {
        q.ready
            .iter()
            .filter_map(|m| serde_json::from_slice::<Value>(&m.body_bytes()).ok())
            .filter(|e| e["event_type"] == "operation" && e["details"]["phase"] == phase)
            .filter_map(|e| e["details"]["line"].as_u64())
            .collect()
    };
    broker
        .wait_until(
            "orchestrator",
            "every Phase 2 command",
            Duration::from_secs(600),
            |q| {
                let failed = q.ready.iter().any(|m| {
                    serde_json::from_slice::<Value>(&m.body_bytes()).is_ok_and(|e| {
                        e["event_type"] == "error" || e["event_type"] == "cleanup_complete"
                    })
                });
                failed || ran(q, "operations") == phase2
            },
        )
        .await;

    // What the simulator holds now: every resource of the group, as its provider answers it.
    let group_prefix = format!("/subscriptions/{sub}/resourcegroups/{rg}/").to_ascii_lowercase();
    let held: BTreeMap<String, Value> = {
        let world = server.sim.world();
        world
            .resources
            .iter()
            .filter(|(k, _)| k.starts_with(&group_prefix))
            .map(|(_, r)| (r.id.clone(), world.rendered(r)))
            .collect()
    };

    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let (code, output) = finish_within(child, Duration::from_secs(600)).await;
    wait_for_cleanup_complete(&broker).await;
    let events = events(&broker);
    let types = event_types(&events);
    assert_eq!(code, Some(0), "{output}");
    assert!(!output.contains(&secret), "the secret is never logged");
    assert!(!events.iter().any(|(_, e)| e.to_string().contains(&secret)));

    // No command failed: every one of the document's commands ran and succeeded.
    let errors = of_type(&events, "error");
    assert!(errors.is_empty(), "{errors:#?}\n{output}");
    assert!(of_type(&events, "operation")
        .iter()
        .all(|e| e["details"]["ok"] != false));
    let done = |phase: &str| -> BTreeSet<u64> {
        of_type(&events, "operation")
            .iter()
            .filter(|e| e["details"]["phase"] == phase)
            .filter_map(|e| e["details"]["line"].as_u64())
            .collect()
    };
    assert_eq!(done("deployment"), phase1);
    assert_eq!(done("operations"), phase2);
    assert_eq!(done("cleanup"), phase3);

    // The ids the agent reported created are exactly the simulator's (same spelling); the only
    // others it held are the subnets written inline by `az network vnet create --subnet-name`.
    let base = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network");
    let vnet = |n: &str| format!("{base}/virtualNetworks/vnet-{n}-{suffix}");
    let rt = format!("{base}/routeTables/rt-spokes-{suffix}");
    let expected: BTreeSet<String> = [
        vnet("hub"),
        format!("{}/subnets/snet-nva", vnet("hub")),
        vnet("spoke-loans"),
        vnet("spoke-banking"),
        rt.clone(),
        format!("{rt}/routes/default-via-hub"),
        format!("{rt}/routes/onprem-via-hub"),
        format!("{}/virtualNetworkPeerings/hub-to-loans", vnet("hub")),
        format!(
            "{}/virtualNetworkPeerings/loans-to-hub",
            vnet("spoke-loans")
        ),
        format!("{}/virtualNetworkPeerings/hub-to-banking", vnet("hub")),
        format!(
            "{}/virtualNetworkPeerings/banking-to-hub",
            vnet("spoke-banking")
        ),
    ]
    .into_iter()
    .collect();
    let created = ids_of(&events, "resource_created");
    assert_eq!(created, expected);
    let inline: BTreeSet<String> = [
        format!("{}/subnets/snet-shared", vnet("hub")),
        format!("{}/subnets/snet-app", vnet("spoke-loans")),
        format!("{}/subnets/snet-app", vnet("spoke-banking")),
    ]
    .into_iter()
    .collect();
    let held_ids: BTreeSet<String> = held.keys().cloned().collect();
    assert_eq!(
        held_ids,
        &expected | &inline,
        "what the simulator held after Phase 2"
    );

    // The tagged resources carry the three haymaker tags; Phase 2's update merged one more.
    for id in [
        vnet("hub"),
        vnet("spoke-loans"),
        vnet("spoke-banking"),
        rt.clone(),
    ] {
        let tags = &held[&id]["tags"];
        assert_eq!(tags["haymaker-managed"], "true", "{id}");
        assert_eq!(tags["haymaker-run-id"], run.as_str(), "{id}");
        assert_eq!(tags["haymaker-scenario"], SCENARIO, "{id}");
    }
    assert_eq!(
        held[&vnet("hub")]["tags"]["last-topology-review"],
        run.as_str()
    );
    // The network as the provider shows it: subnets and peerings inline, the spokes' subnets on
    // the route table (`az network vnet subnet update --route-table`).
    let hub = &held[&vnet("hub")]["properties"];
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&hub["subnets"]), ["snet-nva", "snet-shared"]);
    assert_eq!(
        names(&hub["virtualNetworkPeerings"]),
        ["hub-to-banking", "hub-to-loans"]
    );
    for spoke in ["spoke-loans", "spoke-banking"] {
        let subnet = &held[&format!("{}/subnets/snet-app", vnet(spoke))];
        assert_eq!(
            subnet["properties"]["routeTable"]["id"]
                .as_str()
                .map(str::to_ascii_lowercase),
            Some(rt.to_ascii_lowercase())
        );
    }

    // Phase 3 removed everything, and said so: each created id deleted (children with their
    // parent), nothing left behind.
    let left: Vec<String> = server
        .sim
        .world()
        .resources
        .keys()
        .filter(|k| k.starts_with(&group_prefix))
        .cloned()
        .collect();
    assert!(left.is_empty(), "the simulator still holds {left:#?}");
    assert_eq!(ids_of(&events, "resource_deleted"), expected);
    assert!(of_type(&events, "resource_deletion_failed").is_empty());
    let summary = &of_type(&events, "cleanup_complete")[0]["details"];
    assert_eq!(summary["left_behind"], serde_json::json!([]), "{summary}");
    assert_eq!(summary["commands_failed"], 0);
    assert_eq!(
        summary["stopped_early"], true,
        "stopped by the test after Phase 2's round"
    );
    assert_eq!(types.last().map(String::as_str), Some("cleanup_complete"));
    server.stop().await;
}
