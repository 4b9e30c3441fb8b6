//! Managed environments and workload profiles (`ContainerAppsClient`), pinned by
//! `shared/vectors/azure/containerapps/ManagedEnvironments_Get.json`.

use crate::azure_support;

use azure_support::{api_version_of, pipeline, script, sent, text, vector};
use haymaker::azure::container_apps::{
    parse_memory_gib, ContainerAppsClient, EnvironmentProvisioningState, WorkloadProfile,
    WorkloadProfileType,
};

#[tokio::test(start_paused = true)]
async fn managed_environment_profiles_and_fit() {
    let v = vector("containerapps/ManagedEnvironments_Get.json");
    let s = script();
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    s.answer(200, &[], &text(&v["responses"]["200"]["body"]));
    let client = ContainerAppsClient::new(pipeline(&s));
    let env = client
        .get_managed_environment(
            "8efdecc5-919e-44eb-b179-915dca89ebf9",
            "examplerg",
            "jlaw-demo1",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        env.properties.provisioning_state,
        Some(EnvironmentProvisioningState::Succeeded)
    );
    assert_eq!(
        env.properties.default_domain.as_deref(),
        Some("jlaw-demo1.k4apps.io")
    );
    let gp = env.workload_profile("my-gp-01").unwrap();
    assert_eq!(
        gp.workload_profile_type,
        WorkloadProfileType::GeneralPurpose
    );
    assert_eq!((gp.minimum_count, gp.maximum_count), (Some(3), Some(12)));
    assert!(gp.fits(1.0, "2Gi").unwrap_err().contains("not known"));
    let consumption = env.workload_profile("My-consumption-01").unwrap();
    assert_eq!(
        consumption.workload_profile_type,
        WorkloadProfileType::Consumption
    );
    assert_eq!(consumption.maximum_count, None);
    assert!(consumption.fits(2.0, "4Gi").is_ok());
    assert!(consumption.fits(4.5, "4Gi").is_err());
    assert!(consumption.fits(2.0, "9Gi").is_err());

    let by_id = client
        .get_managed_environment_by_id(&env.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_id.name, "jlaw-demo1");
    for r in sent(&s) {
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/subscriptions/8efdecc5-919e-44eb-b179-915dca89ebf9/resourceGroups/examplerg/providers/Microsoft.App/managedEnvironments/jlaw-demo1");
        assert_eq!(r.api_version(), api_version_of(&v));
    }
}

#[test]
fn dedicated_profiles_and_memory_strings() {
    let d4 = WorkloadProfile {
        name: "agents".into(),
        workload_profile_type: WorkloadProfileType::from("D4"),
        minimum_count: Some(0),
        maximum_count: Some(3),
    };
    assert!(d4.fits(4.0, "16Gi").is_ok());
    assert!(d4.fits(4.0, "17Gi").is_err());
    assert!(d4.fits(1.0, "lots").is_err());
    assert_eq!(parse_memory_gib("512Mi"), Some(0.5));
    assert_eq!(parse_memory_gib("1.5Gi"), Some(1.5));
    assert_eq!(parse_memory_gib("-1Gi"), None);
    assert_eq!(
        WorkloadProfileType::from("NC24-A100"),
        WorkloadProfileType::Nc24A100
    );
}
