use super::metadata::is_resource_type;
use super::*;

const NAME: &str = "networking-07-test-vnet.md";

fn good() -> String {
    r#"+++
area = "networking"
resource_types = ["Microsoft.Network/virtualNetworks", "Microsoft.Network/virtualNetworks/subnets"]
estimated_duration_minutes = 480
required_roles = ["Contributor"]
role_scope = "resource-group"
+++

# Scenario: A test network

## Technology Area
Networking

## Company Profile
A small company.

## Scenario Description
It builds a network.

## Azure Services Used
- Virtual Network

## Prerequisites
- A resource group.

## Phase 1: Deployment and Validation
```bash
az network vnet create \
  --resource-group "$HAYMAKER_RESOURCE_GROUP" \
  --name "vnet-$HAYMAKER_SUFFIX" \
  --tags haymaker-managed=true haymaker-run-id=$HAYMAKER_RUN_ID haymaker-scenario=networking-07-test-vnet
```

```bash
# untagged: subnets are child resources and take no tags
az network vnet subnet create --resource-group "$HAYMAKER_RESOURCE_GROUP" --vnet-name "vnet-$HAYMAKER_SUFFIX" --name a --address-prefixes 10.0.1.0/24
```

## Phase 2: Mid-Day Operations and Management
```bash
az network vnet show --resource-group "$HAYMAKER_RESOURCE_GROUP" --name "vnet-$HAYMAKER_SUFFIX"
```

## Phase 3: Cleanup and Tear-Down
```bash
az network vnet delete --resource-group "$HAYMAKER_RESOURCE_GROUP" --name "vnet-$HAYMAKER_SUFFIX"
```

## Resource Naming Convention
- vnet-<suffix>

## Documentation References
- https://learn.microsoft.com/en-us/cli/azure/network/vnet

## Automation Tool
Azure CLI

## Estimated Duration
8 hours

## Notes
None.
"#
    .to_string()
}

fn problems(file: &str, text: &str) -> Vec<String> {
    match parse_document(file, text) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(|d| d.to_string()).collect(),
    }
}

fn assert_problem(text: &str, needle: &str) {
    let p = problems(NAME, text);
    assert!(
        p.iter().any(|l| l.contains(needle)),
        "expected `{needle}` in {p:#?}"
    );
}

#[test]
fn a_good_document_parses_into_steps() {
    let s = parse_document(NAME, &good()).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(s.name, "networking-07-test-vnet");
    assert_eq!(s.title, "A test network");
    assert_eq!(s.area(), Area::Networking);
    assert_eq!(s.metadata.role_scope, RoleScope::ResourceGroup);
    assert_eq!(s.deployment.len(), 2);
    assert_eq!(s.operations.len(), 1);
    assert_eq!(s.cleanup.len(), 1);
    assert_eq!(
        s.deployment[0].commands[0].path(),
        ["network", "vnet", "create"]
    );
    assert_eq!(s.deployment[0].line, 27);
    assert_eq!(s.deployment[0].commands[0].line, 28);
    assert!(s.deployment[1].commands[0].untagged_reason.is_some());
}

#[test]
fn missing_duplicated_and_out_of_order_sections_are_named_with_lines() {
    let text = good().replace("## Notes\nNone.\n", "");
    assert_problem(&text, "missing section `## Notes`");

    let text = good().replace(
        "## Automation Tool\nAzure CLI\n",
        "## Automation Tool\nAzure CLI\n\n## Automation Tool\nagain\n",
    );
    assert_problem(&text, "duplicated section `## Automation Tool`");

    let text = good()
        .replace("## Company Profile\nA small company.\n", "")
        .replace(
            "## Notes\nNone.\n",
            "## Notes\nNone.\n\n## Company Profile\nA small company.\n",
        );
    let p = problems(NAME, &text);
    assert!(
        p.iter()
            .any(|l| l.contains("`## Company Profile` is out of order")),
        "{p:#?}"
    );
    assert!(p.iter().all(|l| l.starts_with(NAME)), "{p:#?}");

    let text = good().replace("## Notes\n", "## Extras\nx\n\n## Notes\n");
    assert_problem(&text, "unknown section `## Extras`");

    let text = good().replace(
        "## Company Profile\nA small company.\n",
        "## Company Profile\n\n",
    );
    assert_problem(&text, "section `## Company Profile` is empty");
}

