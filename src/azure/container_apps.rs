//! Azure Container Apps (`Microsoft.App`, api-version 2026-01-01): create or update, read, delete
//! and list container apps; read a managed environment's workload profiles so validation can check
//! that an agent's size fits the profile it is placed on.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::arm::{self, decode_items, delete_and_wait, encode_error, get_optional, null_default};
use super::arm::{string_enum, DeleteOutcome, ResourceId};
use super::error::AzureError;
use super::lro::{get_all_pages, send_and_wait, LroOptions};
use super::pipeline::{ApiRequest, Pipeline, Service};

#[path = "container_apps_models.rs"]
mod models;
pub use models::*;

/// api-version of `Microsoft.App`.
pub const CONTAINER_APPS_API_VERSION: &str = "2026-01-01";

string_enum! {
    /// `workloadProfileType`: the size of a workload profile's nodes. `GeneralPurpose`,
    /// `MemoryOptimized` and `ComputeOptimized` are early names still found in the spec examples.
    WorkloadProfileType {
        Consumption = "Consumption",
        D4 = "D4",
        D8 = "D8",
        D16 = "D16",
        D32 = "D32",
        E4 = "E4",
        E8 = "E8",
        E16 = "E16",
        E32 = "E32",
        Nc24A100 = "NC24-A100",
        Nc48A100 = "NC48-A100",
        Nc96A100 = "NC96-A100",
        GeneralPurpose = "GeneralPurpose",
        MemoryOptimized = "MemoryOptimized",
        ComputeOptimized = "ComputeOptimized",
    }
}

/// vCPUs and memory a replica can have at most.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub cpu: f64,
    pub memory_gib: f64,
}

impl WorkloadProfileType {
    /// The most one replica can use on this profile, from the documented profile table
    /// (Consumption: 4 vCPU / 8 GiB per replica; dedicated: one node). `None` when unknown.
    pub fn capacity(&self) -> Option<Capacity> {
        let (cpu, memory_gib) = match self {
            Self::Consumption => (4.0, 8.0),
            Self::D4 => (4.0, 16.0),
            Self::D8 => (8.0, 32.0),
            Self::D16 => (16.0, 64.0),
            Self::D32 => (32.0, 128.0),
            Self::E4 => (4.0, 32.0),
            Self::E8 => (8.0, 64.0),
            Self::E16 => (16.0, 128.0),
            Self::E32 => (32.0, 256.0),
            Self::Nc24A100 => (24.0, 220.0),
            Self::Nc48A100 => (48.0, 440.0),
            Self::Nc96A100 => (96.0, 880.0),
            _ => return None,
        };
        Some(Capacity { cpu, memory_gib })
    }
}

/// A workload profile of a managed environment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadProfile {
    pub name: String,
    pub workload_profile_type: WorkloadProfileType,
    /// Nodes; absent for Consumption.
    #[serde(default)]
    pub minimum_count: Option<u32>,
    #[serde(default)]
    pub maximum_count: Option<u32>,
}

impl WorkloadProfile {
    /// Whether a replica of `cpu` cores and `memory` (`"2Gi"`, `"512Mi"`) fits this profile.
    /// `Err` says why not (or that the profile's size is unknown).
    pub fn fits(&self, cpu: f64, memory: &str) -> Result<(), String> {
        let memory_gib =
            parse_memory_gib(memory).ok_or_else(|| format!("memory {memory:?} is not N[Gi|Mi]"))?;
        let cap = self.workload_profile_type.capacity().ok_or_else(|| {
            format!(
                "workload profile {} has type {}, whose size is not known",
                self.name, self.workload_profile_type
            )
        })?;
        if cpu > cap.cpu || memory_gib > cap.memory_gib {
            return Err(format!(
                "{cpu} vCPU / {memory} does not fit workload profile {} ({}: {} vCPU / {} GiB)",
                self.name, self.workload_profile_type, cap.cpu, cap.memory_gib
            ));
        }
        if self.maximum_count == Some(0) {
            return Err(format!("workload profile {} has maximumCount 0", self.name));
        }
        Ok(())
    }
}

/// `"1Gi"`, `"0.5Gi"`, `"512Mi"`, `"1G"` → GiB.
pub fn parse_memory_gib(text: &str) -> Option<f64> {
    let t = text.trim();
    let (number, factor) = if let Some(n) = t.strip_suffix("Gi").or_else(|| t.strip_suffix('G')) {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix("Mi").or_else(|| t.strip_suffix('M')) {
        (n, 1.0 / 1024.0)
    } else {
        return None;
    };
    let n: f64 = number.trim().parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n * factor)
}

