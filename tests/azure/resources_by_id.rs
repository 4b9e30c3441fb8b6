//! `ArmClient` providers and generic resources by id (api-version lookup, cache, LRO deletes),
//! pinned by `shared/vectors/azure/resources/GetProvider*.json` and the documented LRO bodies in
//! `arm/lro-async-operation-status.json`.

use crate::azure_support;

use azure_support::{api_version_of, pipeline, script, sent, text, vector};
use haymaker::azure::arm::DeleteOutcome;
use haymaker::azure::resources::{ArmClient, RegistrationState};
use serde_json::{json, Value};

const ZERO_SUB: &str = "00000000-0000-0000-0000-000000000000";

#[tokio::test(start_paused = true)]
async fn provider_and_resource_types_match_the_examples() {
    let provider = vector("resources/GetProvider.json");
    let types = vector("resources/GetProviderResourceTypes.json");
    let s = script();
    s.answer(200, &[], &text(&provider["responses"]["200"]["body"]));
    s.answer(200, &[], &text(&types["responses"]["200"]["body"]));
    let arm = ArmClient::new(pipeline(&s));

    let p = arm
        .get_provider(Some(ZERO_SUB), "Microsoft.TestRP1")
        .await
        .unwrap();
    assert_eq!(p.namespace, "Microsoft.TestRP1");
    assert_eq!(p.registration_state, Some(RegistrationState::Registering));
    assert_eq!(
        p.registration_policy.as_deref(),
        Some("RegistrationRequired")
    );
    assert_eq!(p.resource_types.len(), 2);
    assert_eq!(p.resource_types[0].resource_type, "TestResourceType");
    assert_eq!(
        p.resource_types[0].api_versions,
        ["2018-01-01", "2015-05-01"]
    );
    assert_eq!(p.resource_types[0].locations, ["West US"]);

    let t = arm
        .provider_resource_types(ZERO_SUB, "Microsoft.TestRP")
        .await
        .unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[1].resource_type, "TestResourceTypeSibling");
    assert!(t[1]
        .capabilities
        .as_deref()
        .unwrap()
        .contains("SupportsTags"));

    let reqs = sent(&s);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].path,
        format!("/subscriptions/{ZERO_SUB}/providers/Microsoft.TestRP1")
    );
    assert_eq!(reqs[0].api_version(), api_version_of(&provider));
    assert_eq!(
        reqs[1].path,
        format!("/subscriptions/{ZERO_SUB}/providers/Microsoft.TestRP/resourceTypes")
    );
    assert_eq!(reqs[1].api_version(), api_version_of(&types));
}

#[tokio::test(start_paused = true)]
async fn get_by_id_uses_the_providers_newest_api_version_once() {
    // The provider answer is the Providers_Get example; there is no Resources_GetById example, so
    // the resource body is a minimal documented GenericResource.
    let provider = vector("resources/GetProvider.json")["responses"]["200"]["body"].clone();
    let id = format!(
        "/subscriptions/{ZERO_SUB}/resourceGroups/rg/providers/Microsoft.TestRP1/TestResourceType/r1"
    );
    let resource = json!({"id": id, "name": "r1", "type": "Microsoft.TestRP1/TestResourceType",
        "location": "westus", "tags": null, "properties": {"x": 1}});
    let s = script();
    s.answer(200, &[], &text(&provider));
    s.answer(200, &[], &text(&resource));
    s.answer(
        404,
        &[],
        r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
    );
    let arm = ArmClient::new(pipeline(&s));

    let r = arm.get_resource_by_id(&id).await.unwrap().expect("exists");
    assert_eq!(r.name, "r1");
    assert_eq!(r.properties["x"], 1);
    assert!(r.tags.is_empty(), "null tags read as empty");
    // The type name is matched case-insensitively, and the cache answers.
    let lower = id.replace("TestResourceType", "testresourcetype");
    assert!(arm.get_resource_by_id(&lower).await.unwrap().is_none());

    let reqs = sent(&s);
    assert_eq!(reqs.len(), 3, "one provider lookup for both calls");
    assert_eq!(
        reqs[0].path,
        format!("/subscriptions/{ZERO_SUB}/providers/Microsoft.TestRP1")
    );
    assert_eq!(reqs[1].method, "GET");
    assert_eq!(reqs[1].path, id);
    assert_eq!(reqs[1].api_version(), "2018-01-01");
    assert_eq!(reqs[2].api_version(), "2018-01-01");
}

