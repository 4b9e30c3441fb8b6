//! The cleanup engine against the simulator: real ARM reads and deletes through haymaker's pipeline,
//! the checkpoint in a local state store. Discovery and identities use the stand-ins described in
//! `cleanup_support` (the simulator does not serve Resource Graph, Graph, RBAC or Key Vault yet).

mod cleanup_support;

use std::collections::BTreeSet;

use cleanup_support::{run_tags, CountingArm, FakeDirectory, TestSim, WorldInventory};
use haymaker::azure::resources::ArmClient;
use haymaker::cleanup::azure_ports::AzureArm;
use haymaker::cleanup::execute::{ConflictBackoff, ExecOptions};
use haymaker::cleanup::{
    checkpoint_key, run_cleanup, Checkpoint, CleanupOptions, CleanupOutcome, CleanupRequest,
    CleanupStatus, Mode, NoProgress, Ports, RunIdentities, SubscriptionState, TAG_MANAGED,
    TAG_RUN_ID,
};
use haymaker::store::{StateStore, StoreLocation};
use uuid::Uuid;

fn store(dir: &std::path::Path) -> StateStore {
    StateStore::open(&StoreLocation::Local(dir.join("state"))).unwrap()
}

fn options() -> CleanupOptions {
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

fn request(run: Uuid, subs: &[String], identities: RunIdentities, mode: Mode) -> CleanupRequest {
    CleanupRequest {
        run_id: run,
        subscriptions: subs.to_vec(),
        identities,
        discover_identities: true,
        mode,
    }
}

async fn clean(
    inventory: &WorldInventory<'_>,
    arm: &dyn haymaker::cleanup::ArmOps,
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

#[tokio::test]
async fn foreign_and_other_run_resources_with_the_same_names_or_similar_tags_are_never_touched() {
    let sim = TestSim::start().await;
    let p = sim.pipeline();
    let (s0, s1) = (sim.sub(0), sim.sub(1));
    let run = Uuid::new_v4();
    let other = Uuid::new_v4().to_string();
    let r = run.to_string();
    let ours = run_tags(&r);
    let theirs = run_tags(&other);
    let rg = format!("haymaker-{r}-networking-01");

    // The run's own group, only run resources inside: one group delete.
    sim.put_group(&p, &s0, &rg, &ours).await;
    let vnet = sim
        .put(
            &p,
            &s0,
            &rg,
            "Microsoft.Network/virtualNetworks/vnet1",
            &ours,
        )
        .await;
    sim.put(
        &p,
        &s0,
        &rg,
        "Microsoft.Network/virtualNetworks/vnet1/subnets/default",
        &ours,
    )
    .await;
    sim.put(&p, &s0, &rg, "Microsoft.Compute/virtualMachines/vm1", &ours)
        .await;
    // A run group someone put a resource into: the group stays, the run's resource goes.
    let mixed = sim.put_group(&p, &s0, "hm-mixed", &ours).await;
    let mixed_nic = sim
        .put(
            &p,
            &s0,
            "hm-mixed",
            "Microsoft.Network/networkInterfaces/nic1",
            &ours,
        )
        .await;
    let stranger = sim
        .put(
            &p,
            &s0,
            "hm-mixed",
            "Microsoft.Storage/storageAccounts/theirs",
            &[],
        )
        .await;
    // A shared group (not the run's) with run resources and look-alikes.
    let shared = sim.put_group(&p, &s0, "shared", &[]).await;
    let shared_vm = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Compute/virtualMachines/vm1",
            &ours,
        )
        .await;
    let unmanaged = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Compute/disks/d1",
            &[(TAG_RUN_ID, &r), (TAG_MANAGED, "false")],
        )
        .await;
    let retagged = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/virtualNetworks/vnet1",
            &theirs,
        )
        .await;
    // Another run's group with the same resource names, and in the other subscription a group with
    // the run group's very name, tagged with the other run.
    let other_group = sim.put_group(&p, &s0, "other-run", &theirs).await;
    let other_vm = sim
        .put(
            &p,
            &s0,
            "other-run",
            "Microsoft.Compute/virtualMachines/vm1",
            &theirs,
        )
        .await;
    let same_name = sim.put_group(&p, &s1, &rg, &theirs).await;
    let same_name_vnet = sim
        .put(
            &p,
            &s1,
            &rg,
            "Microsoft.Network/virtualNetworks/vnet1",
            &theirs,
        )
        .await;

    let inventory = WorldInventory::new(&sim);
    // A stale index still says the retagged VNet is the run's: only the re-read can tell.
    inventory
        .stale
        .lock()
        .unwrap()
        .push(haymaker::cleanup::Found::new(
            &retagged,
            "Microsoft.Network/virtualNetworks",
            &ours,
        ));
    let arm = CountingArm::new(AzureArm::new(ArmClient::new(p.clone())));
    let directory = FakeDirectory::default();
    let (mine, _) = directory.add_principal(
        &format!("haymaker-{r}-networking-01"),
        &s0,
        &format!("hm-{r}-net"),
    );
    let (foreign, foreign_ra) = directory.add_principal(
        &format!("haymaker-{other}-networking-01"),
        &s0,
        "their-secret",
    );
    let (lookalike, _) = directory.add_principal(&format!("haymaker-{r}x-evil"), &s0, "evil");
    let dir = tempfile::tempdir().unwrap();
    let req = request(
        run,
        &[s0.clone(), s1.clone()],
        RunIdentities::default(),
        Mode::Execute,
    );
    let outcome = clean(&inventory, &arm, &directory, Some(store(dir.path())), &req).await;

    for kept in [
        &mixed,
        &stranger,
        &shared,
        &unmanaged,
        &retagged,
        &other_group,
        &other_vm,
        &same_name,
        &same_name_vnet,
    ] {
        assert!(sim.exists(kept), "{kept} must not be touched");
    }
    for gone in [&vnet, &mixed_nic, &shared_vm] {
        assert!(!sim.exists(gone), "{gone} is the run's and must be gone");
    }
    let deleted: BTreeSet<String> = arm.deleted().into_iter().collect();
    for never in [
        &mixed,
        &stranger,
        &shared,
        &unmanaged,
        &retagged,
        &other_group,
        &other_vm,
        &same_name,
    ] {
        assert!(
            !deleted.contains(never.as_str()),
            "a delete was sent for {never}"
        );
    }
    // The only run-tagged things left: the group that holds a stranger, and the unmanaged disk.
    let mut left = sim.tagged_with(&r);
    left.sort();
    let mut expected = vec![mixed.clone(), unmanaged.clone()];
    expected.sort();
    assert_eq!(left, expected);
    // The kept run group is reported, not hidden: the cleanup is partial.
    assert_eq!(outcome.leftovers, std::slice::from_ref(&mixed));
    assert_eq!(outcome.report.status, CleanupStatus::Partial);
    let skipped: Vec<&str> = outcome
        .subscriptions
        .iter()
        .flat_map(|s| &s.skipped)
        .map(|s| s.id.as_str())
        .collect();
    assert!(
        skipped.contains(&retagged.as_str()) && skipped.contains(&mixed.as_str()),
        "{skipped:?}"
    );
    // Identities: the run's principal (found by name) is gone; the other run's and the look-alike stay.
    {
        let state = directory.state.lock().unwrap();
        assert!(!state
            .apps
            .contains_key(mine.app_object_id.as_ref().unwrap()));
        assert!(state
            .apps
            .contains_key(foreign.app_object_id.as_ref().unwrap()));
        assert!(state
            .sps
            .contains_key(lookalike.sp_object_id.as_ref().unwrap()));
        assert!(state.role_assignments.contains_key(&foreign_ra));
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_dry_run_deletes_nothing_then_the_cleanup_is_verified_in_order() {
    let sim = TestSim::start().await;
    let p = sim.pipeline();
    let s0 = sim.sub(0);
    let run = Uuid::new_v4();
    let r = run.to_string();
    let ours = run_tags(&r);
    // Run resources in a group that is not the run's: deleted one by one, in dependency order.
    sim.put_group(&p, &s0, "shared", &[]).await;
    let vnet = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/virtualNetworks/v",
            &ours,
        )
        .await;
    let subnet = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/virtualNetworks/v/subnets/s",
            &ours,
        )
        .await;
    let nic = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/networkInterfaces/n",
            &ours,
        )
        .await;
    let pip = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/publicIPAddresses/ip",
            &ours,
        )
        .await;
    let vm = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Compute/virtualMachines/vm",
            &ours,
        )
        .await;
    let rg = sim
        .put_group(&p, &s0, &format!("haymaker-{r}-web"), &ours)
        .await;
    sim.put(
        &p,
        &s0,
        &format!("haymaker-{r}-web"),
        "Microsoft.Web/sites/app",
        &ours,
    )
    .await;

    let inventory = WorldInventory::new(&sim);
    let arm = CountingArm::new(AzureArm::new(ArmClient::new(p.clone())));
    let directory = FakeDirectory::default();
    let (known, ra) = directory.add_principal(&format!("haymaker-{r}-web"), &s0, "hm-web");
    let (orphan, orphan_ra) =
        directory.add_principal(&format!("haymaker-{r}-orphan"), &s0, "hm-orphan");
    let from_state = RunIdentities {
        principals: vec![known.clone()],
        secret_names: vec!["hm-web".into(), "hm-orphan".into()],
        role_assignment_ids: vec![ra.clone()],
    };
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());

    let dry = request(
        run,
        std::slice::from_ref(&s0),
        from_state.clone(),
        Mode::DryRun,
    );
    let planned = clean(&inventory, &arm, &directory, Some(st.clone()), &dry).await;
    assert!(arm.deleted().is_empty(), "a dry run deletes nothing");
    assert!(directory.log().is_empty(), "a dry run touches no identity");
    assert!(
        st.read(&checkpoint_key(run)).await.unwrap().is_none(),
        "nor writes a checkpoint"
    );
    assert!(planned.succeeded());
    let order: Vec<&str> = planned.plans[0].steps().map(|s| s.id.as_str()).collect();
    let at = |id: &str| {
        order
            .iter()
            .position(|x| *x == id)
            .unwrap_or_else(|| panic!("{id} not planned: {order:?}"))
    };
    assert!(
        at(&vm) < at(&nic)
            && at(&nic) < at(&subnet)
            && at(&subnet) < at(&vnet)
            && at(&nic) < at(&pip)
    );
    assert_eq!(
        order.last(),
        Some(&rg.as_str()),
        "the whole run group goes last, once"
    );
    assert_eq!(
        order.len(),
        6,
        "the web app is covered by its group: {order:?}"
    );
    let planned_targets: BTreeSet<&str> = planned
        .identities
        .steps
        .iter()
        .map(|s| s.target.as_str())
        .collect();
    assert!(
        planned_targets.contains(orphan_ra.as_str()),
        "orphans found by name are listed"
    );

    let run_it = request(run, std::slice::from_ref(&s0), from_state, Mode::Execute);
    let done = clean(&inventory, &arm, &directory, Some(st.clone()), &run_it).await;
    assert_eq!(done.report.status, CleanupStatus::Verified, "{done:#?}");
    assert!(sim.tagged_with(&r).is_empty());
    assert_eq!(arm.deleted(), order, "deleted exactly as the dry run said");
    let v = done.report.verification;
    assert_eq!(
        (v.expected_deleted, v.actually_deleted, v.deletion_failures),
        (7, 7, 0)
    );
    // Identity phases in order: assignments, principals, applications, purges, secrets.
    let phase = |line: &str| {
        [
            "role-assignment",
            "service-principal",
            "application",
            "purge",
            "secret",
        ]
        .iter()
        .position(|p| line.starts_with(p))
        .unwrap()
    };
    let phases: Vec<usize> = directory.log().iter().map(|l| phase(l)).collect();
    assert!(
        phases.windows(2).all(|w| w[0] <= w[1]),
        "{:?}",
        directory.log()
    );
    assert_eq!(phases.len(), 2 + 2 + 2 + 4 + 2);
    assert!(
        done.identities.checks.iter().all(|c| c.gone) && done.identities.checks.len() == 2 + 4 + 2
    );
    let mut sps = done.report.service_principals_deleted.clone();
    sps.sort();
    let mut want = vec![known.display_name.clone(), orphan.display_name.clone()];
    want.sort();
    assert_eq!(sps, want);
    // The report is the contract's CleanupReport.
    let json = serde_json::to_value(&done.report).unwrap();
    assert_eq!(json["status"], "verified");
    assert_eq!(json["run_id"], r);
    for key in [
        "expected_deleted",
        "actually_deleted",
        "forced_deletions",
        "deletion_failures",
    ] {
        assert!(json["verification"][key].is_u64(), "{key}");
    }
    let first = &json["deletions"][0];
    assert!(first["resource_id"].is_string() && first["attempts"].as_u64() >= Some(1));
    assert_eq!(first["status"], "deleted");
    // A second cleanup finds nothing to do and repeats nothing.
    let again = clean(&inventory, &arm, &directory, Some(st), &run_it).await;
    assert_eq!(again.report.status, CleanupStatus::Verified);
    assert_eq!(arm.deleted().len(), order.len());
    sim.stop().await;
}

