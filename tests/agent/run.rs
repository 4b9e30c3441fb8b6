//! The real `haymaker agent` binary against the fake `az` and the AMQP broker: the whole day of a
//! shipped scenario with retries, a deletion that keeps failing, events for every resource, and a
//! graceful stop on SIGTERM.

use std::collections::HashSet;
use std::time::Duration;

use haymaker::events::{parse_event, AgentEvent};

use crate::amqp_broker::Broker;
use crate::harness::*;

const PHASE1: [&str; 8] = [
    "network nsg create",
    "network nsg rule create",
    "network vnet create",
    "network vnet subnet create",
    "network public-ip create",
    "network nic create",
    "vm create",
    "vm run-command invoke",
];
const PHASE2: [&str; 7] = [
    "vm run-command invoke",
    "vm get-instance-view",
    "network public-ip show",
    "monitor metrics list",
    "vm restart",
    "vm update",
    "vm run-command invoke",
];
const PHASE3: [&str; 6] = [
    "vm delete",
    "network nic delete",
    "disk delete",
    "network public-ip delete",
    "network vnet delete",
    "network nsg delete",
];

fn rid(ty: &str, name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/{ty}/{name}")
}

#[tokio::test]
async fn a_scenario_runs_its_three_phases_retries_and_reports_every_resource() {
    let broker = Broker::start(31, TOPIC, &["orchestrator"]).await;
    let fake = FakeAz::new();
    let child = agent_command(
        &fake,
        &broker,
        Duration::from_secs(30),
        &[
            ("FAKE_AZ_FAIL", "vm create=2"),
            ("FAKE_AZ_ALWAYS_FAIL", "network public-ip delete"),
        ],
    )
    .spawn()
    .expect("agent starts");
    let (code, output) = finish(child).await;
    assert_eq!(code, Some(0), "{output}");
    assert!(
        !output.contains(SECRET),
        "the secret is never logged:\n{output}"
    );
    assert!(
        output.contains("-p ***"),
        "the login is logged redacted:\n{output}"
    );

    // The calls az saw: sign-in, Phase 1 in document order (vm create three times), Phase 2
    // rounds, Phase 3 in document order (the failing delete three times).
    let calls = fake.calls();
    let starts = calls.iter().filter(|(k, _)| k == "START").count();
    assert_eq!(starts, calls.len() - starts, "every call ran to its end");
    let started = fake.started();
    let paths: Vec<String> = started.iter().map(|a| path_of(a)).collect();
    assert_eq!(paths[0], "login");
    assert_eq!(
        started[0],
        [
            "login",
            "--service-principal",
            "-u",
            "app-123",
            "-p",
            SECRET,
            "--tenant",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "--output",
            "none"
        ]
    );
    assert_eq!(started[1], ["account", "set", "--subscription", SUB]);
    let mut phase1: Vec<&str> = PHASE1.to_vec();
    phase1.splice(6..7, ["vm create"; 3]);
    assert_eq!(paths[2..2 + phase1.len()], phase1, "{paths:#?}");
    let mut phase3: Vec<&str> = PHASE3.to_vec();
    phase3.splice(3..4, ["network public-ip delete"; 3]);
    let tail = &paths[paths.len() - phase3.len()..];
    assert_eq!(tail, phase3, "{paths:#?}");
    let middle = &paths[2 + phase1.len()..paths.len() - phase3.len()];
    assert!(
        !middle.is_empty(),
        "Phase 2 ran before the end time: {paths:#?}\n{output}"
    );
    assert!(
        middle.iter().all(|p| PHASE2.contains(&p.as_str())),
        "{middle:?}"
    );
    for (i, p) in middle.iter().enumerate() {
        if p == "vm restart" {
            assert_eq!(
                middle.get(i + 1).map(String::as_str),
                Some("vm update"),
                "a step's commands run together"
            );
        }
    }
    let vm_create = started.iter().find(|a| path_of(a) == "vm create").unwrap();
    assert!(vm_create
        .windows(2)
        .any(|w| w[0] == "--name" && w[1] == "vm-web-abc123"));
    assert!(vm_create.contains(&"haymaker-run-id=0d9e2f4a-1111-4222-8333-444455556666".to_string()));

    // The events on the topic.
    wait_for_cleanup_complete(&broker).await;
    let events = events(&broker);
    let types = event_types(&events);
    assert_eq!(types.first().map(String::as_str), Some("agent_started"));
    assert_eq!(types.last().map(String::as_str), Some("cleanup_complete"));
    let ids: HashSet<&String> = events.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), events.len(), "one message id per event");
    for (id, e) in &events {
        assert!(!e.to_string().contains(SECRET), "{id}: {e}");
        let parsed = parse_event(e).unwrap_or_else(|err| panic!("{id}: {err}: {e}"));
        assert!(!matches!(parsed, AgentEvent::Unknown(_)), "{e}");
        assert_eq!(e["scenario_name"], SCENARIO);
        assert_eq!(e["schema_version"], 1);
    }

    let created: Vec<&str> = of_type(&events, "resource_created")
        .iter()
        .map(|e| e["resource_id"].as_str().unwrap())
        .collect();
    let nsg = rid("Microsoft.Network/networkSecurityGroups", "nsg-web-abc123");
    let vnet = rid("Microsoft.Network/virtualNetworks", "vnet-oldmill-abc123");
    let pip = rid("Microsoft.Network/publicIPAddresses", "pip-web-abc123");
    let nic = rid("Microsoft.Network/networkInterfaces", "nic-web-abc123");
    let vm = rid("Microsoft.Compute/virtualMachines", "vm-web-abc123");
    assert_eq!(
        created,
        [
            nsg.clone(),
            format!("{nsg}/securityRules/allow-web"),
            vnet.clone(),
            format!("{vnet}/subnets/snet-web"),
            pip.clone(),
            nic.clone(),
            vm.clone()
        ]
    );
    let vm_event = of_type(&events, "resource_created")[6];
    assert_eq!(
        vm_event["resource_type"],
        "Microsoft.Compute/virtualMachines"
    );
    assert_eq!(vm_event["resource_name"], "vm-web-abc123");
    assert_eq!(vm_event["tags"]["haymaker-managed"], "true");

    let deleted: Vec<&str> = of_type(&events, "resource_deleted")
        .iter()
        .map(|e| e["resource_id"].as_str().unwrap())
        .collect();
    // The subnet and the rule go with their parents, and are reported with them.
    let subnet = format!("{vnet}/subnets/snet-web");
    let rule = format!("{nsg}/securityRules/allow-web");
    assert_eq!(deleted, [vm.as_str(), &nic, &vnet, &subnet, &nsg, &rule]);
    let failed = of_type(&events, "resource_deletion_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["resource_id"], pip);
    assert_eq!(failed[0]["deletion_attempts"], 3);
    assert!(failed[0]["deletion_error"]
        .as_str()
        .unwrap()
        .contains("OperationNotAllowed"));

    let ops = of_type(&events, "operation");
    let vm_op = ops
        .iter()
        .find(|e| e["message"] == "az vm create succeeded")
        .expect("an operation event for vm create");
    assert_eq!(vm_op["details"]["attempts"], 3, "two failures retried");
    assert_eq!(vm_op["details"]["phase"], "deployment");
    assert!(ops.iter().any(|e| e["details"]["phase"] == "operations"));
    let errors = of_type(&events, "error");
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("network public-ip delete failed after 3 attempt(s)")),
        "{errors:?}"
    );
    let done = of_type(&events, "cleanup_complete")[0];
    assert_eq!(done["details"]["created"], 7);
    assert_eq!(done["details"]["deleted"], 6);
    assert_eq!(done["details"]["deletion_failures"], 1);
    assert_eq!(
        done["details"]["left_behind"],
        serde_json::json!([pip]),
        "only the public IP whose delete failed"
    );
    assert_eq!(done["details"]["stopped_early"], false);
}

