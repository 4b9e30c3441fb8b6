//! `ContainerAppsClient` pinned by the spec examples in `shared/vectors/azure/containerapps/`.

use crate::azure_support;

use std::collections::BTreeMap;

use azure_support::{api_version_of, pipeline, script, sent, text, vector};
use haymaker::azure::arm::DeleteOutcome;
use haymaker::azure::container_apps::{
    AppSecret, Configuration, Container, ContainerApp, ContainerAppProvisioningState,
    ContainerAppsClient, EnvVar, IdentityType, ManagedIdentity, Resources, RunningStatus, Scale,
    Template, UserAssignedIdentity, CONTAINER_APPS_API_VERSION,
};
use haymaker::config::Secret;
use serde_json::{json, Value};

const SUB: &str = "34adfa4f-cedf-4dc0-ba29-b6d1a69ab345";
const APPS: &str = "/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourceGroups/rg/providers/Microsoft.App/containerApps";

/// The example's envelope, restricted to what haymaker models.
fn app_from_example(envelope: &Value) -> ContainerApp {
    let props = &envelope["properties"];
    let identity = &envelope["identity"];
    let container = &props["template"]["containers"][0];
    let scale = &props["template"]["scale"];
    let mut app = ContainerApp::new(
        envelope["location"].as_str().unwrap(),
        props["environmentId"].as_str().unwrap(),
    );
    app.identity = Some(ManagedIdentity {
        identity_type: IdentityType::from(identity["type"].as_str().unwrap()),
        principal_id: None,
        tenant_id: None,
        user_assigned_identities: identity["userAssignedIdentities"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| (k.clone(), UserAssignedIdentity::default()))
            .collect(),
    });
    app.properties.workload_profile_name =
        Some(props["workloadProfileName"].as_str().unwrap().into());
    app.properties.template = Some(Template {
        containers: vec![Container {
            name: container["name"].as_str().unwrap().into(),
            image: container["image"].as_str().unwrap().into(),
            command: vec![],
            args: vec![],
            env: vec![],
            resources: None,
        }],
        scale: Some(Scale {
            min_replicas: scale["minReplicas"].as_u64().map(|n| n as u32),
            max_replicas: scale["maxReplicas"].as_u64().map(|n| n as u32),
        }),
    });
    app
}

#[tokio::test(start_paused = true)]
async fn create_sends_the_example_fields() {
    let v = vector("containerapps/ContainerApps_CreateOrUpdate.json");
    assert_eq!(CONTAINER_APPS_API_VERSION, api_version_of(&v));
    let envelope = &v["parameters"]["containerAppEnvelope"];
    let s = script();
    // The example's 201 has no Azure-AsyncOperation header, so there is nothing to poll.
    s.answer(201, &[], &text(&v["responses"]["201"]["body"]));
    let app = ContainerAppsClient::new(pipeline(&s))
        .create_or_update(SUB, "rg", "testcontainerapp0", &app_from_example(envelope))
        .await
        .unwrap();

    let reqs = sent(&s);
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "PUT");
    assert_eq!(r.path, format!("{APPS}/testcontainerapp0"));
    assert_eq!(r.api_version(), api_version_of(&v));
    let body = r.body.as_ref().unwrap();
    assert_eq!(body["location"], envelope["location"]);
    assert_eq!(body["identity"], envelope["identity"]);
    let (bp, ep) = (&body["properties"], &envelope["properties"]);
    assert_eq!(bp["environmentId"], ep["environmentId"]);
    assert_eq!(bp["workloadProfileName"], ep["workloadProfileName"]);
    assert_eq!(
        bp["template"]["containers"][0]["image"],
        ep["template"]["containers"][0]["image"]
    );
    assert_eq!(
        bp["template"]["containers"][0]["name"],
        ep["template"]["containers"][0]["name"]
    );
    assert_eq!(
        bp["template"]["scale"]["minReplicas"],
        ep["template"]["scale"]["minReplicas"]
    );
    assert_eq!(
        bp["template"]["scale"]["maxReplicas"],
        ep["template"]["scale"]["maxReplicas"]
    );
    assert!(
        bp.get("configuration").is_none(),
        "nothing unmodelled or empty is sent"
    );
    assert!(bp.get("provisioningState").is_none());

    let p = &app.properties;
    assert_eq!(
        p.provisioning_state,
        Some(ContainerAppProvisioningState::InProgress)
    );
    assert_eq!(p.running_status, Some(RunningStatus::Running));
    assert_eq!(
        p.managed_environment_id.as_deref(),
        ep["environmentId"].as_str()
    );
    let identity = app.identity.as_ref().unwrap();
    assert_eq!(identity.identity_type, IdentityType::SystemAndUserAssigned);
    assert_eq!(
        identity.principal_id.as_deref(),
        Some("24adfa4f-dedf-8dc0-ca29-b6d1a69ab319")
    );
    let uai = identity.user_assigned_identities.values().next().unwrap();
    assert_eq!(
        uai.client_id.as_deref(),
        Some("14adfa4f-eedf-1dc0-ba29-a6d1a69ab3df")
    );
    let c = &p.template.as_ref().unwrap().containers[0];
    assert_eq!(c.image, "repo/testcontainerapp0:v4");
    assert_eq!(
        c.resources,
        Some(Resources {
            cpu: 0.5,
            memory: "1Gi".into()
        })
    );
}

