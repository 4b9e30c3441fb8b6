//! `ResourceGraphClient` pinned by the spec examples in `shared/vectors/azure/resourcegraph/`.

use crate::azure_support;

use azure_support::{api_version_of, pipeline, script, sent, text, vector, Sent};
use haymaker::azure::resource_graph::{
    GraphQuery, ResourceGraphClient, Truncated, RESOURCE_GRAPH_API_VERSION,
};
use serde::Deserialize;
use serde_json::{json, Value};

fn query_of(v: &Value) -> GraphQuery {
    let q = &v["parameters"]["query"];
    GraphQuery {
        subscriptions: q["subscriptions"]
            .as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default(),
        query: q["query"].as_str().unwrap().to_string(),
    }
}

fn assert_request(r: &Sent, v: &Value) {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/providers/Microsoft.ResourceGraph/resources");
    assert_eq!(r.api_version(), api_version_of(v));
    let body = r.body.as_ref().unwrap();
    let q = &v["parameters"]["query"];
    assert_eq!(body["query"], q["query"]);
    assert_eq!(body.get("subscriptions"), q.get("subscriptions"));
    assert_eq!(body["options"]["resultFormat"], "objectArray");
}

#[tokio::test(start_paused = true)]
async fn basic_query_rows_are_typed_and_raw() {
    let v = vector("resourcegraph/ResourcesBasicQuery.json");
    assert_eq!(RESOURCE_GRAPH_API_VERSION, api_version_of(&v));
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    let rows = ResourceGraphClient::new(pipeline(&s))
        .resources(&query_of(&v))
        .await
        .unwrap();

    let r = &sent(&s)[0];
    assert_request(r, &v);
    // The example sends no options; we always page explicitly with the largest $top.
    assert_eq!(r.body.as_ref().unwrap()["options"]["$top"], 1000);
    assert!(r.body.as_ref().unwrap()["options"]
        .get("$skipToken")
        .is_none());

    assert_eq!(rows.len(), 3);
    let nic = &rows[0];
    assert_eq!(nic.name.as_deref(), Some("myNetworkInterface"));
    assert_eq!(
        nic.resource_type.as_deref(),
        Some("microsoft.network/networkinterfaces")
    );
    assert_eq!(nic.location.as_deref(), Some("centralus"));
    assert_eq!(nic.tags["tag1"], "Value1");
    assert_eq!(
        nic.resource_group, None,
        "not projected by the example query"
    );
    assert_eq!(nic.resource_group_name().as_deref(), Some("RG1"));
    assert_eq!(
        nic.subscription().as_deref(),
        Some("cfbbd179-59d2-4052-aa06-9270a38aa9d6")
    );
    assert_eq!(nic.columns["tags"], json!({"tag1": "Value1"}));
    assert!(rows[1].tags.is_empty());
    assert_eq!(rows[2].name.as_deref(), Some("myPublicIp"));
}

#[tokio::test(start_paused = true)]
async fn pages_follow_the_skip_token() {
    let first = vector("resourcegraph/ResourcesFirstPageQuery.json");
    let next = vector("resourcegraph/ResourcesNextPageQuery.json");
    let s = script();
    s.answer(200, &[], &text(&first["responses"]["200"]["body"]));
    s.answer(200, &[], &text(&next["responses"]["200"]["body"]));
    // The examples chain two pages; the second still has a token, so a last page (ours) ends it.
    s.answer(
        200,
        &[],
        r#"{"totalRecords":386,"count":0,"data":[],"facets":[],"resultTruncated":"false"}"#,
    );
    let rows = ResourceGraphClient::new(pipeline(&s))
        .with_page_size(3)
        .query_raw(&query_of(&first))
        .await
        .unwrap();
    let names: Vec<_> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "yetanothertest_OsDisk_1_f396cbcb625a457bb69fe2abf5975820",
            "TestAA",
            "TestRB",
            "second_OsDisk_dddddbcb625a457bb69fe2abf5975820",
            "AATest",
            "RBTest"
        ]
    );

    let reqs = sent(&s);
    assert_eq!(reqs.len(), 3);
    assert_request(&reqs[0], &first);
    let opts = |i: usize| reqs[i].body.as_ref().unwrap()["options"].clone();
    assert_eq!(
        opts(0)["$top"],
        first["parameters"]["query"]["options"]["$top"]
    );
    assert_request(&reqs[1], &next);
    assert_eq!(
        opts(1)["$skipToken"],
        next["parameters"]["query"]["options"]["$skipToken"]
    );
    assert_eq!(
        opts(2)["$skipToken"],
        next["responses"]["200"]["body"]["$skipToken"]
    );
}

#[tokio::test(start_paused = true)]
async fn one_page_reports_its_counts() {
    let v = vector("resourcegraph/ResourcesFirstPageQuery.json");
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    let page = ResourceGraphClient::new(pipeline(&s))
        .page(&query_of(&v), None)
        .await
        .unwrap();
    assert_eq!(page.total_records, 386);
    assert_eq!(page.count, 3);
    assert_eq!(page.result_truncated, Truncated::No);
    assert_eq!(
        page.skip_token.as_deref(),
        v["responses"]["200"]["body"]["$skipToken"].as_str()
    );
    assert!(page.facets.is_empty());
}

#[tokio::test(start_paused = true)]
async fn tenant_query_sends_no_subscriptions() {
    let v = vector("resourcegraph/ResourcesTenantBasicQuery.json");
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    let rows = ResourceGraphClient::new(pipeline(&s))
        .resources(&query_of(&v))
        .await
        .unwrap();
    let r = &sent(&s)[0];
    assert_request(r, &v);
    assert!(r.body.as_ref().unwrap().get("subscriptions").is_none());
    assert_eq!(rows[1].name.as_deref(), Some("myVnet"));
}

#[derive(Deserialize)]
struct Vm {
    name: String,
    location: String,
}

#[tokio::test(start_paused = true)]
async fn filter_query_decodes_into_a_callers_type() {
    let v = vector("resourcegraph/ResourcesFilterQuery.json");
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    let vms: Vec<Vm> = ResourceGraphClient::new(pipeline(&s))
        .query(&query_of(&v))
        .await
        .unwrap();
    assert_request(&sent(&s)[0], &v);
    let got: Vec<_> = vms
        .iter()
        .map(|v| (v.name.as_str(), v.location.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("myVm1", "centralus"),
            ("myVirtualMachine", "eastus"),
            ("testVm", "eastus")
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_truncated_result_without_a_token_is_an_error() {
    let s = script();
    s.answer(
        200,
        &[],
        r#"{"totalRecords":5000,"count":1000,"data":[],"facets":[],"resultTruncated":"true"}"#,
    );
    let err = ResourceGraphClient::new(pipeline(&s))
        .query_raw(&GraphQuery::new(&["s"], "Resources | project name"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}
