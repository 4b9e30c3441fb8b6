//! The simulator's provider catalogue and built-in roles, through haymaker's own clients: every
//! resource type the embedded scenario library names can be created by id (the api-version picked
//! from the providers endpoint, as against Azure) and read back; a version the provider does not
//! list is refused; the data-plane roles scenarios ask for are found by name and assignable.

use crate::sim_support;

use std::collections::{BTreeMap, BTreeSet};

use haymaker::azure::authorization::{AssignOutcome, AuthorizationClient, NewRoleAssignment};
use haymaker::azure::resources::{ArmClient, ResourceGroupSpec};
use haymaker::azure::{ApiRequest, Service};
use haymaker::sandbox::agents::plan::{plan, PlanInputs};
use haymaker::scenarios::Library;
use serde_json::{json, Value};
use sim_support::{http_code, TestSim};

const GROUP: &str = "catalogue";

/// Every type of the library, once (case-insensitively), in the library's spelling.
fn library_types() -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in Library::embedded().scenarios() {
        for t in &s.metadata.resource_types {
            if seen.insert(t.to_ascii_lowercase()) {
                out.push(t.clone());
            }
        }
    }
    out
}

/// `(id, body)` for a child type whose parent types the library does not list (storage
/// `fileServices/shares`): the intermediate resources are the singleton `default`, as Azure names them.
fn under_implicit_parents(made: &BTreeMap<String, String>, full: &str) -> Vec<(String, Value)> {
    let lower = full.to_ascii_lowercase();
    let mut ancestor = lower.as_str();
    let mut base = None;
    while let Some((parent, _)) = ancestor.rsplit_once('/') {
        if let Some(id) = made.get(parent) {
            base = Some((parent.to_string(), id.clone()));
            break;
        }
        ancestor = parent;
    }
    let (parent_type, mut id) = base.unwrap_or_else(|| panic!("{full}: no ancestor is created"));
    let below: Vec<&str> = full[parent_type.len() + 1..].split('/').collect();
    let mut out = Vec::new();
    for (i, segment) in below.iter().enumerate() {
        let last = i + 1 == below.len();
        id = format!("{id}/{segment}/{}", if last { "leaf" } else { "default" });
        out.push((id.clone(), json!({"properties": {}})));
    }
    out
}

#[tokio::test]
async fn every_library_type_is_created_by_id_and_read_back() {
    let sim = TestSim::start(sim_support::quick()).await;
    let sub = sim.sub(0);
    let arm = ArmClient::new(sim.pipeline());
    arm.create_or_update_resource_group(
        &sub,
        GROUP,
        &ResourceGroupSpec {
            location: "eastus".into(),
            tags: BTreeMap::new(),
        },
    )
    .await
    .unwrap();
    let member = sim.add_principal("catalogue-member");
    let types = library_types();
    assert!(types.len() > 100, "the library names {} types", types.len());

    let tags = BTreeMap::from([("haymaker-managed".to_string(), "true".to_string())]);
    let planned = plan(
        &types,
        &PlanInputs {
            subscription: &sub,
            resource_group: GROUP,
            location: "eastus",
            suffix: "cat",
            tags: &tags,
        },
    );
    let mut made: BTreeMap<String, String> = BTreeMap::new(); // lower-case type → id
    let mut order: Vec<(String, Value)> = Vec::new();
    for p in &planned {
        made.insert(p.resource_type.to_ascii_lowercase(), p.id.clone());
        order.push((p.id.clone(), p.body.clone()));
    }
    // Top-level types the sandbox's generic plan leaves out need bodies of their own: a container
    // app names its environment and containers, a role assignment is a GUID naming a role and a
    // principal; any other is created plainly.
    for (i, t) in types.iter().enumerate() {
        let lower = t.to_ascii_lowercase();
        if made.contains_key(&lower) || lower.matches('/').count() != 1 {
            continue;
        }
        let group = format!("/subscriptions/{sub}/resourceGroups/{GROUP}");
        let (id, body) = match lower.as_str() {
            "microsoft.app/containerapps" => {
                let env = &made["microsoft.app/managedenvironments"];
                (
                    format!("{group}/providers/Microsoft.App/containerApps/appcat{i}"),
                    json!({"location": "eastus", "properties": {"environmentId": env, "template": {"containers": [
                        {"name": "main", "image": "mcr.microsoft.com/k8se/quickstart:latest"}]}}}),
                )
            }
            "microsoft.authorization/roleassignments" => (
                format!(
                    "{group}/providers/Microsoft.Authorization/roleAssignments/{}",
                    uuid::Uuid::new_v4()
                ),
                json!({"properties": {
                    "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"),
                    "principalId": member.object_id,
                    "principalType": "ServicePrincipal",
                }}),
            ),
            _ => (
                format!("{group}/providers/{t}/cat{i}"),
                json!({"location": "eastus", "properties": {}}),
            ),
        };
        made.insert(lower, id.clone());
        order.push((id, body));
    }
    for t in &types {
        if !made.contains_key(&t.to_ascii_lowercase()) {
            let chain = under_implicit_parents(&made, t);
            made.insert(t.to_ascii_lowercase(), chain.last().unwrap().0.clone());
            order.extend(chain);
        }
    }

    for (id, body) in &order {
        let created = arm
            .create_or_update_by_id(id, body)
            .await
            .unwrap_or_else(|e| panic!("PUT {id}: {e}"));
        assert!(
            created["id"].as_str().unwrap().eq_ignore_ascii_case(id),
            "{id}: {created}"
        );
    }
    let mut read_types = BTreeSet::new();
    for (id, _) in &order {
        let read = arm
            .get_resource_by_id(id)
            .await
            .unwrap_or_else(|e| panic!("GET {id}: {e}"))
            .unwrap_or_else(|| panic!("{id} is not there"));
        assert!(read.id.eq_ignore_ascii_case(id), "{id} read as {}", read.id);
        read_types.insert(read.resource_type.to_ascii_lowercase());
    }
    for t in &types {
        assert!(
            read_types.contains(&t.to_ascii_lowercase()),
            "no {t} was read back"
        );
    }
}

