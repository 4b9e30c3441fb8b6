//! ARM resource management (`Microsoft.Resources`): resource groups, providers, and generic
//! resources by id with the provider's own api-version (looked up once and cached).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::arm::{
    self, decode_items, delete_and_wait, encode_error, get_optional, null_default,
    pick_api_version, string_enum, DeleteOutcome, ProvisioningState, ResourceId,
};
use super::error::AzureError;
use super::lro::{get_all_pages, send_and_wait, LroOptions};
use super::pipeline::{ApiRequest, Pipeline, Service};

/// api-version of `Microsoft.Resources` (resource groups, providers).
pub const RESOURCES_API_VERSION: &str = "2025-04-01";

/// What a resource group is created or updated with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceGroupSpec {
    pub location: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A resource group as ARM returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroup {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub resource_type: Option<String>,
    pub location: String,
    #[serde(default, deserialize_with = "null_default")]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub managed_by: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub properties: ResourceGroupProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupProperties {
    #[serde(default)]
    pub provisioning_state: Option<ProvisioningState>,
}

/// Resource types a resource-group delete may force-delete (`forceDeletionTypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForceDeletionType {
    VirtualMachines,
    VirtualMachineScaleSets,
}

impl ForceDeletionType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VirtualMachines => "Microsoft.Compute/virtualMachines",
            Self::VirtualMachineScaleSets => "Microsoft.Compute/virtualMachineScaleSets",
        }
    }
}

string_enum! {
    /// Whether the subscription may use a provider.
    RegistrationState {
        Registered = "Registered",
        Registering = "Registering",
        NotRegistered = "NotRegistered",
        Unregistering = "Unregistering",
    }
}

/// A resource provider (`GET /subscriptions/{s}/providers/{namespace}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    #[serde(default)]
    pub id: Option<String>,
    pub namespace: String,
    #[serde(default)]
    pub registration_state: Option<RegistrationState>,
    #[serde(default)]
    pub registration_policy: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub resource_types: Vec<ProviderResourceType>,
}

/// One type of a provider, with the api-versions it accepts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderResourceType {
    /// Below the namespace, child types included: `virtualNetworks/subnets`.
    pub resource_type: String,
    #[serde(default, deserialize_with = "null_default")]
    pub locations: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub api_versions: Vec<String>,
    #[serde(default)]
    pub capabilities: Option<String>,
}

/// Any resource, read by id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenericResource {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub managed_by: Option<String>,
    #[serde(default)]
    pub properties: Value,
}

#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
}

/// (subscription, namespace, type), lower-cased; subscription empty at tenant scope.
type CacheKey = (String, String, String);

/// ARM over the shared pipeline (base URL = the configured ARM endpoint).
pub struct ArmClient {
    pipeline: Pipeline,
    lro: LroOptions,
    api_versions: Mutex<HashMap<CacheKey, String>>,
}

impl ArmClient {
    pub fn new(pipeline: Pipeline) -> Self {
        Self {
            pipeline,
            lro: LroOptions::default(),
            api_versions: Mutex::new(HashMap::new()),
        }
    }

    /// How long-running deletes are polled.
    pub fn with_lro_options(mut self, lro: LroOptions) -> Self {
        self.lro = lro;
        self
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    fn url<'a>(
        &self,
        segments: impl IntoIterator<Item = &'a str>,
        query: &[(&str, &str)],
    ) -> Result<url::Url, AzureError> {
        arm::url(&self.pipeline.options().arm_endpoint, segments, query)
    }

    fn group_url(
        &self,
        subscription: &str,
        name: &str,
        extra: &[(&str, &str)],
    ) -> Result<url::Url, AzureError> {
        let mut query = extra.to_vec();
        query.push(("api-version", RESOURCES_API_VERSION));
        self.url(
            ["subscriptions", subscription, "resourcegroups", name],
            &query,
        )
    }

    /// Creates a resource group or updates its location-compatible settings and tags
    /// (`PUT /subscriptions/{s}/resourcegroups/{name}`; 200 or 201, synchronous).
    pub async fn create_or_update_resource_group(
        &self,
        subscription: &str,
        name: &str,
        spec: &ResourceGroupSpec,
    ) -> Result<ResourceGroup, AzureError> {
        let body = serde_json::to_value(spec).map_err(|e| encode_error(name, e))?;
        let url = self.group_url(subscription, name, &[])?;
        self.pipeline
            .send(&ApiRequest::put(Service::Arm, url, body))
            .await?
            .json()
    }

    /// Reads a resource group; `None` when it does not exist.
    pub async fn get_resource_group(
        &self,
        subscription: &str,
        name: &str,
    ) -> Result<Option<ResourceGroup>, AzureError> {
        let url = self.group_url(subscription, name, &[])?;
        get_optional(&self.pipeline, url).await
    }

    /// Deletes a resource group and everything in it, waiting for the operation (202 + `Location`).
    /// `force` lists the types to force-delete (`forceDeletionTypes`). A group that is not there is
    /// [`DeleteOutcome::AlreadyGone`].
    pub async fn delete_resource_group(
        &self,
        subscription: &str,
        name: &str,
        force: &[ForceDeletionType],
    ) -> Result<DeleteOutcome, AzureError> {
        let types: Vec<&str> = force.iter().map(|t| t.as_str()).collect();
        let joined = types.join(",");
        let extra: Vec<(&str, &str)> = if joined.is_empty() {
            vec![]
        } else {
            vec![("forceDeletionTypes", joined.as_str())]
        };
        let url = self.group_url(subscription, name, &extra)?;
        delete_and_wait(
            &self.pipeline,
            &ApiRequest::delete(Service::Arm, url),
            &self.lro,
        )
        .await
    }

