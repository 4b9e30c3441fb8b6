//! The Bicep under `infra/` against the code: the Function App's app settings are exactly the
//! settings haymaker reads (`config::catalog::SETTINGS`), the storage containers and queues, the
//! Service Bus topic and subscriptions and the workload profile are the ones the code uses, and the
//! target-subscription delegation covers every role the scenario library asks for.
//!
//! The Bicep is read through pycep-parser's JSON (`tests/infra/pycep_dump.py`), with the Python
//! that `tests/run.sh` installs it into (`target/tools/infra-venv`), or `HAYMAKER_INFRA_PYTHON`.

use std::collections::BTreeSet;
use std::path::Path;

use haymaker::azure::container_apps::WorkloadProfileType;
use haymaker::config::catalog::{self, SETTINGS};
use haymaker::scenarios::Library;
use haymaker::store::Container;
use serde_json::Value;

use crate::infra_support;

use infra_support::*;

#[test]
fn app_settings_are_exactly_the_settings_the_code_reads() {
    let app = file("modules/functionapp.bicep");
    let set = object_keys(var(app, "haymakerSettings"));
    let not_set = strings(var(app, "haymakerSettingsNotSet"));
    let catalogue: BTreeSet<&str> = SETTINGS.iter().map(|s| s.name).collect();

    let both: Vec<&String> = set.iter().filter(|s| not_set.contains(s)).collect();
    assert!(both.is_empty(), "both set and listed as not set: {both:?}");
    let mut named: Vec<&str> = set.iter().chain(&not_set).map(String::as_str).collect();
    let count = named.len();
    named.sort_unstable();
    named.dedup();
    assert_eq!(count, named.len(), "a setting is named twice: {named:?}");
    let named: BTreeSet<&str> = named.into_iter().collect();

    let unknown: Vec<_> = named.difference(&catalogue).collect();
    assert!(
        unknown.is_empty(),
        "infra/modules/functionapp.bicep names settings haymaker does not read: {unknown:?}"
    );
    let missing: Vec<_> = catalogue.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "settings haymaker reads are neither set in haymakerSettings nor listed in \
         haymakerSettingsNotSet: {missing:?}"
    );

    let host = object_keys(var(app, "hostSettings"));
    for name in &host {
        assert!(
            HOST_SETTINGS.contains(&name.as_str()),
            "hostSettings has {name}, which is neither a known platform setting nor in the catalogue"
        );
    }
}

#[test]
fn the_function_app_is_a_linux_custom_handler_with_identity_based_storage() {
    let app = file("modules/functionapp.bicep");
    let settings = var(app, "haymakerSettings");
    assert_eq!(settings[catalog::FUNCTIONS_WORKER_RUNTIME], "Custom");
    assert_eq!(settings[catalog::HAYMAKER_LOG_FORMAT], "json");
    assert!(settings
        .get(catalog::AZURE_WEBJOBS_STORAGE_ACCOUNT)
        .is_some());
    let not_set = strings(var(app, "haymakerSettingsNotSet"));
    for secret in SETTINGS.iter().filter(|s| s.secret) {
        assert!(
            not_set.iter().any(|n| n == secret.name),
            "secret setting {} must not be an app setting (use identity-based settings)",
            secret.name
        );
    }

    let site = &resource(app, "site")["config"];
    assert_eq!(site["kind"], "functionapp,linux");
    assert_eq!(site["identity"]["type"], "SystemAssigned");
    assert_eq!(site["properties"]["httpsOnly"], true);
    assert!(site["properties"]["virtualNetworkSubnetId"].is_string());
    let config = &site["properties"]["siteConfig"];
    assert_eq!(config["minTlsVersion"], "1.2");
    assert_eq!(config["vnetRouteAllEnabled"], true);
    assert_eq!(config["ftpsState"], "Disabled");
    let plan = &resource(app, "plan")["config"];
    assert_eq!(plan["properties"]["reserved"], true, "a Linux plan");
}

