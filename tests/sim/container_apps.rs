//! Container Apps in the simulator through haymaker's own client (src/azure/container_apps.rs): the
//! seeded environment and the setting that names it, create as an LRO (InProgress, then Succeeded /
//! Running), what Azure refuses (over-sized, unknown profile or environment, a dangling secretRef),
//! stop / start, delete as an LRO, the accessors for in-process callers, and the answers' shape
//! against Microsoft's examples.

use crate::sim_support;

use haymaker::azure::arm::DeleteOutcome;
use haymaker::azure::container_apps::{
    ContainerApp, ContainerAppProvisioningState, ContainerAppsClient, RunningStatus,
};
use haymaker::azure::lro;
use haymaker::azure::{ApiRequest, Service};
use serde_json::{json, Value};
use sim_support::apps::{agent, fast};
use sim_support::{conforms::assert_conforms, http_code, vector, TestSim};

const API: &str = "2026-01-01";

#[tokio::test]
async fn an_agent_app_is_created_runs_stops_and_is_deleted() {
    let sim = TestSim::start(sim_support::polled()).await;
    let env = sim.var("CONTAINER_APPS_ENVIRONMENT_ID");
    let profile = sim.var("HAYMAKER_AGENT_WORKLOAD_PROFILE");
    let pipeline = sim.pipeline();
    let client = ContainerAppsClient::new(pipeline.clone()).with_lro_options(fast());
    let s0 = sim.sub(0);

    // The environment the printed setting names exists, and haymaker's default agent fits it.
    let environment = client
        .get_managed_environment_by_id(&env)
        .await
        .unwrap()
        .expect("seeded");
    let dedicated = environment
        .workload_profile(&profile)
        .expect("the agents' profile");
    dedicated.fits(2.0, "64Gi").unwrap();
    assert!(environment.workload_profile("Consumption").is_some());

    sim.put(
        &pipeline,
        &format!("/subscriptions/{s0}/resourcegroups/agents?api-version=2025-04-01"),
        json!({"location": "eastus"}),
    )
    .await;
    let created = client
        .create_or_update(
            &s0,
            "agents",
            "agent-1",
            &agent(&env, &profile, 2.0, "64Gi"),
        )
        .await
        .unwrap();
    assert_eq!(
        created.properties.provisioning_state,
        Some(ContainerAppProvisioningState::Succeeded)
    );
    assert_eq!(
        created.properties.running_status,
        Some(RunningStatus::Running)
    );
    assert_eq!(
        created.properties.workload_profile_name.as_deref(),
        Some(profile.as_str())
    );
    assert_eq!(
        created.properties.managed_environment_id.as_deref(),
        Some(env.as_str())
    );
    let id = created.id.clone().unwrap();
    let secrets = &created.properties.configuration.as_ref().unwrap().secrets;
    assert!(
        secrets.iter().all(|s| s.value.is_none()),
        "GET never returns secret values"
    );
    assert!(created.identity.as_ref().unwrap().principal_id.is_some());

    // In-process callers see the whole definition, secret values included.
    {
        let world = sim.server.sim.world();
        let apps = world.container_apps();
        assert_eq!(apps.len(), 1);
        let app = &apps[0];
        assert_eq!(
            (
                app.id.as_str(),
                app.resource_group.as_str(),
                app.name.as_str()
            ),
            (id.as_str(), "agents", "agent-1")
        );
        assert_eq!(app.app.tags["haymaker-run"], "r1");
        let config = app.app.properties.configuration.as_ref().unwrap();
        assert_eq!(
            config.secrets[0].value.as_ref().unwrap().expose(),
            "s3cret-value"
        );
        assert_eq!(
            config.secrets[1].key_vault_url.as_deref(),
            Some("https://vault/secrets/sp")
        );
        let container = &app.app.properties.template.as_ref().unwrap().containers[0];
        assert_eq!(container.env[1].secret_ref.as_deref(), Some("api-key"));
        assert!(world.container_app(&id.to_uppercase()).is_some());
    }
    // A finished agent is reflected.
    sim.server
        .sim
        .world()
        .set_container_app_running_status(&id, RunningStatus::Suspended)
        .unwrap();
    let read = client.get(&s0, "agents", "agent-1").await.unwrap().unwrap();
    assert_eq!(
        read.properties.running_status,
        Some(RunningStatus::Suspended)
    );
    assert_eq!(
        client
            .list_by_resource_group(&s0, "agents")
            .await
            .unwrap()
            .len(),
        1
    );

    // stop / start are operations too.
    for (action, status) in [
        ("stop", RunningStatus::Stopped),
        ("start", RunningStatus::Running),
    ] {
        let url = sim.url(&format!("/subscriptions/{s0}/resourceGroups/agents/providers/Microsoft.App/containerApps/agent-1/{action}?api-version={API}"));
        lro::send_and_wait(
            &pipeline,
            &ApiRequest::post(Service::Arm, url, json!({})),
            &fast(),
        )
        .await
        .unwrap();
        let read = client.get(&s0, "agents", "agent-1").await.unwrap().unwrap();
        assert_eq!(read.properties.running_status, Some(status), "{action}");
    }

    assert_eq!(
        client.delete(&s0, "agents", "agent-1").await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert!(
        client
            .get(&s0, "agents", "agent-1")
            .await
            .unwrap()
            .is_none(),
        "404 after the delete"
    );
    assert_eq!(
        client.delete(&s0, "agents", "agent-1").await.unwrap(),
        DeleteOutcome::AlreadyGone
    );
    assert!(sim.server.sim.world().container_apps().is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn the_operation_is_in_progress_until_polled_out() {
    let sim = TestSim::start(sim_support::polled()).await;
    let env = sim.var("CONTAINER_APPS_ENVIRONMENT_ID");
    let s0 = sim.sub(0);
    let pipeline = sim.pipeline();
    let url = sim.url(&format!("/subscriptions/{s0}/resourceGroups/haymaker-infra/providers/Microsoft.App/containerApps/a?api-version={API}"));
    let body = serde_json::to_value(agent(&env, "Consumption", 1.0, "2Gi")).unwrap();
    let first = pipeline
        .send(&ApiRequest::put(Service::Arm, url.clone(), body))
        .await
        .unwrap();
    assert_eq!(first.status, 201);
    let app: Value = first.json().unwrap();
    assert_eq!(app["properties"]["provisioningState"], "InProgress");
    let op = first
        .header("azure-asyncoperation")
        .expect("an async operation")
        .to_string();
    let poll = ApiRequest::get(Service::Arm, url::Url::parse(&op).unwrap());
    let mut seen = vec![];
    loop {
        let status: Value = pipeline.send(&poll).await.unwrap().json().unwrap();
        seen.push(status["status"].as_str().unwrap().to_string());
        if seen.last().unwrap() != "InProgress" {
            break;
        }
        let now: Value = pipeline
            .send(&ApiRequest::get(Service::Arm, url.clone()))
            .await
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(now["properties"]["provisioningState"], "InProgress");
    }
    assert_eq!(
        seen,
        ["InProgress", "InProgress", "Succeeded"],
        "lro_polls = 2"
    );
    let done: Value = pipeline
        .send(&ApiRequest::get(Service::Arm, url))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(done["properties"]["provisioningState"], "Succeeded");
    assert_eq!(done["properties"]["runningStatus"], "Running");
    sim.stop().await;
}

#[tokio::test]
async fn what_azure_refuses_is_refused() {
    let sim = TestSim::start(sim_support::polled()).await;
    let env = sim.var("CONTAINER_APPS_ENVIRONMENT_ID");
    let s0 = sim.sub(0);
    let client = ContainerAppsClient::new(sim.pipeline()).with_lro_options(fast());
    let create = |app: ContainerApp| {
        let client = &client;
        let s0 = s0.clone();
        async move {
            client
                .create_or_update(&s0, "haymaker-infra", "bad", &app)
                .await
                .unwrap_err()
        }
    };
    let e = create(agent(&env, "haymaker-agents", 2.0, "200Gi")).await;
    assert_eq!(
        http_code(&e),
        (400, "ContainerAppInvalidResourceTotal".into())
    );
    assert!(e.to_string().contains("E16"), "{e}");
    let e = create(agent(&env, "Consumption", 2.0, "64Gi")).await;
    assert_eq!(
        http_code(&e),
        (400, "ContainerAppInvalidResourceTotal".into())
    );
    let e = create(agent(&env, "gpu", 1.0, "2Gi")).await;
    assert_eq!(http_code(&e), (400, "WorkloadProfileNotFound".into()));
    assert!(
        e.to_string().contains("haymaker-agents"),
        "names the profiles there are: {e}"
    );
    let missing = env.replace("haymaker-env", "nowhere");
    let e = create(agent(&missing, "Consumption", 1.0, "2Gi")).await;
    assert_eq!(http_code(&e), (404, "ManagedEnvironmentNotFound".into()));
    let mut dangling = agent(&env, "Consumption", 1.0, "2Gi");
    dangling
        .properties
        .configuration
        .as_mut()
        .unwrap()
        .secrets
        .remove(0);
    let e = create(dangling).await;
    assert_eq!(http_code(&e), (400, "ContainerAppSecretRefNotFound".into()));
    assert!(
        client
            .get(&s0, "haymaker-infra", "bad")
            .await
            .unwrap()
            .is_none(),
        "nothing was stored"
    );
    sim.stop().await;
}

#[tokio::test]
async fn answers_have_the_shape_of_microsofts_examples() {
    let sim = TestSim::start(sim_support::polled()).await;
    let env = sim.var("CONTAINER_APPS_ENVIRONMENT_ID");
    let s0 = sim.sub(0);
    let pipeline = sim.pipeline();

    let got: Value = pipeline
        .send(&ApiRequest::get(
            Service::Arm,
            sim.url(&format!("{env}?api-version={API}")),
        ))
        .await
        .unwrap()
        .json()
        .unwrap();
    let example = vector("containerapps/ManagedEnvironments_Get.json");
    assert_conforms(
        &example["responses"]["200"]["body"],
        &got,
        "$",
        &[
            // Settings the seeded environment does not have (no VNet, no custom domain, default ingress).
            "$.properties.vnetConfiguration",
            "$.properties.ingressConfiguration",
            "$.properties.customDomainConfiguration.dnsSuffix",
            "$.properties.customDomainConfiguration.subjectName",
            "$.properties.customDomainConfiguration.expirationDate",
            "$.properties.customDomainConfiguration.thumbprint",
        ],
    );

    // The CreateOrUpdate example's request, with our environment and profile.
    let put_app = |name: &str, mut body: Value| {
        let props = body["properties"].as_object_mut().unwrap();
        for k in [
            "provisioningState",
            "runningStatus",
            "managedEnvironmentId",
            "latestRevisionFqdn",
            "latestReadyRevisionName",
        ] {
            props.remove(k);
        }
        props.insert("environmentId".into(), json!(env));
        props.insert("workloadProfileName".into(), json!("haymaker-agents"));
        for k in ["id", "name", "type"] {
            body.as_object_mut().unwrap().remove(k);
        }
        let url = sim.url(&format!("/subscriptions/{s0}/resourceGroups/haymaker-infra/providers/Microsoft.App/containerApps/{name}?api-version={API}"));
        let pipeline = pipeline.clone();
        async move {
            let request = ApiRequest::put(Service::Arm, url, body);
            let first = pipeline.send(&request).await.unwrap();
            assert_eq!(first.status, 201);
            let accepted: Value = first.json().unwrap();
            let done: Value = lro::wait(&pipeline, &request, first, &fast())
                .await
                .unwrap()
                .json()
                .unwrap();
            (accepted, done)
        }
    };
    let created = vector("containerapps/ContainerApps_CreateOrUpdate.json");
    let (accepted, done) = put_app(
        "testcontainerapp0",
        created["parameters"]["containerAppEnvelope"].clone(),
    )
    .await;
    assert_eq!(accepted["properties"]["provisioningState"], "InProgress");
    assert_conforms(&created["responses"]["201"]["body"], &accepted, "$", &[]);
    assert_conforms(&created["responses"]["200"]["body"], &done, "$", &[]);
    // The Get example's app, PUT back as a client that edits what it read would.
    let get = vector("containerapps/ContainerApps_Get.json");
    let (_, done) = put_app("fromget", get["responses"]["200"]["body"].clone()).await;
    assert_conforms(&get["responses"]["200"]["body"], &done, "$", &[]);
    let url = sim.url(&format!("/subscriptions/{s0}/resourceGroups/haymaker-infra/providers/Microsoft.App/containerApps/testcontainerapp0?api-version={API}"));

    let list_url = sim.url(&format!("/subscriptions/{s0}/resourceGroups/haymaker-infra/providers/Microsoft.App/containerApps?api-version={API}"));
    let list: Value = pipeline
        .send(&ApiRequest::get(Service::Arm, list_url))
        .await
        .unwrap()
        .json()
        .unwrap();
    let example = vector("containerapps/ContainerApps_ListByResourceGroup.json");
    assert_conforms(
        &example["responses"]["200"]["body"],
        &list,
        "$",
        &["$.nextLink"],
    );

    let deleting = pipeline
        .send(&ApiRequest::delete(Service::Arm, url))
        .await
        .unwrap();
    assert_eq!(deleting.status, 202);
    let example = vector("containerapps/ContainerApps_Delete.json");
    for header in example["responses"]["202"]["headers"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(deleting.header(header).is_some(), "{header}");
    }
    sim.stop().await;
}
