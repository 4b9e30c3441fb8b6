//! What a subscription offers: its locations (`GET /subscriptions/{id}/locations`, which the Azure
//! CLI reads to check `--location`) and resource providers (`GET …/providers/{namespace}[/resourceTypes]`,
//! which clients read to pick an api-version for a resource type). Every namespace is registered; a
//! provider's resource types are the [catalogue](super::catalog_types)'s — every type the scenario
//! library names, with real api-versions — and any other the world holds. [`check_api_version`]
//! refuses a request whose api-version the type does not list, as ARM does.

use std::collections::BTreeMap;

use axum::response::Response;
use serde_json::{json, Value};

use super::catalog_types::{catalogue, OfferedType};
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

/// The types `namespace` offers: the catalogue's, and any other the world holds (seeded
/// in-process), with the api-versions resources of them were written with added.
fn offered(world: &World, namespace: &str) -> Vec<OfferedType> {
    let mut types: BTreeMap<String, OfferedType> = catalogue()
        .in_namespace(namespace)
        .map(|t| (t.resource_type.to_ascii_lowercase(), t.clone()))
        .collect();
    let prefix = format!("{}/", namespace.to_ascii_lowercase());
    for r in world.resources.values() {
        if !r.resource_type.to_ascii_lowercase().starts_with(&prefix) {
            continue;
        }
        let short = &r.resource_type[prefix.len()..];
        let entry = types
            .entry(short.to_ascii_lowercase())
            .or_insert_with(|| OfferedType {
                namespace: r.resource_type[..prefix.len() - 1].to_string(),
                resource_type: short.to_string(),
                api_versions: Vec::new(),
            });
        if !entry.api_versions.contains(&r.api_version) {
            entry.api_versions.push(r.api_version.clone());
            entry.api_versions.sort_by(|a, b| b.cmp(a));
        }
    }
    types.into_values().collect()
}

fn render_types(types: &[OfferedType]) -> Vec<Value> {
    let locations: Vec<&str> = LOCATIONS.iter().map(|(_, display, _)| *display).collect();
    types
        .iter()
        .map(|t| {
            json!({
                "resourceType": t.resource_type,
                "locations": locations,
                "apiVersions": t.api_versions,
                "capabilities": "SupportsTags, SupportsLocation",
            })
        })
        .collect()
}

fn provider(world: &World, subscription: &str, namespace: &str) -> Value {
    let types = offered(world, namespace);
    // The provider's own spelling of its namespace, when it is known.
    let namespace = types.first().map_or(namespace, |t| t.namespace.as_str());
    json!({
        "id": format!("/subscriptions/{subscription}/providers/{namespace}"),
        "namespace": namespace,
        "registrationPolicy": "RegistrationRequired",
        "registrationState": "Registered",
        "resourceTypes": render_types(&types),
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

/// `GET /subscriptions/{id}/providers/{namespace}/resourceTypes`.
pub fn get_resource_types(
    world: &World,
    subscription: &str,
    namespace: &str,
) -> Result<Response, Failure> {
    world.subscription(subscription)?;
    let value = render_types(&offered(world, namespace));
    Ok(json_response(200, &json!({"value": value})))
}

/// Refuses a request for `namespace`/`types` (`types` the type segments below the namespace,
/// child types included) whose `api_version` the provider does not list, as ARM does: `400
/// InvalidResourceNamespace` for a namespace no provider has, `400 InvalidResourceType` for a type
/// the provider does not have, `400 NoRegisteredProviderFound` for a version it does not accept
/// (naming the ones it does).
pub fn check_api_version(
    world: &World,
    namespace: &str,
    types: &[String],
    api_version: &str,
) -> Result<(), Failure> {
    let offered = offered(world, namespace);
    if offered.is_empty() {
        return Err(Failure::new(
            400,
            "InvalidResourceNamespace",
            format!("The resource namespace '{namespace}' is invalid."),
        ));
    }
    let wanted = types.join("/");
    let Some(t) = offered
        .iter()
        .find(|t| t.resource_type.eq_ignore_ascii_case(&wanted))
    else {
        return Err(Failure::new(
            400,
            "InvalidResourceType",
            format!("The resource type '{wanted}' could not be found in the namespace '{namespace}' for api version '{api_version}'."),
        ));
    };
    if t.api_versions
        .iter()
        .any(|v| v.eq_ignore_ascii_case(api_version))
    {
        return Ok(());
    }
    let locations: Vec<&str> = LOCATIONS.iter().map(|(name, _, _)| *name).collect();
    Err(Failure::new(
        400,
        "NoRegisteredProviderFound",
        format!(
            "No registered resource provider found for API version '{api_version}' and type '{}'. The supported api-versions are '{}'. The supported locations are '{}'.",
            t.resource_type,
            t.api_versions.join(", "),
            locations.join(", ")
        ),
    ))
}