#[tokio::test]
async fn api_versions_the_provider_does_not_list_are_refused() {
    let sim = TestSim::start(sim_support::quick()).await;
    let sub = sim.sub(0);
    let arm = ArmClient::new(sim.pipeline());
    let storage = arm
        .get_provider(Some(&sub), "microsoft.storage")
        .await
        .unwrap();
    assert_eq!(storage.namespace, "Microsoft.Storage");
    let accounts = storage
        .resource_types
        .iter()
        .find(|t| t.resource_type == "storageAccounts")
        .expect("storageAccounts is listed before any exists");
    assert!(accounts.api_versions.contains(&"2023-05-01".to_string()));
    assert!(storage
        .resource_types
        .iter()
        .any(|t| t.resource_type == "storageAccounts/blobServices/containers"));
    let types = arm
        .provider_resource_types(&sub, "Microsoft.Network")
        .await
        .unwrap();
    assert!(types
        .iter()
        .any(|t| t.resource_type == "virtualNetworks/subnets"));

    let pipeline = sim.pipeline();
    sim.put(
        &pipeline,
        &format!("/subscriptions/{sub}/resourcegroups/{GROUP}?api-version=2025-04-01"),
        json!({"location": "eastus"}),
    )
    .await;
    let account = format!(
        "/subscriptions/{sub}/resourceGroups/{GROUP}/providers/Microsoft.Storage/storageAccounts/acct"
    );
    let send = |method: &str, path: String| {
        let url = sim.url(&path);
        let request = match method {
            "PUT" => ApiRequest::put(Service::Arm, url, json!({"location": "eastus"})),
            "DELETE" => ApiRequest::delete(Service::Arm, url),
            _ => ApiRequest::get(Service::Arm, url),
        };
        let pipeline = pipeline.clone();
        async move { pipeline.send(&request).await }
    };
    for method in ["PUT", "GET", "DELETE"] {
        let e = send(method, format!("{account}?api-version=2024-05-01"))
            .await
            .unwrap_err();
        assert_eq!(
            http_code(&e),
            (400, "NoRegisteredProviderFound".into()),
            "{method}"
        );
        assert!(e.to_string().contains("2023-05-01"), "{e}");
    }
    let ok = send("PUT", format!("{account}?api-version=2023-05-01"))
        .await
        .unwrap();
    assert_eq!(ok.status, 200, "storage accounts answer 200 on create");
    let e = send(
        "GET",
        format!("/subscriptions/{sub}/resourceGroups/{GROUP}/providers/Microsoft.Storage/widgets/w?api-version=2023-05-01"),
    )
    .await
    .unwrap_err();
    assert_eq!(http_code(&e), (400, "InvalidResourceType".into()));
    let e = send(
        "GET",
        format!("/subscriptions/{sub}/resourceGroups/{GROUP}/providers/Contoso.Nothing/widgets/w?api-version=2023-05-01"),
    )
    .await
    .unwrap_err();
    assert_eq!(http_code(&e), (400, "InvalidResourceNamespace".into()));
    let e = send(
        "GET",
        format!("/subscriptions/{sub}/resourceGroups/{GROUP}/providers/Microsoft.App/containerApps/a?api-version=2019-01-01"),
    )
    .await
    .unwrap_err();
    assert_eq!(http_code(&e), (400, "NoRegisteredProviderFound".into()));
}

