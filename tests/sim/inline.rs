//! The network provider's child collections carried inside their parent (src/sim/inline.rs): a
//! virtual network PUT with subnets inline creates them as children readable by id; a PUT that
//! lists fewer removes the others (refused while one is in use); a PUT without the collection
//! leaves it alone; every answer for the parent shows the collections as they are now.

use crate::sim_support;

use haymaker::azure::{ApiRequest, Pipeline, Service};
use serde_json::{json, Value};
use sim_support::{http_code, with_api, TestSim};

async fn send(pipeline: &Pipeline, req: ApiRequest) -> Result<Value, (u16, String)> {
    pipeline
        .send(&req)
        .await
        .map(|r| r.json::<Value>().unwrap_or(Value::Null))
        .map_err(|e| http_code(&e))
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn subnets_written_inline_are_children_and_the_parent_shows_them() {
    let sim = TestSim::start(sim_support::quick()).await;
    let pipeline = sim.pipeline();
    let sub = sim.sub(0);
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg");
    sim.put(
        &pipeline,
        &format!("{rg}?api-version=2025-04-01"),
        json!({"location": "eastus"}),
    )
    .await;
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/v");
    let subnet = |n: &str| format!("{vnet}/subnets/{n}");
    let put = |subnets: Value| {
        ApiRequest::put(
            Service::Arm,
            sim.url(&with_api(&vnet)),
            json!({"location": "eastus", "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": subnets}}),
        )
    };
    let created = send(
        &pipeline,
        put(json!([
            {"name": "a", "properties": {"addressPrefix": "10.0.1.0/24"}},
            {"name": "b", "properties": {"addressPrefix": "10.0.2.0/24"}},
        ])),
    )
    .await
    .unwrap();
    assert_eq!(names(&created["properties"]["subnets"]), ["a", "b"]);
    assert_eq!(created["properties"]["subnets"][0]["id"], subnet("a"));
    assert_eq!(created["properties"]["virtualNetworkPeerings"], json!([]));
    let a = send(
        &pipeline,
        ApiRequest::get(Service::Arm, sim.url(&with_api(&subnet("a")))),
    )
    .await
    .unwrap();
    assert_eq!(a["type"], "Microsoft.Network/virtualNetworks/subnets");
    assert_eq!(a["properties"]["addressPrefix"], "10.0.1.0/24");

    // A subnet written by its own PUT shows in the network; a PUT without `subnets` keeps them.
    send(
        &pipeline,
        ApiRequest::put(
            Service::Arm,
            sim.url(&with_api(&subnet("c"))),
            json!({"properties": {"addressPrefix": "10.0.3.0/24"}}),
        ),
    )
    .await
    .unwrap();
    let tagged = send(
        &pipeline,
        ApiRequest::put(
            Service::Arm,
            sim.url(&with_api(&vnet)),
            json!({"location": "eastus", "tags": {"k": "v"}, "properties": {}}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(names(&tagged["properties"]["subnets"]), ["a", "b", "c"]);

    // A NIC in subnet b: a PUT that drops b is refused as a delete of b would be.
    let nic = format!("{rg}/providers/Microsoft.Network/networkInterfaces/n");
    send(
        &pipeline,
        ApiRequest::put(
            Service::Arm,
            sim.url(&with_api(&nic)),
            json!({"location": "eastus", "properties": {"ipConfigurations": [
            {"name": "ip", "properties": {"subnet": {"id": subnet("b")}}}]}}),
        ),
    )
    .await
    .unwrap();
    let refused = send(&pipeline, put(json!([{"name": "a", "properties": {}}]))).await;
    assert_eq!(
        refused.unwrap_err(),
        (400, "InUseSubnetCannotBeDeleted".into())
    );

    // Listing a and b (as `az network vnet update` PUTs back what it read) removes c only.
    let list = send(
        &pipeline,
        ApiRequest::get(
            Service::Arm,
            sim.url(&with_api(&format!(
                "{rg}/providers/Microsoft.Network/virtualNetworks"
            ))),
        ),
    )
    .await
    .unwrap();
    let mut read = list["value"][0].clone();
    let kept: Vec<Value> = read["properties"]["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] != "c")
        .cloned()
        .collect();
    read["properties"]["subnets"] = json!(kept);
    let after = send(
        &pipeline,
        ApiRequest::put(Service::Arm, sim.url(&with_api(&vnet)), read),
    )
    .await
    .unwrap();
    assert_eq!(names(&after["properties"]["subnets"]), ["a", "b"]);
    let gone = send(
        &pipeline,
        ApiRequest::get(Service::Arm, sim.url(&with_api(&subnet("c")))),
    )
    .await;
    assert_eq!(gone.unwrap_err().0, 404);
    sim.stop().await;
}
