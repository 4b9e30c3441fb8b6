//! RBAC in the simulator, driven through haymaker's own clients: the orchestrator (Owner of every
//! subscription) assigns roles to other principals of the tenant, who are refused with ARM's
//! `403 AuthorizationFailed` until the assignment has propagated, and outside its scope after.

use crate::sim_support;

use std::time::Duration;

use haymaker::azure::arm::DeleteOutcome;
use haymaker::azure::authorization::{
    AssignOutcome, AuthorizationClient, NewRoleAssignment, PrincipalRetry,
};
use haymaker::azure::resources::{ArmClient, ResourceGroupSpec};
use haymaker::azure::{ApiRequest, AzureError, Pipeline, Service};
use haymaker::sim::SimConfig;
use serde_json::{json, Value};
use sim_support::{no_retries, quick, TestSim};

fn denied(result: Result<impl std::fmt::Debug, AzureError>, what: &str) -> String {
    let e = result.expect_err(what);
    assert_eq!(
        (e.status(), e.code()),
        (Some(403), Some("AuthorizationFailed")),
        "{what}: {e}"
    );
    match e {
        AzureError::Http { message, .. } => message,
        other => panic!("{other}"),
    }
}

fn spec() -> ResourceGroupSpec {
    ResourceGroupSpec {
        location: "eastus".into(),
        tags: [("team".to_string(), "a".to_string())].into(),
    }
}

async fn put_vnet(sim: &TestSim, pipeline: &Pipeline, group: &str) -> Result<(), AzureError> {
    let url = sim.url(&format!(
        "/subscriptions/{}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/vnet1?api-version=2024-05-01",
        sim.sub(0)
    ));
    pipeline
        .send(&ApiRequest::put(
            Service::Arm,
            url,
            json!({"location": "eastus"}),
        ))
        .await
        .map(|_| ())
}

