use super::*;

fn words(cmd: &Command) -> Vec<String> {
    cmd.words.iter().map(Word::render).collect()
}

#[test]
fn splits_continued_quoted_commands_with_variables() {
    let block = "# make the network\naz network vnet create \\\n  --name \"vnet-$HAYMAKER_SUFFIX\" \\\n  --tags a='x y' b=${HAYMAKER_RUN_ID}\naz group list\n";
    let cmds = parse_block(block, 10).unwrap();
    assert_eq!(cmds.len(), 2);
    assert_eq!(cmds[0].line, 11);
    assert_eq!(
        words(&cmds[0]),
        [
            "az",
            "network",
            "vnet",
            "create",
            "--name",
            "vnet-$HAYMAKER_SUFFIX",
            "--tags",
            "a=x y",
            "b=$HAYMAKER_RUN_ID"
        ]
    );
    assert_eq!(cmds[0].path(), ["network", "vnet", "create"]);
    assert!(cmds[0].is_create());
    assert_eq!(cmds[1].line, 14);
    assert!(!cmds[1].is_create());
    let tags: Vec<_> = cmds[0]
        .values_of("--tags")
        .unwrap()
        .iter()
        .map(|w| w.render())
        .collect();
    assert_eq!(tags, ["a=x y", "b=$HAYMAKER_RUN_ID"]);
}

#[test]
fn single_quotes_keep_dollars_literal_and_expansion_works() {
    let cmds = parse_block(
        "az x --query '[?name==`$a`]' --rg \"$HAYMAKER_RESOURCE_GROUP\"",
        1,
    )
    .unwrap();
    let w = &cmds[0].words;
    assert_eq!(w[3].literal().as_deref(), Some("[?name==`$a`]"));
    let expanded = w[5].expand(&|v| (v == "HAYMAKER_RESOURCE_GROUP").then(|| "rg-1".to_string()));
    assert_eq!(expanded, "rg-1");
}

#[test]
fn untagged_comment_attaches_to_the_next_command_only() {
    let block = "# untagged: subnets take no tags\naz network vnet subnet create --name s\naz network nsg create --name n\n";
    let cmds = parse_block(block, 1).unwrap();
    assert_eq!(
        cmds[0].untagged_reason.as_deref(),
        Some("subnets take no tags")
    );
    assert_eq!(cmds[1].untagged_reason, None);
}

#[test]
fn rejects_shell_beyond_plain_commands() {
    let cases = [
        ("az vm list | jq .", "`|`"),
        ("az vm list; az vm list", "`;`"),
        ("az vm list && az vm show", "`&`"),
        ("az vm list > out.json", "`>`"),
        ("az vm show --name $(whoami)", "`$(`"),
        ("az vm show --name \"`id`\"", "`"),
        ("az vm show --name $HOME", "variable `$HOME`"),
        ("echo hi", "only `az` commands"),
        ("az vm show --name 'open", "unclosed single quote"),
    ];
    for (block, needle) in cases {
        let err = parse_block(block, 5).expect_err(block);
        assert!(err.message.contains(needle), "{block}: {}", err.message);
        assert_eq!(err.line, 5, "{block}");
    }
}

#[test]
fn quoted_metacharacters_are_values() {
    let cmds = parse_block("az x --query \"[?a || b] | [0]\" --y 'a;b&c>d'", 1).unwrap();
    assert_eq!(
        cmds[0].words[3].literal().as_deref(),
        Some("[?a || b] | [0]")
    );
    assert_eq!(cmds[0].words[5].literal().as_deref(), Some("a;b&c>d"));
}
