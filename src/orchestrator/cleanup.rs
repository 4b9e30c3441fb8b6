//! The cleanup phase's units, on the engine in [`crate::cleanup`]: one subscription's resources
//! (agents' container apps included: they carry the run's tags), then the run's identities and a
//! fresh search that verifies nothing is left, which writes `cleanup-report.json`. A subscription
//! that fails is recorded with its reason and retried (the host redelivers the unit; the tick
//! re-dispatches it when its lease runs out); it never marks the others failed and is never
//! recorded as done.

use uuid::Uuid;

use crate::cleanup::checkpoint::{Recorder, Update};
use crate::cleanup::execute::{clean_subscription, ExecOptions};
use crate::cleanup::identities::{clean_identities, discover_identities};
use crate::cleanup::report::build_report;
use crate::cleanup::{
    verify_resources, CleanupError, CleanupOptions, CleanupStatus, NoProgress, RunIdentities,
    RunPrincipal, SubscriptionState,
};
use crate::run::{keys, Phase, RunState, WorkUnit};
use crate::store::Decision;

use super::{Orchestrator, OrchestratorError};

/// Verification attempts before the run accepts a cleanup report that is not `verified`.
pub const MAX_IDENTITY_ATTEMPTS: u32 = 5;

impl From<CleanupError> for OrchestratorError {
    fn from(e: CleanupError) -> Self {
        match e {
            CleanupError::Store(s) => OrchestratorError::Store(s),
            CleanupError::Invalid(m) => OrchestratorError::Permanent(m),
        }
    }
}

/// What the run document knows of its identities.
pub fn known_identities(state: &RunState) -> RunIdentities {
    let mut ids = RunIdentities::default();
    for s in &state.scenarios {
        if let Some(p) = &s.principal {
            ids.principals.push(RunPrincipal {
                app_object_id: Some(p.application_object_id.clone()),
                sp_object_id: p.principal_object_id.clone(),
                app_id: p.app_id.clone(),
                display_name: p.display_name.clone(),
            });
        }
        ids.secret_names.push(s.secret_name.clone());
        ids.role_assignment_ids
            .extend(s.role_assignment_ids.iter().cloned());
    }
    ids
}

async fn load_cleaning(
    o: &Orchestrator,
    run_id: Uuid,
) -> Result<Result<RunState, String>, OrchestratorError> {
    Ok(match o.load_run(run_id).await? {
        None => Err(format!("run {run_id} is unknown")),
        Some(s) if s.phase != Phase::Cleanup => Err(format!("run is in {:?}", s.phase)),
        Some(s) => Ok(s),
    })
}

/// Cleans one subscription.
pub async fn subscription(
    o: &Orchestrator,
    run_id: Uuid,
    subscription: &str,
) -> Result<String, OrchestratorError> {
    let state = match load_cleaning(o, run_id).await? {
        Ok(s) => s,
        Err(why) => return Ok(format!("skipped: {why}")),
    };
    if state
        .cleanup
        .subscriptions_done
        .iter()
        .any(|s| s == subscription)
    {
        return Ok(format!("skipped: {subscription} is already clean"));
    }
    let cloud = o.cloud()?;
    let ports = cloud.cleanup_ports();
    let recorder = Recorder::open(Some(o.store.clone()), run_id).await?;
    let outcome = clean_subscription(
        ports.inventory,
        ports.arm,
        &recorder,
        &NoProgress,
        &ExecOptions::default(),
        run_id,
        subscription,
        false,
    )
    .await?;
    let deleted = outcome.plan.as_ref().map_or(0, |p| p.resource_count());
    match (outcome.state, outcome.error) {
        (SubscriptionState::Done, None) => {
            o.update_run(run_id, |run| {
                run.cleanup.subscription_errors.remove(subscription);
                if run
                    .cleanup
                    .subscriptions_done
                    .iter()
                    .any(|s| s == subscription)
                {
                    return false;
                }
                run.cleanup
                    .subscriptions_done
                    .push(subscription.to_string());
                true
            })
            .await?;
            tracing::info!(%run_id, subscription, deleted, "subscription cleaned");
            Ok(format!("{subscription}: {deleted} planned deletes done"))
        }
        (_, error) => {
            let reason = error.unwrap_or_else(|| "not finished".into());
            let now = o.now();
            o.update_run(run_id, |run| {
                run.cleanup
                    .subscription_errors
                    .insert(subscription.to_string(), reason.clone());
                run.record_error(
                    now,
                    "CLEANUP_SUBSCRIPTION_FAILED",
                    format!("{subscription}: {reason}"),
                    None,
                );
                true
            })
            .await?;
            tracing::warn!(%run_id, subscription, %reason, "subscription cleanup will be retried");
            Err(OrchestratorError::NotYet(format!(
                "cleanup of {subscription}: {reason}"
            )))
        }
    }
}