    /// Resource groups carrying tag `key` = `value`
    /// (`$filter=tagName eq 'k' and tagValue eq 'v'`), all pages.
    pub async fn list_resource_groups_by_tag(
        &self,
        subscription: &str,
        key: &str,
        value: &str,
    ) -> Result<Vec<ResourceGroup>, AzureError> {
        let filter = format!(
            "tagName eq {} and tagValue eq {}",
            arm::odata_string(key),
            arm::odata_string(value)
        );
        let url = self.url(
            ["subscriptions", subscription, "resourcegroups"],
            &[
                ("$filter", filter.as_str()),
                ("api-version", RESOURCES_API_VERSION),
            ],
        )?;
        let items = get_all_pages(&self.pipeline, &ApiRequest::get(Service::Arm, url)).await?;
        decode_items(items, "resource groups")
    }

    /// A provider and its resource types (`subscription` `None`: the tenant-level provider).
    pub async fn get_provider(
        &self,
        subscription: Option<&str>,
        namespace: &str,
    ) -> Result<Provider, AzureError> {
        let mut segs = vec![];
        if let Some(s) = subscription {
            segs.extend(["subscriptions", s]);
        }
        segs.extend(["providers", namespace]);
        let url = self.url(segs, &[("api-version", RESOURCES_API_VERSION)])?;
        let provider: Provider = self
            .pipeline
            .send(&ApiRequest::get(Service::Arm, url))
            .await?
            .json()?;
        self.remember(subscription, namespace, &provider.resource_types);
        Ok(provider)
    }

    /// The resource types of a provider (`GET /subscriptions/{s}/providers/{ns}/resourceTypes`).
    pub async fn provider_resource_types(
        &self,
        subscription: &str,
        namespace: &str,
    ) -> Result<Vec<ProviderResourceType>, AzureError> {
        let url = self.url(
            [
                "subscriptions",
                subscription,
                "providers",
                namespace,
                "resourceTypes",
            ],
            &[("api-version", RESOURCES_API_VERSION)],
        )?;
        let page: Page<ProviderResourceType> = self
            .pipeline
            .send(&ApiRequest::get(Service::Arm, url))
            .await?
            .json()?;
        self.remember(Some(subscription), namespace, &page.value);
        Ok(page.value)
    }

    fn remember(
        &self,
        subscription: Option<&str>,
        namespace: &str,
        types: &[ProviderResourceType],
    ) {
        let mut cache = self.api_versions.lock().unwrap_or_else(|p| p.into_inner());
        for t in types {
            if let Some(v) = pick_api_version(&t.api_versions) {
                cache.insert(key(subscription, namespace, &t.resource_type), v);
            }
        }
    }

    /// The api-version to use for a resource: the newest stable one its provider lists for its type
    /// (else the newest preview), looked up once per (subscription, namespace, type).
    pub async fn api_version_for(&self, id: &ResourceId) -> Result<String, AzureError> {
        if id.is_resource_group() {
            return Ok(RESOURCES_API_VERSION.to_string());
        }
        let sub = id.subscription.as_deref();
        let k = key(sub, &id.namespace, &id.resource_type);
        let cached = || {
            let cache = self.api_versions.lock().unwrap_or_else(|p| p.into_inner());
            cache.get(&k).cloned()
        };
        if let Some(v) = cached() {
            return Ok(v);
        }
        self.get_provider(sub, &id.namespace).await?;
        cached().ok_or_else(|| AzureError::Decode {
            path: id.id.clone(),
            message: format!(
                "provider {} lists no api-version for type {}",
                id.namespace, id.resource_type
            ),
        })
    }

    async fn by_id_url(&self, id: &str) -> Result<url::Url, AzureError> {
        let parsed = ResourceId::parse(id)?;
        let version = self.api_version_for(&parsed).await?;
        self.url(arm::segments(id), &[("api-version", version.as_str())])
    }

    /// Reads any resource by id; `None` when it does not exist.
    pub async fn get_resource_by_id(
        &self,
        id: &str,
    ) -> Result<Option<GenericResource>, AzureError> {
        let url = self.by_id_url(id).await?;
        get_optional(&self.pipeline, url).await
    }

    /// Creates or replaces any resource by id (`PUT`, the provider's api-version) and waits for a
    /// long-running create; returns the resource as the service then describes it.
    pub async fn create_or_update_by_id(
        &self,
        id: &str,
        body: &Value,
    ) -> Result<Value, AzureError> {
        let url = self.by_id_url(id).await?;
        send_and_wait(
            &self.pipeline,
            &ApiRequest::put(Service::Arm, url, body.clone()),
            &self.lro,
        )
        .await?
        .json()
    }

    /// Deletes any resource by id and waits for the operation. Not there = [`DeleteOutcome::AlreadyGone`];
    /// a 409 (e.g. a dependency still in use) is returned as `AzureError::Http { status: 409, .. }`
    /// so the caller can retry after deleting the dependant.
    pub async fn delete_resource_by_id(&self, id: &str) -> Result<DeleteOutcome, AzureError> {
        let url = self.by_id_url(id).await?;
        delete_and_wait(
            &self.pipeline,
            &ApiRequest::delete(Service::Arm, url),
            &self.lro,
        )
        .await
    }
}

fn key(subscription: Option<&str>, namespace: &str, resource_type: &str) -> CacheKey {
    (
        subscription.unwrap_or("").to_ascii_lowercase(),
        namespace.to_ascii_lowercase(),
        resource_type.to_ascii_lowercase(),
    )
}
