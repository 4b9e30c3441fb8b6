//! The cleanup engine resumed: after a crash, after a failing subscription, through dependency
//! conflicts — against the simulator, with the stand-ins described in `cleanup_support`.

use crate::cleanup_support;

use cleanup_support::harness::{clean, request, store};
use cleanup_support::{run_tags, CountingArm, FakeDirectory, TestSim, WorldInventory};
use haymaker::azure::resources::ArmClient;
use haymaker::cleanup::azure_ports::AzureArm;
use haymaker::cleanup::{
    checkpoint_key, Checkpoint, CleanupOutcome, CleanupStatus, Mode, RunIdentities,
    SubscriptionState,
};
use uuid::Uuid;

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
