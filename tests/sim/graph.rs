//! The simulator's Microsoft Graph over real HTTPS, driven by haymaker's own `GraphClient` and
//! pipeline: a scenario principal's whole life (application, password, service principal, its own
//! ARM token, prefix search, delete, deleted items, purge, refusal afterwards), Graph's paging and
//! errors. The answers' shapes are checked in `sim_conformance`.

use crate::sim_support;

use std::time::Duration;

use haymaker::azure::graph::{
    GraphClient, GraphOptions, NewApplication, NewPassword, NewServicePrincipal,
};
use haymaker::azure::lro::get_all_pages;
use haymaker::azure::{ApiRequest, Pipeline, Service};
use haymaker::sim::SimConfig;
use serde_json::{json, Value};
use sim_support::{json_of, TestSim};

fn graph(pipeline: Pipeline) -> GraphClient {
    GraphClient::new(
        pipeline,
        GraphOptions {
            replication_attempts: 1,
            replication_delay: Duration::from_millis(1),
            replication_max_delay: Duration::from_millis(1),
        },
    )
}

fn graph_url(sim: &TestSim, rest: &str) -> url::Url {
    sim.url(&format!("/graph/v1.0/{rest}"))
}

async fn arm_subscriptions(pipeline: &Pipeline, sim: &TestSim) -> Result<Value, String> {
    let url = sim.url("/subscriptions?api-version=2022-12-01");
    match pipeline.send(&ApiRequest::get(Service::Arm, url)).await {
        Ok(r) => r.json().map_err(|e| e.to_string()),
        Err(e) => Err(format!("{:?} {e}", e.status())),
    }
}

