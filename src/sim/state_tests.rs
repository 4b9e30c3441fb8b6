use serde_json::json;

use super::*;
use crate::sim::resources::Address;

fn world(polls: u32) -> (World, SimIdentity) {
    let identity = SimIdentity::for_port(7443);
    let config = SimConfig {
        lro_polls: polls,
        group_delete_duration: std::time::Duration::ZERO,
        ..SimConfig::default()
    };
    (World::new(&identity, config, [7; 32]), identity)
}

fn tags(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

fn addr(sub: &str, group: &str, rest: &[&str]) -> Address {
    let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    Address::parse(sub, Some(group), &rest).unwrap()
}

#[test]
fn tokens_need_the_right_secret_and_audience_and_expire() {
    let (mut w, id) = world(1);
    let now = Utc::now();
    let secret = id.client_secret.expose();
    assert_eq!(
        w.issue_token(&id.client_id, "wrong", Audience::Arm, "r", now),
        Err(TokenError::BadSecret)
    );
    assert_eq!(
        w.issue_token(
            "00000000-0000-0000-0000-000000000000",
            secret,
            Audience::Arm,
            "r",
            now
        ),
        Err(TokenError::UnknownClient)
    );
    let (token, lifetime) = w
        .issue_token(
            &id.client_id.to_uppercase(),
            secret,
            Audience::Arm,
            "r",
            now,
        )
        .unwrap();
    assert_eq!(lifetime, 3599);
    assert!(w.bearer(&token, Audience::Arm, now).is_ok());
    assert_eq!(
        w.bearer(&token, Audience::Graph, now).unwrap_err(),
        BearerError::WrongAudience("r".into())
    );
    let later = now + Duration::seconds(3600);
    assert!(matches!(
        w.bearer(&token, Audience::Arm, later),
        Err(BearerError::Expired(_))
    ));
    w.settle(later + Duration::hours(2));
    assert!(w.tokens.is_empty(), "long-expired tokens are forgotten");
}

#[test]
fn tokens_survive_a_restart_with_the_same_key_only() {
    let (mut w, id) = world(1);
    let now = Utc::now();
    let (token, _) = w
        .issue_token(
            &id.client_id,
            id.client_secret.expose(),
            Audience::Arm,
            "r",
            now,
        )
        .unwrap();
    let restarted = World::new(&id, SimConfig::default(), [7; 32]);
    let issued = restarted.bearer(&token, Audience::Arm, now).unwrap();
    assert_eq!(issued.client_id, id.client_id);
    assert_eq!(issued.resource, "r");
    let other_ca = World::new(&id, SimConfig::default(), [8; 32]);
    assert_eq!(
        other_ca.bearer(&token, Audience::Arm, now).unwrap_err(),
        BearerError::Unknown
    );
    let (body, _) = token.split_once('.').unwrap();
    let forged = format!("{body}.AAAA");
    assert_eq!(
        restarted.bearer(&forged, Audience::Arm, now).unwrap_err(),
        BearerError::Unknown
    );
    assert_eq!(
        restarted.bearer("opaque", Audience::Arm, now).unwrap_err(),
        BearerError::Unknown
    );
}

#[test]
fn groups_are_case_insensitive_and_keep_their_first_spelling() {
    let (mut w, id) = world(1);
    let sub = id.subscriptions[0].id.to_uppercase();
    let (created, g) = w
        .put_group(&sub, "My-RG", "East US", tags(&[("a", "1")]), None)
        .unwrap();
    assert!(created);
    assert_eq!(g.location, "eastus");
    let (created, g) = w
        .put_group(&sub, "my-rg", "eastus", tags(&[("a", "2")]), None)
        .unwrap();
    assert!(!created);
    assert_eq!(g.name, "My-RG");
    assert_eq!(g.tags["a"], "2");
    let moved = w.put_group(&sub, "MY-RG", "westus", Map::new(), None);
    assert_eq!(moved.unwrap_err().code, "InvalidResourceGroupLocation");
    assert_eq!(
        w.group(&sub, "other").unwrap_err().code,
        "ResourceGroupNotFound"
    );
    assert_eq!(
        w.group("00000000-0000-0000-0000-000000000000", "x")
            .unwrap_err()
            .code,
        "SubscriptionNotFound"
    );
}

#[test]
fn tag_filters_match_names_case_insensitively_and_values_exactly() {
    let (mut w, id) = world(1);
    let sub = &id.subscriptions[0].id;
    w.put_group(sub, "a", "eastus", tags(&[("Run", "r1")]), None)
        .unwrap();
    w.put_group(sub, "b", "eastus", tags(&[("run", "R1")]), None)
        .unwrap();
    w.put_group(sub, "c", "eastus", Map::new(), None).unwrap();
    let names = |tag| -> Vec<String> {
        w.list_groups(sub, tag)
            .unwrap()
            .into_iter()
            .map(|g| g.name.clone())
            .collect()
    };
    assert_eq!(names(None), ["a", "b", "c"]);
    assert_eq!(names(Some(("RUN", None))), ["a", "b"]);
    assert_eq!(names(Some(("run", Some("r1")))), ["a"]);
    let other = &id.subscriptions[1].id;
    assert!(w.list_groups(other, None).unwrap().is_empty());
}

#[test]
fn deleting_a_group_is_an_operation_that_cascades_when_polled_out() {
    let (mut w, id) = world(2);
    let sub = &id.subscriptions[0].id;
    w.put_group(sub, "rg", "eastus", Map::new(), None).unwrap();
    let vnet = addr(sub, "RG", &["Microsoft.Network", "virtualNetworks", "v"]);
    let subnet = addr(
        sub,
        "rg",
        &["Microsoft.Network", "virtualNetworks", "v", "subnets", "s"],
    );
    w.put_resource(&vnet, "2024-05-01", Map::new()).unwrap();
    w.put_resource(&subnet, "2024-05-01", Map::new()).unwrap();
    let op = w.begin_delete_group(sub, "rg").unwrap();
    assert_eq!(
        w.begin_delete_group(sub, "RG").unwrap(),
        op,
        "same operation"
    );
    assert_eq!(
        w.group(sub, "rg").unwrap().state,
        ProvisioningState::Deleting
    );
    assert_eq!(
        w.put_resource(&vnet, "2024-05-01", Map::new())
            .unwrap_err()
            .code,
        "ResourceGroupBeingDeleted"
    );
    assert_eq!(
        w.poll_operation(sub, &op).unwrap(),
        OperationStatus::InProgress
    );
    assert_eq!(
        w.poll_operation(sub, &op).unwrap(),
        OperationStatus::InProgress
    );
    assert_eq!(
        w.poll_operation(sub, &op).unwrap(),
        OperationStatus::Succeeded
    );
    assert_eq!(
        w.poll_operation(sub, &op).unwrap(),
        OperationStatus::Succeeded
    );
    assert!(w.group(sub, "rg").is_err());
    assert!(w.resources.is_empty(), "{:?}", w.resources.keys());
    let other = &id.subscriptions[1].id;
    assert_eq!(w.poll_operation(other, &op).unwrap_err().status, 404);
}

#[test]
fn resources_need_their_group_and_parent_and_delete_their_children() {
    let (mut w, id) = world(1);
    let sub = &id.subscriptions[0].id;
    let vnet = addr(sub, "rg", &["Microsoft.Network", "virtualNetworks", "v"]);
    let subnet = addr(
        sub,
        "rg",
        &["Microsoft.Network", "virtualNetworks", "v", "subnets", "s"],
    );
    assert_eq!(
        w.put_resource(&vnet, "1", Map::new()).unwrap_err().code,
        "ResourceGroupNotFound"
    );
    w.put_group(sub, "RG", "eastus", Map::new(), None).unwrap();
    assert_eq!(
        w.put_resource(&subnet, "1", Map::new()).unwrap_err().code,
        "ParentResourceNotFound"
    );
    let body = json!({"location": "West Europe", "tags": {"k": "v"}, "properties": {"x": 1}});
    let (created, rep) = w
        .put_resource(&vnet, "2024-05-01", body.as_object().unwrap().clone())
        .unwrap();
    assert!(created);
    assert_eq!(
        rep["id"],
        format!(
            "/subscriptions/{sub}/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v"
        )
    );
    assert_eq!(rep["location"], "westeurope");
    assert_eq!(rep["properties"]["provisioningState"], "Succeeded");
    assert_eq!(rep["properties"]["x"], 1);
    w.put_resource(&subnet, "2024-05-01", Map::new()).unwrap();
    let (created, _) = w.put_resource(&subnet, "2024-05-01", Map::new()).unwrap();
    assert!(!created);
    assert_eq!(
        w.get_resource(&subnet).unwrap().body["type"],
        "Microsoft.Network/virtualNetworks/subnets"
    );
    let collection = addr(sub, "rg", &["Microsoft.Network", "virtualNetworks"]);
    assert_eq!(w.list_resources(&collection).unwrap().len(), 1);
    assert!(w.delete_resource(&vnet).unwrap());
    assert!(!w.delete_resource(&vnet).unwrap());
    assert_eq!(
        w.get_resource(&subnet).unwrap_err().code,
        "ResourceNotFound"
    );
}
