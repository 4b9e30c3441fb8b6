use super::*;

#[test]
fn every_type_of_the_scenario_library_is_offered_with_versions() {
    let library = Library::embedded();
    let mut checked = 0;
    for s in library.scenarios() {
        for t in &s.metadata.resource_types {
            let offered = catalogue()
                .get(t)
                .unwrap_or_else(|| panic!("{t} of {} is not offered", s.name));
            assert!(!offered.api_versions.is_empty(), "{t}");
            assert!(
                t.to_ascii_lowercase()
                    .ends_with(&offered.resource_type.to_ascii_lowercase()),
                "{t} listed as {}",
                offered.resource_type
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "the library names {checked} types");
}

#[test]
fn known_types_keep_their_real_versions_and_spelling() {
    let c = catalogue();
    let subnets = c.get("microsoft.network/VIRTUALNETWORKS/subnets").unwrap();
    assert_eq!(subnets.namespace, "Microsoft.Network");
    assert_eq!(subnets.resource_type, "virtualNetworks/subnets");
    assert!(subnets.api_versions.contains(&"2024-05-01".to_string()));
    // The library writes both spellings; the provider's is kept.
    assert_eq!(
        c.get("Microsoft.Web/serverfarms").unwrap().resource_type,
        "serverFarms"
    );
    assert_eq!(
        default_api_version("Microsoft.Compute/disks"),
        Some("2024-03-02")
    );
    assert_eq!(
        default_api_version("Microsoft.Storage/storageAccounts"),
        Some("2024-01-01")
    );
    assert_eq!(
        default_api_version("Microsoft.App/containerApps"),
        Some(crate::azure::container_apps::CONTAINER_APPS_API_VERSION)
    );
    assert_eq!(default_api_version("Microsoft.Nothing/here"), None);
}

#[test]
fn unknown_types_are_versioned_by_ancestor_then_namespace_then_fallback() {
    let c = Catalogue::build([
        "Microsoft.Storage/storageAccounts/objectReplicationPolicies",
        "Microsoft.Network/ddosProtectionPlans",
        "Contoso.Widgets/gadgets",
        "Contoso.Widgets/gadgets/parts",
    ]);
    let versions = |t: &str| c.get(t).unwrap().api_versions.clone();
    assert_eq!(
        versions("Microsoft.Storage/storageAccounts/objectReplicationPolicies"),
        versions("Microsoft.Storage/storageAccounts")
    );
    assert_eq!(
        versions("Microsoft.Network/ddosProtectionPlans"),
        versions("Microsoft.Network/virtualNetworks"),
        "most Network types share one version list"
    );
    assert_eq!(versions("Contoso.Widgets/gadgets"), FALLBACK_VERSIONS);
    assert_eq!(versions("Contoso.Widgets/gadgets/parts"), FALLBACK_VERSIONS);
    assert!(c.knows_namespace("contoso.widgets"));
    assert!(!c.knows_namespace("Contoso.Other"));
    assert_eq!(c.in_namespace("CONTOSO.WIDGETS").count(), 2);
}

#[test]
fn known_versions_are_dates_newest_first() {
    for (full, versions) in KNOWN {
        assert!(split(full).is_some(), "{full}");
        assert!(!versions.is_empty(), "{full}");
        for v in *versions {
            let date = &v[..10.min(v.len())];
            assert!(
                chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
                    && (v.len() == 10 || v[10..].starts_with("-preview")),
                "{full}: {v}"
            );
        }
        assert!(
            versions.windows(2).all(|w| w[0] > w[1]),
            "{full}: {versions:?}"
        );
    }
    let mut names: Vec<String> = KNOWN.iter().map(|(t, _)| t.to_ascii_lowercase()).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "a type is listed twice");
}
