//! A whole run's cleanup: every subscription at once and in isolation (one failing is reported and
//! left for the next attempt; the others go on and are recorded done), then the identities, then a
//! fresh search for anything of the run still there. The phase machine may instead fan the same
//! steps out as work units: [`super::execute::clean_subscription`] per subscription,
//! [`super::identities::clean_identities`], [`verify_resources`], [`super::report::build_report`].

use futures::future::join_all;
use uuid::Uuid;

use super::checkpoint::Recorder;
use super::execute::{clean_subscription, guard_all, ExecOptions};
use super::identities::{clean_identities, discover_identities, IdentityOutcome};
use super::model::{RunFilter, RunIdentities};
use super::ports::{ArmOps, IdentityOps, Inventory, Progress, ProgressEvent};
use super::report::{build_report, CleanupOutcome, SubscriptionSummary};
use super::CleanupError;
use crate::store::StateStore;

/// Delete, or only say what would be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Execute,
    /// Discover, re-read and plan; delete nothing, write no checkpoint.
    DryRun,
}

/// What to clean.
#[derive(Debug, Clone)]
pub struct CleanupRequest {
    pub run_id: Uuid,
    /// Subscription ids to sweep (the target subscriptions).
    pub subscriptions: Vec<String>,
    /// The identities the run state knows of.
    pub identities: RunIdentities,
    /// Also look for the run's principals by name (orphans of a lost state).
    pub discover_identities: bool,
    pub mode: Mode,
}

/// Knobs.
#[derive(Debug, Clone, Default)]
pub struct CleanupOptions {
    pub exec: ExecOptions,
}

/// The I/O the engine uses.
pub struct Ports<'a> {
    pub inventory: &'a dyn Inventory,
    pub arm: &'a dyn ArmOps,
    pub identities: &'a dyn IdentityOps,
}

/// Cleans up (or plans the cleanup of) a run. Errors only when the checkpoint cannot be written;
/// everything else is in the outcome.
pub async fn run_cleanup(
    ports: &Ports<'_>,
    store: Option<StateStore>,
    progress: &dyn Progress,
    options: &CleanupOptions,
    request: &CleanupRequest,
) -> Result<CleanupOutcome, CleanupError> {
    if request.subscriptions.is_empty() {
        return Err(CleanupError::Invalid(
            "no subscriptions to clean: set HAYMAKER_TARGET_SUBSCRIPTIONS or pass --subscriptions"
                .into(),
        ));
    }
    let dry_run = request.mode == Mode::DryRun;
    let store = if dry_run { None } else { store };
    let recorder = Recorder::open(store, request.run_id).await?;
    let total = request.subscriptions.len();
    let runs = request.subscriptions.iter().enumerate().map(|(i, sub)| {
        let recorder = &recorder;
        async move {
            progress.report(&ProgressEvent::SubscriptionStarted {
                index: i + 1,
                total,
                subscription: sub,
            });
            let outcome = clean_subscription(
                ports.inventory,
                ports.arm,
                recorder,
                progress,
                &options.exec,
                request.run_id,
                sub,
                dry_run,
            )
            .await;
            if let Ok(o) = &outcome {
                progress.report(&ProgressEvent::SubscriptionFinished {
                    subscription: sub,
                    ok: o.error.is_none(),
                    message: o.error.as_deref(),
                });
            }
            outcome
        }
    });
    let mut subscriptions = Vec::new();
    let mut plans = Vec::new();
    for outcome in join_all(runs).await {
        let outcome = outcome?;
        subscriptions.push(SubscriptionSummary {
            subscription: outcome.subscription.clone(),
            state: outcome.state,
            error: outcome.error.clone(),
            skipped: outcome
                .plan
                .as_ref()
                .map(|p| p.skipped.clone())
                .unwrap_or_default(),
        });
        plans.extend(outcome.plan);
    }

    let mut identities = request.identities.clone();
    let mut discovery_errors = Vec::new();
    if request.discover_identities {
        let (found, errors) =
            discover_identities(ports.identities, request.run_id, &request.subscriptions).await;
        identities.merge(found);
        discovery_errors = errors;
    }
    let mut identity_outcome: IdentityOutcome =
        clean_identities(ports.identities, &recorder, progress, &identities, dry_run).await?;
    identity_outcome.discovery_errors = discovery_errors;

    let (leftovers, unverified) = if dry_run {
        (Vec::new(), Vec::new())
    } else {
        progress.report(&ProgressEvent::Verifying);
        verify_resources(ports, request.run_id, &request.subscriptions, options).await
    };
    let checkpoint = recorder.snapshot().await;
    let report = build_report(&checkpoint, &identity_outcome, &leftovers, &unverified);
    Ok(CleanupOutcome {
        run_id: request.run_id,
        dry_run,
        subscriptions,
        plans,
        identities: identity_outcome,
        leftovers,
        unverified,
        report,
    })
}

/// Searches every subscription again: the ids of resources still there and still the run's, and
/// one message per subscription that could not be searched or re-read.
pub async fn verify_resources(
    ports: &Ports<'_>,
    run_id: Uuid,
    subscriptions: &[String],
    options: &CleanupOptions,
) -> (Vec<String>, Vec<String>) {
    let checks = subscriptions.iter().map(|sub| async move {
        match ports.inventory.discover(sub, RunFilter::Run(run_id)).await {
            Err(e) => (Vec::new(), vec![format!("{sub}: cannot search again: {e}")]),
            Ok(found) => {
                let ids: Vec<String> = found
                    .resources
                    .iter()
                    .chain(&found.groups)
                    .map(|f| f.id.clone())
                    .collect();
                let (seen, errors) =
                    guard_all(ports.arm, run_id, &ids, options.exec.concurrency).await;
                let left = ids
                    .into_iter()
                    .filter(|i| {
                        seen.get(&i.to_ascii_lowercase())
                            .is_some_and(|v| v.is_ours())
                    })
                    .collect();
                (left, errors)
            }
        }
    });
    let mut leftovers = Vec::new();
    let mut unverified = Vec::new();
    for (left, errors) in join_all(checks).await {
        leftovers.extend(left);
        unverified.extend(errors);
    }
    leftovers.sort();
    leftovers.dedup();
    (leftovers, unverified)
}