#[tokio::test]
async fn a_cleanup_resumed_after_a_crash_does_not_redo_finished_work() {
    let sim = TestSim::start().await;
    let p = sim.pipeline();
    let (s0, s1) = (sim.sub(0), sim.sub(1));
    let run = Uuid::new_v4();
    let r = run.to_string();
    let ours = run_tags(&r);
    sim.put_group(&p, &s0, "shared", &[]).await;
    for i in 0..40 {
        sim.put(
            &p,
            &s0,
            "shared",
            &format!("Microsoft.Storage/storageAccounts/sa{i}"),
            &ours,
        )
        .await;
    }
    sim.put_group(&p, &s1, "shared", &[]).await;
    for i in 0..3 {
        sim.put(
            &p,
            &s1,
            "shared",
            &format!("Microsoft.KeyVault/vaults/kv{i}"),
            &ours,
        )
        .await;
    }
    let inventory = WorldInventory::new(&sim);
    let directory = FakeDirectory::default();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let req = request(
        run,
        &[s0.clone(), s1.clone()],
        RunIdentities::default(),
        Mode::Execute,
    );

    // First attempt: subscription 0 stalls after 17 deletes; the process "dies" once subscription 1
    // is recorded done and subscription 0 has recorded some deletes.
    let mut crashing = CountingArm::new(AzureArm::new(ArmClient::new(p.clone())));
    crashing.stall_subscription = Some(s0.clone());
    crashing.stall_after = 17;
    let before: Checkpoint = {
        let cleanup = clean(&inventory, &crashing, &directory, Some(st.clone()), &req);
        tokio::pin!(cleanup);
        loop {
            tokio::select! {
                _ = &mut cleanup => panic!("the first attempt cannot finish: subscription 0 stalls"),
                _ = tokio::time::sleep(std::time::Duration::from_millis(10)) => {}
            }
            let cp = st
                .read_json::<Checkpoint>(&checkpoint_key(run))
                .await
                .unwrap()
                .map(|(c, _)| c);
            let ready = cp.as_ref().is_some_and(|c| {
                c.subscription(&s1)
                    .is_some_and(|s| s.state == SubscriptionState::Done)
                    && c.subscription(&s0).is_some_and(|s| s.deleted().len() >= 10)
            });
            if ready {
                break cp.unwrap();
            }
        }
    };
    let recorded = before.subscription(&s0).unwrap().deleted();
    assert_eq!(
        before.subscription(&s0).unwrap().state,
        SubscriptionState::InProgress
    );

    // Second attempt, from the checkpoint alone.
    let resumed = CountingArm::new(AzureArm::new(ArmClient::new(p.clone())));
    let outcome = clean(&inventory, &resumed, &directory, Some(st.clone()), &req).await;
    assert_eq!(
        outcome.report.status,
        CleanupStatus::Verified,
        "{outcome:#?}"
    );
    assert!(sim.tagged_with(&r).is_empty());
    let redone: Vec<String> = resumed
        .deleted()
        .into_iter()
        .filter(|id| recorded.contains(&id.to_ascii_lowercase()))
        .collect();
    assert!(redone.is_empty(), "re-deleted after the crash: {redone:?}");
    let reread: Vec<String> = resumed
        .reads
        .lock()
        .unwrap()
        .iter()
        .filter(|id| recorded.contains(&id.to_ascii_lowercase()) || id.contains(&s1))
        .cloned()
        .collect();
    assert!(
        reread.is_empty(),
        "recorded work was read again: {reread:?}"
    );
    assert!(
        resumed.deleted().iter().all(|id| id.contains(&s0)),
        "subscription 1 was done"
    );
    assert_eq!(
        outcome.report.deletions.len(),
        43,
        "every resource reported once"
    );
    sim.stop().await;
}