fn network_provider() -> Value {
    json!({"namespace": "Microsoft.Network", "resourceTypes": [
        {"resourceType": "virtualNetworks", "apiVersions": ["2024-05-01", "2025-01-01-preview", "2023-09-01"]},
        {"resourceType": "virtualNetworks/subnets", "apiVersions": ["2024-07-01", "2024-10-01-preview"]},
        {"resourceType": "networkWatchers/flowLogs", "apiVersions": ["2024-01-01-preview", "2023-06-01-preview"]}
    ]})
}

#[tokio::test(start_paused = true)]
async fn delete_by_id_picks_child_types_and_runs_the_lro() {
    // LRO bodies: arm/lro-async-operation-status.json (derived from the ARM RPC documentation).
    let lro = vector("arm/lro-async-operation-status.json");
    let first = &lro["initial_response_example"]["headers"];
    let s = script();
    s.answer(200, &[], &text(&network_provider()));
    s.answer(
        202,
        &[
            (
                "Azure-AsyncOperation",
                first["Azure-AsyncOperation"].as_str().unwrap(),
            ),
            ("Location", first["Location"].as_str().unwrap()),
            ("Retry-After", first["Retry-After"].as_str().unwrap()),
        ],
        "",
    );
    s.answer(200, &[], &text(&lro["in_progress"]));
    s.answer(200, &[], &text(&lro["succeeded"]));
    s.answer(200, &[], "");
    let subnet = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/default";
    let out = ArmClient::new(pipeline(&s))
        .delete_resource_by_id(subnet)
        .await
        .unwrap();
    assert_eq!(out, DeleteOutcome::Deleted);
    let reqs = sent(&s);
    assert_eq!(reqs[1].method, "DELETE");
    assert_eq!(reqs[1].path, subnet);
    assert_eq!(
        reqs[1].api_version(),
        "2024-07-01",
        "newest stable of the child type"
    );
    assert_eq!(
        reqs[2].url.as_str(),
        first["Azure-AsyncOperation"].as_str().unwrap()
    );
    assert_eq!(reqs[4].url.as_str(), first["Location"].as_str().unwrap());
}

#[tokio::test(start_paused = true)]
async fn delete_by_id_failed_operation_404_and_409() {
    let lro = vector("arm/lro-async-operation-status.json");
    let op = lro["initial_response_example"]["headers"]["Azure-AsyncOperation"]
        .as_str()
        .unwrap();
    let s = script();
    s.answer(200, &[], &text(&network_provider()));
    s.answer(202, &[("azure-asyncoperation", op)], "");
    s.answer(200, &[], &text(&lro["failed"]));
    s.answer(
        404,
        &[],
        r#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
    );
    s.answer(
        409,
        &[],
        r#"{"error":{"code":"InUseSubnetCannotBeDeleted","message":"Subnet default is in use"}}"#,
    );
    let arm = ArmClient::new(pipeline(&s));
    let vnet = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v";
    let flow =
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkWatchers/w/flowLogs/f";
    let subnet = format!("{vnet}/subnets/default");

    let failed = arm.delete_resource_by_id(vnet).await.unwrap_err();
    assert_eq!(failed.code(), Some("BadArgument"));
    assert!(failed.to_string().contains("invalid username"));

    assert_eq!(
        arm.delete_resource_by_id(flow).await.unwrap(),
        DeleteOutcome::AlreadyGone
    );
    let conflict = arm.delete_resource_by_id(&subnet).await.unwrap_err();
    assert!(conflict.is_conflict());
    assert_eq!(conflict.code(), Some("InUseSubnetCannotBeDeleted"));

    let reqs = sent(&s);
    assert_eq!(
        reqs[1].api_version(),
        "2024-05-01",
        "stable beats a newer preview"
    );
    assert_eq!(
        reqs[3].api_version(),
        "2024-01-01-preview",
        "no stable: newest preview"
    );
    assert_eq!(reqs.len(), 5, "the provider was read once for three types");
}

#[tokio::test(start_paused = true)]
async fn a_type_the_provider_does_not_list_is_an_error() {
    let s = script();
    s.answer(200, &[], &text(&network_provider()));
    let err = ArmClient::new(pipeline(&s))
        .get_resource_by_id(
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/unknownThings/x",
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknownThings"), "{err}");
}