#[tokio::test]
async fn a_scenario_principal_lives_signs_in_and_is_removed_for_good() {
    let sim = TestSim::start(SimConfig::default()).await;
    let orchestrator = sim.connection(None);
    let client = graph(orchestrator.pipeline());

    let app = client
        .create_application(&NewApplication {
            display_name: "hm-run7-scenario-a".into(),
            notes: Some("run 7".into()),
            tags: vec!["haymaker-run-id:run7".into()],
        })
        .await
        .unwrap();
    assert!(!app.id.is_empty() && !app.app_id.is_empty());
    assert_eq!(app.tags, ["haymaker-run-id:run7"]);
    let password = client
        .add_password(
            &app.id,
            &NewPassword {
                display_name: "scenario".into(),
                end_date_time: None,
            },
        )
        .await
        .unwrap();
    let secret = password.secret_text.expose().to_string();
    assert_eq!(secret.len(), 40);
    assert_eq!(password.hint.as_deref(), Some(&secret[..3]));

    // No service principal yet: the tenant does not know the client.
    let arm_scope = format!("{}/.default", sim.base());
    let (status, body) = sim.token_response(&app.app_id, &secret, &arm_scope).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS700016"));

    let sp = client
        .create_service_principal(&NewServicePrincipal {
            app_id: app.app_id.clone(),
            tags: vec!["haymaker-run-id:run7".into()],
        })
        .await
        .unwrap();
    assert_eq!(sp.app_id, app.app_id);
    assert_eq!(
        sim.server.sim.world().principals[&app.app_id].object_id,
        sp.id
    );

    // The agent, with its own credentials, gets an ARM token and uses it.
    let agent = sim.connection(Some((&app.app_id, &secret))).pipeline();
    let subs = arm_subscriptions(&agent, &sim).await.unwrap();
    // Which subscriptions it sees is RBAC's business; that ARM accepts its token is the point here.
    assert!(subs["value"].is_array(), "{subs}");
    let (status, _) = sim.token_response(&app.app_id, "wrong", &arm_scope).await;
    assert_eq!(status, 401);

    // Found by prefix (and only it), the orchestrator by its own name.
    client
        .create_application(&NewApplication {
            display_name: "hm-run8-other".into(),
            ..NewApplication::default()
        })
        .await
        .unwrap();
    let found = client.find_applications("HM-RUN7-").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].id.as_str(), found[0].app_id.as_str()),
        (app.id.as_str(), app.app_id.as_str())
    );
    let sps = client.find_service_principals("hm-run7-").await.unwrap();
    assert_eq!(
        sps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        [sp.id.as_str()]
    );
    let me = client
        .find_service_principals("haymaker-orch")
        .await
        .unwrap();
    assert_eq!(me[0].id, sim.server.identity().principal_object_id);

    // Delete: the application and its service principal go to deleted items, sign-in ends.
    assert!(client.delete_application(&app.id).await.unwrap());
    assert!(!client.delete_application(&app.id).await.unwrap());
    assert!(client
        .find_applications("hm-run7-")
        .await
        .unwrap()
        .is_empty());
    assert!(client
        .find_service_principals("hm-run7-")
        .await
        .unwrap()
        .is_empty());
    let deleted = |kind: &str| {
        let url = graph_url(
            &sim,
            &format!("directory/deletedItems/microsoft.graph.{kind}"),
        );
        let pipeline = orchestrator.pipeline();
        async move {
            get_all_pages(&pipeline, &ApiRequest::get(Service::Graph, url))
                .await
                .unwrap()
                .into_iter()
                .map(|v| v["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(deleted("application").await, [app.id.as_str()]);
    assert_eq!(deleted("servicePrincipal").await, [sp.id.as_str()]);
    let err = arm_subscriptions(&agent, &sim).await.unwrap_err();
    assert!(err.starts_with("Some(401)"), "{err}");
    let (status, _) = sim.token_response(&app.app_id, &secret, &arm_scope).await;
    assert_eq!(status, 400);

    // Purge: nothing of it is left.
    assert!(client.purge_deleted_item(&app.id).await.unwrap());
    assert!(client.purge_deleted_item(&sp.id).await.unwrap());
    assert!(!client.purge_deleted_item(&app.id).await.unwrap());
    assert!(deleted("application").await.is_empty());
    assert!(deleted("servicePrincipal").await.is_empty());
    {
        let world = sim.server.sim.world();
        assert!(world.deleted_directory_items().is_empty());
        assert!(!world
            .applications()
            .iter()
            .any(|a| a.display_name.starts_with("hm-run7")));
        assert!(!world
            .service_principals()
            .iter()
            .any(|s| s.app_id == app.app_id));
        assert!(!world.principals.contains_key(&app.app_id));
    }
    sim.stop().await;
}

#[tokio::test]
async fn lists_page_with_next_links_and_filter_by_app_id() {
    let sim = TestSim::start(SimConfig::default()).await;
    let pipeline = sim.connection(None).pipeline();
    let client = graph(pipeline.clone());
    let mut app_ids = Vec::new();
    for i in 0..5 {
        let app = client
            .create_application(&NewApplication {
                display_name: format!("hm-page-{i}"),
                ..NewApplication::default()
            })
            .await
            .unwrap();
        app_ids.push(app.app_id);
    }
    let mut url = graph_url(&sim, "applications");
    url.set_query(Some(
        "$filter=startswith(displayName,'hm-page-')&$top=2&$select=id,displayName",
    ));
    let first: Value = pipeline
        .send(&ApiRequest::get(Service::Graph, url.clone()))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    assert_eq!(first["value"][0].as_object().unwrap().len(), 2, "{first}");
    assert!(first["@odata.nextLink"]
        .as_str()
        .unwrap()
        .contains("skiptoken"));
    let all = get_all_pages(&pipeline, &ApiRequest::get(Service::Graph, url))
        .await
        .unwrap();
    let mut names: Vec<&str> = all
        .iter()
        .map(|v| v["displayName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "hm-page-0",
            "hm-page-1",
            "hm-page-2",
            "hm-page-3",
            "hm-page-4"
        ]
    );

    let mut url = graph_url(&sim, "applications");
    url.query_pairs_mut()
        .append_pair("$filter", &format!("appId eq '{}'", app_ids[3]));
    let one: Value = pipeline
        .send(&ApiRequest::get(Service::Graph, url))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(one["value"].as_array().unwrap().len(), 1);
    assert_eq!(one["value"][0]["displayName"], "hm-page-3");
    sim.stop().await;
}

#[tokio::test]
async fn graph_wants_a_graph_token_and_answers_errors_in_its_shape() {
    let sim = TestSim::start(SimConfig::default()).await;
    let http = sim.http();
    let url = graph_url(&sim, "applications");
    let check = |resp: reqwest::Response, status: u16, code: &'static str| async move {
        assert_eq!(resp.status().as_u16(), status);
        assert!(resp.headers().contains_key("request-id"));
        let body = json_of(resp).await;
        assert_eq!(body["error"]["code"], code, "{body}");
        let inner = &body["error"]["innerError"];
        for key in ["date", "request-id", "client-request-id"] {
            assert!(inner[key].is_string(), "{key} in {body}");
        }
        body
    };
    check(
        http.get(url.clone()).send().await.unwrap(),
        401,
        "InvalidAuthenticationToken",
    )
    .await;
    let arm = sim.token(&format!("{}/.default", sim.base())).await;
    let body = check(
        http.get(url.clone())
            .bearer_auth(&arm)
            .send()
            .await
            .unwrap(),
        401,
        "InvalidAuthenticationToken",
    )
    .await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("audience"));

    let token = sim.token("https://graph.microsoft.com/.default").await;
    let missing = graph_url(&sim, "applications/00000000-0000-0000-0000-000000000001");
    let resp = http
        .get(missing)
        .bearer_auth(&token)
        .header("client-request-id", "mine-1")
        .send()
        .await
        .unwrap();
    let body = check(resp, 404, "Request_ResourceNotFound").await;
    assert_eq!(body["error"]["innerError"]["client-request-id"], "mine-1");
    let resp = http
        .post(graph_url(&sim, "servicePrincipals"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(json!({"appId": "00000000-0000-0000-0000-000000000002"}).to_string())
        .send()
        .await
        .unwrap();
    check(resp, 400, "Request_BadRequest").await;
    let resp = http
        .get(graph_url(&sim, "applications?$top=1000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    check(resp, 400, "Request_BadRequest").await;
    sim.stop().await;
}
