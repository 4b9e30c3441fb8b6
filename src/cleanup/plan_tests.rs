use super::*;

const SUB: &str = "/subscriptions/s1";

fn rid(group: &str, path: &str) -> String {
    format!("{SUB}/resourceGroups/{group}/providers/{path}")
}

fn found(id: &str, t: &str) -> Found {
    Found::new(id, t, &[])
}

fn group(name: &str) -> Found {
    found(
        &format!("{SUB}/resourceGroups/{name}"),
        "Microsoft.Resources/resourceGroups",
    )
}

fn all_ours(inv: &SubscriptionInventory) -> BTreeMap<String, GuardVerdict> {
    inv.all_ids()
        .into_iter()
        .map(|i| (i.to_ascii_lowercase(), GuardVerdict::Ours))
        .collect()
}

/// The wave index of each step id.
fn wave_of(plan: &SubscriptionPlan) -> BTreeMap<String, usize> {
    plan.waves
        .iter()
        .enumerate()
        .flat_map(|(w, steps)| steps.iter().map(move |s| (s.id.clone(), w)))
        .collect()
}

fn network_inventory() -> (SubscriptionInventory, [String; 8]) {
    let vm = rid("shared", "Microsoft.Compute/virtualMachines/vm1");
    let nic = rid("shared", "Microsoft.Network/networkInterfaces/nic1");
    let disk = rid("shared", "Microsoft.Compute/disks/os1");
    let pip = rid("shared", "Microsoft.Network/publicIPAddresses/pip1");
    let vnet = rid("shared", "Microsoft.Network/virtualNetworks/v1");
    let subnet = format!("{vnet}/subnets/default");
    let pe = rid("shared", "Microsoft.Network/privateEndpoints/pe1");
    let nsg = rid("shared", "Microsoft.Network/networkSecurityGroups/nsg1");
    let inv = SubscriptionInventory {
        subscription: "s1".into(),
        resources: vec![
            found(&pip, "Microsoft.Network/publicIPAddresses"),
            found(&vnet, "Microsoft.Network/virtualNetworks"),
            found(&subnet, "Microsoft.Network/virtualNetworks/subnets"),
            found(&nic, "Microsoft.Network/networkInterfaces"),
            found(&disk, "Microsoft.Compute/disks"),
            found(&vm, "Microsoft.Compute/virtualMachines"),
            found(&pe, "Microsoft.Network/privateEndpoints"),
            found(&nsg, "Microsoft.Network/networkSecurityGroups"),
        ],
        ..Default::default()
    };
    (inv, [vm, nic, disk, pip, vnet, subnet, pe, nsg])
}

#[test]
fn dependencies_come_down_before_what_they_depend_on() {
    let (inv, [vm, nic, disk, pip, vnet, subnet, pe, nsg]) = network_inventory();
    let plan = plan_subscription(&inv, &all_ours(&inv), &BTreeSet::new());
    let w = wave_of(&plan);
    assert_eq!(w.len(), 8, "every resource has one step: {plan:#?}");
    assert!(
        w[&vm] < w[&nic] && w[&vm] < w[&disk],
        "VM before NIC and disk"
    );
    assert!(
        w[&nic] < w[&subnet] && w[&pe] < w[&subnet],
        "NIC, PE before subnet"
    );
    assert!(w[&subnet] < w[&vnet], "child before parent");
    assert!(w[&nic] < w[&pip], "public IP after the NIC holding it");
    assert!(
        w[&vnet] < w[&nsg],
        "NSG after the subnet that references it"
    );
    assert_eq!(w[&nic], w[&disk], "independent steps share a wave");
    assert_eq!(w[&nic], w[&pe]);
    assert!(plan.skipped.is_empty() && plan.gone.is_empty());
}