#[tokio::test]
async fn one_failing_subscription_is_reported_and_retried_without_failing_the_others() {
    let sim = TestSim::start().await;
    let p = sim.pipeline();
    let (s0, s1) = (sim.sub(0), sim.sub(1));
    let run = Uuid::new_v4();
    let r = run.to_string();
    let ours = run_tags(&r);
    let g0 = sim
        .put_group(&p, &s0, &format!("haymaker-{r}-a"), &ours)
        .await;
    sim.put(
        &p,
        &s0,
        &format!("haymaker-{r}-a"),
        "Microsoft.Network/virtualNetworks/v",
        &ours,
    )
    .await;
    let g1 = sim
        .put_group(&p, &s1, &format!("haymaker-{r}-b"), &ours)
        .await;
    let inventory = WorldInventory::new(&sim);
    inventory.failing.lock().unwrap().insert(s1.clone());
    let arm = CountingArm::new(AzureArm::new(ArmClient::new(p.clone())));
    let directory = FakeDirectory::default();
    let dir = tempfile::tempdir().unwrap();
    let st = store(dir.path());
    let req = request(
        run,
        &[s0.clone(), s1.clone()],
        RunIdentities::default(),
        Mode::Execute,
    );

    let first = clean(&inventory, &arm, &directory, Some(st.clone()), &req).await;
    assert!(!sim.exists(&g0) && sim.exists(&g1));
    let state = |o: &CleanupOutcome, s: &str| {
        o.subscriptions
            .iter()
            .find(|x| x.subscription == *s)
            .unwrap()
            .clone()
    };
    assert_eq!(state(&first, &s0).state, SubscriptionState::Done);
    assert_eq!(state(&first, &s1).state, SubscriptionState::Failed);
    assert!(state(&first, &s1)
        .error
        .unwrap()
        .contains("AuthorizationFailed"));
    assert_eq!(first.report.status, CleanupStatus::Partial);
    assert!(!first.succeeded());
    let cp = st
        .read_json::<Checkpoint>(&checkpoint_key(run))
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(cp.subscription(&s0).unwrap().state, SubscriptionState::Done);
    assert_eq!(
        cp.subscription(&s1).unwrap().state,
        SubscriptionState::Failed,
        "never recorded done"
    );

    inventory.failing.lock().unwrap().clear();
    let deletes_before = arm.deleted().len();
    let second = clean(&inventory, &arm, &directory, Some(st), &req).await;
    assert_eq!(second.report.status, CleanupStatus::Verified, "{second:#?}");
    assert!(!sim.exists(&g1));
    assert_eq!(
        &arm.deleted()[deletes_before..],
        std::slice::from_ref(&g1),
        "only the failed subscription is redone"
    );
    assert_eq!(
        second.report.deletions.len(),
        3,
        "both groups and the VNet, reported once each"
    );
    sim.stop().await;
}

