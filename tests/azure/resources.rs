//! `ArmClient` (resource groups, providers, generic resources by id) pinned by the spec examples in
//! `shared/vectors/azure/resources/` and the documented LRO bodies in `arm/`.

use crate::azure_support;

use std::collections::BTreeMap;

use azure_support::{api_version_of, pipeline, script, sent, text, vector};
use haymaker::azure::arm::{DeleteOutcome, ProvisioningState};
use haymaker::azure::resources::{
    ArmClient, ForceDeletionType, ResourceGroupSpec, RESOURCES_API_VERSION,
};
use serde_json::json;

const ZERO_SUB: &str = "00000000-0000-0000-0000-000000000000";

#[tokio::test(start_paused = true)]
async fn create_resource_group_sends_the_example_body() {
    let v = vector("resources/CreateResourceGroup.json");
    let s = script();
    s.answer(201, &[], &text(&v["responses"]["201"]["body"]));
    let arm = ArmClient::new(pipeline(&s));
    let spec = ResourceGroupSpec {
        location: "eastus".into(),
        tags: BTreeMap::new(),
    };
    let p = &v["parameters"];
    let rg = arm
        .create_or_update_resource_group(
            p["subscriptionId"].as_str().unwrap(),
            p["resourceGroupName"].as_str().unwrap(),
            &spec,
        )
        .await
        .unwrap();

    let req = &sent(&s)[0];
    assert_eq!(req.method, "PUT");
    assert_eq!(
        req.path,
        format!("/subscriptions/{ZERO_SUB}/resourcegroups/my-resource-group")
    );
    assert_eq!(req.api_version(), api_version_of(&v));
    assert_eq!(RESOURCES_API_VERSION, api_version_of(&v));
    assert_eq!(req.body.as_ref().unwrap(), &p["parameters"]);

    assert_eq!(rg.name, "my-resource-group");
    assert_eq!(
        rg.id,
        format!("/subscriptions/{ZERO_SUB}/resourceGroups/my-resource-group")
    );
    assert_eq!(rg.location, "eastus");
    assert_eq!(
        rg.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );
    assert!(rg.tags.is_empty());
}

#[tokio::test(start_paused = true)]
async fn create_resource_group_with_tags() {
    // No example has tags; the documented body is {"location", "tags": {k: v}}.
    let v = vector("resources/CreateResourceGroup.json");
    let s = script();
    let mut answer = v["responses"]["200"]["body"].clone();
    answer["tags"] = json!({"haymaker-run": "r1"});
    s.answer(200, &[], &text(&answer));
    let spec = ResourceGroupSpec {
        location: "eastus".into(),
        tags: BTreeMap::from([("haymaker-run".to_string(), "r1".to_string())]),
    };
    let rg = ArmClient::new(pipeline(&s))
        .create_or_update_resource_group(ZERO_SUB, "my-resource-group", &spec)
        .await
        .unwrap();
    assert_eq!(
        sent(&s)[0].body.as_ref().unwrap(),
        &json!({"location": "eastus", "tags": {"haymaker-run": "r1"}})
    );
    assert_eq!(rg.tags["haymaker-run"], "r1");
}

#[tokio::test(start_paused = true)]
async fn get_resource_group_reads_the_example_and_404_is_none() {
    let v = vector("resources/ResourceGroups_Get.json");
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    s.answer(
        404,
        &[],
        r#"{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'gone' could not be found."}}"#,
    );
    let arm = ArmClient::new(pipeline(&s));
    let rg = arm
        .get_resource_group(ZERO_SUB, "my-resource-group")
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(rg.name, "my-resource-group");
    assert_eq!(
        rg.resource_type.as_deref(),
        Some("Microsoft.Resources/resourceGroups")
    );
    assert_eq!(rg.location, "westus2");
    assert_eq!(
        rg.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );
    assert!(arm
        .get_resource_group(ZERO_SUB, "gone")
        .await
        .unwrap()
        .is_none());

    let reqs = sent(&s);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].path,
        format!("/subscriptions/{ZERO_SUB}/resourcegroups/my-resource-group")
    );
    assert_eq!(reqs[0].api_version(), api_version_of(&v));
}

