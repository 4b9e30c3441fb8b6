//! What a subscription offers: its locations (`GET /subscriptions/{id}/locations`, which the Azure
//! CLI reads to check `--location`) and resource providers (`GET …/providers/{namespace}`, which it
//! reads to pick an api-version for a resource type). Every namespace is registered; a provider's
//! resource types are those the world holds, with the api-versions they were written with.

use std::collections::BTreeMap;

use axum::response::Response;
use serde_json::{json, Value};

use super::state::World;
use super::{json_response, Failure};

/// (name, display name, geography group) of the simulated regions.
pub const LOCATIONS: &[(&str, &str, &str)] = &[
    ("eastus", "East US", "US"),
    ("eastus2", "East US 2", "US"),
    ("westus", "West US", "US"),
    ("westus2", "West US 2", "US"),
    ("westus3", "West US 3", "US"),
    ("centralus", "Central US", "US"),
    ("northeurope", "North Europe", "Europe"),
    ("westeurope", "West Europe", "Europe"),
    ("uksouth", "UK South", "Europe"),
    ("swedencentral", "Sweden Central", "Europe"),
    ("australiaeast", "Australia East", "Asia Pacific"),
    ("japaneast", "Japan East", "Asia Pacific"),
];

/// `GET /subscriptions/{id}/locations`.
pub fn locations(world: &World, subscription: &str) -> Result<Response, Failure> {
    let sub = world.subscription(subscription)?.id.clone();
    let value: Vec<Value> = LOCATIONS
        .iter()
        .map(|(name, display, group)| {
            json!({
                "id": format!("/subscriptions/{sub}/locations/{name}"),
                "name": name,
                "type": "Region",
                "displayName": display,
                "regionalDisplayName": format!("({group}) {display}"),
                "metadata": {
                    "regionType": "Physical",
                    "regionCategory": "Recommended",
                    "geographyGroup": group,
                },
            })
        })
        .collect();
    Ok(json_response(200, &json!({"value": value})))
}

fn provider(world: &World, subscription: &str, namespace: &str) -> Value {
    let prefix = format!("{}/", namespace.to_ascii_lowercase());
    let mut types: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for r in world.resources.values() {
        if !r.resource_type.to_ascii_lowercase().starts_with(&prefix) {
            continue;
        }
        let short = r.resource_type[prefix.len()..].to_string();
        let entry = types
            .entry(short.to_ascii_lowercase())
            .or_insert_with(|| (short, Vec::new()));
        if !entry.1.contains(&r.api_version) {
            entry.1.push(r.api_version.clone());
        }
    }
    let locations: Vec<&str> = LOCATIONS.iter().map(|(_, display, _)| *display).collect();
    let resource_types: Vec<Value> = types
        .into_values()
        .map(|(name, mut versions)| {
            versions.sort_by(|a, b| b.cmp(a));
            json!({
                "resourceType": name,
                "locations": locations,
                "apiVersions": versions,
                "capabilities": "SupportsTags, SupportsLocation",
            })
        })
        .collect();
    json!({
        "id": format!("/subscriptions/{subscription}/providers/{namespace}"),
        "namespace": namespace,
        "registrationPolicy": "RegistrationRequired",
        "registrationState": "Registered",
        "resourceTypes": resource_types,
    })
}

/// `GET /subscriptions/{id}/providers/{namespace}`.
pub fn get_provider(
    world: &World,
    subscription: &str,
    namespace: &str,
) -> Result<Response, Failure> {
    let sub = world.subscription(subscription)?.id.clone();
    Ok(json_response(200, &provider(world, &sub, namespace)))
}