/// Polls `call` until it succeeds, as a client waiting for RBAC propagation does (bounded).
async fn until_granted<F, Fut>(mut call: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), AzureError>>,
{
    for _ in 0..300 {
        match call().await {
            Ok(()) => return,
            Err(e) if e.status() == Some(403) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the assignment never took effect");
}

#[tokio::test]
async fn a_contributor_on_one_group_works_there_after_propagation_and_nowhere_else() {
    let sim = TestSim::start(SimConfig {
        rbac_propagation: Duration::from_secs(3),
        ..quick()
    })
    .await;
    let sub = sim.sub(0);
    let orchestrator = ArmClient::new(sim.pipeline());
    for group in ["rg1", "rg2"] {
        orchestrator
            .create_or_update_resource_group(&sub, group, &spec())
            .await
            .unwrap();
    }
    let agent = sim.add_principal("agent");
    let as_agent = sim.pipeline_as(Some(&agent), no_retries());

    let message = denied(
        put_vnet(&sim, &as_agent, "rg1").await,
        "before any assignment",
    );
    assert!(
        message.contains(&format!(
            "The client '{}' with object id '{}'",
            agent.client_id, agent.object_id
        )) && message.contains("'Microsoft.Network/virtualNetworks/write'")
            && message
                .ends_with("If access was recently granted, please refresh your credentials."),
        "{message}"
    );

    let auth = AuthorizationClient::new(sim.pipeline());
    let rg1 = format!("/subscriptions/{sub}/resourceGroups/rg1");
    let contributor = auth
        .role_definition_id(&rg1, "Contributor")
        .await
        .unwrap()
        .expect("Contributor is defined");
    assert!(contributor.ends_with("/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"));
    let assignment = NewRoleAssignment::service_principal(&contributor, &agent.object_id);
    let created = auth.assign_role(&rg1, &assignment).await.unwrap();
    let AssignOutcome::Created(created) = created else {
        panic!("{created:?}")
    };
    assert_eq!(created.properties.scope.as_deref(), Some(rg1.as_str()));
    // Propagation takes 3 s; this call follows the assignment at once.
    denied(put_vnet(&sim, &as_agent, "rg1").await, "before propagation");
    // Listed at once, though.
    let listed = auth
        .list_role_assignments_for_principal(&format!("/subscriptions/{sub}"), &agent.object_id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].name, created.name);

    until_granted(|| put_vnet(&sim, &as_agent, "rg1")).await;
    let agent_arm = ArmClient::new(as_agent.clone());
    assert!(agent_arm
        .get_resource_group(&sub, "rg1")
        .await
        .unwrap()
        .is_some());
    denied(put_vnet(&sim, &as_agent, "rg2").await, "another group");
    denied(
        agent_arm.get_resource_group(&sub, "rg2").await,
        "reading another group",
    );
    denied(
        agent_arm
            .create_or_update_resource_group(&sub, "rg3", &spec())
            .await,
        "a new group (subscription scope)",
    );
    let listed = agent_arm
        .list_resource_groups_by_tag(&sub, "team", "a")
        .await
        .unwrap();
    let names: Vec<&str> = listed.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["rg1"], "only the group it may read");
    let agent_auth = AuthorizationClient::new(as_agent.clone());
    let reader = NewRoleAssignment::service_principal(
        "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
        &agent.object_id,
    );
    let message = denied(
        agent_auth.assign_role(&rg1, &reader).await,
        "Contributor assigning roles",
    );
    assert!(
        message.contains("'Microsoft.Authorization/roleAssignments/write'"),
        "{message}"
    );
    // The other subscription is not even visible.
    let other = denied(
        agent_arm.get_resource_group(&sim.sub(1), "rg1").await,
        "the other subscription",
    );
    assert!(other.contains(&sim.sub(1)), "{other}");

    // Deleting the assignment takes the access away.
    assert_eq!(
        auth.delete_role_assignment(&rg1, &created.name)
            .await
            .unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        auth.delete_role_assignment(&rg1, &created.name)
            .await
            .unwrap(),
        DeleteOutcome::AlreadyGone
    );
    denied(
        put_vnet(&sim, &as_agent, "rg1").await,
        "after the assignment was deleted",
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_reader_reads_but_does_not_write_and_assignments_are_checked() {
    let sim = TestSim::start(SimConfig {
        rbac_propagation: Duration::from_millis(200),
        ..quick()
    })
    .await;
    let sub = sim.sub(0);
    let scope = format!("/subscriptions/{sub}");
    ArmClient::new(sim.pipeline())
        .create_or_update_resource_group(&sub, "rg1", &spec())
        .await
        .unwrap();
    put_vnet(&sim, &sim.pipeline(), "rg1").await.unwrap();
    let reader = sim.add_principal("reader");
    let auth = AuthorizationClient::new(sim.pipeline()).with_principal_retry(PrincipalRetry {
        attempts: 1,
        ..PrincipalRetry::default()
    });
    let role = auth
        .role_definition_id(&scope, "reader")
        .await
        .unwrap()
        .unwrap();
    let assignment = NewRoleAssignment::service_principal(&role, &reader.object_id);
    assert!(matches!(
        auth.assign_role(&scope, &assignment).await.unwrap(),
        AssignOutcome::Created(_)
    ));
    // Again: the example's 200, which the client reports as done (it cannot tell 200 from 201).
    let again = auth.assign_role(&scope, &assignment).await.unwrap();
    assert!(matches!(again, AssignOutcome::Created(_)), "{again:?}");
    let other_name = "05c5a614-a7d6-4502-b150-c2fb455033ff";
    assert_eq!(
        auth.assign_role_named(&scope, other_name, &assignment)
            .await
            .unwrap(),
        AssignOutcome::AssignedElsewhere
    );
    let stranger =
        NewRoleAssignment::service_principal(&role, "11111111-2222-3333-4444-555555555555");
    let e = auth.assign_role(&scope, &stranger).await.unwrap_err();
    assert_eq!(
        (e.status(), e.code()),
        (Some(400), Some("PrincipalNotFound")),
        "{e}"
    );

    let as_reader = sim.pipeline_as(Some(&reader), no_retries());
    let arm = ArmClient::new(as_reader.clone());
    until_granted(|| async { arm.get_resource_group(&sub, "rg1").await.map(|_| ()) }).await;
    let vnet =
        format!("{scope}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1");
    let got = arm
        .get_resource_by_id(&vnet)
        .await
        .unwrap()
        .expect("readable");
    assert_eq!(got.name, "vnet1");
    let message = denied(put_vnet(&sim, &as_reader, "rg1").await, "a reader writing");
    assert!(
        message.contains("'Microsoft.Network/virtualNetworks/write'"),
        "{message}"
    );
    denied(
        arm.delete_resource_group(&sub, "rg1", &[]).await,
        "a reader deleting",
    );
    // Subscriptions: the reader sees the one it has a role in.
    let mut url = sim.url("/subscriptions");
    url.set_query(Some("api-version=2022-12-01"));
    let subs: Value = as_reader
        .send(&ApiRequest::get(Service::Arm, url))
        .await
        .unwrap()
        .json()
        .unwrap();
    let ids: Vec<&str> = subs["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [sub.as_str()]);
    sim.stop().await;
}
