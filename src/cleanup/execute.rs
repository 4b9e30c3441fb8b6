//! One subscription: discover, re-read every candidate (the scope guard), plan, then delete wave by
//! wave — steps of a wave at once up to a concurrency limit (the pipeline's token buckets pace the
//! calls themselves), 409 conflicts retried with a growing pause, NotFound counted as deleted — and
//! record each chunk of finished deletes in the checkpoint. A subscription that fails is recorded as
//! failed, never as done, and never affects another.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use futures::stream::{self, StreamExt};
use uuid::Uuid;

use super::checkpoint::{DeletionRecord, DeletionStatus, Recorder, SubscriptionState, Update};
use super::guard::{verdict, GuardVerdict};
use super::model::RunFilter;
use super::plan::{plan_subscription, Step, SubscriptionPlan};
use super::ports::{ArmOps, Inventory, Progress, ProgressEvent, StepResult};
use super::CleanupError;
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

/// Knobs of the deletes.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Calls in flight per subscription (reads of the guard, deletes of a wave).
    pub concurrency: usize,
    pub conflict: ConflictBackoff,
    /// Finished deletes recorded in the checkpoint at a time.
    pub chunk: usize,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            conflict: ConflictBackoff::default(),
            chunk: 64,
        }
    }
}

/// How one subscription ended.
#[derive(Debug, Clone)]
pub struct SubscriptionOutcome {
    pub subscription: String,
    pub state: SubscriptionState,
    /// `None` when discovery failed, or the subscription was done before this attempt.
    pub plan: Option<SubscriptionPlan>,
    pub error: Option<String>,
}

/// Cleans (or, with `dry_run`, only plans) one subscription.
#[allow(clippy::too_many_arguments)]
pub async fn clean_subscription(
    inventory: &dyn Inventory,
    arm: &dyn ArmOps,
    recorder: &Recorder,
    progress: &dyn Progress,
    options: &ExecOptions,
    run_id: Uuid,
    subscription: &str,
    dry_run: bool,
) -> Result<SubscriptionOutcome, CleanupError> {
    let before = recorder.snapshot().await;
    let previous = before.subscription(subscription);
    if !dry_run && previous.is_some_and(|s| s.state == SubscriptionState::Done) {
        progress.report(&ProgressEvent::SubscriptionAlreadyDone { subscription });
        return Ok(SubscriptionOutcome {
            subscription: subscription.to_string(),
            state: SubscriptionState::Done,
            plan: None,
            error: None,
        });
    }
    let done: BTreeSet<String> = previous.map(|s| s.deleted()).unwrap_or_default();
    // Planned by an attempt that crashed before recording the outcome: re-read like the rest.
    let pending: Vec<(String, String)> = previous
        .map(|s| {
            s.pending()
                .into_iter()
                .map(|k| {
                    (
                        s.deletions[&k].id.clone(),
                        s.deletions[&k].resource_type.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !dry_run {
        recorder
            .record(Update::SubscriptionStarted {
                subscription: subscription.to_string(),
            })
            .await?;
    }
    let failed = |error: String| SubscriptionOutcome {
        subscription: subscription.to_string(),
        state: SubscriptionState::Failed,
        plan: None,
        error: Some(error),
    };
    let found = match inventory
        .discover(subscription, RunFilter::Run(run_id))
        .await
    {
        Ok(f) => f,
        Err(e) => {
            let error = format!("discovery failed: {e}");
            finish(
                recorder,
                dry_run,
                subscription,
                SubscriptionState::Failed,
                vec![],
                Some(error.clone()),
            )
            .await?;
            return Ok(failed(error));
        }
    };
    let mut ids: Vec<String> = found
        .all_ids()
        .into_iter()
        .filter(|i| !done.contains(&i.to_ascii_lowercase()))
        .collect();
    ids.extend(pending.iter().map(|(id, _)| id.clone()));
    ids.sort_by_key(|i| i.to_ascii_lowercase());
    ids.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let (observed, read_errors) = guard_all(arm, run_id, &ids, options.concurrency).await;
    let plan = plan_subscription(&found, &observed, &done);
    if !dry_run {
        // What the crashed attempt deleted without recording it: gone now, so deleted then.
        let finished: Vec<DeletionRecord> = pending
            .iter()
            .filter(|(id, _)| observed.get(&id.to_ascii_lowercase()) == Some(&GuardVerdict::Gone))
            .map(|(id, t)| record(id, t, DeletionStatus::Deleted, 1, None, None))
            .collect();
        // Write ahead: every planned delete, before any is sent.
        let planned: Vec<DeletionRecord> = plan
            .steps()
            .flat_map(|s| {
                std::iter::once((&s.id, &s.resource_type))
                    .chain(s.covers.iter().map(|c| (&c.id, &c.resource_type)))
            })
            .map(|(id, t)| record(id, t, DeletionStatus::Pending, 0, None, None))
            .collect();
        recorder
            .record(Update::Deletions {
                subscription: subscription.to_string(),
                records: finished.into_iter().chain(planned).collect(),
            })
            .await?;
    }
    progress.report(&ProgressEvent::Planned {
        subscription,
        steps: plan.steps().count(),
        waves: plan.waves.len(),
        skipped: plan.skipped.len(),
    });
    let mut errors: Vec<String> = read_errors;
    if !dry_run {
        for wave in &plan.waves {
            for chunk in wave.chunks(options.chunk.max(1)) {
                // Owned items: a future that borrows from the iterator is not `Send` for every
                // lifetime, which the handler's (Send) futures need.
                let records: Vec<Vec<DeletionRecord>> = stream::iter(chunk.to_vec())
                    .map(|step| async move {
                        delete_step(arm, progress, &options.conflict, subscription, &step).await
                    })
                    .buffer_unordered(options.concurrency.max(1))
                    .collect()
                    .await;
                let records: Vec<DeletionRecord> = records.into_iter().flatten().collect();
                errors.extend(
                    records
                        .iter()
                        .filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.id))),
                );
                recorder
                    .record(Update::Deletions {
                        subscription: subscription.to_string(),
                        records,
                    })
                    .await?;
            }
        }
    }
    let (state, error) = if errors.is_empty() {
        (SubscriptionState::Done, None)
    } else {
        let shown: Vec<&str> = errors.iter().take(3).map(String::as_str).collect();
        let more = errors.len().saturating_sub(3);
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        (
            SubscriptionState::Failed,
            Some(format!("{}{tail}", shown.join("; "))),
        )
    };
    finish(
        recorder,
        dry_run,
        subscription,
        state,
        plan.skipped.clone(),
        error.clone(),
    )
    .await?;
    Ok(SubscriptionOutcome {
        subscription: subscription.to_string(),
        state,
        plan: Some(plan),
        error,
    })
}

async fn finish(
    recorder: &Recorder,
    dry_run: bool,
    subscription: &str,
    state: SubscriptionState,
    skipped: Vec<super::plan::Skipped>,
    error: Option<String>,
) -> Result<(), CleanupError> {
    if !dry_run {
        recorder
            .record(Update::SubscriptionFinished {
                subscription: subscription.to_string(),
                state,
                skipped,
                error,
            })
            .await?;
    }
    Ok(())
}

/// Re-reads every id: the verdicts by lower-case id, and one message per id that could not be read.
pub async fn guard_all(
    arm: &dyn ArmOps,
    run_id: Uuid,
    ids: &[String],
    concurrency: usize,
) -> (BTreeMap<String, GuardVerdict>, Vec<String>) {
    let reads: Vec<(String, Result<GuardVerdict, AzureError>)> = stream::iter(ids.to_vec())
        .map(|id| async move {
            let result = arm
                .read_tags(&id)
                .await
                .map(|t| verdict(run_id, t.as_ref()));
            (id, result)
        })
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
            Err(e) => errors.push(format!("{id}: cannot re-read its tags: {e}")),
        }
    }
    (observed, errors)
}

