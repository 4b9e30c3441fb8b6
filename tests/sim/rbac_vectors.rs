//! The simulator's `Microsoft.Authorization` answers compared with Microsoft's examples in
//! `shared/vectors/azure/authorization` (ids, principal and role substituted with the simulator's).

use crate::common;
use crate::sim_support;

use haymaker::azure::resources::{ArmClient, ResourceGroupSpec};
use haymaker::azure::{ApiRequest, Service};
use serde_json::{json, Value};
use sim_support::{quick, TestSim};

fn spec() -> ResourceGroupSpec {
    ResourceGroupSpec {
        location: "eastus".into(),
        tags: Default::default(),
    }
}

const VECTOR_SUB: &str = "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2";
const VECTOR_PRINCIPAL: &str = "ce2ce14e-85d7-4629-bdbc-454d0519d987";
const VECTOR_ROLE: &str = "0b5fe924-9a61-425c-96af-cfe6e287ca2d";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";

fn vector(rel: &str, sub: &str, principal: &str) -> Value {
    let path = common::shared_dir()
        .join("vectors/azure/authorization")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .replace(VECTOR_SUB, sub)
        .replace(VECTOR_PRINCIPAL, principal)
        .replace(VECTOR_ROLE, CONTRIBUTOR);
    serde_json::from_str(&text).unwrap()
}

/// Every field of `expected` is in `actual`; with `values`, with the same value (arrays: the
/// expected items, in order, at the start).
fn assert_has_fields(expected: &Value, actual: &Value, values: bool, at: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let got = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k} missing in {actual}"));
                assert_has_fields(v, got, values, &format!("{at}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert!(!values || a.len() >= e.len(), "{at}: {actual}");
            for (i, v) in e.iter().enumerate().take(a.len()) {
                assert_has_fields(v, &a[i], values, &format!("{at}[{i}]"));
            }
        }
        (e, a) if values => assert_eq!(a, e, "{at}"),
        (e, a) => assert_eq!(
            std::mem::discriminant(e),
            std::mem::discriminant(a),
            "{at}: {a} is not like {e}"
        ),
    }
}

#[tokio::test]
async fn answers_conform_to_microsofts_authorization_examples() {
    let sim = TestSim::start(quick()).await;
    let sub = sim.sub(0);
    let principal = sim.add_principal("example");
    let pipeline = sim.pipeline();
    ArmClient::new(pipeline.clone())
        .create_or_update_resource_group(&sub, "testrg", &spec())
        .await
        .unwrap();
    let call = |v: &Value, method: &str| {
        let p = &v["parameters"];
        let name = p["roleAssignmentName"].as_str().unwrap();
        let url = sim.url(&format!(
            "/{}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={}",
            p["scope"].as_str().unwrap(),
            p["api-version"].as_str().unwrap()
        ));
        match method {
            "PUT" => ApiRequest::put(Service::Arm, url, p["parameters"].clone()),
            _ => ApiRequest::delete(Service::Arm, url),
        }
    };
    for file in [
        "RoleAssignments_CreateForResourceGroup.json",
        "RoleAssignments_CreateForSubscription.json",
    ] {
        let v = vector(file, &sub, &principal.object_id);
        let request = call(&v, "PUT");
        let first = pipeline.send(&request).await.unwrap();
        assert_eq!(first.status, 201, "{file}");
        assert_has_fields(
            &v["responses"]["201"]["body"],
            &first.json().unwrap(),
            true,
            file,
        );
        let again = pipeline.send(&request).await.unwrap();
        assert_eq!(again.status, 200, "{file}");
        assert_has_fields(
            &v["responses"]["200"]["body"],
            &again.json().unwrap(),
            true,
            file,
        );
    }
    let v = vector("RoleAssignments_Delete.json", &sub, &principal.object_id);
    let mut create = call(&v, "PUT");
    create.body = Some(json!({"properties": {
        "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"),
        "principalId": principal.object_id,
        "principalType": "User",
    }}));
    let e = pipeline.send(&create).await.unwrap_err();
    assert_eq!(
        e.code(),
        Some("RoleAssignmentExists"),
        "the subscription example made it already: {e}"
    );
    pipeline
        .send(&call(
            &vector(
                "RoleAssignments_CreateForSubscription.json",
                &sub,
                &principal.object_id,
            ),
            "DELETE",
        ))
        .await
        .unwrap();
    assert_eq!(pipeline.send(&create).await.unwrap().status, 201);
    let deleted = pipeline.send(&call(&v, "DELETE")).await.unwrap();
    assert_eq!(deleted.status, 200);
    assert_has_fields(
        &v["responses"]["200"]["body"],
        &deleted.json().unwrap(),
        true,
        "delete",
    );
    assert_eq!(
        pipeline.send(&call(&v, "DELETE")).await.unwrap().status,
        204
    );

    // Role definitions: the examples' values are placeholders, so their shape is compared.
    let list = vector("GetRoleDefinitionAtScope.json", &sub, "");
    let get = vector("GetRoleDefinitionByName.json", &sub, "");
    for scope in [
        format!("/subscriptions/{sub}"),
        format!("/subscriptions/{sub}/resourceGroups/testrg"),
    ] {
        let mut url = sim.url(&format!(
            "{scope}/providers/Microsoft.Authorization/roleDefinitions"
        ));
        url.query_pairs_mut()
            .append_pair("api-version", "2022-04-01")
            .append_pair("$filter", "roleName eq 'Owner'");
        let listed: Value = pipeline
            .send(&ApiRequest::get(Service::Arm, url))
            .await
            .unwrap()
            .json()
            .unwrap();
        assert_has_fields(&list["responses"]["200"]["body"], &listed, false, "list");
        assert_eq!(listed["value"].as_array().unwrap().len(), 1);
        let owner = &listed["value"][0];
        assert_eq!(owner["name"], "8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
        assert_eq!(owner["id"], format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"));
        assert_eq!(owner["properties"]["type"], "BuiltInRole");
        let url = sim.url(&format!(
            "{}?api-version=2022-04-01",
            owner["id"].as_str().unwrap()
        ));
        let got: Value = pipeline
            .send(&ApiRequest::get(Service::Arm, url))
            .await
            .unwrap()
            .json()
            .unwrap();
        assert_has_fields(&get["responses"]["200"]["body"], &got, false, "get");
        assert_eq!(&got, owner);
    }
    let url = sim.url("/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7?api-version=2022-04-01");
    let reader: Value = pipeline
        .send(&ApiRequest::get(Service::Arm, url))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(reader["properties"]["roleName"], "Reader");
    assert_eq!(
        reader["properties"]["permissions"][0]["actions"],
        json!(["*/read"])
    );
    sim.stop().await;
}
