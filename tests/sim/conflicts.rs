//! Dependency conflicts on delete, through haymaker's own ARM client (src/azure/resources.rs): a NIC on
//! a VM, a subnet or network with a NIC or private endpoint in it, a disk on a VM, a public IP on a
//! NIC; deleting the user first makes the delete succeed; a resource-group delete cascades anyway.

use crate::sim_support;

use haymaker::azure::arm::DeleteOutcome;
use haymaker::azure::lro::LroOptions;
use haymaker::azure::resources::ArmClient;
use serde_json::json;
use sim_support::{http_code, with_api, TestSim};

struct Ids {
    vnet: String,
    subnet: String,
    ip: String,
    nic: String,
    disk: String,
    vm: String,
}

/// A VM with a NIC (in a subnet, with a public IP) and an OS disk, PUT over the wire in `rg`.
async fn build(sim: &TestSim, rg: &str) -> Ids {
    let s0 = sim.sub(0);
    let pipeline = sim.pipeline();
    let base = format!("/subscriptions/{s0}/resourceGroups/{rg}");
    sim.put(
        &pipeline,
        &format!("{base}?api-version=2025-04-01"),
        json!({"location": "eastus"}),
    )
    .await;
    let p = |t: &str| format!("{base}/providers/{t}");
    let put = |path: String, body: serde_json::Value| {
        let pipeline = pipeline.clone();
        async move {
            sim.put(&pipeline, &with_api(&path), body).await["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let vnet = put(
        p("Microsoft.Network/virtualNetworks/vnet"),
        json!({"location": "eastus",
        "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
    )
    .await;
    let subnet = put(
        p("Microsoft.Network/virtualNetworks/vnet/subnets/default"),
        json!({"properties": {"addressPrefix": "10.0.0.0/24"}}),
    )
    .await;
    let ip = put(
        p("Microsoft.Network/publicIPAddresses/ip"),
        json!({"location": "eastus"}),
    )
    .await;
    let nic = put(p("Microsoft.Network/networkInterfaces/nic"), json!({"location": "eastus",
        "properties": {"ipConfigurations": [{
            "name": "ipconfig1",
            "id": format!("{base}/providers/Microsoft.Network/networkInterfaces/nic/ipConfigurations/ipconfig1"),
            "properties": {"subnet": {"id": subnet.replace("/resourceGroups/", "/RESOURCEGROUPS/")}, "publicIPAddress": {"id": ip}}}]}})).await;
    let disk = put(
        p("Microsoft.Compute/disks/osdisk"),
        json!({"location": "eastus",
        "properties": {"diskSizeGB": 30}}),
    )
    .await;
    let vm = put(
        p("Microsoft.Compute/virtualMachines/vm"),
        json!({"location": "eastus",
        "properties": {
            "networkProfile": {"networkInterfaces": [{"id": nic}]},
            "storageProfile": {"osDisk": {"name": "osdisk", "managedDisk": {"id": disk}}}}}),
    )
    .await;
    Ids {
        vnet,
        subnet,
        ip,
        nic,
        disk,
        vm,
    }
}

fn client(sim: &TestSim) -> ArmClient {
    ArmClient::new(sim.pipeline()).with_lro_options(LroOptions {
        default_interval: std::time::Duration::from_millis(10),
        ..LroOptions::default()
    })
}

#[tokio::test]
async fn in_use_resources_refuse_deletion_until_their_user_is_gone() {
    let sim = TestSim::start(sim_support::polled()).await;
    let ids = build(&sim, "rg").await;
    let arm = client(&sim);
    let refused = |id: &str| {
        let arm = &arm;
        let id = id.to_string();
        async move { arm.delete_resource_by_id(&id).await.unwrap_err() }
    };

    let e = refused(&ids.nic).await;
    assert_eq!(http_code(&e), (400, "NicInUse".into()));
    assert!(
        e.to_string()
            .contains(&format!("is used by existing resource {}", ids.vm)),
        "{e}"
    );

    let e = refused(&ids.disk).await;
    assert_eq!(http_code(&e), (409, "OperationNotAllowed".into()));
    assert!(
        e.to_string()
            .contains(&format!("Disk osdisk is attached to VM {}", ids.vm)),
        "{e}"
    );

    let e = refused(&ids.ip).await;
    assert_eq!(
        http_code(&e),
        (400, "PublicIPAddressCannotBeDeleted".into())
    );
    assert!(
        e.to_string()
            .contains("/networkInterfaces/nic/ipConfigurations/ipconfig1"),
        "{e}"
    );

    for target in [&ids.subnet, &ids.vnet] {
        let e = refused(target).await;
        assert_eq!(
            http_code(&e),
            (400, "InUseSubnetCannotBeDeleted".into()),
            "{target}"
        );
        assert!(e.to_string().contains("Subnet default is in use by"), "{e}");
        assert!(e.to_string().contains("/ipConfigurations/ipconfig1"), "{e}");
    }
    for kept in [&ids.nic, &ids.disk, &ids.ip, &ids.subnet, &ids.vnet] {
        assert!(
            arm.get_resource_by_id(kept).await.unwrap().is_some(),
            "{kept} was kept"
        );
    }

    // The VM goes first; then the NIC, disk, IP and network can go, in dependency order.
    assert_eq!(
        arm.delete_resource_by_id(&ids.vm).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        arm.delete_resource_by_id(&ids.disk).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        http_code(&refused(&ids.ip).await).1,
        "PublicIPAddressCannotBeDeleted",
        "the NIC still holds it"
    );
    assert_eq!(
        arm.delete_resource_by_id(&ids.nic).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert!(
        arm.get_resource_by_id(&ids.nic).await.unwrap().is_none(),
        "GET after delete: 404"
    );
    assert_eq!(
        arm.delete_resource_by_id(&ids.nic).await.unwrap(),
        DeleteOutcome::AlreadyGone
    );
    assert_eq!(
        arm.delete_resource_by_id(&ids.ip).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        arm.delete_resource_by_id(&ids.vnet).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert!(
        arm.get_resource_by_id(&ids.subnet).await.unwrap().is_none(),
        "children go with their parent"
    );
    sim.stop().await;
}

#[tokio::test]
async fn private_endpoints_and_back_references_count_too() {
    let sim = TestSim::start(sim_support::polled()).await;
    let s0 = sim.sub(0);
    let pipeline = sim.pipeline();
    let base = format!("/subscriptions/{s0}/resourceGroups/rg");
    sim.put(
        &pipeline,
        &format!("{base}?api-version=2025-04-01"),
        json!({"location": "eastus"}),
    )
    .await;
    // Subnets inline in the network's body, as most templates write them.
    let vnet = sim.put(&pipeline, &with_api(&format!("{base}/providers/Microsoft.Network/virtualNetworks/v2")),
        json!({"location": "eastus", "properties": {"subnets": [{"name": "pe", "properties": {"addressPrefix": "10.1.0.0/24"}}]}})).await;
    let vnet = vnet["id"].as_str().unwrap().to_string();
    let pe = sim.put(&pipeline, &with_api(&format!("{base}/providers/Microsoft.Network/privateEndpoints/pe1")),
        json!({"location": "eastus", "properties": {"subnet": {"id": format!("{vnet}/subnets/pe")}}})).await;
    let pe = pe["id"].as_str().unwrap().to_string();
    // A disk whose managedBy names a VM, and a NIC whose virtualMachine does.
    let vm = sim
        .put(
            &pipeline,
            &with_api(&format!(
                "{base}/providers/Microsoft.Compute/virtualMachines/vm2"
            )),
            json!({"location": "eastus"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let disk = sim
        .put(
            &pipeline,
            &with_api(&format!("{base}/providers/Microsoft.Compute/disks/data")),
            json!({"location": "eastus", "managedBy": vm}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let nic = sim
        .put(
            &pipeline,
            &with_api(&format!(
                "{base}/providers/Microsoft.Network/networkInterfaces/n2"
            )),
            json!({"location": "eastus", "properties": {"virtualMachine": {"id": vm}}}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let arm = client(&sim);
    let e = arm.delete_resource_by_id(&vnet).await.unwrap_err();
    assert_eq!(http_code(&e), (400, "InUseSubnetCannotBeDeleted".into()));
    assert!(
        e.to_string()
            .contains(&format!("Subnet pe is in use by {pe}")),
        "{e}"
    );
    assert_eq!(
        http_code(&arm.delete_resource_by_id(&disk).await.unwrap_err()).1,
        "OperationNotAllowed"
    );
    assert_eq!(
        http_code(&arm.delete_resource_by_id(&nic).await.unwrap_err()).1,
        "NicInUse"
    );

    assert_eq!(
        arm.delete_resource_by_id(&pe).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        arm.delete_resource_by_id(&vnet).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        arm.delete_resource_by_id(&vm).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        arm.delete_resource_by_id(&disk).await.unwrap(),
        DeleteOutcome::Deleted,
        "managedBy names a VM that is gone"
    );
    assert_eq!(
        arm.delete_resource_by_id(&nic).await.unwrap(),
        DeleteOutcome::Deleted
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_resource_group_delete_cascades_regardless() {
    let sim = TestSim::start(sim_support::polled()).await;
    let ids = build(&sim, "doomed").await;
    let arm = client(&sim);
    let outcome = arm
        .delete_resource_group(&sim.sub(0), "doomed", &[])
        .await
        .unwrap();
    assert_eq!(outcome, DeleteOutcome::Deleted);
    for id in [
        &ids.vm,
        &ids.nic,
        &ids.disk,
        &ids.ip,
        &ids.subnet,
        &ids.vnet,
    ] {
        let e = arm.get_resource_by_id(id).await;
        assert!(matches!(e, Ok(None)) || e.is_err(), "{id} is gone");
    }
    {
        let world = sim.server.sim.world();
        assert!(!world
            .resources
            .keys()
            .any(|k| k.contains("/resourcegroups/doomed/")));
    }
    sim.stop().await;
}
