//! `AuthorizationClient` pinned by the spec examples in `shared/vectors/azure/authorization/`.

use crate::azure_support;

use std::time::Duration;

use azure_support::{api_version_of, pipeline, script, sent, text, vector};
use haymaker::azure::arm::DeleteOutcome;
use haymaker::azure::authorization::{
    assignment_name, AssignOutcome, AuthorizationClient, NewRoleAssignment, PrincipalRetry,
    PrincipalType, RoleType, AUTHORIZATION_API_VERSION,
};
use serde_json::json;
use tokio::time::Instant;

const ROLE_PATH: &str = "/providers/Microsoft.Authorization/roleAssignments/";
const PRINCIPAL_NOT_FOUND: &str = r#"{"error":{"code":"PrincipalNotFound","message":"Principal 1234 does not exist in the directory 5678."}}"#;

#[tokio::test(start_paused = true)]
async fn role_definition_by_name() {
    // The example is RoleDefinitions_List without $filter (SOURCES.md: no example shows
    // `$filter=roleName eq '…'`); the filter follows the documented OData form.
    let v = vector("authorization/GetRoleDefinitionAtScope.json");
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    s.answer(200, &[], r#"{"value":[]}"#);
    let auth = AuthorizationClient::new(pipeline(&s));
    let scope = v["parameters"]["scope"].as_str().unwrap();
    let def = auth
        .find_role_definition(scope, "Role name")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(
        def.id,
        "/subscriptions/subID/providers/Microsoft.Authorization/roleDefinitions/roleDefinitionId"
    );
    assert_eq!(def.name, "roleDefinitionId");
    let p = &def.properties;
    assert_eq!(p.role_name, "Role name");
    assert_eq!(p.role_type, Some(RoleType::Other("roletype".into())));
    assert_eq!(p.description.as_deref(), Some("Role description"));
    assert_eq!(p.assignable_scopes, ["/subscriptions/subId"]);
    assert_eq!(p.permissions[0].actions, ["action"]);
    assert_eq!(p.permissions[0].data_actions, ["dataAction"]);
    assert!(p.permissions[0].not_actions.is_empty());
    assert_eq!(auth.role_definition_id(scope, "Nope").await.unwrap(), None);

    let reqs = sent(&s);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].path,
        "/scope/providers/Microsoft.Authorization/roleDefinitions"
    );
    assert_eq!(reqs[0].api_version(), api_version_of(&v));
    assert_eq!(AUTHORIZATION_API_VERSION, api_version_of(&v));
    assert_eq!(reqs[0].query("$filter").unwrap(), "roleName eq 'Role name'");
}

