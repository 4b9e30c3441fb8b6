//! A run's identities, after its resources: role assignments, then service principals, then
//! applications, then both purged from deleted items, then Key Vault secrets (deleted and purged);
//! then each is checked to be gone. Finished steps are recorded in the checkpoint and not repeated.
//! Orphans of a lost state are found by the display-name prefix `haymaker-<run>` (and their role
//! assignments by principal, per subscription).

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::checkpoint::{Recorder, Update};
use super::model::{RunIdentities, RunPrincipal};
use super::ports::{IdentityOps, Progress, ProgressEvent};
use super::{principal_prefix, CleanupError};
use crate::azure::AzureError;

/// Identities of one kind deleted at once (each waits out its own Key Vault purge or Graph call).
const IDENTITIES_AT_ONCE: usize = 8;

/// What an identity step acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    RoleAssignment,
    ServicePrincipal,
    Application,
    DeletedItem,
    Secret,
}

impl IdentityKind {
    fn label(self) -> &'static str {
        match self {
            Self::RoleAssignment => "role-assignment",
            Self::ServicePrincipal => "service-principal",
            Self::Application => "application",
            Self::DeletedItem => "purge",
            Self::Secret => "secret",
        }
    }
}

/// One step (or, in a dry run, what would be done) and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityStep {
    pub kind: IdentityKind,
    pub target: String,
    /// `None`: done (now or by an earlier attempt, or planned in a dry run).
    pub error: Option<String>,
}

impl IdentityStep {
    /// The checkpoint key of this step.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.label(), self.target.to_ascii_lowercase())
    }
}

/// Whether one identity object is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCheck {
    pub kind: IdentityKind,
    pub target: String,
    pub gone: bool,
    pub error: Option<String>,
}

/// The identity part of a cleanup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityOutcome {
    pub steps: Vec<IdentityStep>,
    pub checks: Vec<IdentityCheck>,
    /// Problems finding orphans (the cleanup went on with what it knew).
    pub discovery_errors: Vec<String>,
}

impl IdentityOutcome {
    pub fn failures(&self) -> usize {
        self.steps.iter().filter(|s| s.error.is_some()).count()
            + self.checks.iter().filter(|c| !c.gone).count()
    }
}

/// Finds the run's principals by display name (`haymaker-<run>` or `haymaker-<run>-…`) and their
/// role assignments in `subscriptions`. Errors are collected, not fatal.
pub async fn discover_identities(
    ops: &dyn IdentityOps,
    run_id: Uuid,
    subscriptions: &[String],
) -> (RunIdentities, Vec<String>) {
    let prefix = principal_prefix(run_id);
    let mut found = RunIdentities::default();
    let mut errors = Vec::new();
    match ops.find_principals(&prefix).await {
        Ok(principals) => {
            found.principals = principals
                .into_iter()
                .filter(|p| is_run_name(&p.display_name, &prefix))
                .collect();
        }
        Err(e) => errors.push(format!("finding principals named {prefix}…: {e}")),
    }
    for p in &found.principals {
        let Some(sp) = &p.sp_object_id else { continue };
        for sub in subscriptions {
            match ops.role_assignments_of(sub, sp).await {
                Ok(ids) => found.role_assignment_ids.extend(ids),
                Err(e) => errors.push(format!(
                    "role assignments of {} in subscription {sub}: {e}",
                    p.display_name
                )),
            }
        }
    }
    found.role_assignment_ids.sort();
    found.role_assignment_ids.dedup();
    (found, errors)
}

/// `haymaker-<run>` or `haymaker-<run>-…` (not `haymaker-<run>x…`), case-insensitively as Graph
/// compares.
fn is_run_name(name: &str, prefix: &str) -> bool {
    let head = name.get(..prefix.len());
    let rest = name.get(prefix.len()..).unwrap_or("");
    head.is_some_and(|h| h.eq_ignore_ascii_case(prefix))
        && (rest.is_empty() || rest.starts_with('-'))
}

/// Fills in missing object ids by display name.
async fn resolve(ops: &dyn IdentityOps, principals: &[RunPrincipal]) -> Vec<RunPrincipal> {
    let mut out = Vec::with_capacity(principals.len());
    for p in principals {
        let mut p = p.clone();
        if p.app_object_id.is_none() || p.sp_object_id.is_none() {
            if let Ok(found) = ops.find_principals(&p.display_name).await {
                if let Some(f) = found
                    .into_iter()
                    .find(|f| f.app_id.eq_ignore_ascii_case(&p.app_id))
                {
                    p.app_object_id = p.app_object_id.or(f.app_object_id);
                    p.sp_object_id = p.sp_object_id.or(f.sp_object_id);
                }
            }
        }
        out.push(p);
    }
    out
}

