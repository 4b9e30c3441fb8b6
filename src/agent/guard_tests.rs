use super::*;

const SUB: &str = "11111111-1111-1111-1111-111111111111";
const RUN: &str = "0d9e2f4a-1111-4222-8333-444455556666";
const SCENARIO: &str = "compute-01-linux-vm-nginx";

fn lookup(name: &str) -> Option<String> {
    Some(
        match name {
            "HAYMAKER_RESOURCE_GROUP" => "rg-hm",
            "HAYMAKER_RUN_ID" => RUN,
            "HAYMAKER_SCENARIO" => SCENARIO,
            "HAYMAKER_SUFFIX" => "abc123",
            "HAYMAKER_LOCATION" => "westeurope",
            "HAYMAKER_PASSWORD" => "Hm!pw",
            _ => return None,
        }
        .to_string(),
    )
}

fn check_text(text: &str) -> Result<AgentCommand, Refusal> {
    let scope = Scope {
        subscription_id: SUB,
        resource_group: "rg-hm",
        run_id: RUN,
        scenario: SCENARIO,
        lookup: &lookup,
    };
    check(text, &scope)
}

const TAGS: &str =
    "--tags haymaker-managed=true haymaker-run-id=$HAYMAKER_RUN_ID haymaker-scenario=$HAYMAKER_SCENARIO";

#[test]
fn a_read_in_the_group_passes_with_variables_expanded() {
    let c = check_text(r#"az vm show --name "vm-$HAYMAKER_SUFFIX" --resource-group "$HAYMAKER_RESOURCE_GROUP" --output json"#).unwrap();
    assert_eq!(c.argv[0], "az");
    assert_eq!(c.argv[4], "vm-abc123");
    assert_eq!(c.argv[6], "rg-hm");
    assert_eq!(c.path, "vm show");
    assert_eq!(c.effect, Effect::Other);
}

#[test]
fn a_tagged_create_in_the_group_passes_and_literal_tags_count_too() {
    let c = check_text(&format!(
        "az network nsg create --name n -g $HAYMAKER_RESOURCE_GROUP \\\n  {TAGS} --output json"
    ))
    .unwrap();
    assert_eq!(c.effect, Effect::Create);
    let literal = format!(
        "az storage account create -n s -g rg-hm --tags haymaker-managed=true haymaker-run-id={RUN} haymaker-scenario={SCENARIO}"
    );
    assert!(check_text(&literal).is_ok());
}

#[test]
fn a_create_without_every_tag_is_refused_naming_the_missing_ones() {
    let e = check_text("az network nsg create --name n -g rg-hm --tags haymaker-managed=true")
        .unwrap_err();
    match e {
        Refusal::Untagged(missing) => {
            assert!(
                missing.contains("haymaker-run-id") && missing.contains("haymaker-scenario"),
                "{missing}"
            );
            assert!(!missing.contains("haymaker-managed"));
        }
        other => panic!("{other:?}"),
    }
    let wrong_run = format!("az vm create -n v -g rg-hm --tags haymaker-managed=true haymaker-run-id=other haymaker-scenario={SCENARIO}");
    assert!(matches!(check_text(&wrong_run), Err(Refusal::Untagged(_))));
    assert!(matches!(
        check_text("az vm create -n v -g rg-hm"),
        Err(Refusal::Untagged(_))
    ));
}

#[test]
fn shell_syntax_beyond_quoting_is_refused() {
    for text in [
        "az vm list -g rg-hm | grep x",
        "az vm list -g rg-hm; rm -rf /",
        "az vm list -g rg-hm && az group delete -n rg-hm",
        "az vm list -g rg-hm > /tmp/out",
        "az vm list -g $(whoami)",
        "az vm list -g `whoami`",
        "az vm list -g rg-hm --query $HOME",
        "az vm list -g rg-hm &",
    ] {
        assert!(
            matches!(check_text(text), Err(Refusal::Syntax(_))),
            "{text}"
        );
    }
    // The same characters quoted are values, not syntax.
    assert!(check_text("az vm list -g rg-hm --query \"[?name=='a|b;c']\"").is_ok());
}

#[test]
fn other_programs_and_several_commands_are_refused() {
    assert!(matches!(check_text("rm -rf /"), Err(Refusal::Syntax(_))));
    assert!(matches!(
        check_text("bash -c 'az vm list'"),
        Err(Refusal::Syntax(_))
    ));
    assert!(matches!(
        check_text("az vm list -g rg-hm\naz vm list -g rg-hm"),
        Err(Refusal::NotOne(2))
    ));
    assert_eq!(check_text("  \n"), Err(Refusal::Empty));
    assert_eq!(check_text("# only a comment"), Err(Refusal::Empty));
    assert_eq!(
        check_text(&"a".repeat(MAX_SUGGESTION_CHARS + 1)),
        Err(Refusal::TooLong)
    );
}

#[test]
fn other_groups_subscriptions_and_ids_are_out_of_scope() {
    for text in [
        "az vm delete -n v -g other-rg --yes",
        "az vm delete -n v --resource-group RG-OTHER --yes",
        "az vm show -n v -g rg-hm --subscription 22222222-2222-2222-2222-222222222222",
        "az resource delete --ids /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/other/providers/Microsoft.Compute/virtualMachines/v",
        "az resource delete --ids /subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-hm/providers/Microsoft.Compute/virtualMachines/v",
        "az network nic create -n n -g rg-hm --subnet /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-hm-evil/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
    ] {
        assert!(matches!(check_text(text), Err(Refusal::OutOfScope(_))), "{text}");
    }
    // An id inside the group is fine (case-insensitively), and counts as naming the group.
    let ok = "az resource show --ids /subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/RG-HM/providers/Microsoft.Compute/virtualMachines/v";
    assert!(check_text(ok).is_ok());
}

#[test]
fn commands_beyond_resources_in_the_group_are_forbidden() {
    for text in [
        "az group delete -n rg-hm --yes",
        "az account set --subscription 11111111-1111-1111-1111-111111111111",
        "az login --service-principal -u a -p b --tenant t",
        "az ad sp delete --id x",
        "az role assignment create --assignee x --role Owner -g rg-hm",
        "az lock delete -n l -g rg-hm",
        "az rest --method delete --url https://management.azure.com/subscriptions -g rg-hm",
        "az --version",
    ] {
        assert!(
            matches!(check_text(text), Err(Refusal::Forbidden(_))),
            "{text}"
        );
    }
    assert_eq!(check_text("az vm list"), Err(Refusal::NoResourceGroup));
}
