//! The simulated world, in memory behind one `Mutex`: the tenant, its principals and the tokens
//! issued to them, subscriptions, resource groups, generic resources by id, and long-running
//! operations. Every decision about Azure's behaviour is made on [`World`], as plain methods that
//! return the answer or a [`Failure`] (status, code, message): tokens here, groups and operations in
//! [`super::groups`], generic resources in [`super::resources`], token issuance in [`super::tokens`];
//! the HTTP modules only translate.
//! Graph's directory is in [`super::graph::directory`], the vault's secrets in
//! [`super::keyvault::vault`], RBAC in [`super::rbac`], ARM's rate limits in [`super::throttle`].
//!
//! Keys are lower case where Azure compares case-insensitively (subscription ids, group names,
//! resource ids); the values keep the case they were created with.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::env::SimIdentity;
use super::graph::directory::Directory;
use super::keyvault::vault::Vault;
use crate::config::Secret;

/// Behaviour knobs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Polls of a long-running operation answered "still running" before it completes.
    pub lro_polls: u32,
    /// `Retry-After` (seconds) on accepted operations and their polls; the Azure CLI waits 30 s
    /// between polls when it is absent.
    pub retry_after_secs: u64,
    /// Lifetime of issued tokens, in seconds (Entra answers 3599).
    pub token_lifetime_secs: i64,
    /// How much faster than Azure the simulated world runs: LRO durations, `Retry-After` values,
    /// the RBAC propagation delay and throttle refills are scaled by it ([`SimConfig::scaled`]).
    pub speed: f64,
    /// How long a new role assignment takes to take effect, at speed 1.
    pub rbac_propagation: std::time::Duration,
    /// How long deleting a resource group takes, at speed 1.
    pub group_delete_duration: std::time::Duration,
    /// ARM's request limits ([`super::throttle`]).
    pub throttle: super::throttle::ThrottleLimits,
    /// Injected failures and latency (`--faults`); `None`: none.
    pub faults: Option<super::faults::FaultSpec>,
    /// How long a Key Vault secret stays *being deleted* (or *being recovered*), answering 409.
    pub key_vault_transition_ms: u64,
    /// How many subscriptions the tenant has (`--subscriptions`; ids derive from port and index).
    pub subscriptions: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            lro_polls: 1,
            retry_after_secs: 1,
            token_lifetime_secs: 3599,
            speed: 1.0,
            rbac_propagation: std::time::Duration::from_secs(2),
            group_delete_duration: std::time::Duration::from_secs(15),
            throttle: super::throttle::ThrottleLimits::default(),
            faults: None,
            key_vault_transition_ms: 2000,
            subscriptions: super::env::SUBSCRIPTION_COUNT,
        }
    }
}

/// An error answer: HTTP status, service error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn subscription_not_found(id: &str) -> Self {
        Self::new(
            404,
            "SubscriptionNotFound",
            format!("The subscription '{id}' could not be found."),
        )
    }

    pub fn group_not_found(name: &str) -> Self {
        Self::new(
            404,
            "ResourceGroupNotFound",
            format!("Resource group '{name}' could not be found."),
        )
    }

    pub fn group_being_deleted(name: &str) -> Self {
        Self::new(
            409,
            "ResourceGroupBeingDeleted",
            format!(
                "The resource group '{name}' is in deprovisioning state and cannot perform this operation."
            ),
        )
    }
}

/// Which service a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Arm,
    Graph,
    KeyVault,
    /// Azure Storage (`https://storage.azure.com`): tokens for Azurite in OAuth mode.
    Storage,
    /// Azure Monitor (`https://monitor.azure.com`): the Logs Ingestion API.
    Monitor,
}

/// An app registration with a client secret.
#[derive(Debug, Clone)]
pub struct Principal {
    pub client_id: String,
    pub secret: Secret,
    pub object_id: String,
    pub display_name: String,
}

/// A token handed out by the token endpoint. The token itself is the map key and is never logged.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub client_id: String,
    pub audience: Audience,
    /// The resource as requested (the scope without `/.default`).
    pub resource: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    Unknown,
    Expired(DateTime<Utc>),
    WrongAudience(String),
}

/// Why the token endpoint refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    UnknownClient,
    BadSecret,
}

#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub display_name: String,
    pub state: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisioningState {
    Succeeded,
    Deleting,
}

impl ProvisioningState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisioningState::Succeeded => "Succeeded",
            ProvisioningState::Deleting => "Deleting",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ResourceGroup {
    /// Lower-case subscription id.
    pub subscription: String,
    pub name: String,
    pub location: String,
    pub tags: Map<String, Value>,
    pub managed_by: Option<String>,
    pub state: ProvisioningState,
}

impl ResourceGroup {
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.subscription, self.name
        )
    }
}

