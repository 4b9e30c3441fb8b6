//! The engine's calls as the cleanup tests make them: a local state store, small chunks and
//! fast conflict retries.

use haymaker::cleanup::execute::{ConflictBackoff, ExecOptions};
use haymaker::cleanup::{
    run_cleanup, ArmOps, CleanupOptions, CleanupOutcome, CleanupRequest, Mode, NoProgress, Ports,
    RunIdentities,
};
use haymaker::store::{StateStore, StoreLocation};
use uuid::Uuid;

use super::{FakeDirectory, WorldInventory};

pub fn store(dir: &std::path::Path) -> StateStore {
    StateStore::open(&StoreLocation::Local(dir.join("state"))).unwrap()
}

pub fn options() -> CleanupOptions {
    CleanupOptions {
        exec: ExecOptions {
            concurrency: 4,
            chunk: 5,
            conflict: ConflictBackoff {
                attempts: 3,
                initial: std::time::Duration::from_millis(5),
                max: std::time::Duration::from_millis(20),
            },
        },
    }
}

pub fn request(
    run: Uuid,
    subs: &[String],
    identities: RunIdentities,
    mode: Mode,
) -> CleanupRequest {
    CleanupRequest {
        run_id: run,
        subscriptions: subs.to_vec(),
        identities,
        discover_identities: true,
        mode,
    }
}

pub async fn clean(
    inventory: &WorldInventory<'_>,
    arm: &dyn ArmOps,
    directory: &FakeDirectory,
    store: Option<StateStore>,
    request: &CleanupRequest,
) -> CleanupOutcome {
    let ports = Ports {
        inventory,
        arm,
        identities: directory,
    };
    run_cleanup(&ports, store, &NoProgress, &options(), request)
        .await
        .unwrap()
}