#[tokio::test]
async fn sigterm_finishes_the_current_step_then_runs_phase_3_and_exits_0() {
    let broker = Broker::start(32, TOPIC, &["orchestrator"]).await;
    let fake = FakeAz::new();
    let child = agent_command(
        &fake,
        &broker,
        Duration::from_secs(600),
        &[("FAKE_AZ_SLOW", "vm get-instance-view=1.5,monitor metrics list=1.5,vm restart=1.5,vm run-command invoke=1.5")],
    )
    .spawn()
    .expect("agent starts");
    let pid = child.id().expect("pid");

    // Wait until a Phase 2 command is running (started, not ended), then stop the agent.
    let first_phase2 = 2 + PHASE1.len();
    let running = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let calls = fake.calls();
            let starts: Vec<&Vec<String>> = calls
                .iter()
                .filter(|(k, _)| k == "START")
                .map(|(_, a)| a)
                .collect();
            if starts.len() > first_phase2 {
                let last = starts.last().unwrap();
                let ended = calls
                    .iter()
                    .filter(|(k, a)| k == "END" && a == *last)
                    .count();
                let begun = starts.iter().filter(|a| **a == *last).count();
                if ended < begun {
                    return (starts.len(), (*last).clone());
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("a Phase 2 command runs");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let (code, output) = finish(child).await;
    assert_eq!(code, Some(0), "{output}");

    let calls = fake.calls();
    let (count_at_stop, interrupted) = running;
    assert!(
        calls.iter().any(|(k, a)| k == "END" && *a == interrupted),
        "the command running at SIGTERM finished: {interrupted:?}"
    );
    let paths: Vec<String> = fake.started().iter().map(|a| path_of(a)).collect();
    let tail = &paths[paths.len() - PHASE3.len()..];
    assert_eq!(tail, PHASE3, "Phase 3 ran after the stop: {paths:#?}");
    let between = &paths[count_at_stop..paths.len() - PHASE3.len()];
    assert!(
        between.len() <= 1,
        "at most the rest of the current step ran: {between:?}"
    );
    assert!(between.iter().all(|p| PHASE2.contains(&p.as_str())));

    wait_for_cleanup_complete(&broker).await;
    let events = events(&broker);
    let done = of_type(&events, "cleanup_complete")[0];
    assert_eq!(done["details"]["stopped_early"], true);
    assert!(done["message"].as_str().unwrap().contains("stopped early"));
    assert_eq!(
        of_type(&events, "resource_deleted").len(),
        7,
        "vm, nic, public ip, vnet (with its subnet), nsg (with its rule)"
    );
}