/// Deletes (or, `dry_run`, lists) the identities, phase by phase, then verifies.
pub async fn clean_identities(
    ops: &dyn IdentityOps,
    recorder: &Recorder,
    progress: &dyn Progress,
    identities: &RunIdentities,
    dry_run: bool,
) -> Result<IdentityOutcome, CleanupError> {
    let principals = resolve(ops, &identities.principals).await;
    let sps: Vec<String> = principals
        .iter()
        .filter_map(|p| p.sp_object_id.clone())
        .collect();
    let apps: Vec<String> = principals
        .iter()
        .filter_map(|p| p.app_object_id.clone())
        .collect();
    let phases: Vec<(IdentityKind, Vec<String>)> = vec![
        (
            IdentityKind::RoleAssignment,
            identities.role_assignment_ids.clone(),
        ),
        (IdentityKind::ServicePrincipal, sps.clone()),
        (IdentityKind::Application, apps.clone()),
        (
            IdentityKind::DeletedItem,
            sps.iter().chain(&apps).cloned().collect(),
        ),
        (IdentityKind::Secret, identities.secret_names.clone()),
    ];
    let total: usize = phases.iter().map(|(_, t)| t.len()).sum();
    let mut outcome = IdentityOutcome::default();
    let already = recorder.snapshot().await.identity_steps;
    for (kind, targets) in phases {
        let mut finished = Vec::new();
        // The targets of one kind at once (a few at a time), the kinds in order.
        let already = &already;
        let mut steps = futures::stream::iter(targets)
            .map(|target| async move {
                let mut step = IdentityStep {
                    kind,
                    target,
                    error: None,
                };
                let mut done = false;
                if !dry_run && !already.contains(&step.key()) {
                    match act(ops, kind, &step.target).await {
                        Ok(()) => done = true,
                        Err(e) => step.error = Some(e.to_string()),
                    }
                }
                (step, done)
            })
            .buffered(IDENTITIES_AT_ONCE);
        while let Some((step, done)) = steps.next().await {
            if done {
                finished.push(step.key());
            }
            outcome.steps.push(step);
            progress.report(&ProgressEvent::Identities {
                done: outcome.steps.len(),
                total,
            });
        }
        if !finished.is_empty() {
            recorder
                .record(Update::IdentitySteps { keys: finished })
                .await?;
        }
    }
    if !dry_run {
        outcome.checks = verify(ops, identities, &principals).await;
    }
    Ok(outcome)
}

#[cfg(test)]
#[test]
fn run_names_end_at_the_run_id() {
    let p = "haymaker-3f0c8a52-1b4e-4a55-9d40-6a1f2b7c9e01";
    assert!(is_run_name(p, p));
    assert!(is_run_name(&format!("{p}-web"), p));
    assert!(is_run_name(&p.to_ascii_uppercase(), p));
    assert!(!is_run_name(&format!("{p}x-web"), p));
    assert!(!is_run_name("haymaker-3f0c", p));
    assert!(!is_run_name(
        "haymaker-3f0c8a52-1b4e-4a55-9d40-6a1f2b7c9eä1-x",
        p
    ));
}

async fn act(ops: &dyn IdentityOps, kind: IdentityKind, target: &str) -> Result<(), AzureError> {
    match kind {
        IdentityKind::RoleAssignment => ops.delete_role_assignment(target).await,
        IdentityKind::ServicePrincipal => ops.delete_service_principal(target).await,
        IdentityKind::Application => ops.delete_application(target).await,
        IdentityKind::DeletedItem => ops.purge_deleted(target).await,
        IdentityKind::Secret => ops.delete_secret(target).await,
    }
}

/// Checks that every role assignment, principal and secret is gone.
pub async fn verify(
    ops: &dyn IdentityOps,
    identities: &RunIdentities,
    principals: &[RunPrincipal],
) -> Vec<IdentityCheck> {
    let mut checks = Vec::new();
    let check = |kind, target: &str, result: Result<bool, AzureError>| match result {
        Ok(exists) => IdentityCheck {
            kind,
            target: target.to_string(),
            gone: !exists,
            error: None,
        },
        Err(e) => IdentityCheck {
            kind,
            target: target.to_string(),
            gone: false,
            error: Some(e.to_string()),
        },
    };
    for id in &identities.role_assignment_ids {
        checks.push(check(
            IdentityKind::RoleAssignment,
            id,
            ops.role_assignment_exists(id).await,
        ));
    }
    for p in principals {
        let presence = ops.principal_presence(p).await;
        let sp = presence
            .as_ref()
            .map(|x| x.service_principal)
            .map_err(Clone::clone);
        let app = presence.map(|x| x.application);
        checks.push(check(IdentityKind::ServicePrincipal, &p.display_name, sp));
        checks.push(check(IdentityKind::Application, &p.display_name, app));
    }
    for name in &identities.secret_names {
        checks.push(check(
            IdentityKind::Secret,
            name,
            ops.secret_exists(name).await,
        ));
    }
    checks
}