/// Where a setting's value in the Function App comes from: haymakerSettings names a parameter of
/// functionapp.bicep, which main.bicep fills from one of its own parameters. Returns that one's
/// default.
pub(crate) fn main_default_behind(setting: &str) -> String {
    let app = file("modules/functionapp.bicep");
    let inner = var(app, "haymakerSettings")[setting]
        .as_str()
        .unwrap_or_else(|| panic!("{setting} is not set from a parameter"));
    assert!(
        app.pointer(&format!("/parameters/{inner}")).is_some(),
        "{setting} is set from `{inner}`, which is not a parameter of functionapp.bicep"
    );
    let main = file("main.bicep");
    let outer = main
        .pointer(&format!("/modules/functionApp/config/params/{inner}"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("main.bicep does not pass {inner} to functionapp.bicep"));
    param_default(main, outer)
        .as_str()
        .unwrap_or_else(|| panic!("main.bicep's {outer} has no string default"))
        .to_string()
}

#[test]
fn settings_with_a_code_default_keep_it_in_bicep() {
    for name in [
        catalog::SIMULATION_SIZE,
        catalog::HAYMAKER_RUN_DURATION_HOURS,
        catalog::HAYMAKER_GRAPH_ENDPOINT,
        catalog::HAYMAKER_AGENT_CPU,
        catalog::HAYMAKER_AGENT_MEMORY_GIB,
        catalog::HAYMAKER_AGENT_WORKLOAD_PROFILE,
        catalog::HAYMAKER_AGENT_MODE,
        catalog::HAYMAKER_EVENTS_TOPIC,
        catalog::HAYMAKER_EVENTS_SUBSCRIPTION,
        catalog::HAYMAKER_EVENTS_TAIL_SUBSCRIPTION,
        catalog::RUST_LOG,
    ] {
        let code = catalog::spec(name).and_then(|s| s.default).unwrap();
        assert_eq!(main_default_behind(name), code, "default of {name}");
    }
}

#[test]
fn blob_containers_and_queues_are_the_codes() {
    let storage = file("modules/storage.bicep");
    let containers = strings(var(storage, "blobContainers"));
    let code: Vec<&str> = Container::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(containers, code);

    let work: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("functions/Work/function.json")).unwrap(),
    )
    .unwrap();
    let trigger = work["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "queueTrigger")
        .expect("Work has a queue trigger");
    let queue = trigger["queueName"].as_str().unwrap();
    assert_eq!(
        strings(var(storage, "queues")),
        [queue.to_string(), format!("{queue}-poison")]
    );
    for (name, array) in [("containers", "blobContainers"), ("workQueues", "queues")] {
        let looped = &resource(storage, name)["config"]["loop_type"]["detail"];
        assert_eq!(
            looped["array_name"], array,
            "{name}: one resource per entry of {array}"
        );
    }
}

#[test]
fn the_service_bus_topic_and_subscriptions_are_the_codes() {
    let bus = file("modules/servicebus.bicep");
    let main = file("main.bicep");
    let passed = main.pointer("/modules/serviceBus/config/params").unwrap();
    for (inner, outer, setting) in [
        (
            "topicName",
            "eventsTopicName",
            catalog::HAYMAKER_EVENTS_TOPIC,
        ),
        (
            "orchestratorSubscriptionName",
            "eventsSubscriptionName",
            catalog::HAYMAKER_EVENTS_SUBSCRIPTION,
        ),
        (
            "tailSubscriptionName",
            "eventsTailSubscriptionName",
            catalog::HAYMAKER_EVENTS_TAIL_SUBSCRIPTION,
        ),
    ] {
        assert_eq!(passed[inner], outer, "main.bicep passes {outer} as {inner}");
        let code = catalog::spec(setting).and_then(|s| s.default).unwrap();
        assert_eq!(param_default(main, outer), code, "default of {setting}");
    }
    assert_eq!(resource(bus, "topic")["config"]["name"], "topicName");
    for (name, param) in [
        ("orchestrator", "orchestratorSubscriptionName"),
        ("tail", "tailSubscriptionName"),
    ] {
        let sub = &resource(bus, name)["config"];
        assert_eq!(sub["name"], param);
        assert_eq!(sub["properties"]["maxDeliveryCount"], "maxDeliveryCount");
        assert_eq!(sub["properties"]["deadLetteringOnMessageExpiration"], true);
    }
    assert_eq!(
        resource(bus, "namespace")["config"]["properties"]["disableLocalAuth"],
        true
    );

    let events: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("functions/AgentEvents/function.json")).unwrap(),
    )
    .unwrap();
    let trigger = &events["bindings"][0];
    assert_eq!(trigger["topicName"], "%HAYMAKER_EVENTS_TOPIC%");
    assert_eq!(
        trigger["subscriptionName"],
        "%HAYMAKER_EVENTS_SUBSCRIPTION%"
    );
}