/// (name, GUID, a data action it grants; empty: it grants none).
const ROLES: &[(&str, &str, &str)] = &[
    (
        "Storage Blob Data Contributor",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    ),
    (
        "Storage Queue Data Contributor",
        "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/write",
    ),
    (
        "Key Vault Secrets Officer",
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        "Microsoft.KeyVault/vaults/secrets/*",
    ),
    (
        "Key Vault Crypto Officer",
        "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
        "Microsoft.KeyVault/vaults/keys/*",
    ),
    (
        "Azure Batch Data Contributor",
        "6aaa78f1-f7de-44ca-8722-c64a23943cae",
        "Microsoft.Batch/batchAccounts/jobs/*",
    ),
    (
        "Resource Policy Contributor",
        "36243c78-bf99-498c-9df9-86d9f8d28608",
        "",
    ),
    (
        "App Configuration Data Owner",
        "5ae67dd6-50cb-40e7-96ff-dc2bfa4b606b",
        "Microsoft.AppConfiguration/configurationStores/*/write",
    ),
    (
        "Role Based Access Control Administrator",
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "",
    ),
];

#[tokio::test]
async fn data_plane_roles_are_found_by_name_and_assigned_at_a_group() {
    let sim = TestSim::start(sim_support::quick()).await;
    let sub = sim.sub(0);
    let pipeline = sim.pipeline();
    sim.put(
        &pipeline,
        &format!("/subscriptions/{sub}/resourcegroups/{GROUP}?api-version=2025-04-01"),
        json!({"location": "eastus"}),
    )
    .await;
    let auth = AuthorizationClient::new(pipeline);
    let subscription = format!("/subscriptions/{sub}");
    let group = format!("{subscription}/resourceGroups/{GROUP}");
    let agent = sim.add_principal("data-agent");
    for (name, guid, data_action) in ROLES {
        let at_sub = auth
            .find_role_definition(&subscription, name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{name} is not found at the subscription"));
        assert_eq!(at_sub.name, *guid, "{name}");
        assert_eq!(at_sub.properties.role_name, *name);
        let permissions = &at_sub.properties.permissions[0];
        if data_action.is_empty() {
            assert!(permissions.data_actions.is_empty(), "{name}");
        } else {
            assert!(
                permissions.data_actions.iter().any(|a| a == data_action),
                "{name}: {:?}",
                permissions.data_actions
            );
        }
        assert!(
            !permissions.actions.iter().any(|a| a == "*"),
            "{name} grants no blanket management rights"
        );
        let id = auth
            .role_definition_id(&group, name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{name} is not found at the group"));
        assert!(id.ends_with(&format!("/roleDefinitions/{guid}")), "{id}");
        let outcome = auth
            .assign_role(
                &group,
                &NewRoleAssignment::service_principal(&id, &agent.object_id),
            )
            .await
            .unwrap_or_else(|e| panic!("assigning {name}: {e}"));
        let AssignOutcome::Created(created) = outcome else {
            panic!("{name}: {outcome:?}")
        };
        assert!(created.properties.role_definition_id.ends_with(guid));
        assert_eq!(created.properties.scope.as_deref(), Some(group.as_str()));
    }
    let listed = auth
        .list_role_assignments_for_principal(&group, &agent.object_id)
        .await
        .unwrap();
    assert_eq!(listed.len(), ROLES.len(), "{listed:?}");
}
