//! The simulator's Resource Graph through haymaker's own client (src/azure/resource_graph.rs):
//! paging with `$skipToken`, the KQL subset, unparseable queries, the per-principal quota and its
//! headers, and the answers' shape against Microsoft's examples.

use crate::sim_support;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use haymaker::azure::resource_graph::{GraphQuery, ResourceGraphClient};
use haymaker::sim::resources::Address;
use serde_json::{json, Map, Value};
use sim_support::{conforms::assert_conforms, http_code, vector, TestSim};

const RG_API: &str = "2024-04-01";

/// Puts a resource straight into the world (thousands over HTTP would take minutes of ARM's write
/// limits); the queries still go over the wire.
fn seed(sim: &TestSim, sub: &str, group: &str, rest: &[&str], body: Value) -> String {
    let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    let addr = Address::parse(sub, Some(group), &rest).unwrap();
    let mut world = sim.server.sim.world();
    let body = body.as_object().cloned().unwrap_or_default();
    let (_, representation) = world.put_resource(&addr, "2024-05-01", body).unwrap();
    representation["id"].as_str().unwrap().to_string()
}

fn group(sim: &TestSim, sub: &str, name: &str, tags: Value) {
    let tags: Map<String, Value> = tags.as_object().cloned().unwrap_or_default();
    sim.server
        .sim
        .world()
        .put_group(sub, name, "eastus", tags, None)
        .unwrap();
}

#[tokio::test]
async fn a_tag_query_over_2500_resources_pages_with_skip_tokens_and_returns_each_once() {
    let sim = TestSim::start(sim_support::polled()).await;
    let (s0, s1) = (sim.sub(0), sim.sub(1));
    group(&sim, &s0, "rg-a", json!({}));
    group(&sim, &s1, "rg-b", json!({}));
    let mut expected = BTreeSet::new();
    for i in 0..2500 {
        let (sub, rg) = if i % 2 == 0 {
            (&s0, "rg-a")
        } else {
            (&s1, "rg-b")
        };
        let name = format!("disk-{i:04}");
        let id = seed(
            &sim,
            sub,
            rg,
            &["Microsoft.Compute", "disks", &name],
            json!({"location": "eastus", "tags": {"haymaker-run": "r1"}}),
        );
        expected.insert(id);
    }
    for i in 0..300 {
        seed(
            &sim,
            &s0,
            "rg-a",
            &["Microsoft.Compute", "disks", &format!("other-{i}")],
            json!({"location": "eastus", "tags": {"haymaker-run": "r2"}}),
        );
    }
    let pipeline = sim.pipeline();
    let client = ResourceGraphClient::new(pipeline.clone());
    let before = pipeline.stats().requests.load(Ordering::Relaxed);
    let rows = client
        .resources(&GraphQuery::new(
            &[&s0, &s1],
            "Resources | where tags['haymaker-run'] == 'r1' | project id, name, type, resourceGroup, subscriptionId, tags",
        ))
        .await
        .unwrap();
    let pages = pipeline.stats().requests.load(Ordering::Relaxed) - before;
    assert_eq!(pages, 3, "1,000 + 1,000 + 500 rows");
    assert_eq!(rows.len(), 2500);
    let ids: BTreeSet<String> = rows.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 2500, "no row twice");
    assert_eq!(ids, expected);
    let row = &rows[0];
    assert_eq!(
        row.resource_type.as_deref(),
        Some("microsoft.compute/disks")
    );
    assert!(matches!(
        row.resource_group.as_deref(),
        Some("rg-a" | "rg-b")
    ));
    assert_eq!(row.tags["haymaker-run"], "r1");

    // One subscription only.
    let only = client
        .resources(&GraphQuery::new(
            &[&s1],
            "Resources | where tags.['haymaker-run'] =~ 'R1' | project id",
        ))
        .await;
    assert!(only.is_err(), "'.[' is not KQL");
    let only = client
        .resources(&GraphQuery::new(
            &[&s1],
            "Resources | where tags['haymaker-run'] =~ 'R1' | project id",
        ))
        .await
        .unwrap();
    assert_eq!(only.len(), 1250);
    assert!(only.iter().all(|r| r.id.contains(&s1)));

    // Without the id column the service cannot page: the first page says it was truncated.
    let page = client
        .page(&GraphQuery::new(&[&s0], "Resources | project name"), None)
        .await
        .unwrap();
    assert_eq!(page.count, 1000);
    assert_eq!(
        page.total_records, 1551,
        "1,250 + 300 + the seeded environment"
    );
    assert!(page.skip_token.is_none());
    assert!(client
        .query_raw(&GraphQuery::new(&[&s0], "Resources | project name"))
        .await
        .is_err());
    sim.stop().await;
}