#[test]
fn children_of_any_type_precede_their_parents() {
    // Unknown types rank alike; depth alone orders them, and an extension resource (a lock) goes
    // before the resource it sits on even when that one ranks earlier.
    let a = rid("g", "Contoso.Widgets/widgets/a");
    let b = format!("{a}/parts/b");
    let c = format!("{b}/bolts/c");
    let vm = rid("g", "Microsoft.Compute/virtualMachines/vm");
    let ext = format!("{vm}/extensions/e");
    let lock = format!("{vm}/providers/Microsoft.Authorization/locks/l");
    let inv = SubscriptionInventory {
        subscription: "s1".into(),
        resources: vec![
            found(&a, "Contoso.Widgets/widgets"),
            found(&c, "Contoso.Widgets/widgets/parts/bolts"),
            found(&b, "Contoso.Widgets/widgets/parts"),
            found(&vm, "Microsoft.Compute/virtualMachines"),
            found(&ext, "Microsoft.Compute/virtualMachines/extensions"),
            found(&lock, "Microsoft.Authorization/locks"),
        ],
        ..Default::default()
    };
    let plan = plan_subscription(&inv, &all_ours(&inv), &BTreeSet::new());
    let w = wave_of(&plan);
    assert!(w[&c] < w[&b] && w[&b] < w[&a], "{w:#?}");
    assert!(w[&ext] < w[&vm] && w[&lock] < w[&vm], "{w:#?}");
}

#[test]
fn a_run_group_holding_only_run_resources_is_one_delete() {
    let g = group("rg-run");
    let vnet = rid("rg-run", "Microsoft.Network/virtualNetworks/v");
    let gone = rid("rg-run", "Microsoft.Storage/storageAccounts/gone");
    let inv = SubscriptionInventory {
        subscription: "s1".into(),
        resources: vec![found(&vnet, "Microsoft.Network/virtualNetworks")],
        groups: vec![g.clone()],
        members: vec![
            found(&vnet, "Microsoft.Network/virtualNetworks"),
            found(&gone, "Microsoft.Storage/storageAccounts"),
        ],
    };
    let mut seen = all_ours(&inv);
    seen.insert(gone.to_ascii_lowercase(), GuardVerdict::Gone);
    let plan = plan_subscription(&inv, &seen, &BTreeSet::new());
    assert_eq!(plan.waves.len(), 1, "{plan:#?}");
    let step = &plan.waves[0][0];
    assert!(step.is_group());
    assert_eq!(step.id, g.id);
    assert_eq!(
        step.covers
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
        [vnet.as_str()]
    );
    assert_eq!(plan.resource_count(), 2);
}

#[test]
fn a_run_group_with_a_stranger_inside_is_kept_and_emptied_of_run_resources() {
    let g = group("rg-run");
    let ours = rid("rg-run", "Microsoft.Network/virtualNetworks/v");
    let stranger = rid("rg-run", "Microsoft.Storage/storageAccounts/theirs");
    let unread = rid("rg-run", "Microsoft.KeyVault/vaults/unread");
    let inv = SubscriptionInventory {
        subscription: "s1".into(),
        resources: vec![found(&ours, "Microsoft.Network/virtualNetworks")],
        groups: vec![g.clone()],
        members: vec![
            found(&stranger, "Microsoft.Storage/storageAccounts"),
            found(&unread, "Microsoft.KeyVault/vaults"),
        ],
    };
    let mut seen = all_ours(&inv);
    seen.insert(
        stranger.to_ascii_lowercase(),
        GuardVerdict::Foreign {
            reason: "no haymaker-run-id tag".into(),
        },
    );
    seen.remove(&unread.to_ascii_lowercase());
    let plan = plan_subscription(&inv, &seen, &BTreeSet::new());
    let ids: Vec<&str> = plan.steps().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [ours.as_str()],
        "only the run's resource, never the group"
    );
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].id, g.id);
    assert!(
        plan.skipped[0].reason.contains("2 resource(s)"),
        "{}",
        plan.skipped[0].reason
    );
}

