//! One subscription: discover, re-read the candidates (the scope guard: up front, or by each step
//! right before its delete — see [`super::steps`]), plan, then delete wave by wave — steps of a wave at once up to a concurrency limit (the pipeline's token buckets pace the
//! calls themselves), 409 conflicts retried with a growing pause, NotFound counted as deleted — and
//! record each chunk of finished deletes in the checkpoint. A subscription that fails is recorded as
//! failed, never as done, and never affects another.

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt};
use uuid::Uuid;

use super::checkpoint::{DeletionRecord, DeletionStatus, Recorder, SubscriptionState, Update};
use super::guard::GuardVerdict;
use super::model::RunFilter;
use super::plan::{plan_subscription, SubscriptionPlan};
use super::ports::{ArmOps, Inventory, Progress, ProgressEvent};
use super::steps::{record, run_step, DeferredGuard, StepOutcome};
use super::CleanupError;

pub use super::steps::{guard_all, ConflictBackoff};

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
    let pending_keys: BTreeSet<String> = pending
        .iter()
        .map(|(id, _)| id.to_ascii_lowercase())
        .collect();
    let guard = if dry_run {
        DeferredGuard::none(run_id)
    } else {
        DeferredGuard::select(run_id, &found, &pending_keys)
    };
    ids.retain(|i| !guard.deferred().contains(&i.to_ascii_lowercase()));
    let (mut observed, read_errors) = guard_all(arm, run_id, &ids, options.concurrency).await;
    // Provisional: each of these steps re-reads its resource before deleting it.
    observed.extend(
        guard
            .deferred()
            .iter()
            .map(|k| (k.clone(), GuardVerdict::Ours)),
    );
    let mut plan = plan_subscription(&found, &observed, &done);
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
                let guard = &guard;
                let outcomes: Vec<StepOutcome> = stream::iter(chunk.to_vec())
                    .map(|step| async move {
                        run_step(arm, progress, &options.conflict, guard, subscription, &step).await
                    })
                    .buffer_unordered(options.concurrency.max(1))
                    .collect()
                    .await;
                let mut records: Vec<DeletionRecord> = Vec::new();
                let mut kept = Vec::new();
                for outcome in outcomes {
                    match outcome {
                        StepOutcome::Records(r) => records.extend(r),
                        StepOutcome::Kept(k) => kept.push(k),
                    }
                }
                if !kept.is_empty() {
                    recorder
                        .record(Update::Kept {
                            subscription: subscription.to_string(),
                            ids: kept.iter().map(|k| k.id.clone()).collect(),
                        })
                        .await?;
                    plan.skipped.extend(kept);
                }
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