#[tokio::test]
async fn filters_projection_order_limit_and_resource_containers() {
    let sim = TestSim::start(sim_support::polled()).await;
    let s0 = sim.sub(0);
    let pipeline = sim.pipeline();
    // Over the wire: groups and resources as haymaker would create them.
    for (rg, run) in [("rg-a", "r1"), ("rg-b", "r2")] {
        sim.put(
            &pipeline,
            &format!("/subscriptions/{s0}/resourcegroups/{rg}?api-version=2025-04-01"),
            json!({"location": "eastus", "tags": {"haymaker-run": run}}),
        )
        .await;
    }
    for (rg, name, location) in [
        ("rg-a", "vnet-b", "eastus"),
        ("rg-a", "vnet-a", "westus"),
        ("rg-a", "vnet-c", "eastus"),
        ("rg-b", "vnet-d", "eastus"),
    ] {
        sim.put(&pipeline, &format!("/subscriptions/{s0}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}?api-version=2024-05-01"),
            json!({"location": location, "tags": {"owner": name}, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}})).await;
    }
    sim.put(&pipeline, &format!("/subscriptions/{s0}/resourceGroups/rg-a/providers/Microsoft.Network/publicIPAddresses/ip?api-version=2024-05-01"),
        json!({"location": "eastus"})).await;
    let client = ResourceGraphClient::new(pipeline);
    let names = |rows: Vec<Map<String, Value>>, column: &str| -> Vec<String> {
        rows.iter()
            .map(|r| r[column].as_str().unwrap_or("?").to_string())
            .collect()
    };
    let q = |text: &str| GraphQuery::new(&[&s0], text);

    let rows = client.query_raw(&q("Resources | where type =~ 'Microsoft.Network/virtualNetworks' and resourceGroup == 'rg-a' | project id, vnet = name, location | order by vnet asc | limit 2")).await.unwrap();
    assert_eq!(names(rows.clone(), "vnet"), ["vnet-a", "vnet-b"]);
    assert_eq!(
        rows[0].keys().cloned().collect::<Vec<_>>(),
        ["id", "vnet", "location"],
        "in the projection's order"
    );
    assert_eq!(rows[0]["location"], "westus");

    let rows = client
        .query_raw(&q(
            "Resources | where type == 'Microsoft.Network/virtualNetworks' | project id",
        ))
        .await
        .unwrap();
    assert!(
        rows.is_empty(),
        "types are lower case and == is case-sensitive"
    );

    let rows = client.query_raw(&q("Resources | where type == 'microsoft.network/virtualnetworks' and (location != 'eastus' or tags['owner'] in ('vnet-d')) | order by name desc | project id, name")).await.unwrap();
    assert_eq!(names(rows, "name"), ["vnet-d", "vnet-a"]);

    let rows = client
        .query_raw(&q(
            "Resources | where name startswith 'vnet' | order by name | take 3 | project id, name",
        ))
        .await
        .unwrap();
    assert_eq!(
        names(rows, "name"),
        ["vnet-d", "vnet-c", "vnet-b"],
        "order by is descending by default"
    );

    let rows = client.query_raw(&q("Resources | where subscriptionId == '' or id contains '/publicIPAddresses/' | project id, name, properties.provisioningState")).await.unwrap();
    assert_eq!(names(rows.clone(), "name"), ["ip"]);
    assert_eq!(rows[0]["properties_provisioningState"], "Succeeded");

    let rows = client.query_raw(&q("ResourceContainers | where type == 'microsoft.resources/subscriptions/resourcegroups' and tags['haymaker-run'] == 'r1' | project id, name, resourceGroup")).await.unwrap();
    assert_eq!(names(rows.clone(), "name"), ["rg-a"]);
    assert_eq!(
        rows[0]["id"],
        format!("/subscriptions/{s0}/resourceGroups/rg-a")
    );
    sim.stop().await;
}

#[tokio::test]
async fn an_unparseable_query_is_a_400_naming_the_fragment() {
    let sim = TestSim::start(sim_support::polled()).await;
    let client = ResourceGraphClient::new(sim.pipeline());
    for (query, fragment) in [
        (
            "Resources | summarize count() by type",
            "summarize count() by type",
        ),
        ("Resources | where tags['a'] has 'b'", "has 'b'"),
        (
            "Resources | where isnotempty(name) | project id",
            "isnotempty(name)",
        ),
    ] {
        let e = client
            .query_raw(&GraphQuery::new(&[], query))
            .await
            .unwrap_err();
        assert_eq!(http_code(&e), (400, "BadRequest".into()), "{query}");
        assert!(e.to_string().contains(fragment), "{query}: {e}");
    }
    sim.stop().await;
}

