//! The engine's ports on the real clients: Resource Graph for discovery, ARM by id for the scope
//! guard and the deletes, RBAC, Microsoft Graph and Key Vault for the identities. All but Key Vault
//! go through the one pipeline (rate limits per subscription and principal, retries, breaker).

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;

use super::model::{is_group_id, Found, RunFilter, RunPrincipal, SubscriptionInventory};
use super::ports::{ArmOps, IdentityOps, Inventory, PrincipalPresence};
use super::{TAG_MANAGED, TAG_RUN_ID};
use crate::azure::arm::{self, DeleteOutcome, ResourceId};
use crate::azure::authorization::{AuthorizationClient, AUTHORIZATION_API_VERSION};
use crate::azure::graph::{GraphClient, GraphOptions};
use crate::azure::keyvault::SecretsClient;
use crate::azure::resource_graph::{GraphQuery, ResourceGraphClient, ResourceRow};
use crate::azure::resources::ArmClient;
use crate::azure::{ApiRequest, AzureError, Pipeline, Service};

/// A KQL string literal.
fn kql(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

const PROJECT: &str = "| project id, name, type, resourceGroup, subscriptionId, tags";

/// Discovery through Resource Graph, one subscription per query (so one subscription's failure
/// stays its own), all pages.
pub struct GraphInventory {
    client: ResourceGraphClient,
}

impl GraphInventory {
    pub fn new(pipeline: Pipeline) -> Self {
        Self {
            client: ResourceGraphClient::new(pipeline),
        }
    }

    async fn rows(&self, subscription: &str, query: String) -> Result<Vec<Found>, AzureError> {
        let q = GraphQuery::new(&[subscription], &query);
        Ok(self
            .client
            .resources(&q)
            .await?
            .into_iter()
            .map(found)
            .collect())
    }
}

fn found(row: ResourceRow) -> Found {
    let resource_type = if is_group_id(&row.id) {
        "Microsoft.Resources/resourceGroups".to_string()
    } else {
        row.resource_type.clone().unwrap_or_default()
    };
    Found {
        id: row.id,
        resource_type,
        tags: row.tags,
    }
}

#[async_trait]
impl Inventory for GraphInventory {
    async fn discover(
        &self,
        subscription: &str,
        filter: RunFilter,
    ) -> Result<SubscriptionInventory, AzureError> {
        let condition = match filter {
            RunFilter::Run(run) => {
                format!("tags[{}] =~ {}", kql(TAG_RUN_ID), kql(&run.to_string()))
            }
            RunFilter::AllManaged => format!("tags[{}] =~ 'true'", kql(TAG_MANAGED)),
        };
        let resources = self
            .rows(
                subscription,
                format!("Resources | where {condition} {PROJECT}"),
            )
            .await?;
        let groups = self
            .rows(
                subscription,
                format!(
                    "ResourceContainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups' | where {condition} {PROJECT}"
                ),
            )
            .await?;
        let mut members = Vec::new();
        if matches!(filter, RunFilter::Run(_)) && !groups.is_empty() {
            let names: Vec<String> = groups
                .iter()
                .filter_map(|g| g.group())
                .map(|n| kql(&n))
                .collect();
            members = self
                .rows(
                    subscription,
                    format!(
                        "Resources | where resourceGroup in~ ({}) {PROJECT}",
                        names.join(", ")
                    ),
                )
                .await?;
        }
        Ok(SubscriptionInventory {
            subscription: subscription.to_string(),
            resources,
            groups,
            members,
        })
    }
}

/// ARM by id: resource groups through the resource-group operations, everything else generically
/// with the provider's api-version.
pub struct AzureArm {
    client: ArmClient,
}

impl AzureArm {
    pub fn new(client: ArmClient) -> Self {
        Self { client }
    }
}

/// A provider that lists no api-version for a type has no resource of that type: gone.
fn type_unknown(e: &AzureError) -> bool {
    matches!(e, AzureError::Decode { message, .. } if message.contains("lists no api-version"))
}

fn group_parts(id: &str) -> Result<(String, String), AzureError> {
    let parsed = ResourceId::parse(id)?;
    match (parsed.subscription, parsed.resource_group) {
        (Some(s), Some(g)) => Ok((s, g)),
        _ => Err(AzureError::Decode {
            path: id.to_string(),
            message: "not a resource group id".into(),
        }),
    }
}

#[async_trait]
impl ArmOps for AzureArm {
    async fn read_tags(&self, id: &str) -> Result<Option<BTreeMap<String, String>>, AzureError> {
        if is_group_id(id) {
            let (sub, name) = group_parts(id)?;
            return Ok(self
                .client
                .get_resource_group(&sub, &name)
                .await?
                .map(|g| g.tags));
        }
        match self.client.get_resource_by_id(id).await {
            Ok(r) => Ok(r.map(|r| r.tags)),
            Err(e) if type_unknown(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, id: &str) -> Result<DeleteOutcome, AzureError> {
        if is_group_id(id) {
            let (sub, name) = group_parts(id)?;
            return self.client.delete_resource_group(&sub, &name, &[]).await;
        }
        match self.client.delete_resource_by_id(id).await {
            Err(e) if type_unknown(&e) => Ok(DeleteOutcome::AlreadyGone),
            other => other,
        }
    }
}

/// RBAC, Microsoft Graph and (when a vault is configured) Key Vault.
pub struct AzureIdentities {
    pipeline: Pipeline,
    graph: GraphClient,
    rbac: AuthorizationClient,
    secrets: Option<SecretsClient>,
}

impl AzureIdentities {
    pub fn new(pipeline: Pipeline, secrets: Option<SecretsClient>) -> Self {
        Self {
            graph: GraphClient::new(pipeline.clone(), GraphOptions::default()),
            rbac: AuthorizationClient::new(pipeline.clone()),
            pipeline,
            secrets,
        }
    }

    fn vault(&self) -> Result<&SecretsClient, AzureError> {
        self.secrets.as_ref().ok_or_else(|| AzureError::Decode {
            path: "/secrets".into(),
            message: "KEY_VAULT_URL is not set, so the run's secrets cannot be deleted; set it"
                .into(),
        })
    }
}

fn ok_if_gone(result: Result<bool, AzureError>) -> Result<(), AzureError> {
    result.map(|_| ())
}

#[async_trait]
impl IdentityOps for AzureIdentities {
    async fn find_principals(&self, prefix: &str) -> Result<Vec<RunPrincipal>, AzureError> {
        let apps = self.graph.find_applications(prefix).await?;
        let sps = self.graph.find_service_principals(prefix).await?;
        let mut by_app: HashMap<String, RunPrincipal> = HashMap::new();
        for a in apps {
            by_app.insert(
                a.app_id.to_ascii_lowercase(),
                RunPrincipal {
                    app_object_id: Some(a.id),
                    sp_object_id: None,
                    app_id: a.app_id,
                    display_name: a.display_name,
                },
            );
        }
        for s in sps {
            by_app
                .entry(s.app_id.to_ascii_lowercase())
                .or_insert_with(|| RunPrincipal {
                    app_id: s.app_id.clone(),
                    display_name: s.display_name.clone(),
                    ..Default::default()
                })
                .sp_object_id = Some(s.id);
        }
        let mut out: Vec<RunPrincipal> = by_app.into_values().collect();
        out.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        Ok(out)
    }

    async fn role_assignments_of(
        &self,
        subscription: &str,
        principal: &str,
    ) -> Result<Vec<String>, AzureError> {
        let scope = format!("/subscriptions/{subscription}");
        let found = self
            .rbac
            .list_role_assignments_for_principal(&scope, principal)
            .await?;
        Ok(found.into_iter().map(|a| a.id).collect())
    }

    async fn delete_role_assignment(&self, id: &str) -> Result<(), AzureError> {
        self.rbac.delete_role_assignment_by_id(id).await.map(|_| ())
    }

    async fn role_assignment_exists(&self, id: &str) -> Result<bool, AzureError> {
        let url = arm::url(
            &self.pipeline.options().arm_endpoint,
            arm::segments(id),
            &[("api-version", AUTHORIZATION_API_VERSION)],
        )?;
        Ok(arm::found(
            self.pipeline
                .send(&ApiRequest::get(Service::Arm, url))
                .await,
        )?
        .is_some())
    }

    async fn delete_service_principal(&self, object_id: &str) -> Result<(), AzureError> {
        ok_if_gone(self.graph.delete_service_principal(object_id).await)
    }

    async fn delete_application(&self, object_id: &str) -> Result<(), AzureError> {
        ok_if_gone(self.graph.delete_application(object_id).await)
    }

    async fn purge_deleted(&self, object_id: &str) -> Result<(), AzureError> {
        ok_if_gone(self.graph.purge_deleted_item(object_id).await)
    }

    async fn principal_presence(&self, p: &RunPrincipal) -> Result<PrincipalPresence, AzureError> {
        let same = |app_id: &str| app_id.eq_ignore_ascii_case(&p.app_id);
        let apps = self.graph.find_applications(&p.display_name).await?;
        let sps = self.graph.find_service_principals(&p.display_name).await?;
        Ok(PrincipalPresence {
            application: apps
                .iter()
                .any(|a| same(&a.app_id) || Some(&a.id) == p.app_object_id.as_ref()),
            service_principal: sps
                .iter()
                .any(|s| same(&s.app_id) || Some(&s.id) == p.sp_object_id.as_ref()),
        })
    }

    async fn delete_secret(&self, name: &str) -> Result<(), AzureError> {
        let vault = self.vault()?;
        vault.delete(name).await?;
        vault.purge(name).await.map(|_| ())
    }

    async fn secret_exists(&self, name: &str) -> Result<bool, AzureError> {
        let vault = self.vault()?;
        Ok(vault.get(name, None).await?.is_some() || vault.get_deleted(name).await?.is_some())
    }
}

/// The three ports on one connection.
pub struct AzurePorts {
    pub inventory: GraphInventory,
    pub arm: AzureArm,
    pub identities: AzureIdentities,
}

impl AzurePorts {
    /// On `pipeline`, with Key Vault at `vault` (built by the caller from the same connection).
    pub fn new(pipeline: Pipeline, vault: Option<SecretsClient>) -> Self {
        Self {
            inventory: GraphInventory::new(pipeline.clone()),
            arm: AzureArm::new(ArmClient::new(pipeline.clone())),
            identities: AzureIdentities::new(pipeline, vault),
        }
    }

    /// From a connection (`AzureConnection::from_settings`) and the vault URL (`KEY_VAULT_URL`).
    pub fn from_connection(
        connection: &crate::azure::identity::AzureConnection,
        vault: Option<&url::Url>,
    ) -> Result<Self, AzureError> {
        let secrets = vault.map(|v| connection.secrets(v)).transpose()?;
        Ok(Self::new(connection.pipeline(), secrets))
    }

    pub fn ports(&self) -> super::engine::Ports<'_> {
        super::engine::Ports {
            inventory: &self.inventory,
            arm: &self.arm,
            identities: &self.identities,
        }
    }
}
