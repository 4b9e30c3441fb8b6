//! The I/O the engine needs, as traits: discovery ([`Inventory`]), ARM reads and deletes
//! ([`ArmOps`]), identities ([`IdentityOps`]), and progress for whoever is watching ([`Progress`]).
//! [`super::azure_ports`] implements them on the real clients; tests wrap or replace them.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::model::{RunFilter, RunPrincipal, SubscriptionInventory};
use crate::azure::arm::DeleteOutcome;
use crate::azure::AzureError;

/// Finds a run's resources in one subscription.
#[async_trait]
pub trait Inventory: Send + Sync {
    /// Resources and resource groups matching `filter`, and (for [`RunFilter::Run`]) every
    /// resource inside those groups.
    async fn discover(
        &self,
        subscription: &str,
        filter: RunFilter,
    ) -> Result<SubscriptionInventory, AzureError>;
}

/// ARM by id.
#[async_trait]
pub trait ArmOps: Send + Sync {
    /// The current tags of a resource or resource group; `None` when it does not exist.
    async fn read_tags(&self, id: &str) -> Result<Option<BTreeMap<String, String>>, AzureError>;
    /// Deletes a resource, or a resource group with everything in it, and waits for it.
    async fn delete(&self, id: &str) -> Result<DeleteOutcome, AzureError>;
}

/// Whether a principal's objects still exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrincipalPresence {
    pub application: bool,
    pub service_principal: bool,
}

/// Entra ID, RBAC and Key Vault.
#[async_trait]
pub trait IdentityOps: Send + Sync {
    /// Applications and service principals whose display name starts with `prefix`, paired by app id.
    async fn find_principals(&self, prefix: &str) -> Result<Vec<RunPrincipal>, AzureError>;
    /// Ids of the role assignments of a principal in a subscription (at, above and below it).
    async fn role_assignments_of(
        &self,
        subscription: &str,
        principal_object_id: &str,
    ) -> Result<Vec<String>, AzureError>;
    /// Deletes a role assignment by id; gone already is success.
    async fn delete_role_assignment(&self, id: &str) -> Result<(), AzureError>;
    async fn role_assignment_exists(&self, id: &str) -> Result<bool, AzureError>;
    /// Deletes a service principal; gone already is success.
    async fn delete_service_principal(&self, object_id: &str) -> Result<(), AzureError>;
    /// Deletes an application; gone already is success.
    async fn delete_application(&self, object_id: &str) -> Result<(), AzureError>;
    /// Purges a deleted directory object; not in deleted items is success.
    async fn purge_deleted(&self, object_id: &str) -> Result<(), AzureError>;
    async fn principal_presence(
        &self,
        principal: &RunPrincipal,
    ) -> Result<PrincipalPresence, AzureError>;
    /// Deletes a Key Vault secret and purges it; gone already is success.
    async fn delete_secret(&self, name: &str) -> Result<(), AzureError>;
    /// Whether the secret exists, live or soft-deleted.
    async fn secret_exists(&self, name: &str) -> Result<bool, AzureError>;
}

/// How a delete ended, for progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepResult {
    Deleted,
    AlreadyGone,
    Failed,
    /// Not deleted: re-read right before its delete, it was no longer the run's.
    Kept,
}

/// What the engine is doing, as it does it.
#[derive(Debug, Clone)]
pub enum ProgressEvent<'a> {
    /// `index` counts from 1.
    SubscriptionStarted {
        index: usize,
        total: usize,
        subscription: &'a str,
    },
    /// Already done by an earlier attempt (checkpoint): not touched again.
    SubscriptionAlreadyDone {
        subscription: &'a str,
    },
    Planned {
        subscription: &'a str,
        steps: usize,
        waves: usize,
        skipped: usize,
    },
    Step {
        subscription: &'a str,
        id: &'a str,
        result: StepResult,
    },
    SubscriptionFinished {
        subscription: &'a str,
        ok: bool,
        message: Option<&'a str>,
    },
    Identities {
        done: usize,
        total: usize,
    },
    Verifying,
}

/// Receives progress; must be cheap (it is called from the delete tasks).
pub trait Progress: Send + Sync {
    fn report(&self, event: &ProgressEvent<'_>);
}

/// Ignores progress.
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&self, _event: &ProgressEvent<'_>) {}
}