/// Removes the run's identities, verifies everything is gone, and writes the cleanup report.
pub async fn identities(o: &Orchestrator, run_id: Uuid) -> Result<String, OrchestratorError> {
    let state = match load_cleaning(o, run_id).await? {
        Ok(s) => s,
        Err(why) => return Ok(format!("skipped: {why}")),
    };
    if state.cleanup.identities_done {
        return Ok("skipped: identities are already clean".into());
    }
    if let Some(open) = state
        .subscriptions
        .iter()
        .find(|s| !state.cleanup.subscriptions_done.contains(s))
    {
        return Ok(format!("skipped: {open} is being cleaned again"));
    }
    let cloud = o.cloud()?;
    let ports = cloud.cleanup_ports();
    let mut ids = known_identities(&state);
    let (found, discovery_errors) =
        discover_identities(ports.identities, run_id, &state.subscriptions).await;
    ids.merge(found);
    let recorder = Recorder::open(Some(o.store.clone()), run_id).await?;
    let mut outcome =
        clean_identities(ports.identities, &recorder, &NoProgress, &ids, false).await?;
    outcome.discovery_errors = discovery_errors;
    let (leftovers, unverified) = verify_resources(
        &ports,
        run_id,
        &state.subscriptions,
        &CleanupOptions::default(),
    )
    .await;
    let checkpoint = recorder.snapshot().await;
    let mut report = build_report(&checkpoint, &outcome, &leftovers, &unverified);
    // The run's retries so far: the finished invocations' (recorded) and this one's.
    report.azure_retries = Some(state.azure_retries + crate::azure::retry::retries_so_far());
    let verified = report.status == CleanupStatus::Verified;
    let now = o.now();
    // What a subscription's cleanup deliberately kept (not the run's any more, or holding something
    // that is not) is no reason to clean it again.
    let kept: std::collections::BTreeSet<String> = checkpoint
        .subscriptions
        .values()
        .flat_map(|s| &s.skipped)
        .map(|k| k.id.to_ascii_lowercase())
        .collect();
    let appeared: Vec<String> = leftovers
        .iter()
        .filter(|l| !kept.contains(&l.to_ascii_lowercase()))
        .cloned()
        .collect();
    let reopen = reopen_for(&state, &appeared);
    if !reopen.is_empty() && state.cleanup.identity_attempts + 1 < MAX_IDENTITY_ATTEMPTS {
        return sweep_again(o, &recorder, run_id, &reopen, &appeared, now).await;
    }
    let value = serde_json::to_value(&report)
        .map_err(|e| OrchestratorError::Permanent(format!("cleanup report: {e}")))?;
    o.store
        .update_json(
            &keys::cleanup_report(run_id),
            |_: Option<&serde_json::Value>| Decision::Write(value.clone(), ()),
        )
        .await?;
    let summary = format!(
        "cleanup {:?}: {} leftovers, {} unverified, {} identity failures",
        report.status,
        leftovers.len(),
        unverified.len(),
        outcome.failures()
    );
    let updated = o
        .update_run(run_id, |run| {
            run.cleanup.identity_attempts += 1;
            if verified || run.cleanup.identity_attempts >= MAX_IDENTITY_ATTEMPTS {
                run.cleanup.identities_done = true;
                run.cleanup.identities_error = (!verified).then(|| summary.clone());
                if !verified {
                    run.record_error(now, "CLEANUP_NOT_VERIFIED", summary.clone(), None);
                }
            } else {
                run.cleanup.identities_error = Some(summary.clone());
            }
            true
        })
        .await?;
    let done = updated.is_some_and(|s| s.cleanup.identities_done);
    tracing::info!(%run_id, verified, done, %summary, "identities cleaned and verified");
    if done {
        let text = summary.clone();
        o.lifecycle_event(run_id, "cleanup_complete", |l| async move {
            l.cleanup_complete(run_id, &text, now).await
        })
        .await;
        Ok(summary)
    } else {
        Err(OrchestratorError::NotYet(summary))
    }
}

/// The run's subscriptions that hold `leftovers` (resources of the run found by the verification).
fn reopen_for(state: &RunState, leftovers: &[String]) -> Vec<String> {
    state
        .subscriptions
        .iter()
        .filter(|s| {
            let prefix = format!("/subscriptions/{}/", s.to_ascii_lowercase());
            leftovers
                .iter()
                .any(|l| l.to_ascii_lowercase().starts_with(&prefix))
        })
        .cloned()
        .collect()
}

/// Resources of the run appeared after their subscription was cleaned (an agent still at work, a
/// provisioning step in flight when the run ended): those subscriptions are cleaned once more, then
/// the identities and the verification run again.
async fn sweep_again(
    o: &Orchestrator,
    recorder: &Recorder,
    run_id: Uuid,
    reopen: &[String],
    leftovers: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, OrchestratorError> {
    for subscription in reopen {
        recorder
            .record(Update::Reopened {
                subscription: subscription.clone(),
            })
            .await?;
    }
    let summary = format!(
        "{} resource(s) of the run appeared after cleanup; cleaning {} again",
        leftovers.len(),
        reopen.join(", ")
    );
    o.update_run(run_id, |run| {
        run.cleanup.identity_attempts += 1;
        run.cleanup
            .subscriptions_done
            .retain(|s| !reopen.contains(s));
        for subscription in reopen {
            run.leases.remove(
                &WorkUnit::CleanupSubscription {
                    run_id,
                    subscription: subscription.clone(),
                }
                .lease_key(),
            );
        }
        run.leases
            .remove(&WorkUnit::CleanupIdentities { run_id }.lease_key());
        run.cleanup.identities_error = Some(summary.clone());
        run.record_error(now, "CLEANUP_SWEPT_AGAIN", summary.clone(), None);
        true
    })
    .await?;
    tracing::warn!(%run_id, %summary, "cleaning again");
    Ok(summary)
}
