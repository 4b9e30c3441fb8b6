use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::*;
use crate::sim::env::SimIdentity;
use crate::sim::state::{OperationStatus, SimConfig};

fn world(config: SimConfig) -> (World, SimIdentity) {
    let identity = SimIdentity::for_port(7443);
    (World::new(&identity, config, [7; 32]), identity)
}

fn assignment(role: &BuiltInRole, principal: &str) -> Map<String, Value> {
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/{}", role.guid),
        "principalId": principal,
        "principalType": "ServicePrincipal",
    }});
    body.as_object().unwrap().clone()
}

const NAME_1: &str = "05c5a614-a7d6-4502-b150-c2fb455033ff";
const NAME_2: &str = "b0f43c54-e787-4862-89b1-a653fa9cf747";

#[test]
fn wildcards_and_operation_names() {
    assert!(glob(
        "*",
        "Microsoft.Resources/subscriptions/resourceGroups/write"
    ));
    assert!(glob("*/read", "Microsoft.Network/virtualNetworks/READ"));
    assert!(!glob("*/read", "Microsoft.Network/virtualNetworks/write"));
    assert!(glob(
        "Microsoft.Authorization/*/Write",
        "microsoft.authorization/roleAssignments/write"
    ));
    assert!(!glob(
        "Microsoft.Authorization/*",
        "Microsoft.Resources/x/read"
    ));
    let sub = "/subscriptions/s";
    assert_eq!(
        operation_name(sub, Action::Read),
        "Microsoft.Resources/subscriptions/read"
    );
    assert_eq!(
        operation_name("/subscriptions/s/resourcegroups", Action::Read),
        "Microsoft.Resources/subscriptions/resourceGroups/read"
    );
    assert_eq!(
        operation_name("/subscriptions/s/resourceGroups/g", Action::Delete),
        "Microsoft.Resources/subscriptions/resourceGroups/delete"
    );
    assert_eq!(
        operation_name(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/d",
            Action::Write
        ),
        "Microsoft.Network/virtualNetworks/subnets/write"
    );
    assert_eq!(
        operation_name(
            "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments",
            Action::Read
        ),
        "Microsoft.Authorization/roleAssignments/read"
    );
    assert_eq!(
        operation_name("/subscriptions/s/providers/Microsoft.App", Action::Read),
        "Microsoft.Resources/subscriptions/providers/read"
    );
    assert_eq!(
        operation_name("/anything", Action::AssignRoles),
        "Microsoft.Authorization/roleAssignments/write"
    );
}

#[test]
fn built_in_roles_allow_what_azure_allows() {
    let rg_write = "Microsoft.Resources/subscriptions/resourceGroups/write";
    let assign = "Microsoft.Authorization/roleAssignments/write";
    let unassign = "Microsoft.Authorization/roleAssignments/delete";
    let read = "Microsoft.Network/virtualNetworks/read";
    for (role, expect) in [
        (&OWNER, [true, true, true, true]),
        (&CONTRIBUTOR, [true, false, false, true]),
        (&READER, [false, false, false, true]),
        (&USER_ACCESS_ADMINISTRATOR, [false, true, true, true]),
    ] {
        let got = [rg_write, assign, unassign, read].map(|op| role.allows(op));
        assert_eq!(got, expect, "{}", role.name);
    }
    assert_eq!(
        role_by_guid("B24988AC-6180-42A0-AB88-20F7382DD24C"),
        Some(&CONTRIBUTOR)
    );
}

#[test]
fn a_new_assignment_counts_after_the_propagation_delay_and_only_at_its_scope() {
    let (mut w, id) = world(SimConfig {
        rbac_propagation: Duration::from_secs(10),
        speed: 2.0,
        ..SimConfig::default()
    });
    let (orchestrator, sub) = (
        id.principal_object_id.clone(),
        id.subscriptions[0].id.clone(),
    );
    let t0 = Utc::now();
    w.settle(t0);
    w.put_group(&sub, "rg1", "eastus", Map::new(), None)
        .unwrap();
    w.put_group(&sub, "rg2", "eastus", Map::new(), None)
        .unwrap();
    let agent = w.add_principal("agent").object_id;
    let rg1 = format!("/subscriptions/{sub}/resourceGroups/rg1");
    let rg2 = format!("/subscriptions/{sub}/resourceGroups/rg2");
    let vnet = format!("{rg1}/providers/Microsoft.Network/virtualNetworks/v");
    assert!(
        w.can(&orchestrator, &rg1, Action::AssignRoles),
        "the orchestrator is Owner"
    );

    let denied = w.authorize(&agent, &vnet, Action::Write).unwrap_err();
    assert_eq!(
        (denied.status, denied.code.as_str()),
        (403, "AuthorizationFailed")
    );
    let client = w.principal_by_object(&agent).unwrap().client_id.clone();
    assert_eq!(
        denied.message,
        format!("The client '{client}' with object id '{agent}' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/write' over scope '{vnet}' or the scope is invalid. If access was recently granted, please refresh your credentials.")
    );

    let (created, a) = w
        .put_role_assignment(
            &rg1,
            NAME_1,
            &assignment(&CONTRIBUTOR, &agent),
            &orchestrator,
        )
        .unwrap();
    assert!(created);
    assert_eq!(
        a.effective_at,
        t0 + chrono::Duration::seconds(5),
        "10 s at speed 2"
    );
    assert_eq!(
        w.list_role_assignments(&rg1, true, Some(&agent)).len(),
        1,
        "listed at once"
    );
    assert!(!w.can(&agent, &vnet, Action::Write), "not yet in effect");
    w.settle(t0 + chrono::Duration::milliseconds(4999));
    assert!(!w.can(&agent, &vnet, Action::Write));
    w.settle(t0 + chrono::Duration::seconds(5));
    assert!(w.can(&agent, &vnet, Action::Write));
    assert!(w.can(&agent, &rg1, Action::Delete));
    assert!(!w.can(&agent, &rg2, Action::Read), "another group");
    assert!(
        !w.can(&agent, &format!("/subscriptions/{sub}"), Action::Read),
        "the subscription"
    );
    assert!(
        !w.can(&agent, &format!("{rg1}x"), Action::Read),
        "a group whose name extends rg1"
    );
    assert!(
        !w.can(
            &agent,
            &format!("{rg1}/providers/Microsoft.Authorization/roleAssignments/{NAME_2}"),
            Action::Write
        ),
        "Contributor cannot assign roles"
    );
    assert!(w.sees_subscription(&agent, &sub));
    assert!(!w.sees_subscription(&agent, &id.subscriptions[1].id));
}