#[test]
fn foreign_gone_unread_and_done_are_not_deleted() {
    let (inv, [vm, nic, disk, pip, vnet, subnet, ..]) = network_inventory();
    let mut seen = all_ours(&inv);
    seen.insert(
        vm.to_ascii_lowercase(),
        GuardVerdict::Foreign {
            reason: "haymaker-run-id is another run".into(),
        },
    );
    seen.insert(pip.to_ascii_lowercase(), GuardVerdict::Gone);
    seen.remove(&disk.to_ascii_lowercase());
    seen.insert(
        subnet.to_ascii_lowercase(),
        GuardVerdict::Foreign {
            reason: "no tag".into(),
        },
    );
    let done: BTreeSet<String> = [nic.to_ascii_lowercase()].into();
    let plan = plan_subscription(&inv, &seen, &done);
    let ids: BTreeSet<&str> = plan.steps().map(|s| s.id.as_str()).collect();
    for absent in [&vm, &nic, &disk, &pip, &subnet, &vnet] {
        assert!(
            !ids.contains(absent.as_str()),
            "{absent} must not be deleted: {plan:#?}"
        );
    }
    let skipped: BTreeMap<&str, &str> = plan
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.reason.as_str()))
        .collect();
    assert!(skipped[vm.as_str()].contains("another run"));
    assert!(skipped[disk.as_str()].contains("not re-read"));
    assert!(
        skipped[vnet.as_str()].contains("child"),
        "a VNet with a foreign subnet stays"
    );
    assert_eq!(plan.gone, std::slice::from_ref(&pip));
}

#[test]
fn ids_differing_in_case_are_one_resource_and_empty_input_plans_nothing() {
    let id = rid("g", "Microsoft.Network/networkInterfaces/n");
    let inv = SubscriptionInventory {
        subscription: "s1".into(),
        resources: vec![
            found(&id, "Microsoft.Network/networkInterfaces"),
            found(
                &id.to_ascii_uppercase(),
                "microsoft.network/networkinterfaces",
            ),
        ],
        ..Default::default()
    };
    let plan = plan_subscription(&inv, &all_ours(&inv), &BTreeSet::new());
    assert_eq!(plan.steps().count(), 1);
    let empty = plan_subscription(
        &SubscriptionInventory::default(),
        &BTreeMap::new(),
        &BTreeSet::new(),
    );
    assert!(empty.waves.is_empty());
}

#[test]
fn untagged_children_of_run_resources_go_with_them_and_other_untagged_resources_are_left() {
    let sub = "/subscriptions/s/resourceGroups/rg-run/providers/Microsoft.Network";
    let vnet = format!("{sub}/virtualNetworks/v");
    let subnet = format!("{vnet}/subnets/a");
    let stray = format!("{sub}/publicIPAddresses/someone-elses");
    let group = "/subscriptions/s/resourceGroups/rg-run";
    let inventory = SubscriptionInventory {
        subscription: "s".into(),
        resources: vec![Found::new(&vnet, "Microsoft.Network/virtualNetworks", &[])],
        groups: vec![Found::new(group, "Microsoft.Resources/resourceGroups", &[])],
        members: vec![
            Found::new(&subnet, "Microsoft.Network/virtualNetworks/subnets", &[]),
            Found::new(&stray, "Microsoft.Network/publicIPAddresses", &[]),
        ],
    };
    let mut seen = BTreeMap::new();
    seen.insert(vnet.to_ascii_lowercase(), GuardVerdict::Ours);
    seen.insert(group.to_ascii_lowercase(), GuardVerdict::Ours);
    seen.insert(subnet.to_ascii_lowercase(), GuardVerdict::Untagged);
    seen.insert(stray.to_ascii_lowercase(), GuardVerdict::Untagged);
    let plan = plan_subscription(&inventory, &seen, &BTreeSet::new());
    // The VNet is deleted (its untagged subnet does not hold it back) ...
    assert!(plan.steps().any(|s| s.id == vnet), "{plan:?}");
    // ... but the group is not deleted whole: it holds a stranger.
    assert!(!plan.steps().any(|s| s.id == group));
    assert!(plan
        .skipped
        .iter()
        .any(|s| s.id == group && s.reason.contains("someone-elses")));
    assert!(!plan.steps().any(|s| s.id == stray));
}
