//! The calls of one subscription's cleanup: the scope guard's re-reads and the deletes.
//!
//! Two ways a resource is re-read. Anything whose verdict shapes the plan — a run's resource groups
//! and their members, untagged resources, what a crashed attempt left pending — is re-read up front
//! ([`guard_all`]) and planned from what was read. A plain run-tagged resource outside the run's
//! groups is planned from discovery's tags and re-read by its own step right before the delete
//! ([`DeferredGuard`]): the reads then overlap the deletes instead of preceding them all (ARM
//! paces reads and deletes from separate buckets), and the re-read is as close to the delete as it
//! can be. A step whose re-read says the resource is no longer the run's is kept, and so is every
//! ancestor of a kept resource.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use futures::stream::{self, StreamExt};
use uuid::Uuid;

use super::checkpoint::{DeletionRecord, DeletionStatus};
use super::guard::{verdict, GuardVerdict};
use super::model::SubscriptionInventory;
use super::plan::{Skipped, Step};
use super::ports::{ArmOps, Progress, ProgressEvent, StepResult};
use crate::azure::arm::DeleteOutcome;
use crate::azure::AzureError;

/// How 409 conflicts (a dependant not gone yet, a name in transition) are retried.
#[derive(Debug, Clone)]
pub struct ConflictBackoff {
    /// Tries in all, the first included.
    pub attempts: u32,
    pub initial: Duration,
    pub max: Duration,
}

impl Default for ConflictBackoff {
    fn default() -> Self {
        Self {
            attempts: 6,
            initial: Duration::from_secs(2),
            max: Duration::from_secs(30),
        }
    }
}