async fn pinned_create(file: &str) {
    let v = vector(file);
    let p = &v["parameters"];
    let props = &p["parameters"]["properties"];
    let s = script();
    s.answer(201, &[], &text(&v["responses"]["201"]["body"]));
    let request = NewRoleAssignment {
        role_definition_id: props["roleDefinitionId"].as_str().unwrap().into(),
        principal_id: props["principalId"].as_str().unwrap().into(),
        principal_type: PrincipalType::User,
    };
    let scope = p["scope"].as_str().unwrap();
    let name = p["roleAssignmentName"].as_str().unwrap();
    let out = AuthorizationClient::new(pipeline(&s))
        .assign_role_named(scope, name, &request)
        .await
        .unwrap();

    let req = &sent(&s)[0];
    assert_eq!(req.method, "PUT");
    assert_eq!(req.path, format!("/{scope}{ROLE_PATH}{name}"));
    assert_eq!(req.api_version(), api_version_of(&v));
    assert_eq!(req.body.as_ref().unwrap(), &p["parameters"]);

    let AssignOutcome::Created(ra) = out else {
        panic!("expected Created, got {out:?}")
    };
    let body = &v["responses"]["201"]["body"];
    assert_eq!(ra.id, body["id"].as_str().unwrap());
    assert_eq!(ra.name, name);
    assert_eq!(
        ra.properties.role_definition_id,
        "/providers/Microsoft.Authorization/roleDefinitions/0b5fe924-9a61-425c-96af-cfe6e287ca2d"
    );
    assert_eq!(
        ra.properties.principal_id,
        "ce2ce14e-85d7-4629-bdbc-454d0519d987"
    );
    assert_eq!(ra.properties.principal_type, Some(PrincipalType::User));
    assert_eq!(
        ra.properties.scope.as_deref(),
        Some(format!("/{scope}").as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn create_for_resource_group_matches_the_example() {
    pinned_create("authorization/RoleAssignments_CreateForResourceGroup.json").await;
}

#[tokio::test(start_paused = true)]
async fn create_for_subscription_matches_the_example() {
    pinned_create("authorization/RoleAssignments_CreateForSubscription.json").await;
}

fn example_request() -> (String, NewRoleAssignment, String) {
    let v = vector("authorization/RoleAssignments_CreateForResourceGroup.json");
    let props = &v["parameters"]["parameters"]["properties"];
    let scope = format!("/{}", v["parameters"]["scope"].as_str().unwrap());
    let request = NewRoleAssignment::service_principal(
        props["roleDefinitionId"].as_str().unwrap(),
        props["principalId"].as_str().unwrap(),
    );
    let answer = v["responses"]["201"]["body"].to_string();
    (scope, request, answer)
}

#[tokio::test(start_paused = true)]
async fn principal_not_found_is_retried_with_backoff_under_the_same_name() {
    let (scope, request, answer) = example_request();
    let s = script();
    s.answer(400, &[], PRINCIPAL_NOT_FOUND);
    s.answer(400, &[], PRINCIPAL_NOT_FOUND);
    s.answer(201, &[], &answer);
    let start = Instant::now();
    let out = AuthorizationClient::new(pipeline(&s))
        .assign_role(&scope, &request)
        .await
        .unwrap();
    assert!(matches!(out, AssignOutcome::Created(_)));
    assert_eq!(Instant::now() - start, Duration::from_secs(2 + 4));

    let reqs = sent(&s);
    assert_eq!(reqs.len(), 3);
    let name = assignment_name(&scope, &request.principal_id, &request.role_definition_id);
    for r in &reqs {
        assert_eq!(r.method, "PUT");
        assert_eq!(r.path, format!("{scope}{ROLE_PATH}{name}"));
        assert_eq!(
            r.body.as_ref().unwrap()["properties"]["principalType"],
            "ServicePrincipal"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn principal_not_found_gives_up_after_the_bound() {
    let (scope, request, _) = example_request();
    let s = script();
    for _ in 0..3 {
        s.answer(400, &[], PRINCIPAL_NOT_FOUND);
    }
    let err = AuthorizationClient::new(pipeline(&s))
        .with_principal_retry(PrincipalRetry {
            attempts: 3,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(1),
        })
        .assign_role(&scope, &request)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("PrincipalNotFound"));
    assert_eq!(sent(&s).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn role_assignment_exists_is_success() {
    let (scope, request, answer) = example_request();
    let exists = r#"{"error":{"code":"RoleAssignmentExists","message":"The role assignment already exists."}}"#;
    let s = script();
    s.answer(409, &[], exists);
    s.answer(200, &[], &answer);
    s.answer(409, &[], exists);
    s.answer(
        404,
        &[],
        r#"{"error":{"code":"RoleAssignmentNotFound","message":"x"}}"#,
    );
    let auth = AuthorizationClient::new(pipeline(&s));
    let first = auth.assign_role(&scope, &request).await.unwrap();
    assert!(
        matches!(first, AssignOutcome::Existing(ref ra) if ra.properties.principal_id == request.principal_id)
    );
    let second = auth.assign_role(&scope, &request).await.unwrap();
    assert_eq!(second, AssignOutcome::AssignedElsewhere);
    let reqs = sent(&s);
    assert_eq!(reqs[1].method, "GET");
    assert_eq!(reqs[1].path, reqs[0].path, "reads its own name back");
}

#[tokio::test(start_paused = true)]
async fn delete_matches_the_example_and_gone_is_success() {
    let v = vector("authorization/RoleAssignments_Delete.json");
    let scope = v["parameters"]["scope"].as_str().unwrap();
    let name = v["parameters"]["roleAssignmentName"].as_str().unwrap();
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    s.answer(204, &[], "");
    s.answer(
        404,
        &[],
        r#"{"error":{"code":"RoleAssignmentNotFound","message":"x"}}"#,
    );
    let auth = AuthorizationClient::new(pipeline(&s));
    assert_eq!(
        auth.delete_role_assignment(scope, name).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        auth.delete_role_assignment(scope, name).await.unwrap(),
        DeleteOutcome::AlreadyGone
    );
    let id = v["responses"]["200"]["body"]["id"].as_str().unwrap();
    assert_eq!(
        auth.delete_role_assignment_by_id(id).await.unwrap(),
        DeleteOutcome::AlreadyGone
    );
    let reqs = sent(&s);
    for r in &reqs {
        assert_eq!(r.method, "DELETE");
        assert_eq!(r.path, format!("/{scope}{ROLE_PATH}{name}"));
        assert_eq!(r.api_version(), api_version_of(&v));
    }
}

#[tokio::test(start_paused = true)]
async fn list_for_a_principal() {
    // No RoleAssignments_ListForScope example was collected; documented shape {"value", "nextLink"}
    // with items shaped like the CreateForResourceGroup answer.
    let v = vector("authorization/RoleAssignments_CreateForResourceGroup.json");
    let item = v["responses"]["200"]["body"].clone();
    let s = script();
    s.answer(200, &[], &text(&json!({"value": [item]})));
    let scope = "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/resourceGroups/testrg";
    let list = AuthorizationClient::new(pipeline(&s))
        .list_role_assignments_for_principal(scope, "ce2ce14e-85d7-4629-bdbc-454d0519d987")
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "05c5a614-a7d6-4502-b150-c2fb455033ff");
    let r = &sent(&s)[0];
    assert_eq!(r.method, "GET");
    assert_eq!(
        r.path,
        format!("{scope}/providers/Microsoft.Authorization/roleAssignments")
    );
    assert_eq!(
        r.query("$filter").unwrap(),
        "principalId eq 'ce2ce14e-85d7-4629-bdbc-454d0519d987'"
    );
    assert_eq!(r.api_version(), AUTHORIZATION_API_VERSION);
}
