//! The simulated world, in memory behind one `Mutex`: the tenant, its principals and the tokens
//! issued to them, subscriptions, resource groups, generic resources by id, and long-running
//! operations. Every decision about Azure's behaviour is made here, as plain methods that return
//! the answer or a [`Failure`] (status, code, message); the HTTP modules only translate.
//!
//! Keys are lower case where Azure compares case-insensitively (subscription ids, group names,
//! resource ids); the values keep the case they were created with.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::env::SimIdentity;
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
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            lro_polls: 1,
            retry_after_secs: 1,
            token_lifetime_secs: 3599,
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
#[derive(Debug)]
pub struct World {
    pub config: SimConfig,
    pub tenant_id: String,
    /// By lower-case client id.
    pub principals: BTreeMap<String, Principal>,
    pub tokens: HashMap<String, IssuedToken>,
    /// By lower-case id.
    pub subscriptions: BTreeMap<String, Subscription>,
    /// By (lower-case subscription id, lower-case name).
    pub groups: BTreeMap<(String, String), ResourceGroup>,
    /// By lower-case id.
    pub resources: BTreeMap<String, Resource>,
    pub operations: HashMap<String, Operation>,
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
    pub fn new(identity: &SimIdentity, config: SimConfig) -> Self {
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
        Self {
            config,
            tenant_id: identity.tenant_id.clone(),
            principals,
            tokens: HashMap::new(),
            subscriptions,
            groups: BTreeMap::new(),
            resources: BTreeMap::new(),
            operations: HashMap::new(),
        }
    }

    /// Housekeeping before each request: forget tokens long expired.
    pub fn settle(&mut self, now: DateTime<Utc>) {
        let horizon = now - Duration::hours(1);
        self.tokens.retain(|_, t| t.expires_at > horizon);
    }

    // ---- tokens ----

    /// Client-credentials grant: checks the secret and issues an opaque token.
    pub fn issue_token(
        &mut self,
        client_id: &str,
        secret: &str,
        audience: Audience,
        resource: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, i64), TokenError> {
        let principal = self
            .principals
            .get(&client_id.to_ascii_lowercase())
            .ok_or(TokenError::UnknownClient)?;
        if principal.secret.expose() != secret {
            return Err(TokenError::BadSecret);
        }
        let token = random_token();
        let lifetime = self.config.token_lifetime_secs;
        self.tokens.insert(
            token.clone(),
            IssuedToken {
                client_id: principal.client_id.clone(),
                audience,
                resource: resource.to_string(),
                expires_at: now + Duration::seconds(lifetime),
            },
        );
        Ok((token, lifetime))
    }

