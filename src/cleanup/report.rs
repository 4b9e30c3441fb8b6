//! What a cleanup reports: the contract's `CleanupReport` (with `CleanupVerification`, which is also
//! `RunDetails.cleanup_verification`) built from the checkpoint, the identity outcome and the final
//! verification; and [`CleanupOutcome`], the fuller picture the CLI prints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::checkpoint::{Checkpoint, DeletionStatus, SubscriptionState};
use super::identities::{IdentityKind, IdentityOutcome};
use super::plan::{Skipped, SubscriptionPlan};

/// The contract's `CleanupReport.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CleanupStatus {
    /// Everything of the run is confirmed gone.
    Verified,
    /// Some of it is gone, some is not (or could not be checked).
    Partial,
    /// Nothing could be confirmed deleted and something failed.
    Failed,
}

/// The contract's `CleanupVerification`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupVerification {
    /// Resources of the run found (deleted, failed, or still there at verification).
    pub expected_deleted: u64,
    /// Of those, confirmed gone.
    pub actually_deleted: u64,
    /// Deleted by the orchestrator's cleanup (not by the agents).
    pub forced_deletions: u64,
    /// Not deleted: failed deletes and leftovers.
    pub deletion_failures: u64,
}

/// The contract's `ResourceDeletion.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceDeletionStatus {
    Deleted,
    Failed,
}

/// The contract's `ResourceDeletion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDeletion {
    pub resource_id: String,
    pub resource_type: Option<String>,
    pub status: ResourceDeletionStatus,
    pub attempts: u32,
    pub deleted_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

/// The contract's `CleanupReport` (`execution-reports/{run_id}/cleanup` of the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupReport {
    pub run_id: Uuid,
    pub status: CleanupStatus,
    pub verification: CleanupVerification,
    pub deletions: Vec<ResourceDeletion>,
    pub service_principals_deleted: Vec<String>,
    pub forced_cleanup_required: bool,
    pub forced_cleanup_executed_at: Option<DateTime<Utc>>,
    /// Not in the contract (an extra property it allows): Azure calls the pipeline retried for the
    /// run up to this report, when a run's cleanup wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_retries: Option<u64>,
}

/// One subscription in the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionSummary {
    pub subscription: String,
    pub state: SubscriptionState,
    pub error: Option<String>,
    pub skipped: Vec<Skipped>,
}

/// Everything a cleanup did and found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupOutcome {
    pub run_id: Uuid,
    pub dry_run: bool,
    pub subscriptions: Vec<SubscriptionSummary>,
    /// What was (or, in a dry run, would be) deleted, in order, per subscription.
    pub plans: Vec<SubscriptionPlan>,
    pub identities: IdentityOutcome,
    /// Resources of the run still there after the cleanup (verification), by id.
    pub leftovers: Vec<String>,
    /// Verification that could not be done (a subscription that could not be searched again).
    pub unverified: Vec<String>,
    pub report: CleanupReport,
}

impl CleanupOutcome {
    /// Everything done and verified (a dry run: everything could be planned).
    pub fn succeeded(&self) -> bool {
        if self.dry_run {
            return self.subscriptions.iter().all(|s| s.error.is_none())
                && self.identities.discovery_errors.is_empty();
        }
        self.report.status == CleanupStatus::Verified
    }
}

/// The contract's report from the checkpoint, the identity outcome and the verification.
pub fn build_report(
    checkpoint: &Checkpoint,
    identities: &IdentityOutcome,
    leftovers: &[String],
    unverified: &[String],
) -> CleanupReport {
    let mut deletions = Vec::new();
    let mut recorded = std::collections::BTreeSet::new();
    let mut subscriptions_ok = true;
    for sub in checkpoint.subscriptions.values() {
        subscriptions_ok &= sub.state == SubscriptionState::Done;
        for (key, d) in &sub.deletions {
            recorded.insert(key.clone());
            deletions.push(ResourceDeletion {
                resource_id: d.id.clone(),
                resource_type: Some(d.resource_type.clone()),
                status: match d.status {
                    DeletionStatus::Deleted => ResourceDeletionStatus::Deleted,
                    DeletionStatus::Failed | DeletionStatus::Pending => {
                        ResourceDeletionStatus::Failed
                    }
                },
                attempts: d.attempts.max(1),
                deleted_at: d.deleted_at,
                error: match d.status {
                    DeletionStatus::Pending => Some("planned, not reached yet".into()),
                    _ => d.error.clone(),
                },
            });
        }
    }
    let left: std::collections::BTreeSet<String> =
        leftovers.iter().map(|l| l.to_ascii_lowercase()).collect();
    let deleted = deletions
        .iter()
        .filter(|d| d.status == ResourceDeletionStatus::Deleted)
        .count() as u64;
    let confirmed = deletions
        .iter()
        .filter(|d| {
            d.status == ResourceDeletionStatus::Deleted
                && !left.contains(&d.resource_id.to_ascii_lowercase())
        })
        .count() as u64;
    let unrecorded_leftovers = left.iter().filter(|l| !recorded.contains(*l)).count() as u64;
    let expected = deletions.len() as u64 + unrecorded_leftovers;
    let verification = CleanupVerification {
        expected_deleted: expected,
        actually_deleted: confirmed,
        forced_deletions: deleted,
        deletion_failures: expected - confirmed,
    };
    let clean = subscriptions_ok
        && verification.deletion_failures == 0
        && unverified.is_empty()
        && identities.failures() == 0
        && identities.discovery_errors.is_empty();
    let status = if clean {
        CleanupStatus::Verified
    } else if confirmed == 0 && identities.checks.iter().all(|c| !c.gone) {
        CleanupStatus::Failed
    } else {
        CleanupStatus::Partial
    };
    let service_principals_deleted = identities
        .checks
        .iter()
        .filter(|c| c.kind == IdentityKind::ServicePrincipal && c.gone)
        .map(|c| c.target.clone())
        .collect();
    CleanupReport {
        run_id: checkpoint.run_id,
        status,
        verification,
        forced_cleanup_required: !deletions.is_empty(),
        forced_cleanup_executed_at: (!deletions.is_empty()).then_some(checkpoint.started_at),
        deletions,
        service_principals_deleted,
        azure_retries: None,
    }
}