/// Answers 409 to the first `conflicts` deletes of each id (the simulator has no dependency
/// conflicts yet; this one edge case is a wrapper around the real ARM port).
struct Conflicting<A> {
    inner: A,
    conflicts: u32,
    seen: std::sync::Mutex<std::collections::BTreeMap<String, u32>>,
}

#[async_trait::async_trait]
impl<A: haymaker::cleanup::ArmOps> haymaker::cleanup::ArmOps for Conflicting<A> {
    async fn read_tags(
        &self,
        id: &str,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, haymaker::azure::AzureError>
    {
        self.inner.read_tags(id).await
    }

    async fn delete(
        &self,
        id: &str,
    ) -> Result<haymaker::azure::arm::DeleteOutcome, haymaker::azure::AzureError> {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            let n = seen.entry(id.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        if n <= self.conflicts {
            return Err(haymaker::azure::AzureError::Http {
                method: "DELETE".into(),
                path: id.into(),
                status: 409,
                code: "InUseSubnetCannotBeDeleted".into(),
                message: "Subnet is in use".into(),
                request_id: "test".into(),
            });
        }
        self.inner.delete(id).await
    }
}

#[tokio::test]
async fn dependency_conflicts_are_retried_and_counted_and_give_up_after_the_limit() {
    let sim = TestSim::start().await;
    let p = sim.pipeline();
    let s0 = sim.sub(0);
    let run = Uuid::new_v4();
    let r = run.to_string();
    let ours = run_tags(&r);
    sim.put_group(&p, &s0, "shared", &[]).await;
    let subnet_holder = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/virtualNetworks/v",
            &ours,
        )
        .await;
    let inventory = WorldInventory::new(&sim);
    let directory = FakeDirectory::default();
    let req = request(
        run,
        std::slice::from_ref(&s0),
        RunIdentities::default(),
        Mode::Execute,
    );

    // Two conflicts, then success: within the 3 attempts allowed.
    let arm = Conflicting {
        inner: AzureArm::new(ArmClient::new(p.clone())),
        conflicts: 2,
        seen: Default::default(),
    };
    let ok = clean(&inventory, &arm, &directory, None, &req).await;
    assert_eq!(ok.report.status, CleanupStatus::Verified, "{ok:#?}");
    assert_eq!(ok.report.deletions[0].attempts, 3);
    assert!(!sim.exists(&subnet_holder));

    // Always in conflict: reported as failed with the service's code, the subscription not done.
    let stuck = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/virtualNetworks/w",
            &ours,
        )
        .await;
    let arm = Conflicting {
        inner: AzureArm::new(ArmClient::new(p.clone())),
        conflicts: u32::MAX,
        seen: Default::default(),
    };
    let failed = clean(&inventory, &arm, &directory, None, &req).await;
    assert!(sim.exists(&stuck));
    let d = &failed.report.deletions[0];
    assert_eq!((d.attempts, d.resource_id.as_str()), (3, stuck.as_str()));
    assert!(d
        .error
        .as_deref()
        .unwrap()
        .contains("InUseSubnetCannotBeDeleted"));
    assert_eq!(failed.subscriptions[0].state, SubscriptionState::Failed);
    assert_eq!(failed.leftovers, std::slice::from_ref(&stuck));
    assert_eq!(failed.report.status, CleanupStatus::Failed);
    sim.stop().await;
}