#[tokio::test(start_paused = true)]
async fn create_with_secrets_env_and_resources_waits_for_the_operation() {
    // Secrets, env and resources are not in the example's request; their shape is the documented
    // one (configuration.secrets[{name, keyVaultUrl, identity} | {name, value}],
    // containers[].env[{name, value} | {name, secretRef}], containers[].resources{cpu, memory}).
    let v = vector("containerapps/ContainerApps_CreateOrUpdate.json");
    let lro = vector("arm/lro-async-operation-status.json");
    let op = vector("containerapps/ContainerApps_Delete.json")["responses"]["202"]["headers"]
        ["azure-asyncoperation"]
        .as_str()
        .unwrap()
        .to_string();
    let uai = "/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myidentity";
    let mut app = app_from_example(&v["parameters"]["containerAppEnvelope"]);
    app.tags = BTreeMap::from([("haymaker-run".to_string(), "r1".to_string())]);
    app.properties.configuration = Some(Configuration {
        secrets: vec![
            AppSecret::key_vault(
                "agent-key",
                "https://kv1.vault.azure.net/secrets/agent-key",
                uai,
            ),
            AppSecret::inline("inline", Secret::new("s3cr3t-value")),
        ],
        registries: vec![],
    });
    let t = app.properties.template.as_mut().unwrap();
    t.containers[0].env = vec![
        EnvVar::value("RUN_ID", "r1"),
        EnvVar::secret("AGENT_KEY", "agent-key"),
    ];
    t.containers[0].resources = Some(Resources {
        cpu: 0.5,
        memory: "1Gi".into(),
    });

    let printed = format!("{app:?}");
    assert!(
        !printed.contains("s3cr3t-value"),
        "Debug must not print secret values"
    );
    assert!(printed.contains("***"));

    let s = script();
    s.answer(
        201,
        &[("azure-asyncoperation", &op)],
        &text(&v["responses"]["201"]["body"]),
    );
    s.answer(200, &[], &text(&lro["in_progress"]));
    s.answer(200, &[], &text(&lro["succeeded"]));
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    let done = ContainerAppsClient::new(pipeline(&s))
        .create_or_update(SUB, "rg", "testcontainerapp0", &app)
        .await
        .unwrap();
    assert_eq!(
        done.properties.provisioning_state,
        Some(ContainerAppProvisioningState::Succeeded)
    );
    assert_eq!(
        done.properties.latest_ready_revision_name.as_deref(),
        Some("testcontainerapp0-pjxhsye")
    );

    let reqs = sent(&s);
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[1].url.as_str(), op);
    assert_eq!(
        (reqs[3].method.as_str(), reqs[3].path.as_str()),
        ("GET", reqs[0].path.as_str())
    );
    let bp = &reqs[0].body.as_ref().unwrap()["properties"];
    assert_eq!(
        bp["configuration"]["secrets"],
        json!([
            {"name": "agent-key", "keyVaultUrl": "https://kv1.vault.azure.net/secrets/agent-key", "identity": uai},
            {"name": "inline", "value": "s3cr3t-value"}
        ])
    );
    let c = &bp["template"]["containers"][0];
    assert_eq!(
        c["env"],
        json!([{"name": "RUN_ID", "value": "r1"}, {"name": "AGENT_KEY", "secretRef": "agent-key"}])
    );
    assert_eq!(c["resources"], json!({"cpu": 0.5, "memory": "1Gi"}));
    assert_eq!(
        reqs[0].body.as_ref().unwrap()["tags"],
        json!({"haymaker-run": "r1"})
    );
}

