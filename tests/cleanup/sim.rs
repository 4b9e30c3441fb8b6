//! The cleanup engine against the simulator: real ARM reads and deletes through haymaker's pipeline,
//! the checkpoint in a local state store. Discovery and identities use the stand-ins described in
//! `cleanup_support` (the simulator does not serve Resource Graph, Graph, RBAC or Key Vault yet).
//! Crash resume, subscription isolation and conflicts are in `cleanup_resume.rs`.

use crate::cleanup_support;

use std::collections::BTreeSet;

use cleanup_support::harness::{clean, request, store};
use cleanup_support::{run_tags, CountingArm, FakeDirectory, TestSim, WorldInventory};
use haymaker::azure::resources::ArmClient;
use haymaker::cleanup::azure_ports::AzureArm;
use haymaker::cleanup::{
    checkpoint_key, CleanupStatus, Mode, RunIdentities, TAG_MANAGED, TAG_RUN_ID,
};
use uuid::Uuid;

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
    // A run VNet whose subnet (stale in the index as the run's) now belongs to someone else: the
    // subnet's own re-read keeps it, and its parent stays with it.
    let parent = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/virtualNetworks/vnet2",
            &ours,
        )
        .await;
    let foreign_child = sim
        .put(
            &p,
            &s0,
            "shared",
            "Microsoft.Network/virtualNetworks/vnet2/subnets/theirs",
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
    inventory
        .stale
        .lock()
        .unwrap()
        .push(haymaker::cleanup::Found::new(
            &foreign_child,
            "Microsoft.Network/virtualNetworks/subnets",
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
        &parent,
        &foreign_child,
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
        &parent,
        &foreign_child,
        &other_group,
        &other_vm,
        &same_name,
    ] {
        assert!(
            !deleted.contains(never.as_str()),
            "a delete was sent for {never}"
        );
    }
    // The only run-tagged things left: the group that holds a stranger, the unmanaged disk and the
    // VNet holding someone else's subnet.
    let mut left = sim.tagged_with(&r);
    left.sort();
    let mut expected = vec![mixed.clone(), unmanaged.clone(), parent.clone()];
    expected.sort();
    assert_eq!(left, expected);
    // What was kept of the run's is reported, not hidden: the cleanup is partial.
    let mut leftovers = outcome.leftovers.clone();
    leftovers.sort();
    let mut expected = vec![mixed.clone(), parent.clone()];
    expected.sort();
    assert_eq!(leftovers, expected);
    assert_eq!(outcome.report.status, CleanupStatus::Partial);
    let skipped: Vec<&str> = outcome
        .subscriptions
        .iter()
        .flat_map(|s| &s.skipped)
        .map(|s| s.id.as_str())
        .collect();
    for kept in [&retagged, &mixed, &parent, &foreign_child] {
        assert!(
            skipped.contains(&kept.as_str()),
            "{kept} not in {skipped:?}"
        );
    }
    let why = outcome
        .subscriptions
        .iter()
        .flat_map(|s| &s.skipped)
        .find(|s| s.id == parent)
        .map(|s| s.reason.clone());
    assert!(
        why.as_deref().is_some_and(|r| r.contains("its child")),
        "{why:?}"
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