#[test]
fn empty_phase_and_missing_tags_are_errors() {
    let text = good().replace(
        "```bash\naz network vnet show --resource-group \"$HAYMAKER_RESOURCE_GROUP\" --name \"vnet-$HAYMAKER_SUFFIX\"\n```",
        "Nothing to do here.",
    );
    assert_problem(
        &text,
        "empty phase: `## Phase 2: Mid-Day Operations and Management`",
    );

    let text = good().replace(" haymaker-run-id=$HAYMAKER_RUN_ID", "");
    let p = problems(NAME, &text);
    assert!(
        p.iter().any(|l| l.starts_with(&format!("{NAME}:28:"))
            && l.contains("missing haymaker-run-id=$HAYMAKER_RUN_ID")),
        "{p:#?}"
    );

    let text = good().replace(
        "haymaker-scenario=networking-07-test-vnet",
        "haymaker-scenario=other",
    );
    assert_problem(&text, "missing haymaker-scenario=networking-07-test-vnet");

    let text = good().replace(
        "# untagged: subnets are child resources and take no tags\n",
        "",
    );
    assert_problem(
        &text,
        "`az network vnet subnet create` creates a resource without the haymaker tags",
    );
}

#[test]
fn metadata_problems_are_reported() {
    assert_problem(
        &good().replace("area = \"networking\"", "area = \"plumbing\""),
        "unknown technology area `plumbing`",
    );
    assert_problem(
        &good().replace("area = \"networking\"", "area = \"compute\""),
        "does not match the file name's prefix",
    );
    assert_problem(
        &good().replace(
            "\"Microsoft.Network/virtualNetworks\",",
            "\"virtualNetworks\",",
        ),
        "resource type `virtualNetworks` is not of the form Namespace/type",
    );
    assert_problem(&good().replacen("+++\n", "", 1), "no metadata");
    assert_problem(
        &good().replace("role_scope = \"resource-group\"", "colour = \"red\""),
        "unknown field `colour`",
    );
    assert_problem(
        &good().replace("Networking\n\n## Company", "Compute\n\n## Company"),
        "Technology Area says `Compute`",
    );
    let p = problems("network-1-x.md", &good());
    assert!(
        p.iter()
            .any(|l| l.contains("is not `{area}-{NN}-{slug}.md`")),
        "{p:#?}"
    );
}

/// Found by `cargo fuzz run scenario` (fuzz/artifacts): a name whose number is cut by a multi-byte
/// character panicked in the name check; it is a named problem like any other bad name.
#[test]
fn a_multi_byte_character_in_the_number_is_a_bad_name_not_a_panic() {
    for name in [
        "containers-0\u{78d}atio-acr-build-tasks.md",
        "containers-\u{e9}1-acr.md",
        "containers-01\u{e9}-acr.md",
        "containers-\u{e9}.md",
    ] {
        let p = problems(name, &good());
        assert!(
            p.iter()
                .any(|l| l.contains("is not `{area}-{NN}-{slug}.md`")),
            "{name}: {p:#?}"
        );
    }
}

#[test]
fn shell_problems_carry_the_document_line() {
    let text = good().replace(
        "--name \"vnet-$HAYMAKER_SUFFIX\"\n```\n\n## Phase 3",
        "--name \"vnet-$HAYMAKER_SUFFIX\" | jq .\n```\n\n## Phase 3",
    );
    let p = problems(NAME, &text);
    assert!(
        p.iter()
            .any(|l| l.starts_with(&format!("{NAME}:41:")) && l.contains("`|`")),
        "{p:#?}"
    );
    assert_eq!(
        p.len(),
        1,
        "a step that fails to parse is not also an empty phase: {p:#?}"
    );
}

