use super::*;

fn inputs(tags: &BTreeMap<String, String>) -> PlanInputs<'_> {
    PlanInputs {
        subscription: "sub",
        resource_group: "rg",
        location: "eastus",
        suffix: "abc123",
        tags,
    }
}

#[test]
fn references_follow_real_dependencies_and_creation_order_respects_them() {
    let tags = BTreeMap::from([("haymaker-run-id".to_string(), "r".to_string())]);
    let types: Vec<String> = [
        "Microsoft.Compute/virtualMachines",
        "Microsoft.Network/networkInterfaces",
        "Microsoft.Network/virtualNetworks/subnets",
        "Microsoft.Network/publicIPAddresses",
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Compute/disks",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.Sql/servers/databases",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let plan = plan(&types, &inputs(&tags));
    let pos = |t: &str| plan.iter().position(|p| p.resource_type == t).unwrap();
    // Every reference is created before the resource that holds it.
    for (i, p) in plan.iter().enumerate() {
        for r in &p.references {
            let j = plan
                .iter()
                .position(|q| &q.id == r)
                .expect("referenced in plan");
            assert!(j < i, "{} needs {} first", p.id, r);
        }
    }
    let nic = &plan[pos("Microsoft.Network/networkInterfaces")];
    assert_eq!(nic.references.len(), 2, "subnet and public IP");
    assert!(
        nic.body["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
            .as_str()
            .unwrap()
            .contains("/subnets/")
    );
    let vm = &plan[pos("Microsoft.Compute/virtualMachines")];
    assert_eq!(vm.references.len(), 2, "NIC and disk");
    // A child without its parent type in the list is skipped; top-level resources carry the tags.
    assert!(!plan
        .iter()
        .any(|p| p.resource_type == "Microsoft.Sql/servers/databases"));
    assert_eq!(plan[0].body["tags"]["haymaker-run-id"], "r");
    assert!(plan.iter().all(|p| p.name.len() <= 24));

    let free: Vec<&str> = independent(&plan)
        .iter()
        .map(|p| p.resource_type.as_str())
        .collect();
    assert_eq!(free, ["Microsoft.Storage/storageAccounts"]);
}