/// Re-reads every id: the verdicts by lower-case id, and one message per id that could not be read.
pub async fn guard_all(
    arm: &dyn ArmOps,
    run_id: Uuid,
    ids: &[String],
    concurrency: usize,
) -> (BTreeMap<String, GuardVerdict>, Vec<String>) {
    let reads: Vec<(String, Result<GuardVerdict, AzureError>)> = stream::iter(ids.to_vec())
        .map(|id| async move { (id.clone(), read_verdict(arm, run_id, &id).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut observed = BTreeMap::new();
    let mut errors = Vec::new();
    for (id, result) in reads {
        match result {
            Ok(v) => {
                observed.insert(id.to_ascii_lowercase(), v);
            }
            Err(e) => errors.push(unreadable(&id, &e)),
        }
    }
    (observed, errors)
}

async fn read_verdict(
    arm: &dyn ArmOps,
    run_id: Uuid,
    id: &str,
) -> Result<GuardVerdict, AzureError> {
    arm.read_tags(id).await.map(|t| verdict(run_id, t.as_ref()))
}

fn unreadable(id: &str, e: &AzureError) -> String {
    format!("{id}: cannot re-read its tags: {e}")
}

/// The step-time half of the scope guard: which steps re-read their resource themselves, and what
/// those re-reads kept.
#[derive(Debug, Default)]
pub struct DeferredGuard {
    run_id: Uuid,
    /// Lower-case ids planned from discovery's tags.
    deferred: BTreeSet<String>,
    /// Lower-case ids a step-time re-read found not to be the run's (or that hold such a one).
    kept: Mutex<BTreeSet<String>>,
}

impl DeferredGuard {
    /// Picks the deferred ids from `inventory` — run-tagged resources (not groups) outside the run's
    /// groups whose discovered tags say they are the run's — leaving out `read_up_front`. Their
    /// provisional verdicts are what the planner is given for them.
    pub fn select(
        run_id: Uuid,
        inventory: &SubscriptionInventory,
        read_up_front: &BTreeSet<String>,
    ) -> Self {
        let run_groups: BTreeSet<String> =
            inventory.groups.iter().filter_map(|g| g.group()).collect();
        let deferred = inventory
            .resources
            .iter()
            .filter(|f| !f.group().is_some_and(|g| run_groups.contains(&g)))
            .filter(|f| !super::model::is_group_id(&f.id))
            .filter(|f| verdict(run_id, Some(&f.tags)).is_ours())
            .map(|f| f.id.to_ascii_lowercase())
            .filter(|k| !read_up_front.contains(k))
            .collect();
        Self {
            run_id,
            deferred,
            kept: Mutex::new(BTreeSet::new()),
        }
    }

    /// Nothing deferred: every verdict is read up front (dry runs: the plan shown is exact).
    pub fn none(run_id: Uuid) -> Self {
        Self {
            run_id,
            ..Self::default()
        }
    }

    /// Lower-case ids whose re-read waits for their step.
    pub fn deferred(&self) -> &BTreeSet<String> {
        &self.deferred
    }

    fn keep(&self, key: String) {
        self.kept.lock().expect("kept set").insert(key);
    }

    /// A kept descendant of `key`, if any.
    fn kept_below(&self, key: &str) -> Option<String> {
        let prefix = format!("{key}/");
        let kept = self.kept.lock().expect("kept set");
        let found = kept
            .range(prefix.clone()..)
            .next()
            .filter(|k| k.starts_with(&prefix))
            .cloned();
        found
    }
}

/// How one step ended.
#[derive(Debug)]
pub enum StepOutcome {
    /// Deleted, already gone or failed: the records of the step and of what it covered.
    Records(Vec<DeletionRecord>),
    /// Not deleted: the step-time re-read found it (or a child) not to be the run's.
    Kept(Skipped),
}

/// Runs one step: the step-time re-read when the step is deferred, then the delete with 409 retries.
pub async fn run_step(
    arm: &dyn ArmOps,
    progress: &dyn Progress,
    backoff: &ConflictBackoff,
    guard: &DeferredGuard,
    subscription: &str,
    step: &Step,
) -> StepOutcome {
    let key = step.id.to_ascii_lowercase();
    let kept = |reason: String| {
        guard.keep(key.clone());
        progress.report(&ProgressEvent::Step {
            subscription,
            id: &step.id,
            result: StepResult::Kept,
        });
        StepOutcome::Kept(Skipped {
            id: step.id.clone(),
            resource_type: step.resource_type.clone(),
            reason,
        })
    };
    if let Some(child) = guard.kept_below(&key) {
        return kept(format!("its child {child} is not this run's"));
    }
    if guard.deferred.contains(&key) {
        match read_verdict(arm, guard.run_id, &step.id).await {
            Ok(GuardVerdict::Ours) => {}
            Ok(GuardVerdict::Gone) => {
                return finished(
                    progress,
                    subscription,
                    step,
                    1,
                    Ok(DeleteOutcome::AlreadyGone),
                )
            }
            Ok(GuardVerdict::Foreign { reason }) => return kept(reason),
            Ok(GuardVerdict::Untagged) => {
                return kept("lost its tags since discovery; not deleted".into())
            }
            Err(e) => {
                let message = unreadable(&step.id, &e);
                return finished(progress, subscription, step, 1, Err(message));
            }
        }
    }
    let mut delay = backoff.initial;
    let mut tries = 1;
    let result = loop {
        match arm.delete(&step.id).await {
            Err(e) if e.is_conflict() && tries < backoff.attempts.max(1) => {
                tracing::debug!(id = %step.id, tries, ?delay, "conflict; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(backoff.max);
                tries += 1;
            }
            other => break other,
        }
    };
    finished(
        progress,
        subscription,
        step,
        tries,
        result.map_err(|e| e.to_string()),
    )
}

fn finished(
    progress: &dyn Progress,
    subscription: &str,
    step: &Step,
    attempts: u32,
    result: Result<DeleteOutcome, String>,
) -> StepOutcome {
    let (status, error, step_result) = match result {
        Ok(DeleteOutcome::Deleted) => (DeletionStatus::Deleted, None, StepResult::Deleted),
        Ok(DeleteOutcome::AlreadyGone) => (DeletionStatus::Deleted, None, StepResult::AlreadyGone),
        Err(e) => (DeletionStatus::Failed, Some(e), StepResult::Failed),
    };
    progress.report(&ProgressEvent::Step {
        subscription,
        id: &step.id,
        result: step_result,
    });
    let deleted_at = (status == DeletionStatus::Deleted).then(Utc::now);
    let mut records = vec![record(
        &step.id,
        &step.resource_type,
        status,
        attempts,
        deleted_at,
        error,
    )];
    if status == DeletionStatus::Deleted {
        records.extend(step.covers.iter().map(|m| DeletionRecord {
            covered_by: Some(step.id.clone()),
            ..record(&m.id, &m.resource_type, status, attempts, deleted_at, None)
        }));
    }
    StepOutcome::Records(records)
}

/// A checkpoint record.
pub fn record(
    id: &str,
    resource_type: &str,
    status: DeletionStatus,
    attempts: u32,
    deleted_at: Option<chrono::DateTime<Utc>>,
    error: Option<String>,
) -> DeletionRecord {
    DeletionRecord {
        id: id.to_string(),
        resource_type: resource_type.to_string(),
        status,
        attempts,
        deleted_at,
        error,
        covered_by: None,
    }
}