#[test]
fn resource_type_shapes() {
    for ok in [
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/virtualNetworks/subnets",
        "Microsoft.DBforPostgreSQL/flexibleServers",
    ] {
        assert!(is_resource_type(ok), "{ok}");
    }
    for bad in [
        "virtualNetworks",
        "Microsoft/vnets",
        "Microsoft.Network/",
        "microsoft.network/x",
        "Microsoft.Network/virtual-networks",
        "Microsoft..Net/x",
    ] {
        assert!(!is_resource_type(bad), "{bad}");
    }
}

fn library(per_area: &[(Area, usize)]) -> Vec<Scenario> {
    let mut out = Vec::new();
    for (area, n) in per_area {
        for i in 0..*n {
            let name = format!("{}-{:02}-s", area.slug(), i + 1);
            let text = good()
                .replace(
                    "area = \"networking\"",
                    &format!("area = \"{}\"", area.slug()),
                )
                .replace("networking-07-test-vnet", &name)
                .replace(
                    "Networking\n\n## Company",
                    &format!("{}\n\n## Company", area.display_name()),
                );
            out.push(
                parse_document(&format!("{name}.md"), &text).unwrap_or_else(|d| panic!("{d:#?}")),
            );
        }
    }
    out
}

#[test]
fn selection_spreads_over_areas_without_duplicates_and_is_seeded() {
    let lib = library(&[
        (Area::Compute, 6),
        (Area::Networking, 1),
        (Area::Security, 3),
        (Area::WebApps, 5),
    ]);
    for seed in 0..200u64 {
        let picked = select(&lib, Size::Count(9), seed).unwrap();
        let names: std::collections::HashSet<_> = picked.iter().map(|s| &s.name).collect();
        assert_eq!(names.len(), 9, "duplicates with seed {seed}");
        // Round-robin: after the first 4 picks every area has one; networking has no second.
        let first: std::collections::HashSet<_> = picked[..4].iter().map(|s| s.area()).collect();
        assert_eq!(first.len(), 4, "seed {seed}");
        // After 1+3+3+3 = 10 there would be no more security; with 9 picks each of compute,
        // security and web apps has 2 or 3.
        for area in [Area::Compute, Area::Security, Area::WebApps] {
            let n = picked.iter().filter(|s| s.area() == area).count();
            assert!((2..=3).contains(&n), "seed {seed}: {area} has {n}");
        }
        let again = select(&lib, Size::Count(9), seed).unwrap();
        assert_eq!(
            picked.iter().map(|s| &s.name).collect::<Vec<_>>(),
            again.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
    }
    let a: Vec<_> = (0..20u64)
        .map(|seed| select(&lib, Size::Small, seed).unwrap()[0].name.clone())
        .collect();
    assert!(
        a.iter().collect::<std::collections::HashSet<_>>().len() > 1,
        "seeds must matter"
    );
}

#[test]
fn selection_with_too_few_scenarios_names_both_numbers() {
    let lib = library(&[(Area::Compute, 3)]);
    let err = select(&lib, Size::Small, 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "requested 5 scenarios but only 3 are available; choose a smaller size or add scenarios"
    );
}

#[test]
fn sizes_parse() {
    assert_eq!("small".parse::<Size>().unwrap().count(), 5);
    assert_eq!("Medium".parse::<Size>().unwrap().count(), 15);
    assert_eq!("large".parse::<Size>().unwrap().count(), 30);
    assert_eq!("7".parse::<Size>().unwrap().count(), 7);
    assert!("0".parse::<Size>().is_err());
    assert!("huge"
        .parse::<Size>()
        .unwrap_err()
        .contains("use small (5)"));
}