string_enum! {
    /// `properties.provisioningState` of a managed environment.
    EnvironmentProvisioningState {
        Succeeded = "Succeeded",
        Failed = "Failed",
        Canceled = "Canceled",
        Waiting = "Waiting",
        InitializationInProgress = "InitializationInProgress",
        InfrastructureSetupInProgress = "InfrastructureSetupInProgress",
        InfrastructureSetupComplete = "InfrastructureSetupComplete",
        ScheduledForDelete = "ScheduledForDelete",
        UpgradeRequested = "UpgradeRequested",
        UpgradeFailed = "UpgradeFailed",
    }
}

/// A managed environment (only what haymaker reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ManagedEnvironment {
    pub id: String,
    pub name: String,
    pub location: String,
    #[serde(default, deserialize_with = "null_default")]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub properties: ManagedEnvironmentProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedEnvironmentProperties {
    #[serde(default)]
    pub provisioning_state: Option<EnvironmentProvisioningState>,
    #[serde(default)]
    pub default_domain: Option<String>,
    #[serde(default)]
    pub static_ip: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub workload_profiles: Vec<WorkloadProfile>,
}

impl ManagedEnvironment {
    /// The workload profile called `name` (case-insensitive).
    pub fn workload_profile(&self, name: &str) -> Option<&WorkloadProfile> {
        self.properties
            .workload_profiles
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// Container Apps over the shared pipeline.
pub struct ContainerAppsClient {
    pipeline: Pipeline,
    lro: LroOptions,
}

impl ContainerAppsClient {
    pub fn new(pipeline: Pipeline) -> Self {
        Self {
            pipeline,
            lro: LroOptions::default(),
        }
    }

    /// How long-running creates and deletes are polled.
    pub fn with_lro_options(mut self, lro: LroOptions) -> Self {
        self.lro = lro;
        self
    }

    fn url(&self, sub: &str, rg: &str, tail: &[&str]) -> Result<url::Url, AzureError> {
        let segs = [
            "subscriptions",
            sub,
            "resourceGroups",
            rg,
            "providers",
            "Microsoft.App",
        ]
        .into_iter()
        .chain(tail.iter().copied());
        arm::url(
            &self.pipeline.options().arm_endpoint,
            segs,
            &[("api-version", CONTAINER_APPS_API_VERSION)],
        )
    }

    /// Creates or updates a container app and waits until the operation ends; returns the app as it
    /// then is. A failed provisioning is `AzureError::OperationFailed`.
    pub async fn create_or_update(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
        app: &ContainerApp,
    ) -> Result<ContainerApp, AzureError> {
        let body = serde_json::to_value(app).map_err(|e| encode_error(name, e))?;
        let url = self.url(subscription, resource_group, &["containerApps", name])?;
        send_and_wait(
            &self.pipeline,
            &ApiRequest::put(Service::Arm, url, body),
            &self.lro,
        )
        .await?
        .json()
    }

    /// Reads a container app; `None` when it does not exist.
    pub async fn get(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<Option<ContainerApp>, AzureError> {
        let url = self.url(subscription, resource_group, &["containerApps", name])?;
        get_optional(&self.pipeline, url).await
    }

    /// Deletes a container app and waits; not there = [`DeleteOutcome::AlreadyGone`].
    pub async fn delete(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<DeleteOutcome, AzureError> {
        let url = self.url(subscription, resource_group, &["containerApps", name])?;
        delete_and_wait(
            &self.pipeline,
            &ApiRequest::delete(Service::Arm, url),
            &self.lro,
        )
        .await
    }

    /// The container apps of a resource group (all pages).
    pub async fn list_by_resource_group(
        &self,
        subscription: &str,
        resource_group: &str,
    ) -> Result<Vec<ContainerApp>, AzureError> {
        let url = self.url(subscription, resource_group, &["containerApps"])?;
        let items = get_all_pages(&self.pipeline, &ApiRequest::get(Service::Arm, url)).await?;
        decode_items(items, "container apps")
    }

    /// Reads a managed environment; `None` when it does not exist.
    pub async fn get_managed_environment(
        &self,
        subscription: &str,
        resource_group: &str,
        name: &str,
    ) -> Result<Option<ManagedEnvironment>, AzureError> {
        let url = self.url(subscription, resource_group, &["managedEnvironments", name])?;
        get_optional(&self.pipeline, url).await
    }

    /// Reads a managed environment by its resource id (as in an app's `environmentId`).
    pub async fn get_managed_environment_by_id(
        &self,
        id: &str,
    ) -> Result<Option<ManagedEnvironment>, AzureError> {
        let parsed = ResourceId::parse(id)?;
        match (&parsed.subscription, &parsed.resource_group) {
            (Some(sub), Some(rg))
                if parsed
                    .full_type()
                    .eq_ignore_ascii_case("Microsoft.App/managedEnvironments") =>
            {
                self.get_managed_environment(sub, rg, &parsed.name).await
            }
            _ => Err(AzureError::Decode {
                path: id.to_string(),
                message: "not a managed environment id".into(),
            }),
        }
    }
}