#[test]
fn assignments_refuse_unknown_principals_duplicates_and_changes() {
    let (mut w, id) = world(SimConfig::default());
    let (orchestrator, sub) = (
        id.principal_object_id.clone(),
        id.subscriptions[0].id.clone(),
    );
    let scope = format!("/subscriptions/{sub}");
    let agent = w.add_principal("agent").object_id;
    let unknown = uuid::Uuid::new_v4().to_string();
    let e = w
        .put_role_assignment(
            &scope,
            NAME_1,
            &assignment(&READER, &unknown),
            &orchestrator,
        )
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "PrincipalNotFound"));
    assert!(
        e.message.contains(&unknown.replace('-', "")),
        "{}",
        e.message
    );
    assert!(e.message.contains(&w.tenant_id));

    let body = assignment(&READER, &agent);
    assert!(
        w.put_role_assignment(&scope, NAME_1, &body, &orchestrator)
            .unwrap()
            .0
    );
    assert!(
        !w.put_role_assignment(&scope, NAME_1, &body, &orchestrator)
            .unwrap()
            .0,
        "the same again"
    );
    let twin = w
        .put_role_assignment(&scope, NAME_2, &body, &orchestrator)
        .unwrap_err();
    assert_eq!(
        (twin.status, twin.code.as_str()),
        (409, "RoleAssignmentExists")
    );
    let changed = w
        .put_role_assignment(&scope, NAME_1, &assignment(&OWNER, &agent), &orchestrator)
        .unwrap_err();
    assert_eq!(changed.code, "RoleAssignmentUpdateNotPermitted");
    assert_eq!(
        w.put_role_assignment(&scope, "not-a-guid", &body, &orchestrator)
            .unwrap_err()
            .code,
        "InvalidRoleAssignmentId"
    );
    let mut bad_role = body.clone();
    bad_role["properties"]["roleDefinitionId"] = json!(
        "/providers/Microsoft.Authorization/roleDefinitions/0b5fe924-9a61-425c-96af-cfe6e287ca2d"
    );
    let e = w
        .put_role_assignment(&scope, NAME_2, &bad_role, &orchestrator)
        .unwrap_err();
    assert_eq!(e.code, "RoleDefinitionDoesNotExist");
    assert!(
        e.message.contains(CONTRIBUTOR.guid),
        "names the roles there are: {}",
        e.message
    );

    // Listing: at and above (atScope()), and below without it.
    w.put_group(&sub, "rg", "eastus", Map::new(), None).unwrap();
    let rg = format!("{scope}/resourceGroups/rg");
    w.put_role_assignment(
        &rg,
        NAME_2,
        &assignment(&CONTRIBUTOR, &agent),
        &orchestrator,
    )
    .unwrap();
    assert_eq!(w.list_role_assignments(&rg, true, Some(&agent)).len(), 2);
    assert_eq!(w.list_role_assignments(&scope, true, Some(&agent)).len(), 1);
    assert_eq!(
        w.list_role_assignments(&scope, false, Some(&agent)).len(),
        2
    );
    assert_eq!(
        w.list_role_assignments(&scope, false, None).len(),
        3,
        "with the orchestrator's Owner"
    );
}

#[test]
fn deleting_a_group_takes_its_time_and_its_assignments() {
    let (mut w, id) = world(SimConfig {
        lro_polls: 0,
        group_delete_duration: Duration::from_secs(15),
        speed: 5.0,
        ..SimConfig::default()
    });
    let (orchestrator, sub) = (
        id.principal_object_id.clone(),
        id.subscriptions[0].id.clone(),
    );
    let t0 = Utc::now();
    w.settle(t0);
    w.put_group(&sub, "rg", "eastus", Map::new(), None).unwrap();
    let agent = w.add_principal("agent").object_id;
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg");
    w.put_role_assignment(&rg, NAME_1, &assignment(&READER, &agent), &orchestrator)
        .unwrap();
    let op = w.begin_delete_group(&sub, "rg").unwrap();
    w.settle(t0 + chrono::Duration::milliseconds(2999));
    assert_eq!(
        w.poll_operation(&sub, &op).unwrap(),
        OperationStatus::InProgress
    );
    w.settle(t0 + chrono::Duration::seconds(3));
    assert_eq!(
        w.poll_operation(&sub, &op).unwrap(),
        OperationStatus::Succeeded,
        "15 s at speed 5"
    );
    assert!(w
        .list_role_assignments(&format!("/subscriptions/{sub}"), false, Some(&agent))
        .is_empty());
    assert!(w.operation_ready_at.is_empty());
}