fn record(
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

/// Deletes one step, retrying 409s; the records of the step and of what it covered.
async fn delete_step(
    arm: &dyn ArmOps,
    progress: &dyn Progress,
    backoff: &ConflictBackoff,
    subscription: &str,
    step: &Step,
) -> Vec<DeletionRecord> {
    let mut delay = backoff.initial;
    let mut attempts = 1;
    let result = loop {
        match arm.delete(&step.id).await {
            Err(e) if e.is_conflict() && attempts < backoff.attempts.max(1) => {
                tracing::debug!(id = %step.id, attempts, ?delay, "conflict; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(backoff.max);
                attempts += 1;
            }
            other => break other,
        }
    };
    let now = Utc::now();
    let (status, error, step_result) = match &result {
        Ok(DeleteOutcome::Deleted) => (DeletionStatus::Deleted, None, StepResult::Deleted),
        Ok(DeleteOutcome::AlreadyGone) => (DeletionStatus::Deleted, None, StepResult::AlreadyGone),
        Err(e) => (
            DeletionStatus::Failed,
            Some(e.to_string()),
            StepResult::Failed,
        ),
    };
    progress.report(&ProgressEvent::Step {
        subscription,
        id: &step.id,
        result: step_result,
    });
    let deleted_at = (status == DeletionStatus::Deleted).then_some(now);
    let mut records = vec![DeletionRecord {
        id: step.id.clone(),
        resource_type: step.resource_type.clone(),
        status,
        attempts,
        deleted_at,
        error: error.clone(),
        covered_by: None,
    }];
    if status == DeletionStatus::Deleted {
        records.extend(step.covers.iter().map(|m| DeletionRecord {
            id: m.id.clone(),
            resource_type: m.resource_type.clone(),
            status,
            attempts,
            deleted_at,
            error: None,
            covered_by: Some(step.id.clone()),
        }));
    }
    records
}
