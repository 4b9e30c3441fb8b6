//! Managed environments, as methods of [`World`]: the seeded default environment and PUT, with the
//! fields the service fills in (domain, static IP, versions) under the request's properties.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::world::{hex, invalid, ENVIRONMENTS_TYPE};
use super::{
    AGENT_WORKLOAD_PROFILE, AGENT_WORKLOAD_PROFILE_TYPE, DEFAULT_ENVIRONMENT_GROUP,
    DEFAULT_ENVIRONMENT_LOCATION, DEFAULT_ENVIRONMENT_NAME,
};
use crate::azure::container_apps::{WorkloadProfile, CONTAINER_APPS_API_VERSION};
use crate::sim::env::SimIdentity;
use crate::sim::state::{Failure, Resource, World};

/// A stable public address for an environment.
fn static_ip(id: &str) -> String {
    let d = Sha256::digest(id.as_bytes());
    format!("20.{}.{}.{}", d[0], d[1], d[2].max(1))
}

/// The environment's representation: the request's properties over what the service fills in.
fn compose_environment(
    id: &str,
    name: &str,
    rg: &str,
    sub: &str,
    body: &Map<String, Value>,
) -> Result<Value, Failure> {
    let location = body
        .get("location")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Failure::new(
                400,
                "LocationRequired",
                "The location property is required for this definition.",
            )
        })?;
    let short = crate::sim::state::normalize_location(location);
    let mut properties = json!({
        "provisioningState": "Succeeded",
        "deploymentErrors": null,
        "defaultDomain": format!("{}-{}.{short}.azurecontainerapps.io", name.to_ascii_lowercase(), hex(id, 8)),
        "staticIp": static_ip(id),
        "zoneRedundant": false,
        "customDomainConfiguration": {"customDomainVerificationId": hex(&format!("{id}/verification"), 64).to_uppercase()},
        "eventStreamEndpoint": format!("https://{short}.azurecontainerapps.dev/subscriptions/{sub}/resourceGroups/{rg}/managedEnvironments/{name}/eventstream"),
        "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"}],
        "kedaConfiguration": {"version": "2.17.1"},
        "daprConfiguration": {"version": "1.13.6-msft.1"},
        "infrastructureResourceGroup": format!("ME_{name}_{rg}_{short}"),
        "peerAuthentication": {"mtls": {"enabled": false}},
        "peerTrafficConfiguration": {"encryption": {"enabled": false}},
    });
    if let Some(Value::Object(given)) = body.get("properties") {
        for (k, v) in given {
            properties[k] = v.clone();
        }
    }
    properties["provisioningState"] = json!("Succeeded");
    let profiles = properties["workloadProfiles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for p in &profiles {
        let profile: WorkloadProfile = serde_json::from_value(p.clone())
            .map_err(|e| invalid(format!("properties.workloadProfiles: {e} in {p}")))?;
        if profile.workload_profile_type.as_str() != "Consumption"
            && profile.workload_profile_type.capacity().is_none()
        {
            return Err(Failure::new(400, "InvalidWorkloadProfileType", format!(
                "Workload profile '{}' has type '{}', which is not offered; use Consumption, D4–D32, E4–E32 or NC*-A100.",
                profile.name, profile.workload_profile_type)));
        }
    }
    Ok(json!({
        "id": id,
        "name": name,
        "type": ENVIRONMENTS_TYPE,
        "location": location,
        "tags": body.get("tags").cloned().unwrap_or_else(|| json!({})),
        "properties": properties,
    }))
}

impl World {
    /// The environment agents run in: resource group [`DEFAULT_ENVIRONMENT_GROUP`] of the first
    /// subscription, with a Consumption profile and the dedicated [`AGENT_WORKLOAD_PROFILE`].
    pub fn seed_default_environment(&mut self, identity: &SimIdentity) {
        let Some(sub) = identity.subscriptions.first().map(|s| s.id.clone()) else {
            return;
        };
        let body = json!({
            "location": DEFAULT_ENVIRONMENT_LOCATION,
            "properties": {"workloadProfiles": [
                {"name": "Consumption", "workloadProfileType": "Consumption"},
                {"name": AGENT_WORKLOAD_PROFILE, "workloadProfileType": AGENT_WORKLOAD_PROFILE_TYPE,
                 "minimumCount": 0, "maximumCount": 20},
            ]},
        });
        let seeded = self
            .put_group(
                &sub,
                DEFAULT_ENVIRONMENT_GROUP,
                DEFAULT_ENVIRONMENT_LOCATION,
                Map::new(),
                None,
            )
            .and_then(|_| {
                let body = body.as_object().cloned().unwrap_or_default();
                self.put_environment(
                    &sub,
                    DEFAULT_ENVIRONMENT_GROUP,
                    DEFAULT_ENVIRONMENT_NAME,
                    body,
                    CONTAINER_APPS_API_VERSION,
                )
            });
        if let Err(e) = seeded {
            tracing::warn!(code = %e.code, message = %e.message, "the default Container Apps environment was not seeded");
        }
    }

    /// Creates or replaces a managed environment (at once: the simulator does not make it an LRO).
    pub fn put_environment(
        &mut self,
        sub: &str,
        rg: &str,
        name: &str,
        body: Map<String, Value>,
        api_version: &str,
    ) -> Result<(bool, Value), Failure> {
        let group = self.live_group(sub, rg)?.clone();
        let id = format!("{}/providers/{ENVIRONMENTS_TYPE}/{name}", group.id());
        let key = id.to_ascii_lowercase();
        let id = self.resources.get(&key).map_or(id, |r| r.id.clone());
        let representation =
            compose_environment(&id, name, &group.name, &group.subscription, &body)?;
        let created = self
            .resources
            .insert(
                key,
                Resource {
                    id,
                    resource_type: ENVIRONMENTS_TYPE.into(),
                    api_version: api_version.into(),
                    body: representation.clone(),
                },
            )
            .is_none();
        Ok((created, representation))
    }
}
