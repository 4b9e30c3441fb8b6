//! The cleanup engine: finds everything a run left in Azure by its tags, deletes it in dependency
//! order without touching anything that is not the run's, removes the run's identities, verifies
//! that nothing is left, and checkpoints its progress so a crashed cleanup resumes where it stopped.
//!
//! The decisions are pure functions of what was observed; the I/O is behind traits so the phase
//! machine, the CLI and the tests drive the same code:
//!
//! | module | what it is for |
//! |---|---|
//! | [`model`] | what discovery finds ([`Found`], [`SubscriptionInventory`]) and what a run's identities are ([`RunIdentities`]) |
//! | [`guard`] | the scope guard: whether a resource's *current* tags make it this run's ([`GuardVerdict`]) |
//! | [`plan`] | dependency order: waves of deletes, whole-group deletes, what is skipped and why |
//! | [`ports`] | the traits the engine calls ([`Inventory`], [`ArmOps`], [`IdentityOps`], [`Progress`]) |
//! | [`azure_ports`] | those traits on the real clients (Resource Graph, ARM, RBAC, Graph, Key Vault) |
//! | [`checkpoint`] | the checkpoint document in the state store and its pure merge |
//! | [`execute`] | one subscription: discover, guard, plan, delete in waves, checkpoint as it goes |
//! | [`steps`] | its calls: the guard's re-reads (up front, or deferred to each step) and the deletes with 409 retries |
//! | [`identities`] | role assignments, service principals, applications, secrets: delete, purge, verify |
//! | [`report`] | the contract's `CleanupReport` / `CleanupVerification` and the fuller [`CleanupOutcome`] |
//! | [`engine`] | a whole run: every subscription in isolation, then identities, then verification |
//!
//! Tags every run resource carries: [`TAG_MANAGED`]`=true`, [`TAG_RUN_ID`]`=<run>`,
//! [`TAG_SCENARIO`]`=<name>`. Principals are named `haymaker-<run>-<scenario>`.

pub mod azure_ports;
pub mod checkpoint;
pub mod engine;
pub mod execute;
pub mod guard;
pub mod identities;
pub mod model;
pub mod plan;
pub mod ports;
pub mod report;
pub mod steps;

pub use checkpoint::{checkpoint_key, Checkpoint, SubscriptionState};
pub use engine::{run_cleanup, verify_resources, CleanupOptions, CleanupRequest, Mode, Ports};
pub use guard::{verdict, GuardVerdict};
pub use model::{Found, RunFilter, RunIdentities, RunPrincipal, SubscriptionInventory};
pub use plan::{plan_subscription, Step, SubscriptionPlan};
pub use ports::{ArmOps, IdentityOps, Inventory, NoProgress, Progress, ProgressEvent};
pub use report::{CleanupOutcome, CleanupReport, CleanupStatus, CleanupVerification};

pub use crate::run::names::{TAG_MANAGED, TAG_RUN_ID, TAG_SCENARIO};

/// The display-name prefix of a run's applications and service principals: `haymaker-<run>`.
pub fn principal_prefix(run_id: uuid::Uuid) -> String {
    format!("haymaker-{run_id}")
}

/// What stops the cleanup of a run as a whole (a single resource or subscription failing does not:
/// that is reported in the outcome).
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    /// The state store could not record or read the checkpoint.
    #[error("cleanup checkpoint: {0}")]
    Store(#[from] crate::store::StoreError),
    /// The request cannot be carried out as given.
    #[error("{0}")]
    Invalid(String),
}
