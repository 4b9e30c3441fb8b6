//! The simulator's answers against Microsoft's own examples in `shared/vectors/azure/graph` and
//! `shared/vectors/azure/keyvault`: each example's request is replayed (with real ids), and the
//! answer must have the example's status and every key of its body with the same JSON type
//! ([`sim_support::shape_problems`]).

use crate::sim_support;

use haymaker::sim::SimConfig;
use serde_json::{json, Value};
use sim_support::keyvault::{config, raw, vault_token};
use sim_support::{assert_shape, json_of, vector, TestSim};

fn graph_url(sim: &TestSim, rest: &str) -> url::Url {
    sim.url(&format!("/graph/v1.0/{rest}"))
}

/// Properties Graph answers `null` for on an application created with a display name only (the
/// docs' example shows one made with more).
const NULL_UNTIL_SET: &[&str] = &["$.samlMetadataUrl", "$.api.requestedAccessTokenVersion"];

/// Replays each example's request (with real ids) and compares the answer's status and shape.
#[tokio::test]
async fn graph_answers_have_the_shape_of_microsofts_examples() {
    let sim = TestSim::start(SimConfig::default()).await;
    let http = sim.http();
    let token = sim.token(&format!("{}/graph/.default", sim.base())).await;
    let send = |method: &str, rest: &str, body: &Value| {
        let mut r = http
            .request(
                method.parse().unwrap(),
                graph_url(
                    &sim,
                    rest.trim_start_matches('/').trim_start_matches("v1.0/"),
                ),
            )
            .bearer_auth(&token);
        if !body.is_null() {
            r = r
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        r.send()
    };
    let replay = |name: &'static str, path: String| {
        let v = vector(&format!("graph/{name}.json"));
        let send = &send;
        async move {
            let req = &v["request"];
            let resp = send(req["method"].as_str().unwrap(), &path, &req["body"])
                .await
                .unwrap();
            assert_eq!(
                resp.status().as_u16() as u64,
                v["response"]["status"].as_u64().unwrap(),
                "{name}"
            );
            let body = json_of(resp).await;
            assert_shape(name, &v["response"]["body"], &body, NULL_UNTIL_SET);
            body
        }
    };
    let app = replay("application-post-applications", "/v1.0/applications".into()).await;
    let id = app["id"].as_str().unwrap();
    replay(
        "application-addpassword",
        format!("/v1.0/applications/{id}/addPassword"),
    )
    .await;
    let app_id = app["appId"].as_str().unwrap();
    // The example's body names an appId of its own; ours must be real.
    let v = vector("graph/serviceprincipal-post-serviceprincipals.json");
    let resp = send("POST", "servicePrincipals", &json!({"appId": app_id}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let sp = json_of(resp).await;
    assert_shape(
        "serviceprincipal-post-serviceprincipals",
        &v["response"]["body"],
        &sp,
        &[],
    );
    replay("application-list", "/v1.0/applications".into()).await;
    replay("serviceprincipal-list", "/v1.0/serviceprincipals".into()).await;
    replay("application-delete", format!("/v1.0/applications/{id}")).await;
    replay(
        "directory-deleteditems-delete",
        format!("/v1.0/directory/deletedItems/{id}"),
    )
    .await;
    sim.stop().await;
}

/// Replays each 7.5 example against the simulator and compares status and shape.
#[tokio::test]
async fn key_vault_answers_have_the_shape_of_microsofts_examples() {
    let sim = TestSim::start(config(0)).await;
    let token = vault_token(&sim).await;
    let example = |name: &str| {
        let v = vector(&format!("keyvault/{name}-example.json"));
        let (status, response) = v["responses"].as_object().unwrap().iter().next().unwrap();
        (
            v["parameters"].clone(),
            status.parse::<u16>().unwrap(),
            response.get("body").cloned().unwrap_or(Value::Null),
        )
    };
    let check = |name: &'static str, got: (u16, Value), want: (u16, Value)| {
        assert_eq!(got.0, want.0, "{name}: {}", got.1);
        assert_shape(name, &want.1, &got.1, &[]);
    };
    let (p, status, body) = example("SetSecret");
    let name = p["secret-name"].as_str().unwrap();
    let set = raw(
        &sim,
        Some(&token),
        "PUT",
        &format!("/secrets/{name}"),
        Some(p["parameters"].clone()),
    )
    .await;
    assert_eq!(set.1["value"], p["parameters"]["value"]);
    check("SetSecret", set, (status, body));

    let (p, status, body) = example("GetSecret");
    let name = p["secret-name"].as_str().unwrap();
    let stored = raw(
        &sim,
        Some(&token),
        "PUT",
        &format!("/secrets/{name}"),
        Some(json!({"value": "v"})),
    )
    .await;
    let version = stored.1["id"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let got = raw(
        &sim,
        Some(&token),
        "GET",
        &format!("/secrets/{name}/{version}"),
        None,
    )
    .await;
    check("GetSecret", got, (status, body));

    let (p, status, body) = example("DeleteSecret");
    let name = p["secret-name"].as_str().unwrap();
    raw(
        &sim,
        Some(&token),
        "PUT",
        &format!("/secrets/{name}"),
        Some(json!({"value": "v"})),
    )
    .await;
    let got = raw(
        &sim,
        Some(&token),
        "DELETE",
        &format!("/secrets/{name}"),
        None,
    )
    .await;
    check("DeleteSecret", got, (status, body));

    let (p, status, body) = example("GetDeletedSecret");
    let got = raw(
        &sim,
        Some(&token),
        "GET",
        &format!("/deletedsecrets/{}", p["secret-name"].as_str().unwrap()),
        None,
    )
    .await;
    check("GetDeletedSecret", got, (status, body));

    let (p, status, body) = example("PurgeDeletedSecret");
    let name = p["secret-name"].as_str().unwrap();
    raw(
        &sim,
        Some(&token),
        "PUT",
        &format!("/secrets/{name}"),
        Some(json!({"value": "v"})),
    )
    .await;
    raw(
        &sim,
        Some(&token),
        "DELETE",
        &format!("/secrets/{name}"),
        None,
    )
    .await;
    let got = raw(
        &sim,
        Some(&token),
        "DELETE",
        &format!("/deletedsecrets/{name}"),
        None,
    )
    .await;
    check("PurgeDeletedSecret", got, (status, body));
    sim.stop().await;
}
