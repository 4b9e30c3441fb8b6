//! The `Microsoft.App` shapes haymaker writes and reads (api-version 2026-01-01). Fields it does not
//! model (ingress, dapr, probes, volumes, …) are ignored when reading and never written.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::azure::arm::{null_default, string_enum};
use crate::config::Secret;

string_enum! {
    /// `properties.provisioningState` of a container app.
    ContainerAppProvisioningState {
        InProgress = "InProgress",
        Succeeded = "Succeeded",
        Failed = "Failed",
        Canceled = "Canceled",
        Deleting = "Deleting",
    }
}

string_enum! {
    /// `properties.runningStatus` of a container app.
    RunningStatus {
        Progressing = "Progressing",
        Running = "Running",
        Stopped = "Stopped",
        Suspended = "Suspended",
        Ready = "Ready",
    }
}

string_enum! {
    /// Which managed identities a resource has.
    IdentityType {
        None = "None",
        SystemAssigned = "SystemAssigned",
        UserAssigned = "UserAssigned",
        SystemAndUserAssigned = "SystemAssigned,UserAssigned",
    }
}

/// A container app: what is PUT, and what GET returns. Read-only fields are `None` in a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerApp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub location: String,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<ManagedIdentity>,
    #[serde(default)]
    pub properties: ContainerAppProperties,
}

impl ContainerApp {
    /// A new app in `location` on the environment `environment_id`.
    pub fn new(location: &str, environment_id: &str) -> Self {
        Self {
            id: None,
            name: None,
            location: location.to_string(),
            tags: BTreeMap::new(),
            identity: None,
            properties: ContainerAppProperties {
                environment_id: Some(environment_id.to_string()),
                ..Default::default()
            },
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerAppProperties {
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ContainerAppProvisioningState>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_status: Option<RunningStatus>,
    /// Read-only. Not every answer has it (the spec examples do not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_revision_name: Option<String>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_ready_revision_name: Option<String>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_revision_fqdn: Option<String>,
    /// Read-only; the service's name for the environment in answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_environment_id: Option<String>,
    /// The managed environment the app runs in (written on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_profile_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Configuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Template>,
}

/// `properties.configuration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub secrets: Vec<AppSecret>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub registries: Vec<Registry>,
}

/// An app secret: a Key Vault reference (`keyVaultUrl` + `identity`) or an inline value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSecret {
    pub name: String,
    /// Inline value; never printed by `Debug`. GET answers do not return it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose_secret",
        deserialize_with = "read_secret"
    )]
    pub value: Option<Secret>,
    /// `https://{vault}.vault.azure.net/secrets/{name}[/{version}]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_vault_url: Option<String>,
    /// The identity that reads the vault: a user-assigned identity's resource id, or `system`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

impl AppSecret {
    /// A secret the app reads from Key Vault with `identity`.
    pub fn key_vault(name: &str, key_vault_url: &str, identity: &str) -> Self {
        Self {
            name: name.to_string(),
            value: None,
            key_vault_url: Some(key_vault_url.to_string()),
            identity: Some(identity.to_string()),
        }
    }

    /// A secret stored in the app itself.
    pub fn inline(name: &str, value: Secret) -> Self {
        Self {
            name: name.to_string(),
            value: Some(value),
            key_vault_url: None,
            identity: None,
        }
    }
}

fn expose_secret<S: Serializer>(value: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(v.expose()),
        None => s.serialize_none(),
    }
}

fn read_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::new))
}

/// A container registry the app pulls from (with a managed identity, or a password secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registry {
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<String>,
}

/// `properties.template`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    #[serde(default, deserialize_with = "null_default")]
    pub containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
}

/// One container of the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub command: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub args: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub env: Vec<EnvVar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

/// An environment variable: a plain value, or a reference to an app secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<String>,
}

impl EnvVar {
    /// A plain value (not secret: it is visible in the app's definition).
    pub fn value(name: &str, value: &str) -> Self {
        Self {
            name: name.to_string(),
            value: Some(value.to_string()),
            secret_ref: None,
        }
    }

    /// The value of the app secret `secret_name`.
    pub fn secret(name: &str, secret_name: &str) -> Self {
        Self {
            name: name.to_string(),
            value: None,
            secret_ref: Some(secret_name.to_string()),
        }
    }
}

/// CPU cores and memory (`"1Gi"`, `"0.5Gi"`) of a container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    pub cpu: f64,
    pub memory: String,
}

/// Replica bounds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scale {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<u32>,
}

/// A managed identity block (`identity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedIdentity {
    #[serde(rename = "type")]
    pub identity_type: IdentityType,
    /// Read-only: the system-assigned identity's object id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Keyed by the user-assigned identity's resource id; written as `{}`.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub user_assigned_identities: BTreeMap<String, UserAssignedIdentity>,
}

/// A user-assigned identity as attached to a resource (both fields read-only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}
