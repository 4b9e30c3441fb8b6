//! Container Apps decisions, as methods of [`World`]: container apps, validated and stored in
//! `World::resources` (so that Resource Graph, conflicts and group deletion see them). Environments
//! are in `container_apps_env.rs`, operations and accessors in `container_apps_ops.rs`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::AppOperationKind;
use crate::azure::container_apps::{parse_memory_gib, WorkloadProfile};
use crate::config::Secret;
use crate::sim::state::{random_token, Failure, Resource, World};

pub(super) const APPS_TYPE: &str = "Microsoft.App/containerApps";
pub(super) const ENVIRONMENTS_TYPE: &str = "Microsoft.App/managedEnvironments";

/// A stable hex string derived from `label`.
pub(super) fn hex(label: &str, len: usize) -> String {
    let digest = Sha256::digest(label.as_bytes());
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..len]
        .to_string()
}

/// A stable GUID derived from `label`.
fn guid(label: &str) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&Sha256::digest(label.as_bytes())[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

pub(super) fn invalid(message: String) -> Failure {
    Failure::new(400, "InvalidRequestContent", message)
}

pub(super) fn app_key(sub: &str, rg: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourcegroups/{rg}/providers/microsoft.app/containerapps/{name}")
        .to_ascii_lowercase()
}

fn app_not_found(name: &str, rg: &str) -> Failure {
    Failure::new(
        404,
        "ResourceNotFound",
        format!("The Resource 'Microsoft.App/containerApps/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"),
    )
}

impl World {
    /// An app's stored representation.
    pub fn get_container_app(&self, sub: &str, rg: &str, name: &str) -> Result<&Resource, Failure> {
        self.group(sub, rg)?;
        self.resources
            .get(&app_key(sub, rg, name))
            .ok_or_else(|| app_not_found(name, rg))
    }

    /// The apps of a group, in name order.
    pub fn list_container_apps_in(&self, sub: &str, rg: &str) -> Result<Vec<Value>, Failure> {
        let group = self.group(sub, rg)?;
        let prefix = format!(
            "{}/providers/microsoft.app/containerapps/",
            group.id().to_ascii_lowercase()
        );
        Ok(self
            .resources
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(_, r)| r.body.clone())
            .collect())
    }

    /// Validates and stores an app as `InProgress`; returns (created, representation, operation id).
    pub fn put_container_app(
        &mut self,
        sub: &str,
        rg: &str,
        name: &str,
        body: Map<String, Value>,
        api_version: &str,
    ) -> Result<(bool, Value, String), Failure> {
        let group = self.live_group(sub, rg)?.clone();
        let key = app_key(sub, rg, name);
        let existing = self.resources.get(&key);
        if existing.is_some_and(|r| r.body["properties"]["provisioningState"] == "Deleting") {
            return Err(Failure::new(
                409,
                "ContainerAppOperationInProgress",
                format!("Container app '{name}' is being deleted."),
            ));
        }
        let created = existing.is_none();
        let id = existing.map_or_else(
            || format!("{}/providers/{APPS_TYPE}/{name}", group.id()),
            |r| r.id.clone(),
        );
        let (representation, secrets) = self.compose_app(&id, name, body)?;
        self.resources.insert(
            key.clone(),
            Resource {
                id,
                resource_type: APPS_TYPE.into(),
                api_version: api_version.into(),
                body: representation.clone(),
            },
        );
        for value in secrets.values() {
            self.issued
                .record(crate::sim::issued::SecretKind::ContainerAppSecret, value);
        }
        self.container_apps
            .secret_values
            .insert(key.clone(), secrets);
        let op = self.begin_app_operation(
            &group.subscription,
            &key,
            name,
            AppOperationKind::CreateOrUpdate,
        );
        Ok((created, representation, op))
    }

    fn compose_app(
        &self,
        id: &str,
        name: &str,
        mut body: Map<String, Value>,
    ) -> Result<(Value, BTreeMap<String, Secret>), Failure> {
        let location = body
            .get("location")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Failure::new(
                    400,
                    "LocationRequired",
                    "The location property is required for this definition.",
                )
            })?;
        let mut props = match body.remove("properties") {
            Some(Value::Object(p)) => p,
            _ => {
                return Err(invalid(
                    "The container app has no 'properties' object.".into(),
                ))
            }
        };
        let env_id = props.get("environmentId").or_else(|| props.get("managedEnvironmentId")).and_then(Value::as_str)
            .ok_or_else(|| invalid("properties.environmentId is required: the resource id of a managed environment.".into()))?;
        let env = self
            .resources
            .get(&env_id.to_ascii_lowercase())
            .filter(|r| r.resource_type.eq_ignore_ascii_case(ENVIRONMENTS_TYPE))
            .ok_or_else(|| {
                Failure::new(
                    404,
                    "ManagedEnvironmentNotFound",
                    format!("The managed environment '{env_id}' was not found."),
                )
            })?;
        let profiles: Vec<WorkloadProfile> =
            serde_json::from_value(env.body["properties"]["workloadProfiles"].clone())
                .unwrap_or_default();
        let wanted = props
            .get("workloadProfileName")
            .and_then(Value::as_str)
            .unwrap_or("Consumption");
        let profile = profiles.iter().find(|p| p.name.eq_ignore_ascii_case(wanted)).ok_or_else(|| {
            let known: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
            Failure::new(400, "WorkloadProfileNotFound", format!("Workload profile '{wanted}' does not exist in managed environment '{env_id}'; it has: {}.", known.join(", ")))
        })?;
        // Containers: default resources, then the total must fit the profile.
        let containers = props
            .get_mut("template")
            .and_then(|t| t.get_mut("containers"))
            .and_then(Value::as_array_mut)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                invalid("properties.template.containers must list at least one container.".into())
            })?;
        let (mut cpu, mut memory) = (0.0, 0.0);
        for c in containers.iter_mut() {
            let cname = c["name"].as_str().unwrap_or("").to_string();
            if c.get("resources").is_none_or(Value::is_null) {
                c["resources"] = json!({"cpu": 0.5, "memory": "1Gi"});
            }
            cpu += c["resources"]["cpu"].as_f64().ok_or_else(|| {
                invalid(format!(
                    "container '{cname}': resources.cpu must be a number."
                ))
            })?;
            let text = c["resources"]["memory"].as_str().unwrap_or("");
            memory += parse_memory_gib(text).ok_or_else(|| {
                invalid(format!(
                    "container '{cname}': resources.memory '{text}' is not like '2Gi' or '512Mi'."
                ))
            })?;
        }
        if let Err(why) = profile.fits(cpu, &format!("{memory}Gi")) {
            return Err(Failure::new(400, "ContainerAppInvalidResourceTotal", format!(
                "The total requested CPU and memory resources for this application (CPU: {cpu}, memory: {memory}Gi) is invalid: {why}.")));
        }
        let secrets = self.check_secrets(&mut props, name)?;
        normalize_scale_rules(&mut props);
        let env_id = env.id.clone();
        let domain = env.body["properties"]["defaultDomain"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let revision = format!(
            "{}--{}",
            name.to_ascii_lowercase(),
            &hex(&random_token(), 7)
        );
        let config = props.entry("configuration").or_insert_with(|| json!({}));
        if config.get("activeRevisionsMode").is_none() {
            config["activeRevisionsMode"] = json!("Single");
        }
        if let Some(ingress) = config.get_mut("ingress").filter(|i| i.is_object()) {
            ingress["fqdn"] = json!(format!("{}.{domain}", name.to_ascii_lowercase()));
            if ingress.get("transport").is_none() {
                ingress["transport"] = json!("auto");
            }
        }
        let fill = [
            ("provisioningState", json!("InProgress")),
            ("runningStatus", json!("Progressing")),
            ("managedEnvironmentId", json!(env_id)),
            ("environmentId", json!(env_id)),
            ("workloadProfileName", json!(profile.name)),
            ("latestRevisionName", json!(revision)),
            ("latestRevisionFqdn", json!(format!("{revision}.{domain}"))),
            (
                "customDomainVerificationId",
                json!(hex(&format!("{env_id}/verification"), 64).to_uppercase()),
            ),
            (
                "outboundIpAddresses",
                json!([env.body["properties"]["staticIp"]]),
            ),
            (
                "eventStreamEndpoint",
                json!(format!(
                    "https://{}.azurecontainerapps.dev{id}/eventstream",
                    crate::sim::state::normalize_location(&location)
                )),
            ),
        ];
        for (k, v) in fill {
            props.insert(k.into(), v);
        }
        let mut out = Map::new();
        out.insert("id".into(), json!(id));
        out.insert("name".into(), json!(name));
        out.insert("type".into(), json!(APPS_TYPE));
        for (k, v) in body {
            if !matches!(k.as_str(), "id" | "name" | "type") {
                out.insert(k, v);
            }
        }
        if let Some(identity) = out.get_mut("identity") {
            self.fill_identity(id, identity);
        }
        out.insert("properties".into(), Value::Object(props));
        Ok((Value::Object(out), secrets))
    }

    /// Checks secret references and strips inline values (GET never returns them).
    fn check_secrets(
        &self,
        props: &mut Map<String, Value>,
        name: &str,
    ) -> Result<BTreeMap<String, Secret>, Failure> {
        let mut values = BTreeMap::new();
        let mut names = Vec::new();
        if let Some(secrets) = props
            .get_mut("configuration")
            .and_then(|c| c.get_mut("secrets"))
            .and_then(Value::as_array_mut)
        {
            for s in secrets.iter_mut() {
                let sname = s["name"].as_str().unwrap_or("").to_string();
                if let Some(v) = s.as_object_mut().and_then(|m| m.remove("value")) {
                    values.insert(
                        sname.clone(),
                        Secret::new(v.as_str().unwrap_or("").to_string()),
                    );
                }
                names.push(sname);
            }
        }
        let template = props.get("template").cloned().unwrap_or(Value::Null);
        for c in template["containers"].as_array().into_iter().flatten() {
            for e in c["env"].as_array().into_iter().flatten() {
                if let Some(r) = e["secretRef"].as_str() {
                    if !names.iter().any(|n| n == r) {
                        return Err(Failure::new(400, "ContainerAppSecretRefNotFound", format!(
                            "Container app '{name}': environment variable '{}' refers to secret '{r}', which is not in properties.configuration.secrets.",
                            e["name"].as_str().unwrap_or(""))));
                    }
                }
            }
        }
        Ok(values)
    }

    fn fill_identity(&self, id: &str, identity: &mut Value) {
        let kind = identity["type"].as_str().unwrap_or("").to_string();
        if kind.contains("SystemAssigned") {
            identity["principalId"] = json!(guid(&format!("{id}/system")));
            identity["tenantId"] = json!(self.tenant_id);
        }
        if let Some(map) = identity
            .get_mut("userAssignedIdentities")
            .and_then(Value::as_object_mut)
        {
            for (uai, v) in map.iter_mut() {
                *v = json!({"principalId": guid(&format!("{uai}/principal")), "clientId": guid(&format!("{uai}/client"))});
            }
        }
    }
}

/// A `custom` scale rule of type `http` is answered as an `http` rule, as the service does.
fn normalize_scale_rules(props: &mut Map<String, Value>) {
    let rules = props
        .get_mut("template")
        .and_then(|t| t.get_mut("scale"))
        .and_then(|s| s.get_mut("rules"))
        .and_then(Value::as_array_mut);
    for rule in rules.into_iter().flatten() {
        let Some(map) = rule.as_object_mut() else {
            continue;
        };
        let is_http = map
            .get("custom")
            .is_some_and(|c| c["type"].as_str() == Some("http"));
        if is_http {
            if let Some(mut custom) = map.remove("custom") {
                if let Some(c) = custom.as_object_mut() {
                    c.remove("type");
                }
                map.insert("http".into(), custom);
            }
        }
    }
}
