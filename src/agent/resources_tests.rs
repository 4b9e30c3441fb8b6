use super::*;
use crate::agent::steps::{AgentCommand, Effect};

const RG: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg";

fn cmd(args: &str) -> AgentCommand {
    AgentCommand {
        line: 1,
        argv: args.split(' ').map(String::from).collect(),
        path: String::new(),
        effect: Effect::Delete,
        written: args.into(),
    }
}

#[test]
fn ids_come_from_the_top_level_or_the_one_wrapping_object() {
    let vm = format!(
        r#"{{"id": "{RG}/providers/Microsoft.Compute/virtualMachines/vm1", "powerState": "VM running"}}"#
    );
    let got = ids_in_output(&vm);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].resource_type, "Microsoft.Compute/virtualMachines");
    assert_eq!(got[0].name, "vm1");

    let nsg = format!(
        r#"{{"NewNSG": {{"id": "{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg1", "name": "nsg1"}}}}"#
    );
    assert_eq!(ids_in_output(&nsg)[0].name, "nsg1");

    let subnet =
        format!(r#"{{"id": "{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s1"}}"#);
    let s = &ids_in_output(&subnet)[0];
    assert_eq!(s.resource_type, "Microsoft.Network/virtualNetworks/subnets");
    assert_eq!(s.parent_name(), Some("v"));

    assert!(ids_in_output("").is_empty());
    assert!(ids_in_output("not json").is_empty());
    assert!(ids_in_output(r#"{"id": "/subscriptions/x/resourceGroups/rg"}"#).is_empty());
    assert!(
        ids_in_output(&format!(r#"{{"id": "{RG}"}}"#)).is_empty(),
        "a group is not a resource event"
    );
}

#[test]
fn a_delete_names_the_newest_live_resource_by_name_and_parent() {
    let mut inv = Inventory::default();
    for id in [
        format!("{RG}/providers/Microsoft.Network/virtualNetworks/v"),
        format!("{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/web"),
        format!("{RG}/providers/Microsoft.Network/virtualNetworks/w/subnets/web"),
        format!("{RG}/providers/Microsoft.Compute/virtualMachines/vm1"),
    ] {
        inv.created(ResourceRef::from_id(&id).unwrap());
    }
    let t = inv.targets(&cmd("az vm delete --name vm1 --resource-group rg --yes"));
    assert_eq!(t.len(), 1);
    assert!(t[0].id.ends_with("virtualMachines/vm1"));

    let t = inv.targets(&cmd(
        "az network vnet subnet delete --vnet-name v --name web -g rg",
    ));
    assert_eq!(
        t[0].id,
        format!("{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/web")
    );

    let by_id =
        format!("az resource delete --ids {RG}/providers/Microsoft.Compute/virtualMachines/vm1");
    assert_eq!(inv.targets(&cmd(&by_id)).len(), 1);

    assert!(inv
        .targets(&cmd("az disk delete --name never-created -g rg"))
        .is_empty());
    inv.remove(&format!(
        "{RG}/providers/microsoft.compute/virtualMachines/VM1"
    ));
    assert!(inv
        .targets(&cmd("az vm delete --name vm1 -g rg"))
        .is_empty());
}

#[test]
fn deleting_a_parent_forgets_its_children_and_names_them() {
    let mut inv = Inventory::default();
    let vnet = format!("{RG}/providers/Microsoft.Network/virtualNetworks/hub");
    let ids = [
        vnet.clone(),
        format!("{vnet}/subnets/nva"),
        format!("{RG}/providers/Microsoft.Network/virtualNetworks/hub2"),
        format!("{vnet}/virtualNetworkPeerings/hub-to-spoke"),
    ];
    for id in &ids {
        inv.created(ResourceRef::from_id(id).unwrap());
    }
    let children: Vec<String> = inv
        .remove(&vnet.to_ascii_uppercase())
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(children, [ids[1].clone(), ids[3].clone()]);
    let live: Vec<&str> = inv.live().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(live, [ids[2].as_str()], "hub2 only shares a prefix");
}