async fn json_of(resp: reqwest::Response) -> Value {
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

async fn raw_query(sim: &TestSim, token: &str, body: Value) -> reqwest::Response {
    sim.http()
        .post(sim.url(&format!(
            "/providers/Microsoft.ResourceGraph/resources?api-version={RG_API}"
        )))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_quota_is_15_queries_per_window_with_its_headers_then_429() {
    let sim = TestSim::start(sim_support::polled()).await;
    // A long window, so that the test does not depend on how fast it runs.
    sim.server.sim.world().resource_graph_quota.window = Duration::from_secs(3600);
    let token = sim.arm_token().await;
    for i in 0..15 {
        let resp = raw_query(&sim, &token, json!({"query": "Resources | limit 1"})).await;
        assert_eq!(resp.status(), 200);
        let remaining = resp.headers()["x-ms-user-quota-remaining"]
            .to_str()
            .unwrap();
        assert_eq!(remaining, (14 - i).to_string());
        let resets = resp.headers()["x-ms-user-quota-resets-after"]
            .to_str()
            .unwrap();
        assert!(
            resets.starts_with("00:59:") || resets == "01:00:00",
            "{resets}"
        );
    }
    let resp = raw_query(&sim, &token, json!({"query": "Resources | limit 1"})).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["x-ms-user-quota-remaining"], "0");
    assert!(resp.headers().contains_key("x-ms-user-quota-resets-after"));
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 3500 && retry <= 3600, "{retry}");
    let body: Value = json_of(resp).await;
    assert_eq!(body["error"]["code"], "RateLimiting");
    sim.stop().await;
}

#[tokio::test]
async fn our_client_stays_inside_the_quota_by_its_headers() {
    let sim = TestSim::start(sim_support::polled()).await;
    let pipeline = sim.pipeline();
    let client = ResourceGraphClient::new(pipeline.clone());
    for _ in 0..20 {
        client
            .query_raw(&GraphQuery::new(&[], "Resources | project id | limit 1"))
            .await
            .unwrap();
    }
    assert_eq!(
        pipeline.stats().throttled.load(Ordering::Relaxed),
        0,
        "never answered 429"
    );
    sim.stop().await;
}

#[tokio::test]
async fn answers_have_the_shape_of_microsofts_examples() {
    let sim = TestSim::start(sim_support::polled()).await;
    let s0 = sim.sub(1);
    // The examples' rows all carry a tag; the tenant-wide one would also see the seeded environment.
    sim.server
        .sim
        .world()
        .resources
        .retain(|k, _| !k.contains("/resourcegroups/haymaker-infra/"));
    group(&sim, &s0, "RG1", json!({}));
    for (t, n) in [
        ("networkInterfaces", "myNetworkInterface"),
        ("virtualNetworks", "myVnet"),
        ("publicIPAddresses", "myPublicIp"),
    ] {
        seed(
            &sim,
            &s0,
            "RG1",
            &["Microsoft.Network", t, n],
            json!({"location": "westus", "tags": {"tag1": "Value1"}}),
        );
    }
    seed(
        &sim,
        &s0,
        "RG1",
        &["Microsoft.Compute", "virtualMachines", "myVm1"],
        json!({"location": "centralus", "tags": {"tag1": "Value1"}}),
    );
    for n in [
        "testVm",
        "yetanothertest_OsDisk_1",
        "second_test_disk",
        "TestAA",
        "RBTest",
    ] {
        seed(
            &sim,
            &s0,
            "RG1",
            &["Microsoft.Compute", "disks", n],
            json!({"location": "eastus", "tags": {"tag1": "Value1"}}),
        );
    }
    let token = sim.arm_token().await;
    for name in [
        "ResourcesBasicQuery.json",
        "ResourcesFilterQuery.json",
        "ResourcesFirstPageQuery.json",
        "ResourcesTenantBasicQuery.json",
    ] {
        let example = vector(&format!("resourcegraph/{name}"));
        let mut request = example["parameters"]["query"].clone();
        if request.get("subscriptions").is_some() {
            request["subscriptions"] = json!([s0]);
        }
        let resp = raw_query(&sim, &token, request.clone()).await;
        assert_eq!(resp.status(), 200, "{name}");
        let body: Value = json_of(resp).await;
        let expected = &example["responses"]["200"]["body"];
        assert_conforms(expected, &body, name, &[]);
        if name == "ResourcesFirstPageQuery.json" {
            // The next page, as in ResourcesNextPageQuery.json.
            let next = vector("resourcegraph/ResourcesNextPageQuery.json");
            let mut request = next["parameters"]["query"].clone();
            request["subscriptions"] = json!([s0]);
            request["options"] = json!({"$skipToken": body["$skipToken"], "$top": 3});
            let resp = raw_query(&sim, &token, request).await;
            let page: Value = json_of(resp).await;
            let mut expected = next["responses"]["200"]["body"].clone();
            expected.as_object_mut().unwrap().remove("$skipToken");
            assert_conforms(&expected, &page, "next page", &[]);
            assert_eq!(page["count"], 2, "5 names contain 'test': 3, then 2");
            assert_eq!(page["totalRecords"], 5);
        }
    }
    sim.stop().await;
}