#[tokio::test(start_paused = true)]
async fn delete_resource_group_forces_vms_and_follows_location() {
    let v = vector("resources/ForceDeleteVMsInResourceGroup.json");
    let location = v["responses"]["202"]["headers"]["location"]
        .as_str()
        .unwrap();
    let s = script();
    s.answer(202, &[("location", location), ("retry-after", "10")], "");
    s.answer(202, &[("location", location)], "");
    s.answer(200, &[], "");
    let out = ArmClient::new(pipeline(&s))
        .delete_resource_group(
            ZERO_SUB,
            "my-resource-group",
            &[ForceDeletionType::VirtualMachines],
        )
        .await
        .unwrap();
    assert_eq!(out, DeleteOutcome::Deleted);

    let reqs = sent(&s);
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].method, "DELETE");
    assert_eq!(
        reqs[0].path,
        format!("/subscriptions/{ZERO_SUB}/resourcegroups/my-resource-group")
    );
    assert_eq!(reqs[0].api_version(), api_version_of(&v));
    assert_eq!(
        reqs[0].query("forceDeletionTypes").as_deref(),
        v["parameters"]["forceDeletionTypes"].as_str()
    );
    assert_eq!(reqs[1].method, "GET");
    assert_eq!(reqs[1].url.as_str(), location);
    assert_eq!(
        reqs[1].api_version(),
        "2018-08-01",
        "the Location URL as given"
    );
}

#[tokio::test(start_paused = true)]
async fn delete_resource_group_that_is_gone() {
    let s = script();
    s.answer(
        404,
        &[],
        r#"{"error":{"code":"ResourceGroupNotFound","message":"not found"}}"#,
    );
    let out = ArmClient::new(pipeline(&s))
        .delete_resource_group(ZERO_SUB, "gone", &[])
        .await
        .unwrap();
    assert_eq!(out, DeleteOutcome::AlreadyGone);
    assert_eq!(sent(&s)[0].query("forceDeletionTypes"), None);
}

#[tokio::test(start_paused = true)]
async fn list_resource_groups_by_tag_follows_pages() {
    // No ResourceGroups_List example exists (SOURCES.md); this follows the documented shape
    // {"value": [...], "nextLink"} with items shaped like the ResourceGroups_Get example.
    let item = vector("resources/ResourceGroups_Get.json")["responses"]["200"]["body"].clone();
    let mut second = item.clone();
    second["name"] = json!("second");
    let next = format!(
        "https://management.azure.com/subscriptions/{ZERO_SUB}/resourcegroups?api-version=2025-04-01&%24skiptoken=abc"
    );
    let s = script();
    s.answer(200, &[], &text(&json!({"value": [item], "nextLink": next})));
    s.answer(200, &[], &text(&json!({"value": [second]})));
    let groups = ArmClient::new(pipeline(&s))
        .list_resource_groups_by_tag(ZERO_SUB, "haymaker-run", "it's-1")
        .await
        .unwrap();
    let names: Vec<_> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["my-resource-group", "second"]);

    let reqs = sent(&s);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].path,
        format!("/subscriptions/{ZERO_SUB}/resourcegroups")
    );
    assert_eq!(
        reqs[0].query("$filter").unwrap(),
        "tagName eq 'haymaker-run' and tagValue eq 'it''s-1'"
    );
    assert!(
        reqs[0].url.query().unwrap().contains("%20eq%20"),
        "spaces as %20"
    );
    assert_eq!(reqs[0].api_version(), RESOURCES_API_VERSION);
    assert_eq!(reqs[1].url.as_str(), next);
}