    /// The token's grant, if it is one of ours, unexpired and for `audience`.
    pub fn bearer(
        &self,
        token: &str,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<&IssuedToken, BearerError> {
        let issued = self.tokens.get(token).ok_or(BearerError::Unknown)?;
        if issued.expires_at <= now {
            return Err(BearerError::Expired(issued.expires_at));
        }
        if issued.audience != audience {
            return Err(BearerError::WrongAudience(issued.resource.clone()));
        }
        Ok(issued)
    }

    // ---- subscriptions and resource groups ----

    pub fn subscription(&self, id: &str) -> Result<&Subscription, Failure> {
        self.subscriptions
            .get(&id.to_ascii_lowercase())
            .ok_or_else(|| Failure::subscription_not_found(id))
    }

    fn group_key(subscription: &str, name: &str) -> (String, String) {
        (subscription.to_ascii_lowercase(), name.to_ascii_lowercase())
    }

    pub fn group(&self, subscription: &str, name: &str) -> Result<&ResourceGroup, Failure> {
        self.subscription(subscription)?;
        self.groups
            .get(&Self::group_key(subscription, name))
            .ok_or_else(|| Failure::group_not_found(name))
    }

    /// A group that exists and is not being deleted (what a write inside it needs).
    pub fn live_group(&self, subscription: &str, name: &str) -> Result<&ResourceGroup, Failure> {
        let group = self.group(subscription, name)?;
        if group.state == ProvisioningState::Deleting {
            return Err(Failure::group_being_deleted(&group.name));
        }
        Ok(group)
    }

    /// Creates or updates a group; `true` when it was created.
    pub fn put_group(
        &mut self,
        subscription: &str,
        name: &str,
        location: &str,
        tags: Map<String, Value>,
        managed_by: Option<String>,
    ) -> Result<(bool, ResourceGroup), Failure> {
        let sub = self.subscription(subscription)?.id.clone();
        let location = normalize_location(location);
        let key = Self::group_key(&sub, name);
        if let Some(existing) = self.groups.get_mut(&key) {
            if existing.state == ProvisioningState::Deleting {
                return Err(Failure::group_being_deleted(&existing.name));
            }
            if existing.location != location {
                return Err(Failure::new(
                    409,
                    "InvalidResourceGroupLocation",
                    format!(
                        "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                        existing.location
                    ),
                ));
            }
            existing.tags = tags;
            existing.managed_by = managed_by;
            return Ok((false, existing.clone()));
        }
        let group = ResourceGroup {
            subscription: sub,
            name: name.to_string(),
            location,
            tags,
            managed_by,
            state: ProvisioningState::Succeeded,
        };
        self.groups.insert(key, group.clone());
        Ok((true, group))
    }

    /// Groups of a subscription in name order, those carrying `tag` (name, and value if given) only
    /// when one is given. Tag names compare case-insensitively, values exactly.
    pub fn list_groups(
        &self,
        subscription: &str,
        tag: Option<(&str, Option<&str>)>,
    ) -> Result<Vec<&ResourceGroup>, Failure> {
        let sub = self.subscription(subscription)?.id.clone();
        Ok(self
            .groups
            .iter()
            .filter(|((s, _), _)| *s == sub)
            .map(|(_, g)| g)
            .filter(|g| match tag {
                None => true,
                Some((name, value)) => g.tags.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case(name)
                        && value.is_none_or(|want| v.as_str() == Some(want))
                }),
            })
            .collect())
    }

    /// Starts deleting a group: it turns `Deleting` and an operation is queued that removes it and
    /// everything in it. Deleting a group already being deleted returns the running operation.
    pub fn begin_delete_group(
        &mut self,
        subscription: &str,
        name: &str,
    ) -> Result<String, Failure> {
        let key = {
            let group = self.group(subscription, name)?;
            Self::group_key(&group.subscription, &group.name)
        };
        let running = self.operations.values().find(|op| {
            op.status == OperationStatus::InProgress
                && matches!(&op.kind, OperationKind::DeleteResourceGroup { group } if *group == key.1)
                && op.subscription == key.0
        });
        if let Some(op) = running {
            return Ok(op.id.clone());
        }
        let group = self.groups.get_mut(&key).expect("found above");
        group.state = ProvisioningState::Deleting;
        let id = random_token();
        self.operations.insert(
            id.clone(),
            Operation {
                id: id.clone(),
                subscription: key.0.clone(),
                kind: OperationKind::DeleteResourceGroup { group: key.1 },
                polls_left: self.config.lro_polls,
                status: OperationStatus::InProgress,
            },
        );
        Ok(id)
    }

    /// One poll of an operation: it completes once its polls are used up.
    pub fn poll_operation(
        &mut self,
        subscription: &str,
        id: &str,
    ) -> Result<OperationStatus, Failure> {
        let sub = self.subscription(subscription)?.id.clone();
        let op = self
            .operations
            .get_mut(id)
            .filter(|op| op.subscription == sub)
            .ok_or_else(|| {
                Failure::new(
                    404,
                    "OperationNotFound",
                    "The operation could not be found.",
                )
            })?;
        if op.status == OperationStatus::InProgress {
            if op.polls_left > 0 {
                op.polls_left -= 1;
                return Ok(OperationStatus::InProgress);
            }
            op.status = OperationStatus::Succeeded;
            let op = op.clone();
            self.complete(&op);
        }
        Ok(OperationStatus::Succeeded)
    }

    fn complete(&mut self, op: &Operation) {
        match &op.kind {
            OperationKind::DeleteResourceGroup { group } => {
                let key = (op.subscription.clone(), group.clone());
                self.groups.remove(&key);
                let prefix = format!("/subscriptions/{}/resourcegroups/{}/", key.0, key.1);
                self.resources.retain(|id, _| !id.starts_with(&prefix));
            }
        }
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
