use serde_json::json;

use super::eval::{run, Row};
use super::*;

fn col(path: &[&str]) -> Column {
    Column(path.iter().map(|s| s.to_string()).collect())
}

fn rows() -> Vec<Row> {
    [
        json!({"id": "/a", "name": "vm1", "type": "microsoft.compute/virtualmachines",
               "resourceGroup": "rg1", "location": "eastus", "tags": {"run": "r1", "Env": "dev"}}),
        json!({"id": "/b", "name": "nic1", "type": "microsoft.network/networkinterfaces",
               "resourceGroup": "rg1", "location": "westus", "tags": {"run": "r2"}}),
        json!({"id": "/c", "name": "Test-vm", "type": "microsoft.compute/virtualmachines",
               "resourceGroup": "rg2", "location": "eastus", "tags": {}}),
    ]
    .into_iter()
    .map(|v| v.as_object().unwrap().clone())
    .collect()
}

fn names(query: &str) -> Vec<String> {
    let q = parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    run(&q.ops, rows())
        .into_iter()
        .map(|r| r["name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn parses_the_shapes_haymaker_sends() {
    let q = parse(
        "Resources | where type =~ 'Microsoft.Compute/virtualMachines' and tags['run'] == 'r1' \
         | project id, vm = name, tags.run | order by name asc, id | take 5",
    )
    .unwrap();
    assert_eq!(q.table, Table::Resources);
    assert_eq!(q.ops.len(), 4);
    assert_eq!(
        q.ops[1],
        Op::Project(vec![
            ("id".into(), col(&["id"])),
            ("vm".into(), col(&["name"])),
            ("tags_run".into(), col(&["tags", "run"])),
        ])
    );
    assert_eq!(
        q.ops[2],
        Op::Order(vec![
            (col(&["name"]), Direction::Asc),
            (col(&["id"]), Direction::Desc)
        ])
    );
    assert_eq!(q.ops[3], Op::Limit(5));
    match &q.ops[0] {
        Op::Where(Expr::And(a, b)) => {
            assert_eq!(
                **a,
                Expr::Compare {
                    column: col(&["type"]),
                    op: CmpOp::EqCi,
                    value: Literal::Str("Microsoft.Compute/virtualMachines".into())
                }
            );
            assert!(matches!(**b, Expr::Compare { op: CmpOp::Eq, .. }));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        parse("ResourceContainers").unwrap().table,
        Table::ResourceContainers
    );
}

#[test]
fn filters_follow_kql_case_rules() {
    assert_eq!(
        names("Resources | where type == 'Microsoft.Compute/virtualMachines'"),
        Vec::<String>::new(),
        "== is case-sensitive"
    );
    assert_eq!(
        names("Resources | where type =~ 'Microsoft.Compute/virtualMachines'"),
        ["vm1", "Test-vm"]
    );
    assert_eq!(names("Resources | where tags['run'] == 'r1'"), ["vm1"]);
    assert_eq!(
        names("Resources | where tags.run != 'r1'"),
        ["nic1", "Test-vm"]
    );
    assert_eq!(names("Resources | where tags['env'] == 'dev'"), ["vm1"]);
    assert_eq!(
        names("Resources | where resourceGroup in ('rg2', 'RG1')"),
        ["Test-vm"]
    );
    assert_eq!(
        names("Resources | where resourceGroup in~ ('RG1')"),
        ["vm1", "nic1"]
    );
    assert_eq!(
        names("Resources | where resourceGroup !in ('rg1')"),
        ["Test-vm"]
    );
    assert_eq!(
        names(
            "Resources | where location == 'eastus' and (name contains 'TEST' or tags.run == 'r1')"
        ),
        ["vm1", "Test-vm"]
    );
    assert_eq!(
        names("Resources | where not(location == 'eastus') or name startswith 'test'"),
        ["nic1", "Test-vm"]
    );
    assert_eq!(
        names("Resources | where name !~ 'VM1'"),
        ["nic1", "Test-vm"]
    );
}

#[test]
fn order_defaults_to_descending_and_limit_cuts() {
    assert_eq!(
        names("Resources | order by name"),
        ["vm1", "nic1", "Test-vm"]
    );
    assert_eq!(
        names("Resources | sort by location asc, name desc | limit 2"),
        ["vm1", "Test-vm"]
    );
    assert_eq!(names("Resources | take 0"), Vec::<String>::new());
}

#[test]
fn projection_renames_and_reads_paths() {
    let q =
        parse("Resources | where name == 'vm1' | project n = name, tags['run'], missing").unwrap();
    let out = run(&q.ops, rows());
    assert_eq!(
        serde_json::Value::Object(out[0].clone()),
        json!({"n": "vm1", "tags_run": "r1", "missing": null})
    );
}

#[test]
fn unsupported_text_is_named() {
    let cases = [
        (
            "Resources | summarize count() by type",
            "summarize count() by type",
        ),
        ("Resources | where isnotempty(name)", "isnotempty(name)"),
        (
            "Resources | where name matches regex 'x'",
            "matches regex 'x'",
        ),
        ("Resources | where name == ", "<end of query>"),
        ("Resources | where name == 'x' extra | limit 1", "extra"),
        ("Resources | limit many", "many"),
        ("securityresources | limit 1", "securityresources"),
        ("Resources | where name == 'unterminated", "'unterminated"),
        ("Resources | project", "<end of query>"),
    ];
    for (query, fragment) in cases {
        let e = parse(query).expect_err(query);
        assert_eq!(e.fragment, fragment, "{query}: {e}");
        assert!(e.to_string().contains(fragment));
    }
}