/// A resource of any `Namespace/type`, stored as the representation GET returns.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Canonical id (the case of its first PUT).
    pub id: String,
    /// `Namespace/type[/childType…]`.
    pub resource_type: String,
    /// The api-version of the last PUT.
    pub api_version: String,
    pub body: Value,
}

/// What a long-running operation does when it completes.
#[derive(Debug, Clone)]
pub enum OperationKind {
    /// Removes the group and everything in it.
    DeleteResourceGroup { group: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationStatus {
    InProgress,
    Succeeded,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    /// Lower-case subscription id the operation belongs to.
    pub subscription: String,
    pub kind: OperationKind,
    pub polls_left: u32,
    pub status: OperationStatus,
}

/// The whole simulated cloud.
pub struct World {
    pub config: SimConfig,
    pub tenant_id: String,
    /// By lower-case client id.
    pub principals: BTreeMap<String, Principal>,
    pub tokens: HashMap<String, IssuedToken>,
    /// Signs tokens so that those issued before a restart (and cached by clients) stay valid.
    pub(super) token_key: [u8; 32],
    /// By lower-case id.
    pub subscriptions: BTreeMap<String, Subscription>,
    /// By (lower-case subscription id, lower-case name).
    pub groups: BTreeMap<(String, String), ResourceGroup>,
    /// By lower-case id.
    pub resources: BTreeMap<String, Resource>,
    pub operations: HashMap<String, Operation>,
    /// The time of the request being served ([`World::settle`] sets it).
    pub now: DateTime<Utc>,
    /// Operation id → the earliest time it may complete ([`World::delay_operation`]).
    pub operation_ready_at: HashMap<String, DateTime<Utc>>,
    /// By lower-case assignment id ([`super::rbac`]).
    pub role_assignments: BTreeMap<String, super::rbac::RoleAssignment>,
    /// ARM's token buckets ([`super::throttle`]).
    pub throttle: super::throttle::Throttle,
    /// Graph's applications, service principals and deleted items ([`super::graph::directory`]).
    pub directory: Directory,
    /// The Key Vault's secrets ([`super::keyvault::vault`]).
    pub vault: Vault,
    /// Resource Graph's per-principal query quota.
    pub resource_graph_quota: super::resource_graph::Quota,
    /// Container Apps' operations and the inline secret values GET never shows.
    pub container_apps: super::container_apps::AppsState,
    /// Records the Logs Ingestion endpoint accepted ([`super::logs_ingestion`]).
    pub logs: super::logs_ingestion::Ingested,
    /// Every secret handed out or stored ([`super::issued`]).
    pub issued: super::issued::IssuedSecrets,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("tenant_id", &self.tenant_id)
            .field("subscriptions", &self.subscriptions.len())
            .field("groups", &self.groups.len())
            .field("resources", &self.resources.len())
            .field("operations", &self.operations.len())
            .finish_non_exhaustive()
    }
}

/// `East US` → `eastus`, as ARM normalises locations.
pub fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// A random opaque string (tokens, operation ids).
pub fn random_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl World {
    /// `token_key`: the key tokens are signed with; the same key accepts tokens of earlier runs.
    pub fn new(identity: &SimIdentity, config: SimConfig, token_key: [u8; 32]) -> Self {
        let mut principals = BTreeMap::new();
        principals.insert(
            identity.client_id.to_ascii_lowercase(),
            Principal {
                client_id: identity.client_id.clone(),
                secret: identity.client_secret.clone(),
                object_id: identity.principal_object_id.clone(),
                display_name: "haymaker-orchestrator".into(),
            },
        );
        let subscriptions = identity
            .subscriptions
            .iter()
            .map(|s| {
                (
                    s.id.to_ascii_lowercase(),
                    Subscription {
                        id: s.id.to_ascii_lowercase(),
                        display_name: s.display_name.clone(),
                        state: "Enabled".into(),
                    },
                )
            })
            .collect();
        let mut world = Self {
            config,
            tenant_id: identity.tenant_id.clone(),
            principals,
            tokens: HashMap::new(),
            token_key,
            subscriptions,
            groups: BTreeMap::new(),
            resources: BTreeMap::new(),
            operations: HashMap::new(),
            now: Utc::now(),
            operation_ready_at: HashMap::new(),
            role_assignments: BTreeMap::new(),
            throttle: super::throttle::Throttle::default(),
            directory: Directory::seeded(identity, Utc::now()),
            vault: Vault::default(),
            resource_graph_quota: Default::default(),
            container_apps: Default::default(),
            logs: Default::default(),
            issued: Default::default(),
        };
        world.issued.record(
            super::issued::SecretKind::ClientSecret,
            &identity.client_secret,
        );
        world.seed_owner(&identity.principal_object_id);
        world
    }

    /// Housekeeping before each request: sets the clock to `now`, forgets tokens long expired.
    pub fn settle(&mut self, now: DateTime<Utc>) {
        self.now = now;
        let horizon = now - Duration::hours(1);
        self.tokens.retain(|_, t| t.expires_at > horizon);
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