#[tokio::test(start_paused = true)]
async fn failed_provisioning_is_typed() {
    let v = vector("containerapps/ContainerApps_CreateOrUpdate.json");
    let lro = vector("arm/lro-async-operation-status.json");
    let s = script();
    s.answer(
        201,
        &[(
            "azure-asyncoperation",
            "https://management.azure.com/op?api-version=2026-01-01",
        )],
        &text(&v["responses"]["201"]["body"]),
    );
    s.answer(200, &[], &text(&lro["failed"]));
    let err = ContainerAppsClient::new(pipeline(&s))
        .create_or_update(
            SUB,
            "rg",
            "a",
            &app_from_example(&v["parameters"]["containerAppEnvelope"]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("BadArgument"));
}

#[tokio::test(start_paused = true)]
async fn get_reads_the_example_and_404_is_none() {
    let v = vector("containerapps/ContainerApps_Get.json");
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    s.answer(
        404,
        &[],
        r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
    );
    let client = ContainerAppsClient::new(pipeline(&s));
    let app = client
        .get(SUB, "rg", "testcontainerapp0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.name.as_deref(), Some("testcontainerapp0"));
    assert_eq!(app.location, "East US");
    let p = &app.properties;
    assert_eq!(
        p.provisioning_state,
        Some(ContainerAppProvisioningState::Succeeded)
    );
    assert_eq!(p.running_status, Some(RunningStatus::Running));
    assert_eq!(
        p.latest_revision_name, None,
        "the example has no latestRevisionName"
    );
    assert_eq!(
        p.latest_ready_revision_name.as_deref(),
        Some("testcontainerapp0-pjxhsye")
    );
    assert_eq!(p.workload_profile_name.as_deref(), Some("My-GP-01"));
    let t = p.template.as_ref().unwrap();
    assert_eq!(
        t.scale,
        Some(Scale {
            min_replicas: Some(1),
            max_replicas: Some(5)
        })
    );
    assert!(client.get(SUB, "rg", "gone").await.unwrap().is_none());

    let r = &sent(&s)[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, format!("{APPS}/testcontainerapp0"));
    assert_eq!(r.api_version(), api_version_of(&v));
}

#[tokio::test(start_paused = true)]
async fn delete_follows_the_examples_answers() {
    let v = vector("containerapps/ContainerApps_Delete.json");
    let lro = vector("arm/lro-async-operation-status.json");
    let op = v["responses"]["202"]["headers"]["azure-asyncoperation"]
        .as_str()
        .unwrap();
    let s = script();
    s.answer(202, &[("azure-asyncoperation", op)], "");
    s.answer(200, &[], &text(&lro["succeeded"]));
    s.answer(200, &[], "");
    s.answer(204, &[], "");
    s.answer(
        404,
        &[],
        r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
    );
    let client = ContainerAppsClient::new(pipeline(&s));
    let name = v["parameters"]["containerAppName"].as_str().unwrap();
    assert_eq!(
        client.delete(SUB, "rg", name).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        client.delete(SUB, "rg", name).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        client.delete(SUB, "rg", name).await.unwrap(),
        DeleteOutcome::AlreadyGone
    );
    assert_eq!(
        client.delete(SUB, "rg", name).await.unwrap(),
        DeleteOutcome::AlreadyGone
    );

    let reqs = sent(&s);
    assert_eq!(reqs[0].method, "DELETE");
    assert_eq!(reqs[0].path, format!("{APPS}/{name}"));
    assert_eq!(reqs[0].api_version(), api_version_of(&v));
    assert_eq!(reqs[1].url.as_str(), op);
    assert_eq!(reqs.len(), 5);
}

#[tokio::test(start_paused = true)]
async fn list_by_resource_group_reads_the_example() {
    let v = vector("containerapps/ContainerApps_ListByResourceGroup.json");
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    let apps = ContainerAppsClient::new(pipeline(&s))
        .list_by_resource_group(SUB, "rg")
        .await
        .unwrap();
    assert_eq!(apps.len(), 1, "nextLink null ends the list");
    assert_eq!(apps[0].name.as_deref(), Some("testcontainerapp0"));
    assert_eq!(
        apps[0].properties.running_status,
        Some(RunningStatus::Running)
    );
    let r = &sent(&s)[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", APPS));
    assert_eq!(r.api_version(), api_version_of(&v));
}