fn fits_default_agent(profile: &str) -> Result<(), String> {
    let cpu: f64 = catalog::spec(catalog::HAYMAKER_AGENT_CPU)
        .and_then(|s| s.default)
        .unwrap()
        .parse()
        .unwrap();
    let memory: f64 = catalog::spec(catalog::HAYMAKER_AGENT_MEMORY_GIB)
        .and_then(|s| s.default)
        .unwrap()
        .parse()
        .unwrap();
    let cap = WorkloadProfileType::from(profile)
        .capacity()
        .ok_or_else(|| format!("{profile}: size unknown to src/azure/container_apps.rs"))?;
    if cpu > cap.cpu || memory > cap.memory_gib {
        return Err(format!(
            "{profile} ({} vCPU / {} GiB) cannot hold an agent of {cpu} vCPU / {memory} GiB",
            cap.cpu, cap.memory_gib
        ));
    }
    Ok(())
}

#[test]
fn every_allowed_workload_profile_holds_a_default_agent() {
    let main = file("main.bicep");
    let profile = param_default(main, "agentWorkloadProfileType")
        .as_str()
        .unwrap();
    fits_default_agent(profile).unwrap();
    let allowed = main["parameters"]["agentWorkloadProfileType"]["decorators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "allowed")
        .expect("@allowed on agentWorkloadProfileType");
    for value in strings(&allowed["argument"]) {
        fits_default_agent(&value).unwrap();
    }
    for env in ["dev", "prod"] {
        let params = parameters_file(env);
        let chosen = params["parameters"]["agentWorkloadProfileType"]["value"]
            .as_str()
            .unwrap();
        fits_default_agent(chosen).unwrap();
    }
    assert!(fits_default_agent("D8").is_err(), "D8 has 32 GiB");

    let apps = file("modules/containerapps.bicep");
    let profiles = &resource(apps, "environment")["config"]["properties"]["workloadProfiles"];
    let dedicated = profiles
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "workloadProfileName")
        .expect("the environment has the agents' profile");
    assert_eq!(dedicated["workloadProfileType"], "workloadProfileType");
}

#[test]
fn parameter_files_set_only_declared_parameters_and_every_required_one() {
    let main = file("main.bicep");
    let declared = main["parameters"].as_object().unwrap();
    for env in ["dev", "prod"] {
        let params = parameters_file(env);
        let given = params["parameters"].as_object().unwrap();
        for name in given.keys() {
            assert!(
                declared.contains_key(name),
                "{env}.json sets {name}, not a parameter of main.bicep"
            );
        }
        for (name, spec) in declared {
            if spec.get("default").is_none() {
                assert!(given.contains_key(name), "{env}.json lacks required {name}");
            }
        }
        assert_eq!(given["environmentName"]["value"], env);
    }
}

#[test]
fn the_target_subscription_delegation_covers_every_role_the_library_needs() {
    let target = file("target-subscription.bicep");
    let roles = var(target, "assignableRoles").as_array().unwrap();
    let names: BTreeSet<&str> = roles.iter().map(|r| r["name"].as_str().unwrap()).collect();
    for role in roles {
        let id = role["id"].as_str().unwrap();
        uuid::Uuid::parse_str(id).unwrap_or_else(|_| panic!("{id} is not a GUID"));
    }
    let library = Library::embedded();
    assert!(!library.scenarios().is_empty());
    for scenario in library.scenarios() {
        for role in &scenario.metadata.required_roles {
            assert!(
                names.contains(role.as_str()),
                "scenario {} needs role `{role}`, which target-subscription.bicep cannot assign",
                scenario.name
            );
        }
    }
}

#[test]
fn key_vault_is_in_rbac_mode_with_soft_delete() {
    let vault = &resource(file("modules/keyvault.bicep"), "vault")["config"]["properties"];
    assert_eq!(vault["enableRbacAuthorization"], true);
    assert_eq!(vault["enableSoftDelete"], true);
    assert_eq!(vault["networkAcls"]["defaultAction"], "Deny");
}

#[test]
fn every_bicep_file_parses() {
    let dir = root().join("infra");
    let mut on_disk = Vec::new();
    collect(&dir, &dir, &mut on_disk);
    on_disk.sort();
    let parsed: Vec<String> = bicep().keys().cloned().collect();
    assert_eq!(parsed, on_disk);
    assert!(on_disk.len() >= 10, "main, target-subscription and modules");
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "bicep") {
            let rel = path.strip_prefix(root).unwrap();
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}
